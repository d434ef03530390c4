import { test } from "node:test";
import assert from "node:assert/strict";
import { DataTypes, notNull } from "../../src/metadata/data-types.js";
import { DatabaseDescriptor } from "../../src/metadata/database.js";
import {
  databaseDescriptorFromJson,
  databaseDescriptorToJson,
  dataTypeFromJson,
  dataTypeToJson,
  schemaFromJson,
  schemaToJson,
  tableDescriptorFromJson,
  tableDescriptorToJson,
} from "../../src/metadata/json.js";
import { javaHashMapOrder, jsonString } from "../../src/metadata/java-json.js";
import { Schema } from "../../src/metadata/schema.js";
import { AggFunctions } from "../../src/metadata/agg-function.js";
import { TableDescriptor } from "../../src/metadata/table-descriptor.js";
import { TableInfo } from "../../src/metadata/table-info.js";
import { TablePath } from "../../src/metadata/table-path.js";
import { ErrorCode, FlussError } from "../../src/rpc/errors.js";

const EXAMPLE_A =
  `{"version":1,"schema":{"version":1,"columns":[{"name":"id","data_type":{"type":"BIGINT","nullable":false},"id":0},` +
  `{"name":"name","data_type":{"type":"STRING"},"comment":"user name","id":1},` +
  `{"name":"score","data_type":{"type":"DECIMAL","precision":10,"scale":2},"id":2},` +
  `{"name":"tags","data_type":{"type":"ARRAY","element_type":{"type":"STRING"}},"id":3},` +
  `{"name":"attrs","data_type":{"type":"MAP","key_type":{"type":"STRING","nullable":false},"value_type":{"type":"INTEGER"}},"id":4},` +
  `{"name":"addr","data_type":{"type":"ROW","fields":[{"name":"city","field_type":{"type":"STRING"},"field_id":6},{"name":"zip","field_type":{"type":"CHAR","length":5},"field_id":7}]},"id":5},` +
  `{"name":"updated_at","data_type":{"type":"TIMESTAMP_WITH_LOCAL_TIME_ZONE","precision":3},"id":8}],` +
  `"primary_key":["id"],"highest_field_id":8},"comment":"user profiles","partition_key":[],"bucket_key":["id"],"bucket_count":4,` +
  `"properties":{},"custom_properties":{"owner":"alice"}}`;

const EXAMPLE_B =
  `{"version":1,"schema":{"version":1,"columns":[{"name":"event_id","data_type":{"type":"STRING"},"id":0},` +
  `{"name":"ts","data_type":{"type":"TIMESTAMP_WITHOUT_TIME_ZONE","precision":6},"id":1},` +
  `{"name":"payload","data_type":{"type":"BYTES"},"id":2},{"name":"dt","data_type":{"type":"STRING"},"id":3}],"highest_field_id":3},` +
  `"partition_key":["dt"],"bucket_key":[],"bucket_count":3,"properties":{"table.log.format":"ARROW"},"custom_properties":{}}`;

function exampleA(): TableDescriptor {
  const schema = Schema.builder()
    .column("id", DataTypes.BIGINT())
    .column("name", DataTypes.STRING(), "user name")
    .column("score", DataTypes.DECIMAL(10, 2))
    .column("tags", DataTypes.ARRAY(DataTypes.STRING()))
    .column("attrs", DataTypes.MAP(DataTypes.STRING(), DataTypes.INT()))
    .column("addr", DataTypes.ROW([DataTypes.FIELD("city", DataTypes.STRING()), DataTypes.FIELD("zip", DataTypes.CHAR(5))]))
    .column("updated_at", DataTypes.TIMESTAMP_LTZ(3))
    .primaryKey(["id"])
    .build();
  return new TableDescriptor(schema, {
    comment: "user profiles",
    bucketCount: 4,
    bucketKeys: ["id"],
    customProperties: { owner: "alice" },
  });
}

function exampleB(): TableDescriptor {
  const schema = Schema.fromColumns([
    { name: "event_id", type: DataTypes.STRING() },
    { name: "ts", type: DataTypes.TIMESTAMP(6) },
    { name: "payload", type: DataTypes.BYTES() },
    { name: "dt", type: DataTypes.STRING() },
  ]);
  return new TableDescriptor(schema, { partitionKeys: ["dt"], bucketCount: 3, logFormat: "ARROW" });
}

test("example A (PK table) is reproduced byte for byte", () => {
  assert.equal(tableDescriptorToJson(exampleA()), EXAMPLE_A);
});

