/**
 * One column's aggregation (Java `aggregate/functions/FieldAggregator.java`): combines the
 * stored value (the accumulator) with the incoming one. Values are canonical row values
 * (`row/values.ts`); `null` is SQL NULL.
 */

export interface FieldAggregator {
  /** The new stored value from the stored `accumulator` and the incoming `input`. */
  agg(accumulator: unknown, input: unknown): unknown;
}

/** Java's shared null rule of most functions: a null side yields the other side. */
export function nullSkipping(combine: (acc: unknown, input: unknown) => unknown): FieldAggregator {
  return {
    agg: (acc, input) => (acc === null || input === null ? (acc === null ? input : acc) : combine(acc, input)),
  };
}
