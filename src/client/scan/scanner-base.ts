/**
 * Subscription methods and lifecycle shared by {@link LogScanner} and {@link BatchScanner}.
 */
import type { TableBucket } from "../../metadata/cluster.js";
import type { TableInfo } from "../../metadata/table-info.js";
import { ErrorCode, FlussError } from "../../rpc/errors.js";
import type { ClientContext } from "../context.js";
import { EARLIEST_OFFSET } from "../offsets.js";
import { BatchDecoder } from "./batch-decoder.js";
import { LogFetcher, type DrainedBatch } from "./log-fetcher.js";
import type { Projection } from "./projection.js";
import { bucketKey } from "./scan-records.js";
import { type TableSchemas, tableSchemas } from "../table-schemas.js";

/** One partition bucket and where to start reading it. */
export interface PartitionBucketOffset {
  /** The partition's id (`PartitionInfo.partitionId`). */
  readonly partitionId: number;
  /** The bucket within the partition, 0..numBuckets-1. */
  readonly bucketId: number;
  /** An offset, `EARLIEST_OFFSET` (-2) or `LATEST_OFFSET` (-1). */
  readonly offset: number;
}

/**
 * Buckets of a partitioned table with their start offsets: a list of
 * `{ partitionId, bucketId, offset }`, or a Map keyed by `"<partitionId>:<bucketId>"`.
 */
export type PartitionBucketOffsets = Iterable<PartitionBucketOffset> | ReadonlyMap<string, number>;

/** Bucket ids of a non-partitioned table with start offsets. */
export type BucketOffsets = Readonly<Record<number, number>> | ReadonlyMap<number, number>;

/** Options of blocking reads. */
export interface ReadOptions {
  /** Ends the wait early (the call then returns what it has, or nothing). */
  readonly signal?: AbortSignal;
}

/** The promise for callers who await it, without an unhandled rejection for those who don't. */
function quiet(p: Promise<unknown>): Promise<void> {
  const done = p.then(() => undefined);
  done.catch(() => undefined);
  return done;
}

/** Base of the scanners. Not exported from the package. */
export abstract class ScannerBase {
  /** @internal */
  protected readonly fetcher: LogFetcher;
  /** @internal */
  protected readonly decoder: BatchDecoder;
  /** @internal The table's schemas by id (batches written before or after an ALTER TABLE). */
  protected readonly schemas: TableSchemas;
  private readonly untrack: () => void;
  private closing: Promise<void> | undefined;

  /** Scanners are created by a {@link TableScan}: `table.newScan().createLogScanner()`. */
  protected constructor(
    protected readonly ctx: ClientContext,
    /** The scanned table. */
    readonly info: TableInfo,
    projection: Projection | undefined,
  ) {
    this.schemas = tableSchemas(ctx.admin, info);
    this.decoder = new BatchDecoder(info, projection, this.schemas);
    this.fetcher = new LogFetcher(ctx, info, this.decoder.pushedDown ? { projectedFields: this.decoder.pushedDown } : {});
    this.untrack = ctx.track(this);
  }

  /** Names of the columns returned (after projection), in order. */
  get columnNames(): string[] {
    return this.decoder.rowType.fields.map((f) => f.name);
  }

  /**
   * Starts reading a bucket of a non-partitioned table at `startOffset`: an offset,
   * `EARLIEST_OFFSET` or `LATEST_OFFSET`. Subscribing again moves the bucket to the new
   * offset. The promise resolves once the start offset is known (LATEST is looked up);
   * awaiting it is optional.
   */
  subscribe(bucketId: number, startOffset: number = EARLIEST_OFFSET): Promise<void> {
    this.checkNotPartitioned("subscribe");
    this.checkBucket(bucketId);
    this.checkOffset(startOffset, bucketId);
    this.dropCarried(bucketKey(undefined, bucketId));
    return this.fetcher.subscribe(undefined, bucketId, startOffset);
  }

  /** {@link subscribe} for several buckets: `{ [bucketId]: startOffset }` or a Map. */
  subscribeBuckets(offsets: BucketOffsets): Promise<void> {
    this.checkNotPartitioned("subscribeBuckets");
    const entries: [number, number][] =
      offsets instanceof Map ? [...offsets] : Object.entries(offsets).map(([k, v]) => [Number(k), v as number]);
    for (const [b, o] of entries) {
      this.checkBucket(b);
      this.checkOffset(o, b);
    }
    for (const [b] of entries) this.dropCarried(bucketKey(undefined, b));
    return quiet(Promise.all(entries.map(([b, o]) => this.fetcher.subscribe(undefined, b, o))));
  }

