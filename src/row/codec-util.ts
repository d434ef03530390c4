/**
 * Small helpers shared by the row codecs: fast varints with Java semantics, DECIMAL
 * unscaled bytes (`BigInteger.toByteArray()` form), and reading canonical values.
 */
import type { RowType } from "../metadata/data-types.js";
import type { ByteReader, ByteWriter } from "../util/bytes.js";
import { type Decimal, MILLIS_PER_DAY, type Timestamp } from "./values.js";

/** Writes `value` into a row; the value is canonical and non-null. */
export type ValueWriter = (w: ByteWriter, value: unknown) => void;
/** Reads a value stored at `bytes[offset, offset + length)`. */
export type SpanReader = (bytes: Uint8Array, offset: number, length: number) => unknown;

/**
 * How nested ROW values are encoded inside ARRAY/MAP elements: in the enclosing row's
 * format (IndexedRow inside indexed rows, CompactedRow inside compacted rows and keys).
 */
export interface NestedRowFormat {
  readonly name: string;
  /** Compiles a writer that puts a whole nested row (no length prefix) at `w.pos`. */
  rowWriter(type: RowType): ValueWriter;
  /** Compiles a reader that decodes a nested row into a plain object. */
  rowReader(type: RowType): SpanReader;
}

const TWO_32 = 0x1_0000_0000;

/**
 * Unsigned LEB128 of a 64-bit value, negative values as their unsigned 64-bit form (10
 * bytes), exactly as Java `CompactedRowWriter.writeLong`. Avoids bigint math when the
 * value fits a safe integer.
 */
export function writeVarint64(w: ByteWriter, v: bigint | number): void {
  let n: number;
  if (typeof v === "bigint") {
    if (v < 0n || v > 9007199254740991n) {
      w.varint64(v);
      return;
    }
    n = Number(v);
  } else {
    if (v < 0 || !Number.isSafeInteger(v)) {
      w.varint64(BigInt(v));
      return;
    }
    n = v;
  }
  if (n < TWO_32) {
    w.varint32(n);
    return;
  }
  w.ensure(10);
  const buf = w.buf;
  let pos = w.pos;
  while (n > 0x7f) {
    buf[pos++] = (n % 128) | 0x80;
    n = Math.floor(n / 128);
  }
  buf[pos++] = n;
  w.pos = pos;
}

/** Reads an unsigned LEB128 of up to 10 bytes as a signed int64 (Java semantics). */
export function readVarint64(r: ByteReader): bigint {
  let result = 0;
  let mul = 1;
  for (let i = 0; i < 7; i++) {
    const b = r.u8();
    result += (b & 0x7f) * mul;
    if (b < 0x80) return BigInt(result);
    mul *= 128;
  }
  let big = BigInt(result);
  for (let shift = 49n; shift < 70n; shift += 7n) {
    const b = r.u8();
    big |= BigInt(b & 0x7f) << shift;
    if (b < 0x80) return BigInt.asIntN(64, big);
  }
  throw new RangeError("malformed varint64");
}

/** Like {@link readVarint64} but returns a number (for epoch millis). */
export function readVarint64Number(r: ByteReader): number {
  let result = 0;
  let mul = 1;
  for (let i = 0; i < 7; i++) {
    const b = r.u8();
    result += (b & 0x7f) * mul;
    if (b < 0x80) return result;
    mul *= 128;
  }
  r.pos -= 7;
  return Number(readVarint64(r));
}

/** Byte length of `BigInteger.toByteArray()` for `v`: minimal two's complement. */
export function unscaledByteLength(v: bigint): number {
  const mag = v < 0n ? -v - 1n : v;
  if (mag === 0n) return 1;
  const hex = mag.toString(16);
  const top = hex.charCodeAt(0);
  const d = top <= 57 ? top - 48 : top - 87;
  const bitLen = hex.length * 4 - (d >= 8 ? 0 : d >= 4 ? 1 : d >= 2 ? 2 : 3);
  return (bitLen >> 3) + 1;
}

