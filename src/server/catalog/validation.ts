/**
 * Server-side table checks on create (Java `CoordinatorService.applySystemDefaults` and
 * `TableDescriptorValidation.validateTableDescriptor`), throwing `FlussError`s with the codes
 * and messages a Java coordinator answers with.
 */

import { ErrorCode, FlussError } from "../../rpc/errors.js";
import { type DataType, type DataTypeRoot, typeToString } from "../../metadata/data-types.js";
import { validateAutoPartitionTimeFormat } from "./auto-partition.js";
import { PARTITION_KEY_SUPPORTED_TYPES } from "../../metadata/partition.js";
import { aggFunctionToString, validateAggFunction } from "../../metadata/agg-function.js";
import type { TableDescriptor } from "../../metadata/table-descriptor.js";
import {
  AUTO_PARTITION_TIME_UNITS,
  CHANGELOG_IMAGES,
  DATA_LAKE_FORMATS,
  DELETE_BEHAVIORS,
  KV_FORMATS,
  LOG_FORMATS,
  MERGE_ENGINE_TYPES,
  TABLE_OPTIONS,
  TABLE_OPTION_PREFIX,
  TableOptions,
  checkTableOptionValue,
  parseJavaBoolean,
  parseJavaDuration,
  parseJavaEnum,
  parseJavaInt,
} from "../../metadata/table-options.js";

/** Column names reserved for system columns (Java `TableDescriptor` constants). */
export const RESERVED_COLUMN_NAMES: readonly string[] = [
  "__offset",
  "__timestamp",
  "__bucket",
  "_change_type",
  "_log_offset",
  "_commit_timestamp",
];

/** Cluster `max.bucket.num` default. */
const DEFAULT_MAX_BUCKET_NUM = 4096;
/** The KV format version servers write for new PK tables (`CURRENT_KV_FORMAT_VERSION`). */
const CURRENT_KV_FORMAT_VERSION = 2;

const KEY_UNSUPPORTED_TYPES: readonly DataTypeRoot[] = ["ARRAY", "MAP", "ROW"];

/** Cluster settings that influence table creation. */
export interface TableCreationDefaults {
  /** `default.bucket.number` (1). */
  readonly defaultBucketNumber?: number;
  /** `default.replication.factor` (1). */
  readonly defaultReplicationFactor?: number;
  /** `datalake.format` of the cluster, if configured (lowercase, e.g. `paimon`). */
  readonly dataLakeFormat?: string;
  /** Whether the cluster allows datalake-enabled tables (default false). */
  readonly dataLakeTablesEnabled?: boolean;
}

function invalidTable(message: string): FlussError {
  return new FlussError(ErrorCode.INVALID_TABLE_EXCEPTION, message);
}

function invalidConfig(message: string): FlussError {
  return new FlussError(ErrorCode.INVALID_CONFIG_EXCEPTION, message);
}

/**
 * Java `applySystemDefaults`: fills in the bucket count, `table.replication.factor`,
 * num-precreate 0 for multi-key auto-partitioned tables, the cluster's datalake format,
 * `table.delete.behavior`=IGNORE for first_row/versioned/aggregation PK tables, and for PK
 * tables `table.kv.format-version`=2 and `table.kv.standby-replica.enabled`=true.
 * New properties are appended after the existing ones.
 */
