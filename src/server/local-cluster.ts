/**
 * `LocalCluster`: a complete single-process Fluss cluster (coordinator + one tablet
 * server on one port) that stores its catalog and logs in a data directory.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { AppendNotifier } from "./append-notifier.js";
import { coordinatorHandlers } from "./coordinator-service.js";
import { apiVersionsHandler, metadataHandler } from "./metadata-service.js";
import { RpcServer, type RawHandler } from "./rpc-server.js";
import { SILENT_LOGGER, type ClusterLogger, type ServerState } from "./server-state.js";
import { KvManager, type KvManagerOptions } from "./kv/kv-manager.js";
import { kvHandlers } from "./kv-service.js";
import { scanHandlers } from "./scan-service.js";
import { CatalogStore } from "./storage/catalog-store.js";
import { LogManager } from "./storage/log-manager.js";
import { TRANSIENT_BODY_API_KEYS, tabletHandlers } from "./tablet-service.js";
import { ApiKey } from "../rpc/api-keys.js";
import { FlussError } from "../rpc/errors.js";

export type { ClusterLogger } from "./server-state.js";

/** Options of {@link LocalCluster.start}. */
export interface LocalClusterOptions {
  /** Port to listen on; 0 (the default) picks a free port. */
  port?: number;
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
}

/**
 * A running single-node cluster. `await using cluster = await LocalCluster.start()` closes
 * it at the end of the scope.
 */
export class LocalCluster implements AsyncDisposable {
  private closing: Promise<void> | undefined;

  private constructor(
    private readonly server: RpcServer,
    private readonly state: ServerState,
    private readonly host: string,
    /** The data directory in use. */
    readonly dataDir: string,
    private readonly ownsDataDir: boolean,
  ) {}

  /**
   * Opens the catalog and logs in the data directory and starts serving. Restarting on the
   * same directory sees the same databases, tables and records.
   */
  static async start(options: LocalClusterOptions = {}): Promise<LocalCluster> {
    const host = options.host ?? "127.0.0.1";
    const logger = options.logger ?? SILENT_LOGGER;
    const ownsDataDir = options.dataDir === undefined;
    const dataDir = options.dataDir ?? fs.mkdtempSync(path.join(os.tmpdir(), "flussjs-"));
    let logs: LogManager | undefined;
    let kv: KvManager | undefined;
    try {
      fs.mkdirSync(dataDir, { recursive: true });
      const catalog = CatalogStore.open(dataDir);
      logs = new LogManager(dataDir, {
        logger: { warn: (m) => logger.warn(m) },
        syncEveryAppend: options.syncEveryWrite ?? false,
      });
      kv = new KvManager(logs, { ...options.kv, logger: { warn: (m) => logger.warn(m) } });
      const state: ServerState = { catalog, logs, kv, notifier: new AppendNotifier(), clock: Date.now, logger };
      const handlers = new Map<number, RawHandler>([
        ...coordinatorHandlers(state),
        ...tabletHandlers(state),
        ...kvHandlers(state),
        ...scanHandlers(state),
      ]);
      handlers.set(ApiKey.GET_METADATA, metadataHandler(state));
      handlers.set(ApiKey.API_VERSIONS, apiVersionsHandler(() => handlers.keys()));
      const server = new RpcServer(handlers, {
        host,
        port: options.port ?? 0,
        onError: (err) => logger.error("Unexpected error while serving a request", err),
        transientBodyApiKeys: TRANSIENT_BODY_API_KEYS,
      });
      await server.listen();
      const cluster = new LocalCluster(server, state, host, dataDir, ownsDataDir);
      logger.info(`Fluss local cluster listening on ${cluster.bootstrapServers}, data in ${dataDir}`);
      return cluster;
    } catch (err) {
      await kv?.closeAll().catch(() => undefined);
      await logs?.closeAll().catch(() => undefined);
      if (ownsDataDir) fs.rmSync(dataDir, { recursive: true, force: true });
      throw err;
    }
  }

  /** The address clients bootstrap from, e.g. `"127.0.0.1:9123"`. */
  get bootstrapServers(): string {
    const h = this.host.includes(":") ? `[${this.host}]` : this.host;
    return `${h}:${this.port}`;
  }

  /** The port actually bound. */
  get port(): number {
    return this.server.port;
  }

  /**
   * Test hook: makes server `id` (this cluster's single node: coordinator 0 = tablet
   * server 0) hang as a stopped process would (`true`): connections are accepted but no
   * request is read and no response written until `setUnresponsive(id, false)`, which
   * serves everything that waited, in order.
   */
  setUnresponsive(id: number, unresponsive: boolean): void {
    if (id !== 0) throw FlussError.client(`this local cluster has one server, id 0 (got server id ${id})`);
    this.server.setUnresponsive(unresponsive);
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

  private async doClose(): Promise<void> {
    await this.server.close();
    // KV first: a clean close snapshots each bucket's state, which flushes its log
    await this.state.kv.closeAll();
    await this.state.logs.closeAll();
    if (this.ownsDataDir) fs.rmSync(this.dataDir, { recursive: true, force: true });
    this.state.logger.info("Fluss local cluster stopped");
  }
}
