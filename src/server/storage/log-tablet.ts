/**
 * One bucket's log on local disk (Java `LogTablet` + `LocalLog`, single replica): segment
 * files named by base offset, offsets and commit timestamps assigned at append, every
 * append in the OS page cache (safe from process crashes) before it is acknowledged and on
 * disk within the flush interval (or before the ack with `syncEveryAppend`), idempotent-writer
 * dedup, and recovery of a torn tail after a machine crash.
 *
 * With one replica the high watermark is the log end offset after each append.
 */
import * as fsp from "node:fs/promises";
import * as path from "node:path";
import { ErrorCode, FlussError } from "../../rpc/errors.js";
import {
  HEADER_SIZE_UP_TO_MAGIC,
  LENGTH_OFFSET,
  LOG_OVERHEAD,
  LogBatchView,
  MAGIC_OFFSET,
  NO_WRITER_ID,
  V0_RECORD_BATCH_HEADER_SIZE,
  logBatchHeaderSize,
  setBaseOffsetAndCommitTimestamp,
} from "../../record/log-batch.js";
import { partitionPoint } from "../../util/search.js";
import { fsyncDir, writeFileAtomic } from "./atomic-file.js";
import type { OpenFiles } from "./open-files.js";
import { LogSegment, parseSegmentFileName, segmentFileName, storageError, type StoredBatchInfo } from "./log-segment.js";
import { DEFAULT_WRITER_EXPIRATION_MS, WriterStateTable, type IncomingWriterBatch, type WriterBatch } from "./writer-state.js";
import { whenDrained } from "../../util/drained.js";

/** Default segment size before rolling: 64 MiB. */
const DEFAULT_SEGMENT_BYTES = 64 * 1024 * 1024;
/** Default bytes between two sparse-index entries. */
const DEFAULT_INDEX_INTERVAL_BYTES = 4096;

/** Where warnings (torn-tail truncation) and errors (corrupt data) go. */
interface StorageLogger {
  warn(message: string): void;
  /** Corrupt data found (defaults to `warn`). */
  error?(message: string): void;
}

/** Options of {@link LogTablet.open}. */
export interface LogTabletOptions {
  /** Roll to a new segment when an append would grow the active one past this (64 MiB). */
  readonly segmentBytes?: number;
  /** Bytes between sparse-index entries (4096). */
  readonly indexIntervalBytes?: number;
  /**
   * fdatasync every append before acknowledging it (default false: appends reach the OS
   * page cache, which survives process crashes and restarts, and {@link LogTablet.flush}
   * — called periodically by the log manager — forces them to disk).
   */
  readonly syncEveryAppend?: boolean;
  /** Idle time after which a writer's state is forgotten (7 days). */
  readonly writerExpirationMs?: number;
  /** Name used in messages, e.g. `TableBucket{tableId=1, bucket=0}`. */
  readonly name?: string;
  /** Wall clock (Date.now). */
  readonly clock?: () => number;
  /** Defaults to console.warn. */
  readonly logger?: StorageLogger;
  /** The bound on open segment files shared by all logs (none: files stay open). */
  readonly openFiles?: OpenFiles;
}

/** Outcome of {@link LogTablet.append}. */
export interface AppendResult {
  /** Offset of the first record (-1 when `records` was empty). */
  readonly baseOffset: number;
  /** Offset of the last record (-1 when `records` was empty). */
  readonly lastOffset: number;
  /** Commit timestamp stamped on the batches (-1 when `records` was empty). */
  readonly commitTimestamp: number;
  /** True when the batches were a re-send already in the log; the original offsets are returned. */
  readonly duplicate: boolean;
}

/** Options of {@link LogTablet.read}. */
export interface ReadOptions {
  /** Return the first batch even if it is larger than maxBytes (default true). */
  readonly minOneBatch?: boolean;
  /** Exclusive upper offset bound (default and at most: the high watermark). */
  readonly upTo?: number;
  /**
   * Java's fetch read (`LogSegment.readWithoutFilter`): a byte slice of at most maxBytes
   * (the whole first batch when `minOneBatch`), so the last batch may be cut; default
   * false: whole batches only.
   */
  readonly slice?: boolean;
  /**
   * Where a `slice` read puts its bytes: a buffer of exactly `n` bytes (e.g. a view of a
   * pooled one; fetch-response.ts); default a fresh one.
   */
  readonly alloc?: (n: number) => Uint8Array;
}

/** Outcome of {@link LogTablet.read}. */
export interface ReadResult {
  /** Whole batches, concatenated raw; empty at the high watermark. */
  readonly records: Uint8Array;
  readonly highWatermark: number;
  readonly logStartOffset: number;
}

