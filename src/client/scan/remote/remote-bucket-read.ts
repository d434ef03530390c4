/**
 * Reading one bucket through the remote segments a FetchLog answer named
 * (`remote_log_fetch_info`, Java `LogFetcher.pendRemoteFetches` / `RemotePendingFetch`):
 * every segment is requested from the downloader at once (it fetches them ahead, within
 * its prefetch bound), and the reader hands out the segments' bytes in chunks of whole
 * batches, in order: the first segment from `first_start_pos`, the others from their
 * start. A segment is released as soon as its last chunk was read. Where the last
 * segment ends (`remote_log_end_offset`, exclusive) the caller goes back to FetchLog.
 */
import { LENGTH_OFFSET, LOG_OVERHEAD } from "../../../record/log-batch.js";
import { ErrorCode, FlussError } from "../../../rpc/errors.js";
import type { PbRemoteLogFetchInfo } from "../../../rpc/messages.js";
import type { RemoteLogDownloader, SegmentDownload } from "./remote-log-downloader.js";

/** What one {@link RemoteBucketRead.next} returns. */
export interface RemoteChunk {
  /** Whole batches (undefined when the segment had nothing more). */
  readonly records?: Uint8Array;
  /** The remote segment the bytes came from (for error messages). */
  readonly uri: string;
  /** Set once every segment was read: the offset to fetch next (the end of the last segment). */
  readonly endOffset?: number;
}

/** @internal The remote segments of one bucket being read. */
export class RemoteBucketRead {
  private readonly downloads: SegmentDownload[];
  private index = 0;
  private position: number;
  private cancelled = false;

  constructor(downloader: RemoteLogDownloader, bucketKey: string, info: PbRemoteLogFetchInfo) {
    this.downloads = info.remoteLogSegments.map((seg) => downloader.request(bucketKey, info.remoteLogTabletDir, seg));
    this.position = info.firstStartPos ?? 0;
  }

  /** The segments being read (for tests and messages). */
  get segmentCount(): number {
    return this.downloads.length;
  }

  /**
   * Reads the next chunk of about `maxBytes` (at least one whole batch) from the current
   * segment; at the end of a segment it moves on to the next. Rejects with a FlussError
   * when a segment cannot be fetched or read.
   */
  async next(maxBytes: number): Promise<RemoteChunk> {
    for (;;) {
      const d = this.downloads[this.index];
      if (!d) {
        const last = this.downloads[this.downloads.length - 1];
        return { uri: last?.uri ?? "", endOffset: last?.segment.remoteLogEndOffset ?? -1 };
      }
      const file = await d.file;
      if (this.cancelled) throw FlussError.client("the remote read was cancelled");
      const left = file.size - this.position;
      if (left < LOG_OVERHEAD) {
        // the segment is read (a tail shorter than a batch header cannot hold a batch)
        d.release();
        this.index++;
        this.position = 0;
        continue;
      }
      let bytes = await file.read(this.position, Math.min(left, maxBytes));
      let whole = wholeBatches(bytes);
      if (whole === 0) {
        // one batch larger than maxBytes: read it whole
        const length = LOG_OVERHEAD + new DataView(bytes.buffer, bytes.byteOffset + LENGTH_OFFSET, 4).getInt32(0, true);
        if (length < LOG_OVERHEAD || length > left) {
          throw new FlussError(
            ErrorCode.CORRUPT_RECORD_EXCEPTION,
            `remote segment ${d.uri} holds a batch of ${length} bytes at position ${this.position}, beyond its ${file.size} bytes`,
          );
        }
        bytes = await file.read(this.position, length);
        whole = wholeBatches(bytes);
        if (whole === 0) throw new FlussError(ErrorCode.CORRUPT_RECORD_EXCEPTION, `remote segment ${d.uri} ends inside a batch`);
      }
      if (this.cancelled) throw FlussError.client("the remote read was cancelled");
      this.position += whole;
      if (file.size - this.position < LOG_OVERHEAD) {
        d.release();
        this.index++;
        this.position = 0;
      }
      return { records: bytes.subarray(0, whole), uri: d.uri };
    }
  }

  /** Stops reading: frees every segment (downloaded, being downloaded or queued). */
  cancel(): void {
    if (this.cancelled) return;
    this.cancelled = true;
    for (let i = this.index; i < this.downloads.length; i++) this.downloads[i]!.release();
  }
}

/** Bytes of the whole batches at the start of `bytes`. */
function wholeBatches(bytes: Uint8Array): number {
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let pos = 0;
  while (bytes.length - pos >= LOG_OVERHEAD) {
    const size = LOG_OVERHEAD + dv.getInt32(pos + LENGTH_OFFSET, true);
    if (size <= LOG_OVERHEAD || pos + size > bytes.length) break;
    pos += size;
  }
  return pos;
}
