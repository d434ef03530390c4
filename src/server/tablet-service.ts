/**
 * The tablet server's log RPCs: ProduceLog, FetchLog (with column projection and long
 * polling) and ListOffsets, following Java's `TabletService` / `ReplicaManager` /
 * `Replica`. Per-bucket failures travel inside the bucket entries; only an invalid acks
 * value fails a whole request.
 */
import { ApiKey } from "../rpc/api-keys.js";
import { ErrorCode, FlussError, defaultErrorMessage } from "../rpc/errors.js";
import * as M from "../rpc/messages.js";
import type { RowType } from "../metadata/data-types.js";
import { schemaFromJson } from "../metadata/json.js";
import { projectArrowLogRecords } from "../record/arrow/arrow-projection.js";
import { iterateBatches } from "../record/log-batch.js";
import { bucketKey } from "./append-notifier.js";
import { partsHandler, typedHandler } from "./handler.js";
import { fetchLogResponseParts, ReadLease } from "./fetch-response.js";
import type { RawHandler, RequestContext } from "./rpc-server.js";
import type { ServerNode, ServerState } from "./server-state.js";
import { tableBucketName } from "./storage/log-manager.js";
import type { LogTablet } from "./storage/log-tablet.js";
import { tableView, type TableView } from "./table-view.js";

/** Java `FetchParams.FETCH_FROM_EARLIEST_OFFSET`: start at the log start offset. */
const FETCH_FROM_EARLIEST_OFFSET = -2;
/** Java `DEFAULT_MAX_WAIT_MS_WHEN_MIN_BYTES_ENABLE`. */
const DEFAULT_MAX_WAIT_MS = 100;

/** ListOffsets offset types (Java `ListOffsetsParam`). */
const OffsetType = { EARLIEST: 0, LATEST: 1, TIMESTAMP: 2, LEADER_END_OFFSET_SNAPSHOT: 3 } as const;

/** Error fields of a bucket entry, as Java's `ErrorMessage.setError` writes them. */
export function errorFields(state: ServerState, err: unknown, what: string): { errorCode: number; errorMessage?: string } {
  let code: number;
  let message: string;
  if (err instanceof FlussError && err.code >= ErrorCode.UNKNOWN_SERVER_ERROR) {
    code = err.code;
    message = err.message;
  } else {
    state.logger.error(`Unexpected error while ${what}`, err);
    code = ErrorCode.UNKNOWN_SERVER_ERROR;
    const text = err instanceof Error ? (err.stack ?? err.message) : String(err);
    message = text.slice(0, 2048);
  }
  return message && message !== defaultErrorMessage(code) ? { errorCode: code, errorMessage: message } : { errorCode: code };
}

/**
 * Resolves a bucket to its table; UNKNOWN_TABLE_OR_BUCKET_EXCEPTION when the table,
 * partition or bucket is not hosted here (Java `ReplicaManager.getReplicaOrException`).
 */
export function resolveBucket(
  state: ServerState,
  tableId: number,
  partitionId: number | undefined,
  bucket: number,
  servedBy: "leader" | "replica" = "leader",
): TableView {
  const unknown = (): FlussError =>
    new FlussError(
      ErrorCode.UNKNOWN_TABLE_OR_BUCKET_EXCEPTION,
      `Unknown table or bucket: ${tableBucketName(tableId, partitionId, bucket)}`,
    );
  const entry = state.catalog.getTableById(tableId);
  if (!entry) throw unknown();
  const t = tableView(entry);
  if (t.isPartitioned !== (partitionId !== undefined)) throw unknown();
  if (partitionId !== undefined) {
    const p = state.catalog.getPartitionById(partitionId);
    if (!p || p.tableId !== tableId) throw unknown();
  }
  if (!Number.isInteger(bucket) || bucket < 0 || bucket >= t.bucketCount) throw unknown();
  const node = state.node;
  if (node !== undefined && node.role === "tablet-server") checkLeader(node, tableId, partitionId, bucket, unknown, servedBy);
  return t;
}

/**
 * Java `ReplicaManager.getReplicaOrException` with one replica per bucket: a bucket this
 * server's metadata does not know yet is UNKNOWN_TABLE_OR_BUCKET; one it knows but does not
 * lead (the only replica is elsewhere, or moving) is NOT_LEADER_OR_FOLLOWER
 * (`ReplicaManager.java:2358`). Leadership itself is live: a moved bucket is served by its
 * new leader at once, even where metadata lags. `"replica"`: any replica holder serves
 * (ListOffsets: `ReplicaManager.listOffsets` checks no leadership) — with one replica, the
 * bucket's holder even while it moves.
 */
