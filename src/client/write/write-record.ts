/**
 * What a writer hands the accumulator for one row: a log row (canonical values in column
 * order) for log tables, a {@link KvWriteRecord} for primary-key tables. Log rows stay
 * plain arrays so the append path allocates nothing per row beyond the coerced values.
 */

/** The target columns of a partial-update writer, shared by all its records. */
export interface TargetColumns {
  /** Column indexes, ascending (as Java sends them). */
  readonly indexes: readonly number[];
  /** `indexes` joined: batches hold records of one target-column set only. */
  readonly key: string;
}

/** One upsert (`values` set) or delete (`values` null) of a primary-key table. */
export interface KvWriteRecord {
  /** The encoded record key (physical primary key, `row/key-encoding.ts`). */
  readonly key: Uint8Array;
  /** Full-width canonical values (non-target columns null), or null for a delete. */
  readonly values: readonly unknown[] | null;
  /** Undefined for a full-row writer. */
  readonly targetColumns: TargetColumns | undefined;
}

/** A log row (values in column order) or a KV record. */
export type WriteRecord = readonly unknown[] | KvWriteRecord;
