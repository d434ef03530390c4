import { test } from "node:test";
import assert from "node:assert/strict";
import * as arrow from "apache-arrow";
import { DataTypes, notNull, typeToString } from "../../src/metadata/data-types.js";
import { fromArrowType, toArrowField, toArrowSchema, toArrowType } from "../../src/metadata/arrow-types.js";
import { Schema } from "../../src/metadata/schema.js";
import { TablePath, PhysicalTablePath, detectInvalidName } from "../../src/metadata/table-path.js";
import { ServerNode, TableBucket } from "../../src/metadata/cluster.js";
import { ErrorCode, FlussError } from "../../src/rpc/errors.js";

const isClientError =
  (re?: RegExp) =>
  (e: unknown): boolean =>
    e instanceof FlussError && e.code === ErrorCode.CLIENT_ERROR && (!re || re.test(e.message));

test("Schema from an Arrow schema keeps nullability and forces PK NOT NULL", () => {
  const s = new Schema(
    new arrow.Schema([
      new arrow.Field("id", new arrow.Int32(), true),
      new arrow.Field("name", new arrow.Utf8(), false),
      new arrow.Field("score", new arrow.Float32(), true),
    ]),
    { primaryKeys: ["id"] },
  );
  assert.deepEqual(s.columnNames, ["id", "name", "score"]);
  assert.deepEqual(
    s.columns.map((c) => typeToString(c.type)),
    ["INT NOT NULL", "STRING NOT NULL", "FLOAT"],
  );
  assert.deepEqual(s.primaryKeys, ["id"]);
  assert.deepEqual(s.columnIds, [0, 1, 2]);
  assert.equal(s.highestFieldId, 2);
  assert.equal(s.indexOf("score"), 2);
  assert.equal(s.indexOf("nope"), -1);
  assert.equal(s.rowType.fields[1]!.name, "name");
});

test("field ids: top-level then nested ROW fields depth-first", () => {
  const s = Schema.fromColumns([
    { name: "a", type: DataTypes.INT() },
    {
      name: "r",
      type: DataTypes.ROW([
        DataTypes.FIELD("x", DataTypes.ROW([DataTypes.FIELD("deep", DataTypes.INT())])),
        DataTypes.FIELD("y", DataTypes.ARRAY(DataTypes.ROW([DataTypes.FIELD("z", DataTypes.INT())]))),
      ]),
    },
    { name: "b", type: DataTypes.MAP(DataTypes.STRING(), DataTypes.ROW([DataTypes.FIELD("v", DataTypes.INT())])) },
  ]);
  assert.deepEqual(s.columnIds, [0, 1, 6]);
  const r = s.columns[1]!.type;
  assert.ok(r.root === "ROW");
  assert.equal(r.fields[0]!.fieldId, 2);
  const x = r.fields[0]!.type;
  assert.ok(x.root === "ROW");
  assert.equal(x.fields[0]!.fieldId, 3);
  assert.equal(r.fields[1]!.fieldId, 4);
  const y = r.fields[1]!.type;
  assert.ok(y.root === "ARRAY" && y.elementType.root === "ROW");
  assert.equal(y.elementType.fields[0]!.fieldId, 5);
  const b = s.columns[2]!.type;
  assert.ok(b.root === "MAP" && b.valueType.root === "ROW");
  assert.equal(b.valueType.fields[0]!.fieldId, 7);
  assert.equal(s.highestFieldId, 7);
});

test("schema validation errors name the columns", () => {
  assert.throws(
    () =>
      Schema.fromColumns([
        { name: "a", type: DataTypes.INT() },
        { name: "a", type: DataTypes.INT() },
      ]),
    isClientError(/duplicate.*\[a\]/),
  );
  // @ts-expect-error a primary-key name that is not a column is a compile error too (typed schemas)
  assert.throws(() => Schema.fromColumns([{ name: "a", type: DataTypes.INT() }], ["a", "zz"]), isClientError(/\[zz\]/));
  assert.throws(() => Schema.builder().column("a", DataTypes.INT()).primaryKey(["a", "a"]).build(), isClientError(/duplicate/));
});

test("Schema.toArrow follows formats.md §3.3", () => {
  const s = Schema.builder()
    .column("id", DataTypes.BIGINT())
    .column("tags", DataTypes.ARRAY(DataTypes.STRING()))
    .column("attrs", DataTypes.MAP(DataTypes.STRING(), DataTypes.INT()))
    .column("ts", DataTypes.TIMESTAMP_LTZ(3))
    .primaryKey("id")
    .build();
  const a = s.toArrow();
  assert.equal(a.fields[0]!.nullable, false);
  assert.ok(arrow.DataType.isInt(a.fields[0]!.type) && a.fields[0]!.type.bitWidth === 64);
  const list = a.fields[1]!.type;
  assert.ok(arrow.DataType.isList(list));
  assert.equal(list.children[0]!.name, "element");
  const map = a.fields[2]!.type;
  assert.ok(arrow.DataType.isMap(map));
  assert.equal(map.children[0]!.name, "entries");
  assert.equal(map.children[0]!.nullable, false);
  assert.deepEqual(
    map.children[0]!.type.children.map((c: arrow.Field) => [c.name, c.nullable]),
    [
      ["key", false],
      ["value", true],
    ],
  );
  const ts = a.fields[3]!.type;
  assert.ok(arrow.DataType.isTimestamp(ts) && ts.timezone === "UTC" && ts.unit === arrow.TimeUnit.MILLISECOND);
});

