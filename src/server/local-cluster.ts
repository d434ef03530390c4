/**
 * `LocalCluster`: a complete single-process Fluss cluster that stores its catalog and logs
 * in a data directory: a coordinator and one tablet server on one port (the default), or a
 * coordinator and N tablet servers each on its own port, sharing the storage (no
 * replication: leadership is routing). Test hooks stop and start servers, move leaders,
 * drop connections, hang servers, inject errors and delays.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { AppendNotifier, bucketKey } from "./append-notifier.js";
import { coordinatorHandlers } from "./coordinator-service.js";
import { apiVersionsHandler, metadataHandler } from "./metadata-service.js";
import { RpcServer, type RawHandler } from "./rpc-server.js";
import { SILENT_LOGGER, type ClusterLogger, type ServerNode, type ServerState } from "./server-state.js";
import { Leadership, type LeadershipView } from "./cluster/leadership.js";
import { FaultInjector, resolveApiKey, type ServerRef } from "./cluster/faults.js";
import { KvManager, type KvManagerOptions } from "./kv/kv-manager.js";
import { kvHandlers } from "./kv-service.js";
import { closeScanSessions, scanHandlers } from "./scan-service.js";
import { CatalogStore } from "./storage/catalog-store.js";
import { DataDirLock } from "./storage/data-dir-lock.js";
import { describeOsCause, storageError } from "./storage/storage-errors.js";
import { openFileLimit, type OpenFiles } from "./storage/open-files.js";
import { LogManager } from "./storage/log-manager.js";
import { RemoteLogManager, ensureRemoteRoot } from "./tiering/remote-log-manager.js";
import { RemotePath } from "./tiering/remote-paths.js";
import { fsTokenHandlers } from "./tiering/fs-token-service.js";
import { TRANSIENT_BODY_API_KEYS, tabletHandlers } from "./tablet-service.js";
import { COORDINATOR_ID } from "./server-state.js";
import { ApiKey, COORDINATOR_API_KEYS, ServerType, TABLET_SERVER_API_KEYS, type ApiKeyName } from "../rpc/api-keys.js";
import { ErrorCode, FlussError } from "../rpc/errors.js";
import * as M from "../rpc/messages.js";
import { TablePath } from "../metadata/table-path.js";
import { tableView } from "./table-view.js";
import { adminHandlers } from "./admin/admin-service.js";
import { DynamicConfigManager } from "./admin/dynamic-config.js";
import { ProducerOffsetsManager } from "./admin/producer-offsets.js";
import { KvSnapshotLeaseManager } from "./admin/kv-snapshot-leases.js";
import { parseJavaDuration } from "../metadata/table-options.js";
import {
  resolveSecurity,
  secureHandlers,
  type LocalClusterSecurity,
  type ResolvedSecurity,
} from "./security/cluster-security.js";

export type { ClusterLogger } from "./server-state.js";
export type { ServerRef } from "./cluster/faults.js";
export type { LocalClusterSecurity } from "./security/cluster-security.js";

/** Options of {@link LocalCluster.start}. */
export interface LocalClusterOptions {
  /**
   * Port to listen on (with several tablet servers: the coordinator's); 0 (the default)
   * picks a free port.
   */
  port?: number;
  /**
   * Number of tablet servers (default 1). One: a single listener plays coordinator 0 and
   * tablet server 0. More: the coordinator (node id 0) and tablet servers 0..n-1 each listen
   * on their own port, share this process's storage, and lead the buckets of new tables in
   * turn; a tablet server answers NOT_LEADER_OR_FOLLOWER for buckets it does not lead.
   */
  tabletServers?: number;
  /**
   * Ports of the tablet servers when `tabletServers` > 1 (default: `port + 1`, `port + 2`,
   * ... when `port` is set, else free ports).
   */
  tabletServerPorts?: readonly number[];
  /**
   * How long a tablet server's metadata lags the coordinator's (default 0): after a leader
   * move, a server stop or start, or a table or partition creation, each tablet server's
   * Metadata answers (and whether it knows a new table at all) change exactly this many ms
   * later, as Fluss's servers learn changes from the coordinator's UpdateMetadata. Leadership
   * itself changes at once. See {@link LocalCluster.setMetadataLag}.
   */
  metadataLagMs?: number;
  /** Interface to listen on (default "127.0.0.1"); also the host advertised in metadata. */
  host?: string;
  /** Where data lives; absent → a fresh temporary directory, removed by {@link LocalCluster.close}. */
  dataDir?: string;
  /** Lifecycle and error messages (default: silent). */
  logger?: ClusterLogger;
  /**
   * fdatasync each write before acknowledging it, so acknowledged data survives an OS crash
   * or power loss too. Default false: acknowledged writes are in the OS page cache, which
   * survives any crash or restart of the process, and are forced to disk every second (as
   * Fluss and Kafka do by default).
   */
  syncEveryWrite?: boolean;
  /**
   * Primary-key state: snapshot thresholds (`snapshotBytes`, default 64 MiB of changelog;
   * `snapshotIntervalMs`, default 60 s) and the per-bucket pending-apply budget behind
   * STORAGE_BACKPRESSURE (`maxPendingBytes`, default 64 MiB). Full-scan (ScanKv) sessions
   * as Java's `kv.scanner.*`: idle time `scannerTtlMs` (10 min), checked every
   * `scannerExpirationIntervalMs` (30 s), at most `scannerMaxPerBucket` (8) and
   * `scannerMaxPerServer` (200) open, responses capped at `scannerMaxBatchBytes` (10 MiB).
   */
  kv?: Pick<
    KvManagerOptions,
    | "snapshotBytes"
    | "snapshotIntervalMs"
    | "maxPendingBytes"
    | "scannerTtlMs"
    | "scannerExpirationIntervalMs"
    | "scannerMaxPerBucket"
    | "scannerMaxPerServer"
    | "scannerMaxBatchBytes"
  >;
  /**
   * Segment files kept open at most; the least recently used idle ones beyond are closed and
   * reopened on use (default: half the process's open-file limit, 64 to 4,096).
   */
  maxOpenSegmentFiles?: number;
  /**
   * Server options as a Fluss `server.yaml` holds them (keys and values as strings).
   * `admin.describeClusterConfigs()` reports them as INITIAL_SERVER_CONFIG (with `data.dir`).
   * The cluster acts on `kv.snapshot.interval` (a dynamic option: `alterClusterConfigs`
   * changes it at run time), `kv.snapshot.num-retained` (snapshots kept per bucket besides
   * leased ones, default 2), `kv.snapshot.lease.expiration-check-interval` (default 10 min),
   * `coordinator.producer-offsets.ttl` (default 24 h) and
   * `coordinator.producer-offsets.cleanup-interval` (default 1 h).
   */
  serverConfig?: Readonly<Record<string, string>>;
  /**
   * Serve the web console too (`{}` for port 9124, `{ port: 0 }` for any free port) on
   * loopback; the address to open, with its access token, is {@link LocalCluster.consoleUrl}.
   * `token`: a new random one per start by default, a string to set it, `false` for none
   * (see `WebConsoleOptions.token`).
   */
  ui?: { port?: number; host?: string; token?: string | false };
  /**
   * Remote (tiered) storage of log segments, Fluss's `remote.data.dir`: a directory path or
   * a `file:` URI (default `<dataDir>/remote`). Closed segments beyond
   * `table.log.tiered.local-segments` are copied there, in Fluss's layout, and removed
   * locally; FetchLog answers offsets below the local log start with where they are.
   */
  remoteDataDir?: string;
  /**
   * Log segments each bucket keeps locally, the active one included, as Java counts them
   * (overrides every table's `table.log.tiered.local-segments`, default 2); the older,
   * closed ones are tiered.
   */
  localSegmentsToKeep?: number;
  /** Size at which a log segment is rolled (Fluss `log.segment.file-size`, default 64 MiB). */
  segmentBytes?: number;
  /**
   * How often each open bucket's tiering task runs (Fluss `remote.log.task-interval-duration`,
   * 1 min there; default here 1000 ms); 0: only through {@link LocalCluster.runRemoteLogTasks}.
   */
  remoteLogTaskIntervalMs?: number;
  /**
   * Authentication and authorization (default: none, every client may do anything):
   * `users` turns on SASL/PLAIN on every listener, `superUsers` and `authorization: true`
   * check every request against ACLs as Java's DefaultAuthorizer (see {@link LocalClusterSecurity}).
   */
  security?: LocalClusterSecurity;
}