function checkLeader(
  node: ServerNode,
  tableId: number,
  partitionId: number | undefined,
  bucket: number,
  unknown: () => FlussError,
  servedBy: "leader" | "replica",
): void {
  if (!node.view().knows(tableId, partitionId)) throw unknown();
  const l = node.leadership.leaderOf(tableId, partitionId, bucket);
  if ((servedBy === "leader" ? l.leader : l.replica) === node.serverId) return;
  throw new FlussError(
    ErrorCode.NOT_LEADER_OR_FOLLOWER,
    `server ${node.serverId} is not leader or follower for ${tableBucketName(tableId, partitionId, bucket)}`,
  );
}

/**
 * A log closed under a request because its table or partition was dropped meanwhile is
 * reported as the unknown bucket it now is (Java: the stopped replica), not as a storage
 * failure; any other error is returned as is.
 */
export function unlessDropped(
  state: ServerState,
  tableId: number,
  partitionId: number | undefined,
  bucket: number,
  err: unknown,
): unknown {
  if (!(err instanceof FlussError) || err.code !== ErrorCode.LOG_STORAGE_EXCEPTION) return err;
  try {
    resolveBucket(state, tableId, partitionId, bucket);
  } catch (gone) {
    return gone;
  }
  return err;
}

/** The bucket's log, for ListOffsets (served by its replica holder). */
async function openTablet(
  state: ServerState,
  tableId: number,
  partitionId: number | undefined,
  bucket: number,
): Promise<LogTablet> {
  resolveBucket(state, tableId, partitionId, bucket, "replica");
  return state.logs.getOrCreate(tableId, partitionId, bucket);
}

// ------------------------------------------------------------------ produce

/** The 4-byte continuation marker every encapsulated Arrow IPC message starts with. */
const ARROW_CONTINUATION = 0xffffffff;

/**
 * Checks what Java leaves to the client: every batch names a schema the table has and is
 * in the table's log format (an ARROW batch's body is an Arrow IPC message, a row batch's
 * is length-prefixed records). Non-retriable codes, so a writer never retries them forever.
 */
function checkBatchesFitTable(t: TableView, records: Uint8Array): void {
  const dv = new DataView(records.buffer, records.byteOffset, records.byteLength);
  for (const batch of iterateBatches(records)) {
    const schemaId = batch.schemaId;
    if (schemaId !== t.entry.schemaId && !t.entry.schemas.some((s) => s.schemaId === schemaId)) {
      throw new FlussError(
        ErrorCode.SCHEMA_NOT_EXIST,
        `Schema id ${schemaId} of the record batch does not exist for table ${t.databaseName}.${t.tableName} (latest is ${t.entry.schemaId}).`,
      );
    }
    const count = batch.recordCount;
    // a header with impossible counts or lengths is the log's to reject (CORRUPT_RECORD_EXCEPTION)
    if (count <= 0 || batch.statisticsLength < 0) continue;
    const bodyStart = batch.recordsOffset + (batch.isAppendOnly ? 0 : count);
    if (bodyStart < batch.position || bodyStart > batch.endOffset) continue;
    const isArrow = bodyStart + 4 <= batch.endOffset && dv.getUint32(bodyStart, true) === ARROW_CONTINUATION;
    if (isArrow !== (t.logFormat === "ARROW")) {
      throw new FlussError(
        ErrorCode.INVALID_TABLE_EXCEPTION,
        `The record batch is in ${isArrow ? "ARROW" : "a row"} log format, but table ${t.databaseName}.${t.tableName} uses the ${t.logFormat} log format.`,
      );
    }
  }
}

