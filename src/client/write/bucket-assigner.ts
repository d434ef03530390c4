/**
 * Which bucket a row goes to (formats.md §6). Tables with bucket keys hash the encoded
 * key with the table's lake-format bucketing function; keyless tables use the sticky
 * (default) or round-robin assigner of `writer.bucket.no-key-assigner`.
 */
import type { RowType } from "../../metadata/data-types.js";
import type { TableInfo } from "../../metadata/table-info.js";
import { bucketingFunction, type BucketingFunction } from "../../row/bucketing.js";
import { lakeOrCompactedKeyEncoder } from "../../row/key-encoding.js";
import type { KeyEncoder } from "../../row/lake-keys.js";
import { FlussError } from "../../rpc/errors.js";

/** Buckets that currently have a leader, per partition (-1 = non-partitioned); undefined if unknown. */
export type AvailableBuckets = (partitionId: number) => readonly number[] | undefined;

/** Picks the bucket of each row. */
export interface BucketAssigner {
  /** Whether a full batch should make the writer switch buckets (sticky) before appending. */
  readonly switchesOnFullBatch: boolean;
  /** The bucket of a row (canonical values) in partition `partitionId` (-1 if none). */
  assign(values: readonly unknown[], partitionId: number): number;
  /** A batch of `bucket` filled up: sticky assigners move on to another bucket. */
  onNewBatch(partitionId: number, bucket: number): void;
}

/** Hashes the bucket-key columns (Java `HashBucketAssigner`). */
export class KeyBucketAssigner implements BucketAssigner {
  readonly switchesOnFullBatch = false;
  private readonly indexes: number[];
  private readonly key: unknown[];

  constructor(
    private readonly encoder: KeyEncoder,
    private readonly bucketing: BucketingFunction,
    private readonly numBuckets: number,
    rowType: RowType,
    bucketKeys: readonly string[],
  ) {
    this.indexes = bucketKeys.map((k) => {
      const i = rowType.fields.findIndex((f) => f.name === k);
      if (i < 0) throw FlussError.client(`bucket key "${k}" is not a column of the table`);
      return i;
    });
    this.key = new Array<unknown>(this.indexes.length);
  }

  assign(values: readonly unknown[], _partitionId?: number): number {
    const idx = this.indexes;
    const key = this.key;
    for (let i = 0; i < idx.length; i++) key[i] = values[idx[i]!];
    return this.bucketing(this.encoder.encode(key), this.numBuckets);
  }

  /** The bucket of an already encoded key. */
  bucketOfKey(keyBytes: Uint8Array): number {
    return this.bucketing(keyBytes, this.numBuckets);
  }

  onNewBatch(): void {}
}

function randomInt(n: number): number {
  return Math.floor(Math.random() * n);
}

/**
 * Sticky assignment (Java `StickyBucketAssigner`): all rows go to one bucket per partition
 * until its batch fills up, then a random other bucket (among those with a leader) is chosen.
 */
export class StickyBucketAssigner implements BucketAssigner {
  readonly switchesOnFullBatch = true;
  private readonly current = new Map<number, number>();

  constructor(
    private readonly numBuckets: number,
    private readonly available: AvailableBuckets,
  ) {}

  assign(_values: readonly unknown[], partitionId: number): number {
    const b = this.current.get(partitionId);
    return b !== undefined ? b : this.pick(partitionId, -1);
  }

  onNewBatch(partitionId: number, bucket: number): void {
    // Only switch if nobody switched already since this batch was started.
    const cur = this.current.get(partitionId);
    if (cur === undefined || cur === bucket) this.pick(partitionId, bucket);
  }

  private pick(partitionId: number, previous: number): number {
    const avail = this.available(partitionId);
    let next: number;
    if (avail && avail.length > 0) {
      if (avail.length === 1) next = avail[0]!;
      else {
        do next = avail[randomInt(avail.length)]!;
        while (next === previous);
      }
    } else if (this.numBuckets === 1) next = 0;
    else {
      do next = randomInt(this.numBuckets);
      while (next === previous);
    }
    this.current.set(partitionId, next);
    return next;
  }
}

/** Round-robin assignment (Java `RoundRobinBucketAssigner`): a counter from a random start. */
export class RoundRobinBucketAssigner implements BucketAssigner {
  readonly switchesOnFullBatch = false;
  private counter = randomInt(0x7fffffff);

  constructor(
    private readonly numBuckets: number,
    private readonly available: AvailableBuckets,
  ) {}

  assign(_values: readonly unknown[], partitionId: number): number {
    const c = (this.counter = (this.counter + 1) & 0x7fffffff);
    const avail = this.available(partitionId);
    if (avail && avail.length > 0) return avail[c % avail.length]!;
    return c % this.numBuckets;
  }

  onNewBatch(): void {}
}

/** The assigner for a table, as Java's `WriterClient#createBucketAssigner`. */
export function createBucketAssigner(
  info: Pick<TableInfo, "rowType" | "bucketKeys" | "numBuckets" | "dataLakeFormat">,
  noKeyAssigner: string,
  available: AvailableBuckets,
): BucketAssigner {
  if (info.bucketKeys.length > 0) {
    const lake = info.dataLakeFormat;
    return new KeyBucketAssigner(
      lakeOrCompactedKeyEncoder(info.rowType, info.bucketKeys, lake),
      bucketingFunction(lake),
      info.numBuckets,
      info.rowType,
      info.bucketKeys,
    );
  }
  if (noKeyAssigner === "round_robin") return new RoundRobinBucketAssigner(info.numBuckets, available);
  return new StickyBucketAssigner(info.numBuckets, available);
}
