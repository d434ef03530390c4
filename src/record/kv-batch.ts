/**
 * KV record batches, the payload of PutKv (Java `DefaultKvRecordBatch`,
 * `KvRecordBatchBuilder`, `DefaultKvRecord`):
 *
 * `[int32 Length][int8 Magic][uint32 CRC][int16 SchemaId][int8 Attributes]
 *  [int64 WriterId][int32 BatchSequence][int32 RecordCount]` then records
 * `[int32 Length][varint keyLength][key][value row?]` — a record without value bytes is
 * a delete. The CRC covers [SchemaId, end).
 */
import { FlussError, ErrorCode } from "../rpc/errors.js";
import { ByteWriter } from "../util/bytes.js";
import { crc32c } from "./crc32c.js";
import { NO_BATCH_SEQUENCE, NO_WRITER_ID } from "./log-batch.js";

/** Bytes before the length-counted part (the Length field). */
const KV_OVERHEAD = 4;
const KV_MAGIC_OFFSET = 4;
const KV_CRC_OFFSET = 5;
const KV_SCHEMA_ID_OFFSET = 9;
const KV_ATTRIBUTES_OFFSET = 11;
export const KV_WRITER_ID_OFFSET = 12;
export const KV_BATCH_SEQUENCE_OFFSET = 20;
const KV_RECORD_COUNT_OFFSET = 24;
/** Header size; records start here. */
export const KV_RECORD_BATCH_HEADER_SIZE = 28;
/** The only KV magic value. */
const CURRENT_KV_MAGIC_VALUE = 0;

const TWO_32 = 4294967296;

/** One record of a KV batch (views into the batch bytes, no copies). */
export interface KvRecord {
  key: Uint8Array;
  /** The value row bytes; `null` for a delete. */
  value: Uint8Array | null;
}

/**
 * Accumulates KV records into one growable buffer; the header is filled in by
 * {@link KvRecordBatchBuilder.build} once the writer id and sequence are known.
 */
export class KvRecordBatchBuilder {
  private readonly w: ByteWriter;
  private count = 0;

  constructor(
    readonly schemaId: number,
    initialCapacity = 1024,
  ) {
    if (schemaId < 0 || schemaId > 32767) throw FlussError.client(`schemaId must be within 0..32767, got ${schemaId}`);
    this.w = new ByteWriter(Math.max(initialCapacity, KV_RECORD_BATCH_HEADER_SIZE));
    this.w.zeros(KV_RECORD_BATCH_HEADER_SIZE);
  }

  /** Records appended so far. */
  get recordCount(): number {
    return this.count;
  }

  /** Current size of the batch in bytes. */
  get sizeInBytes(): number {
    return this.w.pos;
  }

  /** Appends an upsert (`value` = row bytes) or a delete (`value` = null). */
  append(key: Uint8Array, value: Uint8Array | null): void {
    this.appendWith(key, value === null ? null : (w) => w.bytes(value));
  }

  /**
   * Appends a record whose value is written straight into the batch buffer by
   * `writeValue` (e.g. a row encoder's `encodeInto`), avoiding an intermediate copy.
   * `null` makes it a delete.
   */
  appendWith(key: Uint8Array, writeValue: ((w: ByteWriter) => void) | null): void {
    const w = this.w;
    const start = w.pos;
    w.i32(0);
    w.varint32(key.length);
    w.bytes(key);
    if (writeValue) writeValue(w);
    w.view.setInt32(start, w.pos - start - 4, true);
    this.count++;
  }

  /** Fills the header, computes the CRC and returns a copy of the batch. */
  build(writerId: number = NO_WRITER_ID, batchSequence: number = NO_BATCH_SEQUENCE): Uint8Array {
    const out = this.w.toBytes();
    writeKvBatchHeader(out, this.schemaId, writerId, batchSequence, this.count);
    return out;
  }
}

/** Writes the header fields and CRC of a KV batch whose records are in place at 28... */
export function writeKvBatchHeader(
  buf: Uint8Array,
  schemaId: number,
  writerId: number,
  batchSequence: number,
  recordCount: number,
): void {
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  view.setInt32(0, buf.length - KV_OVERHEAD, true);
  buf[KV_MAGIC_OFFSET] = CURRENT_KV_MAGIC_VALUE;
  view.setInt16(KV_SCHEMA_ID_OFFSET, schemaId, true);
  buf[KV_ATTRIBUTES_OFFSET] = 0;
  const lo = writerId % TWO_32;
  view.setUint32(KV_WRITER_ID_OFFSET, lo < 0 ? lo + TWO_32 : lo, true);
  view.setInt32(KV_WRITER_ID_OFFSET + 4, Math.floor(writerId / TWO_32), true);
  view.setInt32(KV_BATCH_SEQUENCE_OFFSET, batchSequence, true);
  view.setInt32(KV_RECORD_COUNT_OFFSET, recordCount, true);
  view.setUint32(KV_CRC_OFFSET, crc32c(buf, KV_SCHEMA_ID_OFFSET, buf.length), true);
}

