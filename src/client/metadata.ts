import { ApiKey } from "../rpc/api-keys.js";
import { ErrorCode, FlussError } from "../rpc/errors.js";
import type { MetadataRequest, MetadataResponse, PbBucketMetadata, PbServerNode } from "../rpc/messages.js";
import { TablePath } from "../metadata/table-path.js";
import { parseBootstrapServers, type Config, type HostPort } from "./config.js";
import { backoffMs, isRetriableError, sleep } from "./retry.js";
import type { RpcClient } from "./rpc-client.js";

/** A server as the cluster advertises it. */
export interface NodeAddress extends HostPort {
  readonly id: number;
  readonly rack?: string;
}

/** Where one bucket lives. */
export interface BucketLocation {
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

function toNode(n: PbServerNode): NodeAddress {
  return n.rack === undefined ? { id: n.nodeId, host: n.host, port: n.port } : { id: n.nodeId, host: n.host, port: n.port, rack: n.rack };
}

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
    const failures: string[] = [];
    let lastError: unknown;
    let timedOut = false;
    outer: for (let attempt = 0; attempt < attempts; attempt++) {
      for (const addr of addresses) {
        const remaining = deadline - Date.now();
        if (remaining <= 0) {
          timedOut = true;
          break outer;
        }
        try {
          const conn = await this.rpc.connection(addr, remaining);
          const left = Math.max(1, deadline - Date.now());
          const resp = await conn.request(ApiKey.GET_METADATA, emptyRequest(), { timeoutMs: Math.min(left, this.config.get("request.timeout.ms")) });
          if (resp.tabletServers.length === 0) {
            throw new FlussError(ErrorCode.LEADER_NOT_AVAILABLE_EXCEPTION, `${addr.host}:${addr.port} reports no alive tablet server`);
          }
          this.apply(resp);
          return;
        } catch (err) {
          lastError = err;
          failures.push(err instanceof Error ? err.message : String(err));
          if (!isRetriableError(err)) break;
        }
      }
      if (attempt + 1 < attempts && isRetriableError(lastError)) {
        const wait = backoffMs(attempt, 100, 1000);
        if (Date.now() + wait >= deadline) {
          timedOut = true;
          break;
        }
        await sleep(wait);
      } else break;
    }
    const list = addresses.map((a) => `${a.host}:${a.port}`).join(", ");
    const code = lastError instanceof FlussError ? lastError.code : ErrorCode.NETWORK_EXCEPTION;
    const bound = timedOut || Date.now() >= deadline ? ` within connect.timeout.ms = ${limitMs} ms` : "";
    throw new FlussError(code, `cannot bootstrap from ${list}${bound}: ${failures[failures.length - 1] ?? "no answer"}`, {
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
    const ts = this.tabletServers();
    if (ts.length > 0) return ts[Math.floor(Math.random() * ts.length)]!;
    return this.coordinator();
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
    for (const [k, id] of this.state.partitionIds) if (id === partitionId) this.state.partitionIds.delete(k);
  }

  /** Forgets bucket leaders of a table or partition so the next use refreshes them. */
  invalidate(tableId: number, partitionId?: number): void {
    if (partitionId === undefined) this.state.tables.delete(tableId);
    else this.state.partitions.delete(partitionId);
  }

  private async refreshWith(req: MetadataRequest): Promise<void> {
    let lastError: unknown;
    for (let attempt = 0; attempt < 3; attempt++) {
      const node = attempt === 0 ? this.anyServer() : this.state.coordinator ?? this.anyServer();
      try {
        this.apply(await this.send(node, req));
        return;
      } catch (err) {
        lastError = err;
        if (!isRetriableError(err)) throw err;
        if (attempt === 1) {
          // every known server failed: start over from the bootstrap list
          await this.bootstrap().catch(() => undefined);
        }
        await sleep(backoffMs(attempt, 50, 1000));
      }
    }
    throw lastError;
  }

  private async send(node: HostPort, req: MetadataRequest): Promise<MetadataResponse> {
    const conn = await this.rpc.connection(node);
    return conn.request(ApiKey.GET_METADATA, req);
  }

  private apply(resp: MetadataResponse): void {
    const s = this.state;
    if (resp.coordinatorServer) s.coordinator = toNode(resp.coordinatorServer);
    if (resp.tabletServers.length > 0) {
      s.tabletServers = new Map(resp.tabletServers.map((n) => [n.nodeId, toNode(n)]));
    }
    for (const t of resp.tableMetadata) {
      const path = new TablePath(t.tablePath.databaseName, t.tablePath.tableName);
      s.tableIds.set(path.toString(), t.tableId);
      if (t.bucketMetadata.length > 0) {
        s.tables.set(t.tableId, { tableId: t.tableId, buckets: toBuckets(t.bucketMetadata) });
      }
    }
    for (const p of resp.partitionMetadata) {
      s.partitionIds.set(`${p.tableId}/${p.partitionName}`, p.partitionId);
      s.partitions.set(p.partitionId, {
        tableId: p.tableId,
        partitionId: p.partitionId,
        partitionName: p.partitionName,
        buckets: toBuckets(p.bucketMetadata),
      });
    }
  }
}