function corrupt(message: string): FlussError {
  return new FlussError(ErrorCode.CORRUPT_RECORD_EXCEPTION, message);
}

function readInt32LE(buf: Uint8Array, at: number): number {
  return buf[at]! | (buf[at + 1]! << 8) | (buf[at + 2]! << 16) | (buf[at + 3]! << 24) | 0;
}

/** The log of one table bucket. */
export class LogTablet {
  private readonly segments: LogSegment[];
  private readonly writers: WriterStateTable;
  private leo: number;
  private hw: number;
  private maxTs: number;
  private queue: Promise<unknown> = Promise.resolve();
  /** The background sync of the segment rolled last. */
  private rollSync: Promise<void> = Promise.resolve();
  private closed = false;
  private failure: FlussError | undefined;
  /**
   * Per writer, the first sequence of its last append that failed on storage (full disk...)
   * and why. Its later batches would be out of order only because of that failure, so they
   * get the storage error too, never a sequence error; a successful append clears it.
   */
  private readonly storageFailures = new Map<number, { sequence: number; error: FlussError }>();
  private readonly segmentBytes: number;
  private readonly indexIntervalBytes: number;
  private readonly clock: () => number;
  private readonly syncEveryAppend: boolean;
  private readonly openFiles: OpenFiles | undefined;
  /**
   * Test hook: awaited by every local read between choosing its segment and reading it, a
   * stand-in for segment I/O that yields to the event loop (tiering may run meanwhile).
   */
  pauseRead: ((fetchOffset: number) => Promise<void>) | undefined;

  private constructor(
    readonly dir: string,
    readonly name: string,
    segments: LogSegment[],
    writers: WriterStateTable,
    maxTs: number,
    options: LogTabletOptions,
  ) {
    this.segments = segments;
    this.writers = writers;
    this.leo = segments.at(-1)!.nextOffset;
    this.hw = this.leo;
    this.maxTs = maxTs;
    this.segmentBytes = options.segmentBytes ?? DEFAULT_SEGMENT_BYTES;
    this.indexIntervalBytes = options.indexIntervalBytes ?? DEFAULT_INDEX_INTERVAL_BYTES;
    this.clock = options.clock ?? Date.now;
    this.syncEveryAppend = options.syncEveryAppend ?? false;
    this.openFiles = options.openFiles;
    for (const seg of segments) seg.syncOnAppend = this.syncEveryAppend;
  }

