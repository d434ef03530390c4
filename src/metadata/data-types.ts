/**
 * Fluss logical data types.
 *
 * A data type is a plain, immutable object tagged by `root`, whose values are the
 * Java `DataTypeRoot` names (so the JSON form in table descriptors is a direct
 * mapping). Build them with {@link DataTypes}.
 */

/** Every type root Fluss knows, named exactly as Java's `DataTypeRoot`. */
export type DataTypeRoot =
  | "BOOLEAN"
  | "TINYINT"
  | "SMALLINT"
  | "INTEGER"
  | "BIGINT"
  | "FLOAT"
  | "DOUBLE"
  | "DECIMAL"
  | "CHAR"
  | "STRING"
  | "BINARY"
  | "BYTES"
  | "DATE"
  | "TIME_WITHOUT_TIME_ZONE"
  | "TIMESTAMP_WITHOUT_TIME_ZONE"
  | "TIMESTAMP_WITH_LOCAL_TIME_ZONE"
  | "ARRAY"
  | "MAP"
  | "ROW";

interface TypeBase<R extends DataTypeRoot> {
  /** The type root, e.g. `"INTEGER"` for INT (Java `DataTypeRoot`). */
  readonly root: R;
  /** Whether the type admits null; false for NOT NULL. */
  readonly nullable: boolean;
}

/** BOOLEAN: true or false. */
export type BooleanType = TypeBase<"BOOLEAN">;
/** TINYINT: a signed 8-bit integer. */
export type TinyIntType = TypeBase<"TINYINT">;
/** SMALLINT: a signed 16-bit integer. */
export type SmallIntType = TypeBase<"SMALLINT">;
/** INT: a signed 32-bit integer (root `INTEGER`, as Java names it). */
export type IntType = TypeBase<"INTEGER">;
/** BIGINT: a signed 64-bit integer, a `bigint` in JavaScript. */
export type BigIntType = TypeBase<"BIGINT">;
/** FLOAT: a 4-byte IEEE 754 number. */
export type FloatType = TypeBase<"FLOAT">;
/** DOUBLE: an 8-byte IEEE 754 number. */
export type DoubleType = TypeBase<"DOUBLE">;
/** DECIMAL(p, s): an exact decimal number, a `Decimal` in JavaScript. */
export interface DecimalType extends TypeBase<"DECIMAL"> {
  /** Total number of digits, 1..38. */
  readonly precision: number;
  /** Digits after the decimal point, 0..precision. */
  readonly scale: number;
}
/** CHAR(n): a string of n characters (not padded when stored). */
export interface CharType extends TypeBase<"CHAR"> {
  /** Length in characters. */
  readonly length: number;
}
/** STRING: a UTF-8 string of any length. */
export type StringType = TypeBase<"STRING">;
/** BINARY(n): n bytes. */
export interface BinaryType extends TypeBase<"BINARY"> {
  /** Length in bytes. */
  readonly length: number;
}
/** BYTES: bytes of any length. */
export type BytesType = TypeBase<"BYTES">;
/** DATE: a calendar day without a time zone. */
export type DateType = TypeBase<"DATE">;
/** TIME(p): a time of day without a time zone. */
export interface TimeType extends TypeBase<"TIME_WITHOUT_TIME_ZONE"> {
  /** Digits of fractional seconds, 0..9. */
  readonly precision: number;
}
/** TIMESTAMP(p): a date and time without a time zone (wall-clock time). */
export interface TimestampType extends TypeBase<"TIMESTAMP_WITHOUT_TIME_ZONE"> {
  /** Digits of fractional seconds, 0..9. */
  readonly precision: number;
}
/** TIMESTAMP_LTZ(p): an instant, shown in the session's time zone. */
export interface TimestampLtzType extends TypeBase<"TIMESTAMP_WITH_LOCAL_TIME_ZONE"> {
  /** Digits of fractional seconds, 0..9. */
  readonly precision: number;
}
/** ARRAY<t>: a list of elements of one type. */
export interface ArrayType extends TypeBase<"ARRAY"> {
  /** The type of the elements. */
  readonly elementType: DataType;
}
/** MAP<k, v>: a map from keys to values. */
export interface MapType extends TypeBase<"MAP"> {
  /** The type of the keys (always NOT NULL). */
  readonly keyType: DataType;
  /** The type of the values. */
  readonly valueType: DataType;
}
/** A field of a ROW type. `fieldId` is -1 until a schema assigns ids. */
export interface DataField {
  /** The field name. */
  readonly name: string;
  /** The field's type. */
  readonly type: DataType;
  /** Free-form description, if any. */
  readonly description?: string;
  /** The field id; -1 until a schema assigns ids. */
  readonly fieldId: number;
}
/** A ROW type: named fields in order (a schema's columns form one). */
export interface RowType extends TypeBase<"ROW"> {
  /** The fields, in order. */
  readonly fields: readonly DataField[];
}

