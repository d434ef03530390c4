/**
 * Table schemas: `Column` and `Schema`, with Java's field-id assignment
 * (`Schema.Builder.column` + `ReassignFieldId`) and normalization (`Schema.normalizeColumns`).
 */

import * as arrow from "apache-arrow";
import { FlussError } from "../rpc/errors.js";
import { type DataField, type DataType, type RowType, typeToString, withNullability } from "./data-types.js";
import { fromArrowType, toArrowSchema } from "./arrow-types.js";
import { type AggFunction, AGG_FUNCTION_TYPES, aggFunctionToString } from "./agg-function.js";

/** Column id of a column that has not been assigned one yet (Java `Column.UNKNOWN_COLUMN_ID`). */
export const UNKNOWN_COLUMN_ID = -1;

export type { AggFunction } from "./agg-function.js";

/** Per-column options of {@link SchemaBuilder.column}. */
export interface ColumnOptions {
  /** Free-form column comment. */
  readonly comment?: string;
  /**
   * The column's aggregation function (tables with `table.merge-engine` = `aggregation`
   * only; not on primary-key columns), e.g. `AggFunctions.SUM()`.
   */
  readonly aggFunction?: AggFunction;
}

/** A table column. Immutable. `Name` and `T` keep its name and type at the type level. */
export class Column<Name extends string = string, T extends DataType = DataType> {
  /**
   * Usually made for you by {@link Schema} or {@link SchemaBuilder}; build one yourself
   * for {@link Schema.fromColumns}. No validation happens until a schema is made from it.
   */
  constructor(
    /** The column name. */
    readonly name: Name,
    /** The column's type (nullability included). */
    readonly type: T,
    /** Free-form column comment, if any. */
    readonly comment?: string,
    /** The column's field id; `UNKNOWN_COLUMN_ID` (-1) until a schema assigns one. */
    readonly id: number = UNKNOWN_COLUMN_ID,
    /** The aggregation function (`aggregation` merge engine only), if any. */
    readonly aggFunction?: AggFunction,
  ) {}

  /** A copy with another type. */
  withType<U extends DataType>(type: U): Column<Name, U> {
    return new Column(this.name, type, this.comment, this.id, this.aggFunction);
  }

  /** `name TYPE [COMMENT '...']`, like Java. */
  toString(): string {
    const c = this.comment === undefined ? "" : ` COMMENT '${this.comment.replace(/'/g, "''")}'`;
    return `${this.name} ${typeToString(this.type)}${c}`;
  }
}

/**
 * A column as given to {@link Schema.fromColumns}: a `Column` or a plain object. `Name` and
 * `T` keep its name and type at the type level (for {@link RowOf}).
 */
export interface ColumnSpec<Name extends string = string, T extends DataType = DataType> {
  /** The column name. */
  readonly name: Name;
  /** The column's type (nullability included). */
  readonly type: T;
  /** Free-form column comment. */
  readonly comment?: string;
  /** Either every column has an id or none does (then ids are assigned). */
  readonly id?: number;
  /** The aggregation function (`aggregation` merge engine only). */
  readonly aggFunction?: AggFunction;
}

/** Everything a schema is made of; the non-Arrow argument of the {@link Schema} constructor. */
export interface SchemaInit {
  /** The columns, in order. */
  readonly columns: readonly ColumnSpec[];
  /** Primary key column names; these columns become NOT NULL. */
  readonly primaryKeys?: readonly string[];
  /** Auto-increment column names (at most one). */
  readonly autoIncrementColumns?: readonly string[];
  /** Defaults to the highest id assigned (or the highest id present when all columns have ids). */
  readonly highestFieldId?: number;
  /**
   * How to assign ids when the columns have none: `"builder"` (default, Java
   * `Schema.Builder.column`: nested ROW fields get ids too) or `"position"` (Java
   * `Schema.Builder.fromColumns` for old JSON: top-level columns only).
   */
  readonly idAssignment?: "builder" | "position";
}

/** Options of `new Schema(arrowSchema, options)`. */
export interface SchemaOptions {
  /** Primary key column names; these columns become NOT NULL. */
  readonly primaryKeys?: readonly string[];
  /**
   * Aggregation functions by column name (for `table.merge-engine` = `aggregation`), e.g.
   * `{ total: AggFunctions.SUM() }`; only with an Arrow schema.
   */
  readonly aggFunctions?: Readonly<Record<string, AggFunction>>;
}

