/**
 * FetchLog answers without copies (issue 15): the records of each bucket are read from the
 * segment file into buffers lent by a pool, and the response goes out as chunks — the
 * encoded protobuf around the records, and the records themselves — in one `writev`; the
 * buffers go back to the pool once the socket has taken the bytes. Before, every fetch read
 * into a fresh buffer, copied it into the encoded response (a second fresh buffer), and left
 * both to the garbage collector: at 2 MiB per fetch V8 ran a full mark-compact every few
 * dozen megabytes (external memory), a third of the server's CPU during a scan.
 */
import * as M from "../rpc/messages.js";
import { BufferPool } from "../util/buffer-pool.js";
import type { ResponseParts } from "./rpc-server.js";

/** Records of at least this many bytes are sent as chunks of their own. */
const MIN_PART_BYTES = 16 * 1024;

/**
 * Read buffers of this process's servers (power-of-two classes up to 16 MiB, 64 MiB held at
 * most); a read that finds the pool exhausted or is larger gets a fresh buffer.
 */
const readPool = new BufferPool(64 * 1024 * 1024, 64 * 1024, 16 * 1024 * 1024);

function fresh(n: number): Uint8Array {
  const b = Buffer.allocUnsafeSlow(n);
  return new Uint8Array(b.buffer, b.byteOffset, n);
}

/** The pooled buffers one FetchLog answer reads into; given back together. */
export class ReadLease {
  private lent: Uint8Array[] = [];

  /** A buffer of exactly `n` bytes (a view of a pooled one when the pool has one). */
  readonly alloc = (n: number): Uint8Array => {
    const b = readPool.acquire(n);
    if (!b) return fresh(n);
    this.lent.push(b);
    return b.subarray(0, n);
  };

  /** Gives every buffer back; nothing read through this lease may be used afterwards. */
  release(): void {
    const lent = this.lent;
    this.lent = [];
    for (const b of lent) readPool.release(b);
  }
}

/** `resp` as chunks (records uncopied); `lease` is released once they are written. */
export function fetchLogResponseParts(resp: M.FetchLogResponse, lease: ReadLease): ResponseParts {
  let partBytes = 0;
  for (const t of resp.tablesResp) {
    for (const b of t.bucketsResp) if (b.records && b.records.length >= MIN_PART_BYTES) partBytes += b.records.length;
  }
  const chunks = M.FetchLogResponse.encodeParts(resp, MIN_PART_BYTES, partBytes);
  let length = 0;
  for (const c of chunks) length += c.length;
  return { chunks, length, release: () => lease.release() };
}
