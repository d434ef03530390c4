/**
 * What a user of any writer relies on (issue 7): a dropped table, a partition created
 * a moment ago, errors reported once, `await using`, `request.max.size`, a closed
 * connection, and `wait()` not waiting out the linger.
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import {
  EARLIEST_OFFSET,
  ErrorCode,
  FlussError,
  type FlussAdmin,
  type FlussConnection,
  type FlussTable,
} from "../../src/index.js";
import { rejectsWith } from "../helpers/assert.js";
import { createTestTable, testSchema, type TestTableOptions } from "../helpers/tables.js";
import { startTestCluster, uniqueName, type TestCluster } from "../helpers/cluster.js";
import { DataTypes, Schema, TableDescriptor, TablePath, notNull } from "../../src/index.js";

const pkSchema = Schema.fromColumns(
  [
    { name: "id", type: notNull(DataTypes.INT()) },
    { name: "name", type: DataTypes.STRING() },
    { name: "amount", type: DataTypes.BIGINT() },
  ],
  ["id"],
);

/** Rows of every bucket of a (non-partitioned) table, read until `n` arrived. */
async function readIds(table: FlussTable, n: number, ms = 10_000): Promise<number[]> {
  const scanner = await table.newScan().createLogScanner();
  try {
    for (let b = 0; b < table.info.numBuckets; b++) await scanner.subscribe(b, EARLIEST_OFFSET);
    const out: number[] = [];
    const deadline = Date.now() + ms;
    while (out.length < n && Date.now() < deadline) {
      const recs = await scanner.poll(300);
      for (const tb of recs.buckets()) for (const r of recs.records(tb)) out.push(r.row.id as number);
    }
    return out.sort((a, b) => a - b);
  } finally {
    await scanner.close();
  }
}

