/**
 * The `flussjs` command line: `local` (the embedded cluster), `db`, `table`, `partition`,
 * `offsets`, `produce`, `scan`, `lookup`, `ui` (the web console). Argument parsing and help come from commander;
 * each command lives in `commands/<name>.ts` and imports the client only when it runs, so
 * `flussjs --help` loads no more than commander and these small files.
 */
import { readFileSync } from "node:fs";
import { Command, CommanderError } from "commander";
import { registerDb } from "./commands/db.js";
import { registerLocal } from "./commands/local.js";
import { registerLookup } from "./commands/lookup.js";
import { registerOffsets } from "./commands/offsets.js";
import { registerPartition } from "./commands/partition.js";
import { registerProduce } from "./commands/produce.js";
import { registerScan } from "./commands/scan.js";
import { registerTable } from "./commands/table.js";
import { registerUi } from "./commands/ui.js";
import { collect } from "./args.js";
import { CliError, type CliIo, EXIT_FAILURE, EXIT_USAGE, type GlobalOptions, Runtime } from "./runtime.js";

export { DEFAULT_CLI_PORT } from "./commands/local.js";
export type { CliIo } from "./runtime.js";

const STD_IO: CliIo = {
  out: (t) => void process.stdout.write(t),
  err: (t) => void process.stderr.write(t),
};

const HELP_AFTER = `
Every command but local talks to the cluster at --bootstrap-servers, else
$FLUSS_BOOTSTRAP_SERVERS, else 127.0.0.1:9123. Client configuration: --config key=value
over the environment ($FLUSS_SASL_USERNAME and $FLUSS_SASL_PASSWORD: SASL/PLAIN without a
password on the command line) over --config-file FILE (key=value lines, e.g.
client.security.sasl.password=...). Exit codes: 0 success, 1 failure, 2 usage.

Examples:
  $ flussjs local &
  $ flussjs db create shop
  $ flussjs table create shop.orders --schema "id BIGINT, item STRING, amount DECIMAL(10,2), PRIMARY KEY (id)"
  $ flussjs produce shop.orders orders.jsonl
  $ flussjs scan shop.orders --follow
  $ flussjs lookup shop.orders id=42
`;

function version(): string {
  try {
    return (JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as { version: string }).version;
  } catch {
    return "unknown";
  }
}

/** Builds the command tree (a new one per run, so tests can run several in one process). */
function buildProgram(io: CliIo, rt: Runtime): Command {
  const program = new Command("flussjs");
  program
    .description("Apache Fluss from the command line: a local cluster, tables, produce, scan, lookup")
    .version(version(), "-V, --version", "print the version")
    .option("-b, --bootstrap-servers <host:port,...>", "cluster address (default: $FLUSS_BOOTSTRAP_SERVERS or 127.0.0.1:9123)")
    .option("-c, --config <key=value>", "client configuration, e.g. request.timeout.ms=5000 (repeatable)", collect)
    .option("--config-file <file>", "client configuration as key=value lines (default: $FLUSS_CONFIG_FILE)")
    .option("--verbose", "print stack traces of errors")
    .helpOption("-h, --help", "show help")
    .helpCommand("help [command]", "show help of a command")
    .configureHelp({ showGlobalOptions: true, sortSubcommands: false })
    .configureOutput({
      writeOut: (s) => io.out(s),
      writeErr: (s) => io.err(s),
      outputError: (s, write) => write(s),
    })
    .showHelpAfterError("(add --help for usage)")
    .exitOverride()
    .addHelpText("after", HELP_AFTER);
  registerLocal(program, rt);
  registerDb(program, rt);
  registerTable(program, rt);
  registerPartition(program, rt);
  registerOffsets(program, rt);
  registerProduce(program, rt);
  registerScan(program, rt);
  registerLookup(program, rt);
  registerUi(program, rt);
  program.showHelpAfterError(true); // the top level shows its whole usage; commands the hint above
  return program;
}

/** Runs the CLI with `argv` (without node and script); resolves with the exit code. */
export async function main(argv: string[], io: CliIo = STD_IO): Promise<number> {
  let program: Command | undefined;
  const rt = new Runtime(io, () => (program?.opts() ?? {}) as GlobalOptions);
  program = buildProgram(io, rt);
  if (argv.length === 0) {
    io.err(program.helpInformation());
    return EXIT_USAGE;
  }
  try {
    await program.parseAsync(argv, { from: "user" });
    return rt.exitCode;
  } catch (e) {
    if (e instanceof CommanderError) {
      // help and version exit 0; every parsing error is a usage error
      return e.exitCode === 0 ? 0 : EXIT_USAGE;
    }
    reportError(io, e, rt.verbose);
    return e instanceof CliError ? e.exitCode : EXIT_FAILURE;
  } finally {
    await rt.close();
  }
}

/** One line naming what went wrong; the stack (and causes) only with --verbose. */
function reportError(io: CliIo, e: unknown, verbose: boolean): void {
  const message = e instanceof Error ? e.message : String(e);
  io.err(`error: ${message}\n`);
  if (!verbose) return;
  for (let cur: unknown = e; cur instanceof Error; cur = cur.cause) {
    io.err(`${cur === e ? "" : "caused by: "}${cur.stack ?? cur.message}\n`);
  }
}