export function applyTableDefaults(desc: TableDescriptor, cluster: TableCreationDefaults = {}): TableDescriptor {
  let d = desc;
  if (d.bucketCount === undefined) d = d.withBucketCount(cluster.defaultBucketNumber ?? 1);
  const props: Record<string, string> = { ...d.properties };
  const original = desc.properties;
  if (!(TableOptions.REPLICATION_FACTOR in props)) {
    props[TableOptions.REPLICATION_FACTOR] = String(cluster.defaultReplicationFactor ?? 1);
  }
  if (
    d.partitionKeys.length > 1 &&
    original[TableOptions.AUTO_PARTITION_ENABLED] === "true" &&
    !(TableOptions.AUTO_PARTITION_NUM_PRECREATE in original)
  ) {
    props[TableOptions.AUTO_PARTITION_NUM_PRECREATE] = "0";
  }
  if (cluster.dataLakeFormat !== undefined && !(TableOptions.DATALAKE_FORMAT in original)) {
    props[TableOptions.DATALAKE_FORMAT] = cluster.dataLakeFormat.toLowerCase();
  }
  const lake = original[TableOptions.DATALAKE_ENABLED];
  if (lake !== undefined && lake.trim().toLowerCase() === "true" && !cluster.dataLakeTablesEnabled) {
    throw invalidTable(
      `'${TableOptions.DATALAKE_ENABLED}' is enabled for the table, but the Fluss cluster doesn't enable datalake tables.`,
    );
  }
  const engine = original[TableOptions.MERGE_ENGINE];
  if (engine !== undefined && desc.hasPrimaryKey && !(TableOptions.DELETE_BEHAVIOR in original)) {
    const e = engine.trim().toUpperCase();
    if (e === "FIRST_ROW" || e === "VERSIONED" || e === "AGGREGATION") props[TableOptions.DELETE_BEHAVIOR] = "IGNORE";
  }
  if (d.hasPrimaryKey) {
    const fv = props[TableOptions.KV_FORMAT_VERSION];
    if (fv === undefined) props[TableOptions.KV_FORMAT_VERSION] = String(CURRENT_KV_FORMAT_VERSION);
    else {
      const version = withConfigReason(TableOptions.KV_FORMAT_VERSION, () => parseJavaInt(fv));
      if (version > CURRENT_KV_FORMAT_VERSION) {
        throw invalidConfig(
          `Unsupported kv format version ${version}. The maximum supported version is ${CURRENT_KV_FORMAT_VERSION}.`,
        );
      }
    }
    if (!(TableOptions.KV_STANDBY_REPLICA_ENABLED in props)) props[TableOptions.KV_STANDBY_REPLICA_ENABLED] = "true";
  }
  return d.withProperties(props);
}

function withConfigReason<T>(key: string, fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    throw invalidConfig(`Invalid value for config '${key}'. Reason: ${(e as Error).message}`);
  }
}

function typeOf(desc: TableDescriptor, column: string): DataType {
  const i = desc.schema.indexOf(column);
  if (i < 0) throw invalidTable(`Column '${column}' does not exist in the schema.`);
  return desc.schema.columns[i]!.type;
}

/**
 * Java `TableDescriptorValidation.validateTableDescriptor` (call after
 * {@link applyTableDefaults}): unknown `table.*` properties and bad values →
 * INVALID_CONFIG_EXCEPTION; missing distribution/bucket count, ARRAY/MAP/ROW key columns,
 * unsupported partition key types, reserved column names → INVALID_TABLE_EXCEPTION; bucket
 * count above `maxBucketNum` → BUCKET_MAX_NUM_EXCEPTION; format/merge-engine/delete-behavior/
 * auto-partition rules → INVALID_CONFIG_EXCEPTION or INVALID_TABLE_EXCEPTION as in Java.
 */
