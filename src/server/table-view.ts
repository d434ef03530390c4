/**
 * What the request handlers need to know about a stored table, read from the normalized
 * table JSON the catalog keeps (protocol.md §5). The JSON was produced by this server at
 * create time, so only the few fields used here are picked out; anything unexpected is a
 * STORAGE_EXCEPTION rather than a crash.
 */
import { ErrorCode, FlussError } from "../rpc/errors.js";
import { TABLE_DEFAULTS, TableOptions, type LogFormat } from "../metadata/table-options.js";
import type { TableEntry } from "./storage/catalog-store.js";

/** The server's view of one table. */
export interface TableView {
  readonly entry: TableEntry;
  readonly tableId: number;
  readonly databaseName: string;
  readonly tableName: string;
  readonly partitionKeys: readonly string[];
  readonly bucketCount: number;
  readonly hasPrimaryKey: boolean;
  readonly logFormat: LogFormat;
  readonly replicationFactor: number;
  /** The `schema` object of the table JSON, re-serialized compactly (GetTableSchema). */
  readonly schemaJson: string;
  readonly isPartitioned: boolean;
}

const cache = new WeakMap<TableEntry, TableView>();

function bad(entry: TableEntry, why: string): FlussError {
  return new FlussError(
    ErrorCode.STORAGE_EXCEPTION,
    `Stored metadata of table ${entry.databaseName}.${entry.tableName} (id ${entry.tableId}) is invalid: ${why}`,
  );
}

/** Parses (once per catalog entry) the fields of a stored table the handlers use. */
export function tableView(entry: TableEntry): TableView {
  const hit = cache.get(entry);
  if (hit) return hit;
  let doc: unknown;
  try {
    doc = JSON.parse(entry.tableJson);
  } catch (e) {
    throw bad(entry, (e as Error).message);
  }
  if (typeof doc !== "object" || doc === null) throw bad(entry, "not an object");
  const o = doc as Record<string, unknown>;
  const schema = o.schema;
  if (typeof schema !== "object" || schema === null) throw bad(entry, "no schema");
  const pk = (schema as Record<string, unknown>).primary_key;
  const partitionKeys = o.partition_key;
  if (!Array.isArray(partitionKeys) || !partitionKeys.every((k) => typeof k === "string")) {
    throw bad(entry, "bad partition_key");
  }
  const bucketCount = o.bucket_count;
  if (typeof bucketCount !== "number" || !Number.isInteger(bucketCount) || bucketCount <= 0) {
    throw bad(entry, "bad bucket_count");
  }
  const props = (o.properties ?? {}) as Record<string, unknown>;
  const fmt = String(props[TableOptions.LOG_FORMAT] ?? TABLE_DEFAULTS.logFormat)
    .trim()
    .toUpperCase();
  const logFormat: LogFormat = fmt === "INDEXED" || fmt === "COMPACTED" ? fmt : "ARROW";
  const rf = Number.parseInt(String(props[TableOptions.REPLICATION_FACTOR] ?? "1"), 10);
  const view: TableView = {
    entry,
    tableId: entry.tableId,
    databaseName: entry.databaseName,
    tableName: entry.tableName,
    partitionKeys: partitionKeys as string[],
    bucketCount,
    hasPrimaryKey: Array.isArray(pk) && pk.length > 0,
    logFormat,
    replicationFactor: Number.isNaN(rf) ? 1 : rf,
    schemaJson: JSON.stringify(schema),
    isPartitioned: partitionKeys.length > 0,
  };
  cache.set(entry, view);
  return view;
}

/** `db.table`, as Java's `TablePath.toString()`. */
export function pathOf(t: { databaseName: string; tableName: string }): string {
  return `${t.databaseName}.${t.tableName}`;
}
