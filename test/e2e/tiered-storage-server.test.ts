/**
 * Tiered log storage of the embedded cluster, through real sockets: tiny segments are
 * copied to the remote dir in Fluss's layout and leave the local log; raw FetchLog answers
 * offsets below the local start with `remote_log_fetch_info`; ListOffsets and retention see
 * remote data; everything survives a restart. (Reading remote segments is the client's
 * part; here the answers are checked field by field against the files.)
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import {
  Config,
  DataTypes,
  FlussConnection,
  LocalCluster,
  OffsetSpec,
  Schema,
  TableDescriptor,
  TablePath,
  type LocalClusterOptions,
} from "../../src/index.js";
import { ApiKey } from "../../src/rpc/api-keys.js";
import { ErrorCode } from "../../src/rpc/errors.js";
import type * as M from "../../src/rpc/messages.js";
import { ServerConnection } from "../../src/rpc/server-connection.js";
import { LogBatchView, iterateBatches } from "../../src/record/log-batch.js";
import { EXTERNAL_SERVERS, uniqueName } from "../helpers/cluster.js";

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const SEGMENT_BYTES = 16 * 1024;

const schema = Schema.fromColumns([
  { name: "id", type: DataTypes.INT() },
  { name: "payload", type: DataTypes.STRING() },
]);

/** Batches of a segment file: base offset, last offset, position, commit timestamp. */
function batchesOf(bytes: Uint8Array): { base: number; last: number; pos: number; ts: number }[] {
  const out = [];
  for (const v of iterateBatches(bytes))
    out.push({ base: v.baseOffset, last: v.lastOffset, pos: v.position, ts: v.commitTimestamp });
  return out;
}

function segmentFiles(dir: string): string[] {
  return fs
    .readdirSync(dir)
    .filter((n) => /^\d{20}\.log$/.test(n))
    .sort();
}

async function fetchRaw(
  raw: ServerConnection,
  tableId: number,
  fetchOffset: number,
  opts: { partitionId?: number; readPreference?: number } = {},
): Promise<M.PbFetchLogRespForBucket> {
  const resp = await raw.request(ApiKey.FETCH_LOG, {
    followerServerId: -1,
    maxBytes: 1 << 20,
    ...(opts.readPreference !== undefined ? { readPreference: opts.readPreference } : {}),
    tablesReq: [
      {
        tableId,
        projectionPushdownEnabled: false,
        projectedFields: [],
        bucketsReq: [
          {
            bucketId: 0,
            fetchOffset,
            maxFetchBytes: 1 << 20,
            ...(opts.partitionId !== undefined ? { partitionId: opts.partitionId } : {}),
          },
        ],
      },
    ],
  });
  return resp.tablesResp[0]!.bucketsResp[0]!;
}

/** Tiering rounds until nothing changes (each round copies at most 5 segments, as Java's). */
async function tierAll(cluster: LocalCluster, localDir: string): Promise<void> {
  for (let i = 0; i < 10; i++) {
    const before = segmentFiles(localDir).join();
    await cluster.runRemoteLogTasks();
    if (segmentFiles(localDir).join() === before) return;
  }
}

/** Writes `batches` batches of 12 rows (~1 KB each) to a log table, one flush per batch. */
async function writeBatches(conn: FlussConnection, tp: TablePath, batches: number, from = 0, extra = {}): Promise<void> {
  const writer = (await conn.getTable(tp)).newAppendWriter();
  for (let b = 0; b < batches; b++) {
    for (let r = 0; r < 12; r++) {
      const id = from + b * 12 + r;
      writer.append({ id, payload: `row-${id}-${randomBytes(24).toString("base64")}`, ...extra });
    }
    await writer.flush();
  }
  await writer.close();
}

