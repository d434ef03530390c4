/**
 * State shared by the coordinator and tablet-server handlers of the single-process
 * cluster: the catalog, the bucket logs, append notifications and the node identity.
 */
import type { AppendNotifier } from "./append-notifier.js";
import type { CatalogStore } from "./storage/catalog-store.js";
import type { KvManager } from "./kv/kv-manager.js";
import type { LogManager } from "./storage/log-manager.js";
import type { Leadership, LeadershipView } from "./cluster/leadership.js";
import type { DynamicConfigManager } from "./admin/dynamic-config.js";
import type { ProducerOffsetsManager } from "./admin/producer-offsets.js";
import type { KvSnapshotLeaseManager } from "./admin/kv-snapshot-leases.js";
import type { RemoteLogManager } from "./tiering/remote-log-manager.js";

/**
 * Node id of the coordinator and of the one tablet server. Both roles share one listener;
 * Java clients key connections by "cs-<id>" / "ts-<id>", so equal ids do not collide.
 */
export const COORDINATOR_ID = 0;
/** See {@link COORDINATOR_ID}. */
export const TABLET_SERVER_ID = 0;
/** Number of live tablet servers (bounds the replication factor). */
export const TABLET_SERVER_COUNT = 1;

/** Where the cluster reports problems and lifecycle events. */
export interface ClusterLogger {
  info(message: string): void;
  warn(message: string): void;
  error(message: string, err?: unknown): void;
}

/** A logger that drops everything. */
export const SILENT_LOGGER: ClusterLogger = { info: () => {}, warn: () => {}, error: () => {} };

/** Everything the handlers share. */
export interface ServerState {
  readonly catalog: CatalogStore;
  readonly logs: LogManager;
  /** The KV state of primary-key buckets. */
  readonly kv: KvManager;
  readonly notifier: AppendNotifier;
  /** Wall clock, epoch ms. */
  readonly clock: () => number;
  readonly logger: ClusterLogger;
  /** Which server of the cluster these handlers run on, and what it knows of the others. */
  readonly node?: ServerNode;
  /** Initial and dynamic server options (DescribeClusterConfigs, AlterClusterConfigs). */
  readonly clusterConfigs: DynamicConfigManager;
  /** Producer offset snapshots of exactly-once producers. */
  readonly producerOffsets: ProducerOffsetsManager;
  /** KV snapshot leases (the snapshots they hold are kept). */
  readonly kvSnapshotLeases: KvSnapshotLeaseManager;
  /** Tiered log storage (`remote.data.dir`); absent: logs are local only. */
  readonly remoteLogs?: RemoteLogManager;
}

/**
 * One server of the local cluster. `"combined"` is the single listener of a one-server
 * cluster playing both roles (no leadership checks: it leads every bucket).
 */
export interface ServerNode {
  readonly role: "coordinator" | "tablet-server" | "combined";
  /** The node id (coordinator: its own id; tablet servers: 0..n-1). */
  readonly serverId: number;
  /** The live leadership (what this server serves by). */
  readonly leadership: Leadership;
  /** The leadership this server reports in Metadata (a tablet server's may lag the live one). */
  view(): LeadershipView;
  /** Port of the coordinator's listener. */
  coordinatorPort(): number;
  /** Port of tablet server `id`'s listener. */
  tabletServerPort(id: number): number;
}
