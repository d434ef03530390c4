/**
 * The log record batch header (Java `DefaultLogRecordBatch` / `LogRecordBatchFormat`),
 * magic V0, V1 (statistics) and V2 (leader epoch). All fields are little-endian.
 *
 * Offsets, writer ids and timestamps are JS numbers here (safe integers), stored as int64.
 */
import { FlussError, ErrorCode } from "../rpc/errors.js";
import { crc32c } from "./crc32c.js";

/** BaseOffset (8) + Length (4): the bytes before the length-counted part of a batch. */
export const LOG_OVERHEAD = 12;
/** Offset of the int32 Length field. */
export const LENGTH_OFFSET = 8;
/** Offset of the magic byte. */
export const MAGIC_OFFSET = 12;
/** Bytes up to and including the magic byte. */
export const HEADER_SIZE_UP_TO_MAGIC = 13;
/** Offset of the int64 CommitTimestamp (every magic). */
const COMMIT_TIMESTAMP_OFFSET = 13;

export const LOG_MAGIC_VALUE_V0 = 0;
export const LOG_MAGIC_VALUE_V2 = 2;
/** The magic every Java writer emits unless statistics are collected. */
const CURRENT_LOG_MAGIC_VALUE = LOG_MAGIC_VALUE_V0;

export const V0_RECORD_BATCH_HEADER_SIZE = 48;
const V1_RECORD_BATCH_HEADER_SIZE = 52;
export const V2_RECORD_BATCH_HEADER_SIZE = 56;

/** Writer id of non-idempotent batches. */
export const NO_WRITER_ID = -1;
/** Batch sequence of non-idempotent batches. */
export const NO_BATCH_SEQUENCE = -1;
/** Leader epoch written by clients (and reported for V0/V1 batches). */
const NO_LEADER_EPOCH = -1;
/** Attributes bit 0: the batch holds only `+A` records (log tables). */
const APPEND_ONLY_FLAG_MASK = 0x01;

const TWO_32 = 4294967296;

/** Byte offsets of the header fields for one magic value. */
export interface LogBatchLayout {
  readonly headerSize: number;
  readonly leaderEpoch: number; // -1 when the magic has none
  readonly crc: number;
  readonly schemaId: number;
  readonly attributes: number;
  readonly lastOffsetDelta: number;
  readonly writerId: number;
  readonly batchSequence: number;
  readonly recordCount: number;
  readonly statisticsLength: number; // -1 when the magic has none
}

const LAYOUT_V0: LogBatchLayout = {
  headerSize: V0_RECORD_BATCH_HEADER_SIZE,
  leaderEpoch: -1,
  crc: 21,
  schemaId: 25,
  attributes: 27,
  lastOffsetDelta: 28,
  writerId: 32,
  batchSequence: 40,
  recordCount: 44,
  statisticsLength: -1,
};
const LAYOUT_V1: LogBatchLayout = { ...LAYOUT_V0, headerSize: V1_RECORD_BATCH_HEADER_SIZE, statisticsLength: 48 };
const LAYOUT_V2: LogBatchLayout = {
  headerSize: V2_RECORD_BATCH_HEADER_SIZE,
  leaderEpoch: 21,
  crc: 25,
  schemaId: 29,
  attributes: 31,
  lastOffsetDelta: 32,
  writerId: 36,
  batchSequence: 44,
  recordCount: 48,
  statisticsLength: 52,
};

/** The header layout of a magic value; throws CORRUPT_RECORD_EXCEPTION for unknown ones. */
export function logBatchLayout(magic: number): LogBatchLayout {
  switch (magic) {
    case 0:
      return LAYOUT_V0;
    case 1:
      return LAYOUT_V1;
    case 2:
      return LAYOUT_V2;
    default:
      throw new FlussError(ErrorCode.CORRUPT_RECORD_EXCEPTION, `Unsupported log record batch magic ${magic}`);
  }
}

/** Fixed header size (48/52/56) of a magic value. */
export function logBatchHeaderSize(magic: number): number {
  return logBatchLayout(magic).headerSize;
}

