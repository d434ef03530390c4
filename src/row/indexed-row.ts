/**
 * IndexedRow (formats.md §2.2), used by the INDEXED log format and the INDEXED kv format:
 * `[null bitmap][int32 length per variable-length field][values]`. Null fields take no
 * value bytes; the length list is filled front to back by the non-null variable fields.
 */
import { type DataType, isCompactDecimal, isCompactTimestamp, typeToString } from "../metadata/data-types.js";
import { FlussError } from "../rpc/errors.js";
import { utf8Decode } from "../util/bytes.js";
import { compileArrayReader, compileArrayWriter, compileMapReader, compileMapWriter } from "./binary-array.js";
import {
  type NestedRowFormat,
  type SpanReader,
  type ValueWriter,
  dateToDays,
  daysToDate,
  nestedRowValues,
  readI64Number,
  readUnscaledBytes,
  rowObject,
  tsMillis,
  tsNanos,
  unscaledOf,
  writeI64Number,
  writeUnscaledBytes,
} from "./codec-util.js";
import {
  RowDecoder,
  RowEncoder,
  nestedRowFormat,
  type RowCodecCompiler,
  type RowReaderFn,
  type RowWriterFn,
} from "./row-codec.js";
import { Decimal, Timestamp } from "./values.js";

/** Reads a field value at `bytes[pos, pos + len)`; `view` spans all of `bytes`. */
type FieldReader = (bytes: Uint8Array, view: DataView, pos: number, len: number) => unknown;

/** Whether a type is stored with a fixed width (Java `IndexedRow.isFixedLength`). */
function isIndexedFixedLength(t: DataType): boolean {
  switch (t.root) {
    case "STRING":
    case "BYTES":
    case "ARRAY":
    case "MAP":
    case "ROW":
      return false;
    case "DECIMAL":
      return isCompactDecimal(t);
    default:
      return true;
  }
}

/** Width in bytes of a fixed-length field. */
function fixedWidth(t: DataType): number {
  switch (t.root) {
    case "BOOLEAN":
    case "TINYINT":
      return 1;
    case "SMALLINT":
      return 2;
    case "INTEGER":
    case "DATE":
    case "TIME_WITHOUT_TIME_ZONE":
    case "FLOAT":
      return 4;
    case "TIMESTAMP_WITHOUT_TIME_ZONE":
    case "TIMESTAMP_WITH_LOCAL_TIME_ZONE":
      return isCompactTimestamp(t) ? 8 : 12;
    case "CHAR":
    case "BINARY":
      return t.length;
    default:
      return 8;
  }
}

function fixedTooLong(t: DataType, len: number): FlussError {
  return FlussError.client(`value of ${len} bytes does not fit ${typeToString(t)}`);
}

function compileWriter(t: DataType): ValueWriter {
  switch (t.root) {
    case "BOOLEAN":
      return (w, v) => w.u8(v ? 1 : 0);
    case "TINYINT":
      return (w, v) => w.u8(v as number);
    case "SMALLINT":
      return (w, v) => w.i16(v as number);
    case "INTEGER":
    case "TIME_WITHOUT_TIME_ZONE":
      return (w, v) => w.i32(v as number);
    case "DATE":
      return (w, v) => w.i32(dateToDays(v));
    case "FLOAT":
      return (w, v) => w.f32(v as number);
    case "DOUBLE":
      return (w, v) => w.f64(v as number);
    case "BIGINT":
      return (w, v) => w.i64(v as bigint);
    case "DECIMAL": {
      const { scale } = t;
      if (isCompactDecimal(t)) return (w, v) => w.i64(unscaledOf(v, scale));
      return (w, v) => void writeUnscaledBytes(w, unscaledOf(v, scale));
    }
    case "TIMESTAMP_WITHOUT_TIME_ZONE":
    case "TIMESTAMP_WITH_LOCAL_TIME_ZONE":
      if (isCompactTimestamp(t)) return (w, v) => writeI64Number(w, tsMillis(v));
      return (w, v) => {
        writeI64Number(w, tsMillis(v));
        w.i32(tsNanos(v));
      };
    case "CHAR": {
      const n = t.length;
      return (w, v) => {
        const len = w.utf8(v as string);
        if (len > n) throw fixedTooLong(t, len);
        w.zeros(n - len);
      };
    }
    case "BINARY": {
      const n = t.length;
      return (w, v) => {
        const b = v as Uint8Array;
        if (b.length > n) throw fixedTooLong(t, b.length);
        w.bytes(b);
        w.zeros(n - b.length);
      };
    }
    case "STRING":
      return (w, v) => void w.utf8(v as string);
    case "BYTES":
      return (w, v) => w.bytes(v as Uint8Array);
    case "ARRAY": {
      const write = compileArrayWriter(t.elementType, INDEXED_ROW_FORMAT);
      return (w, v) => write(w, v as readonly unknown[]);
    }
    case "MAP":
      return compileMapWriter(t.keyType, t.valueType, INDEXED_ROW_FORMAT);
    case "ROW": {
      const write = compileRowWriter(t.fields.map((f) => f.type));
      return (w, v) => write(w, nestedRowValues(t, v));
    }
  }
}

/** Trims trailing 0x00 padding of CHAR(n)/BINARY(n). */
function trimmedEnd(bytes: Uint8Array, pos: number, len: number): number {
  let end = pos + len;
  while (end > pos && bytes[end - 1] === 0) end--;
  return end;
}

function span(read: SpanReader): FieldReader {
  return (bytes, _view, pos, len) => read(bytes, pos, len);
}

