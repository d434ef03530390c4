/**
 * Tiered log storage of the embedded cluster (Java `RemoteLogManager` + `LogTieringTask` +
 * `DefaultRemoteLogStorage` + the local clean-up of `LogTablet`): a background task per open
 * bucket log that
 *
 * 1. copies closed segments not yet copied (at most 5 per round, Java's
 *    `remote.log.task-max-upload-segments`) to `{remote}/log/.../{bucket}/{uuid}/` with
 *    Java's `.index` and `.timeindex` files;
 * 2. drops remote segments older than `table.log.ttl` (by their largest commit timestamp);
 * 3. commits a new manifest (`metadata/{uuid}.manifest`, Java's JSON) and records it in the
 *    bucket's local `remote-log-manifest.json` (Java keeps that handle in ZooKeeper), then
 *    deletes the expired segments' files and the previous manifest;
 * 4. deletes local segments already copied beyond `table.log.tiered.local-segments` (the
 *    active segment counts, as in Java) and local segments older than `table.log.local-ttl`
 *    (default `table.log.ttl`) once copied; a primary-key bucket keeps its changelog from its
 *    KV snapshot's offset on (Java's `minRetainOffset`), which recovery replays.
 *
 * It also answers what FetchLog and ListOffsets need of remote data.
 */
import { randomUUID } from "node:crypto";
import * as fs from "node:fs";
import * as fsp from "node:fs/promises";
import * as path from "node:path";
import { ErrorCode, FlussError } from "../../rpc/errors.js";
import type * as M from "../../rpc/messages.js";
import { TableOptions, parseJavaDuration } from "../../metadata/table-options.js";
import { listSnapshots } from "../kv/kv-snapshot.js";
import { fsyncDir, writeFileAtomic } from "../storage/atomic-file.js";
import type { CatalogStore, TableEntry } from "../storage/catalog-store.js";
import type { LogManager } from "../storage/log-manager.js";
import { tableBucketName } from "../storage/log-manager.js";
import type { LogTablet } from "../storage/log-tablet.js";
import { storageError } from "../storage/storage-errors.js";
import { RemoteLogTablet } from "./remote-log-tablet.js";
import {
  handleFromJson,
  handleToJson,
  manifestEndOffset,
  manifestFromJson,
  manifestToJson,
  type ManifestOwner,
  type RemoteLogManifest,
  type RemoteLogSegment,
} from "./remote-manifest.js";
import {
  RemotePath,
  SegmentFileSuffix,
  remoteLogDir,
  remoteLogManifestFile,
  remoteLogSegmentDir,
  remoteLogTabletDir,
  remoteSegmentFile,
} from "./remote-paths.js";
import { buildSegmentIndexes, lookupOffsetIndex, lookupTimeIndex, type SegmentIndexes } from "./segment-index.js";

/** Name of the manifest handle in a bucket's local directory. */
const HANDLE_FILE = "remote-log-manifest.json";
/** Java `remote.log.task-max-upload-segments` default. */
const DEFAULT_MAX_UPLOAD_SEGMENTS = 5;
/** Java `table.log.tiered.local-segments` default. */
const DEFAULT_LOCAL_SEGMENTS = 2;
/** A remote segment directory's name (a UUID). */
const UUID_NAME = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
/** Index files of this many remote segments stay in memory. */
const INDEX_CACHE_ENTRIES = 512;

/** Options of the {@link RemoteLogManager}. */
export interface RemoteLogManagerOptions {
  /** `remote.data.dir`. */
  readonly root: RemotePath;
  /** Overrides every table's `table.log.tiered.local-segments`. */
  readonly localSegmentsToKeep?: number;
  /** How often each open bucket's task runs (Java `remote.log.task-interval-duration`); 0: never on its own. */
  readonly taskIntervalMs: number;
  readonly maxUploadSegmentsPerTask?: number;
  readonly clock: () => number;
  readonly logger: { info(m: string): void; warn(m: string): void; error(m: string, err?: unknown): void };
}

