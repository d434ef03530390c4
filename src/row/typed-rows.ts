/**
 * Row types that follow a schema (type level only: nothing here exists at run time).
 *
 * `RowOf<typeof schema>` is what reads return (the canonical values of `values.ts`), with
 * NOT NULL and primary-key columns non-nullable; `RowInputOf<Row>` is what writers accept
 * for such a row (the input forms of `coerce.ts`: numbers for BIGINT, strings for DECIMAL,
 * ..., and nullable columns may be left out). A table of the loose default row type
 * (`RowObject`) keeps the untyped signatures.
 */
import type { DataType } from "../metadata/data-types.js";
import type { Schema } from "../metadata/schema.js";
import type { RowInput } from "./coerce.js";
import type { Decimal, RowObject, Timestamp } from "./values.js";

/** An intersection or mapped type shown as one object type. */
type Flat<T> = { [P in keyof T]: T[P] };

/** The value of a non-null `T` as reads return it (the README's type table). */
type NonNullValueOf<T> = T extends { readonly root: infer R }
  ? R extends "BOOLEAN"
    ? boolean
    : R extends "TINYINT" | "SMALLINT" | "INTEGER" | "FLOAT" | "DOUBLE" | "TIME_WITHOUT_TIME_ZONE"
      ? number
      : R extends "BIGINT"
        ? bigint
        : R extends "DECIMAL"
          ? Decimal
          : R extends "CHAR" | "STRING"
            ? string
            : R extends "BINARY" | "BYTES"
              ? Uint8Array
              : R extends "DATE"
                ? Date
                : R extends "TIMESTAMP_WITHOUT_TIME_ZONE" | "TIMESTAMP_WITH_LOCAL_TIME_ZONE"
                  ? Timestamp
                  : R extends "ARRAY"
                    ? T extends { readonly elementType: infer E }
                      ? ValueOf<E>[]
                      : never
                    : R extends "MAP"
                      ? T extends { readonly keyType: infer K; readonly valueType: infer V }
                        ? Map<NonNullValueOf<K>, ValueOf<V>>
                        : never
                      : R extends "ROW"
                        ? T extends { readonly fields: infer F extends readonly { name: string; type: DataType }[] }
                          ? Flat<{ [X in F[number] as X["name"]]: ValueOf<X["type"]> }>
                          : never
                        : unknown
  : unknown;

/**
 * The JavaScript value of a column of type `T` as reads return it: `number` for
 * TINYINT/SMALLINT/INT/FLOAT/DOUBLE/TIME, `bigint` for BIGINT, {@link Decimal},
 * `string`, `Uint8Array`, `Date` (DATE), {@link Timestamp}, arrays, `Map`s and objects
 * for ROW; `| null` unless the type is NOT NULL.
 */
export type ValueOf<T> = T extends { readonly nullable: false } ? NonNullValueOf<T> : NonNullValueOf<T> | null;

/**
 * The row of columns `C` (name → data type) with primary key `K`, as reads return it;
 * `RowObject` when the column names are not known at the type level.
 */
export type RowOfColumns<C, K extends string = never> = string extends keyof C
  ? RowObject
  : [keyof C] extends [never]
    ? RowObject
    : Flat<{
        -readonly [P in keyof C & string]: string extends K ? ValueOf<C[P]> : P extends K ? NonNullValueOf<C[P]> : ValueOf<C[P]>;
      }>;

/**
 * The row type of a typed schema (from `Schema.fromColumns` or `Schema.builder()` with
 * literal column names), as reads return it:
 *
 * ```ts
 * const schema = Schema.fromColumns(
 *   [
 *     { name: "id", type: DataTypes.INT() },
 *     { name: "name", type: DataTypes.STRING() },
 *     { name: "amount", type: DataTypes.DECIMAL(10, 2) },
 *   ],
 *   ["id"],
 * );
 * type Row = RowOf<typeof schema>; // { id: number; name: string | null; amount: Decimal | null }
 * ```
 *
 * Primary-key and NOT NULL columns are non-nullable. A schema only known at run time
 * gives the loose `RowObject`.
 */
export type RowOf<S> = S extends Schema<infer C, infer K> ? RowOfColumns<C, K> : never;

