/**
 * Arrow scan throughput (rows/s) of a log table whose segments were tiered to remote
 * storage (the embedded cluster's `file://` remote directory: FetchLog answers with
 * `remote_log_fetch_info`, the client reads the segments itself, prefetching ahead),
 * beside the Arrow scan of the same rows kept on the tablet server, measured in the same
 * run against the same cluster. The cluster runs in a child process (its own event loop),
 * with small segments and tiering on demand. Wired into `npm run bench` by bench/run.ts;
 * `tsx bench/remote-scan.ts` runs it alone.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { performance } from "node:perf_hooks";
import { fileURLToPath } from "node:url";
import { Config, EARLIEST_OFFSET, FlussConnection, type FlussTable, Schema, TableDescriptor, TablePath } from "../src/index.js";
import { benchBatch, benchSchema } from "./data.js";

/** One benchmark line, as bench/run.ts prints and records them. */
export interface RemoteScanBenchResult {
  benchmark: string;
  flussjs: string;
  baseline: string;
  ratio: string;
}

export interface RemoteScanBenchOptions {
  /** Rows in each table (default 1,000,000). */
  rows?: number;
  /** Timed runs of each scan after a warm-up; the median is reported (default 3). */
  runs?: number;
  /** Segment size of the cluster (default 4 MiB). */
  segmentBytes?: number;
}

const BATCH_ROWS = 65_536;
const MiB = 1024 * 1024;

function fmtRate(n: number): string {
  return n >= 1e6 ? `${(n / 1e6).toFixed(2)} M rows/s` : `${(n / 1e3).toFixed(1)} k rows/s`;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

/** The child: a LocalCluster with small segments that tiers when told. */
const CHILD = `
const [index, segmentBytes] = process.argv.slice(-2);
import(index).then(async ({ LocalCluster }) => {
  const cluster = await LocalCluster.start({ segmentBytes: Number(segmentBytes), remoteLogTaskIntervalMs: 0 });
  process.on("message", async (m) => {
    if (m === "tier") {
      await cluster.runRemoteLogTasks();
      await cluster.runRemoteLogTasks();
      process.send("tiered");
    } else if (m === "close") {
      await cluster.close();
      process.exit(0);
    }
  });
  process.send({ bootstrapServers: cluster.bootstrapServers });
});
`;

interface Child {
  readonly bootstrapServers: string;
  tier(): Promise<void>;
  close(): Promise<void>;
}

async function startChild(segmentBytes: number): Promise<Child> {
  const index = new URL("../src/index.ts", import.meta.url).href;
  const child: ChildProcess = spawn(process.execPath, ["--import", "tsx", "-e", CHILD, index, String(segmentBytes)], {
    stdio: ["ignore", "inherit", "inherit", "ipc"],
  });
  const next = (): Promise<unknown> =>
    new Promise((resolve, reject) => {
      child.once("message", resolve);
      child.once("exit", (code) => reject(new Error(`the cluster process exited with code ${code}`)));
    });
  const hello = (await next()) as { bootstrapServers: string };
  return {
    bootstrapServers: hello.bootstrapServers,
    tier: async () => {
      child.send("tier");
      await next();
    },
    close: async () => {
      const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
      child.send("close");
      await exited;
    },
  };
}

async function freshTable(conn: FlussConnection, name: string, localSegments: number): Promise<FlussTable> {
  const path = new TablePath("fluss", name);
  const admin = conn.getAdmin();
  await admin.dropTable(path, { ignoreIfNotExists: true });
  await admin.createTable(
    path,
    new TableDescriptor(new Schema(benchSchema()), {
      bucketCount: 1,
      properties: {
        "table.log.arrow.compression.type": "NONE",
        "table.log.tiered.local-segments": String(localSegments),
      },
    }),
  );
  return conn.getTable(path);
}

/** Rows/s of an Arrow scan from remote storage vs from the tablet server, same rows. */
export async function remoteScan(options: RemoteScanBenchOptions = {}): Promise<RemoteScanBenchResult> {
  const rows = options.rows ?? 1_000_000;
  const runs = options.runs ?? 3;
  const segmentBytes = options.segmentBytes ?? 4 * MiB;
  const child = await startChild(segmentBytes);
  try {
    await using conn = await FlussConnection.connect(new Config({ "bootstrap.servers": child.bootstrapServers }));
    // tiered down to the active segment vs. every segment kept on the tablet server
    const remote = await freshTable(conn, "bench_remote_scan", 1);
    const local = await freshTable(conn, "bench_remote_scan_local", 1_000_000);
    for (const table of [remote, local]) {
      const writer = table.newAppendWriter();
      for (let start = 0; start < rows; start += BATCH_ROWS)
        writer.writeArrowBatch(benchBatch(start, Math.min(BATCH_ROWS, rows - start)));
      await writer.flush();
      await writer.close();
    }
    await child.tier();
    const scan = async (table: FlussTable): Promise<number> => {
      const scanner = await table.newScan().createBatchScanner();
      await scanner.subscribe(0, EARLIEST_OFFSET);
      const t0 = performance.now();
      const result = await scanner.toArrow();
      const secs = (performance.now() - t0) / 1000;
      await scanner.close();
      if (result.numRows !== rows) throw new Error(`scanned ${result.numRows} rows of ${rows}`);
      return rows / secs;
    };
    await scan(remote);
    await scan(local);
    const remoteRuns: number[] = [];
    const localRuns: number[] = [];
    for (let i = 0; i < runs; i++) {
      remoteRuns.push(await scan(remote));
      localRuns.push(await scan(local));
    }
    const r = median(remoteRuns);
    const l = median(localRuns);
    for (const t of [remote, local]) await conn.getAdmin().dropTable(t.info.tablePath, { ignoreIfNotExists: true });
    return {
      benchmark: `Arrow scan from remote storage (file://, ${(rows / 1e6).toFixed(1)}M rows, ${segmentBytes / MiB} MiB segments)`,
      flussjs: fmtRate(r),
      baseline: `${fmtRate(l)} scan of the same rows on the tablet server`,
      ratio: `${((r / l) * 100).toFixed(0)}%`,
    };
  } finally {
    await child.close();
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  remoteScan({ rows: Number(process.env.BENCH_REMOTE_ROWS ?? 1_000_000) }).then(
    (r) => console.log(r),
    (err: unknown) => {
      console.error(err);
      process.exitCode = 1;
    },
  );
}