/**
 * The SASL settings of the console of a secured cluster: it signs in as a super user (or,
 * without authorization, as any user), so that its pages work; the console listens on
 * loopback only, for the developer who started the cluster.
 */
function consoleCredentials(security: LocalClusterSecurity | undefined): Record<string, string> {
  const users = security?.users;
  if (users === undefined) return {};
  const names = Object.keys(users);
  const superUser = names.find((n) => (security?.superUsers ?? []).includes(`User:${n}`));
  const name = superUser ?? (security?.authorization ? undefined : names[0]);
  if (name === undefined) {
    throw FlussError.client(
      "the web console of a cluster with authorization signs in as a super user: name one of `users` in `superUsers`",
    );
  }
  return {
    "client.security.protocol": "SASL",
    "client.security.sasl.username": name,
    "client.security.sasl.password": users[name]!,
  };
}

/** Whether binding `host` keeps the server reachable from this machine only. */
function isLoopback(host: string): boolean {
  const h = host.toLowerCase().replace(/^\[|\]$/g, "");
  return h === "localhost" || h === "::1" || /^127\.\d+\.\d+\.\d+$/.test(h) || h === "::ffff:127.0.0.1";
}

/** What {@link LocalCluster.moveLeader} moves. */
export interface MoveLeaderOptions {
  /** The table, as a TablePath or `"db.table"`. */
  table: TablePath | string;
  /** The bucket id. */
  bucket: number;
  /** The tablet server id to lead the bucket from now on. */
  to: number;
  /** The partition of a partitioned table. */
  partitionId?: number;
}