async function produceLog(state: ServerState, req: M.ProduceLogRequest): Promise<M.ProduceLogResponse> {
  if (req.acks !== 0 && req.acks !== 1 && req.acks !== -1) {
    throw new FlussError(ErrorCode.INVALID_REQUIRED_ACKS, `Invalid required acks: ${req.acks}`);
  }
  // one replica: the high watermark moves with every durable append, so acks -1 needs no wait
  const bucketsResp = await Promise.all(
    req.bucketsReq.map(async (b): Promise<M.PbProduceLogRespForBucket> => {
      const id = { bucketId: b.bucketId, ...(b.partitionId !== undefined ? { partitionId: b.partitionId } : {}) };
      try {
        const t = resolveBucket(state, req.tableId, b.partitionId, b.bucketId);
        if (t.hasPrimaryKey) {
          // only the KV tablet writes a primary-key table's changelog (PutKv)
          throw new FlussError(
            ErrorCode.INVALID_TABLE_EXCEPTION,
            `Table ${t.databaseName}.${t.tableName} has a primary key: write it with PutKv (an upsert writer), not ProduceLog.`,
          );
        }
        checkBatchesFitTable(t, b.records);
        const tablet = await state.logs.getOrCreate(req.tableId, b.partitionId, b.bucketId);
        const result = await tablet.append(b.records);
        if (!result.duplicate && result.baseOffset >= 0) {
          state.notifier.notify(bucketKey(req.tableId, b.partitionId, b.bucketId));
        }
        return { ...id, baseOffset: result.baseOffset };
      } catch (err) {
        const why = unlessDropped(state, req.tableId, b.partitionId, b.bucketId, err);
        return { ...id, ...errorFields(state, why, `appending to ${tableBucketName(req.tableId, b.partitionId, b.bucketId)}`) };
      }
    }),
  );
  return { bucketsResp };
}

// ------------------------------------------------------------------ fetch

interface BucketRead {
  readonly table: M.PbFetchLogReqForTable;
  readonly bucket: M.PbFetchLogReqForBucket;
  readonly key: string;
}

/** The result of reading every requested bucket once. */
interface FetchRound {
  readonly response: M.FetchLogResponse;
  readonly bytes: number;
  /** A bucket failed with an error that should end a long poll at once. */
  readonly critical: boolean;
  /** Buckets were answered from remote storage and none from the local log: no long poll (Java `hasFetchFromLocal`). */
  readonly onlyRemote: boolean;
}

/** Errors that do not cut a long poll short (Java `isNonCriticalFetchError`). */
function isNonCritical(code: number): boolean {
  return code === ErrorCode.NOT_LEADER_OR_FOLLOWER || code === ErrorCode.UNKNOWN_TABLE_OR_BUCKET_EXCEPTION;
}

const resolvers = new WeakMap<TableView, (schemaId: number) => RowType>();

/** Row types per (table, schema id), parsed once from the catalog's schema JSON. */
function rowTypeResolver(t: TableView): (schemaId: number) => RowType {
  const known = resolvers.get(t);
  if (known) return known;
  const cache = new Map<number, RowType>();
  const resolve = (schemaId: number): RowType => {
    let rt = cache.get(schemaId);
    if (rt) return rt;
    const stored =
      t.entry.schemas.find((s) => s.schemaId === schemaId)?.schemaJson ??
      (schemaId === t.entry.schemaId ? t.schemaJson : undefined);
    if (stored === undefined) {
      throw new FlussError(
        ErrorCode.SCHEMA_NOT_EXIST,
        `Schema for table ${t.databaseName}.${t.tableName} with schema id ${schemaId} does not exist.`,
      );
    }
    rt = schemaFromJson(stored).rowType;
    cache.set(schemaId, rt);
    return rt;
  };
  resolvers.set(t, resolve);
  return resolve;
}

/** Java `FileLogProjection` rules: a non-empty, strictly ascending list of existing columns. */
function checkProjection(projected: readonly number[], fieldCount: number): void {
  const shown = `[${projected.join(", ")}]`;
  const fail = (msg: string): never => {
    throw new FlussError(ErrorCode.INVALID_COLUMN_PROJECTION, msg);
  };
  if (projected.length === 0) fail("Empty projection is not supported. Please project at least one column.");
  let prev = -1;
  for (const i of projected) {
    if (i < prev) fail(`The projection indexes should be in field order, but is ${shown}`);
    if (i === prev) fail(`The projection indexes should not contain duplicated fields, but is ${shown}`);
    if (i >= fieldCount) fail(`Projected fields ${shown} is out of bound for schema with ${fieldCount} fields.`);
    prev = i;
  }
}

/** Java `FetchLogReadPreference.REMOTE_FIRST`. */
const READ_PREFERENCE_REMOTE_FIRST = 1;

/**
 * Java `ReplicaManager.handleFetchOutOfRangeException`: a fetch below the local log start
 * that remote storage holds is answered with where the data is (undefined: not remote, the
 * local error stands).
 */
