/**
 * Schema evolution edge cases found in review: writers and stored values of either schema
 * id meeting on one key, and what survives a restart.
 */
import assert from "node:assert/strict";
import * as fs from "node:fs/promises";
import * as os from "node:os";
import * as path from "node:path";
import { describe, test } from "node:test";
import {
  Config,
  DataTypes,
  EARLIEST_OFFSET,
  FlussConnection,
  LocalCluster,
  notNull,
  Schema,
  TableChange,
  TableDescriptor,
  TablePath,
} from "../../src/index.js";
import { EXTERNAL_SERVERS } from "../helpers/cluster.js";
import { pollN, renderRecords as render } from "../helpers/records.js";

const users = Schema.fromColumns(
  [
    { name: "id", type: notNull(DataTypes.INT()) },
    { name: "name", type: DataTypes.STRING() },
    { name: "age", type: DataTypes.BIGINT() },
  ],
  ["id"],
);

describe("schema evolution review (e2e)", { skip: EXTERNAL_SERVERS !== undefined }, () => {
  for (const kvFormat of ["COMPACTED", "INDEXED"] as const) {
    test(`${kvFormat} kv: partial updates of an old writer keep the added column; state survives restarts`, async () => {
      const dataDir = await fs.mkdtemp(path.join(os.tmpdir(), "flussjs-schema-review-"));
      const pk = new TablePath("fluss", `pk_${kvFormat.toLowerCase()}`);
      try {
        let cluster = await LocalCluster.start({ dataDir });
        let conn = await FlussConnection.connect(new Config({ "bootstrap.servers": cluster.bootstrapServers }));
        await conn.getAdmin().createTable(pk, new TableDescriptor(users, { bucketCount: 1, kvFormat }));
        const table1 = await conn.getTable(pk);
        const full1 = table1.newUpsert();
        const partial1 = table1.newUpsert({ columns: ["id", "age"] });
        await full1.upsert({ id: 1, name: "a", age: 1n }).wait();
        await full1.upsert({ id: 2, name: "b", age: 2n }).wait();
        await conn.getAdmin().alterTable(pk, [TableChange.addColumn("note", DataTypes.STRING())]);
        const table2 = await conn.getTable(pk);
        const full2 = table2.newUpsert();
        await full2.upsert({ id: 1, name: "a", age: 1n, note: "n1" }).wait();
        // an old partial writer: its columns change, the added one stays
        await partial1.upsert({ id: 1, age: 10n }).wait();
        // an old partial writer on a value stored with the old schema
        await partial1.upsert({ id: 2, age: 20n }).wait();
        // a new partial writer of the added column on an old value
        const partial2 = table2.newUpsert({ columns: ["id", "note"] });
        await partial2.upsert({ id: 2, note: "n2" }).wait();
        await partial1.upsert({ id: 2, age: 21n }).wait();
        const want = [
          { id: 1, name: "a", age: 10n, note: "n1" },
          { id: 2, name: "b", age: 21n, note: "n2" },
        ];
        const lookup = table2.newLookup();
        assert.deepEqual(await lookup.lookup({ id: 1 }), want[0]);
        assert.deepEqual(await lookup.lookup({ id: 2 }), want[1]);
        {
          await using scanner = await table2.newScan().createLogScanner();
          await scanner.subscribe(0, EARLIEST_OFFSET);
          assert.deepEqual(render(await pollN(scanner, 12)), [
            "+I 1 a 1 null",
            "+I 2 b 2 null",
            "-U 1 a 1 null",
            "+U 1 a 1 n1",
            "-U 1 a 1 n1",
            "+U 1 a 10 n1",
            "-U 2 b 2 null",
            "+U 2 b 20 null",
            "-U 2 b 20 null",
            "+U 2 b 20 n2",
            "-U 2 b 20 n2",
            "+U 2 b 21 n2",
          ]);
        }
        await conn.close();
        await cluster.close();

        for (let round = 0; round < 2; round++) {
          cluster = await LocalCluster.start({ dataDir });
          conn = await FlussConnection.connect(new Config({ "bootstrap.servers": cluster.bootstrapServers }));
          try {
            const t = await conn.getTable(pk);
            const l = t.newLookup();
            assert.deepEqual(await l.lookup({ id: 1 }), want[0], `round ${round}`);
            assert.deepEqual(await l.lookup({ id: 2 }), want[1], `round ${round}`);
            await using snap = await t.newScan().createSnapshotScanner();
            assert.deepEqual(
              (await snap.toRows()).sort((a, b) => (a.id as number) - (b.id as number)),
              want,
              `round ${round} snapshot scan`,
            );
            // writes after the restart merge with the recovered values
            const w = t.newUpsert({ columns: ["id", "name"] });
            await w.upsert({ id: 1, name: "a" }).wait();
            await w.close();
          } finally {
            await conn.close();
            await cluster.close();
          }
        }
      } finally {
        await fs.rm(dataDir, { recursive: true, force: true });
      }
    });
  }

  test("COMPACTED kv: Arrow output of a KV scan holds values stored before ADD COLUMN", async () => {
    const dataDir = await fs.mkdtemp(path.join(os.tmpdir(), "flussjs-schema-review-"));
    const pk = new TablePath("fluss", "pk_arrow_out");
    const cluster = await LocalCluster.start({ dataDir });
    const conn = await FlussConnection.connect(new Config({ "bootstrap.servers": cluster.bootstrapServers }));
    try {
      await conn.getAdmin().createTable(pk, new TableDescriptor(users, { bucketCount: 1, kvFormat: "COMPACTED" }));
      const w1 = (await conn.getTable(pk)).newUpsert();
      for (let i = 1; i <= 3; i++) w1.upsert({ id: i, name: `u${i}`, age: BigInt(i) });
      await w1.flush();
      await conn.getAdmin().alterTable(pk, [TableChange.addColumn("note", DataTypes.STRING())]);
      const table2 = await conn.getTable(pk);
      await table2.newUpsert().upsert({ id: 4, name: "u4", age: 4n, note: "n4" }).wait();
      const want = [1, 2, 3, 4].map((i) => ({ id: i, name: `u${i}`, age: BigInt(i), note: i === 4 ? "n4" : null }));
      const rowsOf = (t: import("apache-arrow").Table): Record<string, unknown>[] =>
        t
          .toArray()
          .map((r) => ({ id: r.id, name: r.name, age: r.age, note: r.note }))
          .sort((a, b) => (a.id as number) - (b.id as number));
      {
        await using snap = await table2.newScan().createSnapshotScanner();
        assert.deepEqual(rowsOf(await snap.toArrow()), want, "snapshot scanner");
      }
      {
        await using bucket = await table2.newScan().createBucketScanner(0);
        assert.deepEqual(rowsOf(await bucket.toArrow()), want, "bucket scanner");
      }
      {
        // a second scan on the same connection: the old schema is cached by then
        await using again = await table2.newScan().createBucketScanner(0);
        assert.deepEqual(rowsOf(await again.toArrow()), want, "bucket scanner, schema cached");
      }
      await w1.close();
    } finally {
      await conn.close();
      await cluster.close();
      await fs.rm(dataDir, { recursive: true, force: true });
    }
  });
});
