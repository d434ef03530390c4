/** PutKv / Lookup / PrefixLookup of the local cluster over real sockets. */
import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { ApiKey } from "../../src/rpc/api-keys.js";
import { ErrorCode } from "../../src/rpc/errors.js";
import { DataTypes, notNull } from "../../src/metadata/data-types.js";
import { Schema } from "../../src/metadata/schema.js";
import type { LogFormat, KvFormat } from "../../src/metadata/table-options.js";
import { arrowBatch, tableJson, withCluster } from "./server-test-util.js";
import { CompactedKeyEncoder } from "../../src/row/compacted-key.js";
import { KvRecordBatchBuilder } from "../../src/record/kv-batch.js";
import { Timestamp } from "../../src/row/values.js";
import { createPkTable, lookupRaw, lookupRows, putKv, readChangelog, reopen, show, tp } from "./server-kv-helpers.js";

const SCHEMA = Schema.builder()
  .column("id", DataTypes.INT())
  .column("name", DataTypes.STRING())
  .column("age", DataTypes.INT())
  .primaryKey(["id"])
  .build();

const COMBOS: [KvFormat, LogFormat][] = [
  ["COMPACTED", "ARROW"],
  ["COMPACTED", "COMPACTED"],
  ["INDEXED", "ARROW"],
  ["INDEXED", "INDEXED"],
  ["INDEXED", "COMPACTED"],
];

for (const [kvFormat, logFormat] of COMBOS) {
  test(`change types: kv ${kvFormat}, changelog ${logFormat}`, async () => {
    await withCluster(async (_c, conn) => {
      const t = await createPkTable(conn, "users", SCHEMA, { kvFormat, logFormat });
      const r1 = await putKv(conn, t, [{ upsert: [1, "a", 10] }, { upsert: [2, "b", 20] }, { upsert: [1, "a2", 11] }]);
      assert.deepEqual(r1, { bucketId: 0, logEndOffset: 4 });
      // delete present, delete absent, upsert equal to the stored row (Java still writes -U/+U)
      const r2 = await putKv(conn, t, [{ delete: [2, null, null] }, { delete: [3, null, null] }, { upsert: [1, "a2", 11] }]);
      assert.deepEqual(r2, { bucketId: 0, logEndOffset: 7 });
      // a batch with no change still takes one offset (an empty changelog batch)
      const r3 = await putKv(conn, t, [{ delete: [9, null, null] }]);
      assert.deepEqual(r3, { bucketId: 0, logEndOffset: 8 });
      const { records, batches, hw } = await readChangelog(conn, t);
      assert.equal(hw, 8);
      assert.deepEqual(show(records), [
        "+I(1,a,10)",
        "+I(2,b,20)",
        "-U(1,a,10)",
        "+U(1,a2,11)",
        "-D(2,b,20)",
        "-U(1,a2,11)",
        "+U(1,a2,11)",
      ]);
      assert.deepEqual(
        records.map((r) => r.offset),
        [0, 1, 2, 3, 4, 5, 6],
      );
      assert.deepEqual(
        batches.map((b) => [b.baseOffset, b.recordCount]),
        [
          [0, 4],
          [4, 3],
          [7, 0],
        ],
      );
      assert.deepEqual(await lookupRows(conn, t, [[1], [2], [3]]), [[1, "a2", 11], null, null]);
      // the looked-up value is int16 schema id + the row exactly as the kv format encodes it
      const raw = (await lookupRaw(conn, t, [[1]]))[0]!;
      assert.deepEqual([...raw], [1, 0, ...t.encodeRow([1, "a2", 11])]);
    }, {});
  });
}