function readInt64(view: DataView, at: number): number {
  // Two 32-bit reads avoid a BigInt allocation; values are safe integers by contract.
  return view.getInt32(at + 4, true) * TWO_32 + view.getUint32(at, true);
}

function writeInt64(view: DataView, at: number, value: number): void {
  const lo = value % TWO_32;
  const hi = Math.floor(value / TWO_32);
  view.setUint32(at, lo < 0 ? lo + TWO_32 : lo, true);
  view.setInt32(at + 4, hi, true);
}

function dataView(buf: Uint8Array): DataView {
  return new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
}

/**
 * A read-only view of one log record batch inside `buf` at `position`. The view does not
 * copy; getters read the header fields on demand.
 */
export class LogBatchView {
  readonly buf: Uint8Array;
  readonly position: number;
  private readonly view: DataView;
  private readonly layout: LogBatchLayout;

  constructor(buf: Uint8Array, position = 0) {
    if (buf.length - position < HEADER_SIZE_UP_TO_MAGIC) {
      throw new FlussError(ErrorCode.CORRUPT_RECORD_EXCEPTION, "log record batch is shorter than its header");
    }
    this.buf = buf;
    this.position = position;
    this.view = dataView(buf);
    this.layout = logBatchLayout(buf[position + MAGIC_OFFSET]!);
    if (buf.length - position < this.layout.headerSize) {
      throw new FlussError(ErrorCode.CORRUPT_RECORD_EXCEPTION, "log record batch is shorter than its header");
    }
  }

  get baseOffset(): number {
    return readInt64(this.view, this.position);
  }
  /** Total bytes of the batch: LOG_OVERHEAD + Length. */
  get sizeInBytes(): number {
    return LOG_OVERHEAD + this.view.getInt32(this.position + LENGTH_OFFSET, true);
  }
  get magic(): number {
    return this.buf[this.position + MAGIC_OFFSET]!;
  }
  get headerSize(): number {
    return this.layout.headerSize;
  }
  get commitTimestamp(): number {
    return readInt64(this.view, this.position + COMMIT_TIMESTAMP_OFFSET);
  }
  /** The leader epoch (V2 only; -1 for V0/V1). */
  get leaderEpoch(): number {
    return this.layout.leaderEpoch < 0 ? NO_LEADER_EPOCH : this.view.getInt32(this.position + this.layout.leaderEpoch, true);
  }
  /** The stored CRC (unsigned). */
  get crc(): number {
    return this.view.getUint32(this.position + this.layout.crc, true);
  }
  get schemaId(): number {
    return this.view.getInt16(this.position + this.layout.schemaId, true);
  }
  get attributes(): number {
    return this.buf[this.position + this.layout.attributes]!;
  }
  get isAppendOnly(): boolean {
    return (this.attributes & APPEND_ONLY_FLAG_MASK) !== 0;
  }
  get lastOffsetDelta(): number {
    return this.view.getInt32(this.position + this.layout.lastOffsetDelta, true);
  }
  get lastOffset(): number {
    return this.baseOffset + this.lastOffsetDelta;
  }
  /** The offset after this batch; a zero-record batch still consumes one offset. */
  get nextOffset(): number {
    return this.lastOffset + 1;
  }
  get writerId(): number {
    return readInt64(this.view, this.position + this.layout.writerId);
  }
  get batchSequence(): number {
    return this.view.getInt32(this.position + this.layout.batchSequence, true);
  }
  get recordCount(): number {
    return this.view.getInt32(this.position + this.layout.recordCount, true);
  }
  /** Bytes of the V1/V2 statistics block (0 for V0). */
  get statisticsLength(): number {
    return this.layout.statisticsLength < 0 ? 0 : this.view.getInt32(this.position + this.layout.statisticsLength, true);
  }
  /** Absolute position in `buf` of the statistics block (valid when statisticsLength > 0). */
  get statisticsOffset(): number {
    return this.position + this.layout.headerSize;
  }
  /** Absolute position in `buf` where the records start. */
  get recordsOffset(): number {
    return this.position + this.layout.headerSize + this.statisticsLength;
  }
  /** Absolute end position of the batch in `buf`. */
  get endOffset(): number {
    return this.position + this.sizeInBytes;
  }
  /** The whole batch (no copy). */
  bytes(): Uint8Array {
    return this.buf.subarray(this.position, this.position + this.sizeInBytes);
  }
  /** CRC-32C over [SchemaId, end of batch). */
  computeCrc(): number {
    return crc32c(this.buf, this.position + this.layout.schemaId, this.position + this.sizeInBytes);
  }
  /** Whether the batch is complete in `buf` and its CRC matches. */
  isValid(): boolean {
    const size = this.sizeInBytes;
    return size >= this.layout.headerSize && this.position + size <= this.buf.length && this.computeCrc() === this.crc;
  }
  /** Throws CORRUPT_MESSAGE when {@link isValid} is false. */
  ensureValid(): void {
    if (!this.isValid()) {
      throw new FlussError(
        ErrorCode.CORRUPT_MESSAGE,
        `Log record batch at offset ${this.baseOffset} is corrupt (stored crc = ${this.crc}, computed crc = ${this.computeCrc()})`,
      );
    }
  }
}

