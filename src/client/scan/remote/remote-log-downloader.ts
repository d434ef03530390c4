/**
 * Downloads a scanner's remote log segments ahead of its reader (Java
 * `RemoteLogDownloader`): at most `scanner.remote-log.prefetch-num` segments are being
 * fetched or held fetched and unread at a time (a segment's permit returns when its reader
 * releases it); the next one is, within a bucket, the lowest start offset and, across
 * buckets, the oldest `max_timestamp`. Downloaded files live in
 * `{scanner.io.tmpdir}/remote-logs-{uuid}`, deleted as each segment is read and as a whole
 * when the scanner closes. A failed download is retried for as long as the segment is
 * wanted and the scanner open, as Java's (`fetchOnce` puts a failed request back in its
 * queue, RemoteLogDownloader.java:214-221 and :239-243), with fluss-rust's backoff between
 * attempts (Java's has none); each failed attempt is reported (`onRetry`: the scanner's
 * `onError` and `scanner.max-unavailable-ms`). Not retried: a file that does not exist (the
 * scanner asks the server again) and errors marked not retriable (no S3 SDK installed).
 */
import { randomUUID } from "node:crypto";
import { mkdir, rm } from "node:fs/promises";
import { join } from "node:path";
import { localFileNameOfRemoteSegment, remoteLogSegmentDir, remoteLogSegmentFile } from "../../../metadata/remote-log-paths.js";
import { FlussError } from "../../../rpc/errors.js";
import type { PbRemoteLogSegment } from "../../../rpc/messages.js";
import { backoffMs } from "../../retry.js";
import { parseRemoteLocation, type SegmentFile } from "./file-system.js";
import type { RemoteStorage } from "./remote-storage.js";

/** fluss-rust's backoff between attempts: 100 ms doubling up to 5 s. */
const defaultBackoff = (attempt: number): number => backoffMs(attempt, 100, 5_000);

/** A requested segment: its file once fetched, and the release of it. */
export interface SegmentDownload {
  /** The remote URI of the segment file. */
  readonly uri: string;
  readonly segment: PbRemoteLogSegment;
  /** Resolves with the readable file; rejects with a FlussError. */
  readonly file: Promise<SegmentFile>;
  /** The segment is read or no longer wanted: frees its file and its prefetch permit. */
  release(): void;
}

type State = "queued" | "running" | "done" | "failed" | "released";

class Request implements SegmentDownload {
  state: State = "queued";
  result: SegmentFile | undefined;
  resolve!: (f: SegmentFile) => void;
  reject!: (e: unknown) => void;
  readonly file: Promise<SegmentFile>;
  /** Set while the request waits to retry a failed attempt: ends the wait at once. */
  wake: (() => void) | undefined;

  constructor(
    private readonly owner: RemoteLogDownloader,
    readonly bucketKey: string,
    readonly uri: string,
    readonly localName: string,
    readonly segment: PbRemoteLogSegment,
  ) {
    this.file = new Promise<SegmentFile>((resolve, reject) => {
      this.resolve = resolve;
      this.reject = reject;
    });
    this.file.catch(() => undefined); // reported through the reader; never unhandled
  }

  release(): void {
    this.owner.release(this);
  }
}

/** @internal One per scanner. */
export class RemoteLogDownloader {
  private permits: number;
  private readonly queue: Request[] = [];
  private dir: Promise<string> | undefined;
  private readonly dirPath: string;
  private readonly running = new Set<Request>();
  private closed = false;
  private pumpQueued = false;
  /** Requests whose last attempt failed (waiting to retry). */
  private readonly failing = new Set<Request>();

  constructor(
    private readonly storage: RemoteStorage,
    prefetchNum: number,
    tmpRoot: string,
    /** Told of each failed attempt that is retried. */
    private readonly onRetry: (err: FlussError) => void = () => undefined,
    /** The wait before retry `attempt` (0-based), in ms. */
    private readonly backoff: (attempt: number) => number = defaultBackoff,
  ) {
    this.permits = prefetchNum;
    this.dirPath = join(tmpRoot, `remote-logs-${randomUUID()}`);
  }

  /** Whether a download's last attempt failed and it waits to try again. */
  get retrying(): boolean {
    return this.failing.size > 0;
  }

  /** The directory downloads go to (created on first use). */
  get localDir(): string {
    return this.dirPath;
  }

