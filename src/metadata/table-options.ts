/**
 * The `table.*` options a Fluss cluster knows (every `ConfigOptions` entry whose key starts
 * with "table."), their value types and defaults, and Java-compatible value parsing
 * (`ConfigurationUtils`: enums case-insensitive, booleans `true`/`false`, durations like `7 d`).
 */

/** Value type of a table option. */
type TableOptionType = "int" | "long" | "boolean" | "string" | "duration" | "enum";

/** One known table option. */
export interface TableOptionSpec {
  readonly key: string;
  readonly type: TableOptionType;
  /** Java's default rendered as a string; absent for options without a default. */
  readonly defaultValue?: string;
  /** Allowed values of enum options (Java enum constant names). */
  readonly values?: readonly string[];
}

/** Option keys used by this library. */
export const TableOptions = {
  REPLICATION_FACTOR: "table.replication.factor",
  LOG_FORMAT: "table.log.format",
  ARROW_COMPRESSION_TYPE: "table.log.arrow.compression.type",
  ARROW_COMPRESSION_ZSTD_LEVEL: "table.log.arrow.compression.zstd.level",
  KV_FORMAT: "table.kv.format",
  KV_FORMAT_VERSION: "table.kv.format-version",
  KV_STANDBY_REPLICA_ENABLED: "table.kv.standby-replica.enabled",
  AUTO_PARTITION_ENABLED: "table.auto-partition.enabled",
  AUTO_PARTITION_KEY: "table.auto-partition.key",
  AUTO_PARTITION_TIME_UNIT: "table.auto-partition.time-unit",
  AUTO_PARTITION_TIME_FORMAT: "table.auto-partition.time-format",
  AUTO_PARTITION_TIME_ZONE: "table.auto-partition.time-zone",
  AUTO_PARTITION_NUM_PRECREATE: "table.auto-partition.num-precreate",
  AUTO_PARTITION_NUM_RETENTION: "table.auto-partition.num-retention",
  LOG_TTL: "table.log.ttl",
  LOG_TIERED_LOCAL_SEGMENTS: "table.log.tiered.local-segments",
  LOG_LOCAL_TTL: "table.log.local-ttl",
  DATALAKE_ENABLED: "table.datalake.enabled",
  DATALAKE_HISTORICAL_PARTITION_ENABLED: "table.datalake.historical-partition.enabled",
  DATALAKE_FORMAT: "table.datalake.format",
  DATALAKE_FRESHNESS: "table.datalake.freshness",
  DATALAKE_AUTO_COMPACTION: "table.datalake.auto-compaction",
  DATALAKE_AUTO_EXPIRE_SNAPSHOT: "table.datalake.auto-expire-snapshot",
  MERGE_ENGINE: "table.merge-engine",
  MERGE_ENGINE_VERSION_COLUMN: "table.merge-engine.versioned.ver-column",
  DELETE_BEHAVIOR: "table.delete.behavior",
  AUTO_INCREMENT_CACHE_SIZE: "table.auto-increment.cache-size",
  CHANGELOG_IMAGE: "table.changelog.image",
  STATISTICS_COLUMNS: "table.statistics.columns",
} as const;

/**
 * `table.log.format`: how log records are stored and sent. `ARROW` (default for log
 * tables) is columnar; `INDEXED` and `COMPACTED` are row formats.
 */
export type LogFormat = "ARROW" | "INDEXED" | "COMPACTED";
/** `table.kv.format`: the row format of primary-key table KV batches (default `COMPACTED`). */
export type KvFormat = "COMPACTED" | "INDEXED";
/** `table.log.arrow.compression.type` (default `ZSTD`, level from `table.log.arrow.compression.zstd.level`, 3). */
export type ArrowCompressionType = "NONE" | "LZ4_FRAME" | "ZSTD";
/**
 * `table.merge-engine` of a primary-key table (the property is case-insensitive,
 * e.g. `"versioned"`); when unset, an upsert replaces the stored row.
 */
export type MergeEngineType = "FIRST_ROW" | "VERSIONED" | "AGGREGATION";
/** `table.delete.behavior`: whether deletes on a primary-key table are applied, ignored or refused. */
export type DeleteBehavior = "ALLOW" | "IGNORE" | "DISABLE";
/**
 * `table.changelog.image` of a primary-key table: `FULL` (default) writes `-U` and `+U`
 * for an update; `WAL` only `+U` (the old image is not tracked).
 */
export type ChangelogImage = "FULL" | "WAL";
export type AutoPartitionTimeUnit = "YEAR" | "QUARTER" | "MONTH" | "DAY" | "HOUR";
export type DataLakeFormat = "PAIMON" | "LANCE" | "ICEBERG" | "HUDI";

