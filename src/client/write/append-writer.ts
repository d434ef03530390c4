/**
 * The public writer of log tables (tables without a primary key).
 */
import type * as arrow from "apache-arrow";
import type { DataType } from "../../metadata/data-types.js";
import { partitionValueToString } from "../../metadata/partition.js";
import type { TableInfo } from "../../metadata/table-info.js";
import { encodeArrowRecordBatchParts } from "../../record/arrow/arrow-writer.js";
import type { IpcMessageParts } from "../../record/arrow/ipc-message.js";
import { V0_RECORD_BATCH_HEADER_SIZE } from "../../record/log-batch.js";
import { makeRowCoercer, type RowCoercer } from "../../row/coerce.js";
import { ErrorCode, FlussError } from "../../rpc/errors.js";
import type { ClientContext } from "../context.js";
import { arrowRowValues, checkNotNullColumns, conformArrowBatch, validateArrowSchema } from "./arrow-input.js";
import { PrebuiltArrowWriteBatch } from "./arrow-write-batch.js";
import { type AvailableBuckets, type BucketAssigner, createBucketAssigner } from "./bucket-assigner.js";
import { AppendMode, NEEDS_NEW_BATCH, NO_MEMORY, type RecordAccumulator } from "./record-accumulator.js";
import type { BatchOwner, WriteBatch } from "./write-batch.js";
import { CompositeResult, type WriteResult, WriteResultHandle } from "./write-handle.js";
import { NO_PARTITION, type TableWriteTarget } from "./write-target.js";
import { WriterClient } from "./writer-client.js";

/** Per-writer options (reserved for per-writer overrides of `writer.*` settings). */
export interface AppendWriterOptions {}

/** Partition id of a row whose partition has not been looked up yet. */
const UNRESOLVED = -2;
/** How long a "partition does not exist" answer is trusted before asking again. */
const MISSING_PARTITION_TTL_MS = 1000;
const REQUEST_OVERHEAD = 128;

/** A write waiting for buffer memory or for its partition id, in arrival order. */
interface PendingWrite {
  readonly handle: WriteResultHandle;
  readonly partitionName: string | undefined;
  partitionId: number;
  readonly values?: unknown[];
  readonly message?: IpcMessageParts;
  readonly rows?: number;
}

type DrainStatus = "done" | "memory" | "lookup";

/**
 * Appends rows to a log table. Rows are batched per bucket and sent in the background.
 *
 * ```ts
 * const writer = await table.newAppendWriter();
 * writer.append({ id: 1, name: "Alice" });        // fire-and-forget
 * await writer.append([2, "Bob"]).wait();          // wait for the server's acknowledgment
 * await writer.append(row);                        // wait only for buffer room (backpressure)
 * await writer.flush();                            // everything so far is acknowledged
 * ```
 *
 * `append` validates the row synchronously: a bad row throws a {@link FlussError}
 * (CLIENT_ERROR) naming the column and expected type, and nothing else is affected.
 * Failures of fire-and-forget writes are reported by {@link flush} (and {@link close}).
 */
export class AppendWriter implements BatchOwner {
  private readonly coerce: RowCoercer;
  private readonly assigner: BucketAssigner;
  private readonly acc: RecordAccumulator;
  private readonly target: TableWriteTarget;
  private readonly tableName: string;
  private readonly partitionIndexes: number[];
  private readonly partitionTypes: DataType[];
  private readonly partitionIds = new Map<string, number>();
  private readonly missingUntil = new Map<string, number>();
  private readonly pending: PendingWrite[] = [];
  private pendingHead = 0;
  private drainedWaiters: (() => void)[] = [];
  private waitingForMemory = false;
  private lookingUp: string | undefined;
  private firstError: FlussError | undefined;
  private closing: Promise<void> | undefined;
  private readonly maxRequestSize: number;