  /** Queues the download of one segment of the bucket `bucketKey` in `tabletDir`. */
  request(bucketKey: string, tabletDir: string, segment: PbRemoteLogSegment): SegmentDownload {
    // RemoteLogDownloader.getFsPathAndFileName
    const uri = remoteLogSegmentFile(remoteLogSegmentDir(tabletDir, segment.remoteLogSegmentId), segment.remoteLogStartOffset);
    const req = new Request(
      this,
      bucketKey,
      uri,
      localFileNameOfRemoteSegment(segment.remoteLogSegmentId, segment.remoteLogStartOffset),
      segment,
    );
    if (this.closed) {
      req.state = "failed";
      req.reject(FlussError.client("the scanner was closed"));
      return req;
    }
    this.queue.push(req);
    // requests of one turn are ordered among themselves before any starts
    if (!this.pumpQueued) {
      this.pumpQueued = true;
      queueMicrotask(() => {
        this.pumpQueued = false;
        this.pump();
      });
    }
    return req;
  }

  /** @internal See {@link SegmentDownload.release}. */
  release(req: Request): void {
    const was = req.state;
    if (was === "released") return;
    req.state = "released";
    if (was === "queued") {
      this.queue.splice(this.queue.indexOf(req), 1);
      req.reject(FlussError.client("the remote segment is no longer wanted"));
    } else if (was === "done") {
      void req.result!.release();
      this.permits++;
      this.pump();
    } else if (was === "running") {
      this.failing.delete(req);
      req.wake?.(); // a wait to retry ends now; the permit returns when the attempt is over
    }
    // failed: its permit was returned then
  }

  /** The next request: per bucket the lowest start offset, across buckets the oldest max_timestamp. */
  private next(): Request | undefined {
    const heads = new Map<string, Request>();
    for (const r of this.queue) {
      const h = heads.get(r.bucketKey);
      if (!h || r.segment.remoteLogStartOffset < h.segment.remoteLogStartOffset) heads.set(r.bucketKey, r);
    }
    let best: Request | undefined;
    for (const r of heads.values()) {
      if (!best || (r.segment.maxTimestamp ?? -1) < (best.segment.maxTimestamp ?? -1)) best = r;
    }
    return best;
  }

  private pump(): void {
    while (!this.closed && this.permits > 0) {
      const req = this.next();
      if (!req) return;
      this.queue.splice(this.queue.indexOf(req), 1);
      this.permits--;
      req.state = "running";
      this.running.add(req);
      void this.download(req);
    }
  }

  private localDirReady(): Promise<string> {
    this.dir ??= mkdir(this.dirPath, { recursive: true }).then(() => this.dirPath);
    return this.dir;
  }

  private async download(req: Request): Promise<void> {
    let file: SegmentFile | undefined;
    let error: unknown;
    try {
      const location = parseRemoteLocation(req.uri);
      const fs = this.storage.fileSystem(location);
      // until it succeeds, the segment is no longer wanted or the scanner closes
      for (let attempt = 0; !this.closed && req.state === "running"; attempt++) {
        try {
          file = await this.storage.limit(() => fs.fetch(location, () => this.localDirReady(), req.localName));
          break;
        } catch (err) {
          const retriable = err instanceof FlussError && err.retriable;
          if (!retriable || this.closed || req.state !== "running") throw err;
          this.failing.add(req);
          this.onRetry(err);
          await new Promise<void>((resolve) => {
            const timer = setTimeout(resolve, this.backoff(attempt));
            timer.unref();
            req.wake = () => {
              clearTimeout(timer);
              resolve();
            };
          });
          req.wake = undefined;
        }
      }
    } catch (err) {
      error = err;
    }
    this.failing.delete(req);
    this.running.delete(req);
    if (this.closed || req.state !== "running") {
      // released or closed meanwhile: nobody reads it
      if (file) await file.release();
      if (req.state === "running") req.state = "failed";
      req.reject(FlussError.client("the scanner was closed"));
      if (!this.closed) {
        this.permits++;
        this.pump();
      }
      return;
    }
    if (file) {
      req.state = "done";
      req.result = file;
      req.resolve(file);
    } else {
      req.state = "failed";
      req.reject(error);
      this.permits++;
      this.pump();
    }
  }

  /** Cancels every download and deletes the local directory. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const r of this.running) r.wake?.();
    this.failing.clear();
    for (const r of this.queue.splice(0)) {
      r.state = "released";
      r.reject(FlussError.client("the scanner was closed"));
    }
    if (this.dir) {
      // downloads still running delete their own files; the directory goes now
      await this.dir.catch(() => undefined);
      await rm(this.dirPath, { recursive: true, force: true }).catch(() => undefined);
    }
  }
}