  /** Stops reading a bucket of a non-partitioned table; its buffered records are dropped. */
  unsubscribe(bucketId: number): void {
    this.checkNotPartitioned("unsubscribe");
    this.fetcher.unsubscribe(undefined, bucketId);
    this.dropCarried(bucketKey(undefined, bucketId));
  }

  /** Starts reading one bucket of one partition (partitioned tables). */
  subscribePartition(partitionId: number, bucketId: number, startOffset: number = EARLIEST_OFFSET): Promise<void> {
    this.checkPartitioned("subscribePartition");
    this.checkPartition(partitionId);
    this.checkBucket(bucketId);
    this.checkOffset(startOffset, bucketId);
    this.dropCarried(bucketKey(partitionId, bucketId));
    return this.fetcher.subscribe(partitionId, bucketId, startOffset);
  }

  /** {@link subscribePartition} for several partition buckets. */
  subscribePartitionBuckets(offsets: PartitionBucketOffsets): Promise<void> {
    this.checkPartitioned("subscribePartitionBuckets");
    const list: PartitionBucketOffset[] = [];
    if (offsets instanceof Map) {
      for (const [key, offset] of offsets as ReadonlyMap<string, number>) {
        const m = /^(\d+):(\d+)$/.exec(String(key));
        if (!m) throw FlussError.client(`"${String(key)}" is not a "<partitionId>:<bucketId>" key`);
        list.push({ partitionId: Number(m[1]), bucketId: Number(m[2]), offset });
      }
    } else {
      for (const e of offsets as Iterable<PartitionBucketOffset>) list.push(e);
    }
    for (const e of list) {
      this.checkPartition(e.partitionId);
      this.checkBucket(e.bucketId);
      this.checkOffset(e.offset, e.bucketId);
    }
    for (const e of list) this.dropCarried(bucketKey(e.partitionId, e.bucketId));
    return quiet(Promise.all(list.map((e) => this.fetcher.subscribe(e.partitionId, e.bucketId, e.offset))));
  }

  /** Stops reading one bucket of one partition. */
  unsubscribePartition(partitionId: number, bucketId: number): void {
    this.checkPartitioned("unsubscribePartition");
    this.fetcher.unsubscribe(partitionId, bucketId);
    this.dropCarried(bucketKey(partitionId, bucketId));
  }

  /**
   * Calls `listener` with each transient failure the scanner retries on its own: a server
   * that cannot be reached or does not answer within `request.timeout.ms`, a leader that
   * moved, retriable server errors, a remote (tiered) log segment that cannot be read yet
   * (retried while the scanner is open). Each is a {@link FlussError} naming the table and
   * the server or file. `poll` and `for await` go on retrying (they throw only after
   * `scanner.max-unavailable-ms`, if set); this is how an application tells "no new data"
   * from "the cluster is down". Returns a function that removes the listener. A listener
   * that throws is ignored.
   *
   * ```ts
   * const off = scanner.onError((err) => console.warn(`still retrying: ${err.message}`));
   * ```
   */
  onError(listener: (error: FlussError) => void): () => void {
    this.ensureOpen();
    if (typeof listener !== "function") throw FlussError.client("onError() takes a function");
    return this.fetcher.onError(listener);
  }

  /**
   * The offset reading of a bucket has reached: every record below it has been returned by
   * `poll` (or is waiting in a loop), header-only batches included. Compare it with a high
   * watermark from `admin.listOffsets` to read "up to now". `undefined` when the bucket is
   * not subscribed; -2 / -1 while an EARLIEST / LATEST start is not resolved yet. Pass
   * `partitionId` for a partitioned table.
   */
  position(bucketId: number, partitionId?: number): number | undefined {
    return this.fetcher.position(partitionId, bucketId);
  }

  /** The subscribed buckets. */
  subscriptions(): TableBucket[] {
    return this.fetcher.subscribed();
  }

  /** Whether {@link close} was called. */
  get closed(): boolean {
    return this.closing !== undefined;
  }

