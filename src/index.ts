/**
 * flussjs: the Node.js/TypeScript client for Apache Fluss, and an embedded local cluster.
 *
 * @packageDocumentation
 */

// connection, configuration, admin
export { FlussConnection } from "./client/connection.js";
export { Config, type ConfigInput, type ConfigKey, type ConfigValues } from "./client/config.js";
export { FlussAdmin, type TablePathLike } from "./client/admin.js";
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
} from "./metadata/data-types.js";
export { Schema, Column, SchemaBuilder, type ColumnSpec, type ColumnOptions, type SchemaOptions } from "./metadata/schema.js";
export { AggFunctions, type AggFunction, type AggFunctionType } from "./metadata/agg-function.js";
export { TableDescriptor, type TableDescriptorOptions } from "./metadata/table-descriptor.js";
export { TableInfo } from "./metadata/table-info.js";
export { TablePath, PhysicalTablePath } from "./metadata/table-path.js";
export { DatabaseDescriptor, DatabaseInfo } from "./metadata/database.js";
export { PartitionInfo } from "./metadata/partition.js";
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

// embedded cluster
export { LocalCluster, type LocalClusterOptions } from "./server/local-cluster.js";
