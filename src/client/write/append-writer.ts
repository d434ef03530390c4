/**
 * The public writer of log tables (tables without a primary key).
 */
import type * as arrow from "apache-arrow";
import type { TableInfo } from "../../metadata/table-info.js";
import { encodeArrowRecordBatchParts } from "../../record/arrow/arrow-writer.js";
import type { IpcMessageParts } from "../../record/arrow/ipc-message.js";
import { V0_RECORD_BATCH_HEADER_SIZE } from "../../record/log-batch.js";
import { makeRowCoercer, type RowCoercer } from "../../row/coerce.js";
import type { RowInputOf } from "../../row/typed-rows.js";
import type { RowObject } from "../../row/values.js";
import { FlussError } from "../../rpc/errors.js";
import type { ClientContext } from "../context.js";
import { arrowRowValues, checkNotNullColumns, conformArrowBatch, validateArrowSchema } from "./arrow-input.js";
import { PrebuiltArrowWriteBatch } from "./arrow-write-batch.js";
import { type AvailableBuckets, type BucketAssigner, createBucketAssigner } from "./bucket-assigner.js";
import { AppendMode, NEEDS_NEW_BATCH, NO_MEMORY } from "./record-accumulator.js";
import type { WriteBatch } from "./write-batch.js";
import { CompositeResult, type WriteResult, WriteResultHandle } from "./write-handle.js";
import { NO_PARTITION } from "./write-target.js";
import { WriterBase } from "./writer-base.js";
import type { WriterClient } from "./writer-client.js";

/** Per-writer options (reserved for per-writer overrides of `writer.*` settings). */
export type AppendWriterOptions = Record<string, never>;

const REQUEST_OVERHEAD = 128;

/** An Arrow message the caller built, sent as one batch. */
interface PrebuiltMessage {
  readonly message: IpcMessageParts;
  readonly rows: number;
}

/** What an append queues: a row of canonical values, or a pre-built Arrow message. */
type AppendRecord = unknown[] | PrebuiltMessage;

/**
 * Appends rows to a log table. Rows are batched per bucket and sent in the background.
 *
 * ```ts
 * const writer = table.newAppendWriter();
 * writer.append({ id: 1, name: "Alice" });        // fire-and-forget
 * await writer.append([2, "Bob"]).wait();          // wait for the server's acknowledgment
 * await writer.append(row);                        // wait ONLY for buffer room (backpressure)
 * await writer.flush();                            // everything so far is acknowledged
 * await writer.close();                            // or: await using writer = table.newAppendWriter()
 * ```
 *
 * `append` validates the row synchronously: a bad row throws a {@link FlussError}
 * (CLIENT_ERROR) naming the column and expected type, and nothing else is affected; so
 * does a row larger than `request.max.size`. Failures of fire-and-forget writes are
 * reported by {@link flush} (and {@link close}), unless already delivered by `wait()`.
 *
 * `R` is the table's row type (see `RowOf`); with a typed row, `append` takes objects of
 * that type only (`RowInputOf<R>`), so a wrong column name or value type is a compile error.
 */
export class AppendWriter<R = RowObject> extends WriterBase<AppendRecord> {
  private readonly coerce: RowCoercer;
  private readonly assigner: BucketAssigner;

  private constructor(ctx: ClientContext, client: WriterClient, info: TableInfo) {
    super(ctx, client, info, "AppendWriter");
    this.coerce = makeRowCoercer(info.rowType);
    this.assigner = createBucketAssigner(info, ctx.config.get("writer.bucket.no-key-assigner"), this.availableBuckets());
  }