export function validateTableDescriptor(
  desc: TableDescriptor,
  options: { maxBucketNum?: number; clusterDataLakeFormat?: string } = {},
): void {
  const p = desc.properties;
  for (const [key, value] of Object.entries(p)) {
    const spec = TABLE_OPTIONS.get(key);
    if (!spec) {
      if (key.startsWith(TABLE_OPTION_PREFIX)) {
        throw invalidConfig(
          `'${key}' is not a recognized Fluss table property in the current cluster version. ` +
            "You may be using an older Fluss cluster that does not support this property.",
        );
      }
      throw invalidConfig(`'${key}' is not a Fluss table property. Please use '.customProperty(..)' to set custom properties.`);
    }
    // Java Configuration.getOptional wraps every conversion failure the same way
    try {
      checkTableOptionValue(spec, value);
    } catch {
      throw invalidConfig(`Invalid value for config '${key}'. Reason: Could not parse value '${value}' for key '${key}'.`);
    }
  }
  const hasPk = desc.hasPrimaryKey;

  // distribution
  if (!desc.distribution) throw invalidTable("Table distribution is required.");
  const bucketCount = desc.distribution.bucketCount;
  if (bucketCount === undefined) throw invalidTable("Bucket number must be set.");
  const maxBuckets = options.maxBucketNum ?? DEFAULT_MAX_BUCKET_NUM;
  if (bucketCount > maxBuckets) {
    throw new FlussError(
      ErrorCode.BUCKET_MAX_NUM_EXCEPTION,
      `Bucket count ${bucketCount} exceeds the maximum limit ${maxBuckets} for a non-partitioned table or partition.`,
    );
  }
  for (const k of desc.distribution.bucketKeys) {
    const t = typeOf(desc, k);
    if (KEY_UNSUPPORTED_TYPES.includes(t.root)) {
      throw invalidTable(
        `Bucket key column '${k}' has unsupported data type ${typeToString(t)}. ` +
          `Currently, bucket key column does not support types: [${KEY_UNSUPPORTED_TYPES.join(", ")}].`,
      );
    }
  }
  for (const k of desc.schema.primaryKeys) {
    const t = typeOf(desc, k);
    if (KEY_UNSUPPORTED_TYPES.includes(t.root)) {
      throw invalidTable(
        `Primary key column '${k}' has unsupported data type ${typeToString(t)}. ` +
          `Currently, primary key column does not support types: [${KEY_UNSUPPORTED_TYPES.join(", ")}].`,
      );
    }
  }

  // replication factor
  const rf = p[TableOptions.REPLICATION_FACTOR];
  if (rf === undefined) throw invalidConfig(`Missing required table property '${TableOptions.REPLICATION_FACTOR}'.`);
  if (parseJavaInt(rf) <= 0) throw invalidConfig(`'${TableOptions.REPLICATION_FACTOR}' must be greater than 0.`);

  // log format vs kv format
  const get = <T extends string>(key: string, values: readonly T[], dflt: T): T =>
    p[key] === undefined ? dflt : parseJavaEnum(p[key]!, values, key);
  const kvFormat = get(TableOptions.KV_FORMAT, KV_FORMATS, "COMPACTED");
  const logFormat = get(TableOptions.LOG_FORMAT, LOG_FORMATS, "ARROW");
  if (hasPk && kvFormat === "COMPACTED" && !(logFormat === "ARROW" || logFormat === "COMPACTED")) {
    throw invalidConfig("Currently, Primary Key Table supports ARROW or COMPACTED log format when kv format is COMPACTED.");
  }

  // arrow compression
  const level = p[TableOptions.ARROW_COMPRESSION_ZSTD_LEVEL];
  if (level !== undefined) {
    const lv = parseJavaInt(level);
    if (lv < 1 || lv > 22) throw invalidConfig(`Invalid ZSTD compression level: ${lv}. Expected a value between 1 and 22.`);
  }

  // merge engine
  const engine =
    p[TableOptions.MERGE_ENGINE] === undefined ? undefined : get(TableOptions.MERGE_ENGINE, MERGE_ENGINE_TYPES, "FIRST_ROW");
  if (engine !== "AGGREGATION") {
    const withAgg = desc.schema.columns.find((c) => c.aggFunction);
    if (withAgg) {
      throw invalidConfig(
        `Aggregation function is only supported for aggregation merge engine table, but column '${withAgg.name}' has aggregation function '${aggFunctionToString(withAgg.aggFunction!)}'.`,
      );
    }
  }
  if (engine !== undefined) {
    if (!hasPk) throw invalidConfig("Merge engine is only supported in primary key table.");
    if (engine === "VERSIONED") {
      const col = p[TableOptions.MERGE_ENGINE_VERSION_COLUMN];
      if (col === undefined) {
        throw invalidConfig(`'${TableOptions.MERGE_ENGINE_VERSION_COLUMN}' must be set for versioned merge engine.`);
      }
      const i = desc.schema.indexOf(col);
      if (i < 0) {
        throw invalidConfig(`The version column '${col}' for versioned merge engine doesn't exist in schema.`);
      }
      const t = desc.schema.columns[i]!.type;
      const ok: DataTypeRoot[] = ["INTEGER", "BIGINT", "TIMESTAMP_WITHOUT_TIME_ZONE", "TIMESTAMP_WITH_LOCAL_TIME_ZONE"];
      if (!ok.includes(t.root)) {
        throw invalidConfig(
          `The version column '${col}' for versioned merge engine must be one type of [INT, BIGINT, TIMESTAMP, TIMESTAMP_LTZ], but got ${typeToString(t)}.`,
        );
      }
    } else if (engine === "AGGREGATION") {
      if (get(TableOptions.CHANGELOG_IMAGE, CHANGELOG_IMAGES, "FULL") === "WAL") {
        throw invalidConfig(
          "Table with 'AGGREGATION' merge engine does not support 'WAL' changelog image mode. " +
            "Aggregation merge engine tables require FULL changelog image mode for correct UNDO recovery. " +
            `Please set '${TableOptions.CHANGELOG_IMAGE}' to 'FULL' or remove the setting.`,
        );
      }
      // TableDescriptorValidation.validateAggregationFunctionParameters: key columns are skipped
      for (const c of desc.schema.columns) {
        if (!c.aggFunction || desc.schema.primaryKeys.includes(c.name)) continue;
        try {
          validateAggFunction(c.aggFunction, c.type);
        } catch (e) {
          throw invalidConfig(`Invalid aggregation function for column '${c.name}': ${(e as Error).message}`);
        }
      }
    }
  }

  // delete behavior
  const deleteBehavior = p[TableOptions.DELETE_BEHAVIOR];
  if (!hasPk && deleteBehavior !== undefined) {
    throw invalidConfig("The 'table.delete.behavior' configuration is only supported for primary key tables.");
  }
  if (
    (engine === "FIRST_ROW" || engine === "VERSIONED") &&
    deleteBehavior !== undefined &&
    parseJavaEnum(deleteBehavior, DELETE_BEHAVIORS) === "ALLOW"
  ) {
    throw invalidConfig(
      `Table with '${engine}' merge engine does not support delete operations. ` +
        "The 'table.delete.behavior' config must be set to 'ignore' or 'disable', but got 'allow'.",
    );
  }

  // tiered log
  const localSegments = p[TableOptions.LOG_TIERED_LOCAL_SEGMENTS];
  if (localSegments !== undefined && parseJavaInt(localSegments) <= 0) {
    throw invalidConfig(`'${TableOptions.LOG_TIERED_LOCAL_SEGMENTS}' must be greater than 0.`);
  }
  const localTtl = p[TableOptions.LOG_LOCAL_TTL];
  if (localTtl !== undefined) {
    const local = parseJavaDuration(localTtl);
    const ttl = parseJavaDuration(p[TableOptions.LOG_TTL] ?? "7 d");
    if (local > 0 && ttl > 0 && local > ttl) {
      throw invalidConfig(`'${TableOptions.LOG_LOCAL_TTL}' must be less than or equal to '${TableOptions.LOG_TTL}'.`);
    }
  }

  checkPartition(desc);

  // reserved column names
  const reserved = desc.schema.columnNames.filter((n) => RESERVED_COLUMN_NAMES.includes(n));
  if (reserved.length) {
    throw invalidTable(
      `${reserved.join(", ")} cannot be used as column names, because they are reserved system columns in Fluss. ` +
        `Please use other names for these columns. The reserved system columns are: ${RESERVED_COLUMN_NAMES.join(", ")}`,
    );
  }

  // table lake format must match the cluster's
  const lakeEnabled = p[TableOptions.DATALAKE_ENABLED];
  const tableLake = p[TableOptions.DATALAKE_FORMAT];
  if (
    options.clusterDataLakeFormat !== undefined &&
    lakeEnabled !== undefined &&
    parseJavaBoolean(lakeEnabled) &&
    tableLake !== undefined &&
    parseJavaEnum(tableLake, DATA_LAKE_FORMATS) !== options.clusterDataLakeFormat.toUpperCase()
  ) {
    throw invalidConfig(
      `'${TableOptions.DATALAKE_FORMAT}' ('${tableLake.toLowerCase()}') must match cluster 'datalake.format' ('${options.clusterDataLakeFormat.toLowerCase()}') when '${TableOptions.DATALAKE_ENABLED}' is enabled.`,
    );
  }
}

