/**
 * The embedded server under concurrency and crashes: drop/recreate with requests in
 * flight, close with requests in flight, crash-like restarts (a copy of a running data dir,
 * torn tails, stray temp files) and the offset semantics clients rely on.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as net from "node:net";
import * as os from "node:os";
import * as path from "node:path";
import { ApiKey } from "../../src/rpc/api-keys.js";
import { ErrorCode, FlussError } from "../../src/rpc/errors.js";
import { encodeRequestFrame, FrameDecoder } from "../../src/rpc/frame.js";
import type { FetchLogRequest } from "../../src/rpc/messages.js";
import type { ServerConnection } from "../../src/rpc/server-connection.js";
import { iterateBatches } from "../../src/record/log-batch.js";
import { LocalCluster } from "../../src/server/local-cluster.js";
import { RpcServer } from "../../src/server/rpc-server.js";
import type { ClusterLogger } from "../../src/server/server-state.js";
import { LOG_SCHEMA, arrowBatch, connect, rejectsWith, tableJson } from "./server-test-util.js";

const tp = (tableName: string) => ({ databaseName: "fluss", tableName });
const rt = LOG_SCHEMA.rowType;

/** Collects "unexpected error" log lines: each one is a server bug. */
function errorLogger(sink: string[]): ClusterLogger {
  return { info: () => {}, warn: () => {}, error: (m, e) => void sink.push(`${m}: ${String((e as Error)?.stack ?? e)}`) };
}

async function createTable(conn: ServerConnection, name: string): Promise<number> {
  await conn.request(ApiKey.CREATE_TABLE, {
    tablePath: tp(name),
    tableJson: tableJson(LOG_SCHEMA, { bucketCount: 1 }),
    ignoreIfExists: false,
  });
  return (await conn.request(ApiKey.GET_TABLE_INFO, { tablePath: tp(name) })).tableId;
}

function produce(conn: ServerConnection, tableId: number, records: Uint8Array) {
  return conn.request(ApiKey.PRODUCE_LOG, { acks: -1, tableId, timeoutMs: 5000, bucketsReq: [{ bucketId: 0, records }] });
}

function fetchReq(tableId: number, fetchOffset: number, extra: Partial<FetchLogRequest> = {}): FetchLogRequest {
  return {
    followerServerId: -1,
    maxBytes: 1 << 20,
    tablesReq: [
      {
        tableId,
        projectionPushdownEnabled: false,
        projectedFields: [],
        bucketsReq: [{ bucketId: 0, fetchOffset, maxFetchBytes: 1 << 20 }],
      },
    ],
    ...extra,
  };
}

/** Every record id in bucket 0, read from offset 0 up to the high watermark. */
async function readIds(conn: ServerConnection, tableId: number): Promise<{ hw: number; batches: [number, number][] }> {
  const r = await conn.request(ApiKey.FETCH_LOG, fetchReq(tableId, 0));
  const b = r.tablesResp[0]!.bucketsResp[0]!;
  assert.equal(b.errorCode, undefined, b.errorMessage);
  return { hw: b.highWatermark!, batches: [...iterateBatches(b.records!)].map((v) => [v.baseOffset, v.recordCount]) };
}

