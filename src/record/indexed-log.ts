/**
 * Row-based log formats: INDEXED (IndexedRow) and COMPACTED (CompactedRow). Both frame
 * records as `[int32 Length][int8 ChangeByte][row bytes]` with Length = 1 + row bytes
 * (Java `IndexedLogRecord` / `CompactedLogRecord`), packed after a V0 header.
 */
import type { DataType, RowType } from "../metadata/data-types.js";
import { CompactedRowDecoder, CompactedRowEncoder } from "../row/compacted-row.js";
import { IndexedRowDecoder, IndexedRowEncoder } from "../row/indexed-row.js";
import { FlussError, ErrorCode } from "../rpc/errors.js";
import { ByteWriter } from "../util/bytes.js";
import { ChangeByte, changeTypeFromByte } from "./change-type.js";
import { LOG_MAGIC_VALUE_V0, type LogBatchView, logBatchHeaderSize, writeLogBatchHeader } from "./log-batch.js";

/** The row-based log formats. */
export type RowLogFormat = "INDEXED" | "COMPACTED";

/** Input of {@link buildIndexedLogBatch}. */
export interface RowLogBatchOptions {
  /** The row type, or its field types in order. */
  rowType: RowType | readonly DataType[];
  /** Rows of canonical values (see `src/row/values.ts`). */
  rows: readonly (readonly unknown[])[];
  /** One change type per row; defaults to `+A` for every row. */
  changeTypes?: ArrayLike<number>;
  schemaId: number;
  writerId?: number;
  batchSequence?: number;
  appendOnly: boolean;
  baseOffset?: number;
  commitTimestamp?: number;
  /** INDEXED (default) or COMPACTED. */
  format?: RowLogFormat;
}

/** One decoded record of a row-based batch. */
export interface RowLogRecord {
  changeType: ChangeByte;
  row: unknown[];
}

function typesOf(rowType: RowType | readonly DataType[]): readonly DataType[] {
  return "root" in rowType ? rowType.fields.map((f) => f.type) : rowType;
}

interface RowEncoderLike {
  encodeInto(writer: ByteWriter, values: readonly unknown[]): void;
}
interface RowDecoderLike {
  decode(bytes: Uint8Array, offset: number, length: number): unknown[];
}

// Encoders/decoders precompute per-type plans, so cache them per row type object.
const encoderCache = new WeakMap<object, Map<RowLogFormat, RowEncoderLike>>();
const decoderCache = new WeakMap<object, Map<RowLogFormat, RowDecoderLike>>();

function encoderFor(rowType: RowType | readonly DataType[], format: RowLogFormat): RowEncoderLike {
  let m = encoderCache.get(rowType);
  if (!m) encoderCache.set(rowType, (m = new Map()));
  let e = m.get(format);
  if (!e) {
    const types = typesOf(rowType);
    e = format === "INDEXED" ? new IndexedRowEncoder(types) : new CompactedRowEncoder(types);
    m.set(format, e);
  }
  return e;
}

function decoderFor(rowType: RowType | readonly DataType[], format: RowLogFormat): RowDecoderLike {
  let m = decoderCache.get(rowType);
  if (!m) decoderCache.set(rowType, (m = new Map()));
  let d = m.get(format);
  if (!d) {
    const types = typesOf(rowType);
    d = format === "INDEXED" ? new IndexedRowDecoder(types) : new CompactedRowDecoder(types);
    m.set(format, d);
  }
  return d;
}

/** Builds a V0 INDEXED (or COMPACTED) log batch with its CRC. */
export function buildIndexedLogBatch(options: RowLogBatchOptions): Uint8Array {
  const format = options.format ?? "INDEXED";
  const encoder = encoderFor(options.rowType, format);
  const headerSize = logBatchHeaderSize(LOG_MAGIC_VALUE_V0);
  const rows = options.rows;
  const changeTypes = options.changeTypes;
  if (changeTypes && changeTypes.length !== rows.length) {
    throw FlussError.client(`got ${changeTypes.length} change types for ${rows.length} rows`);
  }
  const w = new ByteWriter(headerSize + rows.length * 32);
  w.zeros(headerSize);
  for (let i = 0; i < rows.length; i++) {
    const start = w.pos;
    w.i32(0);
    w.u8(changeTypes ? changeTypeFromByte(changeTypes[i]!) : ChangeByte.APPEND_ONLY);
    encoder.encodeInto(w, rows[i]!);
    w.view.setInt32(start, w.pos - start - 4, true);
  }
  const out = w.toBytes();
  writeLogBatchHeader(out, 0, out.length, {
    magic: LOG_MAGIC_VALUE_V0,
    baseOffset: options.baseOffset ?? 0,
    commitTimestamp: options.commitTimestamp ?? 0,
    schemaId: options.schemaId,
    appendOnly: options.appendOnly,
    writerId: options.writerId,
    batchSequence: options.batchSequence,
    recordCount: rows.length,
  });
  return out;
}

/** Same as {@link buildIndexedLogBatch} with `format: "COMPACTED"`. */
export function buildCompactedLogBatch(options: Omit<RowLogBatchOptions, "format">): Uint8Array {
  return buildIndexedLogBatch({ ...options, format: "COMPACTED" });
}

/**
 * Calls `fn(changeType, rowOffset, rowLength)` for every record of a row-based batch,
 * without decoding rows (the server uses it to validate and convert).
 */
function forEachRowLogRecord(
  batch: LogBatchView,
  fn: (changeType: ChangeByte, rowOffset: number, rowLength: number, index: number) => void,
): void {
  const buf = batch.buf;
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const end = batch.endOffset;
  const count = batch.recordCount;
  let pos = batch.recordsOffset;
  for (let i = 0; i < count; i++) {
    if (pos + 5 > end) throw new FlussError(ErrorCode.CORRUPT_RECORD_EXCEPTION, "truncated log record");
    const len = view.getInt32(pos, true);
    if (len < 1 || pos + 4 + len > end) {
      throw new FlussError(ErrorCode.CORRUPT_RECORD_EXCEPTION, `invalid log record length ${len}`);
    }
    fn(changeTypeFromByte(buf[pos + 4]!), pos + 5, len - 1, i);
    pos += 4 + len;
  }
}

/** Decodes every record of an INDEXED (or COMPACTED) batch. */
export function readIndexedLogRecords(
  batch: LogBatchView,
  rowType: RowType | readonly DataType[],
  format: RowLogFormat = "INDEXED",
): RowLogRecord[] {
  const decoder = decoderFor(rowType, format);
  const out: RowLogRecord[] = [];
  const buf = batch.buf;
  forEachRowLogRecord(batch, (changeType, off, len) => {
    out.push({ changeType, row: decoder.decode(buf, off, len) });
  });
  return out;
}

/** Same as {@link readIndexedLogRecords} for COMPACTED batches. */
export function readCompactedLogRecords(batch: LogBatchView, rowType: RowType | readonly DataType[]): RowLogRecord[] {
  return readIndexedLogRecords(batch, rowType, "COMPACTED");
}