function checkPartition(desc: TableDescriptor): void {
  const p = desc.properties;
  const keys = desc.partitionKeys;
  const enabled =
    p[TableOptions.AUTO_PARTITION_ENABLED] !== undefined && parseJavaBoolean(p[TableOptions.AUTO_PARTITION_ENABLED]!);
  if (keys.length === 0) {
    if (enabled) {
      throw invalidConfig(
        `Currently, auto partition is only supported for partitioned table, please set table property '${TableOptions.AUTO_PARTITION_ENABLED}' to false.`,
      );
    }
    return;
  }
  for (const k of keys) {
    const t = typeOf(desc, k);
    if (!PARTITION_KEY_SUPPORTED_TYPES.includes(t.root)) {
      throw invalidTable(
        `Currently, partitioned table supported partition key type are [${PARTITION_KEY_SUPPORTED_TYPES.join(", ")}], ` +
          `but got partition key '${k}' with data type ${typeToString(t)}.`,
      );
    }
  }
  const unitText = p[TableOptions.AUTO_PARTITION_TIME_UNIT];
  const unit = unitText === undefined ? "DAY" : parseJavaEnum(unitText, AUTO_PARTITION_TIME_UNITS);
  const format = p[TableOptions.AUTO_PARTITION_TIME_FORMAT];
  if (format !== undefined) {
    try {
      validateAutoPartitionTimeFormat(format, unit);
    } catch (e) {
      throw invalidTable(`Invalid table property '${TableOptions.AUTO_PARTITION_TIME_FORMAT}': ${(e as Error).message}`);
    }
  }
  if (!enabled) return;
  const autoKey = p[TableOptions.AUTO_PARTITION_KEY];
  const hasKey = autoKey !== undefined && autoKey.trim() !== "";
  if (keys.length > 1) {
    if (!hasKey) {
      throw invalidTable(
        "Currently, auto partitioned table must set one auto partition key when it has multiple partition keys. " +
          `Please set table property '${TableOptions.AUTO_PARTITION_KEY}'.`,
      );
    }
    if (!keys.includes(autoKey!)) {
      throw invalidTable(
        `The specified key for auto partitioned table is not a partition key. Your key '${autoKey}' is not in key list [${keys.join(", ")}]`,
      );
    }
    const pre = p[TableOptions.AUTO_PARTITION_NUM_PRECREATE];
    const numPre = pre === undefined ? 2 : parseJavaInt(pre);
    if (numPre > 0) {
      throw invalidTable(
        `For a partitioned table with multiple partition keys, auto pre-create is unsupported and this value must be set to 0, but is ${numPre}`,
      );
    }
  }
  const key = hasKey ? autoKey! : keys[0]!;
  if (typeOf(desc, key).root === "DATE") {
    if (unit !== "DAY") {
      throw invalidTable(
        `Table property '${TableOptions.AUTO_PARTITION_TIME_UNIT}' must be 'DAY' when auto partition key '${key}' has DATE type.`,
      );
    }
    if (format !== "yyyy-MM-dd") {
      throw invalidTable(
        `Table property '${TableOptions.AUTO_PARTITION_TIME_FORMAT}' must be 'yyyy-MM-dd' when auto partition key '${key}' has DATE type.`,
      );
    }
  }
}
