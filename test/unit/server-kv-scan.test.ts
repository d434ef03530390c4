/** LimitScan / ScanKv of the local cluster at the protocol level, and KvStore views. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { ApiKey } from "../../src/rpc/api-keys.js";
import { ErrorCode } from "../../src/rpc/errors.js";
import type { ScanKvRequest, ScanKvResponse } from "../../src/rpc/messages.js";
import type { ServerConnection } from "../../src/rpc/server-connection.js";
import { DataTypes } from "../../src/metadata/data-types.js";
import { Schema } from "../../src/metadata/schema.js";
import { forEachValueRecord } from "../../src/record/value-batch.js";
import { KvStore } from "../../src/server/kv/kv-store.js";
import { tableJson, withCluster } from "./server-test-util.js";
import { createPkTable, putKv, tp, type PkTable } from "./server-kv-helpers.js";

const SCHEMA = Schema.builder().column("id", DataTypes.INT()).column("name", DataTypes.STRING()).primaryKey(["id"]).build();

function rowsOf(t: PkTable, records: Uint8Array | undefined): unknown[][] {
  const out: unknown[][] = [];
  if (records) forEachValueRecord(records, (sid, b, s, n) => out.push([sid, ...t.decodeRow(b.subarray(s, s + n))]));
  return out;
}

async function scan(conn: ServerConnection, req: ScanKvRequest): Promise<ScanKvResponse> {
  return conn.request(ApiKey.SCAN_KV, req);
}

test("ScanKv: chunks of at most batch_size_bytes (at least one row), log_offset on the first response, session ends with the data", async () => {
  await withCluster(async (_c, conn) => {
    const t = await createPkTable(conn, "users", SCHEMA);
    await putKv(
      conn,
      t,
      Array.from({ length: 20 }, (_, i) => ({ upsert: [i, `name-${i}`] })),
    );
    await putKv(conn, t, [{ delete: [3, null] }, { upsert: [4, "four"] }]);
    const first = await scan(conn, { bucketScanReq: { tableId: t.tableId, bucketId: 0 }, callSeqId: 0, batchSizeBytes: 1 });
    assert.equal(first.errorCode, undefined);
    assert.equal(first.logOffset, 23); // 20 +I, then -D, -U, +U
    assert.equal(first.hasMoreResults, true);
    assert.equal(rowsOf(t, first.records).length, 1); // one row even below the size
    const id = first.scannerId!;
    assert.equal(Buffer.from(id).toString("utf8").length, 32);
    const rows = rowsOf(t, first.records);
    let seq = 0;
    let resp = first;
    while (resp.hasMoreResults) {
      resp = await scan(conn, { scannerId: id, callSeqId: ++seq, batchSizeBytes: 40 });
      assert.equal(resp.errorCode, undefined, resp.errorMessage);
      assert.equal(resp.logOffset, undefined);
      const chunk = rowsOf(t, resp.records);
      assert.ok(chunk.length >= 1 && chunk.length <= 3, `chunk of ${chunk.length}`);
      rows.push(...chunk);
    }
    assert.equal(rows.length, 19);
    assert.deepEqual(
      rows.find((r) => r[1] === 4),
      [1, 4, "four"],
    );
    assert.equal(
      rows.find((r) => r[1] === 3),
      undefined,
    );
    // the session is gone once the data ended
    const after = await scan(conn, { scannerId: id, callSeqId: ++seq, batchSizeBytes: 40 });
    assert.equal(after.errorCode, ErrorCode.UNKNOWN_SCANNER_ID);
  });
});

test("ScanKv: Java's request checks and error codes", async () => {
  await withCluster(async (_c, conn) => {
    const t = await createPkTable(conn, "users", SCHEMA);
    await putKv(
      conn,
      t,
      Array.from({ length: 10 }, (_, i) => ({ upsert: [i, `n${i}`] })),
    );
    const bucket = { tableId: t.tableId, bucketId: 0 };
    const code = async (req: ScanKvRequest): Promise<number | undefined> => (await scan(conn, req)).errorCode;
    assert.equal(
      await code({ scannerId: new Uint8Array(4), bucketScanReq: bucket, callSeqId: 0, batchSizeBytes: 10 }),
      ErrorCode.INVALID_SCAN_REQUEST,
    );
    assert.equal(await code({ bucketScanReq: bucket, closeScanner: true, batchSizeBytes: 10 }), ErrorCode.INVALID_SCAN_REQUEST);
    assert.equal(await code({ callSeqId: 0, batchSizeBytes: 10 }), ErrorCode.INVALID_SCAN_REQUEST);
    assert.equal(await code({ bucketScanReq: bucket, callSeqId: 0 }), ErrorCode.INVALID_SCAN_REQUEST);
    assert.equal(await code({ bucketScanReq: bucket, callSeqId: 0, batchSizeBytes: 0 }), ErrorCode.INVALID_SCAN_REQUEST);
    assert.equal(await code({ bucketScanReq: bucket, batchSizeBytes: 10 }), ErrorCode.INVALID_SCAN_REQUEST);
    assert.equal(
      await code({ bucketScanReq: { tableId: t.tableId, bucketId: 5 }, callSeqId: 0, batchSizeBytes: 10 }),
      ErrorCode.UNKNOWN_TABLE_OR_BUCKET_EXCEPTION,
    );
    assert.equal(
      await code({ bucketScanReq: { tableId: 999, bucketId: 0 }, callSeqId: 0, batchSizeBytes: 10 }),
      ErrorCode.UNKNOWN_TABLE_OR_BUCKET_EXCEPTION,
    );
    assert.equal(await code({ scannerId: Buffer.from("nope"), callSeqId: 1, batchSizeBytes: 10 }), ErrorCode.UNKNOWN_SCANNER_ID);
    // closing an unknown scanner is fine
    const closed = await scan(conn, { scannerId: Buffer.from("nope"), closeScanner: true });
    assert.deepEqual([closed.errorCode, closed.hasMoreResults], [undefined, false]);
    // a log table has no KV state
    await conn.request(ApiKey.CREATE_TABLE, {
      tablePath: tp("log"),
      tableJson: tableJson(Schema.builder().column("id", DataTypes.INT()).build(), { bucketCount: 1 }),
      ignoreIfExists: false,
    });
    const logId = (await conn.request(ApiKey.GET_TABLE_INFO, { tablePath: tp("log") })).tableId;
    assert.equal(
      await code({ bucketScanReq: { tableId: logId, bucketId: 0 }, callSeqId: 0, batchSizeBytes: 10 }),
      ErrorCode.NON_PRIMARY_KEY_TABLE_EXCEPTION,
    );

    // an out-of-order call_seq_id fails and ends the session (TabletService.scanKv's finally)
    const open = await scan(conn, { bucketScanReq: bucket, callSeqId: 0, batchSizeBytes: 1 });
    const bad = await scan(conn, { scannerId: open.scannerId!, callSeqId: 5, batchSizeBytes: 1 });
    assert.equal(bad.errorCode, ErrorCode.INVALID_SCAN_REQUEST);
    assert.match(bad.errorMessage!, /expected callSeqId=1 but got 5/);
    assert.equal(await code({ scannerId: open.scannerId!, callSeqId: 1, batchSizeBytes: 1 }), ErrorCode.UNKNOWN_SCANNER_ID);
    // a repeated call_seq_id is out of order too
    const again = await scan(conn, { bucketScanReq: bucket, callSeqId: 0, batchSizeBytes: 1 });
    assert.equal((await scan(conn, { scannerId: again.scannerId!, callSeqId: 1, batchSizeBytes: 1 })).errorCode, undefined);
    assert.equal(await code({ scannerId: again.scannerId!, callSeqId: 1, batchSizeBytes: 1 }), ErrorCode.INVALID_SCAN_REQUEST);
    // close ends a session
    const s = await scan(conn, { bucketScanReq: bucket, callSeqId: 0, batchSizeBytes: 1 });
    const c = await scan(conn, { scannerId: s.scannerId!, closeScanner: true });
    assert.deepEqual(
      [c.errorCode, c.hasMoreResults, Buffer.from(c.scannerId!).equals(Buffer.from(s.scannerId!))],
      [undefined, false, true],
    );
    assert.equal(await code({ scannerId: s.scannerId!, callSeqId: 1, batchSizeBytes: 1 }), ErrorCode.UNKNOWN_SCANNER_ID);
  });
});

test("ScanKv: sessions per bucket are bounded (TOO_MANY_SCANNERS); an empty bucket opens none; a dropped table's sessions answer SCANNER_EXPIRED", async () => {
  await withCluster(
    async (_c, conn) => {
      const t = await createPkTable(conn, "users", SCHEMA, { bucketCount: 2 });
      await putKv(conn, t, [{ upsert: [1, "a"] }, { upsert: [2, "b"] }]);
      const bucket = { tableId: t.tableId, bucketId: 0 };
      const a = await scan(conn, { bucketScanReq: bucket, callSeqId: 0, batchSizeBytes: 1 });
      const b = await scan(conn, { bucketScanReq: bucket, callSeqId: 0, batchSizeBytes: 1 });
      assert.equal(a.hasMoreResults, true);
      assert.equal(b.hasMoreResults, true);
      const c = await scan(conn, { bucketScanReq: bucket, callSeqId: 0, batchSizeBytes: 1 });
      assert.equal(c.errorCode, ErrorCode.TOO_MANY_SCANNERS);
      assert.match(c.errorMessage!, /per-bucket limit of 2/);
      // bucket 1 holds nothing: no session, but the offset
      const empty = await scan(conn, { bucketScanReq: { tableId: t.tableId, bucketId: 1 }, callSeqId: 0, batchSizeBytes: 1 });
      assert.deepEqual(
        [empty.errorCode, empty.hasMoreResults, empty.scannerId, empty.logOffset],
        [undefined, false, undefined, 0],
      );
      await conn.request(ApiKey.DROP_TABLE, { tablePath: tp("users"), ignoreIfNotExists: false });
      const late = await scan(conn, { scannerId: a.scannerId!, callSeqId: 1, batchSizeBytes: 1 });
      assert.equal(late.errorCode, ErrorCode.SCANNER_EXPIRED);
    },
    { kv: { scannerMaxPerBucket: 2 } },
  );
});

test("LimitScan: last records of a log bucket under the high watermark, first rows of a PK bucket, errors as Java's", async () => {
  await withCluster(async (_c, conn) => {
    const t = await createPkTable(conn, "users", SCHEMA);
    await putKv(
      conn,
      t,
      Array.from({ length: 10 }, (_, i) => ({ upsert: [i, `n${i}`] })),
    );
    const pk = await conn.request(ApiKey.LIMIT_SCAN, { tableId: t.tableId, bucketId: 0, limit: 4 });
    assert.equal(pk.isLogTable, false);
    assert.equal(rowsOf(t, pk.records).length, 4);
    // the PK table's changelog is not what LimitScan returns for it
    const all = await conn.request(ApiKey.LIMIT_SCAN, { tableId: t.tableId, bucketId: 0, limit: 100 });
    assert.equal(rowsOf(t, all.records).length, 10);
    const unknown = await conn.request(ApiKey.LIMIT_SCAN, { tableId: t.tableId, bucketId: 3, limit: 4 });
    assert.equal(unknown.errorCode, ErrorCode.UNKNOWN_TABLE_OR_BUCKET_EXCEPTION);
    assert.equal(unknown.records, undefined);
  });
});

test("KvStore views: consistent under puts and deletes, the overlay folded back when the last closes", () => {
  const s = new KvStore((k) => k.slice(0, 1));
  for (const k of ["a1", "a2", "b1", "b2"]) s.put(k, `v-${k}`);
  const v1 = s.openView();
  s.put("a1", "new");
  s.delete("b1");
  s.put("c1", "v-c1");
  const v2 = s.openView();
  s.delete("c1");
  s.put("b1", "back");
  assert.deepEqual([...v1.values()].sort(), ["v-a1", "v-a2", "v-b1", "v-b2"]);
  assert.deepEqual([...v2.values()].sort(), ["new", "v-a2", "v-b2", "v-c1"]);
  assert.deepEqual([...s.entries()].map(([, v]) => v).sort(), ["back", "new", "v-a2", "v-b2"]);
  assert.equal(s.size, 4);
  assert.deepEqual(s.prefix("b").sort(), ["back", "v-b2"]);
  assert.deepEqual(s.prefix("c"), []);
  assert.equal(s.get("c1"), undefined);
  v1.close();
  assert.deepEqual([...v2.values()].sort(), ["new", "v-a2", "v-b2", "v-c1"]);
  v2.close();
  assert.equal(s.openViews, 0);
  assert.deepEqual([...s.entries()].map(([, v]) => v).sort(), ["back", "new", "v-a2", "v-b2"]);
  assert.equal(s.size, 4);
  const v3 = s.openView();
  s.clear();
  assert.equal(v3.valid, false);
  assert.deepEqual([...v3.values()], []);
});
