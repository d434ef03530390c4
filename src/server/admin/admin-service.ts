/**
 * The rest of the admin API on the local cluster, with Java's checks, codes and messages:
 * AlterDatabase, cluster configs and health, table stats, KV snapshots, lake snapshots
 * (a cluster without a lake has none) and producer offsets.
 */
import { leaseSnapshots, leaseTables } from "../../rpc/kv-snapshot-leases.js";
import * as path from "node:path";
import { ApiKey } from "../../rpc/api-keys.js";
import { ErrorCode, FlussError } from "../../rpc/errors.js";
import * as M from "../../rpc/messages.js";
import { producerTableOffsets } from "../../rpc/producer-offsets.js";
import { databaseDescriptorFromJson, databaseDescriptorToJson } from "../../metadata/json.js";
import { javaHashMapOrder } from "../../metadata/java-json.js";
import { DatabaseDescriptor } from "../../metadata/database.js";
import { typedHandler } from "../handler.js";
import type { RawHandler } from "../rpc-server.js";
import type { ServerState } from "../server-state.js";
import { pathOf, tableView, type TableView } from "../table-view.js";
import { requireTable } from "../coordinator-service.js";
import { resolveBucket } from "../tablet-service.js";
import { kvTableOf } from "../kv/kv-table.js";
import { listSnapshots, listSnapshotsSync, type SnapshotEntry } from "../kv/kv-snapshot.js";
import { tableBucketName } from "../storage/log-manager.js";
import type { LeasedSnapshot } from "./kv-snapshot-leases.js";
import { AlterConfigOp } from "./dynamic-config.js";
import { storageError } from "../storage/storage-errors.js";
import type { ProducerBucketOffset } from "./producer-offsets.js";

/** `GetClusterHealthResponse.status` (Java PbClusterHealthStatus). */
const HEALTH = { GREEN: 0, YELLOW: 1, RED: 2 } as const;

