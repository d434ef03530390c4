import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import os from "node:os";
import path from "node:path";
import fs from "node:fs/promises";
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
  type FlussAdmin,
} from "../../src/index.js";
import { rejectsWith } from "../helpers/assert.js";
import { EXTERNAL_SERVERS, startTestCluster, uniqueName, type TestCluster } from "../helpers/cluster.js";

const schema = Schema.fromColumns([
  { name: "id", type: DataTypes.INT() },
  { name: "name", type: DataTypes.STRING() },
]);

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe("listOffsets", () => {
  let cluster: TestCluster;
  let conn: FlussConnection;
  let admin: FlussAdmin;
  const db = uniqueName("offsets_db");

  before(async () => {
    cluster = await startTestCluster();
    conn = await cluster.connect();
    admin = conn.getAdmin();
    await admin.createDatabase(db);
  });
  after(async () => {
    await admin.dropDatabase(db, { ignoreIfNotExists: true, cascade: true }).catch(() => undefined);
    await conn.close();
    await cluster.close();
  });

  test("earliest, latest (high watermark) and by timestamp, per bucket", async () => {
    const tp = new TablePath(db, "events");
    await admin.createTable(tp, new TableDescriptor(schema, { bucketCount: 2 }));
    assert.deepEqual(await admin.listOffsets(tp, [0, 1], OffsetSpec.earliest()), { 0: 0, 1: 0 });
    assert.deepEqual(await admin.listOffsets(tp, [0, 1], OffsetSpec.latest()), { 0: 0, 1: 0 });

    const writer = await (await conn.getTable(tp)).newAppendWriter();
    const beforeFirst = Date.now() - 1;
    for (let i = 0; i < 3; i++) writer.append({ id: i, name: `a${i}` });
    await writer.flush();
    await sleep(20);
    const between = Date.now();
    await sleep(20);
    for (let i = 3; i < 5; i++) writer.append({ id: i, name: `b${i}` });
    await writer.flush();

    const latest = await admin.listOffsets(tp, [0, 1], OffsetSpec.latest());
    assert.equal(latest[0]! + latest[1]!, 5, `5 records over two buckets: ${JSON.stringify(latest)}`);
    assert.deepEqual(await admin.listOffsets(tp, [0, 1], OffsetSpec.earliest()), { 0: 0, 1: 0 });
    assert.deepEqual(await admin.listOffsets(tp, [0, 1], OffsetSpec.timestamp(beforeFirst)), { 0: 0, 1: 0 });

    // the first batch at or after `between` holds the second flush's records
    const byTs = await admin.listOffsets(tp, [0, 1], OffsetSpec.timestamp(between));
    const firstFlush = await readAll(conn, tp, 2, (r) => String(r.name).startsWith("a"));
    for (const b of [0, 1]) assert.equal(byTs[b], firstFlush[b], `bucket ${b}: offset after the first flush`);

    await rejectsWith(
      admin.listOffsets(tp, [0], OffsetSpec.timestamp(Date.now() + 3_600_000)),
      ErrorCode.INVALID_TIMESTAMP_EXCEPTION,
    );
    await rejectsWith(admin.listOffsets(tp, [7], OffsetSpec.latest()), ErrorCode.CLIENT_ERROR, /bucket 7/);
    await rejectsWith(admin.listOffsets(new TablePath(db, "nope"), [0], OffsetSpec.latest()), ErrorCode.TABLE_NOT_EXIST);
  });

  test("partitioned tables need a partition name; unknown partitions are reported", async () => {
    const tp = new TablePath(db, "by_region");
    const s = Schema.fromColumns([
      { name: "id", type: DataTypes.INT() },
      { name: "region", type: DataTypes.STRING() },
    ]);
    await admin.createTable(tp, new TableDescriptor(s, { partitionKeys: ["region"], bucketCount: 1 }));
    await admin.createPartition(tp, { region: "US" });
    const writer = await (await conn.getTable(tp)).newAppendWriter();
    writer.append({ id: 1, region: "US" });
    writer.append({ id: 2, region: "US" });
    await writer.flush();
    assert.deepEqual(await admin.listPartitionOffsets(tp, "US", [0], OffsetSpec.latest()), { 0: 2 });
    assert.deepEqual(await admin.listOffsets(tp, [0], OffsetSpec.earliest(), { partitionName: "US" }), { 0: 0 });
    await rejectsWith(admin.listOffsets(tp, [0], OffsetSpec.latest()), ErrorCode.CLIENT_ERROR, /partitionName/);
    await rejectsWith(admin.listPartitionOffsets(tp, "EU", [0], OffsetSpec.latest()), ErrorCode.PARTITION_NOT_EXISTS, /EU/);
  });
});

