/**
 * Fluss error codes and the error class every failure of this library is reported with.
 *
 * The table is Java's `org.apache.fluss.rpc.protocol.Errors` at 1.0 (codes -1..73): name,
 * default message, and whether the exception class is retriable (extends
 * RetriableException) or signals stale metadata (extends InvalidMetadataException).
 */

interface ErrorSpec {
  readonly code: number;
  readonly name: string;
  readonly retriable: boolean;
  readonly invalidMetadata: boolean;
  readonly message: string;
}

// prettier-ignore
const SPECS: readonly ErrorSpec[] = [
  {
    code: -1,
    name: "UNKNOWN_SERVER_ERROR",
    retriable: false,
    invalidMetadata: false,
    message: "The server experienced an unexpected error when processing the request.",
  },
  { code: 0, name: "NONE", retriable: false, invalidMetadata: false, message: "" },
  {
    code: 1,
    name: "NETWORK_EXCEPTION",
    retriable: true,
    invalidMetadata: true,
    message: "The server disconnected before a response was received.",
  },
  {
    code: 2,
    name: "UNSUPPORTED_VERSION",
    retriable: false,
    invalidMetadata: false,
    message: "The version of API is not supported.",
  },
  {
    code: 3,
    name: "CORRUPT_MESSAGE",
    retriable: true,
    invalidMetadata: false,
    message:
      "This message has failed its CRC checksum, exceeds the valid size, has a null key for a primary key table, or is otherwise corrupt.",
  },
  { code: 4, name: "DATABASE_NOT_EXIST", retriable: false, invalidMetadata: false, message: "The database does not exist." },
  { code: 5, name: "DATABASE_NOT_EMPTY", retriable: false, invalidMetadata: false, message: "The database is not empty." },
  { code: 6, name: "DATABASE_ALREADY_EXIST", retriable: false, invalidMetadata: false, message: "The database already exists." },
  { code: 7, name: "TABLE_NOT_EXIST", retriable: false, invalidMetadata: false, message: "The table does not exist." },
  { code: 8, name: "TABLE_ALREADY_EXIST", retriable: false, invalidMetadata: false, message: "The table already exists." },
  { code: 9, name: "SCHEMA_NOT_EXIST", retriable: true, invalidMetadata: false, message: "The schema does not exist." },
  {
    code: 10,
    name: "LOG_STORAGE_EXCEPTION",
    retriable: true,
    invalidMetadata: false,
    message: "Exception occur while storage data for log in server.",
  },
  {
    code: 11,
    name: "KV_STORAGE_EXCEPTION",
    retriable: true,
    invalidMetadata: false,
    message: "Exception occur while storage data for kv in server.",
  },
  { code: 12, name: "NOT_LEADER_OR_FOLLOWER", retriable: true, invalidMetadata: true, message: "Not leader or follower." },
  { code: 13, name: "RECORD_TOO_LARGE_EXCEPTION", retriable: false, invalidMetadata: false, message: "The record is too large." },
  { code: 14, name: "CORRUPT_RECORD_EXCEPTION", retriable: true, invalidMetadata: false, message: "The record is corrupt." },
  {
    code: 15,
    name: "INVALID_TABLE_EXCEPTION",
    retriable: false,
    invalidMetadata: false,
    message: "The client has attempted to perform an operation on an invalid table.",
  },
  {
    code: 16,
    name: "INVALID_DATABASE_EXCEPTION",
    retriable: false,
    invalidMetadata: false,
    message: "The client has attempted to perform an operation on an invalid database.",
  },
  {
    code: 17,
    name: "INVALID_REPLICATION_FACTOR",
    retriable: false,
    invalidMetadata: false,
    message: "The replication factor is larger then the number of available tablet servers.",
  },
  {
    code: 18,
    name: "INVALID_REQUIRED_ACKS",
    retriable: false,
    invalidMetadata: false,
    message: "Produce request specified an invalid value for required acks.",
  },
  {
    code: 19,
    name: "LOG_OFFSET_OUT_OF_RANGE_EXCEPTION",
    retriable: false,
    invalidMetadata: false,
    message: "The log offset is out of range.",
  },
  {
    code: 20,
    name: "NON_PRIMARY_KEY_TABLE_EXCEPTION",
    retriable: false,
    invalidMetadata: false,
    message: "The table is not primary key table.",
  },
  {
    code: 21,
    name: "UNKNOWN_TABLE_OR_BUCKET_EXCEPTION",
    retriable: true,
    invalidMetadata: true,
    message: "The table or bucket does not exist.",
  },
  {
    code: 22,
    name: "INVALID_UPDATE_VERSION_EXCEPTION",
    retriable: false,
    invalidMetadata: false,
    message: "The update version is invalid.",
  },
  {
    code: 23,
    name: "INVALID_COORDINATOR_EXCEPTION",
    retriable: false,
    invalidMetadata: false,
    message: "The coordinator is invalid.",
  },
  {
    code: 24,
    name: "FENCED_LEADER_EPOCH_EXCEPTION",
    retriable: false,
    invalidMetadata: false,
    message: "The leader epoch is invalid.",
  },
  { code: 25, name: "REQUEST_TIME_OUT", retriable: true, invalidMetadata: false, message: "The request time out." },
  { code: 26, name: "STORAGE_EXCEPTION", retriable: true, invalidMetadata: false, message: "The general storage exception." },
  {
    code: 27,
    name: "OPERATION_NOT_ATTEMPTED_EXCEPTION",
    retriable: false,
    invalidMetadata: false,
    message: "The server did not attempt to execute this operation.",
  },
  {
    code: 28,
    name: "NOT_ENOUGH_REPLICAS_AFTER_APPEND_EXCEPTION",
    retriable: true,
    invalidMetadata: false,
    message: "Records are written to the server already, but to fewer in-sync replicas than required.",
  },
  {
    code: 29,
    name: "NOT_ENOUGH_REPLICAS_EXCEPTION",
    retriable: true,
    invalidMetadata: false,
    message: "Messages are rejected since there are fewer in-sync replicas than required.",
  },
  {
    code: 30,
    name: "SECURITY_TOKEN_EXCEPTION",
    retriable: false,
    invalidMetadata: false,
    message: "Get file access security token exception.",
  },
  {
    code: 31,
    name: "OUT_OF_ORDER_SEQUENCE_EXCEPTION",
    retriable: false,
    invalidMetadata: false,
    message: "The tablet server received an out of order sequence batch.",
  },
  {
    code: 32,
    name: "DUPLICATE_SEQUENCE_EXCEPTION",
    retriable: false,
    invalidMetadata: false,
    message: "The tablet server received a duplicate sequence batch.",
  },
  {
    code: 33,
    name: "UNKNOWN_WRITER_ID_EXCEPTION",
    retriable: false,
    invalidMetadata: false,
    message: "This exception is raised by the tablet server if it could not locate the writer metadata.",
  },
  {
    code: 34,
    name: "INVALID_COLUMN_PROJECTION",
    retriable: false,
    invalidMetadata: false,
    message: "The requested column projection is invalid.",
  },
  {
    code: 35,
    name: "INVALID_TARGET_COLUMN",
    retriable: false,
    invalidMetadata: false,
    message: "The requested target column to write is invalid.",
  },
  { code: 36, name: "PARTITION_NOT_EXISTS", retriable: false, invalidMetadata: false, message: "The partition does not exist." },
  {
    code: 37,
    name: "TABLE_NOT_PARTITIONED_EXCEPTION",
    retriable: false,
    invalidMetadata: false,
    message: "The table is not partitioned.",
  },
  {
    code: 38,
    name: "INVALID_TIMESTAMP_EXCEPTION",
    retriable: false,
    invalidMetadata: false,
    message: "The timestamp is invalid.",
  },
  { code: 39, name: "INVALID_CONFIG_EXCEPTION", retriable: false, invalidMetadata: false, message: "The config is invalid." },
  {
    code: 40,
    name: "LAKE_STORAGE_NOT_CONFIGURED_EXCEPTION",
    retriable: false,
    invalidMetadata: false,
    message: "The lake storage is not configured.",
  },
  { code: 41, name: "KV_SNAPSHOT_NOT_EXIST", retriable: false, invalidMetadata: false, message: "The kv snapshot is not exist." },
  {
    code: 42,
    name: "PARTITION_ALREADY_EXISTS",
    retriable: false,
    invalidMetadata: false,
    message: "The partition already exists.",
  },
  {
    code: 43,
    name: "PARTITION_SPEC_INVALID_EXCEPTION",
    retriable: false,
    invalidMetadata: false,
    message: "The partition spec is invalid.",
  },
  {
    code: 44,
    name: "LEADER_NOT_AVAILABLE_EXCEPTION",
    retriable: true,
    invalidMetadata: true,
    message: "There is no currently available leader for the given partition.",
  },
  {
    code: 45,
    name: "PARTITION_MAX_NUM_EXCEPTION",
    retriable: false,
    invalidMetadata: false,
    message: "Exceed the maximum number of partitions.",
  },
  { code: 46, name: "AUTHENTICATE_EXCEPTION", retriable: false, invalidMetadata: false, message: "Authentication failed." },
  { code: 47, name: "SECURITY_DISABLED_EXCEPTION", retriable: false, invalidMetadata: false, message: "Security is disabled." },
  { code: 48, name: "AUTHORIZATION_EXCEPTION", retriable: false, invalidMetadata: false, message: "Authorization failed" },
  {
    code: 49,
    name: "BUCKET_MAX_NUM_EXCEPTION",
    retriable: false,
    invalidMetadata: false,
    message: "Exceed the maximum number of buckets",
  },
  {
    code: 50,
    name: "FENCED_TIERING_EPOCH_EXCEPTION",
    retriable: false,
    invalidMetadata: false,
    message: "The tiering epoch is invalid.",
  },
  {
    code: 51,
    name: "RETRIABLE_AUTHENTICATE_EXCEPTION",
    retriable: false,
    invalidMetadata: false,
    message: "Authentication failed with retriable exception. ",
  },
  {
    code: 52,
    name: "INVALID_SERVER_RACK_INFO_EXCEPTION",
    retriable: false,
    invalidMetadata: false,
    message: "The server rack info is invalid.",
  },
  {
    code: 53,
    name: "LAKE_SNAPSHOT_NOT_EXIST",
    retriable: false,
    invalidMetadata: false,
    message: "The lake snapshot is not exist.",
  },
  {
    code: 54,
    name: "LAKE_TABLE_ALREADY_EXIST",
    retriable: false,
    invalidMetadata: false,
    message: "The lake table already exists.",
  },
  {
    code: 55,
    name: "INELIGIBLE_REPLICA_EXCEPTION",
    retriable: false,
    invalidMetadata: false,
    message: "The new ISR contains at least one ineligible replica.",
  },
  {
    code: 56,
    name: "INVALID_ALTER_TABLE_EXCEPTION",
    retriable: false,
    invalidMetadata: false,
    message: "The alter table is invalid.",
  },
  {
    code: 57,
    name: "DELETION_DISABLED_EXCEPTION",
    retriable: false,
    invalidMetadata: false,
    message: "Deletion operations are disabled on this table.",
  },
  { code: 58, name: "SERVER_NOT_EXIST_EXCEPTION", retriable: false, invalidMetadata: false, message: "The server is not exist." },
  {
    code: 59,
    name: "SEVER_TAG_ALREADY_EXIST_EXCEPTION",
    retriable: false,
    invalidMetadata: false,
    message: "The server tag already exist.",
  },
  {
    code: 60,
    name: "SEVER_TAG_NOT_EXIST_EXCEPTION",
    retriable: false,
    invalidMetadata: false,
    message: "The server tag not exist.",
  },
  {
    code: 61,
    name: "REBALANCE_FAILURE_EXCEPTION",
    retriable: false,
    invalidMetadata: false,
    message: "The rebalance task failure.",
  },
  {
    code: 62,
    name: "NO_REBALANCE_IN_PROGRESS_EXCEPTION",
    retriable: false,
    invalidMetadata: false,
    message: "No rebalance task in progress.",
  },
  {
    code: 63,
    name: "INVALID_PRODUCER_ID_EXCEPTION",
    retriable: false,
    invalidMetadata: false,
    message: "The client has attempted to perform an operation with an invalid producer ID.",
  },
  { code: 64, name: "CONFIG_EXCEPTION", retriable: false, invalidMetadata: false, message: "A configuration error occurred." },
  {
    code: 65,
    name: "NOT_COORDINATOR_LEADER_EXCEPTION",
    retriable: false,
    invalidMetadata: false,
    message: "The coordinator is not a leader and cannot process request.",
  },
  {
    code: 66,
    name: "SCANNER_EXPIRED",
    retriable: false,
    invalidMetadata: false,
    message: "The scanner session has expired due to inactivity.",
  },
  {
    code: 67,
    name: "UNKNOWN_SCANNER_ID",
    retriable: false,
    invalidMetadata: false,
    message: "The scanner id is not recognized by the server.",
  },
  { code: 68, name: "INVALID_SCAN_REQUEST", retriable: false, invalidMetadata: false, message: "The scan request is invalid." },
  {
    code: 69,
    name: "TOO_MANY_SCANNERS",
    retriable: false,
    invalidMetadata: false,
    message: "The per-bucket or per-server scanner session limit has been reached.",
  },
  {
    code: 70,
    name: "DISK_WRITE_LOCKED",
    retriable: true,
    invalidMetadata: false,
    message: "The tablet server has rejected writes because its data disk usage reached the configured write-limit ratio.",
  },
  {
    code: 71,
    name: "INSUFFICIENT_KV_LEADER_REPLICA_CAPACITY",
    retriable: false,
    invalidMetadata: false,
    message: "The cluster does not have enough KV leader replica capacity.",
  },
  {
    code: 72,
    name: "STORAGE_BACKPRESSURE_EXCEPTION",
    retriable: true,
    invalidMetadata: false,
    message: "The tablet server has rejected the write because the KV storage engine has reached its write-pressure threshold.",
  },
  {
    code: 73,
    name: "HISTORICAL_PARTITION_THROTTLED",
    retriable: true,
    invalidMetadata: false,
    message: "Historical partition request is throttled because too many historical requests are in flight.",
  },
];