/** What {@link LocalCluster.injectError} injects. */
export interface InjectErrorOptions {
  /** The api key: its number or Java's name, e.g. `"PRODUCE_LOG"`. */
  apiKey: number | ApiKeyName;
  /** The error code the requests fail with (see `ErrorCode`). */
  errorCode: number;
  /** How many of the next such requests fail. */
  count: number;
  /** Only requests to this tablet server (or `"coordinator"`); default: any server. */
  serverId?: ServerRef;
}

/** What {@link LocalCluster.delay} delays. */
export interface DelayOptions {
  /** The api key: its number or Java's name, e.g. `"FETCH_LOG"`. */
  apiKey: number | ApiKeyName;
  /** How long each such request waits before it is handled; 0 removes the delay. */
  ms: number;
  /** Only requests to this tablet server (or `"coordinator"`); default: any server. */
  serverId?: ServerRef;
}

/** One listener of the cluster. */
interface Slot {
  readonly ref: ServerRef;
  readonly label: string;
  readonly handlers: ReadonlyMap<number, RawHandler>;
  readonly intercept: ReturnType<FaultInjector["interceptorFor"]>;
  server: RpcServer | undefined;
  port: number;
  unresponsive: boolean;
}

/** Everything a cluster is made of. */
interface Parts {
  readonly shared: ServerState;
  readonly host: string;
  readonly dataDir: string;
  readonly ownsDataDir: boolean;
  /** The data directory's exclusive lock, released on close. */
  readonly lock: DataDirLock;
  readonly leadership: Leadership;
  readonly faults: FaultInjector;
  /** Single-listener clusters: the one slot; else the coordinator's. */
  readonly coordinator: Slot;
  /** Tablet servers by id (single-listener: none, the coordinator slot plays tablet server 0). */
  readonly tablets: ReadonlyMap<number, Slot>;
  readonly views: Map<number, LeadershipView>;
  /** SASL users and the authorizer, when configured. */
  readonly security: ResolvedSecurity;
}

/**
 * A running local cluster. `await using cluster = await LocalCluster.start()` closes it at
 * the end of the scope.
 */
export class LocalCluster implements AsyncDisposable {
  private closing: Promise<void> | undefined;
  private metadataLag: number;
  private readonly lagTimers = new Set<NodeJS.Timeout>();
  private console: { readonly url: string; close(): Promise<void> } | undefined;

  private constructor(
    private readonly parts: Parts,
    metadataLagMs: number,
  ) {
    this.metadataLag = metadataLagMs;
    this.dataDir = parts.dataDir;
    if (parts.tablets.size > 0) {
      parts.leadership.onChange(() => this.propagate());
      if (metadataLagMs > 0) this.freezeViews();
    }
  }

  /** The data directory in use. */
  readonly dataDir: string;

  /**
   * Fluss's `remote.data.dir` of this cluster, as the servers report it (a plain absolute
   * path, or `file:/...` when given as a `file:` URI). Tiered log segments live under
   * `<remoteDataDir>/log/`.
   */
  get remoteDataDir(): string {
    return this.parts.shared.remoteLogs!.remoteDataDir;
  }

  /**
   * Test hook: runs the tiering task of every open bucket log once, now: copies closed
   * segments to remote storage, expires remote segments past `table.log.ttl`, and deletes
   * local segments beyond `table.log.tiered.local-segments` or past `table.log.local-ttl`.
   */
  async runRemoteLogTasks(): Promise<void> {
    this.checkOpen();
    await this.parts.shared.remoteLogs!.runAll();
  }

  /** The state every server shares (tests inspect it, e.g. the append notifier's waiters). */
  private get state(): ServerState {
    return this.parts.shared;
  }

