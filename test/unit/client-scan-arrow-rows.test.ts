import { describe, test } from "node:test";
import assert from "node:assert/strict";
import type * as arrow from "apache-arrow";
import { DataTypes, notNull, type RowType } from "../../src/metadata/data-types.js";
import { toArrowSchema } from "../../src/metadata/arrow-types.js";
import { ArrowBatchBuilder } from "../../src/record/arrow/arrow-writer.js";
import { decodeArrowRecordBatch } from "../../src/record/arrow/arrow-reader.js";
import { Decimal, Timestamp } from "../../src/row/values.js";
import { ArrowRowConverter, columnBinder } from "../../src/record/arrow/arrow-rows.js";

function roundTrip(rowType: RowType, rows: unknown[][]): arrow.RecordBatch {
  const b = new ArrowBatchBuilder(rowType);
  for (const r of rows) b.append(r);
  return decodeArrowRecordBatch(b.build(), toArrowSchema(rowType));
}

describe("client scan: Arrow → row values", () => {
  test("every type maps to the value model", () => {
    const rowType = DataTypes.ROW([
      DataTypes.FIELD("b", DataTypes.BOOLEAN()),
      DataTypes.FIELD("i8", DataTypes.TINYINT()),
      DataTypes.FIELD("i16", DataTypes.SMALLINT()),
      DataTypes.FIELD("i32", notNull(DataTypes.INT())),
      DataTypes.FIELD("i64", DataTypes.BIGINT()),
      DataTypes.FIELD("f32", DataTypes.FLOAT()),
      DataTypes.FIELD("f64", DataTypes.DOUBLE()),
      DataTypes.FIELD("dec", DataTypes.DECIMAL(10, 2)),
      DataTypes.FIELD("bigdec", DataTypes.DECIMAL(38, 4)),
      DataTypes.FIELD("c", DataTypes.CHAR(3)),
      DataTypes.FIELD("s", DataTypes.STRING()),
      DataTypes.FIELD("bin", DataTypes.BINARY(2)),
      DataTypes.FIELD("bytes", DataTypes.BYTES()),
      DataTypes.FIELD("d", DataTypes.DATE()),
      DataTypes.FIELD("t0", DataTypes.TIME(0)),
      DataTypes.FIELD("t3", DataTypes.TIME(3)),
      DataTypes.FIELD("t6", DataTypes.TIME(6)),
      DataTypes.FIELD("t9", DataTypes.TIME(9)),
      DataTypes.FIELD("ts0", DataTypes.TIMESTAMP(0)),
      DataTypes.FIELD("ts3", DataTypes.TIMESTAMP(3)),
      DataTypes.FIELD("ts6", DataTypes.TIMESTAMP(6)),
      DataTypes.FIELD("ts9", DataTypes.TIMESTAMP(9)),
      DataTypes.FIELD("ltz", DataTypes.TIMESTAMP_LTZ(3)),
      DataTypes.FIELD("arr", DataTypes.ARRAY(DataTypes.INT())),
      DataTypes.FIELD("map", DataTypes.MAP(DataTypes.STRING(), DataTypes.BIGINT())),
      DataTypes.FIELD("row", DataTypes.ROW([DataTypes.FIELD("x", DataTypes.INT()), DataTypes.FIELD("y", DataTypes.STRING())])),
    ]);
    const day = Date.UTC(2024, 1, 29);
    const full = [
      true,
      -8,
      -300,
      42,
      -(2n ** 62n),
      1.5,
      -2.25,
      new Decimal(-12345n, 2),
      new Decimal(-(10n ** 37n) + 7n, 4),
      "abc",
      "héllo wörld",
      new Uint8Array([1, 2]),
      new Uint8Array([9, 8, 7]),
      new Date(day),
      45_296_000,
      45_296_789,
      45_296_789,
      45_296_789,
      new Timestamp(day + 1000),
      new Timestamp(day + 1234),
      new Timestamp(day + 1234, 567_000),
      new Timestamp(-1, 999_999),
      new Timestamp(day + 5),
      [1, null, 3],
      new Map<string, bigint | null>([
        ["a", 1n],
        ["b", null],
      ]),
      { x: 7, y: "seven" },
    ];
    const nulls = rowType.fields.map((f) => (f.type.nullable ? null : 0));
    const batch = roundTrip(rowType, [full, nulls]);
    const conv = new ArrowRowConverter(rowType);
    const [r0, r1] = conv.rows(batch);
    assert.ok(r0 && r1);
    assert.equal(r0.b, true);
    assert.equal(r0.i8, -8);
    assert.equal(r0.i16, -300);
    assert.equal(r0.i32, 42);
    assert.equal(r0.i64, -(2n ** 62n));
    assert.equal(r0.f32, 1.5);
    assert.equal(r0.f64, -2.25);
    assert.ok(r0.dec instanceof Decimal);
    assert.equal(String(r0.dec), "-123.45");
    assert.equal(String(r0.bigdec), new Decimal(-(10n ** 37n) + 7n, 4).toString());
    assert.equal(r0.c, "abc");
    assert.equal(r0.s, "héllo wörld");
    assert.deepEqual(r0.bin, new Uint8Array([1, 2]));
    assert.deepEqual(r0.bytes, new Uint8Array([9, 8, 7]));
    assert.ok(r0.d instanceof Date);
    assert.equal((r0.d as Date).getTime(), day);
    assert.equal(r0.t0, 45_296_000);
    assert.equal(r0.t3, 45_296_789);
    assert.equal(r0.t6, 45_296_789);
    assert.equal(r0.t9, 45_296_789);
    assert.ok(r0.ts0 instanceof Timestamp);
    assert.equal((r0.ts0 as Timestamp).getTime(), day + 1000);
    assert.equal((r0.ts3 as Timestamp).getTime(), day + 1234);
    assert.equal((r0.ts6 as Timestamp).getTime(), day + 1234);
    assert.equal((r0.ts6 as Timestamp).nanoOfMillis, 567_000);
    assert.equal((r0.ts9 as Timestamp).getTime(), -1);
    assert.equal((r0.ts9 as Timestamp).nanoOfMillis, 999_999);
    assert.equal((r0.ltz as Timestamp).getTime(), day + 5);
    assert.deepEqual(r0.arr, [1, null, 3]);
    assert.deepEqual(
      r0.map,
      new Map<string, bigint | null>([
        ["a", 1n],
        ["b", null],
      ]),
    );
    assert.deepEqual(r0.row, { x: 7, y: "seven" });
    for (const f of rowType.fields) {
      if (f.type.nullable) assert.equal(r1[f.name], null, `${f.name} is null`);
    }
    assert.equal(r1.i32, 0);
  });

  test("values agree with arrow-js for a sliced batch", () => {
    const rowType = DataTypes.ROW([DataTypes.FIELD("id", DataTypes.INT()), DataTypes.FIELD("flag", DataTypes.BOOLEAN())]);
    const rows = Array.from({ length: 20 }, (_, i) => [i % 7 === 0 ? null : i, i % 3 === 0]);
    const batch = roundTrip(rowType, rows).slice(5, 15);
    const got = new ArrowRowConverter(rowType).rows(batch);
    assert.equal(got.length, 10);
    for (let i = 0; i < 10; i++) {
      assert.equal(got[i]!.id, batch.getChildAt(0)!.get(i));
      assert.equal(got[i]!.flag, batch.getChildAt(1)!.get(i));
    }
    const read = columnBinder(DataTypes.INT())(batch.data.children[0]!);
    assert.equal(read(2), null, "row 7 is null");
    assert.equal(read(3), 8);
  });
});
