import { ApiKey, type MessageApiKey, type RequestOf, type ResponseOf } from "../rpc/api-keys.js";
import { ErrorCode, FlussError } from "../rpc/errors.js";
import type { PbAlterConfig, PbPartitionSpec, PbTablePath } from "../rpc/messages.js";
import { producerTableOffsets } from "../rpc/producer-offsets.js";
import { utf8Decode, utf8Encode } from "../util/bytes.js";
import { TablePath } from "../metadata/table-path.js";
import { TableInfo } from "../metadata/table-info.js";
import { TableDescriptor } from "../metadata/table-descriptor.js";
import { checkOptionNames, describeArg } from "../metadata/argument-checks.js";
import { type DatabaseDescriptor, DatabaseInfo } from "../metadata/database.js";
import { PartitionInfo } from "../metadata/partition.js";
import { ServerNode } from "../metadata/cluster.js";
import { databaseDescriptorFromJson, databaseDescriptorToJson, schemaFromJson, tableDescriptorToJson } from "../metadata/json.js";
import { SchemaInfo } from "../metadata/schema-info.js";
import type { TableChange } from "../metadata/table-change.js";
import { encodeTableChanges } from "./table-changes.js";
import type { MetadataUpdater, NodeAddress } from "./metadata.js";
import type { RpcClient } from "./rpc-client.js";
import { OffsetSpec } from "./offsets.js";
import { sleep } from "./retry.js";
import type {
  ActiveKvSnapshots,
  AlterConfig,
  AlterConfigOpType,
  BucketStats,
  ClusterHealth,
  ClusterHealthStatus,
  ConfigEntry,
  DatabaseChange,
  KvSnapshotMetadata,
  KvSnapshots,
  LakeSnapshot,
  ProducerBucketOffset,
  ProducerOffsets,
  RegisterResult,
  TableStats,
} from "./admin-types.js";
import * as acl from "./acl-admin.js";
import { KvSnapshotLease } from "./kv-snapshot-lease.js";
import type { TableBucketLike } from "./scan/scan-records.js";
import type { AclBinding, AclBindingFilter, AclBindingInfo } from "../metadata/acl.js";

/** Errors of ListOffsets after which the leaders are refreshed and the buckets asked again. */
const REFRESH_LIST_OFFSETS = new Set<number>([
  ErrorCode.NOT_LEADER_OR_FOLLOWER,
  ErrorCode.UNKNOWN_TABLE_OR_BUCKET_EXCEPTION,
  ErrorCode.LEADER_NOT_AVAILABLE_EXCEPTION,
  ErrorCode.NETWORK_EXCEPTION,
  ErrorCode.REQUEST_TIME_OUT,
]);

/** Wait before an admin call is sent again to a re-learned coordinator. */
const COORDINATOR_RETRY_BACKOFF_MS = 100;

/** A table path or its `"database.table"` text. */
export type TablePathLike = TablePath | string;

/** Accepts `TablePath` or `"db.table"`. */
export function toTablePath(path: TablePathLike): TablePath {
  if (path instanceof TablePath) return path;
  const dot = path.indexOf(".");
  if (dot <= 0 || dot === path.length - 1) {
    throw FlussError.client(`"${path}" is not a table path: expected "database.table"`);
  }
  return new TablePath(path.slice(0, dot), path.slice(dot + 1));
}

function pbPath(p: TablePath): PbTablePath {
  return { databaseName: p.databaseName, tableName: p.tableName };
}

function pbSpec(spec: Record<string, string>): PbPartitionSpec {
  return { partitionKeyValues: Object.entries(spec).map(([key, value]) => ({ key, value: String(value) })) };
}

/**
 * Cluster administration: databases, tables, partitions, offsets and servers.
 * Obtain it with `conn.getAdmin()`.
 */
export class FlussAdmin {
  /** @internal Created by the connection; use `conn.getAdmin()`. */
  static create(rpc: RpcClient, metadata: MetadataUpdater): FlussAdmin {
    return new FlussAdmin(rpc, metadata);
  }

  private constructor(
    private readonly rpc: RpcClient,
    private readonly metadata: MetadataUpdater,
  ) {}

  /**
   * Sends a request to the coordinator. On NETWORK_EXCEPTION (the coordinator went away or
   * cannot be reached) or NOT_COORDINATOR_LEADER (a standby answered), the coordinator is
   * re-learned from the cluster's metadata and the request is sent once more (Java's
   * gateway resolves the coordinator for each call, GatewayClientProxy / FlussAdmin.java).
   */
  private async call<K extends MessageApiKey>(apiKey: K, request: RequestOf<K>): Promise<ResponseOf<K>> {
    for (let attempt = 0; ; attempt++) {
      try {
        const conn = await this.rpc.connection(this.metadata.coordinator());
        return await conn.request(apiKey, request);
      } catch (err) {
        const relearn =
          err instanceof FlussError &&
          (err.code === ErrorCode.NETWORK_EXCEPTION || err.code === ErrorCode.NOT_COORDINATOR_LEADER_EXCEPTION);
        if (attempt > 0 || !relearn) throw err;
        await sleep(COORDINATOR_RETRY_BACKOFF_MS);
        await this.metadata.refreshServers().catch(() => undefined);
      }
    }
  }