  /**
   * Opens the catalog and logs in the data directory and starts serving. Restarting on the
   * same directory sees the same databases, tables and records.
   */
  static async start(options: LocalClusterOptions = {}): Promise<LocalCluster> {
    const host = options.host ?? "127.0.0.1";
    const logger = options.logger ?? SILENT_LOGGER;
    const count = options.tabletServers ?? 1;
    if (!Number.isInteger(count) || count < 1 || count > 64) {
      throw FlussError.client(`tabletServers must be an integer from 1 to 64, got ${count}`);
    }
    const lag = options.metadataLagMs ?? 0;
    checkLag(lag);
    checkTiering(options);
    const ownsDataDir = options.dataDir === undefined;
    const dataDir = options.dataDir ?? fs.mkdtempSync(path.join(os.tmpdir(), "flussjs-"));
    let logs: LogManager | undefined;
    let kv: KvManager | undefined;
    let producerOffsets: ProducerOffsetsManager | undefined;
    let kvSnapshotLeases: KvSnapshotLeaseManager | undefined;
    let remoteLogs: RemoteLogManager | undefined;
    const started: RpcServer[] = [];
    let lock: DataDirLock | undefined;
    try {
      try {
        fs.mkdirSync(dataDir, { recursive: true });
      } catch (e) {
        throw storageError("Creating data directory", dataDir, e, ErrorCode.STORAGE_EXCEPTION);
      }
      // before anything reads or writes: a second server on a live server's dir fails here
      lock = DataDirLock.acquire(dataDir);
      const catalog = CatalogStore.open(dataDir);
      const security = resolveSecurity(options.security, catalog.dir);
      logs = new LogManager(dataDir, {
        logger: { warn: (m) => logger.warn(m), error: (m) => logger.error(m) },
        syncEveryAppend: options.syncEveryWrite ?? false,
        ...(options.maxOpenSegmentFiles !== undefined ? { maxOpenSegmentFiles: options.maxOpenSegmentFiles } : {}),
        ...(options.segmentBytes !== undefined ? { segmentBytes: options.segmentBytes } : {}),
      });
      const serverConfig = new Map<string, string>([["data.dir", dataDir], ...Object.entries(options.serverConfig ?? {})]);
      kv = new KvManager(logs, {
        ...options.kv,
        ...snapshotsRetainedOption(serverConfig),
        logger: { warn: (m) => logger.warn(m) },
      });
      const clusterConfigs = DynamicConfigManager.open(dataDir, serverConfig);
      followSnapshotInterval(clusterConfigs, kv, logger);
      producerOffsets = ProducerOffsetsManager.open(dataDir, {
        ...durationOption(serverConfig, "coordinator.producer-offsets.ttl", "ttlMs"),
        ...durationOption(serverConfig, "coordinator.producer-offsets.cleanup-interval", "cleanupIntervalMs"),
        logger,
      });
      const leases = KvSnapshotLeaseManager.open(dataDir, {
        ...durationOption(serverConfig, "kv.snapshot.lease.expiration-check-interval", "expirationCheckIntervalMs"),
        logger,
      });
      kvSnapshotLeases = leases;
      kv.snapshotLeased = (tableId, partitionId, bucket, id) => leases.isLeased(tableId, partitionId, bucket, id);
      const root = RemotePath.root(options.remoteDataDir ?? path.join(dataDir, "remote"));
      ensureRemoteRoot(root);
      remoteLogs = new RemoteLogManager(catalog, logs, {
        root,
        ...(options.localSegmentsToKeep !== undefined ? { localSegmentsToKeep: options.localSegmentsToKeep } : {}),
        taskIntervalMs: options.remoteLogTaskIntervalMs ?? 1000,
        clock: Date.now,
        logger,
      });
      const tiered = remoteLogs;
      kv.earlierChangelog = (tableId, partitionId, bucket) => (to) => tiered.changelogBefore(tableId, partitionId, bucket, to);
      const shared: ServerState = {
        catalog,
        logs,
        kv,
        notifier: new AppendNotifier(),
        clock: Date.now,
        logger,
        clusterConfigs,
        producerOffsets,
        kvSnapshotLeases: leases,
        remoteLogs,
      };
      const ids = Array.from({ length: count }, (_, i) => i);
      const leadership = new Leadership(ids);
      const faults = new FaultInjector();
      const views = new Map<number, LeadershipView>(ids.map((id) => [id, leadership]));
      const tablets = new Map<number, Slot>();
      // ports are filled in once listening; nodes read them at request time
      const portOf = (slot: () => Slot | undefined) => () => slot()?.port ?? 0;
      let coordinator: Slot;
      const node = (role: ServerNode["role"], serverId: number, view: () => LeadershipView): ServerNode => ({
        role,
        serverId,
        leadership,
        view,
        coordinatorPort: portOf(() => coordinator),
        tabletServerPort: (id) => (count === 1 ? coordinator.port : (tablets.get(id)?.port ?? 0)),
      });
      if (count === 1) {
        const state: ServerState = { ...shared, node: node("combined", 0, () => leadership) };
        const handlers = allHandlers(state);
        handlers.set(
          ApiKey.API_VERSIONS,
          apiVersionsHandler(() => handlers.keys()),
        );
        const served = secureHandlers(handlers, security, state);
        coordinator = newSlot(0, "server 0", served, faults.interceptorFor(0, "coordinator"), options.port ?? 0);
      } else {
        const cs: ServerState = { ...shared, node: node("coordinator", COORDINATOR_ID, () => leadership) };
        const ch = roleHandlers(cs, COORDINATOR_API_KEYS, ServerType.COORDINATOR);
        announceCreations(ch, cs, leadership);
        const served = secureHandlers(ch, security, cs, COORDINATOR_API_KEYS);
        coordinator = newSlot("coordinator", "coordinator", served, faults.interceptorFor("coordinator"), options.port ?? 0);
        const basePort = options.port ?? 0;
        for (const id of ids) {
          const ts: ServerState = { ...shared, node: node("tablet-server", id, () => views.get(id) ?? leadership) };
          const th = roleHandlers(ts, TABLET_SERVER_API_KEYS, ServerType.TABLET_SERVER);
          const port = options.tabletServerPorts?.[id] ?? (basePort === 0 ? 0 : basePort + 1 + id);
          const tserved = secureHandlers(th, security, ts, TABLET_SERVER_API_KEYS);
          tablets.set(id, newSlot(id, `tablet server ${id}`, tserved, faults.interceptorFor(id), port));
        }
      }
      const parts: Parts = {
        shared,
        host,
        dataDir,
        ownsDataDir,
        lock,
        leadership,
        faults,
        coordinator,
        tablets,
        views,
        security,
      };
      for (const slot of [coordinator, ...tablets.values()]) {
        await openSlot(parts, slot);
        started.push(slot.server!);
      }
      const cluster = new LocalCluster(parts, lag);
      if (!isLoopback(host) && security.users === undefined) {
        logger.warn(
          `Listening on ${cluster.bootstrapServers}, reachable from other machines: this cluster has no ` +
            `authentication, so anyone who can reach this port can read, write and drop every table`,
        );
      }
      const more = count > 1 ? ` (coordinator; tablet servers ${[...tablets.values()].map((s) => s.port).join(", ")})` : "";
      const secured = security.users === undefined ? "" : `, SASL/PLAIN${security.authorizer ? " with ACL authorization" : ""}`;
      logger.info(`Fluss local cluster listening on ${cluster.bootstrapServers}${more}${secured}, data in ${dataDir}`);
      if (options.ui) {
        try {
          await cluster.startConsole(options.ui, options.security);
        } catch (e) {
          await cluster.close();
          throw e;
        }
        logger.info(`Web console at ${cluster.consoleUrl}`);
      }
      return cluster;
    } catch (err) {
      for (const s of started) await s.close().catch(() => undefined);
      producerOffsets?.close();
      kvSnapshotLeases?.close();
      await remoteLogs?.close().catch(() => undefined);
      await kv?.closeAll().catch(() => undefined);
      await logs?.closeAll().catch(() => undefined);
      lock?.release();
      if (ownsDataDir) fs.rmSync(dataDir, { recursive: true, force: true });
      throw err;
    }
  }

