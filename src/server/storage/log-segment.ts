/**
 * One log segment file (`<20-digit base offset>.log`) of a bucket's log: raw log record
 * batches back to back, exactly as they go over the wire, plus an in-memory sparse index
 * (batch base offset → file position, with the batch's commit timestamp) rebuilt when the
 * file is opened.
 */
import * as fs from "node:fs";
import * as fsp from "node:fs/promises";
import { promisify } from "node:util";
import * as path from "node:path";
import { ErrorCode, FlussError } from "../../rpc/errors.js";
import {
  HEADER_SIZE_UP_TO_MAGIC,
  LENGTH_OFFSET,
  LOG_MAGIC_VALUE_V2,
  LOG_OVERHEAD,
  LogBatchView,
  MAGIC_OFFSET,
  V0_RECORD_BATCH_HEADER_SIZE,
  V2_RECORD_BATCH_HEADER_SIZE,
  logBatchHeaderSize,
} from "../../record/log-batch.js";
import { partitionPoint } from "../../util/search.js";
import { storageError } from "./storage-errors.js";
import type { ClosableFile, OpenFiles } from "./open-files.js";

export { storageError } from "./storage-errors.js";

/** Suffix of segment files. */
const SEGMENT_SUFFIX = ".log";

/** Header fields of one stored batch, as seen while scanning a segment. */
export interface StoredBatchInfo {
  readonly baseOffset: number;
  readonly lastOffset: number;
  readonly position: number;
  readonly sizeInBytes: number;
  readonly commitTimestamp: number;
  readonly writerId: number;
  readonly batchSequence: number;
}

/** Why a segment scan stopped before the end of the file. */
export interface ScanProblem {
  /** File position of the offending batch. */
  readonly position: number;
  readonly reason: string;
  /** Whether the bad bytes run exactly up to the end of the file (a torn final write). */
  readonly atTail: boolean;
}

/**
 * A corrupt stretch of a segment found at recovery: the bytes [position, endPosition) held
 * the batches of offsets [fromOffset, toOffset), which cannot be read any more. Reads of
 * those offsets fail with CORRUPT_RECORD_EXCEPTION; everything around them is served.
 */
export interface CorruptRange {
  readonly position: number;
  readonly endPosition: number;
  readonly fromOffset: number;
  readonly toOffset: number;
  readonly reason: string;
}

/** File name of the segment starting at `baseOffset`. */
export function segmentFileName(baseOffset: number): string {
  return String(baseOffset).padStart(20, "0") + SEGMENT_SUFFIX;
}

/** Base offset encoded in a segment file name, or undefined for other files. */
export function parseSegmentFileName(name: string): number | undefined {
  const m = /^(\d{20})\.log$/.exec(name);
  if (!m) return undefined;
  const n = Number(m[1]);
  return Number.isSafeInteger(n) ? n : undefined;
}

/** Reads up to `length` bytes at `position` (fewer only at end of file). */
const fdatasyncAsync = promisify(fs.fdatasync);
const fsyncAsync = promisify(fs.fsync);

/**
 * The descriptor of a segment file, opened again if the open-file cache closed it. Callers
 * use it synchronously (no await in between), so the cache cannot close it under them.
 */
type FdSource = () => number;

async function readAt(fd: FdSource, position: number, length: number): Promise<Uint8Array> {
  return readInto(fd, position, uninitialized(length), 0);
}

/** The base offset of the batch at `pos` (its first 8 bytes, little-endian; the batch may be cut after them). */
function baseOffsetAt(buf: Uint8Array, pos: number): number {
  const lo = buf[pos]! | (buf[pos + 1]! << 8) | (buf[pos + 2]! << 16) | (buf[pos + 3]! << 24);
  const hi = buf[pos + 4]! | (buf[pos + 5]! << 8) | (buf[pos + 6]! << 16) | (buf[pos + 7]! << 24);
  return hi * 0x100000000 + (lo >>> 0);
}