  // ---- databases -------------------------------------------------------------------

  /** Creates a database; fails with DATABASE_ALREADY_EXIST unless `ignoreIfExists`. */
  async createDatabase(name: string, options: { descriptor?: DatabaseDescriptor; ignoreIfExists?: boolean } = {}): Promise<void> {
    checkOptionNames(options, ["descriptor", "ignoreIfExists"], "createDatabase");
    const req = {
      databaseName: name,
      ignoreIfExists: options.ignoreIfExists ?? false,
      ...(options.descriptor ? { databaseJson: utf8Encode(databaseDescriptorToJson(options.descriptor)) } : {}),
    };
    await this.call(ApiKey.CREATE_DATABASE, req);
  }

  /** Drops a database; `cascade` also drops its tables (else DATABASE_NOT_EMPTY). */
  async dropDatabase(name: string, options: { ignoreIfNotExists?: boolean; cascade?: boolean } = {}): Promise<void> {
    checkOptionNames(options, ["ignoreIfNotExists", "cascade"], "dropDatabase");
    await this.call(ApiKey.DROP_DATABASE, {
      databaseName: name,
      ignoreIfNotExists: options.ignoreIfNotExists ?? false,
      cascade: options.cascade ?? false,
    });
  }

  /** Names of all databases. */
  async listDatabases(): Promise<string[]> {
    const resp = await this.call(ApiKey.LIST_DATABASES, {});
    return resp.databaseName.length > 0 ? resp.databaseName : resp.databaseSummary.map((s) => s.databaseName);
  }

  /** Whether a database exists. */
  async databaseExists(name: string): Promise<boolean> {
    return (await this.call(ApiKey.DATABASE_EXISTS, { databaseName: name })).exists;
  }

  /** A database's descriptor and timestamps. */
  async getDatabaseInfo(name: string): Promise<DatabaseInfo> {
    const resp = await this.call(ApiKey.GET_DATABASE_INFO, { databaseName: name });
    return new DatabaseInfo(name, databaseDescriptorFromJson(utf8Decode(resp.databaseJson)), resp.createdTime, resp.modifiedTime);
  }

  // ---- tables ------------------------------------------------------------------------

  /** Creates a table; fails with TABLE_ALREADY_EXIST unless `ignoreIfExists`. */
  async createTable(path: TablePathLike, descriptor: TableDescriptor, options: { ignoreIfExists?: boolean } = {}): Promise<void> {
    if (!(descriptor instanceof TableDescriptor))
      throw FlussError.client(
        `createTable needs a TableDescriptor (new TableDescriptor(schema, { bucketCount, ... })), got ${describeArg(descriptor)}`,
      );
    checkOptionNames(options, ["ignoreIfExists"], "createTable");
    const p = toTablePath(path);
    await this.call(ApiKey.CREATE_TABLE, {
      tablePath: pbPath(p),
      tableJson: utf8Encode(tableDescriptorToJson(descriptor)),
      ignoreIfExists: options.ignoreIfExists ?? false,
    });
  }

  /** Drops a table; fails with TABLE_NOT_EXIST unless `ignoreIfNotExists`. */
  async dropTable(path: TablePathLike, options: { ignoreIfNotExists?: boolean } = {}): Promise<void> {
    checkOptionNames(options, ["ignoreIfNotExists"], "dropTable");
    const p = toTablePath(path);
    await this.call(ApiKey.DROP_TABLE, { tablePath: pbPath(p), ignoreIfNotExists: options.ignoreIfNotExists ?? false });
  }

  /** The table's id, schema, distribution and properties. */
  async getTableInfo(path: TablePathLike): Promise<TableInfo> {
    const p = toTablePath(path);
    const resp = await this.call(ApiKey.GET_TABLE_INFO, { tablePath: pbPath(p) });
    return TableInfo.fromJson(p, resp.tableId, resp.schemaId, utf8Decode(resp.tableJson), resp.createdTime, resp.modifiedTime);
  }

  /**
   * Changes a table (Java `Admin.alterTable`): add a nullable column at the end, or set and
   * reset options (`table.*` keys Fluss allows to alter; other keys are custom properties).
   * Option and column changes cannot be mixed in one call. Each column change raises the
   * table's schema id by one; rows written before stay readable (their new columns are
   * null). Errors are the cluster's: INVALID_ALTER_TABLE_EXCEPTION (column exists, option
   * not alterable, mixed changes), UNKNOWN_SERVER_ERROR (non-nullable column, drop/rename/
   * modify), TABLE_NOT_EXIST unless `ignoreIfNotExists`; a position other than
   * `ColumnPosition.last()` is refused on the client (CLIENT_ERROR), as Java does.
   *
   * ```ts
   * await admin.alterTable("fluss.orders", [TableChange.addColumn("note", DataTypes.STRING(), { comment: "free text" })]);
   * ```
   */
  async alterTable(
    path: TablePathLike,
    changes: readonly TableChange[],
    options: { ignoreIfNotExists?: boolean } = {},
  ): Promise<void> {
    checkOptionNames(options, ["ignoreIfNotExists"], "alterTable");
    const p = toTablePath(path);
    p.validate();
    await this.call(ApiKey.ALTER_TABLE, {
      tablePath: pbPath(p),
      ignoreIfNotExists: options.ignoreIfNotExists ?? false,
      ...encodeTableChanges(changes),
    });
  }