function compileReader(t: DataType): FieldReader {
  switch (t.root) {
    case "BOOLEAN":
      return (bytes, _view, pos) => bytes[pos] !== 0;
    case "TINYINT":
      return (_bytes, view, pos) => view.getInt8(pos);
    case "SMALLINT":
      return (_bytes, view, pos) => view.getInt16(pos, true);
    case "INTEGER":
    case "TIME_WITHOUT_TIME_ZONE":
      return (_bytes, view, pos) => view.getInt32(pos, true);
    case "DATE":
      return (_bytes, view, pos) => daysToDate(view.getInt32(pos, true));
    case "FLOAT":
      return (_bytes, view, pos) => view.getFloat32(pos, true);
    case "DOUBLE":
      return (_bytes, view, pos) => view.getFloat64(pos, true);
    case "BIGINT":
      return (_bytes, view, pos) => view.getBigInt64(pos, true);
    case "DECIMAL": {
      const { scale } = t;
      if (isCompactDecimal(t)) return (_bytes, view, pos) => new Decimal(view.getBigInt64(pos, true), scale);
      return (bytes, _view, pos, len) => new Decimal(readUnscaledBytes(bytes, pos, len), scale);
    }
    case "TIMESTAMP_WITHOUT_TIME_ZONE":
    case "TIMESTAMP_WITH_LOCAL_TIME_ZONE":
      if (isCompactTimestamp(t)) return (_bytes, view, pos) => new Timestamp(readI64Number(view, pos));
      return (_bytes, view, pos) => new Timestamp(readI64Number(view, pos), view.getInt32(pos + 8, true));
    case "CHAR":
      return (bytes, _view, pos, len) => utf8Decode(bytes, pos, trimmedEnd(bytes, pos, len));
    case "BINARY":
      return (bytes, _view, pos, len) => bytes.slice(pos, trimmedEnd(bytes, pos, len));
    case "STRING":
      return (bytes, _view, pos, len) => utf8Decode(bytes, pos, pos + len);
    case "BYTES":
      return (bytes, _view, pos, len) => bytes.slice(pos, pos + len);
    case "ARRAY":
      return span(compileArrayReader(t.elementType, INDEXED_ROW_FORMAT));
    case "MAP":
      return span(compileMapReader(t.keyType, t.valueType, INDEXED_ROW_FORMAT));
    case "ROW": {
      const decode = compileRowReader(t.fields.map((f) => f.type));
      const names = t.fields.map((f) => f.name);
      return (bytes, _view, pos, len) => rowObject(names, decode(bytes, pos, len));
    }
  }
}

function compileRowWriter(types: readonly DataType[]): RowWriterFn {
  const n = types.length;
  const nullBytes = (n + 7) >>> 3;
  const writers = types.map(compileWriter);
  const isVar = types.map((t) => !isIndexedFixedLength(t));
  const nullable = types.map((t) => t.nullable);
  const header = nullBytes + 4 * isVar.filter(Boolean).length;
  return (w, values) => {
    if (values.length !== n) {
      throw FlussError.client(`row has ${values.length} values but the row type has ${n} fields`);
    }
    const start = w.pos;
    w.zeros(header);
    let lenSlot = start + nullBytes;
    for (let i = 0; i < n; i++) {
      const v = values[i];
      if (v === null || v === undefined) {
        if (!nullable[i]) throw FlussError.client(`field ${i}: null value for NOT NULL type ${typeToString(types[i]!)}`);
        w.buf[start + (i >>> 3)]! |= 1 << (i & 7);
      } else if (isVar[i]) {
        const p = w.pos;
        writers[i]!(w, v);
        w.view.setInt32(lenSlot, w.pos - p, true);
        lenSlot += 4;
      } else {
        writers[i]!(w, v);
      }
    }
  };
}

function compileRowReader(types: readonly DataType[]): RowReaderFn {
  const n = types.length;
  const nullBytes = (n + 7) >>> 3;
  const readers = types.map(compileReader);
  const isVar = types.map((t) => !isIndexedFixedLength(t));
  const widths = types.map((t) => (isIndexedFixedLength(t) ? fixedWidth(t) : -1));
  const header = nullBytes + 4 * isVar.filter(Boolean).length;
  return (bytes, offset, length) => {
    const end = offset + length;
    if (length < header || end > bytes.length) {
      throw new RangeError(`IndexedRow too short: ${length} bytes, header needs ${header}`);
    }
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const out = new Array<unknown>(n);
    let lenSlot = offset + nullBytes;
    let pos = offset + header;
    for (let i = 0; i < n; i++) {
      if ((bytes[offset + (i >>> 3)]! & (1 << (i & 7))) !== 0) {
        out[i] = null;
        continue;
      }
      let len: number;
      if (isVar[i]) {
        len = view.getInt32(lenSlot, true);
        lenSlot += 4;
      } else {
        len = widths[i]!;
      }
      if (len < 0 || pos + len > end) throw new RangeError(`IndexedRow field ${i} overruns the row`);
      out[i] = readers[i]!(bytes, view, pos, len);
      pos += len;
    }
    return out;
  };
}

const INDEXED_COMPILER: RowCodecCompiler = {
  name: "INDEXED",
  compileWriter: compileRowWriter,
  compileReader: compileRowReader,
};

/** Nested ROWs inside arrays/maps of an IndexedRow are IndexedRows too. */
const INDEXED_ROW_FORMAT: NestedRowFormat = nestedRowFormat(INDEXED_COMPILER);

/** Encodes rows (canonical values in field order) as IndexedRow bytes. */
export class IndexedRowEncoder extends RowEncoder {
  constructor(types: readonly DataType[]) {
    super(types, INDEXED_COMPILER);
  }
}

/** Decodes IndexedRow bytes into canonical values in field order. */
export class IndexedRowDecoder extends RowDecoder {
  constructor(types: readonly DataType[]) {
    super(types, INDEXED_COMPILER);
  }
}
