/**
 * Growable Arrow column buffers, one class per physical layout, filled from canonical
 * JS values (see `src/row/values.ts`). Used by {@link ArrowBatchBuilder}.
 *
 * Every column writes a validity bitmap (like arrow-java), so readers never see an
 * omitted one. Value conversions follow Fluss's Java Arrow writers (formats.md §3.3).
 */
import type { DataType, RowType } from "../../metadata/data-types.js";
import type { Decimal, Timestamp } from "../../row/values.js";
import { FlussError } from "../../rpc/errors.js";
import type { IpcFieldNode } from "./ipc-message.js";

const MS_PER_DAY = 86_400_000;
const TWO_32 = 4294967296;
const textEncoder = new TextEncoder();

function grow<T extends Uint8Array | Int8Array | Int16Array | Int32Array | Float32Array | Float64Array | BigInt64Array>(
  arr: T,
  need: number,
  make: (n: number) => T,
): T {
  if (need <= arr.length) return arr;
  let cap = arr.length * 2;
  while (cap < need) cap *= 2;
  const next = make(cap);
  next.set(arr as never);
  return next;
}

/** A column under construction. */
export abstract class ArrowColumn {
  length = 0;
  nullCount = 0;
  protected validity = new Uint8Array(16);

  /** Appends one canonical value (`null`/`undefined` = null). */
  append(value: unknown): void {
    const i = this.length;
    if (i >> 3 >= this.validity.length) this.validity = grow(this.validity, (i >> 3) + 1, (n) => new Uint8Array(n));
    if (value === null || value === undefined) {
      this.nullCount++;
      this.appendNull(i);
    } else {
      this.validity[i >> 3]! |= 1 << (i & 7);
      this.appendValue(value, i);
    }
    this.length = i + 1;
  }

  /** Appends `bytes[start, end)` as one non-null Utf8/Binary value (the server's changelog transcoder). */
  appendBytes(bytes: Uint8Array, start: number, end: number): void {
    this.append(bytes.subarray(start, end));
  }

  protected abstract appendValue(value: unknown, index: number): void;
  protected abstract appendNull(index: number): void;

  /** Pushes this column's field nodes and raw buffers in Arrow pre-order. */
  collect(nodes: IpcFieldNode[], buffers: Uint8Array[]): void {
    nodes.push({ length: this.length, nullCount: this.nullCount });
    buffers.push(this.validity.subarray(0, (this.length + 7) >> 3));
    this.collectData(nodes, buffers);
  }

  protected abstract collectData(nodes: IpcFieldNode[], buffers: Uint8Array[]): void;

  /** Approximate body bytes (8-aligned buffers) this column would serialize to. */
  byteSize(): number {
    return ((((this.length + 7) >> 3) + 7) & ~7) + this.dataByteSize();
  }

  protected abstract dataByteSize(): number;

  /** Forgets all values, keeping the allocated capacity. */
  reset(): void {
    this.validity.fill(0, 0, (this.length + 7) >> 3);
    this.length = 0;
    this.nullCount = 0;
    this.resetData();
  }

  protected abstract resetData(): void;
}

const pad8 = (n: number): number => (n + 7) & ~7;

class BoolColumn extends ArrowColumn {
  private bits = new Uint8Array(16);
  protected appendValue(value: unknown, i: number): void {
    if (i >> 3 >= this.bits.length) this.bits = grow(this.bits, (i >> 3) + 1, (n) => new Uint8Array(n));
    if (value) this.bits[i >> 3]! |= 1 << (i & 7);
  }
  protected appendNull(i: number): void {
    if (i >> 3 >= this.bits.length) this.bits = grow(this.bits, (i >> 3) + 1, (n) => new Uint8Array(n));
  }
  protected collectData(_n: IpcFieldNode[], buffers: Uint8Array[]): void {
    buffers.push(this.bits.subarray(0, (this.length + 7) >> 3));
  }
  protected dataByteSize(): number {
    return pad8((this.length + 7) >> 3);
  }
  protected resetData(): void {
    this.bits.fill(0, 0, (this.length + 7) >> 3);
  }
}

type NumArray = Int8Array | Int16Array | Int32Array | Float32Array | Float64Array;

