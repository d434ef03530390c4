/**
 * What one bucket has in remote storage (Java `RemoteLogTablet`): the committed manifest's
 * segments, ordered and contiguous, with the lookups FetchLog and ListOffsets need.
 */
import { manifestEndOffset, type ManifestOwner, type RemoteLogManifest, type RemoteLogSegment } from "./remote-manifest.js";
import type { RemotePath } from "./remote-paths.js";

/** The remote part of one bucket's log. */
export class RemoteLogTablet {
  private current: RemoteLogManifest;
  /** The committed manifest file, once there is one. */
  manifestPath: RemotePath | undefined;

  constructor(
    readonly owner: ManifestOwner,
    /** `{remote}/log/.../{bucket}`. */
    readonly tabletDir: RemotePath,
    manifest?: RemoteLogManifest,
  ) {
    this.current = manifest ?? { owner, segments: [], highestCopiedEndOffset: -1 };
  }

  /** The committed manifest. */
  get manifest(): RemoteLogManifest {
    return this.current;
  }

  /** Replaces the committed manifest (after a commit). */
  load(manifest: RemoteLogManifest, manifestPath: RemotePath): void {
    this.current = manifest;
    this.manifestPath = manifestPath;
  }

  get segments(): readonly RemoteLogSegment[] {
    return this.current.segments;
  }

  /** Java `getRemoteLogStartOffset`: `Number.MAX_SAFE_INTEGER` (Java `Long.MAX_VALUE`) when empty. */
  get startOffset(): number {
    return this.current.segments[0]?.startOffset ?? Number.MAX_SAFE_INTEGER;
  }

  /** Exclusive end of the remote data, -1 when empty. */
  get endOffset(): number {
    return manifestEndOffset(this.current);
  }

  /** Highest exclusive end offset ever copied (-1: none). */
  get highestCopiedEndOffset(): number {
    return this.current.highestCopiedEndOffset;
  }

  /** Java `LogTablet.canFetchFromRemoteLog`. */
  covers(offset: number): boolean {
    return this.startOffset <= offset && offset < this.endOffset;
  }

  /**
   * Java `relevantRemoteLogSegmentsForFetchV0`: the segment holding `offset` and every later
   * one (physically contiguous here), or none when `offset` is not in remote storage.
   */
  relevantSegments(offset: number): RemoteLogSegment[] {
    const segs = this.current.segments;
    let i = segs.length - 1;
    while (i >= 0 && segs[i]!.startOffset > offset) i--;
    if (i < 0 || offset >= segs[i]!.endOffset) return [];
    const out = [segs[i]!];
    for (let j = i + 1; j < segs.length && segs[j]!.startOffset === out.at(-1)!.endOffset; j++) out.push(segs[j]!);
    return out;
  }

  /**
   * Java `findSegmentsByTimestamp` without clipped segments: the first segment (by offset)
   * whose largest timestamp is ≥ `ts`, if any.
   */
  segmentForTimestamp(ts: number): RemoteLogSegment | undefined {
    let best: RemoteLogSegment | undefined;
    for (const s of this.current.segments) {
      if (s.maxTimestamp < ts) continue;
      if (best === undefined || s.maxTimestamp < best.maxTimestamp) best = s;
    }
    return best;
  }

  /** Java `expiredRemoteLogSegments` (no lake): segments whose newest record is older than the TTL. */
  expiredSegments(nowMs: number, ttlMs: number): RemoteLogSegment[] {
    if (ttlMs <= 0) return [];
    return this.current.segments.filter((s) => nowMs - s.maxTimestamp > ttlMs);
  }
}
