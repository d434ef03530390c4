/**
 * The `aggregation` merge engine (Java `AggregateRowMerger`, `AggregationContext`,
 * `AggregateFieldsProcessor`): each column of an upsert is combined with the stored value by
 * the column's aggregation function (primary-key columns: `last_value`; columns without a
 * function: `last_value_ignore_nulls`). A partial update aggregates only the target columns
 * and keeps the others; a delete (ALLOW) removes the row, a partial delete nulls the target
 * columns unless nothing else is left. Deletes default to IGNORE.
 *
 * As in Java, the aggregators are built on first use, so a column whose type the function's
 * factory refuses (e.g. `listagg` on CHAR, which the create-time check lets through) fails the
 * first merge, not the table creation.
 */
import { ErrorCode, FlussError } from "../../../../rpc/errors.js";
import type { RowType } from "../../../../metadata/data-types.js";
import { type AggFunction, AggFunctions } from "../../../../metadata/agg-function.js";
import type { DeleteBehavior } from "../../../../metadata/table-options.js";
import type { MergeRow, RowMerger } from "../row-merger.js";
import type { FieldAggregator } from "./field-aggregator.js";
import { createFieldAggregator } from "./factories.js";

/** What the aggregation merger needs of the table. */
export interface AggregationSpec {
  readonly rowType: RowType;
  readonly primaryKeyIndexes: readonly number[];
  /** Each column's declared aggregation function (undefined = none), in column order. */
  readonly aggFunctions: readonly (AggFunction | undefined)[];
}

/** Java `AggregationContext`: the aggregators of one schema, built once. */
class AggregationContext {
  private aggregators: FieldAggregator[] | undefined;

  constructor(readonly spec: AggregationSpec) {}

  /** Java `AggregationContext.createAggregators` (AggregationContext.java:233). */
  get(): FieldAggregator[] {
    if (!this.aggregators) {
      const { rowType, primaryKeyIndexes, aggFunctions } = this.spec;
      this.aggregators = rowType.fields.map((f, i) => {
        const fn = primaryKeyIndexes.includes(i)
          ? AggFunctions.LAST_VALUE()
          : (aggFunctions[i] ?? AggFunctions.LAST_VALUE_IGNORE_NULLS());
        return createFieldAggregator(f.type, fn);
      });
    }
    return this.aggregators;
  }
}

export class AggregateRowMerger implements RowMerger {
  readonly deleteBehavior: DeleteBehavior;
  private readonly context: AggregationContext;

  constructor(spec: AggregationSpec, deleteBehavior: DeleteBehavior | undefined) {
    this.deleteBehavior = deleteBehavior ?? "IGNORE";
    this.context = new AggregationContext(spec);
  }

  merge(old: MergeRow | null, incoming: MergeRow): MergeRow {
    if (old === null) return incoming;
    const aggs = this.context.get();
    return aggs.map((a, i) => a.agg(old[i] ?? null, incoming[i] ?? null));
  }

  delete(_old: MergeRow): MergeRow | null {
    return null;
  }

  withTargetColumns(targetColumns: readonly number[] | undefined): RowMerger {
    if (targetColumns === undefined) return this;
    return new PartialAggregateRowMerger(this.context, targetColumns, this.deleteBehavior);
  }
}

/** Aggregates the target columns and keeps the others (Java `PartialAggregateRowMerger`). */
class PartialAggregateRowMerger implements RowMerger {
  private readonly target: boolean[];

  constructor(
    private readonly context: AggregationContext,
    targetColumns: readonly number[],
    readonly deleteBehavior: DeleteBehavior,
  ) {
    const { rowType, primaryKeyIndexes } = context.spec;
    context.get();
    this.target = rowType.fields.map((_, i) => targetColumns.includes(i));
    // AggregationContext.sanityCheckTargetColumns
    if (primaryKeyIndexes.some((i) => !this.target[i])) {
      throw new FlussError(
        ErrorCode.INVALID_TARGET_COLUMN,
        `The target write columns must contain the primary key columns [${primaryKeyIndexes.map((i) => rowType.fields[i]!.name).join(", ")}].`,
      );
    }
    rowType.fields.forEach((f, i) => {
      if (!primaryKeyIndexes.includes(i) && !f.type.nullable) {
        throw new FlussError(
          ErrorCode.INVALID_TARGET_COLUMN,
          `Partial aggregate requires all columns except primary key to be nullable, but column ${f.name} is NOT NULL.`,
        );
      }
    });
  }

  merge(old: MergeRow | null, incoming: MergeRow): MergeRow {
    if (old === null) return incoming;
    const aggs = this.context.get();
    return aggs.map((a, i) => (this.target[i] ? a.agg(old[i] ?? null, incoming[i] ?? null) : (old[i] ?? null)));
  }

  delete(old: MergeRow): MergeRow | null {
    // nothing outside the target columns left: the whole row goes
    if (!old.some((v, i) => !this.target[i] && v !== null && v !== undefined)) return null;
    const pk = this.context.spec.primaryKeyIndexes;
    return old.map((v, i) => (this.target[i] && !pk.includes(i) ? null : v));
  }

  withTargetColumns(): RowMerger {
    throw new Error("PartialAggregateRowMerger does not support reconfigure target merge columns.");
  }
}
