import { ApiKey } from "../rpc/api-keys.js";
import { ErrorCode, FlussError } from "../rpc/errors.js";
import type { MetadataRequest, MetadataResponse, PbBucketMetadata, PbServerNode } from "../rpc/messages.js";
import { TablePath } from "../metadata/table-path.js";
import { parseBootstrapServers, type Config, type HostPort } from "./config.js";
import { backoffMs, isRetriableError, sleep } from "./retry.js";
import type { RpcClient, ServerKind } from "./rpc-client.js";

/** A server as the cluster advertises it. */
export interface NodeAddress extends HostPort {
  readonly id: number;
  readonly rack?: string;
  /** What the metadata says it is; connections check the server's announced `server_type`. */
  readonly type?: ServerKind;
}

/** Where one bucket lives. */
interface BucketLocation {
  readonly bucketId: number;
  readonly leaderId: number | undefined;
  readonly replicas: readonly number[];
}

/** Buckets of a non-partitioned table, or of one partition. */
export interface PhysicalTableMetadata {
  readonly tableId: number;
  readonly partitionId?: number;
  readonly partitionName?: string;
  readonly buckets: readonly BucketLocation[];
}

interface ClusterState {
  coordinator?: NodeAddress;
  tabletServers: Map<number, NodeAddress>;
  /** "db.table" → table id. */
  tableIds: Map<string, number>;
  /** table id → buckets (non-partitioned tables). */
  tables: Map<number, PhysicalTableMetadata>;
  /** partition id → buckets. */
  partitions: Map<number, PhysicalTableMetadata>;
  /** "tableId/partitionName" → partition id. */
  partitionIds: Map<string, number>;
}

function toNode(n: PbServerNode, type: ServerKind): NodeAddress {
  return n.rack === undefined
    ? { id: n.nodeId, host: n.host, port: n.port, type }
    : { id: n.nodeId, host: n.host, port: n.port, rack: n.rack, type };
}

const addressOf = (n: HostPort): string => `${n.host}:${n.port}`;

function toBuckets(list: readonly PbBucketMetadata[]): BucketLocation[] {
  return list
    .map((b) => ({ bucketId: b.bucketId, leaderId: b.leaderId, replicas: b.replicaId }))
    .sort((a, b) => a.bucketId - b.bucketId);
}

function emptyRequest(): MetadataRequest {
  return { tablePath: [], partitionsPath: [], partitionsId: [] };
}

/**
 * The client's view of the cluster: servers, and the bucket leaders of the tables it uses.
 * Bootstraps from `bootstrap.servers`; refreshes on demand (unknown leaders, stale-metadata
 * errors), always from a live server.
 */
export class MetadataUpdater {
  private state: ClusterState = {
    tabletServers: new Map(),
    tableIds: new Map(),
    tables: new Map(),
    partitions: new Map(),
    partitionIds: new Map(),
  };

  /**
   * Metadata requests sent so far: each answer is applied with the number of its request,
   * and an entry is only replaced by the answer to a later request than the one that set
   * (or invalidated) it, so an older answer never overwrites a newer one (refreshes run
   * concurrently; Java serializes them with `synchronized`, MetadataUpdater.java:252).
   */
  private requestSeq = 0;
  private serversSeq = 0;
  /** "t<tableId>", "p<partitionId>", "n<path>", "pn<tableId>/<name>" → request number that last set or invalidated it. */
  private readonly entrySeq = new Map<string, number>();
  /**
   * Servers ("host:port") whose metadata request just failed: skipped by the next refreshes
   * until an answer lists them alive again (Java `unavailableTabletServerIds`,
   * MetadataUpdater.java:73, 270-280). When every known server is in it, the cluster is
   * learned afresh from the bootstrap servers.
   */
  private readonly unavailable = new Set<string>();

  constructor(
    private readonly rpc: RpcClient,
    private readonly config: Config,
  ) {}

