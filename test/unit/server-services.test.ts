/** Coordinator RPCs of the local cluster, driven over a real socket. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { ApiKey } from "../../src/rpc/api-keys.js";
import { ErrorCode } from "../../src/rpc/errors.js";
import { DataTypes } from "../../src/metadata/data-types.js";
import { Schema } from "../../src/metadata/schema.js";
import { utf8Decode, utf8Encode } from "../../src/util/bytes.js";
import { LOG_SCHEMA, rejectsWith, tableJson, withCluster } from "./server-test-util.js";

const path = (tableName: string, databaseName = "fluss") => ({ databaseName, tableName });

test("api versions and metadata advertise one coordinator and one tablet server", async () => {
  await withCluster(async (cluster, conn) => {
    assert.equal(conn.serverType, undefined);
    for (const k of [ApiKey.CREATE_TABLE, ApiKey.PRODUCE_LOG, ApiKey.FETCH_LOG, ApiKey.LIST_OFFSETS, ApiKey.INIT_WRITER]) {
      assert.ok(conn.supports(k), `key ${k}`);
    }
    for (const k of [ApiKey.PUT_KV, ApiKey.LOOKUP, ApiKey.PREFIX_LOOKUP]) assert.ok(conn.supports(k), `key ${k}`);
    const md = await conn.request(ApiKey.GET_METADATA, { tablePath: [], partitionsPath: [], partitionsId: [] });
    assert.deepEqual(md.coordinatorServer, { nodeId: 0, host: "127.0.0.1", port: cluster.port });
    assert.deepEqual(md.tabletServers, [{ nodeId: 0, host: "127.0.0.1", port: cluster.port }]);
    assert.deepEqual(md.tableMetadata, []);
  });
});

test("databases: create, exists, list, info, drop and their errors", async () => {
  await withCluster(async (_c, conn) => {
    const json = utf8Encode('{"version":1,"comment":"c","custom_properties":{"a":"b"}}');
    await conn.request(ApiKey.CREATE_DATABASE, { databaseName: "sales", ignoreIfExists: false, databaseJson: json });
    await rejectsWith(
      conn.request(ApiKey.CREATE_DATABASE, { databaseName: "sales", ignoreIfExists: false }),
      ErrorCode.DATABASE_ALREADY_EXIST,
    );
    await conn.request(ApiKey.CREATE_DATABASE, { databaseName: "sales", ignoreIfExists: true });
    await rejectsWith(
      conn.request(ApiKey.CREATE_DATABASE, { databaseName: "a.b", ignoreIfExists: false }),
      ErrorCode.INVALID_DATABASE_EXCEPTION,
    );
    await rejectsWith(
      conn.request(ApiKey.CREATE_DATABASE, { databaseName: "__x", ignoreIfExists: false }),
      ErrorCode.INVALID_DATABASE_EXCEPTION,
    );
    assert.deepEqual((await conn.request(ApiKey.DATABASE_EXISTS, { databaseName: "sales" })).exists, true);
    assert.deepEqual((await conn.request(ApiKey.DATABASE_EXISTS, { databaseName: "nope" })).exists, false);
    const names = await conn.request(ApiKey.LIST_DATABASES, {});
    assert.deepEqual(names.databaseName, ["fluss", "sales"]);
    assert.deepEqual(names.databaseSummary, []);
    const info = await conn.request(ApiKey.GET_DATABASE_INFO, { databaseName: "sales" });
    assert.equal(utf8Decode(info.databaseJson), '{"version":1,"comment":"c","custom_properties":{"a":"b"}}');
    assert.ok(info.createdTime > 0);
    await rejectsWith(conn.request(ApiKey.GET_DATABASE_INFO, { databaseName: "nope" }), ErrorCode.DATABASE_NOT_EXIST);

    await conn.request(ApiKey.CREATE_TABLE, {
      tablePath: path("t", "sales"),
      tableJson: tableJson(LOG_SCHEMA),
      ignoreIfExists: false,
    });
    const summaries = await conn.request(ApiKey.LIST_DATABASES, { includeSummary: true });
    assert.deepEqual(summaries.databaseName, []);
    assert.deepEqual(
      summaries.databaseSummary.map((s) => [s.databaseName, s.tableCount]),
      [
        ["fluss", 0],
        ["sales", 1],
      ],
    );
    await rejectsWith(
      conn.request(ApiKey.DROP_DATABASE, { databaseName: "sales", ignoreIfNotExists: false, cascade: false }),
      ErrorCode.DATABASE_NOT_EMPTY,
    );
    await conn.request(ApiKey.DROP_DATABASE, { databaseName: "sales", ignoreIfNotExists: false, cascade: true });
    await rejectsWith(
      conn.request(ApiKey.DROP_DATABASE, { databaseName: "sales", ignoreIfNotExists: false, cascade: true }),
      ErrorCode.DATABASE_NOT_EXIST,
    );
    await conn.request(ApiKey.DROP_DATABASE, { databaseName: "sales", ignoreIfNotExists: true, cascade: true });
    await rejectsWith(
      conn.request(ApiKey.DROP_DATABASE, { databaseName: "fluss", ignoreIfNotExists: true, cascade: true }),
      ErrorCode.UNKNOWN_SERVER_ERROR,
      /default database/,
    );
  });
});

test("tables: create with system defaults, info, schema, list, exists, drop", async () => {
  await withCluster(async (_c, conn) => {
    await conn.request(ApiKey.CREATE_TABLE, { tablePath: path("logs"), tableJson: tableJson(LOG_SCHEMA), ignoreIfExists: false });
    const info = await conn.request(ApiKey.GET_TABLE_INFO, { tablePath: path("logs") });
    assert.equal(info.tableId, 0);
    assert.equal(info.schemaId, 1);
    const json = JSON.parse(utf8Decode(info.tableJson)) as Record<string, unknown>;
    assert.deepEqual(json.bucket_key, []);
    assert.equal(json.bucket_count, 1);
    assert.deepEqual(json.properties, { "table.replication.factor": "1" });

    const pk = Schema.builder().column("id", DataTypes.BIGINT()).column("v", DataTypes.STRING()).primaryKey("id").build();
    await conn.request(ApiKey.CREATE_TABLE, {
      tablePath: path("kv"),
      tableJson: tableJson(pk, { bucketCount: 4 }),
      ignoreIfExists: false,
    });
    const kv = JSON.parse(utf8Decode((await conn.request(ApiKey.GET_TABLE_INFO, { tablePath: path("kv") })).tableJson)) as Record<
      string,
      unknown
    >;
    assert.deepEqual(kv.properties, {
      "table.replication.factor": "1",
      "table.kv.format-version": "2",
      "table.kv.standby-replica.enabled": "true",
    });
    assert.deepEqual(kv.bucket_key, ["id"]);

    await rejectsWith(
      conn.request(ApiKey.CREATE_TABLE, { tablePath: path("logs"), tableJson: tableJson(LOG_SCHEMA), ignoreIfExists: false }),
      ErrorCode.TABLE_ALREADY_EXIST,
    );
    await conn.request(ApiKey.CREATE_TABLE, { tablePath: path("logs"), tableJson: tableJson(LOG_SCHEMA), ignoreIfExists: true });
    await rejectsWith(
      conn.request(ApiKey.CREATE_TABLE, { tablePath: path("bad"), tableJson: utf8Encode("{nope"), ignoreIfExists: false }),
      ErrorCode.INVALID_TABLE_EXCEPTION,
    );
    await rejectsWith(
      conn.request(ApiKey.CREATE_TABLE, {
        tablePath: path("bad"),
        tableJson: utf8Encode('{"version":1}'),
        ignoreIfExists: false,
      }),
      ErrorCode.INVALID_TABLE_EXCEPTION,
    );
    await rejectsWith(
      conn.request(ApiKey.CREATE_TABLE, {
        tablePath: path("rf"),
        tableJson: tableJson(LOG_SCHEMA, { properties: { "table.replication.factor": "3" } }),
        ignoreIfExists: false,
      }),
      ErrorCode.INVALID_REPLICATION_FACTOR,
    );
    await rejectsWith(
      conn.request(ApiKey.CREATE_TABLE, {
        tablePath: path("cfg"),
        tableJson: tableJson(LOG_SCHEMA, { properties: { "table.nope": "x" } }),
        ignoreIfExists: false,
      }),
      ErrorCode.INVALID_CONFIG_EXCEPTION,
    );
    await rejectsWith(
      conn.request(ApiKey.CREATE_TABLE, {
        tablePath: path("t", "nodb"),
        tableJson: tableJson(LOG_SCHEMA),
        ignoreIfExists: false,
      }),
      ErrorCode.DATABASE_NOT_EXIST,
    );
    await rejectsWith(
      conn.request(ApiKey.CREATE_TABLE, { tablePath: path("a.b"), tableJson: tableJson(LOG_SCHEMA), ignoreIfExists: false }),
      ErrorCode.INVALID_TABLE_EXCEPTION,
    );

    assert.deepEqual((await conn.request(ApiKey.LIST_TABLES, { databaseName: "fluss" })).tableName, ["logs", "kv"]);
    await rejectsWith(conn.request(ApiKey.LIST_TABLES, { databaseName: "nodb" }), ErrorCode.DATABASE_NOT_EXIST);
    assert.equal((await conn.request(ApiKey.TABLE_EXISTS, { tablePath: path("logs") })).exists, true);
    const schema = await conn.request(ApiKey.GET_TABLE_SCHEMA, { tablePath: path("logs") });
    assert.equal(schema.schemaId, 1);
    assert.match(utf8Decode(schema.schemaJson), /^\{"version":1,"columns":\[\{"name":"id"/);
    await rejectsWith(
      conn.request(ApiKey.GET_TABLE_SCHEMA, { tablePath: path("logs"), schemaId: 7 }),
      ErrorCode.SCHEMA_NOT_EXIST,
    );
    await rejectsWith(conn.request(ApiKey.GET_TABLE_INFO, { tablePath: path("nope") }), ErrorCode.TABLE_NOT_EXIST);

    const md = await conn.request(ApiKey.GET_METADATA, { tablePath: [path("kv")], partitionsPath: [], partitionsId: [] });
    assert.equal(md.tableMetadata.length, 1);
    assert.deepEqual(
      md.tableMetadata[0]!.bucketMetadata.map((b) => [b.bucketId, b.leaderId, b.replicaId, b.leaderEpoch]),
      [
        [0, 0, [0], 0],
        [1, 0, [0], 0],
        [2, 0, [0], 0],
        [3, 0, [0], 0],
      ],
    );
    await rejectsWith(
      conn.request(ApiKey.GET_METADATA, { tablePath: [path("nope")], partitionsPath: [], partitionsId: [] }),
      ErrorCode.TABLE_NOT_EXIST,
    );

    await conn.request(ApiKey.DROP_TABLE, { tablePath: path("logs"), ignoreIfNotExists: false });
    assert.equal((await conn.request(ApiKey.TABLE_EXISTS, { tablePath: path("logs") })).exists, false);
    await rejectsWith(
      conn.request(ApiKey.DROP_TABLE, { tablePath: path("logs"), ignoreIfNotExists: false }),
      ErrorCode.TABLE_NOT_EXIST,
    );
    await conn.request(ApiKey.DROP_TABLE, { tablePath: path("logs"), ignoreIfNotExists: true });
    const w1 = await conn.request(ApiKey.INIT_WRITER, { tablePath: [path("kv")] });
    const w2 = await conn.request(ApiKey.INIT_WRITER, { tablePath: [] });
    assert.deepEqual([w1.writerId, w2.writerId], [0, 1]);
  });
});

test("partitions: create, list, drop, metadata and their errors", async () => {
  await withCluster(async (_c, conn) => {
    const schema = Schema.builder()
      .column("id", DataTypes.INT())
      .column("dt", DataTypes.STRING())
      .column("r", DataTypes.STRING())
      .build();
    await conn.request(ApiKey.CREATE_TABLE, {
      tablePath: path("p"),
      tableJson: tableJson(schema, { partitionKeys: ["dt", "r"], bucketCount: 2 }),
      ignoreIfExists: false,
    });
    const spec = (dt: string, r: string) => ({
      partitionKeyValues: [
        { key: "r", value: r },
        { key: "dt", value: dt },
      ],
    });
    await conn.request(ApiKey.CREATE_PARTITION, {
      tablePath: path("p"),
      partitionSpec: spec("2024", "eu"),
      ignoreIfNotExists: false,
    });
    await conn.request(ApiKey.CREATE_PARTITION, {
      tablePath: path("p"),
      partitionSpec: spec("2025", "us"),
      ignoreIfNotExists: false,
    });
    await rejectsWith(
      conn.request(ApiKey.CREATE_PARTITION, {
        tablePath: path("p"),
        partitionSpec: spec("2024", "eu"),
        ignoreIfNotExists: false,
      }),
      ErrorCode.PARTITION_ALREADY_EXISTS,
      /dt=2024\/r=eu/,
    );
    await conn.request(ApiKey.CREATE_PARTITION, {
      tablePath: path("p"),
      partitionSpec: spec("2024", "eu"),
      ignoreIfNotExists: true,
    });
    await rejectsWith(
      conn.request(ApiKey.CREATE_PARTITION, {
        tablePath: path("p"),
        partitionSpec: { partitionKeyValues: [{ key: "dt", value: "x" }] },
        ignoreIfNotExists: false,
      }),
      ErrorCode.PARTITION_SPEC_INVALID_EXCEPTION,
    );
    await rejectsWith(
      conn.request(ApiKey.CREATE_PARTITION, { tablePath: path("p"), partitionSpec: spec("a$b", "x"), ignoreIfNotExists: false }),
      ErrorCode.PARTITION_SPEC_INVALID_EXCEPTION,
    );

    const all = await conn.request(ApiKey.LIST_PARTITION_INFOS, { tablePath: path("p") });
    assert.deepEqual(
      all.partitionsInfo.map((p) => [p.partitionId, p.partitionSpec.partitionKeyValues.map((kv) => `${kv.key}=${kv.value}`)]),
      [
        [0, ["dt=2024", "r=eu"]],
        [1, ["dt=2025", "r=us"]],
      ],
    );
    const some = await conn.request(ApiKey.LIST_PARTITION_INFOS, {
      tablePath: path("p"),
      partialPartitionSpec: { partitionKeyValues: [{ key: "r", value: "us" }] },
    });
    assert.deepEqual(
      some.partitionsInfo.map((p) => p.partitionId),
      [1],
    );

    const md = await conn.request(ApiKey.GET_METADATA, {
      tablePath: [path("p")],
      partitionsPath: [{ ...path("p"), partitionName: "2024$eu" }],
      partitionsId: [1],
    });
    assert.deepEqual(md.tableMetadata[0]!.bucketMetadata, []);
    assert.deepEqual(md.partitionMetadata.map((p) => [p.partitionId, p.partitionName, p.bucketMetadata.length]).sort(), [
      [0, "2024$eu", 2],
      [1, "2025$us", 2],
    ]);
    await rejectsWith(
      conn.request(ApiKey.GET_METADATA, {
        tablePath: [],
        partitionsPath: [{ ...path("p"), partitionName: "x$y" }],
        partitionsId: [],
      }),
      ErrorCode.PARTITION_NOT_EXISTS,
    );
    await rejectsWith(
      conn.request(ApiKey.GET_METADATA, { tablePath: [path("p")], partitionsPath: [], partitionsId: [99] }),
      ErrorCode.PARTITION_NOT_EXISTS,
    );

    await conn.request(ApiKey.DROP_PARTITION, {
      tablePath: path("p"),
      partitionSpec: spec("2024", "eu"),
      ignoreIfNotExists: false,
    });
    await rejectsWith(
      conn.request(ApiKey.DROP_PARTITION, { tablePath: path("p"), partitionSpec: spec("2024", "eu"), ignoreIfNotExists: false }),
      ErrorCode.PARTITION_NOT_EXISTS,
    );
    await conn.request(ApiKey.DROP_PARTITION, {
      tablePath: path("p"),
      partitionSpec: spec("2024", "eu"),
      ignoreIfNotExists: true,
    });

    await conn.request(ApiKey.CREATE_TABLE, { tablePath: path("flat"), tableJson: tableJson(LOG_SCHEMA), ignoreIfExists: false });
    await rejectsWith(
      conn.request(ApiKey.CREATE_PARTITION, { tablePath: path("flat"), partitionSpec: spec("1", "2"), ignoreIfNotExists: false }),
      ErrorCode.TABLE_NOT_PARTITIONED_EXCEPTION,
    );
    await rejectsWith(
      conn.request(ApiKey.LIST_PARTITION_INFOS, { tablePath: path("flat") }),
      ErrorCode.TABLE_NOT_PARTITIONED_EXCEPTION,
    );
    await rejectsWith(conn.request(ApiKey.LIST_PARTITION_INFOS, { tablePath: path("nope") }), ErrorCode.TABLE_NOT_EXIST);
  });
});