test("example B (partitioned log table) is reproduced byte for byte", () => {
  assert.equal(tableDescriptorToJson(exampleB()), EXAMPLE_B);
});

test("PK table without distribution writes bucket_key but no bucket_count", () => {
  const d = new TableDescriptor(Schema.fromColumns([{ name: "a", type: DataTypes.INT() }], ["a"]));
  assert.match(tableDescriptorToJson(d), /"partition_key":\[\],"bucket_key":\["a"\],"properties"/);
  const log = new TableDescriptor(Schema.fromColumns([{ name: "a", type: DataTypes.INT() }]));
  assert.match(tableDescriptorToJson(log), /"partition_key":\[\],"properties":\{\}/);
});

test("examples round-trip through the reader", () => {
  for (const json of [EXAMPLE_A, EXAMPLE_B]) {
    assert.equal(tableDescriptorToJson(tableDescriptorFromJson(json)), json);
    assert.equal(tableDescriptorToJson(tableDescriptorFromJson(new TextEncoder().encode(json))), json);
  }
});

test("server-returned example A parses into TableInfo and re-serializes", () => {
  const returned = EXAMPLE_A.replace(
    `"properties":{}`,
    `"properties":{"table.replication.factor":"1","table.kv.format-version":"2","table.kv.standby-replica.enabled":"true"}`,
  );
  const info = TableInfo.fromJson(new TablePath("fluss", "users"), 0, 1, returned, 1000, 1000);
  assert.equal(info.numBuckets, 4);
  assert.deepEqual(info.bucketKeys, ["id"]);
  assert.deepEqual(info.primaryKeys, ["id"]);
  assert.deepEqual(info.physicalPrimaryKeys, ["id"]);
  assert.equal(info.hasPrimaryKey, true);
  assert.equal(info.isPartitioned, false);
  assert.equal(info.logFormat, "ARROW");
  assert.equal(info.kvFormat, "COMPACTED");
  assert.deepEqual(info.arrowCompression, { type: "ZSTD", level: 3 });
  assert.equal(info.kvFormatVersion, 2);
  assert.equal(info.comment, "user profiles");
  assert.equal(info.customProperties.owner, "alice");
  assert.equal(info.schema.highestFieldId, 8);
  assert.equal(tableDescriptorToJson(info.toTableDescriptor()), returned);
});

test("javaHashMapOrder reproduces the orders of protocol.md §5", () => {
  const a = javaHashMapOrder({
    "table.kv.format-version": "2",
    "table.replication.factor": "1",
    "table.kv.standby-replica.enabled": "true",
  });
  assert.deepEqual(Object.keys(a), ["table.replication.factor", "table.kv.format-version", "table.kv.standby-replica.enabled"]);
  const b = javaHashMapOrder({ "table.log.format": "ARROW", "table.replication.factor": "1" });
  assert.deepEqual(Object.keys(b), ["table.replication.factor", "table.log.format"]);
});

test("database descriptors match §6", () => {
  assert.equal(databaseDescriptorToJson(new DatabaseDescriptor()), `{"version":1,"custom_properties":{}}`);
  const d = new DatabaseDescriptor({ comment: "sales data", customProperties: { owner: "alice" } });
  const json = `{"version":1,"comment":"sales data","custom_properties":{"owner":"alice"}}`;
  assert.equal(databaseDescriptorToJson(d), json);
  const back = databaseDescriptorFromJson(json);
  assert.equal(back.comment, "sales data");
  assert.deepEqual(back.customProperties, { owner: "alice" });
  assert.throws(
    () => databaseDescriptorFromJson(`{"version":1}`),
    (e: unknown) => e instanceof FlussError && e.code === ErrorCode.INVALID_DATABASE_EXCEPTION,
  );
});

test("data types round-trip, including every root", () => {
  const types = [
    DataTypes.BOOLEAN(),
    DataTypes.TINYINT(),
    DataTypes.SMALLINT(),
    notNull(DataTypes.INT()),
    DataTypes.BIGINT(),
    DataTypes.FLOAT(),
    DataTypes.DOUBLE(),
    DataTypes.DECIMAL(38, 10),
    DataTypes.CHAR(3),
    DataTypes.STRING(),
    DataTypes.BINARY(16),
    DataTypes.BYTES(),
    DataTypes.DATE(),
    DataTypes.TIME(3),
    DataTypes.TIMESTAMP(9),
    DataTypes.TIMESTAMP_LTZ(0),
    DataTypes.ARRAY(notNull(DataTypes.INT())),
    DataTypes.MAP(DataTypes.INT(), DataTypes.STRING()),
  ];
  for (const t of types) assert.deepEqual(dataTypeFromJson(dataTypeToJson(t)), t);
  assert.equal(dataTypeToJson(DataTypes.TIME()), `{"type":"TIME_WITHOUT_TIME_ZONE","precision":0}`);
  const row = dataTypeFromJson(
    `{"type":"ROW","nullable":false,"fields":[{"name":"a","field_type":{"type":"INTEGER"},"description":"d","field_id":3},{"name":"b","field_type":{"type":"STRING"}}]}`,
  );
  assert.equal(row.root, "ROW");
  assert.equal(row.nullable, false);
  assert.equal(
    dataTypeToJson(row),
    `{"type":"ROW","nullable":false,"fields":[{"name":"a","field_type":{"type":"INTEGER"},"description":"d","field_id":3},{"name":"b","field_type":{"type":"STRING"},"field_id":-1}]}`,
  );
});

