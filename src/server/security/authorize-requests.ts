/**
 * Authorization of every request of the embedded cluster, per api key, as Java's
 * `CoordinatorService`, `TabletService` and `RpcServiceBase` do it, by wrapping the
 * handlers (the services themselves know nothing of ACLs). Checks that fail the whole
 * request throw AUTHORIZATION_EXCEPTION; list calls are filtered to what the principal may
 * DESCRIBE; FetchLog, Lookup and PrefixLookup answer AUTHORIZATION_EXCEPTION per bucket of
 * a table the principal may not READ and serve the others.
 */
import { ApiKey } from "../../rpc/api-keys.js";
import { ErrorCode, FlussError } from "../../rpc/errors.js";
import * as M from "../../rpc/messages.js";
import type { MessageCodec } from "../../rpc/protobuf.js";
import { concatBytes } from "../../util/bytes.js";
import { OPERATION_CODES as OP, operationName } from "../../metadata/acl.js";
import type { RawHandler, RequestContext, ResponseParts } from "../rpc-server.js";
import type { ServerState } from "../server-state.js";
import { DEFAULT_DATABASE } from "../storage/catalog-store.js";
import { CLUSTER, databaseResource, tableResource, type Authorizer } from "./authorizer.js";

type Wrap = (next: RawHandler, authz: Authorizer, state: ServerState) => RawHandler;

/** The decoded request, or undefined when it does not decode (the handler answers that). */
function tryDecode<T>(codec: MessageCodec<T>, body: Uint8Array): T | undefined {
  try {
    return codec.decode(body);
  } catch {
    return undefined;
  }
}

/** A check that needs only the request: `check` throws when not authorized. */
function checked<T>(
  codec: MessageCodec<T>,
  check: (req: T, ctx: RequestContext, authz: Authorizer, state: ServerState) => void,
): Wrap {
  return (next, authz, state) => (body, ctx) => {
    const req = tryDecode(codec, body);
    if (req !== undefined) check(req, ctx, authz, state);
    return next(body, ctx);
  };
}

/** A check of one operation on the whole cluster. */
const onCluster =
  (op: number): Wrap =>
  (next, authz) =>
  (body, ctx) => {
    authz.authorize(ctx.session, op, CLUSTER);
    return next(body, ctx);
  };

/** Java `TabletService#authorizeTable(op, tableId)`: an unknown id is UNKNOWN_TABLE_OR_BUCKET. */
function authorizeTableId(authz: Authorizer, state: ServerState, ctx: RequestContext, op: number, tableId: number): void {
  const t = state.catalog.getTableById(tableId);
  if (!t) {
    throw new FlussError(
      ErrorCode.UNKNOWN_TABLE_OR_BUCKET_EXCEPTION,
      `This server does not know this table ID ${tableId}. This may happen when the table metadata cache in the server is not updated yet.`,
    );
  }
  authz.authorize(ctx.session, op, tableResource(t.databaseName, t.tableName));
}

const byPath = <T extends { tablePath: M.PbTablePath }>(codec: MessageCodec<T>, op: number): Wrap =>
  checked(codec, (req, ctx, authz) =>
    authz.authorize(ctx.session, op, tableResource(req.tablePath.databaseName, req.tablePath.tableName)),
  );

const byDatabase = <T extends { databaseName: string }>(codec: MessageCodec<T>, op: number): Wrap =>
  checked(codec, (req, ctx, authz) => authz.authorize(ctx.session, op, databaseResource(req.databaseName)));

const byTableId = <T extends { tableId: number }>(codec: MessageCodec<T>, op: number): Wrap =>
  checked(codec, (req, ctx, authz, state) => authorizeTableId(authz, state, ctx, op, req.tableId));

/** Runs `next` and rewrites its (encoded) answer. */
function rewriteResponse<R>(next: RawHandler, codec: MessageCodec<R>, body: Uint8Array, ctx: RequestContext, fn: (resp: R) => R) {
  return Promise.resolve(next(body, ctx)).then((out) => codec.encode(fn(codec.decode(flatten(out)))));
}

/** An answer as one buffer: chunked answers (FetchLog's pooled reads) are copied out, then released. */
function flatten(out: Uint8Array | ResponseParts): Uint8Array {
  if (out instanceof Uint8Array) return out;
  try {
    return concatBytes(out.chunks);
  } finally {
    out.release?.();
  }
}

