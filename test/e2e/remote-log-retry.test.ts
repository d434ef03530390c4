/**
 * A remote log segment that cannot be read (here a symlink loop in its place: ELOOP, which
 * holds for root too) is retried for as long as the scanner is open, as Java's
 * RemoteLogDownloader does: reported to `onError` meanwhile, data complete once it is
 * readable again, and `scanner.max-unavailable-ms` surfacing a segment that stays unreadable.
 */
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { after, before, describe, test } from "node:test";
import {
  Config,
  DataTypes,
  EARLIEST_OFFSET,
  ErrorCode,
  FlussConnection,
  FlussError,
  LocalCluster,
  OffsetSpec,
  Schema,
  TableDescriptor,
  TablePath,
} from "../../src/index.js";
import { EXTERNAL_SERVERS, uniqueName } from "../helpers/cluster.js";
import { pollN } from "../helpers/records.js";

const schema = Schema.fromColumns([
  { name: "id", type: DataTypes.INT() },
  { name: "payload", type: DataTypes.STRING() },
]);

describe("remote segment downloads are retried while the scanner is open (e2e)", { skip: EXTERNAL_SERVERS !== undefined }, () => {
  let dataDir: string;
  let cluster: LocalCluster;
  let conn: FlussConnection;
  const db = uniqueName("remote_retry");

  before(async () => {
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "flussjs-remote-retry-"));
    cluster = await LocalCluster.start({ dataDir, segmentBytes: 4096, localSegmentsToKeep: 1, remoteLogTaskIntervalMs: 0 });
    conn = await FlussConnection.connect(new Config({ "bootstrap.servers": cluster.bootstrapServers }));
    await conn.getAdmin().createDatabase(db);
  });
  after(async () => {
    await conn.close();
    await cluster.close();
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  /** A tiered table: bucket 0's row count and the file of its first remote segment. */
  async function tieredTable(name: string, bucketCount = 1): Promise<{ tp: TablePath; rows: number; firstSegment: string }> {
    const tp = new TablePath(db, name);
    await conn.getAdmin().createTable(tp, new TableDescriptor(schema, { bucketCount }));
    const tableId = (await conn.getAdmin().getTableInfo(tp)).tableId;
    const writer = (await conn.getTable(tp)).newAppendWriter();
    for (let b = 0; b < 20 * bucketCount; b++) {
      for (let r = 0; r < 10; r++) writer.append({ id: b * 10 + r, payload: randomBytes(40).toString("base64") });
      await writer.flush();
    }
    await writer.close();
    await cluster.runRemoteLogTasks();
    const rows = (await conn.getAdmin().listOffsets(tp, [0], OffsetSpec.latest()))[0]!;
    const tabletDir = path.join(cluster.remoteDataDir, "log", db, `${name}-${tableId}`, "0");
    const first = fs
      .readdirSync(tabletDir)
      .filter((n) => n !== "metadata")
      .map((id) => path.join(tabletDir, id, `${"0".padStart(20, "0")}.log`))
      .find((f) => fs.existsSync(f));
    assert.ok(first, "the segment at offset 0 is in remote storage");
    return { tp, rows, firstSegment: first };
  }

  /** Puts a symlink loop where `file` was (opening it fails with ELOOP); returns the undo. */
  function makeUnreadable(file: string): () => void {
    fs.renameSync(file, `${file}.away`);
    fs.symlinkSync(path.basename(file), file);
    return () => {
      fs.unlinkSync(file);
      fs.renameSync(`${file}.away`, file);
    };
  }

  test("a segment unreadable for a while is read once it is back: every record once, failures reported", async () => {
    const { tp, rows, firstSegment } = await tieredTable("comes_back");
    const restore = makeUnreadable(firstSegment);
    const scanner = await (await conn.getTable(tp)).newScan().createLogScanner();
    const errors: FlussError[] = [];
    scanner.onError((e) => errors.push(e));
    await scanner.subscribe(0, EARLIEST_OFFSET);
    const early = [];
    const until = Date.now() + 1500;
    while (Date.now() < until) early.push(...(await scanner.poll(200)));
    assert.equal(early.length, 0, "nothing before the first segment is readable");
    assert.ok(errors.length >= 3, `each failed attempt is reported (${errors.length})`);
    assert.ok(
      errors.every((e) => e.code === ErrorCode.LOG_STORAGE_EXCEPTION && e.message.includes(firstSegment)),
      errors[0]?.message,
    );
    restore();
    const records = await pollN(scanner, rows);
    assert.deepEqual(
      records.map((r) => r.offset),
      Array.from({ length: rows }, (_, i) => i),
    );
    assert.deepEqual(
      records.map((r) => r.row.id),
      Array.from({ length: rows }, (_, i) => i),
    );
    assert.equal((await scanner.poll(300)).count, 0, "nothing twice");
    await scanner.close();
  });

  test("a segment that stays unreadable surfaces through scanner.max-unavailable-ms, while another bucket is fetched; close ends the retries", async () => {
    const { tp, firstSegment } = await tieredTable("never_back", 2);
    const restore = makeUnreadable(firstSegment);
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "flussjs-remote-retry-io-"));
    const c2 = await FlussConnection.connect(
      new Config({ "bootstrap.servers": cluster.bootstrapServers, "scanner.max-unavailable-ms": 1500, "scanner.io.tmpdir": tmp }),
    );
    try {
      const scanner = await (await c2.getTable(tp)).newScan().createLogScanner();
      await scanner.subscribe(0, EARLIEST_OFFSET);
      // bucket 1 from its end: FetchLog answers it without error all along
      const end1 = (await c2.getAdmin().listOffsets(tp, [1], OffsetSpec.latest()))[1]!;
      await scanner.subscribe(1, end1);
      const t0 = Date.now();
      let thrown: unknown;
      while (Date.now() - t0 < 8000 && thrown === undefined) {
        try {
          assert.equal((await scanner.poll(500)).count, 0);
        } catch (e) {
          thrown = e;
        }
      }
      const took = Date.now() - t0;
      assert.ok(thrown instanceof FlussError, `poll threw within ${took} ms: ${String(thrown)}`);
      assert.equal(thrown.code, ErrorCode.LOG_STORAGE_EXCEPTION);
      assert.match(thrown.message, /scanner\.max-unavailable-ms = 1500/);
      assert.ok(thrown.message.includes(firstSegment), thrown.message);
      assert.ok(took >= 1400 && took < 4000, `after the bound, not long after (${took} ms)`);
      // still retrying: the next poll waits again rather than failing the bucket for good
      const t1 = Date.now();
      await assert.rejects(scanner.poll(5000), (e: unknown) => e instanceof FlussError && e.retriable);
      assert.ok(Date.now() - t1 >= 1000, "the clock restarted");
      const t2 = Date.now();
      await scanner.close();
      assert.ok(Date.now() - t2 < 1000, "close does not wait out a backoff");
      assert.deepEqual(fs.readdirSync(tmp), [], "nothing left in scanner.io.tmpdir");
    } finally {
      await c2.close();
      restore();
      fs.rmSync(tmp, { recursive: true, force: true });
    }
  });
});
