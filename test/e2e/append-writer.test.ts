import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import * as arrow from "apache-arrow";
import {
  EARLIEST_OFFSET,
  ErrorCode,
  FlussError,
  TablePath,
  type FlussAdmin,
  type FlussConnection,
  type FlussTable,
} from "../../src/index.js";
import { ApiKey } from "../../src/rpc/api-keys.js";
import { ServerConnection } from "../../src/rpc/server-connection.js";
import type { ScanRecords } from "../../src/client/scan/scan-records.js";
import { rejectsWith } from "../helpers/assert.js";
import { createTestTable, type TestTableOptions } from "../helpers/tables.js";
import { startTestCluster, uniqueName, type TestCluster } from "../helpers/cluster.js";

/** Reads every record of the table (all buckets, or one partition's buckets) until `n` arrived. */
/** An Arrow table from columns (typed arrays become vectors of their type). */
function arrowTable(cols: Record<string, arrow.Vector | Int32Array | BigInt64Array | Float64Array>): arrow.Table {
  return new arrow.Table(
    Object.fromEntries(Object.entries(cols).map(([k, v]) => [k, v instanceof arrow.Vector ? v : arrow.vectorFromArray(v)])),
  );
}

interface ReadRecord {
  readonly row: Record<string, unknown>;
  readonly offset: number;
  readonly bucket: number;
}

async function readAll(table: FlussTable, n: number, partitionId?: number, ms = 10_000): Promise<ReadRecord[]> {
  const scanner = await table.newScan().createLogScanner();
  try {
    for (let b = 0; b < table.info.numBuckets; b++) {
      if (partitionId === undefined) await scanner.subscribe(b, EARLIEST_OFFSET);
      else await scanner.subscribePartition(partitionId, b, EARLIEST_OFFSET);
    }
    const out: ReadRecord[] = [];
    const collect = (recs: ScanRecords): void => {
      for (const tb of recs.buckets())
        for (const r of recs.records(tb)) out.push({ row: r.row, offset: r.offset, bucket: tb.bucket });
    };
    const deadline = Date.now() + ms;
    while (out.length < n) {
      const left = deadline - Date.now();
      if (left <= 0) assert.fail(`got ${out.length} of ${n} records in ${ms} ms`);
      collect(await scanner.poll(Math.min(left, 500)));
    }
    // nothing beyond n (no duplicates)
    collect(await scanner.poll(300));
    return out;
  } finally {
    await scanner.close();
  }
}

const ids = (recs: ReadRecord[]) => recs.map((r) => r.row.id as number).sort((a, b) => a - b);
const range = (a: number, b: number) => Array.from({ length: b - a }, (_, i) => a + i);

