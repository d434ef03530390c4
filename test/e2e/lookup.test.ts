/**
 * Lookups and prefix lookups of primary-key tables through the public API, against the
 * embedded cluster (or FLUSS_BOOTSTRAP_SERVERS): rows are written with the upsert writer.
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import * as arrow from "apache-arrow";
import {
  DataTypes,
  Decimal,
  ErrorCode,
  FlussError,
  Schema,
  TableDescriptor,
  TablePath,
  Timestamp,
  notNull,
  type FlussConnection,
  type FlussTable,
} from "../../src/index.js";
import { ServerConnection } from "../../src/rpc/server-connection.js";
import { ApiKey } from "../../src/rpc/api-keys.js";
import { uniqueName, type TestCluster, closeTestDatabase, openTestDatabase } from "../helpers/cluster.js";

/** Counts requests per api key sent by every client connection in this process while `fn` runs. */
async function countRequests<T>(fn: () => Promise<T>): Promise<{ result: T; counts: Map<number, number> }> {
  const counts = new Map<number, number>();
  const proto = ServerConnection.prototype as unknown as { request: (apiKey: number, ...rest: unknown[]) => unknown };
  const original = proto.request;
  proto.request = function (this: unknown, apiKey: number, ...rest: unknown[]) {
    counts.set(apiKey, (counts.get(apiKey) ?? 0) + 1);
    return original.call(this, apiKey, ...rest);
  };
  try {
    return { result: await fn(), counts };
  } finally {
    proto.request = original;
  }
}

function expectClientError(fn: () => unknown, pattern: RegExp): void {
  assert.throws(fn, (e: unknown) => e instanceof FlussError && e.code === ErrorCode.CLIENT_ERROR && pattern.test(e.message));
}

