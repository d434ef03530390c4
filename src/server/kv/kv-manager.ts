/**
 * The KV tablets of the tablet server (Java `KvManager`): one per primary-key bucket,
 * opened (recovered) on first use next to the bucket's log, snapshotted periodically and on
 * close, discarded with their table or partition.
 */
import * as path from "node:path";
import { bucketKey } from "../append-notifier.js";
import type { LogManager } from "../storage/log-manager.js";
import { tableBucketName } from "../storage/log-manager.js";
import type { TableView } from "../table-view.js";
import { ErrorCode, FlussError } from "../../rpc/errors.js";
import { SequenceCounter, SequenceGenerator } from "./auto-increment.js";
import { kvTableOf } from "./kv-table.js";
import { type EarlierChangelog, KvTablet, type KvLogger } from "./kv-tablet.js";
import { ScannerManager, type ScannerOptions } from "./scanner-manager.js";

/** Options of the {@link KvManager}. */
export interface KvManagerOptions extends ScannerOptions {
  /** Snapshot a bucket once this much changelog accumulated since its last snapshot (64 MiB). */
  readonly snapshotBytes?: number;
  /** Snapshot a changed bucket at least this often (60 s). */
  readonly snapshotIntervalMs?: number;
  /** Snapshots kept per bucket besides leased ones (Java `kv.snapshot.num-retained`, default 2). */
  readonly snapshotsRetained?: number;
  /**
   * Bytes of KV batches a bucket may have waiting to be applied before PutKv is refused with
   * STORAGE_BACKPRESSURE (64 MiB); pressure is reported from half of it.
   */
  readonly maxPendingBytes?: number;
  readonly logger?: KvLogger & { error?(message: string, err?: unknown): void };
  readonly clock?: () => number;
}

const DEFAULT_SNAPSHOT_BYTES = 64 * 1024 * 1024;
const DEFAULT_SNAPSHOT_INTERVAL_MS = 60_000;
/** Java ConfigOptions.KV_SNAPSHOT_NUM_RETAINED default. */
const DEFAULT_SNAPSHOTS_RETAINED = 2;
const DEFAULT_MAX_PENDING_BYTES = 64 * 1024 * 1024;

/** Opens, snapshots, drops and closes KV tablets. */
export class KvManager {
  private readonly tablets = new Map<string, Promise<KvTablet>>();
  /** Auto-increment counters by `"<tableId>/"`. */
  private readonly counters = new Map<string, SequenceCounter>();
  private closed = false;
  private readonly timer: NodeJS.Timeout;
  readonly snapshotBytes: number;
  /** Changed at run time by the dynamic option `kv.snapshot.interval`. */
  snapshotIntervalMs: number;
  readonly maxPendingBytes: number;
  /** Full-scan sessions (ScanKv) over the tablets' state. */
  readonly scanners: ScannerManager;
  /**
   * The changelog that left the local log (tiered to remote storage), for recoveries that
   * must start before the local log start (set by the cluster once its remote log manager exists).
   */
  earlierChangelog: ((tableId: number, partitionId: number | undefined, bucket: number) => EarlierChangelog) | undefined;
  /**
   * Whether a KV snapshot lease holds a bucket's snapshot (set by the cluster once its lease
   * manager exists): retention keeps such snapshots.
   */
  snapshotLeased: ((tableId: number, partitionId: number | undefined, bucket: number, snapshotId: number) => boolean) | undefined;
  readonly snapshotsRetained: number;

  constructor(
    private readonly logs: LogManager,
    private readonly options: KvManagerOptions = {},
  ) {
    this.snapshotBytes = options.snapshotBytes ?? DEFAULT_SNAPSHOT_BYTES;
    this.snapshotIntervalMs = options.snapshotIntervalMs ?? DEFAULT_SNAPSHOT_INTERVAL_MS;
    this.maxPendingBytes = options.maxPendingBytes ?? DEFAULT_MAX_PENDING_BYTES;
    this.snapshotsRetained = options.snapshotsRetained ?? DEFAULT_SNAPSHOTS_RETAINED;
    this.scanners = new ScannerManager(options, options.clock);
    logs.onDrop((prefix) => this.dropMatching(prefix));
    this.timer = setInterval(() => void this.snapshotDue(), Math.min(this.snapshotIntervalMs, 1000));
    this.timer.unref();
  }