export const LOG_FORMATS: readonly LogFormat[] = ["ARROW", "INDEXED", "COMPACTED"];
export const KV_FORMATS: readonly KvFormat[] = ["COMPACTED", "INDEXED"];
export const ARROW_COMPRESSION_TYPES: readonly ArrowCompressionType[] = ["NONE", "LZ4_FRAME", "ZSTD"];
export const MERGE_ENGINE_TYPES: readonly MergeEngineType[] = ["FIRST_ROW", "VERSIONED", "AGGREGATION"];
export const DELETE_BEHAVIORS: readonly DeleteBehavior[] = ["ALLOW", "IGNORE", "DISABLE"];
export const CHANGELOG_IMAGES: readonly ChangelogImage[] = ["FULL", "WAL"];
export const AUTO_PARTITION_TIME_UNITS: readonly AutoPartitionTimeUnit[] = ["YEAR", "QUARTER", "MONTH", "DAY", "HOUR"];
export const DATA_LAKE_FORMATS: readonly DataLakeFormat[] = ["PAIMON", "LANCE", "ICEBERG", "HUDI"];

/** Defaults the client and server rely on. */
export const TABLE_DEFAULTS = {
  logFormat: "ARROW" as LogFormat,
  kvFormat: "COMPACTED" as KvFormat,
  arrowCompressionType: "ZSTD" as ArrowCompressionType,
  arrowCompressionZstdLevel: 3,
  /** Cluster `default.replication.factor` applied on create when the table sets none. */
  replicationFactor: 1,
  /** Cluster `default.bucket.number` applied on create when the table sets none. */
  bucketCount: 1,
  deleteBehavior: "ALLOW" as DeleteBehavior,
  changelogImage: "FULL" as ChangelogImage,
  autoPartitionEnabled: false,
  autoPartitionTimeUnit: "DAY" as AutoPartitionTimeUnit,
  autoPartitionNumPrecreate: 2,
  autoPartitionNumRetention: 7,
} as const;

// prettier-ignore
const SPECS: readonly TableOptionSpec[] = [
  { key: TableOptions.REPLICATION_FACTOR, type: "int" },
  { key: TableOptions.LOG_FORMAT, type: "enum", defaultValue: "ARROW", values: LOG_FORMATS },
  { key: TableOptions.ARROW_COMPRESSION_TYPE, type: "enum", defaultValue: "ZSTD", values: ARROW_COMPRESSION_TYPES },
  { key: TableOptions.ARROW_COMPRESSION_ZSTD_LEVEL, type: "int", defaultValue: "3" },
  { key: TableOptions.KV_FORMAT, type: "enum", defaultValue: "COMPACTED", values: KV_FORMATS },
  { key: TableOptions.KV_FORMAT_VERSION, type: "int" },
  { key: TableOptions.KV_STANDBY_REPLICA_ENABLED, type: "boolean" },
  { key: TableOptions.AUTO_PARTITION_ENABLED, type: "boolean", defaultValue: "false" },
  { key: TableOptions.AUTO_PARTITION_KEY, type: "string" },
  { key: TableOptions.AUTO_PARTITION_TIME_UNIT, type: "enum", defaultValue: "DAY", values: AUTO_PARTITION_TIME_UNITS },
  { key: TableOptions.AUTO_PARTITION_TIME_FORMAT, type: "string" },
  // Java's default is the JVM's zone; ours is the process's (see defaultTimeZone()).
  { key: TableOptions.AUTO_PARTITION_TIME_ZONE, type: "string" },
  { key: TableOptions.AUTO_PARTITION_NUM_PRECREATE, type: "int", defaultValue: "2" },
  { key: TableOptions.AUTO_PARTITION_NUM_RETENTION, type: "int", defaultValue: "7" },
  { key: TableOptions.LOG_TTL, type: "duration", defaultValue: "7 d" },
  { key: TableOptions.LOG_TIERED_LOCAL_SEGMENTS, type: "int", defaultValue: "2" },
  { key: TableOptions.LOG_LOCAL_TTL, type: "duration" },
  { key: TableOptions.DATALAKE_ENABLED, type: "boolean", defaultValue: "false" },
  { key: TableOptions.DATALAKE_HISTORICAL_PARTITION_ENABLED, type: "boolean", defaultValue: "false" },
  { key: TableOptions.DATALAKE_FORMAT, type: "enum", values: DATA_LAKE_FORMATS },
  { key: TableOptions.DATALAKE_FRESHNESS, type: "duration", defaultValue: "3 min" },
  { key: TableOptions.DATALAKE_AUTO_COMPACTION, type: "boolean", defaultValue: "false" },
  { key: TableOptions.DATALAKE_AUTO_EXPIRE_SNAPSHOT, type: "boolean", defaultValue: "false" },
  { key: TableOptions.MERGE_ENGINE, type: "enum", values: MERGE_ENGINE_TYPES },
  { key: TableOptions.MERGE_ENGINE_VERSION_COLUMN, type: "string" },
  { key: TableOptions.DELETE_BEHAVIOR, type: "enum", defaultValue: "ALLOW", values: DELETE_BEHAVIORS },
  { key: TableOptions.AUTO_INCREMENT_CACHE_SIZE, type: "long", defaultValue: "100000" },
  { key: TableOptions.CHANGELOG_IMAGE, type: "enum", defaultValue: "FULL", values: CHANGELOG_IMAGES },
  { key: TableOptions.STATISTICS_COLUMNS, type: "string" },
];

