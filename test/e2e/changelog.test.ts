/**
 * The changelog of primary-key tables read with the log scanner (`+I`, `-U`, `+U`, `-D`),
 * written through the public upsert writer.
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import {
  DataTypes,
  EARLIEST_OFFSET,
  ErrorCode,
  FlussError,
  LATEST_OFFSET,
  Schema,
  TableDescriptor,
  TablePath,
  notNull,
  type FlussConnection,
  type FlussTable,
  type LogScanner,
  type ScanRecord,
} from "../../src/index.js";
import { uniqueName, type TestCluster, closeTestDatabase, openTestDatabase } from "../helpers/cluster.js";
import { renderRecords as render } from "../helpers/records.js";

const users = Schema.fromColumns(
  [
    { name: "id", type: notNull(DataTypes.INT()) },
    { name: "name", type: DataTypes.STRING() },
    { name: "age", type: DataTypes.BIGINT() },
  ],
  ["id"],
);

/** Reads `n` records in a `for await` loop (then breaks). */
async function take(scanner: LogScanner, n: number): Promise<ScanRecord[]> {
  const out: ScanRecord[] = [];
  if (n === 0) return out;
  for await (const r of scanner.records({ signal: AbortSignal.timeout(10_000) })) {
    out.push(r);
    if (out.length === n) break;
  }
  assert.equal(out.length, n, `got ${out.length} of ${n} records`);
  return out;
}

describe("primary-key changelog (e2e)", () => {
  let cluster: TestCluster;
  let conn: FlussConnection;
  const db = uniqueName("changelog");

  before(async () => {
    ({ cluster, conn } = await openTestDatabase(db));
  });
  after(() => closeTestDatabase(cluster, conn, db));

  async function create(
    name: string,
    options: ConstructorParameters<typeof TableDescriptor>[1],
    schema: Schema = users,
  ): Promise<FlussTable> {
    const path = new TablePath(db, name);
    await conn.getAdmin().createTable(path, new TableDescriptor(schema, options));
    return conn.getTable(path);
  }

  const formats = [
    { logFormat: "ARROW", kvFormat: "COMPACTED" },
    { logFormat: "INDEXED", kvFormat: "INDEXED" },
    { logFormat: "ARROW", kvFormat: "INDEXED" },
    { logFormat: "COMPACTED", kvFormat: "COMPACTED" },
  ] as const;
  for (const { logFormat, kvFormat } of formats) {
    test(`${logFormat} changelog (${kvFormat} kv): +I, -U/+U, -D in order with their offsets; LATEST; projection`, async () => {
      const table = await create(`users_${logFormat}_${kvFormat}`.toLowerCase(), { bucketCount: 1, logFormat, kvFormat });
      const writer = table.newUpsert();
      await writer.upsert({ id: 1, name: "a", age: 1n }).wait();
      await writer.upsert({ id: 1, name: "b", age: 2n }).wait();
      await writer.delete({ id: 1 }).wait();
      // absent: no record, but an empty batch that takes one offset, as Java's KvTablet
      // writes it (KvTablet.java ~586: keeps the writer's batch sequence)
      await writer.delete({ id: 9 }).wait();
      await writer.upsert({ id: 2, name: "c", age: 3n }).wait();

      await using scanner = await table.newScan().createLogScanner();
      await scanner.subscribe(0, EARLIEST_OFFSET);
      const records = await take(scanner, 5);
      assert.deepEqual(render(records), ["+I 1 a 1", "-U 1 a 1", "+U 1 b 2", "-D 1 b 2", "+I 2 c 3"]);
      assert.deepEqual(
        records.map((r) => r.offset),
        [0, 1, 2, 3, 5],
      );
      assert.equal(records[0]!.changeType.name, "INSERT");
      assert.equal(typeof records[0]!.row.age, "bigint");

      // LATEST: only what comes after
      await using latest = await table.newScan().createLogScanner();
      await latest.subscribe(0, LATEST_OFFSET);
      await writer.upsert({ id: 2, name: "d", age: 4n }).wait();
      const after = await take(latest, 2);
      assert.deepEqual(render(after), ["-U 2 c 3", "+U 2 d 4"]);
      assert.deepEqual(
        after.map((r) => r.offset),
        [6, 7],
      );

      // projection (pushed down for ARROW, client-side for INDEXED), reordered
      await using projected = await table.newScan().projectByName(["age", "id"]).createLogScanner();
      await projected.subscribe(0, EARLIEST_OFFSET);
      const p = await take(projected, 7);
      assert.deepEqual(render(p), ["+I 1 1", "-U 1 1", "+U 2 1", "-D 2 1", "+I 3 2", "-U 3 2", "+U 4 2"]);
      assert.deepEqual(Object.keys(p[0]!.row), ["age", "id"]);
      await writer.close();
    });
  }

  test("partial updates and a partitioned primary-key table", async () => {
    const schema = Schema.fromColumns(
      [
        { name: "user_id", type: notNull(DataTypes.INT()) },
        { name: "region", type: notNull(DataTypes.STRING()) },
        { name: "score", type: DataTypes.BIGINT() },
        { name: "note", type: DataTypes.STRING() },
      ],
      ["user_id", "region"],
    );
    const table = await create("parted_users", { partitionKeys: ["region"], bucketCount: 1 }, schema);
    await conn.getAdmin().createPartition(table.tablePath, { region: "US" });
    const [us] = await conn.getAdmin().listPartitionInfos(table.tablePath);
    const writer = table.newUpsert();
    await writer.upsert({ user_id: 1, region: "US", score: 10n, note: "x" }).wait();
    const partial = table.newUpsert({ columns: ["user_id", "region", "score"] });
    await partial.upsert({ user_id: 1, region: "US", score: 11n }).wait();
    await using scanner = await table.newScan().createLogScanner();
    await scanner.subscribePartition(us!.partitionId, 0, EARLIEST_OFFSET);
    assert.deepEqual(render(await take(scanner, 3)), ["+I 1 US 10 x", "-U 1 US 10 x", "+U 1 US 11 x"]);
    await writer.close();
    await partial.close();
  });

  test("createBatchScanner on a primary-key table: CLIENT_ERROR pointing to the log scanner", async () => {
    const table = await create("batch_refused", { bucketCount: 1 });
    await assert.rejects(table.newScan().createBatchScanner(), (err: unknown) => {
      assert.ok(err instanceof FlussError, String(err));
      assert.equal(err.code, ErrorCode.CLIENT_ERROR);
      assert.match(err.message, /batch_refused.*primary key.*createLogScanner\(\)/);
      return true;
    });
    await assert.rejects(table.newScan().project([0]).createBatchScanner(), /createLogScanner/);
  });
});
