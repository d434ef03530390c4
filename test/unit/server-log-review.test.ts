/**
 * Findings of the log-storage review, reproduced over real sockets against the local
 * cluster: a FetchLog whose local read is paused while tiering removes the segments it
 * chose (the `LogTablet.pauseRead` hook stands in for segment I/O that yields), and a
 * bucket whose remote-log manifest cannot be read.
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
} from "../../src/index.js";
import { ApiKey } from "../../src/rpc/api-keys.js";
import { ErrorCode } from "../../src/rpc/errors.js";
import type * as M from "../../src/rpc/messages.js";
import { ServerConnection } from "../../src/rpc/server-connection.js";
import { iterateBatches } from "../../src/record/log-batch.js";
import type { LogTablet } from "../../src/server/storage/log-tablet.js";
import type { ServerState } from "../../src/server/server-state.js";
import { pollN } from "../helpers/records.js";

const SEGMENT_BYTES = 8 * 1024;
const schema = Schema.fromColumns([
  { name: "id", type: DataTypes.INT() },
  { name: "payload", type: DataTypes.STRING() },
]);

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
  projectedFields?: number[],
): Promise<M.PbFetchLogRespForBucket> {
  const resp = await raw.request(ApiKey.FETCH_LOG, {
    followerServerId: -1,
    maxBytes: 1 << 20,
    maxWaitMs: 0,
    tablesReq: [
      {
        tableId,
        projectionPushdownEnabled: projectedFields !== undefined,
        projectedFields: projectedFields ?? [],
        bucketsReq: [{ bucketId: 0, fetchOffset, maxFetchBytes: 1 << 20 }],
      },
    ],
  });
  return resp.tablesResp[0]!.bucketsResp[0]!;
}

describe("log storage review", () => {
  let dataDir: string;
  let cluster: LocalCluster;
  let conn: FlussConnection;
  let raw: ServerConnection;
  const db = `logreview_${randomBytes(3).toString("hex")}`;

  /** Starts the cluster on `dataDir` (again) with a client and a raw connection. */
  async function open(): Promise<void> {
    cluster = await LocalCluster.start({
      dataDir,
      segmentBytes: SEGMENT_BYTES,
      localSegmentsToKeep: 1,
      remoteLogTaskIntervalMs: 0,
    });
    conn = await FlussConnection.connect(new Config({ "bootstrap.servers": cluster.bootstrapServers }));
    raw = await ServerConnection.connect({
      host: "127.0.0.1",
      port: cluster.port,
      connectTimeoutMs: 5000,
      requestTimeoutMs: 10_000,
    });
  }

  before(async () => {
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "flussjs-logreview-"));
    await open();
    await conn.getAdmin().createDatabase(db);
  });
  after(async () => {
    raw.close();
    await conn.close();
    await cluster.close();
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  /** A one-bucket log table with `batches` batches of 12 rows (~1 KB), several segments. */
  async function table(name: string, batches: number): Promise<{ tableId: number; localDir: string; log: LogTablet }> {
    const tp = new TablePath(db, name);
    await conn.getAdmin().createTable(tp, new TableDescriptor(schema, { bucketCount: 1 }));
    const tableId = (await conn.getAdmin().getTableInfo(tp)).tableId;
    const writer = (await conn.getTable(tp)).newAppendWriter();
    for (let b = 0; b < batches; b++) {
      for (let r = 0; r < 12; r++) writer.append({ id: b * 12 + r, payload: `row-${randomBytes(30).toString("base64")}` });
      await writer.flush();
    }
    await writer.close();
    const state = (cluster as unknown as { state: ServerState }).state;
    const log = await state.logs.getIfOpen(tableId, undefined, 0)!;
    return { tableId, localDir: path.join(dataDir, "log", String(tableId), "0"), log };
  }

  for (const projected of [undefined, [0]]) {
    test(`a ${projected ? "projected " : ""}FetchLog racing a tiering round gets the data or remote info, never a gap`, async () => {
      const { tableId, localDir, log } = await table(projected ? "race_projected" : "race", 40);
      assert.ok(segmentFiles(localDir).length >= 4, "several local segments");
      const fetchOffset = 5; // in the first segment
      // the read picks its segment, then waits while a tiering round removes every closed segment
      let paused!: () => void;
      const reached = new Promise<void>((resolve) => (paused = resolve));
      let release!: () => void;
      const gate = new Promise<void>((resolve) => (release = resolve));
      log.pauseRead = async () => {
        log.pauseRead = undefined;
        paused();
        await gate;
      };
      const answer = fetchRaw(raw, tableId, fetchOffset, projected);
      await reached;
      await cluster.runRemoteLogTasks();
      assert.equal(segmentFiles(localDir).length, 1, "tiering removed the closed local segments meanwhile");
      assert.ok(log.logStartOffset > fetchOffset);
      release();
      const r = await answer;
      assert.equal(r.errorCode, undefined, `no error: ${r.errorMessage}`);
      if (r.records !== undefined) {
        // data read before the segment went: it starts at the batch holding the fetch offset
        const first = [...iterateBatches(r.records)][0]!;
        assert.ok(
          first.baseOffset <= fetchOffset && first.lastOffset >= fetchOffset,
          `first batch ${first.baseOffset}..${first.lastOffset}`,
        );
      } else {
        const info = r.remoteLogFetchInfo;
        assert.ok(info, "answered from remote storage");
        const seg = info.remoteLogSegments[0]!;
        assert.ok(seg.remoteLogStartOffset <= fetchOffset && seg.remoteLogEndOffset > fetchOffset);
      }
    });
  }

  test("a bucket whose remote manifest cannot be read serves its local offsets; remote ones fail clearly until it is back", async () => {
    const { tableId, localDir } = await table("broken_manifest", 40);
    await cluster.runRemoteLogTasks();
    const tabletDir = path.join(cluster.remoteDataDir, "log", db, `broken_manifest-${tableId}`, "0");
    const [manifestName] = fs.readdirSync(path.join(tabletDir, "metadata"));
    const manifest = path.join(tabletDir, "metadata", manifestName!);
    const good = fs.readFileSync(manifest);
    const localStart = Number(segmentFiles(localDir)[0]!.slice(0, 20));
    assert.ok(localStart > 0);
    const tp = new TablePath(db, "broken_manifest");
    const hw = (await conn.getAdmin().listOffsets(tp, [0], OffsetSpec.latest()))[0]!;

    // the manifest is read when the bucket is first used after a restart
    raw.close();
    await conn.close();
    await cluster.close();
    fs.writeFileSync(manifest, '{"version":1,"database":');
    await open();

    for (const state of ["corrupt", "missing"]) {
      if (state === "missing") fs.rmSync(manifest);
      const local = await fetchRaw(raw, tableId, localStart);
      assert.equal(local.errorCode, undefined, `${state}: local offsets are served: ${local.errorMessage}`);
      assert.equal([...iterateBatches(local.records!)][0]!.baseOffset, localStart);
      assert.equal(local.logStartOffset, localStart);
      for (const offset of [0, -2]) {
        const remote = await fetchRaw(raw, tableId, offset);
        assert.equal(remote.errorCode, ErrorCode.LOG_STORAGE_EXCEPTION, `${state}, offset ${offset}`);
        assert.ok(remote.errorMessage?.includes(manifestName!), remote.errorMessage);
        assert.equal(remote.records, undefined);
      }
    }
    // through the public scanner: every local record, once
    const scanner = await (await conn.getTable(tp)).newScan().createLogScanner();
    await scanner.subscribe(0, localStart);
    const rows = await pollN(scanner, hw - localStart);
    assert.deepEqual(
      rows.map((r) => r.offset),
      Array.from({ length: hw - localStart }, (_, i) => localStart + i),
    );
    await scanner.close();
    // tiering of the bucket stops (nothing local is deleted) and the server goes on
    const before = segmentFiles(localDir);
    await cluster.runRemoteLogTasks();
    assert.deepEqual(segmentFiles(localDir), before);

    // the manifest back: remote offsets are answered again, without a restart
    fs.writeFileSync(manifest, good);
    const again = await fetchRaw(raw, tableId, 0);
    assert.equal(again.errorCode, undefined, again.errorMessage);
    assert.equal(again.remoteLogFetchInfo?.remoteLogSegments[0]?.remoteLogStartOffset, 0);
  });
});
