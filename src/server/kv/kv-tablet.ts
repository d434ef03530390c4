/**
 * The KV half of one primary-key bucket (Java `KvTablet` + `KvPreWriteBuffer`): applies
 * KvRecordBatches to the bucket's state through the table's merger, appends the changelog
 * to the bucket's log (the write-ahead log of the state) and answers lookups.
 *
 * One PutKv at a time per bucket: each record is applied straight to the store, its previous
 * value kept in an undo log, then the changelog is appended with the KV batch's writer id and
 * sequence; a failed or duplicate append (or a record that fails half-way) rolls the store
 * back from the undo log, so only a non-duplicate append changes the state. While the append
 * is in flight, lookups see the values from before the batch (the undo log's first entry per
 * key), so an acknowledged write is visible and a rejected or duplicate one never is.
 *
 * Durability: the state is rebuilt on open from the newest snapshot plus the changelog
 * after it (+I/+U put the after-image under the key of its primary-key columns, -D
 * deletes); snapshots are taken when enough changelog accumulated or time passed, and on
 * close, so restart time is bounded by the tail, not by the history.
 */
import type { RecordBatch } from "apache-arrow";
import { readArrowLogBatch } from "../../record/arrow/arrow-log.js";
import { columnBinder } from "../../record/arrow/arrow-rows.js";
import { ChangeByte } from "../../record/change-type.js";
import { readIndexedLogRecords } from "../../record/indexed-log.js";
import { KV_RECORD_BATCH_HEADER_SIZE, KvBatchView, forEachKvRecord } from "../../record/kv-batch.js";
import { iterateBatches, type LogBatchView } from "../../record/log-batch.js";
import { ErrorCode, FlussError } from "../../rpc/errors.js";
import type { LogTablet } from "../storage/log-tablet.js";
import { ChangelogBuilder } from "./changelog-builder.js";
import { KvStore, bytesToLatin1, latin1Of, latin1ToBytes, type KvView } from "./kv-store.js";
import {
  decodeSnapshot,
  encodeSnapshotInSteps,
  listSnapshots,
  migrateLegacySnapshots,
  pruneSnapshots,
  readSnapshotFile,
  writeSnapshot,
} from "./kv-snapshot.js";
import type { SequenceGenerator } from "./auto-increment.js";
import { checkChangelogFormat, padRow, type AutoIncrementColumn, type KvSchemaCodec, type KvTable } from "./kv-table.js";
import { DefaultRowMerger } from "./merge/default-merger.js";
import type { MergeRow, RowMerger } from "./merge/row-merger.js";
import { whenDrained } from "../../util/drained.js";

/** Where problems during recovery are reported. */
export interface KvLogger {
  warn(message: string): void;
}

/** Outcome of {@link KvTablet.put}. */
export interface PutResult {
  /** The changelog's end offset after the write (Java `appendInfo.lastOffset() + 1`). */
  readonly logEndOffset: number;
  /** The batch was a re-send already applied: nothing changed. */
  readonly duplicate: boolean;
}

/** Options of a put. */
export interface PutOptions {
  /** Partial update: the column indexes the rows carry (undefined = whole rows). */
  readonly targetColumns?: readonly number[];
  /** PutKv `agg_mode` OVERWRITE: bypass the merge engine (Java `MergeMode.OVERWRITE`). */
  readonly overwrite?: boolean;
}

/** Bytes read per step when replaying the changelog. */
const REPLAY_READ_BYTES = 8 * 1024 * 1024;

/**
 * A stored value `int16 schemaId ‖ row` as one flat latin1 string (concatenating strings
 * would keep a rope of two pieces per entry).
 */
function storedValue(schemaId: number, row: Uint8Array, start = 0, end = row.length): string {
  const buf = scratch(end - start + 2);
  buf.writeInt16LE(schemaId, 0);
  buf.set(row.subarray(start, end), 2);
  return buf.toString("latin1", 0, end - start + 2);
}

/**
 * The stored value of a row as sent, `bytes[start, end)` of a KV batch, built in place: the
 * two bytes before the row (inside its record: length and key come first) briefly hold the
 * schema id, so the string is cut from the batch in one call, without a copy.
 */