/** Per bucket, the offset of the first record outside the first part (or the bucket's end). */
async function readAll(
  conn: FlussConnection,
  tp: TablePath,
  buckets: number,
  inFirstPart: (row: Record<string, unknown>) => boolean,
): Promise<Record<number, number>> {
  const scanner = await (await conn.getTable(tp)).newScan().createLogScanner();
  const out: Record<number, number> = {};
  const latest = await conn.getAdmin().listOffsets(tp, [...Array(buckets).keys()], OffsetSpec.latest());
  for (let b = 0; b < buckets; b++) {
    out[b] = latest[b]!;
    scanner.subscribe(b, EARLIEST_OFFSET);
  }
  let seen = 0;
  const total = Object.values(latest).reduce((a, b) => a + b, 0);
  while (seen < total) {
    const polled = await scanner.poll(2000);
    for (const bucket of polled.buckets()) {
      for (const r of polled.records(bucket)) {
        seen++;
        if (!inFirstPart(r.row) && r.offset < out[bucket.bucket]!) out[bucket.bucket] = r.offset;
      }
    }
  }
  await scanner.close();
  return out;
}

describe("local cluster restart", { skip: EXTERNAL_SERVERS !== undefined }, () => {
  test("keeps every acknowledged record; writing continues at the right offsets", async () => {
    const dataDir = await fs.mkdtemp(path.join(os.tmpdir(), "flussjs-records-"));
    const tp = new TablePath("fluss", "durable");
    try {
      for (const [round, ids] of [
        [0, [1, 2, 3]],
        [1, [4, 5]],
      ] as const) {
        const cluster = await LocalCluster.start({ dataDir });
        const conn = await FlussConnection.connect(new Config({ "bootstrap.servers": cluster.bootstrapServers }));
        const admin = conn.getAdmin();
        if (round === 0) await admin.createTable(tp, new TableDescriptor(schema, { bucketCount: 1 }));
        const writer = await (await conn.getTable(tp)).newAppendWriter();
        const handles = ids.map((id) => writer.append({ id, name: `n${id}` }));
        await Promise.all(handles.map((h) => h.wait()));
        const scanner = await (await conn.getTable(tp)).newScan().createBatchScanner();
        scanner.subscribe(0, EARLIEST_OFFSET);
        const rows = await scanner.toRows();
        assert.deepEqual(
          rows.map((r) => r.id),
          round === 0 ? [1, 2, 3] : [1, 2, 3, 4, 5],
        );
        assert.deepEqual(await admin.listOffsets(tp, [0], OffsetSpec.latest()), { 0: round === 0 ? 3 : 5 });
        // no close of the connection first: the cluster goes away under the client
        await cluster.close();
        await conn.close();
      }
    } finally {
      await fs.rm(dataDir, { recursive: true, force: true });
    }
  });

  test("a cluster that goes away fails requests with an error naming the server", async () => {
    const cluster = await LocalCluster.start();
    const conn = await FlussConnection.connect(
      new Config({ "bootstrap.servers": cluster.bootstrapServers, "connect.timeout.ms": 2000 }),
    );
    await conn.getAdmin().listDatabases();
    await cluster.close();
    await assert.rejects(conn.getAdmin().listDatabases(), (err: unknown) => {
      assert.ok(err instanceof FlussError);
      assert.equal(err.code, ErrorCode.NETWORK_EXCEPTION, `${err.name}: ${err.message}`);
      assert.match(err.message, new RegExp(cluster.bootstrapServers.replace(/\./g, "\\.")));
      return true;
    });
    await conn.close();
  });
});