  /** @internal Use `table.newAppendWriter()`. */
  static create<R = RowObject>(ctx: ClientContext, info: TableInfo, options: AppendWriterOptions = {}): AppendWriter<R> {
    void options;
    if (info.hasPrimaryKey) {
      throw FlussError.client(
        `table ${info.tablePath.toString()} has a primary key: use newUpsert() instead of newAppendWriter()`,
      );
    }
    const client = WriterBase.clientFor(ctx, "AppendWriter");
    if (!info.isPartitioned) {
      // learn the bucket leaders early (the sticky assigner prefers buckets with a leader)
      ctx.metadata.updateTables([info.tablePath]).catch(() => undefined);
    }
    const writer = new AppendWriter<R>(ctx, client, info);
    client.addWriter(writer);
    return writer;
  }

  /**
   * Appends one row: a plain object keyed by column name, or an array in column order.
   * Returns at once; see {@link WriteResultHandle}: `await handle.wait()` waits for the
   * server, `await handle` only for buffer room. Throws a FlussError (CLIENT_ERROR) if the
   * row does not fit the schema or `request.max.size`.
   */
  append(row: RowInputOf<R>): WriteResultHandle {
    this.ensureOpen();
    const values = this.coerce(row);
    this.checkRowSize(values);
    return this.enqueueRow(values);
  }

  /**
   * Writes an Arrow table whose schema matches the table's columns (names, order, types);
   * one handle covers all its rows. For uncompressed ARROW tables the writer sends the
   * table's buffers as they are, without copying them: it holds references to them until
   * the write is acknowledged, and they must not be changed meanwhile (arrow-js data is
   * immutable by convention; do not reuse a typed array you built a vector from).
   */
  writeArrow(table: arrow.Table): WriteResultHandle {
    this.ensureOpen();
    return this.writeBatches(this.checkedBatches(table.batches));
  }

  /** Writes one Arrow record batch (as {@link writeArrow}). */
  writeArrowBatch(batch: arrow.RecordBatch): WriteResultHandle {
    this.ensureOpen();
    return this.writeBatches(this.checkedBatches([batch]));
  }

  /** Dictionary columns decoded, then every batch checked against the table's columns. */
  private checkedBatches(input: readonly arrow.RecordBatch[]): arrow.RecordBatch[] {
    const batches = input.flatMap((b) => conformArrowBatch(b, this.info.rowType, this.tableName));
    for (const b of batches) {
      validateArrowSchema(b.schema, this.info.rowType, this.tableName);
      checkNotNullColumns(b, this.info.rowType, this.tableName);
    }
    return batches;
  }

  // ---------------------------------------------------------------------------------------

  private availableBuckets(): AvailableBuckets {
    const cache = new Map<number, { src: readonly unknown[]; list: number[] }>();
    const meta = this.ctx.metadata;
    const tableId = this.info.tableId;
    return (pid) => {
      const m = pid === NO_PARTITION ? meta.tableBuckets(tableId) : meta.partitionBuckets(pid);
      if (!m) return undefined;
      const c = cache.get(pid);
      if (c && c.src === m.buckets) return c.list;
      const list = m.buckets.filter((b) => b.leaderId !== undefined).map((b) => b.bucketId);
      cache.set(pid, { src: m.buckets, list });
      return list;
    };
  }

  private enqueueRow(values: unknown[]): WriteResultHandle {
    return this.enqueue(values, this.partitions?.nameOf(values));
  }

  protected place(record: AppendRecord, pid: number, name: string | undefined, mode: number): WriteBatch | undefined {
    return Array.isArray(record) ? this.appendRow(record, pid, name, mode) : this.appendPrebuilt(record as PrebuiltMessage, mode);
  }

  private appendRow(values: readonly unknown[], pid: number, name: string | undefined, mode: number): WriteBatch | undefined {
    const assigner = this.assigner;
    let bucket = assigner.assign(values, pid);
    let r = this.acc.append(
      this.target.queue(pid, bucket, name),
      values,
      this,
      (assigner.switchesOnFullBatch ? 0 : AppendMode.ALLOW_NEW_BATCH) | mode,
    );
    if (r === NEEDS_NEW_BATCH) {
      // sticky: a new batch is needed, so move on to another bucket first (Java abortIfBatchFull)
      assigner.onNewBatch(pid, bucket);
      bucket = assigner.assign(values, pid);
      r = this.acc.append(this.target.queue(pid, bucket, name), values, this, AppendMode.ALLOW_NEW_BATCH | mode);
    }
    return r === NO_MEMORY || r === NEEDS_NEW_BATCH ? undefined : r;
  }