describe("append writer (e2e)", () => {
  let cluster: TestCluster;
  let conn: FlussConnection;
  let admin: FlussAdmin;
  const db = uniqueName("write_db");

  const createTable = (name: string, options: TestTableOptions = {}): Promise<FlussTable> =>
    createTestTable(conn, db, name, options);

  before(async () => {
    cluster = await startTestCluster();
    // these tests write to missing partitions and expect PARTITION_NOT_EXISTS (dynamic creation off;
    // test/e2e/dynamic-partitions.test.ts covers the default)
    conn = await cluster.connect({ "scanner.log.fetch.wait-max-time-ms": 200, "writer.dynamic-create-partition.enabled": false });
    admin = conn.getAdmin();
    await admin.createDatabase(db);
  });
  after(async () => {
    await admin?.dropDatabase(db, { ignoreIfNotExists: true, cascade: true }).catch(() => undefined);
    await conn?.close();
    await cluster?.close();
  });

  for (const [format, compression] of [
    ["ARROW", "NONE"],
    ["ARROW", "LZ4_FRAME"],
    ["ARROW", "ZSTD"],
    ["INDEXED", undefined],
  ] as const) {
    test(`append objects and arrays, handles resolve, flush (${format}${compression ? ` ${compression}` : ""})`, async () => {
      const table = await createTable(`t_${format}_${compression ?? "x"}`.toLowerCase(), {
        buckets: 3,
        format,
        ...(compression ? { compression } : {}),
      });
      const writer = await table.newAppendWriter();
      const h1 = writer.append({ id: 1, name: "Alice", amount: 10n });
      const h2 = writer.append([2, "Bob", 20]);
      const h3 = writer.append({ id: 3, name: null });
      await h1.wait();
      await Promise.all([h2.wait(), h3.wait()]);
      for (let i = 4; i < 1000; i++) writer.append([i, `n${i}`, BigInt(i)]);
      await writer.flush();
      const recs = await readAll(table, 999);
      assert.deepEqual(ids(recs), range(1, 1000));
      const byId = new Map(recs.map((r) => [r.row.id, r.row]));
      assert.deepEqual(byId.get(1), { id: 1, name: "Alice", amount: 10n });
      assert.deepEqual(byId.get(3), { id: 3, name: null, amount: null });
      assert.deepEqual(byId.get(500), { id: 500, name: "n500", amount: 500n });
      await writer.close();
    });
  }

  test("bad rows throw synchronously and do not poison the batch", async () => {
    const table = await createTable("bad_rows");
    const writer = await table.newAppendWriter();
    const good1 = writer.append({ id: 1, name: "a" });
    assert.throws(
      () => writer.append({ id: "x", name: "b" }),
      (e: unknown) => e instanceof FlussError && e.code === ErrorCode.CLIENT_ERROR && /id/.test(e.message),
    );
    assert.throws(
      () => writer.append({ id: null }),
      (e: unknown) => e instanceof FlussError && /id/.test(e.message),
    );
    assert.throws(
      () => writer.append({ id: 5, nope: 1 }),
      (e: unknown) => e instanceof FlussError && /nope/.test(e.message),
    );
    assert.throws(() => writer.append([1, 2]), FlussError);
    const good2 = writer.append({ id: 2, name: "c" });
    await writer.flush();
    await good1.wait();
    await good2.wait();
    const recs = await readAll(table, 2);
    assert.deepEqual(ids(recs), [1, 2]);
    await writer.close();
    assert.throws(() => writer.append({ id: 3 }), FlussError);
  });

  test("writeArrow / writeArrowBatch, schema validation", async () => {
    const table = await createTable("arrow_in", { buckets: 2, compression: "ZSTD" });
    const writer = await table.newAppendWriter();
    const t1 = arrowTable({
      id: Int32Array.from(range(0, 500)),
      name: arrow.vectorFromArray(
        range(0, 500).map((i) => `a${i}`),
        new arrow.Utf8(),
      ),
      amount: BigInt64Array.from(range(0, 500).map((i) => BigInt(i))),
    });
    // make the id field NOT NULL as in the table (a nullable field without nulls would also do)
    const h1 = writer.writeArrow(t1);
    const batch = new arrow.RecordBatch(
      new arrow.Schema([
        new arrow.Field("id", new arrow.Int32(), false),
        new arrow.Field("name", new arrow.Utf8(), true),
        new arrow.Field("amount", new arrow.Int64(), true),
      ]),
      t1.slice(0, 10).batches[0]!.data,
    );
    const h2 = writer.writeArrowBatch(batch.slice(0, 0));
    await h2.wait();
    const h3 = writer.writeArrowBatch(t1.batches[0]!.slice(0, 100));
    await Promise.all([h1.wait(), h3.wait()]);
    const recs = await readAll(table, 600);
    assert.equal(recs.length, 600);
    assert.deepEqual(
      ids(recs).filter((i) => i < 100),
      range(0, 100).flatMap((i) => [i, i]),
    );

    const wrongType = arrowTable({
      id: arrow.vectorFromArray(["1"], new arrow.Utf8()),
      name: arrow.vectorFromArray(["x"], new arrow.Utf8()),
      amount: BigInt64Array.from([1n]),
    });
    assert.throws(
      () => writer.writeArrow(wrongType),
      (e: unknown) => e instanceof FlussError && /"id"/.test(e.message),
    );
    const wrongName = arrowTable({
      idx: Int32Array.from([1]),
      name: arrow.vectorFromArray(["x"], new arrow.Utf8()),
      amount: BigInt64Array.from([1n]),
    });
    assert.throws(
      () => writer.writeArrow(wrongName),
      (e: unknown) => e instanceof FlussError && /idx/.test(e.message),
    );
    const withNull = new arrow.Table({
      id: arrow.vectorFromArray([1, null], new arrow.Int32()),
      name: arrow.vectorFromArray(["x", "y"], new arrow.Utf8()),
      amount: arrow.vectorFromArray([1n, 2n], new arrow.Int64()),
    });
    assert.throws(
      () => writer.writeArrow(withNull),
      (e: unknown) => e instanceof FlussError && /"id".*NOT NULL/.test(e.message),
    );
    await writer.close();
  });

  test("large Arrow batch is split to fit request.max.size", async () => {
    const c2 = await cluster.connect({ "request.max.size": 64 * 1024 });
    try {
      const table = await c2.getTable(
        new TablePath(db, (await createTable("arrow_split", { compression: "NONE" })).info.tablePath.tableName),
      );
      const writer = await table.newAppendWriter();
      const n = 20_000;
      const t = arrowTable({
        id: Int32Array.from(range(0, n)),
        name: arrow.vectorFromArray(
          range(0, n).map((i) => `row-${i}-xxxxxxxx`),
          new arrow.Utf8(),
        ),
        amount: BigInt64Array.from(range(0, n).map((i) => BigInt(i))),
      });
      await writer.writeArrow(t).wait();
      const recs = await readAll(table, n);
      assert.deepEqual(ids(recs), range(0, n));
      await writer.close();
    } finally {
      await c2.close();
    }
  });

  test("bucket-key table: same key → same bucket", async () => {
    const table = await createTable("keyed", { buckets: 4, bucketKey: ["name"] });
    const writer = await table.newAppendWriter();
    for (let i = 0; i < 200; i++) writer.append({ id: i, name: `k${i % 10}` });
    // Arrow input to a bucket-key table is routed row by row
    // (a nullable Arrow field is fine for the NOT NULL id column as long as it has no nulls)
    const t = arrowTable({
      id: Int32Array.from(range(200, 250)),
      name: arrow.vectorFromArray(
        range(200, 250).map((i) => `k${i % 10}`),
        new arrow.Utf8(),
      ),
      amount: BigInt64Array.from(range(200, 250).map(BigInt)),
    });
    await writer.writeArrow(t).wait();
    await writer.flush();
    const recs = await readAll(table, 250);
    assert.equal(recs.find((r) => r.row.id === 210)?.row.amount, 210n);
    const bucketsOfKey = new Map<string, Set<number>>();
    for (const r of recs) {
      const k = r.row.name as string;
      if (!bucketsOfKey.has(k)) bucketsOfKey.set(k, new Set());
      bucketsOfKey.get(k)!.add(r.bucket);
    }
    for (const s of bucketsOfKey.values()) assert.equal(s.size, 1);
    await writer.close();
  });

  test("partitioned table: rows go to their partition; missing partition rejects the handle", async () => {
    const table = await createTable("parted", { buckets: 2, partitioned: true });
    await admin.createPartition(table.info.tablePath, { region: "US" });
    await admin.createPartition(table.info.tablePath, { region: "EU" });
    const writer = await table.newAppendWriter();
    for (let i = 0; i < 50; i++) writer.append({ id: i, name: `n${i}`, amount: 1n, region: i % 2 ? "US" : "EU" });
    const missing = writer.append({ id: 99, region: "ASIA" });
    await rejectsWith(missing.wait(), ErrorCode.PARTITION_NOT_EXISTS, /region=ASIA/);
    await writer.flush(); // delivered through wait(): not thrown again
    const parts = await admin.listPartitionInfos(table.info.tablePath);
    const us = parts.find((p) => p.partitionName === "US")!;
    const recs = await readAll(table, 25, us.partitionId);
    assert.deepEqual(
      ids(recs),
      range(0, 50).filter((i) => i % 2),
    );
    assert.ok(recs.every((r) => r.row.region === "US"));
    await writer.close();
  });

  test("backpressure: a tiny buffer makes `await append` wait, and everything arrives in order", async () => {
    const c2 = await cluster.connect({
      "writer.buffer.memory.size": 64 * 1024,
      "writer.batch.size": 16 * 1024,
      "writer.batch.timeout.ms": 1000,
    });
    try {
      const table = await c2.getTable((await createTable("backpressure", { compression: "NONE" })).info.tablePath);
      const writer = await table.newAppendWriter();
      const n = 20_000;
      let waited = 0;
      for (let i = 0; i < n; i++) {
        const h = writer.append([i, `name-${i}-padding-padding`, BigInt(i)]);
        if (!h.isAccepted) waited++;
        const accepted = await h;
        assert.equal(typeof (accepted as { then?: unknown }).then, "undefined");
      }
      assert.ok(waited > 0, "some appends had to wait for buffer memory");
      await writer.flush();
      const recs = await readAll(table, n);
      assert.deepEqual(
        recs.map((r) => r.row.id),
        range(0, n),
      );
      await writer.close();
    } finally {
      await c2.close();
    }
  });

  test("fire-and-forget: no unhandled rejections; flush reports the failure", async () => {
    const unhandled: unknown[] = [];
    const onUnhandled = (e: unknown) => unhandled.push(e);
    process.on("unhandledRejection", onUnhandled);
    try {
      const table = await createTable("ff", { partitioned: true });
      const writer = await table.newAppendWriter();
      writer.append({ id: 1, region: "NOPE" });
      void writer.append({ id: 2, region: "NOPE" }).wait();
      await rejectsWith(writer.flush(), ErrorCode.PARTITION_NOT_EXISTS);
      await new Promise((r) => setTimeout(r, 50));
      assert.deepEqual(unhandled, []);
      await writer.close();
    } finally {
      process.off("unhandledRejection", onUnhandled);
    }
  });

  test("closing the connection flushes open writers; round_robin spreads rows", async () => {
    const table = await createTable("close_flush", { buckets: 3 });
    const c2 = await cluster.connect({ "writer.bucket.no-key-assigner": "round_robin", "writer.batch.timeout.ms": 60_000 });
    const writer = await (await c2.getTable(table.info.tablePath)).newAppendWriter();
    const handles = Array.from({ length: 30 }, (_, i) => writer.append([i, null, null]));
    await c2.close();
    await Promise.all(handles.map((h) => h.wait()));
    const recs = await readAll(table, 30);
    assert.deepEqual(ids(recs), range(0, 30));
    assert.deepEqual([...new Set(recs.map((r) => r.bucket))].sort(), [0, 1, 2]);
    assert.throws(() => writer.append([99, null, null]), FlussError);
  });

  test("idempotent retry after a connection drop does not duplicate", async () => {
    // Some ProduceLog requests are written to the socket, then the connection dies before
    // the answer arrives: the server has the batch, the client retries it.
    const c2 = await cluster.connect({ "writer.batch.timeout.ms": 0, "writer.batch.size": 4096 });
    // ProduceLog goes out through requestParts (batches sent as chunks, not copied)
    const proto = ServerConnection.prototype as unknown as { requestParts: (...args: unknown[]) => Promise<unknown> };
    const original = proto.requestParts;
    let produced = 0;
    let dropped = 0;
    proto.requestParts = function (this: ServerConnection, ...args: unknown[]) {
      const p = original.apply(this, args);
      if (args[0] === ApiKey.PRODUCE_LOG && ++produced % 7 === 3 && dropped < 4) {
        dropped++;
        this.close();
      }
      return p;
    };
    try {
      const table = await c2.getTable((await createTable("idem", { buckets: 2 })).info.tablePath);
      const writer = await table.newAppendWriter();
      const n = 5000;
      const handles = [];
      for (let i = 0; i < n; i++) {
        handles.push(writer.append([i, `v${i}`, BigInt(i)]));
        if (i % 250 === 0) await new Promise((r) => setTimeout(r, 1));
      }
      await writer.flush();
      await Promise.all(handles.map((h) => h.wait()));
      assert.ok(dropped > 0, "connections were dropped with requests in flight");
      const recs = await readAll(table, n);
      assert.deepEqual(ids(recs), range(0, n));
      await writer.close();
    } finally {
      proto.requestParts = original;
      await c2.close();
    }
  });
});
