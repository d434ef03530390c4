/**
 * `TableInfo`: a created table as the server describes it (GetTableInfo / metadata),
 * with typed accessors for the table options clients need.
 */

import { ErrorCode, FlussError } from "../rpc/errors.js";
import type { RowType } from "./data-types.js";
import { type JsonInput, tableDescriptorFromJson } from "./json.js";
import type { Schema } from "./schema.js";
import { TableDescriptor } from "./table-descriptor.js";
import {
  ARROW_COMPRESSION_TYPES,
  type ArrowCompressionType,
  AUTO_PARTITION_TIME_UNITS,
  type AutoPartitionTimeUnit,
  CHANGELOG_IMAGES,
  type ChangelogImage,
  DELETE_BEHAVIORS,
  type DeleteBehavior,
  KV_FORMATS,
  type KvFormat,
  LOG_FORMATS,
  type LogFormat,
  MERGE_ENGINE_TYPES,
  type MergeEngineType,
  TABLE_DEFAULTS,
  TableOptions,
  defaultTimeZone,
  parseJavaBoolean,
  parseJavaEnum,
  parseJavaInt,
} from "./table-options.js";
import type { TablePath } from "./table-path.js";

/** Arrow log compression settings of a table. */
export interface ArrowCompressionInfo {
  /** The codec (`table.log.arrow.compression.type`, default ZSTD). */
  readonly type: ArrowCompressionType;
  /** ZSTD level (1–22); -1 for other codecs, like Java's `ArrowCompressionInfo`. */
  readonly level: number;
}

/** Auto-partitioning settings of a table (Java `AutoPartitionStrategy`). */
export interface AutoPartitionStrategy {
  /** `table.auto-partition.enabled` (default false). */
  readonly enabled: boolean;
  /** The auto-partition key (only needed with several partition keys). */
  readonly key?: string;
  /** One partition per this unit of time (default DAY). */
  readonly timeUnit: AutoPartitionTimeUnit;
  /** `table.auto-partition.time-format`, if set (else the unit's default format). */
  readonly timeFormat?: string;
  /** Time zone of partition boundaries (default: this process's zone). */
  readonly timeZone: string;
  /** Partitions created ahead of time (default 2). */
  readonly numPrecreate: number;
  /** Past partitions kept before being dropped (default 7). */
  readonly numRetention: number;
}

/** Everything a {@link TableInfo} is made of. */
export interface TableInfoInit {
  /** Database and table name. */
  readonly tablePath: TablePath;
  /** The id the server assigned. */
  readonly tableId: number;
  /** The id of the schema version. */
  readonly schemaId: number;
  /** Schema, distribution (with a bucket count) and properties. */
  readonly descriptor: TableDescriptor;
  /** Creation time, epoch ms. */
  readonly createdTime: number;
  /** Last modification time, epoch ms. */
  readonly modifiedTime: number;
  /** Remote (tiered) storage directory, if any. */
  readonly remoteDataDir?: string;
}

/**
 * A table's metadata. Immutable. The descriptor must have a bucket count (servers always
 * report one); physical primary keys are the primary keys minus the partition keys.
 */
export class TableInfo {
  /** Database and table name. */
  readonly tablePath: TablePath;
  /** The id the server assigned; a re-created table gets a new one. */
  readonly tableId: number;
  /** The id of the schema version this info describes. */
  readonly schemaId: number;
  /** The table's columns and primary key. */
  readonly schema: Schema;
  /** Partition columns (empty for a non-partitioned table). */
  readonly partitionKeys: readonly string[];
  /** Columns hashed to pick a bucket (empty: rows are spread by the writer). */
  readonly bucketKeys: readonly string[];
  /** Number of buckets (per partition of a partitioned table); ids are 0..numBuckets-1. */
  readonly numBuckets: number;
  /** `table.*` options as stored by the server. */
  readonly properties: Readonly<Record<string, string>>;
  /** Free-form user properties. */
  readonly customProperties: Readonly<Record<string, string>>;
  /** Free-form table comment, if any. */
  readonly comment?: string;
  /** Creation time, epoch ms. */
  readonly createdTime: number;
  /** Last modification time, epoch ms. */
  readonly modifiedTime: number;
  /** The table's remote (tiered) storage directory, if the server reports one. */
  readonly remoteDataDir?: string;
  /** Primary keys excluding partition keys (the key stored per bucket). */
  readonly physicalPrimaryKeys: readonly string[];

