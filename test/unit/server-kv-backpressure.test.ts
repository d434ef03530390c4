/** PutKv backpressure: pressure hints and STORAGE_BACKPRESSURE (v2) / KV_STORAGE_EXCEPTION (v0, v1). */
import { test } from "node:test";
import assert from "node:assert/strict";
import { ApiKey } from "../../src/rpc/api-keys.js";
import { ErrorCode } from "../../src/rpc/errors.js";
import * as M from "../../src/rpc/messages.js";
import { DataTypes } from "../../src/metadata/data-types.js";
import { Schema } from "../../src/metadata/schema.js";
import { withCluster } from "./server-test-util.js";
import { createPkTable, kvBatch, lookupRows, putKv, type PkTable } from "./server-kv-helpers.js";

const SCHEMA = Schema.builder().column("id", DataTypes.INT()).column("s", DataTypes.STRING()).primaryKey(["id"]).build();

function request(t: PkTable, ids: number[]): M.PutKvRequest {
  return {
    acks: -1,
    tableId: t.tableId,
    timeoutMs: 5000,
    targetColumns: [],
    bucketsReq: [
      {
        bucketId: 0,
        records: kvBatch(
          t,
          ids.map((id) => ({ upsert: [id, "x".repeat(200)] })),
        ),
      },
    ],
  };
}

/** Sends `n` PutKv requests at once with API `version`; returns the bucket results. */
async function burst(conn: Parameters<Parameters<typeof withCluster>[0]>[1], t: PkTable, n: number, version: number) {
  const sends = [];
  for (let i = 0; i < n; i++) {
    const body = M.PutKvRequest.encode(request(t, [i * 10, i * 10 + 1, i * 10 + 2]));
    sends.push(conn.requestRaw(ApiKey.PUT_KV, body, version).then((b) => M.PutKvResponse.decode(b).bucketsResp[0]!));
  }
  return Promise.all(sends);
}

for (const [version, code] of [
  [2, ErrorCode.STORAGE_BACKPRESSURE_EXCEPTION],
  [1, ErrorCode.KV_STORAGE_EXCEPTION],
  [0, ErrorCode.KV_STORAGE_EXCEPTION],
] as const) {
  test(`a bucket whose pending apply work exceeds its budget refuses PutKv v${version} with ${code}`, async () => {
    await withCluster(
      async (_c, conn) => {
        const t = await createPkTable(conn, "bp", SCHEMA);
        await putKv(conn, t, [{ upsert: [-1, "warm"] }]); // the tablet is open
        const results = await burst(conn, t, 12, version);
        const refused = results.filter((r) => r.errorCode !== undefined);
        const done = results.filter((r) => r.errorCode === undefined);
        assert.ok(refused.length > 0, "some requests were refused");
        assert.ok(done.length > 0, "the first request went through");
        for (const r of refused) {
          assert.equal(r.errorCode, code);
          assert.match(r.errorMessage!, /flush budget exceeded/);
        }
        // what was acknowledged is there, what was refused is not
        for (let i = 0; i < 12; i++) {
          const [row] = await lookupRows(conn, t, [[i * 10]]);
          assert.equal(row !== null, results[i]!.errorCode === undefined, `request ${i}`);
        }
      },
      { kv: { maxPendingBytes: 1 } },
    );
  });
}

test("PutKv reports pressure while work queues up behind a bucket", async () => {
  await withCluster(
    async (_c, conn) => {
      const t = await createPkTable(conn, "pr", SCHEMA);
      await putKv(conn, t, [{ upsert: [-1, "warm"] }]);
      const size = request(t, [0, 1, 2]).bucketsReq[0]!.records.length;
      assert.ok(8 * size < 6000 && 6 * size > 3000, `batch size ${size}`);
      const results = await burst(conn, t, 8, 2);
      assert.ok(results.every((r) => r.errorCode === undefined));
      const pressures = results.map((r) => r.pressure ?? 0);
      assert.ok(
        pressures.some((p) => p > 0),
        `pressures ${pressures.join(",")}`,
      );
      assert.ok(pressures.every((p) => p >= 0 && p < 1));
      // the last one has nothing queued behind it
      assert.equal(pressures.at(-1), 0);
    },
    { kv: { maxPendingBytes: 6000 } },
  );
});
