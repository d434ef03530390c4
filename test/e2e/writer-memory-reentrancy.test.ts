/**
 * Writers waiting for buffer memory while a full batch is sent synchronously inside an
 * append (`RecordAccumulator.onFull` → `Sender.runNow`): a batch that completes inside that
 * synchronous send (here: batches of a leaderless bucket expiring after
 * `writer.delivery.timeout.ms`) frees memory, and the waiting writers must not be served
 * re-entrantly from inside the append, where the writer placing its head write is still
 * in the middle of placing it (that write went in twice). And the writes that waiting
 * writers place while the sender fails a dropped table's queue fail with it (they were left
 * in a queue the sender no longer visited: `flush()` never ended).
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import {
  AggFunctions,
  Config,
  DataTypes,
  ErrorCode,
  FlussConnection,
  FlussError,
  LocalCluster,
  Schema,
  TableDescriptor,
  TablePath,
  type FlussTable,
} from "../../src/index.js";
import { PrimaryKeyCodec } from "../../src/row/key-encoding.js";

const db = "writer_reentrancy";

describe("writers waiting for memory while a full batch is sent inside an append (e2e)", () => {
  let cluster: LocalCluster;
  let conn: FlussConnection;

  before(async () => {
    cluster = await LocalCluster.start({ tabletServers: 2 });
    const boot = await FlussConnection.connect(new Config({ "bootstrap.servers": cluster.bootstrapServers }));
    await boot.getAdmin().createDatabase(db, { ignoreIfExists: true });
    await boot.close();
  });
  after(async () => {
    await conn?.close().catch(() => undefined);
    await cluster?.close();
  });

  test("a waiting write is placed once when memory frees up during the synchronous send of a full batch", {
    timeout: 30_000,
  }, async (t) => {
    const [live, dead] = cluster.tabletServerIds as [number, number];
    const admin = (): ReturnType<FlussConnection["getAdmin"]> => conn.getAdmin();
    const deliveryMs = 2000;
    conn = await FlussConnection.connect(
      new Config({
        "bootstrap.servers": cluster.bootstrapServers,
        "writer.buffer.memory.size": 64 * 1024,
        "writer.batch.size": 16 * 1024,
        "writer.delivery.timeout.ms": deliveryMs,
      }),
    );
    // t: SUM aggregation (a write applied twice shows), two buckets on the live server
    const tPath = new TablePath(db, "sums");
    const sums = Schema.builder()
      .column("id", DataTypes.INT())
      .column("total", DataTypes.BIGINT(), { aggFunction: AggFunctions.SUM() })
      .column("pad", DataTypes.STRING())
      .primaryKey("id")
      .build();
    await admin().createTable(
      tPath,
      new TableDescriptor(sums, { bucketCount: 2, properties: { "table.merge-engine": "aggregation" } }),
    );
    // stuck: one bucket on the server that will be stopped
    const sPath = new TablePath(db, "stuck");
    const stuckSchema = Schema.builder().column("id", DataTypes.INT()).column("pad", DataTypes.STRING()).primaryKey("id").build();
    await admin().createTable(sPath, new TableDescriptor(stuckSchema, { bucketCount: 1 }));
    for (const b of [0, 1]) await cluster.moveLeader({ table: tPath, bucket: b, to: live });
    await cluster.moveLeader({ table: sPath, bucket: 0, to: dead });
    await cluster.stopTabletServer(dead);

    const sumsTable: FlussTable = await conn.getTable(tPath);
    const stuck: FlussTable = await conn.getTable(sPath);
    const codec = new PrimaryKeyCodec(sumsTable.info);
    const bucketOf = (id: number): number => {
      const row = [id, 0n, ""];
      return codec.bucket(row, codec.key(row));
    };
    const ids = (bucket: number, n: number): number[] => {
      const out: number[] = [];
      for (let id = 1; out.length < n; id++) if (bucketOf(id) === bucket) out.push(id);
      return out;
    };
    const [h, y, e, r] = ids(0, 4) as [number, number, number, number];
    const [z] = ids(1, 1) as [number];

    const w1 = sumsTable.newUpsert();
    const w2 = sumsTable.newUpsert();
    const wl = stuck.newUpsert();
    await w1.upsert({ id: 1000, total: 0n, pad: "" }).wait(); // writer id known, connections open

    const big = "x".repeat(15_000);
    // 3 batches (48 KiB of the 64 KiB) for the leaderless bucket: they expire after deliveryMs
    const stuckAt = Date.now();
    for (let i = 0; i < 3; i++) wl.upsert({ id: i, pad: big });
    // the last 16 KiB: one batch of bucket 0 (sent when the next row does not fit it)
    const hh = w2.upsert({ id: h, total: 1n, pad: big });
    // w2 waits for memory with y (bucket 0, 15 KB) then z (bucket 1); w1 with e (bucket 0, 2 KB)
    w2.upsert({ id: y, total: 1n, pad: big });
    w2.upsert({ id: z, total: 1n, pad: "" });
    w1.upsert({ id: e, total: 1n, pad: "p".repeat(2000) });
    assert.ok(w1.bufferedBytes >= 64 * 1024, "the buffer is full");
    // h is acknowledged: y takes its memory (an open batch of bucket 0), z still waits
    await hh.wait();
    if (Date.now() >= stuckAt + deliveryMs - 100) {
      t.skip("the machine is too slow for this timing (h took the whole delivery timeout)");
      return;
    }
    // the stuck batches pass their delivery timeout before the sender's timer runs
    while (Date.now() < stuckAt + deliveryMs + 50) {
      /* spin: no event-loop turn */
    }
    // r queues behind e; e does not fit y's batch: the full batch is sent inside this
    // append, the stuck batches expire there and free memory for both waiting writers
    w1.upsert({ id: r, total: 1n, pad: "" });
    await w1.flush();
    await w2.flush();
    await assert.rejects(wl.flush());

    const lookup = sumsTable.newLookup();
    for (const id of [h, y, z, e, r]) {
      const row = await lookup.lookup({ id });
      assert.equal(row?.total, 1n, `key ${id} was written once (total ${String(row?.total)})`);
    }
    await conn.close();
  });

  test("writes waiting for memory when their table is dropped fail with it; flush ends", { timeout: 30_000 }, async () => {
    conn = await FlussConnection.connect(
      new Config({
        "bootstrap.servers": cluster.bootstrapServers,
        "writer.buffer.memory.size": 64 * 1024,
        "writer.batch.size": 16 * 1024,
        "writer.max.inflight.requests.per.bucket": 1,
      }),
    );
    const path = new TablePath(db, "dropped");
    const schema = Schema.builder().column("id", DataTypes.INT()).column("pad", DataTypes.STRING()).primaryKey("id").build();
    await conn.getAdmin().createTable(path, new TableDescriptor(schema, { bucketCount: 1 }));
    const writer = (await conn.getTable(path)).newUpsert();
    await writer.upsert({ id: -1, pad: "" }).wait();
    // one batch in flight (held by the server), three queued behind it, the rest waiting for memory
    cluster.delay({ apiKey: "PUT_KV", ms: 500 });
    try {
      const big = "x".repeat(15_000);
      for (let i = 0; i < 8; i++) writer.upsert({ id: i, pad: big });
      assert.ok(writer.bufferedBytes >= 64 * 1024, "the buffer is full");
      await conn.getAdmin().dropTable(path);
      // the batch in flight comes back failed, a refresh finds the table gone, its queue fails,
      // and the waiting writes, placed as memory frees up, fail too
      const outcome = await Promise.race([
        writer.flush().then(
          () => "flushed",
          (err: unknown) => (err instanceof FlussError ? err.code : String(err)),
        ),
        new Promise<string>((resolve) => setTimeout(() => resolve("flush did not end"), 10_000).unref()),
      ]);
      assert.equal(outcome, ErrorCode.TABLE_NOT_EXIST);
    } finally {
      cluster.delay({ apiKey: "PUT_KV", ms: 0 });
    }
  });
});
