/**
 * Plain types of the admin API beyond databases and tables: database changes, cluster
 * configs and health, table stats, KV and lake snapshots, producer offsets. Each mirrors
 * the Java client's class of the same name (fields camelCase, maps as arrays or records).
 */

/**
 * One change of `admin.alterDatabase` (Java `DatabaseChange`): set or reset a custom
 * property, or replace the comment (`""` removes it). Build with `DatabaseChange.set(k, v)`,
 * `DatabaseChange.reset(k)`, `DatabaseChange.updateComment(c)` or write the object.
 */
export type DatabaseChange =
  | {
      /** Set a custom property. */
      readonly type: "set";
      /** The property's name. */
      readonly key: string;
      /** Its new value. */
      readonly value: string;
    }
  | { readonly type: "reset"; readonly key: string }
  | { readonly type: "updateComment"; readonly comment: string };

/** Factories of {@link DatabaseChange}, named as Java's. */
export const DatabaseChange = {
  /** Sets custom property `key` to `value`. */
  set: (key: string, value: string): DatabaseChange => ({ type: "set", key, value }),
  /** Removes custom property `key` (nothing happens when it is not set). */
  reset: (key: string): DatabaseChange => ({ type: "reset", key }),
  /** Replaces the comment; `""` removes it. */
  updateComment: (comment: string): DatabaseChange => ({ type: "updateComment", comment }),
} as const;

/** Where a cluster config's value comes from (Java `ConfigEntry.ConfigSource`). */
export type ConfigSource = "DYNAMIC_SERVER_CONFIG" | "INITIAL_SERVER_CONFIG";

/** One server option of `admin.describeClusterConfigs()` (Java `ConfigEntry`). */
export interface ConfigEntry {
  /** The option's name, e.g. `kv.snapshot.interval`. */
  readonly key: string;
  /** The value; secrets (SASL credentials, JAAS configs) are shown as `******`. */
  readonly value: string | undefined;
  /** Whether the value was set at run time or at start. */
  readonly source: ConfigSource;
}

/**
 * How {@link AlterConfig} changes a key (Java `AlterConfigOpType`): `SET` a value, `DELETE`
 * the dynamic value (back to the initial one), `APPEND`/`SUBTRACT` an item of a list-typed
 * or a `key:value` entry of a map-typed option.
 */
export type AlterConfigOpType = "SET" | "DELETE" | "APPEND" | "SUBTRACT";

/** One change of `admin.alterClusterConfigs` (Java `AlterConfig`). */
export interface AlterConfig {
  /** The option's name. */
  readonly key: string;
  /** The value (SET), the item (APPEND/SUBTRACT); absent for DELETE. */
  readonly value?: string;
  /** Default `"SET"`. */
  readonly opType?: AlterConfigOpType;
}

/** Overall state of `admin.getClusterHealth()` (Java `ClusterHealthStatus`). */
export type ClusterHealthStatus = "GREEN" | "YELLOW" | "RED" | "UNKNOWN";

/** Replica statistics of the cluster (Java `ClusterHealth`). */
export interface ClusterHealth {
  /** Replicas of every bucket of every table and partition. */
  readonly numReplicas: number;
  /** Of those, the replicas in their bucket's in-sync replica set. */
  readonly inSyncReplicas: number;
  /** Buckets (one leader replica each). */
  readonly numLeaderReplicas: number;
  /** Buckets whose leader is active. */
  readonly activeLeaderReplicas: number;
  /**
   * GREEN: every leader active and every replica in sync; YELLOW: leaders active, some
   * replica out of sync; RED: some bucket without an active leader; UNKNOWN: any other answer.
   */
  readonly status: ClusterHealthStatus;
}

/** Row count of one bucket (Java `PbTableStatsRespForBucket`). */
export interface BucketStats {
  /** Set for buckets of a partition. */
  readonly partitionId?: number;
  /** The bucket id. */
  readonly bucket: number;
  /**
   * Primary-key tables: the live keys; log tables: the records between the log start and
   * the high watermark.
   */
  readonly rowCount: number;
}

/** `admin.getTableStats(path)`: the table's rows in total and per bucket (Java `TableStats`). */
export interface TableStats {
  /** Rows of the whole table: the sum over {@link TableStats.buckets}. */
  readonly rowCount: number;
  /** Every bucket of the table (of every partition), by partition then bucket. */
  readonly buckets: readonly BucketStats[];
}