  /**
   * Opens the log in `dir` (created if missing), rebuilding the sparse indexes and the
   * writer states from the batch headers. The last segment is fully checked (CRCs): a torn
   * batch at its very end (partial header, length beyond the end of the file, bad CRC on the
   * final batch, or zeroed unwritten pages) is cut off with a warning. Corruption anywhere
   * else fails with LOG_STORAGE_EXCEPTION instead of silently losing acknowledged data.
   */
  static async open(dir: string, options: LogTabletOptions = {}): Promise<LogTablet> {
    const name = options.name ?? dir;
    const indexInterval = options.indexIntervalBytes ?? DEFAULT_INDEX_INTERVAL_BYTES;
    const clock = options.clock ?? Date.now;
    const baseLogger = options.logger ?? { warn: (m: string) => console.warn(m) };
    const logger = { warn: (m: string) => baseLogger.warn(m), error: (m: string) => (baseLogger.error ?? baseLogger.warn)(m) };
    const writers = new WriterStateTable(options.writerExpirationMs ?? DEFAULT_WRITER_EXPIRATION_MS, name);
    let maxTs = -1;
    let names: string[];
    try {
      await fsp.mkdir(dir, { recursive: true });
      names = await fsp.readdir(dir);
    } catch (e) {
      throw storageError("Opening log directory", dir, e);
    }
    const bases = names
      .map((n) => parseSegmentFileName(n))
      .filter((b): b is number => b !== undefined)
      .sort((a, b) => a - b);
    if (bases.length > 0 && names.includes(WRITER_STATE_FILE)) {
      await loadWriterSnapshot(path.join(dir, WRITER_STATE_FILE), bases[0]!, writers, logger);
    }
    const segments: LogSegment[] = [];
    const onBatch = (b: StoredBatchInfo): void => {
      if (b.commitTimestamp > maxTs) maxTs = b.commitTimestamp;
      if (b.writerId !== NO_WRITER_ID) {
        writers.record(b.writerId, {
          batchSequence: b.batchSequence,
          firstOffset: b.baseOffset,
          lastOffset: b.lastOffset,
          commitTimestamp: b.commitTimestamp,
        });
      }
    };
    try {
      for (let i = 0; i < bases.length; i++) {
        const base = bases[i]!;
        const isLast = i === bases.length - 1;
        // a roll syncs the old segment in the background: the last two may have unsynced bytes
        const maybeUnsynced = i >= bases.length - 2;
        const prev = segments.at(-1);
        if (prev && prev.nextOffset !== base) {
          throw new FlussError(
            ErrorCode.LOG_STORAGE_EXCEPTION,
            `Log ${name}: segment ${prev.file} ends at offset ${prev.nextOffset} but the next segment starts at ${base}`,
          );
        }
        const file = path.join(dir, segmentFileName(base));
        const opened = await LogSegment.open(file, base, indexInterval, maybeUnsynced, onBatch, options.openFiles);
        const segment = opened.segment;
        let problem = opened.problem;
        segments.push(segment);
        if (!problem) continue;
        const torn = maybeUnsynced && (problem.atTail || (await segment.isZeroFrom(problem.position)));
        if (torn) {
          logger.warn(
            `Log ${name}: truncating torn tail of ${file} at position ${problem.position} ` +
              `(${problem.reason}); log end offset is ${segment.nextOffset}`,
          );
          await segment.truncateTo(problem.position);
          if (!isLast) {
            // the next segment was written after the bytes that were lost: it goes too
            const later = path.join(dir, segmentFileName(bases[i + 1]!));
            logger.warn(`Log ${name}: removing ${later}, which followed the torn tail`);
            await fsp.rm(later, { force: true });
            await fsyncDir(dir);
            break;
          }
          continue;
        }
        // Corruption inside the log (a bad disk, a stray write): not a torn tail, so acknowledged
        // data is at stake. Java's recovery truncates there (LogSegment#recover); we keep every
        // intact batch instead, before and after the bad stretch, and fail reads of the lost
        // offsets with CORRUPT_RECORD_EXCEPTION. The bucket stays readable and writable.
        while (problem) {
          const skipped = await segment.skipCorruption(problem, maybeUnsynced, onBatch);
          if (skipped) {
            const r = skipped.range;
            logger.error(
              `Log ${name}: corrupt data in ${file} at position ${r.position} (${r.reason}); ` +
                `offsets ${r.fromOffset} to ${r.toOffset - 1} cannot be read, the batches around them are served`,
            );
            problem = skipped.next;
            continue;
          }
          if (!isLast) {
            const r = await segment.markCorruptToEnd(problem, bases[i + 1]!);
            logger.error(
              `Log ${name}: corrupt data in ${file} at position ${r.position} (${r.reason}) up to the end of the ` +
                (r.toOffset > r.fromOffset
                  ? `segment; offsets ${r.fromOffset} to ${r.toOffset - 1} cannot be read, the batches around them are served`
                  : `segment, after its last batch: no offset is lost`),
            );
          } else {
            // the end of the active segment: its length in offsets is unknown, so the bad bytes are
            // moved aside (kept for inspection) and the log continues from the last intact batch
            const aside = `${file}.corrupt-${problem.position}`;
            await segment.copyTail(problem.position, aside);
            await segment.truncateTo(problem.position);
            logger.error(
              `Log ${name}: corrupt data in ${file} at position ${problem.position} (${problem.reason}) up to the ` +
                `end of the active segment; the bytes were moved to ${aside} and the log continues at offset ` +
                `${segment.nextOffset}`,
            );
          }
          problem = undefined;
        }
      }
      if (segments.length === 0) {
        segments.push(await LogSegment.create(dir, 0, indexInterval, options.openFiles));
        await fsyncDir(dir);
      }
    } catch (e) {
      await Promise.all(segments.map((s) => s.close()));
      throw storageError("Opening log", dir, e);
    }
    writers.removeExpired(clock());
    return new LogTablet(dir, name, segments, writers, maxTs, options);
  }

  /** First offset still in the log (0 unless old segments were removed). */
  get logStartOffset(): number {
    return this.segments[0]!.baseOffset;
  }

  /** Offset the next appended record gets (LEO). */
  get logEndOffset(): number {
    return this.leo;
  }

  /** Offset up to which records are durable and readable by clients; equals LEO here. */
  get highWatermark(): number {
    return this.hw;
  }

  /** Largest commit timestamp in the log, -1 when empty. */
  get localMaxTimestamp(): number {
    return this.maxTs;
  }

  /** Number of segment files. */
  get segmentCount(): number {
    return this.segments.length;
  }

