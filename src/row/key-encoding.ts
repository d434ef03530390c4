/**
 * The keys of primary-key tables, one rule for writers, lookupers and the server: the
 * record key (the physical primary key: PK columns minus partition columns) and the bucket
 * of a row (formats.md §4.4, §6.4; Java `fluss-common/.../row/encode/KeyEncoder.java`
 * `ofPrimaryKeyEncoder` l.74-103 and `ofBucketKeyEncoder` l.133-144).
 */
import type { RowType } from "../metadata/data-types.js";
import { FlussError } from "../rpc/errors.js";
import { bucketingFunction, type BucketingFunction } from "./bucketing.js";
import { CompactedKeyEncoder } from "./compacted-key.js";
import type { ByteWriter } from "../util/bytes.js";
import { HudiKeyEncoder, IcebergKeyEncoder, type KeyEncoder, PaimonKeyEncoder } from "./lake-keys.js";

/** What the key rules read of a table (a `TableInfo` fits). */
export interface KeyedTable {
  readonly rowType: RowType;
  /** Primary-key columns minus partition columns. */
  readonly physicalPrimaryKeys: readonly string[];
  readonly bucketKeys: readonly string[];
  readonly numBuckets: number;
  /** `table.kv.format-version` (absent = 1). */
  readonly kvFormatVersion: number | undefined;
  /** `table.datalake.format`, if any. */
  readonly dataLakeFormat: string | undefined;
}

/** The lake format's key encoder, CompactedKeyEncoder without one (Java `KeyEncoder.of`). */
export function lakeOrCompactedKeyEncoder(rowType: RowType, keys: readonly string[], lakeFormat: string | undefined): KeyEncoder {
  switch (lakeFormat?.toLowerCase()) {
    case "paimon":
      return PaimonKeyEncoder.forKeys(rowType, keys);
    case "iceberg":
      return IcebergKeyEncoder.forKeys(rowType, keys);
    case "hudi":
      return HudiKeyEncoder.forKeys(rowType, keys);
    default:
      return CompactedKeyEncoder.forKeys(rowType, keys);
  }
}

function sameKeys(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((k, i) => k === b[i]);
}

/** The encoder of the record key of a primary-key table (`ofPrimaryKeyEncoder`). */
export function primaryKeyEncoder(t: KeyedTable): KeyEncoder {
  const lake = t.dataLakeFormat?.toLowerCase();
  const version = t.kvFormatVersion ?? 1;
  // Hudi's key is a lossy 4-byte hash: never a record key.
  if (lake === "hudi") return CompactedKeyEncoder.forKeys(t.rowType, t.physicalPrimaryKeys);
  if (version === 1) return lakeOrCompactedKeyEncoder(t.rowType, t.physicalPrimaryKeys, lake);
  if (version === 2) {
    // With a bucket key other than the PK, compacted keys make the bucket key a byte prefix (prefix lookup).
    return sameKeys(t.bucketKeys, t.physicalPrimaryKeys)
      ? lakeOrCompactedKeyEncoder(t.rowType, t.physicalPrimaryKeys, lake)
      : CompactedKeyEncoder.forKeys(t.rowType, t.physicalPrimaryKeys);
  }
  throw FlussError.client(`unsupported table.kv.format-version ${version}`);
}

function indexesOf(rowType: RowType, names: readonly string[]): number[] {
  return names.map((n) => {
    const i = rowType.fields.findIndex((f) => f.name === n);
    if (i < 0) throw FlussError.client(`key column "${n}" is not a column of the table`);
    return i;
  });
}

/**
 * Encodes the record key and picks the bucket of rows of a primary-key table. Rows are
 * full-width canonical values in column order (partial-update rows included).
 */
export class PrimaryKeyCodec {
  readonly keyIndexes: readonly number[];
  readonly bucketKeyIndexes: readonly number[];
  private readonly keyEncoder: KeyEncoder;
  /** Undefined when the bucket key bytes are the record key bytes. */
  private readonly bucketEncoder: KeyEncoder | undefined;
  private readonly bucketing: BucketingFunction;
  private readonly numBuckets: number;

  constructor(t: KeyedTable) {
    this.keyIndexes = indexesOf(t.rowType, t.physicalPrimaryKeys);
    this.bucketKeyIndexes = indexesOf(t.rowType, t.bucketKeys);
    this.keyEncoder = primaryKeyEncoder(t);
    const lake = t.dataLakeFormat?.toLowerCase();
    this.bucketEncoder =
      sameKeys(t.bucketKeys, t.physicalPrimaryKeys) && lake !== "hudi"
        ? undefined
        : lakeOrCompactedKeyEncoder(t.rowType, t.bucketKeys, lake);
    this.bucketing = bucketingFunction(lake);
    this.numBuckets = t.numBuckets;
  }

  /** The record key bytes of a full row. */
  key(row: readonly unknown[]): Uint8Array {
    return this.keyEncoder.encode(pick(row, this.keyIndexes));
  }

  /** Appends the record key of a full row to `w` (as {@link key}, without allocating). */
  keyInto(row: readonly unknown[], w: ByteWriter): void {
    const e = this.keyEncoder;
    if (e instanceof CompactedKeyEncoder) e.encodeRowInto(w, row, this.keyIndexes);
    else w.bytes(e.encode(pick(row, this.keyIndexes)));
  }

  /** The bucket of a full row whose record key is `key` (from {@link key}). */
  bucket(row: readonly unknown[], key: Uint8Array): number {
    const bytes = this.bucketEncoder ? this.bucketEncoder.encode(pick(row, this.bucketKeyIndexes)) : key;
    return this.bucketing(bytes, this.numBuckets);
  }
}

function pick(row: readonly unknown[], indexes: readonly number[]): unknown[] {
  const out = new Array<unknown>(indexes.length);
  for (let i = 0; i < indexes.length; i++) out[i] = row[indexes[i]!];
  return out;
}

/**
 * The encoder of prefix-lookup keys: the bucket key (a strict prefix of the physical primary
 * key) under the record-key rule, so that the bytes are a prefix of the record keys (Java
 * `PrefixKeyLookuper` → `KeyEncoder.ofPrimaryKeyEncoder(..., isDefaultBucketKey = false)`).
 */
export function prefixKeyEncoder(t: KeyedTable): KeyEncoder {
  const lake = t.dataLakeFormat?.toLowerCase();
  const version = t.kvFormatVersion ?? 1;
  if (lake === "hudi" || version === 2) return CompactedKeyEncoder.forKeys(t.rowType, t.bucketKeys);
  if (version === 1) return lakeOrCompactedKeyEncoder(t.rowType, t.bucketKeys, lake);
  throw FlussError.client(`unsupported table.kv.format-version ${version}`);
}
