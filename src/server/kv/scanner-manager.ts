/**
 * Full-scan sessions of primary-key buckets (Java `ScannerManager` / `ScannerContext`): each
 * holds a consistent view of one bucket's state, a cursor into it, the changelog offset of
 * the view, the last call sequence id served and its last access time. Sessions are bounded
 * per bucket and per server, expire after an idle time (their ids are remembered for twice
 * that, so a late continuation is told SCANNER_EXPIRED rather than UNKNOWN_SCANNER_ID), and
 * are closed with their bucket when its table or partition is dropped.
 */
import { randomUUID } from "node:crypto";
import { ErrorCode, FlussError } from "../../rpc/errors.js";
import type { KvView } from "./kv-store.js";

/** Options of the {@link ScannerManager} (Java `kv.scanner.*`). */
export interface ScannerOptions {
  /** Idle time after which a session is closed (`kv.scanner.ttl`, 10 min). */
  readonly scannerTtlMs?: number;
  /** How often idle sessions are looked for (`kv.scanner.expiration-interval`, 30 s). */
  readonly scannerExpirationIntervalMs?: number;
  /** Open sessions per bucket (`kv.scanner.max-per-bucket`, 8). */
  readonly scannerMaxPerBucket?: number;
  /** Open sessions per server (`kv.scanner.max-per-server`, 200). */
  readonly scannerMaxPerServer?: number;
  /** Cap on a response's records (`kv.scanner.max-batch-size`, 10 MiB). */
  readonly scannerMaxBatchBytes?: number;
}

const DEFAULT_SCANNER_TTL_MS = 10 * 60_000;
const DEFAULT_SCANNER_EXPIRATION_INTERVAL_MS = 30_000;
const DEFAULT_SCANNER_MAX_PER_BUCKET = 8;
const DEFAULT_SCANNER_MAX_PER_SERVER = 200;
const DEFAULT_SCANNER_MAX_BATCH_BYTES = 10 * 1024 * 1024;

/** One open scan of one bucket. */
export class ScanSession {
  /** Hex UUID without dashes, sent as its UTF-8 bytes (Java `generateScannerId`). */
  readonly idBytes: Uint8Array;
  /** -1 so that a first call_seq_id of 0 is the expected one (Java `ScannerContext`). */
  callSeqId = -1;
  private readonly iter: Iterator<string>;
  private head: string | undefined;
  /** Rows still allowed by the scan's limit; -1 = unlimited. */
  private remaining: number;

  constructor(
    readonly id: string,
    /** `bucketKey(tableId, partitionId, bucket)` of the scanned bucket. */
    readonly bucket: string,
    /** The bucket's name for messages. */
    readonly bucketName: string,
    private readonly view: KvView,
    /** The changelog offset of the view. */
    readonly logOffset: number,
    limit: number,
    public lastAccess: number,
  ) {
    this.idBytes = Buffer.from(id, "utf8");
    this.remaining = limit <= 0 ? -1 : limit;
    this.iter = view.values();
    this.advance0();
  }

  private advance0(): void {
    const r = this.iter.next();
    this.head = r.done ? undefined : r.value;
  }

  /** Whether a row is at the cursor (and the limit allows it). */
  get isValid(): boolean {
    return this.head !== undefined && this.remaining !== 0;
  }

  /** The value at the cursor (only when {@link isValid}). */
  get current(): string {
    return this.head!;
  }

  /** Moves past the current row. */
  advance(): void {
    this.advance0();
    if (this.remaining > 0) this.remaining--;
  }

  /**
   * Fails when the view was taken away under the session (its KV tablet closed): a scan
   * must not end early as if complete.
   */
  checkView(): void {
    if (!this.view.valid) {
      throw new FlussError(ErrorCode.KV_STORAGE_EXCEPTION, `The KV state of ${this.bucketName} was closed during the scan.`);
    }
  }

  close(): void {
    this.view.close();
  }
}

/** The sessions of the server. */
export class ScannerManager {
  private readonly sessions = new Map<string, ScanSession>();
  private readonly perBucket = new Map<string, number>();
  /** Ids of sessions evicted or closed under their client, with when. */
  private readonly recentlyExpired = new Map<string, number>();
  private readonly timer: NodeJS.Timeout;
  readonly ttlMs: number;
  readonly maxPerBucket: number;
  readonly maxPerServer: number;
  readonly maxBatchBytes: number;

