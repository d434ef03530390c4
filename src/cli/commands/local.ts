/**
 * `flussjs local`: runs the embedded cluster in the foreground until Ctrl-C.
 *
 * Its options live in {@link LOCAL_OPTIONS}, one entry each (flag, help, how the value is
 * checked, what it sets in `LocalCluster.start`), so further options are one entry more.
 */
import type { Command } from "commander";
import type { LocalCluster, LocalClusterOptions } from "../../server/local-cluster.js";
import { collect, integer } from "../args.js";
import { EXIT_FAILURE, EXIT_OK, type Runtime, usageError } from "../runtime.js";

/** Default port of `flussjs local` (Fluss's usual coordinator port). */
export const DEFAULT_CLI_PORT = 9123;

/** Default port of the web console (`--ui`); the same as `DEFAULT_CONSOLE_PORT`, kept here so `--help` loads no console code. */
export const DEFAULT_UI_PORT = 9124;

/** Options of `LocalCluster.start` the command line can set (plus what other options need). */
type LocalStartOptions = { -readonly [K in keyof LocalClusterOptions]?: LocalClusterOptions[K] };

/** One option of `flussjs local`. */
interface LocalOption {
  /** Commander flags, e.g. `"-p, --port <port>"`. */
  readonly flags: string;
  readonly description: string;
  /** The option's key in commander's parsed options (camelCase of the long flag). */
  readonly key: string;
  /** Default shown in the help and used when absent. */
  readonly defaultValue?: string | boolean;
  /** Commander's argument parser, e.g. `collect` (from `../args.js`) for a repeatable option. */
  readonly parse?: (value: string, previous: unknown) => unknown;
  /**
   * Checks the value (throw `usageError` naming the flag) and sets cluster options; `all`
   * holds every option's value by key, for checks across options.
   */
  apply(value: unknown, into: LocalStartOptions, all: Readonly<Record<string, unknown>>): void | Promise<void>;
  /** Lines for the start-up banner (aligned after the label), once the cluster runs with `applied`. */
  banner?(
    value: unknown,
    cluster: LocalCluster,
    applied: Readonly<LocalStartOptions>,
  ): readonly { label: string; text: string }[];
}

/** Every option of `flussjs local`, in help order. Add new ones here. */
const LOCAL_OPTIONS: LocalOption[] = [
  {
    flags: "-p, --port <port>",
    description: "port of the coordinator (0: any free port)",
    key: "port",
    defaultValue: String(DEFAULT_CLI_PORT),
    apply: (v, o) => void (o.port = integer("--port", v, 0, 65535)),
  },
  {
    flags: "--host <host>",
    description: "address to listen on (anything but loopback prints a warning: no authentication)",
    key: "host",
    defaultValue: "127.0.0.1",
    apply: (v, o) => void (o.host = String(v)),
  },
  {
    flags: "-d, --data-dir <dir>",
    description: "data directory (default: a temporary one, deleted on exit)",
    key: "dataDir",
    apply: (v, o) => {
      if (v !== undefined) o.dataDir = String(v);
    },
  },
  {
    flags: "--sync-every-write",
    description: "fsync each write before acknowledging it",
    key: "syncEveryWrite",
    defaultValue: false,
    apply: (v, o) => void (o.syncEveryWrite = v === true),
  },
  {
    flags: "-n, --tablet-servers <n>",
    description: "tablet servers: with n > 1, a coordinator on --port and n tablet servers on the ports after it",
    key: "tabletServers",
    defaultValue: "1",
    apply: (v, o) => void (o.tabletServers = integer("--tablet-servers", v, 1, 64)),
  },
  {
    flags: "--sasl-users <file>",
    description: 'every listener requires SASL/PLAIN with the users of FILE ("name=password" per line, # comments)',
    key: "saslUsers",
    apply: async (v, o, all) => {
      const supers = (all.superUser as string[] | undefined) ?? [];
      if (v === undefined) {
        if (supers.length > 0)
          throw usageError("--super-user needs --sasl-users FILE (users must authenticate to be told apart)");
        return;
      }
      const { readUsersFile } = await import("../../server/security/cluster-security.js");
      try {
        o.security = {
          users: readUsersFile(String(v)),
          ...(supers.length > 0
            ? { superUsers: supers.map((u) => (u.includes(":") ? u : `User:${u}`)), authorization: true }
            : {}),
        };
      } catch (e) {
        throw usageError((e as Error).message);
      }
    },
    banner: (_v, _cluster, applied) => {
      const sec = applied.security;
      if (!sec) return [];
      const acls = sec.authorization ? `, ACLs, super users ${(sec.superUsers ?? []).join(", ")}` : "";
      return [{ label: "security", text: `SASL/PLAIN (${Object.keys(sec.users ?? {}).length} users)${acls}` }];
    },
  },
  {
    flags: "--super-user <name>",
    description: "User:NAME may do anything; every other request is checked against ACLs (repeatable)",
    key: "superUser",
    parse: (v, prev) => collect(v, prev as string[] | undefined),
    apply: () => {}, // applied by --sasl-users
  },
  {
    flags: "--ui",
    description: "serve the web console on loopback (see --ui-port)",
    key: "ui",
    defaultValue: false,
    apply: (v, o, all) => {
      if (v !== true) {
        if (all.uiPort !== String(DEFAULT_UI_PORT)) throw usageError("--ui-port needs --ui");
        return;
      }
      let port = integer("--ui-port", all.uiPort, 0, 65535);
      // tablet servers take the ports after the coordinator's: the default moves past them
      const base = o.port ?? DEFAULT_CLI_PORT;
      const servers = o.tabletServers ?? 1;
      if (all.uiPort === String(DEFAULT_UI_PORT) && servers > 1 && base !== 0 && port > base && port <= base + servers) {
        port = base + servers + 1;
      }
      o.ui = { port };
    },
    banner: (_v, cluster) => (cluster.consoleUrl ? [{ label: "web console", text: cluster.consoleUrl }] : []),
  },
  {
    flags: "--ui-port <port>",
    description: "port of the web console (0: any free port; default 9124, or the port after the last tablet server)",
    key: "uiPort",
    defaultValue: String(DEFAULT_UI_PORT),
    apply: () => {}, // applied by --ui
  },
];