function javaList(items: readonly unknown[]): string {
  return `[${items.join(", ")}]`;
}

function duplicates(names: readonly string[]): string[] {
  const seen = new Set<string>();
  const dup = new Set<string>();
  for (const n of names) {
    if (seen.has(n)) dup.add(n);
    seen.add(n);
  }
  return [...dup];
}

/**
 * Assigns fresh ids to the fields of every ROW nested in `type`, depth-first, taking each
 * from `counter` (Java `ReassignFieldId`): a ROW field takes its id before its own children.
 */
function reassignFieldIds(type: DataType, counter: { value: number }): DataType {
  switch (type.root) {
    case "ARRAY":
      return { ...type, elementType: reassignFieldIds(type.elementType, counter) };
    case "MAP":
      return {
        ...type,
        keyType: reassignFieldIds(type.keyType, counter),
        valueType: reassignFieldIds(type.valueType, counter),
      };
    case "ROW": {
      const fields: DataField[] = type.fields.map((f) => {
        const fieldId = ++counter.value;
        const inner = reassignFieldIds(f.type, counter);
        return f.description === undefined
          ? { name: f.name, type: inner, fieldId }
          : { name: f.name, type: inner, description: f.description, fieldId };
      });
      return { ...type, fields };
    }
    default:
      return type;
  }
}

/** All field ids of the columns, top-level and nested, in order. */
function collectFieldIds(columns: readonly Column[]): number[] {
  const out: number[] = [];
  const visit = (t: DataType): void => {
    if (t.root === "ROW") {
      for (const f of t.fields) {
        out.push(f.fieldId);
        visit(f.type);
      }
    } else if (t.root === "ARRAY") visit(t.elementType);
    else if (t.root === "MAP") {
      visit(t.keyType);
      visit(t.valueType);
    }
  };
  for (const c of columns) {
    out.push(c.id);
    visit(c.type);
  }
  return out;
}

/**
 * Column types by column name: what a {@link Schema} knows of its columns at the type level
 * (`Schema<{ id: IntType<false>; name: StringType<true> }, "id">`). `RowOf` maps it to the
 * row type.
 */
export type ColumnTypes = { readonly [name: string]: DataType };

/**
 * `P` when it names one of `Names` (or is a `string` known only at run time, or no column
 * names are known at the type level), else `never`: a misspelled primary-key column is a
 * compile error.
 */
export type KeyColumnName<Names extends string, P extends string> = string extends P
  ? P
  : [Names] extends [never]
    ? P
    : P extends Names
      ? P
      : never;

/** The {@link ColumnTypes} of a list of columns given to {@link Schema.fromColumns}. */
export type ColumnTypesOf<Cs extends readonly ColumnSpec[]> = Flat<{
  readonly [X in Cs[number] as X["name"]]: X["type"];
}>;

/** An intersection of object types as one object type (for readable hovers). */
type Flat<T> = { readonly [P in keyof T]: T[P] };

/** The type-level description a typed {@link Schema} carries (never set at run time). */
export interface SchemaTypes<C extends object, K extends string> {
  /** The column types by name. */
  readonly columns: C;
  /** The primary-key column names. */
  readonly primaryKey: K;
}

/** Key of the type-level-only member of {@link Schema} (no value at run time). */
declare const SCHEMA_TYPES: unique symbol;

function isArrowSchema(x: unknown): x is arrow.Schema {
  return x instanceof arrow.Schema || (typeof x === "object" && x !== null && Array.isArray((x as { fields?: unknown }).fields));
}

/**
 * A table schema: columns with field ids, an optional primary key, and the highest field
 * id handed out so far. Immutable.
 *
 * ```ts
 * new Schema(new arrow.Schema([new arrow.Field("id", new arrow.Int32()), ...]), { primaryKeys: ["id"] });
 * Schema.builder().column("id", DataTypes.INT()).column("name", DataTypes.STRING()).primaryKey(["id"]).build();
 * ```
 *
 * Invalid schemas (duplicate column names, unknown primary-key columns, ...) throw a
 * `FlussError` with code CLIENT_ERROR naming the columns.
 *
 * A schema made by {@link Schema.fromColumns} or {@link SchemaBuilder} with literal column
 * names knows its columns at the type level (`C`: column name → data type, `K`: the
 * primary-key column names): `type Row = RowOf<typeof schema>` is its row type, and
 * `conn.getTable(path, schema)` a table whose writers, lookups and scans use it. Schemas
 * made at run time (from Arrow, from JSON, `TableInfo.schema`) are `Schema` with loose rows.
 */
