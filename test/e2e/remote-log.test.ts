/**
 * Reading tiered log segments: the embedded cluster keeps two segments per bucket
 * (tiny segments) and moves the older ones to its remote directory; scanners must read
 * every record exactly once across the remote/local boundary.
 */
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, unlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { pathToFileURL } from "node:url";
import {
  DataTypes,
  EARLIEST_OFFSET,
  ErrorCode,
  FlussConnection,
  FlussError,
  type FlussTable,
  LocalCluster,
  notNull,
  OffsetSpec,
  Schema,
  TableDescriptor,
  TablePath,
  type LogScanner,
  type ScanRecord,
} from "../../src/index.js";
import { ApiKey } from "../../src/rpc/api-keys.js";
import type { PbRemoteLogFetchInfo } from "../../src/rpc/messages.js";
import { ServerConnection } from "../../src/rpc/server-connection.js";
import { parseRemoteLocation } from "../../src/client/scan/remote/file-system.js";
import { EXTERNAL_SERVERS, uniqueName } from "../helpers/cluster.js";
import { rewritingProxy } from "../helpers/rewrite-proxy.js";
import { createTestTable, type TestTableOptions } from "../helpers/tables.js";

const SEGMENT_BYTES = 2048;

/** Every `.log` file under `dir`. */
function logFiles(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string): void => {
    let names: string[];
    try {
      names = readdirSync(d);
    } catch {
      return;
    }
    for (const n of names) {
      const p = join(d, n);
      if (statSync(p).isDirectory()) walk(p);
      else if (n.endsWith(".log")) out.push(p);
    }
  };
  walk(dir);
  return out;
}

/** The bucket each record read by {@link readN} came from. */
const bucketOf = new WeakMap<ScanRecord, number>();

/** Polls until `n` records arrived, then a little longer to see that nothing more comes. */
async function readN(scanner: LogScanner, n: number, ms = 20_000): Promise<ScanRecord[]> {
  const out: ScanRecord[] = [];
  const take = (recs: Awaited<ReturnType<LogScanner["poll"]>>): void => {
    for (const b of recs.buckets()) {
      for (const r of recs.records(b)) {
        bucketOf.set(r, b.bucket);
        out.push(r);
      }
    }
  };
  const deadline = Date.now() + ms;
  while (out.length < n) {
    const left = deadline - Date.now();
    if (left <= 0) assert.fail(`got ${out.length} of ${n} records in ${ms} ms`);
    take(await scanner.poll(Math.min(left, 500)));
  }
  take(await scanner.poll(300));
  return out;
}

/** Asserts that `ids` are exactly `0..n-1`, each once. */
function assertOnceEach(ids: readonly number[], n: number, what: string): void {
  const sorted = [...ids].sort((a, b) => a - b);
  assert.equal(sorted.length, n, `${what}: ${sorted.length} records, expected ${n}`);
  for (let i = 0; i < n; i++) if (sorted[i] !== i) assert.fail(`${what}: id ${i} missing or duplicated (found ${sorted[i]})`);
}