  /** Stops fetching and ends pending polls and iterations. Idempotent. */
  close(): Promise<void> {
    if (!this.closing) {
      this.untrack();
      this.closing = this.fetcher.close();
    }
    return this.closing;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  /**
   * @internal Drops what a loop left undelivered for a bucket (it was unsubscribed or
   * moved to another offset).
   */
  protected abstract dropCarried(key: string): void;

  /**
   * @internal Fetches the schemas of buffered batches written with another schema id (once
   * per id and connection) so that they can be decoded; call before draining. A failure
   * (e.g. the table was dropped) is thrown and the batches stay buffered.
   */
  protected loadSchemas(): Promise<void> | undefined {
    const missing = this.fetcher.unknownSchemaIds((id) => this.schemas.get(id) !== undefined);
    return missing.length === 0 ? undefined : this.load(missing);
  }

  private async load(missing: readonly number[]): Promise<void> {
    try {
      await this.schemas.load(missing);
    } catch (err) {
      const e = err instanceof FlussError ? err : FlussError.client(String(err));
      throw new FlussError(
        e.code,
        `cannot read the schema(s) ${missing.join(", ")} of ${this.where()} that fetched record batches were written with: ${e.message}`,
        { cause: err },
      );
    }
  }

  /**
   * @internal Runs `decode` on each drained batch. A batch that cannot be decoded (corrupt
   * data: RangeError and the like from the row and record decoders) fails its bucket at
   * the batch's offset with CORRUPT_RECORD_EXCEPTION naming the table, bucket and offset
   * (Java `CompletedFetch`: what was decoded before is still handed out, the error comes
   * next); later batches of that bucket are skipped. Returns that error, if any.
   * `decode` must leave no partial output when it throws.
   */
  protected decodeEach(drained: readonly DrainedBatch[], decode: (d: DrainedBatch) => void): FlussError | undefined {
    let first: FlussError | undefined;
    let failed: Set<string> | undefined;
    for (const d of drained) {
      const key = bucketKey(d.bucket.partitionId, d.bucket.bucket);
      if (failed?.has(key)) continue;
      try {
        decode(d);
      } catch (err) {
        const offset = Math.max(d.view.baseOffset, d.skipBelow);
        const where =
          d.bucket.partitionId === undefined
            ? `bucket ${d.bucket.bucket}`
            : `partition ${d.bucket.partitionId} bucket ${d.bucket.bucket}`;
        const why = err instanceof Error ? err.message : String(err);
        const e = new FlussError(
          ErrorCode.CORRUPT_RECORD_EXCEPTION,
          `cannot decode the record batch of ${this.where()} ${where} at offset ${offset}: ${why}; ` +
            "subscribe the bucket again past it, or unsubscribe it, to go on",
          { cause: err },
        );
        this.fetcher.failAt(d.bucket, offset, e);
        (failed ??= new Set()).add(key);
        first ??= e;
      }
    }
    return first;
  }

  /** @internal */
  protected ensureOpen(): void {
    if (this.closing) throw FlussError.client("the scanner is closed");
  }

  private where(): string {
    return `table ${this.info.tablePath.toString()}`;
  }

  private checkNotPartitioned(method: string): void {
    this.ensureOpen();
    if (this.info.isPartitioned) {
      throw FlussError.client(
        `${this.where()} is partitioned: use ${method.replace(/^(un)?subscribe/, (m) => `${m}Partition`)}() with a partition id`,
      );
    }
  }

  private checkPartitioned(method: string): void {
    this.ensureOpen();
    if (!this.info.isPartitioned) {
      throw FlussError.client(`${this.where()} is not partitioned: use ${method.replace("Partition", "")}() instead`);
    }
  }

  private checkBucket(bucketId: number): void {
    const n = this.info.numBuckets;
    if (!Number.isInteger(bucketId) || bucketId < 0 || bucketId >= n) {
      throw FlussError.client(`bucket ${String(bucketId)} does not exist: ${this.where()} has ${n} bucket(s) (0..${n - 1})`);
    }
  }

  private checkPartition(partitionId: number): void {
    if (!Number.isSafeInteger(partitionId) || partitionId < 0) {
      throw FlussError.client(`invalid partition id ${String(partitionId)}`);
    }
  }

  private checkOffset(offset: number, bucketId: number): void {
    if (!Number.isSafeInteger(offset) || offset < EARLIEST_OFFSET) {
      throw FlussError.client(
        `invalid start offset ${String(offset)} for bucket ${bucketId}: use an offset >= 0, EARLIEST_OFFSET (-2) or LATEST_OFFSET (-1)`,
      );
    }
  }
}
