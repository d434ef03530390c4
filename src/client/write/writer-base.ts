/**
 * What the append and upsert writers share: writes waiting (in arrival order) for buffer
 * memory or for their partition id, flush, close, `await using`, the report of failures,
 * and the checks every write passes (writer open, table still there, row within
 * `request.max.size`). A subclass turns user input into records and places a record into
 * a batch ({@link WriterBase.place}); everything after that (accumulator, sender, retries,
 * idempotence) is the connection's {@link WriterClient}.
 */
import type { TableInfo } from "../../metadata/table-info.js";
import { FlussError } from "../../rpc/errors.js";
import type { ClientContext } from "../context.js";
import { PartitionResolver } from "../partition-resolver.js";
import { AppendMode, type RecordAccumulator } from "./record-accumulator.js";
import type { BatchOwner, WriteBatch } from "./write-batch.js";
import { type WriteResult, WriteResultHandle } from "./write-handle.js";
import { NO_PARTITION, type TableWriteTarget } from "./write-target.js";
import { WriterClient } from "./writer-client.js";

/** Partition id of a write whose partition has not been looked up yet. */
const UNRESOLVED = -2;
/** Failures kept for `flush()` at most (the first ones; later ones only count). */
const MAX_KEPT_FAILURES = 1024;
/** Bytes a request adds around one batch of one row (request, bucket entry and batch headers). */
const SINGLE_ROW_OVERHEAD = 256;

/** A write waiting for buffer memory or for its partition id, in arrival order. */
interface PendingWrite<R> {
  readonly handle: WriteResultHandle;
  readonly partitionName: string | undefined;
  partitionId: number;
  readonly record: R;
  /** Arrival number: a "partition missing" answer applies to writes that arrived before its question. */
  readonly ticket: number;
}

type DrainStatus = "done" | "memory" | "lookup";

/** The shared machinery of {@link AppendWriter} and {@link UpsertWriter}. Not exported from the package. */
export abstract class WriterBase<R> implements BatchOwner, AsyncDisposable {
  protected readonly acc: RecordAccumulator;
  protected readonly target: TableWriteTarget;
  protected readonly tableName: string;
  /** Undefined for non-partitioned tables. */
  protected readonly partitions: PartitionResolver | undefined;
  protected readonly maxRequestSize: number;
  private readonly pending: PendingWrite<R>[] = [];
  private pendingHead = 0;
  private tickets = 0;
  /** Partition name → ticket: writes with a lower ticket were answered "does not exist". */
  private readonly missingBefore = new Map<string, number>();
  private drainedWaiters: (() => void)[] = [];
  private waitingForMemory = false;
  private lookingUp: string | undefined;
  private failures: WriteResult[] = [];
  private failureErrors: FlussError[] = [];
  private closing: Promise<void> | undefined;

  protected constructor(
    protected readonly ctx: ClientContext,
    protected readonly client: WriterClient,
    /** The table written to. */
    readonly info: TableInfo,
    private readonly kind: string,
  ) {
    this.acc = client.accumulator;
    this.target = client.target(info);
    // Ask for the writer id now, as Java's sender does on start, instead of holding the
    // first batch for that round trip; a failure here is retried by the sender. After the
    // target is known: InitWriter names the tables written (a secured cluster checks WRITE).
    client.idempotence.ensureWriterId().catch(() => undefined);
    this.tableName = info.tablePath.toString();
    this.maxRequestSize = ctx.config.get("request.max.size");
    const create = ctx.config.get("writer.dynamic-create-partition.enabled")
      ? (spec: Record<string, string>) => ctx.admin.createPartition(info.tablePath, spec, { ignoreIfExists: true })
      : undefined;
    this.partitions = info.isPartitioned
      ? new PartitionResolver(ctx.metadata, info, create, ctx.config.get("request.timeout.ms"))
      : undefined;
  }

  /**
   * The writer client of a connection for a new writer: fails at once when the
   * connection is closed (or closing).
   */
  protected static clientFor(ctx: ClientContext, kind: string): WriterClient {
    if (ctx.rpc.isClosed) throw FlussError.client(`cannot create an ${kind}: the connection is closed`);
    return WriterClient.of(ctx);
  }

  /**
   * Places a record into a batch of partition `partitionId` (`NO_PARTITION` if none);
   * `mode` holds {@link AppendMode} flags. Returns undefined when there is no memory now.
   */
  protected abstract place(
    record: R,
    partitionId: number,
    partitionName: string | undefined,
    mode: number,
  ): WriteBatch | undefined;

  /**
   * Bytes of buffer memory held now by unacknowledged writes of this connection's writers
   * (shared by all of them): what `writer.buffer.memory.size` bounds. Row batches count
   * their uncompressed size, so compressible data cannot hold more than the bound (plus
   * one batch) however well it compresses.
   */
  get bufferedBytes(): number {
    return this.acc.usedMemory;
  }

  /**
   * Sends everything written so far at once and resolves when all of it is acknowledged.
   * Rejects with the first failure of this writer's writes since the last flush that was
   * not already delivered through `handle.wait()` (or a rejected `await handle`).
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
    const results = this.failures;
    const errors = this.failureErrors;
    this.failures = [];
    this.failureErrors = [];
    for (let i = 0; i < results.length; i++) {
      if (!results[i]!.observed) {
        results[i]!.markObserved();
        throw errors[i]!;
      }
    }
  }

  /**
   * Flushes, then closes the writer: further writes throw. Rejects like {@link flush}
   * (failures already delivered through `handle.wait()` are not thrown again).
   */
  close(): Promise<void> {
    if (!this.closing) {
      this.closing = this.flush().finally(() => this.client.removeWriter(this));
    }
    return this.closing;
  }