/** The latest KV snapshot of one bucket. */
export interface BucketKvSnapshot {
  /** The bucket id. */
  readonly bucket: number;
  /** Absent when the bucket has no snapshot yet (read its changelog from the earliest offset). */
  readonly snapshotId?: number;
  /** The changelog offset to read from after the snapshot; absent with `snapshotId`. */
  readonly logOffset?: number;
}

/** `admin.getLatestKvSnapshots(...)` (Java `KvSnapshots`). */
export interface KvSnapshots {
  /** The table's id. */
  readonly tableId: number;
  /** Set for a partition. */
  readonly partitionId?: number;
  /** One entry per bucket, in bucket order. */
  readonly buckets: readonly BucketKvSnapshot[];
}

/** `admin.listKvSnapshots(...)` (Java `ActiveKvSnapshots`): snapshots still kept, per bucket. */
export interface ActiveKvSnapshots {
  /** The table's id. */
  readonly tableId: number;
  /** Set for a partition. */
  readonly partitionId?: number;
  /** Bucket id → snapshot ids (retained or leased); buckets without one are absent. */
  readonly snapshotIdsByBucket: Readonly<Record<number, readonly number[]>>;
}

/** A file of a KV snapshot (Java `FsPathAndFileName`). */
export interface FsPathAndFileName {
  /** Where the file is (the embedded cluster: its absolute path under the data directory). */
  readonly path: string;
  /** The file's name once copied to a local directory. */
  readonly fileName: string;
}

/** `admin.getKvSnapshotMetadata(bucket, snapshotId)` (Java `KvSnapshotMetadata`). */
export interface KvSnapshotMetadata {
  /** The files holding the bucket's state as of the snapshot. */
  readonly snapshotFiles: readonly FsPathAndFileName[];
  /** The changelog offset to read from after the snapshot. */
  readonly logOffset: number;
}

/** One bucket's KV snapshot, by id (Java `TableBucketSnapshot`). */
export interface TableBucketSnapshot {
  /** The table's id. */
  readonly tableId: number;
  /** Set for buckets of a partition. */
  readonly partitionId?: number | undefined;
  /** The bucket id. */
  readonly bucket: number;
  /** The snapshot's id (0, 1, 2, ... per bucket). */
  readonly snapshotId: number;
}

/** `lease.acquireSnapshots(...)` (Java `AcquireKvSnapshotLeaseResult`). */
export interface AcquireKvSnapshotLeaseResult {
  /** The snapshots that could not be leased (the bucket has no snapshot of that id); the others are. */
  readonly unavailableSnapshots: readonly TableBucketSnapshot[];
}

/** A bucket's offset in a lake snapshot. */
export interface LakeBucketOffset {
  /** The table's id. */
  readonly tableId: number;
  /** Set for buckets of a partition. */
  readonly partitionId?: number;
  /** The bucket id. */
  readonly bucket: number;
  /** The log offset tiered into the lake up to (exclusive). */
  readonly offset: number | undefined;
}

/** `admin.getLatestLakeSnapshot(path)` (Java `LakeSnapshot`). */
export interface LakeSnapshot {
  /** The lake snapshot's id. */
  readonly snapshotId: number;
  /** How far each bucket is tiered into the lake. */
  readonly tableBucketsOffset: readonly LakeBucketOffset[];
}

/** One bucket's offset registered for a producer. */
export interface ProducerBucketOffset {
  /** The table's id. */
  readonly tableId: number;
  /** Set for buckets of a partition. */
  readonly partitionId?: number;
  /** The bucket id. */
  readonly bucket: number;
  /** The log offset the producer has written up to. */
  readonly offset: number;
}

/**
 * What `registerProducerOffsets` did (Java `RegisterResult`): `CREATED` a new snapshot, or
 * found one `ALREADY_EXISTS` (not expired) and left it unchanged.
 */
export type RegisterResult = "CREATED" | "ALREADY_EXISTS";

/** A producer's registered offsets (Java `ProducerOffsetsResult`). */
export interface ProducerOffsets {
  /** The producer's id, as registered. */
  readonly producerId: string;
  /** Epoch ms after which the snapshot is expired and may be removed or replaced. */
  readonly expirationTime: number;
  /** The registered offsets, grouped by table. */
  readonly offsets: readonly ProducerBucketOffset[];
}
