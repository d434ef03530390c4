/** Admin RPCs of the local cluster whose error paths the public client never sends, over a real socket. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { ApiKey } from "../../src/rpc/api-keys.js";
import { ErrorCode } from "../../src/rpc/errors.js";
import { LOG_SCHEMA, rejectsWith, tableJson, withCluster } from "./server-test-util.js";

test("admin RPCs: op types Java refuses, lake snapshot arguments, table stats of unknown buckets", async () => {
  await withCluster(async (_c, conn) => {
    // ServerRpcMessageUtils.toDatabaseChange: APPEND/SUBTRACT are not database changes
    await rejectsWith(
      conn.request(ApiKey.ALTER_DATABASE, {
        databaseName: "fluss",
        ignoreIfNotExists: false,
        configChanges: [{ configKey: "a", configValue: "b", opType: 2 }],
      }),
      ErrorCode.UNKNOWN_SERVER_ERROR,
      /Unsupported alter database configs op type 2/,
    );
    // ... checked before the database is looked up
    await rejectsWith(
      conn.request(ApiKey.ALTER_DATABASE, {
        databaseName: "nodb",
        ignoreIfNotExists: true,
        configChanges: [{ configKey: "a", opType: 9 }],
      }),
      ErrorCode.UNKNOWN_SERVER_ERROR,
      /Unsupported AlterConfigOpType: 9/,
    );
    await rejectsWith(
      conn.request(ApiKey.ALTER_CLUSTER_CONFIGS, {
        alterConfigs: [{ configKey: "kv.snapshot.interval", configValue: "1 s", opType: 4 }],
      }),
      ErrorCode.UNKNOWN_SERVER_ERROR,
      /Unsupported AlterConfigOpType: 4/,
    );
    const described = await conn.request(ApiKey.DESCRIBE_CLUSTER_CONFIGS, {});
    assert.equal(described.configs.filter((c) => c.configSource === "DYNAMIC_SERVER_CONFIG").length, 0, "nothing applied");

    await conn.request(ApiKey.CREATE_TABLE, {
      tablePath: { databaseName: "fluss", tableName: "t" },
      tableJson: tableJson(LOG_SCHEMA, { bucketCount: 2 }),
      ignoreIfExists: false,
    });
    await rejectsWith(
      conn.request(ApiKey.GET_LAKE_SNAPSHOT, {
        tablePath: { databaseName: "fluss", tableName: "t" },
        snapshotId: 1,
        readable: true,
      }),
      ErrorCode.UNKNOWN_SERVER_ERROR,
      /cannot set both snapshot_id and readable=true/,
    );

    const info = await conn.request(ApiKey.GET_TABLE_INFO, { tablePath: { databaseName: "fluss", tableName: "t" } });
    const stats = await conn.request(ApiKey.GET_TABLE_STATS, {
      tableId: info.tableId,
      bucketsReq: [{ bucketId: 1 }, { bucketId: 5 }, { partitionId: 3, bucketId: 0 }],
      targetColumns: [],
    });
    assert.deepEqual(stats.bucketsResp[0], { bucketId: 1, rowCount: 0 });
    for (const r of stats.bucketsResp.slice(1)) {
      assert.equal(r.errorCode, ErrorCode.UNKNOWN_TABLE_OR_BUCKET_EXCEPTION);
      assert.equal(r.rowCount, undefined);
    }
    assert.equal(stats.bucketsResp[2]!.partitionId, 3, "the bucket's identity comes back with its error");

    // GetProducerOffsets of an unknown producer: an empty answer (the client returns null)
    const none = await conn.request(ApiKey.GET_PRODUCER_OFFSETS, { producerId: "p1" });
    assert.deepEqual(none, { tableOffsets: [] });
    await rejectsWith(
      conn.request(ApiKey.REGISTER_PRODUCER_OFFSETS, {
        producerId: "p1",
        tableOffsets: [{ tableId: 1, bucketOffsets: [{ bucketId: 0 }] }],
      }),
      ErrorCode.UNKNOWN_SERVER_ERROR,
    );
  });
});