/**
 * A Fluss data type: a plain object tagged by `root`, with `nullable` and the type's
 * parameters (precision, length, element type, ...). Build one with {@link DataTypes}.
 */
export type DataType =
  | BooleanType
  | TinyIntType
  | SmallIntType
  | IntType
  | BigIntType
  | FloatType
  | DoubleType
  | DecimalType
  | CharType
  | StringType
  | BinaryType
  | BytesType
  | DateType
  | TimeType
  | TimestampType
  | TimestampLtzType
  | ArrayType
  | MapType
  | RowType;

/** Largest precision a DECIMAL may have (Java `DecimalType.MAX_PRECISION`). */
const DECIMAL_MAX_PRECISION = 38;
/** DECIMALs up to this precision are "compact": the unscaled value fits an int64. */
const DECIMAL_MAX_COMPACT_PRECISION = 18;
/** TIMESTAMPs up to this precision are "compact": millis only, no nanos. */
const TIMESTAMP_MAX_COMPACT_PRECISION = 3;

function checkRange(what: string, value: number, min: number, max: number): number {
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new RangeError(`${what} must be an integer between ${min} and ${max}, got ${value}`);
  }
  return value;
}

/** Factories for every Fluss type; all types are nullable unless `notNull()` is applied. */
export const DataTypes = {
  /** BOOLEAN: `true`/`false`. */
  BOOLEAN: (): BooleanType => ({ root: "BOOLEAN", nullable: true }),
  /** TINYINT: 8-bit signed integer (a JS number). */
  TINYINT: (): TinyIntType => ({ root: "TINYINT", nullable: true }),
  /** SMALLINT: 16-bit signed integer (a JS number). */
  SMALLINT: (): SmallIntType => ({ root: "SMALLINT", nullable: true }),
  /** INT: 32-bit signed integer (a JS number). */
  INT: (): IntType => ({ root: "INTEGER", nullable: true }),
  /** BIGINT: 64-bit signed integer (a JS `bigint`). */
  BIGINT: (): BigIntType => ({ root: "BIGINT", nullable: true }),
  /** FLOAT: 32-bit IEEE 754 float. */
  FLOAT: (): FloatType => ({ root: "FLOAT", nullable: true }),
  /** DOUBLE: 64-bit IEEE 754 float. */
  DOUBLE: (): DoubleType => ({ root: "DOUBLE", nullable: true }),
  /**
   * DECIMAL(precision, scale): exact decimal (a `Decimal`); precision 1..38 (default 10),
   * scale 0..precision (default 0). Throws a RangeError outside these.
   */
  DECIMAL: (precision = 10, scale = 0): DecimalType => {
    checkRange("DECIMAL precision", precision, 1, DECIMAL_MAX_PRECISION);
    checkRange("DECIMAL scale", scale, 0, precision);
    return { root: "DECIMAL", nullable: true, precision, scale };
  },
  /** CHAR(length): fixed-length string, length >= 1 (default 1). */
  CHAR: (length = 1): CharType => ({
    root: "CHAR",
    nullable: true,
    length: checkRange("CHAR length", length, 1, 2147483647),
  }),
  /** STRING: variable-length UTF-8 string. */
  STRING: (): StringType => ({ root: "STRING", nullable: true }),
  /** BINARY(length): fixed-length bytes (a `Uint8Array`), length >= 1 (default 1). */
  BINARY: (length = 1): BinaryType => ({
    root: "BINARY",
    nullable: true,
    length: checkRange("BINARY length", length, 1, 2147483647),
  }),
  /** BYTES: variable-length bytes (a `Uint8Array`). */
  BYTES: (): BytesType => ({ root: "BYTES", nullable: true }),
  /** DATE: a calendar day (a `Date` at UTC midnight). */
  DATE: (): DateType => ({ root: "DATE", nullable: true }),
  /** TIME(precision): time of day (milliseconds of the day), precision 0..9 (default 0). */
  TIME: (precision = 0): TimeType => ({
    root: "TIME_WITHOUT_TIME_ZONE",
    nullable: true,
    precision: checkRange("TIME precision", precision, 0, 9),
  }),
  /** TIMESTAMP(precision): date-time without time zone, precision 0..9 (default 6). */
  TIMESTAMP: (precision = 6): TimestampType => ({
    root: "TIMESTAMP_WITHOUT_TIME_ZONE",
    nullable: true,
    precision: checkRange("TIMESTAMP precision", precision, 0, 9),
  }),
  /** TIMESTAMP_LTZ(precision): an instant (with local time zone), precision 0..9 (default 6). */
  TIMESTAMP_LTZ: (precision = 6): TimestampLtzType => ({
    root: "TIMESTAMP_WITH_LOCAL_TIME_ZONE",
    nullable: true,
    precision: checkRange("TIMESTAMP_LTZ precision", precision, 0, 9),
  }),
  /** ARRAY of `elementType` (a JS array). */
  ARRAY: (elementType: DataType): ArrayType => ({ root: "ARRAY", nullable: true, elementType }),
  /** Map keys are always NOT NULL, as in Java's `MapType`. */
  MAP: (keyType: DataType, valueType: DataType): MapType => ({
    root: "MAP",
    nullable: true,
    keyType: withNullability(keyType, false),
    valueType,
  }),
  /** ROW of the given fields (field ids stay -1 until a schema assigns them). */
  ROW: (fields: readonly (DataField | { name: string; type: DataType; description?: string })[]): RowType => ({
    root: "ROW",
    nullable: true,
    fields: fields.map((f) => ({ fieldId: -1, ...f })),
  }),
  /** A field for {@link DataTypes.ROW}. */
  FIELD: (name: string, type: DataType, description?: string): DataField =>
    description === undefined ? { name, type, fieldId: -1 } : { name, type, description, fieldId: -1 },
} as const;