  constructor(
    options: ScannerOptions = {},
    private readonly clock: () => number = Date.now,
  ) {
    this.ttlMs = options.scannerTtlMs ?? DEFAULT_SCANNER_TTL_MS;
    this.maxPerBucket = options.scannerMaxPerBucket ?? DEFAULT_SCANNER_MAX_PER_BUCKET;
    this.maxPerServer = options.scannerMaxPerServer ?? DEFAULT_SCANNER_MAX_PER_SERVER;
    this.maxBatchBytes = Math.min(options.scannerMaxBatchBytes ?? DEFAULT_SCANNER_MAX_BATCH_BYTES, 2147483647);
    const interval = options.scannerExpirationIntervalMs ?? DEFAULT_SCANNER_EXPIRATION_INTERVAL_MS;
    this.timer = setInterval(() => this.evictExpired(), interval);
    this.timer.unref();
  }

  /** Open sessions (all buckets). */
  get activeCount(): number {
    return this.sessions.size;
  }

  /** Open sessions of one bucket. */
  activeCountFor(bucket: string): number {
    return this.perBucket.get(bucket) ?? 0;
  }

  /** TOO_MANY_SCANNERS when a new session of `bucket` would exceed a limit (ScannerManager.java checkLimits). */
  checkLimits(bucket: string, bucketName: string): void {
    if (this.sessions.size >= this.maxPerServer) {
      throw new FlussError(
        ErrorCode.TOO_MANY_SCANNERS,
        `Cannot create scanner for bucket ${bucketName}: server-wide limit of ${this.maxPerServer} reached.`,
      );
    }
    if (this.activeCountFor(bucket) >= this.maxPerBucket) {
      throw new FlussError(
        ErrorCode.TOO_MANY_SCANNERS,
        `Cannot create scanner for bucket ${bucketName}: per-bucket limit of ${this.maxPerBucket} reached.`,
      );
    }
  }

  /** Registers a session over `view` (limits checked again). */
  create(bucket: string, bucketName: string, view: KvView, logOffset: number, limit: number): ScanSession {
    this.checkLimits(bucket, bucketName);
    const id = randomUUID().replace(/-/g, "");
    const s = new ScanSession(id, bucket, bucketName, view, logOffset, limit, this.clock());
    this.sessions.set(id, s);
    this.perBucket.set(bucket, this.activeCountFor(bucket) + 1);
    return s;
  }

  /** The session of an id, if open (does not refresh its access time). */
  get(idBytes: Uint8Array): ScanSession | undefined {
    return this.sessions.get(Buffer.from(idBytes.buffer, idBytes.byteOffset, idBytes.byteLength).toString("utf8"));
  }

  /** Whether an id belongs to a session evicted or closed under its client lately. */
  isRecentlyExpired(idBytes: Uint8Array): boolean {
    return this.recentlyExpired.has(Buffer.from(idBytes.buffer, idBytes.byteOffset, idBytes.byteLength).toString("utf8"));
  }

  /** Refreshes the idle timer of a session about to do work. */
  markAccessed(s: ScanSession): void {
    s.lastAccess = this.clock();
  }

  /** Closes and forgets a session (no-op if already gone). */
  remove(s: ScanSession): void {
    if (this.sessions.get(s.id) !== s) return;
    this.sessions.delete(s.id);
    const n = this.activeCountFor(s.bucket) - 1;
    if (n <= 0) this.perBucket.delete(s.bucket);
    else this.perBucket.set(s.bucket, n);
    s.close();
  }

  /**
   * Closes the sessions of buckets whose key starts with `prefix` (a dropped table or
   * partition); their ids answer SCANNER_EXPIRED from now on (Java `closeScannersForBucket`).
   */
  closeMatching(prefix: string): void {
    const now = this.clock();
    for (const s of [...this.sessions.values()]) {
      if (!s.bucket.startsWith(prefix)) continue;
      this.recentlyExpired.set(s.id, now);
      this.remove(s);
    }
  }

  /**
   * Closes the sessions `which` selects (a bucket that lost its leader, a stopped server's);
   * their ids answer SCANNER_EXPIRED from now on (Java `closeScannersForBucket`).
   */
  closeIf(which: (s: ScanSession) => boolean): void {
    const now = this.clock();
    for (const s of [...this.sessions.values()]) {
      if (!which(s)) continue;
      this.recentlyExpired.set(s.id, now);
      this.remove(s);
    }
  }

  /** Closes sessions idle longer than the TTL (Java `evictExpiredScanners`). */
  evictExpired(): void {
    const now = this.clock();
    for (const [id, at] of this.recentlyExpired) if (now - at > 2 * this.ttlMs) this.recentlyExpired.delete(id);
    for (const s of [...this.sessions.values()]) {
      if (now - s.lastAccess > this.ttlMs) {
        this.recentlyExpired.set(s.id, now);
        this.remove(s);
      }
    }
  }

  /** Closes every session and stops the evictor. */
  close(): void {
    clearInterval(this.timer);
    for (const s of [...this.sessions.values()]) this.remove(s);
    this.recentlyExpired.clear();
  }
}