test("strings are escaped like Jackson (non-ASCII raw, control chars \\u00XX)", () => {
  assert.equal(jsonString(`a"b\\c\n\u0001é€😀/`), `"a\\"b\\\\c\\n\\u0001é€😀/"`);
});

test("readers: unknown keys ignored, missing ids assigned by position, missing highest_field_id = max id", () => {
  const s = schemaFromJson(
    `{"columns":[{"name":"a","data_type":{"type":"INTEGER"},"x":1},{"name":"b","data_type":{"type":"STRING"}}],"primary_key":["a"],"extra":true}`,
  );
  assert.deepEqual(s.columnIds, [0, 1]);
  assert.equal(s.highestFieldId, 1);
  assert.equal(s.columns[0]!.type.nullable, false);
  const t = schemaFromJson(
    `{"columns":[{"name":"a","data_type":{"type":"INTEGER"},"id":5},{"name":"b","data_type":{"type":"STRING"},"id":2}]}`,
  );
  assert.equal(t.highestFieldId, 5);
  assert.equal(
    schemaToJson(t),
    `{"version":1,"columns":[{"name":"a","data_type":{"type":"INTEGER"},"id":5},{"name":"b","data_type":{"type":"STRING"},"id":2}],"highest_field_id":5}`,
  );
});

test("readers: missing mandatory keys and invalid content are INVALID_TABLE_EXCEPTION", () => {
  const isInvalidTable = (e: unknown): boolean => e instanceof FlussError && e.code === ErrorCode.INVALID_TABLE_EXCEPTION;
  const drop = (key: string): string => {
    const o = JSON.parse(EXAMPLE_B) as Record<string, unknown>;
    delete o[key];
    return JSON.stringify(o);
  };
  for (const key of ["schema", "partition_key", "properties", "custom_properties"]) {
    assert.throws(() => tableDescriptorFromJson(drop(key)), isInvalidTable, key);
  }
  assert.throws(() => tableDescriptorFromJson(drop("bucket_key")), isInvalidTable);
  assert.doesNotThrow(() => tableDescriptorFromJson(drop("version")));
  assert.throws(() => tableDescriptorFromJson("{not json"), isInvalidTable);
  assert.throws(() => dataTypeFromJson(`{"type":"VARCHAR"}`), isInvalidTable);
  assert.throws(() => dataTypeFromJson(`{"type":"DECIMAL","precision":50,"scale":0}`), isInvalidTable);
  // PK column unknown → validation error surfaces as INVALID_TABLE_EXCEPTION
  assert.throws(
    () => tableDescriptorFromJson(EXAMPLE_A.replace(`"primary_key":["id"]`, `"primary_key":["nope"]`)),
    isInvalidTable,
  );
});

test("agg functions and auto-increment columns are written in Java's order", () => {
  const s = Schema.builder()
    .column("id", DataTypes.BIGINT())
    .column("total", DataTypes.BIGINT(), { aggFunction: AggFunctions.SUM() })
    .column("names", DataTypes.STRING(), { aggFunction: AggFunctions.LISTAGG(";") })
    .primaryKey("id")
    .build();
  const json = schemaToJson(s);
  assert.equal(
    json,
    `{"version":1,"columns":[{"name":"id","data_type":{"type":"BIGINT","nullable":false},"id":0},` +
      `{"name":"total","data_type":{"type":"BIGINT"},"agg_function":{"type":"sum"},"id":1},` +
      `{"name":"names","data_type":{"type":"STRING"},"agg_function":{"type":"listagg","parameters":{"delimiter":";"}},"id":2}],` +
      `"primary_key":["id"],"highest_field_id":2}`,
  );
  assert.equal(schemaToJson(schemaFromJson(json)), json);
});