async function remoteAnswer(
  remote: NonNullable<ServerState["remoteLogs"]>,
  tablet: LogTablet,
  tableId: number,
  partitionId: number | undefined,
  bucket: number,
  offset: number,
  err: unknown,
): Promise<M.PbRemoteLogFetchInfo | undefined> {
  if (!(err instanceof FlussError) || err.code !== ErrorCode.LOG_OFFSET_OUT_OF_RANGE_EXCEPTION) return undefined;
  if (offset >= tablet.logStartOffset || !(await remote.covers(tableId, partitionId, bucket, offset))) return undefined;
  const info = await remote.fetchInfo(tableId, partitionId, bucket, offset);
  if (!info) {
    throw new FlussError(
      ErrorCode.LOG_OFFSET_OUT_OF_RANGE_EXCEPTION,
      `The fetch offset ${offset} is out of range for table bucket ${tableBucketName(tableId, partitionId, bucket)}`,
    );
  }
  return info;
}

/**
 * The bucket's log start for a FetchLog answer: the first offset in local or remote storage.
 * When the remote manifest cannot be read, a fetch of offsets the local log still holds is
 * served with the local start (the local log does not depend on remote storage); EARLIEST
 * and offsets below the local start fail with the manifest's LOG_STORAGE_EXCEPTION, which
 * the client retries, and the next fetch reads the manifest again. (Java loads the manifest
 * when the replica becomes leader, `RemoteLogManager.registerReplica`; a failure there leaves
 * the bucket without a leader, ReplicaManager.java:1290-1306, so no offset is served at all.)
 */
async function fetchStartOffset(
  remote: NonNullable<ServerState["remoteLogs"]>,
  tablet: LogTablet,
  tableId: number,
  bucket: M.PbFetchLogReqForBucket,
): Promise<number> {
  try {
    return await remote.logStartOffset(tablet, tableId, bucket.partitionId, bucket.bucketId);
  } catch (err) {
    const local = tablet.logStartOffset;
    if (bucket.fetchOffset === FETCH_FROM_EARLIEST_OFFSET || bucket.fetchOffset < local) throw err;
    return local;
  }
}

