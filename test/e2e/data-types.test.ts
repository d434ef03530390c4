/** Every data type of the guide (and CHAR, BINARY, TIME(p), TIMESTAMP(p), ARRAY, MAP, ROW) written and read back. */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import {
  DataTypes,
  Decimal,
  EARLIEST_OFFSET,
  Schema,
  TableDescriptor,
  TablePath,
  Timestamp,
  notNull,
  type FlussConnection,
} from "../../src/index.js";
import { uniqueName, type TestCluster, closeTestDatabase, openTestDatabase } from "../helpers/cluster.js";

const schema = Schema.fromColumns([
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
  { name: "t3", type: DataTypes.TIME(3) },
  { name: "ts3", type: DataTypes.TIMESTAMP(3) },
  { name: "ts6", type: DataTypes.TIMESTAMP(6) },
  { name: "ts9", type: DataTypes.TIMESTAMP(9) },
  { name: "ltz", type: DataTypes.TIMESTAMP_LTZ(6) },
  { name: "arr", type: DataTypes.ARRAY(DataTypes.STRING()) },
  { name: "m", type: DataTypes.MAP(DataTypes.STRING(), DataTypes.INT()) },
  { name: "r", type: DataTypes.ROW([DataTypes.FIELD("x", DataTypes.INT()), DataTypes.FIELD("y", DataTypes.STRING())]) },
]);

/** What the user writes (several accepted input forms)... */
const input: Record<string, unknown>[] = [
  {
    id: 1,
    b: true,
    i8: -128,
    i16: 32767,
    i64: 9007199254740993n,
    f32: 1.5,
    f64: -2.25,
    dec: "12345678.91",
    bigdec: "-1234567890123456789012345.12345",
    ch: "abc",
    s: "héllo wörld ✓",
    bin: new Uint8Array([1, 2, 3]),
    bytes: new Uint8Array([0, 255, 7]),
    d: "2024-02-29",
    t0: "13:45:59",
    t3: 49_559_123,
    ts3: new Date("2024-01-02T03:04:05.678Z"),
    ts6: "2024-01-02T03:04:05.678901Z",
    ts9: new Timestamp(Date.UTC(1969, 11, 31, 23, 59, 59, 999), 123_456),
    ltz: 1_700_000_000_123,
    arr: ["a", null, "c"],
    m: { k1: 1, k2: null },
    r: { x: 7, y: "seven" },
  },
  { id: 2, arr: [], m: new Map([["only", 5]]), r: [8, null] },
];

/** ...and the canonical values read back. */
const expected: Record<string, unknown>[] = [
  {
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
    t3: 49_559_123,
    ts3: new Timestamp(Date.UTC(2024, 0, 2, 3, 4, 5, 678), 0),
    ts6: new Timestamp(Date.UTC(2024, 0, 2, 3, 4, 5, 678), 901_000),
    ts9: new Timestamp(Date.UTC(1969, 11, 31, 23, 59, 59, 999), 123_456),
    ltz: new Timestamp(1_700_000_000_123, 0),
    arr: ["a", null, "c"],
    m: new Map<string, number | null>([
      ["k1", 1],
      ["k2", null],
    ]),
    r: { x: 7, y: "seven" },
  },
  Object.fromEntries(
    schema.columnNames.map((c) => [
      c,
      c === "id" ? 2 : c === "arr" ? [] : c === "m" ? new Map([["only", 5]]) : c === "r" ? { x: 8, y: null } : null,
    ]),
  ),
];

/** Compares rows value by value with clear messages (Timestamp's nanos, Decimal's digits). */
function assertRowsEqual(actual: Record<string, unknown>[], want: Record<string, unknown>[], where: string): void {
  assert.equal(actual.length, want.length, `${where}: row count`);
  for (let i = 0; i < want.length; i++) {
    for (const col of schema.columnNames) {
      const a = actual[i]![col];
      const e = want[i]![col];
      const msg = `${where}: row ${i} column ${col}`;
      if (e instanceof Timestamp) {
        assert.ok(a instanceof Timestamp, `${msg}: expected a Timestamp, got ${String(a)}`);
        assert.equal(a.toISOString(), e.toISOString(), msg);
      } else if (e instanceof Decimal) {
        assert.ok(a instanceof Decimal, `${msg}: expected a Decimal, got ${String(a)}`);
        assert.equal(a.toString(), e.toString(), msg);
      } else if (e instanceof Uint8Array) {
        assert.ok(a instanceof Uint8Array, msg);
        assert.deepEqual([...a], [...e], msg);
      } else {
        assert.deepEqual(a, e, msg);
      }
    }
  }
}

describe("data types round trip", () => {
  let cluster: TestCluster;
  let conn: FlussConnection;
  const db = uniqueName("types_db");

  before(async () => {
    ({ cluster, conn } = await openTestDatabase(db));
  });
  after(() => closeTestDatabase(cluster, conn, db));

  for (const [logFormat, compression] of [
    ["ARROW", "ZSTD"],
    ["ARROW", "LZ4_FRAME"],
    ["ARROW", "NONE"],
    ["INDEXED", undefined],
  ] as const) {
    test(`${logFormat}${compression ? ` ${compression}` : ""}: record scanner and batch scanner see what was written`, async () => {
      const tp = new TablePath(db, `all_${logFormat}_${compression ?? "x"}`.toLowerCase());
      await conn.getAdmin().createTable(
        tp,
        new TableDescriptor(schema, {
          bucketCount: 1,
          logFormat,
          ...(compression ? { properties: { "table.log.arrow.compression.type": compression } } : {}),
        }),
      );
      const table = await conn.getTable(tp);
      const writer = await table.newAppendWriter();
      for (const row of input) writer.append(row);
      await writer.flush();

      const logScanner = await table.newScan().createLogScanner();
      logScanner.subscribe(0, EARLIEST_OFFSET);
      const polled: Record<string, unknown>[] = [];
      while (polled.length < input.length) for (const r of await logScanner.poll(5000)) polled.push(r.row);
      assertRowsEqual(polled, expected, "log scanner");
      await logScanner.close();

      const batchScanner = await table.newScan().createBatchScanner();
      batchScanner.subscribe(0, EARLIEST_OFFSET);
      assertRowsEqual(await batchScanner.toRows(), expected, "batch scanner rows");
      const arrowTable = await (async () => {
        const s = await table.newScan().projectByName(["ts9", "id", "bigdec"]).createBatchScanner();
        s.subscribe(0, EARLIEST_OFFSET);
        return s.toArrow();
      })();
      assert.deepEqual(
        arrowTable.schema.fields.map((f) => f.name),
        ["ts9", "id", "bigdec"],
      );
      assert.equal(arrowTable.numRows, 2);
      assert.deepEqual([...arrowTable.getChild("id")!], [1, 2]);
    });
  }
});