/** Tables (by id) of a request the session may not READ: the others go to the handler. */
function deniedTables(
  authz: Authorizer,
  state: ServerState,
  ctx: RequestContext,
  tableIds: Iterable<number>,
): Map<number, string> {
  const denied = new Map<number, string>();
  for (const id of tableIds) {
    const t = state.catalog.getTableById(id);
    // an unknown table is the handler's to answer (UNKNOWN_TABLE_OR_BUCKET)
    if (t && !authz.isAuthorized(ctx.session, OP.READ, tableResource(t.databaseName, t.tableName))) {
      // TabletService.java:840: "No permission to %s table %s in database %s"
      denied.set(id, `No permission to ${operationName(OP.READ)} table ${t.tableName} in database ${t.databaseName}`);
    }
  }
  return denied;
}

const fetchLog: Wrap = (next, authz, state) => (body, ctx) => {
  const req = tryDecode(M.FetchLogRequest, body);
  // Java skips followers (TabletService.java:231, a TODO: "users can mock follower to skip
  // the authorization"); the embedded cluster has no followers, so every fetch is checked
  if (req === undefined) return next(body, ctx);
  const denied = deniedTables(
    authz,
    state,
    ctx,
    req.tablesReq.map((t) => t.tableId),
  );
  if (denied.size === 0) return next(body, ctx);
  const errors: M.PbFetchLogRespForTable[] = req.tablesReq
    .filter((t) => denied.has(t.tableId))
    .map((t) => ({
      tableId: t.tableId,
      bucketsResp: t.bucketsReq.map((b) => ({
        ...(b.partitionId !== undefined ? { partitionId: b.partitionId } : {}),
        bucketId: b.bucketId,
        errorCode: ErrorCode.AUTHORIZATION_EXCEPTION,
        errorMessage: denied.get(t.tableId)!,
      })),
    }));
  const allowed = req.tablesReq.filter((t) => !denied.has(t.tableId));
  if (allowed.length === 0) return M.FetchLogResponse.encode({ tablesResp: errors });
  const narrowed = M.FetchLogRequest.encode({ ...req, tablesReq: allowed });
  return rewriteResponse(next, M.FetchLogResponse, narrowed, ctx, (resp) => ({ tablesResp: [...resp.tablesResp, ...errors] }));
};

const lookup: Wrap = (next, authz, state) => (body, ctx) => {
  const req = tryDecode(M.LookupRequest, body);
  if (req === undefined) return next(body, ctx);
  // insert_if_not_exists writes: WRITE on the whole request (TabletService.java:310)
  if (req.insertIfNotExists) {
    authorizeTableId(authz, state, ctx, OP.WRITE, req.tableId);
    return next(body, ctx);
  }
  const why = deniedTables(authz, state, ctx, [req.tableId]).get(req.tableId);
  if (why === undefined) return next(body, ctx);
  return M.LookupResponse.encode({
    bucketsResp: req.bucketsReq.map((b) => ({
      ...(b.partitionId !== undefined ? { partitionId: b.partitionId } : {}),
      bucketId: b.bucketId,
      errorCode: ErrorCode.AUTHORIZATION_EXCEPTION,
      errorMessage: why,
      values: [],
    })),
  });
};

const prefixLookup: Wrap = (next, authz, state) => (body, ctx) => {
  const req = tryDecode(M.PrefixLookupRequest, body);
  if (req === undefined) return next(body, ctx);
  const why = deniedTables(authz, state, ctx, [req.tableId]).get(req.tableId);
  if (why === undefined) return next(body, ctx);
  return M.PrefixLookupResponse.encode({
    bucketsResp: req.bucketsReq.map((b) => ({
      ...(b.partitionId !== undefined ? { partitionId: b.partitionId } : {}),
      bucketId: b.bucketId,
      errorCode: ErrorCode.AUTHORIZATION_EXCEPTION,
      errorMessage: why,
      valueLists: [],
    })),
  });
};