/** A plain Uint8Array of `length` bytes, not zero-filled (every byte returned gets read into). */
function uninitialized(length: number): Uint8Array {
  const b = Buffer.allocUnsafeSlow(length);
  return new Uint8Array(b.buffer, b.byteOffset, length);
}

/** Fills `out[from..]` from the file at `position + from`; shorter only at end of file. */
/**
 * Reads synchronously, like appends: log reads are served from the page cache almost always
 * (recent data), where a thread-pool round trip per fetch costs more than the read itself.
 */
async function readInto(fdSource: FdSource, position: number, out: Uint8Array, from: number): Promise<Uint8Array> {
  const length = out.length;
  let got = from;
  const fd = fdSource();
  while (got < length) {
    const bytesRead = fs.readSync(fd, out, got, length - got, position + got);
    if (bytesRead === 0) break;
    got += bytesRead;
  }
  return got === length ? out : out.subarray(0, got);
}

/** A sliding read window over a file, so header scans do one read per chunk, not per batch. */
class FileWindow {
  private buf: Uint8Array = new Uint8Array(0);
  private start = 0;

  constructor(
    private readonly handle: FdSource,
    private readonly file: string,
    private readonly end: number,
    private readonly chunk: number,
  ) {}

  /** Bytes [pos, pos + n) (n ≤ end − pos): the buffer and the index of `pos` in it. */
  async at(pos: number, n: number): Promise<{ buf: Uint8Array; at: number }> {
    if (pos >= this.start && pos + n <= this.start + this.buf.length) return { buf: this.buf, at: pos - this.start };
    const len = Math.min(Math.max(n, this.chunk), this.end - pos);
    this.buf = await readAt(this.handle, pos, len);
    this.start = pos;
    if (this.buf.length < n) {
      throw new FlussError(
        ErrorCode.LOG_STORAGE_EXCEPTION,
        `Short read of ${this.file} at position ${pos}: wanted ${n} bytes, got ${this.buf.length}`,
      );
    }
    return { buf: this.buf, at: 0 };
  }
}

function readInt32LE(buf: Uint8Array, at: number): number {
  return buf[at]! | (buf[at + 1]! << 8) | (buf[at + 2]! << 16) | (buf[at + 3]! << 24) | 0;
}

const HEADER_CHUNK = 64 * 1024;
const CRC_CHUNK = 1024 * 1024;

/** One segment file with its sparse index. All sizes/positions are within this file. */
export class LogSegment implements ClosableFile {
  /** Bytes of valid data (the next append goes here). */
  size = 0;
  /** The offset after the last batch (== baseOffset while empty). */
  nextOffset: number;
  /** Largest commit timestamp in the segment, -1 while empty. */
  maxTimestamp = -1;
  // sparse index, parallel arrays sorted by offset
  private readonly idxOffsets: number[] = [];
  private readonly idxPositions: number[] = [];
  private readonly idxTimestamps: number[] = [];
  private bytesSinceIndex = 0;
  /** fdatasync every append before it is acknowledged (else {@link flush} does it later). */
  syncOnAppend = false;
  private dirty = false;

  /** The open descriptor, -1 while closed by the open-file cache (reopened on use). */
  private fd: number;
  /** Asynchronous operations using {@link fd} now: the cache must not close it under them. */
  private pins = 0;
  private onUnpinned: (() => void) | undefined;
  private closed = false;
  /** Reopens {@link fd} when needed; bound once so reads can carry it. */
  private readonly handle: FdSource = () => this.descriptor();

  private constructor(
    readonly baseOffset: number,
    readonly file: string,
    fd: number,
    private readonly indexIntervalBytes: number,
    private readonly openFiles: OpenFiles | undefined,
  ) {
    this.nextOffset = baseOffset;
    this.fd = fd;
    openFiles?.touch(this);
  }