/** Builds a KV batch from complete records in one call. */
export function buildKvRecordBatch(options: {
  schemaId: number;
  writerId?: number;
  batchSequence?: number;
  records: readonly KvRecord[];
}): Uint8Array {
  const b = new KvRecordBatchBuilder(options.schemaId);
  for (const r of options.records) b.append(r.key, r.value);
  return b.build(options.writerId ?? NO_WRITER_ID, options.batchSequence ?? NO_BATCH_SEQUENCE);
}

/** A read-only view of a KV batch (the bytes of one PutKv bucket request). */
export class KvBatchView {
  private readonly view: DataView;

  constructor(readonly buf: Uint8Array) {
    if (buf.length < KV_RECORD_BATCH_HEADER_SIZE) {
      throw new FlussError(ErrorCode.CORRUPT_MESSAGE, "KV record batch is shorter than its header");
    }
    this.view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  }

  get sizeInBytes(): number {
    return KV_OVERHEAD + this.view.getInt32(0, true);
  }
  get magic(): number {
    return this.buf[KV_MAGIC_OFFSET]!;
  }
  get crc(): number {
    return this.view.getUint32(KV_CRC_OFFSET, true);
  }
  get schemaId(): number {
    return this.view.getInt16(KV_SCHEMA_ID_OFFSET, true);
  }
  get attributes(): number {
    return this.buf[KV_ATTRIBUTES_OFFSET]!;
  }
  get writerId(): number {
    return this.view.getInt32(KV_WRITER_ID_OFFSET + 4, true) * TWO_32 + this.view.getUint32(KV_WRITER_ID_OFFSET, true);
  }
  get batchSequence(): number {
    return this.view.getInt32(KV_BATCH_SEQUENCE_OFFSET, true);
  }
  get recordCount(): number {
    return this.view.getInt32(KV_RECORD_COUNT_OFFSET, true);
  }
  computeCrc(): number {
    return crc32c(this.buf, KV_SCHEMA_ID_OFFSET, Math.min(this.sizeInBytes, this.buf.length));
  }
  /** Size matches the buffer, magic is known and the CRC matches. */
  isValid(): boolean {
    return this.sizeInBytes === this.buf.length && this.magic === CURRENT_KV_MAGIC_VALUE && this.computeCrc() === this.crc;
  }
  /** Throws CORRUPT_MESSAGE when {@link isValid} is false. */
  ensureValid(): void {
    if (!this.isValid()) {
      throw new FlussError(
        ErrorCode.CORRUPT_MESSAGE,
        `KV record batch is corrupt (stored crc = ${this.crc}, computed crc = ${this.computeCrc()})`,
      );
    }
  }
  /** The records, in order. */
  records(): Generator<KvRecord> {
    return iterateKvRecords(this.buf, KV_RECORD_BATCH_HEADER_SIZE, Math.min(this.sizeInBytes, this.buf.length), this.recordCount);
  }
}

/**
 * Iterates KV records in `buf[start, end)` (a whole batch by default). Keys and values
 * are views into `buf`.
 */
export function* iterateKvRecords(
  buf: Uint8Array,
  start = KV_RECORD_BATCH_HEADER_SIZE,
  end = buf.length,
  count = Number.MAX_SAFE_INTEGER,
): Generator<KvRecord> {
  // the records are validated as a whole before the first is handed out
  const records: KvRecord[] = [];
  forEachKvRecord(buf, start, end, count, (ks, ke, vs, ve) => {
    records.push({ key: buf.subarray(ks, ke), value: vs === ve ? null : buf.subarray(vs, ve) });
  });
  yield* records;
}

/**
 * Calls `fn(keyStart, keyEnd, valueStart, valueEnd)` with the byte ranges of every record in
 * `buf[start, end)` — the allocation-free form of {@link iterateKvRecords} (valueStart ===
 * valueEnd for a delete). Same validation and errors.
 */
export function forEachKvRecord(
  buf: Uint8Array,
  start: number,
  end: number,
  count: number,
  fn: (keyStart: number, keyEnd: number, valueStart: number, valueEnd: number) => void,
): void {
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  let pos = start;
  for (let i = 0; i < count && pos < end; i++) {
    if (pos + 4 > end) throw new FlussError(ErrorCode.CORRUPT_MESSAGE, "truncated KV record");
    const len = view.getInt32(pos, true);
    const recEnd = pos + 4 + len;
    if (len < 1 || recEnd > end) throw new FlussError(ErrorCode.CORRUPT_MESSAGE, `invalid KV record length ${len}`);
    let p = pos + 4;
    let keyLen = 0;
    for (let shift = 0; ; shift += 7) {
      if (p >= recEnd || shift > 28) throw new FlussError(ErrorCode.CORRUPT_MESSAGE, "malformed KV record key length");
      const b = buf[p++]!;
      keyLen |= (b & 0x7f) << shift;
      if ((b & 0x80) === 0) break;
    }
    if (keyLen < 0 || p + keyLen > recEnd) throw new FlussError(ErrorCode.CORRUPT_MESSAGE, "invalid KV record key length");
    fn(p, p + keyLen, p + keyLen, recEnd);
    pos = recEnd;
  }
}
