/**
 * Appends a CompactedRow's fields straight to Arrow columns, without materializing JS
 * values (strings stay UTF-8 bytes): the hot path of ARROW changelogs (server) and of full
 * primary-key scans read as Arrow (client) for tables whose columns are all flat types.
 * Other tables decode rows and append values.
 */
import type { DataType, RowType } from "../../metadata/data-types.js";
import { isCompactTimestamp } from "../../metadata/data-types.js";
import type { ArrowColumn } from "./arrow-columns.js";
import { readVarint64 } from "../../row/codec-util.js";
import { ByteReader } from "../../util/bytes.js";

/** Reads one non-null field at `c.pos` and appends it to `col`, advancing `c.pos`. */
type FieldCopier = (c: Cursor, col: ArrowColumn) => void;

/** A position in a row's bytes. */
interface Cursor {
  bytes: Uint8Array;
  view: DataView;
  pos: number;
}

function varint32(c: Cursor): number {
  const b = c.bytes;
  let result = 0;
  for (let shift = 0; shift < 35; shift += 7) {
    const x = b[c.pos++]!;
    result |= (x & 0x7f) << shift;
    if ((x & 0x80) === 0) return result | 0;
  }
  throw new RangeError("malformed varint32");
}

/** A Java varint64 as a number when it fits 49 bits, else as a bigint. */
function varint64(c: Cursor): number | bigint {
  const b = c.bytes;
  let result = 0;
  let mul = 1;
  const start = c.pos;
  for (let i = 0; i < 7; i++) {
    const x = b[c.pos++]!;
    result += (x & 0x7f) * mul;
    if (x < 0x80) return result;
    mul *= 128;
  }
  const r = new ByteReader(b, start, b.length);
  const v = readVarint64(r);
  c.pos = r.pos;
  return v;
}

function copier(t: DataType): FieldCopier | undefined {
  switch (t.root) {
    case "BOOLEAN":
      return (c, col) => col.append(c.bytes[c.pos++] !== 0);
    case "TINYINT":
      return (c, col) => col.append(c.view.getInt8(c.pos++));
    case "SMALLINT":
      return (c, col) => {
        col.append(c.view.getInt16(c.pos, true));
        c.pos += 2;
      };
    case "INTEGER":
    case "DATE":
    case "TIME_WITHOUT_TIME_ZONE":
      return (c, col) => col.append(varint32(c));
    case "BIGINT":
      return (c, col) => col.append(varint64(c));
    case "TIMESTAMP_WITHOUT_TIME_ZONE":
    case "TIMESTAMP_WITH_LOCAL_TIME_ZONE":
      if (!isCompactTimestamp(t)) return undefined;
      return (c, col) => col.append(Number(varint64(c)));
    case "FLOAT":
      return (c, col) => {
        col.append(c.view.getFloat32(c.pos, true));
        c.pos += 4;
      };
    case "DOUBLE":
      return (c, col) => {
        col.append(c.view.getFloat64(c.pos, true));
        c.pos += 8;
      };
    case "CHAR":
    case "STRING":
    case "BYTES":
      return (c, col) => {
        const len = varint32(c);
        if (len < 0 || c.pos + len > c.bytes.length) throw new RangeError("truncated CompactedRow");
        col.appendBytes(c.bytes, c.pos, c.pos + len);
        c.pos += len;
      };
    default:
      return undefined;
  }
}

/** Copies CompactedRows of `rowType` into columns; undefined when a column type is not flat. */
export function compactedToArrow(
  rowType: RowType,
): ((bytes: Uint8Array, start: number, end: number, cols: readonly ArrowColumn[]) => void) | undefined {
  const copiers: FieldCopier[] = [];
  for (const f of rowType.fields) {
    const cp = copier(f.type);
    if (!cp) return undefined;
    copiers.push(cp);
  }
  const n = copiers.length;
  const nullBytes = (n + 7) >>> 3;
  const nullable = rowType.fields.map((f) => f.type.nullable);
  const cursor: Cursor = { bytes: new Uint8Array(0), view: new DataView(new ArrayBuffer(0)), pos: 0 };
  return (bytes, start, end, cols) => {
    if (cursor.bytes !== bytes) {
      cursor.bytes = bytes;
      cursor.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    }
    if (end - start < nullBytes) throw new RangeError("truncated CompactedRow");
    cursor.pos = start + nullBytes;
    for (let i = 0; i < n; i++) {
      // as the row decoder: null bits of NOT NULL fields are not consulted
      if (nullable[i] && (bytes[start + (i >>> 3)]! & (1 << (i & 7))) !== 0) cols[i]!.append(null);
      else copiers[i]!(cursor, cols[i]!);
    }
    if (cursor.pos > end) throw new RangeError("truncated CompactedRow");
  };
}