  private descriptor(): number {
    if (this.closed) throw new FlussError(ErrorCode.LOG_STORAGE_EXCEPTION, `Segment ${this.file} is closed`);
    if (this.fd < 0) this.fd = fs.openSync(this.file, "r+");
    this.openFiles?.touch(this);
    return this.fd;
  }

  /** Runs an asynchronous operation on the descriptor, which stays open meanwhile. */
  private async pinned<T>(op: (fd: number) => Promise<T>): Promise<T> {
    const fd = this.descriptor();
    this.pins++;
    try {
      return await op(fd);
    } finally {
      this.pins--;
      if (this.pins === 0 && this.onUnpinned) {
        this.onUnpinned();
        this.onUnpinned = undefined;
      }
      if (!this.closed) this.openFiles?.settle();
    }
  }

  /** For the open-file cache: closes the descriptor unless an operation is using it. */
  closeIdle(): boolean {
    if (this.pins > 0 || this.fd < 0) return this.fd < 0;
    const fd = this.fd;
    this.fd = -1;
    try {
      fs.closeSync(fd);
    } catch {
      // nothing was buffered in user space; the data is in the page cache either way
    }
    return true;
  }

  private fileSize(): number {
    return fs.fstatSync(this.descriptor()).size;
  }

  /** Creates an empty segment file (replacing a stray file of the same name). */
  static async create(dir: string, baseOffset: number, indexIntervalBytes: number, openFiles?: OpenFiles): Promise<LogSegment> {
    const file = path.join(dir, segmentFileName(baseOffset));
    let fd: number;
    try {
      fd = fs.openSync(file, "w+", 0o644);
    } catch (e) {
      throw storageError("Creating segment", file, e);
    }
    return new LogSegment(baseOffset, file, fd, indexIntervalBytes, openFiles);
  }

  /**
   * Opens an existing segment and scans it: every batch header is checked (size, magic,
   * contiguous offsets from the file's base offset) and, with `checkCrc`, its CRC. The scan
   * stops at the first problem, which is returned; the segment then holds the valid prefix
   * only (its `size`), while the file still has the bad bytes until {@link truncateTo}.
   */
  static async open(
    file: string,
    baseOffset: number,
    indexIntervalBytes: number,
    checkCrc: boolean,
    onBatch: (b: StoredBatchInfo) => void,
    openFiles?: OpenFiles,
  ): Promise<{ segment: LogSegment; problem?: ScanProblem }> {
    let fd: number;
    try {
      fd = fs.openSync(file, "r+");
    } catch (e) {
      throw storageError("Opening segment", file, e);
    }
    const seg = new LogSegment(baseOffset, file, fd, indexIntervalBytes, openFiles);
    try {
      const problem = await seg.scan(seg.fileSize(), checkCrc, onBatch);
      return problem ? { segment: seg, problem } : { segment: seg };
    } catch (e) {
      await seg.close();
      throw storageError("Scanning segment", file, e);
    }
  }