describe("writer behaviour (e2e)", () => {
  let cluster: TestCluster;
  let conn: FlussConnection;
  let admin: FlussAdmin;
  const db = uniqueName("writer_db");

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

  test("a table dropped and re-created under a live writer: TABLE_NOT_EXIST at once, close() does not block", async () => {
    const c2 = await cluster.connect();
    const table = await createTable("dropped");
    const path = table.info.tablePath;
    const writer = await (await c2.getTable(path)).newAppendWriter();
    await writer.append([1, "a", 1n]).wait();
    await admin.dropTable(path);
    await admin.createTable(path, new TableDescriptor(testSchema(), { bucketCount: 1 }));
    const started = Date.now();
    await rejectsWith(
      writer.append([2, "b", 2n]).wait(),
      ErrorCode.TABLE_NOT_EXIST,
      new RegExp(path.toString().replace(".", "\\.")),
    );
    assert.ok(Date.now() - started < 5000, `failed after ${Date.now() - started} ms`);
    // the writer knows now: further writes fail at once
    assert.throws(
      () => writer.append([3, "c", 3n]),
      (e: unknown) => e instanceof FlussError && e.code === ErrorCode.TABLE_NOT_EXIST,
    );
    const closing = Date.now();
    await c2.close().catch(() => undefined);
    assert.ok(Date.now() - closing < 5000, `conn.close() took ${Date.now() - closing} ms`);
    // a new writer on the new table works
    const fresh = await conn.getTable(path);
    const w2 = await fresh.newAppendWriter();
    await w2.append([7, "x", 7n]).wait();
    await w2.close();
    assert.deepEqual(await readIds(fresh, 1), [7]);
  });

  test("a dropped table (not re-created) fails pending writes with TABLE_NOT_EXIST", async () => {
    const c2 = await cluster.connect();
    const table = await createTable("dropped_only");
    const writer = await (await c2.getTable(table.info.tablePath)).newAppendWriter();
    await writer.append([1, "a", 1n]).wait();
    await admin.dropTable(table.info.tablePath);
    const started = Date.now();
    await rejectsWith(writer.append([2, "b", 2n]).wait(), ErrorCode.TABLE_NOT_EXIST);
    assert.ok(Date.now() - started < 5000);
    const closing = Date.now();
    await c2.close().catch(() => undefined);
    assert.ok(Date.now() - closing < 5000, `conn.close() took ${Date.now() - closing} ms`);
  });

  test("a partition created right after a write to it failed is written to at once", async () => {
    const table = await createTable("late_partition", { partitioned: true });
    const writer = await table.newAppendWriter();
    await rejectsWith(writer.append({ id: 1, region: "LATE" }).wait(), ErrorCode.PARTITION_NOT_EXISTS, /region=LATE/);
    await admin.createPartition(table.info.tablePath, { region: "LATE" });
    await writer.append({ id: 2, region: "LATE" }).wait();
    await writer.close();
  });

  test("close() and flush() do not rethrow a failure already delivered through wait()", async () => {
    const table = await createTable("delivered", { partitioned: true });
    await admin.createPartition(table.info.tablePath, { region: "US" });
    const writer = await table.newAppendWriter();
    const bad = writer.append({ id: 1, region: "NOPE" });
    await rejectsWith(bad.wait(), ErrorCode.PARTITION_NOT_EXISTS);
    // also one delivered through a rejected `await handle` (admission)
    const bad2 = writer.append({ id: 2, region: "NOPE" });
    await rejectsWith(
      Promise.resolve(bad2).then(() => undefined),
      ErrorCode.PARTITION_NOT_EXISTS,
    );
    writer.append({ id: 3, region: "US" });
    await writer.close(); // resolves: nothing undelivered failed
    // an undelivered failure is still reported, once
    const w2 = await table.newAppendWriter();
    w2.append({ id: 4, region: "NOPE" });
    await rejectsWith(w2.close(), ErrorCode.PARTITION_NOT_EXISTS);
  });

  test("await using closes a writer at the end of its scope", async () => {
    const table = await createTable("using");
    let kept: { append(row: unknown[]): unknown } | undefined;
    {
      await using writer = await table.newAppendWriter();
      for (let i = 0; i < 10; i++) writer.append([i, null, null]);
      kept = writer;
    }
    assert.throws(() => kept!.append([99, null, null]), FlussError);
    assert.deepEqual(
      await readIds(table, 10),
      Array.from({ length: 10 }, (_, i) => i),
    );
  });

  test("a row larger than request.max.size is refused, naming the limit; nothing is sent", async () => {
    const c2 = await cluster.connect({ "request.max.size": 1024 * 1024 });
    try {
      const table = await c2.getTable((await createTable("huge_row")).info.tablePath);
      const writer = await table.newAppendWriter();
      const big = "x".repeat(2 * 1024 * 1024);
      assert.throws(
        () => writer.append([1, big, null]),
        (e: unknown) =>
          e instanceof FlussError &&
          e.code === ErrorCode.CLIENT_ERROR &&
          /request\.max\.size/.test(e.message) &&
          /"name"/.test(e.message),
      );
      await writer.append([2, "small", null]).wait();
      await writer.close();
      assert.deepEqual(await readIds(table, 1), [2]);
    } finally {
      await c2.close();
    }
    // the default limit (10 MiB) refuses an 11 MB row
    const table = await createTable("huge_row_default");
    const writer = await table.newAppendWriter();
    assert.throws(() => writer.append([1, "y".repeat(11 * 1000 * 1000), null]), /request\.max\.size/);
    await writer.close();
  });

  test("writers cannot be created after conn.close()", async () => {
    const c2 = await cluster.connect();
    const table = await c2.getTable((await createTable("after_close")).info.tablePath);
    await c2.close();
    await assert.rejects(
      async () => table.newAppendWriter(),
      (e: unknown) => e instanceof FlussError && /closed/.test(e.message),
    );
    const pkPath = new TablePath(db, "after_close_pk");
    await admin.createTable(pkPath, new TableDescriptor(pkSchema, { bucketCount: 1 }));
    const c3 = await cluster.connect();
    const pk = await c3.getTable(pkPath);
    await c3.close();
    assert.throws(
      () => pk.newUpsert(),
      (e: unknown) => e instanceof FlussError && /closed/.test(e.message),
    );
  });

  test("upsert writer: 50 sequential upsert().wait() beat the linger too", async () => {
    const c2 = await cluster.connect({ "writer.batch.timeout.ms": 100 });
    try {
      const path = new TablePath(db, "sequential_upsert");
      await admin.createTable(path, new TableDescriptor(pkSchema, { bucketCount: 2 }));
      const writer = (await c2.getTable(path)).newUpsert();
      await writer.upsert([0, null, null]).wait();
      const started = Date.now();
      for (let i = 1; i <= 50; i++) await writer.upsert([i % 7, `v${i}`, BigInt(i)]).wait();
      const took = Date.now() - started;
      assert.ok(took < 1500, `50 sequential upserts took ${took} ms`);
      await writer.close();
    } finally {
      await c2.close();
    }
  });

  test("wait() sends the row's batch at once: 50 sequential append().wait() beat the linger", async () => {
    const c2 = await cluster.connect({ "writer.batch.timeout.ms": 100 });
    try {
      const table = await c2.getTable((await createTable("sequential_wait")).info.tablePath);
      const writer = await table.newAppendWriter();
      await writer.append([0, null, null]).wait(); // warm up (writer id, leaders)
      const started = Date.now();
      for (let i = 1; i <= 50; i++) await writer.append([i, null, null]).wait();
      const took = Date.now() - started;
      // waiting out the linger would take 50 × 100 ms = 5 s
      assert.ok(took < 1500, `50 sequential writes took ${took} ms`);
      await writer.close();
    } finally {
      await c2.close();
    }
  });
});