/** 1/2/4-byte ints and floats held in a JS-number typed array. */
class NumberColumn<T extends NumArray> extends ArrowColumn {
  private data: T;
  constructor(
    private readonly make: (n: number) => T,
    private readonly convert: (value: unknown) => number,
  ) {
    super();
    this.data = make(16);
  }
  protected appendValue(value: unknown, i: number): void {
    if (i >= this.data.length) this.data = grow(this.data, i + 1, this.make);
    this.data[i] = this.convert(value);
  }
  protected appendNull(i: number): void {
    if (i >= this.data.length) this.data = grow(this.data, i + 1, this.make);
    this.data[i] = 0;
  }
  protected collectData(_n: IpcFieldNode[], buffers: Uint8Array[]): void {
    buffers.push(new Uint8Array(this.data.buffer, 0, this.length * this.data.BYTES_PER_ELEMENT));
  }
  protected dataByteSize(): number {
    return pad8(this.length * this.data.BYTES_PER_ELEMENT);
  }
  protected resetData(): void {}
}

/**
 * int64 values; `write` stores either a bigint (into `big`) or a safe-integer number
 * (as lo/hi words into `words`), both views of the same memory.
 */
class Int64Column extends ArrowColumn {
  private big = new BigInt64Array(16);
  private words = new Int32Array(this.big.buffer);
  constructor(private readonly write: (col: Int64Column, value: unknown, i: number) => void) {
    super();
  }
  private ensure(i: number): void {
    if (i >= this.big.length) {
      this.big = grow(this.big, i + 1, (n) => new BigInt64Array(n));
      this.words = new Int32Array(this.big.buffer);
    }
  }
  setBig(i: number, v: bigint): void {
    this.big[i] = v;
  }
  setNumber(i: number, v: number): void {
    this.words[2 * i] = v >>> 0; // ToUint32 is `v mod 2^32` for integral v
    this.words[2 * i + 1] = Math.floor(v / TWO_32);
  }
  protected appendValue(value: unknown, i: number): void {
    this.ensure(i);
    this.write(this, value, i);
  }
  protected appendNull(i: number): void {
    this.ensure(i);
    this.big[i] = 0n;
  }
  protected collectData(_n: IpcFieldNode[], buffers: Uint8Array[]): void {
    buffers.push(new Uint8Array(this.big.buffer, 0, this.length * 8));
  }
  protected dataByteSize(): number {
    return this.length * 8;
  }
  protected resetData(): void {}
}

/** Decimal(p, s, 128): 16-byte little-endian two's complement unscaled values. */
class Decimal128Column extends ArrowColumn {
  private data = new BigInt64Array(32);
  private ensure(i: number): void {
    if (2 * i + 1 >= this.data.length) this.data = grow(this.data, 2 * i + 2, (n) => new BigInt64Array(n));
  }
  protected appendValue(value: unknown, i: number): void {
    this.ensure(i);
    const v = typeof value === "bigint" ? value : (value as Decimal).unscaled;
    this.data[2 * i] = BigInt.asIntN(64, v);
    this.data[2 * i + 1] =
      v >= -0x8000000000000000n && v <= 0x7fffffffffffffffn ? (v < 0n ? -1n : 0n) : BigInt.asIntN(64, v >> 64n);
  }
  protected appendNull(i: number): void {
    this.ensure(i);
    this.data[2 * i] = 0n;
    this.data[2 * i + 1] = 0n;
  }
  protected collectData(_n: IpcFieldNode[], buffers: Uint8Array[]): void {
    buffers.push(new Uint8Array(this.data.buffer, 0, this.length * 16));
  }
  protected dataByteSize(): number {
    return this.length * 16;
  }
  protected resetData(): void {}
}