  /**
   * Usually obtained from `admin.getTableInfo(path)` or `table.info`. Throws
   * INVALID_TABLE_EXCEPTION when the descriptor has no bucket count.
   */
  constructor(init: TableInfoInit) {
    const d = init.descriptor;
    const numBuckets = d.bucketCount;
    if (numBuckets === undefined) {
      throw new FlussError(ErrorCode.INVALID_TABLE_EXCEPTION, "Bucket count is required for creating table info.");
    }
    this.tablePath = init.tablePath;
    this.tableId = init.tableId;
    this.schemaId = init.schemaId;
    this.schema = d.schema;
    this.partitionKeys = d.partitionKeys;
    this.bucketKeys = d.bucketKeys;
    this.numBuckets = numBuckets;
    this.properties = d.properties;
    this.customProperties = d.customProperties;
    if (d.comment !== undefined) this.comment = d.comment;
    this.createdTime = init.createdTime;
    this.modifiedTime = init.modifiedTime;
    if (init.remoteDataDir !== undefined && init.remoteDataDir !== null) this.remoteDataDir = init.remoteDataDir;
    this.physicalPrimaryKeys = Object.freeze(d.schema.primaryKeys.filter((k) => !d.partitionKeys.includes(k)));
  }

  /** @internal Builds the info from GetTableInfo response pieces (`table_json` as text or bytes). */
  static fromJson(
    tablePath: TablePath,
    tableId: number,
    schemaId: number,
    tableJson: JsonInput,
    createdTime: number,
    modifiedTime: number,
    remoteDataDir?: string,
  ): TableInfo {
    return TableInfo.of(
      tablePath,
      tableId,
      schemaId,
      tableDescriptorFromJson(tableJson),
      createdTime,
      modifiedTime,
      remoteDataDir,
    );
  }

  /** Java `TableInfo.of`: from a descriptor that has a bucket count. */
  static of(
    tablePath: TablePath,
    tableId: number,
    schemaId: number,
    descriptor: TableDescriptor,
    createdTime: number,
    modifiedTime: number,
    remoteDataDir?: string,
  ): TableInfo {
    return new TableInfo({
      tablePath,
      tableId,
      schemaId,
      descriptor,
      createdTime,
      modifiedTime,
      ...(remoteDataDir !== undefined ? { remoteDataDir } : {}),
    });
  }

  /** The columns as a ROW type. */
  get rowType(): RowType {
    return this.schema.rowType;
  }

  /** Primary key columns (empty for log tables). */
  get primaryKeys(): readonly string[] {
    return this.schema.primaryKeys;
  }

  /** Whether the table has a primary key. */
  get hasPrimaryKey(): boolean {
    return this.schema.hasPrimaryKey;
  }

  /** Whether the table has partition keys. */
  get isPartitioned(): boolean {
    return this.partitionKeys.length > 0;
  }

  /** Whether bucket keys are set (otherwise rows are spread over buckets by the writer). */
  get hasBucketKey(): boolean {
    return this.bucketKeys.length > 0;
  }

  /** Whether partitions are created automatically. */
  get isAutoPartitioned(): boolean {
    return this.isPartitioned && this.autoPartition.enabled;
  }

  private option(key: string): string | undefined {
    return this.properties[key];
  }

  private enumOption<T extends string>(key: string, values: readonly T[], fallback: T): T {
    const v = this.option(key);
    return v === undefined ? fallback : parseJavaEnum(v, values, key);
  }

  /** `table.log.format` (default ARROW). */
  get logFormat(): LogFormat {
    return this.enumOption(TableOptions.LOG_FORMAT, LOG_FORMATS, TABLE_DEFAULTS.logFormat);
  }

  /** `table.kv.format` (default COMPACTED). */
  get kvFormat(): KvFormat {
    return this.enumOption(TableOptions.KV_FORMAT, KV_FORMATS, TABLE_DEFAULTS.kvFormat);
  }

  /** `table.kv.format-version`, if set (servers set 2 on new PK tables). */
  get kvFormatVersion(): number | undefined {
    const v = this.option(TableOptions.KV_FORMAT_VERSION);
    return v === undefined ? undefined : parseJavaInt(v);
  }

  /** `table.replication.factor`, if set. */
  get replicationFactor(): number | undefined {
    const v = this.option(TableOptions.REPLICATION_FACTOR);
    return v === undefined ? undefined : parseJavaInt(v);
  }