const listDatabases: Wrap = (next, authz) => (body, ctx) =>
  rewriteResponse(next, M.ListDatabasesResponse, body, ctx, (resp) => {
    const ok = (name: string) => authz.isAuthorized(ctx.session, OP.DESCRIBE, databaseResource(name));
    return {
      databaseName: resp.databaseName.filter(ok),
      databaseSummary: resp.databaseSummary.filter((s) => ok(s.databaseName)),
    };
  });

const listTables: Wrap = (next, authz) => (body, ctx) => {
  const req = tryDecode(M.ListTablesRequest, body);
  if (req === undefined) return next(body, ctx);
  return rewriteResponse(next, M.ListTablesResponse, body, ctx, (resp) => ({
    tableName: resp.tableName.filter((t) => authz.isAuthorized(ctx.session, OP.DESCRIBE, tableResource(req.databaseName, t))),
  }));
};

// the default database is always reported, as Java (RpcServiceBase.java:265, for Flink's catalog)
const databaseExists: Wrap = (next, authz) => (body, ctx) => {
  const req = tryDecode(M.DatabaseExistsRequest, body);
  if (
    req !== undefined &&
    req.databaseName !== DEFAULT_DATABASE &&
    !authz.isAuthorized(ctx.session, OP.DESCRIBE, databaseResource(req.databaseName))
  ) {
    return M.DatabaseExistsResponse.encode({ exists: false });
  }
  return next(body, ctx);
};

const tableExists: Wrap = (next, authz) => (body, ctx) => {
  const req = tryDecode(M.TableExistsRequest, body);
  if (
    req !== undefined &&
    !authz.isAuthorized(ctx.session, OP.DESCRIBE, tableResource(req.tablePath.databaseName, req.tablePath.tableName))
  ) {
    return M.TableExistsResponse.encode({ exists: false });
  }
  return next(body, ctx);
};

/**
 * Metadata: tables and partitions the session may not DESCRIBE are left out of the request
 * (so of the answer); a partition id of such a table is reported as not existing
 * (RpcServiceBase.java:597-683).
 */
const metadata: Wrap = (next, authz, state) => (body, ctx) => {
  const req = tryDecode(M.MetadataRequest, body);
  if (req === undefined) return next(body, ctx);
  const ok = (db: string, table: string) => authz.isAuthorized(ctx.session, OP.DESCRIBE, tableResource(db, table));
  for (const id of req.partitionsId) {
    const p = state.catalog.getPartitionById(id);
    const t = p && state.catalog.getTableById(p.tableId);
    if (t && !ok(t.databaseName, t.tableName)) {
      throw new FlussError(
        ErrorCode.PARTITION_NOT_EXISTS,
        `The partition id '${id}' does not exist or you don't have permission to access it.`,
      );
    }
  }
  const tablePath = req.tablePath.filter((p) => ok(p.databaseName, p.tableName));
  const partitionsPath = req.partitionsPath.filter((p) => ok(p.databaseName, p.tableName));
  if (tablePath.length === req.tablePath.length && partitionsPath.length === req.partitionsPath.length) return next(body, ctx);
  return next(M.MetadataRequest.encode({ ...req, tablePath, partitionsPath }), ctx);
};

const initWriter: Wrap = checked(M.InitWriterRequest, (req, ctx, authz) => {
  // TabletService.java:782: WRITE on any one of the tables is enough
  if (req.tablePath.length === 0) {
    throw new FlussError(
      ErrorCode.AUTHORIZATION_EXCEPTION,
      "The request of InitWriter requires non empty table paths for authorization.",
    );
  }
  if (req.tablePath.some((p) => authz.isAuthorized(ctx.session, OP.WRITE, tableResource(p.databaseName, p.tableName)))) return;
  const names = req.tablePath.map((p) => `${p.databaseName}.${p.tableName}`).join(", ");
  throw new FlussError(ErrorCode.AUTHORIZATION_EXCEPTION, `No WRITE permission among all the tables: [${names}]`);
});

const scanKv: Wrap = checked(M.ScanKvRequest, (req, ctx, authz, state) => {
  // only a new scan is checked; continuations name a scanner opened by an authorized request
  if (req.bucketScanReq !== undefined) authorizeTableId(authz, state, ctx, OP.READ, req.bucketScanReq.tableId);
});

