/**
 * The read path of `npm run bench` (issue 15): every scan beside a baseline doing the same
 * work in the same run, against the cluster child process of bench/run.ts.
 *
 * - Arrow scan (batch scanner `toArrow` and `pollBatches`), compression NONE, 1 and 8
 *   buckets, vs one loopback socket pair moving the same bytes in fetch-size writes
 *   (`bench/read-baselines.ts#loopbackChunks`).
 * - Arrow scan of ZSTD and LZ4_FRAME tables vs decoding the same fetched batches in memory
 *   (decompression + Arrow data, no network): the decode-only floor.
 * - Record scanner `poll` (ScanRecord objects) and batch scanner `toRows()` vs building the
 *   same plain objects from the same table's apache-arrow column arrays (`toArray()`).
 * - Changelog scan of a primary-key table (+I/-U/+U/-D, record scanner) vs the record scan
 *   of a log table with as many rows; the KV snapshot scan (bench/snapshot-scan.ts).
 * - Peak RSS of a scan of a table 8× `scanner.log.max-buffered-bytes` (bench/read-rss.ts,
 *   in a process of its own).
 *
 * `tsx bench/read.ts` runs only these against a fresh cluster process and prints the table.
 */
import { performance } from "node:perf_hooks";
import type * as arrow from "apache-arrow";
import { Config, EARLIEST_OFFSET, FlussConnection, Schema, TableDescriptor, TablePath, type FlussTable } from "../src/index.js";
import { benchBatch, benchRows, benchSchema } from "./data.js";
import { decodeOnly, fetchRawBatches, loopbackChunks, objectsFromArrow } from "./read-baselines.js";
import { peakRssScan } from "./read-rss.js";
import { withCpu } from "./cpu.js";

export interface ReadBenchResult {
  benchmark: string;
  flussjs: string;
  baseline: string;
  ratio: string;
}

export interface ReadBenchOptions {
  /** Rows of the Arrow scan tables (default 2,000,000). */
  rows?: number;
  /** Timed runs per figure, interleaved with the baseline; the median is reported (default 3). */
  runs?: number;
  /** Rows of the primary-key changelog table (default 500,000). */
  pkRows?: number;
  /** The cluster's process id: the Arrow scans then also report its CPU time per scan. */
  serverPid?: number;
}

const BATCH_ROWS = 65_536;
const MiB = 1024 * 1024;

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

function rate(n: number, unit = "rows/s"): string {
  if (n >= 1e6) return `${(n / 1e6).toFixed(2)} M${unit}`;
  return `${(n / 1e3).toFixed(1)} k${unit}`;
}

function pct(a: number, b: number): string {
  return `${((a / b) * 100).toFixed(0)}%`;
}

/** Runs `fluss` and `base` alternately `runs` times after one warm-up each; medians (per second figures). */
async function paired(runs: number, fluss: () => Promise<number>, base: () => Promise<number>): Promise<[number, number]> {
  await fluss();
  await base();
  const a: number[] = [];
  const b: number[] = [];
  for (let i = 0; i < runs; i++) {
    a.push(await fluss());
    b.push(await base());
  }
  return [median(a), median(b)];
}

