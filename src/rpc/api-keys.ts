/**
 * Fluss API keys (Java `ApiKeys` at 1.0), the versions this library supports per key,
 * which server role serves each key, and the request/response codecs of every key whose
 * messages are declared in `proto/fluss_api.proto`.
 */

import type { MessageCodec } from "./protobuf.js";
import * as M from "./messages.js";

/** API keys by name, e.g. `ApiKey.GET_METADATA === 1012`. */
export const ApiKey = {
  API_VERSIONS: 1000,
  CREATE_DATABASE: 1001,
  DROP_DATABASE: 1002,
  LIST_DATABASES: 1003,
  DATABASE_EXISTS: 1004,
  CREATE_TABLE: 1005,
  DROP_TABLE: 1006,
  GET_TABLE_INFO: 1007,
  LIST_TABLES: 1008,
  LIST_PARTITION_INFOS: 1009,
  TABLE_EXISTS: 1010,
  GET_TABLE_SCHEMA: 1011,
  GET_METADATA: 1012,
  UPDATE_METADATA: 1013,
  PRODUCE_LOG: 1014,
  FETCH_LOG: 1015,
  PUT_KV: 1016,
  LOOKUP: 1017,
  NOTIFY_LEADER_AND_ISR: 1018,
  STOP_REPLICA: 1019,
  ADJUST_ISR: 1020,
  LIST_OFFSETS: 1021,
  COMMIT_KV_SNAPSHOT: 1022,
  GET_LATEST_KV_SNAPSHOTS: 1023,
  GET_KV_SNAPSHOT_METADATA: 1024,
  GET_FILESYSTEM_SECURITY_TOKEN: 1025,
  INIT_WRITER: 1026,
  COMMIT_REMOTE_LOG_MANIFEST: 1027,
  NOTIFY_REMOTE_LOG_OFFSETS: 1028,
  NOTIFY_KV_SNAPSHOT_OFFSET: 1029,
  COMMIT_LAKE_TABLE_SNAPSHOT: 1030,
  NOTIFY_LAKE_TABLE_OFFSET: 1031,
  GET_LAKE_SNAPSHOT: 1032,
  LIMIT_SCAN: 1033,
  PREFIX_LOOKUP: 1034,
  GET_DATABASE_INFO: 1035,
  CREATE_PARTITION: 1036,
  DROP_PARTITION: 1037,
  AUTHENTICATE: 1038,
  CREATE_ACLS: 1039,
  LIST_ACLS: 1040,
  DROP_ACLS: 1041,
  LAKE_TIERING_HEARTBEAT: 1042,
  CONTROLLED_SHUTDOWN: 1043,
  ALTER_TABLE: 1044,
  DESCRIBE_CLUSTER_CONFIGS: 1045,
  ALTER_CLUSTER_CONFIGS: 1046,
  ADD_SERVER_TAG: 1047,
  REMOVE_SERVER_TAG: 1048,
  REBALANCE: 1049,
  LIST_REBALANCE_PROGRESS: 1050,
  CANCEL_REBALANCE: 1051,
  PREPARE_LAKE_TABLE_SNAPSHOT: 1052,
  REGISTER_PRODUCER_OFFSETS: 1053,
  GET_PRODUCER_OFFSETS: 1054,
  DELETE_PRODUCER_OFFSETS: 1055,
  ACQUIRE_KV_SNAPSHOT_LEASE: 1056,
  RELEASE_KV_SNAPSHOT_LEASE: 1057,
  DROP_KV_SNAPSHOT_LEASE: 1058,
  GET_TABLE_STATS: 1059,
  ALTER_DATABASE: 1060,
  SCAN_KV: 1061,
  GET_CLUSTER_HEALTH: 1062,
  LIST_REMOTE_LOG_MANIFESTS: 1063,
  LIST_KV_SNAPSHOTS: 1064,
} as const;

/** One of the API key numbers. */
export type ApiKey = (typeof ApiKey)[keyof typeof ApiKey];
/** One of the API key names. */
export type ApiKeyName = keyof typeof ApiKey;

const NAMES = new Map<number, ApiKeyName>(Object.entries(ApiKey).map(([n, k]) => [k, n as ApiKeyName]));

/** The name of an API key, or `UNKNOWN_API_KEY_<n>`. */
export function apiKeyName(key: number): string {
  return NAMES.get(key) ?? `UNKNOWN_API_KEY_${key}`;
}