function storedValueInPlace(schemaId: number, bytes: Latin1Sliceable, start: number, end: number): string {
  const b0 = bytes[start - 2]!;
  const b1 = bytes[start - 1]!;
  bytes[start - 2] = schemaId & 0xff;
  bytes[start - 1] = (schemaId >>> 8) & 0xff;
  const s = bytes.latin1Slice(start - 2, end);
  bytes[start - 2] = b0;
  bytes[start - 1] = b1;
  return s;
}

/** The schema id of a stored value (`int16 schemaId ‖ row`, little-endian) held as latin1. */
function storedSchemaId(value: string): number {
  return ((value.charCodeAt(0) | (value.charCodeAt(1) << 8)) << 16) >> 16;
}

/**
 * The changelog of a bucket that left its local log (tiered segments), oldest first, as
 * whole-batch byte chunks covering offsets below `to`.
 */
export type EarlierChangelog = (to: number) => AsyncIterable<Uint8Array>;

/** Node's latin1 decoder behind `toString("latin1", start, end)`, without its argument handling. */
type Latin1Sliceable = Buffer & { latin1Slice(start: number, end: number): string };

let scratchBuf = Buffer.alloc(4096);
/** The same memory as a plain Uint8Array: Buffer's subarray (used by the row decoders) is slower. */
let scratchBytes = new Uint8Array(scratchBuf.buffer, scratchBuf.byteOffset, scratchBuf.length);

/** A reused buffer of at least `n` bytes (single-threaded: valid until the next call). */
function scratch(n: number): Buffer {
  if (scratchBuf.length < n) {
    scratchBuf = Buffer.alloc(Math.max(n, scratchBuf.length * 2));
    scratchBytes = new Uint8Array(scratchBuf.buffer, scratchBuf.byteOffset, scratchBuf.length);
  }
  return scratchBuf;
}

/**
 * Which snapshots of a bucket are kept: the newest `retained` (Java `kv.snapshot.num-retained`)
 * and those `leased` answers true for (a KV snapshot lease holds them).
 */
export interface SnapshotRetention {
  readonly retained: number;
  readonly leased: (snapshotId: number) => boolean;
}

/** The KV state of one bucket. */
export class KvTablet {
  private readonly store: KvStore;
  private queue: Promise<unknown> = Promise.resolve();
  private closed = false;
  /** Offset covered by the newest snapshot on disk (-1: none). */
  private snapshotOffset: number;
  /** Id of the next snapshot (Java's per-bucket snapshot id counter: one more than the newest on disk). */
  private nextSnapshotId: number;
  /** Id of the newest snapshot written since the tablet opened (-1: none). */
  private lastId = -1;
  /** Changelog bytes appended since that snapshot. */
  private bytesSinceSnapshot = 0;
  private lastSnapshotAt: number;
  private snapshotting: Promise<void> | undefined;
  /** Bytes of KV batches waiting for or in the apply queue (backpressure). */
  private pendingBytes = 0;
  /** The undo log of the batch being applied and appended, if any. */
  private inflight: UndoLog | undefined;
  /**
   * The changelog offset the acknowledged state reflects: every change below it is applied,
   * none at or above it. The store also holds the in-flight batch's changes (`inflight`
   * tells them apart); this moves, and `inflight` clears, in the synchronous step after its
   * append (not with the log end, which advances before the append resolves).
   */
  private appliedOffset = 0;

  private constructor(
    readonly name: string,
    private readonly log: LogTablet,
    /** Directory of the snapshot files. */
    readonly snapshotDir: string,
    store: KvStore,
    snapshotOffset: number,
    nextSnapshotId: number,
    private readonly clock: () => number,
    /** Values of the auto-increment column, if the table has one. */
    private readonly sequence: SequenceGenerator | undefined,
    private readonly retention: SnapshotRetention,
  ) {
    this.store = store;
    this.snapshotOffset = snapshotOffset;
    this.nextSnapshotId = nextSnapshotId;
    this.lastSnapshotAt = clock();
  }

