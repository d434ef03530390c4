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
import { ConsoleAccess, checkAccessToken, newAccessToken } from "./access-token.js";
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
  /**
   * Address to listen on. Default `127.0.0.1`: keep it on loopback (plain HTTP: the token
   * and the data travel in clear).
   */
  readonly host?: string;
  /**
   * The access token every API and event-stream request must carry (Jupyter-style): by
   * default a new random one per start, shown in {@link WebConsole.url}
   * (`http://127.0.0.1:9124/?token=…`); opening that address sets an HttpOnly,
   * SameSite=Strict cookie, and scripts may send `Authorization: Bearer <token>` instead.
   * A string sets the token (characters `A-Z a-z 0-9 . _ ~ -`); `false` turns the check
   * off, for tests or when the console is embedded behind a login of your own (then anyone
   * who can reach the port acts with the console's cluster rights).
   */
  readonly token?: string | false;
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
    /** The console's address without the token, e.g. `http://127.0.0.1:9124/`. */
    readonly address: string,
    /** The access token (undefined when started with `token: false`). */
    readonly token: string | undefined,
    private readonly access: ConsoleAccess | undefined,
  ) {}

  /**
   * The address to open in a browser: {@link WebConsole.address} with `?token=…` (without the token
   * check, the address itself).
   */
  get url(): string {
    return this.token === undefined ? this.address : `${this.address}?token=${this.token}`;
  }

  /** Starts serving; fails with a FlussError naming the address when the port is taken. */
  static async start(options: WebConsoleOptions = {}): Promise<WebConsole> {
    const host = options.host ?? "127.0.0.1";
    const port = options.port ?? DEFAULT_CONSOLE_PORT;
    if (!Number.isInteger(port) || port < 0 || port > 65535) throw FlussError.client(`console port must be 0-65535, got ${port}`);
    const token =
      options.token === false ? undefined : options.token === undefined ? newAccessToken() : checkAccessToken(options.token);
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
    const access = token === undefined ? undefined : new ConsoleAccess(token, bound.port);
    self = new WebConsole(server, config, `http://${shown}:${bound.port}/`, token, access);
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
    const isApi = url.pathname.startsWith("/api/");
    const access = this.access;
    if (access !== undefined) {
      const check = access.check(req, url);
      if (!isApi && url.searchParams.has("token")) {
        // the address printed at start: trade the token for the cookie
        if (check === "ok") access.redirectWithCookie(res, url);
        else access.refuse(res, "wrong", false);
        return;
      }
      // the page itself holds no data (it is the same for everyone): served without a token
      if (isApi && check !== "ok") {
        access.refuse(res, check, true);
        return;
      }
    }
    if (!isApi) {
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