  /**
   * The web console's address with its access token when started with `ui`
   * (e.g. `http://127.0.0.1:9124/?token=…`): open it in a browser.
   */
  get consoleUrl(): string | undefined {
    return this.console?.url;
  }

  /**
   * The console is a client of this cluster (it uses the public client API, a layer beside
   * the server's), so it is loaded only when asked for.
   */
  private async startConsole(ui: NonNullable<LocalClusterOptions["ui"]>, security?: LocalClusterSecurity): Promise<void> {
    const { WebConsole } = await import("../console/web-console.js");
    this.console = await WebConsole.start({
      ...ui,
      config: { "bootstrap.servers": this.bootstrapServers, ...consoleCredentials(security) },
    });
  }

  /** The address clients bootstrap from (the coordinator's), e.g. `"127.0.0.1:9123"`. */
  get bootstrapServers(): string {
    return this.serverAddress("coordinator");
  }

  /** The port actually bound (the coordinator's). */
  get port(): number {
    return this.parts.coordinator.port;
  }

  /** Node ids of the tablet servers (`[0]` for a single-server cluster). */
  get tabletServerIds(): readonly number[] {
    return this.parts.leadership.serverIds;
  }

  /** `host:port` of a tablet server or of the coordinator (one address for a single-server cluster). */
  serverAddress(server: ServerRef): string {
    const h = this.parts.host.includes(":") ? `[${this.parts.host}]` : this.parts.host;
    return `${h}:${this.slot(server).port}`;
  }

  /**
   * Test hook: stops tablet server `id` as a crash would: its listener closes and every
   * connection to it drops. Its buckets report no leader (they are not moved) until
   * {@link startTabletServer} or {@link moveLeader}. In a single-server cluster this stops
   * the one listener, coordinator included.
   */
  async stopTabletServer(id: number): Promise<void> {
    const slot = this.slot(this.checkServerId(id));
    const server = slot.server;
    if (!server) return;
    slot.server = undefined;
    slot.unresponsive = false; // a started server is a new process: not hung
    this.parts.leadership.setAlive(id, false);
    await server.close();
    closeScanSessions(this.parts.shared, { serverId: id });
  }

  /**
   * Test hook: starts a stopped tablet server again on its port (answering: a
   * `setUnresponsive` hang ended with the stop); its buckets have their leader back.
   */
  async startTabletServer(id: number): Promise<void> {
    const slot = this.slot(this.checkServerId(id));
    if (slot.server) return;
    this.checkOpen();
    await openSlot(this.parts, slot);
    this.parts.leadership.setAlive(id, true);
  }