/** A bucket's identity. */
interface BucketId {
  readonly tableId: number;
  readonly partitionId: number | undefined;
  readonly bucket: number;
}

/** The tiering options of a table, from its stored properties. */
interface TieringConfig {
  readonly localSegments: number;
  readonly ttlMs: number;
  readonly localTtlMs: number;
}

function tieringConfig(entry: TableEntry): TieringConfig & { hasPrimaryKey: boolean } {
  let props: Record<string, unknown> = {};
  let hasPrimaryKey = false;
  try {
    const doc = JSON.parse(entry.tableJson) as { properties?: Record<string, unknown>; schema?: { primary_key?: unknown } };
    props = doc.properties ?? {};
    hasPrimaryKey = Array.isArray(doc.schema?.primary_key) && doc.schema.primary_key.length > 0;
  } catch {
    // the table view reports unreadable table JSON; defaults here
  }
  const duration = (key: string): number | undefined => {
    const raw = props[key];
    if (typeof raw !== "string") return undefined;
    try {
      return parseJavaDuration(raw);
    } catch {
      return undefined;
    }
  };
  const localSegments = Number.parseInt(String(props[TableOptions.LOG_TIERED_LOCAL_SEGMENTS] ?? ""), 10);
  const ttlMs = duration(TableOptions.LOG_TTL) ?? 7 * 86_400_000;
  return {
    localSegments: Number.isInteger(localSegments) && localSegments > 0 ? localSegments : DEFAULT_LOCAL_SEGMENTS,
    ttlMs,
    localTtlMs: duration(TableOptions.LOG_LOCAL_TTL) ?? ttlMs,
    hasPrimaryKey,
  };
}

function keyOf(b: BucketId): string {
  return b.partitionId === undefined ? `${b.tableId}/${b.bucket}` : `${b.tableId}/p${b.partitionId}/${b.bucket}`;
}

/** Writes `data` to `file` and forces it to disk. */
async function writeDurably(file: string, data: Uint8Array): Promise<void> {
  const h = await fsp.open(file, "w", 0o644);
  try {
    await h.writeFile(data);
    await h.sync();
  } finally {
    await h.close();
  }
}

/** Copies the first `size` bytes of `from` to `to` and forces them to disk. */
async function copyDurably(from: string, to: string, size: number): Promise<void> {
  await fsp.copyFile(from, to);
  const h = await fsp.open(to, "r+");
  try {
    if ((await h.stat()).size !== size) await h.truncate(size);
    await h.sync();
  } finally {
    await h.close();
  }
}

/** Copies, expires and cleans up tiered log segments; answers remote lookups. */
export class RemoteLogManager {
  private readonly tablets = new Map<string, Promise<RemoteLogTablet>>();
  /** The remote tablets loaded so far (what {@link tablets} resolved to). */
  private readonly loaded = new Map<string, RemoteLogTablet>();
  /** The task running on each bucket (one at a time). */
  private readonly running = new Map<string, Promise<void>>();
  private readonly indexCache = new Map<string, Promise<SegmentIndexes>>();
  /** Prefixes (`"<tableId>/"`, `"<tableId>/p<id>/"`) of dropped tables and partitions. */
  private readonly dropped = new Set<string>();
  private readonly timer: NodeJS.Timeout | undefined;
  private round: Promise<void> | undefined;
  /** The one-time opening of the logs on disk that have something to tier or expire. */
  private storedOpened: Promise<void> | undefined;
  private closed = false;
  private readonly logDir: RemotePath;

  constructor(
    private readonly catalog: CatalogStore,
    private readonly logs: LogManager,
    private readonly options: RemoteLogManagerOptions,
  ) {
    this.logDir = remoteLogDir(options.root);
    logs.onDrop((prefix) => this.dropMatching(prefix));
    if (options.taskIntervalMs > 0) {
      this.timer = setInterval(() => {
        // a background round never rejects unhandled (that would end the process)
        this.round ??= this.runAll()
          .catch((e: unknown) => {
            if (!this.closed) this.options.logger.warn(`A tiering round failed: ${String(e)}`);
          })
          .finally(() => (this.round = undefined));
      }, options.taskIntervalMs);
      this.timer.unref();
    }
  }