  /**
   * A schema of the table: the latest, or the one with `schemaId` (every schema a table ever
   * had stays readable). SCHEMA_NOT_EXIST for an id the table never had.
   */
  async getTableSchema(path: TablePathLike, schemaId?: number): Promise<SchemaInfo> {
    const p = toTablePath(path);
    if (schemaId !== undefined && (!Number.isInteger(schemaId) || schemaId < 0 || schemaId > 2147483647)) {
      throw FlussError.client(`invalid schema id ${String(schemaId)} for table ${p.toString()}`);
    }
    const resp = await this.call(ApiKey.GET_TABLE_SCHEMA, {
      tablePath: pbPath(p),
      ...(schemaId !== undefined ? { schemaId } : {}),
    });
    return new SchemaInfo(schemaFromJson(utf8Decode(resp.schemaJson)), resp.schemaId);
  }

  /** Names of the tables of a database. */
  async listTables(database: string): Promise<string[]> {
    return (await this.call(ApiKey.LIST_TABLES, { databaseName: database })).tableName;
  }

  /** Whether a table exists. */
  async tableExists(path: TablePathLike): Promise<boolean> {
    const p = toTablePath(path);
    return (await this.call(ApiKey.TABLE_EXISTS, { tablePath: pbPath(p) })).exists;
  }

  // ---- partitions --------------------------------------------------------------------

  /** Creates a partition of a partitioned table, e.g. `{ region: "US" }`. */
  async createPartition(
    path: TablePathLike,
    spec: Record<string, string>,
    options: { ignoreIfExists?: boolean } = {},
  ): Promise<void> {
    checkOptionNames(options, ["ignoreIfExists"], "createPartition");
    await this.call(ApiKey.CREATE_PARTITION, {
      tablePath: pbPath(toTablePath(path)),
      partitionSpec: pbSpec(spec),
      // field 3 is named ignore_if_not_exists in the .proto but means "ignore if it exists"
      ignoreIfNotExists: options.ignoreIfExists ?? false,
    });
  }

  /** Drops a partition. */
  async dropPartition(
    path: TablePathLike,
    spec: Record<string, string>,
    options: { ignoreIfNotExists?: boolean } = {},
  ): Promise<void> {
    checkOptionNames(options, ["ignoreIfNotExists"], "dropPartition");
    await this.call(ApiKey.DROP_PARTITION, {
      tablePath: pbPath(toTablePath(path)),
      partitionSpec: pbSpec(spec),
      ignoreIfNotExists: options.ignoreIfNotExists ?? false,
    });
  }

  /** Partitions of a table, optionally only those matching a partial spec. */
  async listPartitionInfos(path: TablePathLike, partialSpec?: Record<string, string>): Promise<PartitionInfo[]> {
    const resp = await this.call(ApiKey.LIST_PARTITION_INFOS, {
      tablePath: pbPath(toTablePath(path)),
      ...(partialSpec ? { partialPartitionSpec: pbSpec(partialSpec) } : {}),
    });
    return resp.partitionsInfo.map(
      (p) =>
        new PartitionInfo(p.partitionId, Object.fromEntries(p.partitionSpec.partitionKeyValues.map((kv) => [kv.key, kv.value]))),
    );
  }

  // ---- offsets -----------------------------------------------------------------------

  /**
   * Offsets of buckets: `OffsetSpec.earliest()`, `latest()` (the high watermark) or
   * `timestamp(ms)`. Returns bucket id → offset. For partitioned tables pass `partitionName`.
   */
  async listOffsets(
    path: TablePathLike,
    bucketIds: readonly number[],
    spec: OffsetSpec,
    options: { partitionName?: string } = {},
  ): Promise<Record<number, number>> {
    checkOptionNames(options, ["partitionName"], "listOffsets");
    const p = toTablePath(path);
    const info = await this.getTableInfo(p);
    let partitionId: number | undefined;
    if (info.isPartitioned) {
      if (options.partitionName === undefined) {
        throw FlussError.client(`table ${p.toString()} is partitioned: pass { partitionName } to listOffsets`);
      }
      partitionId = await this.resolvePartitionId(p, info.tableId, options.partitionName);
    } else if (options.partitionName !== undefined) {
      throw new FlussError(ErrorCode.TABLE_NOT_PARTITIONED_EXCEPTION, `table ${p.toString()} is not partitioned`);
    }
    for (const b of bucketIds) {
      if (!Number.isInteger(b) || b < 0 || b >= info.numBuckets) {
        throw FlussError.client(`bucket ${b} does not exist: table ${p.toString()} has ${info.numBuckets} bucket(s)`);
      }
    }
    return this.listOffsetsById(p, info.tableId, partitionId, bucketIds, spec);
  }

  /** Same as {@link listOffsets} for a partition given by name. */
  async listPartitionOffsets(
    path: TablePathLike,
    partitionName: string,
    bucketIds: readonly number[],
    spec: OffsetSpec,
  ): Promise<Record<number, number>> {
    return this.listOffsets(path, bucketIds, spec, { partitionName });
  }

