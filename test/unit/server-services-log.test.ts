/** Tablet-server RPCs (produce, fetch, list offsets), robustness and restart of the local cluster. */
import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as net from "node:net";
import * as os from "node:os";
import * as path from "node:path";
import { ApiKey } from "../../src/rpc/api-keys.js";
import { ErrorCode } from "../../src/rpc/errors.js";
import { encodeRequestFrame, FrameDecoder, parseResponseFrame, ResponseType } from "../../src/rpc/frame.js";
import { ErrorResponse, type FetchLogRequest } from "../../src/rpc/messages.js";
import type { ServerConnection } from "../../src/rpc/server-connection.js";
import { iterateBatches, updateLogBatchCrc } from "../../src/record/log-batch.js";
import { LocalCluster } from "../../src/server/local-cluster.js";
import { LOG_SCHEMA, arrowBatch, connect, indexedBatch, rejectsWith, tableJson, withCluster } from "./server-test-util.js";

const tp = (tableName: string) => ({ databaseName: "fluss", tableName });

async function createLogTable(
  conn: ServerConnection,
  name: string,
  options: Parameters<typeof tableJson>[1] = {},
): Promise<number> {
  await conn.request(ApiKey.CREATE_TABLE, {
    tablePath: tp(name),
    tableJson: tableJson(LOG_SCHEMA, options),
    ignoreIfExists: false,
  });
  return (await conn.request(ApiKey.GET_TABLE_INFO, { tablePath: tp(name) })).tableId;
}

function fetchReq(
  tableId: number,
  fetchOffset: number,
  extra: Partial<FetchLogRequest> = {},
  projected?: number[],
): FetchLogRequest {
  return {
    followerServerId: -1,
    maxBytes: 1 << 20,
    tablesReq: [
      {
        tableId,
        projectionPushdownEnabled: projected !== undefined,
        projectedFields: projected ?? [],
        bucketsReq: [{ bucketId: 0, fetchOffset, maxFetchBytes: 1 << 20 }],
      },
    ],
    ...extra,
  };
}

test("produce, fetch and list offsets round trip", async () => {
  await withCluster(async (_c, conn) => {
    const tableId = await createLogTable(conn, "events");
    const rt = LOG_SCHEMA.rowType;
    const p1 = await conn.request(ApiKey.PRODUCE_LOG, {
      acks: -1,
      tableId,
      timeoutMs: 1000,
      bucketsReq: [
        {
          bucketId: 0,
          records: arrowBatch(rt, [
            [1, "a"],
            [2, "b"],
          ]),
        },
      ],
    });
    assert.deepEqual(p1.bucketsResp, [{ bucketId: 0, baseOffset: 0 }]);
    const p2 = await conn.request(ApiKey.PRODUCE_LOG, {
      acks: 1,
      tableId,
      timeoutMs: 1000,
      bucketsReq: [
        { bucketId: 0, records: arrowBatch(rt, [[3, "c"]]) },
        { bucketId: 5, records: arrowBatch(rt, [[4, "d"]]) },
      ],
    });
    assert.deepEqual(p2.bucketsResp[0], { bucketId: 0, baseOffset: 2 });
    assert.equal(p2.bucketsResp[1]!.errorCode, ErrorCode.UNKNOWN_TABLE_OR_BUCKET_EXCEPTION);
    await rejectsWith(
      conn.request(ApiKey.PRODUCE_LOG, { acks: 2, tableId, timeoutMs: 1000, bucketsReq: [] }),
      ErrorCode.INVALID_REQUIRED_ACKS,
    );
    const unknownTable = await conn.request(ApiKey.PRODUCE_LOG, {
      acks: 1,
      tableId: 99,
      timeoutMs: 1000,
      bucketsReq: [{ bucketId: 0, records: arrowBatch(rt, [[1, "x"]]) }],
    });
    assert.equal(unknownTable.bucketsResp[0]!.errorCode, ErrorCode.UNKNOWN_TABLE_OR_BUCKET_EXCEPTION);

    const f = await conn.request(ApiKey.FETCH_LOG, fetchReq(tableId, -2));
    const b = f.tablesResp[0]!.bucketsResp[0]!;
    assert.equal(b.errorCode, undefined);
    assert.equal(b.highWatermark, 3);
    assert.equal(b.logStartOffset, 0);
    const batches = [...iterateBatches(b.records!)];
    assert.deepEqual(
      batches.map((x) => [x.baseOffset, x.recordCount]),
      [
        [0, 2],
        [2, 1],
      ],
    );
    assert.ok(batches.every((x) => x.isValid()));

    const atEnd = await conn.request(ApiKey.FETCH_LOG, fetchReq(tableId, 3));
    assert.equal(atEnd.tablesResp[0]!.bucketsResp[0]!.records!.length, 0);
    const outOfRange = await conn.request(ApiKey.FETCH_LOG, fetchReq(tableId, 10));
    assert.equal(outOfRange.tablesResp[0]!.bucketsResp[0]!.errorCode, ErrorCode.LOG_OFFSET_OUT_OF_RANGE_EXCEPTION);

    const projected = await conn.request(ApiKey.FETCH_LOG, fetchReq(tableId, 0, {}, [1]));
    const pb = projected.tablesResp[0]!.bucketsResp[0]!;
    assert.equal(pb.errorCode, undefined);
    assert.ok(pb.records!.length > 0 && pb.records!.length < b.records!.length);
    const badProjection = await conn.request(ApiKey.FETCH_LOG, fetchReq(tableId, 0, {}, [7]));
    assert.equal(badProjection.tablesResp[0]!.bucketsResp[0]!.errorCode, ErrorCode.INVALID_COLUMN_PROJECTION);

    const list = (offsetType: number, startTimestamp?: number) =>
      conn.request(ApiKey.LIST_OFFSETS, {
        followerServerId: -1,
        offsetType,
        tableId,
        bucketId: [0],
        ...(startTimestamp !== undefined ? { startTimestamp } : {}),
      });
    assert.equal((await list(0)).bucketsResp[0]!.offset, 0);
    assert.equal((await list(1)).bucketsResp[0]!.offset, 3);
    assert.equal((await list(2, 0)).bucketsResp[0]!.offset, 0);
    assert.equal((await list(2, Date.now() + 60_000)).bucketsResp[0]!.errorCode, ErrorCode.INVALID_TIMESTAMP_EXCEPTION);
    assert.equal(
      (await conn.request(ApiKey.LIST_OFFSETS, { followerServerId: -1, offsetType: 1, tableId, bucketId: [3] })).bucketsResp[0]!
        .errorCode,
      ErrorCode.UNKNOWN_TABLE_OR_BUCKET_EXCEPTION,
    );
  });
});