  /** `remote.data.dir` as reported to clients. */
  get remoteDataDir(): string {
    return this.options.root.uri;
  }

  // ------------------------------------------------------------------ lookups

  /** Who owns a bucket's remote data, from the catalog (UNKNOWN_TABLE_OR_BUCKET when gone). */
  private owner(b: BucketId): ManifestOwner {
    const entry = this.catalog.getTableById(b.tableId);
    const unknown = (): FlussError =>
      new FlussError(
        ErrorCode.UNKNOWN_TABLE_OR_BUCKET_EXCEPTION,
        `Unknown table or bucket: ${tableBucketName(b.tableId, b.partitionId, b.bucket)}`,
      );
    if (!entry) throw unknown();
    let partitionName: string | undefined;
    if (b.partitionId !== undefined) {
      const p = this.catalog.getPartitionById(b.partitionId);
      if (!p || p.tableId !== b.tableId) throw unknown();
      partitionName = p.partitionName;
    }
    return {
      databaseName: entry.databaseName,
      tableName: entry.tableName,
      ...(partitionName !== undefined ? { partitionName, partitionId: b.partitionId! } : {}),
      tableId: b.tableId,
      bucket: b.bucket,
    };
  }

  private handleFile(b: BucketId): string {
    return path.join(this.logs.bucketDir(b.tableId, b.partitionId, b.bucket), HANDLE_FILE);
  }

  /** The bucket's remote log, loaded from its committed manifest on first use. */
  remoteTablet(tableId: number, partitionId: number | undefined, bucket: number): Promise<RemoteLogTablet> {
    const b: BucketId = { tableId, partitionId, bucket };
    const key = keyOf(b);
    let p = this.tablets.get(key);
    if (!p) {
      p = this.load(b);
      this.tablets.set(key, p);
      p.then(
        (t) => {
          if (this.tablets.get(key) === p) this.loaded.set(key, t);
        },
        () => {
          if (this.tablets.get(key) === p) this.tablets.delete(key);
        },
      );
    }
    return p;
  }