  /**
   * @internal ListOffsets by ids, grouped per bucket leader. The leaders are refreshed
   * before each call, as Java does (FlussAdmin.java:593), so a leader that moved or died is
   * not asked again and again; a bucket answered with NOT_LEADER_OR_FOLLOWER,
   * UNKNOWN_TABLE_OR_BUCKET or LEADER_NOT_AVAILABLE, or a leader that cannot be reached,
   * invalidates the metadata and is asked once more after another refresh.
   */
  async listOffsetsById(
    path: TablePath,
    tableId: number,
    partitionId: number | undefined,
    bucketIds: readonly number[],
    spec: OffsetSpec,
    /**
     * `always` (admin calls, as Java): refresh the leaders first. `ifUnknown` (a scanner's
     * LATEST, one round trip while the leaders are known): refresh only when a leader is
     * not cached; every failure below invalidates them, so the retry refreshes anyway.
     */
    refresh: "always" | "ifUnknown" = "always",
  ): Promise<Record<number, number>> {
    const result: Record<number, number> = {};
    let todo = [...bucketIds];
    for (let attempt = 0; ; attempt++) {
      if (attempt > 0 || refresh === "always" || todo.some((b) => !this.metadata.leaderFor(tableId, partitionId, b))) {
        if (partitionId === undefined) await this.metadata.updateTables([path]);
        else await this.metadata.updatePartitions(path, { ids: [partitionId] });
      }
      const retry: number[] = [];
      let lastError: FlussError | undefined;
      const leaders = new Map<NodeAddress, number[]>();
      for (const b of todo) {
        const leader = this.metadata.leaderFor(tableId, partitionId, b);
        if (!leader) {
          lastError = new FlussError(
            ErrorCode.LEADER_NOT_AVAILABLE_EXCEPTION,
            `listOffsets of ${path.toString()}: no leader known for bucket ${b}`,
          );
          retry.push(b);
        } else leaders.set(leader, [...(leaders.get(leader) ?? []), b]);
      }
      await Promise.all(
        [...leaders].map(async ([node, buckets]) => {
          let resp;
          try {
            const conn = await this.rpc.connection(node);
            resp = await conn.request(ApiKey.LIST_OFFSETS, {
              followerServerId: -1,
              offsetType: spec.type,
              tableId,
              ...(partitionId !== undefined ? { partitionId } : {}),
              bucketId: buckets,
              ...(spec.timestamp !== undefined ? { startTimestamp: spec.timestamp } : {}),
            });
          } catch (err) {
            if (!(err instanceof FlussError) || !REFRESH_LIST_OFFSETS.has(err.code)) throw err;
            lastError = new FlussError(
              err.code,
              `listOffsets of ${path.toString()} from tablet server ${node.id} (${node.host}:${node.port}): ${err.message}`,
              { cause: err },
            );
            retry.push(...buckets);
            return;
          }
          for (const b of resp.bucketsResp) {
            if (b.errorCode !== undefined && b.errorCode !== ErrorCode.NONE) {
              const err = new FlussError(
                b.errorCode,
                `listOffsets of ${path.toString()} bucket ${b.bucketId}: ${b.errorMessage ?? ""}`,
              );
              if (!REFRESH_LIST_OFFSETS.has(b.errorCode)) throw err;
              lastError = err;
              retry.push(b.bucketId);
              continue;
            }
            if (b.offset === undefined) {
              throw new FlussError(ErrorCode.UNKNOWN_SERVER_ERROR, `no offset returned for bucket ${b.bucketId}`);
            }
            result[b.bucketId] = b.offset;
          }
        }),
      );
      if (retry.length === 0) return result;
      this.metadata.invalidate(tableId, partitionId);
      if (attempt >= 1) throw lastError!;
      await sleep(COORDINATOR_RETRY_BACKOFF_MS);
      todo = retry;
    }
  }

  /** @internal Partition id by name (refreshing metadata). */
  async resolvePartitionId(path: TablePath, tableId: number, partitionName: string): Promise<number> {
    let id = this.metadata.partitionId(tableId, partitionName);
    if (id === undefined) {
      await this.metadata.updatePartitions(path, { names: [partitionName] });
      id = this.metadata.partitionId(tableId, partitionName);
    }
    if (id === undefined) {
      throw new FlussError(ErrorCode.PARTITION_NOT_EXISTS, `partition "${partitionName}" of ${path.toString()} does not exist`);
    }
    return id;
  }

  // ---- cluster -----------------------------------------------------------------------

  /** The coordinator and every alive tablet server. */
  async getServerNodes(): Promise<ServerNode[]> {
    await this.metadata.refreshServers();
    const snap = this.metadata.snapshot();
    const nodes: ServerNode[] = [];
    if (snap.coordinator)
      nodes.push(
        new ServerNode(snap.coordinator.id, snap.coordinator.host, snap.coordinator.port, "COORDINATOR", snap.coordinator.rack),
      );
    for (const t of snap.tabletServers) nodes.push(new ServerNode(t.id, t.host, t.port, "TABLET_SERVER", t.rack));
    return nodes;
  }

  // ---- database changes --------------------------------------------------------------