test("idempotent writers: duplicates get their original offsets, gaps fail", async () => {
  await withCluster(async (_c, conn) => {
    const tableId = await createLogTable(conn, "idem");
    const rt = LOG_SCHEMA.rowType;
    const send = (records: Uint8Array) =>
      conn.request(ApiKey.PRODUCE_LOG, { acks: -1, tableId, timeoutMs: 1000, bucketsReq: [{ bucketId: 0, records }] });
    const b0 = arrowBatch(rt, [[1, "a"]], { writerId: 7, batchSequence: 0 });
    assert.equal((await send(b0.slice())).bucketsResp[0]!.baseOffset, 0);
    assert.equal((await send(arrowBatch(rt, [[2, "b"]], { writerId: 7, batchSequence: 1 }))).bucketsResp[0]!.baseOffset, 1);
    assert.equal((await send(b0.slice())).bucketsResp[0]!.baseOffset, 0);
    const gap = await send(arrowBatch(rt, [[3, "c"]], { writerId: 7, batchSequence: 5 }));
    assert.equal(gap.bucketsResp[0]!.errorCode, ErrorCode.OUT_OF_ORDER_SEQUENCE_EXCEPTION);
  });
});

test("projection on a non-ARROW table fails with INVALID_COLUMN_PROJECTION", async () => {
  await withCluster(async (_c, conn) => {
    const tableId = await createLogTable(conn, "idx", { logFormat: "INDEXED" });
    const p = await conn.request(ApiKey.PRODUCE_LOG, {
      acks: 1,
      tableId,
      timeoutMs: 1000,
      bucketsReq: [{ bucketId: 0, records: indexedBatch(LOG_SCHEMA.rowType, [[1, "a"]]) }],
    });
    assert.equal(p.bucketsResp[0]!.baseOffset, 0);
    const f = await conn.request(ApiKey.FETCH_LOG, fetchReq(tableId, 0, {}, [0]));
    assert.equal(f.tablesResp[0]!.bucketsResp[0]!.errorCode, ErrorCode.INVALID_COLUMN_PROJECTION);
    const plain = await conn.request(ApiKey.FETCH_LOG, fetchReq(tableId, 0));
    assert.equal([...iterateBatches(plain.tablesResp[0]!.bucketsResp[0]!.records!)].length, 1);
  });
});