export class Schema<C extends object = ColumnTypes, K extends string = string> {
  /**
   * Type-level only: the column types and primary key this schema was typed with (for
   * `RowOf` and `KeyOf`). Never set at run time.
   */
  declare readonly [SCHEMA_TYPES]?: SchemaTypes<C, K>;
  /** The columns, in order; primary-key columns are NOT NULL. */
  readonly columns: readonly Column[];
  /** Primary key column names (empty for log tables). */
  readonly primaryKeys: readonly string[];
  /** Auto-increment column names (at most one). */
  readonly autoIncrementColumns: readonly string[];
  /** The highest field id used (nested ROW fields included). */
  readonly highestFieldId: number;
  /** The columns as a ROW type (field ids = column ids). */
  readonly rowType: RowType;

  /**
   * Builds a schema from an Arrow schema (nullability is kept from the Arrow fields; an
   * Arrow field's `comment` metadata becomes the column comment) or from {@link SchemaInit}.
   */
  constructor(source: arrow.Schema | SchemaInit, options: SchemaOptions = {}) {
    let init: SchemaInit;
    if (isArrowSchema(source)) {
      init = {
        columns: source.fields.map((f) => {
          const comment = f.metadata?.get("comment");
          const aggFunction = options.aggFunctions?.[f.name];
          return {
            name: f.name,
            type: fromArrowType(f.type, f.nullable, f.name),
            ...(comment ? { comment } : {}),
            ...(aggFunction ? { aggFunction } : {}),
          };
        }),
        ...(options.primaryKeys ? { primaryKeys: options.primaryKeys } : {}),
      };
      const names = new Set(source.fields.map((f) => f.name));
      const unknown = Object.keys(options.aggFunctions ?? {}).filter((n) => !names.has(n));
      if (unknown.length) {
        throw FlussError.client(
          `Aggregation functions given for unknown columns ${javaList(unknown)}; the columns are ${javaList([...names])}.`,
        );
      }
    } else {
      init = options.primaryKeys && !source.primaryKeys ? { ...source, primaryKeys: options.primaryKeys } : source;
    }
    const { columns, highestFieldId } = assignIds(init);
    const primaryKeys = [...(init.primaryKeys ?? [])];
    const autoIncrementColumns = [...(init.autoIncrementColumns ?? [])];
    this.columns = normalizeColumns(columns, primaryKeys, autoIncrementColumns, highestFieldId);
    this.primaryKeys = primaryKeys;
    this.autoIncrementColumns = autoIncrementColumns;
    this.highestFieldId = highestFieldId;
    this.rowType = {
      root: "ROW",
      nullable: true,
      fields: this.columns.map((c) =>
        c.comment === undefined
          ? { name: c.name, type: c.type, fieldId: c.id }
          : { name: c.name, type: c.type, description: c.comment, fieldId: c.id },
      ),
    };
    Object.freeze(this.columns);
    Object.freeze(this.primaryKeys);
  }

  /**
   * A schema from Fluss-typed columns (ids assigned as Java's builder does when absent).
   * With literal names it is typed: `RowOf<typeof schema>` is its row type, primary-key
   * columns non-nullable; a primary-key name that is not a column is a compile error.
   *
   * ```ts
   * const schema = Schema.fromColumns(
   *   [{ name: "id", type: DataTypes.INT() }, { name: "name", type: DataTypes.STRING() }],
   *   ["id"],
   * );
   * type Row = RowOf<typeof schema>; // { id: number; name: string | null }
   * ```
   */
  static fromColumns<const Cs extends readonly ColumnSpec[], const K extends string = never>(
    columns: Cs,
    primaryKeys?: readonly KeyColumnName<Cs[number]["name"], K>[],
  ): Schema<ColumnTypesOf<Cs>, K> {
    return new Schema(primaryKeys ? { columns, primaryKeys } : { columns }) as unknown as Schema<ColumnTypesOf<Cs>, K>;
  }

  /** A schema whose columns are the fields of `rowType`. */
  static fromRowType(rowType: RowType, primaryKeys?: readonly string[]): Schema {
    const columns = rowType.fields.map((f) => ({ name: f.name, type: f.type }));
    return Schema.fromColumns(columns, primaryKeys);
  }

