/**
 * `npm run bench`: client throughput against the embedded local cluster, each figure beside
 * a baseline measured in the same run on the same machine:
 *
 * - Arrow-batch append (MB/s)   vs raw loopback socket throughput of the same bytes
 * - object-row append (rows/s)  vs apache-arrow building the same rows into columns
 * - Arrow scan (rows/s)         vs apache-arrow IPC decode of the same data
 *
 * The cluster runs as `flussjs local` in a child process (its own event loop, as in any
 * deployment). Writes the figures and the machine to bench/RESULTS.md (`--no-write` to skip).
 */
import net from "node:net";
import os from "node:os";
import fs from "node:fs/promises";
import { performance } from "node:perf_hooks";
import * as arrow from "apache-arrow";
import { Config, EARLIEST_OFFSET, FlussConnection, Schema, TableDescriptor, TablePath } from "../src/index.js";
import { formatTable } from "../src/cli/format.js";
import { startClusterProcess } from "./cluster-process.js";

const ROWS = Number(process.env.BENCH_ROWS ?? 2_000_000);
const BATCH_ROWS = 65_536;

interface Result {
  benchmark: string;
  flussjs: string;
  baseline: string;
  ratio: string;
}

function schema(): arrow.Schema {
  return new arrow.Schema([
    new arrow.Field("id", new arrow.Int64(), false),
    new arrow.Field("user", new arrow.Utf8()),
    new arrow.Field("score", new arrow.Float64()),
    new arrow.Field("count", new arrow.Int32()),
    new arrow.Field("ok", new arrow.Bool()),
  ]);
}

function makeRows(n: number): Record<string, unknown>[] {
  const rows = new Array<Record<string, unknown>>(n);
  for (let i = 0; i < n; i++) {
    rows[i] = { id: BigInt(i), user: `user-${i % 1000}`, score: i * 0.5, count: i % 100, ok: (i & 1) === 0 };
  }
  return rows;
}

function makeBatches(total: number): arrow.RecordBatch[] {
  const out: arrow.RecordBatch[] = [];
  for (let start = 0; start < total; start += BATCH_ROWS) {
    const n = Math.min(BATCH_ROWS, total - start);
    const ids = new BigInt64Array(n);
    const users: string[] = new Array(n);
    const scores = new Float64Array(n);
    const counts = new Int32Array(n);
    const oks: boolean[] = new Array(n);
    for (let i = 0; i < n; i++) {
      const v = start + i;
      ids[i] = BigInt(v);
      users[i] = `user-${v % 1000}`;
      scores[i] = v * 0.5;
      counts[i] = v % 100;
      oks[i] = (v & 1) === 0;
    }
    const t = new arrow.Table(schema(), {
      id: arrow.makeVector(ids),
      user: arrow.vectorFromArray(users, new arrow.Utf8()),
      score: arrow.makeVector(scores),
      count: arrow.makeVector(counts),
      ok: arrow.vectorFromArray(oks, new arrow.Bool()),
    } as unknown as Record<string, arrow.Vector>);
    out.push(...t.batches);
  }
  return out;
}