  /**
   * Changes a database's custom properties and comment (Java `Admin.alterDatabase`):
   * `DatabaseChange.set(key, value)`, `DatabaseChange.reset(key)`,
   * `DatabaseChange.updateComment(text)` (`""` removes the comment). Fails with
   * DATABASE_NOT_EXIST unless `ignoreIfNotExists`. Changes that change nothing leave the
   * database (and its modified time) as it was.
   */
  async alterDatabase(
    name: string,
    changes: readonly DatabaseChange[],
    options: { ignoreIfNotExists?: boolean } = {},
  ): Promise<void> {
    checkOptionNames(options, ["ignoreIfNotExists"], "alterDatabase");
    TablePath.validateName(name, "database"); // Java TablePath.validateDatabaseName: names and the "__" prefix
    if (!Array.isArray(changes))
      throw FlussError.client(`alterDatabase needs an array of DatabaseChange, got ${describeArg(changes)}`);
    const configChanges: PbAlterConfig[] = [];
    let comment: string | undefined;
    for (const c of changes as readonly unknown[]) {
      const ch = c as Partial<Record<string, unknown>> | null;
      if (ch?.type === "set" && typeof ch.key === "string" && typeof ch.value === "string") {
        configChanges.push({ configKey: ch.key, configValue: ch.value, opType: 0 });
      } else if (ch?.type === "reset" && typeof ch.key === "string") {
        configChanges.push({ configKey: ch.key, opType: 1 });
      } else if (ch?.type === "updateComment" && typeof ch.comment === "string") {
        comment = ch.comment;
      } else {
        throw FlussError.client(
          `alterDatabase: ${describeArg(c)} is not a DatabaseChange (use DatabaseChange.set(key, value), reset(key) or updateComment(text))`,
        );
      }
    }
    await this.call(ApiKey.ALTER_DATABASE, {
      databaseName: name,
      ignoreIfNotExists: options.ignoreIfNotExists ?? false,
      configChanges,
      ...(comment !== undefined ? { comment } : {}),
    });
  }

  // ---- cluster configs and health ----------------------------------------------------

  /**
   * The server options of the cluster (Java `Admin.describeClusterConfigs`): those it
   * started with (INITIAL_SERVER_CONFIG) unless overridden, and the dynamic ones set by
   * {@link alterClusterConfigs} (DYNAMIC_SERVER_CONFIG).
   */
  async describeClusterConfigs(): Promise<ConfigEntry[]> {
    const resp = await this.call(ApiKey.DESCRIBE_CLUSTER_CONFIGS, {});
    return resp.configs.map((c) => ({
      key: c.configKey,
      value: c.configValue,
      source: c.configSource === "DYNAMIC_SERVER_CONFIG" ? "DYNAMIC_SERVER_CONFIG" : "INITIAL_SERVER_CONFIG",
    }));
  }

  /**
   * Changes server options of the whole cluster at run time, persistently (Java
   * `Admin.alterClusterConfigs`). Only Fluss's dynamic options may change (e.g.
   * `kv.snapshot.interval`, `datalake.*`); any other key, or a value that does not parse as
   * the option's type, fails the whole call with CONFIG_EXCEPTION and changes nothing.
   */
  async alterClusterConfigs(changes: readonly AlterConfig[]): Promise<void> {
    if (!Array.isArray(changes))
      throw FlussError.client(`alterClusterConfigs needs an array of AlterConfig, got ${describeArg(changes)}`);
    const alterConfigs: PbAlterConfig[] = [];
    for (const c of changes as readonly AlterConfig[]) {
      if (typeof c?.key !== "string") throw FlussError.client(`alterClusterConfigs: ${describeArg(c)} has no string key`);
      checkOptionNames(c, ["key", "value", "opType"], `alterClusterConfigs change of ${c.key}`);
      const op = ALTER_CONFIG_OPS.indexOf(c.opType ?? "SET");
      if (op < 0) {
        throw FlussError.client(
          `alterClusterConfigs: opType of ${c.key} must be one of ${ALTER_CONFIG_OPS.join(", ")}, got ${describeArg(c.opType)}`,
        );
      }
      if (c.value !== undefined && typeof c.value !== "string") {
        throw FlussError.client(`alterClusterConfigs: value of ${c.key} must be a string, got ${describeArg(c.value)}`);
      }
      alterConfigs.push({ configKey: c.key, ...(c.value !== undefined ? { configValue: c.value } : {}), opType: op });
    }
    await this.call(ApiKey.ALTER_CLUSTER_CONFIGS, { alterConfigs });
  }

  /** Replica statistics and an overall status of the cluster (Java `Admin.getClusterHealth`). */
  async getClusterHealth(): Promise<ClusterHealth> {
    const r = await this.call(ApiKey.GET_CLUSTER_HEALTH, {});
    const status: ClusterHealthStatus = r.status === 0 ? "GREEN" : r.status === 1 ? "YELLOW" : r.status === 2 ? "RED" : "UNKNOWN";
    return {
      numReplicas: r.numReplicas,
      inSyncReplicas: r.inSyncReplicas,
      numLeaderReplicas: r.numLeaderReplicas,
      activeLeaderReplicas: r.activeLeaderReplicas,
      status,
    };
  }

  // ---- table stats and snapshots -----------------------------------------------------

