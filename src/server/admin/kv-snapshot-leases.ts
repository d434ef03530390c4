/**
 * KV snapshot leases (Java `KvSnapshotLeaseManager` + `KvSnapshotLeaseHandler`): a lease id
 * holds at most one snapshot id per bucket until it is released, the lease dropped, or it
 * expires (expiration time < now, checked every `kv.snapshot.lease.expiration-check-interval`,
 * 10 min by default, and at start). Retention keeps a held snapshot (see `pruneSnapshots`).
 * Leases survive a restart as Java's (ZooKeeper there): `<dataDir>/catalog/kv-snapshot-leases.json`,
 * rewritten whole and atomically on every change; a change that cannot be written changes nothing.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { ErrorCode, FlussError } from "../../rpc/errors.js";
import { writeFileAtomicSync } from "../storage/atomic-file.js";
import { describeOsCause, readTextIfExists } from "../storage/storage-errors.js";

/** One bucket's snapshot held by a lease (Java `TableBucketSnapshot`). */
export interface LeasedSnapshot {
  readonly tableId: number;
  readonly partitionId?: number;
  readonly bucket: number;
  readonly snapshotId: number;
}

/** A bucket of a table or of one of its partitions. */
export interface LeaseBucket {
  readonly tableId: number;
  readonly partitionId?: number;
  readonly bucket: number;
}

interface Lease {
  /** Epoch ms; the lease expires once it is below the clock. */
  readonly expirationTime: number;
  /** By {@link bucketKeyOf}: the one snapshot the lease holds of each bucket. */
  readonly snapshots: ReadonlyMap<string, LeasedSnapshot>;
}

/** Options of the {@link KvSnapshotLeaseManager}. */
export interface KvSnapshotLeaseOptions {
  /** `kv.snapshot.lease.expiration-check-interval` (10 min). */
  readonly expirationCheckIntervalMs?: number;
  readonly clock?: () => number;
  readonly logger?: { info(message: string): void; warn(message: string): void };
}

/** Java ConfigOptions.KV_SNAPSHOT_LEASE_EXPIRATION_CHECK_INTERVAL default (10 min). */
const DEFAULT_EXPIRATION_CHECK_MS = 10 * 60_000;

const FILE = "kv-snapshot-leases.json";
const FORMAT = "flussjs-kv-snapshot-leases";

function bucketKeyOf(b: LeaseBucket): string {
  return `${b.tableId}/${b.partitionId ?? ""}/${b.bucket}`;
}

function snapshotKeyOf(b: LeaseBucket, snapshotId: number): string {
  return `${bucketKeyOf(b)}/${snapshotId}`;
}

/** The KV snapshot leases of one cluster. */
export class KvSnapshotLeaseManager {
  private leases: ReadonlyMap<string, Lease>;
  /** How many leases hold each bucket snapshot (Java's `refCount`), by {@link snapshotKeyOf}. */
  private refCount = new Map<string, number>();
  private readonly timer: NodeJS.Timeout;
  private readonly clock: () => number;

  private constructor(
    private readonly file: string,
    leases: Map<string, Lease>,
    private readonly options: KvSnapshotLeaseOptions,
  ) {
    this.leases = leases;
    this.clock = options.clock ?? Date.now;
    this.index();
    this.timer = setInterval(() => this.expire(), options.expirationCheckIntervalMs ?? DEFAULT_EXPIRATION_CHECK_MS);
    this.timer.unref();
  }

  /** Loads the leases kept under `<dataDir>/catalog`; a corrupt file fails with STORAGE_EXCEPTION. */
  static open(dataDir: string, options: KvSnapshotLeaseOptions = {}): KvSnapshotLeaseManager {
    const file = path.join(dataDir, "catalog", FILE);
    const leases = new Map<string, Lease>();
    const text = readTextIfExists(file, "KV snapshot leases file");
    if (text !== undefined) {
      const corrupt = (): never => {
        throw new FlussError(ErrorCode.STORAGE_EXCEPTION, `KV snapshot leases file ${file} is corrupt; restore or remove it.`);
      };
      let doc: { format?: unknown; leases?: unknown };
      try {
        doc = JSON.parse(text) as typeof doc;
      } catch {
        return corrupt();
      }
      if (doc.format !== FORMAT || !Array.isArray(doc.leases)) corrupt();
      for (const l of doc.leases as { leaseId?: unknown; expirationTime?: unknown; snapshots?: unknown }[]) {
        if (typeof l?.leaseId !== "string" || typeof l.expirationTime !== "number" || !Array.isArray(l.snapshots)) corrupt();
        const snapshots = new Map<string, LeasedSnapshot>();
        for (const s of l.snapshots as LeasedSnapshot[]) {
          const ints = [s?.tableId, s?.bucket, s?.snapshotId, s?.partitionId ?? 0];
          if (!ints.every((v) => Number.isSafeInteger(v))) corrupt();
          snapshots.set(bucketKeyOf(s), s);
        }
        leases.set(l.leaseId as string, { expirationTime: l.expirationTime as number, snapshots });
      }
    }
    const manager = new KvSnapshotLeaseManager(file, leases, options);
    manager.expire(); // Java schedules the first check with no delay
    return manager;
  }

