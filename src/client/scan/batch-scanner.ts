/**
 * The batch scanner: reads a table's log as Apache Arrow data (arrow-js), zero-copy for
 * ARROW tables. Best for analytics and bulk reads.
 */
import type { ClientContext } from "../context.js";
import type { TableInfo } from "../../metadata/table-info.js";
import type { Projection } from "./projection.js";
import type { RowObject } from "../../row/values.js";
import * as arrow from "apache-arrow";
import type { TableBucket } from "../../metadata/cluster.js";
import { ErrorCode, FlussError } from "../../rpc/errors.js";
import { OffsetSpec } from "../offsets.js";
import { ArrowRowConverter } from "../../record/arrow/arrow-rows.js";
import type { DrainedBatch } from "./log-fetcher.js";
import { checkTimeout } from "./log-scanner.js";
import { ScannerBase, type ReadOptions } from "./scanner-base.js";
import { bucketKey } from "./scan-records.js";

/** One Arrow record batch of one bucket. */
export interface BucketBatch {
  /** The rows, with the scan's (projected) schema. */
  readonly batch: arrow.RecordBatch;
  /** Where they come from. */
  readonly bucket: TableBucket;
  /** Offset of the first row. */
  readonly baseOffset: number;
  /** Offset of the last row. */
  readonly lastOffset: number;
  /** One change-type byte per row (see `ChangeByte`); absent when all rows are `+A`. */
  readonly changeTypes?: Uint8Array;
}

/**
 * Reads subscribed buckets as Arrow. Create it with
 * `table.newScan().createBatchScanner()`.
 *
 * ```ts
 * const scanner = await table.newScan().project(["id", "amount"]).createBatchScanner();
 * scanner.subscribeBuckets({ 0: EARLIEST_OFFSET });
 * const everything = await scanner.toArrow(); // up to the latest offsets as of the call
 * const more = await scanner.pollArrow(1000);  // then keep polling
 * ```
 * `R` is the row type of `toRows()` (see `RowOf`); the Arrow data is not typed by it.
 */
export class BatchScanner<R = RowObject> extends ScannerBase {
  /** @internal Created by `table.newScan().createBatchScanner()`. */
  static create<R = RowObject>(ctx: ClientContext, info: TableInfo, projection: Projection | undefined): BatchScanner<R> {
    return new BatchScanner<R>(ctx, info, projection);
  }

  private busy = false;
  /**
   * Batches a loop ({@link batches}) took from a poll but has not yielded yet: a `break`
   * leaves them here and the next poll, loop or `toArrow` hands them out first.
   */
  private carried: BucketBatch[] = [];

  /** The Arrow schema of what this scanner returns. */
  get schema(): arrow.Schema {
    return this.decoder.schema;
  }

  /**
   * Returns the batches fetched so far, waiting up to `timeoutMs` for some (returning as
   * soon as any arrive). Empty on timeout, abort or close; throws when a subscribed
   * bucket failed.
   */
  async pollBatches(timeoutMs: number, options: ReadOptions = {}): Promise<BucketBatch[]> {
    checkTimeout(timeoutMs);
    return this.exclusive(async () => {
      if (this.carried.length > 0) return this.carried.splice(0);
      const deadline = Date.now() + timeoutMs;
      const signal = options.signal;
      const maxBytes = this.ctx.config.get("scanner.log.fetch.max-bytes");
      for (;;) {
        const loading = this.loadSchemas();
        if (loading) await loading;
        const drained = this.fetcher.drain(maxBytes);
        if (drained.length > 0) {
          const { batches, error } = this.decode(drained);
          if (batches.length > 0) return batches; // an error comes with the next poll
          if (error) throw error;
          continue;
        }
        const err = this.fetcher.pendingError();
        if (err) throw err;
        if (this.fetcher.isClosed || signal?.aborted) return [];
        const remaining = deadline - Date.now();
        if (remaining <= 0) return [];
        await this.fetcher.waitForData(remaining, signal);
      }
    });
  }

  /** {@link pollBatches} as one Arrow Table (empty, with the schema, when nothing came). */
  async pollArrow(timeoutMs: number, options: ReadOptions = {}): Promise<arrow.Table> {
    const batches = await this.pollBatches(timeoutMs, options);
    return this.table(batches.map((b) => b.batch));
  }

  /**
   * Reads every subscribed bucket up to its latest offset as of this call and returns
   * the rows as one Table (empty, with the schema, when there is nothing). Later polls
   * continue from there.
   */
  async toArrow(options: ReadOptions = {}): Promise<arrow.Table> {
    return this.table(await this.readToEnd(options));
  }

  /** {@link toArrow} as row objects (values as in `src/row/values.ts`). */
  async toRows(options: ReadOptions = {}): Promise<R[]> {
    const batches = await this.readToEnd(options);
    const conv = new ArrowRowConverter(this.decoder.rowType);
    const out: Record<string, unknown>[] = [];
    for (const b of batches) {
      const readers = conv.bind(b.data.children as arrow.Data[]);
      for (let i = 0; i < b.numRows; i++) out.push(conv.row(readers, i));
    }
    return out as R[];
  }

  /** Streams batches until {@link close} or abort. */
  async *batches(options: ReadOptions = {}): AsyncGenerator<BucketBatch, void, undefined> {
    const signal = options.signal;
    while (!this.closed && !signal?.aborted) {
      // what is not yielded yet stays with the scanner (see `carried`)
      this.carried = await this.pollBatches(Infinity, options);
      for (;;) {
        const b = this.carried.shift();
        if (!b) break;
        yield b;
      }
    }
  }

