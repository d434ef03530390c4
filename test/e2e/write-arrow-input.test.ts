/**
 * `writeArrow` with what apache-arrow users build: `tableFromJSON` (Float64 numbers,
 * dictionary strings) and columns in another order than the table's.
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import * as arrow from "apache-arrow";
import { EARLIEST_OFFSET, FlussError, type FlussConnection, type FlussTable } from "../../src/index.js";
import { createTestTable } from "../helpers/tables.js";
import { uniqueName, type TestCluster, closeTestDatabase, openTestDatabase } from "../helpers/cluster.js";

async function readRows(table: FlussTable, n: number): Promise<Record<string, unknown>[]> {
  const scanner = await table.newScan().createLogScanner();
  try {
    for (let b = 0; b < table.info.numBuckets; b++) scanner.subscribe(b, EARLIEST_OFFSET);
    const rows: Record<string, unknown>[] = [];
    const deadline = Date.now() + 10_000;
    while (rows.length < n && Date.now() < deadline) for (const r of await scanner.poll(500)) rows.push(r.row);
    return rows.sort((a, b) => (a.id as number) - (b.id as number));
  } finally {
    await scanner.close();
  }
}

describe("writeArrow input matching and casting", () => {
  let cluster: TestCluster;
  let conn: FlussConnection;
  const db = uniqueName("arrow_in_db");

  before(async () => {
    ({ cluster, conn } = await openTestDatabase(db));
  });
  after(() => closeTestDatabase(cluster, conn, db));

  // Batches as they are (no bucket key) and row by row (bucket key): both paths.
  for (const bucketKey of [undefined, ["id"]]) {
    test(`tableFromJSON, columns in any order${bucketKey ? ", bucket key" : ""}: cast exactly and matched by name`, async () => {
      const table = await createTestTable(conn, db, bucketKey ? "json_keyed" : "json_plain", {
        buckets: 2,
        ...(bucketKey ? { bucketKey } : {}),
      });
      // id INT NOT NULL, name STRING, amount BIGINT; JSON order amount, name, id; numbers are Float64.
      const input = arrow.tableFromJSON([
        { amount: 9007199254740991, name: "a", id: 1 },
        { amount: null, name: null, id: 2 },
        { amount: -5, name: "c", id: 2147483647 },
      ]);
      assert.equal(String(input.schema.fields[0]!.type), "Float64");
      const writer = await table.newAppendWriter();
      await writer.writeArrow(input).wait();
      assert.deepEqual(await readRows(table, 3), [
        { id: 1, name: "a", amount: 9007199254740991n },
        { id: 2, name: null, amount: null },
        { id: 2147483647, name: "c", amount: -5n },
      ]);

      // A value that does not fit: the column, the row and the value are named, nothing is written.
      const bad = arrow.tableFromJSON([
        { id: 3, name: "x", amount: 1 },
        { id: 4.5, name: "y", amount: 2 },
      ]);
      assert.throws(
        () => writer.writeArrow(bad),
        (e: unknown) =>
          e instanceof FlussError && e.code === -2 && /"id"/.test(e.message) && /4\.5/.test(e.message) && /row 1/.test(e.message),
      );
      const tooBig = arrow.tableFromJSON([{ id: 2147483648, name: "z", amount: 1 }]);
      assert.throws(
        () => writer.writeArrow(tooBig),
        (e: unknown) => e instanceof FlussError && /2147483648/.test(e.message),
      );
      // Names that are not the table's: named in the error.
      const wrong = arrow.tableFromJSON([{ id: 5, nam: "x", amount: 1 }]);
      assert.throws(
        () => writer.writeArrow(wrong),
        (e: unknown) => e instanceof FlussError && /missing: "name"/.test(e.message) && /"nam"/.test(e.message),
      );
      await writer.close();
      assert.equal((await readRows(table, 3)).length, 3);
    });
  }
});
