/**
 * flussjs: the Node.js/TypeScript client for Apache Fluss, and an embedded local cluster.
 *
 * @packageDocumentation
 */

// connection, configuration, admin
export { FlussConnection } from "./client/connection.js";
export { Config, type ConfigInput, type ConfigKey, type ConfigValues, type HostPort } from "./client/config.js";
export { FlussAdmin, type TablePathLike } from "./client/admin.js";
export {
  DatabaseChange,
  type AcquireKvSnapshotLeaseResult,
  type ActiveKvSnapshots,
  type AlterConfig,
  type AlterConfigOpType,
  type BucketKvSnapshot,
  type BucketStats,
  type ClusterHealth,
  type ClusterHealthStatus,
  type ConfigEntry,
  type ConfigSource,
  type FsPathAndFileName,
  type KvSnapshotMetadata,
  type KvSnapshots,
  type LakeBucketOffset,
  type LakeSnapshot,
  type ProducerBucketOffset,
  type ProducerOffsets,
  type RegisterResult,
  type TableBucketSnapshot,
  type TableStats,
} from "./client/admin-types.js";
export { KvSnapshotLease } from "./client/kv-snapshot-lease.js";
export { EARLIEST_OFFSET, LATEST_OFFSET, OffsetSpec } from "./client/offsets.js";
export { FlussTable } from "./client/table.js";

// writing
export { AppendWriter, type AppendWriterOptions } from "./client/write/append-writer.js";
export { UpsertWriter, type UpsertOptions } from "./client/write/upsert-writer.js";
export { WriteResultHandle, type AcceptedWrite } from "./client/write/write-handle.js";

// reading
export { TableScan } from "./client/scan/table-scan.js";
export { Lookuper, PrefixLookuper, type LookupKey } from "./client/lookup/lookuper.js";
export { LogScanner } from "./client/scan/log-scanner.js";
export { BatchScanner, type BucketBatch } from "./client/scan/batch-scanner.js";
export { BucketScanner, type BucketSpec } from "./client/scan/bucket-scanner.js";
export { SnapshotScanner, type SnapshotOffsets } from "./client/scan/snapshot-scanner.js";
export { ScanRecord, ScanRecords, ChangeType, type TableBucketLike } from "./client/scan/scan-records.js";
export type {
  BucketOffsets,
  PartitionBucketOffset,
  PartitionBucketOffsets,
  ReadOptions,
} from "./client/scan/scanner-base.js";

// errors
export { ErrorCode, FlussError, errorName, type ErrorCodeName } from "./rpc/errors.js";

// metadata
export {
  DataTypes,
  notNull,
  withNullability,
  typeToString,
  type DataType,
  type DataTypeRoot,
  type DataField,
  type RowType,
  type BooleanType,
  type TinyIntType,
  type SmallIntType,
  type IntType,
  type BigIntType,
  type FloatType,
  type DoubleType,
  type DecimalType,
  type CharType,
  type StringType,
  type BinaryType,
  type BytesType,
  type DateType,
  type TimeType,
  type TimestampType,
  type TimestampLtzType,
  type ArrayType,
  type MapType,
  type TypeBase,
  type WithNullability,
  type FieldsOf,
} from "./metadata/data-types.js";
export {
  Schema,
  Column,
  SchemaBuilder,
  type ColumnSpec,
  type ColumnOptions,
  type SchemaOptions,
  type SchemaInit,
  type ColumnTypes,
  type ColumnTypesOf,
  type SchemaTypes,
  type KeyColumnName,
} from "./metadata/schema.js";
export { AggFunctions, type AggFunction, type AggFunctionType } from "./metadata/agg-function.js";
export { TableDescriptor, type TableDescriptorOptions, type TableDistribution } from "./metadata/table-descriptor.js";
export { SchemaInfo } from "./metadata/schema-info.js";
export {
  TableChange,
  ColumnPosition,
  ALTERABLE_TABLE_OPTIONS,
  type AddColumn,
  type AddColumnOptions,
  type DropColumn,
  type RenameColumn,
  type ModifyColumn,
  type SetOption,
  type ResetOption,
} from "./metadata/table-change.js";
export { TableInfo, type TableInfoInit, type ArrowCompressionInfo, type AutoPartitionStrategy } from "./metadata/table-info.js";
export { TablePath, PhysicalTablePath, type NameKind } from "./metadata/table-path.js";
export { DatabaseDescriptor, DatabaseInfo } from "./metadata/database.js";
export { PartitionInfo, type PartitionSpec } from "./metadata/partition.js";
export { ServerNode, TableBucket, type ServerType } from "./metadata/cluster.js";
export type {
  LogFormat,
  KvFormat,
  ArrowCompressionType,
  MergeEngineType,
  DeleteBehavior,
  ChangelogImage,
} from "./metadata/table-options.js";

// values
export { Decimal, Timestamp, type RowObject } from "./row/values.js";
export type { RowInput } from "./row/coerce.js";
export type {
  RowOf,
  KeyOf,
  KeyColumnsOf,
  ValueOf,
  RowOfColumns,
  RowInputOf,
  KeyInputOf,
  InputValueOf,
  PartialRowOf,
  ProjectedRowOf,
  IndexProjectedRowOf,
  IsLooseRow,
  ColumnName,
} from "./row/typed-rows.js";

// embedded cluster
export {
  LocalCluster,
  type LocalClusterOptions,
  type MoveLeaderOptions,
  type InjectErrorOptions,
  type DelayOptions,
  type ServerRef,
  type LocalClusterSecurity,
} from "./server/local-cluster.js";

// web console
export { WebConsole, DEFAULT_CONSOLE_PORT, type WebConsoleOptions } from "./console/web-console.js";
// security: ACLs
export type {
  AclBinding,
  AclBindingFilter,
  AclBindingInfo,
  AclOperation,
  AclPermission,
  AclResourceType,
} from "./metadata/acl.js";
