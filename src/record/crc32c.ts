/**
 * CRC-32C (Castagnoli), as Java's `java.util.zip.CRC32C`: the checksum of log and KV
 * record batches.
 */
import { crc32c as nativeCrc32c } from "@node-rs/crc32";

/**
 * CRC-32C of `bytes[start, end)` as an unsigned 32-bit number. Pass a previous result as
 * `initial` to continue a running checksum over several chunks.
 */
export function crc32c(bytes: Uint8Array, start = 0, end = bytes.length, initial = 0): number {
  const part = start === 0 && end === bytes.length ? bytes : bytes.subarray(start, end);
  return nativeCrc32c(part, initial) >>> 0;
}
