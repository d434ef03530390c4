/**
 * A local cluster of a coordinator and three tablet servers through the public API
 * (issue 11): servers and metadata, leaders spread over the servers, and each test hook
 * (stop/start, moveLeader, dropConnections, setUnresponsive, injectError, delay,
 * restartCoordinator) doing what it says, observed by a client.
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import {
  Config,
  DataTypes,
  EARLIEST_OFFSET,
  ErrorCode,
  FlussConnection,
  FlussError,
  LocalCluster,
  OffsetSpec,
  Schema,
  TableDescriptor,
  TablePath,
  type FlussTable,
} from "../../src/index.js";
import { createTestTable } from "../helpers/tables.js";

const DB = "multi";
const BUCKETS = 6;

/** Reads every bucket from the start until `n` rows came, then checks nothing more comes; returns ids per bucket. */
async function readAll(table: FlussTable, n: number, ms = 10_000): Promise<Map<number, number[]>> {
  const scanner = await table.newScan().createLogScanner();
  try {
    for (let b = 0; b < table.info.numBuckets; b++) await scanner.subscribe(b, EARLIEST_OFFSET);
    const byBucket = new Map<number, number[]>();
    let count = 0;
    const collect = async (wait: number) => {
      const recs = await scanner.poll(wait);
      for (const tb of recs.buckets()) {
        for (const r of recs.records(tb)) {
          const list = byBucket.get(tb.bucket) ?? [];
          list.push(r.row.id as number);
          byBucket.set(tb.bucket, list);
          count++;
        }
      }
    };
    const deadline = Date.now() + ms;
    while (count < n) {
      if (Date.now() > deadline) assert.fail(`read ${count} of ${n} rows in ${ms} ms`);
      await collect(300);
    }
    await collect(200);
    assert.equal(count, n, "no more rows than written");
    return byBucket;
  } finally {
    await scanner.close();
  }
}

function ids(byBucket: Map<number, number[]>): number[] {
  return [...byBucket.values()].flat().sort((a, b) => a - b);
}

function range(from: number, to: number): number[] {
  return Array.from({ length: to - from }, (_, i) => from + i);
}

