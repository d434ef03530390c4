/**
 * The merge engines through the public API over a socket: rows written with the upsert
 * writer, read back with lookups and from the changelog (`createLogScanner`).
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import {
  AggFunctions,
  DataTypes,
  Decimal,
  EARLIEST_OFFSET,
  ErrorCode,
  Schema,
  TableDescriptor,
  TablePath,
  Timestamp,
  type FlussConnection,
  type FlussTable,
  type TableDescriptorOptions,
} from "../../src/index.js";
import type { LogScanner } from "../../src/client/scan/log-scanner.js";
import {
  deserializeRoaring32,
  roaring32Of,
  roaring32Values,
  serializeRoaring32,
} from "../../src/server/kv/merge/aggregate/roaring32.js";
import { rejectsWith } from "../helpers/assert.js";
import { uniqueName, type TestCluster, closeTestDatabase, openTestDatabase } from "../helpers/cluster.js";

/** `+I(1, a)`-style strings of the next `n` changelog records (one bucket, offset order). */
async function changelog(scanner: LogScanner, n: number, columns: readonly string[], ms = 10_000): Promise<string[]> {
  const out: string[] = [];
  const deadline = Date.now() + ms;
  while (out.length < n) {
    const left = deadline - Date.now();
    if (left <= 0) assert.fail(`got ${out.length} of ${n} changelog records: ${out.join(" ")}`);
    for (const r of await scanner.poll(Math.min(left, 500))) {
      out.push(`${r.changeType.shortString()}(${columns.map((c) => show(r.row[c])).join(", ")})`);
    }
  }
  return out;
}

function show(v: unknown): string {
  if (v === null || v === undefined) return "null";
  if (v instanceof Decimal) return v.toString();
  if (v instanceof Date) return v.toISOString();
  if (v instanceof Uint8Array) return `[${roaring32Values(deserializeRoaring32(v)).join(" ")}]`;
  return String(v);
}

/** No further records arrive within `ms`. */
async function quiet(scanner: LogScanner, ms = 300): Promise<void> {
  const more = await scanner.poll(ms);
  assert.equal(more.count, 0, `unexpected records: ${[...more].map(String).join(" ")}`);
}

