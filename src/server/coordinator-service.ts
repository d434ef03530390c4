/**
 * The coordinator's catalog RPCs: databases, tables, partitions and writer ids, with the
 * checks, error codes and messages of Java's `CoordinatorService` / `RpcServiceBase` /
 * `MetadataManager`.
 */
import { ApiKey } from "../rpc/api-keys.js";
import { ErrorCode, FlussError } from "../rpc/errors.js";
import * as M from "../rpc/messages.js";
import { databaseDescriptorFromJson, databaseDescriptorToJson } from "../metadata/json.js";
import { TablePath } from "../metadata/table-path.js";
import { javaHashMapOrder } from "../metadata/java-json.js";
import { DatabaseDescriptor } from "../metadata/database.js";
import { utf8Encode } from "../util/bytes.js";
import { typedHandler } from "./handler.js";
import {
  matchesPartialSpec,
  partitionName,
  qualifiedPartitionName,
  resolvePartitionSpec,
  toPbPartitionSpec,
} from "./partition-spec.js";
import type { RawHandler } from "./rpc-server.js";
import type { ServerState } from "./server-state.js";
import { DEFAULT_DATABASE, type TableEntry } from "./storage/catalog-store.js";
import { checkReplicationFactor, prepareTable } from "./table-create.js";
import { pathOf, tableView, type TableView } from "./table-view.js";

/** Looks a table up; TABLE_NOT_EXIST with Java's `MetadataManager.getTable` message. */
export function requireTable(state: ServerState, p: M.PbTablePath): TableEntry {
  const t = state.catalog.getTable(p);
  if (!t) throw new FlussError(ErrorCode.TABLE_NOT_EXIST, `Table '${pathOf(p)}' does not exist.`);
  return t;
}

function toInvalidTable(err: unknown): unknown {
  // the metadata layer reports client-side style errors (-2); Java wraps them all
  if (err instanceof FlussError && err.code === ErrorCode.CLIENT_ERROR) {
    return new FlussError(ErrorCode.INVALID_TABLE_EXCEPTION, err.message, { cause: err });
  }
  return err;
}