/** Returns a copy of `type` with the given nullability (the same object if unchanged). */
export function withNullability<T extends DataType>(type: T, nullable: boolean): T {
  return type.nullable === nullable ? type : { ...type, nullable };
}

/** Shorthand for `withNullability(type, false)`. */
export function notNull<T extends DataType>(type: T): T {
  return withNullability(type, false);
}

/** True for DECIMALs whose unscaled value fits an int64 (precision <= 18). */
export function isCompactDecimal(type: DecimalType): boolean {
  return type.precision <= DECIMAL_MAX_COMPACT_PRECISION;
}

/** True for TIMESTAMP/TIMESTAMP_LTZ types stored as millis only (precision <= 3). */
export function isCompactTimestamp(type: TimestampType | TimestampLtzType): boolean {
  return type.precision <= TIMESTAMP_MAX_COMPACT_PRECISION;
}

/** SQL-like rendering, e.g. `DECIMAL(10, 2) NOT NULL`, used in error messages and the CLI. */
export function typeToString(type: DataType): string {
  const nn = type.nullable ? "" : " NOT NULL";
  switch (type.root) {
    case "DECIMAL":
      return `DECIMAL(${type.precision}, ${type.scale})${nn}`;
    case "CHAR":
      return `CHAR(${type.length})${nn}`;
    case "BINARY":
      return `BINARY(${type.length})${nn}`;
    case "INTEGER":
      return `INT${nn}`;
    case "TIME_WITHOUT_TIME_ZONE":
      return `TIME(${type.precision})${nn}`;
    case "TIMESTAMP_WITHOUT_TIME_ZONE":
      return `TIMESTAMP(${type.precision})${nn}`;
    case "TIMESTAMP_WITH_LOCAL_TIME_ZONE":
      return `TIMESTAMP_LTZ(${type.precision})${nn}`;
    case "ARRAY":
      return `ARRAY<${typeToString(type.elementType)}>${nn}`;
    case "MAP":
      return `MAP<${typeToString(type.keyType)}, ${typeToString(type.valueType)}>${nn}`;
    case "ROW":
      return `ROW<${type.fields.map((f) => `${f.name} ${typeToString(f.type)}`).join(", ")}>${nn}`;
    default:
      return `${type.root}${nn}`;
  }
}
