/**
 * Writes and lookups against a hung server (issue 9): an unanswered write is reported as
 * an unknown outcome (`FlussError.outcomeUnknown`), never as a definite failure with a
 * misleading cause; the idempotent writer keeps retrying such batches under the same
 * writer id and sequence within the delivery timeout; a lookup fails within its timeout.
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import {
  DataTypes,
  EARLIEST_OFFSET,
  ErrorCode,
  FlussError,
  LocalCluster,
  Schema,
  TableDescriptor,
  TablePath,
  notNull,
  type FlussConnection,
  type FlussTable,
} from "../../src/index.js";
import { Config, FlussConnection as Connection } from "../../src/index.js";
import { createTestTable } from "../helpers/tables.js";
import { uniqueName } from "../helpers/cluster.js";

/** Every id in the table, read until `n` arrived (or `ms` passed). */
async function readIds(table: FlussTable, n: number, ms = 5_000): Promise<number[]> {
  const scanner = await table.newScan().createLogScanner();
  try {
    await scanner.subscribe(0, EARLIEST_OFFSET);
    const out: number[] = [];
    const deadline = Date.now() + ms;
    while (out.length < n && Date.now() < deadline) {
      const recs = await scanner.poll(200);
      for (const tb of recs.buckets()) for (const r of recs.records(tb)) out.push(r.row.id as number);
    }
    // a little longer: duplicates would show up here
    const extra = await scanner.poll(300);
    for (const tb of extra.buckets()) for (const r of extra.records(tb)) out.push(r.row.id as number);
    return out.sort((a, b) => a - b);
  } finally {
    await scanner.close();
  }
}

const range = (from: number, to: number): number[] => Array.from({ length: to - from }, (_, i) => from + i);

