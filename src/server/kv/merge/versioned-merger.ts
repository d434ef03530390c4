/**
 * The `versioned` merge engine (Java `VersionedRowMerger`): an upsert replaces the stored row
 * when its version column (INT, BIGINT, TIMESTAMP or TIMESTAMP_LTZ) is greater than or equal
 * to the stored one, and changes nothing otherwise; a null version is the smallest. Deletes
 * are ignored (default) or refused (DISABLE). No partial updates.
 */
import { ErrorCode, FlussError } from "../../../rpc/errors.js";
import { type RowType, typeToString } from "../../../metadata/data-types.js";
import type { DeleteBehavior } from "../../../metadata/table-options.js";
import type { MergeRow, RowMerger } from "./row-merger.js";

type Compare = (a: unknown, b: unknown) => number;

const cmp = (a: number | bigint, b: number | bigint): number => (a < b ? -1 : a > b ? 1 : 0);

function compareTimestamps(a: unknown, b: unknown): number {
  const x = a as Date & { nanoOfMillis?: number };
  const y = b as Date & { nanoOfMillis?: number };
  return cmp(x.getTime(), y.getTime()) || cmp(x.nanoOfMillis ?? 0, y.nanoOfMillis ?? 0);
}

/** Java `createVersionComparator`: the column's natural order, null being the type's minimum. */
function versionComparator(rowType: RowType, column: string): (oldRow: MergeRow, newRow: MergeRow) => number {
  const index = rowType.fields.findIndex((f) => f.name === column);
  if (index < 0) throw new Error(`The version column '${column}' for versioned merge engine doesn't exist in schema.`);
  const type = rowType.fields[index]!.type;
  let compare: Compare;
  switch (type.root) {
    // a null version reads as Integer.MIN_VALUE / Long.MIN_VALUE (VersionedRowMerger.java:107)
    case "INTEGER":
      compare = (a, b) => cmp((a ?? -(2 ** 31)) as number, (b ?? -(2 ** 31)) as number);
      break;
    case "BIGINT":
      compare = (a, b) => cmp((a ?? -(2n ** 63n)) as bigint, (b ?? -(2n ** 63n)) as bigint);
      break;
    case "TIMESTAMP_WITHOUT_TIME_ZONE":
    case "TIMESTAMP_WITH_LOCAL_TIME_ZONE":
      // null reads as epoch millis Long.MIN_VALUE, below every timestamp a Date can hold
      compare = (a, b) => (a === null || b === null ? (a === null ? (b === null ? 0 : -1) : 1) : compareTimestamps(a, b));
      break;
    default:
      throw new Error(
        `The version column '${column}' for versioned merge engine must be one type of [INT, BIGINT, TIMESTAMP, TIMESTAMP_LTZ], but is ${typeToString(type)}.`,
      );
  }
  return (oldRow, newRow) => compare(oldRow[index] ?? null, newRow[index] ?? null);
}

export class VersionedMerger implements RowMerger {
  readonly deleteBehavior: DeleteBehavior;
  private readonly compare: (oldRow: MergeRow, newRow: MergeRow) => number;

  /** `deleteBehavior` defaults to IGNORE; ALLOW is refused (VersionedRowMerger.java:55). */
  constructor(rowType: RowType, versionColumn: string, deleteBehavior: DeleteBehavior | undefined) {
    if (deleteBehavior === "ALLOW") throw new Error("DELETE is not supported for the versioned merge engine.");
    this.deleteBehavior = deleteBehavior ?? "IGNORE";
    this.compare = versionComparator(rowType, versionColumn);
  }

  merge(old: MergeRow | null, incoming: MergeRow): MergeRow {
    if (old === null) return incoming;
    // the new row wins when its version is larger than or equal to the stored one
    return this.compare(old, incoming) <= 0 ? incoming : old;
  }

  delete(_old: MergeRow): MergeRow | null {
    throw new FlussError(ErrorCode.UNKNOWN_SERVER_ERROR, "DELETE is not supported for the versioned merge engine.");
  }

  withTargetColumns(targetColumns: readonly number[] | undefined): RowMerger {
    if (targetColumns === undefined) return this;
    throw new FlussError(ErrorCode.UNKNOWN_SERVER_ERROR, "Partial update is not supported for the versioned merge engine.");
  }
}
