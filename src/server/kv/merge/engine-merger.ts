/**
 * The merger of a table's `table.merge-engine` (Java `RowMerger.create`): `first_row`,
 * `versioned` or `aggregation`; `undefined` when the table has no merge engine (the default
 * merger applies).
 */
import type { AggFunction } from "../../../metadata/agg-function.js";
import { schemaFromJson, type JsonValue } from "../../../metadata/json.js";
import {
  DELETE_BEHAVIORS,
  type DeleteBehavior,
  MERGE_ENGINE_TYPES,
  TableOptions,
  parseJavaEnum,
} from "../../../metadata/table-options.js";
import { AggregateRowMerger } from "./aggregate/aggregate-merger.js";
import { FirstRowMerger } from "./first-row-merger.js";
import type { MergeSpec, RowMerger } from "./row-merger.js";
import { VersionedMerger } from "./versioned-merger.js";

/** The table's `table.delete.behavior`, if set. */
export function deleteBehaviorOf(properties: Readonly<Record<string, string>>): DeleteBehavior | undefined {
  const raw = properties[TableOptions.DELETE_BEHAVIOR];
  return raw === undefined ? undefined : parseJavaEnum(raw, DELETE_BEHAVIORS, TableOptions.DELETE_BEHAVIOR);
}

/** The columns' aggregation functions from the schema JSON, in column order. */
function aggFunctionsOf(spec: MergeSpec): (AggFunction | undefined)[] {
  const schema = schemaFromJson(spec.schemaJson as JsonValue);
  return spec.rowType.fields.map((f) => schema.columns.find((c) => c.name === f.name)?.aggFunction);
}

/** The merge engine's merger, or `undefined` for a table without `table.merge-engine`. */
export function createEngineMerger(spec: MergeSpec): RowMerger | undefined {
  const raw = spec.properties[TableOptions.MERGE_ENGINE];
  if (raw === undefined) return undefined;
  const deleteBehavior = deleteBehaviorOf(spec.properties);
  switch (parseJavaEnum(raw, MERGE_ENGINE_TYPES, TableOptions.MERGE_ENGINE)) {
    case "FIRST_ROW":
      return new FirstRowMerger(deleteBehavior);
    case "VERSIONED": {
      const column = spec.properties[TableOptions.MERGE_ENGINE_VERSION_COLUMN];
      if (column === undefined) {
        throw new Error(`'${TableOptions.MERGE_ENGINE_VERSION_COLUMN}' must be set for versioned merge engine.`);
      }
      return new VersionedMerger(spec.rowType, column, deleteBehavior);
    }
    case "AGGREGATION":
      return new AggregateRowMerger(
        { rowType: spec.rowType, primaryKeyIndexes: spec.primaryKeyIndexes, aggFunctions: aggFunctionsOf(spec) },
        deleteBehavior,
      );
  }
}
