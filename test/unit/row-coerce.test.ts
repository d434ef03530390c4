import { test } from "node:test";
import assert from "node:assert/strict";
import { DataTypes as T, notNull } from "../../src/metadata/data-types.js";
import { coerceValue, makeRowCoercer } from "../../src/row/coerce.js";
import { Decimal, Timestamp } from "../../src/row/values.js";
import { ErrorCode, FlussError } from "../../src/rpc/errors.js";

const schema = T.ROW([
  { name: "id", type: notNull(T.INT()) },
  { name: "age", type: T.BIGINT() },
  { name: "name", type: T.STRING() },
  {
    name: "addr",
    type: T.ROW([
      { name: "city", type: notNull(T.STRING()) },
      { name: "zip", type: T.SMALLINT() },
    ]),
  },
  { name: "tags", type: T.ARRAY(notNull(T.TINYINT())) },
]);

function clientError(re: RegExp): (e: unknown) => boolean {
  return (e) => {
    assert.ok(e instanceof FlussError, `not a FlussError: ${String(e)}`);
    assert.equal(e.code, ErrorCode.CLIENT_ERROR);
    assert.match(e.message, re);
    return true;
  };
}

test("object and array rows coerce to canonical values", () => {
  const c = makeRowCoercer(schema);
  assert.deepEqual(c({ id: 1, age: 30, name: "a", addr: { city: "X", zip: 5 }, tags: [1, 2n] }), [
    1,
    30n,
    "a",
    { city: "X", zip: 5 },
    [1, 2],
  ]);
  assert.deepEqual(c([2, "9007199254740993", null, ["Y", null], null]), [
    2,
    9007199254740993n,
    null,
    { city: "Y", zip: null },
    null,
  ]);
  assert.deepEqual(c({ id: 3 }), [3, null, null, null, null]);
});

test("errors name the column path and the expected type", () => {
  const c = makeRowCoercer(schema);
  assert.throws(() => c({ id: 1, age: "abc" }), clientError(/^column "age": expected BIGINT, got string "abc"/));
  assert.throws(() => c({ id: 1, bogus: 1 }), clientError(/unknown column "bogus"/));
  assert.throws(() => c({ age: 1n }), clientError(/column "id": expected INT NOT NULL, got undefined/));
  assert.throws(() => c({ id: 1.5 }), clientError(/column "id": expected INT NOT NULL, got number 1.5/));
  assert.throws(() => c({ id: 2 ** 31 }), clientError(/out of range/));
  assert.throws(() => c({ id: 1, addr: { city: 7 } }), clientError(/column "addr.city": expected STRING NOT NULL/));
  assert.throws(() => c({ id: 1, addr: { town: "x" } }), clientError(/unknown field "town"/));
  assert.throws(() => c({ id: 1, tags: [1, 300] }), clientError(/column "tags\[1\]": expected TINYINT NOT NULL, got number 300/));
  assert.throws(() => c({ id: 1, tags: [null] }), clientError(/tags\[0\]/));
  assert.throws(() => c([1, 2n]), clientError(/2 values but the table has 5 columns/));
  assert.throws(() => c("nope" as never), clientError(/must be an object/));
});

test("partial updates: non-target columns must be absent and come out null", () => {
  const c = makeRowCoercer(schema, { targetColumns: ["id", "name"] });
  assert.deepEqual(c({ id: 1, name: "n" }), [1, null, "n", null, null]);
  assert.throws(() => c({ id: 1, age: 5 }), clientError(/"age" is not a target column/));
  assert.throws(() => makeRowCoercer(schema, { targetColumns: ["nope"] }), clientError(/unknown target column/));
  const byIndex = makeRowCoercer(schema, { targetColumns: [0, 1] });
  assert.deepEqual(byIndex([1, 2, null, null, null]), [1, 2n, null, null, null]);
});

test("scalar coercions", () => {
  assert.equal(coerceValue(T.BOOLEAN(), true, "b"), true);
  assert.throws(() => coerceValue(T.BOOLEAN(), 1, "b"), clientError(/expected BOOLEAN, got number 1/));
  assert.equal(coerceValue(T.SMALLINT(), -32768n, "s"), -32768);
  assert.equal(coerceValue(T.BIGINT(), -5, "b"), -5n);
  assert.throws(() => coerceValue(T.BIGINT(), 2 ** 60, "b"), clientError(/safe integer/));
  assert.throws(() => coerceValue(T.BIGINT(), 2n ** 63n, "b"), clientError(/out of range/));
  assert.throws(() => coerceValue(T.FLOAT(), 1e39, "f"), clientError(/FLOAT range/));
  assert.ok(Number.isNaN(coerceValue(T.FLOAT(), Number.NaN, "f") as number));
  assert.equal(coerceValue(T.DOUBLE(), Infinity, "d"), Infinity);
  assert.throws(() => coerceValue(T.DOUBLE(), "1", "d"), clientError(/expected DOUBLE, got string "1"/));
});

