/**
 * The coordinator's persistent catalog: databases, tables, partitions and the id counters
 * (table, partition, writer), kept in `<dataDir>/catalog/catalog.json`.
 *
 * Every mutation rewrites the whole file atomically (temp file + fsync + rename + directory
 * fsync) before it returns, and only then becomes visible in memory, so a failed write
 * leaves both disk and memory unchanged. The catalog of a local cluster is small, which
 * makes whole-file rewrites cheap. Counters follow Java's ZooKeeper sequence counters:
 * they start at 0, hand out the pre-increment value and never go back (protocol.md §5, §9).
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { ErrorCode, FlussError } from "../../rpc/errors.js";
import { TEMP_SUFFIX, fsyncDirSync, writeFileAtomicSync } from "./atomic-file.js";
import { describeOsCause, readTextIfExists } from "./storage-errors.js";

/** Name of the database created at first start (Java `CoordinatorServer.DEFAULT_DATABASE`). */
export const DEFAULT_DATABASE = "fluss";
/** Java's `DatabaseDescriptor.EMPTY` in its JSON form (protocol.md §6). */
export const EMPTY_DATABASE_JSON = '{"version":1,"custom_properties":{}}';
/** The schema id of a new table (Java `ZooKeeperClient` DEFAULT_SCHEMA_ID). */
const INITIAL_SCHEMA_ID = 1;

const CATALOG_FILE = "catalog.json";
const FORMAT = "flussjs-catalog";
const FORMAT_VERSION = 1;

/** A database path plus table name. */
export interface TablePathLike {
  readonly databaseName: string;
  readonly tableName: string;
}

/** A stored database. */
export interface DatabaseEntry {
  readonly name: string;
  /** The database JSON as the client sent it (or {@link EMPTY_DATABASE_JSON}). */
  readonly databaseJson: string;
  readonly createdTime: number;
  readonly modifiedTime: number;
}

/** One schema version of a table. */
interface SchemaEntry {
  readonly schemaId: number;
  readonly schemaJson: string;
}

/** A stored table. */
export interface TableEntry {
  readonly tableId: number;
  readonly databaseName: string;
  readonly tableName: string;
  /** Current schema id (starts at {@link INITIAL_SCHEMA_ID}). */
  readonly schemaId: number;
  /** The normalized table JSON (protocol.md §5). */
  readonly tableJson: string;
  /** Schema versions the caller registered (empty when it never passed schema JSON). */
  readonly schemas: readonly SchemaEntry[];
  readonly createdTime: number;
  readonly modifiedTime: number;
}

/** A stored partition of a partitioned table. */
export interface PartitionEntry {
  readonly partitionId: number;
  readonly tableId: number;
  /** Partition values joined by `$` in partition-key order. */
  readonly partitionName: string;
  /** Ordered (partition key, value) pairs. */
  readonly spec: readonly (readonly [string, string])[];
  readonly createdTime: number;
}

/** What a drop removed, so the caller can delete the matching log data. */
export interface DroppedTables {
  readonly tables: readonly TableEntry[];
  readonly partitions: readonly PartitionEntry[];
}

/** Options of {@link CatalogStore.open}. */
export interface CatalogStoreOptions {
  /** Wall clock for created/modified times; defaults to `Date.now`. */
  readonly clock?: () => number;
}

interface CatalogState {
  nextTableId: number;
  nextPartitionId: number;
  nextWriterId: number;
  databases: DatabaseEntry[];
  tables: TableEntry[];
  partitions: PartitionEntry[];
}

function storageError(message: string, cause?: unknown): FlussError {
  return new FlussError(ErrorCode.STORAGE_EXCEPTION, message, cause === undefined ? undefined : { cause });
}

function pathString(p: TablePathLike): string {
  return `${p.databaseName}.${p.tableName}`;
}

function pathKey(db: string, table: string): string {
  // NUL cannot occur in valid names, so the key is unambiguous
  return `${db}\u0000${table}`;
}

/** Writer ids reserved per catalog write (see {@link CatalogStore.nextWriterId}). */
export const WRITER_ID_BLOCK = 1024;

/** The persistent catalog of one data directory. Not safe for use by two processes at once. */
export class CatalogStore {
  private state: CatalogState;
  private readonly file: string;
  private readonly clock: () => number;
  private databases = new Map<string, DatabaseEntry>();
  private tablesById = new Map<number, TableEntry>();
  private tableIdsByPath = new Map<string, number>();
  private partitionsById = new Map<number, PartitionEntry>();
  /** The writer-id block in use, [next, end); the catalog's nextWriterId is its end. */
  private writerIdNext = 0;
  private writerIdEnd = 0;

