/**
 * The merger of primary-key tables without a merge engine (Java
 * `kv/rowmerger/DefaultRowMerger.java`): the new row replaces the stored one; with target
 * columns it becomes a partial update (Java `kv/partialupdate/PartialUpdater.java`).
 */
import { ErrorCode, FlussError } from "../../../rpc/errors.js";
import type { RowType } from "../../../metadata/data-types.js";
import type { DeleteBehavior } from "../../../metadata/table-options.js";
import type { MergeRow, RowMerger } from "./row-merger.js";

/** Java `TargetColumns.specifiesAllSchemaFieldIndexes`: every column index, none out of range. */
function coversAllColumns(fieldCount: number, targetColumns: readonly number[]): boolean {
  if (fieldCount === 0) return targetColumns.length === 0;
  if (targetColumns.length < fieldCount) return false;
  const covered = new Uint8Array(fieldCount);
  for (const c of targetColumns) {
    if (!Number.isInteger(c) || c < 0 || c >= fieldCount) return false;
    covered[c] = 1;
  }
  return covered.every((b) => b === 1);
}

/** Always keeps the latest row; target columns make it a {@link PartialUpdateMerger}. */
export class DefaultRowMerger implements RowMerger {
  constructor(
    private readonly rowType: RowType,
    private readonly primaryKeyIndexes: readonly number[],
    /** Java defaults a missing `table.delete.behavior` to ALLOW for this merger. */
    readonly deleteBehavior: DeleteBehavior = "ALLOW",
  ) {}

  merge(_old: MergeRow | null, incoming: MergeRow): MergeRow {
    // DefaultRowMerger.merge returns the new value: never "no change" (KvTablet.java:744 compares references)
    return incoming;
  }

  delete(_old: MergeRow): MergeRow | null {
    return null;
  }

  withTargetColumns(targetColumns: readonly number[] | undefined): RowMerger {
    if (targetColumns === undefined || coversAllColumns(this.rowType.fields.length, targetColumns)) return this;
    return new PartialUpdateMerger(this.rowType, this.primaryKeyIndexes, targetColumns, this.deleteBehavior);
  }
}

/** Java `PartialUpdater` behind `DefaultRowMerger.PartialUpdateRowMerger`. */
class PartialUpdateMerger implements RowMerger {
  private readonly target: Uint8Array;
  private readonly pk: Uint8Array;
  private readonly updatePrimaryKeyOnly: boolean;

  constructor(
    private readonly rowType: RowType,
    primaryKeyIndexes: readonly number[],
    targetColumns: readonly number[],
    readonly deleteBehavior: DeleteBehavior,
  ) {
    const n = rowType.fields.length;
    const names = rowType.fields.map((f) => f.name);
    this.target = new Uint8Array(n);
    this.pk = new Uint8Array(n);
    for (const c of targetColumns) {
      if (!Number.isInteger(c) || c < 0 || c >= n) {
        throw new FlussError(
          ErrorCode.INVALID_TARGET_COLUMN,
          `The target write column index ${c} is out of range: the table has ${n} columns.`,
        );
      }
      this.target[c] = 1;
    }
    for (const i of primaryKeyIndexes) this.pk[i] = 1;
    // PartialUpdater.sanityCheck
    const shown = (idx: readonly number[]): string => `[${idx.map((i) => names[i]).join(", ")}]`;
    for (const i of primaryKeyIndexes) {
      if (!this.target[i]) {
        throw new FlussError(
          ErrorCode.INVALID_TARGET_COLUMN,
          `The target write columns ${shown(targetColumns)} must contain the primary key columns ${shown(primaryKeyIndexes)}.`,
        );
      }
    }
    for (let i = 0; i < n; i++) {
      if (!this.pk[i] && !rowType.fields[i]!.type.nullable) {
        throw new FlussError(
          ErrorCode.INVALID_TARGET_COLUMN,
          `Partial Update requires all columns except primary key to be nullable, but column ${names[i]} is NOT NULL.`,
        );
      }
    }
    let same = true;
    for (let i = 0; i < n; i++) if (this.target[i] !== this.pk[i]) same = false;
    this.updatePrimaryKeyOnly = same;
  }

  /** PartialUpdater.updateRow: target columns from the new row, the rest from the old one (or null). */
  merge(old: MergeRow | null, incoming: MergeRow): MergeRow {
    if (this.updatePrimaryKeyOnly && old !== null) return old;
    const n = this.rowType.fields.length;
    const out = new Array<unknown>(n);
    for (let i = 0; i < n; i++) {
      out[i] = this.target[i] ? (incoming[i] ?? null) : old === null || old.length < i + 1 ? null : (old[i] ?? null);
    }
    return out;
  }

  /**
   * PartialUpdater.deleteRow: the whole row goes when every column outside the target set is
   * null; otherwise the target columns except the primary key are nulled.
   */
  delete(old: MergeRow): MergeRow | null {
    let othersNull = true;
    for (let i = 0; i < old.length; i++) {
      if (!this.target[i] && old[i] !== null && old[i] !== undefined) {
        othersNull = false;
        break;
      }
    }
    if (othersNull) return null;
    const n = this.rowType.fields.length;
    const out = new Array<unknown>(n);
    for (let i = 0; i < n; i++) {
      out[i] = !this.pk[i] && this.target[i] ? null : old.length < i + 1 ? null : (old[i] ?? null);
    }
    return out;
  }

  withTargetColumns(): RowMerger {
    // Java: "PartialUpdateRowMerger does not support reconfigure target merge columns."
    throw new FlussError(
      ErrorCode.UNKNOWN_SERVER_ERROR,
      "PartialUpdateRowMerger does not support reconfigure target merge columns.",
    );
  }
}
