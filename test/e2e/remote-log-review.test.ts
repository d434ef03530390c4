/**
 * Tiered storage edge cases found in review: remote segments written before an ALTER TABLE,
 * and the remote/local boundary under concurrent tiering.
 */
import assert from "node:assert/strict";
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import {
  DataTypes,
  EARLIEST_OFFSET,
  FlussConnection,
  type FlussTable,
  LocalCluster,
  type LogScanner,
  OffsetSpec,
  Schema,
  TableDescriptor,
  TablePath,
  notNull,
  type ScanRecord,
  TableChange,
} from "../../src/index.js";
import { ApiKey } from "../../src/rpc/api-keys.js";
import { ServerConnection } from "../../src/rpc/server-connection.js";
import { EXTERNAL_SERVERS, uniqueName } from "../helpers/cluster.js";
import { createTestTable } from "../helpers/tables.js";

const SEGMENT_BYTES = 2048;

async function readN(scanner: LogScanner, n: number, ms = 20_000): Promise<ScanRecord[]> {
  const out: ScanRecord[] = [];
  const deadline = Date.now() + ms;
  while (out.length < n) {
    const left = deadline - Date.now();
    if (left <= 0) assert.fail(`got ${out.length} of ${n} records in ${ms} ms`);
    for (const r of await scanner.poll(Math.min(left, 500))) out.push(r);
  }
  for (const r of await scanner.poll(300)) out.push(r);
  return out;
}

