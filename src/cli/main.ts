/**
 * The `flussjs` command line: `flussjs local` runs a single-node cluster in the foreground.
 */
import { parseArgs } from "node:util";
import { LocalCluster, type LocalClusterSecurity } from "../server/local-cluster.js";
import { readUsersFile } from "../server/security/cluster-security.js";
import type { ClusterLogger } from "../server/server-state.js";

/** Default port of `flussjs local` (Fluss's usual coordinator port). */
export const DEFAULT_CLI_PORT = 9123;

const USAGE = `Usage:
  flussjs local [--port ${DEFAULT_CLI_PORT}] [--host 127.0.0.1] [--data-dir DIR] [--sync-every-write]
                [--tablet-servers N] [--sasl-users FILE] [--super-user NAME]...
      Run a local Fluss cluster in the foreground (Ctrl-C to stop): one server by default;
      with --tablet-servers N > 1, a coordinator on --port and N tablet servers on the
      ports after it, sharing one data directory (no replication).
      Without --data-dir the data lives in a temporary directory deleted on exit.
      Writes are acknowledged once in the OS page cache (safe from process crashes) and
      forced to disk every second; --sync-every-write fsyncs each write before its ack.
      --sasl-users FILE: every listener requires SASL/PLAIN with the users of FILE (one
      "name=password" per line, # comments). --super-user NAME (repeatable): User:NAME may
      do anything, and every other request is checked against ACLs (admin.createAcls).
  flussjs --help
      Show this help.
`;

/** Output streams, replaceable for tests. */
export interface CliIo {
  out(text: string): void;
  err(text: string): void;
  /** Resolves when the process is asked to stop (SIGINT/SIGTERM by default). */
  waitForStop?: () => Promise<string>;
}

const STD_IO: CliIo = {
  out: (t) => process.stdout.write(t),
  err: (t) => process.stderr.write(t),
};

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

/** Runs the CLI; resolves with the process exit code. */
export async function main(argv: string[], io: CliIo = STD_IO): Promise<number> {
  const [command, ...rest] = argv;
  if (command === undefined || command === "--help" || command === "-h" || command === "help") {
    (command === undefined ? io.err : io.out)(USAGE);
    return command === undefined ? 2 : 0;
  }
  if (command !== "local") {
    io.err(`flussjs: unknown command '${command}'\n\n${USAGE}`);
    return 2;
  }
  return runLocal(rest, io);
}

async function runLocal(args: string[], io: CliIo): Promise<number> {
  let values: {
    port?: string;
    host?: string;
    "data-dir"?: string;
    "sync-every-write"?: boolean;
    "tablet-servers"?: string;
    "sasl-users"?: string;
    "super-user"?: string[];
    help?: boolean;
  };
  try {
    values = parseArgs({
      args,
      options: {
        port: { type: "string", short: "p" },
        host: { type: "string" },
        "data-dir": { type: "string", short: "d" },
        "sync-every-write": { type: "boolean" },
        "tablet-servers": { type: "string", short: "n" },
        "sasl-users": { type: "string" },
        "super-user": { type: "string", multiple: true },
        help: { type: "boolean", short: "h" },
      },
      allowPositionals: false,
      strict: true,
    }).values;
  } catch (e) {
    io.err(`flussjs local: ${(e as Error).message}\n\n${USAGE}`);
    return 2;
  }
  if (values.help) {
    io.out(USAGE);
    return 0;
  }
  const port = values.port === undefined ? DEFAULT_CLI_PORT : Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    io.err(`flussjs local: --port must be an integer between 0 and 65535, got '${values.port}'\n`);
    return 2;
  }
  const tabletServers = values["tablet-servers"] === undefined ? 1 : Number(values["tablet-servers"]);
  if (!Number.isInteger(tabletServers) || tabletServers < 1 || tabletServers > 64) {
    io.err(`flussjs local: --tablet-servers must be an integer between 1 and 64, got '${values["tablet-servers"]}'\n`);
    return 2;
  }
  let security: LocalClusterSecurity | undefined;
  const superUsers = values["super-user"] ?? [];
  if (values["sasl-users"] !== undefined || superUsers.length > 0) {
    if (values["sasl-users"] === undefined) {
      io.err("flussjs local: --super-user needs --sasl-users FILE (users must authenticate to be told apart)\n");
      return 2;
    }
    try {
      security = {
        users: readUsersFile(values["sasl-users"]),
        ...(superUsers.length > 0
          ? { superUsers: superUsers.map((u) => (u.includes(":") ? u : `User:${u}`)), authorization: true }
          : {}),
      };
    } catch (e) {
      io.err(`flussjs local: ${(e as Error).message}\n`);
      return 2;
    }
  }
  const logger: ClusterLogger = {
    info: () => {},
    warn: (m) => io.err(`[warn] ${m}\n`),
    error: (m, e) => io.err(`[error] ${m}${e instanceof Error ? `: ${e.stack ?? e.message}` : ""}\n`),
  };
  let cluster: LocalCluster;
  try {
    cluster = await LocalCluster.start({
      port,
      host: values.host ?? "127.0.0.1",
      ...(values["data-dir"] !== undefined ? { dataDir: values["data-dir"] } : {}),
      syncEveryWrite: values["sync-every-write"] ?? false,
      tabletServers,
      logger,
      ...(security ? { security } : {}),
    });
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    const why = err.code === "EADDRINUSE" ? `port ${port} is already in use (try --port 0 or another port)` : err.message;
    io.err(`flussjs local: cannot start the cluster: ${why}\n`);
    return 1;
  }
  io.out(
    [
      "",
      "  Fluss local cluster is running",
      "",
      `  bootstrap.servers  ${cluster.bootstrapServers}`,
      ...(tabletServers > 1
        ? [`  tablet servers     ${cluster.tabletServerIds.map((id) => `${id}@${cluster.serverAddress(id)}`).join("  ")}`]
        : []),
      `  data directory     ${cluster.dataDir}${values["data-dir"] === undefined ? " (temporary, deleted on exit)" : ""}`,
      ...(security
        ? [
            `  security           SASL/PLAIN (${Object.keys(security.users ?? {}).length} users)` +
              (security.authorization ? `, ACLs, super users ${security.superUsers!.join(", ")}` : ""),
          ]
        : []),
      "",
      "  Press Ctrl-C to stop.",
      "",
      "",
    ].join("\n"),
  );
  const signal = await (io.waitForStop ?? waitForSignal)();
  io.out(`\n  ${signal} received, stopping...\n`);
  await cluster.close();
  io.out("  Stopped.\n");
  return 0;
}