/**
 * Iterates the complete batches in `buf`, stopping silently at a partial or truncated
 * tail (formats.md §1.4). Throws CORRUPT_RECORD_EXCEPTION for an impossible batch size or
 * an unknown magic.
 */
export function* iterateBatches(buf: Uint8Array, start = 0, end = buf.length): Generator<LogBatchView> {
  const view = dataView(buf);
  let pos = start;
  while (end - pos >= LOG_OVERHEAD) {
    const size = LOG_OVERHEAD + view.getInt32(pos + LENGTH_OFFSET, true);
    const remaining = end - pos;
    if (remaining < size || remaining < V0_RECORD_BATCH_HEADER_SIZE) return;
    const magic = buf[pos + MAGIC_OFFSET]!;
    if (size < logBatchHeaderSize(magic)) {
      throw new FlussError(ErrorCode.CORRUPT_RECORD_EXCEPTION, `Log record batch at position ${pos} has an invalid size ${size}`);
    }
    yield new LogBatchView(end === buf.length ? buf : buf.subarray(0, end), pos);
    pos += size;
  }
}

/**
 * Length of the prefix of `buf` made of complete, well-formed batches: what survives of
 * a log segment after a crash tore its tail. With `checkCrc`, a batch whose CRC does not
 * match also ends the prefix.
 */
export function validBytesPrefix(buf: Uint8Array, options?: { checkCrc?: boolean }): number {
  const view = dataView(buf);
  const checkCrc = options?.checkCrc ?? false;
  let pos = 0;
  while (buf.length - pos >= V0_RECORD_BATCH_HEADER_SIZE) {
    const length = view.getInt32(pos + LENGTH_OFFSET, true);
    const size = LOG_OVERHEAD + length;
    const magic = buf[pos + MAGIC_OFFSET]!;
    if (magic > LOG_MAGIC_VALUE_V2) break;
    const layout = logBatchLayout(magic);
    if (length < 0 || size < layout.headerSize || pos + size > buf.length) break;
    if (checkCrc && crc32c(buf, pos + layout.schemaId, pos + size) !== view.getUint32(pos + layout.crc, true)) break;
    pos += size;
  }
  return pos;
}

/** Header fields written by {@link writeLogBatchHeader}. */
export interface LogBatchHeaderFields {
  /** 0 (default), 1 or 2. */
  magic?: number;
  baseOffset?: number;
  commitTimestamp?: number;
  /** V2 only; defaults to -1. */
  leaderEpoch?: number;
  schemaId: number;
  appendOnly: boolean;
  writerId?: number;
  batchSequence?: number;
  recordCount: number;
  /** V1/V2 only; the statistics block itself follows the header. */
  statisticsLength?: number;
}

/**
 * Writes the header of a batch whose total size is `sizeInBytes` at `buf[pos]` and, when
 * the body is already in place (the default), the CRC. LastOffsetDelta is derived from
 * the record count (0 for an empty batch).
 */