describe("tiered log storage (local cluster)", { skip: EXTERNAL_SERVERS !== undefined }, () => {
  let dataDir: string;
  let cluster: LocalCluster;
  let conn: FlussConnection;
  let raw: ServerConnection;
  const db = uniqueName("tier_db");
  const options = (): LocalClusterOptions => ({
    dataDir,
    segmentBytes: SEGMENT_BYTES,
    localSegmentsToKeep: 2,
    remoteLogTaskIntervalMs: 0,
    kv: { snapshotBytes: 1 },
  });

  async function open(): Promise<void> {
    cluster = await LocalCluster.start(options());
    conn = await FlussConnection.connect(new Config({ "bootstrap.servers": cluster.bootstrapServers }));
    raw = await ServerConnection.connect({
      host: "127.0.0.1",
      port: cluster.port,
      connectTimeoutMs: 5000,
      requestTimeoutMs: 10_000,
    });
  }
  async function shut(): Promise<void> {
    raw.close();
    await conn.close();
    await cluster.close();
  }

  before(async () => {
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "flussjs-tier-"));
    await open();
    await conn.getAdmin().createDatabase(db);
  });
  after(async () => {
    await shut().catch(() => undefined);
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  test("options are checked", async () => {
    await assert.rejects(LocalCluster.start({ localSegmentsToKeep: 0 }), /localSegmentsToKeep/);
    await assert.rejects(LocalCluster.start({ segmentBytes: 0 }), /segmentBytes/);
    await assert.rejects(LocalCluster.start({ remoteDataDir: "s3://bucket/x" }), /local directory/);
  });

  test("closed segments go to the remote dir in Fluss's layout; FetchLog and ListOffsets point there; restart keeps it", async () => {
    const tp = new TablePath(db, "events");
    const admin = conn.getAdmin();
    await admin.createTable(tp, new TableDescriptor(schema, { bucketCount: 1 }));
    const tableId = (await admin.getTableInfo(tp)).tableId;
    await writeBatches(conn, tp, 150);
    const localDir = path.join(dataDir, "log", String(tableId), "0");
    const before = new Map(segmentFiles(localDir).map((n) => [n, fs.readFileSync(path.join(localDir, n))]));
    assert.ok(before.size >= 6, `several segments were rolled (${before.size})`);
    const hw = (await admin.listOffsets(tp, [0], OffsetSpec.latest()))[0]!;

    await tierAll(cluster, localDir);

    // local: the active segment and one closed one (table.log.tiered.local-segments = 2)
    const kept = segmentFiles(localDir);
    assert.equal(kept.length, 2);
    const localStart = Number(kept[0]!.slice(0, 20));
    assert.ok(localStart > 0);

    // remote: {remote}/log/{db}/{table}-{tableId}/{bucket}/{uuid}/{base}.log|.index|.timeindex + metadata/{uuid}.manifest
    assert.equal(cluster.remoteDataDir, path.join(dataDir, "remote"));
    const tableInfo = await raw.request(ApiKey.GET_TABLE_INFO, { tablePath: { databaseName: db, tableName: "events" } });
    assert.equal(tableInfo.remoteDataDir, cluster.remoteDataDir, "GetTableInfo names remote.data.dir, as Java's");
    const tabletDir = path.join(cluster.remoteDataDir, "log", db, `events-${tableId}`, "0");
    const entries = fs.readdirSync(tabletDir).sort();
    assert.ok(entries.includes("metadata"));
    const manifests = fs.readdirSync(path.join(tabletDir, "metadata"));
    assert.equal(manifests.length, 1, "the previous manifests are removed after each commit");
    assert.match(manifests[0]!, /^[0-9a-f-]{36}\.manifest$/);
    const manifest = JSON.parse(fs.readFileSync(path.join(tabletDir, "metadata", manifests[0]!), "utf8")) as {
      remote_log_segments: {
        segment_id: string;
        start_offset: number;
        end_offset: number;
        max_timestamp: number;
        size_in_bytes: number;
      }[];
    };
    assert.deepEqual(Object.keys(manifest), ["version", "database", "table", "table_id", "bucket_id", "remote_log_segments"]);
    assert.deepEqual(
      { ...manifest, remote_log_segments: [] },
      { version: 1, database: db, table: "events", table_id: tableId, bucket_id: 0, remote_log_segments: [] },
    );
    const segs = manifest.remote_log_segments;
    assert.equal(segs.length, before.size - 1, "every closed segment is copied, the kept one too");
    let expect = 0;
    for (const s of segs) {
      assert.deepEqual(Object.keys(s), ["segment_id", "start_offset", "end_offset", "max_timestamp", "size_in_bytes"]);
      assert.match(s.segment_id, UUID);
      assert.equal(s.start_offset, expect, "remote segments are contiguous from 0");
      expect = s.end_offset;
      const name = String(s.start_offset).padStart(20, "0");
      assert.deepEqual(fs.readdirSync(path.join(tabletDir, s.segment_id)).sort(), [
        `${name}.index`,
        `${name}.log`,
        `${name}.timeindex`,
      ]);
      const log = fs.readFileSync(path.join(tabletDir, s.segment_id, `${name}.log`));
      assert.ok(log.equals(before.get(`${name}.log`)!), `remote ${name}.log is the local segment`);
      assert.equal(s.size_in_bytes, log.length);
      const batches = batchesOf(log);
      assert.equal(batches.at(-1)!.last + 1, s.end_offset);
      assert.equal(s.max_timestamp, Math.max(...batches.map((b) => b.ts)));
      // Java's offset index: (lastOffset - base, position) after > 4096 bytes since the last entry
      const index = fs.readFileSync(path.join(tabletDir, s.segment_id, `${name}.index`));
      assert.ok(index.length > 0 && index.length % 8 === 0, "a 16 KiB segment has offset index entries");
      for (let i = 0; i < index.length; i += 8) {
        const off = s.start_offset + index.readInt32BE(i);
        const pos = index.readInt32BE(i + 4);
        const b = batches.find((x) => x.pos === pos);
        assert.ok(b && b.last === off, `index entry ${off} → ${pos} names a batch's last offset and position`);
      }
      const timeIndex = fs.readFileSync(path.join(tabletDir, s.segment_id, `${name}.timeindex`));
      assert.equal(timeIndex.length % 12, 0);
    }
    assert.equal(expect, Number(kept[1]!.slice(0, 20)), "remote data ends where the active segment starts");

    // FetchLog at 0: remote_log_fetch_info, no records
    const at0 = await fetchRaw(raw, tableId, 0);
    assert.equal(at0.errorCode, undefined, at0.errorMessage);
    assert.equal(at0.records, undefined);
    assert.equal(at0.highWatermark, hw);
    const info = at0.remoteLogFetchInfo!;
    assert.equal(info.remoteLogTabletDir, tabletDir);
    assert.equal(info.partitionName, undefined);
    assert.equal(info.firstStartPos, 0);
    assert.deepEqual(
      info.remoteLogSegments.map((s) => [
        s.remoteLogSegmentId,
        s.remoteLogStartOffset,
        s.remoteLogEndOffset,
        s.segmentSizeInBytes,
        s.maxTimestamp,
      ]),
      segs.map((s) => [s.segment_id, s.start_offset, s.end_offset, s.size_in_bytes, s.max_timestamp]),
    );
    // EARLIEST (-2) is the remote start
    assert.deepEqual((await fetchRaw(raw, tableId, -2)).remoteLogFetchInfo, info);

    // an offset inside the second remote segment: from that segment on, first_start_pos from its index
    const second = segs[1]!;
    const secondLog = fs.readFileSync(
      path.join(tabletDir, second.segment_id, `${String(second.start_offset).padStart(20, "0")}.log`),
    );
    const secondBatches = batchesOf(secondLog);
    const target = secondBatches.at(-2)!.base + 3;
    const mid = (await fetchRaw(raw, tableId, target)).remoteLogFetchInfo!;
    assert.deepEqual(
      mid.remoteLogSegments.map((s) => s.remoteLogSegmentId),
      segs.slice(1).map((s) => s.segment_id),
    );
    const firstStartPos = mid.firstStartPos ?? -1;
    const startBatch = secondBatches.find((b) => b.pos === firstStartPos);
    assert.ok(startBatch, "first_start_pos is a batch position");
    assert.ok(firstStartPos > 0 && startBatch.base <= target, "it starts at or before the fetch offset");
    const holding = secondBatches.find((b) => b.base <= target && target <= b.last)!;
    assert.ok(holding.pos >= firstStartPos && holding.pos - firstStartPos <= 4096 + 2048, "close before the batch holding it");

    // at the local start: records from the local log
    const local = await fetchRaw(raw, tableId, localStart);
    assert.equal(local.remoteLogFetchInfo, undefined);
    assert.equal(new LogBatchView(local.records!, 0).baseOffset, localStart);
    // REMOTE_FIRST (read_preference 1): remote data wherever it has the offset, local beyond
    const remoteFirst = (await fetchRaw(raw, tableId, localStart, { readPreference: 1 })).remoteLogFetchInfo!;
    assert.equal(remoteFirst.remoteLogSegments[0]!.remoteLogStartOffset, localStart);
    const activeBase = Number(kept[1]!.slice(0, 20));
    assert.equal((await fetchRaw(raw, tableId, activeBase, { readPreference: 1 })).remoteLogFetchInfo, undefined);

    // ListOffsets: earliest is the remote start; a timestamp inside remote data lands in it
    assert.deepEqual(await admin.listOffsets(tp, [0], OffsetSpec.earliest()), { 0: 0 });
    const tsBatch = secondBatches[secondBatches.length >> 1]!;
    const exact = secondBatches.find((b) => b.ts >= tsBatch.ts)!.base;
    const byTs = (await admin.listOffsets(tp, [0], OffsetSpec.timestamp(tsBatch.ts)))[0]!;
    assert.ok(byTs <= exact && byTs >= second.start_offset, `timestamp lookup ${byTs} at or before ${exact} in the same segment`);

    // the file-system token for a local remote dir (Java LocalFileSystem)
    const token = await raw.request(ApiKey.GET_FILESYSTEM_SECURITY_TOKEN, {});
    assert.equal(token.schema, "file");
    assert.equal(token.token.length, 0);
    assert.equal(token.expirationTime, undefined);
    assert.deepEqual(token.additionInfo, []);

    // restart on the same data dir: the same answers, and writes go on; what a crash during
    // a copy or commit would leave (an uncommitted segment dir, a stray manifest) is removed
    await shut();
    const orphan = path.join(tabletDir, "0b7f5e9c-1d2a-4c3b-9e8f-7a6b5c4d3e2f");
    fs.mkdirSync(orphan);
    fs.writeFileSync(path.join(orphan, "00000000000000000000.log"), "x");
    fs.writeFileSync(path.join(tabletDir, "metadata", "0b7f5e9c-1d2a-4c3b-9e8f-7a6b5c4d3e2f.manifest"), "{}");
    await open();
    assert.deepEqual((await fetchRaw(raw, tableId, 0)).remoteLogFetchInfo, info);
    assert.ok(!fs.existsSync(orphan));
    assert.deepEqual(fs.readdirSync(path.join(tabletDir, "metadata")), manifests);
    assert.deepEqual(await conn.getAdmin().listOffsets(tp, [0], OffsetSpec.earliest()), { 0: 0 });
    await writeBatches(conn, tp, 30, 150 * 12);
    await tierAll(cluster, localDir);
    const after = (await fetchRaw(raw, tableId, 0)).remoteLogFetchInfo!;
    assert.ok(after.remoteLogSegments.length > info.remoteLogSegments.length, "tiering goes on after the restart");
    assert.deepEqual(after.remoteLogSegments.slice(0, info.remoteLogSegments.length), info.remoteLogSegments);
    assert.equal(segmentFiles(localDir).length, 2);
  });

  test("table.log.ttl deletes expired segments remotely and locally; the log start advances", async () => {
    const tp = new TablePath(db, "short_lived");
    const admin = conn.getAdmin();
    await admin.createTable(
      tp,
      new TableDescriptor(schema, { bucketCount: 1, logFormat: "INDEXED", properties: { "table.log.ttl": "1 s" } }),
    );
    const tableId = (await admin.getTableInfo(tp)).tableId;
    await writeBatches(conn, tp, 60);
    const localDir = path.join(dataDir, "log", String(tableId), "0");
    assert.ok(segmentFiles(localDir).length >= 3);
    // the first round copies (nothing was remote when it started, so nothing expires in it)
    await cluster.runRemoteLogTasks();
    const tabletDir = path.join(cluster.remoteDataDir, "log", db, `short_lived-${tableId}`, "0");
    const readManifest = (): Record<string, unknown> & { remote_log_segments: { segment_id: string }[] } => {
      const manifests = fs.readdirSync(path.join(tabletDir, "metadata"));
      assert.equal(manifests.length, 1);
      return JSON.parse(fs.readFileSync(path.join(tabletDir, "metadata", manifests[0]!), "utf8")) as ReturnType<
        typeof readManifest
      >;
    };
    const copied = readManifest().remote_log_segments.map((s) => s.segment_id);
    assert.ok(copied.length >= 2);
    for (const id of copied) assert.ok(fs.existsSync(path.join(tabletDir, id)));

    await new Promise((r) => setTimeout(r, 1100));
    await tierAll(cluster, localDir);
    await cluster.runRemoteLogTasks();
    for (const id of copied) assert.ok(!fs.existsSync(path.join(tabletDir, id)), "expired remote segment deleted");
    assert.deepEqual(fs.readdirSync(tabletDir), ["metadata"]);
    const kept = segmentFiles(localDir);
    assert.equal(kept.length, 1, "only the active segment is left");
    const start = Number(kept[0]!.slice(0, 20));
    const manifest = readManifest();
    assert.deepEqual(manifest.remote_log_segments, []);
    assert.equal(manifest.highest_copied_end_offset, start, "an emptied manifest keeps the copy progress");
    assert.deepEqual(await admin.listOffsets(tp, [0], OffsetSpec.earliest()), { 0: start });
    const gone = await fetchRaw(raw, tableId, 0);
    assert.equal(gone.errorCode, ErrorCode.LOG_OFFSET_OUT_OF_RANGE_EXCEPTION);
    const early = await fetchRaw(raw, tableId, -2);
    assert.equal(early.errorCode, undefined);
    assert.equal(new LogBatchView(early.records!, 0).baseOffset, start);
  });

  test("primary-key changelogs of partitions tier too, and the state recovers after a restart", async () => {
    const pkSchema = Schema.fromColumns(
      [
        { name: "region", type: DataTypes.STRING() },
        { name: "id", type: DataTypes.INT() },
        { name: "payload", type: DataTypes.STRING() },
      ],
      ["region", "id"],
    );
    const tp = new TablePath(db, "pk_parted");
    const admin = conn.getAdmin();
    await admin.createTable(tp, new TableDescriptor(pkSchema, { bucketCount: 1, partitionKeys: ["region"] }));
    const tableId = (await admin.getTableInfo(tp)).tableId;
    const table = await conn.getTable(tp);
    const writer = table.newUpsert();
    for (let b = 0; b < 60; b++) {
      for (let r = 0; r < 12; r++) writer.upsert({ region: "EU", id: (b * 12 + r) % 400, payload: `v${b}-`.padEnd(60, "y") });
      await writer.flush();
    }
    await writer.close();
    const [partition] = await admin.listPartitionInfos(tp);
    const pid = partition!.partitionId;
    const localDir = path.join(dataDir, "log", String(tableId), `p${pid}`, "0");
    await tierAll(cluster, localDir);
    assert.equal(segmentFiles(localDir).length, 2, "changelog segments beyond the KV snapshot are tiered");
    const tabletDir = path.join(cluster.remoteDataDir, "log", db, `pk_parted-${tableId}`, `EU-p${pid}`, "0");
    const resp = await fetchRaw(raw, tableId, 0, { partitionId: pid });
    assert.equal(resp.errorCode, undefined, resp.errorMessage);
    const info = resp.remoteLogFetchInfo!;
    assert.equal(info.remoteLogTabletDir, tabletDir);
    assert.equal(info.partitionName, "EU");
    assert.equal(info.remoteLogSegments[0]!.remoteLogStartOffset, 0);
    assert.equal(info.remoteLogSegments.at(-1)!.remoteLogEndOffset, Number(segmentFiles(localDir)[1]!.slice(0, 20)));
    for (const s of info.remoteLogSegments) assert.ok(fs.existsSync(path.join(tabletDir, s.remoteLogSegmentId)));
    const manifest = JSON.parse(
      fs.readFileSync(path.join(tabletDir, "metadata", fs.readdirSync(path.join(tabletDir, "metadata"))[0]!), "utf8"),
    ) as Record<string, unknown>;
    assert.deepEqual(Object.keys(manifest).slice(0, 7), [
      "version",
      "database",
      "table",
      "partition_name",
      "table_id",
      "partition_id",
      "bucket_id",
    ]);
    assert.equal(manifest.partition_name, "EU");
    assert.equal(manifest.partition_id, pid);
    assert.deepEqual(await admin.listOffsets(tp, [0], OffsetSpec.earliest(), { partitionName: "EU" }), { 0: 0 });

    await shut();
    await open();
    const lookuper = (await conn.getTable(tp)).newLookup();
    const row = await lookuper.lookup({ region: "EU", id: (59 * 12 + 11) % 400 });
    assert.equal(row?.payload, "v59-".padEnd(60, "y"), "the KV state recovers from its snapshot and the local changelog");
    assert.deepEqual((await fetchRaw(raw, tableId, 0, { partitionId: pid })).remoteLogFetchInfo, info);

    // dropping a partition, then the table, removes their remote data
    await (await conn.getTable(tp)).newUpsert().upsert({ region: "US", id: 1, payload: "x" }).wait();
    await conn.getAdmin().dropPartition(tp, { region: "EU" });
    assert.ok(!fs.existsSync(path.join(cluster.remoteDataDir, "log", db, `pk_parted-${tableId}`, `EU-p${pid}`)));
    await conn.getAdmin().dropTable(tp);
    assert.ok(!fs.existsSync(path.join(cluster.remoteDataDir, "log", db, `pk_parted-${tableId}`)));
  });

  test("tiering runs in the background on its own", async () => {
    const own = fs.mkdtempSync(path.join(os.tmpdir(), "flussjs-tier-bg-"));
    const remote = path.join(own, "elsewhere");
    const bg = await LocalCluster.start({
      dataDir: path.join(own, "data"),
      remoteDataDir: `file://${remote}`,
      segmentBytes: 4096,
      remoteLogTaskIntervalMs: 50,
    });
    try {
      assert.equal(bg.remoteDataDir, `file:${remote}`);
      const c = await FlussConnection.connect(new Config({ "bootstrap.servers": bg.bootstrapServers }));
      const tp = new TablePath("fluss", "bg");
      await c.getAdmin().createTable(tp, new TableDescriptor(schema, { bucketCount: 1 }));
      const tableId = (await c.getAdmin().getTableInfo(tp)).tableId;
      await writeBatches(c, tp, 20);
      const localDir = path.join(own, "data", "log", String(tableId), "0");
      const deadline = Date.now() + 20_000;
      while (segmentFiles(localDir).length > 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      assert.equal(segmentFiles(localDir).length, 2);
      const r = await ServerConnection.connect({
        host: "127.0.0.1",
        port: bg.port,
        connectTimeoutMs: 5000,
        requestTimeoutMs: 10_000,
      });
      const info = (await fetchRaw(r, tableId, 0)).remoteLogFetchInfo!;
      r.close();
      assert.equal(info.remoteLogTabletDir, `file:${remote}/log/fluss/bg-${tableId}/0`);
      for (const seg of info.remoteLogSegments)
        assert.ok(fs.existsSync(path.join(remote, "log", "fluss", `bg-${tableId}`, "0", seg.remoteLogSegmentId)));
      await c.close();
    } finally {
      await bg.close();
      fs.rmSync(own, { recursive: true, force: true });
    }
  });
});
