/**
 * Producer offset snapshots for exactly-once producers (Java `ProducerOffsetsManager` and
 * `ProducerOffsetsStore`): per producer id, the bucket offsets it registered and when the
 * snapshot expires. Kept in `<dataDir>/catalog/producer-offsets.json`, rewritten whole
 * and atomically on every change (Java keeps the metadata in ZooKeeper and the offsets in
 * remote files); expired snapshots are removed by a periodic cleanup, and replaced by a
 * new registration.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { ErrorCode, FlussError } from "../../rpc/errors.js";
import { detectInvalidName } from "../../metadata/table-path.js";
import { writeFileAtomicSync } from "../storage/atomic-file.js";
import { describeOsCause, readTextIfExists } from "../storage/storage-errors.js";

/** One bucket's offset in a snapshot. */
export interface ProducerBucketOffset {
  readonly tableId: number;
  readonly partitionId?: number;
  readonly bucket: number;
  readonly offset: number;
}

/** A producer's registered snapshot. */
export interface ProducerSnapshot {
  readonly producerId: string;
  /** Epoch ms after which the snapshot is expired (Java `ProducerOffsets.isExpired`: now > expirationTime). */
  readonly expirationTime: number;
  readonly offsets: readonly ProducerBucketOffset[];
}

/** Options of the {@link ProducerOffsetsManager}. */
export interface ProducerOffsetsOptions {
  /** `coordinator.producer-offsets.ttl`: lifetime of a snapshot registered without a TTL (24 h). */
  readonly ttlMs?: number;
  /** `coordinator.producer-offsets.cleanup-interval`: how often expired snapshots are removed (1 h). */
  readonly cleanupIntervalMs?: number;
  readonly clock?: () => number;
  readonly logger?: { info(message: string): void; warn(message: string): void };
}

/** Java ConfigOptions.COORDINATOR_PRODUCER_OFFSETS_TTL default (24 h). */
const DEFAULT_PRODUCER_OFFSETS_TTL_MS = 24 * 3600_000;
/** Java ConfigOptions.COORDINATOR_PRODUCER_OFFSETS_CLEANUP_INTERVAL default (1 h). */
const DEFAULT_PRODUCER_OFFSETS_CLEANUP_MS = 3600_000;

const FILE = "producer-offsets.json";
const FORMAT = "flussjs-producer-offsets";

/** The producer-offset snapshots of one cluster. */
export class ProducerOffsetsManager {
  private snapshots: Map<string, ProducerSnapshot>;
  private readonly timer: NodeJS.Timeout;
  readonly ttlMs: number;
  private readonly clock: () => number;

  private constructor(
    private readonly file: string,
    snapshots: Map<string, ProducerSnapshot>,
    private readonly options: ProducerOffsetsOptions,
  ) {
    this.snapshots = snapshots;
    this.ttlMs = options.ttlMs ?? DEFAULT_PRODUCER_OFFSETS_TTL_MS;
    this.clock = options.clock ?? Date.now;
    this.timer = setInterval(() => this.runCleanup(), options.cleanupIntervalMs ?? DEFAULT_PRODUCER_OFFSETS_CLEANUP_MS);
    this.timer.unref();
  }

  /** Loads the snapshots kept under `<dataDir>/catalog`; a corrupt file fails with STORAGE_EXCEPTION. */
  static open(dataDir: string, options: ProducerOffsetsOptions = {}): ProducerOffsetsManager {
    const file = path.join(dataDir, "catalog", FILE);
    const snapshots = new Map<string, ProducerSnapshot>();
    const text = readTextIfExists(file, "producer offsets file");
    if (text !== undefined) {
      const corrupt = (): never => {
        throw new FlussError(ErrorCode.STORAGE_EXCEPTION, `Producer offsets file ${file} is corrupt; restore or remove it.`);
      };
      let doc: { format?: unknown; producers?: unknown };
      try {
        doc = JSON.parse(text) as typeof doc;
      } catch {
        return corrupt();
      }
      if (doc.format !== FORMAT || !Array.isArray(doc.producers)) corrupt();
      for (const p of doc.producers as ProducerSnapshot[]) {
        if (typeof p?.producerId !== "string" || typeof p.expirationTime !== "number" || !Array.isArray(p.offsets)) corrupt();
        snapshots.set(p.producerId, p);
      }
    }
    return new ProducerOffsetsManager(file, snapshots, options);
  }

  /**
   * Java `ProducerOffsetsManager.registerSnapshot`: creates the snapshot unless a valid
   * (not expired) one exists. Returns true when created (CREATED), false when one existed
   * (ALREADY_EXISTS). An expired snapshot is replaced.
   */
  register(producerId: string, offsets: readonly ProducerBucketOffset[], ttlMs?: number): boolean {
    validateProducerId(producerId);
    const now = this.clock();
    const existing = this.snapshots.get(producerId);
    if (existing && !(now > existing.expirationTime)) return false;
    const next = new Map(this.snapshots);
    // a TTL beyond what an epoch-ms number holds never expires in practice
    const expirationTime = Math.min(now + (ttlMs ?? this.ttlMs), Number.MAX_SAFE_INTEGER);
    next.set(producerId, { producerId, expirationTime, offsets: [...offsets] });
    this.commit(next);
    return true;
  }

  /** The producer's snapshot, expired or not (until the cleanup removes it), as Java's store answers. */
  get(producerId: string): ProducerSnapshot | undefined {
    validateProducerId(producerId);
    return this.snapshots.get(producerId);
  }

  /** Deletes the producer's snapshot; nothing happens when there is none. */
  delete(producerId: string): void {
    validateProducerId(producerId);
    if (!this.snapshots.has(producerId)) return;
    const next = new Map(this.snapshots);
    next.delete(producerId);
    this.commit(next);
  }

  /** Removes every expired snapshot (Java `cleanupExpiredSnapshots`); returns how many. */
  runCleanup(): number {
    const now = this.clock();
    const next = new Map([...this.snapshots].filter(([, s]) => !(now > s.expirationTime)));
    const removed = this.snapshots.size - next.size;
    if (removed === 0) return 0;
    try {
      this.commit(next);
      this.options.logger?.info(`Producer snapshot cleanup: removed ${removed} expired snapshots`);
    } catch (e) {
      this.options.logger?.warn(`Failed to cleanup producer snapshots: ${(e as Error).message}`);
      return 0;
    }
    return removed;
  }

  /** Stops the cleanup timer. */
  close(): void {
    clearInterval(this.timer);
  }

  private commit(next: Map<string, ProducerSnapshot>): void {
    const doc = { format: FORMAT, version: 1, producers: [...next.values()] };
    try {
      fs.mkdirSync(path.dirname(this.file), { recursive: true });
      writeFileAtomicSync(this.file, `${JSON.stringify(doc)}\n`);
    } catch (e) {
      throw new FlussError(ErrorCode.STORAGE_EXCEPTION, `Cannot write ${this.file}: ${describeOsCause(e)}`, { cause: e });
    }
    this.snapshots = next;
  }
}

/** Java `ProducerOffsetsManager.validateProducerId`: the id names a file and a ZooKeeper node. */
function validateProducerId(producerId: string): void {
  const why = detectInvalidName(producerId);
  if (why !== undefined) {
    throw new FlussError(ErrorCode.INVALID_PRODUCER_ID_EXCEPTION, `Invalid producer ID '${producerId}': ${why}`);
  }
}