  private constructor(
    readonly dir: string,
    state: CatalogState,
    clock: () => number,
  ) {
    this.file = path.join(dir, CATALOG_FILE);
    this.clock = clock;
    this.state = state;
    this.reindex();
  }

  /**
   * Opens (or creates) the catalog under `<dataDir>/catalog/`. Creates database `fluss`
   * when no database exists. A leftover temp file from an interrupted write is discarded;
   * an unreadable or corrupt catalog file fails with STORAGE_EXCEPTION rather than being
   * replaced, so no metadata is silently lost.
   */
  static open(dataDir: string, options: CatalogStoreOptions = {}): CatalogStore {
    const dir = path.join(dataDir, "catalog");
    const file = path.join(dir, CATALOG_FILE);
    const clock = options.clock ?? Date.now;
    let state: CatalogState;
    try {
      fs.mkdirSync(dir, { recursive: true });
      // an interrupted write never got renamed into place: its content was never committed
      fs.rmSync(file + TEMP_SUFFIX, { force: true });
    } catch (e) {
      throw storageError(`Cannot prepare catalog directory ${dir}: ${describeOsCause(e)}`, e);
    }
    const text = readTextIfExists(file, "catalog file");
    if (text === undefined) {
      state = { nextTableId: 0, nextPartitionId: 0, nextWriterId: 0, databases: [], tables: [], partitions: [] };
    } else {
      state = parseCatalog(text, file);
    }
    const store = new CatalogStore(dir, state, clock);
    if (text === undefined) {
      try {
        fsyncDirSync(dataDir);
      } catch {
        // best effort: the catalog directory entry itself
      }
    }
    if (store.state.databases.length === 0) store.createDatabase(DEFAULT_DATABASE, EMPTY_DATABASE_JSON);
    return store;
  }

  // ---------------------------------------------------------------- databases

  /** All databases, in creation order. */
  listDatabases(): DatabaseEntry[] {
    return [...this.state.databases];
  }

  getDatabase(name: string): DatabaseEntry | undefined {
    return this.databases.get(name);
  }

  /** Creates a database; DATABASE_ALREADY_EXIST (6) if it exists. */
  createDatabase(name: string, databaseJson: string = EMPTY_DATABASE_JSON): DatabaseEntry {
    if (this.databases.has(name)) {
      throw new FlussError(ErrorCode.DATABASE_ALREADY_EXIST, `Database ${name} already exists.`);
    }
    const now = this.clock();
    const entry: DatabaseEntry = { name, databaseJson, createdTime: now, modifiedTime: now };
    const next = this.copyState();
    next.databases.push(entry);
    this.commit(next);
    return entry;
  }

  /** Replaces a database's JSON (alter database); DATABASE_NOT_EXIST (4) if missing. */
  alterDatabase(name: string, databaseJson: string): DatabaseEntry {
    const old = this.requireDatabase(name);
    const entry: DatabaseEntry = { ...old, databaseJson, modifiedTime: this.clock() };
    const next = this.copyState();
    next.databases = next.databases.map((d) => (d.name === name ? entry : d));
    this.commit(next);
    return entry;
  }

  /**
   * Drops a database with all its tables and their partitions, returning what was removed.
   * DATABASE_NOT_EXIST (4) if missing; the default database cannot be dropped (as in Java,
   * an UNKNOWN_SERVER_ERROR).
   */
  dropDatabase(name: string): DroppedTables {
    if (name === DEFAULT_DATABASE) {
      throw new FlussError(
        ErrorCode.UNKNOWN_SERVER_ERROR,
        `Cannot drop the default database '${name}'. The default database is required for cluster operation.`,
      );
    }
    this.requireDatabase(name);
    const tables = this.state.tables.filter((t) => t.databaseName === name);
    const ids = new Set(tables.map((t) => t.tableId));
    const partitions = this.state.partitions.filter((p) => ids.has(p.tableId));
    const next = this.copyState();
    next.databases = next.databases.filter((d) => d.name !== name);
    next.tables = next.tables.filter((t) => !ids.has(t.tableId));
    next.partitions = next.partitions.filter((p) => !ids.has(p.tableId));
    this.commit(next);
    return { tables, partitions };
  }

  // ---------------------------------------------------------------- tables