/** The catalog handlers of the coordinator role, by api key. */
export function coordinatorHandlers(state: ServerState): Map<number, RawHandler> {
  const { catalog } = state;
  const h = new Map<number, RawHandler>();

  // ------------------------------------------------------------ databases

  h.set(
    ApiKey.CREATE_DATABASE,
    typedHandler(M.CreateDatabaseRequest, M.CreateDatabaseResponse, (req) => {
      TablePath.validateName(req.databaseName, "database");
      const desc = req.databaseJson !== undefined ? databaseDescriptorFromJson(req.databaseJson) : DatabaseDescriptor.EMPTY;
      if (catalog.getDatabase(req.databaseName)) {
        if (req.ignoreIfExists) return {};
        throw new FlussError(ErrorCode.DATABASE_ALREADY_EXIST, `Database ${req.databaseName} already exists.`);
      }
      const normalized = new DatabaseDescriptor({
        ...(desc.comment !== undefined ? { comment: desc.comment } : {}),
        customProperties: javaHashMapOrder(desc.customProperties),
      });
      catalog.createDatabase(req.databaseName, databaseDescriptorToJson(normalized));
      return {};
    }),
  );

  h.set(
    ApiKey.DROP_DATABASE,
    typedHandler(M.DropDatabaseRequest, M.DropDatabaseResponse, async (req) => {
      const name = req.databaseName;
      if (name === DEFAULT_DATABASE) {
        // Java: UnsupportedOperationException → UNKNOWN_SERVER_ERROR
        throw new FlussError(
          ErrorCode.UNKNOWN_SERVER_ERROR,
          `Cannot drop the default database '${name}'. The default database is required for cluster operation.`,
        );
      }
      if (!catalog.getDatabase(name)) {
        if (req.ignoreIfNotExists) return {};
        throw new FlussError(ErrorCode.DATABASE_NOT_EXIST, `Database ${name} does not exist.`);
      }
      if (!req.cascade && catalog.listTables(name).length > 0) {
        throw new FlussError(ErrorCode.DATABASE_NOT_EMPTY, `Database ${name} is not empty.`);
      }
      const dropped = catalog.dropDatabase(name);
      for (const t of dropped.tables) await dropTableLogs(state, t.tableId);
      return {};
    }),
  );

  h.set(
    ApiKey.LIST_DATABASES,
    typedHandler(M.ListDatabasesRequest, M.ListDatabasesResponse, (req) => {
      const dbs = catalog.listDatabases();
      if (req.includeSummary === true) {
        return {
          databaseName: [],
          databaseSummary: dbs.map((d) => ({
            databaseName: d.name,
            createdTime: d.createdTime,
            tableCount: catalog.listTables(d.name).length,
          })),
        };
      }
      return { databaseName: dbs.map((d) => d.name), databaseSummary: [] };
    }),
  );

  h.set(
    ApiKey.DATABASE_EXISTS,
    typedHandler(M.DatabaseExistsRequest, M.DatabaseExistsResponse, (req) => ({
      exists: catalog.getDatabase(req.databaseName) !== undefined,
    })),
  );

  h.set(
    ApiKey.GET_DATABASE_INFO,
    typedHandler(M.GetDatabaseInfoRequest, M.GetDatabaseInfoResponse, (req) => {
      const db = catalog.getDatabase(req.databaseName);
      if (!db) throw new FlussError(ErrorCode.DATABASE_NOT_EXIST, `Database ${req.databaseName} does not exist.`);
      return { databaseJson: utf8Encode(db.databaseJson), createdTime: db.createdTime, modifiedTime: db.modifiedTime };
    }),
  );

  // ------------------------------------------------------------ tables

  h.set(
    ApiKey.CREATE_TABLE,
    typedHandler(M.CreateTableRequest, M.CreateTableResponse, (req) => {
      const path = new TablePath(req.tablePath.databaseName, req.tablePath.tableName);
      path.validate();
      let prepared: ReturnType<typeof prepareTable>;
      try {
        prepared = prepareTable(req.tableJson);
      } catch (err) {
        throw toInvalidTable(err);
      }
      if (req.ignoreIfExists && catalog.getTable(path)) return {};
      if (!catalog.getDatabase(path.databaseName)) {
        throw new FlussError(ErrorCode.DATABASE_NOT_EXIST, `Database ${path.databaseName} does not exist.`);
      }
      if (catalog.getTable(path)) {
        throw new FlussError(ErrorCode.TABLE_ALREADY_EXIST, `Table ${path} already exists.`);
      }
      catalog.createTable(path, prepared.tableJson, prepared.schemaJson);
      return {};
    }),
  );

  h.set(
    ApiKey.DROP_TABLE,
    typedHandler(M.DropTableRequest, M.DropTableResponse, async (req) => {
      const t = catalog.getTable(req.tablePath);
      if (!t) {
        if (req.ignoreIfNotExists) return {};
        throw new FlussError(ErrorCode.TABLE_NOT_EXIST, `Table ${pathOf(req.tablePath)} does not exist.`);
      }
      catalog.dropTable(req.tablePath);
      await dropTableLogs(state, t.tableId);
      return {};
    }),
  );

  h.set(
    ApiKey.GET_TABLE_INFO,
    typedHandler(M.GetTableInfoRequest, M.GetTableInfoResponse, (req) => {
      const t = requireTable(state, req.tablePath);
      return {
        tableId: t.tableId,
        schemaId: t.schemaId,
        tableJson: utf8Encode(t.tableJson),
        createdTime: t.createdTime,
        modifiedTime: t.modifiedTime,
        ...(state.remoteLogs ? { remoteDataDir: state.remoteLogs.remoteDataDir } : {}),
      };
    }),
  );

  h.set(
    ApiKey.LIST_TABLES,
    typedHandler(M.ListTablesRequest, M.ListTablesResponse, (req) => ({
      tableName: catalog.listTables(req.databaseName).map((t) => t.tableName),
    })),
  );

  h.set(
    ApiKey.TABLE_EXISTS,
    typedHandler(M.TableExistsRequest, M.TableExistsResponse, (req) => ({
      exists: catalog.getTable(req.tablePath) !== undefined,
    })),
  );

  h.set(
    ApiKey.GET_TABLE_SCHEMA,
    typedHandler(M.GetTableSchemaRequest, M.GetTableSchemaResponse, (req) => {
      const t = catalog.getTable(req.tablePath);
      // Java reads the latest schema id of a missing table as 0, then fails the lookup
      const schemaId = req.schemaId ?? t?.schemaId ?? 0;
      const stored = t?.schemas.find((s) => s.schemaId === schemaId);
      const json = stored?.schemaJson ?? (t && schemaId === t.schemaId ? tableView(t).schemaJson : undefined);
      if (json === undefined) {
        throw new FlussError(
          ErrorCode.SCHEMA_NOT_EXIST,
          `Schema for table ${pathOf(req.tablePath)} with schema id ${schemaId} does not exist.`,
        );
      }
      return { schemaId, schemaJson: utf8Encode(json) };
    }),
  );

  // ------------------------------------------------------------ partitions

  h.set(
    ApiKey.CREATE_PARTITION,
    typedHandler(M.CreatePartitionRequest, M.CreatePartitionResponse, (req) => {
      const t = tableView(requireTable(state, req.tablePath));
      if (!t.isPartitioned) {
        throw new FlussError(ErrorCode.TABLE_NOT_PARTITIONED_EXCEPTION, "Only partitioned table support create partition.");
      }
      const spec = resolvePartitionSpec(pathOf(t), t.partitionKeys, req.partitionSpec, true);
      const name = partitionName(spec);
      // field 3 is named ignore_if_not_exists but means "ignore if it already exists"
      const exists = catalog.getPartitionByName(t.tableId, name) !== undefined;
      if (exists && req.ignoreIfNotExists) return {};
      checkReplicationFactor(replicationProps(t));
      if (exists) {
        throw new FlussError(
          ErrorCode.PARTITION_ALREADY_EXISTS,
          `Partition '${qualifiedPartitionName(spec)}' already exists for table ${pathOf(t)}`,
        );
      }
      catalog.createPartition(t.tableId, name, spec);
      return {};
    }),
  );

  h.set(
    ApiKey.DROP_PARTITION,
    typedHandler(M.DropPartitionRequest, M.DropPartitionResponse, async (req) => {
      const t = tableView(requireTable(state, req.tablePath));
      if (!t.isPartitioned) {
        throw new FlussError(ErrorCode.TABLE_NOT_PARTITIONED_EXCEPTION, "Only partitioned table support drop partition.");
      }
      const spec = resolvePartitionSpec(pathOf(t), t.partitionKeys, req.partitionSpec, false);
      const p = catalog.getPartitionByName(t.tableId, partitionName(spec));
      if (!p) {
        if (req.ignoreIfNotExists) return {};
        throw new FlussError(
          ErrorCode.PARTITION_NOT_EXISTS,
          `Partition '${qualifiedPartitionName(spec)}' does not exist for table ${pathOf(t)}`,
        );
      }
      catalog.dropPartition(t.tableId, p.partitionName);
      await state.logs.dropPartition(t.tableId, p.partitionId).catch((e: unknown) => {
        state.logger.error(`Failed to delete the logs of partition ${p.partitionId} of table ${pathOf(t)}`, e);
      });
      return {};
    }),
  );

  h.set(
    ApiKey.LIST_PARTITION_INFOS,
    typedHandler(M.ListPartitionInfosRequest, M.ListPartitionInfosResponse, (req) => {
      const t = tableView(requireTable(state, req.tablePath));
      if (!t.isPartitioned) {
        throw new FlussError(ErrorCode.TABLE_NOT_PARTITIONED_EXCEPTION, `Table '${pathOf(t)}' is not a partitioned table.`);
      }
      const filter = req.partialPartitionSpec?.partitionKeyValues;
      const parts = catalog
        .listPartitions(t.tableId)
        .filter((p) => filter === undefined || matchesPartialSpec(t.partitionKeys, p.spec, filter));
      return {
        partitionsInfo: parts.map((p) => ({
          partitionId: p.partitionId,
          partitionSpec: toPbPartitionSpec(p.spec),
          ...(state.remoteLogs ? { remoteDataDir: state.remoteLogs.remoteDataDir } : {}),
        })),
      };
    }),
  );

  // ------------------------------------------------------------ writers

  h.set(
    ApiKey.INIT_WRITER,
    typedHandler(M.InitWriterRequest, M.InitWriterResponse, () => ({ writerId: catalog.nextWriterId() })),
  );

  return h;
}

function replicationProps(t: TableView): Record<string, string> {
  return { "table.replication.factor": String(t.replicationFactor) };
}

/** Deletes a dropped table's logs; a failure is logged, the drop itself already happened. */
async function dropTableLogs(state: ServerState, tableId: number): Promise<void> {
  try {
    await state.logs.dropTable(tableId);
  } catch (e) {
    state.logger.error(`Failed to delete the logs of dropped table ${tableId}`, e);
  }
}
