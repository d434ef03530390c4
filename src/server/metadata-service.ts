/**
 * The RPCs both roles serve about the cluster itself: ApiVersions and GetMetadata.
 */
import { ApiKey, clientVersionRange } from "../rpc/api-keys.js";
import { ErrorCode, FlussError } from "../rpc/errors.js";
import * as M from "../rpc/messages.js";
import { utf8Encode } from "../util/bytes.js";
import { requireTable } from "./coordinator-service.js";
import { typedHandler } from "./handler.js";
import type { RawHandler, RequestContext } from "./rpc-server.js";
import type { LeadershipView } from "./cluster/leadership.js";
import { COORDINATOR_ID, TABLET_SERVER_ID, type ServerState } from "./server-state.js";
import type { PartitionEntry, TableEntry } from "./storage/catalog-store.js";
import { pathOf, tableView } from "./table-view.js";

/**
 * ApiVersions listing every key in `served` with Java's min/max versions, and `serverType`
 * (Java `RpcServiceBase.apiVersions`). A single listener playing both roles omits
 * server_type on purpose: a Java client checks the type of its "cs-0"/"ts-0" connections
 * only when the field is present (protocol.md §12).
 */
export function apiVersionsHandler(served: () => Iterable<number>, serverType?: number): RawHandler {
  return typedHandler(M.ApiVersionsRequest, M.ApiVersionsResponse, () => {
    const keys = [...new Set([...served(), ApiKey.API_VERSIONS])].sort((a, b) => a - b);
    return {
      apiVersions: keys.map((apiKey) => {
        const r = clientVersionRange(apiKey);
        return { apiKey, minVersion: r.min, maxVersion: r.max };
      }),
      ...(serverType !== undefined ? { serverType } : {}),
    };
  });
}

/**
 * Buckets 0..n-1 with their leaders and epochs as `view` has them (no leader id while a
 * bucket has none, as Java's `toPbBucketMetadata`); without a view, all led by our one
 * tablet server at epoch 0.
 */
function bucketMetadata(
  bucketCount: number,
  view: LeadershipView | undefined,
  tableId: number,
  partitionId: number | undefined,
): M.PbBucketMetadata[] {
  const out: M.PbBucketMetadata[] = [];
  for (let b = 0; b < bucketCount; b++) {
    if (!view) {
      out.push({ bucketId: b, leaderId: TABLET_SERVER_ID, replicaId: [TABLET_SERVER_ID], leaderEpoch: 0 });
      continue;
    }
    const l = view.leaderOf(tableId, partitionId, b);
    out.push({
      bucketId: b,
      ...(l.leader !== undefined ? { leaderId: l.leader } : {}),
      replicaId: [l.replica],
      leaderEpoch: l.epoch,
    });
  }
  return out;
}

function tableMetadata(t: TableEntry, lv: LeadershipView | undefined, remoteDataDir: string | undefined): M.PbTableMetadata {
  const view = tableView(t);
  return {
    tablePath: { databaseName: t.databaseName, tableName: t.tableName },
    tableId: t.tableId,
    schemaId: t.schemaId,
    tableJson: utf8Encode(t.tableJson),
    // partitioned tables have their buckets in the partition metadata only
    bucketMetadata: view.isPartitioned ? [] : bucketMetadata(view.bucketCount, lv, t.tableId, undefined),
    createdTime: t.createdTime,
    modifiedTime: t.modifiedTime,
    ...(remoteDataDir !== undefined ? { remoteDataDir } : {}),
  };
}

function partitionMetadata(t: TableEntry, p: PartitionEntry, lv: LeadershipView | undefined): M.PbPartitionMetadata {
  return {
    tableId: t.tableId,
    partitionName: p.partitionName,
    partitionId: p.partitionId,
    bucketMetadata: bucketMetadata(tableView(t).bucketCount, lv, t.tableId, p.partitionId),
  };
}

/** GetMetadata, as Java's `RpcServiceBase.processMetadataRequest` answers it. */
export function metadataHandler(state: ServerState): RawHandler {
  const { catalog } = state;
  return typedHandler(M.MetadataRequest, M.MetadataResponse, (req, ctx: RequestContext) => {
    const node = (nodeId: number): M.PbServerNode => ({
      nodeId,
      host: ctx.localAddress.host,
      port: ctx.localAddress.port,
    });
    const tables = req.tablePath.map((p) => requireTable(state, p));
    const partitions = new Map<number, { table: TableEntry; partition: PartitionEntry }>();
    for (const pp of req.partitionsPath) {
      const physical = `${pathOf(pp)}(p=${pp.partitionName ?? "null"})`;
      const t = catalog.getTable(pp);
      const p = t && pp.partitionName !== undefined ? catalog.getPartitionByName(t.tableId, pp.partitionName) : undefined;
      if (!t) throw new FlussError(ErrorCode.TABLE_NOT_EXIST, `Table '${pathOf(pp)}' does not exist.`);
      if (!p) throw new FlussError(ErrorCode.PARTITION_NOT_EXISTS, `Table partition '${physical}' does not exist.`);
      partitions.set(p.partitionId, { table: t, partition: p });
    }
    // ids resolve only within the tables named in the same request, as in Java
    const requestedTableIds = new Set(tables.map((t) => t.tableId));
    for (const id of req.partitionsId) {
      const p = catalog.getPartitionById(id);
      const t = p && requestedTableIds.has(p.tableId) ? catalog.getTableById(p.tableId) : undefined;
      if (!p || !t) {
        throw new FlussError(
          ErrorCode.PARTITION_NOT_EXISTS,
          `The partition id '${id}' does not exist or you don't have permission to access it.`,
        );
      }
      partitions.set(p.partitionId, { table: t, partition: p });
    }
    const self = state.node;
    if (!self || self.role === "combined") {
      // one listener plays both roles: both advertised at the address the client reached
      const lv = self?.view();
      return {
        coordinatorServer: node(COORDINATOR_ID),
        tabletServers: lv && lv.aliveServers().length === 0 ? [] : [node(TABLET_SERVER_ID)],
        tableMetadata: tables.map((t) => tableMetadata(t, lv, state.remoteLogs?.remoteDataDir)),
        partitionMetadata: [...partitions.values()].map(({ table, partition }) => partitionMetadata(table, partition, lv)),
      };
    }
    // several listeners: every server at its own port, on the host this client reached
    const at = (nodeId: number, port: number): M.PbServerNode => ({ nodeId, host: ctx.localAddress.host, port });
    const lv = self.view();
    return {
      coordinatorServer: at(COORDINATOR_ID, self.coordinatorPort()),
      tabletServers: lv.aliveServers().map((id) => at(id, self.tabletServerPort(id))),
      tableMetadata: tables.map((t) => tableMetadata(t, lv, state.remoteLogs?.remoteDataDir)),
      partitionMetadata: [...partitions.values()].map(({ table, partition }) => partitionMetadata(table, partition, lv)),
    };
  });
}
