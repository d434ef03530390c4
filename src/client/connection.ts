import { ApiKey } from "../rpc/api-keys.js";
import { FlussError } from "../rpc/errors.js";
import { Config, type ConfigInput } from "./config.js";
import type { ClientContext, ConnectionResource } from "./context.js";
import { FlussAdmin, toTablePath, type TablePathLike } from "./admin.js";
import { MetadataUpdater } from "./metadata.js";
import { RpcClient } from "./rpc-client.js";
import { RemoteStorage } from "./scan/remote/remote-storage.js";
import { FlussTable } from "./table.js";
import { checkSchemaMatches } from "./schema-check.js";
import type { Schema } from "../metadata/schema.js";
import type { RowOfColumns } from "../row/typed-rows.js";
import type { RowObject } from "../row/values.js";

/**
 * A connection to a Fluss cluster: the entry point of the client.
 *
 * ```ts
 * await using conn = await FlussConnection.connect(new Config({ "bootstrap.servers": "127.0.0.1:9123" }));
 * const admin = conn.getAdmin();
 * const table = await conn.getTable("fluss.orders");
 * ```
 * Closing it (explicitly or through `await using`) flushes open writers first.
 */
export class FlussConnection implements AsyncDisposable {
  private readonly resources = new Set<ConnectionResource>();
  private closing: Promise<void> | undefined;
  private readonly ctx: ClientContext;

  private constructor(config: Config) {
    const rpc = new RpcClient(config);
    const metadata = new MetadataUpdater(rpc, config);
    const admin = FlussAdmin.create(rpc, metadata);
    // the remote-storage token comes from any tablet server (Java FlussConnection:
    // getOneAvailableTabletServerNode)
    const remoteStorage = new RemoteStorage(config, async () => {
      const servers = metadata.tabletServers();
      const node = servers[Math.floor(Math.random() * servers.length)] ?? metadata.anyServer();
      const conn = await rpc.connection(node);
      return conn.request(ApiKey.GET_FILESYSTEM_SECURITY_TOKEN, {});
    });
    this.ctx = {
      config,
      rpc,
      metadata,
      admin,
      remoteStorage,
      track: (r) => {
        // every writer and scanner registers here: none can be created once closing began
        this.ensureOpen();
        this.resources.add(r);
        return () => this.resources.delete(r);
      },
    };
  }

  /**
   * Connects to the cluster named by `bootstrap.servers`: fetches the cluster's servers
   * from the first bootstrap server that answers. Fails with a FlussError naming the
   * addresses when none does within `connect.timeout.ms`.
   */
  static async connect(config: Config | ConfigInput = new Config()): Promise<FlussConnection> {
    const conn = new FlussConnection(config instanceof Config ? config : new Config(config));
    try {
      await conn.ctx.metadata.bootstrap();
    } catch (err) {
      conn.ctx.rpc.close();
      throw err;
    }
    return conn;
  }

  /** The configuration in use. */
  get config(): Config {
    return this.ctx.config;
  }

  /** Administration of databases, tables, partitions and offsets. */
  getAdmin(): FlussAdmin {
    this.ensureOpen();
    return this.ctx.admin;
  }

  /**
   * A table handle for writing and reading; fails with TABLE_NOT_EXIST for unknown tables.
   * Rows are loosely typed unless a row type is given: `conn.getTable<Row>(path)` types
   * the rows as `Row` (not checked at run time; the primary key is unknown to the types,
   * so keys are checked at run time only; `conn.getTable<Row, "id">(path)` names it).
   */
  async getTable<R = RowObject, K extends string = string>(path: TablePathLike): Promise<FlussTable<R, K>>;
  /**
   * A table handle typed by `schema` (from `Schema.fromColumns` or `Schema.builder()`): its
   * rows are `RowOf<typeof schema>` and its keys `KeyOf<typeof schema>`. Fails with
   * TABLE_NOT_EXIST for unknown tables, and with a CLIENT_ERROR naming the difference when
   * the table's columns, types or primary key are not those of `schema`.
   */
  async getTable<C extends object, K extends string>(
    path: TablePathLike,
    schema: Schema<C, K>,
  ): Promise<FlussTable<RowOfColumns<C, K>, K>>;
  async getTable(path: TablePathLike, schema?: Schema): Promise<FlussTable> {
    this.ensureOpen();
    const p = toTablePath(path);
    // Java FlussConnection.getTable refreshes the table's metadata first: with its bucket
    // leaders known, a writer's first full batch goes out at once, not after an RPC that
    // only the event loop could complete. A failure here is left to the writers' own refresh.
    const [info] = await Promise.all([
      this.ctx.admin.getTableInfo(p),
      this.ctx.metadata.updateTables([p]).catch(() => undefined),
    ]);
    if (schema !== undefined) checkSchemaMatches(info, schema);
    return FlussTable.create(this.ctx, info);
  }

  /** Whether {@link close} was called. */
  get closed(): boolean {
    return this.closing !== undefined;
  }

  /** Flushes and closes open writers and scanners, then closes every socket. */
  close(): Promise<void> {
    if (!this.closing) {
      this.closing = (async () => {
        const errors: unknown[] = [];
        for (const r of [...this.resources]) {
          try {
            await r.close();
          } catch (err) {
            errors.push(err);
          }
        }
        this.resources.clear();
        this.ctx.remoteStorage.close();
        this.ctx.rpc.close();
        if (errors.length > 0) throw errors[0];
      })();
    }
    return this.closing;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  private ensureOpen(): void {
    if (this.closing) throw FlussError.client("this FlussConnection is closed");
  }
}