/** The handlers of this file, by api key (roles filter them by Java's key sets). */
export function adminHandlers(state: ServerState): Map<number, RawHandler> {
  const h = new Map<number, RawHandler>();
  const { catalog } = state;

  // ------------------------------------------------------------ databases

  h.set(
    ApiKey.ALTER_DATABASE,
    typedHandler(M.AlterDatabaseRequest, M.AlterDatabaseResponse, (req) => {
      // ServerRpcMessageUtils.toDatabaseChanges: converted before the database is looked up
      const set = new Map<string, string>();
      const reset = new Set<string>();
      for (const c of req.configChanges) {
        if (c.opType === AlterConfigOp.SET) {
          if (c.configValue === undefined) throw unknownServerError("Field 'config_value' is not set");
          set.set(c.configKey, c.configValue);
        } else if (c.opType === AlterConfigOp.DELETE) {
          reset.add(c.configKey);
        } else {
          const why =
            c.opType === AlterConfigOp.APPEND || c.opType === AlterConfigOp.SUBTRACT
              ? `Unsupported alter database configs op type ${c.opType}`
              : `Unsupported AlterConfigOpType: ${c.opType}`;
          throw unknownServerError(why);
        }
      }
      const db = catalog.getDatabase(req.databaseName);
      if (!db) {
        if (req.ignoreIfNotExists) return {};
        throw new FlussError(ErrorCode.DATABASE_NOT_EXIST, `Database ${req.databaseName} not exists.`);
      }
      // MetadataManager.getUpdatedDatabaseDescriptor
      const current = databaseDescriptorFromJson(db.databaseJson);
      const props: Record<string, string> = { ...current.customProperties };
      for (const [k, v] of set) props[k] = v;
      for (const k of reset) delete props[k];
      const unchanged =
        Object.keys(props).length === Object.keys(current.customProperties).length &&
        Object.entries(props).every(([k, v]) => current.customProperties[k] === v);
      if (unchanged && req.comment === undefined) return {};
      const comment = req.comment !== undefined ? (req.comment === "" ? undefined : req.comment) : current.comment;
      const next = new DatabaseDescriptor({
        ...(comment !== undefined ? { comment } : {}),
        customProperties: javaHashMapOrder(props),
      });
      catalog.alterDatabase(req.databaseName, databaseDescriptorToJson(next));
      return {};
    }),
  );

  // ------------------------------------------------------------ cluster

  h.set(
    ApiKey.DESCRIBE_CLUSTER_CONFIGS,
    typedHandler(M.DescribeClusterConfigsRequest, M.DescribeClusterConfigsResponse, () => ({
      configs: state.clusterConfigs.describe().map((c) => ({ configKey: c.key, configValue: c.value, configSource: c.source })),
    })),
  );

  h.set(
    ApiKey.ALTER_CLUSTER_CONFIGS,
    typedHandler(M.AlterClusterConfigsRequest, M.AlterClusterConfigsResponse, (req) => {
      if (req.alterConfigs.length === 0) return {};
      const changes = req.alterConfigs.map((c) => {
        // AlterConfigOpType.from, in CoordinatorService before the change is queued
        if (!Number.isInteger(c.opType) || c.opType < 0 || c.opType > 3) {
          throw unknownServerError(`Unsupported AlterConfigOpType: ${c.opType}`);
        }
        return { key: c.configKey, opType: c.opType, ...(c.configValue !== undefined ? { value: c.configValue } : {}) };
      });
      state.clusterConfigs.alter(changes);
      return {};
    }),
  );

  h.set(
    ApiKey.GET_CLUSTER_HEALTH,
    typedHandler(M.GetClusterHealthRequest, M.GetClusterHealthResponse, () => clusterHealth(state)),
  );

  // ------------------------------------------------------------ tables

  h.set(
    ApiKey.GET_TABLE_STATS,
    typedHandler(M.GetTableStatsRequest, M.GetTableStatsResponse, async (req) => ({
      bucketsResp: await Promise.all(req.bucketsReq.map((b) => bucketStats(state, req.tableId, b.partitionId, b.bucketId))),
    })),
  );

  h.set(
    ApiKey.GET_LATEST_KV_SNAPSHOTS,
    typedHandler(M.GetLatestKvSnapshotsRequest, M.GetLatestKvSnapshotsResponse, async (req) => {
      // RpcServiceBase.getLatestKvSnapshots
      const t = tableView(requireTable(state, req.tablePath));
      const name = pathOf(req.tablePath);
      const hasName = req.partitionName !== undefined;
      if (!t.hasPrimaryKey) {
        throw new FlussError(
          ErrorCode.NON_PRIMARY_KEY_TABLE_EXCEPTION,
          `Table '${name}' is not a primary key table, so it doesn't have any kv snapshots.`,
        );
      } else if (hasName && !t.isPartitioned) {
        throw new FlussError(ErrorCode.TABLE_NOT_PARTITIONED_EXCEPTION, `Table '${name}' is not a partitioned table.`);
      } else if (!hasName && t.isPartitioned) {
        throw new FlussError(
          ErrorCode.PARTITION_NOT_EXISTS,
          `Table '${name}' is a partitioned table, but partition name is not provided.`,
        );
      }
      let partitionId: number | undefined;
      if (hasName) {
        const p = catalog.getPartitionByName(t.tableId, req.partitionName!);
        if (!p) {
          throw new FlussError(
            ErrorCode.PARTITION_NOT_EXISTS,
            `The partition '${req.partitionName!}' of table '${name}' does not exist.`,
          );
        }
        partitionId = p.partitionId;
      }
      const latestSnapshots: M.PbKvSnapshot[] = [];
      for (let bucket = 0; bucket < t.bucketCount; bucket++) {
        const [latest] = await snapshotsOf(state, t.tableId, partitionId, bucket);
        latestSnapshots.push(
          latest === undefined ? { bucketId: bucket } : { bucketId: bucket, snapshotId: latest.id, logOffset: latest.offset },
        );
      }
      return { tableId: t.tableId, ...(partitionId !== undefined ? { partitionId } : {}), latestSnapshots };
    }),
  );

  h.set(
    ApiKey.LIST_KV_SNAPSHOTS,
    typedHandler(M.ListKvSnapshotsRequest, M.ListKvSnapshotsResponse, async (req) => {
      // CoordinatorService.listKvSnapshots / resolveNumBuckets / validatePartitionOwnership
      const entry = catalog.getTableById(req.tableId);
      if (req.partitionId !== undefined) {
        const p = catalog.getPartitionById(req.partitionId);
        if (!p) throw new FlussError(ErrorCode.PARTITION_NOT_EXISTS, `Partition ${req.partitionId} does not exist`);
        if (p.tableId !== req.tableId) {
          throw new FlussError(
            ErrorCode.PARTITION_NOT_EXISTS,
            `Partition ${req.partitionId} does not belong to table ${req.tableId}`,
          );
        }
      } else if (!entry) {
        throw new FlussError(ErrorCode.TABLE_NOT_EXIST, `Table ${req.tableId} does not exist`);
      }
      const activeSnapshots: M.PbKvSnapshot[] = [];
      // the snapshots kept (retained, or held by a lease until the next snapshot prunes them)
      // and those leases hold (CoordinatorService.listKvSnapshots merges both)
      const leased = state.kvSnapshotLeases.leasedIds(req.tableId, req.partitionId);
      const buckets = entry && tableView(entry).hasPrimaryKey ? tableView(entry).bucketCount : 0;
      for (let bucket = 0; bucket < Math.max(buckets, ...[...leased.keys()].map((b) => b + 1)); bucket++) {
        const ids = new Set(leased.get(bucket));
        if (bucket < buckets) for (const e of await snapshotsOf(state, req.tableId, req.partitionId, bucket)) ids.add(e.id);
        for (const id of [...ids].sort((a, b) => a - b)) activeSnapshots.push({ bucketId: bucket, snapshotId: id });
      }
      return {
        tableId: req.tableId,
        ...(req.partitionId !== undefined ? { partitionId: req.partitionId } : {}),
        activeSnapshots,
      };
    }),
  );

  h.set(
    ApiKey.GET_KV_SNAPSHOT_METADATA,
    typedHandler(M.GetKvSnapshotMetadataRequest, M.GetKvSnapshotMetadataResponse, async (req) => {
      // RpcServiceBase.getKvSnapshotMetadata: every failure is KV_SNAPSHOT_NOT_EXIST
      const { tableId, partitionId, bucketId, snapshotId } = req;
      const name = tableBucketName(tableId, partitionId, bucketId);
      const dir = kvDir(state, tableId, partitionId, bucketId);
      let entry: SnapshotEntry | undefined;
      let why = "Kv snapshot not found";
      try {
        entry = (await listSnapshots(dir)).find((e) => e.id === snapshotId);
      } catch (e) {
        why = storageError("Listing KV snapshots", dir, e, ErrorCode.KV_STORAGE_EXCEPTION).message;
      }
      if (!entry) {
        throw new FlussError(
          ErrorCode.KV_SNAPSHOT_NOT_EXIST,
          `Failed to get kv snapshot metadata for table bucket ${name} and snapshot id ${snapshotId}. Error: ${why}`,
        );
      }
      // the whole state is one file (Java: the snapshot's private and shared files), named
      // by its path under the data dir and its file name (Java's FsPathAndFileName)
      return {
        logOffset: entry.offset,
        snapshotFiles: [{ remotePath: path.join(dir, entry.fileName), localFileName: entry.fileName }],
      };
    }),
  );

  // ------------------------------------------------------------ KV snapshot leases

  h.set(
    ApiKey.ACQUIRE_KV_SNAPSHOT_LEASE,
    typedHandler(M.AcquireKvSnapshotLeaseRequest, M.AcquireKvSnapshotLeaseResponse, (req) => {
      // CoordinatorService.acquireKvSnapshotLease
      for (const t of req.snapshotsToLease) validateKvTable(state, t.tableId);
      const wanted: LeasedSnapshot[] = leaseSnapshots(req.snapshotsToLease);
      // checked and taken in one synchronous step, so retention cannot remove it in between
      // (Java leaves the check to a TODO, fluss#2600, and takes any id)
      const exists = (s: LeasedSnapshot): boolean =>
        listSnapshotsSync(kvDir(state, s.tableId, s.partitionId, s.bucket)).some((e) => e.id === s.snapshotId);
      let unavailable: LeasedSnapshot[];
      try {
        unavailable = state.kvSnapshotLeases.acquire(req.leaseId, req.leaseDurationMs, wanted, exists);
      } catch (e) {
        throw unknownServerError(`Failed to acquire kv snapshot lease for${req.leaseId}`, e);
      }
      return { unavailableSnapshots: leaseTables(unavailable) };
    }),
  );

  h.set(
    ApiKey.RELEASE_KV_SNAPSHOT_LEASE,
    typedHandler(M.ReleaseKvSnapshotLeaseRequest, M.ReleaseKvSnapshotLeaseResponse, (req) => {
      // CoordinatorService.releaseKvSnapshotLease
      for (const b of req.bucketsToRelease) validateKvTable(state, b.tableId);
      const buckets = req.bucketsToRelease.map((b) => ({
        tableId: b.tableId,
        ...(b.partitionId !== undefined ? { partitionId: b.partitionId } : {}),
        bucket: b.bucketId,
      }));
      try {
        state.kvSnapshotLeases.release(req.leaseId, buckets);
      } catch (e) {
        throw unknownServerError(`Failed to release kv snapshot lease for${req.leaseId}`, e);
      }
      return {};
    }),
  );

  h.set(
    ApiKey.DROP_KV_SNAPSHOT_LEASE,
    typedHandler(M.DropKvSnapshotLeaseRequest, M.DropKvSnapshotLeaseResponse, (req) => {
      // CoordinatorService.dropKvSnapshotLease: an unknown lease is no error
      try {
        state.kvSnapshotLeases.drop(req.leaseId);
      } catch (e) {
        throw unknownServerError(`Failed to drop kv snapshot lease for${req.leaseId}`, e);
      }
      return {};
    }),
  );

  h.set(
    ApiKey.GET_LAKE_SNAPSHOT,
    typedHandler(M.GetLakeSnapshotRequest, M.GetLakeSnapshotResponse, (req) => {
      // RpcServiceBase.getLakeSnapshot: this cluster tiers nothing to a lake, so no table has a snapshot
      const readable = req.readable === true;
      if (readable && req.snapshotId !== undefined) {
        throw unknownServerError(
          "GetLakeSnapshotRequest cannot set both snapshot_id and readable=true; use one or the other to specify " +
            "either a snapshot by id or the latest readable snapshot.",
        );
      }
      const t = requireTable(state, req.tablePath);
      let msg = `Lake table ${readable ? "readable snapshot" : "snapshot"} doesn't exist for table: ${pathOf(req.tablePath)}, table id: ${t.tableId}`;
      if (!readable && req.snapshotId !== undefined) msg += `, snapshot id: ${req.snapshotId}`;
      throw new FlussError(ErrorCode.LAKE_SNAPSHOT_NOT_EXIST, msg);
    }),
  );

  // ------------------------------------------------------------ producer offsets

  h.set(
    ApiKey.REGISTER_PRODUCER_OFFSETS,
    typedHandler(M.RegisterProducerOffsetsRequest, M.RegisterProducerOffsetsResponse, (req) => {
      const offsets: ProducerBucketOffset[] = [];
      for (const t of req.tableOffsets) {
        for (const b of t.bucketOffsets) {
          if (b.logEndOffset === undefined) throw unknownServerError("Field 'log_end_offset' is not set");
          offsets.push({
            tableId: t.tableId,
            ...(b.partitionId !== undefined ? { partitionId: b.partitionId } : {}),
            bucket: b.bucketId,
            offset: b.logEndOffset,
          });
        }
      }
      const created = state.producerOffsets.register(req.producerId, offsets, req.ttlMs);
      return { result: created ? 0 : 1 };
    }),
  );

  h.set(
    ApiKey.GET_PRODUCER_OFFSETS,
    typedHandler(M.GetProducerOffsetsRequest, M.GetProducerOffsetsResponse, (req) => {
      const snap = state.producerOffsets.get(req.producerId);
      if (!snap) return { tableOffsets: [] };
      return {
        producerId: snap.producerId,
        expirationTime: snap.expirationTime,
        tableOffsets: producerTableOffsets(snap.offsets),
      };
    }),
  );

  h.set(
    ApiKey.DELETE_PRODUCER_OFFSETS,
    typedHandler(M.DeleteProducerOffsetsRequest, M.DeleteProducerOffsetsResponse, (req) => {
      state.producerOffsets.delete(req.producerId);
      return {};
    }),
  );

  return h;
}

