/**
 * BinaryArray (formats.md §5.3), the ARRAY encoding inside every row format:
 * `[int32 n][null bits: 4·ceil(n/32)][n fixed slots][variable part]`, fixed region
 * rounded up to 8 bytes, variable data 8-aligned with offsets relative to the array start.
 */
import { type DataType, isCompactDecimal, isCompactTimestamp } from "../metadata/data-types.js";
import { FlussError } from "../rpc/errors.js";
import { ByteWriter, utf8Decode } from "../util/bytes.js";
import {
  type NestedRowFormat,
  type SpanReader,
  dateToDays,
  daysToDate,
  mapEntries,
  readUnscaledBytes,
  tsMillis,
  tsNanos,
  unscaledOf,
  writeUnscaledBytes,
} from "./codec-util.js";
import { Decimal, Timestamp } from "./values.js";

/** Writes a whole BinaryArray of `values` at `w.pos`. */
export type ArrayWriter = (w: ByteWriter, values: readonly unknown[]) => void;
/** Decodes a BinaryArray stored at `bytes[offset, offset + length)`. */
export type ArrayReader = (bytes: Uint8Array, offset: number, length: number) => unknown[];

/** Bytes of the `[int32 n][null bits]` header. */
function arrayHeaderSize(n: number): number {
  return 4 + ((n + 31) >>> 5) * 4;
}

/** Width of one element slot (Java `BinaryArray.calculateFixLengthPartSize`). */
function arraySlotSize(t: DataType): number {
  switch (t.root) {
    case "BOOLEAN":
    case "TINYINT":
      return 1;
    case "SMALLINT":
      return 2;
    case "INTEGER":
    case "FLOAT":
    case "DATE":
    case "TIME_WITHOUT_TIME_ZONE":
      return 4;
    default:
      return 8;
  }
}

/** Writes one non-null element; `slot` is the absolute slot position in `w`, `base` the array start. */
type SlotWriter = (w: ByteWriter, base: number, slot: number, v: unknown) => void;
/** Reads one non-null element from its slot. */
type SlotReader = (bytes: Uint8Array, view: DataView, base: number, slot: number) => unknown;

function setOffsetAndSize(w: ByteWriter, slot: number, offset: number, size: number): void {
  w.view.setUint32(slot, size >>> 0, true);
  w.view.setUint32(slot + 4, offset, true);
}

/** Zero-pads the variable part to a multiple of 8 bytes from `base`. */
function pad8(w: ByteWriter, base: number): void {
  const rem = (w.pos - base) & 7;
  if (rem !== 0) w.zeros(8 - rem);
}

/** Inline (≤ 7 bytes, byte 7 = 0x80|len) or variable-part bytes already sitting at `start`. */
function placeBytes(w: ByteWriter, base: number, slot: number, start: number): void {
  const len = w.pos - start;
  if (len <= 7) {
    const buf = w.buf;
    for (let i = 0; i < len; i++) buf[slot + i] = buf[start + i]!;
    buf[slot + 7] = 0x80 | len;
    w.pos = start;
  } else {
    setOffsetAndSize(w, slot, start - base, len);
    pad8(w, base);
  }
}

/** Writes a variable-part value with `write` and points the slot at it. */
function varPart(write: (w: ByteWriter, v: unknown) => void): SlotWriter {
  return (w, base, slot, v) => {
    const start = w.pos;
    write(w, v);
    setOffsetAndSize(w, slot, start - base, w.pos - start);
    pad8(w, base);
  };
}

function bytesAt(bytes: Uint8Array, view: DataView, base: number, slot: number): Uint8Array {
  const mark = bytes[slot + 7]!;
  if ((mark & 0x80) !== 0) {
    const len = mark & 0x7f;
    return bytes.slice(slot, slot + len);
  }
  const size = view.getUint32(slot, true);
  const off = view.getUint32(slot + 4, true);
  return bytes.slice(base + off, base + off + size);
}

function stringAt(bytes: Uint8Array, view: DataView, base: number, slot: number): string {
  const mark = bytes[slot + 7]!;
  if ((mark & 0x80) !== 0) return utf8Decode(bytes, slot, slot + (mark & 0x7f));
  const size = view.getUint32(slot, true);
  const off = view.getUint32(slot + 4, true);
  return utf8Decode(bytes, base + off, base + off + size);
}

/** Reads a variable-part value through `read`. */
function varSpan(read: SpanReader): SlotReader {
  return (bytes, view, base, slot) => {
    const size = view.getUint32(slot, true);
    const off = view.getUint32(slot + 4, true);
    return read(bytes, base + off, size);
  };
}

