/**
 * CRC-32C (Castagnoli), as Java's `java.util.zip.CRC32C`: the checksum of log and KV
 * record batches, computed over every byte written and read. The SSE4.2 addon built at
 * install (`native/crc32c.c`, three interleaved streams, ~15 GB/s here) is used when it is
 * there; `@node-rs/crc32` (~7.5 GB/s) otherwise.
 */
import { createRequire } from "node:module";
import { crc32c as nodeRsCrc32c } from "@node-rs/crc32";

type Crc32cFn = (bytes: Uint8Array, initial: number) => number;

function loadNative(): Crc32cFn | undefined {
  if (process.env.FLUSSJS_NO_NATIVE) return undefined;
  try {
    // src/record and dist/record both sit two levels below the package root
    const addon = createRequire(import.meta.url)("../../native/build/crc32c.node") as { crc32c?: unknown };
    return typeof addon.crc32c === "function" ? (addon.crc32c as Crc32cFn) : undefined;
  } catch {
    return undefined; // not built (no compiler, other CPU) or not loadable: fall back
  }
}

const native = loadNative();
const compute: Crc32cFn = native ?? ((bytes, initial) => nodeRsCrc32c(bytes, initial) >>> 0);

/** Which implementation computes CRC-32C in this process (shown by the bench). */
export const CRC32C_IMPLEMENTATION: string = native ? "native SSE4.2" : "@node-rs/crc32";

/**
 * CRC-32C of `bytes[start, end)` as an unsigned 32-bit number. Pass a previous result as
 * `initial` to continue a running checksum over several chunks.
 */
export function crc32c(bytes: Uint8Array, start = 0, end = bytes.length, initial = 0): number {
  const part = start === 0 && end === bytes.length ? bytes : bytes.subarray(start, end);
  return compute(part, initial);
}
