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
    FlussConnection.connect(
      new Config({ "bootstrap.servers": cluster.bootstrapServers, "scanner.log.fetch.wait-max-time-ms": 100, ...extra }),
    );

  const createLog = async (
    c: FlussConnection,
    prefix: string,
    buckets = 3,
    properties: Record<string, string> = {},
  ): Promise<FlussTable> => {
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

  test("batches larger than the per-bucket fetch limit (2 MiB writer batches, a 5 MiB Arrow batch) are read whole on every bucket", {
    timeout: 60_000,
  }, async () => {
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

  /** Writes ids [from, to) with backpressure, yielding now and then so that `during` runs meanwhile. */
  async function writeAll(writer: { append(row: object): PromiseLike<unknown> }, from: number, to: number): Promise<void> {
    for (let i = from; i < to; i++) {
      await writer.append({ id: i, payload: `row-${i}` });
      if (i % 100 === 0) await new Promise((r) => setTimeout(r, 1));
    }
  }

  const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

  /** Puts bucket b of `table` on server `ids[b % ids.length]`, so tests know the leaders. */
  async function placeLeaders(table: FlussTable, ids: readonly number[]): Promise<void> {
    for (let b = 0; b < table.info.numBuckets; b++)
      await cluster.moveLeader({ table: table.info.tablePath, bucket: b, to: ids[b % ids.length]! });
  }

  test("a write storm through leader moves: every acknowledged row exactly once, no sequence loop", {
    timeout: 60_000,
  }, async () => {
    const table = await createLog(conn, "storm_moves", 3);
    const writer = table.newAppendWriter();
    const scanner = await subscribeAll(table);
    const n = 6000;
    const ids = cluster.tabletServerIds;
    const moves = (async () => {
      for (let k = 0; k < 9; k++) {
        await sleep(60);
        await cluster.moveLeader({ table: table.info.tablePath, bucket: k % 3, to: ids[(k + 1) % ids.length]! });
      }
    })();
    await writeAll(writer, 0, n);
    await moves;
    const started = Date.now();
    await writer.flush();
    assert.ok(Date.now() - started < 20_000, `flush took ${Date.now() - started} ms`);
    await writer.close();
    // the scanner followed the moves too
    const seen = await readIds(scanner, n);
    await scanner.close();
    assert.deepEqual(seen, range(0, n));
  });

  test("upserts and lookups through leader moves and dropped connections", { timeout: 60_000 }, async () => {
    const path = new TablePath(db, name("pk_moves"));
    await conn.getAdmin().createTable(path, new TableDescriptor(pkSchema, { bucketCount: 3 }));
    const table = await conn.getTable(path);
    const writer = table.newUpsert();
    const lookuper = table.newLookup();
    const ids = cluster.tabletServerIds;
    const n = 3000;
    for (let i = 0; i < n; i++) {
      writer.upsert({ id: i % 500, v: BigInt(i) });
      if (i % 300 === 0) {
        await cluster.moveLeader({ table: path, bucket: (i / 300) % 3, to: ids[(i / 300 + 1) % ids.length]! });
        if (i % 900 === 0) cluster.dropConnections();
        await writer.flush();
        const row = await lookuper.lookup({ id: i % 500 });
        assert.equal(row?.v, BigInt(i));
      }
    }
    await writer.flush();
    cluster.dropConnections();
    for (let id = 0; id < 500; id++) {
      const row = await lookuper.lookup({ id });
      assert.equal(row?.v, BigInt(n - 500 + id));
    }
    await writer.close();
  });

  test("a tablet server stopped and restarted under writes and a scan: nothing lost or duplicated", {
    timeout: 60_000,
  }, async () => {
    const table = await createLog(conn, "stop_start", 3);
    await placeLeaders(table, cluster.tabletServerIds);
    const writer = table.newAppendWriter();
    const scanner = await subscribeAll(table);
    const n = 4000;
    const victim = cluster.tabletServerIds[1]!;
    const outage = (async () => {
      await sleep(50);
      await cluster.stopTabletServer(victim);
      await sleep(1000);
      await cluster.startTabletServer(victim);
    })();
    await writeAll(writer, 0, n);
    await outage;
    await writer.flush();
    await writer.close();
    const seen = await readIds(scanner, n, 20_000);
    await scanner.close();
    assert.deepEqual(seen, range(0, n));
  });

  test("all connections dropped repeatedly: writes, scans and listOffsets carry on", { timeout: 60_000 }, async () => {
    const table = await createLog(conn, "drops", 3);
    const writer = table.newAppendWriter();
    const scanner = await subscribeAll(table);
    const n = 4000;
    const drops = (async () => {
      for (let k = 0; k < 5; k++) {
        await sleep(80);
        cluster.dropConnections();
      }
    })();
    await writeAll(writer, 0, n);
    await drops;
    await writer.flush();
    await writer.close();
    const seen = await readIds(scanner, n);
    await scanner.close();
    assert.deepEqual(seen, range(0, n));
    cluster.dropConnections();
    const offsets = await conn.getAdmin().listOffsets(table.info.tablePath, [0, 1, 2], OffsetSpec.latest());
    assert.equal(offsets[0]! + offsets[1]! + offsets[2]!, n);
  });

  test("a black-holed server whose buckets moved to another: the client stops waiting on it", { timeout: 60_000 }, async () => {
    const c = await connect({ "request.timeout.ms": 1500, "writer.batch.timeout.ms": 5 });
    try {
      const table = await createLog(c, "black_hole", 3);
      const [a, b] = cluster.tabletServerIds;
      await placeLeaders(table, [a!]);
      const writer = table.newAppendWriter();
      await writeAll(writer, 0, 500);
      await writer.flush();
      cluster.setUnresponsive(a!, true);
      try {
        for (let bucket = 0; bucket < 3; bucket++) await cluster.moveLeader({ table: table.info.tablePath, bucket, to: b! });
        const started = Date.now();
        await writeAll(writer, 500, 1500);
        await writer.flush();
        assert.ok(Date.now() - started < 15_000, `writes took ${Date.now() - started} ms`);
        // a new LATEST subscription resolves against the new leader (ListOffsets refreshes first)
        const latest = await (await c.getTable(table.info.tablePath)).newScan().createLogScanner();
        for (let bucket = 0; bucket < 3; bucket++) await latest.subscribe(bucket, LATEST_OFFSET);
        const scanner = await subscribeAll(table);
        const seen = await readIds(scanner, 1500);
        await scanner.close();
        assert.deepEqual(seen, range(0, 1500));
        await writeAll(writer, 1500, 1600);
        await writer.flush();
        const tail = await readIds(latest, 100, 10_000);
        await latest.close();
        assert.deepEqual(tail, range(1500, 1600));
      } finally {
        cluster.setUnresponsive(a!, false);
      }
      await writer.close();
    } finally {
      await c.close();
    }
  });

  test("a coordinator restart: admin calls re-learn the coordinator, writers keep writing", { timeout: 60_000 }, async () => {
    const table = await createLog(conn, "coord_restart", 3);
    const writer = table.newAppendWriter();
    await writeAll(writer, 0, 500);
    await cluster.restartCoordinator();
    assert.ok((await conn.getAdmin().listTables(db)).includes(table.info.tablePath.tableName));
    await writeAll(writer, 500, 1000);
    await cluster.restartCoordinator();
    await writer.flush();
    await writer.close();
    const info = await conn.getAdmin().getTableInfo(table.info.tablePath);
    assert.equal(info.tableId, table.info.tableId);
    const scanner = await subscribeAll(table);
    assert.deepEqual(await readIds(scanner, 1000), range(0, 1000));
    await scanner.close();
  });

  test("injected retriable errors on every path are retried; NOT_COORDINATOR_LEADER re-learns the coordinator", {
    timeout: 60_000,
  }, async () => {
    const path = new TablePath(db, name("injected"));
    await conn.getAdmin().createTable(path, new TableDescriptor(pkSchema, { bucketCount: 3 }));
    const table = await conn.getTable(path);
    cluster.injectError({ apiKey: "PUT_KV", errorCode: ErrorCode.NOT_LEADER_OR_FOLLOWER, count: 3 });
    cluster.injectError({ apiKey: "PUT_KV", errorCode: ErrorCode.UNKNOWN_WRITER_ID_EXCEPTION, count: 1 });
    const writer = table.newUpsert();
    for (let i = 0; i < 300; i++) writer.upsert({ id: i, v: BigInt(i) });
    await writer.flush();
    await writer.close();
    cluster.injectError({ apiKey: "LOOKUP", errorCode: ErrorCode.LEADER_NOT_AVAILABLE_EXCEPTION, count: 3 });
    const lookuper = table.newLookup();
    for (let i = 0; i < 300; i += 37) assert.equal((await lookuper.lookup({ id: i }))?.v, BigInt(i));
    cluster.injectError({ apiKey: "FETCH_LOG", errorCode: ErrorCode.NOT_LEADER_OR_FOLLOWER, count: 3 });
    cluster.injectError({ apiKey: "LIST_OFFSETS", errorCode: ErrorCode.NOT_LEADER_OR_FOLLOWER, count: 1 });
    const offsets = await conn.getAdmin().listOffsets(path, [0, 1, 2], OffsetSpec.latest());
    assert.ok(offsets[0]! + offsets[1]! + offsets[2]! >= 300);
    const scanner = await subscribeAll(table);
    const seen = await readIds(scanner, 300);
    await scanner.close();
    assert.deepEqual(seen, range(0, 300), "every upsert once in the changelog");
    cluster.injectError({
      apiKey: "LIST_TABLES",
      errorCode: ErrorCode.NOT_COORDINATOR_LEADER_EXCEPTION,
      count: 1,
      serverId: "coordinator",
    });
    assert.ok((await conn.getAdmin().listTables(db)).includes(path.tableName));
  });

  test("a batch stored without an answer is not re-sent under a new writer id after a reset (exactly once per writer id)", {
    timeout: 30_000,
  }, async () => {
    const c = await connect({ "request.timeout.ms": 500, "writer.batch.timeout.ms": 0, "writer.delivery.timeout.ms": 10_000 });
    try {
      const table = await createLog(c, "stale_writer", 1);
      const writer = table.newAppendWriter();
      await writer.append({ id: 0, payload: "warm-up" }).wait(); // writer id known
      // the next produce is stored, but only after the client gave up waiting for it
      cluster.delay({ apiKey: "PRODUCE_LOG", ms: 1500 });
      const handle = writer.append({ id: 1, payload: "stored late" });
      const outcome = handle.wait().then(
        () => undefined,
        (e: unknown) => e,
      );
      await sleep(150);
      cluster.delay({ apiKey: "PRODUCE_LOG", ms: 0 });
      // its retry (same writer id and sequence) learns that the server lost the writer: reset
      cluster.injectError({ apiKey: "PRODUCE_LOG", errorCode: ErrorCode.UNKNOWN_WRITER_ID_EXCEPTION, count: 1 });
      const err = await outcome;
      assert.ok(err instanceof FlussError, `expected a failure, got ${String(err)}`);
      assert.equal(err.code, ErrorCode.UNKNOWN_WRITER_ID_EXCEPTION, err.message);
      assert.equal(err.outcomeUnknown, true);
      // later writes go through under the new writer id
      await writer.append({ id: 2, payload: "after" }).wait();
      await writer.close().catch(() => undefined);
      await sleep(1600); // the delayed original has been stored by now
      const scanner = await subscribeAll(table);
      const seen = await readIds(scanner, 3, 5_000);
      await scanner.close();
      assert.deepEqual(seen, [0, 1, 2], "the late-stored row is there once, not twice");
    } finally {
      await c.close();
    }
  });

  test("data that stays unreachable fails with a FlussError within the configured timeouts", { timeout: 60_000 }, async () => {
    const c = await connect({
      "request.timeout.ms": 1000,
      "writer.delivery.timeout.ms": 2500,
      "scanner.max-unavailable-ms": 1500,
      "lookup.max-retries": 3,
    });
    const ids = cluster.tabletServerIds;
    try {
      const path = new TablePath(db, name("unreachable"));
      await c.getAdmin().createTable(path, new TableDescriptor(pkSchema, { bucketCount: 3 }));
      const table = await c.getTable(path);
      const writer = table.newUpsert();
      await writer.upsert({ id: 1, v: 1n }).wait();
      const scanner = await subscribeAll(table);
      for (const id of ids) await cluster.stopTabletServer(id);
      try {
        const timed = async (what: string, p: Promise<unknown>, boundMs: number): Promise<FlussError> => {
          const started = Date.now();
          const err = await p.then(
            () => assert.fail(`${what} succeeded with every tablet server stopped`),
            (e: unknown) => e,
          );
          const took = Date.now() - started;
          assert.ok(err instanceof FlussError, `${what}: ${String(err)}`);
          assert.ok(took < boundMs, `${what} took ${took} ms`);
          return err;
        };
        writer.upsert({ id: 2, v: 2n });
        await timed("flush", writer.flush(), 8_000);
        await timed("lookup", table.newLookup().lookup({ id: 1 }), 8_000);
        await timed("listOffsets", c.getAdmin().listOffsets(path, [0, 1, 2], OffsetSpec.latest()), 8_000);
        await timed(
          "poll",
          (async () => {
            for (;;) await scanner.poll(500);
          })(),
          8_000,
        );
      } finally {
        for (const id of ids) await cluster.startTabletServer(id);
      }
      await scanner.close();
      await writer.close().catch(() => undefined);
      // and it works again once the servers are back
      assert.equal((await table.newLookup().lookup({ id: 1 }))?.v, 1n);
    } finally {
      await c.close();
    }
  });
});