  /**
   * Rebuilds the bucket's state: the newest readable snapshot (damaged ones are skipped with
   * a warning), then the changelog from its offset to the log end.
   */
  static async open(
    name: string,
    log: LogTablet,
    kt: KvTable,
    snapshotDir: string,
    options: {
      logger?: KvLogger;
      clock?: () => number;
      sequence?: SequenceGenerator;
      earlier?: EarlierChangelog;
      retention?: SnapshotRetention;
    } = {},
  ): Promise<KvTablet> {
    const logger = options.logger ?? { warn: (m: string) => console.warn(m) };
    const store = new KvStore(kt.prefixOf);
    let from = log.logStartOffset;
    let snapshotOffset = -1;
    // files named by the earlier rule (offset only) take their ids now, before any new snapshot
    const snapshots = migrateLegacySnapshots(snapshotDir, await listSnapshots(snapshotDir));
    for (const entry of snapshots) {
      const { id, offset } = entry;
      if (offset > log.logEndOffset || offset < log.logStartOffset) {
        logger.warn(
          `KV ${name}: ignoring snapshot ${id} at offset ${offset} outside the log [${log.logStartOffset}, ${log.logEndOffset}]`,
        );
        continue;
      }
      try {
        const header = decodeSnapshot(await readSnapshotFile(snapshotDir, entry), store);
        if (header.offset !== offset || (header.id !== undefined && header.id !== id)) {
          throw new Error(`its header (id ${header.id}, offset ${header.offset}) does not match its name`);
        }
        from = offset;
        snapshotOffset = offset;
        break;
      } catch (e) {
        logger.warn(`KV ${name}: ignoring damaged snapshot ${id} at offset ${offset}: ${(e as Error).message}`);
        store.clear();
      }
    }
    const nextId = snapshots.length === 0 ? 0 : snapshots[0]!.id + 1;
    const tablet = new KvTablet(
      name,
      log,
      snapshotDir,
      store,
      snapshotOffset,
      nextId,
      options.clock ?? Date.now,
      options.sequence,
      options.retention ?? { retained: 1, leased: () => false },
    );
    if (snapshotOffset < 0 && from > 0 && options.earlier) {
      // no usable snapshot and the changelog's head was tiered away: replaying from the local
      // log start would silently lose every key written before it (Java recovers the
      // changelog from remote storage, KvTablet/RemoteLogFetcher)
      tablet.bytesSinceSnapshot = await tablet.replayEarlier(kt, options.earlier, from);
    }
    tablet.bytesSinceSnapshot += await tablet.replay(kt, from);
    tablet.appliedOffset = log.logEndOffset;
    return tablet;
  }

  /** Number of keys in the state. */
  get size(): number {
    return this.store.size;
  }

  /** Changelog bytes not yet covered by a snapshot. */
  get unsnapshottedBytes(): number {
    return this.bytesSinceSnapshot;
  }

  /** Bytes of KV batches accepted but not yet applied. */
  get pendingApplyBytes(): number {
    return this.pendingBytes;
  }

  /**
   * Applies the changelog in [from, log end) to the store; returns the bytes read. Every
   * batch is CRC-checked here (recovery only). A corrupt or unreadable changelog batch means
   * the state cannot be rebuilt exactly, and applying what is left would silently diverge
   * from what was acknowledged: the open fails with KV_STORAGE_EXCEPTION naming the bucket
   * and offset (the server and other buckets go on; Java's recovery likewise fails the
   * replica rather than skip records). The changelog stays readable up to the damage.
   */
  private async replay(kt: KvTable, from: number): Promise<number> {
    let offset = from;
    let bytes = 0;
    const end = this.log.logEndOffset;
    const fail = (why: string, cause?: unknown): FlussError =>
      new FlussError(
        ErrorCode.KV_STORAGE_EXCEPTION,
        `KV ${this.name}: cannot recover the state from the changelog at offset ${offset}: ${why}`,
        cause === undefined ? undefined : { cause },
      );
    while (offset < end) {
      let res;
      try {
        res = await this.log.read(offset, REPLAY_READ_BYTES, { upTo: end });
      } catch (e) {
        throw fail(e instanceof Error ? e.message : String(e), e);
      }
      if (res.records.length === 0) break;
      bytes += res.records.length;
      offset = this.replayRecords(kt, res.records, offset, Number.POSITIVE_INFINITY, fail);
    }
    return bytes;
  }