  /** `await using writer = table.newUpsert()`: closes the writer at the end of the scope. */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  /** A batch (or a waiting write) of this writer failed for good (`BatchOwner`); not for applications. */
  recordFailure(error: FlussError, result: WriteResult): void {
    if (this.failures.length >= MAX_KEPT_FAILURES) {
      // keep the list bounded: drop what the user has seen already
      const keep = this.failures.map((_, i) => i).filter((i) => !this.failures[i]!.observed);
      this.failures = keep.map((i) => this.failures[i]!);
      this.failureErrors = keep.map((i) => this.failureErrors[i]!);
      if (this.failures.length >= MAX_KEPT_FAILURES) return;
    }
    this.failures.push(result);
    this.failureErrors.push(error);
  }

  // ---------------------------------------------------------------------------------------

  /** Throws when the writer or its connection is closed, or the table is gone. */
  protected ensureOpen(): void {
    if (this.closing) throw FlussError.client(`this ${this.kind} of table ${this.tableName} is closed`);
    if (this.client.isClosed) throw FlussError.client(`the connection of this ${this.kind} is closed`);
    const gone = this.target.gone;
    if (gone) throw gone;
  }

  /**
   * Refuses a row that cannot fit one request (`request.max.size`) however it is batched.
   * Counts the bytes of strings (at least one byte per UTF-16 unit) and binary values
   * (nested ones included), a lower bound of the encoded size, so no row is refused wrongly.
   */
  protected checkRowSize(values: readonly unknown[]): void {
    let total = 0;
    let largest = -1;
    let largestSize = 0;
    for (let i = 0; i < values.length; i++) {
      const n = valueBytes(values[i]);
      total += n;
      if (n > largestSize) {
        largestSize = n;
        largest = i;
      }
    }
    if (total + SINGLE_ROW_OVERHEAD > this.maxRequestSize) {
      const column = largest >= 0 ? ` (column "${this.info.rowType.fields[largest]!.name}" holds ${largestSize} bytes)` : "";
      throw FlussError.client(
        `a row of table ${this.tableName} of at least ${total} bytes${column} does not fit one request: ` +
          `"request.max.size" is ${this.maxRequestSize} bytes`,
      );
    }
  }

  /**
   * The record as kept while it waits (for memory, a partition or earlier writes): a writer
   * whose records borrow reused memory copies it here. Records placed at once are consumed
   * before `enqueue` returns.
   */
  protected retained(record: R): R {
    return record;
  }

  /** Queues a record: straight into a batch when nothing waits, else behind the waiting writes. */
  protected enqueue(record: R, partitionName: string | undefined): WriteResultHandle {
    let pid = NO_PARTITION;
    if (partitionName !== undefined) pid = this.partitions!.cached(partitionName) ?? UNRESOLVED;
    if (this.pendingHead === this.pending.length && pid !== UNRESOLVED) {
      const b = this.place(record, pid, partitionName, 0);
      if (b) return WriteResultHandle.create(b.result);
    }
    const handle = WriteResultHandle.create();
    this.pending.push({ handle, partitionName, partitionId: pid, record: this.retained(record), ticket: this.tickets++ });
    this.drainPending(false);
    return handle;
  }

  /** Works through waiting writes in order; stops at the first that must wait. */
  private drainPending(asWaiter: boolean): DrainStatus {
    const pending = this.pending;
    while (this.pendingHead < pending.length) {
      const e = pending[this.pendingHead]!;
      if (e.partitionId === UNRESOLVED) {
        const name = e.partitionName!;
        const id = this.partitions!.cached(name);
        if (id !== undefined) e.partitionId = id;
        else if (e.ticket < (this.missingBefore.get(name) ?? -1)) {
          this.rejectPending(e, this.partitions!.missingError(name));
          continue;
        } else {
          this.lookupPartition(name);
          return "lookup";
        }
      }
      const batch = this.place(e.record, e.partitionId, e.partitionName, asWaiter ? AppendMode.AS_WAITER : 0);
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
      pending[this.pendingHead++] = undefined as unknown as PendingWrite<R>; // let the row go
      e.handle.accept(batch.result);
    }
    pending.length = 0;
    this.pendingHead = 0;
    const waiters = this.drainedWaiters;
    this.drainedWaiters = [];
    for (const w of waiters) w();
    return "done";
  }

  private rejectPending(e: PendingWrite<R>, error: FlussError): void {
    this.pending[this.pendingHead++] = undefined as unknown as PendingWrite<R>;
    e.handle.reject(error);
    this.recordFailure(error, e.handle.acceptedResult!);
  }

  /** Asks the cluster for a partition's id; the waiting writes continue with the answer. */
  private lookupPartition(name: string): void {
    if (this.lookingUp !== undefined) return;
    this.lookingUp = name;
    // every write that arrived so far has a lower ticket than this question
    const asked = this.tickets;
    this.partitions!.lookupOrCreate(name)
      .then(
        (id) => {
          if (id === undefined) this.missingBefore.set(name, asked);
        },
        (err: unknown) => {
          const fe = err instanceof FlussError ? err : FlussError.client(String(err), err);
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
}

/** Bytes of strings and binary values in a canonical value (a lower bound of its encoding). */
function valueBytes(v: unknown): number {
  if (typeof v === "string") return v.length;
  if (v === null || typeof v !== "object") return 0;
  if (v instanceof Uint8Array) return v.length;
  let n = 0;
  if (Array.isArray(v)) {
    for (const x of v) n += valueBytes(x);
  } else if (v instanceof Map) {
    for (const [k, x] of v) n += valueBytes(k) + valueBytes(x);
  } else if (Object.getPrototypeOf(v) === Object.prototype) {
    for (const k in v) n += valueBytes((v as Record<string, unknown>)[k]);
  }
  return n;
}