  private appendPrebuilt(e: PrebuiltMessage, mode: number): WriteBatch | undefined {
    const pid = NO_PARTITION;
    const bucket = this.assigner.assign([], pid);
    const q = this.target.queue(pid, bucket);
    const batch = new PrebuiltArrowWriteBatch(q, Date.now(), e.message, e.rows, this.info.schemaId);
    if (!this.acc.appendBatch(q, batch, this, (mode & AppendMode.AS_WAITER) !== 0)) return undefined;
    // each pre-built batch is a full batch: sticky moves on
    if (this.assigner.switchesOnFullBatch) this.assigner.onNewBatch(pid, bucket);
    return batch;
  }

  private writeBatches(batches: readonly arrow.RecordBatch[]): WriteResultHandle {
    const info = this.info;
    const handles: WriteResultHandle[] = [];
    if (info.hasBucketKey || info.isPartitioned || info.logFormat !== "ARROW") {
      // rows must be routed one by one (bucket key, partition) or re-encoded (row formats)
      const rows: unknown[][] = [];
      for (const b of batches) for (let i = 0; i < b.numRows; i++) rows.push(this.coerce(arrowRowValues(b, i)));
      for (const values of rows) this.checkRowSize(values);
      for (const values of rows) handles.push(this.enqueueRow(values));
    } else {
      const messages: PrebuiltMessage[] = [];
      for (const b of batches) this.encodeSplit(b, messages);
      for (const m of messages) handles.push(this.enqueue(m, undefined));
    }
    return combineHandles(handles);
  }

  /**
   * Encodes a batch, halving it until each part fits one request. Uncompressed, the
   * message references the batch's buffers (no copy): they must stay unchanged until the
   * write is acknowledged (arrow-js data is immutable by convention).
   */
  private encodeSplit(batch: arrow.RecordBatch, out: PrebuiltMessage[]): void {
    if (batch.numRows === 0) return;
    const message = encodeArrowRecordBatchParts(batch, this.info.rowType, this.target.compression);
    if (message.byteLength + V0_RECORD_BATCH_HEADER_SIZE + REQUEST_OVERHEAD > this.maxRequestSize) {
      if (batch.numRows === 1) {
        throw FlussError.client(
          `a row of table ${this.tableName} encodes to ${message.byteLength} bytes of Arrow and does not fit one request: ` +
            `"request.max.size" is ${this.maxRequestSize} bytes`,
        );
      }
      const mid = Math.floor(batch.numRows / 2);
      this.encodeSplit(batch.slice(0, mid), out);
      this.encodeSplit(batch.slice(mid), out);
      return;
    }
    out.push({ message, rows: batch.numRows });
  }
}

/** One handle for several writes: accepted when all are, acknowledged when all are. */
function combineHandles(handles: WriteResultHandle[]): WriteResultHandle {
  if (handles.length === 1) return handles[0]!;
  const results: WriteResult[] = [];
  for (const h of handles) {
    const r = h.acceptedResult;
    if (!r) break;
    results.push(r);
  }
  if (results.length === handles.length) return WriteResultHandle.create(new CompositeResult(results));
  const combined = WriteResultHandle.create();
  Promise.all(handles.map((h) => h.then(() => h.acceptedResult!))).then(
    (list) => combined.accept(new CompositeResult(list)),
    (err: unknown) => combined.reject(err instanceof FlussError ? err : FlussError.client(String(err), err)),
  );
  return combined;
}
