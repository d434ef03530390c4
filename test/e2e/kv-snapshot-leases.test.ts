/**
 * KV snapshots through the public admin API against the local cluster: ids counted 0, 1, 2
 * per bucket across snapshots and restarts, `kv.snapshot.num-retained`, snapshot metadata,
 * KV snapshot leases (acquire, release, drop, expiry, kept across a restart) with Java's
 * errors, and snapshot files of the earlier naming after an upgrade.
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import {
  Config,
  DataTypes,
  ErrorCode,
  FlussConnection,
  KvSnapshotLease,
  LocalCluster,
  OffsetSpec,
  Schema,
  TableDescriptor,
  TablePath,
  notNull,
  type FlussAdmin,
  type UpsertWriter,
} from "../../src/index.js";
import { crc32c } from "../../src/record/crc32c.js";
import { rejectsWith } from "../helpers/assert.js";

const pkSchema = Schema.fromColumns(
  [
    { name: "id", type: notNull(DataTypes.INT()) },
    { name: "name", type: DataTypes.STRING() },
  ],
  ["id"],
);
const partPkSchema = Schema.fromColumns(
  [
    { name: "id", type: notNull(DataTypes.INT()) },
    { name: "region", type: notNull(DataTypes.STRING()) },
  ],
  ["id", "region"],
);

describe("KV snapshots: ids, retention, metadata, leases (e2e)", () => {
  let dataDir: string;
  let cluster: LocalCluster;
  let conn: FlussConnection;
  let admin: FlussAdmin;
  const db = "kvsnap";
  const baseConfig = { "kv.snapshot.interval": "1 h", "kv.snapshot.lease.expiration-check-interval": "100 ms" };
  let serverConfig: Record<string, string> = baseConfig;
  const warnings: string[] = [];

  async function open(): Promise<void> {
    cluster = await LocalCluster.start({
      dataDir,
      serverConfig,
      logger: { info: () => {}, warn: (m) => warnings.push(m), error: (m) => warnings.push(m) },
    });
    conn = await FlussConnection.connect(new Config({ "bootstrap.servers": cluster.bootstrapServers }));
    admin = conn.getAdmin();
  }

  async function restart(): Promise<void> {
    await conn.close();
    await cluster.close();
    await open();
  }

  before(async () => {
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "flussjs-kvsnap-e2e-"));
    await open();
    await admin.createDatabase(db);
  });

  after(async () => {
    await conn.close();
    await cluster.close();
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  async function pkTable(name: string, buckets = 1): Promise<{ tp: TablePath; tableId: number; writer: UpsertWriter }> {
    const tp = new TablePath(db, name);
    await admin.createTable(tp, new TableDescriptor(pkSchema, { bucketCount: buckets }));
    const tableId = (await admin.getTableInfo(tp)).tableId;
    return { tp, tableId, writer: (await conn.getTable(tp)).newUpsert() };
  }

  /** One change, then a snapshot of every changed bucket. */
  async function round(writer: UpsertWriter, id: number, name: string): Promise<void> {
    writer.upsert({ id, name });
    await writer.flush();
    await cluster.snapshotKv();
  }

  async function ids(tableId: number, partitionId?: number): Promise<Readonly<Record<number, readonly number[]>>> {
    return (await admin.listKvSnapshots(tableId, partitionId)).snapshotIdsByBucket;
  }

  test("ids count 0, 1, 2, ... per bucket, across restarts; metadata of a snapshot; unknown ids", async () => {
    const { tp, tableId, writer } = await pkTable("ids", 2);
    for (let i = 0; i < 20; i++) writer.upsert({ id: i, name: `n${i}` });
    await writer.flush();
    await cluster.snapshotKv();
    const ends0 = await admin.listOffsets(tp, [0, 1], OffsetSpec.latest());
    let latest = await admin.getLatestKvSnapshots(tp);
    assert.deepEqual(latest.buckets, [
      { bucket: 0, snapshotId: 0, logOffset: ends0[0] },
      { bucket: 1, snapshotId: 0, logOffset: ends0[1] },
    ]);

    // a change in one bucket: only its id moves on
    await round(writer, 1, "x");
    const ends1 = await admin.listOffsets(tp, [0, 1], OffsetSpec.latest());
    const b = ends1[0] !== ends0[0] ? 0 : 1;
    const other = 1 - b;
    latest = await admin.getLatestKvSnapshots(tp);
    assert.deepEqual(latest.buckets[b], { bucket: b, snapshotId: 1, logOffset: ends1[b] });
    assert.deepEqual(latest.buckets[other], { bucket: other, snapshotId: 0, logOffset: ends0[other] });

    // the clean close snapshots the changed bucket (id 2); after the restart ids go on from there
    writer.upsert({ id: 1, name: "y" });
    await writer.flush();
    await restart();
    latest = await admin.getLatestKvSnapshots(tp);
    assert.equal(latest.buckets[b]!.snapshotId, 2);
    assert.equal(latest.buckets[other]!.snapshotId, 0);
    const w2 = (await conn.getTable(tp)).newUpsert();
    await round(w2, 1, "z");
    const end = (await admin.listOffsets(tp, [b], OffsetSpec.latest()))[b]!;
    assert.deepEqual(await ids(tableId), { [b]: [2, 3], [other]: [0] }, "two retained per bucket (kv.snapshot.num-retained)");

    // metadata: the snapshot's file under the data dir and the offset to read the changelog from
    const meta = await admin.getKvSnapshotMetadata({ tableId, bucket: b }, 3);
    assert.equal(meta.logOffset, end);
    assert.equal(meta.snapshotFiles.length, 1);
    const file = meta.snapshotFiles[0]!;
    assert.equal(file.fileName, `snap-3-${end}.snapshot`);
    assert.equal(path.basename(file.path), file.fileName);
    assert.ok(file.path.startsWith(dataDir), file.path);
    assert.ok(fs.statSync(file.path).size > 0);
    assert.equal((await admin.getKvSnapshotMetadata({ tableId, bucket: other }, 0)).logOffset, ends0[other]);

    // removed by retention, never taken, unknown table: Java's KV_SNAPSHOT_NOT_EXIST
    await rejectsWith(
      admin.getKvSnapshotMetadata({ tableId, bucket: b }, 1),
      ErrorCode.KV_SNAPSHOT_NOT_EXIST,
      new RegExp(
        `^Failed to get kv snapshot metadata for table bucket TableBucket\\{tableId=${tableId}, bucket=${b}\\} and snapshot id 1\\. Error: Kv snapshot not found$`,
      ),
    );
    await rejectsWith(admin.getKvSnapshotMetadata({ tableId, bucket: other }, 99), ErrorCode.KV_SNAPSHOT_NOT_EXIST);
    await rejectsWith(
      admin.getKvSnapshotMetadata({ tableId: 999_999, partitionId: 5, bucket: 0 }, 0),
      ErrorCode.KV_SNAPSHOT_NOT_EXIST,
      /TableBucket\{tableId=999999, partitionId=5, bucket=0\} and snapshot id 0/,
    );
    await rejectsWith(admin.getKvSnapshotMetadata({ tableId, bucket: 0 }, 1.5), ErrorCode.CLIENT_ERROR, /integers/);
    await w2.close();
    await writer.close().catch(() => undefined);
  });

  test("retention keeps kv.snapshot.num-retained snapshots; a bad value is refused at start", async () => {
    serverConfig = { ...baseConfig, "kv.snapshot.num-retained": "3" };
    await restart();
    try {
      const { tableId, writer } = await pkTable("retained");
      for (let i = 0; i < 5; i++) await round(writer, i, `r${i}`);
      assert.deepEqual(await ids(tableId), { 0: [2, 3, 4] });
      await writer.close();
    } finally {
      serverConfig = baseConfig;
      await restart();
    }
    await assert.rejects(
      LocalCluster.start({ serverConfig: { "kv.snapshot.num-retained": "0" } }),
      /kv.snapshot.num-retained must be a positive integer/,
    );
  });

  test("a leased snapshot survives retention until released, dropped or expired; leases survive a restart", async () => {
    const { tp, tableId, writer } = await pkTable("leased");
    await round(writer, 0, "a"); // id 0
    const lease = admin.createKvSnapshotLease("reader-1", 60_000);
    assert.ok(lease instanceof KvSnapshotLease);
    assert.equal(lease.leaseId, "reader-1");
    assert.equal(lease.leaseDurationMs, 60_000);
    assert.deepEqual(await lease.acquireSnapshots([{ tableId, bucket: 0, snapshotId: 0 }]), { unavailableSnapshots: [] });
    // an id the bucket does not have is not leased (and does not replace the held one)
    assert.deepEqual(await lease.acquireSnapshots([{ tableId, bucket: 0, snapshotId: 77 }]), {
      unavailableSnapshots: [{ tableId, bucket: 0, snapshotId: 77 }],
    });
    for (let i = 1; i <= 3; i++) await round(writer, i, "b");
    assert.deepEqual(await ids(tableId), { 0: [0, 2, 3] }, "0 leased, 2 and 3 retained");
    assert.equal((await admin.getKvSnapshotMetadata({ tableId, bucket: 0 }, 0)).snapshotFiles.length, 1);

    // the lease is kept across a restart
    await writer.close();
    await restart();
    const w = (await conn.getTable(tp)).newUpsert();
    await round(w, 4, "c");
    assert.deepEqual(await ids(tableId), { 0: [0, 3, 4] });

    // released (through the new connection: the lease is its id): removed with the bucket's
    // next snapshot (as Java's CompletedSnapshotStore)
    await admin.createKvSnapshotLease(lease.leaseId, lease.leaseDurationMs).releaseSnapshots([{ tableId, bucket: 0 }]);
    assert.deepEqual(await ids(tableId), { 0: [0, 3, 4] });
    await round(w, 5, "d");
    assert.deepEqual(await ids(tableId), { 0: [4, 5] });

    // two leases on one snapshot: dropping one keeps it, releasing the other lets it go
    const a = admin.createKvSnapshotLease("reader-a", 60_000);
    const b = admin.createKvSnapshotLease("reader-b", 60_000);
    await a.acquireSnapshots([{ tableId, bucket: 0, snapshotId: 4 }]);
    await b.acquireSnapshots([{ tableId, bucket: 0, snapshotId: 4 }]);
    await round(w, 6, "e");
    await a.dropLease();
    await round(w, 7, "f");
    assert.deepEqual(await ids(tableId), { 0: [4, 6, 7] });
    await b.releaseSnapshots([{ tableId, bucket: 0 }]);
    await round(w, 8, "g");
    assert.deepEqual(await ids(tableId), { 0: [7, 8] });

    // expired: a lease not renewed within its duration lets go
    const short = admin.createKvSnapshotLease("short", 1500);
    await short.acquireSnapshots([{ tableId, bucket: 0, snapshotId: 7 }]);
    await round(w, 9, "h");
    assert.deepEqual(await ids(tableId), { 0: [7, 8, 9] });
    const deadline = Date.now() + 15_000;
    let n = 10;
    while ((await ids(tableId))[0]!.includes(7)) {
      assert.ok(Date.now() < deadline, "the expired lease let go of snapshot 7");
      await new Promise((r) => setTimeout(r, 200));
      await round(w, n, `x${n++}`);
    }
    await w.close();
  });

  test("leases on partitions; errors as Java", async () => {
    const ptp = new TablePath(db, "leased_parts");
    await admin.createTable(ptp, new TableDescriptor(partPkSchema, { bucketCount: 1, partitionKeys: ["region"] }));
    await admin.createPartition(ptp, { region: "eu" });
    const tableId = (await admin.getTableInfo(ptp)).tableId;
    const partitionId = (await admin.listPartitionInfos(ptp))[0]!.partitionId;
    const pw = (await conn.getTable(ptp)).newUpsert();
    pw.upsert({ id: 1, region: "eu" });
    await pw.flush();
    await pw.close();
    await cluster.snapshotKv();
    const lease = admin.createKvSnapshotLease("parts", 60_000);
    assert.deepEqual(await lease.acquireSnapshots([{ tableId, partitionId, bucket: 0, snapshotId: 0 }]), {
      unavailableSnapshots: [],
    });
    // the same bucket of the table outside the partition is another bucket
    assert.deepEqual(await lease.acquireSnapshots([{ tableId, bucket: 0, snapshotId: 0 }]), {
      unavailableSnapshots: [{ tableId, bucket: 0, snapshotId: 0 }],
    });
    assert.deepEqual(await ids(tableId, partitionId), { 0: [0] });
    assert.equal((await admin.getKvSnapshotMetadata({ tableId, partitionId, bucket: 0 }, 0)).logOffset, 1);
    await lease.renew();
    await lease.dropLease();

    // CoordinatorService.validateKvTable and KvSnapshotLeaseImpl's check
    const logTp = new TablePath(db, "leased_log");
    await admin.createTable(
      logTp,
      new TableDescriptor(Schema.fromColumns([{ name: "id", type: DataTypes.INT() }]), { bucketCount: 1 }),
    );
    const logId = (await admin.getTableInfo(logTp)).tableId;
    const l = admin.createKvSnapshotLease("errs", 60_000);
    await rejectsWith(
      l.acquireSnapshots([{ tableId: logId, bucket: 0, snapshotId: 0 }]),
      ErrorCode.NON_PRIMARY_KEY_TABLE_EXCEPTION,
      /^Table 'kvsnap\.leased_log' is not a primary key table$/,
    );
    await rejectsWith(l.releaseSnapshots([{ tableId: logId, bucket: 0 }]), ErrorCode.NON_PRIMARY_KEY_TABLE_EXCEPTION);
    await rejectsWith(
      l.acquireSnapshots([{ tableId: 999_999, bucket: 0, snapshotId: 0 }]),
      ErrorCode.UNKNOWN_TABLE_OR_BUCKET_EXCEPTION,
      /does not know this table ID 999999/,
    );
    await rejectsWith(l.acquireSnapshots([]), ErrorCode.CLIENT_ERROR, /The snapshotIds to acquire kv snapshot lease is empty/);
    await rejectsWith(l.acquireSnapshots([{ tableId, bucket: 0, snapshotId: Number.NaN }]), ErrorCode.CLIENT_ERROR, /snapshotId/);
    // an unknown lease: nothing to release or drop, no error
    await l.releaseSnapshots([{ tableId, bucket: 0 }]);
    await l.dropLease();
    assert.throws(() => admin.createKvSnapshotLease("x", 1.5), /leaseDurationMs must be an integer/);
  });

  test("upgrade: a snapshot file of the earlier naming (offset only) loads, takes id 0, and ids go on", async () => {
    const { tp, tableId, writer } = await pkTable("upgraded");
    for (let i = 0; i < 10; i++) writer.upsert({ id: i, name: `u${i}` });
    await writer.close();
    await conn.close();
    await cluster.close(); // snapshot 0
    const kvDir = path.join(dataDir, "log", String(tableId), "0", "kv");
    const [name] = fs.readdirSync(kvDir).filter((f) => f.endsWith(".snapshot"));
    const offset = Number(/^snap-0-(\d+)\.snapshot$/.exec(name!)![1]);
    // rewrite it as the earlier code wrote it: version 1 header (no id), `<offset, 20 digits>.snapshot`
    const v2 = fs.readFileSync(path.join(kvDir, name!));
    const v1 = Buffer.alloc(v2.length - 8);
    v2.copy(v1, 0, 0, 4);
    v1.writeInt32LE(1, 4);
    v2.copy(v1, 8, 16, v2.length - 4);
    v1.writeUInt32LE(crc32c(v1, 0, v1.length - 4), v1.length - 4);
    fs.rmSync(path.join(kvDir, name!));
    const legacyName = `${String(offset).padStart(20, "0")}.snapshot`;
    fs.writeFileSync(path.join(kvDir, legacyName), v1);

    warnings.length = 0;
    await open();
    // listed with its id before the bucket is used, and the same id after
    assert.deepEqual((await admin.getLatestKvSnapshots(tp)).buckets, [{ bucket: 0, snapshotId: 0, logOffset: offset }]);
    const lookup = (await conn.getTable(tp)).newLookup();
    assert.deepEqual(await lookup.lookup({ id: 9 }), { id: 9, name: "u9" });
    assert.deepEqual(warnings, [], "the earlier file loads without a warning");
    assert.deepEqual(
      fs.readdirSync(kvDir).filter((f) => f.endsWith(".snapshot")),
      [`snap-0-${offset}.snapshot`],
    );
    const w = (await conn.getTable(tp)).newUpsert();
    await round(w, 10, "u10");
    await w.close();
    assert.deepEqual(await ids(tableId), { 0: [0, 1] });
    assert.equal((await admin.getKvSnapshotMetadata({ tableId, bucket: 0 }, 0)).logOffset, offset);
  });
});
