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

/** What every data type has: its root and its nullability. */
export interface TypeBase<R extends DataTypeRoot, N extends boolean = boolean> {
  /** The type root, e.g. `"INTEGER"` for INT (Java `DataTypeRoot`). */
  readonly root: R;
  /**
   * Whether the type admits null; false for NOT NULL. The type parameter `N` keeps it at
   * the type level (`DataTypes.INT()` is `IntType<true>`, `notNull(...)` makes it `false`),
   * so that `RowOf` can tell nullable columns from NOT NULL ones.
   */
  readonly nullable: N;
}

/** BOOLEAN: true or false. */
export type BooleanType<N extends boolean = boolean> = TypeBase<"BOOLEAN", N>;
/** TINYINT: a signed 8-bit integer. */
export type TinyIntType<N extends boolean = boolean> = TypeBase<"TINYINT", N>;
/** SMALLINT: a signed 16-bit integer. */
export type SmallIntType<N extends boolean = boolean> = TypeBase<"SMALLINT", N>;
/** INT: a signed 32-bit integer (root `INTEGER`, as Java names it). */
export type IntType<N extends boolean = boolean> = TypeBase<"INTEGER", N>;
/** BIGINT: a signed 64-bit integer, a `bigint` in JavaScript. */
export type BigIntType<N extends boolean = boolean> = TypeBase<"BIGINT", N>;
/** FLOAT: a 4-byte IEEE 754 number. */
export type FloatType<N extends boolean = boolean> = TypeBase<"FLOAT", N>;
/** DOUBLE: an 8-byte IEEE 754 number. */
export type DoubleType<N extends boolean = boolean> = TypeBase<"DOUBLE", N>;
/** DECIMAL(p, s): an exact decimal number, a `Decimal` in JavaScript. */
export interface DecimalType<N extends boolean = boolean> extends TypeBase<"DECIMAL", N> {
  /** Total number of digits, 1..38. */
  readonly precision: number;
  /** Digits after the decimal point, 0..precision. */
  readonly scale: number;
}
/** CHAR(n): a string of n characters (not padded when stored). */
export interface CharType<N extends boolean = boolean> extends TypeBase<"CHAR", N> {
  /** Length in characters. */
  readonly length: number;
}
/** STRING: a UTF-8 string of any length. */
export type StringType<N extends boolean = boolean> = TypeBase<"STRING", N>;
/** BINARY(n): n bytes. */
export interface BinaryType<N extends boolean = boolean> extends TypeBase<"BINARY", N> {
  /** Length in bytes. */
  readonly length: number;
}
/** BYTES: bytes of any length. */
export type BytesType<N extends boolean = boolean> = TypeBase<"BYTES", N>;
/** DATE: a calendar day without a time zone. */
export type DateType<N extends boolean = boolean> = TypeBase<"DATE", N>;
/** TIME(p): a time of day without a time zone. */
export interface TimeType<N extends boolean = boolean> extends TypeBase<"TIME_WITHOUT_TIME_ZONE", N> {
  /** Digits of fractional seconds, 0..9. */
  readonly precision: number;
}
/** TIMESTAMP(p): a date and time without a time zone (wall-clock time). */
export interface TimestampType<N extends boolean = boolean> extends TypeBase<"TIMESTAMP_WITHOUT_TIME_ZONE", N> {
  /** Digits of fractional seconds, 0..9. */
  readonly precision: number;
}
/** TIMESTAMP_LTZ(p): an instant, shown in the session's time zone. */
export interface TimestampLtzType<N extends boolean = boolean> extends TypeBase<"TIMESTAMP_WITH_LOCAL_TIME_ZONE", N> {
  /** Digits of fractional seconds, 0..9. */
  readonly precision: number;
}
/** ARRAY<t>: a list of elements of one type. */
export interface ArrayType<E extends DataType = DataType, N extends boolean = boolean> extends TypeBase<"ARRAY", N> {
  /** The type of the elements. */
  readonly elementType: E;
}
/** MAP<k, v>: a map from keys to values. */
export interface MapType<K extends DataType = DataType, V extends DataType = DataType, N extends boolean = boolean>
  extends TypeBase<"MAP", N> {
  /** The type of the keys (always NOT NULL). */
  readonly keyType: K;
  /** The type of the values. */
  readonly valueType: V;
}
/** A field of a ROW type. `fieldId` is -1 until a schema assigns ids. */
export interface DataField<Name extends string = string, T extends DataType = DataType> {
  /** The field name. */
  readonly name: Name;
  /** The field's type. */
  readonly type: T;
  /** Free-form description, if any. */
  readonly description?: string;
  /** The field id; -1 until a schema assigns ids. */
  readonly fieldId: number;
}
/** A ROW type: named fields in order (a schema's columns form one). */
export interface RowType<F extends readonly DataField[] = readonly DataField[], N extends boolean = boolean>
  extends TypeBase<"ROW", N> {
  /** The fields, in order. */
  readonly fields: F;
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
  BOOLEAN: (): BooleanType<true> => ({ root: "BOOLEAN", nullable: true }),
  /** TINYINT: 8-bit signed integer (a JS number). */
  TINYINT: (): TinyIntType<true> => ({ root: "TINYINT", nullable: true }),
  /** SMALLINT: 16-bit signed integer (a JS number). */
  SMALLINT: (): SmallIntType<true> => ({ root: "SMALLINT", nullable: true }),
  /** INT: 32-bit signed integer (a JS number). */
  INT: (): IntType<true> => ({ root: "INTEGER", nullable: true }),
  /** BIGINT: 64-bit signed integer (a JS `bigint`). */
  BIGINT: (): BigIntType<true> => ({ root: "BIGINT", nullable: true }),
  /** FLOAT: 32-bit IEEE 754 float. */
  FLOAT: (): FloatType<true> => ({ root: "FLOAT", nullable: true }),
  /** DOUBLE: 64-bit IEEE 754 float. */
  DOUBLE: (): DoubleType<true> => ({ root: "DOUBLE", nullable: true }),
  /**
   * DECIMAL(precision, scale): exact decimal (a `Decimal`); precision 1..38 (default 10),
   * scale 0..precision (default 0). Throws a RangeError outside these.
   */
  DECIMAL: (precision = 10, scale = 0): DecimalType<true> => {
    checkRange("DECIMAL precision", precision, 1, DECIMAL_MAX_PRECISION);
    checkRange("DECIMAL scale", scale, 0, precision);
    return { root: "DECIMAL", nullable: true, precision, scale };
  },
  /** CHAR(length): fixed-length string, length >= 1 (default 1). */
  CHAR: (length = 1): CharType<true> => ({
    root: "CHAR",
    nullable: true,
    length: checkRange("CHAR length", length, 1, 2147483647),
  }),
  /** STRING: variable-length UTF-8 string. */
  STRING: (): StringType<true> => ({ root: "STRING", nullable: true }),
  /** BINARY(length): fixed-length bytes (a `Uint8Array`), length >= 1 (default 1). */
  BINARY: (length = 1): BinaryType<true> => ({
    root: "BINARY",
    nullable: true,
    length: checkRange("BINARY length", length, 1, 2147483647),
  }),
  /** BYTES: variable-length bytes (a `Uint8Array`). */
  BYTES: (): BytesType<true> => ({ root: "BYTES", nullable: true }),
  /** DATE: a calendar day (a `Date` at UTC midnight). */
  DATE: (): DateType<true> => ({ root: "DATE", nullable: true }),
  /** TIME(precision): time of day (milliseconds of the day), precision 0..9 (default 0). */
  TIME: (precision = 0): TimeType<true> => ({
    root: "TIME_WITHOUT_TIME_ZONE",
    nullable: true,
    precision: checkRange("TIME precision", precision, 0, 9),
  }),
  /** TIMESTAMP(precision): date-time without time zone, precision 0..9 (default 6). */
  TIMESTAMP: (precision = 6): TimestampType<true> => ({
    root: "TIMESTAMP_WITHOUT_TIME_ZONE",
    nullable: true,
    precision: checkRange("TIMESTAMP precision", precision, 0, 9),
  }),
  /** TIMESTAMP_LTZ(precision): an instant (with local time zone), precision 0..9 (default 6). */
  TIMESTAMP_LTZ: (precision = 6): TimestampLtzType<true> => ({
    root: "TIMESTAMP_WITH_LOCAL_TIME_ZONE",
    nullable: true,
    precision: checkRange("TIMESTAMP_LTZ precision", precision, 0, 9),
  }),
  /** ARRAY of `elementType` (a JS array). */
  ARRAY: <E extends DataType>(elementType: E): ArrayType<E, true> => ({ root: "ARRAY", nullable: true, elementType }),
  /** Map keys are always NOT NULL, as in Java's `MapType`. */
  MAP: <K extends DataType, V extends DataType>(keyType: K, valueType: V): MapType<WithNullability<K, false>, V, true> => ({
    root: "MAP",
    nullable: true,
    keyType: withNullability(keyType, false),
    valueType,
  }),
  /** ROW of the given fields (field ids stay -1 until a schema assigns them). */
  ROW: <const F extends readonly (DataField | { name: string; type: DataType; description?: string })[]>(
    fields: F,
  ): RowType<FieldsOf<F>, true> => ({
    root: "ROW",
    nullable: true,
    fields: fields.map((f) => ({ fieldId: -1, ...f })) as readonly DataField[] as FieldsOf<F>,
  }),
  /** A field for {@link DataTypes.ROW}. */
  FIELD: <const Name extends string, T extends DataType>(name: Name, type: T, description?: string): DataField<Name, T> =>
    description === undefined ? { name, type, fieldId: -1 } : { name, type, description, fieldId: -1 },
} as const;

/**
 * `T` with `nullable` set to `N`, at the type level: what {@link withNullability} and
 * {@link notNull} return (`WithNullability<IntType<true>, false>` is an INT NOT NULL).
 */
export type WithNullability<T extends DataType, N extends boolean> = T extends DataType
  ? { readonly [P in keyof T]: P extends "nullable" ? N : T[P] }
  : never;

/** The fields given to {@link DataTypes.ROW}, as {@link DataField}s keeping names and types. */
export type FieldsOf<F extends readonly { name: string; type: DataType }[]> = {
  readonly [I in keyof F]: DataField<F[I]["name"], F[I]["type"]>;
};

/** Returns a copy of `type` with the given nullability (the same object if unchanged). */
export function withNullability<T extends DataType, N extends boolean>(type: T, nullable: N): WithNullability<T, N> {
  return (type.nullable === nullable ? type : { ...type, nullable }) as WithNullability<T, N>;
}

/** Shorthand for `withNullability(type, false)`: the type, NOT NULL. */
export function notNull<T extends DataType>(type: T): WithNullability<T, false> {
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