  /**
   * Sends an empty metadata request to the bootstrap servers until one answers with a
   * usable cluster. The whole of it (TCP connects, handshakes, requests, the waits between
   * attempts) is bounded by `connect.timeout.ms`: Java bounds only the TCP connect with
   * `client.connect-timeout` (NettyClient) and lets a bootstrap take four metadata requests
   * of up to 30 s each against a hung server (MetadataUpdater#initializeCluster,
   * MetadataUtils.java:157); here one documented bound covers `FlussConnection.connect`.
   */
  async bootstrap(): Promise<void> {
    const addresses = parseBootstrapServers(this.config.get("bootstrap.servers"));
    const limitMs = this.config.get("connect.timeout.ms");
    const deadline = Date.now() + limitMs;
    const attempts = addresses.length === 1 ? 4 : 1;
    const failures = new Map<string, string>();
    let lastError: unknown;
    let retriable = false;
    let timedOut = false;
    outer: for (let attempt = 0; attempt < attempts; attempt++) {
      retriable = false;
      for (let i = 0; i < addresses.length; i++) {
        const addr = addresses[i]!;
        const remaining = deadline - Date.now();
        if (remaining <= 0) {
          timedOut = true;
          break outer;
        }
        // Every address is tried before giving up (Java MetadataUpdater#initializeCluster
        // catches each address's failure, MetadataUpdater.java:368-400): a hung one gets a
        // share of the time left, not all of it.
        const share = Math.max(Math.min(remaining, 1000), Math.floor(remaining / (addresses.length - i)));
        const stop = Date.now() + share;
        try {
          const conn = await this.rpc.connection(addr, share);
          const left = Math.max(1, stop - Date.now());
          const seq = ++this.requestSeq;
          const resp = await conn.request(ApiKey.GET_METADATA, emptyRequest(), {
            timeoutMs: Math.min(left, this.config.get("request.timeout.ms")),
          });
          if (resp.tabletServers.length === 0) {
            throw new FlussError(ErrorCode.LEADER_NOT_AVAILABLE_EXCEPTION, `${addressOf(addr)} reports no alive tablet server`);
          }
          this.apply(resp, seq);
          return;
        } catch (err) {
          // a standby coordinator (NOT_COORDINATOR_LEADER), a port that does not speak
          // Fluss, a refused or hung connection: the next address may answer
          lastError = err;
          failures.set(addressOf(addr), err instanceof Error ? err.message : String(err));
          if (isRetriableError(err) || (err instanceof FlussError && err.code === ErrorCode.NOT_COORDINATOR_LEADER_EXCEPTION))
            retriable = true;
        }
      }
      if (attempt + 1 < attempts && retriable) {
        const wait = backoffMs(attempt, 100, 1000);
        if (Date.now() + wait >= deadline) {
          timedOut = true;
          break;
        }
        await sleep(wait);
      } else break;
    }
    const list = addresses.map(addressOf).join(", ");
    const code = lastError instanceof FlussError ? lastError.code : ErrorCode.NETWORK_EXCEPTION;
    const bound = timedOut || Date.now() >= deadline ? ` within connect.timeout.ms = ${limitMs} ms` : "";
    const why =
      failures.size === 0
        ? "no answer"
        : failures.size === 1
          ? [...failures.values()][0]!
          : [...failures].map(([a, m]) => `${a}: ${m}`).join("; ");
    throw new FlussError(code, `cannot bootstrap from ${list}${bound}: ${why}`, {
      cause: lastError,
    });
  }

  /** The coordinator (admin writes go there). */
  coordinator(): NodeAddress {
    const c = this.state.coordinator;
    if (!c) throw new FlussError(ErrorCode.NETWORK_EXCEPTION, "the cluster has no coordinator server");
    return c;
  }

  /** Every alive tablet server. */
  tabletServers(): NodeAddress[] {
    return [...this.state.tabletServers.values()];
  }

  /** Coordinator plus tablet servers as last seen. */
  snapshot(): { coordinator?: NodeAddress; tabletServers: NodeAddress[] } {
    return this.state.coordinator
      ? { coordinator: this.state.coordinator, tabletServers: this.tabletServers() }
      : { tabletServers: this.tabletServers() };
  }

  /** A tablet server by id. */
  tabletServer(id: number): NodeAddress | undefined {
    return this.state.tabletServers.get(id);
  }

  /** Any live server to ask metadata from (a tablet server, as Java does; else the coordinator). */
  anyServer(): NodeAddress {
    return this.availableServer() ?? this.tabletServers()[0] ?? this.coordinator();
  }

