/**
 * KvTablet applies records straight to the state with an undo log: a duplicate, failed or
 * half-applied batch leaves the state as it was, and lookups during an in-flight append see
 * the values from before the batch.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { ApiKey } from "../../src/rpc/api-keys.js";
import { ErrorCode } from "../../src/rpc/errors.js";
import { DataTypes } from "../../src/metadata/data-types.js";
import { Schema } from "../../src/metadata/schema.js";
import { CompactedKeyEncoder } from "../../src/row/compacted-key.js";
import { forEachValueRecord } from "../../src/record/value-batch.js";
import type { ServerConnection } from "../../src/rpc/server-connection.js";
import { LogTablet } from "../../src/server/storage/log-tablet.js";
import { withCluster } from "./server-test-util.js";
import { createPkTable, kvBatch, lookupRows, putKv, readChangelog, show, type PkTable } from "./server-kv-helpers.js";

const SCHEMA = Schema.builder()
  .column("region", DataTypes.STRING())
  .column("user_id", DataTypes.INT())
  .column("score", DataTypes.BIGINT())
  .primaryKey(["region", "user_id"])
  .build();

async function prefixRows(
  conn: Parameters<Parameters<typeof withCluster>[0]>[1],
  t: PkTable,
  region: string,
): Promise<unknown[][]> {
  const enc = new CompactedKeyEncoder([DataTypes.STRING()]);
  const resp = await conn.request(ApiKey.PREFIX_LOOKUP, {
    tableId: t.tableId,
    bucketsReq: [{ bucketId: 0, keys: [enc.encode([region])] }],
  });
  const b = resp.bucketsResp[0]!;
  assert.equal(b.errorCode, undefined);
  return b.valueLists[0]!.values.map((v) => t.decodeRow(v, 2)).sort((x, y) => Number(x[1]) - Number(y[1]));
}

test("a re-sent batch after later writes is a duplicate and leaves the newer state (prefix index too)", async () => {
  await withCluster(async (_c, conn) => {
    const t = await createPkTable(conn, "undo_dup", SCHEMA, { bucketKeys: ["region"] });
    const first = [{ upsert: ["US", 1, 10n] }, { upsert: ["US", 2, 20n] }, { upsert: ["US", 1, 11n] }];
    await putKv(conn, t, first, { writerId: 3, batchSequence: 0 });
    await putKv(conn, t, [{ delete: ["US", 2, null] }, { upsert: ["US", 1, 12n] }], { writerId: 3, batchSequence: 1 });
    const again = await putKv(conn, t, first, { writerId: 3, batchSequence: 0 });
    assert.equal(again.errorCode, undefined);
    assert.deepEqual(
      await lookupRows(conn, t, [
        ["US", 1],
        ["US", 2],
      ]),
      [["US", 1, 12n], null],
    );
    assert.deepEqual(await prefixRows(conn, t, "US"), [["US", 1, 12n]]);
    // an out-of-order batch (an append failure) is undone as well
    const gap = await putKv(conn, t, [{ upsert: ["US", 7, 70n] }, { delete: ["US", 1, null] }], {
      writerId: 3,
      batchSequence: 9,
    });
    assert.equal(gap.errorCode, ErrorCode.OUT_OF_ORDER_SEQUENCE_EXCEPTION);
    assert.deepEqual(
      await lookupRows(conn, t, [
        ["US", 1],
        ["US", 7],
      ]),
      [["US", 1, 12n], null],
    );
    assert.deepEqual(await prefixRows(conn, t, "US"), [["US", 1, 12n]]);
    // the next write starts from the restored state: an update of key 1, an insert of key 2
    await putKv(conn, t, [{ upsert: ["US", 1, 13n] }, { upsert: ["US", 2, 21n] }], { writerId: 3, batchSequence: 2 });
    assert.deepEqual(show((await readChangelog(conn, t)).records).slice(-3), ["-U(US,1,12)", "+U(US,1,13)", "+I(US,2,21)"]);
  });
});

test("lookups and prefix lookups during an in-flight append see the state from before the batch", async () => {
  const original = LogTablet.prototype.append;
  let release!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  let held = 0;
  try {
    await withCluster(async (_c, conn) => {
      const t = await createPkTable(conn, "undo_inflight", SCHEMA, { bucketKeys: ["region"] });
      await putKv(conn, t, [{ upsert: ["US", 1, 10n] }, { upsert: ["US", 2, 20n] }]);
      LogTablet.prototype.append = function (this: LogTablet, ...args: Parameters<LogTablet["append"]>) {
        held++;
        return gate.then(() => original.apply(this, args));
      };
      const put = conn.request(ApiKey.PUT_KV, {
        acks: -1,
        tableId: t.tableId,
        timeoutMs: 5000,
        targetColumns: [],
        bucketsReq: [
          {
            bucketId: 0,
            records: kvBatch(t, [
              { upsert: ["US", 1, 11n] },
              { delete: ["US", 2, null] },
              { upsert: ["US", 3, 30n] },
              { upsert: ["US", 1, 12n] },
            ]),
          },
        ],
      });
      while (held === 0) await new Promise((r) => setTimeout(r, 5));
      assert.deepEqual(
        await lookupRows(conn, t, [
          ["US", 1],
          ["US", 2],
          ["US", 3],
        ]),
        [["US", 1, 10n], ["US", 2, 20n], null],
      );
      assert.deepEqual(await prefixRows(conn, t, "US"), [
        ["US", 1, 10n],
        ["US", 2, 20n],
      ]);
      release();
      assert.equal((await put).bucketsResp[0]!.errorCode, undefined);
      LogTablet.prototype.append = original;
      assert.deepEqual(
        await lookupRows(conn, t, [
          ["US", 1],
          ["US", 2],
          ["US", 3],
        ]),
        [["US", 1, 12n], null, ["US", 3, 30n]],
      );
      assert.deepEqual(await prefixRows(conn, t, "US"), [
        ["US", 1, 12n],
        ["US", 3, 30n],
      ]);
    });
  } finally {
    LogTablet.prototype.append = original;
    release();
  }
});

function valueRows(t: PkTable, records: Uint8Array | undefined): unknown[][] {
  const out: unknown[][] = [];
  if (records) forEachValueRecord(records, (_sid, b, s, n) => out.push(t.decodeRow(b.subarray(s, s + n))));
  return out.sort((x, y) => Number(x[1]) - Number(y[1]));
}

/** Opens a ScanKv session of one row per chunk; `rest()` reads the session to its end. */
async function openScan(conn: ServerConnection, t: PkTable) {
  const first = await conn.request(ApiKey.SCAN_KV, {
    bucketScanReq: { tableId: t.tableId, bucketId: 0 },
    callSeqId: 0,
    batchSizeBytes: 1,
  });
  assert.equal(first.errorCode, undefined, first.errorMessage);
  const rows = valueRows(t, first.records);
  return {
    logOffset: first.logOffset,
    async rest(): Promise<unknown[][]> {
      let resp = first;
      let seq = 0;
      while (resp.hasMoreResults) {
        resp = await conn.request(ApiKey.SCAN_KV, { scannerId: first.scannerId!, callSeqId: ++seq, batchSizeBytes: 1 });
        assert.equal(resp.errorCode, undefined, resp.errorMessage);
        rows.push(...valueRows(t, resp.records));
      }
      return rows.sort((x, y) => Number(x[1]) - Number(y[1]));
    },
  };
}