  /** A fluent builder (Java `Schema.newBuilder()`), typed column by column. */
  // biome-ignore lint/complexity/noBannedTypes: {} is "no columns yet"
  static builder(): SchemaBuilder<{}, never> {
    return new SchemaBuilder();
  }

  /** Column names in order. */
  get columnNames(): string[] {
    return this.columns.map((c) => c.name);
  }

  /** Column ids in order. */
  get columnIds(): number[] {
    return this.columns.map((c) => c.id);
  }

  /** Whether the schema has a primary key. */
  get hasPrimaryKey(): boolean {
    return this.primaryKeys.length > 0;
  }

  /** Positions of the primary key columns. */
  get primaryKeyIndexes(): number[] {
    return this.primaryKeys.map((n) => this.indexOf(n));
  }

  /** Position of a column, or -1. */
  indexOf(name: string): number {
    return this.columns.findIndex((c) => c.name === name);
  }

  /** The named column; throws CLIENT_ERROR if there is none. */
  column(name: string): Column {
    const c = this.columns.find((col) => col.name === name);
    if (!c) throw FlussError.client(`Column ${name} does not exist in schema ${javaList(this.columnNames)}.`);
    return c;
  }

  /** Positions of the named columns; throws CLIENT_ERROR naming the unknown ones. */
  indexesOf(names: readonly string[]): number[] {
    const missing = names.filter((n) => this.indexOf(n) < 0);
    if (missing.length) {
      throw FlussError.client(`Columns ${javaList(missing)} do not exist in schema ${javaList(this.columnNames)}.`);
    }
    return names.map((n) => this.indexOf(n));
  }

  /**
   * The Arrow schema of this table (formats.md §3.3: list child "element", map "entries";
   * TIMESTAMP_LTZ carries time zone "UTC").
   */
  toArrow(): arrow.Schema {
    return toArrowSchema(this.rowType);
  }

  /** Structural equality: columns (name, type, comment, id, aggregation function), keys and highest field id. */
  equals(other: Schema | null | undefined): boolean {
    if (!other) return false;
    if (other === this) return true;
    return (
      this.highestFieldId === other.highestFieldId &&
      this.columns.length === other.columns.length &&
      this.columns.every((c, i) => {
        const o = other.columns[i]!;
        return (
          c.name === o.name &&
          c.id === o.id &&
          c.comment === o.comment &&
          typeToString(c.type) === typeToString(o.type) &&
          (c.aggFunction ? aggFunctionToString(c.aggFunction) : "") === (o.aggFunction ? aggFunctionToString(o.aggFunction) : "")
        );
      }) &&
      javaList(this.primaryKeys) === javaList(other.primaryKeys) &&
      javaList(this.autoIncrementColumns) === javaList(other.autoIncrementColumns)
    );
  }

  /** Java's rendering: `Schema{columns=[...], primaryKey=[...], highestFieldId=N}`. */
  toString(): string {
    const pk = this.primaryKeys.length ? `, primaryKey=${javaList(this.primaryKeys)}` : "";
    return `Schema{columns=${javaList(this.columns.map(String))}${pk}, highestFieldId=${this.highestFieldId}}`;
  }
}

function assignIds(init: SchemaInit): { columns: Column[]; highestFieldId: number } {
  const specs = init.columns;
  const withId = specs.filter((c) => c.id !== undefined && c.id !== UNKNOWN_COLUMN_ID).length;
  if (withId !== 0 && withId !== specs.length) {
    throw FlussError.client("All columns must have columnId or none of them must have columnId.");
  }
  let columns: Column[];
  let highest: number;
  if (specs.length > 0 && withId === specs.length) {
    columns = specs.map((c) => new Column(c.name, c.type, c.comment, c.id, c.aggFunction));
    highest = Math.max(-1, ...collectFieldIds(columns));
  } else {
    const counter = { value: -1 };
    columns = specs.map((c) => {
      const id = ++counter.value;
      const type = init.idAssignment === "position" ? c.type : reassignFieldIds(c.type, counter);
      return new Column(c.name, type, c.comment, id, c.aggFunction);
    });
    highest = counter.value;
  }
  return { columns, highestFieldId: init.highestFieldId ?? highest };
}