const HELP_AFTER = `
Runs a Fluss cluster in this process until Ctrl-C (SIGINT) or SIGTERM. One server by
default; with --tablet-servers N > 1 a coordinator and N tablet servers share one data
directory (no replication). Writes are acknowledged once in the OS page cache (safe from
process crashes) and forced to disk every second.

Examples:
  $ flussjs local                                  # 127.0.0.1:9123, temporary data
  $ flussjs local --port 9200 --data-dir ./fluss-data
  $ flussjs local --tablet-servers 3               # coordinator 9123, tablet servers 9124-9126
  $ flussjs local --ui                             # and the web console at http://127.0.0.1:9124/
  $ flussjs local --sasl-users users.txt --super-user admin
`;

/** Registers `flussjs local`. */
export function registerLocal(program: Command, rt: Runtime): void {
  const cmd = program.command("local").description("run a local Fluss cluster in the foreground (Ctrl-C stops it)");
  for (const o of LOCAL_OPTIONS) {
    if (o.parse) cmd.option(o.flags, o.description, o.parse, o.defaultValue);
    else if (o.defaultValue !== undefined) cmd.option(o.flags, o.description, o.defaultValue);
    else cmd.option(o.flags, o.description);
  }
  cmd.addHelpText("after", HELP_AFTER);
  cmd.action(rt.run((opts: Record<string, unknown>) => runLocal(rt, opts)));
}

async function runLocal(rt: Runtime, opts: Record<string, unknown>): Promise<number> {
  const start: LocalStartOptions = {};
  for (const o of LOCAL_OPTIONS) await o.apply(opts[o.key], start, opts);
  const io = rt.io;
  // the server only (not the whole client): a cluster child process starts faster
  const { LocalCluster: Cluster } = await import("../../server/local-cluster.js");
  let cluster: LocalCluster;
  try {
    cluster = await Cluster.start({
      ...start,
      logger: {
        info: () => {},
        warn: (m) => io.err(`[warn] ${m}\n`),
        error: (m, e) => io.err(`[error] ${m}${e instanceof Error ? `: ${e.stack ?? e.message}` : ""}\n`),
      },
    });
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    const why = err.code === "EADDRINUSE" ? `port ${start.port} is already in use (try --port 0 or another port)` : err.message;
    io.err(`flussjs local: cannot start the cluster: ${why}\n`);
    if (rt.verbose && err.stack) io.err(`${err.stack}\n`);
    return EXIT_FAILURE;
  }
  const multi = (start.tabletServers ?? 1) > 1;
  io.out(
    [
      "",
      "  Fluss local cluster is running",
      "",
      `  bootstrap.servers  ${cluster.bootstrapServers}`,
      ...(multi
        ? [`  tablet servers     ${cluster.tabletServerIds.map((id) => `${id}@${cluster.serverAddress(id)}`).join("  ")}`]
        : []),
      `  data directory     ${cluster.dataDir}${start.dataDir === undefined ? " (temporary, deleted on exit)" : ""}`,
      ...LOCAL_OPTIONS.flatMap((o) => o.banner?.(opts[o.key], cluster, start) ?? []).map(
        (l) => `  ${l.label.padEnd(18)} ${l.text}`,
      ),
      "",
      "  Press Ctrl-C to stop.",
      "",
      "",
    ].join("\n"),
  );
  const signal = await rt.waitForStop();
  io.out(`\n  ${signal} received, stopping...\n`);
  await cluster.close();
  io.out("  Stopped.\n");
  return EXIT_OK;
}