/**
 * Error codes by name, e.g. `ErrorCode.TABLE_NOT_EXIST === 7`. Each code's doc is its default
 * message (Java's `Errors`); "Retriable" marks codes whose operation may succeed when retried.
 */
export const ErrorCode = {
  /** A failure detected by the client itself (bad input, closed connection, ...). */
  CLIENT_ERROR: -2,
  /** The server experienced an unexpected error when processing the request. */
  UNKNOWN_SERVER_ERROR: -1,
  /** No error. */
  NONE: 0,
  /** The server disconnected before a response was received. Retriable. */
  NETWORK_EXCEPTION: 1,
  /** The version of API is not supported. */
  UNSUPPORTED_VERSION: 2,
  /**
   * This message has failed its CRC checksum, exceeds the valid size, has a null key for a primary
   * key table, or is otherwise corrupt. Retriable.
   */
  CORRUPT_MESSAGE: 3,
  /** The database does not exist. */
  DATABASE_NOT_EXIST: 4,
  /** The database is not empty. */
  DATABASE_NOT_EMPTY: 5,
  /** The database already exists. */
  DATABASE_ALREADY_EXIST: 6,
  /** The table does not exist. */
  TABLE_NOT_EXIST: 7,
  /** The table already exists. */
  TABLE_ALREADY_EXIST: 8,
  /** The schema does not exist. Retriable. */
  SCHEMA_NOT_EXIST: 9,
  /** Exception occur while storage data for log in server. Retriable. */
  LOG_STORAGE_EXCEPTION: 10,
  /** Exception occur while storage data for kv in server. Retriable. */
  KV_STORAGE_EXCEPTION: 11,
  /** Not leader or follower. Retriable. */
  NOT_LEADER_OR_FOLLOWER: 12,
  /** The record is too large. */
  RECORD_TOO_LARGE_EXCEPTION: 13,
  /** The record is corrupt. Retriable. */
  CORRUPT_RECORD_EXCEPTION: 14,
  /** The client has attempted to perform an operation on an invalid table. */
  INVALID_TABLE_EXCEPTION: 15,
  /** The client has attempted to perform an operation on an invalid database. */
  INVALID_DATABASE_EXCEPTION: 16,
  /** The replication factor is larger then the number of available tablet servers. */
  INVALID_REPLICATION_FACTOR: 17,
  /** Produce request specified an invalid value for required acks. */
  INVALID_REQUIRED_ACKS: 18,
  /** The log offset is out of range. */
  LOG_OFFSET_OUT_OF_RANGE_EXCEPTION: 19,
  /** The table is not primary key table. */
  NON_PRIMARY_KEY_TABLE_EXCEPTION: 20,
  /** The table or bucket does not exist. Retriable. */
  UNKNOWN_TABLE_OR_BUCKET_EXCEPTION: 21,
  /** The update version is invalid. */
  INVALID_UPDATE_VERSION_EXCEPTION: 22,
  /** The coordinator is invalid. */
  INVALID_COORDINATOR_EXCEPTION: 23,
  /** The leader epoch is invalid. */
  FENCED_LEADER_EPOCH_EXCEPTION: 24,
  /** The request time out. Retriable. */
  REQUEST_TIME_OUT: 25,
  /** The general storage exception. Retriable. */
  STORAGE_EXCEPTION: 26,
  /** The server did not attempt to execute this operation. */
  OPERATION_NOT_ATTEMPTED_EXCEPTION: 27,
  /**
   * Records are written to the server already, but to fewer in-sync replicas than required.
   * Retriable.
   */
  NOT_ENOUGH_REPLICAS_AFTER_APPEND_EXCEPTION: 28,
  /** Messages are rejected since there are fewer in-sync replicas than required. Retriable. */
  NOT_ENOUGH_REPLICAS_EXCEPTION: 29,
  /** Get file access security token exception. */
  SECURITY_TOKEN_EXCEPTION: 30,
  /** The tablet server received an out of order sequence batch. */
  OUT_OF_ORDER_SEQUENCE_EXCEPTION: 31,
  /** The tablet server received a duplicate sequence batch. */
  DUPLICATE_SEQUENCE_EXCEPTION: 32,
  /** This exception is raised by the tablet server if it could not locate the writer metadata. */
  UNKNOWN_WRITER_ID_EXCEPTION: 33,
  /** The requested column projection is invalid. */
  INVALID_COLUMN_PROJECTION: 34,
  /** The requested target column to write is invalid. */
  INVALID_TARGET_COLUMN: 35,
  /** The partition does not exist. */
  PARTITION_NOT_EXISTS: 36,
  /** The table is not partitioned. */
  TABLE_NOT_PARTITIONED_EXCEPTION: 37,
  /** The timestamp is invalid. */
  INVALID_TIMESTAMP_EXCEPTION: 38,
  /** The config is invalid. */
  INVALID_CONFIG_EXCEPTION: 39,
  /** The lake storage is not configured. */
  LAKE_STORAGE_NOT_CONFIGURED_EXCEPTION: 40,
  /** The kv snapshot is not exist. */
  KV_SNAPSHOT_NOT_EXIST: 41,
  /** The partition already exists. */
  PARTITION_ALREADY_EXISTS: 42,
  /** The partition spec is invalid. */
  PARTITION_SPEC_INVALID_EXCEPTION: 43,
  /** There is no currently available leader for the given partition. Retriable. */
  LEADER_NOT_AVAILABLE_EXCEPTION: 44,
  /** Exceed the maximum number of partitions. */
  PARTITION_MAX_NUM_EXCEPTION: 45,
  /** Authentication failed. */
  AUTHENTICATE_EXCEPTION: 46,
  /** Security is disabled. */
  SECURITY_DISABLED_EXCEPTION: 47,
  /** Authorization failed. */
  AUTHORIZATION_EXCEPTION: 48,
  /** Exceed the maximum number of buckets. */
  BUCKET_MAX_NUM_EXCEPTION: 49,
  /** The tiering epoch is invalid. */
  FENCED_TIERING_EPOCH_EXCEPTION: 50,
  /** Authentication failed with retriable exception. */
  RETRIABLE_AUTHENTICATE_EXCEPTION: 51,
  /** The server rack info is invalid. */
  INVALID_SERVER_RACK_INFO_EXCEPTION: 52,
  /** The lake snapshot is not exist. */
  LAKE_SNAPSHOT_NOT_EXIST: 53,
  /** The lake table already exists. */
  LAKE_TABLE_ALREADY_EXIST: 54,
  /** The new ISR contains at least one ineligible replica. */
  INELIGIBLE_REPLICA_EXCEPTION: 55,
  /** The alter table is invalid. */
  INVALID_ALTER_TABLE_EXCEPTION: 56,
  /** Deletion operations are disabled on this table. */
  DELETION_DISABLED_EXCEPTION: 57,
  /** The server is not exist. */
  SERVER_NOT_EXIST_EXCEPTION: 58,
  /** The server tag already exist. */
  SEVER_TAG_ALREADY_EXIST_EXCEPTION: 59,
  /** The server tag not exist. */
  SEVER_TAG_NOT_EXIST_EXCEPTION: 60,
  /** The rebalance task failure. */
  REBALANCE_FAILURE_EXCEPTION: 61,
  /** No rebalance task in progress. */
  NO_REBALANCE_IN_PROGRESS_EXCEPTION: 62,
  /** The client has attempted to perform an operation with an invalid producer ID. */
  INVALID_PRODUCER_ID_EXCEPTION: 63,
  /** A configuration error occurred. */
  CONFIG_EXCEPTION: 64,
  /** The coordinator is not a leader and cannot process request. */
  NOT_COORDINATOR_LEADER_EXCEPTION: 65,
  /** The scanner session has expired due to inactivity. */
  SCANNER_EXPIRED: 66,
  /** The scanner id is not recognized by the server. */
  UNKNOWN_SCANNER_ID: 67,
  /** The scan request is invalid. */
  INVALID_SCAN_REQUEST: 68,
  /** The per-bucket or per-server scanner session limit has been reached. */
  TOO_MANY_SCANNERS: 69,
  /**
   * The tablet server has rejected writes because its data disk usage reached the configured write-
   * limit ratio. Retriable.
   */
  DISK_WRITE_LOCKED: 70,
  /** The cluster does not have enough KV leader replica capacity. */
  INSUFFICIENT_KV_LEADER_REPLICA_CAPACITY: 71,
  /**
   * The tablet server has rejected the write because the KV storage engine has reached its write-
   * pressure threshold. Retriable.
   */
  STORAGE_BACKPRESSURE_EXCEPTION: 72,
  /**
   * Historical partition request is throttled because too many historical requests are in flight.
   * Retriable.
   */
  HISTORICAL_PARTITION_THROTTLED: 73,
} as const;