  /**
   * The local segments, oldest first; the last one is the active segment. `nextOffset` of a
   * closed segment is the next one's base offset (Java's `nextSegmentOffset`).
   */
  segmentInfos(): LocalSegmentInfo[] {
    return this.segments.map((seg, i) => ({
      baseOffset: seg.baseOffset,
      nextOffset: this.segments[i + 1]?.baseOffset ?? seg.nextOffset,
      sizeInBytes: seg.size,
      maxTimestamp: seg.maxTimestamp,
      file: seg.file,
      active: i === this.segments.length - 1,
    }));
  }

  /** Header fields of every batch of the local segment starting at `baseOffset`. */
  async segmentBatches(baseOffset: number): Promise<StoredBatchInfo[]> {
    this.ensureOpen();
    const seg = this.segments.find((s) => s.baseOffset === baseOffset);
    if (!seg) throw new FlussError(ErrorCode.LOG_STORAGE_EXCEPTION, `Log ${this.name} has no segment at offset ${baseOffset}`);
    return seg.batches();
  }

  /**
   * Deletes the oldest local segments that end at or before `offset` (never the active one;
   * Java `LocalLog.removeAndDeleteSegments`), after saving the writer states they held so a
   * restart still deduplicates those writers. Runs between appends. Returns the new local
   * log start offset.
   */
  removeSegmentsBefore(offset: number): Promise<number> {
    const run = this.queue.then(async () => {
      this.ensureUsable();
      let count = 0;
      while (count < this.segments.length - 1 && this.segments[count + 1]!.baseOffset <= offset) count++;
      if (count === 0) return this.logStartOffset;
      const newStart = this.segments[count]!.baseOffset;
      try {
        await writeWriterSnapshot(path.join(this.dir, WRITER_STATE_FILE), newStart, this.writers.snapshotBefore(newStart));
      } catch (e) {
        throw storageError("Saving writer states of", this.name, e);
      }
      const gone = this.segments.splice(0, count);
      for (const seg of gone) {
        await seg.close();
        try {
          await fsp.rm(seg.file, { force: true });
        } catch (e) {
          throw storageError("Deleting segment", seg.file, e);
        }
      }
      await fsyncDir(this.dir).catch(() => undefined);
      return newStart;
    });
    this.queue = run.catch(() => undefined);
    return run;
  }

  /**
   * Validates, stamps (base offset from LEO, commit timestamp max(last, now)) and durably
   * appends the log record batches in `records`, rewriting their headers in place.
   * Errors: CORRUPT_RECORD_EXCEPTION (14) for malformed batches,
   * OUT_OF_ORDER_SEQUENCE_EXCEPTION (31) for an idempotent writer's sequence gap,
   * LOG_STORAGE_EXCEPTION (10) for I/O failures. A re-sent batch among a writer's last 5
   * is not appended again: its original offsets come back with `duplicate: true`.
   */
  append(records: Uint8Array, options: { nowMs?: number } = {}): Promise<AppendResult> {
    let views: LogBatchView[];
    try {
      views = this.validate(records);
    } catch (e) {
      return Promise.reject(e);
    }
    const run = this.queue.then(() => this.doAppend(records, views, options.nowMs ?? this.clock()));
    this.queue = run.catch(() => undefined);
    return run;
  }