  /**
   * Row counts of a table, in total and per bucket (Java `Admin.getTableStats`; the
   * buckets' leaders answer). Primary-key tables count live keys and fail with
   * INVALID_TABLE_EXCEPTION when `table.changelog.image` is WAL (no row count kept); log
   * tables count the records between log start and high watermark.
   */
  async getTableStats(path: TablePathLike): Promise<TableStats> {
    const p = toTablePath(path);
    const info = await this.getTableInfo(p);
    const scopes: (number | undefined)[] = info.isPartitioned
      ? (await this.listPartitionInfos(p)).map((x) => x.partitionId)
      : [undefined];
    const buckets: BucketStats[] = [];
    for (const partitionId of scopes) {
      const ids = Array.from({ length: info.numBuckets }, (_, b) => b);
      buckets.push(...(await this.bucketStats(p, info.tableId, partitionId, ids)));
    }
    return { rowCount: buckets.reduce((n, b) => n + b.rowCount, 0), buckets };
  }

  /** GetTableStats of one table or partition, by leader, with one retry after a refresh for stale leaders. */
  private async bucketStats(
    path: TablePath,
    tableId: number,
    partitionId: number | undefined,
    bucketIds: readonly number[],
  ): Promise<BucketStats[]> {
    const out = new Map<number, BucketStats>();
    let todo = [...bucketIds];
    for (let attempt = 0; ; attempt++) {
      if (partitionId === undefined) await this.metadata.updateTables([path]);
      else await this.metadata.updatePartitions(path, { ids: [partitionId] });
      const byLeader = new Map<NodeAddress, number[]>();
      const retry: number[] = [];
      let lastError: FlussError | undefined;
      for (const b of todo) {
        const leader = this.metadata.leaderFor(tableId, partitionId, b);
        if (!leader) {
          retry.push(b);
          lastError = new FlussError(
            ErrorCode.LEADER_NOT_AVAILABLE_EXCEPTION,
            `getTableStats of ${path.toString()}: no leader known for bucket ${b}`,
          );
        } else byLeader.set(leader, [...(byLeader.get(leader) ?? []), b]);
      }
      await Promise.all(
        [...byLeader].map(async ([node, buckets]) => {
          let resp;
          try {
            const conn = await this.rpc.connection(node);
            resp = await conn.request(ApiKey.GET_TABLE_STATS, {
              tableId,
              bucketsReq: buckets.map((bucketId) => ({ ...(partitionId !== undefined ? { partitionId } : {}), bucketId })),
              targetColumns: [],
            });
          } catch (err) {
            if (!(err instanceof FlussError) || !REFRESH_LIST_OFFSETS.has(err.code)) throw err;
            lastError = err;
            retry.push(...buckets);
            return;
          }
          for (const b of resp.bucketsResp) {
            if (b.errorCode !== undefined && b.errorCode !== ErrorCode.NONE) {
              const where = `${path.toString()}${b.partitionId !== undefined ? ` partition ${b.partitionId}` : ""} bucket ${b.bucketId}`;
              const err = new FlussError(b.errorCode, `getTableStats of ${where}: ${b.errorMessage ?? ""}`);
              if (!REFRESH_LIST_OFFSETS.has(b.errorCode)) throw err;
              lastError = err;
              retry.push(b.bucketId);
              continue;
            }
            out.set(b.bucketId, {
              ...(partitionId !== undefined ? { partitionId } : {}),
              bucket: b.bucketId,
              rowCount: b.rowCount ?? 0,
            });
          }
        }),
      );
      if (retry.length === 0) return bucketIds.map((b) => out.get(b)!);
      this.metadata.invalidate(tableId, partitionId);
      if (attempt >= 1) throw lastError!;
      await sleep(COORDINATOR_RETRY_BACKOFF_MS);
      todo = retry;
    }
  }

  /**
   * The latest KV snapshot of each bucket of a primary-key table, or of one of its
   * partitions (Java `Admin.getLatestKvSnapshots`). A bucket without a snapshot has neither
   * `snapshotId` nor `logOffset`. Errors: TABLE_NOT_EXIST, NON_PRIMARY_KEY_TABLE_EXCEPTION,
   * PARTITION_NOT_EXISTS (missing partition, or no partition name for a partitioned table),
   * TABLE_NOT_PARTITIONED_EXCEPTION (a partition name for a table without partitions).
   */
  async getLatestKvSnapshots(path: TablePathLike, partitionName?: string): Promise<KvSnapshots> {
    const p = toTablePath(path);
    const r = await this.call(ApiKey.GET_LATEST_KV_SNAPSHOTS, {
      tablePath: pbPath(p),
      ...(partitionName !== undefined ? { partitionName } : {}),
    });
    return {
      tableId: r.tableId,
      ...(r.partitionId !== undefined ? { partitionId: r.partitionId } : {}),
      buckets: r.latestSnapshots.map((s) => ({
        bucket: s.bucketId,
        ...(s.snapshotId !== undefined ? { snapshotId: s.snapshotId } : {}),
        ...(s.logOffset !== undefined ? { logOffset: s.logOffset } : {}),
      })),
    };
  }

