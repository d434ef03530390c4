/**
 * Pieces of tiered log storage: Java's manifest JSON, Java's offset/time index files and
 * their lookups, remote paths, and the local log giving up its oldest segments (writer
 * states survive a reopen).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import * as fsp from "node:fs/promises";
import * as os from "node:os";
import * as path from "node:path";
import { LogTablet } from "../../src/server/storage/log-tablet.js";
import { assembleLogBatch } from "../../src/record/log-batch.js";
import { ErrorCode, FlussError } from "../../src/rpc/errors.js";
import {
  handleFromJson,
  handleToJson,
  manifestFromJson,
  manifestToJson,
  type RemoteLogManifest,
} from "../../src/server/tiering/remote-manifest.js";
import { RemotePath, remoteLogDir, remoteLogTabletDir, remoteLogManifestFile } from "../../src/server/tiering/remote-paths.js";
import { buildSegmentIndexes, lookupOffsetIndex, lookupTimeIndex } from "../../src/server/tiering/segment-index.js";
import type { StoredBatchInfo } from "../../src/server/storage/log-segment.js";

test("manifest JSON is Java's RemoteLogManifestJsonSerde format (its test vectors)", () => {
  // RemoteLogManifestJsonSerdeTest.EXPECTED_JSON1/2, with the Long.MAX_VALUE fields of the second segment made finite
  const plain =
    '{"version":1,"database":"db","table":"mytable","table_id":1001,"bucket_id":1,"remote_log_segments":[' +
    '{"segment_id":"a4421366-4a1d-4c3b-a0f8-0be2e77b1368","start_offset":0,"end_offset":9,"max_timestamp":1722225103853,"size_in_bytes":2850},' +
    '{"segment_id":"dbfd0ade-23d9-411a-ac05-81e5fe1cabd5","start_offset":100023,"end_offset":200000,"max_timestamp":1722225109999,"size_in_bytes":2147483647}]}';
  const parted =
    '{"version":1,"database":"db","table":"myPartitionTable","partition_name":"20240904",' +
    '"table_id":1002,"partition_id":0,"bucket_id":1,"remote_log_segments":[{"segment_id":"6e94fbd1-c056-446e-859c-77345dddcd96",' +
    '"start_offset":10,"end_offset":20,"max_timestamp":1722225103853,"size_in_bytes":2850}]}';
  for (const json of [plain, parted]) {
    const m = manifestFromJson(json, "test");
    assert.equal(manifestToJson(m), json);
  }
  const m = manifestFromJson(plain, "test");
  assert.equal(m.highestCopiedEndOffset, 200000);
  assert.equal(m.segments[1]!.startOffset, 100023);
  // an emptied manifest keeps the copy progress
  const empty: RemoteLogManifest = { owner: m.owner, segments: [], highestCopiedEndOffset: 42 };
  assert.equal(
    manifestToJson(empty),
    '{"version":1,"database":"db","table":"mytable","table_id":1001,"bucket_id":1,"highest_copied_end_offset":42,"remote_log_segments":[]}',
  );
  assert.equal(manifestFromJson(manifestToJson(empty), "t").highestCopiedEndOffset, 42);
  assert.throws(
    () => manifestFromJson('{"version":1}', "x.manifest"),
    (e: unknown) => e instanceof FlussError && /x\.manifest/.test(e.message),
  );
  const h = { manifestPath: "file:/r/log/db/t-1/0/metadata/u.manifest", remoteLogEndOffset: 7 };
  assert.equal(
    handleToJson(h),
    '{"version":1,"remote_log_manifest_path":"file:/r/log/db/t-1/0/metadata/u.manifest","remote_log_end_offset":7}',
  );
  assert.deepEqual(handleFromJson(handleToJson(h), "h"), h);
});

test("remote paths follow FlussPaths; file: URIs print as Java's FsPath", () => {
  const plain = RemotePath.root("/tmp/fluss/remote/");
  assert.equal(plain.uri, "/tmp/fluss/remote");
  const uri = RemotePath.root("file:///tmp/fluss/remote");
  assert.equal(uri.uri, "file:/tmp/fluss/remote");
  assert.equal(uri.local, "/tmp/fluss/remote");
  assert.equal(RemotePath.root("file:/tmp/x").uri, "file:/tmp/x");
  assert.throws(() => RemotePath.root("s3://bucket/x"), /local directory/);
  const tablet = remoteLogTabletDir(remoteLogDir(uri), {
    databaseName: "db",
    tableName: "t",
    tableId: 5,
    partition: { name: "2024$EU", id: 9 },
    bucket: 3,
  });
  assert.equal(tablet.uri, "file:/tmp/fluss/remote/log/db/t-5/2024$EU-p9/3");
  assert.equal(tablet.local, "/tmp/fluss/remote/log/db/t-5/2024$EU-p9/3");
  const manifest = remoteLogManifestFile(tablet, "u");
  assert.equal(manifest.uri, "file:/tmp/fluss/remote/log/db/t-5/2024$EU-p9/3/metadata/u.manifest");
  assert.equal(RemotePath.under(uri, manifest.uri)?.local, manifest.local);
  assert.equal(RemotePath.under(plain, manifest.uri), undefined);
});

test("offset and time indexes are built and searched as Java's", () => {
  // 10 batches of 1000 bytes, 3 records each, timestamps 100, 100, 200, 300, ...
  const base = 50;
  const batches: StoredBatchInfo[] = Array.from({ length: 10 }, (_, i) => ({
    baseOffset: base + i * 3,
    lastOffset: base + i * 3 + 2,
    position: i * 1000,
    sizeInBytes: 1000,
    commitTimestamp: i === 0 ? 100 : i * 100,
    writerId: -1,
    batchSequence: -1,
  }));
  const { offsetIndex, timeIndex } = buildSegmentIndexes(base, batches);
  // an entry when more than 4096 bytes passed since the last: positions 5000 and 10000 → batches 5 (and none after 9)
  assert.equal(offsetIndex.length, 8);
  const v = Buffer.from(offsetIndex);
  assert.deepEqual([v.readInt32BE(0), v.readInt32BE(4)], [5 * 3 + 2, 5000]);
  const t = Buffer.from(timeIndex);
  assert.equal(timeIndex.length, 12);
  assert.deepEqual([Number(t.readBigInt64BE(0)), t.readInt32BE(8)], [500, 5 * 3]);
  // lookups: the largest entry at or below, else the segment start
  assert.deepEqual(lookupOffsetIndex(offsetIndex, base, base), [base, 0]);
  assert.deepEqual(lookupOffsetIndex(offsetIndex, base, base + 16), [base, 0]);
  assert.deepEqual(lookupOffsetIndex(offsetIndex, base, base + 17), [base + 17, 5000]);
  assert.deepEqual(lookupOffsetIndex(offsetIndex, base, base + 29), [base + 17, 5000]);
  assert.deepEqual(lookupTimeIndex(timeIndex, base, 499), [-1, base]);
  assert.deepEqual(lookupTimeIndex(timeIndex, base, 900), [500, base + 15]);
  // 8 KiB batches: an entry for every batch after the first, the time index only when time moved
  const big = Array.from({ length: 4 }, (_, i) => ({
    ...batches[0]!,
    baseOffset: i,
    lastOffset: i,
    position: i * 8192,
    commitTimestamp: 7,
  }));
  const b2 = buildSegmentIndexes(0, big);
  assert.equal(b2.offsetIndex.length, 3 * 8);
  assert.equal(b2.timeIndex.length, 12);
});

test("a log gives up its oldest segments; writer states survive a reopen", async () => {
  const dir = await fsp.mkdtemp(path.join(os.tmpdir(), "flussjs-tier-log-"));
  const batch = (writerId: number, seq: number): Uint8Array =>
    assembleLogBatch({ magic: 0, schemaId: 1, appendOnly: true, recordCount: 2, writerId, batchSequence: seq }, [
      new Uint8Array(80),
    ]);
  try {
    // every batch rolls a new segment
    const log = await LogTablet.open(dir, { logger: { warn: () => undefined }, segmentBytes: 100, clock: () => 1000 });
    const first = await log.append(batch(7, 0));
    await log.append(batch(7, 1));
    await log.append(batch(8, 0));
    const last7 = await log.append(batch(7, 2));
    await log.append(batch(9, 0));
    assert.equal(log.segmentCount, 5);
    assert.deepEqual(
      log.segmentInfos().map((s) => [s.baseOffset, s.nextOffset, s.active]),
      [
        [0, 2, false],
        [2, 4, false],
        [4, 6, false],
        [6, 8, false],
        [8, 10, true],
      ],
    );
    assert.equal((await log.segmentBatches(2))[0]!.baseOffset, 2);
    // never the active segment
    assert.equal(await log.removeSegmentsBefore(1000), 8);
    assert.equal(log.logStartOffset, 8);
    assert.equal(log.segmentCount, 1);
    await assert.rejects(
      log.read(first.baseOffset, 1000),
      (e: unknown) => e instanceof FlussError && e.code === ErrorCode.LOG_OFFSET_OUT_OF_RANGE_EXCEPTION,
    );
    await log.close();

    const again = await LogTablet.open(dir, { logger: { warn: () => undefined }, segmentBytes: 100, clock: () => 2000 });
    assert.equal(again.logStartOffset, 8);
    // writer 7's last batch is only known from the saved states: a re-send is a duplicate, the next sequence follows
    const dup = await again.append(batch(7, 2));
    assert.deepEqual([dup.duplicate, dup.baseOffset], [true, last7.baseOffset]);
    assert.equal((await again.append(batch(7, 3))).baseOffset, 10);
    assert.equal((await again.append(batch(8, 1))).baseOffset, 12);
    await assert.rejects(
      again.append(batch(8, 5)),
      (e: unknown) => e instanceof FlussError && e.code === ErrorCode.OUT_OF_ORDER_SEQUENCE_EXCEPTION,
    );
    await again.close();
  } finally {
    await fsp.rm(dir, { recursive: true, force: true });
  }
});

test("a failing background tiering round is logged, never an unhandled rejection", async () => {
  const { RemoteLogManager } = await import("../../src/server/tiering/remote-log-manager.js");
  const { CatalogStore } = await import("../../src/server/storage/catalog-store.js");
  const { LogManager } = await import("../../src/server/storage/log-manager.js");
  const dir = await fsp.mkdtemp(path.join(os.tmpdir(), "flussjs-tier-round-"));
  const catalog = CatalogStore.open(dir);
  const logs = new LogManager(dir, { logger: { warn: () => {}, error: () => {} }, syncEveryAppend: false });
  // a catalog that fails under the first round (as a database dropped during it did)
  catalog.listDatabases = () => {
    throw new FlussError(ErrorCode.DATABASE_NOT_EXIST, "Database fz does not exist.");
  };
  const warnings: string[] = [];
  const unhandled: unknown[] = [];
  const onUnhandled = (e: unknown) => unhandled.push(e);
  process.on("unhandledRejection", onUnhandled);
  const manager = new RemoteLogManager(catalog, logs, {
    root: RemotePath.root(path.join(dir, "remote")),
    taskIntervalMs: 10,
    clock: Date.now,
    logger: { info: () => {}, warn: (m) => warnings.push(m), error: () => {} },
  });
  try {
    const deadline = Date.now() + 5000;
    while (warnings.length < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    assert.ok(warnings.length >= 2, "every round reports its failure");
    assert.match(warnings[0]!, /A tiering round failed: .*Database fz does not exist/);
    assert.deepEqual(unhandled, []);
  } finally {
    process.off("unhandledRejection", onUnhandled);
    await manager.close();
    await logs.closeAll();
    await fsp.rm(dir, { recursive: true, force: true });
  }
});
