import { ApiKey, type MessageApiKey, type RequestOf, type ResponseOf } from "../rpc/api-keys.js";
import { ErrorCode, FlussError } from "../rpc/errors.js";
import type { PbPartitionSpec, PbTablePath } from "../rpc/messages.js";
import { utf8Decode, utf8Encode } from "../util/bytes.js";
import { TablePath } from "../metadata/table-path.js";
import { TableInfo } from "../metadata/table-info.js";
import { TableDescriptor } from "../metadata/table-descriptor.js";
import { checkOptionNames, describeArg } from "../metadata/argument-checks.js";
import { type DatabaseDescriptor, DatabaseInfo } from "../metadata/database.js";
import { PartitionInfo } from "../metadata/partition.js";
import { ServerNode } from "../metadata/cluster.js";
import { databaseDescriptorFromJson, databaseDescriptorToJson, tableDescriptorToJson } from "../metadata/json.js";
import type { MetadataUpdater, NodeAddress } from "./metadata.js";
import type { RpcClient } from "./rpc-client.js";
import { OffsetSpec } from "./offsets.js";
import { sleep } from "./retry.js";
import * as acl from "./acl-admin.js";
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

export { OffsetSpec };