  /**
   * Applies the changelog batches of `records` from `offset` up to `to` (exclusive; a batch
   * starting there ends the replay), each CRC-checked; returns the offset after the last one
   * applied, or `to` when it was reached.
   */
  private replayRecords(
    kt: KvTable,
    records: Uint8Array,
    offset: number,
    to: number,
    fail: (why: string, cause?: unknown) => FlussError,
  ): number {
    for (const batch of iterateBatches(records)) {
      if (batch.baseOffset >= to) return to;
      const next = batch.lastOffset + 1;
      if (!batch.isValid()) throw fail(`the changelog batch at offset ${batch.baseOffset} failed its CRC check`);
      if (batch.recordCount > 0 && next > offset) {
        try {
          this.replayBatch(kt, batch, Math.max(0, offset - batch.baseOffset));
        } catch (e) {
          throw fail(`the changelog batch at offset ${batch.baseOffset} cannot be decoded: ${String(e)}`, e);
        }
      }
      offset = Math.max(offset, next);
    }
    return offset;
  }

  /** Replays the tiered changelog below `to` (the local log start); returns the bytes read. */
  private async replayEarlier(kt: KvTable, earlier: EarlierChangelog, to: number): Promise<number> {
    let offset = 0;
    let bytes = 0;
    const fail = (why: string, cause?: unknown): FlussError =>
      new FlussError(
        ErrorCode.KV_STORAGE_EXCEPTION,
        `KV ${this.name}: cannot recover the state from the tiered changelog at offset ${offset}: ${why}`,
        cause === undefined ? undefined : { cause },
      );
    try {
      for await (const records of earlier(to)) {
        bytes += records.length;
        offset = this.replayRecords(kt, records, offset, to, fail);
        if (offset >= to) return bytes;
      }
    } catch (e) {
      throw e instanceof FlussError && e.code === ErrorCode.KV_STORAGE_EXCEPTION ? e : fail(String(e), e);
    }
    return bytes;
  }

  private replayBatch(kt: KvTable, batch: LogBatchView, skip: number): void {
    const schemaId = batch.schemaId;
    // a changelog batch is in the schema it was written with (the latest at the time)
    const codec = kt.codecOf(schemaId);
    const apply = (type: number, row: readonly unknown[]): void => {
      if (type === ChangeByte.UPDATE_BEFORE) return;
      const key = bytesToLatin1(kt.keys.key(row));
      if (type === ChangeByte.DELETE) this.store.delete(key);
      else this.store.put(key, storedValue(schemaId, codec.rowEncoder.encode(row)));
    };
    if (kt.logFormat === "ARROW") {
      const content = readArrowLogBatch(batch, codec.arrowSchema());
      const rb: RecordBatch | null = content.batch;
      if (!rb) return;
      const readers = codec.rowType.fields.map((f, k) => columnBinder(f.type)(rb.data.children[k]!));
      const ct = content.changeTypes;
      const row = new Array<unknown>(readers.length);
      for (let i = skip; i < rb.numRows; i++) {
        for (let k = 0; k < readers.length; k++) row[k] = readers[k]!(i);
        apply(ct ? ct[i]! : ChangeByte.INSERT, row);
      }
      return;
    }
    const records = readIndexedLogRecords(batch, codec.rowType, kt.logFormat === "COMPACTED" ? "COMPACTED" : "INDEXED");
    for (let i = skip; i < records.length; i++) apply(records[i]!.changeType, records[i]!.row);
  }

  /**
   * Applies a KV batch and appends its changelog (Java `KvTablet.putAsLeader`). Batches of
   * one bucket are applied one at a time, in arrival order.
   */
  put(kt: KvTable, batch: Uint8Array, options: PutOptions = {}): Promise<PutResult> {
    const size = batch.length;
    this.pendingBytes += size;
    const run = this.queue.then(() => this.doPut(kt, batch, options));
    this.queue = run.catch(() => undefined);
    return run.finally(() => {
      this.pendingBytes -= size;
    });
  }