  private async doAppend(records: Uint8Array, views: LogBatchView[], nowMs: number): Promise<AppendResult> {
    this.ensureUsable();
    if (views.length === 0) return { baseOffset: -1, lastOffset: -1, commitTimestamp: -1, duplicate: false };

    // offsets this append would get
    let next = this.leo;
    const planned = views.map((v) => {
      const baseOffset = next;
      const lastOffset = baseOffset + v.lastOffsetDelta;
      next = lastOffset + 1;
      return { view: v, baseOffset, lastOffset };
    });
    const idempotent: IncomingWriterBatch[] = planned
      .filter((p) => p.view.writerId !== NO_WRITER_ID)
      .map((p) => ({
        writerId: p.view.writerId,
        batchSequence: p.view.batchSequence,
        firstOffset: p.baseOffset,
        lastOffset: p.lastOffset,
      }));
    if (idempotent.length > 0) {
      let dup;
      try {
        dup = this.writers.check(idempotent, nowMs);
      } catch (e) {
        throw this.storageFailureBehind(e, idempotent);
      }
      if (dup) {
        return {
          baseOffset: dup.firstOffset,
          lastOffset: dup.lastOffset,
          commitTimestamp: dup.commitTimestamp,
          duplicate: true,
        };
      }
    }

    const commitTimestamp = Math.max(this.maxTs, nowMs);
    for (const p of planned) {
      setBaseOffsetAndCommitTimestamp(records, p.view.position, p.baseOffset, commitTimestamp);
    }
    const infos = planned.map((p) => ({
      baseOffset: p.baseOffset,
      lastOffset: p.lastOffset,
      sizeInBytes: p.view.sizeInBytes,
      commitTimestamp,
      writerId: p.view.writerId,
      batchSequence: p.view.batchSequence,
    }));

    let active = this.segments.at(-1)!;
    if (active.size > 0 && active.size + records.length > this.segmentBytes) {
      try {
        active = await this.roll();
      } catch (e) {
        throw this.storageFailed(idempotent, storageError("Rolling log", this.name, e));
      }
    }
    const sizeBefore = active.size;
    try {
      await active.append(records, infos);
    } catch (e) {
      // drop whatever part of the write reached the file so the next append starts clean
      try {
        await active.truncateTo(sizeBefore);
      } catch (t) {
        this.failure = storageError("Recovering from a failed append to", active.file, t);
      }
      throw this.storageFailed(idempotent, storageError("Appending to log", this.name, e));
    }
    for (const b of idempotent) this.storageFailures.delete(b.writerId);

    this.leo = next;
    this.hw = this.leo;
    this.maxTs = commitTimestamp;
    for (const b of infos) {
      if (b.writerId === NO_WRITER_ID) continue;
      this.writers.record(b.writerId, {
        batchSequence: b.batchSequence,
        firstOffset: b.baseOffset,
        lastOffset: b.lastOffset,
        commitTimestamp,
      });
    }
    return { baseOffset: planned[0]!.baseOffset, lastOffset: planned.at(-1)!.lastOffset, commitTimestamp, duplicate: false };
  }

  /** Remembers a failed store for the writers of `batches` (whose states did not move). */
  private storageFailed(batches: readonly IncomingWriterBatch[], error: FlussError): FlussError {
    for (const b of batches) {
      if (!this.storageFailures.has(b.writerId)) this.storageFailures.set(b.writerId, { sequence: b.batchSequence, error });
    }
    return error;
  }

  /**
   * A sequence error behind which lies a failed store of the writer's expected batch becomes
   * that storage error (the client retries it; the gap closes once the disk recovers).
   */
  private storageFailureBehind(e: unknown, batches: readonly IncomingWriterBatch[]): unknown {
    if (!(e instanceof FlussError) || e.code !== ErrorCode.OUT_OF_ORDER_SEQUENCE_EXCEPTION) return e;
    for (const b of batches) {
      const failed = this.storageFailures.get(b.writerId);
      if (failed && b.batchSequence > failed.sequence) {
        return new FlussError(
          failed.error.code,
          `Batch ${b.batchSequence} of writer ${b.writerId} waits for batch ${failed.sequence}, ` +
            `which could not be stored: ${failed.error.message}`,
          { cause: failed.error },
        );
      }
    }
    return e;
  }

  /** Splits `records` into batches, checking structure and CRC of each. */
  private validate(records: Uint8Array): LogBatchView[] {
    const views: LogBatchView[] = [];
    let pos = 0;
    while (pos < records.length) {
      const remaining = records.length - pos;
      if (remaining < HEADER_SIZE_UP_TO_MAGIC) {
        throw corrupt(
          `Record batch at position ${pos} in ${this.name} is truncated: ${remaining} bytes left, a header needs more`,
        );
      }
      const magic = records[pos + MAGIC_OFFSET]!;
      if (magic > 2) throw corrupt(`Record batch at position ${pos} in ${this.name} has unsupported magic ${magic}`);
      const headerSize = logBatchHeaderSize(magic);
      const size = LOG_OVERHEAD + readInt32LE(records, pos + LENGTH_OFFSET);
      if (size < headerSize) {
        throw corrupt(`Record batch at position ${pos} in ${this.name} has invalid size ${size} (header alone is ${headerSize})`);
      }
      if (size > remaining) {
        throw corrupt(`Record batch at position ${pos} in ${this.name} declares ${size} bytes but only ${remaining} remain`);
      }
      const v = new LogBatchView(records, pos);
      const count = v.recordCount;
      if (count < 0) throw corrupt(`Record batch at position ${pos} in ${this.name} has negative record count ${count}`);
      const expectedDelta = count > 0 ? count - 1 : 0;
      if (v.lastOffsetDelta !== expectedDelta) {
        throw corrupt(
          `Record batch at position ${pos} in ${this.name} has last offset delta ${v.lastOffsetDelta} ` +
            `but ${count} records (expected ${expectedDelta})`,
        );
      }
      if (v.recordsOffset > pos + size || v.statisticsLength < 0) {
        throw corrupt(`Record batch at position ${pos} in ${this.name} has invalid statistics length ${v.statisticsLength}`);
      }
      const computed = v.computeCrc();
      if (computed !== v.crc) {
        throw corrupt(`Record is corrupt (stored crc = ${v.crc}, computed crc = ${computed}) in table bucket ${this.name}`);
      }
      views.push(v);
      pos += size;
    }
    return views;
  }