  private async load(b: BucketId): Promise<RemoteLogTablet> {
    const owner = this.owner(b);
    const dir = remoteLogTabletDir(this.logDir, {
      databaseName: owner.databaseName,
      tableName: owner.tableName,
      tableId: owner.tableId,
      ...(owner.partitionName !== undefined ? { partition: { name: owner.partitionName, id: owner.partitionId! } } : {}),
      bucket: b.bucket,
    });
    const tablet = new RemoteLogTablet(owner, dir);
    const handleFile = this.handleFile(b);
    let json: string;
    try {
      json = await fsp.readFile(handleFile, "utf8");
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "ENOENT") throw storageError("Reading remote log manifest handle", handleFile, e);
      await this.removeOrphans(tablet); // a crash before the first commit
      return tablet;
    }
    const handle = handleFromJson(json, handleFile);
    // the handle names the manifest by its reported path; it lies under this cluster's root
    // unless the cluster was restarted with another remoteDataDir
    const manifestPath = RemotePath.under(this.options.root, handle.manifestPath);
    if (!manifestPath) {
      throw new FlussError(
        ErrorCode.LOG_STORAGE_EXCEPTION,
        `Remote log manifest ${handle.manifestPath} of ${tableBucketName(b.tableId, b.partitionId, b.bucket)} ` +
          `is not under the remote data dir ${this.options.root.uri} (was remoteDataDir changed?)`,
      );
    }
    let manifestJson: string;
    try {
      manifestJson = await fsp.readFile(manifestPath.local, "utf8");
    } catch (e) {
      throw storageError("Reading remote log manifest", manifestPath.local, e);
    }
    const m = manifestFromJson(manifestJson, manifestPath.uri);
    tablet.load({ ...m, owner }, manifestPath);
    await this.removeOrphans(tablet);
    return tablet;
  }

  /**
   * Removes what a crash left behind in a bucket's remote dir: segments copied but never
   * committed, and manifests other than the committed one. Runs when the bucket's remote log
   * is loaded, before any task of the bucket can write there.
   */
  private async removeOrphans(tablet: RemoteLogTablet): Promise<void> {
    const live = new Set(tablet.segments.map((s) => s.id));
    const entries = await fsp.readdir(tablet.tabletDir.local).catch(() => [] as string[]);
    for (const name of entries) {
      if (UUID_NAME.test(name) && !live.has(name)) {
        await fsp.rm(path.join(tablet.tabletDir.local, name), { recursive: true, force: true }).catch(() => undefined);
      }
    }
    const committed = tablet.manifestPath?.name;
    const metadataDir = path.join(tablet.tabletDir.local, "metadata");
    for (const name of await fsp.readdir(metadataDir).catch(() => [] as string[])) {
      if (name !== committed && name.endsWith(".manifest"))
        await fsp.rm(path.join(metadataDir, name), { force: true }).catch(() => undefined);
    }
  }

  /** Java `LogTablet.logStartOffset`: the first offset in local or remote storage. */
  async logStartOffset(log: LogTablet, tableId: number, partitionId: number | undefined, bucket: number): Promise<number> {
    const rt = await this.remoteTablet(tableId, partitionId, bucket);
    return Math.min(log.logStartOffset, rt.startOffset);
  }

  /** Whether `offset` is in remote storage (Java `canFetchFromRemoteLog`). */
  async covers(tableId: number, partitionId: number | undefined, bucket: number, offset: number): Promise<boolean> {
    return (await this.remoteTablet(tableId, partitionId, bucket)).covers(offset);
  }

  /** The index files of a remote segment (read once, kept in memory). */
  private indexes(rt: RemoteLogTablet, seg: RemoteLogSegment): Promise<SegmentIndexes> {
    let p = this.indexCache.get(seg.id);
    if (p) {
      // most recently used last
      this.indexCache.delete(seg.id);
      this.indexCache.set(seg.id, p);
      return p;
    }
    const dir = remoteLogSegmentDir(rt.tabletDir, seg.id);
    const read = async (suffix: string): Promise<Uint8Array> => {
      const file = remoteSegmentFile(dir, seg.startOffset, suffix).local;
      try {
        return await fsp.readFile(file);
      } catch (e) {
        throw storageError("Reading remote log index", file, e);
      }
    };
    p = (async () => ({
      offsetIndex: await read(SegmentFileSuffix.INDEX),
      timeIndex: await read(SegmentFileSuffix.TIME_INDEX),
    }))();
    this.indexCache.set(seg.id, p);
    p.catch(() => this.indexCache.delete(seg.id));
    while (this.indexCache.size > INDEX_CACHE_ENTRIES) this.indexCache.delete(this.indexCache.keys().next().value!);
    return p;
  }

  /**
   * Java `ReplicaManager.fetchLogFromRemote`: where the records from `offset` on are in
   * remote storage — the tablet's remote dir, the segment holding `offset` and all later ones,
   * and `first_start_pos` from the first segment's offset index (the position of its entry
   * with the largest offset ≤ `offset`, 0 without one: batches before `offset` may follow it).
   * Undefined when `offset` is not in remote storage.
   */
  async fetchInfo(
    tableId: number,
    partitionId: number | undefined,
    bucket: number,
    offset: number,
  ): Promise<M.PbRemoteLogFetchInfo | undefined> {
    const rt = await this.remoteTablet(tableId, partitionId, bucket);
    const segs = rt.relevantSegments(offset);
    if (segs.length === 0) return undefined;
    const first = segs[0]!;
    const [, firstStartPos] = lookupOffsetIndex((await this.indexes(rt, first)).offsetIndex, first.startOffset, offset);
    return {
      remoteLogTabletDir: rt.tabletDir.uri,
      ...(rt.owner.partitionName !== undefined ? { partitionName: rt.owner.partitionName } : {}),
      remoteLogSegments: segs.map((s) => ({
        remoteLogSegmentId: s.id,
        remoteLogStartOffset: s.startOffset,
        remoteLogEndOffset: s.endOffset,
        segmentSizeInBytes: s.sizeInBytes,
        maxTimestamp: s.maxTimestamp,
      })),
      firstStartPos,
    };
  }

  /**
   * Java `RemoteLogManager.lookupOffsetForTimestamp`: in the first remote segment whose
   * largest timestamp is ≥ `ts`, the time index entry at or before `ts`, then the offset
   * index entry at or before that offset (so the answer may lie a few batches before the
   * first record at `ts`, as Java's does); -1 when no remote segment reaches `ts`.
   */
  async offsetForTimestamp(tableId: number, partitionId: number | undefined, bucket: number, ts: number): Promise<number> {
    const rt = await this.remoteTablet(tableId, partitionId, bucket);
    const seg = rt.segmentForTimestamp(ts);
    if (!seg) return -1;
    const idx = await this.indexes(rt, seg);
    const [, atOrBefore] = lookupTimeIndex(idx.timeIndex, seg.startOffset, ts);
    const [offset] = lookupOffsetIndex(idx.offsetIndex, seg.startOffset, atOrBefore);
    if (offset < seg.startOffset) return seg.startOffset;
    return offset < seg.endOffset ? offset : -1;
  }

  /**
   * The bucket's tiered log below `to`, segment by segment (whole files; segments are at most
   * a local segment's size): what KV recovery replays when no snapshot covers the local log start.
   */
  async *changelogBefore(
    tableId: number,
    partitionId: number | undefined,
    bucket: number,
    to: number,
  ): AsyncGenerator<Uint8Array> {
    const rt = await this.remoteTablet(tableId, partitionId, bucket);
    for (const s of rt.segments) {
      if (s.startOffset >= to) return;
      const file = remoteSegmentFile(remoteLogSegmentDir(rt.tabletDir, s.id), s.startOffset, SegmentFileSuffix.LOG).local;
      try {
        yield await fsp.readFile(file);
      } catch (e) {
        throw storageError("Reading remote log segment", file, e);
      }
    }
  }

  // ------------------------------------------------------------------ tasks

  /**
   * Runs the task of every open bucket log once (tests call this through LocalCluster). The
   * first round opens the logs on disk with closed segments or remote data first: logs open
   * on first use, so after a restart a bucket nobody reads or writes would otherwise never
   * be tiered or expired (Java runs the task of every leader replica).
   */
  async runAll(): Promise<void> {
    await (this.storedOpened ??= this.openStoredLogs().catch((e: unknown) => {
      this.storedOpened = undefined; // tried again next round
      throw e;
    }));
    for (const { tableId, partitionId, bucket, log } of this.logs.openLogs()) {
      if (this.closed) return;
      const l = await log.catch(() => undefined);
      if (!l) continue;
      const b = { tableId, partitionId, bucket };
      // nothing to copy, expire or clean: one local segment and nothing remote
      if (l.segmentCount === 1 && this.loaded.get(keyOf(b))?.segments.length === 0) continue;
      await this.runBucket(b, l);
    }
  }

  /** Opens the bucket logs of the catalog's tables whose directory holds closed segments or a remote manifest handle. */
  private async openStoredLogs(): Promise<void> {
    const buckets = async (dir: string): Promise<number[]> =>
      (await fsp.readdir(dir).catch(() => [] as string[])).filter((n) => /^\d+$/.test(n)).map(Number);
    const worth = async (dir: string): Promise<boolean> => {
      const names = await fsp.readdir(dir).catch(() => [] as string[]);
      return names.includes(HANDLE_FILE) || names.filter((n) => n.endsWith(".log")).length > 1;
    };
    // the catalog as of now, read before any await: tables and databases may be dropped meanwhile
    const tables: { tableId: number; parts: (number | undefined)[] }[] = [];
    for (const db of this.catalog.listDatabases()) {
      for (const t of this.catalog.listTables(db.name)) {
        tables.push({
          tableId: t.tableId,
          parts: [undefined, ...this.catalog.listPartitions(t.tableId).map((p) => p.partitionId)],
        });
      }
    }
    for (const { tableId, parts } of tables) {
      for (const partitionId of parts) {
        const dir =
          partitionId === undefined ? this.logs.tableDir(tableId) : path.join(this.logs.tableDir(tableId), `p${partitionId}`);
        for (const bucket of await buckets(dir)) {
          if (this.closed) return;
          // dropped since the catalog was read: its directory must not be opened (recreated)
          if (this.catalog.getTableById(tableId) === undefined) break;
          if (this.logs.getIfOpen(tableId, partitionId, bucket)) continue;
          if (!(await worth(this.logs.bucketDir(tableId, partitionId, bucket)))) continue;
          await this.logs.getOrCreate(tableId, partitionId, bucket).catch((e: unknown) => {
            if (!this.closed) {
              this.options.logger.warn(
                `Opening the log of ${tableBucketName(tableId, partitionId, bucket)} for tiering failed: ${String(e)}`,
              );
            }
          });
        }
      }
    }
  }

  /** One round of a bucket's task (serialized per bucket); failures are logged. */
  private runBucket(b: BucketId, log: LogTablet): Promise<void> {
    const key = keyOf(b);
    const prev = this.running.get(key) ?? Promise.resolve();
    const run = prev
      .then(() => this.tierOnce(b, log, key))
      .catch((e: unknown) => {
        if (!this.closed && !this.isDropped(key)) {
          this.options.logger.warn(
            `Tiering the log of ${tableBucketName(b.tableId, b.partitionId, b.bucket)} failed: ${String(e)}`,
          );
        }
      });
    this.running.set(key, run);
    void run.finally(() => {
      if (this.running.get(key) === run) this.running.delete(key);
    });
    return run;
  }

  private isDropped(key: string): boolean {
    for (const prefix of this.dropped) if (key.startsWith(prefix)) return true;
    return false;
  }

  /** Java `LogTieringTask.runOnce` and the local clean-ups that follow a commit. */
  private async tierOnce(b: BucketId, log: LogTablet, key: string): Promise<void> {
    if (this.closed || this.isDropped(key)) return;
    const entry = this.catalog.getTableById(b.tableId);
    if (!entry) return;
    const cfg = tieringConfig(entry);
    const rt = await this.remoteTablet(b.tableId, b.partitionId, b.bucket);
    const now = this.options.clock();

    // 1. closed segments not copied yet (LogTieringTask#candidateLogSegments)
    const from = Math.max(rt.highestCopiedEndOffset, 0, log.logStartOffset);
    const hw = log.highWatermark;
    const candidates = log
      .segmentInfos()
      .filter((s) => !s.active && s.nextOffset > from && s.nextOffset <= hw && s.sizeInBytes > 0)
      .slice(0, this.options.maxUploadSegmentsPerTask ?? DEFAULT_MAX_UPLOAD_SEGMENTS);
    const copied: RemoteLogSegment[] = [];
    // only what is on disk locally goes remote: a machine crash must not leave remote data
    // the local log lost (the roll's background sync of the newest closed segment)
    if (candidates.length > 0) await log.flush();
    for (const s of candidates) {
      if (this.closed || this.isDropped(key)) break;
      const id = randomUUID();
      const dir = remoteLogSegmentDir(rt.tabletDir, id);
      try {
        await fsp.mkdir(dir.local, { recursive: true });
        const idx = buildSegmentIndexes(s.baseOffset, await log.segmentBatches(s.baseOffset));
        await copyDurably(s.file, remoteSegmentFile(dir, s.baseOffset, SegmentFileSuffix.LOG).local, s.sizeInBytes);
        await writeDurably(remoteSegmentFile(dir, s.baseOffset, SegmentFileSuffix.INDEX).local, idx.offsetIndex);
        await writeDurably(remoteSegmentFile(dir, s.baseOffset, SegmentFileSuffix.TIME_INDEX).local, idx.timeIndex);
        await fsyncDir(dir.local);
        await fsyncDir(rt.tabletDir.local);
      } catch (e) {
        // as Java: stop here, commit what was copied
        this.options.logger.warn(`Copying ${s.file} to remote storage failed: ${String(e)}`);
        await this.deleteSegmentFiles(rt, {
          id,
          startOffset: s.baseOffset,
          endOffset: s.nextOffset,
          maxTimestamp: 0,
          sizeInBytes: 0,
        });
        break;
      }
      copied.push({
        id,
        startOffset: s.baseOffset,
        endOffset: s.nextOffset,
        maxTimestamp: s.maxTimestamp,
        sizeInBytes: s.sizeInBytes,
      });
    }

    // 2. remote segments past the TTL, 3. commit
    const expired = rt.expiredSegments(now, cfg.ttlMs);
    if (copied.length > 0 || expired.length > 0) {
      const gone = new Set(expired.map((s) => s.id));
      const segments = [...rt.segments.filter((s) => !gone.has(s.id)), ...copied].sort((x, y) => x.startOffset - y.startOffset);
      const manifest: RemoteLogManifest = {
        owner: rt.owner,
        segments,
        highestCopiedEndOffset: Math.max(rt.highestCopiedEndOffset, ...copied.map((s) => s.endOffset)),
      };
      const previous = rt.manifestPath;
      try {
        if (this.isDropped(key)) throw new Error("the table or partition was dropped");
        await this.commit(b, rt, manifest);
      } catch (e) {
        for (const s of copied) await this.deleteSegmentFiles(rt, s);
        throw e;
      }
      for (const s of expired) await this.deleteSegmentFiles(rt, s);
      if (previous) await fsp.rm(previous.local, { force: true }).catch(() => undefined);
      this.options.logger.info(
        `Remote log of ${tableBucketName(b.tableId, b.partitionId, b.bucket)}: copied ${copied.length} ` +
          `segment(s), expired ${expired.length}; remote offsets [${rt.startOffset === Number.MAX_SAFE_INTEGER ? "-" : rt.startOffset}, ${rt.endOffset})`,
      );
    }

    // 4. local clean-up (LogTablet#deleteSegmentsAlreadyExistsInRemote, #deleteExpiredSegments)
    await this.cleanLocal(b, log, rt, cfg, now);
  }

  /** Writes the manifest, then the handle that makes it the committed one. */
  private async commit(b: BucketId, rt: RemoteLogTablet, manifest: RemoteLogManifest): Promise<void> {
    const file = remoteLogManifestFile(rt.tabletDir, randomUUID());
    await fsp.mkdir(file.parent().local, { recursive: true });
    try {
      await writeDurably(file.local, Buffer.from(manifestToJson(manifest)));
      await fsyncDir(file.parent().local);
      await writeFileAtomic(
        this.handleFile(b),
        Buffer.from(handleToJson({ manifestPath: file.uri, remoteLogEndOffset: manifestEndOffset(manifest) })),
      );
    } catch (e) {
      await fsp.rm(file.local, { force: true }).catch(() => undefined);
      throw storageError("Committing remote log manifest", file.local, e);
    }
    rt.load(manifest, file);
  }

  /** Java `DefaultRemoteLogStorage.deleteLogSegmentFiles`: the files, then the directory. */
  private async deleteSegmentFiles(rt: RemoteLogTablet, s: RemoteLogSegment): Promise<void> {
    this.indexCache.delete(s.id);
    await fsp.rm(remoteLogSegmentDir(rt.tabletDir, s.id).local, { recursive: true, force: true }).catch((e: unknown) => {
      this.options.logger.warn(`Deleting remote log segment ${s.id} failed: ${String(e)}`);
    });
  }

  private async cleanLocal(
    b: BucketId,
    log: LogTablet,
    rt: RemoteLogTablet,
    cfg: TieringConfig & { hasPrimaryKey: boolean },
    now: number,
  ): Promise<void> {
    const segs = log.segmentInfos();
    const keep = this.options.localSegmentsToKeep ?? cfg.localSegments;
    let bound = rt.highestCopiedEndOffset;
    // tiered: every segment beyond the newest `keep` (the active one included) once copied
    let upTo = segs.length > keep ? Math.min(bound, segs[segs.length - keep]!.baseOffset) : -1;
    // local TTL: the oldest closed segments whose newest record is older than the TTL, once copied
    if (cfg.localTtlMs > 0) {
      for (const s of segs) {
        if (s.active || s.nextOffset > bound || now - s.maxTimestamp <= cfg.localTtlMs) break;
        upTo = Math.max(upTo, s.nextOffset);
      }
    }
    if (upTo <= log.logStartOffset) return;
    if (cfg.hasPrimaryKey) {
      // the KV state recovers from its snapshot's offset: keep the changelog from there on
      const dir = path.join(this.logs.bucketDir(b.tableId, b.partitionId, b.bucket), "kv");
      const snapshots = await listSnapshots(dir);
      bound = snapshots.length === 0 ? 0 : Math.min(...snapshots.map((e) => e.offset));
      upTo = Math.min(upTo, bound);
      if (upTo <= log.logStartOffset) return;
    }
    const start = await log.removeSegmentsBefore(upTo);
    this.options.logger.info(`Local log of ${tableBucketName(b.tableId, b.partitionId, b.bucket)} now starts at offset ${start}`);
  }

  // ------------------------------------------------------------------ drop, close

  /** A dropped table or partition: its tasks end and its remote data goes (Java `deleteRemote`). */
  private async dropMatching(prefix: string): Promise<void> {
    this.dropped.add(prefix);
    for (const [k, run] of [...this.running]) if (k.startsWith(prefix)) await run;
    for (const k of [...this.tablets.keys()]) {
      if (k.startsWith(prefix)) {
        this.tablets.delete(k);
        this.loaded.delete(k);
      }
    }
    const m = /^(\d+)\/(?:p(\d+)\/)?$/.exec(prefix);
    if (!m) return;
    const tableSuffix = `-${m[1]}`;
    const partitionSuffix = m[2] !== undefined ? `-p${m[2]}` : undefined;
    let dbs: string[];
    try {
      dbs = await fsp.readdir(this.logDir.local);
    } catch {
      return; // nothing was ever tiered
    }
    for (const db of dbs) {
      const dbDir = path.join(this.logDir.local, db);
      const tables = await fsp.readdir(dbDir).catch(() => [] as string[]);
      for (const t of tables.filter((n) => n.endsWith(tableSuffix))) {
        const tableDir = path.join(dbDir, t);
        if (partitionSuffix === undefined) {
          await fsp.rm(tableDir, { recursive: true, force: true });
          continue;
        }
        const parts = await fsp.readdir(tableDir).catch(() => [] as string[]);
        for (const p of parts.filter((n) => n.endsWith(partitionSuffix))) {
          await fsp.rm(path.join(tableDir, p), { recursive: true, force: true });
        }
      }
    }
  }

  /** Stops the timer and waits for running tasks. */
  async close(): Promise<void> {
    this.closed = true;
    if (this.timer) clearInterval(this.timer);
    await this.round?.catch(() => undefined);
    await Promise.all([...this.running.values()]);
  }
}

/** Creates the remote root (the cluster fails to start if it cannot). */
export function ensureRemoteRoot(root: RemotePath): void {
  try {
    fs.mkdirSync(root.local, { recursive: true });
  } catch (e) {
    throw storageError("Creating remote data directory", root.local, e, ErrorCode.STORAGE_EXCEPTION);
  }
}