  private constructor(
    private readonly ctx: ClientContext,
    private readonly client: WriterClient,
    /** The table written to. */
    readonly info: TableInfo,
  ) {
    this.coerce = makeRowCoercer(info.rowType);
    this.acc = client.accumulator;
    this.target = client.target(info);
    this.tableName = info.tablePath.toString();
    this.maxRequestSize = ctx.config.get("request.max.size");
    const fields = info.rowType.fields;
    this.partitionIndexes = info.partitionKeys.map((k) => fields.findIndex((f) => f.name === k));
    this.partitionTypes = this.partitionIndexes.map((i) => fields[i]!.type);
    this.assigner = createBucketAssigner(info, ctx.config.get("writer.bucket.no-key-assigner"), this.availableBuckets());
  }

  /** @internal Use `table.newAppendWriter()`. */
  static async create(ctx: ClientContext, info: TableInfo, options: AppendWriterOptions = {}): Promise<AppendWriter> {
    void options;
    if (info.hasPrimaryKey) {
      throw FlussError.client(`table ${info.tablePath.toString()} has a primary key: use an upsert writer instead`);
    }
    const client = WriterClient.of(ctx);
    // Ask for the writer id now, as Java's sender does on start, instead of holding the
    // first batch for that round trip; a failure here is retried by the sender.
    client.idempotence.ensureWriterId().catch(() => undefined);
    if (!info.isPartitioned) {
      // learn the bucket leaders up front (the sticky assigner prefers buckets with a leader)
      await ctx.metadata.updateTables([info.tablePath]).catch(() => undefined);
    }
    const writer = new AppendWriter(ctx, client, info);
    client.addWriter(writer);
    return writer;
  }