  /** The bucket's KV tablet, recovered from its snapshot and changelog on first use. */
  getOrCreate(t: TableView, partitionId: number | undefined, bucket: number): Promise<KvTablet> {
    if (this.closed) return Promise.reject(new FlussError(ErrorCode.KV_STORAGE_EXCEPTION, "The KV manager is closed"));
    const key = bucketKey(t.tableId, partitionId, bucket);
    let p = this.tablets.get(key);
    if (!p) {
      p = (async () => {
        const log = await this.logs.getOrCreate(t.tableId, partitionId, bucket);
        const dir = path.join(this.logs.bucketDir(t.tableId, partitionId, bucket), "kv");
        const kt = kvTableOf(t);
        const auto = kt.autoIncrement;
        let sequence: SequenceGenerator | undefined;
        if (auto) {
          const ck = `${t.tableId}/`;
          let counter = this.counters.get(ck);
          if (!counter)
            this.counters.set(
              ck,
              (counter = new SequenceCounter(path.join(this.logs.tableDir(t.tableId), `autoinc-${auto.index}`))),
            );
          sequence = new SequenceGenerator(counter, auto.cacheSize, auto.isInt ? 2147483647 : Number.MAX_SAFE_INTEGER, auto.name);
        }
        return KvTablet.open(tableBucketName(t.tableId, partitionId, bucket), log, kt, dir, {
          ...(this.options.logger ? { logger: this.options.logger } : {}),
          ...(this.options.clock ? { clock: this.options.clock } : {}),
          ...(sequence ? { sequence } : {}),
          ...(this.earlierChangelog ? { earlier: this.earlierChangelog(t.tableId, partitionId, bucket) } : {}),
          retention: {
            retained: this.snapshotsRetained,
            leased: (id) => this.snapshotLeased?.(t.tableId, partitionId, bucket, id) ?? false,
          },
        });
      })();
      this.tablets.set(key, p);
      p.catch(() => {
        if (this.tablets.get(key) === p) this.tablets.delete(key);
      });
    }
    return p;
  }

  /** The bucket's KV tablet if it is open (or opening); never opens one. */
  getIfOpen(tableId: number, partitionId: number | undefined, bucket: number): Promise<KvTablet> | undefined {
    return this.tablets.get(bucketKey(tableId, partitionId, bucket));
  }

  /** Snapshots `tablet` in the background when enough changelog accumulated. */
  afterPut(tablet: KvTablet): void {
    if (tablet.unsnapshottedBytes >= this.snapshotBytes) this.background(tablet.snapshot(), tablet);
  }

  private background(p: Promise<void>, tablet: KvTablet): void {
    p.catch((e: unknown) => this.options.logger?.warn(`KV ${tablet.name}: snapshot failed: ${String(e)}`));
  }

  private async snapshotDue(): Promise<void> {
    for (const p of this.tablets.values()) {
      const t = await p.catch(() => undefined);
      if (t) this.background(t.maybeSnapshot(this.snapshotBytes, this.snapshotIntervalMs), t);
    }
  }

  /** Snapshots every open tablet now (tests, benches). */
  async snapshotAll(): Promise<void> {
    for (const p of [...this.tablets.values()]) {
      const t = await p.catch(() => undefined);
      if (t) await t.snapshot();
    }
  }

  /** Closes (without snapshot) the tablets whose bucket key starts with `prefix`. */
  private async dropMatching(prefix: string): Promise<void> {
    this.scanners.closeMatching(prefix);
    if (!prefix.includes("/p")) this.counters.delete(prefix);
    const victims: Promise<KvTablet>[] = [];
    for (const [k, p] of this.tablets) {
      if (k.startsWith(prefix)) {
        victims.push(p);
        this.tablets.delete(k);
      }
    }
    await Promise.all(victims.map((p) => p.then((t) => t.close(false)).catch(() => undefined)));
  }

  /** Snapshots and closes every tablet (a clean shutdown); later calls to getOrCreate fail. */
  async closeAll(): Promise<void> {
    this.closed = true;
    clearInterval(this.timer);
    this.scanners.close();
    const all = [...this.tablets.values()];
    this.tablets.clear();
    await Promise.all(
      all.map((p) =>
        p.then((t) => t.close(true)).catch((e: unknown) => this.options.logger?.warn(`Closing a KV tablet failed: ${String(e)}`)),
      ),
    );
  }
}
