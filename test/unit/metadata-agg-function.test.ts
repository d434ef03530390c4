import { test } from "node:test";
import assert from "node:assert/strict";
import * as arrow from "apache-arrow";
import { type DataType, DataTypes } from "../../src/metadata/data-types.js";
import {
  type AggFunction,
  AggFunctions,
  aggFunctionToString,
  parseAggFunctionType,
  validateAggFunction,
} from "../../src/metadata/agg-function.js";
import { schemaFromJson, schemaToJson, tableDescriptorFromJson, tableDescriptorToJson } from "../../src/metadata/json.js";
import { Schema } from "../../src/metadata/schema.js";
import { TableDescriptor } from "../../src/metadata/table-descriptor.js";
import { ErrorCode, FlussError } from "../../src/rpc/errors.js";

const isClientError =
  (re: RegExp) =>
  (e: unknown): boolean =>
    e instanceof FlussError && e.code === ErrorCode.CLIENT_ERROR && re.test(e.message);

test("schema JSON with every aggregate function: Java's bytes and a round trip", () => {
  const b = Schema.builder().column("id", DataTypes.BIGINT());
  const fns = [
    ["sum", AggFunctions.SUM()],
    ["product", AggFunctions.PRODUCT()],
    ["max", AggFunctions.MAX()],
    ["min", AggFunctions.MIN()],
    ["last_value", AggFunctions.LAST_VALUE()],
    ["last_value_ignore_nulls", AggFunctions.LAST_VALUE_IGNORE_NULLS()],
    ["first_value", AggFunctions.FIRST_VALUE()],
    ["first_value_ignore_nulls", AggFunctions.FIRST_VALUE_IGNORE_NULLS()],
    ["listagg", AggFunctions.LISTAGG()],
    ["string_agg", AggFunctions.STRING_AGG("|")],
    ["bool_and", AggFunctions.BOOL_AND()],
    ["bool_or", AggFunctions.BOOL_OR()],
    ["rbm32", AggFunctions.RBM32()],
    ["rbm64", AggFunctions.RBM64()],
  ] as const;
  fns.forEach(([name, fn]) => b.column(`c_${name}`, DataTypes.STRING(), { aggFunction: fn }));
  const schema = b.column("plain", DataTypes.INT(), "no function").primaryKey("id").build();
  const json = schemaToJson(schema);
  const cols = fns.map(([name], i) => {
    const params = name === "string_agg" ? `,"parameters":{"delimiter":"|"}` : "";
    return `{"name":"c_${name}","data_type":{"type":"STRING"},"agg_function":{"type":"${name}"${params}},"id":${i + 1}}`;
  });
  assert.equal(
    json,
    `{"version":1,"columns":[{"name":"id","data_type":{"type":"BIGINT","nullable":false},"id":0},${cols.join(",")},` +
      `{"name":"plain","data_type":{"type":"INTEGER"},"comment":"no function","id":15}],"primary_key":["id"],"highest_field_id":15}`,
  );
  const back = schemaFromJson(json);
  assert.ok(back.equals(schema));
  assert.equal(schemaToJson(back), json);
  assert.deepEqual(back.column("c_string_agg").aggFunction, { type: "string_agg", parameters: { delimiter: "|" } });
  assert.equal(back.column("plain").aggFunction, undefined);
});

test("reading agg_function like Java's ColumnJsonSerde: case and hyphens normalized, unknown names dropped", () => {
  const col = (agg: string): string =>
    `{"version":1,"columns":[{"name":"id","data_type":{"type":"INTEGER","nullable":false},"id":0},` +
    `{"name":"v","data_type":{"type":"BIGINT"},"agg_function":${agg},"id":1}],"primary_key":["id"],"highest_field_id":1}`;
  assert.equal(schemaFromJson(col(`{"type":"SUM"}`)).column("v").aggFunction?.type, "sum");
  assert.equal(
    schemaFromJson(col(`{"type":"last-value-ignore-nulls"}`)).column("v").aggFunction?.type,
    "last_value_ignore_nulls",
  );
  assert.equal(schemaFromJson(col(`{"type":"median"}`)).column("v").aggFunction, undefined);
  // several parameters are written in Java HashMap order
  const s = schemaFromJson(col(`{"type":"listagg","parameters":{"alpha":"2","delimiter":";","zeta":"1"}}`));
  assert.match(schemaToJson(s), /"parameters":\{"zeta":"1","delimiter":";","alpha":"2"\}/);
  assert.equal(aggFunctionToString(s.column("v").aggFunction!), "listagg{zeta=1, delimiter=;, alpha=2}");
});

