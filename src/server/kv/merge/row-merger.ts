/**
 * How a primary-key bucket combines a stored row with an incoming upsert or delete (Java
 * `fluss-server/.../kv/rowmerger/RowMerger.java`). Rows are decoded values in schema column
 * order (the canonical values of `row/values.ts`); `null` is SQL NULL.
 *
 * Returning the very `old` array (reference equality) means "no change": the bucket then
 * writes no changelog, as Java's KvTablet compares `newValue == oldValue`.
 */
import type { RowType } from "../../../metadata/data-types.js";
import type { DeleteBehavior } from "../../../metadata/table-options.js";

/** A decoded row: one canonical value per column, in schema order. */
export type MergeRow = unknown[];

export interface RowMerger {
  /** The merged row for an upsert; `old` is null for a new key. Returns `old` itself for "no change". */
  merge(old: MergeRow | null, incoming: MergeRow): MergeRow;
  /**
   * The row left after a delete of a stored row (called only when {@link deleteBehavior} is
   * ALLOW): null removes the key; a row (partial delete: target columns nulled) updates it.
   */
  delete(old: MergeRow): MergeRow | null;
  /** What a delete does on this table: ALLOW, IGNORE (dropped silently) or DISABLE (refused). */
  readonly deleteBehavior: DeleteBehavior;
  /** The merger for a partial update of `targetColumns` (column indexes; undefined = all columns). */
  withTargetColumns(targetColumns: readonly number[] | undefined): RowMerger;
}

/** What a merger is built from: the table's columns, keys, options and schema JSON. */
export interface MergeSpec {
  readonly rowType: RowType;
  readonly primaryKeyIndexes: readonly number[];
  /** The table's `properties` (`table.*` options) as stored. */
  readonly properties: Readonly<Record<string, string>>;
  /** The table JSON's `schema` object (columns may carry an aggregation function). */
  readonly schemaJson: unknown;
}