test("long poll answers as soon as an append makes records readable", async () => {
  await withCluster(async (cluster, conn) => {
    const tableId = await createLogTable(conn, "poll");
    const t0 = Date.now();
    const timedOut = await conn.request(ApiKey.FETCH_LOG, fetchReq(tableId, 0, { minBytes: 1, maxWaitMs: 150 }));
    assert.equal(timedOut.tablesResp[0]!.bucketsResp[0]!.records!.length, 0);
    assert.ok(Date.now() - t0 >= 140, "waited for max_wait_ms");

    const other = await connect(cluster);
    try {
      const start = Date.now();
      const pending = conn.request(ApiKey.FETCH_LOG, fetchReq(tableId, 0, { minBytes: 1, maxWaitMs: 10_000 }));
      await new Promise((r) => setTimeout(r, 100));
      await other.request(ApiKey.PRODUCE_LOG, {
        acks: 1,
        tableId,
        timeoutMs: 1000,
        bucketsReq: [{ bucketId: 0, records: arrowBatch(LOG_SCHEMA.rowType, [[1, "a"]]) }],
      });
      const resp = await pending;
      assert.ok(Date.now() - start < 5000, "answered early");
      assert.equal([...iterateBatches(resp.tablesResp[0]!.bucketsResp[0]!.records!)].length, 1);
    } finally {
      other.close();
    }
  });
});

/** Sends raw bytes and collects response frames until the socket closes or `count` frames arrived. */
function rawExchange(port: number, bytes: Uint8Array, count: number): Promise<{ frames: Uint8Array[]; closed: boolean }> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, "127.0.0.1");
    const decoder = new FrameDecoder();
    const frames: Uint8Array[] = [];
    const timer = setTimeout(() => {
      socket.destroy();
      resolve({ frames, closed: false });
    }, 2000);
    socket.on("connect", () => socket.write(bytes));
    socket.on("data", (chunk) => {
      frames.push(...decoder.push(chunk).map((f) => f.slice()));
      if (frames.length >= count) {
        clearTimeout(timer);
        socket.destroy();
        resolve({ frames, closed: false });
      }
    });
    socket.on("close", () => {
      clearTimeout(timer);
      resolve({ frames, closed: true });
    });
    socket.on("error", reject);
  });
}

test("malformed input never takes the server down", async () => {
  await withCluster(async (cluster, conn) => {
    // an absurd length prefix: SERVER_FAILURE, then the connection is closed
    const huge = await rawExchange(cluster.port, Uint8Array.of(0x7f, 0xff, 0xff, 0xff, 1, 2, 3), 1);
    assert.equal(huge.frames.length, 1);
    assert.equal(parseResponseFrame(huge.frames[0]!).type, ResponseType.SERVER_FAILURE);

    // garbage body for a known key and an unknown key: ERROR_RESPONSE each, connection stays usable
    const garbage = encodeRequestFrame(ApiKey.CREATE_TABLE, 0, 1, Uint8Array.of(0xff, 0xff, 0xff));
    const unknown = encodeRequestFrame(4242, 0, 2, new Uint8Array(0));
    const both = new Uint8Array(garbage.length + unknown.length);
    both.set(garbage);
    both.set(unknown, garbage.length);
    const r = await rawExchange(cluster.port, both, 2);
    assert.equal(r.frames.length, 2);
    const codes = r.frames.map((f) => {
      const parsed = parseResponseFrame(f);
      assert.equal(parsed.type, ResponseType.ERROR_RESPONSE);
      return ErrorResponse.decode(parsed.body).errorCode;
    });
    assert.deepEqual(codes.sort(), [ErrorCode.UNSUPPORTED_VERSION, ErrorCode.CORRUPT_MESSAGE].sort());

    // the established connection still works
    assert.equal((await conn.request(ApiKey.DATABASE_EXISTS, { databaseName: "fluss" })).exists, true);
  });
});

