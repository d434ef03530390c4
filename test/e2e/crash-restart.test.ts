/**
 * Crash test: `flussjs local` runs in a child process on a data dir and is killed with
 * SIGKILL at seeded random moments while one client storms a log table and a primary-key
 * table; it is restarted on the same data dir and port each time, and the same client
 * (same writers, same writer ids) carries on. Afterwards:
 * - every acknowledged log row is stored exactly once, no row at all twice, in write
 *   order per bucket, at contiguous offsets (batch after batch from 0 to the high watermark);
 * - every acknowledged upsert is in the changelog exactly once, no upsert twice, in write
 *   order per bucket; changelog batches are contiguous (a header-only batch, e.g. the
 *   changelog of a delete of an absent key, takes one offset and holds no record);
 * - lookups of every key equal the replay of the changelog.
 * CRASH_SEED / CRASH_CYCLES change the seed and the number of kills for longer local hunts.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { fileURLToPath } from "node:url";
import {
  Config,
  DataTypes,
  EARLIEST_OFFSET,
  FlussConnection,
  Schema,
  TableDescriptor,
  TablePath,
  type FlussTable,
} from "../../src/index.js";
import { ApiKey } from "../../src/rpc/api-keys.js";
import { ServerConnection } from "../../src/rpc/server-connection.js";
import { iterateBatches } from "../../src/record/log-batch.js";

const SEED = Number(process.env.CRASH_SEED ?? 0x5eed);
const CYCLES = Number(process.env.CRASH_CYCLES ?? 4);
const KEYS = 300;
const WINDOW = 1000;
const BUCKETS = 2;

/** mulberry32 */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Child {
  readonly child: ChildProcess;
  readonly port: number;
  readonly exited: Promise<void>;
}

/** `flussjs local --data-dir dir --port port` in a child process. */
async function startServer(dataDir: string, port: number): Promise<Child> {
  const cli = fileURLToPath(new URL("../../src/cli/main.ts", import.meta.url));
  const args = ["local", "--port", String(port), "--data-dir", dataDir];
  const child = spawn(
    process.execPath,
    [
      "--import",
      "tsx",
      "-e",
      `import(${JSON.stringify(cli)}).then((m) => m.main(${JSON.stringify(args)})).then((c) => process.exit(c))`,
    ],
    { stdio: ["ignore", "pipe", "pipe"] },
  );
  let err = "";
  child.stderr!.on("data", (c: Buffer) => void (err += c.toString()));
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const bound = await new Promise<number>((resolve, reject) => {
    let out = "";
    child.stdout!.on("data", (c: Buffer) => {
      out += c.toString();
      const m = /bootstrap\.servers\s+\S+:(\d+)/.exec(out);
      if (m) resolve(Number(m[1]));
    });
    child.once("exit", (code) => reject(new Error(`flussjs local exited with ${code}: ${out}${err}`)));
  });
  return { child, port: bound, exited };
}

async function kill(c: Child): Promise<void> {
  c.child.kill("SIGKILL");
  await c.exited;
}

/** Restarts on the same port; the kernel may hold it a moment after the kill. */
async function restart(dataDir: string, port: number): Promise<Child> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await startServer(dataDir, port);
    } catch (e) {
      if (attempt >= 20 || !/already in use/.test(String(e))) throw e;
      await sleep(100);
    }
  }
}

/** Every batch of one bucket read raw: offsets must chain from 0 to the high watermark. */
async function rawBatches(
  conn: ServerConnection,
  tableId: number,
  bucketId: number,
): Promise<{ base: number; next: number; count: number }[]> {
  const out: { base: number; next: number; count: number }[] = [];
  let offset = 0;
  for (;;) {
    const r = await conn.request(ApiKey.FETCH_LOG, {
      followerServerId: -1,
      maxBytes: 8 << 20,
      tablesReq: [
        {
          tableId,
          projectionPushdownEnabled: false,
          projectedFields: [],
          bucketsReq: [{ bucketId, fetchOffset: offset, maxFetchBytes: 8 << 20 }],
        },
      ],
    });
    const b = r.tablesResp[0]!.bucketsResp[0]!;
    assert.equal(b.errorCode, undefined, b.errorMessage);
    for (const v of iterateBatches(b.records ?? new Uint8Array(0))) {
      assert.ok(v.isValid(), `bucket ${bucketId}: batch at ${v.baseOffset} has a valid CRC`);
      assert.equal(
        v.baseOffset,
        offset,
        `table ${tableId} bucket ${bucketId}: batch at ${v.baseOffset}, expected ${offset} (offsets contiguous)`,
      );
      // a header-only batch takes exactly one offset; others one per record
      assert.equal(
        v.nextOffset - v.baseOffset,
        Math.max(1, v.recordCount),
        `bucket ${bucketId}: offsets taken by the batch at ${v.baseOffset}`,
      );
      out.push({ base: v.baseOffset, next: v.nextOffset, count: v.recordCount });
      offset = v.nextOffset;
    }
    if (offset >= b.highWatermark!) {
      assert.equal(offset, b.highWatermark, `bucket ${bucketId}: batches end at the high watermark`);
      return out;
    }
  }
}

