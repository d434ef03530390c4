/**
 * The admin API beyond databases and tables, end to end against the local cluster:
 * alterDatabase, cluster configs (persisted, validated as Java), cluster health, table
 * stats, KV snapshots, lake snapshots (none: Fluss's error) and producer offsets.
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import {
  Config,
  DataTypes,
  DatabaseChange,
  DatabaseDescriptor,
  ErrorCode,
  FlussConnection,
  LocalCluster,
  OffsetSpec,
  Schema,
  TableDescriptor,
  TablePath,
  notNull,
  type FlussAdmin,
} from "../../src/index.js";
import { rejectsWith } from "../helpers/assert.js";

const pkSchema = Schema.fromColumns(
  [
    { name: "id", type: notNull(DataTypes.INT()) },
    { name: "name", type: DataTypes.STRING() },
  ],
  ["id"],
);
const logSchema = Schema.fromColumns([
  { name: "id", type: DataTypes.INT() },
  { name: "name", type: DataTypes.STRING() },
]);
const partPkSchema = Schema.fromColumns(
  [
    { name: "id", type: notNull(DataTypes.INT()) },
    { name: "region", type: notNull(DataTypes.STRING()) },
  ],
  ["id", "region"],
);

async function connect(cluster: LocalCluster): Promise<FlussConnection> {
  return FlussConnection.connect(new Config({ "bootstrap.servers": cluster.bootstrapServers }));
}

describe("admin: databases, cluster, stats, snapshots, producer offsets (e2e)", () => {
  let dataDir: string;
  let cluster: LocalCluster;
  let conn: FlussConnection;
  let admin: FlussAdmin;
  const db = "adm";
  const serverConfig = {
    "kv.snapshot.interval": "10 min",
    "remote.data.dirs": "file:///r1",
    "coordinator.producer-offsets.cleanup-interval": "100 ms",
  };

  async function restart(): Promise<void> {
    await conn.close();
    await cluster.close();
    cluster = await LocalCluster.start({ dataDir, serverConfig });
    conn = await connect(cluster);
    admin = conn.getAdmin();
  }

  before(async () => {
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "flussjs-admin-"));
    cluster = await LocalCluster.start({ dataDir, serverConfig });
    conn = await connect(cluster);
    admin = conn.getAdmin();
    await admin.createDatabase(db, {
      descriptor: new DatabaseDescriptor({ comment: "c0", customProperties: { a: "1", b: "2" } }),
    });
  });
  after(async () => {
    await conn.close();
    await cluster.close();
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  test("alterDatabase: set, reset, comment, no-op, errors", async () => {
    const before = await admin.getDatabaseInfo(db);
    await new Promise((r) => setTimeout(r, 5));
    await admin.alterDatabase(db, [DatabaseChange.set("a", "10"), DatabaseChange.set("c", "3"), DatabaseChange.reset("b")]);
    let info = await admin.getDatabaseInfo(db);
    assert.deepEqual(info.customProperties, { a: "10", c: "3" });
    assert.equal(info.comment, "c0");
    assert.ok(info.modifiedTime > before.modifiedTime, "modified time moves");
    assert.equal(info.createdTime, before.createdTime);

    await admin.alterDatabase(db, [DatabaseChange.updateComment("new comment"), { type: "reset", key: "nope" }]);
    info = await admin.getDatabaseInfo(db);
    assert.equal(info.comment, "new comment");
    assert.deepEqual(info.customProperties, { a: "10", c: "3" });

    // nothing changes: the database is not rewritten (MetadataManager skips the update)
    const stamp = info.modifiedTime;
    await new Promise((r) => setTimeout(r, 5));
    await admin.alterDatabase(db, [DatabaseChange.set("a", "10"), DatabaseChange.reset("zzz")]);
    assert.equal((await admin.getDatabaseInfo(db)).modifiedTime, stamp);

    // "" removes the comment
    await admin.alterDatabase(db, [DatabaseChange.updateComment("")]);
    info = await admin.getDatabaseInfo(db);
    assert.equal(info.comment, undefined);

    await rejectsWith(
      admin.alterDatabase("adm_nope", [DatabaseChange.set("x", "1")]),
      ErrorCode.DATABASE_NOT_EXIST,
      /adm_nope not exists/,
    );
    await admin.alterDatabase("adm_nope", [DatabaseChange.set("x", "1")], { ignoreIfNotExists: true });
    assert.equal(await admin.databaseExists("adm_nope"), false);
    await rejectsWith(admin.alterDatabase("bad name", []), ErrorCode.INVALID_DATABASE_EXCEPTION);
    await rejectsWith(admin.alterDatabase("__internal", []), ErrorCode.INVALID_DATABASE_EXCEPTION, /__internal is invalid/);
    await rejectsWith(
      admin.alterDatabase(db, [{ type: "append", key: "a" } as unknown as DatabaseChange]),
      ErrorCode.CLIENT_ERROR,
      /is not a DatabaseChange/,
    );
    await rejectsWith(admin.alterDatabase(db, [], { ignore: true } as never), ErrorCode.CLIENT_ERROR, /ignore/);
  });

  test("cluster configs: describe, alter, validate as Java, persisted, secrets redacted", async () => {
    const byKey = async () => new Map((await admin.describeClusterConfigs()).map((e) => [e.key, e]));
    let cfg = await byKey();
    assert.deepEqual(cfg.get("data.dir"), { key: "data.dir", value: dataDir, source: "INITIAL_SERVER_CONFIG" });
    assert.deepEqual(cfg.get("kv.snapshot.interval"), {
      key: "kv.snapshot.interval",
      value: "10 min",
      source: "INITIAL_SERVER_CONFIG",
    });

    await admin.alterClusterConfigs([
      { key: "kv.snapshot.interval", value: "30 s" },
      { key: "datalake.paimon.warehouse", value: "/tmp/wh" },
      { key: "remote.data.dirs", value: "file:///r2", opType: "APPEND" },
      { key: "security.sasl.plain.credentials", value: "alice:secret1,bob:secret2" },
    ]);
    cfg = await byKey();
    assert.deepEqual(cfg.get("kv.snapshot.interval"), {
      key: "kv.snapshot.interval",
      value: "30 s",
      source: "DYNAMIC_SERVER_CONFIG",
    });
    assert.equal(cfg.get("datalake.paimon.warehouse")?.source, "DYNAMIC_SERVER_CONFIG");
    assert.equal(cfg.get("remote.data.dirs")?.value, "file:///r1,file:///r2");
    assert.equal(cfg.get("security.sasl.plain.credentials")?.value, "alice:******,bob:******");

    await admin.alterClusterConfigs([
      { key: "remote.data.dirs", value: "file:///r1", opType: "SUBTRACT" },
      { key: "security.sasl.plain.credentials", value: "alice:x", opType: "SUBTRACT" },
    ]);
    cfg = await byKey();
    assert.equal(cfg.get("remote.data.dirs")?.value, "file:///r2");
    assert.equal(cfg.get("security.sasl.plain.credentials")?.value, "bob:******");

    // Java's errors; a failing batch changes nothing
    const refused = (changes: Parameters<FlussAdmin["alterClusterConfigs"]>[0], pattern: RegExp) =>
      rejectsWith(admin.alterClusterConfigs(changes), ErrorCode.CONFIG_EXCEPTION, pattern);
    await refused([{ key: "data.dir", value: "/x" }], /The config key data.dir is not allowed to be changed dynamically\./);
    await refused([{ key: "no.such.key", value: "1" }], /no.such.key is not allowed/);
    await refused(
      [
        { key: "kv.snapshot.interval", value: "1 min" },
        { key: "kv.snapshot.interval", value: "abc" },
      ],
      /Cannot parse 'abc' as Duration for config 'kv.snapshot.interval'/,
    );
    await refused([{ key: "log.replica.min-in-sync-replicas-number", value: "x" }], /as Integer for config/);
    await refused([{ key: "datalake.format", value: "orc" }], /as DataLakeFormat for config 'datalake.format'/);
    await refused([{ key: "kv.rocksdb.shared-rate-limiter.bytes-per-sec", value: "100" }], /does not specify a memory unit/);
    await refused(
      [{ key: "server.data-disk.write-limit-ratio", value: "1.5" }],
      /Invalid disk write-limit configuration: .*server.data-disk.write-limit-ratio=1.5, server.data-disk.write-recover-ratio=0.8/,
    );
    await refused(
      [{ key: "server.historical-partition.lookup-cache.max-disk-ratio", value: "0" }],
      /must be within \(0.0, 1.0\]/,
    );
    await refused(
      [{ key: "kv.snapshot.interval", value: "1 s", opType: "APPEND" }],
      /only supported for list-typed or map-typed/,
    );
    await refused(
      [{ key: "security.sasl.plain.credentials", value: "bob:again", opType: "APPEND" }],
      /must not contain duplicate map entry keys: 'bob'/,
    );
    // biome-ignore lint/suspicious/noTemplateCurlyInString: a config-provider marker, not a template
    await refused([{ key: "kv.snapshot.interval", value: "${env:X}" }], /Config provider markers/);
    await rejectsWith(admin.alterClusterConfigs([{ key: "a", opType: "PUT" as never }]), ErrorCode.CLIENT_ERROR, /opType of a/);
    cfg = await byKey();
    assert.equal(cfg.get("kv.snapshot.interval")?.value, "30 s", "unchanged by the failed calls");
    await admin.alterClusterConfigs([]);

    // persisted: a restart keeps the dynamic values; DELETE goes back to the initial one
    await restart();
    cfg = await byKey();
    assert.deepEqual(cfg.get("kv.snapshot.interval"), {
      key: "kv.snapshot.interval",
      value: "30 s",
      source: "DYNAMIC_SERVER_CONFIG",
    });
    assert.equal(cfg.get("remote.data.dirs")?.value, "file:///r2");
    await admin.alterClusterConfigs([
      { key: "kv.snapshot.interval", opType: "DELETE" },
      { key: "remote.data.dirs", opType: "DELETE" },
      { key: "security.sasl.plain.credentials", opType: "DELETE" },
      { key: "datalake.paimon.warehouse", opType: "DELETE" },
    ]);
    cfg = await byKey();
    assert.deepEqual(cfg.get("kv.snapshot.interval"), {
      key: "kv.snapshot.interval",
      value: "10 min",
      source: "INITIAL_SERVER_CONFIG",
    });
    assert.equal(cfg.get("remote.data.dirs")?.source, "INITIAL_SERVER_CONFIG");
    assert.equal(cfg.has("datalake.paimon.warehouse"), false);
  });

  test("KV snapshots: a dynamic kv.snapshot.interval takes effect; latest and active snapshots; errors", async () => {
    const tp = new TablePath(db, "kv1");
    await admin.createTable(tp, new TableDescriptor(pkSchema, { bucketCount: 3 }));
    const info = await admin.getTableInfo(tp);
    let snaps = await admin.getLatestKvSnapshots(tp);
    assert.deepEqual(snaps, { tableId: info.tableId, buckets: [{ bucket: 0 }, { bucket: 1 }, { bucket: 2 }] });
    assert.deepEqual(await admin.listKvSnapshots(info.tableId), { tableId: info.tableId, snapshotIdsByBucket: {} });

    const writer = (await conn.getTable(tp)).newUpsert();
    for (let i = 0; i < 20; i++) writer.upsert({ id: i, name: `n${i}` });
    await writer.flush();
    const ends = await admin.listOffsets(tp, [0, 1, 2], OffsetSpec.latest());

    // with the initial 10 min nothing is snapshotted; at 1 s the periodic snapshot runs
    await admin.alterClusterConfigs([{ key: "kv.snapshot.interval", value: "1 s" }]);
    const deadline = Date.now() + 10_000;
    for (;;) {
      snaps = await admin.getLatestKvSnapshots(tp);
      if (snaps.buckets.every((b) => b.snapshotId !== undefined) || Date.now() > deadline) break;
      await new Promise((r) => setTimeout(r, 200));
    }
    await admin.alterClusterConfigs([{ key: "kv.snapshot.interval", opType: "DELETE" }]);
    for (const b of snaps.buckets) {
      assert.equal(b.logOffset, ends[b.bucket], `bucket ${b.bucket}: snapshot covers its changelog`);
      assert.equal(b.snapshotId, 0, "a bucket's first snapshot has id 0");
    }
    const active = await admin.listKvSnapshots(info.tableId);
    assert.deepEqual(active.snapshotIdsByBucket, Object.fromEntries(snaps.buckets.map((b) => [b.bucket, [b.snapshotId]])));

    // errors (RpcServiceBase.getLatestKvSnapshots, CoordinatorService.listKvSnapshots)
    const logTp = new TablePath(db, "log_for_kv");
    await admin.createTable(logTp, new TableDescriptor(logSchema, { bucketCount: 1 }));
    await rejectsWith(admin.getLatestKvSnapshots(logTp), ErrorCode.NON_PRIMARY_KEY_TABLE_EXCEPTION, /is not a primary key table/);
    await rejectsWith(
      admin.getLatestKvSnapshots(tp, "x"),
      ErrorCode.TABLE_NOT_PARTITIONED_EXCEPTION,
      /is not a partitioned table/,
    );
    await rejectsWith(admin.getLatestKvSnapshots(new TablePath(db, "nope")), ErrorCode.TABLE_NOT_EXIST);
    const ptp = new TablePath(db, "kv_parts");
    await admin.createTable(ptp, new TableDescriptor(partPkSchema, { bucketCount: 2, partitionKeys: ["region"] }));
    await admin.createPartition(ptp, { region: "eu" });
    await rejectsWith(admin.getLatestKvSnapshots(ptp), ErrorCode.PARTITION_NOT_EXISTS, /partition name is not provided/);
    await rejectsWith(admin.getLatestKvSnapshots(ptp, "us"), ErrorCode.PARTITION_NOT_EXISTS, /The partition 'us' of table/);
    const pinfo = await admin.getTableInfo(ptp);
    const eu = (await admin.listPartitionInfos(ptp))[0]!.partitionId;
    assert.deepEqual(await admin.getLatestKvSnapshots(ptp, "eu"), {
      tableId: pinfo.tableId,
      partitionId: eu,
      buckets: [{ bucket: 0 }, { bucket: 1 }],
    });
    assert.deepEqual(await admin.listKvSnapshots(pinfo.tableId, eu), {
      tableId: pinfo.tableId,
      partitionId: eu,
      snapshotIdsByBucket: {},
    });
    await rejectsWith(admin.listKvSnapshots(999_999), ErrorCode.TABLE_NOT_EXIST, /Table 999999 does not exist/);
    await rejectsWith(
      admin.listKvSnapshots(pinfo.tableId, 999_999),
      ErrorCode.PARTITION_NOT_EXISTS,
      /Partition 999999 does not exist/,
    );
    await rejectsWith(admin.listKvSnapshots(info.tableId, eu), ErrorCode.PARTITION_NOT_EXISTS, /does not belong to table/);
    await rejectsWith(admin.listKvSnapshots(1.5), ErrorCode.CLIENT_ERROR, /tableId must be an integer/);

    // a clean restart snapshots the partition's written buckets too
    const pw = (await conn.getTable(ptp)).newUpsert();
    pw.upsert({ id: 1, region: "eu" });
    await pw.flush();
    await restart();
    const ps = await admin.getLatestKvSnapshots(ptp, "eu");
    assert.equal(ps.buckets.filter((b) => b.snapshotId !== undefined).length, 1);
    assert.ok(ps.buckets.every((b) => b.snapshotId === undefined || b.logOffset === 1));
  });

  test("getTableStats: log, primary-key, partitioned, WAL and missing tables", async () => {
    const logTp = new TablePath(db, "stats_log");
    await admin.createTable(logTp, new TableDescriptor(logSchema, { bucketCount: 3 }));
    const w = (await conn.getTable(logTp)).newAppendWriter();
    for (let i = 0; i < 25; i++) w.append({ id: i, name: "x" });
    await w.flush();
    const ls = await admin.getTableStats(logTp);
    assert.equal(ls.rowCount, 25);
    assert.deepEqual(
      ls.buckets.map((b) => b.bucket),
      [0, 1, 2],
    );
    const ends = await admin.listOffsets(logTp, [0, 1, 2], OffsetSpec.latest());
    for (const b of ls.buckets) assert.equal(b.rowCount, ends[b.bucket]);

    const pkTp = new TablePath(db, "stats_pk");
    await admin.createTable(pkTp, new TableDescriptor(pkSchema, { bucketCount: 2 }));
    const u = (await conn.getTable(pkTp)).newUpsert();
    for (let i = 0; i < 6; i++) u.upsert({ id: i, name: "a" });
    u.upsert({ id: 1, name: "b" });
    u.delete({ id: 2 });
    await u.flush();
    const ps = await admin.getTableStats(pkTp);
    assert.equal(ps.rowCount, 5, "live keys, not changelog records");
    assert.equal(ps.buckets.length, 2);

    const partTp = new TablePath(db, "stats_parts");
    await admin.createTable(partTp, new TableDescriptor(partPkSchema, { bucketCount: 2, partitionKeys: ["region"] }));
    const pu = (await conn.getTable(partTp)).newUpsert();
    for (const region of ["eu", "us"]) for (let i = 0; i < 3; i++) pu.upsert({ id: i, region });
    await pu.flush();
    const parts = await admin.getTableStats(partTp);
    assert.equal(parts.rowCount, 6);
    assert.equal(parts.buckets.length, 4);
    const ids = new Set((await admin.listPartitionInfos(partTp)).map((p) => p.partitionId));
    assert.ok(parts.buckets.every((b) => b.partitionId !== undefined && ids.has(b.partitionId)));

    const walTp = new TablePath(db, "stats_wal");
    await admin.createTable(
      walTp,
      new TableDescriptor(pkSchema, { bucketCount: 1, properties: { "table.changelog.image": "WAL" } }),
    );
    await rejectsWith(
      admin.getTableStats(walTp),
      ErrorCode.INVALID_TABLE_EXCEPTION,
      /Row count is disabled for this table 'adm.stats_wal'/,
    );
    await rejectsWith(admin.getTableStats(new TablePath(db, "nope")), ErrorCode.TABLE_NOT_EXIST);
  });

  test("lake snapshots: none on a cluster without a lake, with Fluss's error", async () => {
    const tp = new TablePath(db, "lake1");
    await admin.createTable(tp, new TableDescriptor(logSchema, { bucketCount: 1 }));
    const { tableId } = await admin.getTableInfo(tp);
    await rejectsWith(
      admin.getLatestLakeSnapshot(tp),
      ErrorCode.LAKE_SNAPSHOT_NOT_EXIST,
      new RegExp(`^Lake table snapshot doesn't exist for table: adm.lake1, table id: ${tableId}$`),
    );
    await rejectsWith(admin.getLakeSnapshot(tp, 7), ErrorCode.LAKE_SNAPSHOT_NOT_EXIST, /, snapshot id: 7$/);
    await rejectsWith(
      admin.getReadableLakeSnapshot(tp),
      ErrorCode.LAKE_SNAPSHOT_NOT_EXIST,
      /Lake table readable snapshot doesn't exist/,
    );
    await rejectsWith(admin.getLatestLakeSnapshot(new TablePath(db, "nope")), ErrorCode.TABLE_NOT_EXIST);
  });

  test("producer offsets: register once, get, expire, delete, persisted, errors", async () => {
    const offsets = [
      { tableId: 3, bucket: 0, offset: 10 },
      { tableId: 3, bucket: 1, offset: 0 },
      { tableId: 4, partitionId: 7, bucket: 2, offset: 99 },
    ];
    const t0 = Date.now();
    assert.equal(await admin.registerProducerOffsets("job-1", offsets), "CREATED");
    assert.equal(await admin.registerProducerOffsets("job-1", [{ tableId: 3, bucket: 0, offset: 11 }]), "ALREADY_EXISTS");
    const got = await admin.getProducerOffsets("job-1");
    assert.ok(got);
    assert.equal(got.producerId, "job-1");
    assert.deepEqual(got.offsets, offsets, "the first registration is kept");
    const day = 24 * 3600_000;
    assert.ok(got.expirationTime >= t0 + day && got.expirationTime <= Date.now() + day, "default TTL 24 h");
    assert.equal(await admin.getProducerOffsets("job-2"), null);

    // persisted across a restart
    await restart();
    assert.deepEqual((await admin.getProducerOffsets("job-1"))?.offsets, offsets);
    await admin.deleteProducerOffsets("job-1");
    assert.equal(await admin.getProducerOffsets("job-1"), null);
    await admin.deleteProducerOffsets("job-1");

    // an expired snapshot is replaced by the next registration, and removed by the cleanup
    assert.equal(await admin.registerProducerOffsets("job-3", [{ tableId: 1, bucket: 0, offset: 1 }], { ttlMs: 1 }), "CREATED");
    await new Promise((r) => setTimeout(r, 20));
    assert.equal(await admin.registerProducerOffsets("job-3", [{ tableId: 1, bucket: 0, offset: 2 }], { ttlMs: 1 }), "CREATED");
    const deadline = Date.now() + 5_000;
    while ((await admin.getProducerOffsets("job-3")) !== null && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 50));
    assert.equal(await admin.getProducerOffsets("job-3"), null, "cleanup (every 100 ms here) removed it");

    await rejectsWith(
      admin.registerProducerOffsets("bad id", []),
      ErrorCode.INVALID_PRODUCER_ID_EXCEPTION,
      /Invalid producer ID 'bad id'/,
    );
    await rejectsWith(admin.getProducerOffsets(""), ErrorCode.INVALID_PRODUCER_ID_EXCEPTION, /the empty string is not allowed/);
    await rejectsWith(admin.deleteProducerOffsets("a/b"), ErrorCode.INVALID_PRODUCER_ID_EXCEPTION);
    await rejectsWith(
      admin.registerProducerOffsets("ok", [{ tableId: 1, bucket: 0 } as never]),
      ErrorCode.CLIENT_ERROR,
      /is not a \{ tableId, partitionId\?, bucket, offset \}/,
    );
    await rejectsWith(admin.getProducerOffsets(5 as never), ErrorCode.CLIENT_ERROR, /producerId must be a string/);
  });
});

describe("admin: cluster health (e2e, three tablet servers)", () => {
  test("GREEN, RED while a tablet server is down, GREEN again", async () => {
    await using cluster = await LocalCluster.start({ tabletServers: 3 });
    const conn = await connect(cluster);
    try {
      const admin = conn.getAdmin();
      assert.deepEqual(await admin.getClusterHealth(), {
        numReplicas: 0,
        inSyncReplicas: 0,
        numLeaderReplicas: 0,
        activeLeaderReplicas: 0,
        status: "GREEN",
      });
      await admin.createTable(new TablePath("fluss", "h1"), new TableDescriptor(logSchema, { bucketCount: 6 }));
      const tp = new TablePath("fluss", "h2");
      await admin.createTable(tp, new TableDescriptor(partPkSchema, { bucketCount: 2, partitionKeys: ["region"] }));
      await admin.createPartition(tp, { region: "eu" });
      assert.deepEqual(await admin.getClusterHealth(), {
        numReplicas: 8,
        inSyncReplicas: 8,
        numLeaderReplicas: 8,
        activeLeaderReplicas: 8,
        status: "GREEN",
      });
      await cluster.stopTabletServer(1);
      const down = await admin.getClusterHealth();
      assert.equal(down.status, "RED");
      assert.equal(down.numLeaderReplicas, 8);
      assert.ok(down.activeLeaderReplicas < 8 && down.activeLeaderReplicas >= 4, `active ${down.activeLeaderReplicas}`);
      // stats of a table whose leader is down fail once the retry finds no leader
      await rejectsWith(admin.getTableStats(new TablePath("fluss", "h1")), ErrorCode.LEADER_NOT_AVAILABLE_EXCEPTION);
      await cluster.startTabletServer(1);
      assert.equal((await admin.getClusterHealth()).status, "GREEN");
      const stats = await admin.getTableStats(new TablePath("fluss", "h1"));
      assert.deepEqual(stats, { rowCount: 0, buckets: [0, 1, 2, 3, 4, 5].map((bucket) => ({ bucket, rowCount: 0 })) });
    } finally {
      await conn.close();
    }
  });
});