test("DECIMAL accepts Decimal, string, number, bigint within precision and scale", () => {
  const t = T.DECIMAL(5, 2);
  assert.deepEqual(coerceValue(t, "123.4", "d"), new Decimal(12340n, 2));
  assert.deepEqual(coerceValue(t, 1.5, "d"), new Decimal(150n, 2));
  assert.deepEqual(coerceValue(t, 7n, "d"), new Decimal(700n, 2));
  assert.deepEqual(coerceValue(t, new Decimal(5n, 0), "d"), new Decimal(500n, 2));
  assert.throws(() => coerceValue(t, "1234.5", "d"), clientError(/DECIMAL\(5, 2\).*more than 5 digits/));
  assert.throws(() => coerceValue(t, "1.234", "d"), clientError(/digits after the decimal point/));
  assert.throws(() => coerceValue(t, "abc", "d"), clientError(/not a decimal/));
});

test("CHAR/BINARY length limits", () => {
  assert.equal(coerceValue(T.CHAR(2), "éé", "c"), "éé");
  assert.equal(coerceValue(T.CHAR(1), "🎉", "c"), "🎉");
  assert.throws(() => coerceValue(T.CHAR(2), "abc", "c"), clientError(/longer than 2 characters/));
  assert.throws(() => coerceValue(T.BINARY(2), new Uint8Array(3), "b"), clientError(/longer than 2 bytes/));
  assert.deepEqual(coerceValue(T.BYTES(), Buffer.from([1]), "b"), Buffer.from([1]));
  assert.throws(() => coerceValue(T.BYTES(), [1], "b"), clientError(/expected BYTES, got array/));
});

test("temporal coercions", () => {
  const day = new Date(Date.UTC(2024, 1, 29));
  assert.deepEqual(coerceValue(T.DATE(), "2024-02-29", "d"), day);
  assert.deepEqual(coerceValue(T.DATE(), 19782, "d"), day);
  assert.deepEqual(coerceValue(T.DATE(), new Date(Date.UTC(2024, 1, 29)), "d"), day);
  // A time of day would be lost: refused (row-temporal-time-zones.test.ts covers local midnight).
  assert.throws(() => coerceValue(T.DATE(), new Date(Date.UTC(2024, 1, 29, 13)), "d"), clientError(/time of day/));
  assert.throws(() => coerceValue(T.DATE(), "2023-02-29", "d"), clientError(/YYYY-MM-DD/));
  assert.equal(coerceValue(T.TIME(), "01:02:03.004", "t"), 3723004);
  assert.equal(coerceValue(T.TIME(), 5, "t"), 5);
  assert.throws(() => coerceValue(T.TIME(), 86400000, "t"), clientError(/0..86399999/));
  assert.throws(() => coerceValue(T.TIME(), "25:00", "t"), clientError(/HH:MM:SS/));

  const ts = coerceValue(T.TIMESTAMP(9), "2024-01-31T12:00:00.123456789Z", "ts") as Timestamp;
  assert.ok(ts instanceof Timestamp);
  assert.equal(ts.getTime(), Date.UTC(2024, 0, 31, 12, 0, 0, 123));
  assert.equal(ts.nanoOfMillis, 456789);
  const ts6 = coerceValue(T.TIMESTAMP(6), "2024-01-31 12:00:00.123456789+01:00", "ts") as Timestamp;
  assert.equal(ts6.getTime(), Date.UTC(2024, 0, 31, 11, 0, 0, 123));
  assert.equal(ts6.nanoOfMillis, 456000);
  const ts3 = coerceValue(T.TIMESTAMP_LTZ(3), new Timestamp(10, 5), "ts") as Timestamp;
  assert.equal(ts3.nanoOfMillis, 0);
  const ts0 = coerceValue(T.TIMESTAMP(0), 1999, "ts") as Timestamp;
  assert.equal(ts0.getTime(), 1000);
  const fromDate = coerceValue(T.TIMESTAMP_LTZ(6), new Date(42), "ts") as Timestamp;
  assert.ok(fromDate instanceof Timestamp);
  assert.equal(fromDate.getTime(), 42);
  assert.throws(() => coerceValue(T.TIMESTAMP(6), "yesterday", "ts"), clientError(/ISO-8601/));
  assert.throws(() => coerceValue(T.TIMESTAMP(6), new Date(Number.NaN), "ts"), clientError(/Invalid Date/));
});

test("MAP accepts Map or plain object; ROW accepts object or array", () => {
  const m = T.MAP(T.STRING(), T.INT());
  assert.deepEqual(
    coerceValue(m, { a: 1, b: null }, "m"),
    new Map([
      ["a", 1],
      ["b", null],
    ]),
  );
  assert.deepEqual(coerceValue(m, new Map([["a", 2n]]), "m"), new Map([["a", 2]]));
  assert.throws(() => coerceValue(m, { a: "x" }, "m"), clientError(/column "m.a": expected INT/));
  assert.throws(() => coerceValue(m, [1], "m"), clientError(/expected MAP<STRING NOT NULL, INT>/));
  const r = T.ROW([{ name: "x", type: T.INT() }]);
  assert.throws(() => coerceValue(r, [1, 2], "r"), clientError(/needs 1 fields/));
  assert.throws(() => coerceValue(notNull(r), null, "r"), clientError(/NOT NULL/));
});