  private async doPut(kt: KvTable, bytes: Uint8Array, options: PutOptions): Promise<PutResult> {
    this.ensureOpen();
    const view = new KvBatchView(bytes);
    view.ensureValid();
    const schemaId = view.schemaId;
    if (schemaId > kt.schemaId || schemaId < 0) {
      throw new FlussError(ErrorCode.SCHEMA_NOT_EXIST, `Invalid schema id: ${schemaId}, latest schema id: ${kt.schemaId}`);
    }
    checkChangelogFormat(kt);
    const targetColumns =
      options.targetColumns !== undefined && options.targetColumns.length > 0 ? options.targetColumns : undefined;
    if (kt.autoIncrement) checkAutoIncrementTargets(kt.autoIncrement, targetColumns);
    const base = options.overwrite ? kt.overwriteMerger : kt.merger;
    const merger = base.withTargetColumns(targetColumns);
    const wal = new ChangelogBuilder(kt);
    const undo = new UndoLog();
    const plain = bytes instanceof Buffer ? new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength) : bytes;
    const text = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const apply = new Applier(kt, merger, this.store, undo, wal, schemaId, this.sequence, text as Latin1Sliceable);
    let res;
    let changelog: Uint8Array;
    this.inflight = undo;
    try {
      forEachKvRecord(plain, KV_RECORD_BATCH_HEADER_SIZE, view.sizeInBytes, view.recordCount, (ks, ke, vs, ve) => {
        const key = latin1Of(plain, ks, ke);
        if (vs === ve) apply.deletion(key);
        else apply.upsert(key, plain, vs, ve);
      });
      changelog = wal.build(view.writerId, view.batchSequence);
      res = await this.log.append(changelog);
    } catch (e) {
      undo.rollback(this.store);
      throw e;
    } finally {
      this.inflight = undefined;
    }
    // same synchronous step as clearing `inflight`: views see the batch exactly when
    // their offset covers it
    if (res.duplicate) undo.rollback(this.store);
    else {
      // the only appender of this log, one put at a time: its end is where this put ended
      this.appliedOffset = this.log.logEndOffset;
      this.bytesSinceSnapshot += changelog.length;
    }
    return { logEndOffset: res.lastOffset + 1, duplicate: res.duplicate };
  }

  /** Stored values (`int16 schemaId ‖ row`) of `keys`; undefined where absent. */
  lookup(keys: readonly Uint8Array[]): (Uint8Array | undefined)[] {
    this.ensureOpen();
    const before = this.inflight?.before();
    return keys.map((k) => {
      const key = bytesToLatin1(k);
      const v = before?.has(key) ? before.get(key) : this.store.get(key);
      return v === undefined ? undefined : latin1ToBytes(v);
    });
  }

  /** Stored values of every key starting with `prefix` (the bucket-key bytes). */
  prefixLookup(prefix: Uint8Array): Uint8Array[] {
    this.ensureOpen();
    const p = bytesToLatin1(prefix);
    const before = this.inflight?.before();
    if (before === undefined || before.size === 0) return this.store.prefix(p).map(latin1ToBytes);
    // a batch is being appended: its keys show their values from before it
    const found = new Map(this.store.prefixEntries(p));
    for (const [k, v] of before) {
      if (!this.store.matchesPrefix(k, p)) continue;
      if (v === undefined) found.delete(k);
      else found.set(k, v);
    }
    return [...found.values()].map(latin1ToBytes);
  }

  /** Resolves once no put (or snapshot step) is queued or running. */
  whenIdle(): Promise<void> {
    return whenDrained(() => this.queue);
  }

  /**
   * A consistent view of the bucket's state and the changelog offset it corresponds to
   * (Java `KvTablet.openScan` capturing `flushedLogOffset` with the RocksDB snapshot): a log
   * scanner starting at `logOffset` sees exactly the changes the view does not hold.
   */
  openView(): { view: KvView; logOffset: number } {
    this.ensureOpen();
    // during an append the view shows the in-flight batch's keys as they were before it
    // (a rollback later changes only the store, never an open view)
    return { view: this.store.openView(this.inflight?.before()), logOffset: this.appliedOffset };
  }

  /** The first `limit` stored values (Java `KvTablet.limitScan`), without an in-flight batch's changes. */
  limitScan(limit: number): string[] {
    this.ensureOpen();
    const before = this.inflight?.before();
    if (before === undefined || before.size === 0) return this.store.firstValues(limit);
    const view = this.store.openView(before);
    try {
      const out: string[] = [];
      if (limit <= 0) return out;
      for (const v of view.values()) {
        out.push(v);
        if (out.length >= limit) break;
      }
      return out;
    } finally {
      view.close();
    }
  }

  /**
   * Takes a snapshot when at least `maxBytes` of changelog or `maxAgeMs` with changes passed
   * since the last one. Resolves once written (failures are thrown).
   */
  maybeSnapshot(maxBytes: number, maxAgeMs: number): Promise<void> {
    const due =
      this.bytesSinceSnapshot >= maxBytes || (this.bytesSinceSnapshot > 0 && this.clock() - this.lastSnapshotAt >= maxAgeMs);
    return due ? this.snapshot() : Promise.resolve();
  }

  /**
   * Writes a snapshot of the acknowledged state (a view and its applied offset, serialized
   * in steps while puts go on), after making the log durable up to that offset (so a
   * snapshot never covers changelog an OS crash could lose). One at a time; a call during
   * one waits for it.
   */
  snapshot(): Promise<void> {
    if (this.snapshotting) return this.snapshotting;
    const p = this.doSnapshot().finally(() => {
      this.snapshotting = undefined;
    });
    this.snapshotting = p;
    return p;
  }

  private async doSnapshot(): Promise<void> {
    if (this.closed || this.bytesSinceSnapshot === 0) return;
    // a consistent view and its offset in one synchronous step (an in-flight batch is left
    // out of both), serialized in steps while puts go on: the event loop is never blocked
    // for the whole bucket
    const { view, logOffset: offset } = this.openView();
    const covered = this.bytesSinceSnapshot;
    // taken before the snapshot runs, so a failed one leaves a gap (Java's getAndIncrement)
    const id = this.nextSnapshotId++;
    let bytes: Buffer | undefined;
    try {
      bytes = await encodeSnapshotInSteps(view, id, offset, () => this.closed);
    } finally {
      view.close();
    }
    // closed (dropped) meanwhile: write nothing into a directory about to be removed
    if (bytes === undefined || this.closed) return;
    // the log end is at or past `offset`: this makes the changelog below it durable
    await this.log.flush();
    await writeSnapshot(this.snapshotDir, id, offset, bytes);
    this.snapshotOffset = offset;
    this.lastId = id;
    this.bytesSinceSnapshot = Math.max(0, this.bytesSinceSnapshot - covered);
    this.lastSnapshotAt = this.clock();
    // the newest `retained` snapshots stay, and older ones while a lease holds them
    pruneSnapshots(this.snapshotDir, this.retention.retained, this.retention.leased);
  }

  /** Offset covered by the newest snapshot written (-1 when none). */
  get lastSnapshotOffset(): number {
    return this.snapshotOffset;
  }

  /** Id of the newest snapshot written since the tablet opened (-1 when none). */
  get lastSnapshotId(): number {
    return this.lastId;
  }

  /** Stops the tablet; with `snapshot` (a clean close) the state is snapshotted first. */
  async close(snapshot: boolean): Promise<void> {
    if (this.closed) return;
    if (snapshot) {
      try {
        // one running since before the last puts may not cover them: then take another
        await this.snapshotting?.catch(() => undefined);
        await this.snapshot();
      } finally {
        this.closed = true;
      }
    } else {
      this.closed = true;
      await this.snapshotting?.catch(() => undefined);
    }
    await this.queue;
    this.store.clear();
  }

  private ensureOpen(): void {
    if (this.closed) throw new FlussError(ErrorCode.KV_STORAGE_EXCEPTION, `KV tablet ${this.name} is closed`);
  }
}