/** The primary-key column names of a typed schema (`never` for a log table). */
export type KeyColumnsOf<S> = S extends Schema<infer _C, infer K> ? K : never;

/** The primary key of a typed schema as an object: `Pick<RowOf<S>, primary-key columns>`. */
export type KeyOf<S> = S extends Schema<infer C, infer K> ? Flat<Pick<RowOfColumns<C, K>, K & keyof RowOfColumns<C, K>>> : never;

/** Whether `R` is the loose row type (any column name): then the untyped signatures apply. */
export type IsLooseRow<R> = string extends keyof R ? true : false;

/** The column names of row type `R` (`string` for the loose row type). */
export type ColumnName<R> = keyof R & string;

/**
 * What a writer accepts for a value read back as `V` (`coerce.ts`): numbers and numeric
 * strings for BIGINT, strings/numbers/bigints for DECIMAL, `Date`s, ISO strings and epoch
 * milliseconds for DATE and TIMESTAMP, `Map`s or (string keys) plain objects for MAP,
 * objects for ROW.
 */
export type InputValueOf<V> = V extends null | undefined
  ? null | undefined
  : V extends bigint
    ? bigint | number | string
    : V extends Decimal
      ? Decimal | string | number | bigint
      : V extends Date
        ? Date | string | number
        : V extends Uint8Array
          ? Uint8Array
          : V extends ReadonlyMap<infer MK, infer MV>
            ?
                | ReadonlyMap<InputValueOf<MK>, InputValueOf<MV>>
                | (MK extends string ? { readonly [key: string]: InputValueOf<MV> } : never)
            : V extends readonly (infer E)[]
              ? readonly InputValueOf<E>[]
              : V extends object
                ? TypedRowInput<V>
                : V;

/** Keys of `R` whose value may be null (columns a writer may leave out). */
type NullableKeys<R> = { [P in keyof R]-?: null extends R[P] ? P : never }[keyof R];

/** A row object for row type `R` as writers take it: nullable columns may be left out. */
type TypedRowInput<R> = Flat<
  { readonly [P in Exclude<keyof R, NullableKeys<R>>]: InputValueOf<R[P]> } & {
    readonly [P in NullableKeys<R>]?: InputValueOf<R[P]>;
  }
>;

/**
 * What `append` and `upsert` accept for row type `R`: for a typed row, an object with every
 * non-nullable column (nullable ones may be left out) in any input form the column takes
 * (see {@link InputValueOf}); for the loose default row type, any object keyed by column
 * name or an array in column order ({@link RowInput}).
 */
export type RowInputOf<R> = IsLooseRow<R> extends true ? RowInput : TypedRowInput<R>;

/**
 * A key of row type `R` by the columns `K` (a primary key for `lookup` and `delete`, the
 * lookup columns of a prefix lookup): an object holding exactly these columns. When `K` is
 * unknown (`string`, e.g. `conn.getTable<Row>(path)`), any subset of the columns, checked
 * at run time. For the loose default row type: an object or an array in key order
 * (`LookupKey`).
 */
export type KeyInputOf<R, K extends string> =
  IsLooseRow<R> extends true
    ? RowInput
    : string extends K
      ? Partial<TypedRowInput<R>>
      : Flat<{ readonly [P in K & keyof R]: InputValueOf<NonNullable<R[P]>> }>;

/**
 * The rows a partial-update writer of `R` writes with target columns `C` (and primary key
 * `K`): those columns only. Indexes, or columns known only at run time, keep `R`.
 */
export type PartialRowOf<R, C extends readonly (string | number)[], K extends string> =
  IsLooseRow<R> extends true
    ? R
    : [C[number]] extends [never]
      ? R
      : string extends C[number]
        ? R
        : C[number] extends string
          ? Flat<Pick<R, Extract<keyof R, C[number] | K>>>
          : R;

/** The rows of a scan of `R` projected to the columns `C` (by name). */
export type ProjectedRowOf<R, C extends readonly string[]> =
  IsLooseRow<R> extends true ? RowObject : string extends C[number] ? Partial<R> : Flat<Pick<R, C[number] & keyof R>>;

/** The rows of a scan of `R` projected by column indexes: any of its columns may be absent. */
export type IndexProjectedRowOf<R> = IsLooseRow<R> extends true ? RowObject : Partial<R>;