test("drop table with produce, fetch and long poll in flight; recreate under the same name starts empty", async () => {
  const errors: string[] = [];
  const cluster = await LocalCluster.start({ logger: errorLogger(errors) });
  const conn = await connect(cluster);
  try {
    const oldId = await createTable(conn, "t");
    for (let i = 0; i < 3; i++) await produce(conn, oldId, arrowBatch(rt, [[i, "old"]]));
    const longPoll = conn.request(ApiKey.FETCH_LOG, fetchReq(oldId, 3, { maxWaitMs: 400, minBytes: 1 << 20 }));
    const inFlight = Array.from({ length: 20 }, (_, i) =>
      i % 2 === 0 ? produce(conn, oldId, arrowBatch(rt, [[i, "late"]])) : conn.request(ApiKey.FETCH_LOG, fetchReq(oldId, 0)),
    );
    await conn.request(ApiKey.DROP_TABLE, { tablePath: tp("t"), ignoreIfNotExists: false });
    for (const r of await Promise.all(inFlight)) {
      const b = "bucketsResp" in r ? r.bucketsResp[0]! : r.tablesResp[0]!.bucketsResp[0]!;
      // each request either ran before the drop or sees the table gone: never a storage failure
      if (b.errorCode !== undefined) assert.equal(b.errorCode, ErrorCode.UNKNOWN_TABLE_OR_BUCKET_EXCEPTION, b.errorMessage);
    }
    const lp = (await longPoll).tablesResp[0]!.bucketsResp[0]!;
    if (lp.errorCode !== undefined) assert.equal(lp.errorCode, ErrorCode.UNKNOWN_TABLE_OR_BUCKET_EXCEPTION, lp.errorMessage);
    const after = await produce(conn, oldId, arrowBatch(rt, [[9, "x"]]));
    assert.equal(after.bucketsResp[0]!.errorCode, ErrorCode.UNKNOWN_TABLE_OR_BUCKET_EXCEPTION);
    assert.equal(fs.existsSync(path.join(cluster.dataDir, "log", String(oldId))), false, "the dropped table's logs are gone");

    const newId = await createTable(conn, "t");
    assert.notEqual(newId, oldId, "table ids are never reused");
    assert.deepEqual(await readIds(conn, newId), { hw: 0, batches: [] });
    await produce(conn, newId, arrowBatch(rt, [[1, "new"]]));
    assert.deepEqual(await readIds(conn, newId), { hw: 1, batches: [[0, 1]] });
    // the old id stays unknown
    const old = await conn.request(ApiKey.FETCH_LOG, fetchReq(oldId, 0));
    assert.equal(old.tablesResp[0]!.bucketsResp[0]!.errorCode, ErrorCode.UNKNOWN_TABLE_OR_BUCKET_EXCEPTION);
    assert.deepEqual(errors, []);
  } finally {
    conn.close();
    await cluster.close();
  }
});

test("close with requests in flight finishes promptly and cleanly", async () => {
  const errors: string[] = [];
  const cluster = await LocalCluster.start({ logger: errorLogger(errors) });
  const conn = await connect(cluster);
  const tableId = await createTable(conn, "t");
  await produce(conn, tableId, arrowBatch(rt, [[1, "a"]]));
  // a long poll that would wait 10 s, plus produces and fetches racing the close
  const pending: Promise<unknown>[] = [
    conn.request(ApiKey.FETCH_LOG, fetchReq(tableId, 1, { maxWaitMs: 10_000, minBytes: 1 << 20 })),
  ];
  for (let i = 0; i < 20; i++)
    pending.push(produce(conn, tableId, arrowBatch(rt, [[i, "b"]])), conn.request(ApiKey.FETCH_LOG, fetchReq(tableId, 0)));
  const outcomes = Promise.allSettled(pending);
  const t0 = Date.now();
  await cluster.close();
  assert.ok(Date.now() - t0 < 2000, `close took ${Date.now() - t0} ms`);
  const settled = await outcomes;
  for (const s of settled) {
    // answered before the close, or failed because the connection went away
    if (s.status === "rejected") assert.ok(s.reason instanceof FlussError, String(s.reason));
  }
  conn.close();
  assert.equal(fs.existsSync(cluster.dataDir), false);
  assert.deepEqual(errors, []);
});

