/**
 * Arrow columns → the JS value model of `src/row/values.ts`, for the record scanner and the
 * server's replay of ARROW changelogs.
 *
 * Per Fluss type a "binder" is compiled once; binding it to a column's arrow-js `Data`
 * captures the buffers, giving a reader `(index) => value` that reads them directly (no
 * `Vector.get` visitor dispatch per value). Index conventions follow arrow-js: primitive
 * values and value offsets are indexed by the row index, validity and boolean bits by
 * `data.offset + index`.
 */
import type { Data, RecordBatch } from "apache-arrow";
import type { DataType, RowType } from "../../metadata/data-types.js";
import { Decimal, MILLIS_PER_DAY, Timestamp } from "../../row/values.js";

/** Reads the value at `index` of the column it was bound to (null-aware). */
export type ColumnReader = (index: number) => unknown;
/** Binds a reader to one column's data. */
export type ColumnBinder = (data: Data) => ColumnReader;

const textDecoder = new TextDecoder();
const hasBuffer = typeof Buffer !== "undefined";

function values<T>(data: Data): T {
  return data.values as unknown as T;
}

function offsets(data: Data): Int32Array {
  return data.valueOffsets as unknown as Int32Array;
}

function floorDiv(a: bigint, b: bigint): bigint {
  const q = a / b;
  return a % b !== 0n && a < 0n ? q - 1n : q;
}

/** Two's-complement little-endian 128-bit integer from four uint32 words. */
function int128(words: Uint32Array, at: number): bigint {
  const v =
    (BigInt(words[at + 3]!) << 96n) | (BigInt(words[at + 2]!) << 64n) | (BigInt(words[at + 1]!) << 32n) | BigInt(words[at]!);
  return words[at + 3]! & 0x80000000 ? v - (1n << 128n) : v;
}

/** A plain Uint8Array copy: a row may outlive the fetch buffer (and the source may be a Buffer). */
function copyBytes(src: Uint8Array, start: number, end: number): Uint8Array {
  return new Uint8Array(src.subarray(start, end));
}

/** Wraps a value reader with the column's validity bitmap. */
function withNulls(data: Data, read: ColumnReader): ColumnReader {
  const bitmap = data.nullBitmap;
  if (!bitmap || bitmap.length === 0 || data.nullCount === 0) return read;
  const off = data.offset;
  return (i) => {
    const j = off + i;
    return (bitmap[j >> 3]! & (1 << (j & 7))) === 0 ? null : read(i);
  };
}