/** The name of an error code, e.g. `"TABLE_NOT_EXIST"` (a key of {@link ErrorCode}). */
export type ErrorCodeName = keyof typeof ErrorCode;

const BY_CODE = new Map<number, ErrorSpec>(SPECS.map((s) => [s.code, s]));

/** Name of an error code (`"UNKNOWN_ERROR_CODE_<n>"` for codes this table does not know). */
export function errorName(code: number): string {
  if (code === ErrorCode.CLIENT_ERROR) return "CLIENT_ERROR";
  return BY_CODE.get(code)?.name ?? `UNKNOWN_ERROR_CODE_${code}`;
}

/** Java's default message for a code ("" when it has none). */
export function defaultErrorMessage(code: number): string {
  return BY_CODE.get(code)?.message ?? "";
}

/** Whether Java treats this code as retriable. */
export function isRetriable(code: number): boolean {
  return BY_CODE.get(code)?.retriable ?? false;
}

/** Whether this code means cached metadata (leaders, partitions) is stale and must be refreshed. */
export function isInvalidMetadata(code: number): boolean {
  return BY_CODE.get(code)?.invalidMetadata ?? false;
}

/**
 * Every failure this library reports: server errors keep the server's code and message;
 * failures detected on the client use {@link ErrorCode.CLIENT_ERROR} (bad input, closed
 * objects) or the matching server code when one fits (NETWORK_EXCEPTION for a lost
 * connection, REQUEST_TIME_OUT for a request that got no answer in time).
 */
