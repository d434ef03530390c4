/** `bool_and`, `bool_or` (Java `FieldBoolAndAgg`, `FieldBoolOrAgg`): BOOLEAN, nulls skipped. */
import { type FieldAggregator, nullSkipping } from "./field-aggregator.js";

export const BOOL_AND: FieldAggregator = nullSkipping((a, b) => (a as boolean) && (b as boolean));
export const BOOL_OR: FieldAggregator = nullSkipping((a, b) => (a as boolean) || (b as boolean));