test("crash-like restart: a copy of a running data dir, a torn tail, stray temp files", async () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), "flussjs-crash-"));
  const live = path.join(root, "live");
  try {
    const cluster = await LocalCluster.start({ dataDir: live });
    const conn = await connect(cluster);
    let tableId = -1;
    let writerId = -1;
    const idem: Uint8Array[] = [];
    try {
      tableId = await createTable(conn, "t");
      writerId = (await conn.request(ApiKey.INIT_WRITER, { tablePath: [tp("t")] })).writerId;
      for (let i = 0; i < 4; i++) {
        const b = arrowBatch(
          rt,
          [
            [i, "a"],
            [i, "b"],
          ],
          { writerId, batchSequence: i },
        );
        idem.push(b.slice());
        assert.equal((await produce(conn, tableId, b)).bucketsResp[0]!.baseOffset, 2 * i);
      }
      // no close, no flush: what a crash of the process leaves behind is what is in the page cache
      fs.cpSync(live, path.join(root, "copy"), { recursive: true });
    } finally {
      conn.close();
      await cluster.close();
    }
    const segDir = path.join(root, "copy", "log", String(tableId), "0");
    const seg = path.join(segDir, fs.readdirSync(segDir).find((n) => n.endsWith(".log"))!);
    const fullSize = fs.statSync(seg).size;
    const batchSize = fullSize / 4;

    // 1. the plain copy: everything acknowledged is there, and re-sends are still recognised
    {
      const c = await LocalCluster.start({ dataDir: path.join(root, "copy") });
      const k = await connect(c);
      try {
        assert.deepEqual(await readIds(k, tableId), {
          hw: 8,
          batches: [
            [0, 2],
            [2, 2],
            [4, 2],
            [6, 2],
          ],
        });
        const dup = await produce(k, tableId, idem[2]!.slice());
        assert.deepEqual(
          dup.bucketsResp[0],
          { bucketId: 0, baseOffset: 4 },
          "a duplicate after restart keeps its original offset",
        );
        const next = await produce(k, tableId, arrowBatch(rt, [[9, "z"]], { writerId, batchSequence: 4 }));
        assert.equal(next.bucketsResp[0]!.baseOffset, 8);
      } finally {
        k.close();
        await c.close();
      }
    }

    // 2. a torn final batch plus zeroed pages and a leftover catalog temp file
    fs.truncateSync(seg, 3 * batchSize + 17);
    fs.appendFileSync(seg, new Uint8Array(100));
    fs.writeFileSync(path.join(root, "copy", "catalog", "catalog.json.tmp"), "{ half-written");
    const warnings: string[] = [];
    const c = await LocalCluster.start({
      dataDir: path.join(root, "copy"),
      logger: { info: () => {}, warn: (m) => void warnings.push(m), error: (m) => assert.fail(m) },
    });
    const k = await connect(c);
    try {
      assert.deepEqual(await readIds(k, tableId), {
        hw: 6,
        batches: [
          [0, 2],
          [2, 2],
          [4, 2],
        ],
      });
      assert.equal(fs.statSync(seg).size, 3 * batchSize, "only the torn tail is cut");
      assert.ok(
        warnings.some((w) => /torn tail/.test(w)),
        warnings.join("\n"),
      );
      // the writer's sequence continues after the last batch that survived
      await rejectsWith(
        produce(k, tableId, arrowBatch(rt, [[9, "z"]], { writerId, batchSequence: 4 })).then((r) => {
          const b = r.bucketsResp[0]!;
          if (b.errorCode !== undefined) throw new FlussError(b.errorCode, b.errorMessage);
        }),
        ErrorCode.OUT_OF_ORDER_SEQUENCE_EXCEPTION,
      );
      const resent = await produce(k, tableId, idem[3]!.slice());
      assert.deepEqual(resent.bucketsResp[0], { bucketId: 0, baseOffset: 6 });
      assert.deepEqual((await readIds(k, tableId)).hw, 8);
    } finally {
      k.close();
      await c.close();
    }
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
});