  /**
   * Java `KvSnapshotLeaseManager.acquireLease`: creates the lease or renews it (expiration
   * = now + `durationMs`), then has it hold each given snapshot, replacing what it held of
   * that bucket. Snapshots `exists` answers false for are not taken and are returned (the
   * response's `unavailable_snapshots`).
   */
  acquire(
    leaseId: string,
    durationMs: number,
    snapshots: readonly LeasedSnapshot[],
    exists: (s: LeasedSnapshot) => boolean,
  ): LeasedSnapshot[] {
    const unavailable: LeasedSnapshot[] = [];
    const held = new Map(this.leases.get(leaseId)?.snapshots);
    for (const s of snapshots) {
      if (!exists(s)) {
        unavailable.push(s);
        continue;
      }
      held.set(bucketKeyOf(s), {
        tableId: s.tableId,
        ...(s.partitionId !== undefined ? { partitionId: s.partitionId } : {}),
        bucket: s.bucket,
        snapshotId: s.snapshotId,
      });
    }
    const expirationTime = Math.min(this.clock() + durationMs, Number.MAX_SAFE_INTEGER);
    const next = new Map(this.leases);
    next.set(leaseId, { expirationTime, snapshots: held });
    this.commit(next);
    return unavailable;
  }

  /**
   * Java `KvSnapshotLeaseManager.release`: the lease no longer holds these buckets; a lease
   * left holding nothing is dropped. Nothing happens for an unknown lease.
   */
  release(leaseId: string, buckets: readonly LeaseBucket[]): void {
    const lease = this.leases.get(leaseId);
    if (!lease) return;
    const held = new Map(lease.snapshots);
    for (const b of buckets) held.delete(bucketKeyOf(b));
    const next = new Map(this.leases);
    if (held.size === 0) next.delete(leaseId);
    else next.set(leaseId, { expirationTime: lease.expirationTime, snapshots: held });
    this.commit(next);
  }

  /** Java `KvSnapshotLeaseManager.dropLease`: false when there is no such lease. */
  drop(leaseId: string): boolean {
    if (!this.leases.has(leaseId)) return false;
    const next = new Map(this.leases);
    next.delete(leaseId);
    this.commit(next);
    this.options.logger?.info(`kv snapshots of lease '${leaseId}' has been all released.`);
    return true;
  }

  /** Drops every lease whose expiration time has passed (Java `expireLeases`); returns how many. */
  expire(): number {
    const now = this.clock();
    const expired = [...this.leases].filter(([, l]) => l.expirationTime < now).map(([id]) => id);
    if (expired.length === 0) return 0;
    const next = new Map(this.leases);
    for (const id of expired) next.delete(id);
    try {
      this.commit(next);
    } catch (e) {
      this.options.logger?.warn(`Failed to clear kv snapshot leases ${expired.join(", ")}: ${(e as Error).message}`);
      return 0;
    }
    for (const id of expired) this.options.logger?.info(`kv snapshots of lease '${id}' has been all released.`);
    return expired.length;
  }

  /** Whether any lease holds this snapshot of the bucket. */
  isLeased(tableId: number, partitionId: number | undefined, bucket: number, snapshotId: number): boolean {
    return (
      (this.refCount.get(snapshotKeyOf({ tableId, ...(partitionId !== undefined ? { partitionId } : {}), bucket }, snapshotId)) ??
        0) > 0
    );
  }

  /** Java `getStillInUseSnapshotIds`: the held snapshot ids per bucket of a table or one partition. */
  leasedIds(tableId: number, partitionId: number | undefined): Map<number, Set<number>> {
    const out = new Map<number, Set<number>>();
    for (const lease of this.leases.values()) {
      for (const s of lease.snapshots.values()) {
        if (s.tableId !== tableId || s.partitionId !== partitionId) continue;
        let ids = out.get(s.bucket);
        if (!ids) out.set(s.bucket, (ids = new Set()));
        ids.add(s.snapshotId);
      }
    }
    return out;
  }

  /** The tables a lease holds snapshots of (empty for an unknown lease). */
  tablesOf(leaseId: string): number[] {
    const lease = this.leases.get(leaseId);
    return lease ? [...new Set([...lease.snapshots.values()].map((s) => s.tableId))] : [];
  }

  /** Stops the expiration timer. */
  close(): void {
    clearInterval(this.timer);
  }

  private commit(next: Map<string, Lease>): void {
    const doc = {
      format: FORMAT,
      version: 1,
      leases: [...next].map(([leaseId, l]) => ({
        leaseId,
        expirationTime: l.expirationTime,
        snapshots: [...l.snapshots.values()],
      })),
    };
    try {
      fs.mkdirSync(path.dirname(this.file), { recursive: true });
      writeFileAtomicSync(this.file, `${JSON.stringify(doc)}\n`);
    } catch (e) {
      throw new Error(`Cannot write ${this.file}: ${describeOsCause(e)}`, { cause: e });
    }
    this.leases = next;
    this.index();
  }

  private index(): void {
    const counts = new Map<string, number>();
    for (const lease of this.leases.values()) {
      for (const s of lease.snapshots.values()) {
        const k = snapshotKeyOf(s, s.snapshotId);
        counts.set(k, (counts.get(k) ?? 0) + 1);
      }
    }
    this.refCount = counts;
  }
}