function unknownServerError(message: string, cause?: unknown): FlussError {
  return new FlussError(ErrorCode.UNKNOWN_SERVER_ERROR, message, { retriable: false, ...(cause !== undefined ? { cause } : {}) });
}

/** CoordinatorService.validateKvTable (with getTablePathById's error for an unknown id). */
function validateKvTable(state: ServerState, tableId: number): void {
  const entry = state.catalog.getTableById(tableId);
  if (!entry) {
    throw new FlussError(
      ErrorCode.UNKNOWN_TABLE_OR_BUCKET_EXCEPTION,
      `This server coordinator does not know this table ID ${tableId}. This may happen when the table metadata cache in the server is not updated yet.`,
    );
  }
  if (!tableView(entry).hasPrimaryKey) {
    throw new FlussError(
      ErrorCode.NON_PRIMARY_KEY_TABLE_EXCEPTION,
      `Table '${entry.databaseName}.${entry.tableName}' is not a primary key table`,
    );
  }
}

/** The directory of a bucket's KV snapshot files. */
function kvDir(state: ServerState, tableId: number, partitionId: number | undefined, bucket: number): string {
  return path.join(state.logs.bucketDir(tableId, partitionId, bucket), "kv");
}

/** The snapshots of a bucket on disk, newest first. */
async function snapshotsOf(
  state: ServerState,
  tableId: number,
  partitionId: number | undefined,
  bucket: number,
): Promise<SnapshotEntry[]> {
  const dir = kvDir(state, tableId, partitionId, bucket);
  try {
    return await listSnapshots(dir);
  } catch (e) {
    throw storageError("Listing KV snapshots", dir, e, ErrorCode.KV_STORAGE_EXCEPTION);
  }
}

