/**
 * Scanners against a hung or stopped cluster (issue 9): transient failures are retried
 * quietly but reported to `onError` listeners, and with `scanner.max-unavailable-ms` set,
 * `poll` / `for await` throw a FlussError naming the server and the last cause — and
 * go on reading once the cluster is back.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { Config, EARLIEST_OFFSET, ErrorCode, FlussConnection, FlussError, LocalCluster } from "../../src/index.js";
import { createTestTable } from "../helpers/tables.js";

const FAST = {
  "request.timeout.ms": 400,
  "connect.timeout.ms": 800,
  "scanner.log.fetch.wait-max-time-ms": 100,
};

async function setUp(extra: Record<string, unknown>) {
  const cluster = await LocalCluster.start();
  const conn = await FlussConnection.connect(new Config({ "bootstrap.servers": cluster.bootstrapServers, ...FAST, ...extra }));
  await conn.getAdmin().createDatabase("unavail");
  const table = await createTestTable(conn, "unavail", "t");
  const writer = await table.newAppendWriter();
  for (let id = 0; id < 5; id++) writer.append({ id, name: `r${id}`, amount: BigInt(id) });
  await writer.flush();
  return { cluster, conn, table, writer };
}

test("hung server: onError reports, for await throws after scanner.max-unavailable-ms naming the server, then reading resumes", {
  timeout: 20_000,
}, async () => {
  const { cluster, conn, table, writer } = await setUp({ "scanner.max-unavailable-ms": 1_500 });
  try {
    const scanner = await table.newScan().createLogScanner();
    const reported: FlussError[] = [];
    scanner.onError((e) => reported.push(e));
    await scanner.subscribe(0, EARLIEST_OFFSET);
    let seen = 0;
    while (seen < 5) seen += (await scanner.poll(1_000)).count;
    cluster.setUnresponsive(0, true);
    const started = Date.now();
    let thrown: unknown;
    try {
      for await (const r of scanner) assert.fail(`unexpected record ${String(r.offset)}`);
    } catch (e) {
      thrown = e;
    }
    const elapsed = Date.now() - started;
    assert.ok(thrown instanceof FlussError, String(thrown));
    assert.equal(thrown.code, ErrorCode.REQUEST_TIME_OUT, thrown.message);
    assert.ok(thrown.message.includes(`tablet server 0 (${cluster.bootstrapServers})`), thrown.message);
    assert.match(thrown.message, /scanner\.max-unavailable-ms = 1500/);
    assert.match(thrown.message, /last cause: .*timed out after 400 ms/);
    assert.ok(elapsed >= 1_500 && elapsed < 5_000, `threw after ${elapsed} ms`);
    assert.ok(reported.length >= 1, "onError was not called");
    assert.ok(
      reported.every((e) => e instanceof FlussError && /retrying/.test(e.message)),
      reported.map((e) => e.message).join("\n"),
    );
    // the cluster comes back: the same scanner reads on
    cluster.setUnresponsive(0, false);
    await writer.append({ id: 5, name: "r5", amount: 5n }).wait();
    let more = 0;
    const deadline = Date.now() + 8_000;
    while (more < 1 && Date.now() < deadline) more += (await scanner.poll(500)).count;
    assert.equal(more, 1);
    await scanner.close();
  } finally {
    cluster.setUnresponsive(0, false);
    await conn.close().catch(() => undefined);
    await cluster.close();
  }
});

test("stopped server: the default retries quietly (poll returns empty) while onError reports; a bound makes the batch scanner throw", {
  timeout: 20_000,
}, async () => {
  const { cluster, conn, table } = await setUp({});
  const bounded = await FlussConnection.connect(
    new Config({ "bootstrap.servers": cluster.bootstrapServers, ...FAST, "scanner.max-unavailable-ms": 1_000 }),
  );
  try {
    const quiet = await table.newScan().createLogScanner();
    const quietErrors: FlussError[] = [];
    quiet.onError((e) => quietErrors.push(e));
    await quiet.subscribe(0, EARLIEST_OFFSET);
    let seen = 0;
    while (seen < 5) seen += (await quiet.poll(1_000)).count;

    const t2 = await bounded.getTable(table.info.tablePath);
    const batches = await t2.newScan().createBatchScanner();
    const batchErrors: FlussError[] = [];
    const off = batches.onError((e) => batchErrors.push(e));
    await batches.subscribe(0, EARLIEST_OFFSET);
    let rows = 0;
    while (rows < 5) for (const b of await batches.pollBatches(1_000)) rows += b.batch.numRows;

    await cluster.close();
    const started = Date.now();
    const err = await batches.pollBatches(10_000).then(
      () => assert.fail("pollBatches returned against a stopped cluster"),
      (e: unknown) => e,
    );
    const elapsed = Date.now() - started;
    assert.ok(err instanceof FlussError, String(err));
    assert.equal(err.code, ErrorCode.NETWORK_EXCEPTION, err.message);
    assert.ok(err.message.includes(cluster.bootstrapServers), err.message);
    assert.match(err.message, /has failed for \d+ ms/);
    assert.ok(elapsed < 4_000, `threw after ${elapsed} ms`);
    assert.ok(batchErrors.length >= 1, "onError was not called");
    off();
    const before = batchErrors.length;

    // without a bound: poll keeps answering "nothing" while the listener hears about it
    assert.equal((await quiet.poll(1_200)).count, 0);
    assert.ok(quietErrors.length >= 1, "onError was not called");
    assert.ok(
      quietErrors.some((e) => e.code === ErrorCode.NETWORK_EXCEPTION),
      quietErrors.map((e) => e.message).join("\n"),
    );
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(batchErrors.length, before, "a removed listener was called");
    await quiet.close();
    await batches.close();
  } finally {
    await bounded.close().catch(() => undefined);
    await conn.close().catch(() => undefined);
    await cluster.close();
  }
});
