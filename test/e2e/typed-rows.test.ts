/**
 * Typed rows end to end: a schema typed by `Schema.fromColumns` / `Schema.builder()`, a
 * table handle from `conn.getTable(path, schema)`, and writes, lookups, prefix lookups and
 * scans whose rows have the schema's row type (`RowOf<typeof schema>`). The types are
 * checked by `npm run typecheck` (this file is compiled like test/types/typed-rows.ts); the
 * values read back are checked here to be of those types at run time.
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import {
  DataTypes,
  Decimal,
  EARLIEST_OFFSET,
  ErrorCode,
  FlussError,
  type KeyOf,
  type RowOf,
  Schema,
  TableDescriptor,
  TablePath,
  Timestamp,
  notNull,
  type FlussConnection,
} from "../../src/index.js";
import { uniqueName, type TestCluster, closeTestDatabase, openTestDatabase } from "../helpers/cluster.js";
import { main as typedRowsExample } from "../../examples/typed-rows.js";

const orders = Schema.fromColumns(
  [
    { name: "id", type: DataTypes.INT() },
    { name: "name", type: DataTypes.STRING() },
    { name: "amount", type: DataTypes.DECIMAL(10, 2) },
    { name: "qty", type: notNull(DataTypes.BIGINT()) },
    { name: "day", type: DataTypes.DATE() },
    { name: "at", type: DataTypes.TIMESTAMP_LTZ(3) },
    { name: "tags", type: DataTypes.ARRAY(notNull(DataTypes.STRING())) },
    { name: "attrs", type: DataTypes.MAP(DataTypes.STRING(), DataTypes.DOUBLE()) },
    {
      name: "addr",
      type: DataTypes.ROW([DataTypes.FIELD("city", notNull(DataTypes.STRING())), DataTypes.FIELD("zip", DataTypes.INT())]),
    },
  ],
  ["id"],
);
type Order = RowOf<typeof orders>;

const visits = Schema.builder()
  .column("region", DataTypes.STRING())
  .column("user_id", DataTypes.BIGINT())
  .column("page", DataTypes.STRING())
  .primaryKey("region", "user_id")
  .build();

const events = Schema.builder().column("ts", notNull(DataTypes.BIGINT())).column("kind", DataTypes.STRING()).build();

function expectClientError(e: unknown, pattern: RegExp): boolean {
  return e instanceof FlussError && e.code === ErrorCode.CLIENT_ERROR && pattern.test(e.message);
}

describe("typed rows", () => {
  let cluster: TestCluster;
  let conn: FlussConnection;
  const db = uniqueName("typed_db");

  before(async () => {
    ({ cluster, conn } = await openTestDatabase(db));
  });
  after(() => closeTestDatabase(cluster, conn, db));

  test("a primary-key table typed by its schema: upsert, lookup, delete, scans", async () => {
    const path = new TablePath(db, "orders");
    await conn.getAdmin().createTable(path, new TableDescriptor(orders, { bucketCount: 2 }));
    const table = await conn.getTable(path, orders);

    const writer = table.newUpsert();
    writer.upsert({
      id: 1,
      name: "first",
      amount: "12.34", // DECIMAL from a string
      qty: 3, // BIGINT from a number
      day: "2024-02-29",
      at: new Date(Date.UTC(2024, 1, 29, 12, 0, 0, 123)),
      tags: ["a", "b"],
      attrs: { x: 1.5 }, // MAP<STRING, ...> from a plain object
      addr: { city: "Berlin", zip: 10115 },
    });
    writer.upsert({ id: 2, qty: 7n }); // nullable columns left out
    await writer.flush();

    const lookuper = table.newLookup();
    const one: Order | null = await lookuper.lookup({ id: 1 });
    assert.ok(one);
    assert.equal(one.id, 1);
    assert.equal(one.name, "first");
    assert.ok(one.amount instanceof Decimal);
    assert.equal(one.amount.toString(), "12.34");
    assert.equal(typeof one.qty, "bigint");
    assert.equal(one.qty, 3n);
    assert.ok(one.day instanceof Date);
    assert.equal(one.day.toISOString(), "2024-02-29T00:00:00.000Z");
    assert.ok(one.at instanceof Timestamp);
    assert.equal(one.at.toISOString(), "2024-02-29T12:00:00.123Z");
    assert.deepEqual(one.tags, ["a", "b"]);
    assert.ok(one.attrs instanceof Map);
    assert.equal(one.attrs.get("x"), 1.5);
    assert.deepEqual(one.addr, { city: "Berlin", zip: 10115 });

    const two = await lookuper.lookup({ id: 2 });
    assert.deepEqual(two, {
      id: 2,
      name: null,
      amount: null,
      qty: 7n,
      day: null,
      at: null,
      tags: null,
      attrs: null,
      addr: null,
    } satisfies Order);
    assert.equal(await lookuper.lookup({ id: 99 }), null);

    // a delete by the key (KeyOf<typeof orders>)
    const key: KeyOf<typeof orders> = { id: 1 };
    await writer.delete(key).wait();
    assert.equal(await lookuper.lookup(key), null);

    // the current rows, typed
    const rows: Order[] = await (await table.newScan().createSnapshotScanner()).toRows();
    assert.deepEqual(
      rows.map((r) => [r.id, r.name, r.qty]),
      [[2, null, 7n]],
    );

    // the changelog: ScanRecord<Order>
    const scanner = await table.newScan().createLogScanner();
    await scanner.subscribeBuckets({ 0: EARLIEST_OFFSET, 1: EARLIEST_OFFSET });
    const seen: string[] = [];
    const deadline = Date.now() + 10_000;
    while (seen.length < 3 && Date.now() < deadline) {
      for (const r of await scanner.poll(500)) {
        seen.push(`${r.changeType.shortString()} ${r.row.id} ${r.row.qty}`);
        // the changelog (ARROW) decodes to the same values as a lookup (COMPACTED)
        if (r.row.id === 1) assert.deepEqual(r.row, one);
      }
    }
    await scanner.close();
    assert.deepEqual(seen.sort(), ["+I 1 3", "+I 2 7", "-D 1 3"]);
  });

  test("prefix lookups and partial updates of a table typed by the builder", async () => {
    const path = new TablePath(db, "visits");
    await conn.getAdmin().createTable(path, new TableDescriptor(visits, { bucketCount: 2, bucketKeys: ["region"] }));
    const table = await conn.getTable(path, visits);
    const writer = table.newUpsert();
    writer.upsert({ region: "US", user_id: 1n, page: "/a" });
    writer.upsert({ region: "US", user_id: 2n, page: "/b" });
    writer.upsert({ region: "EU", user_id: 1n, page: "/c" });
    await writer.flush();
    const byRegion = table.newLookup().lookupBy(["region"]);
    const us: RowOf<typeof visits>[] = await byRegion.lookup({ region: "US" });
    assert.deepEqual(us.map((r) => r.page).sort(), ["/a", "/b"]);
    assert.deepEqual(await byRegion.lookup({ region: "APAC" }), []);
    const lookuper = table.newLookup();
    const hit = await lookuper.lookup({ region: "EU", user_id: 1 });
    assert.equal(hit?.page, "/c");

    // a partial-update writer typed by its columns
    const partial = table.newUpsert({ columns: ["region", "user_id", "page"] });
    await partial.upsert({ region: "EU", user_id: 1n, page: "/d" }).wait();
    assert.equal((await lookuper.lookup({ region: "EU", user_id: 1n }))?.page, "/d");
  });

  test("a log table typed by its schema: append and projected scans", async () => {
    const path = new TablePath(db, "events");
    await conn.getAdmin().createTable(path, new TableDescriptor(events, { bucketCount: 1 }));
    const table = await conn.getTable(path, events);
    const writer = table.newAppendWriter();
    writer.append({ ts: 1n, kind: "click" });
    writer.append({ ts: 2 }); // kind left out: null
    await writer.flush();
    const scanner = await table.newScan().projectByName(["kind"]).createLogScanner();
    await scanner.subscribe(0, EARLIEST_OFFSET);
    const kinds: (string | null)[] = [];
    const deadline = Date.now() + 10_000;
    while (kinds.length < 2 && Date.now() < deadline) {
      for (const r of await scanner.poll(500)) kinds.push(r.row.kind);
    }
    await scanner.close();
    assert.deepEqual(kinds, ["click", null]);
    const batch = await table.newScan().createBatchScanner();
    await batch.subscribe(0, EARLIEST_OFFSET);
    const all: RowOf<typeof events>[] = await batch.toRows();
    await batch.close();
    assert.deepEqual(all, [
      { ts: 1n, kind: "click" },
      { ts: 2n, kind: null },
    ]);
    const last = await (await table.newScan().limit(1).createBucketScanner(0)).toRows();
    assert.deepEqual(last, [{ ts: 2n, kind: null }]);
  });

  test("a row type given by hand, and a schema that is not the table's", async () => {
    interface Visit {
      region: string;
      user_id: bigint;
      page: string | null;
    }
    const path = new TablePath(db, "visits_by_hand");
    await conn.getAdmin().createTable(path, new TableDescriptor(visits, { bucketCount: 1 }));
    const table = await conn.getTable<Visit, "region" | "user_id">(path);
    await table.newUpsert().upsert({ region: "US", user_id: 5n }).wait();
    const row: Visit | null = await table.newLookup().lookup({ region: "US", user_id: 5n });
    assert.deepEqual(row, { region: "US", user_id: 5n, page: null });

    await assert.rejects(conn.getTable(path, orders), (e) =>
      expectClientError(e, /schema given for table .*visits_by_hand does not match.*column 1 is "region", not "id"/),
    );
    const noKey = Schema.fromColumns([
      { name: "region", type: notNull(DataTypes.STRING()) },
      { name: "user_id", type: notNull(DataTypes.BIGINT()) },
      { name: "page", type: DataTypes.STRING() },
    ]);
    await assert.rejects(conn.getTable(path, noKey), (e) => expectClientError(e, /primary key is \(region, user_id\), not none/));
    const otherType = Schema.fromColumns(
      [
        { name: "region", type: DataTypes.STRING() },
        { name: "user_id", type: DataTypes.INT() },
        { name: "page", type: DataTypes.STRING() },
      ],
      ["region", "user_id"],
    );
    await assert.rejects(conn.getTable(path, otherType), (e) =>
      expectClientError(e, /column "user_id" is BIGINT NOT NULL, not INT NOT NULL/),
    );
  });
});

test("examples/typed-rows.ts", async () => {
  const r = await typedRowsExample();
  assert.deepEqual(r.order, { id: 1, customer: "Alice", amount: new Decimal(1999n, 2), qty: 2n });
  assert.equal(r.total?.toString(), "19.99");
  assert.deepEqual(
    r.rows.map((x) => [x.id, x.customer, x.qty]),
    [
      [1, "Alice", 2n],
      [2, null, 1n],
    ],
  );
});