/** Every known table option by key. */
export const TABLE_OPTIONS: ReadonlyMap<string, TableOptionSpec> = new Map(SPECS.map((s) => [s.key, s]));

/** Prefix of table storage options (anything else belongs in custom properties). */
export const TABLE_OPTION_PREFIX = "table.";

/** Whether `key` is a `table.*` option this cluster version knows. */
export function isKnownTableOption(key: string): boolean {
  return TABLE_OPTIONS.has(key);
}

/** The process's time zone, standing in for Java's JVM default zone. */
export function defaultTimeZone(): string {
  return Intl.DateTimeFormat().resolvedOptions().timeZone || "UTC";
}

/** Parses an int like Java (`Long.parseLong(trimmed)` then int range); throws Error with a reason. */
export function parseJavaInt(raw: string, bits: 32 | 64 = 32): number {
  const s = raw.trim();
  if (!/^[+-]?\d+$/.test(s)) throw new Error(`For input string: "${s}"`);
  const v = BigInt(s);
  const max = bits === 32 ? 2n ** 31n - 1n : 2n ** 63n - 1n;
  if (v > max || v < -max - 1n) {
    throw new Error(bits === 32 ? `Configuration value ${s} overflows/underflows the integer type.` : `For input string: "${s}"`);
  }
  return Number(v);
}

/** Parses a boolean like Java's `ConfigurationUtils.convertToBoolean`. */
export function parseJavaBoolean(raw: string): boolean {
  const s = raw.trim().toLowerCase();
  if (s === "true") return true;
  if (s === "false") return false;
  throw new Error(`Unrecognized option for boolean: ${raw}. Expected either true or false(case insensitive)`);
}

/** Parses an enum value case-insensitively; returns the canonical constant name. */
export function parseJavaEnum<T extends string>(raw: string, values: readonly T[], enumName = "enum"): T {
  const up = raw.trim().toUpperCase();
  const hit = values.find((v) => v === up);
  if (hit === undefined) {
    throw new Error(`Could not parse value for enum ${enumName}. Expected one of: [${values.join(", ")}]`);
  }
  return hit;
}

const DURATION_UNITS: readonly [readonly string[], number][] = [
  [["ns", "nano", "nanos", "nanosecond", "nanoseconds"], 1e-6],
  [["µs", "micro", "micros", "microsecond", "microseconds"], 1e-3],
  [["ms", "milli", "millis", "millisecond", "milliseconds"], 1],
  [["s", "sec", "secs", "second", "seconds"], 1000],
  [["m", "min", "minute", "minutes"], 60_000],
  [["h", "hour", "hours"], 3_600_000],
  [["d", "day", "days"], 86_400_000],
];

/** Parses a duration like Java's `TimeUtils.parseDuration` (`"7 d"`, `"3min"`, `"100"` = ms); returns ms. */
export function parseJavaDuration(raw: string): number {
  const m = /^(\d+)\s*([^\d\s]*)$/.exec(raw.trim().toLowerCase());
  if (!m) throw new Error(`Could not parse duration '${raw}'`);
  const n = Number(m[1]);
  const unit = m[2]!;
  if (unit === "") return n;
  for (const [labels, factor] of DURATION_UNITS) {
    if (labels.includes(unit)) return n * factor;
  }
  throw new Error(
    `Time interval unit label '${unit}' does not match any of the recognized units: DAYS: (d | day | days), HOURS: (h | hour | hours), MINUTES: (m | min | minute | minutes), SECONDS: (s | sec | secs | second | seconds), MILLISECONDS: (ms | milli | millis | millisecond | milliseconds), MICROSECONDS: (µs | micro | micros | microsecond | microseconds), NANOSECONDS: (ns | nano | nanos | nanosecond | nanoseconds)`,
  );
}

/**
 * Checks that `raw` is a valid value for the option; throws an Error whose message is the
 * reason (the server wraps it as INVALID_CONFIG_EXCEPTION).
 */
export function checkTableOptionValue(spec: TableOptionSpec, raw: string): void {
  switch (spec.type) {
    case "int":
      parseJavaInt(raw, 32);
      return;
    case "long":
      parseJavaInt(raw, 64);
      return;
    case "boolean":
      parseJavaBoolean(raw);
      return;
    case "duration":
      parseJavaDuration(raw);
      return;
    case "enum":
      parseJavaEnum(raw, spec.values ?? [], spec.key);
      return;
    default:
      return;
  }
}
