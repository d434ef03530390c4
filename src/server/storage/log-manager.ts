/**
 * All bucket logs of the tablet server, under `<dataDir>/log/`:
 * `<tableId>/<bucket>/` for plain tables and `<tableId>/p<partitionId>/<bucket>/` for
 * partitions, so dropping a table or partition removes one directory tree.
 * Logs are opened lazily on first use and kept open until dropped or closed.
 */
import * as fsp from "node:fs/promises";
import * as path from "node:path";
import { ErrorCode, FlussError } from "../../rpc/errors.js";
import { fsyncDir } from "./atomic-file.js";
import { LogTablet, type LogTabletOptions } from "./log-tablet.js";
import { storageError } from "./log-segment.js";
import { OpenFiles } from "./open-files.js";

/** Java's `TableBucket.toString()`, used in messages. */
export function tableBucketName(tableId: number, partitionId: number | undefined, bucket: number): string {
  return partitionId === undefined
    ? `TableBucket{tableId=${tableId}, bucket=${bucket}}`
    : `TableBucket{tableId=${tableId}, partitionId=${partitionId}, bucket=${bucket}}`;
}

/** Options shared by every log the manager opens (the name is set per bucket). */
export interface LogManagerOptions extends Omit<LogTabletOptions, "name" | "openFiles"> {
  /** Segment files kept open at most; idle ones beyond are closed (default: half the descriptor limit). */
  readonly maxOpenSegmentFiles?: number;
  /** How often appended data is forced to disk when appends don't sync themselves (1000 ms). */
  readonly flushIntervalMs?: number;
}

/** Opens, creates, drops and closes the bucket logs of one data directory. */
export class LogManager {
  /** Root of all logs: `<dataDir>/log`. */
  readonly root: string;
  private readonly tablets = new Map<string, Promise<LogTablet>>();
  private closed = false;
  private readonly flushTimer: NodeJS.Timeout | undefined;
  private readonly dropHooks: ((bucketKeyPrefix: string) => Promise<void>)[] = [];
  /** The bound on open segment files of all logs. */
  readonly openFiles: OpenFiles;

  constructor(
    dataDir: string,
    private readonly options: LogManagerOptions = {},
  ) {
    this.root = path.join(dataDir, "log");
    this.openFiles = new OpenFiles(options.maxOpenSegmentFiles);
    if (!options.syncEveryAppend) {
      // like Kafka and Fluss: acknowledged data is in the page cache (safe from process
      // crashes); a background flush bounds what an OS crash could lose
      this.flushTimer = setInterval(() => void this.flushAll(), options.flushIntervalMs ?? 1000);
      this.flushTimer.unref();
    }
  }

  /**
   * Registers what must stop before the logs of a dropped table or partition close (the KV
   * state of its buckets); called with the bucket-key prefix (`"<tableId>/"`, `"<tableId>/p<id>/"`).
   */
  onDrop(hook: (bucketKeyPrefix: string) => Promise<void>): void {
    this.dropHooks.push(hook);
  }

  /**
   * Forces every open log's appended bytes to disk; failures are logged, never thrown. A few
   * at a time: each sync holds its segment file open, and the open files are bounded.
   */
  async flushAll(): Promise<void> {
    await this.forEachLimited([...this.tablets.values()], (p) =>
      p.then((t) => t.flush()).catch((e: unknown) => this.options.logger?.warn(`Flushing a log failed: ${String(e)}`)),
    );
  }

