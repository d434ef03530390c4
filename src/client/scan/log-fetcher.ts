/**
 * The fetch engine shared by the record and batch scanners (Java `LogFetcher`).
 *
 * - Subscriptions map each bucket to the next offset to fetch and the consumer's
 *   position (the next offset `poll` returns).
 * - At most one FetchLog request per leader tablet server is in flight; it groups every
 *   fetchable bucket of this table led by that server.
 * - The next request is sent as soon as the previous response is handled, so data is
 *   prefetched while the caller works, until `scanner.log.max-buffered-bytes` of
 *   completed fetches wait undrained.
 * - LATEST (-1) start offsets are resolved with ListOffsets(latest) first; EARLIEST (-2)
 *   is sent as is (the server reads from the log start).
 * - Per-bucket errors follow protocol.md §7: stale-metadata/storage errors refresh
 *   metadata and retry; LOG_OFFSET_OUT_OF_RANGE and unknown codes fail the bucket, and
 *   the next `poll` throws.
 * - Transient failures (a server that does not answer or cannot be reached, retriable
 *   errors) are retried quietly but reported to `onError` listeners; with
 *   `scanner.max-unavailable-ms` set, `poll` throws once fetching failed for that long
 *   without a success in between (and keeps retrying afterwards).
 * - A bucket whose fetch offset lies in remote (tiered) storage gets
 *   `remote_log_fetch_info` instead of records: it is then read from the named segments
 *   (`remote/`), and FetchLog resumes where the last of them ends.
 */
import type { TableBucket } from "../../metadata/cluster.js";
import type { TablePath } from "../../metadata/table-path.js";
import { iterateBatches, LENGTH_OFFSET, LOG_OVERHEAD, type LogBatchView } from "../../record/log-batch.js";
import { ApiKey } from "../../rpc/api-keys.js";
import { ErrorCode, FlussError, errorName } from "../../rpc/errors.js";
import type { FetchLogRequest, FetchLogResponse, PbFetchLogRespForBucket, PbRemoteLogFetchInfo } from "../../rpc/messages.js";
import type { ClientContext } from "../context.js";
import type { NodeAddress } from "../metadata.js";
import { EARLIEST_OFFSET, LATEST_OFFSET, OffsetSpec } from "../offsets.js";
import { backoffMs, isRetriableError } from "../retry.js";
import { CompletedFetch, FetchBuffer } from "./fetch-buffer.js";
import { isRemoteFileMissing, parseRemoteLocation } from "./remote/file-system.js";
import { RemoteBucketRead } from "./remote/remote-bucket-read.js";
import { RemoteLogDownloader } from "./remote/remote-log-downloader.js";
import { BucketFetchSize, FetchSizing } from "./fetch-sizing.js";
import { bucketKey, tableBucket } from "./scan-records.js";

/** What the fetcher needs to know about the table (a subset of `TableInfo`). */
export interface FetchTableInfo {
  readonly tablePath: TablePath;
  readonly tableId: number;
  readonly numBuckets: number;
  readonly isPartitioned: boolean;
}

/** Fetch settings derived from the scan. */
export interface FetcherOptions {
  /** Ascending column indexes pushed down to the server; undefined = all columns. */
  readonly projectedFields?: readonly number[];
}

/** One batch handed to a scanner by {@link LogFetcher.drain}. */
export interface DrainedBatch {
  readonly bucket: TableBucket;
  readonly view: LogBatchView;
  /** Skip records with offsets below this. */
  readonly skipBelow: number;
  /** Skip records at or above this offset (`Infinity`: none). */
  readonly stopAt: number;
  /** The batch holds every column although a projection is pushed down (a remote batch). */
  readonly whole?: boolean;
}

/** Errors after which the fetcher refreshes metadata and keeps going (protocol.md §7). */
const REFRESH_AND_RETRY = new Set<number>([
  ErrorCode.NOT_LEADER_OR_FOLLOWER,
  ErrorCode.LOG_STORAGE_EXCEPTION,
  ErrorCode.KV_STORAGE_EXCEPTION,
  ErrorCode.STORAGE_EXCEPTION,
  ErrorCode.FENCED_LEADER_EPOCH_EXCEPTION,
  ErrorCode.UNKNOWN_TABLE_OR_BUCKET_EXCEPTION,
  ErrorCode.LEADER_NOT_AVAILABLE_EXCEPTION,
  ErrorCode.NETWORK_EXCEPTION,
  ErrorCode.REQUEST_TIME_OUT,
]);

const MAX_BACKOFF_MS = 2_000;
const backoff = (attempt: number): number => backoffMs(attempt, 50, MAX_BACKOFF_MS);

class BucketState {
  /** Next offset to request (LATEST while unresolved, EARLIEST until data arrives). */
  fetchOffset: number;
  /** The consumer's position: the offset after the last record handed out. */
  position: number;
  highWatermark = -1;
  /** HW of the last fetch that returned nothing while nothing was buffered. */
  idleHighWatermark: number | undefined;
  inFlight = false;
  resolving = false;
  /** Whether the partition's existence is being checked (subscription to an unknown partition id). */
  verifying = false;
  /**
   * The per-bucket limit of the next fetch when the last one held only part of a batch
   * (its length from the batch header): fetched on its own with that limit, so the whole
   * batch comes back. Undefined: `scanner.log.fetch.max-bytes-for-bucket`.
   */
  raisedLimit: number | undefined;
  /** The remote segments being read instead of FetchLog (set by a `remote_log_fetch_info` answer). */
  remote: RemoteBucketRead | undefined;
  /** The fetch offset at which a remote segment was missing (the next miss there fails the bucket). */
  missingRemoteAt: number | undefined;
  /** The adaptive per-bucket limit (fetch-sizing.ts). */
  readonly size: BucketFetchSize;
  /** Earliest time of the next fetch or resolution attempt (retry backoff). */
  retryAt = 0;
  attempts = 0;
  error: FlussError | undefined;
  private settleReady: ((err?: FlussError) => void) | undefined;
  /** Resolves once the start offset is known. */
  readonly ready: Promise<void>;

