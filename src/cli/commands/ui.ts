/** `flussjs ui`: the web console for any cluster, until Ctrl-C. */
import type { Command } from "commander";
import { EXIT_FAILURE, EXIT_OK, type Runtime } from "../runtime.js";
import { integer } from "../args.js";
import { DEFAULT_UI_PORT } from "./local.js";

const HELP_AFTER = `
Serves a web console for the cluster at --bootstrap-servers on loopback: databases and
tables, a live tail, lookups, writing a row, the current rows of primary-key tables.
--config key=value passes client settings (timeouts, SASL credentials). Open the address
printed, with its ?token=: the console asks every request for that token (new at every
start), so other users and programs of this machine cannot act with its rights.

Examples:
  $ flussjs ui                                     # the cluster at 127.0.0.1:9123
  $ flussjs ui -b fluss-coordinator:9123 --port 8080
  $ flussjs local --ui                             # a local cluster with its console
`;

/** Registers `flussjs ui`. */
export function registerUi(program: Command, rt: Runtime): void {
  program
    .command("ui")
    .description("serve the web console of a cluster on loopback (Ctrl-C stops it)")
    .option("-p, --port <port>", "port of the console (0: any free port)", String(DEFAULT_UI_PORT))
    .option("--host <host>", "address to listen on (plain HTTP: keep it on loopback)", "127.0.0.1")
    .addHelpText("after", HELP_AFTER)
    .action(
      rt.run(async (opts: { port: string; host: string }) => {
        const port = integer("--port", opts.port, 0, 65535);
        const config = await rt.config();
        const { WebConsole } = await import("../../console/web-console.js");
        let ui: Awaited<ReturnType<typeof WebConsole.start>>;
        try {
          ui = await WebConsole.start({ config, port, host: opts.host });
        } catch (e) {
          rt.io.err(`flussjs ui: ${(e as Error).message}\n`);
          return EXIT_FAILURE;
        }
        rt.io.out(`\n  Fluss web console at ${ui.url} (cluster ${rt.bootstrapServers})\n\n  Press Ctrl-C to stop.\n\n`);
        const signal = await rt.waitForStop();
        rt.io.out(`\n  ${signal} received, stopping...\n`);
        await ui.close();
        return EXIT_OK;
      }),
    );
}