test("offset semantics: high watermark, out of range, list offsets by timestamp", async () => {
  const cluster = await LocalCluster.start();
  const conn = await connect(cluster);
  try {
    const tableId = await createTable(conn, "t");
    const list = async (offsetType: number, startTimestamp?: number) => {
      const r = await conn.request(ApiKey.LIST_OFFSETS, {
        followerServerId: -1,
        offsetType,
        tableId,
        bucketId: [0],
        ...(startTimestamp !== undefined ? { startTimestamp } : {}),
      });
      const b = r.bucketsResp[0]!;
      if (b.errorCode !== undefined) throw new FlussError(b.errorCode, b.errorMessage);
      return b.offset!;
    };
    // an empty log: everything is 0, a timestamp lookup gives the high watermark
    assert.equal(await list(0), 0);
    assert.equal(await list(1), 0);
    assert.equal(await list(2, Date.now() - 1000), 0);
    const stamps: number[] = [];
    for (let i = 0; i < 3; i++) {
      await produce(
        conn,
        tableId,
        arrowBatch(rt, [
          [i, "a"],
          [i, "b"],
        ]),
      );
      const r = await conn.request(ApiKey.FETCH_LOG, fetchReq(tableId, 2 * i));
      stamps.push([...iterateBatches(r.tablesResp[0]!.bucketsResp[0]!.records!)][0]!.commitTimestamp);
      await new Promise((res) => setTimeout(res, 3));
    }
    assert.ok(stamps[0]! < stamps[1]! && stamps[1]! < stamps[2]!, String(stamps));
    assert.equal(await list(0), 0);
    assert.equal(await list(1), 6);
    assert.equal(await list(2, 0), 0);
    assert.equal(await list(2, stamps[0]!), 0);
    assert.equal(await list(2, stamps[0]! + 1), 2);
    assert.equal(await list(2, stamps[2]!), 4);
    assert.equal(await list(2, stamps[2]! + 1), 6, "after the last commit timestamp: the high watermark");
    await rejectsWith(list(2, Date.now() + 60_000), ErrorCode.INVALID_TIMESTAMP_EXCEPTION);

    // fetch: at the high watermark empty, beyond it or below the start out of range, -2 = earliest
    for (const [offset, expect] of [
      [6, 0],
      [7, -1],
      [-1, -1],
      [-2, 3],
      [3, 2],
    ] as const) {
      const b = (await conn.request(ApiKey.FETCH_LOG, fetchReq(tableId, offset))).tablesResp[0]!.bucketsResp[0]!;
      if (expect < 0) {
        assert.equal(b.errorCode, ErrorCode.LOG_OFFSET_OUT_OF_RANGE_EXCEPTION, `offset ${offset}`);
        continue;
      }
      assert.equal(b.errorCode, undefined, b.errorMessage);
      assert.equal(b.highWatermark, 6);
      assert.equal(b.logStartOffset, 0);
      // a fetch inside a batch returns that whole batch
      assert.equal([...iterateBatches(b.records!)].length, expect, `offset ${offset}`);
    }
  } finally {
    conn.close();
    await cluster.close();
  }
});

test("a client that never reads its responses stops being read instead of filling memory", async () => {
  let served = 0;
  const server = new RpcServer(new Map([[ApiKey.API_VERSIONS, () => (served++, new Uint8Array(1 << 20))]]), {
    host: "127.0.0.1",
    port: 0,
    maxQueuedResponseBytes: 4 << 20,
  });
  const port = await server.listen();
  const sock = net.connect({ host: "127.0.0.1", port });
  try {
    await new Promise<void>((resolve, reject) => {
      sock.once("connect", resolve);
      sock.once("error", reject);
    });
    sock.pause(); // never read
    // 64 requests of 256 KiB: far more than the kernel buffers hold, 64 MiB of answers
    const count = 64;
    for (let i = 0; i < count; i++) sock.write(encodeRequestFrame(ApiKey.API_VERSIONS, 0, i, new Uint8Array(256 << 10)));
    await new Promise((r) => setTimeout(r, 300));
    assert.ok(served < count, `all ${served} requests were served into an unread socket`);
    // once the client reads, every request is answered
    const dec = new FrameDecoder();
    let answered = 0;
    await new Promise<void>((resolve) => {
      sock.on("data", (c: Buffer) => {
        answered += dec.push(c).length;
        if (answered === count) resolve();
      });
      sock.resume();
    });
    assert.equal(served, count);
  } finally {
    sock.destroy();
    await server.close();
  }
});