/** Utf8 / Binary: int32 offsets + data bytes. */
class VarBinaryColumn extends ArrowColumn {
  private offsets = new Int32Array(16);
  private data = new Uint8Array(256);
  private end = 0;
  constructor(private readonly isString: boolean) {
    super();
  }
  private ensureData(n: number): void {
    if (this.end + n > this.data.length) this.data = grow(this.data, this.end + n, (c) => new Uint8Array(c));
  }
  protected appendValue(value: unknown, i: number): void {
    if (i + 1 >= this.offsets.length) this.offsets = grow(this.offsets, i + 2, (n) => new Int32Array(n));
    if (this.isString && !(value instanceof Uint8Array)) {
      const s = value as string;
      this.ensureData(s.length * 3);
      this.end += textEncoder.encodeInto(s, this.data.subarray(this.end)).written;
    } else {
      // bytes, or a string column's value already UTF-8 encoded (the server's changelog transcoder)
      const b = value as Uint8Array;
      this.ensureData(b.length);
      this.data.set(b, this.end);
      this.end += b.length;
    }
    this.offsets[i + 1] = this.end;
  }
  protected appendNull(i: number): void {
    if (i + 1 >= this.offsets.length) this.offsets = grow(this.offsets, i + 2, (n) => new Int32Array(n));
    this.offsets[i + 1] = this.end;
  }
  /** As `append(bytes.subarray(start, end))`, without the subarray; short values copied in JS. */
  override appendBytes(bytes: Uint8Array, start: number, end: number): void {
    const i = this.length;
    if (i >> 3 >= this.validity.length) this.validity = grow(this.validity, (i >> 3) + 1, (n) => new Uint8Array(n));
    this.validity[i >> 3]! |= 1 << (i & 7);
    if (i + 1 >= this.offsets.length) this.offsets = grow(this.offsets, i + 2, (n) => new Int32Array(n));
    const n = end - start;
    this.ensureData(n);
    const d = this.data;
    const at = this.end;
    if (n <= 32) for (let k = 0; k < n; k++) d[at + k] = bytes[start + k]!;
    else d.set(bytes.subarray(start, end), at);
    this.end = at + n;
    this.offsets[i + 1] = this.end;
    this.length = i + 1;
  }
  protected collectData(_n: IpcFieldNode[], buffers: Uint8Array[]): void {
    buffers.push(new Uint8Array(this.offsets.buffer, 0, (this.length + 1) * 4));
    buffers.push(this.data.subarray(0, this.end));
  }
  protected dataByteSize(): number {
    return pad8((this.length + 1) * 4) + pad8(this.end);
  }
  protected resetData(): void {
    this.end = 0;
  }
}

/** FixedSizeBinary(n): values zero-padded (or cut) to n bytes. */
class FixedBinaryColumn extends ArrowColumn {
  private data: Uint8Array;
  constructor(private readonly width: number) {
    super();
    this.data = new Uint8Array(16 * width);
  }
  private ensure(i: number): void {
    const need = (i + 1) * this.width;
    if (need > this.data.length) this.data = grow(this.data, need, (n) => new Uint8Array(n));
  }
  protected appendValue(value: unknown, i: number): void {
    this.ensure(i);
    const b = value as Uint8Array;
    const at = i * this.width;
    if (b.length >= this.width) this.data.set(b.subarray(0, this.width), at);
    else {
      this.data.set(b, at);
      this.data.fill(0, at + b.length, at + this.width);
    }
  }
  protected appendNull(i: number): void {
    this.ensure(i);
    this.data.fill(0, i * this.width, (i + 1) * this.width);
  }
  protected collectData(_n: IpcFieldNode[], buffers: Uint8Array[]): void {
    buffers.push(this.data.subarray(0, this.length * this.width));
  }
  protected dataByteSize(): number {
    return pad8(this.length * this.width);
  }
  protected resetData(): void {}
}

/** List<T>: int32 offsets + child column. */
class ListColumn extends ArrowColumn {
  private offsets = new Int32Array(16);
  constructor(readonly child: ArrowColumn) {
    super();
  }
  protected appendValue(value: unknown, i: number): void {
    if (i + 1 >= this.offsets.length) this.offsets = grow(this.offsets, i + 2, (n) => new Int32Array(n));
    const arr = value as readonly unknown[];
    for (let k = 0; k < arr.length; k++) this.child.append(arr[k]);
    this.offsets[i + 1] = this.child.length;
  }
  protected appendNull(i: number): void {
    if (i + 1 >= this.offsets.length) this.offsets = grow(this.offsets, i + 2, (n) => new Int32Array(n));
    this.offsets[i + 1] = this.child.length;
  }
  protected collectData(nodes: IpcFieldNode[], buffers: Uint8Array[]): void {
    buffers.push(new Uint8Array(this.offsets.buffer, 0, (this.length + 1) * 4));
    this.child.collect(nodes, buffers);
  }
  protected dataByteSize(): number {
    return pad8((this.length + 1) * 4) + this.child.byteSize();
  }
  protected resetData(): void {
    this.child.reset();
  }
}

