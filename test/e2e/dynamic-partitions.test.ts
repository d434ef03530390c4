/**
 * Dynamic partition creation (`writer.dynamic-create-partition.enabled`, Java's
 * `client.writer.dynamic-create-partition.enabled`, default on): a write to a missing
 * partition creates it once and goes through; off, it fails with PARTITION_NOT_EXISTS.
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import {
  DataTypes,
  EARLIEST_OFFSET,
  ErrorCode,
  Schema,
  TableDescriptor,
  TablePath,
  notNull,
  type FlussConnection,
} from "../../src/index.js";
import { rejectsWith } from "../helpers/assert.js";
import { uniqueName, type TestCluster, closeTestDatabase, openTestDatabase } from "../helpers/cluster.js";
import { createTestTable } from "../helpers/tables.js";

describe("dynamic partition creation (e2e)", () => {
  let cluster: TestCluster;
  let conn: FlussConnection;
  const db = uniqueName("dynpart_db");

  before(async () => {
    ({ cluster, conn } = await openTestDatabase(db, { "scanner.log.fetch.wait-max-time-ms": 100 }));
  });
  after(() => closeTestDatabase(cluster, conn, db));

  test("append: missing partitions are created once (concurrent writers, no 'already exists'), rows readable", async () => {
    const table = await createTestTable(conn, db, "log_parted", { partitioned: true, buckets: 2 });
    const w1 = table.newAppendWriter();
    const w2 = table.newAppendWriter();
    for (let i = 0; i < 40; i++)
      (i % 2 ? w1 : w2).append({ id: i, name: `n${i}`, amount: BigInt(i), region: i % 4 < 2 ? "EU" : "US" });
    await Promise.all([w1.flush(), w2.flush()]);
    const parts = await conn.getAdmin().listPartitionInfos(table.info.tablePath);
    assert.deepEqual(parts.map((p) => p.partitionName).sort(), ["EU", "US"]);
    const scanner = await table.newScan().createLogScanner();
    for (const p of parts) for (let b = 0; b < 2; b++) await scanner.subscribePartition(p.partitionId, b, EARLIEST_OFFSET);
    const seen: number[] = [];
    const deadline = Date.now() + 10_000;
    while (seen.length < 40 && Date.now() < deadline) {
      const recs = await scanner.poll(200);
      for (const r of recs) seen.push(r.row.id as number);
    }
    await scanner.close();
    assert.deepEqual(
      seen.sort((a, b) => a - b),
      Array.from({ length: 40 }, (_, i) => i),
    );
    await w1.close();
    await w2.close();
  });

  test("upsert: a missing partition is created and the row can be looked up", async () => {
    const schema = Schema.fromColumns(
      [
        { name: "region", type: notNull(DataTypes.STRING()) },
        { name: "id", type: notNull(DataTypes.INT()) },
        { name: "v", type: DataTypes.BIGINT() },
      ],
      ["region", "id"],
    );
    const path = new TablePath(db, "pk_parted");
    await conn.getAdmin().createTable(path, new TableDescriptor(schema, { bucketCount: 2, partitionKeys: ["region"] }));
    const table = await conn.getTable(path);
    const writer = table.newUpsert();
    await writer.upsert({ region: "ASIA", id: 1, v: 7n }).wait();
    await writer.close();
    const row = await table.newLookup().lookup({ region: "ASIA", id: 1 });
    assert.equal(row?.v, 7n);
  });

  test("off (also as Java's key): the write fails with PARTITION_NOT_EXISTS and nothing is created", async () => {
    const c2 = await cluster.connect({ "client.writer.dynamic-create-partition.enabled": "false" });
    try {
      const table = await createTestTable(c2, db, "log_parted_off", { partitioned: true });
      const writer = table.newAppendWriter();
      await rejectsWith(writer.append({ id: 1, region: "NOPE" }).wait(), ErrorCode.PARTITION_NOT_EXISTS, /region=NOPE/);
      assert.deepEqual(await c2.getAdmin().listPartitionInfos(table.info.tablePath), []);
      await writer.close();
    } finally {
      await c2.close();
    }
  });
});
