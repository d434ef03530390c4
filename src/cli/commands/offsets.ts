/** `flussjs offsets DB.TABLE [--partition k=v] [--at earliest|latest|TIMESTAMP]`. */
import type { Command } from "commander";
import { collect, parseTablePath, parseTimestamp } from "../args.js";
import { createSink, parseFormat } from "../output.js";
import { type Runtime, usageError } from "../runtime.js";
import { selectPartitions } from "../partitions.js";

const HELP_AFTER = `
latest is each bucket's high watermark (the offset the next record gets); earliest its
first stored offset; a TIMESTAMP (ISO 8601, or epoch milliseconds) the first offset
written at or after it.

Examples:
  $ flussjs offsets shop.orders
  $ flussjs offsets shop.orders --at earliest
  $ flussjs offsets shop.orders --at 2024-05-01T12:00:00Z
  $ flussjs offsets shop.sales --partition region=US --format csv
`;

/** Registers `flussjs offsets`. */
export function registerOffsets(program: Command, rt: Runtime): void {
  program
    .command("offsets")
    .description("show the offset of every bucket (latest, earliest, or at a time)")
    .argument("<db.table>", "the table")
    .option("--at <when>", "earliest, latest or a TIMESTAMP", "latest")
    .option("--partition <key=value>", "only this partition (repeatable, or k=v,k=v)", collect)
    .option("-f, --format <format>", "table, jsonl or csv (default: table on a terminal, else jsonl)")
    .addHelpText("after", HELP_AFTER)
    .action(
      rt.run(async (path: string, opts: { at: string; partition?: string[]; format?: string }) => {
        const p = parseTablePath(path);
        const format = parseFormat(opts.format, rt.stdoutIsTTY);
        const { OffsetSpec } = await import("../../index.js");
        const at = opts.at.trim().toLowerCase();
        let spec;
        if (at === "latest") spec = OffsetSpec.latest();
        else if (at === "earliest") spec = OffsetSpec.earliest();
        else {
          const ms = parseTimestamp(opts.at, true);
          if (ms === undefined) throw usageError(`--at must be earliest, latest or a timestamp, got "${opts.at}"`);
          spec = OffsetSpec.timestamp(ms);
        }
        const admin = (await rt.connect()).getAdmin();
        const info = await admin.getTableInfo(p.text);
        const partitions = await selectPartitions(admin, info, opts.partition);
        const buckets = Array.from({ length: info.numBuckets }, (_, i) => i);
        const columns = [
          ...(partitions ? [{ name: "partition" }] : []),
          { name: "bucket", numeric: true },
          { name: "offset", numeric: true },
        ];
        const sink = await createSink(format, columns, rt.io.out);
        let rows = 0;
        for (const part of partitions ?? [undefined]) {
          const offsets = await admin.listOffsets(p.text, buckets, spec, part ? { partitionName: part.partitionName } : {});
          for (const b of buckets) {
            sink.write(part ? [part.qualifiedPartitionName, b, offsets[b]] : [b, offsets[b]]);
            rows++;
          }
        }
        sink.end(`${rows} bucket${rows === 1 ? "" : "s"} (${spec.toString()})`);
      }),
    );
}