/** Holds `LogTablet.append` until `release()`; `held()` resolves once an append is waiting. */
function holdAppends() {
  const original = LogTablet.prototype.append;
  let release!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  let count = 0;
  LogTablet.prototype.append = function (this: LogTablet, ...args: Parameters<LogTablet["append"]>) {
    count++;
    return gate.then(() => original.apply(this, args));
  };
  return {
    async held(): Promise<void> {
      while (count === 0) await new Promise((r) => setTimeout(r, 5));
    },
    release,
    restore(): void {
      LogTablet.prototype.append = original;
      release();
    },
  };
}

test("scans during an in-flight append hold the state its log_offset stands for; a rollback leaves open views as they were", async () => {
  const original = LogTablet.prototype.append;
  try {
    await withCluster(async (_c, conn) => {
      const t = await createPkTable(conn, "undo_scan", SCHEMA, { bucketKeys: ["region"] });
      await putKv(conn, t, [{ upsert: ["US", 1, 10n] }, { upsert: ["US", 2, 20n] }], { writerId: 5, batchSequence: 0 });
      const old = [
        ["US", 1, 10n],
        ["US", 2, 20n],
      ];
      // 1. a scan and a limit scan opened while a batch is applied but not appended
      let hold = holdAppends();
      const put = putKv(conn, t, [{ upsert: ["US", 1, 11n] }, { delete: ["US", 2, null] }, { upsert: ["US", 3, 30n] }], {
        writerId: 5,
        batchSequence: 1,
      });
      await hold.held();
      const during = await openScan(conn, t);
      assert.equal(during.logOffset, 2);
      const limit = await conn.request(ApiKey.LIMIT_SCAN, { tableId: t.tableId, bucketId: 0, limit: 10 });
      assert.deepEqual(valueRows(t, limit.records), old);
      hold.release();
      assert.equal((await put).errorCode, undefined);
      hold.restore();
      const after = await openScan(conn, t);
      assert.equal(after.logOffset, 6); // -U +U, -D, +I
      assert.deepEqual(await after.rest(), [
        ["US", 1, 11n],
        ["US", 3, 30n],
      ]);
      assert.deepEqual(await during.rest(), old);
      // the changelog from each offset completes each view to the same state
      assert.deepEqual(show((await readChangelog(conn, t)).records).slice(2), [
        "-U(US,1,10)",
        "+U(US,1,11)",
        "-D(US,2,20)",
        "+I(US,3,30)",
      ]);
      // 2. a batch that fails while views are open (its changes went to the overlay)
      const open = await openScan(conn, t);
      hold = holdAppends();
      const gap = putKv(conn, t, [{ upsert: ["US", 1, 99n] }, { delete: ["US", 3, null] }, { upsert: ["US", 4, 40n] }], {
        writerId: 5,
        batchSequence: 9,
      });
      await hold.held();
      const mid = await openScan(conn, t);
      assert.equal(mid.logOffset, 6);
      hold.release();
      assert.equal((await gap).errorCode, ErrorCode.OUT_OF_ORDER_SEQUENCE_EXCEPTION);
      hold.restore();
      const now = [
        ["US", 1, 11n],
        ["US", 3, 30n],
      ];
      assert.deepEqual(await mid.rest(), now);
      assert.deepEqual(await open.rest(), now);
      // every view closed: the overlay folded back holds the restored state
      const last = await openScan(conn, t);
      assert.equal(last.logOffset, 6);
      assert.deepEqual(await last.rest(), now);
      assert.deepEqual(
        await lookupRows(conn, t, [
          ["US", 1],
          ["US", 3],
          ["US", 4],
        ]),
        [["US", 1, 11n], ["US", 3, 30n], null],
      );
      assert.deepEqual(await prefixRows(conn, t, "US"), now);
    });
  } finally {
    LogTablet.prototype.append = original;
  }
});
