/**
 * Buffers rows into per-bucket batches until the sender drains them (Java `RecordAccumulator`).
 *
 * - A batch is ready when full, when it lingered `writer.batch.timeout.ms`, or at once while
 *   a flush is in progress, the writer closes, or rows are waiting for memory.
 * - Memory (`writer.buffer.memory.size`) is reserved per batch (a batch's worth when a row
 *   batch starts; the message size for pre-built Arrow batches) and released when the batch
 *   completes. It counts uncompressed bytes, as Java's paged pool counts the pages a batch
 *   fills: a row batch whose uncompressed rows outgrow its reservation takes more
 *   ({@link WriteBatch.reserveMore}) or, when there is none to spare (or writers wait), is
 *   full. So memory stays within the bound plus one batch however well the data compresses. A writer that finds no room registers in a FIFO of waiters and is called
 *   back, in order, as memory frees up.
 */
import type { FlussError } from "../../rpc/errors.js";
import type { BatchOwner, RowWriteBatch, WriteBatch } from "./write-batch.js";
import type { BucketQueue } from "./write-target.js";
import type { WriteRecord } from "./write-record.js";

/** {@link RecordAccumulator.append} could not take the row without starting a batch. */
export const NEEDS_NEW_BATCH = 1;
/** {@link RecordAccumulator.append} has no memory for a new batch. */
export const NO_MEMORY = 2;

/** Flags of {@link RecordAccumulator.append}. */
export const AppendMode = {
  /** May start a new batch. */
  ALLOW_NEW_BATCH: 1,
  /** The caller is the head of the memory waiters (may take memory ahead of the queue). */
  AS_WAITER: 2,
} as const;

/** A writer waiting for memory: returns true once it no longer waits. */
export type MemoryWaiter = () => boolean;

/** Options of the accumulator. */
export interface AccumulatorOptions {
  batchSize: number;
  lingerMs: number;
  bufferMemory: number;
}

/** Batching, linger and memory accounting, shared by all writers of a writer client. */
export class RecordAccumulator {
  readonly batchSize: number;
  readonly lingerMs: number;
  readonly totalMemory: number;
  private used = 0;
  private readonly waiters: MemoryWaiter[] = [];
  private servingWaiters = false;
  /** Depth of {@link onFull} calls on the stack (a synchronous send inside an append). */
  private sendingInAppend = 0;
  /** Memory freed inside an append: waiters are served once the stack unwinds. */
  private serveDeferred = false;
  private flushes = 0;
  /** Set when the writer client closes: everything is ready, nothing may be appended. */
  closing = false;
  /** Queues holding unsent batches. */
  readonly active = new Set<BucketQueue>();
  /** Batches not completed yet (queued or in flight). */
  readonly incomplete = new Set<WriteBatch>();
  /** Called when a batch may have become sendable now (flush, memory pressure, a waiter). */
  onReady: () => void = () => undefined;
  /**
   * Called when a bucket's open batch just filled up, before the next one is started. The
   * sender sends at once (synchronously), so a caller's synchronous loop of appends keeps
   * the server busy instead of queueing everything until the loop ends.
   */
  onFull: () => void = () => undefined;
  /** Called with the time a new batch's linger expires. */
  onLinger: (atMs: number) => void = () => undefined;

  constructor(options: AccumulatorOptions) {
    this.batchSize = options.batchSize;
    this.lingerMs = options.lingerMs;
    this.totalMemory = options.bufferMemory;
  }

  /** Bytes reserved by incomplete batches. */
  get usedMemory(): number {
    return this.used;
  }

  /** Whether rows are waiting for memory (then every batch is ready at once). */
  get exhausted(): boolean {
    return this.waiters.length > 0;
  }

  /** Whether a flush is in progress (then every batch is ready at once). */
  get flushing(): boolean {
    return this.flushes > 0;
  }

  /**
   * Appends a record to the bucket's open batch, or starts one if `mode` allows it and memory
   * permits. Returns the batch the record went into, {@link NEEDS_NEW_BATCH} or {@link NO_MEMORY}.
   */
  append(
    q: BucketQueue,
    record: WriteRecord,
    owner: BatchOwner,
    mode: number,
  ): WriteBatch | typeof NEEDS_NEW_BATCH | typeof NO_MEMORY {
    const batches = q.batches;
    const last = batches.length > 0 ? batches[batches.length - 1] : undefined;
    if (last !== undefined && !last.closed) {
      if ((last as RowWriteBatch).tryAppend(record)) {
        last.addOwner(owner);
        return last;
      }
      // the open batch just filled up: it is ready
      this.sendingInAppend++;
      try {
        this.onFull();
      } finally {
        this.sendingInAppend--;
      }
    }
    if ((mode & AppendMode.ALLOW_NEW_BATCH) === 0) return NEEDS_NEW_BATCH;
    const reserve = Math.min(this.batchSize, this.totalMemory);
    if (!this.reserve(reserve, (mode & AppendMode.AS_WAITER) !== 0)) return NO_MEMORY;
    const now = Date.now();
    const batch = q.table.newRowBatch(q, now, record);
    batch.reservedBytes = reserve;
    batch.reserveMore = (n) => this.grow(batch, n);
    // The first row always fits; an encoder failure must not leave an empty batch behind.
    try {
      batch.tryAppend(record);
    } catch (err) {
      this.releaseMemory(reserve);
      throw err;
    }
    batch.addOwner(owner);
    batch.result.onWait = () => this.expedite(batch);
    this.enqueue(q, batch);
    this.onLinger(now + this.lingerMs);
    return batch;
  }