// producer offsets: CoordinatorService.java registerProducerOffsets (WRITE on every table of
// the request), getProducerOffsets (tables the session may not READ left out),
// deleteProducerOffsets (WRITE on every table of the stored snapshot)
const registerProducerOffsets: Wrap = checked(M.RegisterProducerOffsetsRequest, (req, ctx, authz, state) => {
  for (const t of req.tableOffsets) authorizeTableId(authz, state, ctx, OP.WRITE, t.tableId);
});

const getProducerOffsets: Wrap = (next, authz, state) => (body, ctx) =>
  rewriteResponse(next, M.GetProducerOffsetsResponse, body, ctx, (resp) => ({
    ...resp,
    tableOffsets: resp.tableOffsets.filter((t) => {
      const table = state.catalog.getTableById(t.tableId);
      return table !== undefined && authz.isAuthorized(ctx.session, OP.READ, tableResource(table.databaseName, table.tableName));
    }),
  }));

const deleteProducerOffsets: Wrap = checked(M.DeleteProducerOffsetsRequest, (req, ctx, authz, state) => {
  const tableIds = new Set(state.producerOffsets.get(req.producerId)?.offsets.map((o) => o.tableId));
  for (const id of tableIds) authorizeTableId(authz, state, ctx, OP.WRITE, id);
});

// KV snapshot leases: CoordinatorService.java acquireKvSnapshotLease / releaseKvSnapshotLease
// (READ on every table of the request), dropKvSnapshotLease (READ on every table the lease holds)
const acquireKvSnapshotLease: Wrap = checked(M.AcquireKvSnapshotLeaseRequest, (req, ctx, authz, state) => {
  for (const t of req.snapshotsToLease) authorizeTableId(authz, state, ctx, OP.READ, t.tableId);
});

const releaseKvSnapshotLease: Wrap = checked(M.ReleaseKvSnapshotLeaseRequest, (req, ctx, authz, state) => {
  for (const b of req.bucketsToRelease) authorizeTableId(authz, state, ctx, OP.READ, b.tableId);
});

const dropKvSnapshotLease: Wrap = checked(M.DropKvSnapshotLeaseRequest, (req, ctx, authz, state) => {
  for (const id of state.kvSnapshotLeases.tablesOf(req.leaseId)) authorizeTableId(authz, state, ctx, OP.READ, id);
});

