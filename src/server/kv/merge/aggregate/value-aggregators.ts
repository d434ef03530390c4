/**
 * Value selection: `last_value`, `last_value_ignore_nulls`, `first_value`,
 * `first_value_ignore_nulls` (Java `FieldLastValueAgg`, `FieldLastNonNullValueAgg`,
 * `FieldFirstValueAgg`, `FieldFirstNonNullValueAgg`). Any data type.
 */
import type { FieldAggregator } from "./field-aggregator.js";

/** The incoming value, null included. */
export const LAST_VALUE: FieldAggregator = { agg: (_acc, input) => input };

/** The incoming value unless it is null. */
export const LAST_VALUE_IGNORE_NULLS: FieldAggregator = { agg: (acc, input) => (input === null ? acc : input) };

/**
 * The stored value unless it is null. Java's `FieldFirstValueAgg` cannot tell a stored null
 * from "no value yet", so `first_value` behaves as `first_value_ignore_nulls`
 * (FieldFirstValueAgg.java:36).
 */
export const FIRST_VALUE: FieldAggregator = { agg: (acc, input) => (acc !== null ? acc : input) };

/** The first non-null value seen. */
export const FIRST_VALUE_IGNORE_NULLS: FieldAggregator = { agg: (acc, input) => (acc !== null ? acc : input) };
