/**
 * Picks the merger of a primary-key table from its options (Java `RowMerger.create`).
 * Without `table.merge-engine` it is the {@link DefaultRowMerger}.
 */
import { DELETE_BEHAVIORS, TableOptions, parseJavaEnum } from "../../../metadata/table-options.js";
import { DefaultRowMerger } from "./default-merger.js";
import type { MergeSpec, RowMerger } from "./row-merger.js";

/** The merger a table's options select. */
export function createRowMerger(spec: MergeSpec): RowMerger {
  const raw = spec.properties[TableOptions.DELETE_BEHAVIOR];
  const deleteBehavior = raw === undefined ? undefined : parseJavaEnum(raw, DELETE_BEHAVIORS, TableOptions.DELETE_BEHAVIOR);
  return new DefaultRowMerger(spec.rowType, spec.primaryKeyIndexes, deleteBehavior);
}