  /**
   * A server to ask metadata from that has not just failed: a random tablet server (Java
   * `getOneAvailableTabletServerNode`), else the coordinator; undefined when all failed.
   */
  private availableServer(): NodeAddress | undefined {
    const ts = this.tabletServers().filter((n) => !this.unavailable.has(addressOf(n)));
    if (ts.length > 0) return ts[Math.floor(Math.random() * ts.length)]!;
    const c = this.state.coordinator;
    return c && !this.unavailable.has(addressOf(c)) ? c : undefined;
  }

  /** Buckets of a non-partitioned table (after {@link updateTables}). */
  tableBuckets(tableId: number): PhysicalTableMetadata | undefined {
    return this.state.tables.get(tableId);
  }

  /** Buckets of a partition (after {@link updatePartitions}). */
  partitionBuckets(partitionId: number): PhysicalTableMetadata | undefined {
    return this.state.partitions.get(partitionId);
  }

  /** The id of a partition by name, if known. */
  partitionId(tableId: number, partitionName: string): number | undefined {
    return this.state.partitionIds.get(`${tableId}/${partitionName}`);
  }

  /** The id a table path had in the last metadata seen (after {@link updateTables}). */
  tableIdOf(path: TablePath): number | undefined {
    return this.state.tableIds.get(path.toString());
  }

  /** The leader of a bucket if known. */
  leaderFor(tableId: number, partitionId: number | undefined, bucket: number): NodeAddress | undefined {
    const meta = partitionId === undefined ? this.state.tables.get(tableId) : this.state.partitions.get(partitionId);
    const loc = meta?.buckets.find((b) => b.bucketId === bucket);
    return loc?.leaderId === undefined ? undefined : this.state.tabletServers.get(loc.leaderId);
  }

  /**
   * Checks with the cluster that `path` is still the table with id `tableId`: resolves when
   * it is; fails with TABLE_NOT_EXIST naming the table when it was dropped (and perhaps
   * re-created under the same name with a new id); other failures (network) as they come.
   */
  async checkTableId(path: TablePath, tableId: number): Promise<void> {
    let current: number | undefined;
    try {
      await this.updateTables([path]);
      current = this.tableIdOf(path);
    } catch (err) {
      if (!(err instanceof FlussError) || err.code !== ErrorCode.TABLE_NOT_EXIST) throw err;
      current = undefined;
    }
    if (current === tableId) return;
    if (current === undefined) this.state.tableIds.delete(path.toString());
    this.invalidate(tableId);
    const now = current === undefined ? "it was dropped" : `it was dropped and re-created with table id ${current}`;
    throw new FlussError(
      ErrorCode.TABLE_NOT_EXIST,
      `table ${path.toString()} (table id ${tableId}) no longer exists: ${now}; get the table again for a new writer or scanner`,
    );
  }

  /** Refreshes the list of servers from a live server. */
  async refreshServers(): Promise<void> {
    await this.refreshWith(emptyRequest());
  }

  /** Refreshes the bucket metadata of tables (and servers) from the cluster. */
  async updateTables(paths: readonly TablePath[]): Promise<void> {
    const req = emptyRequest();
    req.tablePath = paths.map((p) => ({ databaseName: p.databaseName, tableName: p.tableName }));
    await this.refreshWith(req);
  }

  /** Refreshes partitions (by id or name) of a table. */
  async updatePartitions(path: TablePath, options: { ids?: number[]; names?: string[] }): Promise<void> {
    const req = emptyRequest();
    req.tablePath = [{ databaseName: path.databaseName, tableName: path.tableName }];
    req.partitionsId = options.ids ?? [];
    req.partitionsPath = (options.names ?? []).map((n) => ({
      databaseName: path.databaseName,
      tableName: path.tableName,
      partitionName: n,
    }));
    await this.refreshWith(req);
  }

  /**
   * Forgets a partition the cluster says does not exist (dropped): its buckets and its name,
   * so a partition re-created under the same name is looked up afresh.
   */
  forgetPartition(partitionId: number): void {
    this.state.partitions.delete(partitionId);
    this.entrySeq.set(`p${partitionId}`, this.requestSeq);
    for (const [k, id] of this.state.partitionIds) {
      if (id === partitionId) {
        this.state.partitionIds.delete(k);
        this.entrySeq.set(`pn${k}`, this.requestSeq);
      }
    }
  }

