/**
 * Reading what a table holds now: LimitScan (the last records of a log bucket, the first
 * rows of a primary-key bucket) and ScanKv (a full scan of a primary-key bucket in chunks,
 * over a consistent view, in sessions), following Java's `TabletService.limitScan` /
 * `scanKv`, `ReplicaManager.limitScan` and `Replica.limitLogScan` / `limitKvScan`.
 */
import { ApiKey } from "../rpc/api-keys.js";
import { ErrorCode, FlussError } from "../rpc/errors.js";
import * as M from "../rpc/messages.js";
import { iterateBatches } from "../record/log-batch.js";
import { ValueRecordBatchBuilder } from "../record/value-batch.js";
import { bucketKey } from "./append-notifier.js";
import { typedHandler } from "./handler.js";
import type { KvTablet } from "./kv/kv-tablet.js";
import type { ScanSession } from "./kv/scanner-manager.js";
import type { RawHandler } from "./rpc-server.js";
import type { ServerState } from "./server-state.js";
import { tableBucketName } from "./storage/log-manager.js";
import { errorFields, resolveBucket, unlessDropped } from "./tablet-service.js";

/** The tablet server that opened a session, and its bucket (several-server clusters only). */
interface SessionOwner {
  readonly serverId: number;
  readonly tableId: number;
  readonly partitionId: number | undefined;
  readonly bucketId: number;
}

const owners = new WeakMap<ScanSession, SessionOwner>();

/**
 * Closes the sessions tablet server `serverId` opened (it stopped: its sessions died with
 * it), or, with `bucket`, the sessions of that bucket (it lost its leader).
 */
export function closeScanSessions(state: ServerState, which: { serverId?: number; bucket?: string }): void {
  state.kv.scanners.closeIf((s) => {
    if (which.bucket !== undefined) return s.bucket === which.bucket;
    return owners.get(s)?.serverId === which.serverId;
  });
}

/** Bytes per read step of a log limit scan. */
const LIMIT_READ_BYTES = 16 * 1024 * 1024;

function invalid(message: string): FlussError {
  return new FlussError(ErrorCode.INVALID_SCAN_REQUEST, message);
}

/** A closed KV tablet or log under a request (its table was dropped) is the unknown bucket it now is. */
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

/** The KV tablet of a primary-key bucket (NON_PRIMARY_KEY_TABLE_EXCEPTION otherwise, as `Replica.openScan`). */
async function kvOf(state: ServerState, tableId: number, partitionId: number | undefined, bucket: number): Promise<KvTablet> {
  const t = resolveBucket(state, tableId, partitionId, bucket);
  if (!t.hasPrimaryKey) {
    throw new FlussError(
      ErrorCode.NON_PRIMARY_KEY_TABLE_EXCEPTION,
      `the primary key table not exists for ${tableBucketName(tableId, partitionId, bucket)}`,
    );
  }
  return state.kv.getOrCreate(t, partitionId, bucket);
}

// ------------------------------------------------------------------ LimitScan

/**
 * The records of a log bucket from `max(logStart, highWatermark - limit)` up to the high
 * watermark (`Replica.limitLogScan`): whole batches, so the first may start earlier; the
 * client keeps the last `limit` rows. Java reads one segment; this reads up to the high
 * watermark across segments.
 */
async function limitLogScan(
  state: ServerState,
  tableId: number,
  partitionId: number | undefined,
  bucket: number,
  limit: number,
): Promise<Uint8Array> {
  const log = await state.logs.getOrCreate(tableId, partitionId, bucket);
  const hw = log.highWatermark;
  let offset = Math.max(log.logStartOffset, hw - limit);
  const parts: Uint8Array[] = [];
  while (offset < hw) {
    const res = await log.read(offset, LIMIT_READ_BYTES, { upTo: hw });
    if (res.records.length === 0) break;
    parts.push(res.records);
    let next = offset;
    for (const b of iterateBatches(res.records)) next = Math.max(next, b.lastOffset + 1);
    if (next <= offset) break;
    offset = next;
  }
  return parts.length === 1 ? parts[0]! : Buffer.concat(parts);
}

async function limitScan(state: ServerState, req: M.LimitScanRequest): Promise<M.LimitScanResponse> {
  const { tableId, partitionId, bucketId, limit } = req;
  try {
    const t = resolveBucket(state, tableId, partitionId, bucketId);
    if (t.hasPrimaryKey) {
      const kv = await state.kv.getOrCreate(t, partitionId, bucketId);
      const builder = new ValueRecordBatchBuilder();
      for (const v of kv.limitScan(limit)) builder.appendLatin1(v);
      return { isLogTable: false, records: builder.build() };
    }
    return { isLogTable: true, records: await limitLogScan(state, tableId, partitionId, bucketId, limit) };
  } catch (err) {
    const why = whyFailed(state, tableId, partitionId, bucketId, err);
    return errorFields(state, why, `limit scanning ${tableBucketName(tableId, partitionId, bucketId)}`);
  }
}

// ------------------------------------------------------------------ ScanKv

