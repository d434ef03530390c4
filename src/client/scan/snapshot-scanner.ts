/**
 * The current rows of a whole primary-key table (or of chosen buckets), bucket by bucket,
 * each bucket read as of one moment by a {@link BucketScanner}, with the changelog offset
 * of each bucket to continue from with a log scanner.
 */
import * as arrow from "apache-arrow";
import type { TableBucket } from "../../metadata/cluster.js";
import type { TableInfo } from "../../metadata/table-info.js";
import { FlussError } from "../../rpc/errors.js";
import type { ClientContext } from "../context.js";
import { BatchDecoder } from "./batch-decoder.js";
import { BucketScanner, toTableBucket } from "./bucket-scanner.js";
import type { Projection } from "./projection.js";
import type { PartitionBucketOffset } from "./scanner-base.js";
import type { RowObject } from "../../row/values.js";

/**
 * Changelog offsets per bucket after a snapshot read, in the forms the log scanner takes:
 * for a non-partitioned table `{ [bucketId]: offset }` (pass it to `subscribeBuckets`); for
 * a partitioned table an iterable of `{ partitionId, bucketId, offset }` (pass it to
 * `subscribePartitionBuckets`).
 */
export type SnapshotOffsets = Readonly<Record<number, number>> & Iterable<PartitionBucketOffset>;

/**
 * Reads the current rows of a primary-key table: every bucket (of every partition), or
 * only those given with {@link subscribe} / {@link subscribePartition}. Create it with
 * `await table.newScan().createSnapshotScanner()`.
 *
 * ```ts
 * const snapshot = await table.newScan().createSnapshotScanner();
 * const rows = await snapshot.toRows();                  // the table as it is now
 * const log = await table.newScan().createLogScanner();
 * await log.subscribeBuckets(snapshot.offsets());        // ...then every change after it
 * ```
 * `R` is the row type of `toRows()` (see `RowOf`).
 */
export class SnapshotScanner<R = RowObject> implements AsyncIterable<arrow.RecordBatch>, AsyncDisposable {
  private readonly chosen: TableBucket[] = [];
  private readonly done = new Map<string, { bucket: TableBucket; offset: number }>();
  private readonly decoder: BatchDecoder;
  private readonly open_ = new Set<BucketScanner>();
  private started = false;
  private isClosed = false;

  /** @internal Created by `table.newScan().createSnapshotScanner()`. */
  static create<R = RowObject>(ctx: ClientContext, info: TableInfo, projection: Projection | undefined): SnapshotScanner<R> {
    return new SnapshotScanner<R>(ctx, info, projection);
  }

  private constructor(
    private readonly ctx: ClientContext,
    /** The scanned table. */
    readonly info: TableInfo,
    private readonly projection: Projection | undefined,
  ) {
    this.decoder = new BatchDecoder(info, projection);
  }

  /** The Arrow schema of what this scanner returns (after projection). */
  get schema(): arrow.Schema {
    return this.decoder.schema;
  }

  /** Reads this bucket of a non-partitioned table (instead of all of them). */
  subscribe(bucketId: number): void {
    this.choose(toTableBucket(this.info, bucketId));
  }

  /** Reads this bucket of this partition (instead of every bucket of every partition). */
  subscribePartition(partitionId: number, bucketId: number): void {
    this.choose(toTableBucket(this.info, { partitionId, bucketId }));
  }

  private choose(b: TableBucket): void {
    if (this.started) throw FlussError.client("subscribe before reading: this snapshot scanner has started reading");
    if (!this.chosen.some((c) => c.equals(b))) this.chosen.push(b);
  }

  /** Every row of the buckets read, as one Arrow table. */
  async toArrow(): Promise<arrow.Table> {
    const batches: arrow.RecordBatch[] = [];
    for await (const b of this.batches()) batches.push(b);
    return batches.length === 0 ? this.decoder.emptyTable() : new arrow.Table(this.decoder.schema, batches);
  }

  /** Every row of the buckets read, as plain objects. */
  async toRows(): Promise<R[]> {
    const out: RowObject[] = [];
    for await (const rows of this.perBucket((s) => s.toRows())) for (const r of rows) out.push(r);
    return out as R[];
  }

  /**
   * The rows as plain objects, streamed bucket after bucket, an array per server answer
   * (memory stays bounded however large the table); leaving the loop early closes the scan.
   * {@link offsets} covers a bucket once its last rows were taken.
   */
  async *rowBatches(): AsyncGenerator<R[], void, undefined> {
    for await (const rows of this.perBucket((s) => (s as BucketScanner<R>).rowBatches())) yield rows;
  }