export function writeLogBatchHeader(
  buf: Uint8Array,
  pos: number,
  sizeInBytes: number,
  fields: LogBatchHeaderFields,
  computeCrc = true,
): void {
  const magic = fields.magic ?? CURRENT_LOG_MAGIC_VALUE;
  const layout = logBatchLayout(magic);
  if (fields.schemaId < 0 || fields.schemaId > 32767) {
    throw FlussError.client(`schemaId must be within 0..32767, got ${fields.schemaId}`);
  }
  if (sizeInBytes < layout.headerSize) throw FlussError.client(`batch size ${sizeInBytes} is below the header size`);
  const view = dataView(buf);
  writeInt64(view, pos, fields.baseOffset ?? 0);
  view.setInt32(pos + LENGTH_OFFSET, sizeInBytes - LOG_OVERHEAD, true);
  buf[pos + MAGIC_OFFSET] = magic;
  writeInt64(view, pos + COMMIT_TIMESTAMP_OFFSET, fields.commitTimestamp ?? 0);
  if (layout.leaderEpoch >= 0) view.setInt32(pos + layout.leaderEpoch, fields.leaderEpoch ?? NO_LEADER_EPOCH, true);
  view.setUint32(pos + layout.crc, 0, true);
  view.setInt16(pos + layout.schemaId, fields.schemaId, true);
  buf[pos + layout.attributes] = fields.appendOnly ? APPEND_ONLY_FLAG_MASK : 0;
  view.setInt32(pos + layout.lastOffsetDelta, fields.recordCount > 0 ? fields.recordCount - 1 : 0, true);
  writeInt64(view, pos + layout.writerId, fields.writerId ?? NO_WRITER_ID);
  view.setInt32(pos + layout.batchSequence, fields.batchSequence ?? NO_BATCH_SEQUENCE, true);
  view.setInt32(pos + layout.recordCount, fields.recordCount, true);
  if (layout.statisticsLength >= 0) view.setInt32(pos + layout.statisticsLength, fields.statisticsLength ?? 0, true);
  if (computeCrc) updateLogBatchCrc(buf, pos);
}

/** Recomputes and stores the CRC of the batch at `buf[pos]` (its Length must be set). */
export function updateLogBatchCrc(buf: Uint8Array, pos = 0): void {
  const view = dataView(buf);
  const layout = logBatchLayout(buf[pos + MAGIC_OFFSET]!);
  const size = LOG_OVERHEAD + view.getInt32(pos + LENGTH_OFFSET, true);
  view.setUint32(pos + layout.crc, crc32c(buf, pos + layout.schemaId, pos + size), true);
}

/**
 * Builds a complete batch: header (+ optional statistics block) followed by `body` parts,
 * with the CRC computed.
 */
export function assembleLogBatch(fields: LogBatchHeaderFields, body: readonly Uint8Array[], statistics?: Uint8Array): Uint8Array {
  const magic = fields.magic ?? CURRENT_LOG_MAGIC_VALUE;
  const headerSize = logBatchHeaderSize(magic);
  const statsLen = statistics && magic !== LOG_MAGIC_VALUE_V0 ? statistics.length : 0;
  let size = headerSize + statsLen;
  for (const part of body) size += part.length;
  const out = new Uint8Array(size);
  let pos = headerSize;
  if (statsLen > 0) {
    out.set(statistics!, pos);
    pos += statsLen;
  }
  for (const part of body) {
    out.set(part, pos);
    pos += part.length;
  }
  writeLogBatchHeader(out, 0, size, { ...fields, magic, statisticsLength: statsLen });
  return out;
}

/**
 * Server-side rewrite of BaseOffset and CommitTimestamp in place. Both are outside the
 * CRC range, so the CRC stays valid.
 */
export function setBaseOffsetAndCommitTimestamp(buf: Uint8Array, pos: number, baseOffset: number, commitTimestamp: number): void {
  const view = dataView(buf);
  writeInt64(view, pos, baseOffset);
  writeInt64(view, pos + COMMIT_TIMESTAMP_OFFSET, commitTimestamp);
}
