import { test } from "node:test";
import assert from "node:assert/strict";
import { DataTypes as T, notNull, type DataType } from "../../src/metadata/data-types.js";
import { ByteWriter, toHex } from "../../src/util/bytes.js";
import { IndexedRowDecoder, IndexedRowEncoder } from "../../src/row/indexed-row.js";
import { CompactedRowDecoder, CompactedRowEncoder } from "../../src/row/compacted-row.js";
import { CompactedKeyDecoder, CompactedKeyEncoder } from "../../src/row/compacted-key.js";
import { decodeValueWithSchemaId, encodeValueWithSchemaId } from "../../src/row/value-row.js";
import { encodeBinaryArray } from "../../src/row/binary-array.js";
import { COMPACTED_ROW_FORMAT } from "../../src/row/compacted-row.js";
import { Decimal, Timestamp } from "../../src/row/values.js";
import { FlussError } from "../../src/rpc/errors.js";

const addr = T.ROW([
  { name: "city", type: T.STRING() },
  { name: "zip", type: notNull(T.INT()) },
  { name: "tags", type: T.ARRAY(T.STRING()) },
]);

const types: DataType[] = [
  T.BOOLEAN(),
  T.TINYINT(),
  T.SMALLINT(),
  notNull(T.INT()),
  T.BIGINT(),
  T.FLOAT(),
  T.DOUBLE(),
  T.DECIMAL(10, 2),
  T.DECIMAL(30, 5),
  T.CHAR(5),
  T.STRING(),
  T.BINARY(4),
  T.BYTES(),
  T.DATE(),
  T.TIME(3),
  T.TIMESTAMP(3),
  T.TIMESTAMP(9),
  T.TIMESTAMP_LTZ(6),
  T.ARRAY(T.INT()),
  T.ARRAY(T.STRING()),
  T.ARRAY(T.DECIMAL(25, 2)),
  T.ARRAY(T.TIMESTAMP(9)),
  T.ARRAY(T.ARRAY(T.BIGINT())),
  T.MAP(T.STRING(), T.DOUBLE()),
  T.MAP(T.INT(), addr),
  addr,
  T.ARRAY(addr),
  T.ARRAY(T.BOOLEAN()),
  T.ARRAY(T.SMALLINT()),
  T.ARRAY(T.FLOAT()),
  T.ARRAY(T.BINARY(3)),
  T.ARRAY(T.DATE()),
];

const row1: unknown[] = [
  true,
  -7,
  -300,
  -1,
  -(2n ** 63n),
  Math.fround(3.25),
  -1e300,
  new Decimal(-12345n, 2),
  new Decimal(-(10n ** 29n) + 1n, 5),
  "héé",
  "a longer string with ünïcödé and emoji 🎉".repeat(3),
  new Uint8Array([1, 2, 3]),
  new Uint8Array([0, 0, 255]),
  new Date(Date.UTC(1969, 11, 31)),
  86399999,
  new Timestamp(-1),
  new Timestamp(1_700_000_000_123, 456_789),
  new Timestamp(1_700_000_000_123, 456_000),
  [1, null, -2147483648, 2147483647],
  ["", "short", null, "exactly7", "a string well beyond seven bytes"],
  [new Decimal(12345678901234567890123n, 2), null, new Decimal(-1n, 2)],
  [new Timestamp(0, 1), null, new Timestamp(-86_400_000, 999_999)],
  [[1n, 2n ** 40n], [], null, [-(2n ** 53n) - 1n]],
  new Map<unknown, unknown>([
    ["x", 1.5],
    ["y", null],
  ]),
  new Map<unknown, unknown>([
    [1, { city: "Berlin", zip: 10115, tags: ["a"] }],
    [2, null],
  ]),
  { city: null, zip: 0, tags: null },
  [{ city: "Paris", zip: 75001, tags: [] }, null],
  [true, false, null],
  [-1, 32767, null],
  [0.5, null, Number.NaN],
  [new Uint8Array([9]), new Uint8Array(0)],
  [new Date(0), new Date(Date.UTC(2024, 1, 29))],
];

const row2: unknown[] = types.map((t) => (t.nullable ? null : 42));