describe("writer when the cluster goes away", { skip: EXTERNAL_SERVERS !== undefined }, () => {
  test("acknowledged rows stay; pending ones fail within writer.delivery.timeout.ms, naming the table", async () => {
    const dataDir = await fs.mkdtemp(path.join(os.tmpdir(), "flussjs-gone-"));
    try {
      const cluster = await LocalCluster.start({ dataDir });
      const conn = await FlussConnection.connect(
        new Config({
          "bootstrap.servers": cluster.bootstrapServers,
          "writer.delivery.timeout.ms": 1500,
          "connect.timeout.ms": 500,
          "request.timeout.ms": 500,
        }),
      );
      const tp = new TablePath("fluss", "gone");
      await conn.getAdmin().createTable(tp, new TableDescriptor(schema, { bucketCount: 1 }));
      const writer = await (await conn.getTable(tp)).newAppendWriter();
      await writer.append({ id: 1, name: "kept" }).wait();
      await cluster.close();
      const started = Date.now();
      const pending = writer.append({ id: 2, name: "lost" });
      await assert.rejects(pending.wait(), (err: unknown) => {
        assert.ok(err instanceof FlussError);
        // no leader reachable, or the last send's network error, depending on timing
        assert.ok([ErrorCode.LEADER_NOT_AVAILABLE_EXCEPTION, ErrorCode.NETWORK_EXCEPTION].includes(err.code as 1), err.name);
        assert.match(err.message, /fluss\.gone/);
        assert.match(err.message, /writer\.delivery\.timeout\.ms/);
        return true;
      });
      assert.ok(Date.now() - started < 10_000, "failed within a bounded time");
      await writer.flush(); // the failure was delivered through wait(): not thrown again
      await conn.close().catch(() => undefined);

      // the acknowledged row survived
      const again = await LocalCluster.start({ dataDir });
      const conn2 = await FlussConnection.connect(new Config({ "bootstrap.servers": again.bootstrapServers }));
      const scanner = await (await conn2.getTable(tp)).newScan().createBatchScanner();
      scanner.subscribe(0, EARLIEST_OFFSET);
      assert.deepEqual(
        (await scanner.toRows()).map((r) => r.id),
        [1],
      );
      await conn2.close();
      await again.close();
    } finally {
      await fs.rm(dataDir, { recursive: true, force: true });
    }
  });
});

describe("scanner when the cluster goes away", { skip: EXTERNAL_SERVERS !== undefined }, () => {
  test("toArrow() fails within request.timeout.ms instead of waiting forever", async () => {
    const cluster = await LocalCluster.start();
    const conn = await FlussConnection.connect(
      new Config({ "bootstrap.servers": cluster.bootstrapServers, "request.timeout.ms": 1000, "connect.timeout.ms": 500 }),
    );
    const tp = new TablePath("fluss", "vanishing");
    await conn.getAdmin().createTable(tp, new TableDescriptor(schema, { bucketCount: 1 }));
    const table = await conn.getTable(tp);
    const writer = await table.newAppendWriter();
    for (let i = 0; i < 20_000; i++) writer.append({ id: i, name: `row ${i}` });
    await writer.flush();
    const scanner = await table.newScan().createBatchScanner();
    scanner.subscribe(0, EARLIEST_OFFSET);
    await scanner.pollBatches(0); // offsets resolved while the cluster is up
    const reading = scanner.toArrow().then(
      () => assert.fail("toArrow() should have failed"),
      (err: unknown) => err,
    );
    await cluster.close();
    const started = Date.now();
    await assert.rejects(
      reading.then((err) => Promise.reject(err)),
      (err: unknown) => {
        // either the stop offsets could not be listed, or the read stalled: both name the problem
        assert.ok(err instanceof FlussError, String(err));
        assert.ok(
          [ErrorCode.REQUEST_TIME_OUT, ErrorCode.NETWORK_EXCEPTION].includes(err.code as 1),
          `${err.name}: ${err.message}`,
        );
        return true;
      },
    );
    assert.ok(Date.now() - started < 15_000);
    await conn.close().catch(() => undefined);
  });
});
