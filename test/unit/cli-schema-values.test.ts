/** The CLI's `--schema` parser and its value conversions (text/JSON in, JSON/CSV/table text out). */
import { test } from "node:test";
import assert from "node:assert/strict";
import { parseSchema } from "../../src/cli/schema-parser.js";
import { inputConverter, toJsonValue, toText } from "../../src/cli/values.js";
import { DataTypes, Decimal, Timestamp, notNull, typeToString } from "../../src/index.js";

const types = (s: string) => parseSchema(s).columns.map((c) => `${c.name}: ${typeToString(c.type)}`);

test("column lists in Fluss DataType / Flink SQL syntax", () => {
  assert.deepEqual(
    types(
      "id INT NOT NULL, n integer, b BIGINT, d DEC(5), e NUMERIC(12, 3), f DOUBLE PRECISION, c CHAR, s STRING NULL, " +
        "bin BINARY(4), t TIME(3) WITHOUT TIME ZONE, ts TIMESTAMP, ltz TIMESTAMP(3) WITH LOCAL TIME ZONE, l TIMESTAMP_LTZ, " +
        "arr ARRAY<INT NOT NULL>, sfx STRING ARRAY, m MAP<STRING, DOUBLE>, r ROW<x INT, `y z` STRING 'a field'>, r2 ROW(a INT), `select` BOOLEAN",
    ),
    [
      "id: INT NOT NULL",
      "n: INT",
      "b: BIGINT",
      "d: DECIMAL(5, 0)",
      "e: DECIMAL(12, 3)",
      "f: DOUBLE",
      "c: CHAR(1)",
      "s: STRING",
      "bin: BINARY(4)",
      "t: TIME(3)",
      "ts: TIMESTAMP(6)",
      "ltz: TIMESTAMP_LTZ(3)",
      "l: TIMESTAMP_LTZ(6)",
      "arr: ARRAY<INT NOT NULL>",
      "sfx: ARRAY<STRING>",
      "m: MAP<STRING NOT NULL, DOUBLE>",
      "r: ROW<x INT, y z STRING>",
      "r2: ROW<a INT>",
      "select: BOOLEAN",
    ],
  );
  const s = parseSchema("a INT COMMENT 'it''s a', b STRING, PRIMARY KEY (a, b) NOT ENFORCED");
  assert.deepEqual(s.primaryKey, ["a", "b"]);
  assert.equal(s.columns[0]!.comment, "it's a");
  const inline = parseSchema("id BIGINT PRIMARY KEY NOT ENFORCED, v STRING");
  assert.deepEqual(inline.primaryKey, ["id"]);
  assert.equal(inline.columns[0]!.type.nullable, false);
});

test("schema errors point at the position", () => {
  const cases: [string, RegExp][] = [
    ["id INTT", /unknown type INTT \(did you mean "INT"\?\) at position 4\n {2}id INTT\n {5}\^$/],
    ["id INT,, name STRING", /expected a column name, found "," at position 8/],
    ["id INT name STRING", /expected "," or the end, found "name" at position 8/],
    ["id DECIMAL(50, 2)", /DECIMAL: DECIMAL precision must be an integer between 1 and 38, got 50 at position 4/],
    ["m MAP<STRING INT>", /expected ",", found "INT" at position 14/],
    ["id INT COMMENT x", /expected a 'quoted' comment, found "x"/],
    ["id INT, s STRING COMMENT 'open", /the string is never closed at position 26/],
    ["id INT; drop", /unexpected character ";" at position 7/],
    ["ts TIMESTAMP WITH TIME ZONE", /TIMESTAMP WITH TIME ZONE is not supported \(use TIMESTAMP_LTZ\)/],
    ["id INT, PRIMARY KEY (id), PRIMARY KEY (id)", /the primary key is given twice/],
    ["", /expected a column, found nothing at position 1/],
  ];
  for (const [input, pattern] of cases) {
    assert.throws(
      () => parseSchema(input),
      (e: Error & { exitCode?: number }) => {
        assert.match(e.message, pattern, input);
        assert.equal(e.exitCode, 2);
        return true;
      },
    );
  }
});

test("values: text and JSON in, the same forms out", () => {
  const conv = (t: Parameters<typeof inputConverter>[0], v: unknown, text = true) => inputConverter(t, text)(v, "c");
  assert.equal(conv(DataTypes.INT(), " 42 "), 42);
  assert.equal(conv(DataTypes.BIGINT(), "9007199254740993"), 9007199254740993n);
  assert.throws(
    () => conv(DataTypes.BIGINT(), 2 ** 60, false),
    /column "c": expected BIGINT, got 1152921504606847000 \(beyond 2\^53/,
  );
  assert.equal(conv(DataTypes.BOOLEAN(), "TRUE"), true);
  assert.throws(() => conv(DataTypes.BOOLEAN(), "yes"), /expected BOOLEAN, got "yes" \(use true or false\)/);
  assert.ok(Number.isNaN(conv(DataTypes.DOUBLE(), "NaN") as number));
  assert.throws(() => conv(DataTypes.DOUBLE(), "1,5"), /expected DOUBLE, got "1,5"/);
  assert.deepEqual([...(conv(DataTypes.BYTES(), "AQID") as Uint8Array)], [1, 2, 3]);
  assert.throws(() => conv(DataTypes.BYTES(), "not base64!"), /bytes are written in base64/);
  assert.deepEqual(conv(DataTypes.ARRAY(DataTypes.INT()), "[1,2]"), [1, 2]);
  assert.deepEqual(conv(DataTypes.MAP(DataTypes.INT(), DataTypes.STRING()), '{"1":"a"}'), new Map([[1, "a"]]));
  assert.equal(conv(DataTypes.STRING(), null), null);

  assert.equal(toJsonValue(DataTypes.BIGINT(), 5n), 5);
  assert.equal(toJsonValue(DataTypes.BIGINT(), 2n ** 60n), "1152921504606846976");
  assert.equal(toJsonValue(DataTypes.DECIMAL(10, 2), Decimal.from("1.50", 2)), "1.50");
  assert.equal(toJsonValue(DataTypes.DATE(), new Date("2024-02-29")), "2024-02-29");
  assert.equal(toJsonValue(DataTypes.TIME(3), 45_296_250), "12:34:56.250");
  assert.equal(
    toJsonValue(DataTypes.TIMESTAMP(9), new Timestamp(Date.UTC(2024, 0, 1), 123_456)),
    "2024-01-01T00:00:00.000123456",
  );
  assert.equal(toJsonValue(DataTypes.TIMESTAMP_LTZ(3), new Timestamp(Date.UTC(2024, 0, 1))), "2024-01-01T00:00:00.000Z");
  assert.equal(toJsonValue(DataTypes.DOUBLE(), Number.POSITIVE_INFINITY), "Infinity");
  assert.deepEqual(toJsonValue(DataTypes.MAP(DataTypes.INT(), DataTypes.STRING()), new Map([[1, "a"]])), [[1, "a"]]);
  assert.deepEqual(toJsonValue(DataTypes.ROW([DataTypes.FIELD("b", DataTypes.BYTES())]), { b: new Uint8Array([255]) }), {
    b: "/w==",
  });
  assert.equal(toText(notNull(DataTypes.ARRAY(DataTypes.STRING())), ["x", "y"]), '["x","y"]');
  assert.equal(toText(DataTypes.STRING(), null), null);
});