/** Writes `v` as Java `BigInteger.toByteArray()` (big-endian two's complement); returns its length. */
export function writeUnscaledBytes(w: ByteWriter, v: bigint): number {
  const n = unscaledByteLength(v);
  w.ensure(n);
  let x = BigInt.asUintN(n * 8, v);
  const buf = w.buf;
  for (let i = w.pos + n - 1; i >= w.pos; i--) {
    buf[i] = Number(x & 0xffn);
    x >>= 8n;
  }
  w.pos += n;
  return n;
}

/** Parses big-endian two's complement bytes into a bigint. */
export function readUnscaledBytes(bytes: Uint8Array, offset: number, length: number): bigint {
  if (length === 0) return 0n;
  let x = 0n;
  for (let i = 0; i < length; i++) x = (x << 8n) | BigInt(bytes[offset + i]!);
  return BigInt.asIntN(length * 8, x);
}

/** The unscaled value of a DECIMAL at the type's scale. */
export function unscaledOf(v: unknown, scale: number): bigint {
  const d = v as Decimal;
  return d.scale === scale ? d.unscaled : d.rescale(scale).unscaled;
}

/** Days since epoch of a DATE value (a `Date` at UTC midnight, or a day number). */
export function dateToDays(v: unknown): number {
  return typeof v === "number" ? v : Math.floor((v as Date).getTime() / MILLIS_PER_DAY);
}

/** Decoded DATE value. */
export function daysToDate(days: number): Date {
  return new Date(days * MILLIS_PER_DAY);
}

/** Epoch millis of a TIMESTAMP value (`Timestamp` or `Date`). */
export function tsMillis(v: unknown): number {
  return (v as Date).getTime();
}

/** Nanos within the millisecond of a TIMESTAMP value (0 for a plain `Date`). */
export function tsNanos(v: unknown): number {
  return (v as Partial<Timestamp>).nanoOfMillis ?? 0;
}

/** Field values of a nested ROW value: a plain object keyed by field name, or an array. */
export function nestedRowValues(type: RowType, v: unknown): readonly unknown[] {
  if (Array.isArray(v)) return v;
  const obj = v as Record<string, unknown>;
  const fields = type.fields;
  const out = new Array<unknown>(fields.length);
  for (let i = 0; i < fields.length; i++) out[i] = obj[fields[i]!.name];
  return out;
}

/** Builds the plain object for a decoded nested ROW. */
export function rowObject(names: readonly string[], values: readonly unknown[]): Record<string, unknown> {
  const o: Record<string, unknown> = {};
  for (let i = 0; i < names.length; i++) o[names[i]!] = values[i];
  return o;
}

/** Entries of a MAP value (a `Map`, or a plain object with string keys). */
export function mapEntries(v: unknown): [unknown[], unknown[]] {
  const keys: unknown[] = [];
  const values: unknown[] = [];
  if (v instanceof Map) {
    for (const [k, val] of v) {
      keys.push(k);
      values.push(val);
    }
  } else {
    const obj = v as Record<string, unknown>;
    for (const k in obj) {
      keys.push(k);
      values.push(obj[k]);
    }
  }
  return [keys, values];
}

const TWO_32_F = 4294967296;

/** Writes a safe-integer `n` as int64 LE without going through bigint. */
export function writeI64Number(w: ByteWriter, n: number): void {
  w.ensure(8);
  w.view.setUint32(w.pos, n >>> 0, true);
  w.view.setInt32(w.pos + 4, Math.floor(n / TWO_32_F), true);
  w.pos += 8;
}

/** Reads an int64 LE as a number (exact for safe integers, e.g. epoch millis). */
export function readI64Number(view: DataView, pos: number): number {
  return view.getInt32(pos + 4, true) * TWO_32_F + view.getUint32(pos, true);
}