  private async scan(
    fileSize: number,
    checkCrc: boolean,
    onBatch: (b: StoredBatchInfo) => void,
    from = 0,
  ): Promise<ScanProblem | undefined> {
    const win = new FileWindow(this.handle, this.file, fileSize, checkCrc ? CRC_CHUNK : HEADER_CHUNK);
    let pos = from;
    const problem = (reason: string, atTail: boolean): ScanProblem => ({ position: pos, reason, atTail });
    while (pos < fileSize) {
      const remaining = fileSize - pos;
      if (remaining < HEADER_SIZE_UP_TO_MAGIC) return problem(`partial batch header (${remaining} bytes)`, true);
      let { buf, at } = await win.at(pos, Math.min(remaining, V2_RECORD_BATCH_HEADER_SIZE));
      const length = readInt32LE(buf, at + LENGTH_OFFSET);
      const magic = buf[at + MAGIC_OFFSET]!;
      const size = LOG_OVERHEAD + length;
      if (magic > LOG_MAGIC_VALUE_V2) return problem(`unknown magic ${magic}`, size === remaining);
      const headerSize = logBatchHeaderSize(magic);
      if (remaining < headerSize) return problem(`partial batch header (${remaining} bytes)`, true);
      if (length < 0 || size < headerSize) return problem(`invalid batch size ${size}`, size === remaining);
      if (size > remaining) return problem(`batch of ${size} bytes extends past the end of the file`, true);
      if (checkCrc) ({ buf, at } = await win.at(pos, size));
      const view = new LogBatchView(buf, at);
      if (view.baseOffset !== this.nextOffset) {
        return problem(`batch base offset ${view.baseOffset}, expected ${this.nextOffset}`, size === remaining);
      }
      if (view.lastOffsetDelta < 0) return problem(`negative last offset delta ${view.lastOffsetDelta}`, size === remaining);
      if (checkCrc && !view.isValid()) {
        return problem(`CRC mismatch (stored ${view.crc}, computed ${view.computeCrc()})`, size === remaining);
      }
      const info: StoredBatchInfo = {
        baseOffset: view.baseOffset,
        lastOffset: view.lastOffset,
        position: pos,
        sizeInBytes: size,
        commitTimestamp: view.commitTimestamp,
        writerId: view.writerId,
        batchSequence: view.batchSequence,
      };
      this.track(info.baseOffset, info.lastOffset, pos, size, info.commitTimestamp);
      onBatch(info);
      pos += size;
    }
    return undefined;
  }

  /** Copies the bytes from `position` to the end of the file into `target` (durably). */
  async copyTail(position: number, target: string): Promise<void> {
    try {
      const fileSize = this.fileSize();
      const bytes = await readAt(this.handle, position, fileSize - position);
      await fsp.writeFile(target, bytes, { mode: 0o644, flush: true });
    } catch (e) {
      throw storageError("Saving corrupt bytes of", this.file, e);
    }
  }

  /** Corrupt stretches found at recovery, in file order. */
  readonly corrupt: CorruptRange[] = [];

  /**
   * Steps over the corrupt batch a scan stopped at (`problem`): looks for the next intact
   * batch after it (plausible header, offsets beyond the last good one, valid CRC), records
   * the stretch in between as a {@link CorruptRange} and scans on from there. Returns the
   * range and the next problem, or undefined when no intact batch follows (see
   * {@link markCorruptToEnd}).
   */
  async skipCorruption(
    problem: ScanProblem,
    checkCrc: boolean,
    onBatch: (b: StoredBatchInfo) => void,
  ): Promise<{ range: CorruptRange; next?: ScanProblem } | undefined> {
    const fileSize = this.fileSize();
    const rest = await readAt(this.handle, problem.position, fileSize - problem.position);
    const expected = this.nextOffset;
    for (let at = 1; at + V2_RECORD_BATCH_HEADER_SIZE <= rest.length; at++) {
      const magic = rest[at + MAGIC_OFFSET]!;
      if (magic > LOG_MAGIC_VALUE_V2) continue;
      const size = LOG_OVERHEAD + readInt32LE(rest, at + LENGTH_OFFSET);
      if (size < logBatchHeaderSize(magic) || at + size > rest.length) continue;
      const view = new LogBatchView(rest, at);
      if (view.baseOffset <= expected || view.baseOffset - expected > 0x7fffffff || view.lastOffsetDelta < 0) continue;
      if (!view.isValid()) continue;
      const range: CorruptRange = {
        position: problem.position,
        endPosition: problem.position + at,
        fromOffset: expected,
        toOffset: view.baseOffset,
        reason: problem.reason,
      };
      this.corrupt.push(range);
      this.nextOffset = view.baseOffset;
      const next = await this.scan(fileSize, checkCrc, onBatch, range.endPosition);
      return next ? { range, next } : { range };
    }
    return undefined;
  }

