/**
 * Column aggregation functions of the `aggregation` merge engine (Java `AggFunction`,
 * `AggFunctionType`, `AggFunctions` in `fluss-common/.../metadata/`): the names, which data
 * types each accepts, their parameters and the checks a coordinator runs at create time.
 */

import { type DataType, type DataTypeRoot, typeToString } from "./data-types.js";
import { javaHashMapOrder } from "./java-json.js";

/** The aggregation functions Fluss knows, by their lowercase identifier (Java `AggFunctionType.toString()`). */
export type AggFunctionType =
  | "sum"
  | "product"
  | "max"
  | "min"
  | "last_value"
  | "last_value_ignore_nulls"
  | "first_value"
  | "first_value_ignore_nulls"
  | "listagg"
  | "string_agg"
  | "bool_and"
  | "bool_or"
  | "rbm32"
  | "rbm64";

/** Every {@link AggFunctionType}, in Java's enum order. */
export const AGG_FUNCTION_TYPES: readonly AggFunctionType[] = [
  "sum",
  "product",
  "max",
  "min",
  "last_value",
  "last_value_ignore_nulls",
  "first_value",
  "first_value_ignore_nulls",
  "listagg",
  "string_agg",
  "bool_and",
  "bool_or",
  "rbm32",
  "rbm64",
];

/**
 * A column's aggregation function: `type` plus optional string parameters (only `listagg` /
 * `string_agg` take one, `delimiter`). Build them with {@link AggFunctions}.
 */
export interface AggFunction {
  /** The function, e.g. `"sum"` or `"listagg"`. */
  readonly type: AggFunctionType;
  /** Its parameters, e.g. `{ delimiter: ";" }` for `listagg`; absent when none. */
  readonly parameters?: Readonly<Record<string, string>>;
}

/** The `delimiter` parameter of `listagg` / `string_agg` (Java `AggFunctions.PARAM_DELIMITER`). */
export const PARAM_DELIMITER = "delimiter";
/** The delimiter `listagg` / `string_agg` use when none is given. */
export const DEFAULT_LISTAGG_DELIMITER = ",";

function fn(type: AggFunctionType, parameters?: Record<string, string>): AggFunction {
  return Object.freeze(parameters ? { type, parameters: Object.freeze({ ...parameters }) } : { type });
}

/**
 * Factories of the aggregation functions (Java `AggFunctions`), for
 * `Schema.builder().column(name, type, { aggFunction: AggFunctions.SUM() })` on a table with
 * `table.merge-engine` = `aggregation`. A non-key column without a function uses
 * `last_value_ignore_nulls`; key columns cannot have one.
 */
export const AggFunctions = {
  /** Sum of the values; TINYINT..BIGINT wrap around like Java, DECIMAL overflow gives null. Numeric types. */
  SUM: (): AggFunction => fn("sum"),
  /** Product of the values. Numeric types. */
  PRODUCT: (): AggFunction => fn("product"),
  /** Largest value. Numeric, CHAR, STRING, DATE, TIME, TIMESTAMP, TIMESTAMP_LTZ. */
  MAX: (): AggFunction => fn("max"),
  /** Smallest value. Same types as {@link AggFunctions.MAX}. */
  MIN: (): AggFunction => fn("min"),
  /** The latest value, null included. Any type. */
  LAST_VALUE: (): AggFunction => fn("last_value"),
  /** The latest non-null value (the default). Any type. */
  LAST_VALUE_IGNORE_NULLS: (): AggFunction => fn("last_value_ignore_nulls"),
  /** The first non-null value kept (Fluss treats a stored null as "nothing yet"). Any type. */
  FIRST_VALUE: (): AggFunction => fn("first_value"),
  /** The first non-null value. Any type. */
  FIRST_VALUE_IGNORE_NULLS: (): AggFunction => fn("first_value_ignore_nulls"),
  /** Concatenation with `delimiter` (default `,`), nulls skipped. STRING (CHAR passes the create check only). */
  LISTAGG: (delimiter?: string): AggFunction =>
    fn("listagg", delimiter === undefined ? undefined : { [PARAM_DELIMITER]: delimiter }),
  /** Alias of {@link AggFunctions.LISTAGG}. */
  STRING_AGG: (delimiter?: string): AggFunction =>
    fn("string_agg", delimiter === undefined ? undefined : { [PARAM_DELIMITER]: delimiter }),
  /** Logical AND, nulls skipped. BOOLEAN. */
  BOOL_AND: (): AggFunction => fn("bool_and"),
  /** Logical OR, nulls skipped. BOOLEAN. */
  BOOL_OR: (): AggFunction => fn("bool_or"),
  /** Union of serialized 32-bit Roaring bitmaps (the portable format). BYTES. */
  RBM32: (): AggFunction => fn("rbm32"),
  /** Union of serialized 64-bit Roaring bitmaps (Java `Roaring64Bitmap` format). BYTES. */
  RBM64: (): AggFunction => fn("rbm64"),
  /** A function by type and parameters, as read from JSON. */
  of: (type: AggFunctionType, parameters?: Readonly<Record<string, string>>): AggFunction =>
    fn(type, parameters && Object.keys(parameters).length > 0 ? { ...parameters } : undefined),
} as const;

