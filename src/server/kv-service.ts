/**
 * The tablet server's primary-key RPCs: PutKv, Lookup and PrefixLookup (Java
 * `TabletService` / `ReplicaManager.putRecordsToKv`, `lookups`, `prefixLookups`). The
 * bucket's {@link KvTablet} does the work; per-bucket failures travel in the bucket entries.
 */
import { ApiKey } from "./../rpc/api-keys.js";
import { ErrorCode, FlussError } from "../rpc/errors.js";
import * as M from "../rpc/messages.js";
import { KvRecordBatchBuilder } from "../record/kv-batch.js";
import { bucketKey } from "./append-notifier.js";
import { typedHandler } from "./handler.js";
import type { KvTablet } from "./kv/kv-tablet.js";
import { kvTableOf } from "./kv/kv-table.js";
import type { RawHandler, RequestContext } from "./rpc-server.js";
import type { ServerState } from "./server-state.js";
import { tableBucketName } from "./storage/log-manager.js";
import type { TableView } from "./table-view.js";
import { errorFields, resolveBucket, unlessDropped } from "./tablet-service.js";

/** Java `ReplicaManager.PUT_KV_VERSION_WITH_STORAGE_BACKPRESSURE`. */
const PUT_KV_VERSION_WITH_STORAGE_BACKPRESSURE = 2;
/** Java `RocksDBKv.DELAYED_WRITE_PRESSURE_FLOOR`-like floor reported while snapshots lag far behind. */
const SNAPSHOT_LAG_PRESSURE = 0.5;

/** The bucket's table, which must have a primary key, and its KV tablet. */
async function openKv(
  state: ServerState,
  tableId: number,
  partitionId: number | undefined,
  bucket: number,
  apiVersion: number,
): Promise<{ t: TableView; kv: KvTablet }> {
  const t = resolveBucket(state, tableId, partitionId, bucket);
  if (!t.hasPrimaryKey) {
    throw new FlussError(
      ErrorCode.NON_PRIMARY_KEY_TABLE_EXCEPTION,
      `the primary key table not exists for ${tableBucketName(tableId, partitionId, bucket)}`,
    );
  }
  checkClientVersion(t, apiVersion);
  return { t, kv: await state.kv.getOrCreate(t, partitionId, bucket) };
}

/**
 * Java `ReplicaManager.validateClientVersionForPkTable`: v0 clients cannot write lake tables
 * whose keys use kv format version 2 with a bucket key other than the primary key.
 */
function checkClientVersion(t: TableView, apiVersion: number): void {
  if (apiVersion > 0) return;
  const info = kvTableOf(t).info;
  if (info.dataLakeFormat === undefined || info.kvFormatVersion !== 2) return;
  const pk = info.physicalPrimaryKeys;
  const bk = info.bucketKeys;
  if (bk.length === pk.length && bk.every((k, i) => pk[i] === k)) return;
  throw new FlussError(
    ErrorCode.UNSUPPORTED_VERSION,
    `Client API version ${apiVersion} is not supported for table '${t.databaseName}.${t.tableName}'. ` +
      `This table uses new key encoding strategy (kv format version 2). Please upgrade your Fluss client to a newer version.`,
  );
}

/** A KV tablet closed under a request by a drop reports the unknown bucket it now is. */
function whyFailed(state: ServerState, tableId: number, partitionId: number | undefined, bucket: number, err: unknown): unknown {
  if (err instanceof FlussError && err.code === ErrorCode.KV_STORAGE_EXCEPTION) {
    try {
      resolveBucket(state, tableId, partitionId, bucket);
    } catch (gone) {
      return gone;
    }
    return err;
  }
  return unlessDropped(state, tableId, partitionId, bucket, err);
}

/**
 * The write pressure of a bucket in [0, 1) (Java `RocksDBKv.currentPressure`): rises from 0
 * at half the pending-apply budget towards 1 at the budget; at least {@link SNAPSHOT_LAG_PRESSURE}
 * while snapshots lag four intervals' worth of changelog behind.
 */