/** Java `PerSchemaAutoIncrementUpdater.validateTargetColumns`. */
function checkAutoIncrementTargets(auto: AutoIncrementColumn, targetColumns: readonly number[] | undefined): void {
  if (targetColumns === undefined) {
    throw new FlussError(
      ErrorCode.INVALID_TARGET_COLUMN,
      `The table contains an auto-increment column [${auto.name}], but update target columns are not explicitly specified. ` +
        "Please specify the update target columns and exclude the auto-increment column from them.",
    );
  }
  if (targetColumns.includes(auto.index)) {
    throw new FlussError(
      ErrorCode.INVALID_TARGET_COLUMN,
      `Auto-increment column [${auto.name}] at index ${auto.index} must not be included in target columns.`,
    );
  }
}

/**
 * Previous values of the keys one batch changed, in order (undefined: the key was absent).
 * Replaces Java's `KvPreWriteBuffer`: records go straight to the store and a batch that must
 * not count is undone, which costs one map write per record instead of an overlay write, an
 * overlay read on every access and a commit pass.
 */
class UndoLog {
  private readonly keys: string[] = [];
  private readonly olds: (string | undefined)[] = [];
  private view: Map<string, string | undefined> | undefined;

  record(key: string, old: string | undefined): void {
    this.keys.push(key);
    this.olds.push(old);
    this.view = undefined;
  }

