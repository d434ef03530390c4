/**
 * Column projection of a scan (Java `org.apache.fluss.utils.Projection`): the columns the
 * user asked for, in the user's order, plus the sorted list the server is asked for
 * (FetchLog `projected_fields` must be ascending) and the indexes that reorder the
 * server's columns into the user's order.
 */
import type { DataField, RowType } from "../../metadata/data-types.js";
import { FlussError } from "../../rpc/errors.js";

/** A validated, non-empty list of top-level column indexes. */
export class Projection {
  /** Column indexes in the user's order. */
  readonly indexes: readonly number[];
  /** The same indexes ascending: what is sent to the server. */
  readonly inOrder: readonly number[];
  /** `indexes[i] === inOrder[reordering[i]]`. */
  readonly reordering: readonly number[];
  /** Whether {@link indexes} differs from {@link inOrder}. */
  readonly reorderingNeeded: boolean;

  private constructor(indexes: readonly number[]) {
    this.indexes = indexes;
    this.inOrder = [...indexes].sort((a, b) => a - b);
    this.reordering = indexes.map((i) => this.inOrder.indexOf(i));
    this.reorderingNeeded = indexes.some((v, i) => v !== this.inOrder[i]);
  }

  /**
   * Validates column indexes against a row type. Out-of-range, non-integer and repeated
   * indexes, and an empty list, throw CLIENT_ERROR naming them.
   */
  static of(indexes: readonly number[], rowType: RowType, what = "table"): Projection {
    const n = rowType.fields.length;
    if (indexes.length === 0) throw FlussError.client("a projection must select at least one column");
    const bad = indexes.filter((i) => !Number.isInteger(i) || i < 0 || i >= n);
    if (bad.length > 0) {
      throw FlussError.client(
        `invalid projection column index(es) ${bad.map(String).join(", ")}: ${what} has ${n} column(s) (0..${n - 1})`,
      );
    }
    const seen = new Set<number>();
    const dup = indexes.filter((i) => (seen.has(i) ? true : (seen.add(i), false)));
    if (dup.length > 0) throw FlussError.client(`projection repeats column index(es) ${[...new Set(dup)].join(", ")}`);
    return new Projection([...indexes]);
  }

  /** Resolves column names (case-sensitive, like Java) and validates them. */
  static ofNames(names: readonly string[], rowType: RowType, what = "table"): Projection {
    const fieldNames = rowType.fields.map((f) => f.name);
    const missing = names.filter((n) => !fieldNames.includes(n));
    if (missing.length > 0) {
      throw FlussError.client(
        `unknown projection column(s) ${missing.map((m) => `"${m}"`).join(", ")}: ${what} has columns ${fieldNames.join(", ")}`,
      );
    }
    return Projection.of(
      names.map((n) => fieldNames.indexOf(n)),
      rowType,
      what,
    );
  }

  /** The projected fields in the user's order. */
  fields(rowType: RowType): DataField[] {
    return this.indexes.map((i) => rowType.fields[i]!);
  }

  /** The projected fields in ascending column order (the server's output). */
  fieldsInOrder(rowType: RowType): DataField[] {
    return this.inOrder.map((i) => rowType.fields[i]!);
  }
}

/** A ROW type made of the given fields. */
export function rowTypeOf(fields: readonly DataField[], nullable = true): RowType {
  return { root: "ROW", nullable, fields };
}
