/**
 * Arrow columns → the JS value model of `src/row/values.ts`, for the record scanner.
 *
 * Readers are compiled once per Fluss type and read the arrow-js `Data` buffers
 * directly (no `Vector.get` visitor dispatch per value). Index conventions follow
 * arrow-js: primitive values and value offsets are indexed by the row index, validity
 * and boolean bits by `data.offset + index`.
 */
import type { Data, RecordBatch } from "apache-arrow";
import type { DataType, RowType } from "../../metadata/data-types.js";
import { Decimal, MILLIS_PER_DAY, Timestamp } from "../../row/values.js";

/** Reads the non-null value at `index` of a column. */
type ValueReader = (data: Data, index: number) => unknown;

const textDecoder = new TextDecoder();

function isNull(data: Data, index: number): boolean {
  const bitmap = data.nullBitmap;
  if (!bitmap || bitmap.length === 0 || data.nullCount === 0) return false;
  const i = data.offset + index;
  return (bitmap[i >> 3]! & (1 << (i & 7))) === 0;
}

function nullable(read: ValueReader): ValueReader {
  return (data, index) => (isNull(data, index) ? null : read(data, index));
}

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

// Strings: Node's Buffer#toString is much faster than TextDecoder on short values.
const hasBuffer = typeof Buffer !== "undefined";
function utf8(bytes: Uint8Array, start: number, end: number): string {
  if (end === start) return "";
  if (hasBuffer) return Buffer.from(bytes.buffer, bytes.byteOffset + start, end - start).toString("utf8");
  return textDecoder.decode(bytes.subarray(start, end));
}

function compileValue(type: DataType): ValueReader {
  switch (type.root) {
    case "BOOLEAN":
      return (d, i) => {
        const j = d.offset + i;
        return (values<Uint8Array>(d)[j >> 3]! & (1 << (j & 7))) !== 0;
      };
    case "TINYINT":
    case "SMALLINT":
    case "INTEGER":
    case "FLOAT":
    case "DOUBLE":
      return (d, i) => values<ArrayLike<number>>(d)[i];
    case "BIGINT":
      return (d, i) => values<BigInt64Array>(d)[i];
    case "DECIMAL": {
      const scale = type.scale;
      return (d, i) => new Decimal(int128(values<Uint32Array>(d), i * 4), scale);
    }
    case "CHAR":
    case "STRING":
      return (d, i) => {
        const o = offsets(d);
        return utf8(values<Uint8Array>(d), o[i]!, o[i + 1]!);
      };
    case "BYTES":
      return (d, i) => {
        const o = offsets(d);
        // copy: a row may outlive the fetch buffer it was decoded from
        return values<Uint8Array>(d).slice(o[i]!, o[i + 1]!);
      };
    case "BINARY": {
      const n = type.length;
      return (d, i) => values<Uint8Array>(d).slice(i * n, (i + 1) * n);
    }
    case "DATE":
      return (d, i) => new Date(values<Int32Array>(d)[i]! * MILLIS_PER_DAY);
    case "TIME_WITHOUT_TIME_ZONE": {
      const p = type.precision;
      if (p === 0) return (d, i) => values<Int32Array>(d)[i]! * 1000;
      if (p <= 3) return (d, i) => values<Int32Array>(d)[i];
      if (p <= 6) return (d, i) => Number(floorDiv(values<BigInt64Array>(d)[i]!, 1000n));
      return (d, i) => Number(floorDiv(values<BigInt64Array>(d)[i]!, 1_000_000n));
    }
    case "TIMESTAMP_WITHOUT_TIME_ZONE":
    case "TIMESTAMP_WITH_LOCAL_TIME_ZONE": {
      const p = type.precision;
      if (p === 0) return (d, i) => new Timestamp(Number(values<BigInt64Array>(d)[i]!) * 1000);
      if (p <= 3) return (d, i) => new Timestamp(Number(values<BigInt64Array>(d)[i]!));
      if (p <= 6) return (d, i) => Timestamp.fromEpochMicros(values<BigInt64Array>(d)[i]!);
      return (d, i) => Timestamp.fromEpochNanos(values<BigInt64Array>(d)[i]!);
    }
    case "ARRAY": {
      const element = compileColumnReader(type.elementType);
      return (d, i) => {
        const o = offsets(d);
        const child = d.children[0]!;
        const out: unknown[] = new Array(o[i + 1]! - o[i]!);
        for (let k = o[i]!, j = 0; k < o[i + 1]!; k++, j++) out[j] = element(child, k);
        return out;
      };
    }
    case "MAP": {
      const key = compileColumnReader(type.keyType);
      const value = compileColumnReader(type.valueType);
      return (d, i) => {
        const o = offsets(d);
        const entries = d.children[0]!;
        const keys = entries.children[0]!;
        const vals = entries.children[1]!;
        const out = new Map<unknown, unknown>();
        for (let k = o[i]!; k < o[i + 1]!; k++) out.set(key(keys, k), value(vals, k));
        return out;
      };
    }
    case "ROW": {
      const names = type.fields.map((f) => f.name);
      const readers = type.fields.map((f) => compileColumnReader(f.type));
      return (d, i) => {
        const out: Record<string, unknown> = {};
        for (let k = 0; k < names.length; k++) out[names[k]!] = readers[k]!(d.children[k]!, i);
        return out;
      };
    }
  }
}

/** A reader of one column's values (null-aware) for a Fluss type. */
export function compileColumnReader(type: DataType): ValueReader {
  return nullable(compileValue(type));
}

/**
 * Converts Arrow record batches whose columns follow `rowType` (same order) into row
 * objects keyed by field name.
 */
export class ArrowRowConverter {
  private readonly names: string[];
  private readonly readers: ValueReader[];

  constructor(readonly rowType: RowType) {
    this.names = rowType.fields.map((f) => f.name);
    this.readers = rowType.fields.map((f) => compileColumnReader(f.type));
  }

  /** The row at `index` of `batch`. */
  row(columns: readonly Data[], index: number): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    const names = this.names;
    const readers = this.readers;
    for (let k = 0; k < names.length; k++) out[names[k]!] = readers[k]!(columns[k]!, index);
    return out;
  }

  /** The column data of a single-chunk batch, in field order. */
  columns(batch: RecordBatch): Data[] {
    return batch.data.children as Data[];
  }

  /** Every row of `batch` from `start`. */
  rows(batch: RecordBatch, start = 0): Record<string, unknown>[] {
    const cols = this.columns(batch);
    const out: Record<string, unknown>[] = new Array(Math.max(0, batch.numRows - start));
    for (let i = start; i < batch.numRows; i++) out[i - start] = this.row(cols, i);
    return out;
  }
}
