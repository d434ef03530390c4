/**
 * Table identity: `TablePath` (database + table) and `PhysicalTablePath` (a table or one
 * of its partitions), with Java's name rules (`TablePath.detectInvalidName`).
 */

import { ErrorCode, FlussError } from "../rpc/errors.js";

/** Longest database, table or partition-value name Fluss accepts. */
const MAX_NAME_LENGTH = 200;
/** Names starting with this are reserved for Fluss-internal objects. */
const INTERNAL_NAME_PREFIX = "__";

/**
 * Why `name` is not a valid database/table/partition-value name, or `undefined` when it is
 * (Java `TablePath.detectInvalidName`; messages match Java's).
 */
export function detectInvalidName(name: string | null | undefined): string | undefined {
  if (name === null || name === undefined) return "null string is not allowed";
  if (name.length === 0) return "the empty string is not allowed";
  if (name === ".") return "'.' is not allowed";
  if (name === "..") return "'..' is not allowed";
  if (name.length > MAX_NAME_LENGTH) {
    return `the length of '${name}' is longer than the max allowed length ${MAX_NAME_LENGTH}`;
  }
  if (!/^[A-Za-z0-9_-]+$/.test(name)) {
    return `'${name}' contains one or more characters other than ASCII alphanumerics, '_' and '-'`;
  }
  return undefined;
}

/** Why `name` uses the reserved `__` prefix, or `undefined` (Java `TablePath.validatePrefix`). */
export function detectReservedPrefix(name: string): string | undefined {
  if (name.startsWith(INTERNAL_NAME_PREFIX)) {
    return (
      `'${INTERNAL_NAME_PREFIX}' is not allowed as prefix, since it is reserved` +
      " for internal databases/internal tables/internal partitions in Fluss server"
    );
  }
  return undefined;
}

/** What a name designates, for {@link TablePath.validateName}. */
export type NameKind = "database" | "table";

/** A table's identity: database name plus table name. Immutable. */
export class TablePath {
  /**
   * Names are not checked here; `createTable`/`createDatabase` check them (see
   * {@link TablePath.validateName}), and the server rejects invalid ones.
   */
  constructor(
    /** The database name. */
    readonly databaseName: string,
    /** The table name. */
    readonly tableName: string,
  ) {}

  /** Shorthand for `new TablePath(db, table)`. */
  static of(databaseName: string, tableName: string): TablePath {
    return new TablePath(databaseName, tableName);
  }

  /** Parses `"db.table"` (exactly one dot). */
  static parse(text: string): TablePath {
    const parts = text.split(".");
    if (parts.length !== 2) {
      throw FlussError.client(`table path '${text}' must have the form <database>.<table>`);
    }
    return new TablePath(parts[0]!, parts[1]!);
  }

  /**
   * Checks a database or table name. With `forCreate` (the default) the reserved `__`
   * prefix is refused too. Throws INVALID_DATABASE_EXCEPTION / INVALID_TABLE_EXCEPTION
   * with Java's message, e.g. `Table name a.b is invalid: ...`.
   */
  static validateName(name: string, what: NameKind, forCreate = true): void {
    const problem = detectInvalidName(name) ?? (forCreate ? detectReservedPrefix(name) : undefined);
    if (problem === undefined) return;
    if (what === "database") {
      throw new FlussError(ErrorCode.INVALID_DATABASE_EXCEPTION, `Database name ${name} is invalid: ${problem}`);
    }
    throw new FlussError(ErrorCode.INVALID_TABLE_EXCEPTION, `Table name ${name} is invalid: ${problem}`);
  }

  /** True when both names pass `detectInvalidName` (the prefix rule is not applied). */
  isValid(): boolean {
    return detectInvalidName(this.databaseName) === undefined && detectInvalidName(this.tableName) === undefined;
  }

  /** Validates both names as for creation (see {@link TablePath.validateName}). */
  validate(): void {
    TablePath.validateName(this.databaseName, "database");
    TablePath.validateName(this.tableName, "table");
  }

  /** Same database and table name. */
  equals(other: TablePath | null | undefined): boolean {
    return !!other && other.databaseName === this.databaseName && other.tableName === this.tableName;
  }

  /** `"db.table"`; also usable as a map key. */
  toString(): string {
    return `${this.databaseName}.${this.tableName}`;
  }

  /** `"db.table"`, so paths serialize as strings. */
  toJSON(): string {
    return this.toString();
  }
}

/** A table, or one partition of a partitioned table (where its data physically lives). */
export class PhysicalTablePath {
  /** A table (no `partitionName`) or one partition of it. */
  constructor(
    /** The logical table. */
    readonly tablePath: TablePath,
    /** The partition name (`$`-joined values), absent for the table itself. */
    readonly partitionName?: string,
  ) {}

  /** Like the constructor, taking `null` as Java does for the table itself. */
  static of(tablePath: TablePath, partitionName?: string | null): PhysicalTablePath {
    return new PhysicalTablePath(tablePath, partitionName ?? undefined);
  }

  /** The table's database name. */
  get databaseName(): string {
    return this.tablePath.databaseName;
  }

  /** The table's name (without the partition). */
  get tableName(): string {
    return this.tablePath.tableName;
  }

  /** Same table and partition name. */
  equals(other: PhysicalTablePath | null | undefined): boolean {
    return !!other && this.tablePath.equals(other.tablePath) && this.partitionName === other.partitionName;
  }

  /** `"db.table"` or `"db.table(p=<partition>)"` (Java's rendering); usable as a map key. */
  toString(): string {
    return this.partitionName === undefined ? this.tablePath.toString() : `${this.tablePath}(p=${this.partitionName})`;
  }
}