describe("lookup", () => {
  let cluster: TestCluster;
  let conn: FlussConnection;
  const db = uniqueName("lookup_db");

  before(async () => {
    ({ cluster, conn } = await openTestDatabase(db));
  });
  after(() => closeTestDatabase(cluster, conn, db));

  async function create(
    name: string,
    schema: Schema,
    options: ConstructorParameters<typeof TableDescriptor>[1],
  ): Promise<FlussTable> {
    const path = new TablePath(db, name);
    await conn.getAdmin().createTable(path, new TableDescriptor(schema, options));
    return conn.getTable(path);
  }

  const users = Schema.fromColumns(
    [
      { name: "id", type: notNull(DataTypes.INT()) },
      { name: "name", type: DataTypes.STRING() },
      { name: "age", type: DataTypes.BIGINT() },
    ],
    ["id"],
  );

  for (const kvFormat of ["COMPACTED", "INDEXED"] as const) {
    test(`${kvFormat}: single key, absent keys, updates and deletes`, async () => {
      const table = await create(`users_${kvFormat.toLowerCase()}`, users, { bucketCount: 3, kvFormat });
      const writer = table.newUpsert();
      for (let i = 0; i < 50; i++) writer.upsert({ id: i, name: `user${i}`, age: BigInt(20 + i) });
      await writer.flush();
      const lookuper = table.newLookup();
      assert.deepEqual(await lookuper.lookup({ id: 7 }), { id: 7, name: "user7", age: 27n });
      assert.deepEqual(await lookuper.lookup([49]), { id: 49, name: "user49", age: 69n });
      assert.equal(await lookuper.lookup({ id: 50 }), null);
      const all = await Promise.all(Array.from({ length: 60 }, (_, i) => lookuper.lookup({ id: i })));
      all.forEach((row, i) => assert.deepEqual(row, i < 50 ? { id: i, name: `user${i}`, age: BigInt(20 + i) } : null));

      await writer.upsert({ id: 7, name: null, age: 99n }).wait();
      await writer.delete({ id: 8 }).wait();
      assert.deepEqual(await lookuper.lookup({ id: 7 }), { id: 7, name: null, age: 99n });
      assert.equal(await lookuper.lookup({ id: 8 }), null);
      await writer.close();
      await lookuper.close();
    });
  }

  test("composite keys, every key type Fluss allows (arrays in primary-key order)", async () => {
    const keyColumns = [
      { name: "b", type: notNull(DataTypes.BOOLEAN()) },
      { name: "i8", type: notNull(DataTypes.TINYINT()) },
      { name: "i16", type: notNull(DataTypes.SMALLINT()) },
      { name: "i32", type: notNull(DataTypes.INT()) },
      { name: "i64", type: notNull(DataTypes.BIGINT()) },
      { name: "f32", type: notNull(DataTypes.FLOAT()) },
      { name: "f64", type: notNull(DataTypes.DOUBLE()) },
      { name: "dec", type: notNull(DataTypes.DECIMAL(10, 2)) },
      { name: "bigdec", type: notNull(DataTypes.DECIMAL(30, 5)) },
      { name: "ch", type: notNull(DataTypes.CHAR(3)) },
      { name: "s", type: notNull(DataTypes.STRING()) },
      { name: "bin", type: notNull(DataTypes.BINARY(2)) },
      { name: "bytes", type: notNull(DataTypes.BYTES()) },
      { name: "d", type: notNull(DataTypes.DATE()) },
      { name: "t", type: notNull(DataTypes.TIME(3)) },
      { name: "ts3", type: notNull(DataTypes.TIMESTAMP(3)) },
      { name: "ts9", type: notNull(DataTypes.TIMESTAMP(9)) },
      { name: "ltz", type: notNull(DataTypes.TIMESTAMP_LTZ(6)) },
    ];
    const schema = Schema.fromColumns(
      [...keyColumns, { name: "v", type: DataTypes.STRING() }],
      keyColumns.map((c) => c.name),
    );
    for (const kvFormat of ["COMPACTED", "INDEXED"] as const) {
      const table = await create(`keys_${kvFormat.toLowerCase()}`, schema, { bucketCount: 4, kvFormat });
      const key = (i: number): unknown[] => [
        i % 2 === 0,
        i - 3,
        i * 100,
        i * 100_000,
        BigInt(i) * 10_000_000_000n,
        i + 0.5,
        -i / 4,
        new Decimal(BigInt(i * 101), 2),
        `${i}12345678901234567890.12345`,
        `c${i}`.slice(0, 3),
        `key ✓ ${i}`,
        new Uint8Array([i, 255 - i]),
        new Uint8Array(i % 5).fill(i),
        new Date(Date.UTC(2024, 0, 1 + i)),
        i * 1000 + 7,
        new Date(Date.UTC(2024, 5, 1, 0, 0, i)),
        new Timestamp(Date.UTC(1969, 11, 31, 23, 59, i), 123_456),
        new Timestamp(1_700_000_000_000 + i, 5_000),
      ];
      const writer = table.newUpsert();
      for (let i = 0; i < 20; i++) writer.upsert([...key(i), `v${i}`]);
      await writer.flush();
      const lookuper = table.newLookup();
      for (let i = 0; i < 20; i++) {
        const row = await lookuper.lookup(key(i));
        assert.equal(row?.v, `v${i}`, `${kvFormat} key ${i}`);
      }
      const other = key(3);
      other[16] = new Timestamp(Date.UTC(1969, 11, 31, 23, 59, 3), 123_457);
      assert.equal(await lookuper.lookup(other), null, "one nanosecond off is another key");
      const byName = Object.fromEntries(keyColumns.map((c, i) => [c.name, key(5)[i]]));
      assert.equal((await lookuper.lookup(byName))?.v, "v5");
      await writer.close();
    }
  });

  test("every data type as a value, COMPACTED and INDEXED", async () => {
    const schema = Schema.fromColumns(
      [
        { name: "id", type: notNull(DataTypes.INT()) },
        { name: "b", type: DataTypes.BOOLEAN() },
        { name: "i8", type: DataTypes.TINYINT() },
        { name: "i16", type: DataTypes.SMALLINT() },
        { name: "i64", type: DataTypes.BIGINT() },
        { name: "f32", type: DataTypes.FLOAT() },
        { name: "f64", type: DataTypes.DOUBLE() },
        { name: "dec", type: DataTypes.DECIMAL(10, 2) },
        { name: "bigdec", type: DataTypes.DECIMAL(30, 5) },
        { name: "ch", type: DataTypes.CHAR(3) },
        { name: "s", type: DataTypes.STRING() },
        { name: "bin", type: DataTypes.BINARY(3) },
        { name: "bytes", type: DataTypes.BYTES() },
        { name: "d", type: DataTypes.DATE() },
        { name: "t0", type: DataTypes.TIME(0) },
        { name: "ts3", type: DataTypes.TIMESTAMP(3) },
        { name: "ts9", type: DataTypes.TIMESTAMP(9) },
        { name: "ltz", type: DataTypes.TIMESTAMP_LTZ(6) },
        { name: "arr", type: DataTypes.ARRAY(DataTypes.STRING()) },
        { name: "m", type: DataTypes.MAP(DataTypes.STRING(), DataTypes.INT()) },
        { name: "r", type: DataTypes.ROW([DataTypes.FIELD("x", DataTypes.INT()), DataTypes.FIELD("y", DataTypes.STRING())]) },
      ],
      ["id"],
    );
    const full = {
      id: 1,
      b: true,
      i8: -128,
      i16: 32767,
      i64: 9007199254740993n,
      f32: 1.5,
      f64: -2.25,
      dec: new Decimal(1234567891n, 2),
      bigdec: new Decimal(-123456789012345678901234512345n, 5),
      ch: "abc",
      s: "héllo wörld ✓",
      bin: new Uint8Array([1, 2, 3]),
      bytes: new Uint8Array([0, 255, 7]),
      d: new Date(Date.UTC(2024, 1, 29)),
      t0: 49_559_000,
      ts3: new Timestamp(Date.UTC(2024, 0, 2, 3, 4, 5, 678), 0),
      ts9: new Timestamp(Date.UTC(1969, 11, 31, 23, 59, 59, 999), 123_456),
      ltz: new Timestamp(1_700_000_000_123, 0),
      arr: ["a", null, "c"],
      m: new Map<string, number | null>([
        ["k1", 1],
        ["k2", null],
      ]),
      r: { x: 7, y: "seven" },
    };
    const nulls = Object.fromEntries(schema.columnNames.map((c) => [c, c === "id" ? 2 : null]));
    for (const kvFormat of ["COMPACTED", "INDEXED"] as const) {
      const table = await create(`values_${kvFormat.toLowerCase()}`, schema, { bucketCount: 2, kvFormat });
      const writer = table.newUpsert();
      writer.upsert(full);
      writer.upsert(nulls);
      await writer.flush();
      const lookuper = table.newLookup();
      for (const want of [full, nulls] as Record<string, unknown>[]) {
        const got: Record<string, unknown> | null = await lookuper.lookup({ id: want.id });
        assert.ok(got, `${kvFormat}: row ${String(want.id)}`);
        for (const c of schema.columnNames) {
          const a: unknown = got[c];
          const e = want[c];
          const msg = `${kvFormat} row ${String(want.id)} column ${c}`;
          if (e instanceof Timestamp) {
            assert.ok(a instanceof Timestamp, msg);
            assert.equal(a.toISOString(), e.toISOString(), msg);
          } else if (e instanceof Decimal) {
            assert.equal(String(a), e.toString(), msg);
          } else if (e instanceof Uint8Array) {
            assert.deepEqual([...(a as Uint8Array)], [...e], msg);
          } else assert.deepEqual(a, e, msg);
        }
      }
      await writer.close();
    }
  });

  test("partitioned table: lookup includes the partition column; a partition that does not exist gives null", async () => {
    const schema = Schema.fromColumns(
      [
        { name: "user_id", type: notNull(DataTypes.INT()) },
        { name: "region", type: notNull(DataTypes.STRING()) },
        { name: "score", type: DataTypes.BIGINT() },
      ],
      ["user_id", "region"],
    );
    const table = await create("partitioned_users", schema, { bucketCount: 2, partitionKeys: ["region"] });
    const admin = conn.getAdmin();
    await admin.createPartition(table.tablePath, { region: "US" });
    await admin.createPartition(table.tablePath, { region: "EU" });
    const writer = table.newUpsert();
    writer.upsert({ user_id: 1, region: "US", score: 1234n });
    writer.upsert({ user_id: 1, region: "EU", score: 5n });
    await writer.flush();
    const lookuper = table.newLookup();
    assert.deepEqual(await lookuper.lookup({ user_id: 1, region: "US" }), { user_id: 1, region: "US", score: 1234n });
    assert.deepEqual(await lookuper.lookup([1, "EU"]), { user_id: 1, region: "EU", score: 5n });
    assert.equal(await lookuper.lookup({ user_id: 2, region: "US" }), null);
    assert.equal(await lookuper.lookup({ user_id: 1, region: "ASIA" }), null, "partition does not exist");
    // created later: found at once
    await admin.createPartition(table.tablePath, { region: "ASIA" });
    await writer.upsert({ user_id: 1, region: "ASIA", score: 9n }).wait();
    assert.deepEqual(await lookuper.lookup({ user_id: 1, region: "ASIA" }), { user_id: 1, region: "ASIA", score: 9n });
    // dropped: nothing found
    await admin.dropPartition(table.tablePath, { region: "EU" });
    assert.equal(await lookuper.lookup({ user_id: 1, region: "EU" }), null);
    // re-created under the same name (a new partition id): found again
    await admin.createPartition(table.tablePath, { region: "EU" });
    {
      await using fresh = await cluster.connect(); // a writer that never saw the old partition id
      await (await fresh.getTable(table.tablePath)).newUpsert().upsert({ user_id: 1, region: "EU", score: 6n }).wait();
    }
    assert.deepEqual(await lookuper.lookup({ user_id: 1, region: "EU" }), { user_id: 1, region: "EU", score: 6n });
    await writer.close();
  });

  test("prefix lookup by the bucket key (partitioned, composite primary key)", async () => {
    const schema = Schema.fromColumns(
      [
        { name: "region", type: notNull(DataTypes.STRING()) },
        { name: "user_id", type: notNull(DataTypes.BIGINT()) },
        { name: "order_id", type: notNull(DataTypes.INT()) },
        { name: "amount", type: DataTypes.DOUBLE() },
      ],
      ["region", "user_id", "order_id"],
    );
    for (const kvFormat of ["COMPACTED", "INDEXED"] as const) {
      const table = await create(`orders_${kvFormat.toLowerCase()}`, schema, {
        bucketCount: 4,
        partitionKeys: ["region"],
        bucketKeys: ["user_id"],
        kvFormat,
      });
      await conn.getAdmin().createPartition(table.tablePath, { region: "US" });
      const writer = table.newUpsert();
      for (let u = 1; u <= 10; u++)
        for (let o = 0; o < u; o++) writer.upsert({ region: "US", user_id: BigInt(u), order_id: o, amount: u + o / 10 });
      await writer.flush();
      const pl = table.newLookup().lookupBy(["region", "user_id"]);
      for (let u = 1; u <= 10; u++) {
        const rows = await pl.lookup({ region: "US", user_id: u });
        assert.deepEqual(
          rows.map((r) => r.order_id).sort((a, b) => Number(a) - Number(b)),
          Array.from({ length: u }, (_, o) => o),
          `${kvFormat} user ${u}`,
        );
        assert.ok(rows.every((r) => r.region === "US" && r.user_id === BigInt(u)));
      }
      assert.deepEqual(await pl.lookup(["US", 11]), []);
      assert.deepEqual(await pl.lookup(["EU", 1]), [], "partition does not exist");
      await writer.delete({ region: "US", user_id: 3n, order_id: 1 }).wait();
      assert.equal((await pl.lookup(["US", 3])).length, 2);
      await writer.close();
    }
  });

  test("prefix lookup: columns other than the bucket key are refused, naming them", async () => {
    const schema = Schema.fromColumns(
      [
        { name: "a", type: notNull(DataTypes.INT()) },
        { name: "b", type: notNull(DataTypes.INT()) },
        { name: "c", type: DataTypes.INT() },
      ],
      ["a", "b"],
    );
    const table = await create("prefix_rules", schema, { bucketCount: 2, bucketKeys: ["a"] });
    const lookuper = table.newLookup();
    expectClientError(() => lookuper.lookupBy(["b"]), /"b" are not in the bucket key \[a\]/);
    expectClientError(() => lookuper.lookupBy(["a", "c"]), /"c" are not in the bucket key \[a\]/);
    expectClientError(() => lookuper.lookupBy(["zz"]), /unknown column "zz"/);
    const byPk = (await create("prefix_rules_pk", schema, { bucketCount: 2 })).newLookup();
    expectClientError(() => byPk.lookupBy(["a", "b"]), /whole primary key: use lookup\(\)/);
    const pl = lookuper.lookupBy(["a"]);
    expectClientError(() => pl.lookup({ a: 1, b: 2 }), /column "b" is not part of the prefix key/);
    expectClientError(() => pl.lookup({ a: "x" }), /column "a": expected INT NOT NULL, got string "x"/);
    assert.deepEqual(await pl.lookup([1]), []);
  });

  test("bad input is a FlussError naming the column, thrown at lookup time", async () => {
    const table = await create("bad_input", users, { bucketCount: 1 });
    const lookuper = table.newLookup();
    expectClientError(() => lookuper.lookup({}), /primary key column "id" is missing/);
    expectClientError(() => lookuper.lookup({ id: null }), /primary key column "id" must not be null/);
    expectClientError(() => lookuper.lookup({ id: "one" }), /column "id": expected INT NOT NULL, got string "one"/);
    expectClientError(() => lookuper.lookup({ id: 1.5 }), /column "id".*not an integer/);
    expectClientError(() => lookuper.lookup({ id: 1, name: "x" }), /column "name" is not part of the primary key/);
    expectClientError(() => lookuper.lookup([]), /has 0 values .* 1 columns \(id\)/);
    const log = await create("a_log_table", Schema.fromColumns([{ name: "id", type: DataTypes.INT() }]), { bucketCount: 1 });
    expectClientError(() => log.newLookup(), /has no primary key/);
    assert.equal(await lookuper.lookup({ id: 1 }), null, "the lookuper still works");
  });

  test("10,000 concurrent lookups make a handful of requests", async () => {
    const table = await create("batched", users, { bucketCount: 8 });
    const writer = table.newUpsert();
    for (let i = 0; i < 10_000; i += 3) writer.upsert({ id: i, name: `u${i}`, age: null });
    await writer.close();
    const lookuper = table.newLookup();
    await lookuper.lookup({ id: 0 }); // metadata
    const { result, counts } = await countRequests(() =>
      Promise.all(Array.from({ length: 10_000 }, (_, i) => lookuper.lookup({ id: i }))),
    );
    result.forEach((row, i) => assert.deepEqual(row, i % 3 === 0 ? { id: i, name: `u${i}`, age: null } : null, `id ${i}`));
    const lookups = counts.get(ApiKey.LOOKUP) ?? 0;
    // one request per lookup.max-batch-size (128) keys of all 8 buckets
    assert.ok(lookups <= Math.ceil(10_000 / 128) + 1, `${lookups} Lookup requests`);
    console.log(`10,000 lookups: ${lookups} Lookup requests (max-batch-size 128)`);

    const big = await cluster.connect({ "client.lookup.max-batch-size": 10_000 });
    const bigLookuper = (await big.getTable(table.tablePath)).newLookup();
    await bigLookuper.lookup({ id: 0 });
    const second = await countRequests(() => Promise.all(Array.from({ length: 10_000 }, (_, i) => bigLookuper.lookup([i]))));
    assert.ok((second.counts.get(ApiKey.LOOKUP) ?? 0) <= 2, `${second.counts.get(ApiKey.LOOKUP)} Lookup requests`);
    assert.equal(second.result.filter((r) => r !== null).length, Math.ceil(10_000 / 3));
    await big.close();
  });

  test("a dropped table fails lookups with a FlussError; a re-created one needs a new handle", async () => {
    const table = await create("dropped", users, { bucketCount: 2 });
    const writer = table.newUpsert();
    await writer.upsert({ id: 1, name: "a", age: 1n }).wait();
    await writer.close();
    const lookuper = table.newLookup();
    const prefixTable = await create(
      "dropped_prefix",
      Schema.fromColumns(
        [
          { name: "a", type: notNull(DataTypes.INT()) },
          { name: "b", type: notNull(DataTypes.INT()) },
        ],
        ["a", "b"],
      ),
      { bucketCount: 2, bucketKeys: ["a"] },
    );
    const pl = prefixTable.newLookup().lookupBy(["a"]);
    assert.deepEqual(await lookuper.lookup({ id: 1 }), { id: 1, name: "a", age: 1n });
    assert.deepEqual(await pl.lookup([1]), []);
    await conn.getAdmin().dropTable(table.tablePath);
    await conn.getAdmin().dropTable(prefixTable.tablePath);
    const t0 = Date.now();
    await assert.rejects(
      lookuper.lookup({ id: 1 }),
      (e: unknown) => e instanceof FlussError && e.code === ErrorCode.TABLE_NOT_EXIST,
    );
    await assert.rejects(pl.lookup([1]), (e: unknown) => e instanceof FlussError && e.code === ErrorCode.TABLE_NOT_EXIST);
    assert.ok(Date.now() - t0 < 5000, "no hang");

    await conn.getAdmin().createTable(table.tablePath, new TableDescriptor(users, { bucketCount: 2 }));
    await assert.rejects(
      lookuper.lookup({ id: 1 }),
      (e: unknown) => e instanceof FlussError && e.code === ErrorCode.TABLE_NOT_EXIST,
    );
    const fresh = (await conn.getTable(table.tablePath)).newLookup();
    assert.equal(await fresh.lookup({ id: 1 }), null);
  });

  test("lookupers close with the connection (and with await using)", async () => {
    const table = await create("closing", users, { bucketCount: 1 });
    const other = await cluster.connect();
    const otherTable = await other.getTable(table.tablePath);
    const lookuper = otherTable.newLookup();
    {
      await using scoped = (await other.getTable(table.tablePath)).newLookup();
      assert.equal(await scoped.lookup({ id: 1 }), null);
    }
    const pending = lookuper.lookup({ id: 1 });
    await other.close();
    assert.equal(await pending, null, "a lookup made before close completes");
    expectClientError(() => lookuper.lookup({ id: 1 }), /closed/);
    expectClientError(() => otherTable.newLookup(), /connection .* is closed/);
  });

  test("Arrow schema tables work too (PK from the Schema options)", async () => {
    const schema = new Schema(
      new arrow.Schema([new arrow.Field("k", new arrow.Utf8(), false), new arrow.Field("v", new arrow.Int32(), true)]),
      { primaryKeys: ["k"] },
    );
    const table = await create("arrow_schema", schema, { bucketCount: 2 });
    const writer = table.newUpsert();
    await writer.upsert({ k: "x", v: 1 }).wait();
    await writer.close();
    assert.deepEqual(await table.newLookup().lookup({ k: "x" }), { k: "x", v: 1 });
  });
});