function normalizeColumns(
  columns: Column[],
  primaryKeys: readonly string[],
  autoIncrement: readonly string[],
  highestFieldId: number,
): Column[] {
  const ids = collectFieldIds(columns);
  if (new Set(ids).size !== ids.length) {
    throw FlussError.client(
      `All field IDs (including nested fields) must be unique. Found ${new Set(ids).size} unique IDs but expected ${ids.length}.`,
    );
  }
  const maxId = Math.max(-1, ...ids);
  if (columns.length > 0 && highestFieldId < maxId) {
    throw FlussError.client(
      `Highest field ID (${highestFieldId}) must be greater than or equal to the maximum field ID (${maxId}) including nested fields.`,
    );
  }
  const names = columns.map((c) => c.name);
  const dupCols = duplicates(names);
  if (dupCols.length) {
    throw FlussError.client(`Table column ${javaList(names)} must not contain duplicate fields. Found: ${javaList(dupCols)}`);
  }
  for (const c of columns) {
    if (typeof c.name !== "string" || c.name.length === 0) throw FlussError.client("Column names must be non-empty strings.");
    checkAggFunction(c);
  }
  if (primaryKeys.length === 0) {
    if (autoIncrement.length) throw FlussError.client("Auto increment column can only be used in primary-key table.");
    return columns;
  }
  const dupPk = duplicates(primaryKeys);
  if (dupPk.length) {
    throw FlussError.client(`Primary key ${javaList(primaryKeys)} must not contain duplicate columns. Found: ${javaList(dupPk)}`);
  }
  const all = new Set(names);
  const unknownPk = primaryKeys.filter((k) => !all.has(k));
  if (unknownPk.length) {
    throw FlussError.client(
      `Primary key column(s) ${javaList(unknownPk)} not found: table columns ${javaList(names)} should include all primary key columns ${javaList(primaryKeys)}`,
    );
  }
  if (autoIncrement.length > 1) throw FlussError.client("Multiple auto increment columns are not supported yet.");
  const pkSet = new Set(primaryKeys);
  for (const a of autoIncrement) {
    if (!all.has(a)) throw FlussError.client(`Auto increment column ${a} does not exist in table columns ${javaList(names)}.`);
    if (pkSet.has(a)) throw FlussError.client("Auto increment column can not be used as the primary key.");
  }
  return columns.map((c) => {
    if (autoIncrement.includes(c.name) && c.type.root !== "INTEGER" && c.type.root !== "BIGINT") {
      throw FlussError.client("The data type of auto increment column must be INT or BIGINT.");
    }
    if (pkSet.has(c.name)) {
      if (c.aggFunction) {
        throw FlussError.client(
          `Cannot set aggregation function for primary key column '${c.name}'. Primary key columns automatically use 'primary-key' aggregation.`,
        );
      }
      if (c.type.nullable) return c.withType(withNullability(c.type, false));
    }
    return c;
  });
}

/** A JavaScript caller may pass anything: the function must be one Fluss knows, with string parameters. */
function checkAggFunction(c: Column): void {
  const f: unknown = c.aggFunction;
  if (f === undefined) return;
  const type = (f as { type?: unknown } | null)?.type;
  if (typeof type !== "string" || !(AGG_FUNCTION_TYPES as readonly string[]).includes(type)) {
    throw FlussError.client(
      `Unknown aggregation function ${JSON.stringify(type)} for column '${c.name}'; expected one of ${javaList(AGG_FUNCTION_TYPES)}.`,
    );
  }
  const params: unknown = (f as { parameters?: unknown }).parameters;
  if (params === undefined) return;
  if (params === null || typeof params !== "object" || Object.values(params).some((v) => typeof v !== "string")) {
    throw FlussError.client(
      `The parameters of aggregation function '${type}' for column '${c.name}' must be an object of strings.`,
    );
  }
}

/**
 * Fluent schema builder (Java `Schema.Builder`): ids are assigned as columns are added.
 * Chained calls with literal names type the schema built (`C`: column name → data type,
 * `K`: the primary-key column names), see {@link Schema}.
 */
// biome-ignore lint/complexity/noBannedTypes: {} is "no columns yet"
export class SchemaBuilder<C extends object = {}, K extends string = never> {
  /** Type-level only: the columns and primary key added so far. Never set at run time. */
  declare readonly [SCHEMA_TYPES]?: SchemaTypes<C, K>;
  private readonly cols: Column[] = [];
  private pk: string[] | undefined;
  private readonly autoInc: string[] = [];
  private readonly counter = { value: -1 };
  private explicitHighest: number | undefined;

