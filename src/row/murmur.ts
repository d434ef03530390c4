/**
 * The 32-bit hashes Fluss uses for bucketing, all with Java `int` semantics
 * (`Math.imul`, `| 0`, `>>>`), so results are signed 32-bit numbers.
 */

const C1 = 0xcc9e2d51;
const C2 = 0x1b873593;

/** Java `MurmurHashUtils.DEFAULT_SEED`. */
const FLUSS_HASH_SEED = 42;

function mixK1(k: number): number {
  k = Math.imul(k, C1);
  k = (k << 15) | (k >>> 17);
  return Math.imul(k, C2);
}

function mixH1(h: number, k: number): number {
  h ^= k;
  h = (h << 13) | (h >>> 19);
  return (Math.imul(h, 5) + 0xe6546b64) | 0;
}

/** Murmur3's 32-bit finalizer (Java `MurmurHashUtils.fmix(int)`). */
function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h | 0;
}

function readIntLE(b: Uint8Array, i: number): number {
  return b[i]! | (b[i + 1]! << 8) | (b[i + 2]! << 16) | (b[i + 3]! << 24);
}

/**
 * Fluss's (Flink-flavoured) MurmurHash3_x86_32, Java `MurmurHashUtils.hashBytes`.
 *
 * Unlike standard murmur3, every tail byte is mixed on its own as a full block, and it is
 * sign-extended first (Java `byte` → `int`). The Rust client zero-extends here and so
 * disagrees with the server for tails holding bytes ≥ 0x80; we follow Java.
 */
export function flussHashBytes(bytes: Uint8Array, seed: number = FLUSS_HASH_SEED): number {
  const len = bytes.length;
  const aligned = len - (len % 4);
  let h = seed | 0;
  for (let i = 0; i < aligned; i += 4) h = mixH1(h, mixK1(readIntLE(bytes, i)));
  for (let i = aligned; i < len; i++) h = mixH1(h, mixK1((bytes[i]! << 24) >> 24));
  return fmix32(h ^ len);
}

/**
 * Java `MathUtils.murmurHash(int)`: one more murmur block-mix of `code` (seed 0), made
 * non-negative (`Integer.MIN_VALUE` becomes 0).
 */
export function murmurHashInt(code: number): number {
  let h = mixK1(code | 0);
  h = (h << 13) | (h >>> 19);
  h = (Math.imul(h, 5) + 0xe6546b64) | 0;
  h = fmix32(h ^ 4);
  if (h >= 0) return h;
  return h === -2147483648 ? 0 : -h;
}

/**
 * Standard MurmurHash3_x86_32 (Guava `murmur3_32_fixed`, used by Iceberg): the tail is
 * packed little-endian into one block that gets no h-mix.
 */
export function murmur3Hash32(bytes: Uint8Array, seed = 0): number {
  const len = bytes.length;
  const aligned = len - (len % 4);
  let h = seed | 0;
  for (let i = 0; i < aligned; i += 4) h = mixH1(h, mixK1(readIntLE(bytes, i)));
  const rem = len - aligned;
  if (rem > 0) {
    let k = 0;
    if (rem === 3) k ^= bytes[aligned + 2]! << 16;
    if (rem >= 2) k ^= bytes[aligned + 1]! << 8;
    k ^= bytes[aligned]!;
    h ^= mixK1(k);
  }
  return fmix32(h ^ len);
}
