/**
 * What a record scanner's `poll` returns: records grouped per bucket.
 */
import { TableBucket } from "../../metadata/cluster.js";
import {
  type ChangeByte,
  type ChangeByteName,
  changeTypeFromByte,
  changeTypeName,
  changeTypeShortString,
} from "../../record/change-type.js";
import type { RowObject } from "../../row/values.js";

/** A bucket given as an object (`TableBucket` or a plain `{ tableId, partitionId?, bucket }`). */
export interface TableBucketLike {
  /** The table's id (`TableInfo.tableId`). */
  readonly tableId: number;
  /** The partition's id; absent for a non-partitioned table. */
  readonly partitionId?: number | undefined;
  /** The bucket number, 0..numBuckets-1. */
  readonly bucket: number;
}

/** The map key of a bucket: `"<partitionId or ->:<bucket>"` (the table is implied). */
export function bucketKey(partitionId: number | undefined, bucket: number): string {
  return `${partitionId ?? "-"}:${bucket}`;
}

/**
 * The change type of a record, with Java's renderings: `shortString()` gives `+A`,
 * `+I`, `-U`, `+U` or `-D`; `name` the enum name; `value` the byte.
 * One shared instance per change type.
 */
export class ChangeType {
  private static readonly all: readonly ChangeType[] = [0, 1, 2, 3, 4].map((v) => new ChangeType(v as ChangeByte));

  /** `+A`: a record of an append-only (log) table. */
  static readonly APPEND_ONLY = ChangeType.all[0]!;
  /** `+I`: a new primary key. */
  static readonly INSERT = ChangeType.all[1]!;
  /** `-U`: the old image of an updated row. */
  static readonly UPDATE_BEFORE = ChangeType.all[2]!;
  /** `+U`: the new image of an updated row. */
  static readonly UPDATE_AFTER = ChangeType.all[3]!;
  /** `-D`: a deleted row. */
  static readonly DELETE = ChangeType.all[4]!;

  /** The enum name, e.g. `APPEND_ONLY`. */
  readonly name: ChangeByteName;

  private constructor(
    /** The byte value (0..4). */
    readonly value: ChangeByte,
  ) {
    this.name = changeTypeName(value);
  }

  /** The instance for a change-type byte (throws CORRUPT_RECORD_EXCEPTION for unknown bytes). */
  static of(value: number): ChangeType {
    return ChangeType.all[value] ?? ChangeType.all[changeTypeFromByte(value)]!;
  }

  /** `+A`, `+I`, `-U`, `+U` or `-D`. */
  shortString(): string {
    return changeTypeShortString(this.value);
  }

  /** Same as `shortString()`. */
  toString(): string {
    return this.shortString();
  }

  /** `shortString()`, so records serialize as `"+I"` etc. */
  toJSON(): string {
    return this.shortString();
  }
}

/** One record read from a log; `R` is the table's row type (see `RowOf`). */
export class ScanRecord<R = RowObject> {
  /** Scanners create records; make one yourself only for tests. */
  constructor(
    /** The record's offset in its bucket. */
    readonly offset: number,
    /** The commit timestamp of its batch (epoch millis, stamped by the server). */
    readonly timestamp: number,
    /** `+A` for log tables; the changelog kind for primary-key tables. */
    readonly changeType: ChangeType,
    /** The (projected) row, keyed by column name; values follow `src/row/values.ts`. */
    readonly row: R,
  ) {}

  /** `<change type>@<offset>`, e.g. `+I@42` (the row is left out). */
  toString(): string {
    return `${this.changeType.shortString()}@${this.offset}`;
  }
}

const EMPTY: readonly ScanRecord<never>[] = Object.freeze([]);

/**
 * The records of one `poll`, per bucket in fetch order. Iterating yields every record,
 * bucket by bucket.
 */
export class ScanRecords<R = RowObject> implements Iterable<ScanRecord<R>> {
  private readonly byBucket: Map<string, { bucket: TableBucket; records: ScanRecord<R>[] }>;
  /** Total number of records. */
  readonly count: number;

  /** @internal Created by scanners. */
  static create<R = RowObject>(
    tableId: number,
    groups: Iterable<{ bucket: TableBucket; records: ScanRecord<R>[] }> = [],
  ): ScanRecords<R> {
    return new ScanRecords<R>(tableId, groups);
  }

  private constructor(
    private readonly tableId: number,
    groups: Iterable<{ bucket: TableBucket; records: ScanRecord<R>[] }> = [],
  ) {
    this.byBucket = new Map();
    let n = 0;
    for (const g of groups) {
      if (g.records.length === 0) continue;
      const key = bucketKey(g.bucket.partitionId, g.bucket.bucket);
      const prev = this.byBucket.get(key);
      if (prev) prev.records.push(...g.records);
      else this.byBucket.set(key, { bucket: g.bucket, records: g.records });
      n += g.records.length;
    }
    this.count = n;
  }

  /** An empty result. */
  static empty<R = RowObject>(tableId = -1): ScanRecords<R> {
    return new ScanRecords<R>(tableId);
  }

  /** Whether no record was returned. */
  isEmpty(): boolean {
    return this.count === 0;
  }

  /** The buckets that have records in this result. */
  buckets(): TableBucket[] {
    return [...this.byBucket.values()].map((g) => g.bucket);
  }

  /**
   * The records of one bucket (empty when it has none). A number means a bucket of a
   * non-partitioned table.
   */
  records(bucket: TableBucketLike | number): readonly ScanRecord<R>[] {
    const key = typeof bucket === "number" ? bucketKey(undefined, bucket) : bucketKey(bucket.partitionId, bucket.bucket);
    if (typeof bucket !== "number" && bucket.tableId !== this.tableId && this.tableId >= 0) return EMPTY;
    return this.byBucket.get(key)?.records ?? EMPTY;
  }

  /** @internal The per-bucket groups, in order (the arrays are this result's own). */
  groups(): { bucket: TableBucket; records: ScanRecord<R>[] }[] {
    return [...this.byBucket.values()];
  }

  /** All records as one array. */
  toArray(): ScanRecord<R>[] {
    const out: ScanRecord<R>[] = [];
    for (const g of this.byBucket.values()) for (const r of g.records) out.push(r);
    return out;
  }

  *[Symbol.iterator](): Iterator<ScanRecord<R>> {
    for (const g of this.byBucket.values()) yield* g.records;
  }
}

/** @internal A TableBucket for a table id, partition and bucket. */
export function tableBucket(tableId: number, partitionId: number | undefined, bucket: number): TableBucket {
  return new TableBucket(tableId, partitionId, bucket);
}