/** Raw loopback: how fast this machine moves `bytes` through a TCP socket to a reader that discards. */
async function loopbackMBps(bytes: number): Promise<number> {
  let received = 0;
  let done!: () => void;
  const finished = new Promise<void>((r) => (done = r));
  const server = net.createServer((s) => {
    s.on("data", (c: Buffer) => {
      received += c.length;
      if (received >= bytes) done();
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
  const port = (server.address() as net.AddressInfo).port;
  const sock = net.connect(port, "127.0.0.1");
  await new Promise<void>((r) => sock.once("connect", () => r()));
  const chunk = Buffer.alloc(1024 * 1024, 7);
  const t0 = performance.now();
  let sent = 0;
  while (sent < bytes) {
    const n = Math.min(chunk.length, bytes - sent);
    if (!sock.write(n === chunk.length ? chunk : chunk.subarray(0, n))) {
      await new Promise<void>((r) => sock.once("drain", () => r()));
    }
    sent += n;
  }
  await finished;
  const secs = (performance.now() - t0) / 1000;
  sock.destroy();
  await new Promise<void>((r) => server.close(() => r()));
  return bytes / secs / 1e6;
}

function fmt(n: number, unit: string): string {
  if (n >= 1e6) return `${(n / 1e6).toFixed(2)} M${unit}`;
  if (n >= 1e3) return `${(n / 1e3).toFixed(1)} k${unit}`;
  return `${n.toFixed(1)} ${unit}`;
}

async function main(): Promise<void> {
  const writeResults = !process.argv.includes("--no-write");
  const cluster = await startClusterProcess();
  const results: Result[] = [];
  try {
    await using conn = await FlussConnection.connect(new Config({ "bootstrap.servers": cluster.bootstrapServers }));
    const admin = conn.getAdmin();
    const fsSchema = new Schema(schema());

    // --- Arrow-batch append vs raw loopback of the same bytes ---------------------------
    const batches = makeBatches(ROWS);
    const ipcBytes = arrow.tableToIPC(new arrow.Table(batches), "stream").byteLength;
    const arrowPath = new TablePath("fluss", "bench_arrow");
    await admin.createTable(
      arrowPath,
      new TableDescriptor(fsSchema, { bucketCount: 1, properties: { "table.log.arrow.compression.type": "NONE" } }),
      { ignoreIfExists: true },
    );
    const arrowTable = await conn.getTable(arrowPath);
    const aw = await arrowTable.newAppendWriter();
    let t0 = performance.now();
    for (const b of batches) aw.writeArrowBatch(b);
    await aw.flush();
    let secs = (performance.now() - t0) / 1000;
    const appendMBps = ipcBytes / secs / 1e6;
    const rawMBps = await loopbackMBps(ipcBytes);
    results.push({
      benchmark: `Arrow-batch append (${fmt(ROWS, "rows")}, ${(ipcBytes / 1e6).toFixed(0)} MB)`,
      flussjs: `${appendMBps.toFixed(0)} MB/s (${fmt(ROWS / secs, "rows/s")})`,
      baseline: `${rawMBps.toFixed(0)} MB/s raw loopback socket`,
      ratio: `${((appendMBps / rawMBps) * 100).toFixed(0)}%`,
    });

    // --- object-row append vs apache-arrow building the same rows ----------------------
    const rows = makeRows(ROWS);
    const rowPath = new TablePath("fluss", "bench_rows");
    await admin.createTable(rowPath, new TableDescriptor(fsSchema, { bucketCount: 1 }), { ignoreIfExists: true });
    const rw = await (await conn.getTable(rowPath)).newAppendWriter();
    t0 = performance.now();
    for (const r of rows) rw.append(r);
    await rw.flush();
    secs = (performance.now() - t0) / 1000;
    const rowRate = ROWS / secs;
    t0 = performance.now();
    const built = arrow.tableFromJSON(rows.slice(0, Math.min(ROWS, 500_000)));
    const buildRate = built.numRows / ((performance.now() - t0) / 1000);
    results.push({
      benchmark: `object-row append, 5 columns, ZSTD (${fmt(ROWS, "rows")})`,
      flussjs: fmt(rowRate, "rows/s"),
      baseline: `${fmt(buildRate, "rows/s")} apache-arrow tableFromJSON of the same rows`,
      ratio: `${((rowRate / buildRate) * 100).toFixed(0)}%`,
    });

    // --- Arrow scan vs apache-arrow IPC decode of the same data ------------------------
    const scanner = await arrowTable.newScan().createBatchScanner();
    scanner.subscribe(0, EARLIEST_OFFSET);
    t0 = performance.now();
    const scanned = await scanner.toArrow();
    secs = (performance.now() - t0) / 1000;
    const scanRate = scanned.numRows / secs;
    const ipc = arrow.tableToIPC(new arrow.Table(batches), "stream");
    t0 = performance.now();
    const decoded = arrow.tableFromIPC(ipc);
    const decodeRate = decoded.numRows / ((performance.now() - t0) / 1000);
    results.push({
      benchmark: `Arrow scan to arrow.Table (${fmt(scanned.numRows, "rows")})`,
      flussjs: fmt(scanRate, "rows/s"),
      baseline: `${fmt(decodeRate, "rows/s")} apache-arrow IPC decode`,
      ratio: `${((scanRate / decodeRate) * 100).toFixed(0)}%`,
    });
    await scanner.close();
    await admin.dropTable(arrowPath, { ignoreIfNotExists: true });
    await admin.dropTable(rowPath, { ignoreIfNotExists: true });
  } finally {
    await cluster.close();
  }

  const table = formatTable(results as unknown as Record<string, unknown>[]);
  console.log(table);
  if (writeResults) {
    const cpu = os.cpus()[0]?.model ?? "unknown CPU";
    const md = [
      "# Benchmark results",
      "",
      `Recorded ${new Date().toISOString().slice(0, 10)} by \`npm run bench\` on ${os.cpus().length} × ${cpu}, ` +
        `${(os.totalmem() / 2 ** 30).toFixed(0)} GiB RAM, Node ${process.version}, ${os.platform()} ${os.release()}. ` +
        "Client and embedded cluster in one process over loopback; each baseline measured in the same run.",
      "",
      "| benchmark | flussjs | baseline | flussjs / baseline |",
      "|---|---|---|---|",
      ...results.map((r) => `| ${r.benchmark} | ${r.flussjs} | ${r.baseline} | ${r.ratio} |`),
      "",
    ].join("\n");
    await fs.writeFile(new URL("./RESULTS.md", import.meta.url), md);
  }
}

main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