  /**
   * Adds a pre-built batch (its memory is reserved here). Returns false when there is no
   * memory for it now.
   */
  appendBatch(q: BucketQueue, batch: WriteBatch, owner: BatchOwner, asWaiter: boolean): boolean {
    const size = batch.sizeInBytes;
    if (!this.reserve(size, asWaiter)) return false;
    batch.reservedBytes = size;
    batch.addOwner(owner);
    // Close the bucket's open row batch so rows stay in order around the pre-built one.
    const last = q.batches[q.batches.length - 1];
    if (last) last.closed = true;
    this.enqueue(q, batch);
    this.onReady();
    return true;
  }

  private enqueue(q: BucketQueue, batch: WriteBatch): void {
    q.batches.push(batch);
    this.incomplete.add(batch);
    this.active.add(q);
  }

  /**
   * Someone waits for a row of `batch`: it is sent without waiting out the linger (rows
   * appended until the sender runs still join it).
   */
  expedite(batch: WriteBatch): void {
    if (batch.urgent || batch.result.done) return;
    batch.urgent = true;
    this.onReady();
  }

  /** Puts a batch back for a retry, at its place by creation order (ahead of newer batches). */
  reenqueue(q: BucketQueue, batch: WriteBatch): void {
    const list = q.batches;
    let i = 0;
    while (i < list.length && list[i]!.id < batch.id) i++;
    list.splice(i, 0, batch);
    this.active.add(q);
  }

  /** The batch completed (acknowledged or failed): frees its memory. */
  batchDone(batch: WriteBatch): void {
    if (!this.incomplete.delete(batch)) return;
    this.releaseMemory(batch.reservedBytes);
    batch.reservedBytes = 0;
  }

  /** Registers a writer waiting for memory (FIFO). */
  waitForMemory(waiter: MemoryWaiter): void {
    this.waiters.push(waiter);
    this.onReady(); // memory pressure: send everything now
  }

  /** Starts a flush: all batches become ready until {@link endFlush}. */
  beginFlush(): void {
    this.flushes++;
    this.onReady();
  }

  endFlush(): void {
    if (this.flushes > 0) this.flushes--;
  }

  /** Fails every unsent batch (the writer client is closing or broken). */
  abortUnsent(error: FlussError): WriteBatch[] {
    const failed: WriteBatch[] = [];
    for (const q of this.active) {
      for (const b of q.batches.splice(0)) {
        b.fail(error);
        this.batchDone(b);
        failed.push(b);
      }
    }
    this.active.clear();
    return failed;
  }

  /** More memory for a growing row batch: never ahead of waiting writers. */
  private grow(batch: WriteBatch, n: number): boolean {
    if (this.waiters.length > 0 || !this.incomplete.has(batch) || this.used + n > this.totalMemory) return false;
    this.used += n;
    batch.reservedBytes += n;
    return true;
  }

  private reserve(n: number, asWaiter: boolean): boolean {
    // Waiters go first (FIFO); an empty buffer always admits one batch, however large.
    if (this.waiters.length > 0 && !asWaiter) return false;
    if (this.used + n <= this.totalMemory || this.used === 0) {
      this.used += n;
      return true;
    }
    return false;
  }

  private releaseMemory(n: number): void {
    this.used -= n;
    if (this.used < 0) this.used = 0;
    this.serveWaiters();
  }

  /** Lets waiting writers take freed memory, oldest first. */
  serveWaiters(): void {
    if (this.servingWaiters) return;
    if (this.sendingInAppend > 0) {
      // A batch completed inside the send an append started (e.g. it expired): serving now
      // would re-enter the writer whose append is under way, which is still placing its
      // head write (it would be placed twice). Serve once the caller's code has returned.
      if (!this.serveDeferred) {
        this.serveDeferred = true;
        queueMicrotask(() => {
          this.serveDeferred = false;
          this.serveWaiters();
        });
      }
      return;
    }
    this.servingWaiters = true;
    try {
      while (this.waiters.length > 0) {
        if (!this.waiters[0]!()) break;
        this.waiters.shift();
      }
    } finally {
      this.servingWaiters = false;
    }
  }
}