describe("merge engines (e2e)", () => {
  let cluster: TestCluster;
  let conn: FlussConnection;
  const db = uniqueName("merge_db");

  before(async () => {
    ({ cluster, conn } = await openTestDatabase(db));
  });
  after(() => closeTestDatabase(cluster, conn, db));

  async function create(
    name: string,
    schema: Schema,
    options: TableDescriptorOptions,
  ): Promise<{ table: FlussTable; scanner: LogScanner }> {
    const path = new TablePath(db, name);
    await conn.getAdmin().createTable(path, new TableDescriptor(schema, { bucketCount: 1, ...options }));
    const table = await conn.getTable(path);
    const scanner = await table.newScan().createLogScanner();
    await scanner.subscribeBuckets({ 0: EARLIEST_OFFSET });
    return { table, scanner };
  }

  const people = (): Schema =>
    Schema.builder()
      .column("id", DataTypes.INT())
      .column("name", DataTypes.STRING())
      .column("ver", DataTypes.BIGINT())
      .primaryKey("id")
      .build();

  for (const logFormat of ["ARROW", "COMPACTED"] as const) {
    test(`first_row (${logFormat} changelog): the first row stays, later upserts write no changelog, deletes are ignored`, async () => {
      const { table, scanner } = await create(`first_row_${logFormat}`, people(), {
        logFormat,
        properties: { "table.merge-engine": "first_row" },
      });
      const writer = table.newUpsert();
      writer.upsert({ id: 1, name: "first", ver: 1n });
      writer.upsert({ id: 1, name: "second", ver: 2n });
      writer.upsert({ id: 2, name: "other", ver: 1n });
      writer.delete({ id: 1 });
      await writer.flush();
      const lookuper = table.newLookup();
      assert.deepEqual(await lookuper.lookup({ id: 1 }), { id: 1, name: "first", ver: 1n });
      assert.deepEqual(await lookuper.lookup({ id: 2 }), { id: 2, name: "other", ver: 1n });
      assert.deepEqual(await changelog(scanner, 2, ["id", "name"]), ["+I(1, first)", "+I(2, other)"]);
      await quiet(scanner);
      // a partial update is refused by the server
      const partial = table.newUpsert({ columns: ["id", "name"] });
      partial.upsert({ id: 3, name: "x" });
      await rejectsWith(
        partial.flush(),
        ErrorCode.UNKNOWN_SERVER_ERROR,
        /Partial update is not supported for the first_row merge engine/,
      );
      await scanner.close();
    });
  }

  test("first_row with table.delete.behavior=DISABLE refuses deletes", async () => {
    const { table, scanner } = await create("first_row_disable", people(), {
      properties: { "table.merge-engine": "first_row", "table.delete.behavior": "DISABLE" },
    });
    const writer = table.newUpsert();
    await writer.upsert({ id: 1, name: "a", ver: 1n }).wait();
    writer.delete({ id: 1 });
    await rejectsWith(writer.flush(), ErrorCode.DELETION_DISABLED_EXCEPTION, /table.delete.behavior is set to 'disable'/);
    assert.deepEqual(await table.newLookup().lookup({ id: 1 }), { id: 1, name: "a", ver: 1n });
    await scanner.close();
  });

  test("versioned: a row replaces the stored one when its version is >= the stored version", async () => {
    const { table, scanner } = await create("versioned", people(), {
      properties: { "table.merge-engine": "versioned", "table.merge-engine.versioned.ver-column": "ver" },
    });
    const writer = table.newUpsert();
    writer.upsert({ id: 1, name: "v5", ver: 5n });
    writer.upsert({ id: 1, name: "v3", ver: 3n }); // older: ignored
    writer.upsert({ id: 1, name: "v5 again", ver: 5n }); // equal: wins
    writer.upsert({ id: 1, name: "no version", ver: null }); // null is the smallest: ignored
    writer.upsert({ id: 1, name: "v7", ver: 7n });
    writer.delete({ id: 1 }); // ignored (default IGNORE)
    await writer.flush();
    assert.deepEqual(await table.newLookup().lookup({ id: 1 }), { id: 1, name: "v7", ver: 7n });
    assert.deepEqual(await changelog(scanner, 5, ["name", "ver"]), [
      "+I(v5, 5)",
      "-U(v5, 5)",
      "+U(v5 again, 5)",
      "-U(v5 again, 5)",
      "+U(v7, 7)",
    ]);
    await quiet(scanner);
    await scanner.close();
  });

  test("versioned on a TIMESTAMP_LTZ version column (INDEXED kv and changelog)", async () => {
    const schema = Schema.builder()
      .column("id", DataTypes.INT())
      .column("ts", DataTypes.TIMESTAMP_LTZ(6))
      .column("v", DataTypes.STRING())
      .primaryKey("id")
      .build();
    const { table, scanner } = await create("versioned_ts", schema, {
      kvFormat: "INDEXED",
      logFormat: "INDEXED",
      properties: { "table.merge-engine": "versioned", "table.merge-engine.versioned.ver-column": "ts" },
    });
    const writer = table.newUpsert();
    writer.upsert({ id: 1, ts: new Timestamp(1_000, 5_000), v: "a" });
    writer.upsert({ id: 1, ts: new Timestamp(1_000, 4_000), v: "older by a few micros" });
    writer.upsert({ id: 1, ts: new Timestamp(2_000), v: "b" });
    await writer.flush();
    assert.equal((await table.newLookup().lookup({ id: 1 }))!.v, "b");
    assert.deepEqual(await changelog(scanner, 3, ["v"]), ["+I(a)", "-U(a)", "+U(b)"]);
    await scanner.close();
  });

  const metrics = (): Schema =>
    Schema.builder()
      .column("id", DataTypes.BIGINT())
      .column("total", DataTypes.BIGINT(), { aggFunction: AggFunctions.SUM() })
      .column("peak", DataTypes.INT(), { aggFunction: AggFunctions.MAX() })
      .column("low", DataTypes.DECIMAL(10, 2), { aggFunction: AggFunctions.MIN() })
      .column("tags", DataTypes.STRING(), { aggFunction: AggFunctions.LISTAGG("|") })
      .column("any", DataTypes.BOOLEAN(), { aggFunction: AggFunctions.BOOL_OR() })
      .column("first", DataTypes.STRING(), { aggFunction: AggFunctions.FIRST_VALUE() })
      .column("visits", DataTypes.BYTES(), { aggFunction: AggFunctions.RBM32() })
      .column("note", DataTypes.STRING())
      .primaryKey("id")
      .build();

  for (const kvFormat of ["COMPACTED", "INDEXED"] as const) {
    test(`aggregation (${kvFormat}): per-column functions, partial aggregation, changelog`, async () => {
      const { table, scanner } = await create(`agg_${kvFormat}`, metrics(), {
        kvFormat,
        properties: { "table.merge-engine": "aggregation" },
      });
      const bitmap = (...v: number[]): Uint8Array => serializeRoaring32(roaring32Of(v));
      const writer = table.newUpsert();
      writer.upsert({
        id: 1n,
        total: 10n,
        peak: 3,
        low: "5.50",
        tags: "a",
        any: false,
        first: "x",
        visits: bitmap(1, 2),
        note: "n1",
      });
      writer.upsert({
        id: 1n,
        total: 5n,
        peak: 9,
        low: "7.25",
        tags: "b",
        any: null,
        first: "y",
        visits: bitmap(2, 3),
        note: null,
      });
      writer.upsert({ id: 1n, total: null, peak: 4, low: "1.10", tags: null, any: true, first: null, visits: null, note: "n2" });
      writer.delete({ id: 1n }); // IGNORE by default
      await writer.flush();
      const want = { id: 1n, total: 15n, peak: 9, low: Decimal.from("1.10", 2), tags: "a|b", any: true, first: "x", note: "n2" };
      const got = (await table.newLookup().lookup({ id: 1n }))!;
      assert.deepEqual(roaring32Values(deserializeRoaring32(got.visits as Uint8Array)), [1, 2, 3]);
      delete got.visits;
      assert.deepEqual(got, want);
      // a partial update aggregates its columns and keeps the others
      const partial = table.newUpsert({ columns: ["id", "total", "tags"] });
      partial.upsert({ id: 1n, total: 100n, tags: "c" });
      await partial.flush();
      const after = (await table.newLookup().lookup({ id: 1n }))!;
      assert.equal(after.total, 115n);
      assert.equal(after.tags, "a|b|c");
      assert.equal(after.peak, 9);
      assert.equal(after.note, "n2");
      const cols = ["total", "peak", "low", "tags", "any", "first", "visits", "note"];
      assert.deepEqual(await changelog(scanner, 7, cols), [
        "+I(10, 3, 5.50, a, false, x, [1 2], n1)",
        "-U(10, 3, 5.50, a, false, x, [1 2], n1)",
        "+U(15, 9, 5.50, a|b, false, x, [1 2 3], n1)",
        "-U(15, 9, 5.50, a|b, false, x, [1 2 3], n1)",
        "+U(15, 9, 1.10, a|b, true, x, [1 2 3], n2)",
        "-U(15, 9, 1.10, a|b, true, x, [1 2 3], n2)",
        "+U(115, 9, 1.10, a|b|c, true, x, [1 2 3], n2)",
      ]);
      await quiet(scanner);
      await scanner.close();
    });
  }

  test("aggregation with table.delete.behavior=ALLOW: a delete removes the row, a partial delete nulls its columns", async () => {
    const schema = Schema.builder()
      .column("id", DataTypes.INT())
      .column("clicks", DataTypes.BIGINT(), { aggFunction: AggFunctions.SUM() })
      .column("views", DataTypes.BIGINT(), { aggFunction: AggFunctions.SUM() })
      .primaryKey("id")
      .build();
    const { table, scanner } = await create("agg_allow", schema, {
      properties: { "table.merge-engine": "aggregation", "table.delete.behavior": "allow" },
    });
    const writer = table.newUpsert();
    writer.upsert({ id: 1, clicks: 1n, views: 10n });
    writer.upsert({ id: 1, clicks: 2n, views: 20n });
    writer.upsert({ id: 2, clicks: 5n, views: 50n });
    await writer.flush();
    const clicksOnly = table.newUpsert({ columns: ["id", "clicks"] });
    clicksOnly.delete({ id: 1 }); // partial delete: clicks nulled, views stay
    await clicksOnly.flush();
    const lookuper = table.newLookup();
    assert.deepEqual(await lookuper.lookup({ id: 1 }), { id: 1, clicks: null, views: 30n });
    writer.delete({ id: 2 });
    await writer.flush();
    assert.equal(await lookuper.lookup({ id: 2 }), null);
    assert.deepEqual(await changelog(scanner, 7, ["id", "clicks", "views"]), [
      "+I(1, 1, 10)",
      "-U(1, 1, 10)",
      "+U(1, 3, 30)",
      "+I(2, 5, 50)",
      "-U(1, 3, 30)",
      "+U(1, null, 30)",
      "-D(2, 5, 50)",
    ]);
    await scanner.close();
  });
});