  private async roll(): Promise<LogSegment> {
    // One background sync at a time, so at most the last two segments hold unsynced bytes
    // (what recovery checks). The next roll is 64 MiB of appends away, long after it ends.
    await this.rollSync;
    if (this.failure) throw this.failure;
    const old = this.segments.at(-1)!;
    const seg = await LogSegment.create(this.dir, this.leo, this.indexIntervalBytes, this.openFiles);
    seg.syncOnAppend = this.syncEveryAppend;
    this.segments.push(seg);
    // Like Java's roll, which schedules the flush: appends go on while the old segment and
    // the new file's directory entry reach the disk. A failed sync stops the log.
    this.rollSync = old
      .flush()
      .then(() => fsyncDir(this.dir))
      .catch((e: unknown) => {
        this.failure ??= storageError("Syncing rolled segment of", this.name, e);
      });
    return seg;
  }

  /**
   * Whole batches from the one containing `fetchOffset`, up to `maxBytes` (at least one
   * batch with `minOneBatch`), never reaching the high watermark; empty at the high
   * watermark. Reads stay within one segment, as Java's do. Offsets below the log start or
   * above the log end fail with LOG_OFFSET_OUT_OF_RANGE_EXCEPTION (19).
   */
  async read(fetchOffset: number, maxBytes: number, options: ReadOptions = {}): Promise<ReadResult> {
    try {
      return await this.readLocal(fetchOffset, maxBytes, options);
    } catch (e) {
      throw this.removedUnder(fetchOffset, e);
    }
  }

  /**
   * A read that failed because tiering or retention removed its segment meanwhile is a read
   * below the log start: LOG_OFFSET_OUT_OF_RANGE_EXCEPTION, which FetchLog answers from
   * remote storage.
   */
  private removedUnder(fetchOffset: number, e: unknown): unknown {
    if (this.closed || fetchOffset >= this.logStartOffset) return e;
    return new FlussError(
      ErrorCode.LOG_OFFSET_OUT_OF_RANGE_EXCEPTION,
      `Received request for offset ${fetchOffset} for table bucket ${this.name}, ` +
        `but we only have log segments from offset ${this.logStartOffset} up to ${this.leo}.`,
    );
  }

  private async readLocal(fetchOffset: number, maxBytes: number, options: ReadOptions): Promise<ReadResult> {
    this.ensureOpen();
    const hw = this.hw;
    const start = this.logStartOffset;
    const leo = this.leo;
    if (fetchOffset < start || fetchOffset > leo) {
      throw new FlussError(
        ErrorCode.LOG_OFFSET_OUT_OF_RANGE_EXCEPTION,
        `Received request for offset ${fetchOffset} for table bucket ${this.name}, ` +
          `but we only have log segments from offset ${start} up to ${leo}.`,
      );
    }
    const upTo = Math.min(options.upTo ?? hw, hw);
    const empty = { records: new Uint8Array(0), highWatermark: hw, logStartOffset: start };
    if (fetchOffset >= upTo) return empty;
    // segments are held as objects and the next one is found by base offset (Java
    // `LocalLog.read`, LocalLog.java:391 and :441, `floorSegment` / `higherSegment`): tiering
    // and retention remove segments from the front meanwhile, which shifts every index
    for (let seg = this.segments[this.segmentIndexFor(fetchOffset)]; seg; seg = this.segmentAfter(seg)) {
      if (this.pauseRead) await this.pauseRead(fetchOffset);
      this.ensureHeld(seg, fetchOffset);
      const bad = seg.corrupt.length > 0 ? seg.corruptRangeOf(fetchOffset) : undefined;
      if (bad) {
        // Java's CorruptRecordException: the client scanner fails the bucket naming the offset
        throw corrupt(
          `Record batch at offset ${fetchOffset} in table bucket ${this.name} is corrupt on the server ` +
            `(${seg.file}, position ${bad.position}: ${bad.reason}); offsets ${bad.fromOffset} to ` +
            `${bad.toOffset - 1} cannot be read, reading may resume at offset ${bad.toOffset}`,
        );
      }
      const position = await seg.positionOf(fetchOffset);
      if (position === undefined) continue;
      this.ensureHeld(seg, fetchOffset);
      const minOne = options.minOneBatch ?? true;
      const records = options.slice
        ? await seg.readSlice(position, maxBytes, upTo, minOne, options.alloc)
        : await seg.read(position, maxBytes, upTo, minOne);
      return { records, highWatermark: hw, logStartOffset: start };
    }
    return empty;
  }