  /** Tables of one database, in creation order (DATABASE_NOT_EXIST if it is missing). */
  listTables(databaseName: string): TableEntry[] {
    this.requireDatabase(databaseName);
    return this.state.tables.filter((t) => t.databaseName === databaseName);
  }

  getTable(p: TablePathLike): TableEntry | undefined {
    const id = this.tableIdsByPath.get(pathKey(p.databaseName, p.tableName));
    return id === undefined ? undefined : this.tablesById.get(id);
  }

  getTableById(tableId: number): TableEntry | undefined {
    return this.tablesById.get(tableId);
  }

  /**
   * Creates a table with the next table id and schema id 1. DATABASE_NOT_EXIST (4) if the
   * database is missing, TABLE_ALREADY_EXIST (8) if the path is taken. `schemaJson`, when
   * given, is recorded as schema version 1.
   */
  createTable(p: TablePathLike, tableJson: string, schemaJson?: string): TableEntry {
    if (!this.databases.has(p.databaseName)) {
      throw new FlussError(ErrorCode.DATABASE_NOT_EXIST, `Database ${p.databaseName} does not exist.`);
    }
    if (this.getTable(p)) {
      throw new FlussError(ErrorCode.TABLE_ALREADY_EXIST, `Table ${pathString(p)} already exists.`);
    }
    const now = this.clock();
    const next = this.copyState();
    const entry: TableEntry = {
      tableId: next.nextTableId++,
      databaseName: p.databaseName,
      tableName: p.tableName,
      schemaId: INITIAL_SCHEMA_ID,
      tableJson,
      schemas: schemaJson === undefined ? [] : [{ schemaId: INITIAL_SCHEMA_ID, schemaJson }],
      createdTime: now,
      modifiedTime: now,
    };
    next.tables.push(entry);
    this.commit(next);
    return entry;
  }

  /**
   * Replaces a table's JSON (alter table). With `schemaJson` the schema id is bumped and the
   * new schema recorded. TABLE_NOT_EXIST (7) if the id is unknown.
   */
  alterTable(tableId: number, tableJson: string, schemaJson?: string): TableEntry {
    const old = this.tablesById.get(tableId);
    if (!old) throw new FlussError(ErrorCode.TABLE_NOT_EXIST, `Table with id ${tableId} does not exist.`);
    const schemaId = schemaJson === undefined ? old.schemaId : old.schemaId + 1;
    const entry: TableEntry = {
      ...old,
      tableJson,
      schemaId,
      schemas: schemaJson === undefined ? old.schemas : [...old.schemas, { schemaId, schemaJson }],
      modifiedTime: this.clock(),
    };
    const next = this.copyState();
    next.tables = next.tables.map((t) => (t.tableId === tableId ? entry : t));
    this.commit(next);
    return entry;
  }

  /** Drops a table and its partitions; TABLE_NOT_EXIST (7) if missing. */
  dropTable(p: TablePathLike): DroppedTables {
    const table = this.getTable(p);
    if (!table) throw new FlussError(ErrorCode.TABLE_NOT_EXIST, `Table ${pathString(p)} does not exist.`);
    const partitions = this.state.partitions.filter((x) => x.tableId === table.tableId);
    const next = this.copyState();
    next.tables = next.tables.filter((t) => t.tableId !== table.tableId);
    next.partitions = next.partitions.filter((x) => x.tableId !== table.tableId);
    this.commit(next);
    return { tables: [table], partitions };
  }

  // ---------------------------------------------------------------- partitions

  /** Partitions of a table, in creation order. */
  listPartitions(tableId: number): PartitionEntry[] {
    return this.state.partitions.filter((p) => p.tableId === tableId);
  }

  getPartitionByName(tableId: number, partitionName: string): PartitionEntry | undefined {
    return this.state.partitions.find((p) => p.tableId === tableId && p.partitionName === partitionName);
  }

  getPartitionById(partitionId: number): PartitionEntry | undefined {
    return this.partitionsById.get(partitionId);
  }