describe("merge engines: errors the server reports while merging (e2e)", () => {
  let cluster: TestCluster;
  let conn: FlussConnection;
  const db = uniqueName("merge_err_db");

  before(async () => {
    ({ cluster, conn } = await openTestDatabase(db));
  });
  after(() => closeTestDatabase(cluster, conn, db));

  test("listagg on CHAR passes the create check but fails the first merge, as in Java; the key keeps its first row", async () => {
    const path = new TablePath(db, "listagg_char");
    const schema = Schema.builder()
      .column("id", DataTypes.INT())
      .column("code", DataTypes.CHAR(2), { aggFunction: AggFunctions.LISTAGG() })
      .primaryKey("id")
      .build();
    await conn
      .getAdmin()
      .createTable(path, new TableDescriptor(schema, { bucketCount: 1, properties: { "table.merge-engine": "aggregation" } }));
    const table = await conn.getTable(path);
    const writer = table.newUpsert();
    await writer.upsert({ id: 1, code: "ab" }).wait();
    writer.upsert({ id: 1, code: "cd" });
    await rejectsWith(
      writer.flush(),
      ErrorCode.UNKNOWN_SERVER_ERROR,
      /Data type for listagg column must be 'StringType' but was 'CHAR\(2\)'/,
    );
    assert.deepEqual(await table.newLookup().lookup({ id: 1 }), { id: 1, code: "ab" });
  });
});
