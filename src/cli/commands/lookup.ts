/** `flussjs lookup DB.TABLE id=1 [region=US]`: the row with that primary key, or exit code 1. */
import type { Command } from "commander";
import { parseSpec, parseTablePath } from "../args.js";
import { createSink, parseFormat } from "../output.js";
import { CliError, EXIT_FAILURE, type Runtime, usageError } from "../runtime.js";

const HELP_AFTER = `
Give every primary-key column as KEY=VALUE (in one argument with commas, or several).
Prints the row, or says that no row has that key (exit code 1).

Examples:
  $ flussjs lookup shop.orders id=42
  $ flussjs lookup shop.sales region=US,id=7 --format jsonl
`;

/** Registers `flussjs lookup`. */
export function registerLookup(program: Command, rt: Runtime): void {
  program
    .command("lookup")
    .description("look a row of a primary-key table up by its key")
    .argument("<db.table>", "the table")
    .argument("<key...>", "KEY=VALUE for every primary-key column")
    .option("-f, --format <format>", "table, jsonl or csv (default: table on a terminal, else jsonl)")
    .addHelpText("after", HELP_AFTER)
    .action(
      rt.run(async (path: string, keyArgs: string[], opts: { format?: string }) => {
        const p = parseTablePath(path);
        const format = parseFormat(opts.format, rt.stdoutIsTTY);
        const given = parseSpec(keyArgs, "key");
        const conn = await rt.connect();
        const table = await conn.getTable(p.text);
        const info = table.info;
        if (!info.hasPrimaryKey) throw new CliError(`table ${p.text} has no primary key: read a log table with flussjs scan`);
        const pk = info.primaryKeys;
        for (const k of Object.keys(given)) {
          if (!pk.includes(k))
            throw usageError(`"${k}" is not a primary-key column of ${p.text} (primary key: ${pk.join(", ")})`);
        }
        const missing = pk.filter((k) => !(k in given));
        if (missing.length > 0)
          throw usageError(`the key misses ${missing.map((k) => `${k}=...`).join(" ")} (primary key: ${pk.join(", ")})`);
        const { inputConverter } = await import("../values.js");
        const key: Record<string, unknown> = {};
        for (const f of info.rowType.fields) {
          if (!(f.name in given)) continue;
          try {
            key[f.name] = inputConverter(f.type, true)(given[f.name], f.name);
          } catch (e) {
            throw usageError((e as Error).message);
          }
        }
        const row = await table.newLookup().lookup(key);
        const shown = pk.map((k) => `${k}=${given[k]}`).join(",");
        if (row === null) {
          rt.io.err(`no row of ${p.text} has the key ${shown}\n`);
          return EXIT_FAILURE;
        }
        const fields = info.rowType.fields;
        const sink = await createSink(
          format,
          fields.map((f) => ({ name: f.name, type: f.type })),
          rt.io.out,
        );
        sink.write(fields.map((f) => row[f.name]));
        sink.end("1 row");
      }),
    );
}