export class FlussError extends Error {
  /** The numeric error code, see {@link ErrorCode}. */
  readonly code: number;
  /** Whether retrying the same operation may succeed. */
  readonly retriable: boolean;
  /** The error code's name, e.g. `TABLE_NOT_EXIST` (also shown first in stack traces). */
  override readonly name: string;
  /**
   * True only when the operation may or may not have taken effect: a write whose request
   * was sent but got no answer (request timeout, connection lost after sending). Such a
   * write may be in the table; retrying it blindly can store it twice. False for every
   * definite failure (the server rejected it, or it was never sent).
   */
  readonly outcomeUnknown: boolean;

  /**
   * An error with a code of {@link ErrorCode}. `message` defaults to the code's default
   * message; `retriable` to whether the code is retriable; `outcomeUnknown` marks a
   * request sent without an answer. For client-side failures use
   * {@link FlussError.client}.
   */
  constructor(code: number, message?: string, options?: { cause?: unknown; retriable?: boolean; outcomeUnknown?: boolean }) {
    const text = message && message.length > 0 ? message : defaultErrorMessage(code) || errorName(code);
    super(text, options?.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.name = errorName(code);
    this.retriable = options?.retriable ?? isRetriable(code);
    this.outcomeUnknown = options?.outcomeUnknown ?? false;
  }

  /** Whether this error means cached metadata is stale. */
  get invalidMetadata(): boolean {
    return isInvalidMetadata(this.code);
  }

  /** A client-side failure (bad input, misuse, closed objects). */
  static client(message: string, cause?: unknown): FlussError {
    return new FlussError(ErrorCode.CLIENT_ERROR, message, cause === undefined ? undefined : { cause });
  }
}