  /**
   * Declares everything from `problem` to the end of this (closed) segment unreadable, up to
   * `toOffset` (the next segment's base offset).
   */
  async markCorruptToEnd(problem: ScanProblem, toOffset: number): Promise<CorruptRange> {
    const fileSize = this.fileSize();
    const range: CorruptRange = {
      position: problem.position,
      endPosition: fileSize,
      fromOffset: this.nextOffset,
      toOffset,
      reason: problem.reason,
    };
    this.corrupt.push(range);
    this.nextOffset = toOffset;
    return range;
  }

  /** The corrupt range holding `offset`, if any. */
  corruptRangeOf(offset: number): CorruptRange | undefined {
    for (const r of this.corrupt) if (offset >= r.fromOffset && offset < r.toOffset) return r;
    return undefined;
  }

  /** Start of the first corrupt range at or after `position`, else the end of the data. */
  private readableEnd(position: number): number {
    for (const r of this.corrupt) if (r.position >= position) return r.position;
    return this.size;
  }

  /** Whether every byte from `position` to the end of the file is zero (unwritten pages). */
  async isZeroFrom(position: number): Promise<boolean> {
    const end = this.fileSize();
    for (let pos = position; pos < end; pos += CRC_CHUNK) {
      const buf = await readAt(this.handle, pos, Math.min(CRC_CHUNK, end - pos));
      for (const b of buf) if (b !== 0) return false;
    }
    return true;
  }

  /** Records a batch that now lives at `position` in the index and counters. */
  private track(baseOffset: number, lastOffset: number, position: number, size: number, ts: number): void {
    if (this.idxOffsets.length === 0 || this.bytesSinceIndex >= this.indexIntervalBytes) {
      this.idxOffsets.push(baseOffset);
      this.idxPositions.push(position);
      this.idxTimestamps.push(ts);
      this.bytesSinceIndex = 0;
    }
    this.bytesSinceIndex += size;
    this.size = position + size;
    this.nextOffset = lastOffset + 1;
    if (ts > this.maxTimestamp) this.maxTimestamp = ts;
  }

  /**
   * Appends already-validated batches (offsets assigned) at the end. The bytes are in the
   * OS page cache when this resolves, so they survive a crash or restart of the process;
   * with {@link syncOnAppend} they are also on disk (fdatasync) before they are visible.
   */
  async append(bytes: Uint8Array, batches: readonly Omit<StoredBatchInfo, "position">[]): Promise<void> {
    const start = this.size;
    try {
      // A synchronous write: the bytes only go to the page cache (~1 ms for 2 MB), and a
      // thread-pool round trip per append would cost more than it saves on the event loop.
      let off = 0;
      const fd = this.descriptor();
      while (off < bytes.length) off += fs.writeSync(fd, bytes, off, bytes.length - off, start + off);
      if (this.syncOnAppend) await this.pinned((d) => fdatasyncAsync(d));
      else this.dirty = true;
    } catch (e) {
      throw storageError("Appending to segment", this.file, e);
    }
    let pos = start;
    for (const b of batches) {
      this.track(b.baseOffset, b.lastOffset, pos, b.sizeInBytes, b.commitTimestamp);
      pos += b.sizeInBytes;
    }
  }

  /** Cuts the file back to `size` bytes (durably); used for torn tails and failed writes. */
  async truncateTo(size: number): Promise<void> {
    try {
      fs.ftruncateSync(this.descriptor(), size);
      await this.pinned((d) => fsyncAsync(d));
    } catch (e) {
      throw storageError("Truncating segment", this.file, e);
    }
  }

  /** Index of the last sparse-index entry whose base offset is ≤ `offset` (0 if none). */
  private floorEntry(offset: number): number {
    return Math.max(0, partitionPoint(this.idxOffsets.length, (i) => this.idxOffsets[i]! <= offset) - 1);
  }