/** An inclusive range of API versions. */
export interface VersionRange {
  readonly min: number;
  readonly max: number;
}

const V0: VersionRange = { min: 0, max: 0 };

/**
 * Versions this library speaks per key (Java's client table). Only PUT_KV, LOOKUP and
 * PREFIX_LOOKUP were ever bumped: v1 selects the compacted key encoding for lake tables
 * whose bucket key differs from the primary key; PUT_KV v2 means the client understands
 * STORAGE_BACKPRESSURE_EXCEPTION (72).
 */
export function clientVersionRange(key: number): VersionRange {
  switch (key) {
    case ApiKey.PUT_KV:
      return { min: 0, max: 2 };
    case ApiKey.LOOKUP:
    case ApiKey.PREFIX_LOOKUP:
      return { min: 0, max: 1 };
    default:
      return V0;
  }
}

// Served by both roles (RpcGateway + AdminReadOnlyGateway, plus GET_CLUSTER_HEALTH which a
// tablet server forwards to the coordinator).
const BOTH: readonly number[] = [
  ApiKey.API_VERSIONS,
  ApiKey.LIST_DATABASES,
  ApiKey.DATABASE_EXISTS,
  ApiKey.GET_TABLE_INFO,
  ApiKey.LIST_TABLES,
  ApiKey.LIST_PARTITION_INFOS,
  ApiKey.TABLE_EXISTS,
  ApiKey.GET_TABLE_SCHEMA,
  ApiKey.GET_METADATA,
  ApiKey.GET_LATEST_KV_SNAPSHOTS,
  ApiKey.GET_KV_SNAPSHOT_METADATA,
  ApiKey.GET_FILESYSTEM_SECURITY_TOKEN,
  ApiKey.GET_LAKE_SNAPSHOT,
  ApiKey.GET_DATABASE_INFO,
  ApiKey.AUTHENTICATE,
  ApiKey.LIST_ACLS,
  ApiKey.DESCRIBE_CLUSTER_CONFIGS,
  ApiKey.GET_CLUSTER_HEALTH,
];

/** Keys a Java coordinator serves. */
export const COORDINATOR_API_KEYS: ReadonlySet<number> = new Set<number>([
  ...BOTH,
  ApiKey.CREATE_DATABASE,
  ApiKey.DROP_DATABASE,
  ApiKey.CREATE_TABLE,
  ApiKey.DROP_TABLE,
  ApiKey.ADJUST_ISR,
  ApiKey.COMMIT_KV_SNAPSHOT,
  ApiKey.COMMIT_REMOTE_LOG_MANIFEST,
  ApiKey.COMMIT_LAKE_TABLE_SNAPSHOT,
  ApiKey.CREATE_PARTITION,
  ApiKey.DROP_PARTITION,
  ApiKey.CREATE_ACLS,
  ApiKey.DROP_ACLS,
  ApiKey.LAKE_TIERING_HEARTBEAT,
  ApiKey.CONTROLLED_SHUTDOWN,
  ApiKey.ALTER_TABLE,
  ApiKey.ALTER_CLUSTER_CONFIGS,
  ApiKey.ADD_SERVER_TAG,
  ApiKey.REMOVE_SERVER_TAG,
  ApiKey.REBALANCE,
  ApiKey.LIST_REBALANCE_PROGRESS,
  ApiKey.CANCEL_REBALANCE,
  ApiKey.PREPARE_LAKE_TABLE_SNAPSHOT,
  ApiKey.REGISTER_PRODUCER_OFFSETS,
  ApiKey.GET_PRODUCER_OFFSETS,
  ApiKey.DELETE_PRODUCER_OFFSETS,
  ApiKey.ACQUIRE_KV_SNAPSHOT_LEASE,
  ApiKey.RELEASE_KV_SNAPSHOT_LEASE,
  ApiKey.DROP_KV_SNAPSHOT_LEASE,
  ApiKey.ALTER_DATABASE,
  ApiKey.LIST_REMOTE_LOG_MANIFESTS,
  ApiKey.LIST_KV_SNAPSHOTS,
]);