/** Every record of a table, per bucket in offset order, read through the public scanner. */
async function scanAll(
  table: FlussTable,
  ends: number[],
): Promise<{ offset: number; type: string; row: Record<string, unknown> }[][]> {
  const perBucket: { offset: number; type: string; row: Record<string, unknown> }[][] = ends.map(() => []);
  await using scanner = await table.newScan().createLogScanner();
  for (let b = 0; b < ends.length; b++) if (ends[b]! > 0) await scanner.subscribe(b, EARLIEST_OFFSET);
  const deadline = Date.now() + 20_000;
  const done = () => perBucket.every((rs, b) => (rs.at(-1)?.offset ?? -1) >= ends[b]! - 1 || ends[b] === 0);
  while (!done()) {
    assert.ok(Date.now() < deadline, "scan of the whole table within 20 s");
    const recs = await scanner.poll(500);
    for (const bucket of recs.buckets()) {
      for (const r of recs.records(bucket))
        perBucket[bucket.bucket]!.push({ offset: r.offset, type: r.changeType.shortString(), row: r.row });
    }
  }
  return perBucket;
}

test("SIGKILL under a write storm, restarted on the same data dir: acknowledged rows once, offsets contiguous, lookups = changelog replay", {
  timeout: 90_000,
}, async () => {
  const rnd = prng(SEED);
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "flussjs-crash-"));
  let server = await startServer(dataDir, 0);
  const port = server.port;
  const conn = await FlussConnection.connect(
    new Config({
      "bootstrap.servers": `127.0.0.1:${port}`,
      "request.timeout.ms": 3000,
      "connect.timeout.ms": 10_000,
      "writer.delivery.timeout.ms": 60_000,
      "writer.batch.timeout.ms": 2,
    }),
  );
  try {
    const admin = conn.getAdmin();
    await admin.createDatabase("crash", { ignoreIfExists: true });
    const logPath = new TablePath("crash", "events");
    const pkPath = new TablePath("crash", "state");
    await admin.createTable(
      logPath,
      new TableDescriptor(
        Schema.fromColumns([
          { name: "id", type: DataTypes.BIGINT() },
          { name: "pad", type: DataTypes.STRING() },
        ]),
        { bucketCount: BUCKETS },
      ),
    );
    await admin.createTable(
      pkPath,
      new TableDescriptor(
        Schema.fromColumns(
          [
            { name: "k", type: DataTypes.INT() },
            { name: "v", type: DataTypes.BIGINT() },
          ],
          ["k"],
        ),
        { bucketCount: BUCKETS },
      ),
    );
    const logTable = await conn.getTable(logPath);
    const pkTable = await conn.getTable(pkPath);
    const logWriter = logTable.newAppendWriter();
    const pkWriter = pkTable.newUpsert();

    const ackedLog = new Set<number>();
    const ackedUpserts = new Set<number>();
    const failures: string[] = [];
    let nextId = 0;
    let stop = false;
    const pending: Promise<void>[] = [];
    let settled = 0;
    const storm = async (): Promise<void> => {
      while (!stop) {
        const id = nextId++;
        const h = await logWriter.append({ id: BigInt(id), pad: `row-${id}` });
        pending.push(
          h.wait().then(
            () => void ackedLog.add(id),
            (e: unknown) => void failures.push(`log ${id}: ${String(e)}`),
          ),
        );
        const k = Math.floor(rnd() * KEYS);
        if (rnd() < 0.15) {
          const d = await pkWriter.delete({ k, v: null });
          pending.push(d.wait().catch((e: unknown) => void failures.push(`delete ${k}: ${String(e)}`)));
        } else {
          const u = await pkWriter.upsert({ k, v: BigInt(id) });
          pending.push(
            u.wait().then(
              () => void ackedUpserts.add(id),
              (e: unknown) => void failures.push(`upsert ${id}: ${String(e)}`),
            ),
          );
        }
        // at most WINDOW writes unanswered, as an application bounding its in-flight work
        while (pending.length - settled > WINDOW) await pending[settled]!.then(() => settled++);
      }
    };
    const storming = storm();
    for (let cycle = 0; cycle < CYCLES; cycle++) {
      // wait for progress on the current server, then kill it at a random moment
      const ackedAtStart = ackedLog.size + ackedUpserts.size;
      const progressBy = Date.now() + 15_000;
      while (ackedLog.size + ackedUpserts.size < ackedAtStart + 200 && failures.length === 0) {
        assert.ok(Date.now() < progressBy, `cycle ${cycle}: the client resumed writing within 15 s`);
        await sleep(5);
      }
      assert.deepEqual(failures, [], `cycle ${cycle}`);
      await sleep(20 + Math.floor(rnd() * 400));
      await kill(server);
      const t0 = Date.now();
      server = await restart(dataDir, port);
      if (process.env.CRASH_DEBUG)
        console.log(
          `cycle ${cycle}: killed at ${ackedLog.size}/${ackedUpserts.size} acked of ${nextId}, restart ${Date.now() - t0} ms`,
        );
    }
    const tResume = Date.now();
    stop = true;
    await storming;
    await logWriter.flush();
    await pkWriter.flush();
    await Promise.all(pending);
    assert.deepEqual(failures, []);
    if (process.env.CRASH_DEBUG) console.log(`final flush ${Date.now() - tResume} ms, ${nextId} writes`);
    assert.ok(ackedLog.size === nextId, `every write acknowledged in the end: ${ackedLog.size} of ${nextId}`);

    // --- log table: every row once, write order per bucket, contiguous offsets
    const raw = await ServerConnection.connect({ host: "127.0.0.1", port, connectTimeoutMs: 5000, requestTimeoutMs: 10_000 });
    try {
      const logEnds: number[] = [];
      const pkEnds: number[] = [];
      for (let b = 0; b < BUCKETS; b++) {
        logEnds.push((await rawBatches(raw, logTable.info.tableId, b)).at(-1)?.next ?? 0);
        pkEnds.push((await rawBatches(raw, pkTable.info.tableId, b)).at(-1)?.next ?? 0);
      }
      const seen = new Set<number>();
      for (const [b, recs] of (await scanAll(logTable, logEnds)).entries()) {
        assert.equal(recs.length, logEnds[b], `log bucket ${b}: one record per offset`);
        let last = -1;
        for (const r of recs) {
          const id = Number(r.row.id as bigint);
          assert.ok(!seen.has(id), `log row ${id} stored twice (offset ${r.offset})`);
          assert.ok(id > last, `log bucket ${b}: row ${id} after ${last} (write order)`);
          assert.equal(r.row.pad, `row-${id}`);
          seen.add(id);
          last = id;
        }
      }
      for (const id of ackedLog) assert.ok(seen.has(id), `acknowledged log row ${id} missing`);
      assert.equal(seen.size, nextId);

      // --- primary-key table: changelog once per upsert, replay = lookups
      const replay = new Map<number, bigint>();
      const upserted = new Set<number>();
      for (const [b, recs] of (await scanAll(pkTable, pkEnds)).entries()) {
        let last = -1;
        for (const r of recs) {
          const k = r.row.k as number;
          const v = r.row.v as bigint;
          if (r.type === "+I" || r.type === "+U") {
            const id = Number(v);
            assert.ok(!upserted.has(id), `upsert ${id} applied twice (offset ${r.offset})`);
            assert.ok(id > last, `pk bucket ${b}: upsert ${id} after ${last} (write order)`);
            upserted.add(id);
            last = id;
            replay.set(k, v);
          } else if (r.type === "-D") {
            assert.equal(replay.get(k), v, `-D of key ${k} carries the stored row`);
            replay.delete(k);
          } else {
            assert.equal(r.type, "-U");
            assert.equal(replay.get(k), v, `-U of key ${k} carries the stored row`);
          }
        }
      }
      for (const id of ackedUpserts) assert.ok(upserted.has(id), `acknowledged upsert ${id} missing from the changelog`);
      const lookuper = pkTable.newLookup();
      const rows = await Promise.all([...Array(KEYS).keys()].map((k) => lookuper.lookup({ k })));
      rows.forEach((row, k) => {
        const want = replay.get(k);
        assert.deepEqual(row === null ? null : row.v, want ?? null, `lookup of key ${k}`);
      });
    } finally {
      raw.close();
    }
    await logWriter.close();
    await pkWriter.close();
  } finally {
    await conn.close();
    await kill(server);
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
});
