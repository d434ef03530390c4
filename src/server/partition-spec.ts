/**
 * Partition specs on the server: validation against a table's partition keys (Java
 * `PartitionUtils.validatePartitionSpec`), partition names (`$`-joined values) and the
 * partial-spec filter of ListPartitionInfos (`ResolvedPartitionSpec.contains`).
 */
import { ErrorCode, FlussError } from "../rpc/errors.js";
import type { PbKeyValue, PbPartitionSpec } from "../rpc/messages.js";
import { detectInvalidName, detectReservedPrefix } from "../metadata/table-path.js";

/** Separator of partition values in a partition name (Java PARTITION_SPEC_SEPARATOR). */
const PARTITION_SPEC_SEPARATOR = "$";

/** A spec resolved against the partition keys: ordered (key, value) pairs. */
export type ResolvedSpec = readonly (readonly [string, string])[];

function invalid(message: string): FlussError {
  return new FlussError(ErrorCode.PARTITION_SPEC_INVALID_EXCEPTION, message);
}

/** The spec as a map (later duplicates win, as with Java's HashMap). */
function specMap(spec: PbPartitionSpec): Map<string, string> {
  const m = new Map<string, string>();
  for (const kv of spec.partitionKeyValues) m.set(kv.key, kv.value);
  return m;
}

/** Java's `PartitionSpec.toString()`: `PartitionSpec{{k=v, ...}}`. */
function specString(m: Map<string, string>): string {
  return `PartitionSpec{{${[...m].map(([k, v]) => `${k}=${v}`).join(", ")}}}`;
}

/**
 * Checks that `spec` names exactly the partition keys and that every value is a valid name
 * (and, when creating, does not use the reserved `__` prefix). Returns the values in
 * partition-key order. Throws PARTITION_SPEC_INVALID_EXCEPTION with Java's messages.
 */
export function resolvePartitionSpec(
  tablePath: string,
  partitionKeys: readonly string[],
  spec: PbPartitionSpec,
  isCreate: boolean,
): ResolvedSpec {
  const m = specMap(spec);
  if (m.size !== partitionKeys.length) {
    throw invalid(`PartitionSpec size is not equal to partition keys size for partitioned table ${tablePath}.`);
  }
  const out: (readonly [string, string])[] = [];
  for (const key of partitionKeys) {
    const value = m.get(key);
    if (value === undefined) {
      throw invalid(`PartitionSpec ${specString(m)} does not contain partition key '${key}' for partitioned table ${tablePath}.`);
    }
    out.push([key, value]);
  }
  for (const [, value] of out) {
    const why = detectInvalidName(value) ?? (isCreate ? detectReservedPrefix(value) : undefined);
    if (why !== undefined) throw invalid(`The partition value ${value} is invalid: ${why}`);
  }
  return out;
}

/** `v1$v2...` in partition-key order. */
export function partitionName(spec: ResolvedSpec): string {
  return spec.map(([, v]) => v).join(PARTITION_SPEC_SEPARATOR);
}

/** Java's `getPartitionQualifiedName()`: `k1=v1/k2=v2`. */
export function qualifiedPartitionName(spec: ResolvedSpec): string {
  return spec.map(([k, v]) => `${k}=${v}`).join("/");
}

/**
 * Whether a partition with values `spec` matches the partial spec `filter`. A filter key
 * that is not a partition key fails with PARTITION_SPEC_INVALID_EXCEPTION, as in Java.
 */
export function matchesPartialSpec(partitionKeys: readonly string[], spec: ResolvedSpec, filter: readonly PbKeyValue[]): boolean {
  for (const { key, value } of filter) {
    const idx = partitionKeys.indexOf(key);
    if (idx < 0) throw invalid(`table don't contains this partitionKey: ${key}`);
    if (spec[idx]?.[1] !== value) return false;
  }
  return true;
}

/** The PbPartitionSpec of a stored spec, in partition-key order. */
export function toPbPartitionSpec(spec: ResolvedSpec): PbPartitionSpec {
  return { partitionKeyValues: spec.map(([key, value]) => ({ key, value })) };
}