/** Keys a Java tablet server serves. */
export const TABLET_SERVER_API_KEYS: ReadonlySet<number> = new Set<number>([
  ...BOTH,
  ApiKey.UPDATE_METADATA,
  ApiKey.PRODUCE_LOG,
  ApiKey.FETCH_LOG,
  ApiKey.PUT_KV,
  ApiKey.LOOKUP,
  ApiKey.NOTIFY_LEADER_AND_ISR,
  ApiKey.STOP_REPLICA,
  ApiKey.LIST_OFFSETS,
  ApiKey.INIT_WRITER,
  ApiKey.NOTIFY_REMOTE_LOG_OFFSETS,
  ApiKey.NOTIFY_KV_SNAPSHOT_OFFSET,
  ApiKey.NOTIFY_LAKE_TABLE_OFFSET,
  ApiKey.LIMIT_SCAN,
  ApiKey.PREFIX_LOOKUP,
  ApiKey.GET_TABLE_STATS,
  ApiKey.SCAN_KV,
]);

/** `ApiVersionsResponse.server_type` values (Java `ServerType`). */
export const ServerType = { UNKNOWN: -1, COORDINATOR: 1, TABLET_SERVER: 2 } as const;

/**
 * Request and response codecs per key, for every key whose messages we declare. The
 * request type of key K is `RequestOf<K>`, the response type `ResponseOf<K>`.
 */