/** Map<K,V>: int32 offsets + a non-null "entries" struct of key and value columns. */
class MapColumn extends ArrowColumn {
  private offsets = new Int32Array(16);
  private entriesValidity = new Uint8Array(16);
  constructor(
    readonly keys: ArrowColumn,
    readonly values: ArrowColumn,
  ) {
    super();
  }
  protected appendValue(value: unknown, i: number): void {
    if (i + 1 >= this.offsets.length) this.offsets = grow(this.offsets, i + 2, (n) => new Int32Array(n));
    const entries = value instanceof Map ? value : new Map(Object.entries(value as Record<string, unknown>));
    for (const [k, v] of entries) {
      this.keys.append(k);
      this.values.append(v);
    }
    this.offsets[i + 1] = this.keys.length;
  }
  protected appendNull(i: number): void {
    if (i + 1 >= this.offsets.length) this.offsets = grow(this.offsets, i + 2, (n) => new Int32Array(n));
    this.offsets[i + 1] = this.keys.length;
  }
  protected collectData(nodes: IpcFieldNode[], buffers: Uint8Array[]): void {
    buffers.push(new Uint8Array(this.offsets.buffer, 0, (this.length + 1) * 4));
    const n = this.keys.length;
    const bytes = (n + 7) >> 3;
    if (bytes > this.entriesValidity.length) this.entriesValidity = new Uint8Array(bytes * 2);
    // entries are never null: all bits set (bits past n stay as padding)
    this.entriesValidity.fill(0xff, 0, bytes);
    if (n & 7) this.entriesValidity[bytes - 1] = (1 << (n & 7)) - 1;
    nodes.push({ length: n, nullCount: 0 });
    buffers.push(this.entriesValidity.subarray(0, bytes));
    this.keys.collect(nodes, buffers);
    this.values.collect(nodes, buffers);
  }
  protected dataByteSize(): number {
    return pad8((this.length + 1) * 4) + pad8((this.keys.length + 7) >> 3) + this.keys.byteSize() + this.values.byteSize();
  }
  protected resetData(): void {
    this.keys.reset();
    this.values.reset();
  }
}

/** Struct: one child column per field; a ROW value is an object keyed by field name. */
class StructColumn extends ArrowColumn {
  constructor(
    private readonly names: readonly string[],
    readonly children: readonly ArrowColumn[],
  ) {
    super();
  }
  protected appendValue(value: unknown): void {
    const children = this.children;
    if (Array.isArray(value)) {
      for (let k = 0; k < children.length; k++) children[k]!.append(value[k]);
    } else {
      const obj = value as Record<string, unknown>;
      for (let k = 0; k < children.length; k++) children[k]!.append(obj[this.names[k]!]);
    }
  }
  protected appendNull(): void {
    for (const c of this.children) c.append(null);
  }
  protected collectData(nodes: IpcFieldNode[], buffers: Uint8Array[]): void {
    for (const c of this.children) c.collect(nodes, buffers);
  }
  protected dataByteSize(): number {
    let n = 0;
    for (const c of this.children) n += c.byteSize();
    return n;
  }
  protected resetData(): void {
    for (const c of this.children) c.reset();
  }
}

// ---- value conversions (Java Arrow writers) ----

const toInt = (v: unknown): number => v as number;
const toDays = (v: unknown): number => (typeof v === "number" ? v : Math.floor((v as Date).getTime() / MS_PER_DAY));

function epochMillis(v: unknown): number {
  return typeof v === "number" ? v : (v as Date).getTime();
}
function nanosOf(v: unknown): number {
  return (v as Partial<Timestamp>).nanoOfMillis ?? 0;
}