/** ReplicaManager.getTableStats for one bucket: its row count or its error. */
async function bucketStats(
  state: ServerState,
  tableId: number,
  partitionId: number | undefined,
  bucket: number,
): Promise<M.PbTableStatsRespForBucket> {
  const id = { ...(partitionId !== undefined ? { partitionId } : {}), bucketId: bucket };
  try {
    const t: TableView = resolveBucket(state, tableId, partitionId, bucket, "replica");
    if (t.hasPrimaryKey) {
      if (kvTableOf(t).changelogImage === "WAL") {
        // KvTablet.getRowCount (the missing space is Java's)
        throw new FlussError(
          ErrorCode.INVALID_TABLE_EXCEPTION,
          `Row count is disabled for this table '${pathOf(t)}'. This usually happens when the table is` +
            "created before v0.9 or the changelog image is set to WAL, as maintaining row count in WAL mode is " +
            "costly and not necessary for most use cases. If you want to enable row count, please set changelog image to FULL.",
        );
      }
      const kv = await state.kv.getOrCreate(t, partitionId, bucket);
      return { ...id, rowCount: kv.size };
    }
    const log = await state.logs.getOrCreate(tableId, partitionId, bucket);
    return { ...id, rowCount: log.highWatermark - log.logStartOffset };
  } catch (e) {
    const err = e instanceof FlussError ? e : unknownServerError(String(e));
    return { ...id, errorCode: err.code, errorMessage: err.message };
  }
}