  /**
   * Walks batch headers from `position` until `stop` says so; returns the position and base
   * offset of the batch it stopped at, or undefined at the end of the segment.
   */
  private async walk(
    position: number,
    stop: (v: LogBatchView, position: number) => boolean,
  ): Promise<{ position: number; baseOffset: number } | undefined> {
    const end = this.size;
    const win = new FileWindow(this.handle, this.file, end, Math.max(2 * this.indexIntervalBytes, 8192));
    let pos = position;
    try {
      while (pos < end) {
        const skip = this.corrupt.length > 0 ? this.corrupt.find((r) => r.position === pos) : undefined;
        if (skip) {
          pos = skip.endPosition;
          continue;
        }
        const { buf, at } = await win.at(pos, Math.min(end - pos, V2_RECORD_BATCH_HEADER_SIZE));
        const view = new LogBatchView(buf, at);
        if (stop(view, pos)) return { position: pos, baseOffset: view.baseOffset };
        pos += view.sizeInBytes;
      }
    } catch (e) {
      throw storageError("Reading segment", this.file, e);
    }
    return undefined;
  }

  /**
   * Header fields of every batch of the segment, in file order (corrupt stretches skipped):
   * what tiering needs to build Java's offset and time indexes of a closed segment.
   */
  async batches(): Promise<StoredBatchInfo[]> {
    const out: StoredBatchInfo[] = [];
    await this.walk(0, (v, position) => {
      out.push({
        baseOffset: v.baseOffset,
        lastOffset: v.lastOffset,
        position,
        sizeInBytes: v.sizeInBytes,
        commitTimestamp: v.commitTimestamp,
        writerId: v.writerId,
        batchSequence: v.batchSequence,
      });
      return false;
    });
    return out;
  }

  /** File position of the batch containing `offset`, or undefined if it is past this segment. */
  async positionOf(offset: number): Promise<number | undefined> {
    if (this.idxOffsets.length === 0 || offset >= this.nextOffset) return undefined;
    const i = this.floorEntry(offset);
    const found = await this.walk(this.idxPositions[i]!, (v) => v.lastOffset >= offset);
    return found?.position;
  }

  /**
   * Base offset of the first batch whose commit timestamp is ≥ `ts`, or undefined. Commit
   * timestamps never decrease along the log (the server stamps max(previous, now)), so the
   * sparse index can be binary-searched.
   */
  async offsetForTimestamp(ts: number): Promise<number | undefined> {
    if (this.maxTimestamp < ts) return undefined;
    const first = partitionPoint(this.idxTimestamps.length, (i) => this.idxTimestamps[i]! < ts); // first entry with ts ≥ target
    const from = first === 0 ? 0 : this.idxPositions[first - 1]!;
    const found = await this.walk(from, (v) => v.commitTimestamp >= ts);
    return found?.baseOffset;
  }

  /**
   * Whole batches starting at `position`: as many as fit in `maxBytes` (at least one when
   * `minOneBatch`), none whose base offset is ≥ `upTo`.
   */
  async read(position: number, maxBytes: number, upTo: number, minOneBatch: boolean): Promise<Uint8Array> {
    const end = this.corrupt.length > 0 ? this.readableEnd(position) : this.size;
    if (position >= end) return new Uint8Array(0);
    try {
      const want = Math.min(Math.max(maxBytes, 0), end - position);
      const buf = want >= LOG_OVERHEAD ? await readAt(this.handle, position, want) : new Uint8Array(0);
      let pos = 0;
      while (buf.length - pos >= LOG_OVERHEAD) {
        const size = LOG_OVERHEAD + readInt32LE(buf, pos + LENGTH_OFFSET);
        if (pos + size > buf.length) break;
        if (new LogBatchView(buf, pos).baseOffset >= upTo) break;
        pos += size;
      }
      if (pos > 0 || !minOneBatch) return buf.subarray(0, pos);
      // the first batch alone exceeds maxBytes: return it whole, reading only what is missing
      if (buf.length >= V2_RECORD_BATCH_HEADER_SIZE) {
        if (new LogBatchView(buf, 0).baseOffset >= upTo) return new Uint8Array(0);
        const whole = uninitialized(Math.min(LOG_OVERHEAD + readInt32LE(buf, LENGTH_OFFSET), end - position));
        whole.set(buf.subarray(0, Math.min(buf.length, whole.length)));
        return await readInto(this.handle, position, whole, Math.min(buf.length, whole.length));
      }
      const header = await readAt(this.handle, position, Math.min(end - position, V2_RECORD_BATCH_HEADER_SIZE));
      const first = new LogBatchView(header, 0);
      if (first.baseOffset >= upTo) return new Uint8Array(0);
      return await readAt(this.handle, position, first.sizeInBytes);
    } catch (e) {
      throw storageError("Reading segment", this.file, e);
    }
  }

