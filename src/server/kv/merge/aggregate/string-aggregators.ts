/**
 * `listagg` and its alias `string_agg` (Java `FieldListaggAgg`): the stored string, the
 * delimiter and the incoming string; nulls skipped.
 */
import { type FieldAggregator, nullSkipping } from "./field-aggregator.js";

export function listagg(delimiter: string): FieldAggregator {
  return nullSkipping((acc, input) => `${acc as string}${delimiter}${input as string}`);
}