export const API_MESSAGES = {
  [ApiKey.API_VERSIONS]: { request: M.ApiVersionsRequest, response: M.ApiVersionsResponse },
  [ApiKey.CREATE_DATABASE]: { request: M.CreateDatabaseRequest, response: M.CreateDatabaseResponse },
  [ApiKey.DROP_DATABASE]: { request: M.DropDatabaseRequest, response: M.DropDatabaseResponse },
  [ApiKey.LIST_DATABASES]: { request: M.ListDatabasesRequest, response: M.ListDatabasesResponse },
  [ApiKey.DATABASE_EXISTS]: { request: M.DatabaseExistsRequest, response: M.DatabaseExistsResponse },
  [ApiKey.CREATE_TABLE]: { request: M.CreateTableRequest, response: M.CreateTableResponse },
  [ApiKey.DROP_TABLE]: { request: M.DropTableRequest, response: M.DropTableResponse },
  [ApiKey.GET_TABLE_INFO]: { request: M.GetTableInfoRequest, response: M.GetTableInfoResponse },
  [ApiKey.LIST_TABLES]: { request: M.ListTablesRequest, response: M.ListTablesResponse },
  [ApiKey.LIST_PARTITION_INFOS]: { request: M.ListPartitionInfosRequest, response: M.ListPartitionInfosResponse },
  [ApiKey.TABLE_EXISTS]: { request: M.TableExistsRequest, response: M.TableExistsResponse },
  [ApiKey.GET_TABLE_SCHEMA]: { request: M.GetTableSchemaRequest, response: M.GetTableSchemaResponse },
  [ApiKey.GET_METADATA]: { request: M.MetadataRequest, response: M.MetadataResponse },
  [ApiKey.PRODUCE_LOG]: { request: M.ProduceLogRequest, response: M.ProduceLogResponse },
  [ApiKey.FETCH_LOG]: { request: M.FetchLogRequest, response: M.FetchLogResponse },
  [ApiKey.PUT_KV]: { request: M.PutKvRequest, response: M.PutKvResponse },
  [ApiKey.LOOKUP]: { request: M.LookupRequest, response: M.LookupResponse },
  [ApiKey.LIST_OFFSETS]: { request: M.ListOffsetsRequest, response: M.ListOffsetsResponse },
  [ApiKey.GET_LATEST_KV_SNAPSHOTS]: { request: M.GetLatestKvSnapshotsRequest, response: M.GetLatestKvSnapshotsResponse },
  [ApiKey.GET_KV_SNAPSHOT_METADATA]: { request: M.GetKvSnapshotMetadataRequest, response: M.GetKvSnapshotMetadataResponse },
  [ApiKey.GET_FILESYSTEM_SECURITY_TOKEN]: {
    request: M.GetFileSystemSecurityTokenRequest,
    response: M.GetFileSystemSecurityTokenResponse,
  },
  [ApiKey.INIT_WRITER]: { request: M.InitWriterRequest, response: M.InitWriterResponse },
  [ApiKey.GET_LAKE_SNAPSHOT]: { request: M.GetLakeSnapshotRequest, response: M.GetLakeSnapshotResponse },
  [ApiKey.LIMIT_SCAN]: { request: M.LimitScanRequest, response: M.LimitScanResponse },
  [ApiKey.PREFIX_LOOKUP]: { request: M.PrefixLookupRequest, response: M.PrefixLookupResponse },
  [ApiKey.GET_DATABASE_INFO]: { request: M.GetDatabaseInfoRequest, response: M.GetDatabaseInfoResponse },
  [ApiKey.CREATE_PARTITION]: { request: M.CreatePartitionRequest, response: M.CreatePartitionResponse },
  [ApiKey.DROP_PARTITION]: { request: M.DropPartitionRequest, response: M.DropPartitionResponse },
  [ApiKey.AUTHENTICATE]: { request: M.AuthenticateRequest, response: M.AuthenticateResponse },
  [ApiKey.CREATE_ACLS]: { request: M.CreateAclsRequest, response: M.CreateAclsResponse },
  [ApiKey.LIST_ACLS]: { request: M.ListAclsRequest, response: M.ListAclsResponse },
  [ApiKey.DROP_ACLS]: { request: M.DropAclsRequest, response: M.DropAclsResponse },
  [ApiKey.ALTER_TABLE]: { request: M.AlterTableRequest, response: M.AlterTableResponse },
  [ApiKey.DESCRIBE_CLUSTER_CONFIGS]: {
    request: M.DescribeClusterConfigsRequest,
    response: M.DescribeClusterConfigsResponse,
  },
  [ApiKey.GET_TABLE_STATS]: { request: M.GetTableStatsRequest, response: M.GetTableStatsResponse },
  [ApiKey.ALTER_DATABASE]: { request: M.AlterDatabaseRequest, response: M.AlterDatabaseResponse },
  [ApiKey.SCAN_KV]: { request: M.ScanKvRequest, response: M.ScanKvResponse },
  [ApiKey.GET_CLUSTER_HEALTH]: { request: M.GetClusterHealthRequest, response: M.GetClusterHealthResponse },
  [ApiKey.ALTER_CLUSTER_CONFIGS]: { request: M.AlterClusterConfigsRequest, response: M.AlterClusterConfigsResponse },
  [ApiKey.REGISTER_PRODUCER_OFFSETS]: {
    request: M.RegisterProducerOffsetsRequest,
    response: M.RegisterProducerOffsetsResponse,
  },
  [ApiKey.GET_PRODUCER_OFFSETS]: { request: M.GetProducerOffsetsRequest, response: M.GetProducerOffsetsResponse },
  [ApiKey.DELETE_PRODUCER_OFFSETS]: { request: M.DeleteProducerOffsetsRequest, response: M.DeleteProducerOffsetsResponse },
  [ApiKey.LIST_KV_SNAPSHOTS]: { request: M.ListKvSnapshotsRequest, response: M.ListKvSnapshotsResponse },
  [ApiKey.ACQUIRE_KV_SNAPSHOT_LEASE]: {
    request: M.AcquireKvSnapshotLeaseRequest,
    response: M.AcquireKvSnapshotLeaseResponse,
  },
  [ApiKey.RELEASE_KV_SNAPSHOT_LEASE]: {
    request: M.ReleaseKvSnapshotLeaseRequest,
    response: M.ReleaseKvSnapshotLeaseResponse,
  },
  [ApiKey.DROP_KV_SNAPSHOT_LEASE]: { request: M.DropKvSnapshotLeaseRequest, response: M.DropKvSnapshotLeaseResponse },
} as const;

/** Keys that have declared request/response messages. */
export type MessageApiKey = keyof typeof API_MESSAGES;

type CodecType<C> = C extends MessageCodec<infer T> ? T : never;
/** The request message type of key `K`. */
export type RequestOf<K extends MessageApiKey> = CodecType<(typeof API_MESSAGES)[K]["request"]>;
/** The response message type of key `K`. */
export type ResponseOf<K extends MessageApiKey> = CodecType<(typeof API_MESSAGES)[K]["response"]>;

/** The codecs of `key`, or undefined when no messages are declared for it. */
export function apiMessages(key: number): { request: MessageCodec<unknown>; response: MessageCodec<unknown> } | undefined {
  return (API_MESSAGES as Record<number, { request: MessageCodec<unknown>; response: MessageCodec<unknown> }>)[key];
}