  /**
   * Adds a column; it and its nested ROW fields get the next field ids. The third argument is
   * the column comment, or {@link ColumnOptions} (comment and aggregation function):
   *
   * ```ts
   * Schema.builder()
   *   .column("id", DataTypes.BIGINT())
   *   .column("total", DataTypes.BIGINT(), { aggFunction: AggFunctions.SUM() })
   *   .column("tags", DataTypes.STRING(), { aggFunction: AggFunctions.LISTAGG(";"), comment: "all tags" })
   *   .primaryKey("id")
   *   .build();
   * ```
   */
  column<const Name extends string, T extends DataType>(
    name: Name,
    type: T,
    options?: string | ColumnOptions,
  ): SchemaBuilder<Flat<C & { readonly [P in Name]: T }>, K> {
    const o: ColumnOptions = typeof options === "string" ? { comment: options } : (options ?? {});
    const id = ++this.counter.value;
    this.cols.push(new Column(name, reassignFieldIds(type, this.counter), o.comment, id, o.aggFunction));
    return this as unknown as SchemaBuilder<Flat<C & { readonly [P in Name]: T }>, K>;
  }

  /**
   * Starts from an existing schema (Java `Schema.Builder.fromSchema`): its columns keep their
   * ids, and columns added afterwards get ids above its highest field id. Call it first.
   */
  fromSchema(schema: Schema): this {
    if (this.cols.length || this.pk || this.autoInc.length) {
      throw FlussError.client("Schema.Builder#fromSchema should be the first API to be called on the builder.");
    }
    this.cols.push(...schema.columns);
    this.counter.value = schema.highestFieldId;
    this.autoInc.push(...schema.autoIncrementColumns);
    if (schema.primaryKeys.length) this.pk = [...schema.primaryKeys];
    return this;
  }

  /** Whether a column of that name was added (Java `Schema.Builder.getColumn`). */
  hasColumn(name: string): boolean {
    return this.cols.some((c) => c.name === name);
  }

  /** Sets the comment of the last column added. */
  withComment(comment: string): this {
    const last = this.cols.pop();
    if (!last) {
      throw FlussError.client(
        "Method 'withComment(...)' must be called after a column definition, but there is no preceding column defined.",
      );
    }
    this.cols.push(new Column(last.name, last.type, comment, last.id, last.aggFunction));
    return this;
  }

  /** Adds all fields of a ROW type as columns (the schema's rows are then loosely typed). */
  fromRowType(rowType: RowType): SchemaBuilder<ColumnTypes, K> {
    for (const f of rowType.fields) this.column(f.name, f.type, f.description);
    return this as unknown as SchemaBuilder<ColumnTypes, K>;
  }

  /** Sets the primary key (once); a name that is not a column added before is a compile error. */
  primaryKey<const P extends string>(
    columns: readonly KeyColumnName<keyof C & string, P>[] | KeyColumnName<keyof C & string, P>,
    ...more: KeyColumnName<keyof C & string, P>[]
  ): SchemaBuilder<C, P> {
    if (this.pk) throw FlussError.client("Multiple primary keys are not supported.");
    const list: string[] = typeof columns === "string" ? [columns, ...more] : [...columns];
    if (list.length === 0) throw FlussError.client("Primary key constraint must be defined for at least a single column.");
    this.pk = list;
    return this as unknown as SchemaBuilder<C, P>;
  }

  /** Marks a column as auto-increment (primary-key tables only; at most one). */
  enableAutoIncrement(column: string): this {
    if (this.autoInc.length) throw FlussError.client("Multiple auto increment columns are not supported yet.");
    this.autoInc.push(column);
    return this;
  }

  /** Overrides the highest field id recorded in the schema. */
  highestFieldId(id: number): this {
    this.explicitHighest = id;
    return this;
  }

  /** The schema; throws a FlussError naming a bad or unknown column (as `new Schema` does). */
  build(): Schema<C, K> {
    return new Schema<C, K>({
      columns: this.cols,
      ...(this.pk ? { primaryKeys: this.pk } : {}),
      autoIncrementColumns: this.autoInc,
      highestFieldId: this.explicitHighest ?? this.counter.value,
    });
  }
}
