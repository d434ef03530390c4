/**
 * Completed fetches waiting for `poll`, and the wake-up signal pollers wait on.
 *
 * Everything runs on the event loop, so "check then wait" is race-free as long as the
 * check and the registration of the waiter happen in the same synchronous step: a
 * notify can only run between two awaits, never between the check and the
 * registration. That is what {@link FetchBuffer.waitForData} does (no lost wake-ups,
 * cf. apache/fluss PR #3712).
 */
import type { TableBucket } from "../../metadata/cluster.js";
import type { LogBatchView } from "../../record/log-batch.js";

/** The complete batches one FetchLog response returned for one bucket. */
export class CompletedFetch {
  /** Index of the next batch to hand out. */
  index = 0;

  constructor(
    readonly bucket: TableBucket,
    /** `bucketKey` of the bucket. */
    readonly key: string,
    readonly batches: readonly LogBatchView[],
    /** Records below this offset are not returned (the fetch offset, or where a partial drain stopped). */
    public skipBelow: number,
    /** Bytes accounted against `scanner.log.max-buffered-bytes`. */
    readonly sizeInBytes: number,
    /**
     * The batches are whole even though the scan pushes a projection down (read from remote
     * storage): the decoder projects them, by each batch's own schema.
     */
    readonly whole = false,
  ) {}

  get drained(): boolean {
    return this.index >= this.batches.length;
  }

  private ids: readonly number[] | undefined;

  /** The distinct schema ids of the batches (read from their headers once). */
  get schemaIds(): readonly number[] {
    if (!this.ids) {
      const set = new Set<number>();
      for (const b of this.batches) set.add(b.schemaId);
      this.ids = [...set];
    }
    return this.ids;
  }
}

/** FIFO of completed fetches with byte accounting and wake-ups. */
export class FetchBuffer {
  private queue: CompletedFetch[] = [];
  private bytes = 0;
  private waiters = new Set<() => void>();

  /** Bytes of fetches not fully drained. */
  get bufferedBytes(): number {
    return this.bytes;
  }

  isEmpty(): boolean {
    return this.queue.length === 0;
  }

  /** The queued fetches, oldest first (drain them in place, then call {@link prune}). */
  fetches(): readonly CompletedFetch[] {
    return this.queue;
  }

  /** Whether a bucket has undrained data. */
  has(key: string): boolean {
    for (const f of this.queue) if (f.key === key && !f.drained) return true;
    return false;
  }

  add(fetch: CompletedFetch): void {
    this.queue.push(fetch);
    this.bytes += fetch.sizeInBytes;
    this.notify();
  }

  /** Drops fully drained fetches; returns the bytes released. */
  prune(): number {
    let released = 0;
    const kept: CompletedFetch[] = [];
    for (const f of this.queue) {
      if (f.drained) released += f.sizeInBytes;
      else kept.push(f);
    }
    if (released > 0) {
      this.queue = kept;
      this.bytes -= released;
    }
    return released;
  }

  /** Drops every fetch of a bucket (unsubscribe / re-subscribe). */
  removeBucket(key: string): void {
    const kept: CompletedFetch[] = [];
    for (const f of this.queue) {
      if (f.key === key) this.bytes -= f.sizeInBytes;
      else kept.push(f);
    }
    this.queue = kept;
  }

  clear(): void {
    this.queue = [];
    this.bytes = 0;
  }

  /** Wakes every waiter (new data, an error, close, or an explicit wake-up). */
  notify(): void {
    if (this.waiters.size === 0) return;
    const ws = [...this.waiters];
    this.waiters.clear();
    for (const w of ws) w();
  }

  /**
   * Resolves on the next {@link notify}, after `timeoutMs`, or when `signal` aborts,
   * whichever comes first. Resolves at once when data is already buffered, unless
   * `ignoreBuffered` (the caller could not use what is buffered and waits for more).
   * Only timers and promises are used: the event loop is never blocked.
   */
  waitForData(timeoutMs: number, signal?: AbortSignal, ignoreBuffered = false): Promise<void> {
    if ((!ignoreBuffered && !this.isEmpty()) || timeoutMs <= 0 || signal?.aborted) return Promise.resolve();
    return new Promise<void>((resolve) => {
      let timer: NodeJS.Timeout | undefined;
      const done = (): void => {
        this.waiters.delete(done);
        if (timer !== undefined) clearTimeout(timer);
        signal?.removeEventListener("abort", done);
        resolve();
      };
      this.waiters.add(done);
      // Always a (ref'd) timer, even for endless waits: a waiting poll keeps the process
      // alive, while the background fetches it waits for do not. setTimeout overflows past
      // 2^31-1 ms: longer waits just re-check after ~24 days.
      timer = setTimeout(done, Math.min(timeoutMs, 2_147_483_647));
      signal?.addEventListener("abort", done, { once: true });
    });
  }
}
