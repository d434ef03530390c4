/**
 * The aggregator of each function (Java `aggregate/factory/*Factory.java`), with the type
 * checks the factories make when a merger is built (their messages are Java's).
 */
import { type DataType, typeToString } from "../../../../metadata/data-types.js";
import { type AggFunction, DEFAULT_LISTAGG_DELIMITER, PARAM_DELIMITER } from "../../../../metadata/agg-function.js";
import type { FieldAggregator } from "./field-aggregator.js";
import { FIRST_VALUE, FIRST_VALUE_IGNORE_NULLS, LAST_VALUE, LAST_VALUE_IGNORE_NULLS } from "./value-aggregators.js";
import { productAggregator, sumAggregator } from "./numeric-aggregators.js";
import { maxAggregator, minAggregator } from "./compare-aggregators.js";
import { listagg } from "./string-aggregators.js";
import { BOOL_AND, BOOL_OR } from "./bool-aggregators.js";
import { RBM32, RBM64 } from "./bitmap-aggregators.js";

const NUMERIC = new Set(["TINYINT", "SMALLINT", "INTEGER", "BIGINT", "FLOAT", "DOUBLE", "DECIMAL"]);

function check(ok: boolean, fn: string, expected: string, type: DataType): void {
  if (!ok) throw new Error(`Data type for ${fn} column must be '${expected}' but was '${typeToString(type)}'.`);
}

/** The aggregator of `fn` for a column of `type`; throws an Error when the type does not fit. */
export function createFieldAggregator(type: DataType, fn: AggFunction): FieldAggregator {
  switch (fn.type) {
    case "sum":
      check(NUMERIC.has(type.root), "sum", "NumericType", type);
      return sumAggregator(type);
    case "product":
      check(NUMERIC.has(type.root), "product", "NumericType", type);
      return productAggregator(type);
    case "max":
      return maxAggregator(type.root);
    case "min":
      return minAggregator(type.root);
    case "last_value":
      return LAST_VALUE;
    case "last_value_ignore_nulls":
      return LAST_VALUE_IGNORE_NULLS;
    case "first_value":
      return FIRST_VALUE;
    case "first_value_ignore_nulls":
      return FIRST_VALUE_IGNORE_NULLS;
    case "listagg":
    case "string_agg":
      // the factories take StringType only, though the create-time check also lets CHAR pass
      check(type.root === "STRING", fn.type, "StringType", type);
      return listagg(fn.parameters?.[PARAM_DELIMITER] ?? DEFAULT_LISTAGG_DELIMITER);
    case "bool_and":
      check(type.root === "BOOLEAN", "bool_and", "BooleanType", type);
      return BOOL_AND;
    case "bool_or":
      check(type.root === "BOOLEAN", "bool_or", "BooleanType", type);
      return BOOL_OR;
    case "rbm32":
      check(type.root === "BYTES", "rbm32", "BytesType", type);
      return RBM32;
    case "rbm64":
      check(type.root === "BYTES", "rbm64", "BytesType", type);
      return RBM64;
    default:
      throw new Error(
        `Unsupported aggregation function: ${String((fn as AggFunction).type)} or spell aggregate function incorrectly!`,
      );
  }
}
