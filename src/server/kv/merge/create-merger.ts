/**
 * Picks the merger of a primary-key table from its options (Java `RowMerger.create`): the
 * merge engine's (`table.merge-engine`: first_row, versioned, aggregation), and without one
 * the {@link DefaultRowMerger}.
 */
import { DefaultRowMerger } from "./default-merger.js";
import { createEngineMerger, deleteBehaviorOf } from "./engine-merger.js";
import type { MergeSpec, RowMerger } from "./row-merger.js";

/** The merger a table's options select. */
export function createRowMerger(spec: MergeSpec): RowMerger {
  return (
    createEngineMerger(spec) ?? new DefaultRowMerger(spec.rowType, spec.primaryKeyIndexes, deleteBehaviorOf(spec.properties))
  );
}