function pressureOf(kv: KvTablet, maxPendingBytes: number, snapshotBytes: number): number {
  const slow = maxPendingBytes / 2;
  let p = kv.pendingApplyBytes <= slow ? 0 : (kv.pendingApplyBytes - slow) / (maxPendingBytes - slow);
  if (kv.unsnapshottedBytes >= 4 * snapshotBytes) p = Math.max(p, SNAPSHOT_LAG_PRESSURE);
  return Math.min(p, 0.999);
}

async function putKv(state: ServerState, req: M.PutKvRequest, ctx: RequestContext): Promise<M.PutKvResponse> {
  if (req.acks !== 0 && req.acks !== 1 && req.acks !== -1) {
    throw new FlussError(ErrorCode.INVALID_REQUIRED_ACKS, `Invalid required acks: ${req.acks}`);
  }
  const targetColumns = req.targetColumns.length > 0 ? req.targetColumns : undefined;
  const overwrite = req.aggMode === 1; // MergeMode.OVERWRITE; other values are DEFAULT
  const bucketsResp = await Promise.all(
    req.bucketsReq.map(async (b): Promise<M.PbPutKvRespForBucket> => {
      const id = { bucketId: b.bucketId, ...(b.partitionId !== undefined ? { partitionId: b.partitionId } : {}) };
      try {
        const { t, kv } = await openKv(state, req.tableId, b.partitionId, b.bucketId, ctx.apiVersion);
        const budget = state.kv.maxPendingBytes;
        if (kv.pendingApplyBytes > 0 && kv.pendingApplyBytes + b.records.length > budget) {
          // Java KvTablet.putAsLeader's admission gate; v0/v1 clients get the retriable 11
          const message =
            `Write rejected for ${tableBucketName(req.tableId, b.partitionId, b.bucketId)}: flush budget exceeded ` +
            `(storage pressure or buffer size limit reached). Retry after backoff.`;
          const code =
            ctx.apiVersion < PUT_KV_VERSION_WITH_STORAGE_BACKPRESSURE
              ? ErrorCode.KV_STORAGE_EXCEPTION
              : ErrorCode.STORAGE_BACKPRESSURE_EXCEPTION;
          return { ...id, errorCode: code, errorMessage: message };
        }
        const res = await kv.put(kvTableOf(t), b.records, {
          ...(targetColumns ? { targetColumns } : {}),
          overwrite,
        });
        if (!res.duplicate) state.notifier.notify(bucketKey(req.tableId, b.partitionId, b.bucketId));
        state.kv.afterPut(kv);
        const pressure = pressureOf(kv, budget, state.kv.snapshotBytes);
        return { ...id, logEndOffset: res.logEndOffset, ...(pressure > 0 ? { pressure } : {}) };
      } catch (err) {
        const why = whyFailed(state, req.tableId, b.partitionId, b.bucketId, err);
        return {
          ...id,
          ...errorFields(state, why, `putting records to ${tableBucketName(req.tableId, b.partitionId, b.bucketId)}`),
        };
      }
    }),
  );
  return { bucketsResp };
}

async function lookup(state: ServerState, req: M.LookupRequest, ctx: RequestContext): Promise<M.LookupResponse> {
  const bucketsResp = await Promise.all(
    req.bucketsReq.map(async (b): Promise<M.PbLookupRespForBucket> => {
      const id = { bucketId: b.bucketId, ...(b.partitionId !== undefined ? { partitionId: b.partitionId } : {}) };
      try {
        const { t, kv } = await openKv(state, req.tableId, b.partitionId, b.bucketId, ctx.apiVersion);
        let found = kv.lookup(b.keys);
        if (req.insertIfNotExists && found.some((v) => v === undefined)) {
          found = await insertMissing(state, req, t, kv, b, found);
        }
        const values = found.map((v): M.PbValue => (v === undefined ? {} : { values: v }));
        return { ...id, values };
      } catch (err) {
        const why = whyFailed(state, req.tableId, b.partitionId, b.bucketId, err);
        return {
          ...id,
          values: [],
          ...errorFields(state, why, `looking up ${tableBucketName(req.tableId, b.partitionId, b.bucketId)}`),
        };
      }
    }),
  );
  return { bucketsResp };
}

