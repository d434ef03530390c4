/**
 * The record scanner: reads a table's log as {@link ScanRecord}s (offset, timestamp,
 * change type, row object). For bulk analytics prefer the {@link BatchScanner}, which
 * hands out Arrow data without building row objects.
 */
import type { ClientContext } from "../context.js";
import type { TableInfo } from "../../metadata/table-info.js";
import type { Projection } from "./projection.js";
import type { TableBucket } from "../../metadata/cluster.js";
import { FlussError } from "../../rpc/errors.js";
import type { DrainedBatch } from "./log-fetcher.js";
import { ScannerBase, type ReadOptions } from "./scanner-base.js";
import { type ScanRecord, ScanRecords, bucketKey } from "./scan-records.js";
import type { RowObject } from "../../row/values.js";

/** Batch bytes decoded into records per `poll`. */
const POLL_MAX_BATCH_BYTES = 1024 * 1024;

/** @internal Validates a poll timeout. */
export function checkTimeout(timeoutMs: number): void {
  if (!(timeoutMs >= 0)) throw FlussError.client(`poll timeout must be a number of milliseconds >= 0, got ${String(timeoutMs)}`);
}

/**
 * Reads records of subscribed buckets. Create it with
 * `table.newScan().createLogScanner()`.
 *
 * ```ts
 * const scanner = await table.newScan().createLogScanner();
 * scanner.subscribeBuckets({ 0: EARLIEST_OFFSET, 1: EARLIEST_OFFSET });
 * for (const r of await scanner.poll(1000)) console.log(r.offset, r.changeType.shortString(), r.row);
 * // or stream until close() / abort:
 * for await (const r of scanner.records({ signal })) handle(r);
 * ```
 * Fetching runs in the background (prefetching while you process); `poll` never
 * blocks the event loop. `R` is the row type of the records (see `RowOf`).
 */
export class LogScanner<R = RowObject> extends ScannerBase {
  /** @internal Created by `table.newScan().createLogScanner()`. */
  static create<R = RowObject>(ctx: ClientContext, info: TableInfo, projection: Projection | undefined): LogScanner<R> {
    return new LogScanner<R>(ctx, info, projection);
  }

  private polling = false;
  /**
   * Records a loop ({@link records}) took from a poll but has not yielded yet: a `break`
   * leaves them here and the next poll or loop hands them out first.
   */
  private carried: { bucket: TableBucket; records: ScanRecord<R>[]; next: number }[] = [];

  /**
   * Returns the records fetched so far, waiting up to `timeoutMs` for some to arrive (it
   * returns as soon as any do). Returns an empty result on timeout, abort or close.
   * Throws a FlussError when a subscribed bucket failed (e.g. LOG_OFFSET_OUT_OF_RANGE),
   * naming the bucket and offset; re-subscribe or unsubscribe the bucket to go on.
   */
  async poll(timeoutMs: number, options: ReadOptions = {}): Promise<ScanRecords<R>> {
    this.ensureOpen();
    checkTimeout(timeoutMs);
    if (this.polling) throw FlussError.client("poll() is already running on this scanner (concurrent polls are not supported)");
    this.polling = true;
    try {
      const carried = this.takeCarried();
      if (carried) return carried;
      const deadline = Date.now() + timeoutMs;
      const signal = options.signal;
      // Row objects are costly to hold: decoding a few batches per poll keeps them young
      // (cheap to collect) and the event loop responsive. At least one batch is taken.
      const maxBytes = Math.min(this.ctx.config.get("scanner.log.fetch.max-bytes"), POLL_MAX_BATCH_BYTES);
      for (;;) {
        const loading = this.loadSchemas();
        if (loading) await loading;
        const drained = this.fetcher.drain(maxBytes);
        if (drained.length > 0) {
          const { records, error } = this.decode(drained);
          if (!records.isEmpty()) return records; // an error comes with the next poll
          if (error) throw error;
          continue;
        }
        const err = this.fetcher.pendingError();
        if (err) throw err;
        if (this.fetcher.isClosed || signal?.aborted) return ScanRecords.empty(this.info.tableId);
        const remaining = deadline - Date.now();
        if (remaining <= 0) return ScanRecords.empty(this.info.tableId);
        await this.fetcher.waitForData(remaining, signal);
      }
    } finally {
      this.polling = false;
    }
  }

  /**
   * Streams records until {@link close} is called or `signal` aborts (then the loop
   * ends normally). Bucket failures end it with the error.
   */
  async *records(options: ReadOptions = {}): AsyncGenerator<ScanRecord<R>, void, undefined> {
    const signal = options.signal;
    while (!this.closed && !signal?.aborted) {
      const batch = await this.poll(Infinity, options);
      // what is not yielded yet stays with the scanner: leaving the loop (break, return,
      // throw) loses nothing, and a poll() from the loop's body takes the rest
      this.carried = batch.groups().map((g) => ({ bucket: g.bucket, records: g.records, next: 0 }));
      for (;;) {
        const g = this.carried[0];
        if (!g) break;
        if (g.next >= g.records.length) {
          this.carried.shift();
          continue;
        }
        yield g.records[g.next++]!;
      }
    }
  }

  [Symbol.asyncIterator](): AsyncGenerator<ScanRecord<R>, void, undefined> {
    return this.records();
  }

  /** @internal */
  protected dropCarried(key: string): void {
    this.carried = this.carried.filter((g) => bucketKey(g.bucket.partitionId, g.bucket.bucket) !== key);
  }

  /** The records a loop left undelivered, as one result, or undefined when none. */
  private takeCarried(): ScanRecords<R> | undefined {
    const groups = this.carried.filter((g) => g.next < g.records.length);
    this.carried = [];
    if (groups.length === 0) return undefined;
    return ScanRecords.create(
      this.info.tableId,
      groups.map((g) => ({ bucket: g.bucket, records: g.records.slice(g.next) })),
    );
  }

  private decode(drained: readonly DrainedBatch[]): { records: ScanRecords<R>; error: FlussError | undefined } {
    const groups = new Map<string, { bucket: TableBucket; records: ScanRecord<R>[] }>();
    const error = this.decodeEach(drained, (d) => {
      const key = bucketKey(d.bucket.partitionId, d.bucket.bucket);
      let g = groups.get(key);
      if (!g) groups.set(key, (g = { bucket: d.bucket, records: [] }));
      const mark = g.records.length;
      try {
        this.decoder.toRecords(d, g.records as ScanRecord[]);
      } catch (err) {
        g.records.length = mark; // nothing of a batch that fails
        throw err;
      }
    });
    return { records: ScanRecords.create(this.info.tableId, groups.values()), error };
  }
}