  /**
   * Creates a partition with the next partition id. TABLE_NOT_EXIST (7) if the table is
   * unknown, PARTITION_ALREADY_EXISTS (42) if the name is taken.
   */
  createPartition(tableId: number, partitionName: string, spec: readonly (readonly [string, string])[]): PartitionEntry {
    const table = this.tablesById.get(tableId);
    if (!table) throw new FlussError(ErrorCode.TABLE_NOT_EXIST, `Table with id ${tableId} does not exist.`);
    if (this.getPartitionByName(tableId, partitionName)) {
      throw new FlussError(
        ErrorCode.PARTITION_ALREADY_EXISTS,
        `Partition '${partitionName}' already exists for table ${pathString(table)}`,
      );
    }
    const next = this.copyState();
    const entry: PartitionEntry = {
      partitionId: next.nextPartitionId++,
      tableId,
      partitionName,
      spec: spec.map(([k, v]) => [k, v] as const),
      createdTime: this.clock(),
    };
    next.partitions.push(entry);
    this.commit(next);
    return entry;
  }

  /** Drops a partition by name; PARTITION_NOT_EXISTS (36) if missing. */
  dropPartition(tableId: number, partitionName: string): PartitionEntry {
    const entry = this.getPartitionByName(tableId, partitionName);
    if (!entry) {
      const table = this.tablesById.get(tableId);
      const where = table ? pathString(table) : `with id ${tableId}`;
      throw new FlussError(ErrorCode.PARTITION_NOT_EXISTS, `Partition '${partitionName}' does not exist for table ${where}.`);
    }
    const next = this.copyState();
    next.partitions = next.partitions.filter((p) => p.partitionId !== entry.partitionId);
    this.commit(next);
    return entry;
  }

  // ---------------------------------------------------------------- writer ids

  /**
   * Hands out the next cluster-unique writer id, durably: ids are reserved in blocks of
   * {@link WRITER_ID_BLOCK} with one catalog write per block (not one per InitWriter), and
   * a restart continues after the last reserved block, so an id is never handed out twice
   * (the unused rest of a block is skipped).
   */
  nextWriterId(): number {
    if (this.writerIdNext >= this.writerIdEnd) {
      const next = this.copyState();
      const start = next.nextWriterId;
      next.nextWriterId = start + WRITER_ID_BLOCK;
      this.commit(next);
      this.writerIdNext = start;
      this.writerIdEnd = next.nextWriterId;
    }
    return this.writerIdNext++;
  }

  // ---------------------------------------------------------------- internals

  private requireDatabase(name: string): DatabaseEntry {
    const db = this.databases.get(name);
    if (!db) throw new FlussError(ErrorCode.DATABASE_NOT_EXIST, `Database ${name} does not exist.`);
    return db;
  }

  // entries are immutable, so a shallow copy of the arrays is a safe scratch state
  private copyState(): CatalogState {
    const s = this.state;
    return {
      nextTableId: s.nextTableId,
      nextPartitionId: s.nextPartitionId,
      nextWriterId: s.nextWriterId,
      databases: [...s.databases],
      tables: [...s.tables],
      partitions: [...s.partitions],
    };
  }

  /** Persists `next` and, only once it is durable, makes it the visible state. */
  private commit(next: CatalogState): void {
    const doc = {
      format: FORMAT,
      version: FORMAT_VERSION,
      nextTableId: next.nextTableId,
      nextPartitionId: next.nextPartitionId,
      nextWriterId: next.nextWriterId,
      databases: next.databases,
      tables: next.tables,
      partitions: next.partitions,
    };
    try {
      writeFileAtomicSync(this.file, `${JSON.stringify(doc, null, 1)}\n`);
    } catch (e) {
      throw storageError(`Cannot write catalog file ${this.file}: ${describeOsCause(e)}`, e);
    }
    this.state = next;
    this.reindex();
  }

  private reindex(): void {
    this.databases = new Map(this.state.databases.map((d) => [d.name, d]));
    this.tablesById = new Map(this.state.tables.map((t) => [t.tableId, t]));
    this.tableIdsByPath = new Map(this.state.tables.map((t) => [pathKey(t.databaseName, t.tableName), t.tableId]));
    this.partitionsById = new Map(this.state.partitions.map((p) => [p.partitionId, p]));
  }
}

// ------------------------------------------------------------------ parsing

type Json = Record<string, unknown>;

