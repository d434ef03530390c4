/**
 * Java's per-segment index files, which tiering uploads beside each segment and Fluss reads
 * back to answer remote fetches and timestamp lookups (fluss-server `log/OffsetIndex.java`,
 * `log/TimeIndex.java`, big-endian like Java's `ByteBuffer`):
 *
 * - `.index`: 8-byte entries `int32 offset − baseOffset, int32 file position`;
 * - `.timeindex`: 12-byte entries `int64 timestamp, int32 offset − baseOffset`.
 *
 * Entries are built as Java's `LogSegment.recover` rebuilds them from the batches: after
 * more than `log.index.interval-size` (4 KiB) bytes since the last entry, an entry for the
 * batch at hand (its last offset and position; the largest commit timestamp so far and the
 * first offset that reached it).
 */
import type { StoredBatchInfo } from "../storage/log-segment.js";

/** Java `log.index.interval-size` default. */
const INDEX_INTERVAL_BYTES = 4096;
const OFFSET_ENTRY = 8;
const TIME_ENTRY = 12;

/** The two index files of a segment. */
export interface SegmentIndexes {
  readonly offsetIndex: Uint8Array;
  readonly timeIndex: Uint8Array;
}

/** Builds the `.index` and `.timeindex` bytes of a segment from its batches (file order). */
export function buildSegmentIndexes(
  baseOffset: number,
  batches: readonly StoredBatchInfo[],
  intervalBytes = INDEX_INTERVAL_BYTES,
): SegmentIndexes {
  const offsets: [number, number][] = [];
  const times: [number, number][] = [];
  let maxTs = -1;
  let offsetOfMaxTs = -1;
  let lastIndexEntry = 0;
  let lastTimeEntry = -1; // Java's empty time index: TimestampOffset(-1, baseOffset)
  for (const b of batches) {
    const validBytes = b.position;
    if (b.commitTimestamp > maxTs) {
      maxTs = b.commitTimestamp;
      offsetOfMaxTs = b.baseOffset;
    }
    if (validBytes - lastIndexEntry > intervalBytes) {
      // OffsetIndex.append: only a larger offset than the last entry's
      if (offsets.length === 0 || b.lastOffset > offsets.at(-1)![0]) offsets.push([b.lastOffset, validBytes]);
      // TimeIndex.maybeAppend: only a larger timestamp than the last entry's
      if (maxTs > lastTimeEntry) {
        times.push([maxTs, offsetOfMaxTs]);
        lastTimeEntry = maxTs;
      }
      lastIndexEntry = validBytes;
    }
  }
  const offsetIndex = Buffer.alloc(offsets.length * OFFSET_ENTRY);
  offsets.forEach(([offset, position], i) => {
    offsetIndex.writeInt32BE(offset - baseOffset, i * OFFSET_ENTRY);
    offsetIndex.writeInt32BE(position, i * OFFSET_ENTRY + 4);
  });
  const timeIndex = Buffer.alloc(times.length * TIME_ENTRY);
  times.forEach(([ts, offset], i) => {
    timeIndex.writeBigInt64BE(BigInt(ts), i * TIME_ENTRY);
    timeIndex.writeInt32BE(offset - baseOffset, i * TIME_ENTRY + 8);
  });
  return { offsetIndex, timeIndex };
}

function view(buf: Uint8Array): DataView {
  return new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
}

/** Index of the last entry whose key is ≤ `target`, -1 if none (Java `largestLowerBoundSlotFor`). */
function largestLowerBound(entries: number, key: (i: number) => number, target: number): number {
  let lo = 0;
  let hi = entries - 1;
  let found = -1;
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1;
    if (key(mid) <= target) {
      found = mid;
      lo = mid + 1;
    } else {
      hi = mid - 1;
    }
  }
  return found;
}

/**
 * Java `OffsetIndex.lookup`: the entry with the largest offset ≤ `target` as
 * `[offset, position]`, or `[baseOffset, 0]` when there is none.
 */
export function lookupOffsetIndex(index: Uint8Array, baseOffset: number, target: number): [number, number] {
  const v = view(index);
  const n = Math.floor(index.byteLength / OFFSET_ENTRY);
  const slot = largestLowerBound(n, (i) => baseOffset + v.getInt32(i * OFFSET_ENTRY), target);
  if (slot < 0) return [baseOffset, 0];
  return [baseOffset + v.getInt32(slot * OFFSET_ENTRY), v.getInt32(slot * OFFSET_ENTRY + 4)];
}

/**
 * Java `TimeIndex.lookup`: the entry with the largest timestamp ≤ `ts` as
 * `[timestamp, offset]`, or `[-1, baseOffset]` when there is none.
 */
export function lookupTimeIndex(index: Uint8Array, baseOffset: number, ts: number): [number, number] {
  const v = view(index);
  const n = Math.floor(index.byteLength / TIME_ENTRY);
  const slot = largestLowerBound(n, (i) => Number(v.getBigInt64(i * TIME_ENTRY)), ts);
  if (slot < 0) return [-1, baseOffset];
  return [Number(v.getBigInt64(slot * TIME_ENTRY)), baseOffset + v.getInt32(slot * TIME_ENTRY + 8)];
}
