#!/usr/bin/env node
import { main } from "../dist/cli/main.js";

// Until main settles, an exit means the work was cut short: never report success then.
let settled = false;
process.exitCode = 1;
process.on("exit", () => {
  if (!settled) process.stderr.write("flussjs: stopped before the command finished\n");
});

// `flussjs scan ... | head`: the reader went away, which ends the command quietly
process.stdout.on("error", (err) => {
  if (err.code !== "EPIPE") throw err;
  settled = true;
  process.exit(0);
});

main(process.argv.slice(2)).then(
  (code) => {
    settled = true;
    process.exitCode = typeof code === "number" ? code : 0;
  },
  (err) => {
    settled = true;
    console.error(err instanceof Error ? err.message : String(err));
    process.exitCode = 1;
  },
);
