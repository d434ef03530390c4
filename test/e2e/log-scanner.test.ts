import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import * as arrow from "apache-arrow";
import {
  EARLIEST_OFFSET,
  ErrorCode,
  FlussError,
  LATEST_OFFSET,
  Schema,
  TableDescriptor,
  TablePath,
  type FlussAdmin,
  type FlussConnection,
  type FlussTable,
  type TableInfo,
  Decimal,
  Timestamp,
} from "../../src/index.js";
import { ApiKey } from "../../src/rpc/api-keys.js";
import { ServerConnection } from "../../src/rpc/server-connection.js";
import { ArrowBatchBuilder } from "../../src/record/arrow/arrow-writer.js";
import { buildArrowLogBatch } from "../../src/record/arrow/arrow-log.js";
import { buildIndexedLogBatch } from "../../src/record/indexed-log.js";
import { createTestTable, type TestTableOptions } from "../helpers/tables.js";
import { startTestCluster, uniqueName, type TestCluster } from "../helpers/cluster.js";
import { pollN } from "../helpers/records.js";

type Row = [number, string | null, bigint];
const rowsFrom = (start: number, n: number): Row[] =>
  Array.from({ length: n }, (_, i) => [start + i, `n${start + i}`, BigInt((start + i) * 10)] as Row);
const asObject = (r: Row) => ({ id: r[0], name: r[1], amount: r[2] });

async function expectFlussError(p: Promise<unknown>, code: number, pattern?: RegExp): Promise<void> {
  await assert.rejects(p, (err: unknown) => {
    assert.ok(err instanceof FlussError, `expected FlussError, got ${String(err)}`);
    assert.equal(err.code, code, `expected code ${code}, got ${err.code} (${err.name}: ${err.message})`);
    if (pattern) assert.match(err.message, pattern);
    return true;
  });
}

