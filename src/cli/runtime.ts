/**
 * What every `flussjs` command shares: the output streams, the global options, the error
 * type that carries an exit code, and connecting to the cluster. Heavy modules (the
 * client) are imported only when a command connects, so `flussjs --help` stays fast.
 */
import type { Config } from "../client/config.js";
import type { FlussConnection } from "../client/connection.js";

/** Default cluster address of every command but `local`. */
export const DEFAULT_BOOTSTRAP_SERVERS = "127.0.0.1:9123";

/** Exit codes: success, failure, usage error. */
export const EXIT_OK = 0;
export const EXIT_FAILURE = 1;
export const EXIT_USAGE = 2;

/** Output streams and process hooks, replaceable for tests. */
export interface CliIo {
  out(text: string): void;
  err(text: string): void;
  /** Resolves when the process is asked to stop (SIGINT/SIGTERM by default). */
  waitForStop?: () => Promise<string>;
  /** Standard input (default `process.stdin`). */
  stdin?: NodeJS.ReadableStream;
  /** Whether stdout / stderr are terminals (default: the process's). */
  stdoutIsTTY?: boolean;
  stderrIsTTY?: boolean;
  /** Resolves once stdout can take more (default: waits for its "drain" when its buffer is full). */
  drain?: () => Promise<void>;
  /** Environment (default `process.env`). */
  env?: Readonly<Record<string, string | undefined>>;
}

/** A failure the CLI reports in one sentence, with its exit code (1, or 2 for usage). */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: number = EXIT_FAILURE,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** A usage error (exit code 2): a bad argument or option value. */
export function usageError(message: string): CliError {
  return new CliError(message, EXIT_USAGE);
}

/** Global options, given before or after the command. */
export interface GlobalOptions {
  bootstrapServers?: string;
  /** `--config key=value` (repeatable): client configuration, e.g. timeouts or security. */
  config?: string[];
  /** `--config-file FILE`: client configuration as `key=value` lines (below `--config` and the environment). */
  configFile?: string;
  verbose?: boolean;
}

/** Runs a command's work: the connection it opens is closed however it ends. */
export class Runtime {
  private conn: FlussConnection | undefined;
  private resolvedServers: string | undefined;
  /** The exit code of the command that ran. */
  exitCode = EXIT_OK;

  constructor(
    readonly io: CliIo,
    private readonly globals: () => GlobalOptions,
  ) {}

  /**
   * The cluster address: as resolved by {@link config} once it ran (`--bootstrap-servers`,
   * `-c bootstrap.servers`, $FLUSS_BOOTSTRAP_SERVERS, the config file), else without the file.
   */
  get bootstrapServers(): string {
    if (this.resolvedServers !== undefined) return this.resolvedServers;
    const env = this.io.env ?? process.env;
    return this.globals().bootstrapServers ?? env.FLUSS_BOOTSTRAP_SERVERS ?? DEFAULT_BOOTSTRAP_SERVERS;
  }

  get verbose(): boolean {
    return this.globals().verbose ?? false;
  }

  get stdoutIsTTY(): boolean {
    return this.io.stdoutIsTTY ?? process.stdout.isTTY === true;
  }

  get stderrIsTTY(): boolean {
    return this.io.stderrIsTTY ?? process.stderr.isTTY === true;
  }

  /** Wraps a command's action: its result (a number, or nothing for 0) becomes the exit code. */
  run<A extends unknown[]>(fn: (...args: A) => Promise<unknown>): (...args: A) => Promise<void> {
    return async (...args: A) => {
      const code = await fn(...args);
      this.exitCode = typeof code === "number" ? code : EXIT_OK;
    };
  }

  /**
   * The client configuration from `--bootstrap-servers`, `--config`, the environment and the
   * config file (`client-config.ts`; a bad source is a usage error naming it).
   */
  async config(): Promise<Config> {
    const { resolveClientConfig } = await import("./client-config.js");
    const g = this.globals();
    const resolved = await resolveClientConfig({
      bootstrapServers: g.bootstrapServers,
      config: g.config,
      configFile: g.configFile,
      env: this.io.env ?? process.env,
    });
    this.resolvedServers = resolved.bootstrapServers;
    return resolved.config;
  }

  /** Connects once (later calls return the same connection). */
  async connect(): Promise<FlussConnection> {
    if (this.conn) return this.conn;
    const config = await this.config();
    const { FlussConnection } = await import("../client/connection.js");
    try {
      this.conn = await FlussConnection.connect(config);
    } catch (e) {
      throw new CliError(`cannot reach the Fluss cluster at ${this.bootstrapServers}: ${messageOf(e)}`, EXIT_FAILURE, {
        cause: e,
      });
    }
    return this.conn;
  }

  /** Closes the connection, if one was opened. */
  async close(): Promise<void> {
    const c = this.conn;
    this.conn = undefined;
    await c?.close().catch(() => undefined);
  }

  /** Waits while stdout's buffer is full (a slow reader of a large scan). */
  async drainOut(): Promise<void> {
    if (this.io.drain) return this.io.drain();
    if (process.stdout.writableNeedDrain) await new Promise((resolve) => process.stdout.once("drain", resolve));
  }

  /** Resolves on SIGINT/SIGTERM (or the test hook). */
  waitForStop(): Promise<string> {
    return (this.io.waitForStop ?? waitForSignal)();
  }
}

/** The message of an error, without the stack. */
export function messageOf(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

function waitForSignal(): Promise<string> {
  return new Promise((resolve) => {
    const onSignal = (sig: NodeJS.Signals): void => {
      process.off("SIGINT", onSignal);
      process.off("SIGTERM", onSignal);
      resolve(sig);
    };
    process.on("SIGINT", onSignal);
    process.on("SIGTERM", onSignal);
  });
}
