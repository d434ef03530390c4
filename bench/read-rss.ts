/**
 * Peak RSS of a scan (bench/read.ts): a child process of its own connects, scans a table
 * with `pollBatches` (dropping each batch) under a small `scanner.log.max-buffered-bytes`,
 * and reports its RSS before the scan and the highest RSS seen during it (sampled after
 * every poll and every 5 ms).
 */
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { Config, EARLIEST_OFFSET, FlussConnection, TablePath } from "../src/index.js";

export interface RssResult {
  /** RSS after connecting, before the scan. */
  before: number;
  /** Highest RSS seen during the scan. */
  peak: number;
  /** peak - before. */
  growth: number;
  /** Responses that may be in flight besides the buffer: one `scanner.log.fetch.max-bytes` per server. */
  inFlightBound: number;
}

/** Runs the scan in a child process and returns its RSS figures. */
export async function peakRssScan(
  bootstrapServers: string,
  path: TablePath,
  bufferBytes: number,
  rows: number,
): Promise<RssResult> {
  const self = fileURLToPath(import.meta.url);
  const child = spawn(
    process.execPath,
    ["--import", "tsx", self, bootstrapServers, path.databaseName, path.tableName, String(bufferBytes), String(rows)],
    { stdio: ["ignore", "pipe", "inherit"], env: { ...process.env, FLUSSJS_RSS_CHILD: "1" } },
  );
  let out = "";
  child.stdout.on("data", (c: Buffer) => (out += c.toString()));
  const code = await new Promise<number | null>((r) => child.once("exit", (c) => r(c)));
  if (code !== 0) throw new Error(`bench: the RSS scan exited with ${code}: ${out}`);
  return JSON.parse(out.trim().split("\n").pop()!) as RssResult;
}

async function child(): Promise<void> {
  const [bootstrap, db, name, buffer, rowsArg] = process.argv.slice(2);
  const bufferBytes = Number(buffer);
  const rows = Number(rowsArg);
  const config = new Config({ "bootstrap.servers": bootstrap!, "scanner.log.max-buffered-bytes": bufferBytes });
  await using conn = await FlussConnection.connect(config);
  const table = await conn.getTable(new TablePath(db!, name!));
  await using scanner = await table.newScan().createBatchScanner();
  global.gc?.();
  const before = process.memoryUsage.rss();
  let peak = before;
  const sample = (): void => {
    const r = process.memoryUsage.rss();
    if (r > peak) peak = r;
  };
  const timer = setInterval(sample, 5);
  await scanner.subscribe(0, EARLIEST_OFFSET);
  let n = 0;
  while (n < rows) {
    for (const b of await scanner.pollBatches(10_000)) n += b.batch.numRows;
    sample();
  }
  clearInterval(timer);
  const result: RssResult = { before, peak, growth: peak - before, inFlightBound: config.get("scanner.log.fetch.max-bytes") };
  console.log(JSON.stringify(result));
}

if (process.env.FLUSSJS_RSS_CHILD === "1" && import.meta.url === `file://${process.argv[1]}`) {
  child().then(
    () => process.exit(0),
    (err: unknown) => {
      console.error(err);
      process.exit(1);
    },
  );
}