  /**
   * Java `LogSegment.readWithoutFilter` (`LogSegment.java:548`): the bytes from `position`
   * (the batch holding the fetch offset) up to `maxBytes` — raised to the first batch's size
   * with `minOneBatch` — and never past the first batch whose base offset is ≥ `upTo` (Java's
   * max position, the high watermark's). A plain byte slice: the last batch may be cut, as
   * Java's `FileLogRecords.slice` cuts it. Less than a batch header's worth is nothing.
   */
  async readSlice(
    position: number,
    maxBytes: number,
    upTo: number,
    minOneBatch: boolean,
    alloc: (n: number) => Uint8Array = uninitialized,
  ): Promise<Uint8Array> {
    // never into a corrupt stretch: its offsets are answered with CORRUPT_RECORD_EXCEPTION
    const end = this.corrupt.length > 0 ? this.readableEnd(position) : this.size;
    if (position >= end) return new Uint8Array(0);
    try {
      // the first batch's header says whether minOneBatch raises the size: read it first
      // when the slice could be smaller than that batch, so the bytes are read only once
      const header = await readAt(this.handle, position, Math.min(end - position, LOG_OVERHEAD));
      if (header.length < LOG_OVERHEAD || baseOffsetAt(header, 0) >= upTo) return new Uint8Array(0);
      const firstSize = LOG_OVERHEAD + readInt32LE(header, LENGTH_OFFSET);
      const adjusted = minOneBatch ? Math.max(maxBytes, firstSize) : maxBytes;
      if (adjusted < V0_RECORD_BATCH_HEADER_SIZE) return new Uint8Array(0);
      const want = Math.min(adjusted, end - position);
      const buf = want >= LOG_OVERHEAD ? await readInto(this.handle, position, alloc(want), 0) : new Uint8Array(0);
      // stop before the first batch at or past upTo (its base offset is in its first 8 bytes)
      let pos = 0;
      while (buf.length - pos >= LOG_OVERHEAD) {
        if (baseOffsetAt(buf, pos) >= upTo) return buf.subarray(0, pos);
        pos += LOG_OVERHEAD + readInt32LE(buf, pos + LENGTH_OFFSET);
      }
      return buf;
    } catch (e) {
      throw storageError("Reading segment", this.file, e);
    }
  }

  /** Forces appended bytes to disk (fdatasync) if any were written since the last sync. */
  async flush(): Promise<void> {
    if (!this.dirty) return;
    this.dirty = false;
    try {
      await this.pinned((d) => fdatasyncAsync(d));
    } catch (e) {
      this.dirty = true;
      throw storageError("Syncing segment", this.file, e);
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    await this.flush().catch(() => undefined);
    this.closed = true;
    this.openFiles?.forget(this);
    // an fsync may still run on the descriptor: close it once that is done
    if (this.pins > 0) await new Promise<void>((resolve) => (this.onUnpinned = resolve));
    this.closeIdle();
  }
}