  /**
   * Java's projected fetch read (`LogSegment.readWithoutFilter` with a projection and
   * `FileLogProjection.project`): whole batches of one segment from the one holding
   * `fetchOffset`, each passed through `project`, while the projected bytes fit in maxBytes
   * (raised to the first batch's unprojected size with `minOneBatch`); the first batch whose
   * projection does not fit ends the read, and header-only batches pass as they are. Same
   * offset checks as {@link read}.
   */
  async readProjected(
    fetchOffset: number,
    maxBytes: number,
    minOneBatch: boolean,
    project: (batch: Uint8Array) => Uint8Array,
  ): Promise<ReadResult> {
    try {
      return await this.readProjectedLocal(fetchOffset, maxBytes, minOneBatch, project);
    } catch (e) {
      throw this.removedUnder(fetchOffset, e);
    }
  }

  private async readProjectedLocal(
    fetchOffset: number,
    maxBytes: number,
    minOneBatch: boolean,
    project: (batch: Uint8Array) => Uint8Array,
  ): Promise<ReadResult> {
    this.ensureOpen();
    const hw = this.hw;
    const start = this.logStartOffset;
    if (fetchOffset < start || fetchOffset > this.leo) {
      throw new FlussError(
        ErrorCode.LOG_OFFSET_OUT_OF_RANGE_EXCEPTION,
        `Received request for offset ${fetchOffset} for table bucket ${this.name}, ` +
          `but we only have log segments from offset ${start} up to ${this.leo}.`,
      );
    }
    const done = (parts: Uint8Array[]): ReadResult => ({
      records: parts.length === 1 ? parts[0]! : parts.length === 0 ? new Uint8Array(0) : Buffer.concat(parts),
      highWatermark: hw,
      logStartOffset: start,
    });
    if (fetchOffset >= hw) return done([]);
    for (let seg = this.segments[this.segmentIndexFor(fetchOffset)]; seg; seg = this.segmentAfter(seg)) {
      if (this.pauseRead) await this.pauseRead(fetchOffset);
      this.ensureHeld(seg, fetchOffset);
      let position = await seg.positionOf(fetchOffset);
      if (position === undefined) continue;
      this.ensureHeld(seg, fetchOffset);
      let chunk = await seg.read(position, 0, hw, true);
      if (chunk.length === 0) return done([]);
      let budget = minOneBatch ? Math.max(maxBytes, LOG_OVERHEAD + readInt32LE(chunk, LENGTH_OFFSET)) : maxBytes;
      const parts: Uint8Array[] = [];
      while (budget > V0_RECORD_BATCH_HEADER_SIZE) {
        if (chunk.length === 0) {
          chunk = await seg.read(position, Math.max(budget, 256 * 1024), hw, true);
          if (chunk.length === 0) break;
        }
        let pos = 0;
        while (pos < chunk.length && budget > V0_RECORD_BATCH_HEADER_SIZE) {
          const size = LOG_OVERHEAD + readInt32LE(chunk, pos + LENGTH_OFFSET);
          const batch = chunk.subarray(pos, pos + size);
          if (size === logBatchHeaderSize(chunk[pos + MAGIC_OFFSET]!)) {
            parts.push(batch); // an empty batch pushes the offset forward (FileLogProjection.java)
          } else {
            const projected = project(batch);
            if (projected.length > budget) return done(parts);
            parts.push(projected);
            budget -= projected.length;
          }
          pos += size;
          position += size;
        }
        chunk = chunk.subarray(pos);
      }
      return done(parts);
    }
    return done([]);
  }

  /** The segment after `seg` in the log now (Java `LogSegments.higherSegment`), undefined after the last. */
  private segmentAfter(seg: LogSegment): LogSegment | undefined {
    const next = partitionPoint(this.segments.length, (i) => this.segments[i]!.baseOffset <= seg.baseOffset);
    return this.segments[next];
  }

  /**
   * A read resuming after an await checks that its segment is still in the log: one that
   * tiering or retention removed meanwhile makes the read LOG_OFFSET_OUT_OF_RANGE (answered
   * from remote storage), never a read of whatever segment took its place.
   */
  private ensureHeld(seg: LogSegment, fetchOffset: number): void {
    if (this.segments[this.segmentIndexFor(seg.baseOffset)] === seg) return;
    this.ensureOpen();
    throw new FlussError(
      ErrorCode.LOG_OFFSET_OUT_OF_RANGE_EXCEPTION,
      `Received request for offset ${fetchOffset} for table bucket ${this.name}, ` +
        `but we only have log segments from offset ${this.logStartOffset} up to ${this.leo}.`,
    );
  }

