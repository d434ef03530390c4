/**
 * CompactedRow (formats.md §5.1), the default kv format and the COMPACTED log format:
 * `[null bitmap][non-null values, unaligned]` with Java's varints (no zigzag: a negative
 * INT takes 5 bytes, a negative BIGINT 10) and length-prefixed variable data.
 */
import { type DataType, isCompactDecimal, isCompactTimestamp, typeToString } from "../metadata/data-types.js";
import { FlussError } from "../rpc/errors.js";
import { ByteReader, ByteWriter, utf8Length } from "../util/bytes.js";
import { compileArrayReader, compileArrayWriter, compileMapReader, compileMapWriter } from "./binary-array.js";
import {
  type NestedRowFormat,
  type SpanReader,
  type ValueWriter,
  dateToDays,
  daysToDate,
  nestedRowValues,
  readUnscaledBytes,
  readVarint64,
  readVarint64Number,
  rowObject,
  tsMillis,
  tsNanos,
  unscaledByteLength,
  unscaledOf,
  writeUnscaledBytes,
  writeVarint64,
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

/** Reads one non-null field value, advancing the reader. */
export type CompactedFieldReader = (r: ByteReader) => unknown;

/** Strings this short (in UTF-16 units) encode to < 128 bytes: a 1-byte length prefix. */
const SHORT_STRING = 42;

/** Length-prefixes nested data written by `inner`, staging it in a private scratch writer. */
function lengthPrefixed(inner: ValueWriter): ValueWriter {
  const scratch = new ByteWriter(64);
  return (w, v) => {
    scratch.reset();
    inner(scratch, v);
    w.varint32(scratch.pos);
    w.bytes(scratch.written());
  };
}

/** Compiles the writer for one field in the compacted encoding (shared with keys). */
export function compileCompactedFieldWriter(t: DataType): ValueWriter {
  switch (t.root) {
    case "BOOLEAN":
      return (w, v) => w.u8(v ? 1 : 0);
    case "TINYINT":
      return (w, v) => w.u8(v as number);
    case "SMALLINT":
      return (w, v) => w.i16(v as number);
    case "INTEGER":
    case "TIME_WITHOUT_TIME_ZONE":
      return (w, v) => w.varint32(v as number);
    case "DATE":
      return (w, v) => w.varint32(dateToDays(v));
    case "FLOAT":
      return (w, v) => w.f32(v as number);
    case "DOUBLE":
      return (w, v) => w.f64(v as number);
    case "BIGINT":
      return (w, v) => writeVarint64(w, v as bigint);
    case "DECIMAL": {
      const { scale } = t;
      if (isCompactDecimal(t)) return (w, v) => writeVarint64(w, unscaledOf(v, scale));
      return (w, v) => {
        const u = unscaledOf(v, scale);
        w.varint32(unscaledByteLength(u));
        writeUnscaledBytes(w, u);
      };
    }
    case "TIMESTAMP_WITHOUT_TIME_ZONE":
    case "TIMESTAMP_WITH_LOCAL_TIME_ZONE":
      if (isCompactTimestamp(t)) return (w, v) => writeVarint64(w, tsMillis(v));
      return (w, v) => {
        writeVarint64(w, tsMillis(v));
        w.varint32(tsNanos(v));
      };
    case "CHAR":
    case "STRING":
      return (w, v) => {
        const s = v as string;
        if (s.length <= SHORT_STRING) {
          w.ensure(1 + s.length * 3);
          const p = w.pos++;
          const n = w.utf8(s);
          w.buf[p] = n;
        } else {
          w.varint32(utf8Length(s));
          w.utf8(s);
        }
      };
    case "BINARY":
    case "BYTES":
      return (w, v) => {
        const b = v as Uint8Array;
        w.varint32(b.length);
        w.bytes(b);
      };
    case "ARRAY": {
      const write = compileArrayWriter(t.elementType, COMPACTED_ROW_FORMAT);
      return lengthPrefixed((w, v) => write(w, v as readonly unknown[]));
    }
    case "MAP":
      return lengthPrefixed(compileMapWriter(t.keyType, t.valueType, COMPACTED_ROW_FORMAT));
    case "ROW": {
      const write = compileRowWriter(t.fields.map((f) => f.type));
      return lengthPrefixed((w, v) => write(w, nestedRowValues(t, v)));
    }
  }
}

/** Reads `len`-prefixed nested data with a span reader. */
function prefixedSpan(read: SpanReader): CompactedFieldReader {
  return (r) => {
    const len = r.varint32();
    r.need(len);
    const v = read(r.buf, r.pos, len);
    r.pos += len;
    return v;
  };
}

/** Compiles the reader for one field in the compacted encoding (shared with keys). */
export function compileCompactedFieldReader(t: DataType): CompactedFieldReader {
  switch (t.root) {
    case "BOOLEAN":
      return (r) => r.u8() !== 0;
    case "TINYINT":
      return (r) => r.i8();
    case "SMALLINT":
      return (r) => r.i16();
    case "INTEGER":
    case "TIME_WITHOUT_TIME_ZONE":
      return (r) => r.varint32();
    case "DATE":
      return (r) => daysToDate(r.varint32());
    case "FLOAT":
      return (r) => r.f32();
    case "DOUBLE":
      return (r) => r.f64();
    case "BIGINT":
      return readVarint64;
    case "DECIMAL": {
      const { scale } = t;
      if (isCompactDecimal(t)) return (r) => new Decimal(readVarint64(r), scale);
      return (r) => {
        const len = r.varint32();
        r.need(len);
        const u = readUnscaledBytes(r.buf, r.pos, len);
        r.pos += len;
        return new Decimal(u, scale);
      };
    }
    case "TIMESTAMP_WITHOUT_TIME_ZONE":
    case "TIMESTAMP_WITH_LOCAL_TIME_ZONE":
      if (isCompactTimestamp(t)) return (r) => new Timestamp(readVarint64Number(r));
      return (r) => {
        const ms = readVarint64Number(r);
        return new Timestamp(ms, r.varint32());
      };
    case "CHAR":
    case "STRING":
      return (r) => r.utf8(r.varint32());
    case "BINARY":
    case "BYTES":
      return (r) => r.bytes(r.varint32()).slice();
    case "ARRAY":
      return prefixedSpan(compileArrayReader(t.elementType, COMPACTED_ROW_FORMAT));
    case "MAP":
      return prefixedSpan(compileMapReader(t.keyType, t.valueType, COMPACTED_ROW_FORMAT));
    case "ROW": {
      const read = compileRowReader(t.fields.map((f) => f.type));
      const names = t.fields.map((f) => f.name);
      return prefixedSpan((bytes, offset, length) => rowObject(names, read(bytes, offset, length)));
    }
  }
}

function compileRowWriter(types: readonly DataType[]): RowWriterFn {
  const n = types.length;
  const nullBytes = (n + 7) >>> 3;
  const writers = types.map(compileCompactedFieldWriter);
  const nullable = types.map((t) => t.nullable);
  return (w, values) => {
    if (values.length !== n) {
      throw FlussError.client(`row has ${values.length} values but the row type has ${n} fields`);
    }
    const start = w.pos;
    w.zeros(nullBytes);
    for (let i = 0; i < n; i++) {
      const v = values[i];
      if (v === null || v === undefined) {
        // Java reads NOT NULL fields unconditionally, so a set bit there would corrupt the row.
        if (!nullable[i]) throw FlussError.client(`field ${i}: null value for NOT NULL type ${typeToString(types[i]!)}`);
        w.buf[start + (i >>> 3)]! |= 1 << (i & 7);
      } else {
        writers[i]!(w, v);
      }
    }
  };
}

function compileRowReader(types: readonly DataType[]): RowReaderFn {
  const n = types.length;
  const nullBytes = (n + 7) >>> 3;
  const readers = types.map(compileCompactedFieldReader);
  const nullable = types.map((t) => t.nullable);
  return (bytes, offset, length) => {
    const r = new ByteReader(bytes, offset, offset + length);
    r.need(nullBytes);
    r.pos += nullBytes;
    const out = new Array<unknown>(n);
    for (let i = 0; i < n; i++) {
      // As in Java, null bits of NOT NULL fields are not consulted.
      if (nullable[i] && (bytes[offset + (i >>> 3)]! & (1 << (i & 7))) !== 0) out[i] = null;
      else out[i] = readers[i]!(r);
    }
    return out;
  };
}

const COMPACTED_COMPILER: RowCodecCompiler = {
  name: "COMPACTED",
  compileWriter: compileRowWriter,
  compileReader: compileRowReader,
};

/** Nested ROWs inside arrays/maps of a CompactedRow (or compacted key) are CompactedRows. */
export const COMPACTED_ROW_FORMAT: NestedRowFormat = nestedRowFormat(COMPACTED_COMPILER);

/** Encodes rows (canonical values in field order) as CompactedRow bytes. */
export class CompactedRowEncoder extends RowEncoder {
  constructor(types: readonly DataType[]) {
    super(types, COMPACTED_COMPILER);
  }
}

/** Decodes CompactedRow bytes into canonical values in field order. */
export class CompactedRowDecoder extends RowDecoder {
  constructor(types: readonly DataType[]) {
    super(types, COMPACTED_COMPILER);
  }
}