describe("unknown outcomes against a hung server (e2e)", () => {
  let cluster: LocalCluster;
  let conn: FlussConnection;
  const db = uniqueName("outcome_db");

  const connect = (extra: Record<string, unknown>): Promise<FlussConnection> =>
    Connection.connect(new Config({ "bootstrap.servers": cluster.bootstrapServers, ...extra }));

  before(async () => {
    cluster = await LocalCluster.start();
    conn = await connect({ "scanner.log.fetch.wait-max-time-ms": 100 });
    await conn.getAdmin().createDatabase(db);
  });
  after(async () => {
    cluster?.setUnresponsive(0, false);
    await conn?.close();
    await cluster?.close();
  });

  test("a write the hung server never answered fails with outcomeUnknown, and was in fact stored", {
    timeout: 15_000,
  }, async () => {
    const table = await createTestTable(conn, db, "hung_write");
    const c = await connect({ "request.timeout.ms": 300, "writer.delivery.timeout.ms": 1_500, "writer.batch.timeout.ms": 0 });
    try {
      const t = await c.getTable(table.info.tablePath);
      const writer = await t.newAppendWriter();
      await writer.append({ id: 0, name: "warm-up", amount: 0n }).wait(); // writer id known, connection up
      cluster.setUnresponsive(0, true);
      const started = Date.now();
      for (const id of range(1, 101)) writer.append({ id, name: `row${id}`, amount: BigInt(id) });
      const err = await writer.flush().then(
        () => assert.fail("flush succeeded against a hung server"),
        (e: unknown) => e,
      );
      const elapsed = Date.now() - started;
      assert.ok(err instanceof FlussError, String(err));
      assert.equal(err.outcomeUnknown, true, err.message);
      assert.ok(err.code === ErrorCode.REQUEST_TIME_OUT || err.code === ErrorCode.NETWORK_EXCEPTION, err.name);
      assert.match(err.message, /may or may not have been stored/);
      assert.match(err.message, /hung_write bucket 0/);
      assert.ok(elapsed < 4_000, `failed after ${elapsed} ms`);
      cluster.setUnresponsive(0, false);
      // the requests the hung server held were appended once it went on: exactly once each,
      // though the writer re-sent them several times (same writer id and sequence)
      assert.deepEqual(await readIds(table, 101), range(0, 101));
      await writer.close().catch(() => undefined);
    } finally {
      cluster.setUnresponsive(0, false);
      await c.close().catch(() => undefined);
    }
  });

  test("definite failures keep outcomeUnknown false; the hook names the one server id", async () => {
    const err = new FlussError(ErrorCode.TABLE_NOT_EXIST, "gone");
    assert.equal(err.outcomeUnknown, false);
    assert.throws(
      () => cluster.setUnresponsive(1, true),
      (e: unknown) => e instanceof FlussError && /id 0 \(got server id 1\)/.test(e.message),
    );
  });

  test("a write that never reached a (stopped) server fails definitely: outcomeUnknown stays false", {
    timeout: 15_000,
  }, async () => {
    const other = await LocalCluster.start();
    const c = await Connection.connect(
      new Config({
        "bootstrap.servers": other.bootstrapServers,
        "request.timeout.ms": 300,
        "connect.timeout.ms": 300,
        "writer.delivery.timeout.ms": 1_000,
      }),
    );
    try {
      await c.getAdmin().createDatabase("stopped");
      const t = await createTestTable(c, "stopped", "t");
      const writer = await t.newAppendWriter();
      await writer.append({ id: 0, name: "warm-up", amount: 0n }).wait();
      await other.close();
      for (const id of range(1, 11)) writer.append({ id, name: null, amount: null });
      const err = await writer.flush().then(
        () => assert.fail("flush succeeded against a stopped server"),
        (e: unknown) => e,
      );
      assert.ok(err instanceof FlussError, String(err));
      assert.equal(err.outcomeUnknown, false, err.message);
      assert.doesNotMatch(err.message, /may or may not/);
    } finally {
      await c.close().catch(() => undefined);
      await other.close();
    }
  });

  test("the idempotent writer retries an unanswered batch within the delivery timeout, whatever writer.retries says", {
    timeout: 15_000,
  }, async () => {
    const table = await createTestTable(conn, db, "hung_retry");
    const c = await connect({
      "request.timeout.ms": 250,
      "writer.delivery.timeout.ms": 10_000,
      "writer.retries": 1,
      "writer.batch.timeout.ms": 0,
    });
    try {
      const t = await c.getTable(table.info.tablePath);
      const writer = await t.newAppendWriter();
      await writer.append({ id: 0, name: "warm-up", amount: 0n }).wait();
      cluster.setUnresponsive(0, true);
      for (const id of range(1, 101)) writer.append({ id, name: `row${id}`, amount: BigInt(id) });
      const flushed = writer.flush();
      await new Promise((r) => setTimeout(r, 1_200)); // several request timeouts
      cluster.setUnresponsive(0, false);
      await flushed;
      assert.deepEqual(await readIds(table, 101), range(0, 101));
      await writer.close();
    } finally {
      cluster.setUnresponsive(0, false);
      await c.close().catch(() => undefined);
    }
  });

  test("a lookup against a hung server fails within request.timeout.ms with a clear error", { timeout: 15_000 }, async () => {
    const path = new TablePath(db, "hung_lookup");
    const schema = Schema.fromColumns(
      [
        { name: "id", type: notNull(DataTypes.INT()) },
        { name: "name", type: DataTypes.STRING() },
      ],
      ["id"],
    );
    await conn.getAdmin().createTable(path, new TableDescriptor(schema, { bucketCount: 1 }));
    const c = await connect({ "request.timeout.ms": 400 });
    try {
      const t = await c.getTable(path);
      const writer = t.newUpsert();
      await writer.upsert({ id: 1, name: "a" }).wait();
      const lookuper = t.newLookup();
      assert.deepEqual(await lookuper.lookup({ id: 1 }), { id: 1, name: "a" });
      cluster.setUnresponsive(0, true);
      const started = Date.now();
      const err = await lookuper.lookup({ id: 1 }).then(
        () => assert.fail("lookup succeeded against a hung server"),
        (e: unknown) => e,
      );
      const elapsed = Date.now() - started;
      assert.ok(err instanceof FlussError, String(err));
      assert.equal(err.code, ErrorCode.REQUEST_TIME_OUT, err.message);
      assert.match(err.message, /lookup in .*hung_lookup.* timed out after 400 ms/);
      assert.ok(elapsed < 2_000, `failed after ${elapsed} ms`);
      cluster.setUnresponsive(0, false);
      await writer.close();
    } finally {
      cluster.setUnresponsive(0, false);
      await c.close().catch(() => undefined);
    }
  });
});