/** The rule of each api key (Java's service methods; cited per rule where not obvious). */
const RULES: ReadonlyMap<number, Wrap> = new Map<number, Wrap>([
  [ApiKey.CREATE_DATABASE, onCluster(OP.CREATE)],
  [ApiKey.DROP_DATABASE, byDatabase(M.DropDatabaseRequest, OP.DROP)],
  [ApiKey.ALTER_DATABASE, byDatabase(M.AlterDatabaseRequest, OP.ALTER)],
  [ApiKey.GET_DATABASE_INFO, byDatabase(M.GetDatabaseInfoRequest, OP.DESCRIBE)],
  [ApiKey.LIST_DATABASES, listDatabases],
  [ApiKey.DATABASE_EXISTS, databaseExists],
  [
    ApiKey.CREATE_TABLE,
    checked(M.CreateTableRequest, (req, ctx, authz) =>
      authz.authorize(ctx.session, OP.CREATE, databaseResource(req.tablePath.databaseName)),
    ),
  ],
  [ApiKey.DROP_TABLE, byPath(M.DropTableRequest, OP.DROP)],
  [ApiKey.ALTER_TABLE, byPath(M.AlterTableRequest, OP.ALTER)],
  [ApiKey.GET_TABLE_INFO, byPath(M.GetTableInfoRequest, OP.DESCRIBE)],
  [ApiKey.GET_TABLE_SCHEMA, byPath(M.GetTableSchemaRequest, OP.DESCRIBE)],
  [ApiKey.LIST_PARTITION_INFOS, byPath(M.ListPartitionInfosRequest, OP.DESCRIBE)],
  [ApiKey.GET_LATEST_KV_SNAPSHOTS, byPath(M.GetLatestKvSnapshotsRequest, OP.DESCRIBE)],
  [ApiKey.GET_LAKE_SNAPSHOT, byPath(M.GetLakeSnapshotRequest, OP.DESCRIBE)],
  [ApiKey.GET_KV_SNAPSHOT_METADATA, byTableId(M.GetKvSnapshotMetadataRequest, OP.DESCRIBE)],
  [ApiKey.LIST_KV_SNAPSHOTS, byTableId(M.ListKvSnapshotsRequest, OP.DESCRIBE)],
  [ApiKey.ACQUIRE_KV_SNAPSHOT_LEASE, acquireKvSnapshotLease],
  [ApiKey.RELEASE_KV_SNAPSHOT_LEASE, releaseKvSnapshotLease],
  [ApiKey.DROP_KV_SNAPSHOT_LEASE, dropKvSnapshotLease],
  [ApiKey.TABLE_EXISTS, tableExists],
  [ApiKey.LIST_TABLES, listTables],
  // partitions are created and dropped by writers: WRITE (CoordinatorService.java:863, 921)
  [ApiKey.CREATE_PARTITION, byPath(M.CreatePartitionRequest, OP.WRITE)],
  [ApiKey.DROP_PARTITION, byPath(M.DropPartitionRequest, OP.WRITE)],
  [ApiKey.GET_METADATA, metadata],
  [ApiKey.PRODUCE_LOG, byTableId(M.ProduceLogRequest, OP.WRITE)],
  [ApiKey.PUT_KV, byTableId(M.PutKvRequest, OP.WRITE)],
  [ApiKey.FETCH_LOG, fetchLog],
  [ApiKey.LOOKUP, lookup],
  [ApiKey.PREFIX_LOOKUP, prefixLookup],
  [ApiKey.LIMIT_SCAN, byTableId(M.LimitScanRequest, OP.READ)],
  [ApiKey.SCAN_KV, scanKv],
  [ApiKey.GET_TABLE_STATS, byTableId(M.GetTableStatsRequest, OP.READ)],
  [ApiKey.LIST_OFFSETS, byTableId(M.ListOffsetsRequest, OP.DESCRIBE)],
  [ApiKey.INIT_WRITER, initWriter],
  // any authenticated session: Java has no ACL on it yet (RpcServiceBase.java:456, fluss#752)
  [ApiKey.GET_FILESYSTEM_SECURITY_TOKEN, (next) => next],
  [ApiKey.REGISTER_PRODUCER_OFFSETS, registerProducerOffsets],
  [ApiKey.GET_PRODUCER_OFFSETS, getProducerOffsets],
  [ApiKey.DELETE_PRODUCER_OFFSETS, deleteProducerOffsets],
  [ApiKey.DESCRIBE_CLUSTER_CONFIGS, onCluster(OP.DESCRIBE)],
  [ApiKey.GET_CLUSTER_HEALTH, onCluster(OP.DESCRIBE)],
  [ApiKey.LIST_REBALANCE_PROGRESS, onCluster(OP.DESCRIBE)],
  [ApiKey.ALTER_CLUSTER_CONFIGS, onCluster(OP.ALTER)],
  [ApiKey.ADD_SERVER_TAG, onCluster(OP.ALTER)],
  [ApiKey.REMOVE_SERVER_TAG, onCluster(OP.ALTER)],
  [ApiKey.CONTROLLED_SHUTDOWN, onCluster(OP.ALTER)],
  [ApiKey.REBALANCE, onCluster(OP.WRITE)],
]);

/**
 * Keys served without a check: the handshake, and the ACL calls (the authorizer checks
 * those itself: ALL on the resource, or its database for a table; listing filtered).
 */
const UNCHECKED: ReadonlySet<number> = new Set([
  ApiKey.API_VERSIONS,
  ApiKey.AUTHENTICATE,
  ApiKey.CREATE_ACLS,
  ApiKey.LIST_ACLS,
  ApiKey.DROP_ACLS,
]);

/**
 * `handlers` with every request authorized by `authz`. A key without a rule of its own
 * (server-internal calls in Java) needs ALL on the cluster, so only super users reach it.
 */
export function authorizeHandlers(
  handlers: ReadonlyMap<number, RawHandler>,
  authz: Authorizer,
  state: ServerState,
): Map<number, RawHandler> {
  const out = new Map<number, RawHandler>();
  for (const [key, handler] of handlers) {
    if (UNCHECKED.has(key)) out.set(key, handler);
    else out.set(key, (RULES.get(key) ?? onCluster(OP.ALL))(handler, authz, state));
  }
  return out;
}