test("INDEXED changelog with a COMPACTED kv format is refused as Java does", async () => {
  await withCluster(async (_c, conn) => {
    const t = await createPkTable(conn, "bad", SCHEMA, { kvFormat: "COMPACTED", logFormat: "INDEXED" }).catch(() => undefined);
    if (!t) return; // create-time validation refused it already
    const r = await putKv(conn, t, [{ upsert: [1, "a", 1] }]);
    assert.equal(r.errorCode, ErrorCode.UNKNOWN_SERVER_ERROR);
    assert.match(r.errorMessage!, /COMPACTED kv format doesn't support INDEXED cdc log format/);
  });
});

test("partial update and partial delete (Java PartialUpdater)", async () => {
  await withCluster(async (_c, conn) => {
    const t = await createPkTable(conn, "partial", SCHEMA);
    await putKv(conn, t, [{ upsert: [1, "a", 10] }]);
    // update only age: name is kept
    await putKv(conn, t, [{ upsert: [1, null, 11] }, { upsert: [2, null, 5] }], { targetColumns: [0, 2] });
    assert.deepEqual(await lookupRows(conn, t, [[1], [2]]), [
      [1, "a", 11],
      [2, null, 5],
    ]);
    // partial delete of age: name is not null → -U/+U with age nulled; key 2 has only age → -D
    await putKv(conn, t, [{ delete: [1, null, null] }, { delete: [2, null, null] }], { targetColumns: [0, 2] });
    assert.deepEqual(await lookupRows(conn, t, [[1], [2]]), [[1, "a", null], null]);
    // target columns = the primary key only: an existing row is unchanged (no changelog)
    const before = (await readChangelog(conn, t)).records.length;
    await putKv(conn, t, [{ upsert: [1, null, null] }], { targetColumns: [0] });
    assert.equal((await readChangelog(conn, t)).records.length, before);
    const { records } = await readChangelog(conn, t);
    assert.deepEqual(show(records), [
      "+I(1,a,10)",
      "-U(1,a,10)",
      "+U(1,a,11)",
      "+I(2,null,5)",
      "-U(1,a,11)",
      "+U(1,a,null)",
      "-D(2,null,5)",
    ]);
    // target columns without the primary key
    const bad = await putKv(conn, t, [{ upsert: [1, "x", null] }], { targetColumns: [1] });
    assert.equal(bad.errorCode, ErrorCode.INVALID_TARGET_COLUMN);
    assert.match(bad.errorMessage!, /must contain the primary key columns \[id\]/);
    // all columns as target columns is a plain upsert
    const all = await putKv(conn, t, [{ upsert: [1, "z", 1] }], { targetColumns: [2, 1, 0] });
    assert.equal(all.errorCode, undefined);
    assert.deepEqual(await lookupRows(conn, t, [[1]]), [[1, "z", 1]]);
  });
});

test("partial update needs nullable non-key columns", async () => {
  const schema = Schema.builder()
    .column("id", DataTypes.INT())
    .column("name", DataTypes.STRING())
    .column("age", notNull(DataTypes.INT()))
    .primaryKey(["id"])
    .build();
  await withCluster(async (_c, conn) => {
    const t = await createPkTable(conn, "nn", schema);
    const r = await putKv(conn, t, [{ upsert: [1, "a", 1] }], { targetColumns: [0, 1] });
    assert.equal(r.errorCode, ErrorCode.INVALID_TARGET_COLUMN);
    assert.match(r.errorMessage!, /column age is NOT NULL/);
  });
});

test("idempotent re-send of a KV batch is applied once", async () => {
  await withCluster(async (_c, conn) => {
    const t = await createPkTable(conn, "idem", SCHEMA);
    const w = { writerId: 7, batchSequence: 0 };
    const a = await putKv(conn, t, [{ upsert: [1, "a", 1] }], w);
    const again = await putKv(conn, t, [{ upsert: [1, "a", 1] }], w);
    assert.deepEqual(a, { bucketId: 0, logEndOffset: 1 });
    assert.deepEqual(again, { bucketId: 0, logEndOffset: 1 });
    const next = await putKv(conn, t, [{ upsert: [1, "b", 2] }], { writerId: 7, batchSequence: 1 });
    assert.deepEqual(next, { bucketId: 0, logEndOffset: 3 });
    const gap = await putKv(conn, t, [{ upsert: [1, "c", 3] }], { writerId: 7, batchSequence: 5 });
    assert.equal(gap.errorCode, ErrorCode.OUT_OF_ORDER_SEQUENCE_EXCEPTION);
    const { records, batches } = await readChangelog(conn, t);
    assert.deepEqual(show(records), ["+I(1,a,1)", "-U(1,a,1)", "+U(1,b,2)"]);
    assert.deepEqual(
      batches.map((b) => [b.writerId, b.batchSequence]),
      [
        [7, 0],
        [7, 1],
      ],
    );
    assert.deepEqual(await lookupRows(conn, t, [[1]]), [[1, "b", 2]]);
  });
});

test("produce to a PK table, PutKv to a log table and bad batches are refused", async () => {
  await withCluster(async (_c, conn) => {
    const t = await createPkTable(conn, "pk", SCHEMA);
    const p = await conn.request(ApiKey.PRODUCE_LOG, {
      acks: -1,
      tableId: t.tableId,
      timeoutMs: 1000,
      bucketsReq: [{ bucketId: 0, records: arrowBatch(t.rowType, [[1, "a", 1]]) }],
    });
    assert.equal(p.bucketsResp[0]!.errorCode, ErrorCode.INVALID_TABLE_EXCEPTION);
    const schema = Schema.builder().column("id", DataTypes.INT()).build();
    await conn.request(ApiKey.CREATE_TABLE, {
      tablePath: { databaseName: "fluss", tableName: "log" },
      tableJson: tableJson(schema),
      ignoreIfExists: false,
    });
    const logId = (await conn.request(ApiKey.GET_TABLE_INFO, { tablePath: { databaseName: "fluss", tableName: "log" } })).tableId;
    const l = await conn.request(ApiKey.LOOKUP, { tableId: logId, bucketsReq: [{ bucketId: 0, keys: [new Uint8Array([1])] }] });
    assert.equal(l.bucketsResp[0]!.errorCode, ErrorCode.NON_PRIMARY_KEY_TABLE_EXCEPTION);
    // a corrupt KV batch
    const bad = await conn.request(ApiKey.PUT_KV, {
      acks: -1,
      tableId: t.tableId,
      timeoutMs: 1000,
      targetColumns: [],
      bucketsReq: [{ bucketId: 0, records: new Uint8Array(40) }],
    });
    assert.equal(bad.bucketsResp[0]!.errorCode, ErrorCode.CORRUPT_MESSAGE);
    const unknown = await putKv(conn, t, [{ upsert: [1, "a", 1] }], { bucketId: 3 });
    assert.equal(unknown.errorCode, ErrorCode.UNKNOWN_TABLE_OR_BUCKET_EXCEPTION);
  });
});

test("prefix lookup by the bucket key (a leading part of the primary key)", async () => {
  const schema = Schema.builder()
    .column("region", DataTypes.STRING())
    .column("user_id", DataTypes.INT())
    .column("score", DataTypes.BIGINT())
    .primaryKey(["region", "user_id"])
    .build();
  await withCluster(async (_c, conn) => {
    const t = await createPkTable(conn, "scores", schema, { bucketKeys: ["region"] });
    await putKv(conn, t, [
      { upsert: ["US", 1, 10n] },
      { upsert: ["US", 2, 20n] },
      { upsert: ["EU", 1, 30n] },
      { upsert: ["USA", 3, 40n] },
    ]);
    await putKv(conn, t, [{ delete: ["US", 2, null] }, { upsert: ["US", 1, 11n] }, { upsert: ["US", 5, 50n] }]);
    const enc = new CompactedKeyEncoder([DataTypes.STRING()]);
    const resp = await conn.request(ApiKey.PREFIX_LOOKUP, {
      tableId: t.tableId,
      bucketsReq: [{ bucketId: 0, keys: [enc.encode(["US"]), enc.encode(["EU"]), enc.encode(["JP"])] }],
    });
    const b = resp.bucketsResp[0]!;
    assert.equal(b.errorCode, undefined);
    const rows = b.valueLists.map((l) =>
      l.values
        .map((v) => {
          assert.equal(v[0]! | (v[1]! << 8), 1);
          return t.decodeRow(v, 2);
        })
        .sort((x, y) => Number(x[1]) - Number(y[1])),
    );
    assert.deepEqual(rows, [
      [
        ["US", 1, 11n],
        ["US", 5, 50n],
      ],
      [["EU", 1, 30n]],
      [],
    ]);
    // the values are byte-exact stored values
    assert.deepEqual([...b.valueLists[1]!.values[0]!], [1, 0, ...t.encodeRow(["EU", 1, 30n])]);
  });
});

test("partitioned PK table: each partition has its own buckets and state", async () => {
  const schema = Schema.builder()
    .column("id", DataTypes.INT())
    .column("dt", DataTypes.STRING())
    .column("v", DataTypes.STRING())
    .primaryKey(["id", "dt"])
    .build();
  await withCluster(async (_c, conn) => {
    const t = await createPkTable(conn, "parts", schema, { partitionKeys: ["dt"] });
    for (const dt of ["2024", "2025"]) {
      await conn.request(ApiKey.CREATE_PARTITION, {
        tablePath: tp("parts"),
        partitionSpec: { partitionKeyValues: [{ key: "dt", value: dt }] },
        ignoreIfNotExists: false,
      });
    }
    const infos = await conn.request(ApiKey.LIST_PARTITION_INFOS, { tablePath: tp("parts") });
    const pid = new Map(infos.partitionsInfo.map((p) => [p.partitionSpec.partitionKeyValues[0]!.value, p.partitionId]));
    const p24 = pid.get("2024")!;
    const p25 = pid.get("2025")!;
    assert.deepEqual(await putKv(conn, t, [{ upsert: [1, "2024", "a"] }], { partitionId: p24 }), {
      bucketId: 0,
      partitionId: p24,
      logEndOffset: 1,
    });
    assert.deepEqual(await putKv(conn, t, [{ upsert: [1, "2025", "b"] }, { upsert: [1, "2025", "c"] }], { partitionId: p25 }), {
      bucketId: 0,
      partitionId: p25,
      logEndOffset: 3,
    });
    // the record key is the physical primary key (id only): same key bytes, separate states
    assert.deepEqual(await lookupRows(conn, t, [[1, "2024"]], 0, p24), [[1, "2024", "a"]]);
    assert.deepEqual(await lookupRows(conn, t, [[1, "2025"]], 0, p25), [[1, "2025", "c"]]);
    assert.deepEqual(show((await readChangelog(conn, t, 0, p25)).records), ["+I(1,2025,b)", "-U(1,2025,b)", "+U(1,2025,c)"]);
    const missing = await putKv(conn, t, [{ upsert: [1, "2026", "x"] }], { partitionId: 999 });
    assert.equal(missing.errorCode, ErrorCode.UNKNOWN_TABLE_OR_BUCKET_EXCEPTION);
    // dropping a partition drops its state
    await conn.request(ApiKey.DROP_PARTITION, {
      tablePath: tp("parts"),
      partitionSpec: { partitionKeyValues: [{ key: "dt", value: "2024" }] },
      ignoreIfNotExists: false,
    });
    const gone = await conn.request(ApiKey.LOOKUP, {
      tableId: t.tableId,
      bucketsReq: [{ bucketId: 0, partitionId: p24, keys: [t.keys.key([1, "2024"])] }],
    });
    assert.equal(gone.bucketsResp[0]!.errorCode, ErrorCode.UNKNOWN_TABLE_OR_BUCKET_EXCEPTION);
    assert.deepEqual(await lookupRows(conn, t, [[1, "2025"]], 0, p25), [[1, "2025", "c"]]);
  });
});

test("table.changelog.image WAL: inserts and updates are +U, deletes -D", async () => {
  await withCluster(async (_c, conn) => {
    const t = await createPkTable(conn, "wal", SCHEMA, { properties: { "table.changelog.image": "WAL" } });
    await putKv(conn, t, [
      { upsert: [1, "a", 1] },
      { upsert: [1, "b", 2] },
      { delete: [1, null, null] },
      { delete: [1, null, null] },
    ]);
    await putKv(conn, t, [{ upsert: [2, "x", 1] }]);
    // a partial update reads the old row and writes only the after-image
    await putKv(conn, t, [{ upsert: [2, null, 5] }, { upsert: [3, null, 7] }], { targetColumns: [0, 2] });
    const { records } = await readChangelog(conn, t);
    assert.deepEqual(show(records), ["+U(1,a,1)", "+U(1,b,2)", "-D(1,b,2)", "+U(2,x,1)", "+U(2,x,5)", "+I(3,null,7)"]);
    assert.deepEqual(await lookupRows(conn, t, [[1], [2], [3]]), [null, [2, "x", 5], [3, null, 7]]);
  });
});

test("table.delete.behavior IGNORE drops deletes, DISABLE refuses them", async () => {
  await withCluster(async (_c, conn) => {
    const ign = await createPkTable(conn, "ign", SCHEMA, { properties: { "table.delete.behavior": "IGNORE" } });
    await putKv(conn, ign, [{ upsert: [1, "a", 1] }]);
    const r = await putKv(conn, ign, [{ delete: [1, null, null] }]);
    assert.deepEqual(r, { bucketId: 0, logEndOffset: 2 });
    assert.deepEqual(await lookupRows(conn, ign, [[1]]), [[1, "a", 1]]);
    const dis = await createPkTable(conn, "dis", SCHEMA, { properties: { "table.delete.behavior": "DISABLE" } });
    await putKv(conn, dis, [{ upsert: [1, "a", 1] }]);
    const d = await putKv(conn, dis, [{ upsert: [2, "b", 2] }, { delete: [1, null, null] }]);
    assert.equal(d.errorCode, ErrorCode.DELETION_DISABLED_EXCEPTION);
    assert.match(d.errorMessage!, /The table.delete.behavior is set to 'disable'/);
    // the whole batch failed: nothing of it is visible
    assert.deepEqual(await lookupRows(conn, dis, [[1], [2]]), [[1, "a", 1], null]);
    assert.deepEqual(show((await readChangelog(conn, dis)).records), ["+I(1,a,1)"]);
  });
});

test("large PutKv requests (received into recycled buffers) keep their rows intact", async () => {
  const schema = Schema.builder()
    .column("id", DataTypes.INT())
    .column("b", DataTypes.BYTES())
    .column("s", DataTypes.STRING())
    .primaryKey(["id"])
    .build();
  await withCluster(async (_c, conn) => {
    const t = await createPkTable(conn, "big", schema);
    const rowOf = (i: number, round: number) => [
      i,
      new Uint8Array(40).fill((i + round) & 0xff),
      `r${round}-${i}-${"x".repeat(30)}`,
    ];
    for (let round = 0; round < 3; round++) {
      const ops = [...Array(1500).keys()].map((i) => ({ upsert: rowOf(i + round * 500, round) }));
      const r = await putKv(conn, t, ops);
      assert.equal(r.errorCode, undefined, r.errorMessage);
    }
    const ids = [...Array(2500).keys()];
    const rows = await lookupRows(
      conn,
      t,
      ids.map((i) => [i]),
    );
    ids.forEach((i) => {
      const round = Math.min(2, Math.floor(i / 500));
      assert.deepEqual(rows[i], rowOf(i, round), `key ${i}`);
    });
    const { records } = await readChangelog(conn, t);
    assert.equal(records.filter((r) => r.type === "+I").length, 2500);
    assert.equal(records.filter((r) => r.type === "+U").length, 2000);
  });
});

test("agg_mode OVERWRITE bypasses the merge engine (plain upserts, deletes allowed)", async () => {
  await withCluster(async (_c, conn) => {
    const t = await createPkTable(conn, "ow", SCHEMA, { properties: { "table.delete.behavior": "DISABLE" } });
    await putKv(conn, t, [{ upsert: [1, "a", 1] }]);
    const refused = await putKv(conn, t, [{ delete: [1, null, null] }]);
    assert.equal(refused.errorCode, ErrorCode.DELETION_DISABLED_EXCEPTION);
    const ok = await putKv(conn, t, [{ upsert: [1, "b", 2] }, { delete: [1, null, null] }], { aggMode: 1 });
    assert.equal(ok.errorCode, undefined, ok.errorMessage);
    assert.deepEqual(await lookupRows(conn, t, [[1]]), [null]);
    assert.deepEqual(show((await readChangelog(conn, t)).records), ["+I(1,a,1)", "-U(1,a,1)", "+U(1,b,2)", "-D(1,b,2)"]);
  });
});

test("auto-increment column: inserts get unique sequence values across buckets and restarts", async () => {
  const schema = Schema.builder()
    .column("name", DataTypes.STRING())
    .column("uid", DataTypes.BIGINT())
    .column("v", DataTypes.INT())
    .primaryKey(["name"])
    .enableAutoIncrement("uid")
    .build();
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "flussjs-kvai-"));
  try {
    for (const round of [0, 1]) {
      await withCluster(
        async (_c, conn) => {
          const t =
            round === 0
              ? await createPkTable(conn, "ai", schema, {
                  bucketCount: 2,
                  properties: { "table.auto-increment.cache-size": "10" },
                })
              : await createPkTable(conn, "ai", schema).catch(() => reopen(conn, "ai"));
          const names = [...Array(12).keys()].map((i) => `r${round}-${i}`);
          for (const bucket of [0, 1]) {
            const ops = names.filter((_n, i) => i % 2 === bucket).map((n) => ({ upsert: [n, null, 1] }));
            const r = await putKv(conn, t, ops, { bucketId: bucket, targetColumns: [0, 2] });
            assert.equal(r.errorCode, undefined, r.errorMessage);
          }
          // an update keeps the value
          await putKv(conn, t, [{ upsert: [names[0], null, 2] }], { bucketId: 0, targetColumns: [0, 2] });
          const noTargets = await putKv(conn, t, [{ upsert: ["x", 5n, 1] }]);
          assert.equal(noTargets.errorCode, ErrorCode.INVALID_TARGET_COLUMN);
          assert.match(noTargets.errorMessage!, /contains an auto-increment column \[uid\]/);
          const withAuto = await putKv(conn, t, [{ upsert: ["x", 5n, 1] }], { targetColumns: [0, 1, 2] });
          assert.equal(withAuto.errorCode, ErrorCode.INVALID_TARGET_COLUMN);
          assert.match(withAuto.errorMessage!, /Auto-increment column \[uid\] at index 1 must not be included/);
          const seen: bigint[] = [];
          // every row written so far, this round and before the restart
          for (let rr = 0; rr <= round; rr++) {
            const all = [...Array(12).keys()].map((i) => `r${rr}-${i}`);
            for (const bucket of [0, 1]) {
              const mine = all.filter((_n, i) => i % 2 === bucket);
              const rows = await lookupRows(
                conn,
                t,
                mine.map((n) => [n]),
                bucket,
              );
              for (const r of rows) seen.push(r![1] as bigint);
            }
          }
          assert.equal(seen.length, 12 * (round + 1));
          assert.equal(new Set(seen.map(String)).size, seen.length, `unique: ${seen.join(",")}`);
          assert.ok(seen.every((v) => v > 0n));
          const { records } = await readChangelog(conn, t, 0);
          assert.ok(records.some((r) => r.type === "+I" && typeof r.row[1] === "bigint"));
        },
        { dataDir },
      );
    }
  } finally {
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
});

