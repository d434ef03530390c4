/** The partitions a command works on: all of a partitioned table, or those matching `--partition k=v`. */
import type { FlussAdmin, PartitionInfo, TableInfo } from "../index.js";
import { parseSpec } from "./args.js";
import { CliError, usageError } from "./runtime.js";

/**
 * `undefined` for a non-partitioned table (a `--partition` is then a usage error), else the
 * partitions matching the spec (all without one); a spec matching none is a failure.
 */
export async function selectPartitions(
  admin: FlussAdmin,
  info: TableInfo,
  specText: readonly string[] | undefined,
  options: { allowNone?: boolean } = {},
): Promise<PartitionInfo[] | undefined> {
  const table = info.tablePath.toString();
  if (!info.isPartitioned) {
    if (specText && specText.length > 0) throw usageError(`table ${table} is not partitioned: drop --partition`);
    return undefined;
  }
  const spec = specText && specText.length > 0 ? parseSpec(specText, "--partition") : undefined;
  for (const k of Object.keys(spec ?? {})) {
    if (!info.partitionKeys.includes(k)) {
      throw usageError(
        `--partition: "${k}" is not a partition key of ${table} (partition keys: ${info.partitionKeys.join(", ")})`,
      );
    }
  }
  const partitions = await admin.listPartitionInfos(table, spec);
  if (spec && partitions.length === 0 && !options.allowNone) {
    throw new CliError(
      `table ${table} has no partition ${Object.entries(spec)
        .map(([k, v]) => `${k}=${v}`)
        .join(",")}`,
    );
  }
  return partitions;
}