  /** Each changed key's value from before the batch (built on first use: only lookups during an append need it). */
  before(): Map<string, string | undefined> {
    if (this.view) return this.view;
    const m = new Map<string, string | undefined>();
    for (let i = 0; i < this.keys.length; i++) {
      const k = this.keys[i]!;
      if (!m.has(k)) m.set(k, this.olds[i]);
    }
    return (this.view = m);
  }

  /** Restores the store to its state before the batch. */
  rollback(store: KvStore): void {
    for (let i = this.keys.length - 1; i >= 0; i--) {
      const old = this.olds[i];
      if (old === undefined) store.delete(this.keys[i]!);
      else store.put(this.keys[i]!, old);
    }
    this.keys.length = 0;
    this.olds.length = 0;
    this.view = undefined;
  }
}

/** Java `KvTablet.processKvRecords` for one batch: applies records to the store, keeping an undo log. */
class Applier {
  /** WAL image with the plain default merger: no old-value read (KvTablet.java:723). */
  private readonly walShortcut: boolean;
  private readonly full: boolean;

  constructor(
    private readonly kt: KvTable,
    private readonly merger: RowMerger,
    private readonly store: KvStore,
    private readonly undo: UndoLog,
    private readonly wal: ChangelogBuilder,
    /** Schema id of the rows as sent. */
    private readonly newSchemaId: number,
    private readonly sequence: SequenceGenerator | undefined,
    /** The batch's bytes as a Buffer (the same memory as the `buf` of upserts). */
    private readonly text: Latin1Sliceable,
  ) {
    this.full = kt.changelogImage !== "WAL";
    const plain = merger instanceof DefaultRowMerger && kt.autoIncrement === undefined;
    this.walShortcut = !this.full && plain;
    // the plain default merger never looks at values: rows can go to the changelog as bytes
    // (when sent in the latest schema: older rows are padded to it, KvTablet.java:565)
    this.raw = plain && wal.acceptsRaw && newSchemaId === kt.schemaId;
    this.incomingCodec = kt.codecOf(newSchemaId);
    this.validateRaw = this.raw && kt.logFormat !== "ARROW";
  }

  /** Rows pass to the changelog as kv-format bytes, never decoded (see ChangelogBuilder.appendRaw). */
  private readonly raw: boolean;
  /** Raw row-format copies are checked by decoding the incoming row once (ARROW transcoding checks itself). */
  private readonly validateRaw: boolean;

  private appendRaw(type: ChangeByte, bytes: Uint8Array, start: number, end: number): void {
    try {
      this.wal.appendRaw(type, bytes, start, end);
    } catch (e) {
      throw new FlussError(
        ErrorCode.CORRUPT_MESSAGE,
        `Invalid ${this.kt.kvFormat} row in the KV record batch: ${(e as Error).message}`,
      );
    }
  }

  /** Codecs of the schema the batch's rows were written with. */
  private readonly incomingCodec: KvSchemaCodec;

  /** Appends a stored value's row to the changelog, in the latest schema. */
  private appendStored(type: ChangeByte, value: string): void {
    if (storedSchemaId(value) !== this.kt.schemaId) {
      this.wal.append(type, this.decodeStored(value));
      return;
    }
    scratch(value.length).write(value, 0, "latin1");
    this.appendRaw(type, scratchBytes, 2, value.length);
  }

  /** Raw-path upsert (plain default merger). */
  private upsertRaw(key: string, buf: Uint8Array, start: number, end: number): void {
    if (this.validateRaw) this.decodeIncoming(buf, start, end);
    const oldValue = this.store.get(key);
    if (this.walShortcut) {
      this.appendRaw(ChangeByte.UPDATE_AFTER, buf, start, end);
    } else if (oldValue === undefined) {
      this.appendRaw(ChangeByte.INSERT, buf, start, end);
    } else {
      // the old image is consumed before storedValue reuses the scratch buffer
      this.appendStored(ChangeByte.UPDATE_BEFORE, oldValue);
      this.appendRaw(ChangeByte.UPDATE_AFTER, buf, start, end);
    }
    this.set(key, storedValueInPlace(this.newSchemaId, this.text, start, end), oldValue);
  }

  /** Writes `value` (null: delete) under `key`, whose value before was `old`. */
  private set(key: string, value: string | null, old: string | undefined): void {
    this.undo.record(key, old);
    if (value === null) this.store.delete(key);
    else this.store.put(key, value, old !== undefined);
  }