test("restart on the same data dir keeps catalog and records", async () => {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "flussjs-restart-"));
  try {
    let tableId = -1;
    await withCluster(
      async (_c, conn) => {
        tableId = await createLogTable(conn, "keep");
        await conn.request(ApiKey.PRODUCE_LOG, {
          acks: -1,
          tableId,
          timeoutMs: 1000,
          bucketsReq: [
            {
              bucketId: 0,
              records: arrowBatch(LOG_SCHEMA.rowType, [
                [1, "a"],
                [2, "b"],
              ]),
            },
          ],
        });
      },
      { dataDir },
    );
    const cluster = await LocalCluster.start({ dataDir });
    try {
      assert.equal(cluster.dataDir, dataDir);
      const conn = await connect(cluster);
      try {
        assert.equal((await conn.request(ApiKey.GET_TABLE_INFO, { tablePath: tp("keep") })).tableId, tableId);
        const f = await conn.request(ApiKey.FETCH_LOG, fetchReq(tableId, 0));
        assert.equal(f.tablesResp[0]!.bucketsResp[0]!.highWatermark, 2);
        assert.equal([...iterateBatches(f.tablesResp[0]!.bucketsResp[0]!.records!)].length, 1);
      } finally {
        conn.close();
      }
    } finally {
      await cluster.close();
    }
    assert.ok(fs.existsSync(dataDir), "a caller-provided data dir is kept");
  } finally {
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
});

test("a temporary data dir is removed on close", async () => {
  const cluster = await LocalCluster.start();
  const dir = cluster.dataDir;
  assert.ok(fs.existsSync(dir));
  assert.match(cluster.bootstrapServers, /^127\.0\.0\.1:\d+$/);
  await cluster.close();
  await cluster.close();
  assert.equal(fs.existsSync(dir), false);
});

test("produce rejects batches whose schema id or log format don't fit the table", async () => {
  await withCluster(async (_c, conn) => {
    const arrowTableId = await createLogTable(conn, "fmt_arrow");
    const indexedTableId = await createLogTable(conn, "fmt_indexed", { logFormat: "INDEXED" });
    const rt = LOG_SCHEMA.rowType;
    const produce = (tableId: number, records: Uint8Array) =>
      conn.request(ApiKey.PRODUCE_LOG, { acks: -1, tableId, timeoutMs: 1000, bucketsReq: [{ bucketId: 0, records }] });

    const wrongFormat = await produce(arrowTableId, indexedBatch(rt, [[1, "a"]]));
    assert.equal(wrongFormat.bucketsResp[0]!.errorCode, ErrorCode.INVALID_TABLE_EXCEPTION);
    assert.match(wrongFormat.bucketsResp[0]!.errorMessage!, /ARROW log format/);
    const wrongFormat2 = await produce(indexedTableId, arrowBatch(rt, [[1, "a"]]));
    assert.equal(wrongFormat2.bucketsResp[0]!.errorCode, ErrorCode.INVALID_TABLE_EXCEPTION);

    const badSchema = indexedBatch(rt, [[1, "a"]]);
    // schema id lives at byte 25 of a V0 header; the CRC covers it, so fix the CRC too
    new DataView(badSchema.buffer, badSchema.byteOffset).setInt16(25, 7, true);
    updateLogBatchCrc(badSchema, 0);
    const r = await produce(indexedTableId, badSchema);
    assert.equal(r.bucketsResp[0]!.errorCode, ErrorCode.SCHEMA_NOT_EXIST);

    const ok = await produce(indexedTableId, indexedBatch(rt, [[1, "a"]]));
    assert.deepEqual(ok.bucketsResp, [{ bucketId: 0, baseOffset: 0 }], "nothing was appended by the rejected batches");
  });
});

test("fetch projection follows Java's rules: ascending, unique, in range", async () => {
  await withCluster(async (_c, conn) => {
    const tableId = await createLogTable(conn, "proj_rules");
    await conn.request(ApiKey.PRODUCE_LOG, {
      acks: -1,
      tableId,
      timeoutMs: 1000,
      bucketsReq: [{ bucketId: 0, records: arrowBatch(LOG_SCHEMA.rowType, [[1, "a"]]) }],
    });
    for (const [fields, pattern] of [
      [[1, 0], /field order/],
      [[0, 0], /duplicated/],
      [[0, 5], /out of bound/],
      [[], /Empty projection/],
    ] as const) {
      const resp = await conn.request(ApiKey.FETCH_LOG, fetchReq(tableId, 0, {}, [...fields]));
      const b = resp.tablesResp[0]!.bucketsResp[0]!;
      assert.equal(b.errorCode, ErrorCode.INVALID_COLUMN_PROJECTION, `projection ${fields.join(",")}`);
      assert.match(b.errorMessage!, pattern);
    }
  });
});