/** Creates the column builder for a Fluss type. */
export function createArrowColumn(type: DataType): ArrowColumn {
  switch (type.root) {
    case "BOOLEAN":
      return new BoolColumn();
    case "TINYINT":
      return new NumberColumn((n) => new Int8Array(n), toInt);
    case "SMALLINT":
      return new NumberColumn((n) => new Int16Array(n), toInt);
    case "INTEGER":
      return new NumberColumn((n) => new Int32Array(n), toInt);
    case "BIGINT":
      return new Int64Column((c, v, i) => (typeof v === "bigint" ? c.setBig(i, v) : c.setNumber(i, v as number)));
    case "FLOAT":
      return new NumberColumn((n) => new Float32Array(n), toInt);
    case "DOUBLE":
      return new NumberColumn((n) => new Float64Array(n), toInt);
    case "DECIMAL":
      return new Decimal128Column();
    case "CHAR":
    case "STRING":
      return new VarBinaryColumn(true);
    case "BYTES":
      return new VarBinaryColumn(false);
    case "BINARY":
      return new FixedBinaryColumn(type.length);
    case "DATE":
      return new NumberColumn((n) => new Int32Array(n), toDays);
    case "TIME_WITHOUT_TIME_ZONE": {
      const p = type.precision;
      if (p === 0)
        return new NumberColumn(
          (n) => new Int32Array(n),
          (v) => Math.trunc((v as number) / 1000),
        );
      if (p <= 3) return new NumberColumn((n) => new Int32Array(n), toInt);
      if (p <= 6) return new Int64Column((c, v, i) => c.setNumber(i, (v as number) * 1000));
      return new Int64Column((c, v, i) => c.setNumber(i, (v as number) * 1_000_000));
    }
    case "TIMESTAMP_WITHOUT_TIME_ZONE":
    case "TIMESTAMP_WITH_LOCAL_TIME_ZONE": {
      const p = type.precision;
      if (p === 0) return new Int64Column((c, v, i) => c.setNumber(i, Math.trunc(epochMillis(v) / 1000)));
      if (p <= 3) return new Int64Column((c, v, i) => c.setNumber(i, epochMillis(v)));
      if (p <= 6) {
        return new Int64Column((c, v, i) => {
          const ms = epochMillis(v);
          const micros = ms * 1000 + Math.floor(nanosOf(v) / 1000);
          // Beyond ~±285 years from 1970 (e.g. the 9999-12-31 sentinel) ms·1000 is no longer
          // an exact double: fall back to bigint so the value is Java's exact long.
          if (Number.isSafeInteger(micros)) c.setNumber(i, micros);
          else c.setBig(i, BigInt(ms) * 1000n + BigInt(Math.floor(nanosOf(v) / 1000)));
        });
      }
      // ms·10^6 leaves the safe-integer range: use bigint
      return new Int64Column((c, v, i) => c.setBig(i, BigInt(epochMillis(v)) * 1_000_000n + BigInt(nanosOf(v))));
    }
    case "ARRAY":
      return new ListColumn(createArrowColumn(type.elementType));
    case "MAP":
      return new MapColumn(createArrowColumn(type.keyType), createArrowColumn(type.valueType));
    case "ROW":
      return createStructColumn(type);
    default:
      throw FlussError.client(`unsupported type for Arrow: ${(type as DataType).root}`);
  }
}

/** A struct column over the fields of a row type. */
function createStructColumn(rowType: RowType): ArrowColumn {
  return new StructColumn(
    rowType.fields.map((f) => f.name),
    rowType.fields.map((f) => createArrowColumn(f.type)),
  );
}

/** Field nodes and buffers per Arrow node for a Fluss type, pre-order (used by projection). */
export function arrowLayoutOf(type: DataType, out: number[] = []): number[] {
  switch (type.root) {
    case "CHAR":
    case "STRING":
    case "BYTES":
      out.push(3);
      break;
    case "ARRAY":
      out.push(2);
      arrowLayoutOf(type.elementType, out);
      break;
    case "MAP":
      out.push(2, 1);
      arrowLayoutOf(type.keyType, out);
      arrowLayoutOf(type.valueType, out);
      break;
    case "ROW":
      out.push(1);
      for (const f of type.fields) arrowLayoutOf(f.type, out);
      break;
    default:
      out.push(2);
  }
  return out;
}
