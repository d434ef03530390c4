/**
 * Bucket assignment for keyed rows: which bucket an encoded bucket key lands in, per the
 * table's lake format (Java `BucketingFunction.of(lakeFormat)`).
 */
import { FlussError } from "../rpc/errors.js";
import { flussHashBytes, murmur3Hash32, murmurHashInt } from "./murmur.js";

/** Values of the table property `table.datalake.format`. */
export type LakeFormat = "paimon" | "iceberg" | "hudi" | "lance";

/** Maps an encoded bucket key to a bucket id in `[0, numBuckets)`. */
export type BucketingFunction = (keyBytes: Uint8Array, numBuckets: number) => number;

function checkArgs(keyBytes: Uint8Array, numBuckets: number): void {
  if (keyBytes.length === 0) throw FlussError.client("bucket key must not be empty");
  if (!Number.isInteger(numBuckets) || numBuckets <= 0) {
    throw FlussError.client(`number of buckets must be a positive integer, got ${numBuckets}`);
  }
}

/** Fluss default bucketing (no lake format, or lance): `murmurHash(hashBytes(key)) % n`. */
function flussBucket(keyBytes: Uint8Array, numBuckets: number): number {
  checkArgs(keyBytes, numBuckets);
  return murmurHashInt(flussHashBytes(keyBytes)) % numBuckets;
}

/** Paimon bucketing: `abs(hashBytes(key) % n)` (Java `%` keeps the sign). */
function paimonBucket(keyBytes: Uint8Array, numBuckets: number): number {
  checkArgs(keyBytes, numBuckets);
  return Math.abs(flussHashBytes(keyBytes) % numBuckets);
}

/** Iceberg bucketing: `(murmur3_32(key) & 0x7fffffff) % n`. */
function icebergBucket(keyBytes: Uint8Array, numBuckets: number): number {
  checkArgs(keyBytes, numBuckets);
  return (murmur3Hash32(keyBytes, 0) & 0x7fffffff) % numBuckets;
}

/** Hudi bucketing: the key is a 4-byte big-endian hash; `(hash & 0x7fffffff) % n`. */
function hudiBucket(keyBytes: Uint8Array, numBuckets: number): number {
  checkArgs(keyBytes, numBuckets);
  if (keyBytes.length !== 4) {
    throw FlussError.client(`Hudi bucket key must be exactly 4 bytes, got ${keyBytes.length}`);
  }
  const h = (keyBytes[0]! << 24) | (keyBytes[1]! << 16) | (keyBytes[2]! << 8) | keyBytes[3]!;
  return (h & 0x7fffffff) % numBuckets;
}

/** The bucketing function for a table's lake format (`null`/`undefined`/lance: Fluss default). */
export function bucketingFunction(lakeFormat?: LakeFormat | string | null): BucketingFunction {
  switch (lakeFormat?.toLowerCase()) {
    case undefined:
    case "":
    case "lance":
    case "fluss":
      return flussBucket;
    case "paimon":
      return paimonBucket;
    case "iceberg":
      return icebergBucket;
    case "hudi":
      return hudiBucket;
    default:
      throw FlussError.client(`unknown lake format "${lakeFormat}"`);
  }
}