function valueBinder(type: DataType): ColumnBinder {
  switch (type.root) {
    case "BOOLEAN":
      return (d) => {
        const v = values<Uint8Array>(d);
        const off = d.offset;
        return (i) => (v[(off + i) >> 3]! & (1 << ((off + i) & 7))) !== 0;
      };
    case "TINYINT":
    case "SMALLINT":
    case "INTEGER":
    case "FLOAT":
    case "DOUBLE":
    case "BIGINT":
      return (d) => {
        const v = values<ArrayLike<number | bigint>>(d);
        return (i) => v[i];
      };
    case "DECIMAL": {
      const scale = type.scale;
      return (d) => {
        const v = values<Uint32Array>(d);
        return (i) => new Decimal(int128(v, i * 4), scale);
      };
    }
    case "CHAR":
    case "STRING":
      return (d) => {
        const v = values<Uint8Array>(d);
        const o = offsets(d);
        // Buffer#toString on one shared view is much faster than TextDecoder for short strings
        if (hasBuffer) {
          const buf = Buffer.from(v.buffer, v.byteOffset, v.byteLength);
          return (i) => buf.toString("utf8", o[i]!, o[i + 1]!);
        }
        return (i) => textDecoder.decode(v.subarray(o[i]!, o[i + 1]!));
      };
    case "BYTES":
      return (d) => {
        const v = values<Uint8Array>(d);
        const o = offsets(d);
        return (i) => copyBytes(v, o[i]!, o[i + 1]!);
      };
    case "BINARY": {
      const n = type.length;
      return (d) => {
        const v = values<Uint8Array>(d);
        return (i) => copyBytes(v, i * n, (i + 1) * n);
      };
    }
    case "DATE":
      return (d) => {
        const v = values<Int32Array>(d);
        return (i) => new Date(v[i]! * MILLIS_PER_DAY);
      };
    case "TIME_WITHOUT_TIME_ZONE": {
      const p = type.precision;
      return (d) => {
        if (p === 0) {
          const v = values<Int32Array>(d);
          return (i) => v[i]! * 1000;
        }
        if (p <= 3) {
          const v = values<Int32Array>(d);
          return (i) => v[i];
        }
        const v = values<BigInt64Array>(d);
        const div = p <= 6 ? 1000n : 1_000_000n;
        return (i) => Number(floorDiv(v[i]!, div));
      };
    }
    case "TIMESTAMP_WITHOUT_TIME_ZONE":
    case "TIMESTAMP_WITH_LOCAL_TIME_ZONE": {
      const p = type.precision;
      return (d) => {
        const v = values<BigInt64Array>(d);
        if (p === 0) return (i) => new Timestamp(Number(v[i]!) * 1000);
        if (p <= 3) return (i) => new Timestamp(Number(v[i]!));
        if (p <= 6) return (i) => Timestamp.fromEpochMicros(v[i]!);
        return (i) => Timestamp.fromEpochNanos(v[i]!);
      };
    }
    case "ARRAY": {
      const element = columnBinder(type.elementType);
      return (d) => {
        const o = offsets(d);
        const read = element(d.children[0]!);
        return (i) => {
          const start = o[i]!;
          const out: unknown[] = new Array(o[i + 1]! - start);
          for (let j = 0; j < out.length; j++) out[j] = read(start + j);
          return out;
        };
      };
    }
    case "MAP": {
      const keyBinder = columnBinder(type.keyType);
      const valueBinderFn = columnBinder(type.valueType);
      return (d) => {
        const o = offsets(d);
        const entries = d.children[0]!;
        const key = keyBinder(entries.children[0]!);
        const value = valueBinderFn(entries.children[1]!);
        return (i) => {
          const out = new Map<unknown, unknown>();
          for (let k = o[i]!; k < o[i + 1]!; k++) out.set(key(k), value(k));
          return out;
        };
      };
    }
    case "ROW": {
      const factory = rowFactory(type.fields.map((f) => f.name));
      const binders = type.fields.map((f) => columnBinder(f.type));
      return (d) => {
        const readers = binders.map((b, k) => b(d.children[k]!));
        return (i) => factory(readers, i);
      };
    }
  }
}

/** The null-aware binder of a Fluss type. */
export function columnBinder(type: DataType): ColumnBinder {
  const bindValue = valueBinder(type);
  return (data) => withNulls(data, bindValue(data));
}

/** Builds `{ name0: readers[0](i), ... }` for fixed names. */
type RowFactory = (readers: readonly ColumnReader[], index: number) => Record<string, unknown>;

/**
 * A row-object factory: an object literal with the column names as keys, so every row
 * gets the same hidden class at once (much faster than adding keys one by one).
 */
function rowFactory(names: readonly string[]): RowFactory {
  if (names.length <= 64 && !names.includes("__proto__")) {
    const props = names.map((n, k) => `${JSON.stringify(n)}: r[${k}](i)`).join(", ");
    try {
      return new Function("r", "i", `return { ${props} };`) as RowFactory;
    } catch {
      // no runtime code generation (e.g. --disallow-code-generation-from-strings)
    }
  }
  return (readers, i) => {
    const out: Record<string, unknown> = {};
    for (let k = 0; k < names.length; k++)
      Object.defineProperty(out, names[k]!, { value: readers[k]!(i), enumerable: true, writable: true, configurable: true });
    return out;
  };
}

/**
 * Converts Arrow record batches whose columns follow `rowType` (same order) into row
 * objects keyed by field name.
 */
export class ArrowRowConverter {
  private readonly binders: ColumnBinder[];
  private readonly factory: RowFactory;

  constructor(readonly rowType: RowType) {
    this.binders = rowType.fields.map((f) => columnBinder(f.type));
    this.factory = rowFactory(rowType.fields.map((f) => f.name));
  }

  /** Readers over the given columns (field order), to pass to {@link row}. */
  bind(columns: readonly Data[]): ColumnReader[] {
    return this.binders.map((b, k) => b(columns[k]!));
  }

  /** The row at `index`. */
  row(readers: readonly ColumnReader[], index: number): Record<string, unknown> {
    return this.factory(readers, index);
  }

  /** Every row of a single-chunk batch from `start`. */
  rows(batch: RecordBatch, start = 0): Record<string, unknown>[] {
    const readers = this.bind(batch.data.children as Data[]);
    const out: Record<string, unknown>[] = new Array(Math.max(0, batch.numRows - start));
    for (let i = start; i < batch.numRows; i++) out[i - start] = this.factory(readers, i);
    return out;
  }
}
