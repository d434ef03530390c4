/** The examples under examples/ mirror the guide; each one runs here and its results are checked. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { main as quickStart } from "../../examples/quick-start.js";
import { main as adminExample } from "../../examples/admin.js";
import { main as logTable } from "../../examples/log-table.js";
import { main as partitioned } from "../../examples/partitioned.js";
import { main as primaryKey } from "../../examples/primary-key.js";
import { main as partitionedPrimaryKey } from "../../examples/partitioned-primary-key.js";
import { main as stateThenChangelog } from "../../examples/state-then-changelog.js";

test("examples/quick-start.ts writes two rows and reads them back", async () => {
  const rows = await quickStart();
  assert.deepEqual(
    rows.map((r) => [r.id, r.name, r.score]),
    [
      [1, "Alice", 95.5],
      [2, "Bob", 87],
    ],
  );
});

test("examples/admin.ts", async () => {
  const { databases, tables, offsets } = await adminExample();
  assert.ok(databases.includes("my_database"));
  assert.deepEqual(tables, ["my_table"]);
  assert.deepEqual(offsets, { 0: 0, 1: 0 });
});

test("examples/log-table.ts", async () => {
  const r = await logTable();
  assert.deepEqual(
    r.all.map((x) => x.id),
    [1, 2, 3, 4, 5, 4, 5],
  );
  assert.deepEqual(
    r.polled.map((x) => [x.offset, x.change]),
    r.all.map((_, i) => [i, "+A"]),
  );
  assert.deepEqual(r.latest, [{ id: 6, name: "Frank", score: 70 }]);
  assert.deepEqual(r.projected, ["id", "score"]);
});

test("examples/partitioned.ts", async () => {
  const r = await partitioned();
  assert.deepEqual([...r.partitions].sort(), ["EU", "US"]);
  assert.deepEqual(
    r.rows.map((x) => [x.id, x.region, x.value]).sort(),
    [
      [1, "US", 100n],
      [2, "EU", 200n],
    ].sort(),
  );
});

test("examples/primary-key.ts", async () => {
  const r = await primaryKey();
  assert.deepEqual(r.alice, { id: 1, name: "Alice", age: 25n });
  assert.equal(r.bob, null, "the deleted key is gone");
  assert.deepEqual(r.charlie, { id: 3, name: "Charlie", age: 35n });
  assert.deepEqual(r.aliceAfterPartialUpdate, { id: 1, name: "Alice", age: 27n }, "the partial update kept the name");
});

test("examples/partitioned-primary-key.ts", async () => {
  const r = await partitionedPrimaryKey();
  assert.deepEqual(r.us, { user_id: 1, region: "US", score: 1234n });
  assert.equal(r.eu, null, "a partition that does not exist gives null");
});

test("examples/state-then-changelog.ts keeps a cache equal to the table while it changes", async () => {
  const r = await stateThenChangelog();
  assert.ok(r.snapshotRows >= 100, `${r.snapshotRows} rows from the snapshot`);
  assert.deepEqual(r.cache, r.table);
  assert.equal(Object.keys(r.table).length, 100 + 20 - 4); // item-12 is deleted, then upserted again
  assert.equal(r.table["item-0"], undefined);
  assert.equal(r.table["new-19"], 1n);
});