/** CoordinatorService.computeClusterHealth over every bucket of every table and partition. */
function clusterHealth(state: ServerState): M.GetClusterHealthResponse {
  let numReplicas = 0;
  let inSyncReplicas = 0;
  let numLeaderReplicas = 0;
  let activeLeaderReplicas = 0;
  const leadership = state.node?.leadership;
  const count = (t: TableView, partitionId: number | undefined): void => {
    for (let b = 0; b < t.bucketCount; b++) {
      // one replica per bucket: its holder is the whole ISR, alive or not (Java keeps the
      // last replica in the ISR when its server dies)
      numReplicas += t.replicationFactor;
      inSyncReplicas += t.replicationFactor;
      numLeaderReplicas++;
      if (!leadership || leadership.leaderOf(t.tableId, partitionId, b).leader !== undefined) activeLeaderReplicas++;
    }
  };
  for (const db of state.catalog.listDatabases()) {
    for (const entry of state.catalog.listTables(db.name)) {
      const t = tableView(entry);
      if (!t.isPartitioned) count(t, undefined);
      else for (const p of state.catalog.listPartitions(t.tableId)) count(t, p.partitionId);
    }
  }
  const status =
    activeLeaderReplicas < numLeaderReplicas ? HEALTH.RED : inSyncReplicas < numReplicas ? HEALTH.YELLOW : HEALTH.GREEN;
  return { numReplicas, inSyncReplicas, numLeaderReplicas, activeLeaderReplicas, status };
}