  /**
   * The KV snapshot ids the cluster still keeps per bucket (the retained ones and those
   * leased), for a table or one of its partitions, by id as Java's `Admin.listKvSnapshots`.
   * Errors: TABLE_NOT_EXIST, PARTITION_NOT_EXISTS (also for a partition of another table).
   */
  async listKvSnapshots(tableId: number, partitionId?: number): Promise<ActiveKvSnapshots> {
    for (const [what, v] of [
      ["tableId", tableId],
      ["partitionId", partitionId],
    ] as const) {
      if (v !== undefined && !Number.isSafeInteger(v))
        throw FlussError.client(`listKvSnapshots: ${what} must be an integer, got ${describeArg(v)}`);
    }
    const r = await this.call(ApiKey.LIST_KV_SNAPSHOTS, { tableId, ...(partitionId !== undefined ? { partitionId } : {}) });
    const byBucket: Record<number, number[]> = {};
    for (const s of r.activeSnapshots) {
      if (s.snapshotId !== undefined) (byBucket[s.bucketId] ??= []).push(s.snapshotId);
    }
    return {
      tableId: r.tableId,
      ...(r.partitionId !== undefined ? { partitionId: r.partitionId } : {}),
      snapshotIdsByBucket: byBucket,
    };
  }

  /**
   * The files and changelog offset of one KV snapshot of a bucket (Java
   * `Admin.getKvSnapshotMetadata`): the bucket's state as of the snapshot is in the files,
   * later changes in its changelog from `logOffset` on. Snapshot ids count 0, 1, 2, ... per
   * bucket (see {@link getLatestKvSnapshots}, {@link listKvSnapshots}). KV_SNAPSHOT_NOT_EXIST
   * when the bucket has no such snapshot (also for an unknown table, partition or bucket, as Java).
   */
  async getKvSnapshotMetadata(bucket: TableBucketLike, snapshotId: number): Promise<KvSnapshotMetadata> {
    const ints = [bucket?.tableId, bucket?.bucket, bucket?.partitionId ?? 0, snapshotId];
    if (!ints.every((v) => Number.isSafeInteger(v))) {
      throw FlussError.client(
        `getKvSnapshotMetadata needs a { tableId, partitionId?, bucket } and a snapshot id of integers, got ${describeArg(bucket)} and ${describeArg(snapshotId)}`,
      );
    }
    const r = await this.call(ApiKey.GET_KV_SNAPSHOT_METADATA, {
      tableId: bucket.tableId,
      ...(bucket.partitionId !== undefined ? { partitionId: bucket.partitionId } : {}),
      bucketId: bucket.bucket,
      snapshotId,
    });
    return {
      snapshotFiles: r.snapshotFiles.map((f) => ({ path: f.remotePath, fileName: f.localFileName })),
      logOffset: r.logOffset,
    };
  }

  /**
   * A lease on KV snapshots under `leaseId` lasting `leaseDurationMs` from each acquire or
   * renew (Java `Admin.createKvSnapshotLease`). Nothing is sent until the lease is used:
   * `lease.acquireSnapshots([...])` has the cluster keep those snapshots until they are
   * released, the lease is dropped, or it expires.
   */
  createKvSnapshotLease(leaseId: string, leaseDurationMs: number): KvSnapshotLease {
    if (typeof leaseId !== "string")
      throw FlussError.client(`createKvSnapshotLease: leaseId must be a string, got ${describeArg(leaseId)}`);
    if (!Number.isSafeInteger(leaseDurationMs)) {
      throw FlussError.client(
        `createKvSnapshotLease: leaseDurationMs must be an integer number of ms, got ${describeArg(leaseDurationMs)}`,
      );
    }
    return KvSnapshotLease.create(leaseId, leaseDurationMs, (apiKey, request) => this.call(apiKey, request));
  }

  /**
   * The latest snapshot of the table's data in its lake (Java `Admin.getLatestLakeSnapshot`):
   * its id and the log offset tiered per bucket. LAKE_SNAPSHOT_NOT_EXIST when nothing was
   * tiered yet (always on the local cluster, which has no lake), TABLE_NOT_EXIST.
   */
  async getLatestLakeSnapshot(path: TablePathLike): Promise<LakeSnapshot> {
    return this.lakeSnapshot(toTablePath(path), {});
  }

  /** A lake snapshot by id (Java `Admin.getLakeSnapshot`); errors as {@link getLatestLakeSnapshot}. */
  async getLakeSnapshot(path: TablePathLike, snapshotId: number): Promise<LakeSnapshot> {
    return this.lakeSnapshot(toTablePath(path), { snapshotId });
  }

  /**
   * The latest lake snapshot that is safe to union-read with the log (Java
   * `Admin.getReadableLakeSnapshot`); errors as {@link getLatestLakeSnapshot}.
   */
  async getReadableLakeSnapshot(path: TablePathLike): Promise<LakeSnapshot> {
    return this.lakeSnapshot(toTablePath(path), { readable: true });
  }

  private async lakeSnapshot(p: TablePath, extra: { snapshotId?: number; readable?: boolean }): Promise<LakeSnapshot> {
    const r = await this.call(ApiKey.GET_LAKE_SNAPSHOT, { tablePath: pbPath(p), ...extra });
    return {
      snapshotId: r.snapshotId,
      tableBucketsOffset: r.bucketSnapshots.map((b) => ({
        tableId: r.tableId,
        ...(b.partitionId !== undefined ? { partitionId: b.partitionId } : {}),
        bucket: b.bucketId,
        offset: b.logOffset,
      })),
    };
  }

