/**
 * Full-scan throughput of a primary-key table (rows/s): every current row of a 1M-row table
 * read with the snapshot scanner (ScanKv sessions, `toArrow()`), beside the Arrow scan of a
 * log table holding the same rows (`createBatchScanner().toArrow()` from the earliest
 * offsets), measured in the same run against the same cluster. Wired into `npm run bench`
 * by bench/run.ts; creates and drops its own tables in database `fluss`.
 */
import { performance } from "node:perf_hooks";
import { Config, EARLIEST_OFFSET, FlussConnection, Schema, TableDescriptor, TablePath, type FlussTable } from "../src/index.js";
import { benchBatch, benchSchema } from "./data.js";

/** One benchmark line, as bench/run.ts prints and records them. */
export interface SnapshotScanBenchResult {
  benchmark: string;
  flussjs: string;
  baseline: string;
  ratio: string;
}

export interface SnapshotScanBenchOptions {
  /** Rows in each table (default 1,000,000). */
  rows?: number;
  /** Timed runs of each scan; the best is reported (default 3). */
  runs?: number;
}

const BUCKETS = 4;
const BATCH_ROWS = 65_536;

function fmtRate(n: number): string {
  return n >= 1e6 ? `${(n / 1e6).toFixed(2)} M rows/s` : `${(n / 1e3).toFixed(1)} k rows/s`;
}

async function freshTable(conn: FlussConnection, name: string, primaryKey: boolean): Promise<FlussTable> {
  const path = new TablePath("fluss", name);
  const admin = conn.getAdmin();
  await admin.dropTable(path, { ignoreIfNotExists: true });
  const schema = new Schema(benchSchema(), primaryKey ? { primaryKeys: ["id"] } : {});
  await admin.createTable(
    path,
    new TableDescriptor(schema, { bucketCount: BUCKETS, ...(primaryKey ? {} : { bucketKeys: ["id"] }) }),
  );
  return conn.getTable(path);
}

/**
 * Rows/s of a full primary-key table scan (snapshot scanner → one Arrow table) vs the Arrow
 * scan of a log table with the same rows.
 */
export async function snapshotScan(
  bootstrapServers: string,
  options: SnapshotScanBenchOptions = {},
): Promise<SnapshotScanBenchResult & { rowsPerSec: number; baselineRowsPerSec: number }> {
  const rows = options.rows ?? 1_000_000;
  const runs = options.runs ?? 3;
  await using conn = await FlussConnection.connect(new Config({ "bootstrap.servers": bootstrapServers }));
  const pk = await freshTable(conn, "bench_snapshot_scan_pk", true);
  const log = await freshTable(conn, "bench_snapshot_scan_log", false);
  try {
    const upsert = pk.newUpsert();
    const append = log.newAppendWriter();
    for (let start = 0; start < rows; start += BATCH_ROWS) {
      const n = Math.min(BATCH_ROWS, rows - start);
      const batch = benchBatch(start, n);
      append.writeArrowBatch(batch);
      const readers = batch.schema.fields.map((_, k) => batch.getChildAt(k)!);
      for (let i = 0; i < n; i++) await upsert.upsert(readers.map((c) => c.get(i)));
    }
    await Promise.all([upsert.flush(), append.flush()]);

    const scanPk = async (): Promise<number> => {
      const t0 = performance.now();
      const table = await (await pk.newScan().createSnapshotScanner()).toArrow();
      const ms = performance.now() - t0;
      if (table.numRows !== rows) throw new Error(`bench: the snapshot scan returned ${table.numRows} of ${rows} rows`);
      return (rows / ms) * 1000;
    };
    const scanLog = async (): Promise<number> => {
      const t0 = performance.now();
      await using scanner = await log.newScan().createBatchScanner();
      const offsets: Record<number, number> = {};
      for (let b = 0; b < BUCKETS; b++) offsets[b] = EARLIEST_OFFSET;
      await scanner.subscribeBuckets(offsets);
      const table = await scanner.toArrow();
      const ms = performance.now() - t0;
      if (table.numRows !== rows) throw new Error(`bench: the log scan returned ${table.numRows} of ${rows} rows`);
      return (rows / ms) * 1000;
    };
    // one warm-up of each, then alternate so both see the same machine state
    await scanPk();
    await scanLog();
    let best = 0;
    let baseline = 0;
    for (let r = 0; r < runs; r++) {
      best = Math.max(best, await scanPk());
      baseline = Math.max(baseline, await scanLog());
    }
    return {
      benchmark: `PK full scan, ${(rows / 1e6).toFixed(rows % 1e6 === 0 ? 0 : 2)}M rows (snapshot scanner → Arrow) vs log-table Arrow scan`,
      flussjs: fmtRate(best),
      baseline: fmtRate(baseline),
      ratio: `${((best / baseline) * 100).toFixed(0)}%`,
      rowsPerSec: best,
      baselineRowsPerSec: baseline,
    };
  } finally {
    await conn
      .getAdmin()
      .dropTable(pk.tablePath, { ignoreIfNotExists: true })
      .catch(() => undefined);
    await conn
      .getAdmin()
      .dropTable(log.tablePath, { ignoreIfNotExists: true })
      .catch(() => undefined);
  }
}