describe("reading tiered (remote) log segments (e2e)", { skip: EXTERNAL_SERVERS !== undefined }, () => {
  let dataDir: string;
  let remoteDir: string;
  let scratch: string;
  let cluster: LocalCluster;
  let conn: FlussConnection;
  let raw: ServerConnection;
  const db = uniqueName("remote_db");

  const start = async (): Promise<void> => {
    cluster = await LocalCluster.start({
      dataDir,
      remoteDataDir: remoteDir,
      segmentBytes: SEGMENT_BYTES,
      // the active segment and the last closed one stay local
      localSegmentsToKeep: 2,
      remoteLogTaskIntervalMs: 100,
      // primary-key changelogs are tiered up to their KV snapshot: snapshot often
      kv: { snapshotBytes: 4096, snapshotIntervalMs: 200 },
    });
    conn = await FlussConnection.connect({
      "bootstrap.servers": cluster.bootstrapServers,
      "scanner.log.fetch.wait-max-time-ms": 100,
      "scanner.io.tmpdir": scratch,
    });
    const [host, port] = cluster.bootstrapServers.split(":");
    raw = await ServerConnection.connect({ host: host!, port: Number(port), connectTimeoutMs: 5000, requestTimeoutMs: 15_000 });
  };
  const stop = async (): Promise<void> => {
    raw?.close();
    await conn?.close();
    await cluster?.close();
  };

  before(async () => {
    dataDir = mkdtempSync(join(tmpdir(), "flussjs-remote-e2e-"));
    remoteDir = join(dataDir, "remote-store");
    scratch = mkdtempSync(join(tmpdir(), "flussjs-remote-scratch-"));
    await start();
    await conn.getAdmin().createDatabase(db);
  });
  after(async () => {
    await stop();
    rmSync(dataDir, { recursive: true, force: true });
    rmSync(scratch, { recursive: true, force: true });
  });

  /** Whether FetchLog at `offset` (0) of the bucket is answered from remote storage. */
  async function startsRemote(tableId: number, bucket: number, partitionId?: number, offset = 0): Promise<boolean> {
    const info = await remoteInfo(tableId, bucket, partitionId, offset);
    return info !== undefined && info.remoteLogSegments.length > 0;
  }

  /** The `remote_log_fetch_info` of a FetchLog at `offset` of the bucket (local-first), if any. */
  async function remoteInfo(
    tableId: number,
    bucket: number,
    partitionId?: number,
    offset = 0,
  ): Promise<PbRemoteLogFetchInfo | undefined> {
    const resp = await raw.request(ApiKey.FETCH_LOG, {
      followerServerId: -1,
      maxBytes: 1 << 20,
      tablesReq: [
        {
          tableId,
          projectionPushdownEnabled: false,
          projectedFields: [],
          bucketsReq: [
            {
              ...(partitionId !== undefined ? { partitionId } : {}),
              bucketId: bucket,
              fetchOffset: offset,
              maxFetchBytes: 1 << 20,
            },
          ],
        },
      ],
    });
    return resp.tablesResp[0]?.bucketsResp[0]?.remoteLogFetchInfo;
  }

  /** Waits until offset 0 of every listed bucket lives in remote storage. */
  async function waitTiered(table: FlussTable, buckets: readonly { bucket: number; partitionId?: number }[]): Promise<void> {
    const deadline = Date.now() + 30_000;
    for (const { bucket, partitionId } of buckets) {
      while (!(await startsRemote(table.info.tableId, bucket, partitionId))) {
        if (Date.now() > deadline) assert.fail(`bucket ${bucket} of ${table.info.tablePath} was not tiered within 30 s`);
        await new Promise((r) => setTimeout(r, 100));
      }
    }
  }

  /** The local file of the second remote segment the server names for offset 0 of bucket 0. */
  async function secondRemoteSegment(table: FlussTable): Promise<string> {
    // the second segment the server names for offset 0, once it names two
    let named: PbRemoteLogFetchInfo | undefined;
    for (const deadline = Date.now() + 10_000; Date.now() < deadline; ) {
      await cluster.runRemoteLogTasks();
      named = await remoteInfo(table.info.tableId, 0);
      if ((named?.remoteLogSegments.length ?? 0) >= 2) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    assert.ok(named && named.remoteLogSegments.length >= 2, `${named?.remoteLogSegments.length} remote segments`);
    const seg = named.remoteLogSegments[1]!;
    const tablet = parseRemoteLocation(named.remoteLogTabletDir);
    assert.equal(tablet.scheme, "file");
    const victim = join(
      (tablet as { path: string }).path,
      seg.remoteLogSegmentId,
      `${String(seg.remoteLogStartOffset).padStart(20, "0")}.log`,
    );
    return victim;
  }

  /** Appends ids from..from+n-1 in flushes of 10 rows (one batch per bucket each). */
  async function append(table: FlussTable, from: number, n: number, region?: (id: number) => string): Promise<void> {
    const w = table.newAppendWriter();
    for (let i = from; i < from + n; i++) {
      w.append({ id: i, name: `name-${i}-${"x".repeat(20)}`, amount: BigInt(i * 3), ...(region ? { region: region(i) } : {}) });
      if ((i - from) % 10 === 9) await w.flush();
    }
    await w.close();
  }

  async function logTable(name: string, options: TestTableOptions, rows: number): Promise<FlussTable> {
    const table = await createTestTable(conn, db, name, options);
    await append(table, 0, rows);
    await waitTiered(
      table,
      Array.from({ length: options.buckets ?? 1 }, (_, bucket) => ({ bucket })),
    );
    return table;
  }

  for (const format of ["ARROW", "INDEXED"] as const) {
    test(`${format}: EARLIEST reads every record once across remote and local, with and without projection`, async () => {
      const n = 400;
      const table = await logTable(`earliest_${format.toLowerCase()}`, { buckets: 2, format }, n);
      // whole rows
      const scanner = await table.newScan().createLogScanner();
      await scanner.subscribeBuckets({ 0: EARLIEST_OFFSET, 1: EARLIEST_OFFSET });
      const recs = await readN(scanner, n);
      assertOnceEach(
        recs.map((r) => r.row.id as number),
        n,
        format,
      );
      // offsets contiguous per bucket, rows intact
      for (const b of [0, 1]) {
        const offsets = recs.filter((r) => bucketOf.get(r) === b).map((r) => r.offset);
        assert.deepEqual(
          offsets,
          Array.from({ length: offsets.length }, (_, i) => i),
          `bucket ${b} offsets`,
        );
      }
      const r7 = recs.find((r) => r.row.id === 7)!;
      assert.deepEqual(r7.row, { id: 7, name: `name-7-${"x".repeat(20)}`, amount: 21n });
      await scanner.close();

      // projection, reordered
      const projected = await table.newScan().projectByName(["amount", "id"]).createLogScanner();
      await projected.subscribeBuckets({ 0: EARLIEST_OFFSET, 1: EARLIEST_OFFSET });
      const prec = await readN(projected, n);
      assertOnceEach(
        prec.map((r) => r.row.id as number),
        n,
        `${format} projected`,
      );
      for (const r of prec) {
        assert.deepEqual(Object.keys(r.row), ["amount", "id"]);
        assert.equal(r.row.amount, BigInt((r.row.id as number) * 3));
      }
      await projected.close();

      // the batch scanner over the same boundary (ARROW only: Arrow batches)
      if (format === "ARROW") {
        const batches = await table.newScan().projectByName(["id", "name"]).createBatchScanner();
        await batches.subscribeBuckets({ 0: EARLIEST_OFFSET, 1: EARLIEST_OFFSET });
        const t = await batches.toArrow();
        assert.equal(t.numRows, n);
        assert.deepEqual(
          t.schema.fields.map((f) => f.name),
          ["id", "name"],
        );
        assertOnceEach([...t.getChild("id")!].map(Number), n, "batch scanner");
        await batches.close();
      }
      // file:// segments are read in place: nothing was downloaded
      assert.deepEqual(
        readdirSync(scratch).filter((d) => d.startsWith("remote-logs-")),
        [],
      );
    });
  }

  for (const format of ["ARROW", "INDEXED"] as const) {
    test(`${format}: a start by timestamp lands in remote data and reads from there on`, async () => {
      const table = await createTestTable(conn, db, `by_time_${format.toLowerCase()}`, { buckets: 1, format });
      await append(table, 0, 30);
      await new Promise((r) => setTimeout(r, 30));
      const ts = Date.now();
      await new Promise((r) => setTimeout(r, 5));
      await append(table, 30, 300);
      await waitTiered(table, [{ bucket: 0 }]);
      const offsets = await conn.getAdmin().listOffsets(table.info.tablePath, [0], OffsetSpec.timestamp(ts));
      assert.equal(offsets[0], 30);
      assert.ok(await startsRemote(table.info.tableId, 0));
      const scanner = await table.newScan().createLogScanner();
      await scanner.subscribe(0, offsets[0]!);
      const recs = await readN(scanner, 300);
      assert.deepEqual(
        recs.map((r) => r.row.id),
        Array.from({ length: 300 }, (_, i) => 30 + i),
      );
      await scanner.close();
    });

    test(`${format}: a lagging consumer falls behind the local log and continues from remote storage`, async () => {
      const table = await createTestTable(conn, db, `lagging_${format.toLowerCase()}`, { buckets: 1, format });
      await append(table, 0, 20);
      const c2 = await FlussConnection.connect({
        "bootstrap.servers": cluster.bootstrapServers,
        "scanner.log.fetch.wait-max-time-ms": 100,
        // one fetch at a time: the consumer cannot read ahead
        "scanner.log.max-buffered-bytes": 1,
        "scanner.log.fetch.max-bytes-for-bucket": 256,
      });
      const scanner = await table.newScan().createLogScanner();
      const lagging = await (await c2.getTable(table.info.tablePath)).newScan().createLogScanner();
      await lagging.subscribe(0, EARLIEST_OFFSET);
      const first = (await lagging.poll(5_000)).toArray();
      assert.ok(first.length > 0 && first.length < 20);
      // meanwhile the log moves on and its beginning is tiered
      await append(table, 20, 400);
      await waitTiered(table, [{ bucket: 0 }]);
      // where the consumer stands (at most a batch or two ahead of what it polled) is remote now
      for (const deadline = Date.now() + 10_000; !(await startsRemote(table.info.tableId, 0, undefined, 40)); ) {
        if (Date.now() > deadline) assert.fail("offset 40 was not tiered");
        await cluster.runRemoteLogTasks();
      }
      const rest = await readN(lagging, 420 - first.length);
      assertOnceEach(
        [...first, ...rest].map((r) => r.row.id as number),
        420,
        "lagging",
      );
      assert.deepEqual(
        [...first, ...rest].map((r) => r.offset),
        Array.from({ length: 420 }, (_, i) => i),
      );
      await scanner.close();
      await lagging.close();
      await c2.close();
    });
  }

  test("primary-key changelog (ARROW and INDEXED) across the boundary", async () => {
    const schema = Schema.fromColumns(
      [
        { name: "id", type: notNull(DataTypes.INT()) },
        { name: "name", type: DataTypes.STRING() },
        { name: "v", type: DataTypes.BIGINT() },
      ],
      ["id"],
    );
    for (const [logFormat, kvFormat] of [
      ["ARROW", "COMPACTED"],
      ["INDEXED", "INDEXED"],
    ] as const) {
      const path = new TablePath(db, `pk_${logFormat.toLowerCase()}`);
      await conn.getAdmin().createTable(path, new TableDescriptor(schema, { bucketCount: 1, logFormat, kvFormat }));
      const table = await conn.getTable(path);
      const w = table.newUpsert();
      // 150 inserts, then 150 updates: 150 +I, 150 -U/+U pairs
      for (let round = 0; round < 2; round++) {
        for (let i = 0; i < 150; i++) {
          w.upsert({ id: i, name: `r${round}-${"y".repeat(16)}`, v: BigInt(round * 1000 + i) });
          if (i % 10 === 9) await w.flush();
        }
      }
      await w.close();
      await waitTiered(table, [{ bucket: 0 }]);
      const scanner = await table.newScan().projectByName(["v", "id"]).createLogScanner();
      await scanner.subscribe(0, EARLIEST_OFFSET);
      const recs = await readN(scanner, 450);
      assert.equal(recs.length, 450);
      const kinds = recs.map((r) => r.changeType.shortString());
      assert.equal(kinds.filter((k) => k === "+I").length, 150);
      assert.equal(kinds.filter((k) => k === "-U").length, 150);
      assert.equal(kinds.filter((k) => k === "+U").length, 150);
      // replaying the changelog gives the final state
      const state = new Map<number, bigint>();
      for (const r of recs) {
        assert.deepEqual(Object.keys(r.row), ["v", "id"]);
        if (r.changeType.shortString() === "-U") continue;
        state.set(r.row.id as number, r.row.v as bigint);
      }
      assert.equal(state.size, 150);
      for (const [id, v] of state) assert.equal(v, BigInt(1000 + id));
      await scanner.close();
    }
  });

  test("partitioned table: every partition's buckets read through remote storage", async () => {
    const table = await createTestTable(conn, db, "parted", { buckets: 2, partitioned: true });
    await append(table, 0, 400, (id) => (id % 2 ? "EU" : "US"));
    const parts = await conn.getAdmin().listPartitionInfos(table.info.tablePath);
    assert.equal(parts.length, 2);
    await waitTiered(
      table,
      parts.flatMap((p) => [0, 1].map((bucket) => ({ bucket, partitionId: p.partitionId }))),
    );
    const scanner = await table.newScan().createLogScanner();
    for (const p of parts) for (const b of [0, 1]) await scanner.subscribePartition(p.partitionId, b, EARLIEST_OFFSET);
    const recs = await readN(scanner, 400);
    assertOnceEach(
      recs.map((r) => r.row.id as number),
      400,
      "partitioned",
    );
    for (const r of recs) assert.equal(r.row.region, (r.row.id as number) % 2 ? "EU" : "US");
    await scanner.close();
  });

  test("after a cluster restart the tiered data is read again", async () => {
    const table = await logTable("restart", { buckets: 2 }, 300);
    const path = table.info.tablePath;
    await stop();
    await start();
    const t2 = await conn.getTable(path);
    assert.ok(await startsRemote(t2.info.tableId, 0));
    const scanner = await t2.newScan().createLogScanner();
    await scanner.subscribeBuckets({ 0: EARLIEST_OFFSET, 1: EARLIEST_OFFSET });
    const recs = await readN(scanner, 300);
    assertOnceEach(
      recs.map((r) => r.row.id as number),
      300,
      "after restart",
    );
    await scanner.close();
  });

  test("scanner.log.read-preference remote-first reads a tiered segment the server still has locally", async () => {
    const table = await logTable("preference", { buckets: 1 }, 300);
    await cluster.runRemoteLogTasks();
    // a tiered segment the server still answers locally (localSegmentsToKeep 2: the last closed
    // one), looked for until tiering has settled
    let from = -1;
    let starts: number[] = [];
    for (const deadline = Date.now() + 10_000; from < 0 && Date.now() < deadline; ) {
      await cluster.runRemoteLogTasks();
      starts = logFiles(join(remoteDir, "log", db, `preference-${table.info.tableId}`))
        .map((f) => Number(f.split("/").pop()!.replace(".log", "")))
        .sort((a, b) => b - a);
      for (const start of starts) {
        if (start > 0 && !(await startsRemote(table.info.tableId, 0, undefined, start))) {
          from = start;
          break;
        }
      }
    }
    assert.ok(from > 0, `no tiered segment of ${starts.join(", ")} is answered locally`);
    const port = Number(cluster.bootstrapServers.split(":")[1]);
    /** Reads from `from` to the end through a proxy; returns the remote segments the server named. */
    const remoteSegments = async (preference: "local-first" | "remote-first"): Promise<number> => {
      const named = new Set<string>();
      const proxy = await rewritingProxy(port, {
        fetchLog: (resp) => {
          for (const t of resp.tablesResp)
            for (const b of t.bucketsResp)
              for (const seg of b.remoteLogFetchInfo?.remoteLogSegments ?? []) named.add(seg.remoteLogSegmentId);
        },
      });
      const c = await FlussConnection.connect({
        "bootstrap.servers": `127.0.0.1:${proxy.port}`,
        "scanner.log.fetch.wait-max-time-ms": 100,
        "client.scanner.log.read-preference": preference,
      });
      const scanner = await (await c.getTable(table.info.tablePath)).newScan().createLogScanner();
      await scanner.subscribe(0, from);
      const recs = await readN(scanner, 300 - from);
      assert.deepEqual(
        recs.map((r) => r.offset),
        Array.from({ length: 300 - from }, (_, i) => from + i),
      );
      await scanner.close();
      await c.close();
      await proxy.close();
      return named.size;
    };
    assert.equal(await remoteSegments("local-first"), 0, "local-first reads it from the tablet server");
    assert.ok((await remoteSegments("remote-first")) >= 1, "remote-first reads it from remote storage");
  });

  test("overlapping remote segments, and a segment gone once, still give every record once", async () => {
    const table = await logTable("overlap", { buckets: 1 }, 300);
    const port = Number(cluster.bootstrapServers.split(":")[1]);
    let answers = 0;
    const proxy = await rewritingProxy(port, {
      fetchLog: (resp) => {
        for (const t of resp.tablesResp) {
          for (const b of t.bucketsResp) {
            const info = b.remoteLogFetchInfo;
            if (!info) continue;
            answers++;
            // every segment listed twice: the second copy overlaps what was read
            info.remoteLogSegments = info.remoteLogSegments.flatMap((seg) => [seg, { ...seg }]);
            // the first answer names a segment that is not there (expired meanwhile)
            if (answers === 1) info.remoteLogSegments[0] = { ...info.remoteLogSegments[0]!, remoteLogSegmentId: randomUUID() };
          }
        }
      },
    });
    const c = await FlussConnection.connect({
      "bootstrap.servers": `127.0.0.1:${proxy.port}`,
      "scanner.log.fetch.wait-max-time-ms": 100,
    });
    try {
      const scanner = await (await c.getTable(table.info.tablePath)).newScan().createLogScanner();
      const failures: FlussError[] = [];
      scanner.onError((e) => failures.push(e));
      await scanner.subscribe(0, EARLIEST_OFFSET);
      const recs = await readN(scanner, 300);
      assert.deepEqual(
        recs.map((r) => r.offset),
        Array.from({ length: 300 }, (_, i) => i),
      );
      assert.ok(answers >= 2);
      assert.equal(failures.length, 1, failures.map((f) => f.message).join("; "));
      assert.match(failures[0]!.message, /asking the server again/);
      await scanner.close();
    } finally {
      await c.close();
      await proxy.close();
    }
  });

  test("a remote dir given as a file: URI (reported as file:/…) is read too", async () => {
    const dir = mkdtempSync(join(tmpdir(), "flussjs-remote-uri-"));
    const other = await LocalCluster.start({
      remoteDataDir: pathToFileURL(join(dir, "remote")).href,
      segmentBytes: SEGMENT_BYTES,
      localSegmentsToKeep: 1,
      remoteLogTaskIntervalMs: 0,
    });
    const c = await FlussConnection.connect({
      "bootstrap.servers": other.bootstrapServers,
      "scanner.log.fetch.wait-max-time-ms": 100,
    });
    try {
      assert.match(other.remoteDataDir, /^file:\//);
      await c.getAdmin().createDatabase(db);
      const table = await createTestTable(c, db, "uri", { buckets: 1 });
      await append(table, 0, 200);
      await other.runRemoteLogTasks();
      const [host, port] = other.bootstrapServers.split(":");
      const r = await ServerConnection.connect({
        host: host!,
        port: Number(port),
        connectTimeoutMs: 5000,
        requestTimeoutMs: 15_000,
      });
      const resp = await r.request(ApiKey.FETCH_LOG, {
        followerServerId: -1,
        maxBytes: 1 << 20,
        tablesReq: [
          {
            tableId: table.info.tableId,
            projectionPushdownEnabled: false,
            projectedFields: [],
            bucketsReq: [{ bucketId: 0, fetchOffset: 0, maxFetchBytes: 1 << 20 }],
          },
        ],
      });
      r.close();
      assert.match(resp.tablesResp[0]?.bucketsResp[0]?.remoteLogFetchInfo?.remoteLogTabletDir ?? "", /^file:\//);
      const scanner = await table.newScan().createLogScanner();
      await scanner.subscribe(0, EARLIEST_OFFSET);
      const recs = await readN(scanner, 200);
      assert.deepEqual(
        recs.map((r) => r.offset),
        Array.from({ length: 200 }, (_, i) => i),
      );
      await scanner.close();
    } finally {
      await c.close();
      await other.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test("a damaged remote segment fails its bucket with CORRUPT_MESSAGE naming the segment", async () => {
    const table = await logTable("damaged", { buckets: 1 }, 300);
    const victim = await secondRemoteSegment(table);
    const bytes = readFileSync(victim);
    bytes.writeUInt8(bytes.readUInt8(bytes.length - 5) ^ 0xff, bytes.length - 5); // inside the last batch
    writeFileSync(victim, bytes);
    const scanner = await table.newScan().createLogScanner();
    await scanner.subscribe(0, EARLIEST_OFFSET);
    let error: unknown;
    for (const deadline = Date.now() + 15_000; Date.now() < deadline && !error; ) {
      await scanner.poll(500).catch((err: unknown) => {
        error = err;
      });
    }
    assert.ok(error instanceof FlussError, `expected a FlussError, got ${String(error)}`);
    assert.equal(error.code, ErrorCode.CORRUPT_MESSAGE);
    assert.ok(error.message.includes(victim.split("/").slice(-2).join("/")), error.message);
    await scanner.close();
  });

  test("a remote segment deleted under a reader fails the bucket with a FlussError naming it", async () => {
    const table = await logTable("deleted", { buckets: 1 }, 300);
    const victim = await secondRemoteSegment(table);
    unlinkSync(victim);
    const scanner = await table.newScan().createLogScanner();
    await scanner.subscribe(0, EARLIEST_OFFSET);
    const got: ScanRecord[] = [];
    let error: unknown;
    const deadline = Date.now() + 15_000;
    while (Date.now() < deadline) {
      try {
        got.push(...(await scanner.poll(500)));
      } catch (err) {
        error = err;
        break;
      }
    }
    assert.ok(error instanceof FlussError, `expected a FlussError, got ${String(error)}`);
    assert.equal(error.code, ErrorCode.LOG_STORAGE_EXCEPTION);
    assert.match(error.message, /remote storage/);
    assert.match(error.message, /deleted/);
    assert.ok(error.message.includes(victim.split("/").slice(-2).join("/")), error.message);
    assert.ok(error.message.includes(`${db}.deleted`), error.message);
    // what came before the missing segment was delivered, in order
    assert.deepEqual(
      got.map((r) => r.offset),
      Array.from({ length: got.length }, (_, i) => i),
    );
    await scanner.close();
  });
});