  /**
   * Appends one row: a plain object keyed by column name, or an array in column order.
   * Returns at once; see {@link WriteResultHandle} for waiting on acknowledgment or on
   * buffer room. Throws a FlussError (CLIENT_ERROR) if the row does not fit the schema.
   */
  append(row: Record<string, unknown> | unknown[]): WriteResultHandle {
    this.ensureOpen();
    return this.enqueueRow(this.coerce(row));
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

  /**
   * Sends everything appended so far at once and resolves when all of it is acknowledged.
   * Rejects with the first failure of this writer's writes since the last flush.
   */
  async flush(): Promise<void> {
    const acc = this.acc;
    acc.beginFlush();
    try {
      if (this.pendingHead < this.pending.length) {
        await new Promise<void>((resolve) => this.drainedWaiters.push(resolve));
      }
      const mine: WriteBatch[] = [];
      for (const b of acc.incomplete) if (b.hasOwner(this)) mine.push(b);
      if (mine.length > 0) {
        await new Promise<void>((resolve) => {
          let left = mine.length;
          for (const b of mine) b.result.onDone(() => --left === 0 && resolve());
        });
      }
    } finally {
      acc.endFlush();
    }
    const err = this.firstError;
    this.firstError = undefined;
    if (err) throw err;
  }

  /** Flushes, then closes the writer (further writes throw). */
  close(): Promise<void> {
    if (!this.closing) {
      this.closing = this.flush().finally(() => this.client.removeWriter(this));
    }
    return this.closing;
  }

  /** @internal A batch with rows of this writer failed for good. */
  recordFailure(error: FlussError): void {
    this.firstError ??= error;
  }

  // ---------------------------------------------------------------------------------------

  private ensureOpen(): void {
    if (this.closing) throw FlussError.client(`this AppendWriter of table ${this.tableName} is closed`);
    if (this.client.isClosed) throw FlussError.client("the connection of this AppendWriter is closed");
  }

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

  private partitionNameOf(values: readonly unknown[]): string {
    const idx = this.partitionIndexes;
    const types = this.partitionTypes;
    let name = partitionValueToString(types[0]!, values[idx[0]!]);
    for (let i = 1; i < idx.length; i++) name += "$" + partitionValueToString(types[i]!, values[idx[i]!]);
    return name;
  }

  private enqueueRow(values: unknown[]): WriteResultHandle {
    let pid = NO_PARTITION;
    let name: string | undefined;
    if (this.partitionIndexes.length > 0) {
      name = this.partitionNameOf(values);
      pid = this.partitionIds.get(name) ?? UNRESOLVED;
    }
    if (this.pendingHead === this.pending.length && pid !== UNRESOLVED) {
      const b = this.appendRow(values, pid, name, 0);
      if (b) return new WriteResultHandle(b.result);
    }
    const handle = new WriteResultHandle();
    this.pending.push({ handle, partitionName: name, partitionId: pid, values });
    this.drainPending(false);
    return handle;
  }

  private appendRow(values: readonly unknown[], pid: number, name: string | undefined, mode: number): WriteBatch | undefined {
    const assigner = this.assigner;
    let bucket = assigner.assign(values, pid);
    let r = this.acc.append(this.target.queue(pid, bucket, name), values, this, (assigner.switchesOnFullBatch ? 0 : AppendMode.ALLOW_NEW_BATCH) | mode);
    if (r === NEEDS_NEW_BATCH) {
      // sticky: a new batch is needed, so move on to another bucket first (Java abortIfBatchFull)
      assigner.onNewBatch(pid, bucket);
      bucket = assigner.assign(values, pid);
      r = this.acc.append(this.target.queue(pid, bucket, name), values, this, AppendMode.ALLOW_NEW_BATCH | mode);
    }
    return r === NO_MEMORY || r === NEEDS_NEW_BATCH ? undefined : r;
  }

  private appendPrebuilt(e: PendingWrite, asWaiter: boolean): WriteBatch | undefined {
    const pid = NO_PARTITION;
    const bucket = this.assigner.assign([], pid);
    const q = this.target.queue(pid, bucket);
    const batch = new PrebuiltArrowWriteBatch(q, Date.now(), e.message!, e.rows!, this.info.schemaId);
    if (!this.acc.appendBatch(q, batch, this, asWaiter)) return undefined;
    // each pre-built batch is a full batch: sticky moves on
    if (this.assigner.switchesOnFullBatch) this.assigner.onNewBatch(pid, bucket);
    return batch;
  }

  /** Works through waiting writes in order; stops at the first that must wait. */
  private drainPending(asWaiter: boolean): DrainStatus {
    const pending = this.pending;
    while (this.pendingHead < pending.length) {
      const e = pending[this.pendingHead]!;
      if (e.partitionId === UNRESOLVED) {
        const name = e.partitionName!;
        const id = this.partitionIds.get(name);
        if (id !== undefined) e.partitionId = id;
        else if ((this.missingUntil.get(name) ?? 0) > Date.now()) {
          this.rejectPending(e, this.partitionMissing(name));
          continue;
        } else {
          this.lookupPartition(name);
          return "lookup";
        }
      }
      const mode = asWaiter ? AppendMode.AS_WAITER : 0;
      const batch = e.values ? this.appendRow(e.values, e.partitionId, e.partitionName, mode) : this.appendPrebuilt(e, asWaiter);
      if (!batch) {
        if (!this.waitingForMemory) {
          this.waitingForMemory = true;
          this.acc.waitForMemory(() => {
            const status = this.drainPending(true);
            if (status !== "memory") this.waitingForMemory = false;
            return status !== "memory";
          });
        }
        return "memory";
      }
      pending[this.pendingHead++] = undefined as unknown as PendingWrite; // let the row go
      e.handle.accept(batch.result);
    }
    pending.length = 0;
    this.pendingHead = 0;
    const waiters = this.drainedWaiters;
    this.drainedWaiters = [];
    for (const w of waiters) w();
    return "done";
  }

  private rejectPending(e: PendingWrite, error: FlussError): void {
    this.pending[this.pendingHead++] = undefined as unknown as PendingWrite;
    e.handle.reject(error);
    this.recordFailure(error);
  }

  private partitionMissing(name: string): FlussError {
    const values = name.split("$");
    const spec = this.info.partitionKeys.map((k, i) => `${k}=${values[i]}`).join("/");
    return new FlussError(
      ErrorCode.PARTITION_NOT_EXISTS,
      `partition ${spec} of table ${this.tableName} does not exist (create it first with admin.createPartition)`,
    );
  }

  /** Resolves a partition id by name (cached metadata, else one metadata request). */
  private lookupPartition(name: string): void {
    if (this.lookingUp !== undefined) return;
    const meta = this.ctx.metadata;
    const known = meta.partitionId(this.info.tableId, name);
    if (known !== undefined) {
      this.partitionIds.set(name, known);
      queueMicrotask(() => this.drainPending(false));
      return;
    }
    this.lookingUp = name;
    meta
      .updatePartitions(this.info.tablePath, { names: [name] })
      .then(
        () => {
          const id = meta.partitionId(this.info.tableId, name);
          if (id === undefined) this.missingUntil.set(name, Date.now() + MISSING_PARTITION_TTL_MS);
          else this.partitionIds.set(name, id);
        },
        (err: unknown) => {
          if (err instanceof FlussError && err.code === ErrorCode.PARTITION_NOT_EXISTS) {
            this.missingUntil.set(name, Date.now() + MISSING_PARTITION_TTL_MS);
            return;
          }
          const fe =
            err instanceof FlussError
              ? new FlussError(err.code, `cannot look up partition "${name}" of table ${this.tableName}: ${err.message}`, { cause: err })
              : FlussError.client(`cannot look up partition "${name}" of table ${this.tableName}: ${String(err)}`, err);
          // fail the waiting writes of this partition (in order, at the head)
          while (this.pendingHead < this.pending.length) {
            const e = this.pending[this.pendingHead]!;
            if (e.partitionId !== UNRESOLVED || e.partitionName !== name) break;
            this.rejectPending(e, fe);
          }
        },
      )
      .finally(() => {
        this.lookingUp = undefined;
        this.drainPending(false);
      });
  }

  private writeBatches(batches: readonly arrow.RecordBatch[]): WriteResultHandle {
    const info = this.info;
    const handles: WriteResultHandle[] = [];
    if (info.hasBucketKey || info.isPartitioned || info.logFormat !== "ARROW") {
      // rows must be routed one by one (bucket key, partition) or re-encoded (row formats)
      const rows: unknown[][] = [];
      for (const b of batches) for (let i = 0; i < b.numRows; i++) rows.push(this.coerce(arrowRowValues(b, i)));
      for (const values of rows) handles.push(this.enqueueRow(values));
    } else {
      const messages: { message: IpcMessageParts; rows: number }[] = [];
      for (const b of batches) this.encodeSplit(b, messages);
      for (const m of messages) handles.push(this.enqueuePrebuilt(m.message, m.rows));
    }
    return combineHandles(handles);
  }

  /**
   * Encodes a batch, halving it until each part fits one request. Uncompressed, the
   * message references the batch's buffers (no copy): they must stay unchanged until the
   * write is acknowledged (arrow-js data is immutable by convention).
   */
  private encodeSplit(batch: arrow.RecordBatch, out: { message: IpcMessageParts; rows: number }[]): void {
    if (batch.numRows === 0) return;
    const message = encodeArrowRecordBatchParts(batch, this.info.rowType, this.target.compression);
    if (message.byteLength + V0_RECORD_BATCH_HEADER_SIZE + REQUEST_OVERHEAD > this.maxRequestSize && batch.numRows > 1) {
      const mid = Math.floor(batch.numRows / 2);
      this.encodeSplit(batch.slice(0, mid), out);
      this.encodeSplit(batch.slice(mid), out);
      return;
    }
    out.push({ message, rows: batch.numRows });
  }

  private enqueuePrebuilt(message: IpcMessageParts, rows: number): WriteResultHandle {
    const e: PendingWrite = { handle: new WriteResultHandle(), partitionName: undefined, partitionId: NO_PARTITION, message, rows };
    if (this.pendingHead === this.pending.length) {
      const b = this.appendPrebuilt(e, false);
      if (b) return new WriteResultHandle(b.result);
    }
    this.pending.push(e);
    this.drainPending(false);
    return e.handle;
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
  if (results.length === handles.length) return new WriteResultHandle(new CompositeResult(results));
  const combined = new WriteResultHandle();
  Promise.all(handles.map((h) => h.then(() => h.acceptedResult!))).then(
    (list) => combined.accept(new CompositeResult(list)),
    (err: unknown) => combined.reject(err instanceof FlussError ? err : FlussError.client(String(err), err)),
  );
  return combined;
}