  constructor(
    readonly bucket: TableBucket,
    readonly key: string,
    startOffset: number,
    /** Whether the start is settled later (LATEST to look up, a partition to check). */
    settleLater: boolean,
    sizing: FetchSizing,
  ) {
    this.size = new BucketFetchSize(sizing);
    this.fetchOffset = startOffset;
    this.position = startOffset;
    if (settleLater) {
      this.ready = new Promise<void>((resolve, reject) => {
        this.settleReady = (err) => (err ? reject(err) : resolve());
      });
      this.ready.catch(() => undefined); // surfaced through poll too; never unhandled
    } else {
      this.ready = Promise.resolve();
    }
  }

  settle(err?: FlussError): void {
    this.settleReady?.(err);
    this.settleReady = undefined;
  }
}

function serverName(n: NodeAddress): string {
  return `tablet server ${n.id} (${n.host}:${n.port})`;
}

function describe(b: TableBucket): string {
  return b.partitionId === undefined ? `bucket ${b.bucket}` : `partition ${b.partitionId} bucket ${b.bucket}`;
}

/** @internal The fetch engine of one scanner. */
export class LogFetcher {
  private readonly buckets = new Map<string, BucketState>();
  private readonly buffer = new FetchBuffer();
  private readonly nodesInFlight = new Set<number>();
  private readonly nodeRetryAt = new Map<number, { at: number; attempts: number }>();
  private readonly maxBytes: number;
  private readonly maxBucketBytes: number;
  private readonly minBytes: number;
  private readonly maxWaitMs: number;
  private readonly maxBuffered: number;
  private readonly checkCrc: boolean;
  /** Remote batches are whole (not projected by a server): their CRC can always be checked. */
  private readonly checkRemoteCrc: boolean;
  /** Bytes read from a remote segment at a time. */
  private readonly remoteChunkBytes: number;
  private downloader: RemoteLogDownloader | undefined;
  private readonly sizing: FetchSizing;
  /** Bytes the requests in flight may bring back (their per-bucket limits). */
  private inFlightBytes = 0;
  private scheduled = false;
  private refreshing = false;
  /** Whether a check that the table id still exists is running. */
  private checkingTable = false;
  /** TABLE_NOT_EXIST once the table is known to be dropped: every bucket fails with it. */
  private tableGone: FlussError | undefined;
  private timer: NodeJS.Timeout | undefined;
  private timerAt = Infinity;
  private closed = false;
  private readonly errorListeners = new Set<(err: FlussError) => void>();
  private readonly maxUnavailableMs: number;
  /** Since when fetching fails without a success in between (undefined: it works). */
  private unavailableSince: number | undefined;
  private lastFailure: FlussError | undefined;
  /** The servers that failed since {@link unavailableSince}. */
  private readonly failingServers = new Set<string>();
  private unavailableTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly ctx: ClientContext,
    readonly table: FetchTableInfo,
    private readonly options: FetcherOptions = {},
  ) {
    const c = ctx.config;
    this.maxBytes = c.get("scanner.log.fetch.max-bytes");
    this.maxBucketBytes = c.get("scanner.log.fetch.max-bytes-for-bucket");
    this.minBytes = c.get("scanner.log.fetch.min-bytes");
    this.maxWaitMs = c.get("scanner.log.fetch.wait-max-time-ms");
    this.maxBuffered = c.get("scanner.log.max-buffered-bytes");
    this.sizing = new FetchSizing(this.maxBucketBytes, this.maxBytes, this.maxBuffered);
    // Server-side projection rewrites batches without recomputing the CRC (formats.md §1.5).
    this.checkCrc = c.get("scanner.log.check-crc") && options.projectedFields === undefined;
    this.checkRemoteCrc = c.get("scanner.log.check-crc");
    this.remoteChunkBytes = Math.min(this.maxBytes, Math.max(this.maxBucketBytes, 4 * 1024 * 1024));
    this.maxUnavailableMs = c.get("scanner.max-unavailable-ms");
  }

  // ---- failure reporting -------------------------------------------------------------

  /** Registers a listener of transient failures; returns its removal. */
  onError(listener: (err: FlussError) => void): () => void {
    this.errorListeners.add(listener);
    return () => this.errorListeners.delete(listener);
  }

  /** A transient failure, retried: tell the listeners, start the unavailability clock. */
  private reportFailure(err: FlussError, server?: NodeAddress): void {
    if (this.closed) return;
    if (server) this.failingServers.add(serverName(server));
    this.lastFailure = err;
    if (this.unavailableSince === undefined) {
      this.unavailableSince = Date.now();
      this.armUnavailableTimer();
    }
    for (const listener of [...this.errorListeners]) {
      try {
        listener(err);
      } catch {
        // a listener's failure must not stop the fetch loop or the other listeners
      }
    }
  }

  /** A fetch succeeded: the cluster answers again. */
  private markAvailable(): void {
    this.unavailableSince = undefined;
    this.lastFailure = undefined;
    this.failingServers.clear();
    if (this.unavailableTimer) clearTimeout(this.unavailableTimer);
    this.unavailableTimer = undefined;
  }

  /**
   * A fetch or remote read succeeded: the clock stops unless a remote segment download is
   * still failing (it is retried for as long as the scanner is open, so a segment that stays
   * unreadable reaches `scanner.max-unavailable-ms` even while other buckets are read).
   */
  private markReadable(): void {
    if (!this.downloader?.retrying) this.markAvailable();
  }

  /** Wakes waiting polls when `scanner.max-unavailable-ms` runs out. */
  private armUnavailableTimer(): void {
    if (this.maxUnavailableMs <= 0 || this.unavailableSince === undefined) return;
    if (this.unavailableTimer) clearTimeout(this.unavailableTimer);
    const at = this.unavailableSince + this.maxUnavailableMs;
    this.unavailableTimer = setTimeout(
      () => {
        this.unavailableTimer = undefined;
        this.buffer.notify();
      },
      Math.max(0, at - Date.now()),
    );
  }

  private unavailableTooLong(): boolean {
    return (
      this.maxUnavailableMs > 0 &&
      this.unavailableSince !== undefined &&
      Date.now() - this.unavailableSince >= this.maxUnavailableMs
    );
  }

  /**
   * The error `poll` throws when fetching failed for `scanner.max-unavailable-ms`; the
   * clock restarts, so the next poll waits as long again before throwing (retries go on).
   */
  private takeUnavailableError(): FlussError | undefined {
    if (!this.unavailableTooLong()) return undefined;
    const since = this.unavailableSince!;
    const last = this.lastFailure;
    const servers = this.failingServers.size > 0 ? [...this.failingServers] : this.ctx.metadata.tabletServers().map(serverName);
    const now = Date.now();
    this.unavailableSince = now;
    this.armUnavailableTimer();
    return new FlussError(
      last?.code ?? ErrorCode.NETWORK_EXCEPTION,
      `reading table ${this.table.tablePath.toString()} has failed for ${now - since} ms ` +
        `(scanner.max-unavailable-ms = ${this.maxUnavailableMs}): ${servers.length > 0 ? servers.join(", ") : "no server"} ` +
        `not answering or failing; last cause: ${last?.message ?? "unknown"} (the scanner keeps retrying)`,
      { cause: last, retriable: true },
    );
  }

  // ---- subscriptions -----------------------------------------------------------------

  /** Starts (or restarts) reading a bucket at `offset` (EARLIEST, LATEST or an offset). */
  subscribe(partitionId: number | undefined, bucket: number, offset: number): Promise<void> {
    this.ensureOpen();
    const key = bucketKey(partitionId, bucket);
    // a partition id not in metadata yet is checked first (Java checks at subscribe too)
    const verify = partitionId !== undefined && !this.ctx.metadata.partitionBuckets(partitionId) && !this.tableGone;
    const state = new BucketState(
      tableBucket(this.table.tableId, partitionId, bucket),
      key,
      offset,
      verify || offset === LATEST_OFFSET,
      this.sizing,
    );
    const old = this.buckets.get(key);
    old?.settle(FlussError.client(`${describe(state.bucket)} was re-subscribed`));
    if (old) this.stopRemote(old);
    this.buckets.set(key, state);
    this.buffer.removeBucket(key);
    if (this.tableGone) this.failBucket(state, this.tableGone);
    else if (verify) this.verifyPartition(state);
    this.schedule();
    return state.ready;
  }

  /** Stops reading a bucket and drops its buffered data. */
  unsubscribe(partitionId: number | undefined, bucket: number): void {
    const key = bucketKey(partitionId, bucket);
    const state = this.buckets.get(key);
    if (!state) return;
    state.settle(FlussError.client(`${describe(state.bucket)} was unsubscribed`));
    this.stopRemote(state);
    this.buckets.delete(key);
    this.buffer.removeBucket(key);
  }

  /** The subscribed buckets. */
  subscribed(): TableBucket[] {
    return [...this.buckets.values()].map((s) => s.bucket);
  }

  /** The consumer position of a bucket (undefined when not subscribed). */
  position(partitionId: number | undefined, bucket: number): number | undefined {
    return this.buckets.get(bucketKey(partitionId, bucket))?.position;
  }

  /** Waits until every LATEST subscription has been resolved (or failed). */
  async whenResolved(): Promise<void> {
    await Promise.all([...this.buckets.values()].map((s) => s.ready.catch(() => undefined)));
  }

  /**
   * Whether a bucket has returned everything below `stopOffset`: its position reached
   * it, or it started at EARLIEST and the log holds nothing below it.
   */
  reached(partitionId: number | undefined, bucket: number, stopOffset: number): boolean {
    const s = this.buckets.get(bucketKey(partitionId, bucket));
    if (!s || stopOffset <= 0) return true;
    if (s.position >= stopOffset) return true;
    return (
      s.position === EARLIEST_OFFSET &&
      s.fetchOffset === EARLIEST_OFFSET &&
      s.idleHighWatermark !== undefined &&
      s.idleHighWatermark >= stopOffset &&
      !this.buffer.has(s.key)
    );
  }

  // ---- consuming ---------------------------------------------------------------------

  /** Whether completed fetches are waiting. */
  hasData(): boolean {
    return !this.buffer.isEmpty();
  }

  /**
   * The first failure not yet cleared by re-subscribing, if no data precedes it; else the
   * error for fetching that failed longer than `scanner.max-unavailable-ms` (taken once).
   */
  pendingError(): FlussError | undefined {
    return this.bucketError() ?? this.takeUnavailableError();
  }

  private bucketError(): FlussError | undefined {
    for (const s of this.buckets.values()) {
      if (s.error && !this.buffer.has(s.key)) return s.error;
    }
    return undefined;
  }

  /** Schema ids of buffered batches for which `known` is false (what must be fetched before draining). */
  unknownSchemaIds(known: (schemaId: number) => boolean): number[] {
    const out: number[] = [];
    for (const f of this.buffer.fetches()) {
      if (f.drained) continue;
      for (const id of f.schemaIds) if (!known(id) && !out.includes(id)) out.push(id);
    }
    return out;
  }

  /**
   * Hands out buffered batches, oldest first, until about `maxBytes` were taken.
   * `stopOffsets` (by bucket key) caps what is taken per bucket; the rest stays buffered.
   * Positions advance as batches are handed out.
   */
  drain(maxBytes: number, stopOffsets?: ReadonlyMap<string, number>): DrainedBatch[] {
    const out: DrainedBatch[] = [];
    let taken = 0;
    for (const f of this.buffer.fetches()) {
      if (taken >= maxBytes) break;
      const state = this.buckets.get(f.key);
      if (!state) {
        f.index = f.batches.length;
        continue;
      }
      const stop = stopOffsets?.get(f.key) ?? Infinity;
      while (!f.drained && taken < maxBytes) {
        const view = f.batches[f.index]!;
        const start = Math.max(view.baseOffset, f.skipBelow);
        if (start >= stop) break;
        const next = view.nextOffset;
        if (next <= stop) {
          out.push({ bucket: f.bucket, view, skipBelow: f.skipBelow, stopAt: Infinity, whole: f.whole });
          f.index++;
          state.position = Math.max(state.position, next);
        } else {
          // the batch straddles the stop offset: hand out its head, keep the rest
          out.push({ bucket: f.bucket, view, skipBelow: f.skipBelow, stopAt: stop, whole: f.whole });
          f.skipBelow = stop;
          state.position = Math.max(state.position, stop);
        }
        taken += view.sizeInBytes;
      }
    }
    if (this.buffer.prune() > 0) this.schedule();
    return out;
  }

  /**
   * Fails a bucket at `offset` with `err` (a batch there could not be decoded): its
   * buffered data is dropped, fetching stops, and the position stays at `offset` until the
   * bucket is subscribed again.
   */
  failAt(bucket: TableBucket, offset: number, err: FlussError): void {
    const key = bucketKey(bucket.partitionId, bucket.bucket);
    const s = this.buckets.get(key);
    if (!s) return;
    this.buffer.removeBucket(key);
    this.stopRemote(s);
    s.position = offset;
    s.fetchOffset = offset;
    this.failBucket(s, err);
  }

  /** Resolves when data or an error arrives, after `timeoutMs`, on wake-up or abort. */
  waitForData(timeoutMs: number, signal?: AbortSignal, ignoreBuffered = false): Promise<void> {
    if (this.bucketError() || this.unavailableTooLong() || this.closed) return Promise.resolve();
    return this.buffer.waitForData(timeoutMs, signal, ignoreBuffered);
  }

  /** Wakes every pending wait. */
  wakeup(): void {
    this.buffer.notify();
  }

  /**
   * Stops fetching; buffered data is dropped and waiters are woken. The promise resolves
   * once the downloaded remote segments are deleted.
   */
  close(): Promise<void> {
    if (this.closed) return Promise.resolve();
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.markAvailable();
    this.errorListeners.clear();
    for (const s of this.buckets.values()) {
      s.settle(FlussError.client("the scanner was closed"));
      this.stopRemote(s);
    }
    this.buckets.clear();
    this.buffer.clear();
    this.buffer.notify();
    return this.downloader?.close() ?? Promise.resolve();
  }

  get isClosed(): boolean {
    return this.closed;
  }

  // ---- the fetch loop ----------------------------------------------------------------

  private ensureOpen(): void {
    if (this.closed) throw FlussError.client("the scanner is closed");
  }

  /** Runs {@link sendFetches} once in a microtask, coalescing triggers. */
  private schedule(): void {
    if (this.scheduled || this.closed) return;
    this.scheduled = true;
    queueMicrotask(() => {
      this.scheduled = false;
      this.sendFetches();
    });
  }

  /** Re-runs the loop at `at` (epoch ms) unless an earlier run is already planned. */
  private scheduleAt(at: number): void {
    if (this.closed || at >= this.timerAt) return;
    if (this.timer) clearTimeout(this.timer);
    this.timerAt = at;
    this.timer = setTimeout(
      () => {
        this.timer = undefined;
        this.timerAt = Infinity;
        this.sendFetches();
      },
      Math.max(0, at - Date.now()),
    );
    this.timer.unref?.();
  }

  private sendFetches(): void {
    if (this.closed) return;
    const now = Date.now();
    const toResolve: BucketState[] = [];
    const leaderless: BucketState[] = [];
    const byNode = new Map<number, BucketState[]>();
    let wakeAt = Infinity;
    const full = this.buffer.bufferedBytes >= this.maxBuffered;
    for (const s of this.buckets.values()) {
      if (s.error || s.inFlight || s.resolving || s.verifying) continue;
      if (s.retryAt > now) {
        wakeAt = Math.min(wakeAt, s.retryAt);
        continue;
      }
      if (s.fetchOffset === LATEST_OFFSET) {
        toResolve.push(s);
        continue;
      }
      if (full) continue;
      if (s.remote) {
        this.readRemote(s, s.remote);
        continue;
      }
      const leader = this.ctx.metadata.leaderFor(this.table.tableId, s.bucket.partitionId, s.bucket.bucket);
      if (!leader) {
        leaderless.push(s);
        continue;
      }
      if (this.nodesInFlight.has(leader.id)) continue;
      const nodeRetry = this.nodeRetryAt.get(leader.id);
      if (nodeRetry && nodeRetry.at > now) {
        wakeAt = Math.min(wakeAt, nodeRetry.at);
        continue;
      }
      let list = byNode.get(leader.id);
      if (!list) byNode.set(leader.id, (list = []));
      list.push(s);
    }
    if (wakeAt < Infinity) this.scheduleAt(wakeAt);
    if (toResolve.length > 0) this.resolveLatest(toResolve);
    if (leaderless.length > 0) this.refreshMetadata(leaderless);
    for (const [nodeId, states] of byNode) {
      // buckets whose last fetch held a cut batch go alone, with their raised limits
      const raised = states.filter((s) => s.raisedLimit !== undefined);
      this.fetchFrom(nodeId, raised.length > 0 ? raised : states);
    }
  }

  private buildRequest(states: readonly BucketState[], limits: readonly number[]): FetchLogRequest {
    const projected = this.options.projectedFields;
    let raised = 0;
    for (const s of states) raised += s.raisedLimit ?? 0;
    return {
      followerServerId: -1,
      // the server's total budget must hold every raised bucket's whole batch
      maxBytes: Math.max(this.maxBytes, raised),
      minBytes: this.minBytes,
      maxWaitMs: this.maxWaitMs,
      // FetchLogReadPreference: LOCAL_FIRST = 0, REMOTE_FIRST = 1 (servers without it read locally)
      readPreference: this.ctx.config.get("scanner.log.read-preference") === "remote-first" ? 1 : 0,
      tablesReq: [
        {
          tableId: this.table.tableId,
          projectionPushdownEnabled: projected !== undefined,
          projectedFields: projected ? [...projected] : [],
          bucketsReq: states.map((s, i) => ({
            ...(s.bucket.partitionId !== undefined ? { partitionId: s.bucket.partitionId } : {}),
            bucketId: s.bucket.bucket,
            fetchOffset: s.fetchOffset,
            maxFetchBytes: s.raisedLimit ?? limits[i]!,
          })),
        },
      ],
    };
  }

  private fetchFrom(nodeId: number, states: BucketState[]): void {
    const node = this.ctx.metadata.tabletServer(nodeId);
    if (!node) {
      for (const s of states) this.ctx.metadata.invalidate(this.table.tableId, s.bucket.partitionId);
      this.schedule();
      return;
    }
    const limits = this.sizing.limits(
      states.map((s) => s.size),
      this.buffer.bufferedBytes + this.inFlightBytes,
    );
    const request = this.buildRequest(states, limits);
    let asked = 0;
    for (const b of request.tablesReq[0]!.bucketsReq) asked += b.maxFetchBytes;
    asked = Math.min(asked, request.maxBytes);
    this.inFlightBytes += asked;
    const sent = states.map((s) => ({ state: s, offset: s.fetchOffset }));
    for (const s of states) s.inFlight = true;
    this.nodesInFlight.add(nodeId);
    const done = (): void => {
      this.inFlightBytes -= asked;
      this.nodesInFlight.delete(nodeId);
      for (const { state } of sent) state.inFlight = false;
    };
    // Written synchronously when the connection is up: the response handler below calls
    // this before the scanner's queued continuation decodes the previous response.
    // Prefetching does not keep the process alive (a waiting poll does, by its timer).
    const options = { background: true };
    const open = this.ctx.rpc.openConnection(node);
    const response = open
      ? open.request(ApiKey.FETCH_LOG, request, options)
      : this.ctx.rpc.connection(node).then((conn) => conn.request(ApiKey.FETCH_LOG, request, options));
    response.then(
      (resp) => {
        done();
        if (this.closed) return;
        this.nodeRetryAt.delete(nodeId);
        if (this.handleResponse(resp, sent, node)) this.markReadable();
        // at once, not in a microtask: the pollers woken by handleResponse run first otherwise
        this.sendFetches();
      },
      (err: unknown) => {
        done();
        if (this.closed) return;
        this.handleRequestError(node, err, sent);
        this.schedule();
      },
    );
  }

  private handleRequestError(node: NodeAddress, err: unknown, sent: readonly { state: BucketState }[]): void {
    const nodeId = node.id;
    const live = sent.filter(({ state }) => this.buckets.get(state.key) === state);
    // An undecodable response fails this fetch, not the buckets: Java logs any request
    // failure and fetches again (LogFetcher.java:381 handleFetchLogException). Failing
    // the buckets for good left a scanner throwing on every poll after one bad response.
    if (isRetriableError(err) || !(err instanceof FlussError) || err.code === ErrorCode.CORRUPT_MESSAGE) {
      const fe = err instanceof FlussError ? err : new FlussError(ErrorCode.NETWORK_EXCEPTION, String(err), { cause: err });
      this.reportFailure(
        new FlussError(
          fe.code,
          `fetching table ${this.table.tablePath.toString()} from ${serverName(node)} failed (retrying): ${fe.message}`,
          {
            cause: fe,
          },
        ),
        node,
      );
      // lost connection, timeout, leader moved: back off this server and re-learn leaders
      const prev = this.nodeRetryAt.get(nodeId)?.attempts ?? 0;
      this.nodeRetryAt.set(nodeId, { at: Date.now() + backoff(prev), attempts: prev + 1 });
      for (const { state } of live) this.ctx.metadata.invalidate(this.table.tableId, state.bucket.partitionId);
      return;
    }
    for (const { state } of live) {
      this.failBucket(
        state,
        new FlussError(err.code, `fetching ${this.where(state, state.fetchOffset)} failed: ${err.message}`, { cause: err }),
      );
    }
  }

  private where(s: BucketState, offset: number): string {
    return `table ${this.table.tablePath.toString()} ${describe(s.bucket)} at offset ${offset}`;
  }

  private failBucket(s: BucketState, err: FlussError): void {
    this.stopRemote(s);
    s.error = err;
    s.settle(err);
    this.buffer.notify();
  }

  /** Handles a response; true when at least one bucket was answered without an error. */
  private handleResponse(
    resp: FetchLogResponse,
    sent: readonly { state: BucketState; offset: number }[],
    node: NodeAddress,
  ): boolean {
    let ok = false;
    const byKey = new Map<string, { state: BucketState; offset: number }>();
    for (const e of sent) byKey.set(e.state.key, e);
    for (const t of resp.tablesResp) {
      if (t.tableId !== this.table.tableId) continue;
      for (const b of t.bucketsResp) {
        const entry = byKey.get(bucketKey(b.partitionId, b.bucketId));
        if (!entry) continue;
        const { state, offset } = entry;
        // ignore answers for buckets unsubscribed or re-subscribed meanwhile
        if ((b.errorCode ?? ErrorCode.NONE) === ErrorCode.NONE) ok = true;
        if (this.buckets.get(state.key) !== state || state.fetchOffset !== offset) continue;
        this.handleBucket(state, offset, b, node);
      }
    }
    return ok;
  }

  private handleBucket(s: BucketState, offset: number, b: PbFetchLogRespForBucket, node: NodeAddress): void {
    const code = b.errorCode ?? ErrorCode.NONE;
    if (code !== ErrorCode.NONE) {
      if (REFRESH_AND_RETRY.has(code) || code === ErrorCode.UNKNOWN_SERVER_ERROR) {
        const why = b.errorMessage ? `: ${b.errorMessage}` : "";
        this.reportFailure(
          new FlussError(
            code,
            `fetching ${this.where(s, offset)} from ${serverName(node)} failed with ${errorName(code)} (retrying)${why}`,
          ),
          node,
        );
        if (code !== ErrorCode.UNKNOWN_SERVER_ERROR) this.ctx.metadata.invalidate(this.table.tableId, s.bucket.partitionId);
        // the table may have been dropped (and re-created under a new id)
        if (code === ErrorCode.UNKNOWN_TABLE_OR_BUCKET_EXCEPTION) this.checkTable();
        s.retryAt = Date.now() + backoff(s.attempts++);
        return;
      }
      const why = b.errorMessage ? `: ${b.errorMessage}` : "";
      this.failBucket(s, new FlussError(code, `fetching ${this.where(s, offset)} failed with ${errorName(code)}${why}`));
      return;
    }
    s.attempts = 0;
    if (b.highWatermark !== undefined) s.highWatermark = b.highWatermark;
    if (b.remoteLogFetchInfo) {
      this.startRemote(s, b.remoteLogFetchInfo);
      return;
    }
    // A plain Uint8Array view (no copy): the network hands out Node Buffers, whose
    // `slice` would leak Buffer instances into decoded BYTES values.
    const records = b.records && new Uint8Array(b.records.buffer, b.records.byteOffset, b.records.byteLength);
    const views: LogBatchView[] = [];
    let next = offset;
    let corrupt: FlussError | undefined;
    /** Bytes of the complete batches in `records` (what follows is a cut batch, if anything). */
    let whole = 0;
    /** The largest batch in this answer (a cut one by its header's length). */
    let largest = 0;
    s.raisedLimit = undefined;
    if (records && records.length > 0) {
      try {
        for (const view of iterateBatches(records)) {
          whole = view.position + view.sizeInBytes;
          if (view.sizeInBytes > largest) largest = view.sizeInBytes;
          if (this.checkCrc && !view.isValid()) {
            corrupt = new FlussError(
              ErrorCode.CORRUPT_MESSAGE,
              `${this.where(s, view.baseOffset)}: record batch failed its CRC check (stored ${view.crc}, computed ${view.computeCrc()})`,
            );
            break;
          }
          // a batch that contains the fetch offset may start before it
          if (offset >= 0 && view.nextOffset <= offset) continue;
          views.push(view);
          next = view.nextOffset;
        }
      } catch (err) {
        const at = views.length > 0 ? next : offset;
        corrupt = new FlussError(
          ErrorCode.CORRUPT_RECORD_EXCEPTION,
          `${this.where(s, at)}: the fetched record batches cannot be read: ${err instanceof Error ? err.message : String(err)}`,
          { cause: err },
        );
      }
      // The server cuts the last batch at the bucket's limit (Java LogSegment.read: only the
      // first bucket with data gets a whole batch larger than its limit, minOneMessage). A
      // cut batch is not an error: Java drops it and fetches again from the same offset
      // (MemorySegmentLogInputStream.java:45), which can starve a bucket whose next batch
      // exceeds the limit while other buckets have data. Here the next fetch of the bucket
      // asks for the batch's whole length (its header says it), on its own.
      if (!corrupt && records.length - whole >= LOG_OVERHEAD) {
        const length =
          LOG_OVERHEAD + new DataView(records.buffer, records.byteOffset + whole + LENGTH_OFFSET, 4).getInt32(0, true);
        if (length > largest) largest = length;
        // the adaptive limit grows to the largest batch seen (fetch-sizing.ts), so a cut tail
        // after whole batches needs no lone fetch unless the batch exceeds every limit
        if (length > this.sizing.max || views.length === 0) s.raisedLimit = Math.max(this.maxBucketBytes, length);
      } else if (!corrupt && views.length === 0 && records.length > 0) {
        // not even a header: the response's total budget ran out; fetch it on its own
        s.raisedLimit = this.maxBucketBytes;
      }
    }
    if (b.filteredEndOffset !== undefined && b.filteredEndOffset > next) next = b.filteredEndOffset;
    s.size.update(records?.length ?? 0, next >= 0 && s.highWatermark > next, largest);
    if (views.length > 0) {
      s.idleHighWatermark = undefined;
      this.buffer.add(new CompletedFetch(s.bucket, s.key, views, offset, records!.length));
    } else if (!this.buffer.has(s.key)) {
      // only an answer without even a cut batch says the bucket holds nothing more: a cut
      // batch (raisedLimit) has rows below the high watermark still to come
      if (s.raisedLimit === undefined) s.idleHighWatermark = s.highWatermark;
      this.buffer.notify(); // lets toArrow() notice an empty bucket
    }
    s.fetchOffset = next;
    if (corrupt) this.failBucket(s, corrupt);
  }

  // ---- remote (tiered) segments ---------------------------------------------------------

  /** Starts reading a bucket from the remote segments a FetchLog answer named. */
  private startRemote(s: BucketState, info: PbRemoteLogFetchInfo): void {
    if (info.remoteLogSegments.length === 0) {
      // nothing to read yet: ask again after a pause
      s.retryAt = Date.now() + backoff(s.attempts++);
      return;
    }
    try {
      parseRemoteLocation(info.remoteLogTabletDir); // an unsupported scheme fails the bucket now
    } catch (err) {
      const fe = err instanceof FlussError ? err : FlussError.client(String(err), err);
      this.failBucket(
        s,
        new FlussError(fe.code, `${this.where(s, s.fetchOffset)} is in remote storage: ${fe.message}`, { cause: fe }),
      );
      return;
    }
    this.downloader ??= new RemoteLogDownloader(
      this.ctx.remoteStorage,
      this.ctx.config.get("scanner.remote-log.prefetch-num"),
      this.ctx.config.get("scanner.io.tmpdir"),
      (err) =>
        this.reportFailure(
          new FlussError(
            err.code,
            `downloading a remote log segment of table ${this.table.tablePath.toString()} failed (retrying): ${err.message}`,
            { cause: err },
          ),
        ),
    );
    s.remote = new RemoteBucketRead(this.downloader, s.key, info);
  }

  /** Stops a bucket's remote read, freeing its segments. */
  private stopRemote(s: BucketState): void {
    s.remote?.cancel();
    s.remote = undefined;
  }

  /** Reads the next chunk of a bucket's remote segments into the buffer. */
  private readRemote(s: BucketState, read: RemoteBucketRead): void {
    s.inFlight = true;
    const offset = s.fetchOffset;
    const live = (): boolean => !this.closed && this.buckets.get(s.key) === s && s.remote === read;
    read.next(this.remoteChunkBytes).then(
      (chunk) => {
        s.inFlight = false;
        if (!live()) return;
        if (chunk.records) {
          this.handleRemoteChunk(s, offset, chunk.records, chunk.uri);
          this.markReadable(); // data flows (the unavailability clock is about reading, not one server)
        }
        if (chunk.endOffset !== undefined && s.remote === read) {
          // every segment read: FetchLog goes on from the end of the last one (exclusive)
          s.remote = undefined;
          if (chunk.endOffset > s.fetchOffset) s.fetchOffset = chunk.endOffset;
        }
        this.sendFetches();
      },
      (err: unknown) => {
        s.inFlight = false;
        if (!live()) return;
        const fe = err instanceof FlussError ? err : FlussError.client(String(err), err);
        this.stopRemote(s);
        if (isRemoteFileMissing(fe) && s.missingRemoteAt !== s.fetchOffset) {
          // the segment may have been replaced or expired since the answer: ask the server again once
          s.missingRemoteAt = s.fetchOffset;
          this.reportFailure(
            new FlussError(
              fe.code,
              `reading ${this.where(s, s.fetchOffset)} from remote storage failed (asking the server again): ${fe.message}`,
              {
                cause: fe,
              },
            ),
          );
        } else {
          this.failBucket(
            s,
            new FlussError(fe.code, `reading ${this.where(s, s.fetchOffset)} from remote storage failed: ${fe.message}`, {
              cause: fe,
              retriable: false,
            }),
          );
        }
        this.schedule();
      },
    );
  }

  /**
   * Buffers the batches of a remote chunk as {@link handleBucket} buffers a FetchLog
   * answer. Remote batches are whole: their CRC is checked even for a projected scan, and
   * the decoder projects them by their own schema id (Java reads remote batches with a
   * read context that projects on the client). Projecting them here with the scan's row
   * type broke on batches written before an ALTER TABLE ADD COLUMN.
   */
  private handleRemoteChunk(s: BucketState, offset: number, records: Uint8Array, uri: string): void {
    const views: LogBatchView[] = [];
    let next = offset;
    let corrupt: FlussError | undefined;
    try {
      for (const view of iterateBatches(records)) {
        if (this.checkRemoteCrc && !view.isValid()) {
          corrupt = new FlussError(
            ErrorCode.CORRUPT_MESSAGE,
            `${this.where(s, view.baseOffset)}: record batch in remote segment ${uri} failed its CRC check (stored ${view.crc}, computed ${view.computeCrc()})`,
          );
          break;
        }
        // the first batch may start before the fetch offset; segments may overlap
        if (offset >= 0 && view.nextOffset <= offset) continue;
        views.push(view);
        next = view.nextOffset;
      }
    } catch (err) {
      corrupt = new FlussError(
        ErrorCode.CORRUPT_RECORD_EXCEPTION,
        `${this.where(s, views.length > 0 ? next : offset)}: the record batches of remote segment ${uri} cannot be read: ${err instanceof Error ? err.message : String(err)}`,
        { cause: err },
      );
    }
    if (views.length > 0) {
      s.idleHighWatermark = undefined;
      s.missingRemoteAt = undefined;
      this.buffer.add(
        new CompletedFetch(s.bucket, s.key, views, offset, records.length, this.options.projectedFields !== undefined),
      );
    }
    s.fetchOffset = next;
    if (corrupt) this.failBucket(s, corrupt);
  }

  private resolveLatest(states: BucketState[]): void {
    const groups = new Map<number | undefined, BucketState[]>();
    for (const s of states) {
      s.resolving = true;
      const pid = s.bucket.partitionId;
      let g = groups.get(pid);
      if (!g) groups.set(pid, (g = []));
      g.push(s);
    }
    for (const [partitionId, group] of groups) {
      this.ctx.admin
        .listOffsetsById(
          this.table.tablePath,
          this.table.tableId,
          partitionId,
          group.map((s) => s.bucket.bucket),
          OffsetSpec.latest(),
          // a retry (the leaders were invalidated by the failure) refreshes them first
          group.some((s) => s.attempts > 0) ? "always" : "ifUnknown",
        )
        .then(
          (offsets) => {
            for (const s of group) {
              s.resolving = false;
              if (this.closed || this.buckets.get(s.key) !== s) continue;
              const o = offsets[s.bucket.bucket];
              if (o === undefined) {
                s.retryAt = Date.now() + backoff(s.attempts++);
                continue;
              }
              s.attempts = 0;
              s.fetchOffset = o;
              s.position = o;
              s.settle();
            }
            this.schedule();
          },
          (err: unknown) => {
            for (const s of group) {
              s.resolving = false;
              if (this.closed || this.buckets.get(s.key) !== s) continue;
              if (isRetriableError(err)) {
                if (s === group[0]) {
                  const fe = err as FlussError;
                  this.reportFailure(
                    new FlussError(
                      fe.code,
                      `resolving the latest offsets of table ${this.table.tablePath.toString()} failed (retrying): ${fe.message}`,
                      { cause: fe },
                    ),
                  );
                }
                s.retryAt = Date.now() + backoff(s.attempts++);
                if (err instanceof FlussError && err.code !== ErrorCode.NETWORK_EXCEPTION) this.checkTable();
              } else {
                const e = err instanceof FlussError ? err : FlussError.client(String(err), err);
                this.failBucket(
                  s,
                  new FlussError(e.code, `resolving the latest offset of ${describe(s.bucket)} failed: ${e.message}`, {
                    cause: e,
                  }),
                );
              }
            }
            this.schedule();
          },
        );
    }
  }

  /**
   * Checks that the partition of a new subscription exists (Java
   * `checkAndUpdatePartitionMetadata` at subscribe): PARTITION_NOT_EXISTS fails the bucket,
   * naming the partition id and the table; other failures are left to the fetch loop.
   */
  private verifyPartition(s: BucketState): void {
    const partitionId = s.bucket.partitionId!;
    s.verifying = true;
    const live = (): boolean => !this.closed && this.buckets.get(s.key) === s;
    this.ctx.metadata.updatePartitions(this.table.tablePath, { ids: [partitionId] }).then(
      () => {
        s.verifying = false;
        if (!live()) return;
        if (s.fetchOffset !== LATEST_OFFSET) s.settle();
        this.schedule();
      },
      async (err: unknown) => {
        if (
          err instanceof FlussError &&
          (err.code === ErrorCode.PARTITION_NOT_EXISTS || err.code === ErrorCode.TABLE_NOT_EXIST)
        ) {
          // the whole table may be gone: that is the error to report then
          const gone = await this.verifyTable();
          s.verifying = false;
          if (!live() || s.error) return;
          this.failBucket(
            s,
            gone ??
              new FlussError(
                ErrorCode.PARTITION_NOT_EXISTS,
                `partition id ${partitionId} of table ${this.table.tablePath.toString()} does not exist (bucket ${s.bucket.bucket})`,
                { cause: err },
              ),
          );
          return;
        }
        s.verifying = false;
        if (!live()) return;
        if (s.fetchOffset !== LATEST_OFFSET) s.settle();
        this.schedule();
      },
    );
  }

  /**
   * Asks the cluster whether the table still exists under its id (one check at a time);
   * if not, every bucket fails with TABLE_NOT_EXIST naming the table, and so do later
   * subscriptions.
   */
  private checkTable(): void {
    if (this.checkingTable || this.closed || this.tableGone) return;
    this.checkingTable = true;
    void this.verifyTable().finally(() => {
      this.checkingTable = false;
    });
  }

  /** The check of {@link checkTable}: the TABLE_NOT_EXIST error when the table is gone. */
  private async verifyTable(): Promise<FlussError | undefined> {
    if (this.tableGone) return this.tableGone;
    try {
      await this.ctx.metadata.checkTableId(this.table.tablePath, this.table.tableId);
      return undefined;
    } catch (err) {
      if (!(err instanceof FlussError) || err.code !== ErrorCode.TABLE_NOT_EXIST) return undefined;
      if (!this.closed && !this.tableGone) {
        this.tableGone = err;
        for (const s of this.buckets.values()) this.failBucket(s, err);
      }
      return this.tableGone ?? err;
    }
  }

  /**
   * The error to report for a failed request about this table: TABLE_NOT_EXIST naming
   * the table when it is gone (the request's error said only "unknown table or bucket" or
   * "no leader"), else `err` itself.
   */
  async explain(err: unknown): Promise<unknown> {
    const suspicious =
      err instanceof FlussError &&
      (err.code === ErrorCode.UNKNOWN_TABLE_OR_BUCKET_EXCEPTION ||
        err.code === ErrorCode.LEADER_NOT_AVAILABLE_EXCEPTION ||
        err.code === ErrorCode.TABLE_NOT_EXIST);
    return (suspicious && (await this.verifyTable())) || err;
  }

  private refreshMetadata(states: BucketState[]): void {
    if (this.refreshing) return;
    this.refreshing = true;
    const path = this.table.tablePath;
    const partitionIds = [...new Set(states.map((s) => s.bucket.partitionId).filter((p): p is number => p !== undefined))];
    const refresh = this.table.isPartitioned
      ? this.ctx.metadata.updatePartitions(path, { ids: partitionIds })
      : this.ctx.metadata.updateTables([path]);
    refresh
      .then(
        () => {
          // the name now belongs to another table: this one was dropped
          const id = this.ctx.metadata.tableIdOf(path);
          if (id !== undefined && id !== this.table.tableId) this.checkTable();
        },
        (err: unknown) => {
          if (this.closed) return;
          if (
            err instanceof FlussError &&
            (err.code === ErrorCode.TABLE_NOT_EXIST || err.code === ErrorCode.PARTITION_NOT_EXISTS)
          ) {
            // the table itself may be gone; a dropped or not yet visible partition of a
            // live table is retried (apache/fluss PR #3935)
            this.checkTable();
          } else if (err instanceof FlussError && !isRetriableError(err) && err.code !== ErrorCode.CORRUPT_MESSAGE) {
            // (an undecodable metadata answer is retried as a network failure would be)
            for (const s of states) if (this.buckets.get(s.key) === s) this.failBucket(s, err);
          } else {
            const fe = err instanceof FlussError ? err : new FlussError(ErrorCode.NETWORK_EXCEPTION, String(err), { cause: err });
            this.reportFailure(
              new FlussError(fe.code, `finding the leaders of table ${path.toString()} failed (retrying): ${fe.message}`, {
                cause: fe,
              }),
            );
          }
        },
      )
      .finally(() => {
        this.refreshing = false;
        if (this.closed) return;
        // buckets still without a leader wait before the next refresh
        const at = Date.now();
        for (const s of states) {
          if (this.ctx.metadata.leaderFor(this.table.tableId, s.bucket.partitionId, s.bucket.bucket)) {
            s.attempts = 0;
          } else {
            s.retryAt = at + backoff(s.attempts++);
          }
        }
        this.schedule();
      });
  }
}
