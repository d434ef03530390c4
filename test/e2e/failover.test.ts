/**
 * The client against a multi-server cluster (issue 11): batches cut at fetch limits, leaders
 * that move, servers stopped, black-holed or restarted, connections dropped, injected
 * errors. Each case runs against `LocalCluster.start({ tabletServers: 3 })` and is bounded
 * (seconds): writers lose and duplicate nothing that was acknowledged, scanners and
 * lookupers resume, and data that stays unreachable fails with a FlussError in time.
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import * as arrow from "apache-arrow";
import {
  Config,
  DataTypes,
  EARLIEST_OFFSET,
  ErrorCode,
  FlussConnection,
  FlussError,
  LATEST_OFFSET,
  LocalCluster,
  OffsetSpec,
  Schema,
  TableDescriptor,
  TablePath,
  notNull,
  type ConfigInput,
  type FlussTable,
  type LogScanner,
} from "../../src/index.js";

const db = "failover";

/** id INT NOT NULL, payload STRING: rows of `payloadBytes` bytes. */
const logSchema = new Schema(
  new arrow.Schema([new arrow.Field("id", new arrow.Int32(), false), new arrow.Field("payload", new arrow.Utf8(), true)]),
);

const pkSchema = Schema.fromColumns(
  [
    { name: "id", type: notNull(DataTypes.INT()) },
    { name: "v", type: DataTypes.BIGINT() },
  ],
  ["id"],
);

let seq = 0;
const name = (prefix: string): string => `${prefix}_${process.pid}_${seq++}`;

/** Reads every bucket until `n` ids arrived (or `ms` passed), then a little longer for duplicates. */
async function readIds(scanner: LogScanner, n: number, ms = 15_000): Promise<number[]> {
  const out: number[] = [];
  const deadline = Date.now() + ms;
  while (out.length < n && Date.now() < deadline) {
    const recs = await scanner.poll(200);
    for (const r of recs) out.push(r.row.id as number);
  }
  const extra = await scanner.poll(300);
  for (const r of extra) out.push(r.row.id as number);
  return out.sort((a, b) => a - b);
}

async function subscribeAll(table: FlussTable, offset = EARLIEST_OFFSET): Promise<LogScanner> {
  const scanner = await table.newScan().createLogScanner();
  for (let b = 0; b < table.info.numBuckets; b++) await scanner.subscribe(b, offset);
  return scanner;
}

const range = (from: number, to: number): number[] => Array.from({ length: to - from }, (_, i) => from + i);

describe("failover against three tablet servers (e2e)", () => {
  let cluster: LocalCluster;
  let conn: FlussConnection;

  const connect = (extra: ConfigInput = {}): Promise<FlussConnection> =>
    FlussConnection.connect(new Config({ "bootstrap.servers": cluster.bootstrapServers, "scanner.log.fetch.wait-max-time-ms": 100, ...extra }));

  const createLog = async (c: FlussConnection, prefix: string, buckets = 3, properties: Record<string, string> = {}): Promise<FlussTable> => {
    const path = new TablePath(db, name(prefix));
    await c.getAdmin().createTable(path, new TableDescriptor(logSchema, { bucketCount: buckets, properties }));
    return c.getTable(path);
  };

  before(async () => {
    cluster = await LocalCluster.start({ tabletServers: 3 });
    conn = await connect();
    await conn.getAdmin().createDatabase(db, { ignoreIfExists: true });
  });
  after(async () => {
    await conn?.close().catch(() => undefined);
    await cluster?.close();
  });

  test("batches larger than the per-bucket fetch limit (2 MiB writer batches, a 5 MiB Arrow batch) are read whole on every bucket", { timeout: 60_000 }, async () => {
    // uncompressed, so that batches keep their size on the wire
    const table = await createLog(conn, "big_batches", 4, { "table.log.arrow.compression.type": "NONE" });
    const writer = table.newAppendWriter();
    const payload = "x".repeat(1000);
    // ~8 MiB spread over 4 buckets: full 2 MiB writer batches in each
    const n = 8000;
    for (let i = 0; i < n; i++) writer.append({ id: i, payload: payload + i });
    await writer.flush();
    // one 5 MiB Arrow batch into one bucket (round-robin would split: write a table-sized batch)
    const big = arrow.tableFromArrays({
      id: Int32Array.from(range(n, n + 5000)),
      payload: Array.from({ length: 5000 }, (_, i) => payload + i),
    });
    writer.writeArrowBatch(big.batches[0]!);
    await writer.flush();
    await writer.close();
    // default limits: 1 MiB per bucket, 16 MiB per response
    const scanner = await subscribeAll(table);
    const ids = await readIds(scanner, n + 5000, 30_000);
    await scanner.close();
    assert.equal(ids.length, n + 5000, `read ${ids.length} of ${n + 5000} rows`);
    assert.deepEqual(ids, range(0, n + 5000));
  });
});