async function readOnce(
  state: ServerState,
  req: M.FetchLogRequest,
  reads: readonly BucketRead[],
  lease: ReadLease,
): Promise<FetchRound> {
  let limit = Math.max(0, req.maxBytes);
  let readOne = false;
  let hasLocal = false;
  let hasRemote = false;
  let bytes = 0;
  let critical = false;
  const byTable = new Map<M.PbFetchLogReqForTable, M.PbFetchLogRespForBucket[]>();
  // sequential: each bucket's limit depends on what the previous ones returned
  for (const r of reads) {
    const { table, bucket } = r;
    const id = { bucketId: bucket.bucketId, ...(bucket.partitionId !== undefined ? { partitionId: bucket.partitionId } : {}) };
    let entry: M.PbFetchLogRespForBucket;
    try {
      const t = resolveBucket(state, table.tableId, bucket.partitionId, bucket.bucketId);
      const projected = table.projectionPushdownEnabled ? table.projectedFields : undefined;
      if (projected !== undefined && t.logFormat !== "ARROW") {
        throw new FlussError(
          ErrorCode.INVALID_COLUMN_PROJECTION,
          `Column projection is only supported for ARROW format, but the table ${t.databaseName}.${t.tableName} is ${t.logFormat} format.`,
        );
      }
      if (projected !== undefined) checkProjection(projected, rowTypeResolver(t)(t.entry.schemaId).fields.length);
      const tablet = await state.logs.getOrCreate(table.tableId, bucket.partitionId, bucket.bucketId);
      const remote = state.remoteLogs;
      const startOffset = remote ? await fetchStartOffset(remote, tablet, table.tableId, bucket) : tablet.logStartOffset;
      const offset = bucket.fetchOffset === FETCH_FROM_EARLIEST_OFFSET ? startOffset : bucket.fetchOffset;
      const maxBytes = Math.max(0, Math.min(limit, bucket.maxFetchBytes));
      // REMOTE_FIRST (Java ReplicaManager#tryFetchRemoteFirst): remote data when it has the offset
      const remoteFirst =
        remote && req.readPreference === READ_PREFERENCE_REMOTE_FIRST && req.followerServerId < 0
          ? await remote.fetchInfo(table.tableId, bucket.partitionId, bucket.bucketId, offset).catch(() => undefined)
          : undefined;
      if (remoteFirst) {
        hasRemote = true;
        entry = { ...id, highWatermark: tablet.highWatermark, logStartOffset: startOffset, remoteLogFetchInfo: remoteFirst };
      } else {
        // unprojected: Java's byte slice, which may cut the last batch; projected: whole
        // projected batches while their projected size fits (FileLogProjection.project)
        let res: Awaited<ReturnType<LogTablet["read"]>> | M.PbRemoteLogFetchInfo;
        try {
          res =
            projected === undefined
              ? await tablet.read(offset, maxBytes, { minOneBatch: !readOne, slice: true, alloc: lease.alloc })
              : await tablet.readProjected(offset, maxBytes, !readOne, (batch) =>
                  projectArrowLogRecords(batch, rowTypeResolver(t), projected),
                );
        } catch (err) {
          const info =
            remote && (await remoteAnswer(remote, tablet, table.tableId, bucket.partitionId, bucket.bucketId, offset, err));
          if (!info) throw err;
          res = info;
        }
        if ("remoteLogTabletDir" in res) {
          hasRemote = true;
          entry = { ...id, highWatermark: tablet.highWatermark, logStartOffset: startOffset, remoteLogFetchInfo: res };
        } else {
          hasLocal = true;
          const size = res.records.length;
          if (size > 0) readOne = true;
          limit = Math.max(0, limit - size);
          bytes += size;
          entry = { ...id, highWatermark: res.highWatermark, logStartOffset: startOffset, records: res.records };
        }
      }
    } catch (err) {
      const why = unlessDropped(state, table.tableId, bucket.partitionId, bucket.bucketId, err);
      const fields = errorFields(state, why, `fetching ${tableBucketName(table.tableId, bucket.partitionId, bucket.bucketId)}`);
      if (!isNonCritical(fields.errorCode)) critical = true;
      entry = { ...id, ...fields };
    }
    let list = byTable.get(table);
    if (!list) byTable.set(table, (list = []));
    list.push(entry);
  }
  const tablesResp = [...byTable].map(([table, bucketsResp]) => ({ tableId: table.tableId, bucketsResp }));
  return { response: { tablesResp }, bytes, critical, onlyRemote: hasRemote && !hasLocal };
}

/**
 * Where each FetchLog starts in its list of buckets: Java reads them in HashMap order, which
 * is no order a client may rely on; rotating the start per request keeps the buckets served
 * first under the total `max_bytes` from always being the same ones.
 */
let fetchRotation = 0;

async function fetchLog(
  state: ServerState,
  req: M.FetchLogRequest,
  ctx: RequestContext,
): Promise<{ response: M.FetchLogResponse; lease: ReadLease }> {
  const listed: BucketRead[] = [];
  for (const table of req.tablesReq) {
    for (const bucket of table.bucketsReq) {
      listed.push({ table, bucket, key: bucketKey(table.tableId, bucket.partitionId, bucket.bucketId) });
    }
  }
  const first = listed.length > 1 ? fetchRotation++ % listed.length : 0;
  const reads = first === 0 ? listed : [...listed.slice(first), ...listed.slice(0, first)];
  const keys = reads.map((r) => r.key);
  const minBytes = req.minBytes;
  const maxWait = req.maxWaitMs ?? DEFAULT_MAX_WAIT_MS;
  const deadline = Date.now() + maxWait;
  for (;;) {
    // take the append counters before reading, so an append during the read is not missed
    const before = state.notifier.version(keys);
    const lease = new ReadLease();
    let round: FetchRound;
    try {
      round = await readOnce(state, req, reads, lease);
    } catch (err) {
      lease.release();
      throw err;
    }
    const answer = { response: round.response, lease };
    if (
      minBytes === undefined ||
      maxWait <= 0 ||
      round.bytes >= minBytes ||
      round.critical ||
      reads.length === 0 ||
      round.onlyRemote
    ) {
      return answer;
    }
    const remaining = deadline - Date.now();
    if (remaining <= 0 || ctx.signal.aborted) return answer;
    // this round's reads are dropped: their buffers go back before waiting
    lease.release();
    if (state.notifier.version(keys) !== before) continue;
    await state.notifier.waitForAny(keys, remaining, ctx.signal);
    if (ctx.signal.aborted) return { response: { tablesResp: [] }, lease: new ReadLease() };
  }
}

