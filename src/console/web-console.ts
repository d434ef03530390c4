/**
 * `WebConsole`: a page on loopback that shows a Fluss cluster (databases, tables, offsets),
 * tails a table live, looks keys up, writes a row and lists a primary-key table's current
 * rows. It reaches the cluster through flussjs's public client API, like any user program.
 */
import * as http from "node:http";
import type { AddressInfo } from "node:net";
import { Config, type ConfigInput } from "../client/config.js";
import { FlussConnection } from "../client/connection.js";
import { FlussError } from "../rpc/errors.js";
import { handleApi } from "./api.js";
import { describeError, isLocalHost, sendJson } from "./http-util.js";
import { findUiDir, serveStatic } from "./static-files.js";

/** Default port of the console (the one after Fluss's usual 9123). */
export const DEFAULT_CONSOLE_PORT = 9124;

/** Options of {@link WebConsole.start}. */
export interface WebConsoleOptions {
  /** The cluster to show: a `Config` or its options (`bootstrap.servers` first of all). */
  readonly config?: Config | ConfigInput;
  /** Port to listen on; 0 picks a free one. Default 9124. */
  readonly port?: number;
  /** Address to listen on. Default `127.0.0.1`: the console has no login, keep it on loopback. */
  readonly host?: string;
}

/**
 * A running web console: `await using ui = await WebConsole.start({ config })`, then open
 * `ui.url` in a browser. Closing it ends open tails and its connection to the cluster.
 */
export class WebConsole implements AsyncDisposable {
  private conn: Promise<FlussConnection> | undefined;
  private closing: Promise<void> | undefined;

  private constructor(
    private readonly server: http.Server,
    private readonly config: Config,
    /** The page's address, e.g. `http://127.0.0.1:9124/`. */
    readonly url: string,
  ) {}

  /** Starts serving; fails with a FlussError naming the address when the port is taken. */
  static async start(options: WebConsoleOptions = {}): Promise<WebConsole> {
    const host = options.host ?? "127.0.0.1";
    const port = options.port ?? DEFAULT_CONSOLE_PORT;
    if (!Number.isInteger(port) || port < 0 || port > 65535) throw FlussError.client(`console port must be 0-65535, got ${port}`);
    const given = options.config instanceof Config ? options.config.toObject() : (options.config ?? {});
    // a page waits for its answer: fail fast when the cluster is away (overridable)
    const config = new Config({ "connect.timeout.ms": 5000, "request.timeout.ms": 10000, ...given });
    const uiDir = findUiDir();
    let self: WebConsole | undefined;
    const server = http.createServer((req, res) => {
      if (self) self.handle(req, res, uiDir, host);
      else res.destroy();
    });
    await new Promise<void>((resolve, reject) => {
      server.once("error", (e: NodeJS.ErrnoException) =>
        reject(FlussError.client(`the web console cannot listen on ${host}:${port}: ${e.code ?? e.message}`, e)),
      );
      server.listen(port, host, () => resolve());
    });
    const bound = server.address() as AddressInfo;
    const shown = bound.family === "IPv6" ? `[${bound.address}]` : bound.address;
    self = new WebConsole(server, config, `http://${shown}:${bound.port}/`);
    return self;
  }

  private connection(): Promise<FlussConnection> {
    if (this.conn === undefined) {
      const c = FlussConnection.connect(this.config);
      this.conn = c;
      // a failed connect is forgotten: the next request tries again
      c.catch(() => {
        if (this.conn === c) this.conn = undefined;
      });
    }
    return this.conn;
  }

  private handle(req: http.IncomingMessage, res: http.ServerResponse, uiDir: string | undefined, host: string): void {
    const bootstrap = this.config.get("bootstrap.servers");
    if (!isLocalHost(req.headers.host, host)) {
      sendJson(res, 403, {
        error: `the console answers requests for this machine only, not for host "${req.headers.host ?? ""}"`,
      });
      return;
    }
    let url: URL;
    try {
      // "//" and the like are no URL: answered here, not thrown out of the listener
      url = new URL(req.url ?? "/", "http://console");
    } catch {
      sendJson(res, 400, { error: `"${req.url ?? ""}" is not a valid request target` });
      return;
    }
    if (!url.pathname.startsWith("/api/")) {
      serveStatic(res, uiDir, url.pathname);
      return;
    }
    handleApi(req, res, url, () => this.connection()).catch((e: unknown) => {
      const d = describeError(e, bootstrap);
      if (res.headersSent) res.end();
      else sendJson(res, d.status, d.code === undefined ? { error: d.error } : { error: d.error, code: d.code });
    });
  }

  /** Stops serving, ends open tails and closes the connection to the cluster. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
      this.server.closeAllConnections();
      await closed;
      await this.conn?.then((c) => c.close()).catch(() => undefined);
    })();
    return this.closing;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }
}
