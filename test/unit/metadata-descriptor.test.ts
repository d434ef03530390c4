import { test } from "node:test";
import assert from "node:assert/strict";
import { DataTypes } from "../../src/metadata/data-types.js";
import { Schema } from "../../src/metadata/schema.js";
import { TableDescriptor } from "../../src/metadata/table-descriptor.js";
import { TableInfo } from "../../src/metadata/table-info.js";
import { TablePath } from "../../src/metadata/table-path.js";
import { isKnownTableOption } from "../../src/metadata/table-options.js";
import { applyTableDefaults, validateTableDescriptor } from "../../src/server/catalog/validation.js";
import { tableDescriptorToJson } from "../../src/metadata/json.js";
import { ErrorCode, FlussError } from "../../src/rpc/errors.js";

const code =
  (c: number, re?: RegExp) =>
  (e: unknown): boolean =>
    e instanceof FlussError && e.code === c && (!re || re.test(e.message));

const pkSchema = Schema.fromColumns(
  [
    { name: "id", type: DataTypes.INT() },
    { name: "region", type: DataTypes.STRING() },
    { name: "v", type: DataTypes.BIGINT() },
    { name: "tags", type: DataTypes.ARRAY(DataTypes.STRING()) },
  ],
  ["id", "region"],
);

test("distribution normalization (Java normalizeDistribution)", () => {
  const d = new TableDescriptor(pkSchema, { partitionKeys: ["region"] });
  assert.deepEqual(d.bucketKeys, ["id"]);
  assert.equal(d.bucketCount, undefined);
  assert.deepEqual(new TableDescriptor(pkSchema, { bucketCount: 3 }).bucketKeys, ["id", "region"]);
  assert.throws(
    () => new TableDescriptor(pkSchema, { partitionKeys: ["region"], bucketKeys: ["region"] }),
    code(ErrorCode.CLIENT_ERROR, /shouldn't include any column in partition keys/),
  );
  assert.throws(
    () => new TableDescriptor(pkSchema, { bucketKeys: ["v"] }),
    code(ErrorCode.CLIENT_ERROR, /subset of primary keys.*\[v\]/),
  );
  assert.throws(
    () => new TableDescriptor(pkSchema, { partitionKeys: ["v"] }),
    code(ErrorCode.CLIENT_ERROR, /subset of the primary key/),
  );
  const log = Schema.fromColumns([
    { name: "a", type: DataTypes.INT() },
    { name: "b", type: DataTypes.STRING() },
  ]);
  assert.equal(new TableDescriptor(log).distribution, undefined);
  assert.throws(() => new TableDescriptor(log, { partitionKeys: ["zz"] }), code(ErrorCode.CLIENT_ERROR, /'zz'/));
  assert.throws(() => new TableDescriptor(log, { bucketKeys: ["zz"] }), code(ErrorCode.CLIENT_ERROR, /'zz'/));
  const onlyPart = Schema.fromColumns([{ name: "p", type: DataTypes.STRING() }], ["p"]);
  assert.throws(
    () => new TableDescriptor(onlyPart, { partitionKeys: ["p"] }),
    code(ErrorCode.CLIENT_ERROR, /should not be same/),
  );
});

test("logFormat/kvFormat become properties", () => {
  const d = new TableDescriptor(pkSchema, {
    kvFormat: "INDEXED",
    logFormat: "INDEXED",
    properties: { "table.replication.factor": "1" },
  });
  assert.deepEqual(d.properties, {
    "table.replication.factor": "1",
    "table.log.format": "INDEXED",
    "table.kv.format": "INDEXED",
  });
  assert.equal(d.logFormat, "INDEXED");
  assert.equal(d.kvFormat, "INDEXED");
});

test("applyTableDefaults matches protocol.md §5 server-returned examples", () => {
  const d = applyTableDefaults(new TableDescriptor(pkSchema, { bucketCount: 4 }));
  assert.deepEqual(d.properties, {
    "table.replication.factor": "1",
    "table.kv.format-version": "2",
    "table.kv.standby-replica.enabled": "true",
  });
  const log = Schema.fromColumns([
    { name: "a", type: DataTypes.INT() },
    { name: "dt", type: DataTypes.STRING() },
  ]);
  const b = applyTableDefaults(new TableDescriptor(log, { partitionKeys: ["dt"] }));
  assert.equal(b.bucketCount, 1);
  assert.match(tableDescriptorToJson(b), /"partition_key":\["dt"\],"bucket_key":\[\],"bucket_count":1,/);
  const fr = applyTableDefaults(new TableDescriptor(pkSchema, { properties: { "table.merge-engine": "first_row" } }));
  assert.equal(fr.properties["table.delete.behavior"], "IGNORE");
  assert.doesNotThrow(() => validateTableDescriptor(fr));
});

test("validateTableDescriptor: server error codes", () => {
  const ok = applyTableDefaults(new TableDescriptor(pkSchema, { bucketCount: 2 }));
  assert.doesNotThrow(() => validateTableDescriptor(ok));
  assert.throws(
    () => validateTableDescriptor(ok.withProperties({ "table.nope": "1" })),
    code(ErrorCode.INVALID_CONFIG_EXCEPTION, /'table.nope' is not a recognized Fluss table property/),
  );
  assert.throws(
    () => validateTableDescriptor(ok.withProperties({ owner: "x" })),
    code(ErrorCode.INVALID_CONFIG_EXCEPTION, /customProperty/),
  );
  assert.throws(
    () => validateTableDescriptor(ok.withProperties({ "table.log.format": "PARQUET" })),
    code(ErrorCode.INVALID_CONFIG_EXCEPTION, /Invalid value for config 'table.log.format'/),
  );
  assert.throws(
    () => validateTableDescriptor(ok.withProperties({ "table.log.format": "indexed" })),
    code(ErrorCode.INVALID_CONFIG_EXCEPTION, /ARROW or COMPACTED log format/),
  );
  assert.throws(
    () => validateTableDescriptor(ok.withBucketCount(5000)),
    code(ErrorCode.BUCKET_MAX_NUM_EXCEPTION, /5000 exceeds the maximum limit 4096/),
  );
  assert.throws(
    () => validateTableDescriptor(ok.withProperties({ "table.log.arrow.compression.zstd.level": "30" })),
    code(ErrorCode.INVALID_CONFIG_EXCEPTION, /ZSTD compression level: 30/),
  );
  const arrPk = Schema.fromColumns([{ name: "k", type: DataTypes.ARRAY(DataTypes.INT()) }], ["k"]);
  assert.throws(
    () => validateTableDescriptor(applyTableDefaults(new TableDescriptor(arrPk))),
    code(ErrorCode.INVALID_TABLE_EXCEPTION, /Bucket key column 'k' has unsupported data type/),
  );
  const reserved = Schema.fromColumns([{ name: "__offset", type: DataTypes.INT() }]);
  assert.throws(
    () => validateTableDescriptor(applyTableDefaults(new TableDescriptor(reserved))),
    code(ErrorCode.INVALID_TABLE_EXCEPTION, /__offset cannot be used as column names/),
  );
  const log = Schema.fromColumns([
    { name: "a", type: DataTypes.INT() },
    { name: "m", type: DataTypes.MAP(DataTypes.INT(), DataTypes.INT()) },
  ]);
  assert.throws(
    () => validateTableDescriptor(applyTableDefaults(new TableDescriptor(log, { partitionKeys: ["m"] }))),
    code(ErrorCode.INVALID_TABLE_EXCEPTION, /partition key 'm'/),
  );
  assert.throws(
    () =>
      validateTableDescriptor(
        applyTableDefaults(new TableDescriptor(log, { properties: { "table.auto-partition.enabled": "true" } })),
      ),
    code(ErrorCode.INVALID_CONFIG_EXCEPTION, /only supported for partitioned table/),
  );
  assert.throws(
    () =>
      validateTableDescriptor(
        applyTableDefaults(new TableDescriptor(log, { properties: { "table.merge-engine": "first_row" } })),
      ),
    code(ErrorCode.INVALID_CONFIG_EXCEPTION, /only supported in primary key table/),
  );
  assert.throws(
    () => validateTableDescriptor(new TableDescriptor(log)),
    code(ErrorCode.INVALID_TABLE_EXCEPTION, /distribution is required/),
  );
  assert.ok(isKnownTableOption("table.datalake.freshness"));
  assert.ok(!isKnownTableOption("client.writer.batch-size"));
});

test("TableInfo accessors for a partitioned PK table", () => {
  const d = applyTableDefaults(
    new TableDescriptor(pkSchema, {
      partitionKeys: ["region"],
      properties: { "table.log.arrow.compression.type": "lz4_frame", "table.auto-partition.enabled": "true" },
    }),
  );
  const info = TableInfo.of(TablePath.of("db", "t"), 3, 1, d, 10, 20);
  assert.deepEqual(info.physicalPrimaryKeys, ["id"]);
  assert.deepEqual(info.bucketKeys, ["id"]);
  assert.equal(info.numBuckets, 1);
  assert.equal(info.isPartitioned, true);
  assert.deepEqual(info.arrowCompression, { type: "LZ4_FRAME", level: -1 });
  assert.equal(info.autoPartition.enabled, true);
  assert.equal(info.autoPartition.timeUnit, "DAY");
  assert.equal(info.autoPartition.numRetention, 7);
  assert.equal(info.replicationFactor, 1);
  assert.equal(info.rowType.fields.length, 4);
  assert.equal(info.toTableDescriptor().bucketCount, 1);
});
