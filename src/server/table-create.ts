/**
 * CreateTable preparation, in the order Java's `CoordinatorService.createTable` does it:
 * parse the table JSON, apply the cluster's system defaults (default bucket count and
 * replication factor 1, no data lake), validate, check the
 * replication factor, and render the normalized JSON the catalog stores and GetTableInfo
 * returns (it always carries `bucket_key` and `bucket_count`).
 */
import { ErrorCode, FlussError } from "../rpc/errors.js";
import { javaHashMapOrder } from "../metadata/java-json.js";
import { schemaToJson, tableDescriptorFromJson, tableDescriptorToJson } from "../metadata/json.js";
import type { TableDescriptor } from "../metadata/table-descriptor.js";
import { TableOptions, TABLE_DEFAULTS, parseJavaInt } from "../metadata/table-options.js";
import { applyTableDefaults, validateTableDescriptor } from "./catalog/validation.js";
import { TABLET_SERVER_COUNT } from "./server-state.js";

/** A table ready to be stored. */
export interface PreparedTable {
  readonly descriptor: TableDescriptor;
  /** Normalized table JSON (defaults applied, Java HashMap property order). */
  readonly tableJson: string;
  /** The schema's JSON (schema version 1). */
  readonly schemaJson: string;
}

/** Parses the request's table JSON; every failure is INVALID_TABLE_EXCEPTION, as in Java. */
function parseTableJson(bytes: Uint8Array): TableDescriptor {
  try {
    return tableDescriptorFromJson(bytes);
  } catch (err) {
    if (err instanceof FlussError && err.code === ErrorCode.INVALID_TABLE_EXCEPTION) throw err;
    const msg = err instanceof Error ? err.message : String(err);
    throw new FlussError(ErrorCode.INVALID_TABLE_EXCEPTION, msg, { cause: err });
  }
}

/**
 * Java `TableAssignmentUtils.generateAssignment`'s replication-factor checks against the
 * live tablet servers (one here). Throws INVALID_REPLICATION_FACTOR.
 */
export function checkReplicationFactor(desc: TableDescriptor | Readonly<Record<string, string>>): void {
  const props = "schema" in desc ? (desc as TableDescriptor).properties : (desc as Readonly<Record<string, string>>);
  const raw = props[TableOptions.REPLICATION_FACTOR] ?? String(TABLE_DEFAULTS.replicationFactor);
  let rf: number;
  try {
    rf = parseJavaInt(raw);
  } catch (e) {
    throw new FlussError(
      ErrorCode.INVALID_CONFIG_EXCEPTION,
      `Could not parse value '${raw}' for key '${TableOptions.REPLICATION_FACTOR}'. ${(e as Error).message}`,
    );
  }
  if (rf <= 0) {
    throw new FlussError(ErrorCode.INVALID_REPLICATION_FACTOR, "Replication factor must be larger than 0.");
  }
  if (rf > TABLET_SERVER_COUNT) {
    throw new FlussError(
      ErrorCode.INVALID_REPLICATION_FACTOR,
      `Replication factor: ${rf} larger than available tablet servers: ${TABLET_SERVER_COUNT}.`,
    );
  }
}

/**
 * Everything CreateTable does before touching the catalog. Errors: INVALID_TABLE_EXCEPTION
 * (bad JSON, bad definition), INVALID_CONFIG_EXCEPTION (bad properties),
 * INVALID_REPLICATION_FACTOR, BUCKET_MAX_NUM_EXCEPTION, ... exactly as the validation says.
 */
export function prepareTable(tableJson: Uint8Array): PreparedTable {
  const parsed = parseTableJson(tableJson);
  const withDefaults = applyTableDefaults(parsed);
  validateTableDescriptor(withDefaults);
  // partitioned tables get their assignment (and this check) per partition
  if (!withDefaults.isPartitioned) checkReplicationFactor(withDefaults);
  const descriptor = withDefaults.with({
    properties: javaHashMapOrder(withDefaults.properties),
    customProperties: javaHashMapOrder(withDefaults.customProperties),
  });
  return { descriptor, tableJson: tableDescriptorToJson(descriptor), schemaJson: schemaToJson(descriptor.schema) };
}
