/** `flussjs partition list | create | drop DB.TABLE k=v[,k=v]`. */
import type { Command } from "commander";
import { parseSpec, parseTablePath } from "../args.js";
import { createSink, parseFormat } from "../output.js";
import type { Runtime } from "../runtime.js";
import { examples } from "../args.js";

const HELP_AFTER = `
Examples:
  $ flussjs partition list shop.sales
  $ flussjs partition list shop.sales region=US        # only those matching
  $ flussjs partition create shop.sales region=EU
  $ flussjs partition create shop.daily region=EU,day=2024-05-01
  $ flussjs partition drop shop.sales region=EU
`;

/** Registers `flussjs partition`. */
export function registerPartition(program: Command, rt: Runtime): void {
  const part = program
    .command("partition")
    .description("list, create and drop partitions of a partitioned table")
    .addHelpText("after", HELP_AFTER);

  part
    .command("list")
    .addHelpText(
      "after",
      examples("flussjs partition list shop.sales", "flussjs partition list shop.sales region=US --format csv"),
    )
    .description("list the partitions (id, name, spec)")
    .argument("<db.table>", "the table")
    .argument("[spec...]", "only partitions matching KEY=VALUE[,KEY=VALUE]")
    .option("-f, --format <format>", "table, jsonl or csv (default: table on a terminal, else jsonl)")
    .action(
      rt.run(async (path: string, spec: string[], opts: { format?: string }) => {
        const p = parseTablePath(path);
        const format = parseFormat(opts.format, rt.stdoutIsTTY);
        const filter = spec.length > 0 ? parseSpec(spec, "partition spec") : undefined;
        const admin = (await rt.connect()).getAdmin();
        const list = await admin.listPartitionInfos(p.text, filter);
        const sink = await createSink(
          format,
          [{ name: "partition_id", numeric: true }, { name: "partition_name" }, { name: "spec" }],
          rt.io.out,
        );
        for (const info of list.sort((a, b) => a.partitionId - b.partitionId)) {
          sink.write([info.partitionId, info.partitionName, info.qualifiedPartitionName]);
        }
        sink.end(`${list.length} partition${list.length === 1 ? "" : "s"}`);
      }),
    );

  part
    .command("create")
    .addHelpText(
      "after",
      examples("flussjs partition create shop.sales region=EU", "flussjs partition create shop.daily region=EU,day=2024-05-01"),
    )
    .description("create a partition")
    .argument("<db.table>", "the table")
    .argument("<spec...>", "KEY=VALUE[,KEY=VALUE] for every partition key")
    .option("--if-not-exists", "succeed when it exists already")
    .action(
      rt.run(async (path: string, spec: string[], opts: { ifNotExists?: boolean }) => {
        const p = parseTablePath(path);
        const s = parseSpec(spec, "partition spec");
        const admin = (await rt.connect()).getAdmin();
        await admin.createPartition(p.text, s, { ignoreIfExists: opts.ifNotExists ?? false });
        rt.io.out(`created partition ${describeSpec(s)} of ${p.text}\n`);
      }),
    );

  part
    .command("drop")
    .addHelpText("after", examples("flussjs partition drop shop.sales region=EU"))
    .description("drop a partition and its data")
    .argument("<db.table>", "the table")
    .argument("<spec...>", "KEY=VALUE[,KEY=VALUE] for every partition key")
    .option("--if-exists", "succeed when it does not exist")
    .action(
      rt.run(async (path: string, spec: string[], opts: { ifExists?: boolean }) => {
        const p = parseTablePath(path);
        const s = parseSpec(spec, "partition spec");
        const admin = (await rt.connect()).getAdmin();
        await admin.dropPartition(p.text, s, { ignoreIfNotExists: opts.ifExists ?? false });
        rt.io.out(`dropped partition ${describeSpec(s)} of ${p.text}\n`);
      }),
    );
}

function describeSpec(spec: Record<string, string>): string {
  return Object.entries(spec)
    .map(([k, v]) => `${k}=${v}`)
    .join(",");
}