function parseCatalog(text: string, file: string): CatalogState {
  const fail = (why: string): never => {
    throw storageError(
      `Catalog file ${file} is corrupt (${why}); refusing to start so no metadata is lost. ` +
        `Restore it or move it away to start with an empty catalog.`,
    );
  };
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    return fail(`invalid JSON: ${describeOsCause(e)}`);
  }
  if (!isObject(doc) || doc.format !== FORMAT) return fail("not a flussjs catalog");
  if (doc.version !== FORMAT_VERSION) return fail(`unsupported version ${String(doc.version)}`);
  const counter = (k: string): number => {
    const v = doc[k];
    return isCount(v) ? v : fail(`bad ${k}`);
  };
  const list = (k: string): unknown[] => {
    const v = doc[k];
    return Array.isArray(v) ? v : fail(`bad ${k}`);
  };
  const str = (o: Json, k: string, what: string): string =>
    typeof o[k] === "string" ? (o[k] as string) : fail(`${what}: bad ${k}`);
  const num = (o: Json, k: string, what: string): number =>
    typeof o[k] === "number" && Number.isSafeInteger(o[k]) ? (o[k] as number) : fail(`${what}: bad ${k}`);

  const databases = list("databases").map((d, i): DatabaseEntry => {
    if (!isObject(d)) return fail(`database #${i} is not an object`);
    const what = `database #${i}`;
    return {
      name: str(d, "name", what),
      databaseJson: str(d, "databaseJson", what),
      createdTime: num(d, "createdTime", what),
      modifiedTime: num(d, "modifiedTime", what),
    };
  });
  const tables = list("tables").map((t, i): TableEntry => {
    if (!isObject(t)) return fail(`table #${i} is not an object`);
    const what = `table #${i}`;
    const schemas = Array.isArray(t.schemas) ? (t.schemas as unknown[]) : fail(`${what}: bad schemas`);
    return {
      tableId: num(t, "tableId", what),
      databaseName: str(t, "databaseName", what),
      tableName: str(t, "tableName", what),
      schemaId: num(t, "schemaId", what),
      tableJson: str(t, "tableJson", what),
      schemas: schemas.map((s): SchemaEntry => {
        if (!isObject(s)) return fail(`${what}: bad schema entry`);
        return { schemaId: num(s, "schemaId", what), schemaJson: str(s, "schemaJson", what) };
      }),
      createdTime: num(t, "createdTime", what),
      modifiedTime: num(t, "modifiedTime", what),
    };
  });
  const partitions = list("partitions").map((p, i): PartitionEntry => {
    if (!isObject(p)) return fail(`partition #${i} is not an object`);
    const what = `partition #${i}`;
    const spec = Array.isArray(p.spec) ? (p.spec as unknown[]) : fail(`${what}: bad spec`);
    return {
      partitionId: num(p, "partitionId", what),
      tableId: num(p, "tableId", what),
      partitionName: str(p, "partitionName", what),
      spec: spec.map((kv): readonly [string, string] =>
        Array.isArray(kv) && kv.length === 2 && typeof kv[0] === "string" && typeof kv[1] === "string"
          ? [kv[0], kv[1]]
          : fail(`${what}: bad spec entry`),
      ),
      createdTime: num(p, "createdTime", what),
    };
  });
  const state: CatalogState = {
    nextTableId: counter("nextTableId"),
    nextPartitionId: counter("nextPartitionId"),
    nextWriterId: counter("nextWriterId"),
    databases,
    tables,
    partitions,
  };
  // consistency: ids below their counters, unique names, owners present
  const dbNames = new Set<string>();
  for (const d of databases) {
    if (dbNames.has(d.name)) fail(`duplicate database ${d.name}`);
    dbNames.add(d.name);
  }
  const tableIds = new Set<number>();
  const paths = new Set<string>();
  for (const t of tables) {
    if (t.tableId < 0 || t.tableId >= state.nextTableId || tableIds.has(t.tableId)) fail(`bad table id ${t.tableId}`);
    if (!dbNames.has(t.databaseName)) fail(`table ${t.tableId} in unknown database ${t.databaseName}`);
    const key = pathKey(t.databaseName, t.tableName);
    if (paths.has(key)) fail(`duplicate table ${t.databaseName}.${t.tableName}`);
    tableIds.add(t.tableId);
    paths.add(key);
  }
  const partitionIds = new Set<number>();
  for (const p of partitions) {
    if (p.partitionId < 0 || p.partitionId >= state.nextPartitionId || partitionIds.has(p.partitionId)) {
      fail(`bad partition id ${p.partitionId}`);
    }
    if (!tableIds.has(p.tableId)) fail(`partition ${p.partitionId} of unknown table ${p.tableId}`);
    partitionIds.add(p.partitionId);
  }
  return state;
}

function isObject(v: unknown): v is Json {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function isCount(v: unknown): v is number {
  return typeof v === "number" && Number.isSafeInteger(v) && v >= 0;
}