  [Symbol.asyncIterator](): AsyncGenerator<BucketBatch, void, undefined> {
    return this.batches();
  }

  /** @internal */
  protected dropCarried(key: string): void {
    this.carried = this.carried.filter((b) => bucketKey(b.bucket.partitionId, b.bucket.bucket) !== key);
  }

  private table(batches: arrow.RecordBatch[]): arrow.Table {
    return batches.length === 0 ? this.decoder.emptyTable() : new arrow.Table(this.decoder.schema, batches);
  }

  private async exclusive<T>(fn: () => Promise<T>): Promise<T> {
    this.ensureOpen();
    if (this.busy)
      throw FlussError.client("another read is already running on this scanner (concurrent reads are not supported)");
    this.busy = true;
    try {
      return await fn();
    } finally {
      this.busy = false;
    }
  }

  private decode(drained: readonly DrainedBatch[]): { batches: BucketBatch[]; error: FlussError | undefined } {
    const out: BucketBatch[] = [];
    const error = this.decodeEach(drained, (d) => {
      const a = this.decoder.toArrow(d);
      if (!a) return;
      out.push(
        a.changeTypes
          ? { batch: a.batch, bucket: d.bucket, baseOffset: a.baseOffset, lastOffset: a.lastOffset, changeTypes: a.changeTypes }
          : { batch: a.batch, bucket: d.bucket, baseOffset: a.baseOffset, lastOffset: a.lastOffset },
      );
    });
    return { batches: out, error };
  }

  /** Reads all subscribed buckets up to their latest offsets (ListOffsets latest, now). */
  private readToEnd(options: ReadOptions): Promise<arrow.RecordBatch[]> {
    return this.exclusive(async () => {
      const signal = options.signal;
      await this.fetcher.whenResolved();
      const err0 = this.fetcher.pendingError();
      if (err0) throw err0;
      const buckets = this.fetcher.subscribed();
      if (buckets.length === 0) {
        const how = this.info.isPartitioned
          ? "subscribePartition() or subscribePartitionBuckets()"
          : "subscribe() or subscribeBuckets()";
        throw FlussError.client(
          `no bucket is subscribed: call ${how} on this scanner of table ${this.info.tablePath.toString()} first`,
        );
      }
      let stops: Map<string, number>;
      try {
        stops = await this.latestOffsets(buckets);
      } catch (err) {
        throw await this.fetcher.explain(err);
      }
      const maxBytes = this.ctx.config.get("scanner.log.fetch.max-bytes");
      // batches a loop left undelivered come first (they lie below the positions)
      const out: arrow.RecordBatch[] = this.carried.splice(0).map((b) => b.batch);
      // a one-shot read must end: without progress for a request timeout (e.g. the
      // cluster is gone and the fetcher keeps retrying), give up with a clear error
      const stallMs = this.ctx.config.get("request.timeout.ms");
      let progressAt = Date.now();
      for (;;) {
        const pending = buckets.filter((b) => {
          const stop = stops.get(bucketKey(b.partitionId, b.bucket));
          return stop !== undefined && !this.fetcher.reached(b.partitionId, b.bucket, stop);
        });
        if (pending.length === 0) return out;
        const loading = this.loadSchemas();
        if (loading) await loading;
        const drained = this.fetcher.drain(maxBytes, stops);
        if (drained.length > 0) {
          const { batches, error } = this.decode(drained);
          if (error) throw error; // a one-shot read does not return a part silently
          for (const b of batches) out.push(b.batch);
          progressAt = Date.now();
          continue;
        }
        const err = this.fetcher.pendingError();
        if (err) throw err;
        if (Date.now() - progressAt > stallMs) {
          const names = pending.map((b) =>
            b.partitionId === undefined ? `bucket ${b.bucket}` : `partition ${b.partitionId} bucket ${b.bucket}`,
          );
          throw new FlussError(
            ErrorCode.REQUEST_TIME_OUT,
            `reading ${this.info.tablePath.toString()} made no progress for ${stallMs} ms (request.timeout.ms) on ${names.join(", ")}`,
          );
        }
        if (this.fetcher.isClosed) throw FlussError.client("the scanner was closed while reading");
        if (signal?.aborted) throw FlussError.client("toArrow() was aborted", signal.reason);
        // what is buffered (if anything) lies beyond the stop offsets: wait for more
        await this.fetcher.waitForData(1_000, signal, true);
      }
    });
  }

  private async latestOffsets(buckets: readonly TableBucket[]): Promise<Map<string, number>> {
    const groups = new Map<number | undefined, number[]>();
    for (const b of buckets) {
      let g = groups.get(b.partitionId);
      if (!g) groups.set(b.partitionId, (g = []));
      g.push(b.bucket);
    }
    const stops = new Map<string, number>();
    await Promise.all(
      [...groups].map(async ([partitionId, ids]) => {
        const offsets = await this.ctx.admin.listOffsetsById(
          this.info.tablePath,
          this.info.tableId,
          partitionId,
          ids,
          OffsetSpec.latest(),
        );
        for (const id of ids) {
          const o = offsets[id];
          if (o !== undefined) stops.set(bucketKey(partitionId, id), o);
        }
      }),
    );
    return stops;
  }
}
