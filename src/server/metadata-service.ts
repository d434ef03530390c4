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
import { COORDINATOR_ID, TABLET_SERVER_ID, type ServerState } from "./server-state.js";
import type { PartitionEntry, TableEntry } from "./storage/catalog-store.js";
import { pathOf, tableView } from "./table-view.js";

/**
 * ApiVersions listing every key in `served` with Java's min/max versions. server_type is
 * omitted on purpose: one port plays both roles, and a Java client checks the type of its
 * "cs-0"/"ts-0" connections only when the field is present (protocol.md §12).
 */
export function apiVersionsHandler(served: () => Iterable<number>): RawHandler {
  return typedHandler(M.ApiVersionsRequest, M.ApiVersionsResponse, () => {
    const keys = [...new Set([...served(), ApiKey.API_VERSIONS])].sort((a, b) => a - b);
    return {
      apiVersions: keys.map((apiKey) => {
        const r = clientVersionRange(apiKey);
        return { apiKey, minVersion: r.min, maxVersion: r.max };
      }),
    };
  });
}

/** Buckets 0..n-1, all led by our one tablet server at epoch 0. */
function bucketMetadata(bucketCount: number): M.PbBucketMetadata[] {
  const out: M.PbBucketMetadata[] = [];
  for (let b = 0; b < bucketCount; b++) {
    out.push({ bucketId: b, leaderId: TABLET_SERVER_ID, replicaId: [TABLET_SERVER_ID], leaderEpoch: 0 });
  }
  return out;
}

function tableMetadata(t: TableEntry): M.PbTableMetadata {
  const view = tableView(t);
  return {
    tablePath: { databaseName: t.databaseName, tableName: t.tableName },
    tableId: t.tableId,
    schemaId: t.schemaId,
    tableJson: utf8Encode(t.tableJson),
    // partitioned tables have their buckets in the partition metadata only
    bucketMetadata: view.isPartitioned ? [] : bucketMetadata(view.bucketCount),
    createdTime: t.createdTime,
    modifiedTime: t.modifiedTime,
  };
}

function partitionMetadata(t: TableEntry, p: PartitionEntry): M.PbPartitionMetadata {
  return {
    tableId: t.tableId,
    partitionName: p.partitionName,
    partitionId: p.partitionId,
    bucketMetadata: bucketMetadata(tableView(t).bucketCount),
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
    return {
      coordinatorServer: node(COORDINATOR_ID),
      tabletServers: [node(TABLET_SERVER_ID)],
      tableMetadata: tables.map(tableMetadata),
      partitionMetadata: [...partitions.values()].map(({ table, partition }) => partitionMetadata(table, partition)),
    };
  });
}
