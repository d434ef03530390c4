/**
 * The `first_row` merge engine (Java `FirstRowRowMerger`): the first row written for a key is
 * kept and later upserts change nothing (no changelog). Deletes are ignored (default) or
 * refused (DISABLE); ALLOW is rejected when the table is created. No partial updates.
 */
import { ErrorCode, FlussError } from "../../../rpc/errors.js";
import type { DeleteBehavior } from "../../../metadata/table-options.js";
import type { MergeRow, RowMerger } from "./row-merger.js";

export class FirstRowMerger implements RowMerger {
  readonly deleteBehavior: DeleteBehavior;

  /** `deleteBehavior` defaults to IGNORE; ALLOW is refused (FirstRowRowMerger.java:38). */
  constructor(deleteBehavior: DeleteBehavior | undefined) {
    if (deleteBehavior === "ALLOW") throw new Error("DELETE is not supported for the first_row merge engine.");
    this.deleteBehavior = deleteBehavior ?? "IGNORE";
  }

  merge(old: MergeRow | null, incoming: MergeRow): MergeRow {
    return old === null ? incoming : old;
  }

  delete(_old: MergeRow): MergeRow | null {
    throw new FlussError(ErrorCode.UNKNOWN_SERVER_ERROR, "DELETE is not supported for the first_row merge engine.");
  }

  withTargetColumns(targetColumns: readonly number[] | undefined): RowMerger {
    if (targetColumns === undefined) return this;
    throw new FlussError(ErrorCode.UNKNOWN_SERVER_ERROR, "Partial update is not supported for the first_row merge engine.");
  }
}