/**
 * Java `AggFunctionType.fromString`: case-insensitive, `-` read as `_`; `undefined` for an
 * unknown name.
 */
export function parseAggFunctionType(name: string): AggFunctionType | undefined {
  const n = name.replace(/-/g, "_").toLowerCase().trim();
  return (AGG_FUNCTION_TYPES as readonly string[]).includes(n) ? (n as AggFunctionType) : undefined;
}

const NUMERIC_TYPES: readonly DataTypeRoot[] = ["TINYINT", "SMALLINT", "INTEGER", "BIGINT", "FLOAT", "DOUBLE", "DECIMAL"];
const MAX_MIN_TYPES: readonly DataTypeRoot[] = [
  "CHAR",
  "STRING",
  ...NUMERIC_TYPES,
  "DATE",
  "TIME_WITHOUT_TIME_ZONE",
  "TIMESTAMP_WITHOUT_TIME_ZONE",
  "TIMESTAMP_WITH_LOCAL_TIME_ZONE",
];
/** Java's `DataTypeRoot.values()` order. */
const ALL_TYPES: readonly DataTypeRoot[] = [
  "CHAR",
  "STRING",
  "BOOLEAN",
  "BINARY",
  "BYTES",
  "DECIMAL",
  "TINYINT",
  "SMALLINT",
  "INTEGER",
  "BIGINT",
  "FLOAT",
  "DOUBLE",
  "DATE",
  "TIME_WITHOUT_TIME_ZONE",
  "TIMESTAMP_WITHOUT_TIME_ZONE",
  "TIMESTAMP_WITH_LOCAL_TIME_ZONE",
  "ARRAY",
  "MAP",
  "ROW",
];

/** The type roots a function accepts (Java `AggFunctionType.getSupportedDataTypeRoots`). */
function aggFunctionSupportedRoots(type: AggFunctionType): readonly DataTypeRoot[] {
  switch (type) {
    case "bool_and":
    case "bool_or":
      return ["BOOLEAN"];
    case "rbm32":
    case "rbm64":
      return ["BYTES"];
    case "listagg":
    case "string_agg":
      return ["STRING", "CHAR"];
    case "sum":
    case "product":
      return NUMERIC_TYPES;
    case "max":
    case "min":
      return MAX_MIN_TYPES;
    default:
      return ALL_TYPES;
  }
}

/** Java `AggFunction.toString()`: `type`, or `type{k=v, ...}` with parameters (HashMap order). */
export function aggFunctionToString(f: AggFunction): string {
  const params = f.parameters ? Object.entries(javaHashMapOrder(f.parameters)) : [];
  return params.length === 0 ? f.type : `${f.type}{${params.map(([k, v]) => `${k}=${v}`).join(", ")}}`;
}

/**
 * Java `AggFunction.validateParameters()` then `validateDataType(type)`: throws an Error whose
 * message is Java's (the coordinator wraps it as `Invalid aggregation function for column ...`).
 */
export function validateAggFunction(f: AggFunction, type: DataType): void {
  const supported = f.type === "listagg" || f.type === "string_agg" ? [PARAM_DELIMITER] : [];
  for (const [name, value] of Object.entries(f.parameters ?? {})) {
    if (!supported.includes(name)) {
      throw new Error(
        `Parameter '${name}' is not supported for aggregation function '${f.type}'. ` +
          `Supported parameters: ${supported.length === 0 ? "none" : `[${supported.join(", ")}]`}`,
      );
    }
    if (name === PARAM_DELIMITER && (value === null || value === undefined || value === "")) {
      throw new Error(`Parameter '${name}' for aggregation function '${f.type}' must be a non-empty string`);
    }
  }
  const roots = aggFunctionSupportedRoots(f.type);
  if (!roots.includes(type.root)) {
    throw new Error(`Data type for ${f.type} column must be part of [${roots.join(", ")}] but was '${typeToString(type)}'.`);
  }
}