  /** Runs `fn` over `items` a few at a time (each may hold a segment file open). */
  private async forEachLimited<T>(items: readonly T[], fn: (item: T) => Promise<void>): Promise<void> {
    const parallel = Math.max(1, Math.min(16, Math.floor(this.openFiles.maxOpen / 4)));
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < items.length) await fn(items[next++]!);
    };
    await Promise.all(Array.from({ length: Math.min(parallel, items.length) }, worker));
  }

  /** Directory of a table's logs (all partitions and buckets). */
  tableDir(tableId: number): string {
    return path.join(this.root, String(tableId));
  }

  /** Directory of one bucket's log. */
  bucketDir(tableId: number, partitionId: number | undefined, bucket: number): string {
    const table = this.tableDir(tableId);
    return partitionId === undefined ? path.join(table, String(bucket)) : path.join(table, `p${partitionId}`, String(bucket));
  }

  /** The bucket's log, opened (or created empty) on first use. */
  getOrCreate(tableId: number, partitionId: number | undefined, bucket: number): Promise<LogTablet> {
    if (this.closed) {
      return Promise.reject(new FlussError(ErrorCode.LOG_STORAGE_EXCEPTION, "The log manager is closed"));
    }
    const key = this.key(tableId, partitionId, bucket);
    let p = this.tablets.get(key);
    if (!p) {
      p = LogTablet.open(this.bucketDir(tableId, partitionId, bucket), {
        ...this.options,
        openFiles: this.openFiles,
        name: tableBucketName(tableId, partitionId, bucket),
      });
      this.tablets.set(key, p);
      // a failed open is not cached: the next call retries
      p.catch(() => {
        if (this.tablets.get(key) === p) this.tablets.delete(key);
      });
    }
    return p;
  }

  /** The bucket's log if it is already open (or opening). */
  getIfOpen(tableId: number, partitionId: number | undefined, bucket: number): Promise<LogTablet> | undefined {
    return this.tablets.get(this.key(tableId, partitionId, bucket));
  }

  /** The logs open (or opening) now, with their bucket (tiering walks these). */
  openLogs(): { tableId: number; partitionId: number | undefined; bucket: number; log: Promise<LogTablet> }[] {
    return [...this.tablets].map(([key, log]) => {
      const parts = key.split("/");
      const partitionId = parts.length === 3 ? Number(parts[1]!.slice(1)) : undefined;
      return { tableId: Number(parts[0]), partitionId, bucket: Number(parts.at(-1)), log };
    });
  }

  /** Closes and deletes every log of a table, partitions included. */
  async dropTable(tableId: number): Promise<void> {
    await this.closeMatching(`${tableId}/`);
    await this.removeDir(this.tableDir(tableId));
  }

  /** Closes and deletes every bucket log of one partition. */
  async dropPartition(tableId: number, partitionId: number): Promise<void> {
    await this.closeMatching(`${tableId}/p${partitionId}/`);
    await this.removeDir(path.join(this.tableDir(tableId), `p${partitionId}`));
  }

  /** Closes every open log; later calls to getOrCreate fail. */
  async closeAll(): Promise<void> {
    this.closed = true;
    if (this.flushTimer) clearInterval(this.flushTimer);
    const all = [...this.tablets.values()];
    this.tablets.clear();
    await this.forEachLimited(all, (p) => p.then((t) => t.close()).catch(() => undefined));
  }

  private key(tableId: number, partitionId: number | undefined, bucket: number): string {
    return partitionId === undefined ? `${tableId}/${bucket}` : `${tableId}/p${partitionId}/${bucket}`;
  }

  private async closeMatching(prefix: string): Promise<void> {
    for (const hook of this.dropHooks) await hook(prefix).catch(() => undefined);
    const victims: Promise<LogTablet>[] = [];
    for (const [k, p] of this.tablets) {
      if (k.startsWith(prefix)) {
        victims.push(p);
        this.tablets.delete(k);
      }
    }
    await Promise.all(victims.map((p) => p.then((t) => t.close()).catch(() => undefined)));
  }

  private async removeDir(dir: string): Promise<void> {
    try {
      await fsp.rm(dir, { recursive: true, force: true });
      await fsyncDir(path.dirname(dir));
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === "ENOENT") return;
      throw storageError("Deleting log directory", dir, e);
    }
  }
}