test("Arrow mapping round-trips every Fluss type", () => {
  const types = [
    DataTypes.BOOLEAN(),
    DataTypes.TINYINT(),
    DataTypes.SMALLINT(),
    DataTypes.INT(),
    DataTypes.BIGINT(),
    DataTypes.FLOAT(),
    DataTypes.DOUBLE(),
    DataTypes.DECIMAL(20, 4),
    DataTypes.STRING(),
    DataTypes.BINARY(4),
    DataTypes.BYTES(),
    DataTypes.DATE(),
    DataTypes.TIME(0),
    DataTypes.TIME(3),
    DataTypes.TIME(6),
    DataTypes.TIME(9),
    DataTypes.TIMESTAMP(0),
    DataTypes.TIMESTAMP(3),
    DataTypes.TIMESTAMP(6),
    DataTypes.TIMESTAMP(9),
    DataTypes.TIMESTAMP_LTZ(6),
    notNull(DataTypes.ARRAY(notNull(DataTypes.INT()))),
    DataTypes.MAP(DataTypes.STRING(), DataTypes.DOUBLE()),
    DataTypes.ROW([DataTypes.FIELD("a", DataTypes.INT()), DataTypes.FIELD("b", notNull(DataTypes.STRING()))]),
  ];
  for (const t of types) {
    assert.equal(typeToString(fromArrowType(toArrowType(t), t.nullable)), typeToString(t));
  }
  assert.equal(toArrowSchema([{ name: "c", type: DataTypes.CHAR(2) }]).fields[0]!.type.typeId, new arrow.Utf8().typeId);
  assert.equal(toArrowField("f", notNull(DataTypes.INT())).nullable, false);
});

test("fromArrowType: the guide's table and the extras", () => {
  const cases: [arrow.DataType, string][] = [
    [new arrow.LargeUtf8(), "STRING"],
    [new arrow.LargeBinary(), "BYTES"],
    [new arrow.DateMillisecond(), "DATE"],
    [new arrow.TimeMillisecond(), "TIME(3)"],
    [new arrow.TimestampMicrosecond(), "TIMESTAMP(6)"],
    [new arrow.TimestampMicrosecond("UTC"), "TIMESTAMP_LTZ(6)"],
    [new arrow.TimestampNanosecond("Asia/Tokyo"), "TIMESTAMP_LTZ(9)"],
    [new arrow.Decimal(2, 12, 128), "DECIMAL(12, 2)"],
    [new arrow.FixedSizeBinary(7), "BINARY(7)"],
  ];
  for (const [t, s] of cases) assert.equal(typeToString(fromArrowType(t)), s);
  assert.throws(() => fromArrowType(new arrow.Uint32(), true, "u"), isClientError(/'u'/));
  assert.throws(() => new Schema(new arrow.Schema([new arrow.Field("h", new arrow.Float16())])), isClientError(/field 'h'/));
});

test("TablePath names follow Java's rules", () => {
  assert.equal(new TablePath("db", "t").toString(), "db.t");
  assert.ok(new TablePath("db", "t").equals(TablePath.of("db", "t")));
  assert.equal(detectInvalidName("ok_name-1"), undefined);
  assert.equal(detectInvalidName("."), "'.' is not allowed");
  assert.equal(detectInvalidName(""), "the empty string is not allowed");
  assert.match(detectInvalidName("a.b")!, /contains one or more characters other than ASCII alphanumerics/);
  assert.match(detectInvalidName("x".repeat(201))!, /longer than the max allowed length 200/);
  assert.equal(detectInvalidName("x".repeat(200)), undefined);
  assert.throws(
    () => TablePath.validateName("__sys", "table"),
    (e: unknown) =>
      e instanceof FlussError && e.code === ErrorCode.INVALID_TABLE_EXCEPTION && /'__' is not allowed as prefix/.test(e.message),
  );
  assert.doesNotThrow(() => TablePath.validateName("__sys", "table", false));
  assert.throws(
    () => TablePath.validateName("bad db", "database"),
    (e: unknown) =>
      e instanceof FlussError &&
      e.code === ErrorCode.INVALID_DATABASE_EXCEPTION &&
      e.message.startsWith("Database name bad db is invalid"),
  );
  assert.equal(new PhysicalTablePath(TablePath.of("d", "t"), "2024").toString(), "d.t(p=2024)");
});

test("ServerNode uid and TableBucket key", () => {
  assert.equal(new ServerNode(0, "localhost", 9123, "COORDINATOR").uid, "cs-0");
  assert.equal(new ServerNode(3, "h", 1, "TABLET_SERVER").uid, "ts-3");
  assert.equal(TableBucket.of(5, 2).key(), "5:-:2");
  assert.equal(TableBucket.ofPartition(5, 7, 2).key(), "5:7:2");
  assert.ok(TableBucket.of(1, 0).equals(new TableBucket(1, undefined, 0)));
  assert.equal(TableBucket.ofPartition(1, 2, 3).toString(), "TableBucket{tableId=1, partitionId=2, bucket=3}");
});