/** Java `TabletService.scanKv`, request checks and error codes included. */
async function scanKv(state: ServerState, req: M.ScanKvRequest): Promise<M.ScanKvResponse> {
  const scanners = state.kv.scanners;
  let opened: ScanSession | undefined;
  let where = "scanning a KV bucket";
  let bucketReq: M.PbScanReqForBucket | undefined;
  try {
    bucketReq = req.bucketScanReq;
    if (bucketReq && req.scannerId !== undefined)
      throw invalid("ScanKvRequest must not set both bucket_scan_req and scanner_id.");
    if (bucketReq && req.closeScanner === true)
      throw invalid("ScanKvRequest must not set close_scanner together with bucket_scan_req.");
    if (!bucketReq && req.scannerId === undefined) {
      throw invalid("ScanKvRequest must have either bucket_scan_req (new scan) or scanner_id (continuation).");
    }
    const isClose = req.closeScanner === true;
    let batchBytes = 0;
    if (!isClose) {
      if (req.batchSizeBytes === undefined) throw invalid("batch_size_bytes is required for data-fetching scan requests.");
      if (req.batchSizeBytes <= 0) throw invalid("batch_size_bytes must be greater than 0.");
      batchBytes = Math.min(req.batchSizeBytes, scanners.maxBatchBytes);
    }

    let session: ScanSession;
    let isNew = false;
    if (bucketReq) {
      const { tableId, partitionId, bucketId } = bucketReq;
      const name = tableBucketName(tableId, partitionId, bucketId);
      where = `scanning ${name}`;
      const kv = await kvOf(state, tableId, partitionId, bucketId);
      const key = bucketKey(tableId, partitionId, bucketId);
      scanners.checkLimits(key, name);
      // synchronous from here: the view and its offset are taken between two puts
      const { view, logOffset } = kv.openView();
      if (view.empty) {
        // an empty bucket opens no session, and still tells where its changelog stands
        view.close();
        return { hasMoreResults: false, logOffset };
      }
      try {
        session = scanners.create(key, name, view, logOffset, bucketReq.limit ?? -1);
      } catch (err) {
        view.close();
        throw err;
      }
      opened = session;
      isNew = true;
      const node = state.node;
      if (node?.role === "tablet-server") owners.set(session, { serverId: node.serverId, tableId, partitionId, bucketId });
    } else {
      const id = req.scannerId!;
      let found = scanners.get(id);
      const node = state.node;
      // sessions live in the server that opened them: another server does not know the id
      if (found && node?.role === "tablet-server" && owners.get(found)?.serverId !== node.serverId) found = undefined;
      if (!found) {
        if (isClose) return { scannerId: id, hasMoreResults: false };
        if (scanners.isRecentlyExpired(id)) {
          throw new FlussError(
            ErrorCode.SCANNER_EXPIRED,
            "Scanner session has expired due to inactivity. Please start a new scan.",
          );
        }
        throw new FlussError(ErrorCode.UNKNOWN_SCANNER_ID, "Unknown scanner ID. The session may have expired or never existed.");
      }
      session = found;
      opened = session;
      where = `scanning ${session.bucketName}`;
    }

    // close requests skip the call_seq_id check; the finally block closes the session
    if (isClose) return { scannerId: session.idBytes, hasMoreResults: false };

    if (req.callSeqId === undefined) {
      throw invalid("call_seq_id is required for ScanKV requests to ensure in-order processing and at-least-once semantics.");
    }
    const expected = session.callSeqId + 1;
    if (req.callSeqId !== expected) {
      throw invalid(`Out-of-order scan request: expected callSeqId=${expected} but got ${req.callSeqId}.`);
    }
    // a leadership flip ahead of closing the bucket's sessions (TabletService.java:674)
    const owner = isNew ? undefined : owners.get(session);
    if (owner && state.node?.leadership.leaderOf(owner.tableId, owner.partitionId, owner.bucketId).leader !== owner.serverId) {
      throw new FlussError(
        ErrorCode.NOT_LEADER_OR_FOLLOWER,
        `Leader is no longer local for bucket ${session.bucketName}; client should restart the scan against the new leader.`,
      );
    }
    scanners.markAccessed(session);

    // at least one record per response, then while under the batch size (TabletService.java scanKv)
    const builder = new ValueRecordBatchBuilder(Math.min(batchBytes, 1 << 20) + 64);
    let appended = false;
    while (session.isValid && (!appended || builder.sizeInBytes < batchBytes)) {
      builder.appendLatin1(session.current);
      session.advance();
      appended = true;
    }
    session.checkView();
    const hasMore = session.isValid;
    const resp: M.ScanKvResponse = { scannerId: session.idBytes, hasMoreResults: hasMore, records: builder.build() };
    if (isNew) resp.logOffset = session.logOffset;
    session.callSeqId = req.callSeqId;
    if (hasMore) opened = undefined; // keep the session for the next call
    return resp;
  } catch (err) {
    const why = bucketReq ? whyFailed(state, bucketReq.tableId, bucketReq.partitionId, bucketReq.bucketId, err) : err;
    return errorFields(state, why, where);
  } finally {
    // a finished scan, a close, or any failure ends the session (as Java's finally block)
    if (opened) scanners.remove(opened);
  }
}

/** The LimitScan and ScanKv handlers, by api key. */
export function scanHandlers(state: ServerState): Map<number, RawHandler> {
  const h = new Map<number, RawHandler>();
  h.set(
    ApiKey.LIMIT_SCAN,
    typedHandler(M.LimitScanRequest, M.LimitScanResponse, (req) => limitScan(state, req)),
  );
  h.set(
    ApiKey.SCAN_KV,
    typedHandler(M.ScanKvRequest, M.ScanKvResponse, (req) => scanKv(state, req)),
  );
  return h;
}