  /**
   * Test hook: makes tablet server `to` the leader of a bucket, with the leader epoch
   * bumped. Meanwhile the bucket has no leader (requests get NOT_LEADER_OR_FOLLOWER) until
   * the writes already running on it have finished, so its log and KV state are never
   * written through two servers at once. Resolves with the new leader epoch.
   */
  async moveLeader(options: MoveLeaderOptions): Promise<number> {
    this.checkOpen();
    const { table, bucket, to, partitionId } = options;
    const tablePath = typeof table === "string" ? TablePath.parse(table) : table;
    const entry = this.parts.shared.catalog.getTable(tablePath);
    if (!entry) throw new FlussError(ErrorCode.TABLE_NOT_EXIST, `Table '${tablePath.toString()}' does not exist.`);
    const t = tableView(entry);
    if (t.isPartitioned) {
      if (partitionId === undefined)
        throw FlussError.client(`moveLeader: table ${tablePath.toString()} is partitioned: give partitionId`);
      const p = this.parts.shared.catalog.getPartitionById(partitionId);
      if (!p || p.tableId !== entry.tableId) {
        throw new FlussError(
          ErrorCode.PARTITION_NOT_EXISTS,
          `Partition id ${partitionId} of table ${tablePath.toString()} does not exist.`,
        );
      }
    } else if (partitionId !== undefined) {
      throw FlussError.client(
        `moveLeader: table ${tablePath.toString()} is not partitioned, but partitionId ${partitionId} was given`,
      );
    }
    if (!Number.isInteger(bucket) || bucket < 0 || bucket >= t.bucketCount) {
      throw FlussError.client(
        `moveLeader: bucket ${bucket} does not exist in table ${tablePath.toString()} (buckets 0..${t.bucketCount - 1})`,
      );
    }
    this.checkServerId(to);
    const { leadership, shared } = this.parts;
    leadership.beginMove(entry.tableId, partitionId, bucket);
    // writes that passed the old leader's check finish before the new leader takes over
    for (let round = 0; round < 2; round++) {
      await new Promise((resolve) => setImmediate(resolve));
      const log = await shared.logs.getIfOpen(entry.tableId, partitionId, bucket)?.catch(() => undefined);
      await log?.whenIdle();
      const kv = await shared.kv.getIfOpen(entry.tableId, partitionId, bucket)?.catch(() => undefined);
      await kv?.whenIdle();
    }
    const epoch = leadership.completeMove(entry.tableId, partitionId, bucket, to);
    // scans of the bucket end with its leadership (continuations: SCANNER_EXPIRED)
    closeScanSessions(shared, { bucket: bucketKey(entry.tableId, partitionId, bucket) });
    return epoch;
  }

  /**
   * Test hook: snapshots the KV state of every open primary-key bucket that changed since
   * its last snapshot, now (as the periodic `kv.snapshot.interval` snapshot would), and
   * waits until the snapshots are written and retention has run.
   */
  async snapshotKv(): Promise<void> {
    this.checkOpen();
    await this.parts.shared.kv.snapshotAll();
  }

  /** Test hook: every server closes every open connection (listeners stay open). */
  dropConnections(): void {
    for (const slot of this.slots()) slot.server?.dropConnections();
  }

  /**
   * Test hook: makes tablet server `id` (or `"coordinator"`) hang as a stopped process
   * would (`true`): connections stay open and new ones are accepted, but no request is read
   * and no response written until `setUnresponsive(id, false)`, which serves everything
   * that waited, in order. In a single-server cluster, 0 and "coordinator" are the one server.
   */
  setUnresponsive(id: ServerRef, unresponsive: boolean): void {
    const slot = this.slot(id === "coordinator" ? id : this.checkServerId(id));
    slot.unresponsive = unresponsive;
    slot.server?.setUnresponsive(unresponsive);
  }

  /**
   * Test hook: the next `count` requests of `apiKey` (to `serverId`, or to any server) are
   * answered with `errorCode` instead of being handled.
   */
  injectError(options: InjectErrorOptions): void {
    const server =
      options.serverId === undefined || options.serverId === "coordinator"
        ? options.serverId
        : this.checkServerId(options.serverId);
    this.parts.faults.addError(resolveApiKey(options.apiKey), options.errorCode, options.count, server);
  }

  /** Test hook: every request of `apiKey` (to `serverId`, or to any server) waits `ms` before it is handled; `ms` 0 removes the delay. */
  delay(options: DelayOptions): void {
    const server =
      options.serverId === undefined || options.serverId === "coordinator"
        ? options.serverId
        : this.checkServerId(options.serverId);
    this.parts.faults.setDelay(resolveApiKey(options.apiKey), options.ms, server);
  }

  /**
   * Test hook: restarts the coordinator: its listener closes (its connections drop) and
   * opens again on the same port, answering (a `setUnresponsive` hang ends with the old
   * process). In a single-server cluster that is the one listener.
   */
  async restartCoordinator(): Promise<void> {
    this.checkOpen();
    const slot = this.parts.coordinator;
    const server = slot.server;
    slot.server = undefined;
    slot.unresponsive = false; // the new process is not hung
    await server?.close();
    await openSlot(this.parts, slot);
  }

  /**
   * Test hook: how long tablet servers' metadata lags the coordinator's from now on (see
   * {@link LocalClusterOptions.metadataLagMs}); 0 brings every tablet server up to date at once.
   */
  setMetadataLag(ms: number): void {
    checkLag(ms);
    const was = this.metadataLag;
    this.metadataLag = ms;
    if (ms === 0) this.propagate();
    else if (was === 0) this.freezeViews();
  }

  /** With a lag, tablet servers answer from snapshots: each starts from the current state. */
  private freezeViews(): void {
    const snap = this.parts.leadership.snapshot();
    for (const id of this.parts.tablets.keys()) this.parts.views.set(id, snap);
  }

  /** Stops accepting, closes connections and storage, and removes a temporary data dir. */
  close(): Promise<void> {
    this.closing ??= this.doClose();
    return this.closing;
  }