test("lookup with insert_if_not_exists inserts the missing keys (auto-increment values) and returns them", async () => {
  const schema = Schema.builder()
    .column("name", DataTypes.STRING())
    .column("uid", DataTypes.INT())
    .column("v", DataTypes.INT())
    .primaryKey(["name"])
    .enableAutoIncrement("uid")
    .build();
  await withCluster(async (_c, conn) => {
    const t = await createPkTable(conn, "dict", schema);
    await putKv(conn, t, [{ upsert: ["a", null, 7] }], { targetColumns: [0, 2] });
    const ask = async (names: string[]) => {
      const resp = await conn.request(ApiKey.LOOKUP, {
        tableId: t.tableId,
        bucketsReq: [{ bucketId: 0, keys: names.map((n) => t.keys.key([n, null, null])) }],
        insertIfNotExists: true,
        acks: -1,
        timeoutMs: 5000,
      });
      const b = resp.bucketsResp[0]!;
      assert.equal(b.errorCode, undefined, b.errorMessage);
      return b.values.map((v) => t.decodeRow(v.values!, 2));
    };
    const first = await ask(["a", "b", "c", "b"]);
    assert.deepEqual(first[0], ["a", 1, 7]);
    assert.equal(first[1]![2], null);
    assert.deepEqual(first[3], first[1]);
    assert.notEqual(first[1]![1], first[2]![1]);
    assert.deepEqual(await ask(["c", "b", "a"]), [first[2], first[1], first[0]]);
    const { records } = await readChangelog(conn, t);
    assert.deepEqual(
      records.map((r) => r.type),
      ["+I", "+I", "+I"],
    );
  });
});