  // ---- producer offsets --------------------------------------------------------------

  /**
   * Registers the offsets an exactly-once producer starts from, unless it already has a
   * snapshot that has not expired (Java `Admin.registerProducerOffsets`: atomic "check and
   * register"; `"CREATED"` or `"ALREADY_EXISTS"`, the existing snapshot then unchanged). The
   * snapshot expires after `ttlMs` (default: the cluster's `coordinator.producer-offsets.ttl`,
   * 24 h). INVALID_PRODUCER_ID_EXCEPTION for ids that are not valid names (letters, digits,
   * `_`, `-`).
   */
  async registerProducerOffsets(
    producerId: string,
    offsets: readonly ProducerBucketOffset[],
    options: { ttlMs?: number } = {},
  ): Promise<RegisterResult> {
    checkOptionNames(options, ["ttlMs"], "registerProducerOffsets");
    checkProducerId(producerId, "registerProducerOffsets");
    if (options.ttlMs !== undefined && !Number.isSafeInteger(options.ttlMs)) {
      throw FlussError.client(
        `registerProducerOffsets: ttlMs must be an integer number of ms, got ${describeArg(options.ttlMs)}`,
      );
    }
    if (!Array.isArray(offsets))
      throw FlussError.client(`registerProducerOffsets needs an array of offsets, got ${describeArg(offsets)}`);
    for (const o of offsets as readonly ProducerBucketOffset[]) {
      const ints = [o?.tableId, o?.bucket, o?.offset, o?.partitionId ?? 0];
      if (!ints.every((v) => Number.isSafeInteger(v))) {
        throw FlussError.client(
          `registerProducerOffsets: ${describeArg(o)} is not a { tableId, partitionId?, bucket, offset } of integers`,
        );
      }
    }
    const r = await this.call(ApiKey.REGISTER_PRODUCER_OFFSETS, {
      producerId,
      tableOffsets: producerTableOffsets(offsets),
      ...(options.ttlMs !== undefined ? { ttlMs: options.ttlMs } : {}),
    });
    return (r.result ?? 0) === 1 ? "ALREADY_EXISTS" : "CREATED";
  }

  /**
   * The offsets registered for a producer, or null when it has none (Java
   * `Admin.getProducerOffsets`). An expired snapshot is returned until the cluster's
   * cleanup removes it (check `expirationTime`).
   */
  async getProducerOffsets(producerId: string): Promise<ProducerOffsets | null> {
    checkProducerId(producerId, "getProducerOffsets");
    const r = await this.call(ApiKey.GET_PRODUCER_OFFSETS, { producerId });
    if (r.producerId === undefined) return null;
    const offsets: ProducerBucketOffset[] = [];
    for (const t of r.tableOffsets) {
      for (const b of t.bucketOffsets) {
        offsets.push({
          tableId: t.tableId,
          ...(b.partitionId !== undefined ? { partitionId: b.partitionId } : {}),
          bucket: b.bucketId,
          offset: b.logEndOffset ?? 0,
        });
      }
    }
    return { producerId: r.producerId, expirationTime: r.expirationTime ?? 0, offsets };
  }

  /** Deletes a producer's registered offsets; nothing happens when it has none (Java `Admin.deleteProducerOffsets`). */
  async deleteProducerOffsets(producerId: string): Promise<void> {
    checkProducerId(producerId, "deleteProducerOffsets");
    await this.call(ApiKey.DELETE_PRODUCER_OFFSETS, { producerId });
  }

  // ---- ACLs --------------------------------------------------------------------------

  /**
   * Adds ACLs, e.g. `{ resourceType: "TABLE", resourceName: "db.t", principal: "User:alice",
   * operation: "READ" }`. Needs ALL on the resource (on its database for a table). Throws
   * the first refused ACL's FlussError.
   */
  async createAcls(acls: readonly AclBinding[]): Promise<void> {
    await acl.createAcls((k, r) => this.call(k, r), acls);
  }

  /** The ACLs matching `filter` (default: all) on resources the caller may DESCRIBE. */
  async listAcls(filter: AclBindingFilter = {}): Promise<AclBindingInfo[]> {
    return acl.listAcls((k, r) => this.call(k, r), filter);
  }

  /** Removes the ACLs matching any of `filters`; resolves with the ACLs removed. */
  async dropAcls(filters: readonly AclBindingFilter[]): Promise<AclBindingInfo[]> {
    return acl.dropAcls((k, r) => this.call(k, r), filters);
  }
}

const ALTER_CONFIG_OPS: readonly AlterConfigOpType[] = ["SET", "DELETE", "APPEND", "SUBTRACT"];

function checkProducerId(producerId: unknown, what: string): void {
  // Java checkNotNull; the server checks the name rules (INVALID_PRODUCER_ID_EXCEPTION)
  if (typeof producerId !== "string")
    throw FlussError.client(`${what}: producerId must be a string, got ${describeArg(producerId)}`);
}

export { OffsetSpec };