  /** Arrow log compression: `table.log.arrow.compression.type` (ZSTD) and `.zstd.level` (3). */
  get arrowCompression(): ArrowCompressionInfo {
    const type = this.enumOption(
      TableOptions.ARROW_COMPRESSION_TYPE,
      ARROW_COMPRESSION_TYPES,
      TABLE_DEFAULTS.arrowCompressionType,
    );
    if (type !== "ZSTD") return { type, level: -1 };
    const lv = this.option(TableOptions.ARROW_COMPRESSION_ZSTD_LEVEL);
    return { type, level: lv === undefined ? TABLE_DEFAULTS.arrowCompressionZstdLevel : parseJavaInt(lv) };
  }

  /** `table.merge-engine`, if set. */
  get mergeEngine(): MergeEngineType | undefined {
    const v = this.option(TableOptions.MERGE_ENGINE);
    return v === undefined ? undefined : parseJavaEnum(v, MERGE_ENGINE_TYPES, TableOptions.MERGE_ENGINE);
  }

  /** `table.merge-engine.versioned.ver-column`, if set. */
  get mergeEngineVersionColumn(): string | undefined {
    return this.option(TableOptions.MERGE_ENGINE_VERSION_COLUMN);
  }

  /** `table.delete.behavior` (default ALLOW). */
  get deleteBehavior(): DeleteBehavior {
    return this.enumOption(TableOptions.DELETE_BEHAVIOR, DELETE_BEHAVIORS, TABLE_DEFAULTS.deleteBehavior);
  }

  /** `table.changelog.image` (default FULL). */
  get changelogImage(): ChangelogImage {
    return this.enumOption(TableOptions.CHANGELOG_IMAGE, CHANGELOG_IMAGES, TABLE_DEFAULTS.changelogImage);
  }

  /** `table.datalake.enabled` (default false). */
  get dataLakeEnabled(): boolean {
    const v = this.option(TableOptions.DATALAKE_ENABLED);
    return v === undefined ? false : parseJavaBoolean(v);
  }

  /** `table.datalake.format`, lowercase as Java prints it (`paimon`, ...), if set. */
  get dataLakeFormat(): string | undefined {
    return this.option(TableOptions.DATALAKE_FORMAT)?.toLowerCase();
  }

  /** The `table.auto-partition.*` settings with Java's defaults. */
  get autoPartition(): AutoPartitionStrategy {
    const p = this.properties;
    const int = (key: string, dflt: number): number => (p[key] === undefined ? dflt : parseJavaInt(p[key]!));
    const key = p[TableOptions.AUTO_PARTITION_KEY];
    const timeFormat = p[TableOptions.AUTO_PARTITION_TIME_FORMAT];
    return {
      enabled:
        p[TableOptions.AUTO_PARTITION_ENABLED] === undefined ? false : parseJavaBoolean(p[TableOptions.AUTO_PARTITION_ENABLED]!),
      ...(key !== undefined ? { key } : {}),
      timeUnit: this.enumOption(
        TableOptions.AUTO_PARTITION_TIME_UNIT,
        AUTO_PARTITION_TIME_UNITS,
        TABLE_DEFAULTS.autoPartitionTimeUnit,
      ),
      ...(timeFormat !== undefined ? { timeFormat } : {}),
      timeZone: p[TableOptions.AUTO_PARTITION_TIME_ZONE] ?? defaultTimeZone(),
      numPrecreate: int(TableOptions.AUTO_PARTITION_NUM_PRECREATE, TABLE_DEFAULTS.autoPartitionNumPrecreate),
      numRetention: int(TableOptions.AUTO_PARTITION_NUM_RETENTION, TABLE_DEFAULTS.autoPartitionNumRetention),
    };
  }

  /** The descriptor (always with bucket keys and count), as servers return in `table_json`. */
  toTableDescriptor(): TableDescriptor {
    return new TableDescriptor(this.schema, {
      partitionKeys: this.partitionKeys,
      bucketKeys: this.bucketKeys,
      bucketCount: this.numBuckets,
      ...(this.comment !== undefined ? { comment: this.comment } : {}),
      properties: this.properties,
      customProperties: this.customProperties,
    });
  }

  /** `TableInfo{tablePath=db.t, tableId=.., schemaId=.., numBuckets=..}`, for logs. */
  toString(): string {
    return `TableInfo{tablePath=${this.tablePath}, tableId=${this.tableId}, schemaId=${this.schemaId}, numBuckets=${this.numBuckets}}`;
  }
}