test("a malformed row in a KV batch fails the batch with CORRUPT_MESSAGE (every changelog path)", async () => {
  await withCluster(async (_c, conn) => {
    for (const [kvFormat, logFormat] of COMBOS) {
      const t = await createPkTable(conn, `bad_${kvFormat}_${logFormat}`.toLowerCase(), SCHEMA, { kvFormat, logFormat });
      await putKv(conn, t, [{ upsert: [1, "a", 1] }]);
      const b = new KvRecordBatchBuilder(1);
      b.append(t.keys.key([2, null, null]), t.encodeRow([2, "b", 2]));
      b.append(t.keys.key([3, null, null]), new Uint8Array([0, 0x80, 0x80]));
      const resp = await conn.request(ApiKey.PUT_KV, {
        acks: -1,
        tableId: t.tableId,
        timeoutMs: 5000,
        targetColumns: [],
        bucketsReq: [{ bucketId: 0, records: b.build() }],
      });
      assert.equal(resp.bucketsResp[0]!.errorCode, ErrorCode.CORRUPT_MESSAGE, `${kvFormat}/${logFormat}`);
      assert.deepEqual(await lookupRows(conn, t, [[1], [2], [3]]), [[1, "a", 1], null, null]);
      assert.deepEqual(show((await readChangelog(conn, t)).records), ["+I(1,a,1)"]);
    }
  });
});