  /** {@link close}, for `await using`. */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  /** Hands the live leadership to each tablet server's metadata, now or after the lag. */
  private propagate(): void {
    const { leadership, views, tablets } = this.parts;
    if (this.metadataLag === 0) {
      for (const id of tablets.keys()) views.set(id, leadership);
      return;
    }
    const snap = leadership.snapshot();
    const timer = setTimeout(() => {
      this.lagTimers.delete(timer);
      for (const id of tablets.keys()) {
        const cur = views.get(id);
        if (cur !== leadership && (cur?.version ?? -1) < snap.version) views.set(id, snap);
      }
    }, this.metadataLag);
    timer.unref();
    this.lagTimers.add(timer);
  }

  private slot(server: ServerRef): Slot {
    const { coordinator, tablets } = this.parts;
    if (server === "coordinator" || tablets.size === 0) return coordinator;
    return tablets.get(this.checkServerId(server))!;
  }

  private slots(): Slot[] {
    return [this.parts.coordinator, ...this.parts.tablets.values()];
  }

  private checkServerId(id: number): number {
    const ids = this.tabletServerIds;
    if (!ids.includes(id)) {
      const has = ids.length === 1 ? "one server, id 0" : `tablet servers with ids ${ids.join(", ")}`;
      throw FlussError.client(`this local cluster has ${has} (got server id ${id})`);
    }
    return id;
  }

  private checkOpen(): void {
    if (this.closing) throw FlussError.client("the local cluster is closed");
  }

  private async doClose(): Promise<void> {
    await this.console?.close();
    for (const t of this.lagTimers) clearTimeout(t);
    this.lagTimers.clear();
    await Promise.all(
      this.slots().map(async (slot) => {
        const server = slot.server;
        slot.server = undefined;
        await server?.close();
      }),
    );
    const state = this.state;
    state.producerOffsets.close();
    state.kvSnapshotLeases.close();
    await state.remoteLogs?.close();
    // KV first: a clean close snapshots each bucket's state, which flushes its log
    await state.kv.closeAll();
    await state.logs.closeAll();
    this.parts.lock.release();
    if (this.parts.ownsDataDir) fs.rmSync(this.dataDir, { recursive: true, force: true });
    state.logger.info("Fluss local cluster stopped");
  }
}

/** Checks the tiering options of {@link LocalClusterOptions}. */
function checkTiering(options: LocalClusterOptions): void {
  const { localSegmentsToKeep: keep, segmentBytes, remoteDataDir } = options;
  if (keep !== undefined && (!Number.isInteger(keep) || keep < 1)) {
    throw FlussError.client(`localSegmentsToKeep must be a positive integer (the active segment counts), got ${keep}`);
  }
  const interval = options.remoteLogTaskIntervalMs;
  if (interval !== undefined && (!Number.isFinite(interval) || interval < 0)) {
    throw FlussError.client(`remoteLogTaskIntervalMs must be a non-negative number of ms, got ${interval}`);
  }
  if (segmentBytes !== undefined && (!Number.isInteger(segmentBytes) || segmentBytes < 1 || segmentBytes > 0x7fffffff)) {
    throw FlussError.client(`segmentBytes must be an integer from 1 to 2^31-1, got ${segmentBytes}`);
  }
  if (remoteDataDir !== undefined && (typeof remoteDataDir !== "string" || remoteDataDir.length === 0)) {
    throw FlussError.client(`remoteDataDir must be a non-empty path or file: URI`);
  }
}

function checkLag(ms: number): void {
  if (!Number.isFinite(ms) || ms < 0) throw FlussError.client(`metadataLagMs must be a non-negative number of ms, got ${ms}`);
}

function newSlot(
  ref: ServerRef,
  label: string,
  handlers: ReadonlyMap<number, RawHandler>,
  intercept: Slot["intercept"],
  port: number,
): Slot {
  return { ref, label, handlers, intercept, server: undefined, port, unresponsive: false };
}

/** Starts a slot's listener on its port (the bound port is kept for restarts). */
async function openSlot(parts: Parts, slot: Slot): Promise<void> {
  const logger = parts.shared.logger;
  const server = new RpcServer(slot.handlers, {
    host: parts.host,
    port: slot.port,
    onError: (err) => logger.error(`Unexpected error while serving a request (${slot.label})`, err),
    onAcceptError: (err) => reportAcceptError(parts.shared.logs.openFiles, logger, err),
    onBadFrame: (message, remoteHost) => logger.warn(`Closed the connection from ${remoteHost} to the ${slot.label}: ${message}`),
    transientBodyApiKeys: TRANSIENT_BODY_API_KEYS,
    intercept: slot.intercept,
    requireAuthentication: parts.security.users !== undefined,
  });
  slot.port = await server.listen();
  if (slot.unresponsive) server.setUnresponsive(true);
  slot.server = server;
}

/** Out of descriptors: say so, and close idle segment files so the next accept works. */
function reportAcceptError(openFiles: OpenFiles, logger: ClusterLogger, err: unknown): void {
  const before = openFiles.openCount;
  openFiles.shrinkTo(Math.floor(before / 2));
  logger.error(
    `Cannot accept a connection: ${describeOsCause(err)}; closed ${before - openFiles.openCount} idle ` +
      `segment files (limit ${openFileLimit() ?? "unknown"} descriptors, maxOpenSegmentFiles ` +
      `${openFiles.maxOpen}); raise the limit (ulimit -n) or lower maxOpenSegmentFiles`,
  );
}