describe("tiered storage review (e2e)", { skip: EXTERNAL_SERVERS !== undefined }, () => {
  let dataDir: string;
  let scratch: string;
  let cluster: LocalCluster;
  let conn: FlussConnection;
  let raw: ServerConnection;
  const db = uniqueName("remote_review");

  before(async () => {
    dataDir = mkdtempSync(join(tmpdir(), "flussjs-remote-review-"));
    scratch = mkdtempSync(join(tmpdir(), "flussjs-remote-review-scratch-"));
    await open();
    await conn.getAdmin().createDatabase(db);
  });
  after(async () => {
    raw?.close();
    await conn?.close();
    await cluster?.close();
    rmSync(dataDir, { recursive: true, force: true });
    rmSync(scratch, { recursive: true, force: true });
  });

  async function restart(): Promise<void> {
    raw.close();
    await conn.close();
    await cluster.close();
    await open();
  }

  /** The cluster on `dataDir` (tiering on demand), a client reading through `scratch`, a raw connection. */
  async function open(): Promise<void> {
    cluster = await LocalCluster.start({
      dataDir,
      segmentBytes: SEGMENT_BYTES,
      localSegmentsToKeep: 2,
      remoteLogTaskIntervalMs: 0,
    });
    conn = await FlussConnection.connect({
      "bootstrap.servers": cluster.bootstrapServers,
      "scanner.log.fetch.wait-max-time-ms": 100,
      "scanner.io.tmpdir": scratch,
    });
    const [host, port] = cluster.bootstrapServers.split(":");
    raw = await ServerConnection.connect({ host: host!, port: Number(port), connectTimeoutMs: 5000, requestTimeoutMs: 15_000 });
  }

  /** Whether FetchLog at offset 0 of bucket 0 is answered from remote storage. */
  async function startsRemote(tableId: number): Promise<boolean> {
    const resp = await raw.request(ApiKey.FETCH_LOG, {
      followerServerId: -1,
      maxBytes: 1 << 20,
      tablesReq: [
        {
          tableId,
          projectionPushdownEnabled: false,
          projectedFields: [],
          bucketsReq: [{ bucketId: 0, fetchOffset: 0, maxFetchBytes: 1 << 20 }],
        },
      ],
    });
    return (resp.tablesResp[0]?.bucketsResp[0]?.remoteLogFetchInfo?.remoteLogSegments.length ?? 0) > 0;
  }

  async function append(
    table: FlussTable,
    from: number,
    n: number,
    extra?: (id: number) => Record<string, unknown>,
  ): Promise<void> {
    const w = table.newAppendWriter();
    for (let i = from; i < from + n; i++) {
      w.append({ id: i, name: `name-${i}-${"x".repeat(20)}`, amount: BigInt(i * 3), ...(extra ? extra(i) : {}) });
      if ((i - from) % 10 === 9) await w.flush();
    }
    await w.close();
  }

  for (const format of ["ARROW", "INDEXED"] as const) {
    test(`${format}: a projected scan reads remote batches written before ADD COLUMN`, async () => {
      const table = await createTestTable(conn, db, `altered_${format.toLowerCase()}`, { buckets: 1, format });
      await append(table, 0, 200);
      await conn.getAdmin().alterTable(table.info.tablePath, [TableChange.addColumn("note", DataTypes.STRING())]);
      const table2 = await conn.getTable(table.info.tablePath);
      await append(table2, 200, 200, (i) => ({ note: `note${i}` }));
      await cluster.runRemoteLogTasks();
      assert.ok(await startsRemote(table.info.tableId), "offset 0 is tiered");
      const noteOf = (id: number): string | null => (id >= 200 ? `note${id}` : null);

      for (const names of [["note", "id"], ["id", "amount"], ["note"]]) {
        await using scanner = await table2.newScan().projectByName(names).createLogScanner();
        await scanner.subscribe(0, EARLIEST_OFFSET);
        const recs = await readN(scanner, 400);
        assert.equal(recs.length, 400, names.join(","));
        recs.forEach((r, i) => {
          const want: Record<string, unknown> = { id: i, amount: BigInt(i * 3), note: noteOf(i) };
          assert.deepEqual(r.row, Object.fromEntries(names.map((n) => [n, want[n]])), `${names.join(",")} row ${i}`);
        });
      }
      // a scanner made before the ALTER, projecting, reads the new (remote and local) batches too
      await using old = await table.newScan().projectByName(["amount", "id"]).createLogScanner();
      await old.subscribe(0, EARLIEST_OFFSET);
      const recs = await readN(old, 400);
      recs.forEach((r, i) => assert.deepEqual(r.row, { amount: BigInt(i * 3), id: i }));
      // Arrow output (one schema for the whole scan), up to the latest offset
      await using batches = await table2.newScan().projectByName(["note", "id"]).createBatchScanner();
      await batches.subscribe(0, EARLIEST_OFFSET);
      const t = await batches.toArrow();
      assert.deepEqual(
        t.schema.fields.map((f) => f.name),
        ["note", "id"],
      );
      assert.deepEqual([...t.getChild("id")!.toArray()], [...Array(400).keys()]);
      assert.deepEqual(t.getChild("note")!.toArray(), [...Array(400).keys()].map(noteOf));
      // remote-first: the server names remote segments wherever it has them
      const remoteFirst = await FlussConnection.connect({
        "bootstrap.servers": cluster.bootstrapServers,
        "scanner.log.fetch.wait-max-time-ms": 100,
        "scanner.io.tmpdir": scratch,
        "scanner.log.read-preference": "remote-first",
      });
      try {
        const rt = await remoteFirst.getTable(table.info.tablePath);
        await using rf = await rt.newScan().projectByName(["id", "note"]).createLogScanner();
        await rf.subscribe(0, EARLIEST_OFFSET);
        const got = await readN(rf, 400);
        got.forEach((r, i) => assert.deepEqual(r.row, { id: i, note: noteOf(i) }, `remote-first row ${i}`));
      } finally {
        await remoteFirst.close();
      }
    });
  }

  for (const format of ["ARROW", "INDEXED"] as const) {
    test(`${format}: readers racing a writer and tiering rounds see every record once`, async () => {
      const table = await createTestTable(conn, db, `race_${format.toLowerCase()}`, { buckets: 1, format });
      const n = 1500;
      let stop = false;
      const tiering = (async () => {
        while (!stop) {
          await cluster.runRemoteLogTasks();
          await new Promise((r) => setTimeout(r, 2));
        }
      })();
      // small fetches: many FetchLog rounds across the moving boundary
      const small = await FlussConnection.connect({
        "bootstrap.servers": cluster.bootstrapServers,
        "scanner.log.fetch.wait-max-time-ms": 20,
        "scanner.log.fetch.max-bytes-for-bucket": 700,
        "scanner.io.tmpdir": scratch,
      });
      const t = await small.getTable(table.info.tablePath);
      const scanners = await Promise.all([
        t.newScan().createLogScanner(),
        t.newScan().projectByName(["amount", "id"]).createLogScanner(),
      ]);
      // half of it written before the readers start: they lag behind the tiering
      await append(table, 0, n / 2);
      for (const s of scanners) await s.subscribe(0, EARLIEST_OFFSET);
      const writing = append(table, n / 2, n / 2);
      try {
        const results = await Promise.all(scanners.map((s) => readN(s, n, 60_000)));
        await writing;
        for (const [k, recs] of results.entries()) {
          const ids = recs.map((r) => r.row.id as number);
          assert.deepEqual(ids, [...Array(n).keys()], `scanner ${k}: ids in order, each once`);
          assert.deepEqual(
            recs.map((r) => r.offset),
            [...Array(n).keys()],
            `scanner ${k}: offsets`,
          );
        }
      } finally {
        stop = true;
        await tiering;
        for (const s of scanners) await s.close();
        await small.close();
      }
      assert.ok(await startsRemote(table.info.tableId), "offset 0 is tiered");
    });
  }

  test("ListOffsets by timestamp and EARLIEST point into remote data, also after a restart", async () => {
    const table = await createTestTable(conn, db, "by_time_restart", { buckets: 1, format: "ARROW" });
    const marks: number[] = [];
    for (let k = 0; k < 6; k++) {
      await new Promise((r) => setTimeout(r, 15));
      marks.push(Date.now());
      await new Promise((r) => setTimeout(r, 5));
      await append(table, k * 60, 60);
    }
    await cluster.runRemoteLogTasks();
    assert.ok(await startsRemote(table.info.tableId), "offset 0 is tiered");
    const check = async (c: FlussConnection, when: string): Promise<void> => {
      const admin = c.getAdmin();
      assert.equal((await admin.listOffsets(table.info.tablePath, [0], OffsetSpec.earliest()))[0], 0, `${when}: earliest`);
      for (const [k, ts] of marks.entries()) {
        const at = (await admin.listOffsets(table.info.tablePath, [0], OffsetSpec.timestamp(ts)))[0];
        // the first record at or after ts is k * 60; an index answer may lie a few batches before it
        assert.ok(at !== undefined && at <= k * 60 && at >= Math.max(0, k * 60 - 60), `${when}: ts of ${k * 60} gave ${at}`);
        const t = await c.getTable(table.info.tablePath);
        await using scanner = await t.newScan().projectByName(["id"]).createLogScanner();
        await scanner.subscribe(0, at!);
        const ids = (await readN(scanner, 360 - at!)).map((r) => r.row.id as number);
        assert.deepEqual(
          ids,
          [...Array(360 - at!).keys()].map((i) => i + at!),
          `${when}: from ${at}`,
        );
      }
    };
    await check(conn, "before restart");
    await restart();
    assert.ok(await startsRemote(table.info.tableId), "offset 0 is still tiered");
    await check(conn, "after restart");
  });

  for (const [logFormat, kvFormat] of [
    ["ARROW", "COMPACTED"],
    ["INDEXED", "INDEXED"],
  ] as const) {
    test(`primary key (${logFormat} log, ${kvFormat} kv): tiered changelog of both schema ids after a restart`, async () => {
      const schema = Schema.fromColumns(
        [
          { name: "id", type: notNull(DataTypes.INT()) },
          { name: "name", type: DataTypes.STRING() },
          { name: "v", type: DataTypes.BIGINT() },
        ],
        ["id"],
      );
      const path = new TablePath(db, `pk_alter_${logFormat.toLowerCase()}`);
      await conn.getAdmin().createTable(path, new TableDescriptor(schema, { bucketCount: 1, logFormat, kvFormat }));
      const w1 = (await conn.getTable(path)).newUpsert();
      for (let i = 0; i < 100; i++) {
        w1.upsert({ id: i, name: `a-${"y".repeat(16)}`, v: BigInt(i) });
        if (i % 10 === 9) await w1.flush();
      }
      await w1.close();
      await conn.getAdmin().alterTable(path, [TableChange.addColumn("note", DataTypes.STRING())]);
      const w2 = (await conn.getTable(path)).newUpsert({ columns: ["id", "note"] });
      for (let i = 0; i < 100; i++) {
        w2.upsert({ id: i, note: `n${i}` });
        if (i % 10 === 9) await w2.flush();
      }
      await w2.close();
      const tableId = (await conn.getTable(path)).info.tableId;
      // a clean close snapshots the KV state: the changelog before it may then leave the local log
      await restart();
      await cluster.runRemoteLogTasks();
      const tieredUntouched = await startsRemote(tableId);
      await cluster.runRemoteLogTasks();
      assert.ok(await startsRemote(tableId), "offset 0 is tiered");
      assert.ok(tieredUntouched, "offset 0 is tiered without a request opening the log first");
      const table = await conn.getTable(path);
      await using scanner = await table.newScan().projectByName(["note", "id", "v"]).createLogScanner();
      await scanner.subscribe(0, EARLIEST_OFFSET);
      const recs = await readN(scanner, 300);
      assert.equal(recs.length, 300);
      const render = (r: ScanRecord): string => `${r.changeType.shortString()} ${r.row.id} ${r.row.v} ${r.row.note}`;
      assert.deepEqual(recs.slice(0, 2).map(render), ["+I 0 0 null", "+I 1 1 null"]);
      assert.deepEqual(recs.slice(100, 102).map(render), ["-U 0 0 null", "+U 0 0 n0"]);
      assert.equal(render(recs[299]!), "+U 99 99 n99");
      const lookup = table.newLookup();
      assert.deepEqual(await lookup.lookup({ id: 7 }), { id: 7, name: `a-${"y".repeat(16)}`, v: 7n, note: "n7" });
    });
  }

  test("primary key: a damaged KV snapshot is rebuilt from the tiered changelog, not from the local log start", async () => {
    const schema = Schema.fromColumns(
      [
        { name: "id", type: notNull(DataTypes.INT()) },
        { name: "name", type: DataTypes.STRING() },
      ],
      ["id"],
    );
    const path = new TablePath(db, "pk_damaged_snapshot");
    await conn.getAdmin().createTable(path, new TableDescriptor(schema, { bucketCount: 1 }));
    const table = await conn.getTable(path);
    const w = table.newUpsert();
    for (let i = 0; i < 200; i++) {
      w.upsert({ id: i, name: `v-${i}-${"q".repeat(20)}` });
      if (i % 10 === 9) await w.flush();
    }
    await w.close();
    await restart(); // snapshots the state
    await cluster.runRemoteLogTasks();
    assert.ok(await startsRemote(table.info.tableId), "offset 0 is tiered");
    // writes after the snapshot, then a kill-like close is not available: damage the snapshot instead
    const kvDir = join(dataDir, "log", String(table.info.tableId), "0", "kv");
    raw.close();
    await conn.close();
    await cluster.close();
    const snaps = readdirSync(kvDir).filter((n) => n.endsWith(".snapshot"));
    assert.ok(snaps.length > 0, "a snapshot exists");
    for (const n of snaps) writeFileSync(join(kvDir, n), "damaged");
    await open();
    const lookup = (await conn.getTable(path)).newLookup();
    assert.deepEqual(await lookup.lookup({ id: 0 }), { id: 0, name: `v-0-${"q".repeat(20)}` });
    assert.deepEqual(await lookup.lookup({ id: 199 }), { id: 199, name: `v-199-${"q".repeat(20)}` });
  });
});
