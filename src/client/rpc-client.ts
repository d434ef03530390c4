import { FlussError } from "../rpc/errors.js";
import { ServerConnection } from "../rpc/server-connection.js";
import type { Config, HostPort } from "./config.js";
import { authenticatorFor } from "./auth/sasl-plain.js";

/** The kind of server an advertised address belongs to. */
export type ServerKind = "COORDINATOR" | "TABLET_SERVER";

/**
 * The client's connections: one socket per server address, opened lazily, shared by
 * every request to that server (requests are pipelined on it), and replaced when it dies.
 */
export class RpcClient {
  private readonly connections = new Map<string, Promise<ServerConnection>>();
  /** Established connections, for callers that must not wait a microtask (fetch loop). */
  private readonly established = new Map<string, ServerConnection>();
  private closed = false;

  /** SASL authentication of every new connection (undefined: PLAINTEXT). */
  private readonly authenticate: ReturnType<typeof authenticatorFor>;

  constructor(private readonly config: Config) {
    this.authenticate = authenticatorFor(config);
  }

  /**
   * The established, open connection to `node`, or undefined (then use {@link connection}).
   * Synchronous, so a request can be written before queued promise callbacks run.
   */
  openConnection(node: HostPort & { readonly type?: ServerKind }): ServerConnection | undefined {
    if (this.closed) return undefined;
    const conn = this.established.get(`${node.host}:${node.port}`);
    return conn && !conn.closed && !conn.serverTypeMismatch(node.type) ? conn : undefined;
  }

  /**
   * The live connection to `node`, connecting (and handshaking) if needed. `limitMs` caps
   * the TCP connect and the handshake of a new connection (the bootstrap's deadline).
   */
  async connection(node: HostPort & { readonly type?: ServerKind }, limitMs?: number): Promise<ServerConnection> {
    const conn = await this.connectionTo(node, limitMs);
    // a server the metadata advertises must be of the advertised kind (Java checks the
    // ApiVersions `server_type`); bootstrap addresses carry no kind and are not checked
    const mismatch = conn.serverTypeMismatch(node.type);
    if (mismatch) {
      conn.close();
      throw mismatch;
    }
    return conn;
  }

  private async connectionTo(node: HostPort, limitMs?: number): Promise<ServerConnection> {
    if (this.closed) throw FlussError.client("the connection has been closed");
    const key = `${node.host}:${node.port}`;
    const existing = this.connections.get(key);
    if (existing) {
      try {
        const conn = await existing;
        if (!conn.closed) return conn;
      } catch {
        // a failed connect is retried below
      }
      if (this.connections.get(key) === existing) this.connections.delete(key);
    }
    const connectTimeoutMs = this.config.get("connect.timeout.ms");
    const requestTimeoutMs = this.config.get("request.timeout.ms");
    const pending = ServerConnection.connect({
      host: node.host,
      port: node.port,
      connectTimeoutMs: limitMs === undefined ? connectTimeoutMs : Math.max(1, Math.min(connectTimeoutMs, limitMs)),
      requestTimeoutMs,
      ...(limitMs === undefined ? {} : { handshakeTimeoutMs: Math.max(1, Math.min(requestTimeoutMs, limitMs)) }),
      ...(this.authenticate ? { authenticate: this.authenticate } : {}),
    });
    this.connections.set(key, pending);
    pending.then(
      (conn) => {
        if (this.closed) return;
        this.established.set(key, conn);
        conn.onClose(() => {
          if (this.connections.get(key) === pending) this.connections.delete(key);
          if (this.established.get(key) === conn) this.established.delete(key);
        });
      },
      () => {
        if (this.connections.get(key) === pending) this.connections.delete(key);
      },
    );
    return pending;
  }

  /** Closes every connection; pending requests fail with a clear error. */
  close(): void {
    this.closed = true;
    for (const p of this.connections.values()) {
      p.then(
        (c) => c.close(),
        () => undefined,
      );
    }
    this.connections.clear();
    this.established.clear();
  }

  get isClosed(): boolean {
    return this.closed;
  }
}

/** Sleeps `ms` milliseconds. */