// ------------------------------------------------------------------ list offsets

async function listOffsets(state: ServerState, req: M.ListOffsetsRequest): Promise<M.ListOffsetsResponse> {
  const buckets = [...new Set(req.bucketId)];
  const bucketsResp = await Promise.all(
    buckets.map(async (bucketId): Promise<M.PbListOffsetsRespForBucket> => {
      try {
        const tablet = await openTablet(state, req.tableId, req.partitionId, bucketId);
        return { bucketId, offset: await offsetOf(state, tablet, req, bucketId) };
      } catch (err) {
        const why = unlessDropped(state, req.tableId, req.partitionId, bucketId, err);
        return {
          bucketId,
          ...errorFields(state, why, `listing offsets of ${tableBucketName(req.tableId, req.partitionId, bucketId)}`),
        };
      }
    }),
  );
  return { bucketsResp };
}

/** Java `Replica.getOffset` for a single-replica log. */
async function offsetOf(state: ServerState, tablet: LogTablet, req: M.ListOffsetsRequest, bucketId: number): Promise<number> {
  const remote = state.remoteLogs;
  switch (req.offsetType) {
    case OffsetType.EARLIEST:
      // a client gets the first offset in local or remote storage, a follower the local one
      return remote && req.followerServerId < 0
        ? remote.logStartOffset(tablet, req.tableId, req.partitionId, bucketId)
        : tablet.logStartOffset;
    case OffsetType.LATEST:
      // followers would get the log end offset; with one replica both are the same
      return req.followerServerId < 0 ? tablet.highWatermark : tablet.logEndOffset;
    case OffsetType.LEADER_END_OFFSET_SNAPSHOT:
      return tablet.logEndOffset;
    case OffsetType.TIMESTAMP: {
      const ts = req.startTimestamp;
      if (ts === undefined) {
        // Java: IllegalArgumentException → UNKNOWN_SERVER_ERROR
        throw new FlussError(ErrorCode.UNKNOWN_SERVER_ERROR, "startTimestamp is not present while list offset by timestamp.");
      }
      const now = state.clock();
      if (ts > now) {
        throw new FlussError(
          ErrorCode.INVALID_TIMESTAMP_EXCEPTION,
          `Get offset error for table bucket ${tablet.name}, the fetch timestamp ${ts} is larger than the current timestamp ${now}`,
        );
      }
      if (ts > tablet.localMaxTimestamp) return tablet.highWatermark;
      // remote storage first (Java Replica#getOffsetByTimestamp), then the local log
      const inRemote = remote ? await remote.offsetForTimestamp(req.tableId, req.partitionId, bucketId, ts) : -1;
      if (inRemote !== -1) return inRemote;
      return tablet.lookupOffsetForTimestamp(ts);
    }
    default:
      throw new FlussError(ErrorCode.UNKNOWN_SERVER_ERROR, `Invalid list offset type: ${req.offsetType}`);
  }
}

/**
 * Api keys whose tablet handlers keep nothing of the request body once they have answered
 * (produce copies the records into the log before it resolves; PutKv keeps copies of keys and
 * values and writes its own changelog batch before it resolves): the RPC server may receive
 * these requests into recycled buffers.
 */
export const TRANSIENT_BODY_API_KEYS: ReadonlySet<number> = new Set([ApiKey.PRODUCE_LOG, ApiKey.PUT_KV]);

/** The tablet-server handlers (produce, fetch, list offsets), by api key. */
export function tabletHandlers(state: ServerState): Map<number, RawHandler> {
  const h = new Map<number, RawHandler>();
  h.set(
    ApiKey.PRODUCE_LOG,
    typedHandler(M.ProduceLogRequest, M.ProduceLogResponse, (req) => produceLog(state, req)),
  );
  h.set(
    ApiKey.FETCH_LOG,
    partsHandler(M.FetchLogRequest, async (req, ctx) => {
      const { response, lease } = await fetchLog(state, req, ctx);
      try {
        return fetchLogResponseParts(response, lease);
      } catch (err) {
        lease.release();
        throw err;
      }
    }),
  );
  h.set(
    ApiKey.LIST_OFFSETS,
    typedHandler(M.ListOffsetsRequest, M.ListOffsetsResponse, (req) => listOffsets(state, req)),
  );
  return h;
}