/** Compiles the writer for one element type (also used by AlignedRow-style key writers). */
export function compileSlotWriter(t: DataType, format: NestedRowFormat): SlotWriter {
  switch (t.root) {
    case "BOOLEAN":
      return (w, _b, slot, v) => void (w.buf[slot] = v ? 1 : 0);
    case "TINYINT":
      return (w, _b, slot, v) => w.view.setInt8(slot, v as number);
    case "SMALLINT":
      return (w, _b, slot, v) => w.view.setInt16(slot, v as number, true);
    case "INTEGER":
    case "TIME_WITHOUT_TIME_ZONE":
      return (w, _b, slot, v) => w.view.setInt32(slot, v as number, true);
    case "DATE":
      return (w, _b, slot, v) => w.view.setInt32(slot, dateToDays(v), true);
    case "FLOAT":
      return (w, _b, slot, v) => w.view.setFloat32(slot, v as number, true);
    case "DOUBLE":
      return (w, _b, slot, v) => w.view.setFloat64(slot, v as number, true);
    case "BIGINT":
      return (w, _b, slot, v) => w.view.setBigInt64(slot, BigInt(v as bigint), true);
    case "DECIMAL": {
      const { scale } = t;
      if (isCompactDecimal(t)) {
        return (w, _b, slot, v) => w.view.setBigInt64(slot, unscaledOf(v, scale), true);
      }
      return (w, base, slot, v) => {
        const start = w.pos;
        w.zeros(16);
        w.pos = start;
        const n = writeUnscaledBytes(w, unscaledOf(v, scale));
        setOffsetAndSize(w, slot, start - base, n);
        w.pos = start + 16;
      };
    }
    case "TIMESTAMP_WITHOUT_TIME_ZONE":
    case "TIMESTAMP_WITH_LOCAL_TIME_ZONE":
      if (isCompactTimestamp(t)) {
        return (w, _b, slot, v) => w.view.setBigInt64(slot, BigInt(tsMillis(v)), true);
      }
      return (w, base, slot, v) => {
        const start = w.pos;
        w.i64(tsMillis(v));
        setOffsetAndSize(w, slot, start - base, tsNanos(v));
      };
    case "CHAR":
    case "STRING":
      return (w, base, slot, v) => {
        const start = w.pos;
        w.utf8(v as string);
        placeBytes(w, base, slot, start);
      };
    case "BINARY":
    case "BYTES":
      return (w, base, slot, v) => {
        const start = w.pos;
        w.bytes(v as Uint8Array);
        placeBytes(w, base, slot, start);
      };
    case "ARRAY": {
      const inner = compileArrayWriter(t.elementType, format);
      return varPart((w, v) => inner(w, v as readonly unknown[]));
    }
    case "MAP":
      return varPart(compileMapWriter(t.keyType, t.valueType, format));
    case "ROW":
      return varPart(format.rowWriter(t));
  }
}

/** Compiles the reader for one element type. */
function compileSlotReader(t: DataType, format: NestedRowFormat): SlotReader {
  switch (t.root) {
    case "BOOLEAN":
      return (bytes, _v, _b, slot) => bytes[slot] !== 0;
    case "TINYINT":
      return (_bytes, view, _b, slot) => view.getInt8(slot);
    case "SMALLINT":
      return (_bytes, view, _b, slot) => view.getInt16(slot, true);
    case "INTEGER":
    case "TIME_WITHOUT_TIME_ZONE":
      return (_bytes, view, _b, slot) => view.getInt32(slot, true);
    case "DATE":
      return (_bytes, view, _b, slot) => daysToDate(view.getInt32(slot, true));
    case "FLOAT":
      return (_bytes, view, _b, slot) => view.getFloat32(slot, true);
    case "DOUBLE":
      return (_bytes, view, _b, slot) => view.getFloat64(slot, true);
    case "BIGINT":
      return (_bytes, view, _b, slot) => view.getBigInt64(slot, true);
    case "DECIMAL": {
      const { scale } = t;
      if (isCompactDecimal(t)) {
        return (_bytes, view, _b, slot) => new Decimal(view.getBigInt64(slot, true), scale);
      }
      return (bytes, view, base, slot) => {
        const size = view.getUint32(slot, true);
        const off = view.getUint32(slot + 4, true);
        return new Decimal(readUnscaledBytes(bytes, base + off, size), scale);
      };
    }
    case "TIMESTAMP_WITHOUT_TIME_ZONE":
    case "TIMESTAMP_WITH_LOCAL_TIME_ZONE":
      if (isCompactTimestamp(t)) {
        return (_bytes, view, _b, slot) => new Timestamp(Number(view.getBigInt64(slot, true)));
      }
      return (_bytes, view, base, slot) => {
        const nanos = view.getUint32(slot, true);
        const off = view.getUint32(slot + 4, true);
        return new Timestamp(Number(view.getBigInt64(base + off, true)), nanos);
      };
    case "CHAR":
    case "STRING":
      return stringAt;
    case "BINARY":
    case "BYTES":
      return bytesAt;
    case "ARRAY":
      return varSpan(compileArrayReader(t.elementType, format));
    case "MAP":
      return varSpan(compileMapReader(t.keyType, t.valueType, format));
    case "ROW":
      return varSpan(format.rowReader(t));
  }
}