test("flat column types go to an ARROW changelog straight from the row bytes, value-exact", async () => {
  const schema = Schema.builder()
    .column("id", DataTypes.INT())
    .column("b", DataTypes.BOOLEAN())
    .column("i8", DataTypes.TINYINT())
    .column("i16", DataTypes.SMALLINT())
    .column("i64", DataTypes.BIGINT())
    .column("f32", DataTypes.FLOAT())
    .column("f64", DataTypes.DOUBLE())
    .column("c", DataTypes.CHAR(3))
    .column("s", DataTypes.STRING())
    .column("bytes", DataTypes.BYTES())
    .column("d", DataTypes.DATE())
    .column("t0", DataTypes.TIME(0))
    .column("t3", DataTypes.TIME(3))
    .column("t6", DataTypes.TIME(6))
    .column("ts0", DataTypes.TIMESTAMP(0))
    .column("ts3", DataTypes.TIMESTAMP(3))
    .column("ltz", DataTypes.TIMESTAMP_LTZ(3))
    .primaryKey(["id"])
    .build();
  const day = Date.UTC(2024, 1, 29);
  const row = (id: number, big: bigint) => [
    id,
    true,
    -8,
    -300,
    big,
    1.5,
    -2.25,
    "abc",
    `héllo ✓ ${id}`,
    new Uint8Array([9, 8, id]),
    new Date(day),
    45_296_000,
    45_296_789,
    45_296_789,
    new Timestamp(day + 1000),
    new Timestamp(day - 1234),
    new Timestamp(day + 5),
  ];
  const nulls = (id: number) => [id, ...Array(16).fill(null)];
  await withCluster(async (_c, conn) => {
    const t = await createPkTable(conn, "flat", schema);
    await putKv(conn, t, [{ upsert: row(1, -(2n ** 63n)) }, { upsert: row(2, 2n ** 63n - 1n) }, { upsert: nulls(3) }]);
    await putKv(conn, t, [{ upsert: row(1, 42n) }, { upsert: row(3, -1n) }, { delete: [2, ...Array(16).fill(null)] }]);
    const { records } = await readChangelog(conn, t);
    const plain = (r: unknown[]) => r.map((v) => (v instanceof Uint8Array ? [...v] : v));
    assert.deepEqual(
      records.map((r) => [r.type, plain(r.row)]),
      [
        ["+I", plain(row(1, -(2n ** 63n)))],
        ["+I", plain(row(2, 2n ** 63n - 1n))],
        ["+I", plain(nulls(3))],
        ["-U", plain(row(1, -(2n ** 63n)))],
        ["+U", plain(row(1, 42n))],
        ["-U", plain(nulls(3))],
        ["+U", plain(row(3, -1n))],
        ["-D", plain(row(2, 2n ** 63n - 1n))],
      ],
    );
  });
});