  /** Index of the last segment whose base offset is ≤ `offset` (0 if none). */
  private segmentIndexFor(offset: number): number {
    return Math.max(0, partitionPoint(this.segments.length, (i) => this.segments[i]!.baseOffset <= offset) - 1);
  }

  /**
   * Base offset of the first batch whose commit timestamp is ≥ `ts`; the high watermark
   * when there is none. (Rejecting timestamps in the future is the caller's job.)
   */
  async lookupOffsetForTimestamp(ts: number): Promise<number> {
    this.ensureOpen();
    const hw = this.hw;
    if (ts > this.maxTs) return hw;
    // by base offset, not by index: segments may leave the front meanwhile (see readLocal)
    for (let seg = this.segments[0]; seg; seg = this.segmentAfter(seg)) {
      if (seg.maxTimestamp < ts) continue;
      const off = await seg.offsetForTimestamp(ts);
      if (off !== undefined) return Math.min(off, hw);
    }
    return hw;
  }

  /** Resolves once no append is queued or running (appends queued meanwhile are waited for too). */
  whenIdle(): Promise<void> {
    return whenDrained(() => this.queue);
  }

  /** Forces every appended byte to disk (after pending appends). */
  async flush(): Promise<void> {
    if (this.closed) return;
    await this.queue;
    await this.rollSync;
    await this.segments.at(-1)!.flush();
  }

  /** Closes the segment files once pending appends have finished. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.queue;
    await this.rollSync;
    await Promise.all(this.segments.map((s) => s.close()));
  }

  /** Closes the log and removes its directory (drop table / partition). */
  async delete(): Promise<void> {
    await this.close();
    try {
      await fsp.rm(this.dir, { recursive: true, force: true });
    } catch (e) {
      throw storageError("Deleting log directory", this.dir, e);
    }
  }

  private ensureOpen(): void {
    if (this.closed) throw new FlussError(ErrorCode.LOG_STORAGE_EXCEPTION, `Log ${this.name} is closed`);
  }

  private ensureUsable(): void {
    this.ensureOpen();
    if (this.failure) throw this.failure;
  }
}

/** A local segment as {@link LogTablet.segmentInfos} describes it. */
export interface LocalSegmentInfo {
  readonly baseOffset: number;
  /** Exclusive end: the next segment's base offset (for the active one, the log end). */
  readonly nextOffset: number;
  readonly sizeInBytes: number;
  /** Largest commit timestamp in the segment, -1 while empty. */
  readonly maxTimestamp: number;
  /** Path of the segment file. */
  readonly file: string;
  readonly active: boolean;
}

/**
 * Writer states of the batches that left the local log (ours; Java keeps binary
 * `.writer_snapshot` files per segment): `{"version":1,"offset":N,"writers":[[id,[[seq,first,last,ts],...]],...]}`.
 */
const WRITER_STATE_FILE = "writer-state.json";

async function writeWriterSnapshot(file: string, offset: number, writers: [number, WriterBatch[]][]): Promise<void> {
  const doc = {
    version: 1,
    offset,
    writers: writers.map(([id, batches]) => [
      id,
      batches.map((b) => [b.batchSequence, b.firstOffset, b.lastOffset, b.commitTimestamp]),
    ]),
  };
  await writeFileAtomic(file, Buffer.from(JSON.stringify(doc)));
}

/** Seeds `writers` with the saved batches that end before the first local segment. */
async function loadWriterSnapshot(
  file: string,
  firstBase: number,
  writers: WriterStateTable,
  logger: { warn(m: string): void },
): Promise<void> {
  try {
    const doc = JSON.parse(await fsp.readFile(file, "utf8")) as { writers?: unknown };
    if (!Array.isArray(doc.writers)) throw new Error("no writers");
    for (const w of doc.writers as unknown[]) {
      const [id, batches] = w as [number, [number, number, number, number][]];
      for (const [batchSequence, firstOffset, lastOffset, commitTimestamp] of batches) {
        if (![id, batchSequence, firstOffset, lastOffset, commitTimestamp].every(Number.isSafeInteger))
          throw new Error("bad entry");
        if (lastOffset < firstBase) writers.record(id, { batchSequence, firstOffset, lastOffset, commitTimestamp });
      }
    }
  } catch (e) {
    logger.warn(`Ignoring unreadable writer states in ${file}: ${(e as Error).message}`);
  }
}