for (const [name, Enc, Dec] of [
  ["IndexedRow", IndexedRowEncoder, IndexedRowDecoder],
  ["CompactedRow", CompactedRowEncoder, CompactedRowDecoder],
] as const) {
  test(`${name} roundtrips every type`, () => {
    const enc = new Enc(types);
    const dec = new Dec(types);
    for (const row of [row1, row2]) {
      const bytes = enc.encode(row);
      assert.deepEqual(dec.decode(bytes), row);
    }
  });

  test(`${name} encodeInto appends and decodes at an offset`, () => {
    const enc = new Enc(types);
    const w = new ByteWriter(16);
    w.bytes(new Uint8Array([7, 7, 7]));
    const n1 = enc.encodeInto(w, row1);
    const n2 = enc.encodeInto(w, row2);
    const buf = w.toBytes();
    assert.equal(buf.length, 3 + n1 + n2);
    const dec = new Dec(types);
    assert.deepEqual(dec.decode(buf, 3, n1), row1);
    assert.deepEqual(dec.decode(buf, 3 + n1, n2), row2);
  });

  test(`${name} rejects null in a NOT NULL field and leaves the writer unchanged`, () => {
    const enc = new Enc([notNull(T.INT()), T.STRING()]);
    const w = new ByteWriter();
    w.u8(1);
    assert.throws(() => enc.encodeInto(w, [null, "x"]), FlussError);
    assert.equal(w.pos, 1);
    assert.throws(() => enc.encode([1]), /2 fields/);
  });
}

test("IndexedRow pads CHAR/BINARY and rejects values over the byte length", () => {
  const enc = new IndexedRowEncoder([T.CHAR(3), T.BINARY(2)]);
  assert.equal(toHex(enc.encode(["a", new Uint8Array([1])])), "00610000" + "0100");
  assert.throws(() => enc.encode(["éé", null]), /does not fit CHAR\(3\)/);
});

test("CompactedRow varints follow Java (negative INT 5 bytes, BIGINT 10)", () => {
  const enc = new CompactedRowEncoder([T.INT(), T.BIGINT(), T.SMALLINT()]);
  assert.equal(toHex(enc.encode([-1, -1n, -1])), "00ffffffff0fffffffffffffffffff01ffff");
  const big = new CompactedRowEncoder([T.BIGINT()]);
  const dec = new CompactedRowDecoder([T.BIGINT()]);
  for (const v of [0n, 127n, 128n, 2n ** 32n, 2n ** 53n - 1n, 2n ** 53n + 1n, 2n ** 63n - 1n, -(2n ** 63n), -5n]) {
    assert.equal(dec.decode(big.encode([v]))[0], v);
  }
});

test("CompactedRow ignores null bits of NOT NULL fields when decoding (Java semantics)", () => {
  const dec = new CompactedRowDecoder([notNull(T.INT())]);
  assert.deepEqual(dec.decode(new Uint8Array([1, 5])), [5]);
});

test("compacted key: no null bitmap, null key field names the field", () => {
  const enc = new CompactedKeyEncoder([T.INT(), T.STRING()], ["id", "name"]);
  assert.equal(toHex(enc.encode([1, "a2"])), "01026132");
  assert.throws(
    () => enc.encode([1, null]),
    (e: unknown) => e instanceof FlussError && e.code === -2 && /"name"/.test(e.message),
  );
  const dec = new CompactedKeyDecoder([T.INT(), T.STRING()]);
  assert.deepEqual(dec.decode(enc.encode([-5, "é"])), [-5, "é"]);
  const row = T.ROW([
    { name: "a", type: T.STRING() },
    { name: "b", type: T.INT() },
  ]);
  const byName = CompactedKeyEncoder.forKeys(row, ["b"]);
  const w = new ByteWriter(8);
  w.u8(0xff);
  assert.equal(byName.encodeRowInto(w, ["zz", 300], [1]), 2);
  assert.equal(toHex(w.written()), "ffac02", "appended after what the writer holds");
  assert.throws(
    () => byName.encodeRowInto(w, ["zz", null], [1]),
    (e: unknown) => e instanceof FlussError && /"b" must not be null/.test(e.message),
  );
  assert.equal(w.pos, 3, "a failed key leaves the writer as it was");
});

test("BinaryArray layout: inline short strings, 8-aligned variable part", () => {
  const bytes = encodeBinaryArray(T.STRING(), COMPACTED_ROW_FORMAT, ["hi", "longer than 7"]);
  // header 8 bytes (n=2, 4 null bytes), 2 slots, then 16 bytes of padded data
  assert.equal(bytes.length, 8 + 16 + 16);
  assert.equal(toHex(bytes.subarray(8, 16)), "6869000000000082");
  assert.equal(toHex(bytes.subarray(16, 24)), "0d00000018000000");
});

test("KV value carries an int16 LE schema id", () => {
  const v = encodeValueWithSchemaId(258, new Uint8Array([9, 8]));
  assert.equal(toHex(v), "02010908");
  const { schemaId, row } = decodeValueWithSchemaId(v);
  assert.equal(schemaId, 258);
  assert.deepEqual([...row], [9, 8]);
});