  /**
   * Forgets bucket leaders of a table or partition so the next use refreshes them; answers
   * to metadata requests sent before this call do not bring them back.
   */
  invalidate(tableId: number, partitionId?: number): void {
    if (partitionId === undefined) {
      this.state.tables.delete(tableId);
      this.entrySeq.set(`t${tableId}`, this.requestSeq);
    } else {
      this.state.partitions.delete(partitionId);
      this.entrySeq.set(`p${partitionId}`, this.requestSeq);
    }
  }

  /**
   * Sends `req` to an available server and applies the answer. A server that fails
   * (network, timeout, retriable error, an answer without alive tablet servers) is marked
   * unavailable and the next one is tried; when none is left, the cluster is learned afresh
   * from the bootstrap servers (Java MetadataUpdater#updateMetadata, MetadataUpdater.java:244-291).
   */
  private async refreshWith(req: MetadataRequest): Promise<void> {
    let lastError: unknown;
    for (let attempt = 0; attempt < 4; attempt++) {
      const node = this.availableServer();
      if (!node) {
        try {
          await this.bootstrap();
        } catch (err) {
          lastError = err;
          if (!isRetriableError(err)) throw err;
          await sleep(backoffMs(attempt, 50, 1000));
        }
        continue;
      }
      const seq = ++this.requestSeq;
      try {
        const resp = await this.send(node, req);
        if (resp.tabletServers.length === 0) {
          // an answer without alive tablet servers is stale (MetadataUtils.java:116)
          throw new FlussError(
            ErrorCode.LEADER_NOT_AVAILABLE_EXCEPTION,
            `${addressOf(node)} reports no alive tablet server (stale metadata)`,
          );
        }
        this.apply(resp, seq);
        return;
      } catch (err) {
        lastError = err;
        if (!isRetriableError(err)) throw err;
        this.unavailable.add(addressOf(node));
        if (attempt > 0) await sleep(backoffMs(attempt - 1, 50, 1000));
      }
    }
    throw lastError;
  }

  private async send(node: NodeAddress, req: MetadataRequest): Promise<MetadataResponse> {
    const conn = await this.rpc.connection(node);
    return conn.request(ApiKey.GET_METADATA, req);
  }

  /** Whether an answer to request `seq` may replace the entry `key`; if so, records it. */
  private newer(key: string, seq: number): boolean {
    if (seq <= (this.entrySeq.get(key) ?? 0)) return false;
    this.entrySeq.set(key, seq);
    return true;
  }

  private apply(resp: MetadataResponse, seq: number): void {
    const s = this.state;
    if (resp.tabletServers.length > 0 && seq > this.serversSeq) {
      this.serversSeq = seq;
      if (resp.coordinatorServer) s.coordinator = toNode(resp.coordinatorServer, "COORDINATOR");
      s.tabletServers = new Map(resp.tabletServers.map((n) => [n.nodeId, toNode(n, "TABLET_SERVER")]));
      // servers listed alive again are tried again (MetadataUpdater.java:270)
      for (const n of s.tabletServers.values()) this.unavailable.delete(addressOf(n));
      if (s.coordinator) this.unavailable.delete(addressOf(s.coordinator));
    }
    for (const t of resp.tableMetadata) {
      const path = new TablePath(t.tablePath.databaseName, t.tablePath.tableName);
      if (this.newer(`n${path.toString()}`, seq)) s.tableIds.set(path.toString(), t.tableId);
      if (t.bucketMetadata.length > 0 && this.newer(`t${t.tableId}`, seq)) {
        s.tables.set(t.tableId, { tableId: t.tableId, buckets: toBuckets(t.bucketMetadata) });
      }
    }
    for (const p of resp.partitionMetadata) {
      const nameKey = `${p.tableId}/${p.partitionName}`;
      if (this.newer(`pn${nameKey}`, seq)) s.partitionIds.set(nameKey, p.partitionId);
      if (this.newer(`p${p.partitionId}`, seq)) {
        s.partitions.set(p.partitionId, {
          tableId: p.tableId,
          partitionId: p.partitionId,
          partitionName: p.partitionName,
          buckets: toBuckets(p.bucketMetadata),
        });
      }
    }
  }
}