describe("log scanner (e2e)", () => {
  let cluster: TestCluster;
  let conn: FlussConnection;
  let admin: FlussAdmin;
  let raw: ServerConnection;
  const db = uniqueName("scan_db");

  /** Appends rows to one bucket with a raw ProduceLog (acks=-1). */
  async function produce(info: TableInfo, bucket: number, rows: Row[], partitionId?: number): Promise<number> {
    let records: Uint8Array;
    if (info.logFormat === "ARROW") {
      const b = new ArrowBatchBuilder(info.rowType);
      for (const r of rows) b.append(r);
      records = buildArrowLogBatch({ body: b.build(), recordCount: rows.length, schemaId: info.schemaId, appendOnly: true });
    } else {
      records = buildIndexedLogBatch({
        rowType: info.rowType,
        rows,
        schemaId: info.schemaId,
        appendOnly: true,
        format: info.logFormat,
      });
    }
    const resp = await raw.request(ApiKey.PRODUCE_LOG, {
      acks: -1,
      tableId: info.tableId,
      timeoutMs: 10_000,
      bucketsReq: [{ ...(partitionId !== undefined ? { partitionId } : {}), bucketId: bucket, records }],
    });
    const b = resp.bucketsResp[0]!;
    assert.equal(b.errorCode ?? 0, 0, `produce failed: ${b.errorMessage}`);
    return b.baseOffset!;
  }

  const createTable = (name: string, options: TestTableOptions = {}): Promise<FlussTable> =>
    createTestTable(conn, db, name, options);

  before(async () => {
    cluster = await startTestCluster();
    conn = await cluster.connect({ "scanner.log.fetch.wait-max-time-ms": 300 });
    admin = conn.getAdmin();
    await admin.createDatabase(db);
    const [host, port] = cluster.bootstrapServers.split(":");
    raw = await ServerConnection.connect({ host: host!, port: Number(port), connectTimeoutMs: 5000, requestTimeoutMs: 15_000 });
  });
  after(async () => {
    raw?.close();
    await admin?.dropDatabase(db, { ignoreIfNotExists: true, cascade: true }).catch(() => undefined);
    await conn?.close();
    await cluster?.close();
  });

  test("poll from EARLIEST, explicit offsets skip earlier records of a batch", async () => {
    const table = await createTable("earliest");
    await produce(table.info, 0, rowsFrom(0, 3));
    await produce(table.info, 0, rowsFrom(3, 2));
    const scanner = await table.newScan().createLogScanner();
    await scanner.subscribe(0, EARLIEST_OFFSET);
    const got = await pollN(scanner, 5);
    assert.deepEqual(
      got.map((r) => r.offset),
      [0, 1, 2, 3, 4],
    );
    assert.deepEqual(got[0]!.row, asObject(rowsFrom(0, 1)[0]!));
    assert.equal(got[0]!.changeType.shortString(), "+A");
    assert.ok(got[0]!.timestamp > Date.now() - 60_000 && got[0]!.timestamp <= Date.now());
    assert.equal((await scanner.poll(50)).count, 0);

    // offset 1 lies inside the first batch (0..2): records 0 is skipped
    const from1 = await table.newScan().createLogScanner();
    await from1.subscribe(0, 1);
    const got1 = await pollN(from1, 4);
    assert.deepEqual(
      got1.map((r) => r.offset),
      [1, 2, 3, 4],
    );
    const recs = await from1.poll(0);
    assert.equal(recs.isEmpty(), true);
    await scanner.close();
    await from1.close();
  });

  test("LATEST reads only new records; a waiting poll wakes up on new data", async () => {
    const table = await createTable("latest");
    await produce(table.info, 0, rowsFrom(0, 4));
    const scanner = await table.newScan().createLogScanner();
    await scanner.subscribe(0, LATEST_OFFSET);
    assert.equal((await scanner.poll(400)).count, 0);
    const started = Date.now();
    const pending = scanner.poll(20_000);
    setTimeout(() => void produce(table.info, 0, rowsFrom(100, 2)), 150);
    const recs = await pending;
    const waited = Date.now() - started;
    assert.ok(waited < 5_000, `poll returned after ${waited} ms`);
    assert.ok(waited >= 100, `poll waited for the data (${waited} ms)`);
    const all = [...recs, ...(recs.count < 2 ? await pollN(scanner, 2 - recs.count) : [])];
    assert.deepEqual(
      all.map((r) => [r.offset, r.row.id]),
      [
        [4, 100],
        [5, 101],
      ],
    );
    await scanner.close();
  });

  test("multiple buckets, ScanRecords per bucket", async () => {
    const table = await createTable("multi", { buckets: 3 });
    await produce(table.info, 0, rowsFrom(0, 2));
    await produce(table.info, 1, rowsFrom(10, 3));
    await produce(table.info, 2, rowsFrom(20, 1));
    const scanner = await table.newScan().createLogScanner();
    await scanner.subscribeBuckets({ 0: EARLIEST_OFFSET, 1: EARLIEST_OFFSET, 2: 0 });
    const got = await pollN(scanner, 6);
    const byBucket = new Map<number, number[]>();
    for (const r of got) {
      const id = r.row.id as number;
      const b = id < 10 ? 0 : id < 20 ? 1 : 2;
      byBucket.set(b, [...(byBucket.get(b) ?? []), r.offset]);
    }
    assert.deepEqual(byBucket.get(0), [0, 1]);
    assert.deepEqual(byBucket.get(1), [0, 1, 2]);
    assert.deepEqual(byBucket.get(2), [0]);

    const s2 = await table.newScan().createLogScanner();
    await s2.subscribeBuckets(new Map([[1, EARLIEST_OFFSET]]));
    let recs = await s2.poll(5000);
    while (recs.count < 3) {
      const more = await s2.poll(5000);
      if (more.count === 0) break;
      recs = more;
    }
    assert.deepEqual(
      recs.buckets().map((b) => b.bucket),
      [1],
    );
    assert.deepEqual(
      recs.records(1).map((r) => r.row.id),
      [10, 11, 12],
    );
    s2.unsubscribe(1);
    assert.equal(s2.subscriptions().length, 0);
    await scanner.close();
    await s2.close();
  });

  test("async iteration streams records; close() and abort end it", async () => {
    const table = await createTable("iterate");
    await produce(table.info, 0, rowsFrom(0, 3));
    const scanner = await table.newScan().createLogScanner();
    await scanner.subscribe(0, EARLIEST_OFFSET);
    const seen: number[] = [];
    setTimeout(() => void produce(table.info, 0, rowsFrom(3, 2)), 100);
    for await (const r of scanner) {
      seen.push(r.offset);
      if (seen.length === 5) setTimeout(() => void scanner.close(), 50);
    }
    assert.deepEqual(seen, [0, 1, 2, 3, 4]);
    assert.equal(scanner.closed, true);

    const s2 = await table.newScan().createLogScanner();
    await s2.subscribe(0, LATEST_OFFSET);
    const ac = new AbortController();
    setTimeout(() => ac.abort(), 200);
    const t0 = Date.now();
    let n = 0;
    for await (const _ of s2.records({ signal: ac.signal })) n++;
    assert.equal(n, 0);
    assert.ok(Date.now() - t0 < 5_000);
    await s2.close();
    await assert.rejects(s2.poll(10), FlussError);
  });

  test("projection by index and by name (ARROW pushdown, INDEXED client-side)", async () => {
    for (const format of ["ARROW", "INDEXED"] as const) {
      const table = await createTable(`proj_${format.toLowerCase()}`, { format });
      assert.equal(table.info.logFormat, format);
      await produce(table.info, 0, [
        [1, "a", 10n],
        [2, null, 20n],
      ]);
      const byIndex = await table.newScan().project([2, 0]).createLogScanner();
      await byIndex.subscribe(0, EARLIEST_OFFSET);
      const r1 = await pollN(byIndex, 2);
      assert.deepEqual(
        r1.map((r) => r.row),
        [
          { amount: 10n, id: 1 },
          { amount: 20n, id: 2 },
        ],
        format,
      );
      assert.deepEqual(Object.keys(r1[0]!.row), ["amount", "id"]);
      const byName = await table.newScan().projectByName(["name"]).createBatchScanner();
      await byName.subscribe(0, EARLIEST_OFFSET);
      const t = await byName.toArrow();
      assert.deepEqual(
        t.schema.fields.map((f) => f.name),
        ["name"],
      );
      assert.deepEqual(t.getChild("name")!.toArray(), ["a", null]);
      await byIndex.close();
      await byName.close();
    }
  });

  test("batch scanner: toArrow, toRows, pollArrow, pollBatches", async () => {
    const table = await createTable("batch", { buckets: 2 });
    await produce(table.info, 0, rowsFrom(0, 3));
    await produce(table.info, 0, rowsFrom(3, 3));
    await produce(table.info, 1, rowsFrom(100, 2));
    const scanner = await table.newScan().createBatchScanner();
    // nothing subscribed: a CLIENT_ERROR saying so; the schema is known anyway
    await expectFlussError(scanner.toArrow(), ErrorCode.CLIENT_ERROR, /no bucket is subscribed/);
    assert.deepEqual(
      scanner.schema.fields.map((f) => f.name),
      ["id", "name", "amount"],
    );
    await scanner.subscribeBuckets({ 0: EARLIEST_OFFSET, 1: EARLIEST_OFFSET });
    const t = await scanner.toArrow();
    assert.equal(t.numRows, 8);
    const ids = [...t.getChild("id")!.toArray()].sort((a, b) => a - b);
    assert.deepEqual(ids, [0, 1, 2, 3, 4, 5, 100, 101]);
    // caught up: toArrow returns nothing new
    assert.equal((await scanner.toArrow()).numRows, 0);

    await produce(table.info, 1, rowsFrom(200, 2));
    const polled = await scanner.pollBatches(5000);
    assert.ok(polled.length >= 1);
    assert.equal(polled[0]!.bucket.bucket, 1);
    assert.equal(polled[0]!.baseOffset, 2);
    assert.equal(polled[0]!.lastOffset, 3);
    assert.deepEqual([...polled[0]!.batch.getChild("id")!.toArray()], [200, 201]);

    await produce(table.info, 0, rowsFrom(300, 1));
    let pa = await scanner.pollArrow(5000);
    assert.equal(pa.numRows, 1);
    assert.equal(pa.getChild("amount")!.get(0), 3000n);
    pa = await scanner.pollArrow(50);
    assert.equal(pa.numRows, 0);
    assert.equal(pa.schema.fields.length, 3);

    const rowsScanner = await table.newScan().createBatchScanner();
    await rowsScanner.subscribe(0, 4);
    const rows = await rowsScanner.toRows();
    assert.deepEqual(rows, [asObject([4, "n4", 40n]), asObject([5, "n5", 50n]), asObject([300, "n300", 3000n])]);
    await scanner.close();
    await rowsScanner.close();
  });

  test("LATEST and toArrow of an empty bucket return at once", async () => {
    const table = await createTable("empty_bucket", { buckets: 2 });
    await produce(table.info, 0, rowsFrom(0, 2));
    const scanner = await table.newScan().createBatchScanner();
    await scanner.subscribeBuckets({ 0: LATEST_OFFSET, 1: EARLIEST_OFFSET });
    const t0 = Date.now();
    assert.equal((await scanner.toArrow()).numRows, 0);
    assert.ok(Date.now() - t0 < 5_000);
    await scanner.close();
  });

  test("LOG_OFFSET_OUT_OF_RANGE fails the next poll, naming bucket and offset", async () => {
    const table = await createTable("out_of_range");
    await produce(table.info, 0, rowsFrom(0, 2));
    const scanner = await table.newScan().createLogScanner();
    await scanner.subscribe(0, 1000);
    await expectFlussError(scanner.poll(5000), ErrorCode.LOG_OFFSET_OUT_OF_RANGE_EXCEPTION, /bucket 0 at offset 1000/);
    // re-subscribing at a valid offset recovers
    await scanner.subscribe(0, 0);
    assert.equal((await pollN(scanner, 2)).length, 2);
    await scanner.close();
  });

  test("invalid arguments are CLIENT_ERRORs naming them", async () => {
    const table = await createTable("invalid", { buckets: 2 });
    assert.throws(
      () => table.newScan().project([0, 7]),
      (e: unknown) => e instanceof FlussError && e.code === ErrorCode.CLIENT_ERROR && /7/.test(e.message),
    );
    assert.throws(
      () => table.newScan().projectByName(["id", "missing"]),
      (e: unknown) => e instanceof FlussError && e.code === ErrorCode.CLIENT_ERROR && /"missing"/.test(e.message),
    );
    const scanner = await table.newScan().createLogScanner();
    assert.throws(
      () => scanner.subscribe(2, 0),
      (e: unknown) => e instanceof FlussError && /bucket 2 does not exist/.test(e.message),
    );
    assert.throws(
      () => scanner.subscribe(0, -5),
      (e: unknown) => e instanceof FlussError && /-5/.test(e.message),
    );
    assert.throws(
      () => scanner.subscribePartition(1, 0, 0),
      (e: unknown) => e instanceof FlussError && /not partitioned/.test(e.message),
    );
    await assert.rejects(scanner.poll(-1), FlussError);
    await scanner.close();
  });

  test("partitioned tables: subscribePartition / subscribePartitionBuckets", async () => {
    const table = await createTable("parted", { partitioned: true, buckets: 1 });
    await admin.createPartition(table.tablePath, { region: "EU" });
    await admin.createPartition(table.tablePath, { region: "US" });
    const parts = await admin.listPartitionInfos(table.tablePath);
    const eu = parts.find((p) => p.partitionName === "EU")!.partitionId;
    const us = parts.find((p) => p.partitionName === "US")!.partitionId;
    const row = (id: number, region: string) => [id, `n${id}`, BigInt(id), region] as unknown as Row;
    await produce(table.info, 0, [row(1, "EU"), row(2, "EU")], eu);
    await produce(table.info, 0, [row(3, "US")], us);

    const scanner = await table.newScan().createLogScanner();
    assert.throws(
      () => scanner.subscribe(0, 0),
      (e: unknown) => e instanceof FlussError && /partitioned/.test(e.message),
    );
    await scanner.subscribePartition(eu, 0, EARLIEST_OFFSET);
    const got = await pollN(scanner, 2);
    assert.deepEqual(
      got.map((r) => [r.row.id, r.row.region]),
      [
        [1, "EU"],
        [2, "EU"],
      ],
    );
    scanner.unsubscribePartition(eu, 0);

    const batch = await table.newScan().projectByName(["region", "id"]).createBatchScanner();
    await batch.subscribePartitionBuckets([
      { partitionId: eu, bucketId: 0, offset: EARLIEST_OFFSET },
      { partitionId: us, bucketId: 0, offset: EARLIEST_OFFSET },
    ]);
    const rows = (await batch.toRows()).sort((a, b) => (a.id as number) - (b.id as number));
    assert.deepEqual(rows, [
      { region: "EU", id: 1 },
      { region: "EU", id: 2 },
      { region: "US", id: 3 },
    ]);
    await scanner.close();
    await batch.close();
  });

  test("round trip through the public append writer (ARROW and INDEXED, many types)", async () => {
    const s = new Schema(
      new arrow.Schema([
        new arrow.Field("id", new arrow.Int32(), false),
        new arrow.Field("big", new arrow.Int64(), true),
        new arrow.Field("dec", new arrow.Decimal(2, 10, 128), true),
        new arrow.Field("d", new arrow.DateDay(), true),
        new arrow.Field("ts", new arrow.TimestampMicrosecond(), true),
        new arrow.Field("bin", new arrow.Binary(), true),
        new arrow.Field("tags", new arrow.List(new arrow.Field("element", new arrow.Utf8(), true)), true),
      ]),
    );
    for (const format of ["ARROW", "INDEXED"] as const) {
      const path = new TablePath(db, `writer_${format.toLowerCase()}`);
      await admin.createTable(path, new TableDescriptor(s, { bucketCount: 1, logFormat: format }));
      const table = await conn.getTable(path);
      const writer = await table.newAppendWriter();
      const n = 500;
      for (let i = 0; i < n; i++) {
        writer.append({
          id: i,
          big: BigInt(i) * 1_000_000_000_000n,
          dec: Decimal.from(`${i}.25`, 2),
          d: new Date(Date.UTC(2024, 0, 1 + (i % 30))),
          ts: new Timestamp(Date.UTC(2024, 5, 1) + i, 123_000),
          bin: new Uint8Array([i & 0xff]),
          tags: i % 2 === 0 ? ["a", "b"] : null,
        });
      }
      await writer.flush();
      const scanner = await table.newScan().createLogScanner();
      await scanner.subscribe(0, EARLIEST_OFFSET);
      const got = await pollN(scanner, n);
      assert.equal(got.length, n, format);
      const r = got[7]!.row;
      assert.equal(got[7]!.offset, 7);
      assert.equal(r.id, 7);
      assert.equal(r.big, 7_000_000_000_000n);
      assert.equal(String(r.dec), "7.25");
      assert.equal((r.d as Date).getTime(), Date.UTC(2024, 0, 8));
      assert.ok(r.ts instanceof Timestamp);
      assert.equal((r.ts as Timestamp).getTime(), Date.UTC(2024, 5, 1) + 7);
      assert.equal((r.ts as Timestamp).nanoOfMillis, 123_000);
      assert.deepEqual(r.bin, new Uint8Array([7]), format);
      assert.equal(r.tags, null);
      assert.deepEqual(got[8]!.row.tags, ["a", "b"]);

      const batch = await table.newScan().projectByName(["ts", "id"]).createBatchScanner();
      await batch.subscribe(0, EARLIEST_OFFSET);
      const t = await batch.toArrow();
      assert.equal(t.numRows, n, format);
      assert.deepEqual(
        t.schema.fields.map((f) => f.name),
        ["ts", "id"],
      );
      assert.equal(t.getChild("id")!.get(499), 499);
      await writer.close();
      await scanner.close();
      await batch.close();
    }
  });

  test("closing the connection closes its scanners", async () => {
    const c2 = await cluster.connect();
    const table = await c2.getTable(new TablePath(db, "earliest"));
    const scanner = await table.newScan().createLogScanner();
    await scanner.subscribe(0, EARLIEST_OFFSET);
    const pending = scanner.poll(30_000);
    await c2.close();
    assert.equal(scanner.closed, true);
    await pending.catch(() => undefined);
  });
});