  /** A stored value's row in the latest schema (a value of an older schema is padded with nulls). */
  private decodeStored(value: string): MergeRow {
    // the row codecs copy bytes out, so a reused buffer is safe here
    scratch(value.length).write(value, 0, "latin1");
    const sid = storedSchemaId(value);
    if (sid === this.kt.schemaId) return this.kt.rowDecoder.decode(scratchBytes, 2, value.length - 2);
    const row = this.kt.codecOf(sid).rowDecoder.decode(scratchBytes, 2, value.length - 2);
    return padRow(row, this.kt.rowType.fields.length);
  }

  private decodeIncoming(buf: Uint8Array, start: number, end: number): MergeRow {
    try {
      const c = this.incomingCodec;
      if (c === this.kt) return this.kt.rowDecoder.decode(buf, start, end - start);
      return padRow(c.rowDecoder.decode(buf, start, end - start), this.kt.rowType.fields.length);
    } catch (e) {
      throw new FlussError(
        ErrorCode.CORRUPT_MESSAGE,
        `Invalid ${this.kt.kvFormat} row in the KV record batch: ${(e as Error).message}`,
      );
    }
  }

  /** The stored value of a merge result: the bytes as sent when the merger kept the new row. */
  private valueOf(row: MergeRow, incoming: MergeRow, buf: Uint8Array, start: number, end: number): string {
    if (row === incoming) return storedValue(this.newSchemaId, buf, start, end);
    return storedValue(this.kt.schemaId, this.kt.rowEncoder.encode(row));
  }

  /** An upsert whose row is `buf[start, end)`. */
  upsert(key: string, buf: Uint8Array, start: number, end: number): void {
    if (this.raw) {
      this.upsertRaw(key, buf, start, end);
      return;
    }
    const incoming = this.decodeIncoming(buf, start, end);
    const oldValue = this.store.get(key);
    if (this.walShortcut) {
      this.wal.append(ChangeByte.UPDATE_AFTER, incoming);
      this.set(key, storedValue(this.newSchemaId, buf, start, end), oldValue);
      return;
    }
    if (oldValue === undefined) {
      const merged = this.merger.merge(null, incoming);
      const auto = this.kt.autoIncrement;
      if (auto && this.sequence) {
        // Java PerSchemaAutoIncrementUpdater: the insert gets the next sequence value
        const row = merged.slice();
        const id = this.sequence.nextVal();
        row[auto.index] = auto.isInt ? id : BigInt(id);
        this.wal.append(ChangeByte.INSERT, row);
        this.set(key, storedValue(this.kt.schemaId, this.kt.rowEncoder.encode(row)), undefined);
        return;
      }
      this.wal.append(ChangeByte.INSERT, merged);
      this.set(key, this.valueOf(merged, incoming, buf, start, end), undefined);
      return;
    }
    const old = this.decodeStored(oldValue);
    const row = this.merger.merge(old, incoming);
    if (row === old) return; // no change (KvTablet.java:744)
    this.update(key, old, row, this.valueOf(row, incoming, buf, start, end), oldValue);
  }

  deletion(key: string): void {
    const behavior = this.merger.deleteBehavior;
    if (behavior === "IGNORE") return;
    if (behavior === "DISABLE") {
      throw new FlussError(
        ErrorCode.DELETION_DISABLED_EXCEPTION,
        "Delete operations are disabled for this table. The table.delete.behavior is set to 'disable'.",
      );
    }
    const oldValue = this.store.get(key);
    if (oldValue === undefined) return; // nothing to delete
    if (this.raw) {
      this.appendStored(ChangeByte.DELETE, oldValue);
      this.set(key, null, oldValue);
      return;
    }
    const old = this.decodeStored(oldValue);
    const row = this.merger.delete(old);
    if (row === null) {
      this.wal.append(ChangeByte.DELETE, old);
      this.set(key, null, oldValue);
    } else {
      this.update(key, old, row, storedValue(this.kt.schemaId, this.kt.rowEncoder.encode(row)), oldValue);
    }
  }

  private update(key: string, old: MergeRow, row: MergeRow, value: string, oldValue: string): void {
    if (this.full) this.wal.append(ChangeByte.UPDATE_BEFORE, old);
    this.wal.append(ChangeByte.UPDATE_AFTER, row);
    this.set(key, value, oldValue);
  }
}