test("aggregate functions through the public schema API: builder options, fromColumns, Arrow schemas", () => {
  const viaArrow = new Schema(
    new arrow.Schema([new arrow.Field("id", new arrow.Int64(), false), new arrow.Field("total", new arrow.Int64(), true)]),
    { primaryKeys: ["id"], aggFunctions: { total: AggFunctions.SUM() } },
  );
  assert.deepEqual(viaArrow.column("total").aggFunction, { type: "sum" });
  const viaColumns = Schema.fromColumns(
    [
      { name: "id", type: DataTypes.BIGINT() },
      { name: "total", type: DataTypes.BIGINT(), aggFunction: AggFunctions.SUM() },
    ],
    ["id"],
  );
  assert.ok(viaColumns.equals(viaArrow));
  assert.ok(
    !viaColumns.equals(
      Schema.fromColumns(
        [
          { name: "id", type: DataTypes.BIGINT() },
          { name: "total", type: DataTypes.BIGINT() },
        ],
        ["id"],
      ),
    ),
  );
  const desc = new TableDescriptor(viaArrow, { bucketCount: 2, properties: { "table.merge-engine": "aggregation" } });
  assert.deepEqual(tableDescriptorFromJson(tableDescriptorToJson(desc)).schema.column("total").aggFunction, { type: "sum" });

  assert.throws(
    () =>
      new Schema(new arrow.Schema([new arrow.Field("id", new arrow.Int64(), false)]), {
        aggFunctions: { nope: AggFunctions.MAX() },
      }),
    isClientError(/Aggregation functions given for unknown columns \[nope\]/),
  );
  assert.throws(
    () => Schema.builder().column("id", DataTypes.INT(), { aggFunction: AggFunctions.SUM() }).primaryKey("id").build(),
    isClientError(/Cannot set aggregation function for primary key column 'id'/),
  );
  assert.throws(
    // a JavaScript caller can pass anything
    () => Schema.fromColumns([{ name: "v", type: DataTypes.INT(), aggFunction: { type: "median" } as never }]),
    isClientError(/Unknown aggregation function "median" for column 'v'/),
  );
});

test("create-time rules of each function (Java AggFunctionType): types and parameters", () => {
  const ok = (fn: AggFunction, t: DataType = DataTypes.INT()): void => validateAggFunction(fn, t);
  ok(AggFunctions.SUM(), DataTypes.DECIMAL(10, 2));
  ok(AggFunctions.MAX(), DataTypes.TIMESTAMP_LTZ(3));
  ok(AggFunctions.LISTAGG(), DataTypes.CHAR(3));
  ok(AggFunctions.LAST_VALUE(), DataTypes.MAP(DataTypes.INT(), DataTypes.STRING()));
  ok(AggFunctions.RBM64(), DataTypes.BYTES());
  assert.throws(
    () => ok(AggFunctions.SUM(), DataTypes.STRING()),
    /^Error: Data type for sum column must be part of \[TINYINT, SMALLINT, INTEGER, BIGINT, FLOAT, DOUBLE, DECIMAL\] but was 'STRING'\.$/,
  );
  assert.throws(
    () => ok(AggFunctions.MAX(), DataTypes.BOOLEAN()),
    /Data type for max column must be part of \[CHAR, STRING, TINYINT/,
  );
  assert.throws(() => ok(AggFunctions.RBM32(), DataTypes.BINARY(4)), /must be part of \[BYTES\] but was 'BINARY\(4\)'/);
  assert.throws(() => ok(AggFunctions.BOOL_AND(), DataTypes.INT()), /must be part of \[BOOLEAN\] but was 'INT'/);
  assert.throws(
    () => ok(AggFunctions.of("sum", { delimiter: "," })),
    /^Error: Parameter 'delimiter' is not supported for aggregation function 'sum'\. Supported parameters: none$/,
  );
  assert.throws(
    () => ok(AggFunctions.of("listagg", { sep: "," }), DataTypes.STRING()),
    /Parameter 'sep' is not supported for aggregation function 'listagg'\. Supported parameters: \[delimiter\]/,
  );
  assert.throws(
    () => ok(AggFunctions.LISTAGG(""), DataTypes.STRING()),
    /Parameter 'delimiter' for aggregation function 'listagg' must be a non-empty string/,
  );
  assert.equal(parseAggFunctionType(" String-Agg "), "string_agg");
  assert.equal(parseAggFunctionType("avg"), undefined);
});