/**
 * Java's lookup-with-insert-if-not-exists: the missing keys are upserted as rows holding only
 * their primary key (a partial update of the key columns, so the auto-increment column gets
 * its value and an existing row is left alone), then looked up again.
 */
async function insertMissing(
  state: ServerState,
  req: M.LookupRequest,
  t: TableView,
  kv: KvTablet,
  b: M.PbLookupReqForBucket,
  found: (Uint8Array | undefined)[],
): Promise<(Uint8Array | undefined)[]> {
  if (req.acks === undefined || req.timeoutMs === undefined) {
    throw new FlussError(ErrorCode.UNKNOWN_SERVER_ERROR, "timeoutMs and requiredAcks must be set");
  }
  const kt = kvTableOf(t);
  if (!kt.keyRow) {
    throw new FlussError(
      ErrorCode.INVALID_TABLE_EXCEPTION,
      `Lookup with insert_if_not_exists is not supported for table ${t.databaseName}.${t.tableName} (partitioned or lake-encoded keys).`,
    );
  }
  const builder = new KvRecordBatchBuilder(kt.schemaId);
  const missing: number[] = [];
  found.forEach((v, i) => {
    if (v !== undefined) return;
    missing.push(i);
    const key = b.keys[i]!;
    builder.append(key, kt.rowEncoder.encode(kt.keyRow!(key)));
  });
  const res = await kv.put(kt, builder.build(), { targetColumns: kt.primaryKeyIndexes });
  if (!res.duplicate) state.notifier.notify(bucketKey(req.tableId, b.partitionId, b.bucketId));
  const again = kv.lookup(missing.map((i) => b.keys[i]!));
  const out = found.slice();
  missing.forEach((i, k) => (out[i] = again[k]));
  return out;
}

async function prefixLookup(
  state: ServerState,
  req: M.PrefixLookupRequest,
  ctx: RequestContext,
): Promise<M.PrefixLookupResponse> {
  const bucketsResp = await Promise.all(
    req.bucketsReq.map(async (b): Promise<M.PbPrefixLookupRespForBucket> => {
      const id = { bucketId: b.bucketId, ...(b.partitionId !== undefined ? { partitionId: b.partitionId } : {}) };
      try {
        const { kv } = await openKv(state, req.tableId, b.partitionId, b.bucketId, ctx.apiVersion);
        return { ...id, valueLists: b.keys.map((k) => ({ values: kv.prefixLookup(k) })) };
      } catch (err) {
        const why = whyFailed(state, req.tableId, b.partitionId, b.bucketId, err);
        return {
          ...id,
          valueLists: [],
          ...errorFields(state, why, `prefix looking up ${tableBucketName(req.tableId, b.partitionId, b.bucketId)}`),
        };
      }
    }),
  );
  return { bucketsResp };
}

/** The primary-key handlers (PutKv, Lookup, PrefixLookup), by api key. */
export function kvHandlers(state: ServerState): Map<number, RawHandler> {
  const h = new Map<number, RawHandler>();
  h.set(
    ApiKey.PUT_KV,
    typedHandler(M.PutKvRequest, M.PutKvResponse, (req, ctx) => putKv(state, req, ctx)),
  );
  h.set(
    ApiKey.LOOKUP,
    typedHandler(M.LookupRequest, M.LookupResponse, (req, ctx) => lookup(state, req, ctx)),
  );
  h.set(
    ApiKey.PREFIX_LOOKUP,
    typedHandler(M.PrefixLookupRequest, M.PrefixLookupResponse, (req, ctx) => prefixLookup(state, req, ctx)),
  );
  return h;
}