/** Every read benchmark against the cluster at `bootstrapServers`. */
export async function readBenchmarks(bootstrapServers: string, options: ReadBenchOptions = {}): Promise<ReadBenchResult[]> {
  const rows = options.rows ?? 2_000_000;
  const runs = options.runs ?? 3;
  const pkRows = options.pkRows ?? 500_000;
  const results: ReadBenchResult[] = [];
  const config = new Config({ "bootstrap.servers": bootstrapServers, "writer.bucket.no-key-assigner": "round_robin" });
  await using conn = await FlussConnection.connect(config);
  const admin = conn.getAdmin();
  const created: TablePath[] = [];
  const createTable = async (name: string, buckets: number, properties: Record<string, string>, pk = false) => {
    const path = new TablePath("fluss", name);
    await admin.dropTable(path, { ignoreIfNotExists: true });
    const schema = new Schema(benchSchema(), pk ? { primaryKeys: ["id"] } : {});
    await admin.createTable(path, new TableDescriptor(schema, { bucketCount: buckets, properties }));
    created.push(path);
    return conn.getTable(path);
  };
  const batches: arrow.RecordBatch[] = [];
  for (let s = 0; s < rows; s += BATCH_ROWS) batches.push(benchBatch(s, Math.min(BATCH_ROWS, rows - s)));
  const fill = async (table: FlussTable) => {
    const writer = table.newAppendWriter();
    for (const b of batches) writer.writeArrowBatch(b);
    await writer.flush();
    await writer.close();
  };
  const subscribeAll = async (scanner: { subscribeBuckets(o: Record<number, number>): Promise<void> }, n: number) => {
    const offsets: Record<number, number> = {};
    for (let b = 0; b < n; b++) offsets[b] = EARLIEST_OFFSET;
    await scanner.subscribeBuckets(offsets);
  };
  let noneBytes = 0;
  const fetchBytes = config.get("scanner.log.fetch.max-bytes-for-bucket");

  try {
    // ---- Arrow scans, compression NONE, vs raw loopback of the same bytes ------------
    for (const buckets of (process.env.BENCH_BUCKETS ?? "1,8").split(",").map(Number)) {
      const table = await createTable(`bench_read_none_${buckets}`, buckets, { "table.log.arrow.compression.type": "NONE" });
      await fill(table);
      const raw = await fetchRawBatches(bootstrapServers, table);
      const bytes = raw.bytes;
      if (buckets === 1) noneBytes = bytes;
      if (process.env.BENCH_DEBUG) console.log(raw.chunks.map((c) => [c.bucket, c.bytes.length]));
      const cpu: Record<"toArrow" | "poll", { client: number[]; server: number[] }> = {
        toArrow: { client: [], server: [] },
        poll: { client: [], server: [] },
      };
      const timed = async (kind: "toArrow" | "poll", fn: () => Promise<number>) => {
        const r = await withCpu(options.serverPid, fn);
        cpu[kind].client.push(r.client);
        if (r.server !== undefined) cpu[kind].server.push(r.server);
        return r.value;
      };
      const cpuNote = (kind: "toArrow" | "poll") => {
        const c = cpu[kind];
        const server = c.server.length > 0 ? `, server ${median(c.server).toFixed(0)}` : "";
        return `; CPU ms per scan: client ${median(c.client).toFixed(0)}${server}`;
      };
      const scanToArrow = async () => {
        await using scanner = await table.newScan().createBatchScanner();
        await subscribeAll(scanner, buckets);
        const t0 = performance.now();
        const t = await scanner.toArrow();
        const secs = (performance.now() - t0) / 1000;
        if (t.numRows !== rows) throw new Error(`bench: toArrow returned ${t.numRows} of ${rows} rows`);
        return bytes / secs;
      };
      const scanPoll = async () => {
        await using scanner = await table.newScan().createBatchScanner();
        await subscribeAll(scanner, buckets);
        const t0 = performance.now();
        let n = 0;
        while (n < rows) for (const b of await scanner.pollBatches(10_000)) n += b.batch.numRows;
        return bytes / ((performance.now() - t0) / 1000);
      };
      const loop = () => loopbackChunks(bytes, fetchBytes);
      const [toArrowBps, loop1] = await paired(runs, () => timed("toArrow", scanToArrow), loop);
      const [pollBps, loop2] = await paired(runs, () => timed("poll", scanPoll), loop);
      const mb = (bytes / 1e6).toFixed(0);
      const what = `${(rows / 1e6).toFixed(1)} Mrows, ${mb} MB, NONE, ${buckets} bucket${buckets > 1 ? "s" : ""}`;
      const rowsOf = (bps: number) => rate((bps / bytes) * rows);
      results.push({
        benchmark: `Arrow scan, batch scanner toArrow (${what})`,
        flussjs: `${(toArrowBps / 1e6).toFixed(0)} MB/s (${rowsOf(toArrowBps)}${cpuNote("toArrow")})`,
        baseline: `${(loop1 / 1e6).toFixed(0)} MB/s raw loopback socket, same bytes in ${fetchBytes / MiB} MiB writes`,
        ratio: pct(toArrowBps, loop1),
      });
      results.push({
        benchmark: `Arrow scan, batch scanner pollBatches (${what})`,
        flussjs: `${(pollBps / 1e6).toFixed(0)} MB/s (${rowsOf(pollBps)}${cpuNote("poll")})`,
        baseline: `${(loop2 / 1e6).toFixed(0)} MB/s raw loopback socket, same bytes in ${fetchBytes / MiB} MiB writes`,
        ratio: pct(pollBps, loop2),
      });

      if (buckets === 1) {
        // ---- record scanner poll and toRows vs plain objects from apache-arrow columns
        const arrowTable = await (async () => {
          await using s = await table.newScan().createBatchScanner();
          await s.subscribe(0, EARLIEST_OFFSET);
          return await s.toArrow();
        })();
        const pollRecords = async () => {
          await using scanner = await table.newScan().createLogScanner();
          await scanner.subscribe(0, EARLIEST_OFFSET);
          const t0 = performance.now();
          let n = 0;
          let keep: unknown;
          while (n < rows) {
            const recs = await scanner.poll(10_000);
            n += recs.count;
            keep = recs;
          }
          if (!keep) throw new Error("bench: no records");
          return rows / ((performance.now() - t0) / 1000);
        };
        const toRows = async () => {
          await using scanner = await table.newScan().createBatchScanner();
          await scanner.subscribe(0, EARLIEST_OFFSET);
          const t0 = performance.now();
          const out = await scanner.toRows();
          if (out.length !== rows) throw new Error(`bench: toRows returned ${out.length} of ${rows} rows`);
          return rows / ((performance.now() - t0) / 1000);
        };
        const [pollRate, recBase] = await paired(runs, pollRecords, async () => objectsFromArrow(arrowTable, true));
        const [rowsRate, rowBase] = await paired(runs, toRows, async () => objectsFromArrow(arrowTable, false));
        results.push({
          benchmark: `record scanner poll, ScanRecord objects (${(rows / 1e6).toFixed(1)} Mrows, NONE, 1 bucket)`,
          flussjs: rate(pollRate),
          baseline: `${rate(recBase)} {offset, timestamp, changeType, row} built from the same table's apache-arrow column arrays`,
          ratio: pct(pollRate, recBase),
        });
        results.push({
          benchmark: `batch scanner toRows, row objects (${(rows / 1e6).toFixed(1)} Mrows, NONE, 1 bucket)`,
          flussjs: rate(rowsRate),
          baseline: `${rate(rowBase)} row objects built from the same table's apache-arrow column arrays`,
          ratio: pct(rowsRate, rowBase),
        });
      }
    }

    // ---- ZSTD and LZ4: scan vs decode-only of the same fetched batches --------------
    for (const codec of ["ZSTD", "LZ4_FRAME"]) {
      const table = await createTable(`bench_read_${codec.toLowerCase()}`, 1, { "table.log.arrow.compression.type": codec });
      await fill(table);
      const raw = await fetchRawBatches(bootstrapServers, table);
      const scan = async () => {
        await using scanner = await table.newScan().createBatchScanner();
        await scanner.subscribe(0, EARLIEST_OFFSET);
        const t0 = performance.now();
        const t = await scanner.toArrow();
        if (t.numRows !== rows) throw new Error(`bench: ${codec} scan returned ${t.numRows} of ${rows} rows`);
        return rows / ((performance.now() - t0) / 1000);
      };
      const [scanRate, decodeRate] = await paired(runs, scan, async () => decodeOnly(raw.chunks, rows, table));
      results.push({
        benchmark: `Arrow scan, toArrow (${(rows / 1e6).toFixed(1)} Mrows, ${codec}, ${(raw.bytes / 1e6).toFixed(0)} MB on the wire, 1 bucket)`,
        flussjs: rate(scanRate),
        baseline: `${rate(decodeRate)} decode-only: the same fetched batches decompressed into Arrow in memory`,
        ratio: pct(scanRate, decodeRate),
      });
    }

    // ---- primary-key changelog vs a log table's record scan of as many rows ---------
    {
      const pk = await createTable("bench_read_changelog", 1, {}, true);
      const log = await createTable("bench_read_changelog_base", 1, {});
      const upsert = pk.newUpsert();
      const src = benchRows(pkRows);
      for (const r of src) upsert.upsert(r);
      // a tenth updated (-U/+U), a tenth deleted (-D)
      const tenth = Math.floor(pkRows / 10);
      for (let i = 0; i < tenth; i++) upsert.upsert({ ...src[i]!, score: -1 });
      for (let i = tenth; i < 2 * tenth; i++) upsert.delete({ id: BigInt(i) });
      await upsert.flush();
      await upsert.close();
      const changelogRecords = pkRows + 3 * tenth;
      const append = log.newAppendWriter();
      for (let i = 0; i < changelogRecords; i++) append.append(src[i % pkRows]!);
      await append.flush();
      await append.close();
      const scanRecords = (t: FlussTable) => async () => {
        await using scanner = await t.newScan().createLogScanner();
        await scanner.subscribe(0, EARLIEST_OFFSET);
        const t0 = performance.now();
        let n = 0;
        while (n < changelogRecords) n += (await scanner.poll(10_000)).count;
        return n / ((performance.now() - t0) / 1000);
      };
      const [clRate, logRate] = await paired(runs, scanRecords(pk), scanRecords(log));
      results.push({
        benchmark: `primary-key changelog scan, record scanner poll (${rate(changelogRecords, "records").replace("/s", "")}: +I, -U/+U, -D; ZSTD)`,
        flussjs: rate(clRate, "records/s"),
        baseline: `${rate(logRate, "records/s")} record scanner poll of a log table with as many rows`,
        ratio: pct(clRate, logRate),
      });
    }

    // ---- memory bound ---------------------------------------------------------------
    if (created.some((p) => p.tableName === "bench_read_none_1")) {
      const bufferBytes = 8 * MiB;
      const table = await conn.getTable(new TablePath("fluss", "bench_read_none_1"));
      const rss = await peakRssScan(bootstrapServers, table.tablePath, bufferBytes, rows);
      results.push({
        benchmark: `peak RSS of a scan (pollBatches, batches dropped) of a ${(noneBytes / 1e6).toFixed(0)} MB table with scanner.log.max-buffered-bytes = ${bufferBytes / MiB} MiB`,
        flussjs: `+${(rss.growth / MiB).toFixed(0)} MiB over the ${(rss.before / MiB).toFixed(0)} MiB before the scan (peak ${(rss.peak / MiB).toFixed(0)} MiB)`,
        baseline: `${bufferBytes / MiB} MiB buffer + ${(rss.inFlightBound / MiB).toFixed(0)} MiB of responses in flight (the bound)`,
        ratio: pct(rss.growth, bufferBytes + rss.inFlightBound),
      });
    }
  } finally {
    for (const p of created) await admin.dropTable(p, { ignoreIfNotExists: true }).catch(() => undefined);
  }
  return results;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { startClusterProcess } = await import("./cluster-process.js");
  const { formatTable } = await import("../src/cli/format.js");
  const cluster = await startClusterProcess();
  try {
    const res = await readBenchmarks(cluster.bootstrapServers, {
      serverPid: cluster.pid,
      rows: Number(process.env.BENCH_ROWS ?? 2_000_000),
      runs: Number(process.env.BENCH_RUNS ?? 3),
    });
    console.log(formatTable(res as unknown as Record<string, unknown>[]));
  } finally {
    await cluster.close();
  }
}