/** Compiles a BinaryArray writer for elements of type `elementType`. */
export function compileArrayWriter(elementType: DataType, format: NestedRowFormat): ArrayWriter {
  const slotSize = arraySlotSize(elementType);
  const writeSlot = compileSlotWriter(elementType, format);
  const nullable = elementType.nullable;
  return (w, values) => {
    const n = values.length;
    const base = w.pos;
    const header = arrayHeaderSize(n);
    const fixed = (header + n * slotSize + 7) & ~7;
    w.zeros(fixed);
    w.view.setInt32(base, n, true);
    for (let i = 0; i < n; i++) {
      const v = values[i];
      if (v === null || v === undefined) {
        if (!nullable) throw FlussError.client(`array element ${i}: null value for NOT NULL element type`);
        w.buf[base + 4 + (i >>> 3)]! |= 1 << (i & 7);
      } else {
        writeSlot(w, base, base + header + i * slotSize, v);
      }
    }
  };
}

/** Compiles a BinaryArray reader for elements of type `elementType`. */
export function compileArrayReader(elementType: DataType, format: NestedRowFormat): ArrayReader {
  const slotSize = arraySlotSize(elementType);
  const readSlot = compileSlotReader(elementType, format);
  return (bytes, offset, length) => {
    if (length < 4) throw new RangeError(`BinaryArray too short: ${length} bytes`);
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const n = view.getInt32(offset, true);
    const header = arrayHeaderSize(n);
    if (n < 0 || header + n * slotSize > length) {
      throw new RangeError(`corrupt BinaryArray: ${n} elements in ${length} bytes`);
    }
    const out = new Array<unknown>(n);
    for (let i = 0; i < n; i++) {
      if ((bytes[offset + 4 + (i >>> 3)]! & (1 << (i & 7))) !== 0) out[i] = null;
      else out[i] = readSlot(bytes, view, offset, offset + header + i * slotSize);
    }
    return out;
  };
}

/** Encodes one array to fresh bytes (convenience for tests and tools). */
export function encodeBinaryArray(elementType: DataType, format: NestedRowFormat, values: readonly unknown[]): Uint8Array {
  const w = new ByteWriter(64);
  compileArrayWriter(elementType, format)(w, values);
  return w.toBytes();
}

// BinaryMap (formats.md §5.3): `[int32 keyArrayBytes][key BinaryArray][value BinaryArray]`.
// It lives here because arrays and maps nest in each other (one module, no import cycle).

/** Writes a BinaryMap of a `Map` (or plain object) value at `w.pos`. */
export type MapWriter = (w: ByteWriter, value: unknown) => void;
/** Decodes a BinaryMap into a `Map`. */
export type MapReader = (bytes: Uint8Array, offset: number, length: number) => Map<unknown, unknown>;

/** Compiles a BinaryMap writer. Map keys must not be null. */
export function compileMapWriter(keyType: DataType, valueType: DataType, format: NestedRowFormat): MapWriter {
  // Keys are NOT NULL whatever the declared type says.
  const writeKeys = compileArrayWriter({ ...keyType, nullable: false } as DataType, format);
  const writeValues = compileArrayWriter(valueType, format);
  return (w, value) => {
    const [keys, values] = mapEntries(value);
    const base = w.pos;
    w.i32(0);
    writeKeys(w, keys);
    w.view.setInt32(base, w.pos - base - 4, true);
    writeValues(w, values);
  };
}

/** Compiles a BinaryMap reader. */
export function compileMapReader(keyType: DataType, valueType: DataType, format: NestedRowFormat): MapReader {
  const readKeys = compileArrayReader(keyType, format);
  const readValues = compileArrayReader(valueType, format);
  return (bytes, offset, length) => {
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const keyBytes = view.getInt32(offset, true);
    if (keyBytes < 0 || 4 + keyBytes > length) throw new RangeError(`corrupt BinaryMap: key array of ${keyBytes} bytes`);
    const keys = readKeys(bytes, offset + 4, keyBytes);
    const values = readValues(bytes, offset + 4 + keyBytes, length - 4 - keyBytes);
    if (keys.length !== values.length) {
      throw new RangeError(`corrupt BinaryMap: ${keys.length} keys but ${values.length} values`);
    }
    const m = new Map<unknown, unknown>();
    for (let i = 0; i < keys.length; i++) m.set(keys[i], values[i]);
    return m;
  };
}