  /**
   * The rows as Arrow record batches, bucket after bucket; leaving the loop early closes the
   * scan. The next bucket's scan is opened while the current one is consumed, so the server
   * reads it meanwhile.
   */
  async *batches(): AsyncGenerator<arrow.RecordBatch, void, undefined> {
    for await (const batch of this.perBucket((s) => s.batches())) yield batch;
  }

  /**
   * Runs `read` on each bucket's scanner in turn, starting the next bucket's read before
   * the current one is consumed (its first result is waiting when the loop gets there).
   */
  private async *perBucket<T>(read: (s: BucketScanner) => AsyncIterator<T> | Promise<T>): AsyncGenerator<T, void, undefined> {
    const list = await this.buckets();
    interface Running {
      readonly scanner: BucketScanner;
      readonly it: AsyncIterator<T>;
      readonly first: Promise<IteratorResult<T>>;
    }
    const start = (b: TableBucket): Running => {
      const scanner = this.open(b);
      const r = read(scanner);
      const it: AsyncIterator<T> =
        r instanceof Promise
          ? (async function* () {
              yield await r;
            })()
          : r;
      const first = it.next();
      first.catch(() => undefined);
      return { scanner, it, first };
    };
    const running: Running[] = [];
    try {
      if (list.length > 0) running.push(start(list[0]!));
      for (let i = 0; i < list.length; i++) {
        const cur = running[0]!;
        if (i + 1 < list.length) running.push(start(list[i + 1]!));
        for (let r = await cur.first; !r.done; r = await cur.it.next()) yield r.value;
        this.record(cur.scanner);
        running.shift();
      }
    } finally {
      for (const r of running) {
        await r.it.return?.(undefined).catch(() => undefined);
        await r.scanner.close();
      }
    }
  }

  [Symbol.asyncIterator](): AsyncGenerator<arrow.RecordBatch, void, undefined> {
    return this.batches();
  }

  /**
   * The changelog offset of each bucket read so far: a log scanner subscribed at these
   * offsets continues exactly where the rows read end (no change missed, none twice).
   */
  offsets(): SnapshotOffsets {
    const entries = [...this.done.values()];
    const out: Record<number, number> = {};
    if (!this.info.isPartitioned) for (const e of entries) out[e.bucket.bucket] = e.offset;
    const list: PartitionBucketOffset[] = this.info.isPartitioned
      ? entries.map((e) => ({ partitionId: e.bucket.partitionId!, bucketId: e.bucket.bucket, offset: e.offset }))
      : [];
    Object.defineProperty(out, Symbol.iterator, { value: () => list[Symbol.iterator](), enumerable: false });
    return out as SnapshotOffsets;
  }

  /** Ends the read (closing the open bucket scan on the server). Idempotent. */
  async close(): Promise<void> {
    this.isClosed = true;
    await Promise.all([...this.open_].map((s) => s.close()));
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  private open(b: TableBucket): BucketScanner {
    if (this.isClosed) throw FlussError.client(`the snapshot scanner of table ${this.info.tablePath.toString()} is closed`);
    const s = BucketScanner.create(this.ctx, this.info, b, this.projection, undefined);
    this.open_.add(s);
    return s;
  }

  private record(scanner: BucketScanner): void {
    this.open_.delete(scanner);
    this.done.set(scanner.bucket.key(), { bucket: scanner.bucket, offset: scanner.logOffset! });
  }

  /** The buckets to read: those chosen, else all (of every partition existing now). */
  private async buckets(): Promise<TableBucket[]> {
    if (this.isClosed) throw FlussError.client(`the snapshot scanner of table ${this.info.tablePath.toString()} is closed`);
    if (this.started)
      throw FlussError.client(
        `this snapshot scanner of table ${this.info.tablePath.toString()} was read already: create a new one`,
      );
    this.started = true;
    if (this.chosen.length > 0) return this.chosen;
    const n = this.info.numBuckets;
    if (!this.info.isPartitioned) return Array.from({ length: n }, (_, i) => toTableBucket(this.info, i));
    const partitions = await this.ctx.admin.listPartitionInfos(this.info.tablePath);
    const out: TableBucket[] = [];
    for (const p of partitions)
      for (let i = 0; i < n; i++) out.push(toTableBucket(this.info, { partitionId: p.partitionId, bucketId: i }));
    return out;
  }
}