/**
 * Makes the KV snapshot interval follow the dynamic option `kv.snapshot.interval`; without
 * it, the interval the cluster started with. A value the tablet servers cannot take is
 * skipped with a warning, as Java's tablet servers skip it (`DefaultSnapshotContext.validate`).
 */
function followSnapshotInterval(configs: DynamicConfigManager, kv: KvManager, logger: ClusterLogger): void {
  const started = kv.snapshotIntervalMs;
  configs.register({
    reconfigure(config) {
      const raw = config.get("kv.snapshot.interval");
      let ms = started;
      if (raw !== undefined) {
        let parsed: number | undefined;
        try {
          parsed = parseJavaDuration(raw);
        } catch (e) {
          logger.warn(`Skipped invalid config kv.snapshot.interval=${raw}: ${(e as Error).message}`);
        }
        if (parsed !== undefined && parsed <= 0) {
          logger.warn(`Invalid kv.snapshot.interval can not be negative or zero: ${parsed} ms`);
        } else if (parsed !== undefined) ms = parsed;
      }
      kv.snapshotIntervalMs = ms;
    },
  });
}

/** A duration option of the server config as `{ [field]: ms }`, or nothing when unset. */
/** `kv.snapshot.num-retained` (Java: a positive int, default 2). */
function snapshotsRetainedOption(config: ReadonlyMap<string, string>): { snapshotsRetained?: number } {
  const raw = config.get("kv.snapshot.num-retained");
  if (raw === undefined) return {};
  const n = Number(raw.trim());
  if (!/^\s*[+-]?\d+\s*$/.test(raw) || !Number.isSafeInteger(n) || n <= 0) {
    throw FlussError.client(`serverConfig kv.snapshot.num-retained must be a positive integer, got "${raw}"`);
  }
  return { snapshotsRetained: n };
}

function durationOption<F extends string>(config: ReadonlyMap<string, string>, key: string, field: F): { [K in F]?: number } {
  const raw = config.get(key);
  if (raw === undefined) return {};
  try {
    return { [field]: parseJavaDuration(raw) } as { [K in F]?: number };
  } catch (e) {
    throw FlussError.client(`serverConfig ${key}: ${(e as Error).message}`);
  }
}

/** Every handler the cluster has, for `state`'s server. */
function allHandlers(state: ServerState): Map<number, RawHandler> {
  const handlers = new Map<number, RawHandler>([
    ...coordinatorHandlers(state),
    ...adminHandlers(state),
    ...tabletHandlers(state),
    ...kvHandlers(state),
    ...scanHandlers(state),
    ...fsTokenHandlers(),
  ]);
  handlers.set(ApiKey.GET_METADATA, metadataHandler(state));
  return handlers;
}

/** The handlers of one role: the keys Java's server of that role serves, and its server_type. */
function roleHandlers(state: ServerState, keys: ReadonlySet<number>, serverType: number): Map<number, RawHandler> {
  const handlers = new Map([...allHandlers(state)].filter(([k]) => keys.has(k)));
  handlers.set(
    ApiKey.API_VERSIONS,
    apiVersionsHandler(() => handlers.keys(), serverType),
  );
  return handlers;
}

/** Wraps the coordinator's CreateTable/CreatePartition so leadership records what appeared (metadata lag). */
function announceCreations(handlers: Map<number, RawHandler>, state: ServerState, leadership: Leadership): void {
  const createTable = handlers.get(ApiKey.CREATE_TABLE);
  if (createTable) {
    handlers.set(ApiKey.CREATE_TABLE, async (body, ctx) => {
      const tablePath = decodeOrUndefined(() => M.CreateTableRequest.decode(body).tablePath);
      const existed = tablePath && state.catalog.getTable(tablePath)?.tableId;
      const resp = await createTable(body, ctx);
      const t = tablePath && state.catalog.getTable(tablePath);
      if (t && t.tableId !== existed) leadership.tableCreated(t.tableId);
      return resp;
    });
  }
  const createPartition = handlers.get(ApiKey.CREATE_PARTITION);
  if (createPartition) {
    handlers.set(ApiKey.CREATE_PARTITION, async (body, ctx) => {
      const tablePath = decodeOrUndefined(() => M.CreatePartitionRequest.decode(body).tablePath);
      const t = tablePath && state.catalog.getTable(tablePath);
      const before = new Set(t ? state.catalog.listPartitions(t.tableId).map((p) => p.partitionId) : []);
      const resp = await createPartition(body, ctx);
      if (t) {
        for (const p of state.catalog.listPartitions(t.tableId)) {
          if (!before.has(p.partitionId)) leadership.tableCreated(t.tableId, p.partitionId);
        }
      }
      return resp;
    });
  }
}

/** A request field, or undefined when the body does not decode (the handler answers that). */
function decodeOrUndefined<T>(fn: () => T): T | undefined {
  try {
    return fn();
  } catch {
    return undefined;
  }
}
