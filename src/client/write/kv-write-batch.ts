/**
 * KV record batches of primary-key tables (Java `KvWriteBatch`): each record is encoded
 * straight into the batch buffer as `[int32 length][varint keyLength][key][value row?]`
 * after a reserved 28-byte header (formats.md §4.1, §4.2; a delete has no value bytes),
 * the value in the table's `table.kv.format` (COMPACTED or INDEXED). One batch holds the
 * records of one target-column set: a record with another set closes it (Java's
 * `RecordAccumulator.tryAppend` rolls over to a new batch the same way).
 */
import type { DataType } from "../../metadata/data-types.js";
import type { KvFormat } from "../../metadata/table-options.js";
import {
  KV_BATCH_SEQUENCE_OFFSET,
  KV_RECORD_BATCH_HEADER_SIZE,
  KV_WRITER_ID_OFFSET,
  writeKvBatchHeader,
} from "../../record/kv-batch.js";
import { CompactedRowEncoder } from "../../row/compacted-row.js";
import { IndexedRowEncoder } from "../../row/indexed-row.js";
import type { RowEncoder } from "../../row/row-codec.js";
import { ByteWriter } from "../../util/bytes.js";
import { type BatchBytes, type BatchTarget, RowWriteBatch } from "./write-batch.js";
import type { KvWriteRecord, TargetColumns } from "./write-record.js";

const TWO_32 = 4294967296;

/** Shared per table and schema: the value encoder and the batch size. */
export class KvBatchContext {
  readonly encoder: RowEncoder;

  constructor(
    types: readonly DataType[],
    readonly kvFormat: KvFormat,
    readonly schemaId: number,
    readonly batchSize: number,
    /** The connection's batch buffers (one pool for every primary-key table). */
    readonly buffers: KvBufferPool = new KvBufferPool(batchSize),
  ) {
    this.encoder = kvFormat === "INDEXED" ? new IndexedRowEncoder(types) : new CompactedRowEncoder(types);
  }
}

/**
 * Idle KV batch buffers of one connection, each the batch size plus room for the record
 * that crosses it. Fresh buffers per batch (growing by doubling, then copied when built)
 * made ~4x the batch size of short-lived external memory per batch, and V8 answers
 * external-memory growth with full GCs: a third of the client's time in a 1M-row upsert
 * loop. A buffer returns here once its batch is acknowledged.
 */
export class KvBufferPool {
  private readonly idle: ByteWriter[] = [];
  readonly bufferSize: number;

  constructor(batchSize: number) {
    this.bufferSize = batchSize + BUFFER_SLACK;
  }

  acquire(): ByteWriter {
    const w = this.idle.pop() ?? new ByteWriter(this.bufferSize);
    w.reset();
    return w;
  }

  /** Takes back a batch's writer once nothing can read its bytes any more. */
  recycle(w: ByteWriter): void {
    // one that grew for an outsized row is let go
    if (this.idle.length < MAX_IDLE_BUFFERS && w.buf.length === this.bufferSize) this.idle.push(w);
  }
}

/** Room past the batch size for the record that crosses it (bigger ones grow the buffer). */
const BUFFER_SLACK = 16 * 1024;
/** Idle buffers kept: the batches of a bucket in flight, and one being filled. */
const MAX_IDLE_BUFFERS = 6;

/** A built KV batch: one contiguous array; a re-stamp copies it (a queued frame may still hold the old one). */
class KvBatchBytes implements BatchBytes {
  private bytes: Uint8Array;

  constructor(
    bytes: Uint8Array,
    private readonly schemaId: number,
    private readonly recordCount: number,
  ) {
    this.bytes = bytes;
  }

  get sizeInBytes(): number {
    return this.bytes.length;
  }

  get parts(): readonly Uint8Array[] {
    return [this.bytes];
  }

  toBytes(): Uint8Array {
    return this.bytes;
  }

  stamp(writerId: number, batchSequence: number): boolean {
    const b = this.bytes;
    const view = new DataView(b.buffer, b.byteOffset, b.byteLength);
    const oldWriterId = view.getInt32(KV_WRITER_ID_OFFSET + 4, true) * TWO_32 + view.getUint32(KV_WRITER_ID_OFFSET, true);
    if (oldWriterId === writerId && view.getInt32(KV_BATCH_SEQUENCE_OFFSET, true) === batchSequence) return false;
    const copy = b.slice();
    writeKvBatchHeader(copy, this.schemaId, writerId, batchSequence, this.recordCount);
    this.bytes = copy;
    return true;
  }
}

/** Upserts and deletes of one (table, partition, bucket) and one target-column set. */
export class KvWriteBatch extends RowWriteBatch {
  private writer: ByteWriter | undefined;
  private rows = 0;

  constructor(
    target: BatchTarget,
    createdMs: number,
    private readonly ctx: KvBatchContext,
    /** The target columns of every record in the batch (undefined: whole rows). */
    readonly targetColumns: TargetColumns | undefined,
  ) {
    super(target, createdMs);
    const w = ctx.buffers.acquire();
    w.zeros(KV_RECORD_BATCH_HEADER_SIZE);
    this.writer = this.buffer = w;
  }

  /** The pooled writer the built bytes are a view of; back to the pool once acknowledged. */
  private buffer: ByteWriter | undefined;

  /** The request group of the batch: PutKv requests carry one target-column set. */
  get targetKey(): string {
    return this.targetColumns?.key ?? "";
  }

  get recordCount(): number {
    return this.rows;
  }

  estimatedSizeInBytes(): number {
    return this.writer ? this.writer.pos : KV_RECORD_BATCH_HEADER_SIZE;
  }

  tryAppend(record: KvWriteRecord): boolean {
    const w = this.writer;
    if (this.closed || !w) return false;
    if ((record.targetColumns?.key ?? "") !== this.targetKey) {
      this.closed = true;
      return false;
    }
    const start = w.pos;
    const key = record.key;
    w.i32(0);
    w.varint32(key.length);
    w.bytes(key);
    if (record.values !== null) {
      try {
        this.ctx.encoder.encodeInto(w, record.values);
      } catch (err) {
        w.pos = start; // the record is dropped whole; the batch stays valid
        throw err;
      }
    }
    // Java KvRecordBatchBuilder.hasRoomFor: a record that would cross the batch size
    // starts the next batch (unless it is the first)
    if (this.rows > 0 && w.pos > this.ctx.batchSize) {
      w.pos = start;
      this.closed = true;
      return false;
    }
    w.view.setInt32(start, w.pos - start - 4, true);
    this.rows++;
    return true;
  }

  protected buildParts(writerId: number, batchSequence: number): BatchBytes {
    // a view, not a copy: the buffer is recycled only after the batch is acknowledged
    const out = this.writer!.written();
    writeKvBatchHeader(out, this.ctx.schemaId, writerId, batchSequence, this.rows);
    return new KvBatchBytes(out, this.ctx.schemaId, this.rows);
  }

  protected override release(): void {
    this.writer = undefined;
  }

  protected override acknowledged(): void {
    // every attempt has returned (or its connection is closed): no frame holds the bytes
    const b = this.buffer;
    this.buffer = undefined;
    if (b) this.ctx.buffers.recycle(b);
  }
}