describe("three tablet servers", () => {
  let cluster: LocalCluster;
  let conn: FlussConnection;
  const connect = (extra: Record<string, unknown> = {}) =>
    FlussConnection.connect(new Config({ "bootstrap.servers": cluster.bootstrapServers, "request.timeout.ms": 3000, ...extra }));

  before(async () => {
    cluster = await LocalCluster.start({ tabletServers: 3 });
    conn = await connect();
    await conn.getAdmin().createDatabase(DB);
  });
  after(async () => {
    await conn?.close();
    await cluster?.close();
  });

  test("getServerNodes lists the coordinator and three tablet servers, each at its own address", async () => {
    assert.deepEqual(cluster.tabletServerIds, [0, 1, 2]);
    const nodes = await conn.getAdmin().getServerNodes();
    const coordinator = nodes.filter((n) => n.serverType === "COORDINATOR");
    const tablets = nodes.filter((n) => n.serverType === "TABLET_SERVER");
    assert.equal(coordinator.length, 1);
    assert.equal(`${coordinator[0]!.host}:${coordinator[0]!.port}`, cluster.bootstrapServers);
    assert.deepEqual(
      tablets.map((n) => [n.id, `${n.host}:${n.port}`]),
      [0, 1, 2].map((id) => [id, cluster.serverAddress(id)]),
    );
    assert.equal(new Set(nodes.map((n) => n.port)).size, 4);
  });

  test("rows to six buckets go through all three servers (leaders spread) and read back; delay on one server holds only its buckets", async () => {
    const table = await createTestTable(conn, DB, "spread", { buckets: BUCKETS, bucketKey: ["id"] });
    const writer = table.newAppendWriter();
    for (let id = 0; id < 60; id++) writer.append({ id, name: `r${id}`, amount: BigInt(id) });
    await writer.flush();
    const byBucket = await readAll(table, 60);
    assert.deepEqual(ids(byBucket), range(0, 60));
    assert.equal(byBucket.size, BUCKETS, "every bucket got rows");
    // produce requests to server 1 wait 1.5 s: exactly the rows of the buckets it leads are slow
    cluster.delay({ apiKey: "PRODUCE_LOG", ms: 1_500, serverId: 1 });
    try {
      const started = Date.now();
      const took = new Map<number, number>();
      await Promise.all(
        range(100, 160).map(async (id) => {
          await writer.append({ id, name: `r${id}`, amount: BigInt(id) }).wait();
          took.set(id, Date.now() - started);
        }),
      );
      const slow = [...took].filter(([, ms]) => ms >= 1_450).map(([id]) => id);
      const fast = [...took].filter(([, ms]) => ms < 1_000).map(([id]) => id);
      assert.equal(slow.length + fast.length, 60, `times ${[...took.values()].join(",")}`);
      const again = await readAll(table, 120);
      const bucketOf = new Map<number, number>();
      for (const [b, rows] of again) for (const id of rows) bucketOf.set(id, b);
      const slowBuckets = new Set(slow.map((id) => bucketOf.get(id)));
      const fastBuckets = new Set(fast.map((id) => bucketOf.get(id)));
      assert.equal(slowBuckets.size, BUCKETS / 3, `server 1 leads 2 of 6 buckets (slow: ${[...slowBuckets].join(",")})`);
      assert.equal(fastBuckets.size, BUCKETS - BUCKETS / 3);
      for (const b of slowBuckets) assert.ok(!fastBuckets.has(b));
    } finally {
      cluster.delay({ apiKey: "PRODUCE_LOG", ms: 0, serverId: 1 });
      await writer.close();
    }
  });

  test("injectError: the next requests of that key fail with the code (a non-retriable one reaches the caller)", async () => {
    const table = await createTestTable(conn, DB, "inject", { buckets: 3 });
    cluster.injectError({ apiKey: "LIST_OFFSETS", errorCode: ErrorCode.INVALID_COLUMN_PROJECTION, count: 1 });
    await assert.rejects(
      conn.getAdmin().listOffsets(table.tablePath, [0], OffsetSpec.latest()),
      (e: unknown) =>
        e instanceof FlussError && e.code === ErrorCode.INVALID_COLUMN_PROJECTION && /injected into LIST_OFFSETS/.test(e.message),
    );
    assert.deepEqual(await conn.getAdmin().listOffsets(table.tablePath, [0], OffsetSpec.latest()), { 0: 0 });
  });

  test("moveLeader under writes: every acknowledged row is read back exactly once", async () => {
    const table = await createTestTable(conn, DB, "move", { buckets: 3, bucketKey: ["id"] });
    const writer = table.newAppendWriter();
    let next = 0;
    const write = (n: number) => {
      for (let i = 0; i < n; i++, next++) writer.append({ id: next, name: `m${next}`, amount: BigInt(next) });
    };
    write(30);
    await writer.flush();
    for (let round = 0; round < 3; round++) {
      write(20);
      const epochs = await Promise.all(
        [0, 1, 2].map((bucket) => cluster.moveLeader({ table: table.tablePath, bucket, to: (bucket + round + 1) % 3 })),
      );
      assert.ok(
        epochs.every((e) => e === round + 1),
        `epochs ${epochs.join(",")}`,
      );
      write(20);
      await writer.flush();
    }
    await writer.close();
    assert.deepEqual(ids(await readAll(table, next)), range(0, next));
  });

  test("stopTabletServer: writes to its buckets wait; startTabletServer: they complete", async () => {
    const table = await createTestTable(conn, DB, "stop", { buckets: 3, bucketKey: ["id"] });
    const writer = table.newAppendWriter();
    for (let id = 0; id < 30; id++) writer.append({ id, name: `s${id}`, amount: BigInt(id) });
    await writer.flush();
    await cluster.stopTabletServer(2);
    try {
      const nodes = await conn.getAdmin().getServerNodes();
      assert.deepEqual(
        nodes.filter((n) => n.serverType === "TABLET_SERVER").map((n) => n.id),
        [0, 1],
      );
      for (let id = 30; id < 60; id++) writer.append({ id, name: `s${id}`, amount: BigInt(id) });
      const flushed = writer.flush();
      let done = false;
      void flushed.then(
        () => (done = true),
        () => (done = true),
      );
      await new Promise((resolve) => setTimeout(resolve, 500));
      assert.equal(done, false, "the rows of the stopped server's bucket cannot be acknowledged yet");
      await cluster.startTabletServer(2);
      await flushed;
    } finally {
      await cluster.startTabletServer(2);
    }
    await writer.close();
    assert.deepEqual(ids(await readAll(table, 60)), range(0, 60));
  });

  test("dropConnections and injected retriable errors: a writer carries on, nothing lost or doubled", async () => {
    const table = await createTestTable(conn, DB, "drop", { buckets: 3, bucketKey: ["id"] });
    const writer = table.newAppendWriter();
    for (let id = 0; id < 30; id++) writer.append({ id, name: `d${id}`, amount: BigInt(id) });
    await writer.flush();
    cluster.dropConnections();
    cluster.injectError({ apiKey: "PRODUCE_LOG", errorCode: ErrorCode.NOT_LEADER_OR_FOLLOWER, count: 3 });
    for (let id = 30; id < 60; id++) writer.append({ id, name: `d${id}`, amount: BigInt(id) });
    await writer.flush();
    await writer.close();
    assert.deepEqual(ids(await readAll(table, 60)), range(0, 60));
  });

  test("setUnresponsive(1): a request needing server 1 times out while the other servers answer; it resumes", async () => {
    const table = await createTestTable(conn, DB, "hang", { buckets: 3, bucketKey: ["id"] });
    const writer = table.newAppendWriter();
    for (let id = 0; id < 30; id++) writer.append({ id, name: `h${id}`, amount: BigInt(id) });
    await writer.flush();
    cluster.setUnresponsive(1, true);
    try {
      // ListOffsets of all buckets needs server 1; a timeout bounds it
      const quick = await connect({ "request.timeout.ms": 300 });
      try {
        await assert.rejects(
          quick.getAdmin().listOffsets(table.tablePath, [0, 1, 2], OffsetSpec.latest()),
          (e: unknown) => e instanceof FlussError,
        );
      } finally {
        await quick.close();
      }
      // the servers that still answer serve their buckets
      const admin = conn.getAdmin();
      const nodes = await admin.getServerNodes();
      assert.equal(nodes.length, 4);
    } finally {
      cluster.setUnresponsive(1, false);
    }
    const end = await conn.getAdmin().listOffsets(table.tablePath, [0, 1, 2], OffsetSpec.latest());
    assert.equal(
      Object.values(end).reduce((a, b) => a + b, 0),
      30,
    );
    await writer.close();
  });

  test("delay holds a key's requests; restartCoordinator: admin calls work after it", async () => {
    const table = await createTestTable(conn, DB, "delay", { buckets: 3 });
    cluster.delay({ apiKey: "LIST_OFFSETS", ms: 800 });
    try {
      const t = Date.now();
      await conn.getAdmin().listOffsets(table.tablePath, [0, 1, 2], OffsetSpec.latest());
      assert.ok(Date.now() - t >= 780, `took ${Date.now() - t} ms`);
    } finally {
      cluster.delay({ apiKey: "LIST_OFFSETS", ms: 0 });
    }
    const t = Date.now();
    await conn.getAdmin().listOffsets(table.tablePath, [0, 1, 2], OffsetSpec.latest());
    assert.ok(Date.now() - t < 700, "the delay is gone");

    await cluster.restartCoordinator();
    const fresh = await connect();
    try {
      assert.ok(await fresh.getAdmin().tableExists(table.tablePath));
      assert.ok((await fresh.getAdmin().listTables(DB)).includes("delay"));
    } finally {
      await fresh.close();
    }
  });

  test("primary-key table: state follows its bucket's leader across moves (upsert, lookup, snapshot scan)", async () => {
    const path = new TablePath(DB, "pk");
    const schema = Schema.builder().column("id", DataTypes.INT()).column("name", DataTypes.STRING()).primaryKey(["id"]).build();
    await conn.getAdmin().createTable(path, new TableDescriptor(schema, { bucketCount: 3 }));
    const table = await conn.getTable(path);
    const writer = table.newUpsert();
    for (let id = 0; id < 30; id++) writer.upsert({ id, name: `v${id}` });
    await writer.flush();
    for (let bucket = 0; bucket < 3; bucket++) await cluster.moveLeader({ table: "multi.pk", bucket, to: (bucket + 2) % 3 });
    for (let id = 0; id < 30; id += 2) writer.upsert({ id, name: `w${id}` });
    await writer.flush();
    const lookuper = table.newLookup();
    for (let id = 0; id < 30; id++) {
      const row = await lookuper.lookup({ id });
      assert.deepEqual(row, { id, name: id % 2 === 0 ? `w${id}` : `v${id}` });
    }
    const snapshot = await table.newScan().createSnapshotScanner();
    const rows = await snapshot.toRows();
    assert.deepEqual(
      rows.map((r) => r.id as number).sort((a, b) => a - b),
      range(0, 30),
    );
    await writer.close();
  });
});
