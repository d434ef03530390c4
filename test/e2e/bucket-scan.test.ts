/**
 * Reading what a table holds now (issue 10): limit scans of log and primary-key buckets,
 * full primary-key bucket scans (ScanKv sessions), the snapshot scanner, and the
 * state-then-changelog handoff — through the public API against a real socket.
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import {
  Config,
  DataTypes,
  ErrorCode,
  FlussConnection,
  FlussError,
  LocalCluster,
  OffsetSpec,
  Schema,
  TableDescriptor,
  TablePath,
  notNull,
  type FlussTable,
  type ScanRecord,
} from "../../src/index.js";
import { EXTERNAL_SERVERS, uniqueName, type TestCluster, closeTestDatabase, openTestDatabase } from "../helpers/cluster.js";

const users = Schema.fromColumns(
  [
    { name: "id", type: notNull(DataTypes.INT()) },
    { name: "name", type: DataTypes.STRING() },
    { name: "age", type: DataTypes.BIGINT() },
  ],
  ["id"],
);

const events = Schema.fromColumns([
  { name: "id", type: DataTypes.INT() },
  { name: "name", type: DataTypes.STRING() },
  { name: "age", type: DataTypes.BIGINT() },
]);

type Row = Record<string, unknown>;

function byId(rows: readonly Row[]): Row[] {
  return [...rows].sort((a, b) => (a.id as number) - (b.id as number));
}

function isCode(code: number): (e: unknown) => boolean {
  return (e: unknown) => {
    assert.ok(e instanceof FlussError, `expected a FlussError, got ${String(e)}`);
    assert.equal(e.code, code, `expected code ${code}, got ${e.code}: ${e.message}`);
    return true;
  };
}

/** Applies changelog records to a state, strictly: a gap or a duplicate breaks an assertion. */
function replay(state: Map<number, Row>, records: readonly ScanRecord[]): void {
  for (const r of records) {
    const id = r.row.id as number;
    const kind = r.changeType.shortString();
    const stored = state.get(id);
    if (kind === "+I") {
      assert.equal(stored, undefined, `+I of id ${id} at offset ${r.offset}, but the state holds it already`);
      state.set(id, r.row);
    } else if (kind === "-U" || kind === "-D") {
      assert.deepEqual(stored, r.row, `${kind} of id ${id} at offset ${r.offset} does not match the state`);
      state.delete(id);
    } else if (kind === "+U") {
      state.set(id, r.row);
    } else {
      assert.fail(`unexpected change type ${kind}`);
    }
  }
}

describe("bucket and snapshot scans (e2e)", () => {
  let cluster: TestCluster;
  let conn: FlussConnection;
  const db = uniqueName("bscan");

  before(async () => {
    ({ cluster, conn } = await openTestDatabase(db));
  });
  after(() => closeTestDatabase(cluster, conn, db));

  async function create(
    name: string,
    schema: Schema,
    options: ConstructorParameters<typeof TableDescriptor>[1],
  ): Promise<FlussTable> {
    const path = new TablePath(db, name);
    await conn.getAdmin().createTable(path, new TableDescriptor(schema, options));
    return conn.getTable(path);
  }

  test("primary-key table: full bucket scans and the snapshot scanner return the current rows; logOffset is the changelog end", async () => {
    const table = await create("pk_full", users, { bucketCount: 3 });
    const w = table.newUpsert();
    for (let i = 0; i < 300; i++) w.upsert({ id: i, name: `n${i}`, age: BigInt(i) });
    for (let i = 0; i < 300; i += 3) w.upsert({ id: i, name: `u${i}`, age: BigInt(-i) });
    for (let i = 1; i < 300; i += 5) w.delete({ id: i });
    await w.flush();
    const expected = new Map<number, Row>();
    for (let i = 0; i < 300; i++) {
      if (i % 5 === 1) continue;
      expected.set(i, i % 3 === 0 ? { id: i, name: `u${i}`, age: BigInt(-i) } : { id: i, name: `n${i}`, age: BigInt(i) });
    }

    const snap = await table.newScan().createSnapshotScanner();
    const rows = await snap.toRows();
    assert.deepEqual(byId(rows), [...expected.values()]);
    const latest = await conn.getAdmin().listOffsets(table.tablePath, [0, 1, 2], OffsetSpec.latest());
    const offsets = snap.offsets();
    assert.deepEqual({ ...offsets }, latest);

    // bucket by bucket, as Arrow, in small chunks streamed by `for await`
    const small = await cluster.connect({ "scanner.kv.fetch.max-bytes": 256 });
    try {
      const t2 = await small.getTable(table.tablePath);
      let total = 0;
      let batches = 0;
      const perBucket: number[] = [];
      for (let b = 0; b < 3; b++) {
        const scanner = await t2.newScan().createBucketScanner(b);
        assert.equal(scanner.logOffset, undefined);
        let inBucket = 0;
        for await (const batch of scanner) {
          inBucket += batch.numRows;
          total += batch.numRows;
          batches++;
          assert.deepEqual(
            batch.schema.fields.map((f) => f.name),
            ["id", "name", "age"],
          );
        }
        perBucket.push(inBucket);
        assert.equal(scanner.logOffset, latest[b]);
        assert.equal(scanner.closed, true);
      }
      assert.equal(total, expected.size);
      assert.ok(batches > 6, `expected many small chunks, got ${batches}`);
      const table0 = await (await t2.newScan().createBucketScanner(0)).toArrow();
      assert.equal(table0.numRows, perBucket[0]);
    } finally {
      await small.close();
    }
  });

  test("primary-key table with a limit: at most n current rows of the bucket", async () => {
    const table = await create("pk_limit", users, { bucketCount: 1 });
    const w = table.newUpsert();
    for (let i = 0; i < 50; i++) w.upsert({ id: i, name: `n${i}`, age: 1n });
    for (let i = 0; i < 50; i += 2) w.delete({ id: i });
    await w.flush();
    const rows = await (await table.newScan().limit(10).createBucketScanner(0)).toRows();
    assert.equal(rows.length, 10);
    for (const r of rows) assert.equal((r.id as number) % 2, 1, `row ${String(r.id)} was deleted`);
    assert.equal(new Set(rows.map((r) => r.id)).size, 10);
    const all = await (await table.newScan().limit(1000).createBucketScanner(0)).toArrow();
    assert.equal(all.numRows, 25);
    const none = await create("pk_empty", users, { bucketCount: 1 });
    assert.deepEqual(await (await none.newScan().limit(5).createBucketScanner(0)).toRows(), []);
    const empty = await (await none.newScan().createBucketScanner(0)).toArrow();
    assert.equal(empty.numRows, 0);
  });

  test("full scans of INDEXED kv tables and of nested types (decoded, not transcoded) equal the rows written", async () => {
    const nested = Schema.fromColumns(
      [
        { name: "id", type: notNull(DataTypes.INT()) },
        { name: "tags", type: DataTypes.ARRAY(DataTypes.STRING()) },
        { name: "score", type: DataTypes.DECIMAL(10, 2) },
      ],
      ["id"],
    );
    for (const kvFormat of ["INDEXED", "COMPACTED"] as const) {
      const table = await create(`pk_nested_${kvFormat.toLowerCase()}`, nested, { bucketCount: 2, kvFormat });
      const w = table.newUpsert();
      for (let i = 0; i < 30; i++) w.upsert({ id: i, tags: i % 3 === 0 ? null : [`t${i}`, "x"], score: `${i}.25` });
      await w.flush();
      const snap = await table.newScan().projectByName(["tags", "id"]).createSnapshotScanner();
      const arrowRows = (await snap.toArrow()).toArray().map((r) => {
        const o = r.toJSON() as Record<string, unknown>;
        return { id: o.id, tags: o.tags === null ? null : [...(o.tags as Iterable<string>)] };
      });
      const rows = await (await table.newScan().projectByName(["tags", "id"]).createSnapshotScanner()).toRows();
      const expected = Array.from({ length: 30 }, (_, i) => ({ id: i, tags: i % 3 === 0 ? null : [`t${i}`, "x"] }));
      assert.deepEqual(byId(arrowRows), expected);
      assert.deepEqual(byId(rows), expected);
      assert.deepEqual(Object.keys(rows[0]!), ["tags", "id"]);
    }
  });

  for (const logFormat of ["ARROW", "INDEXED"] as const) {
    test(`log table (${logFormat}) with a limit: the last n records of the bucket; projection`, async () => {
      const table = await create(`log_limit_${logFormat.toLowerCase()}`, events, { bucketCount: 1, logFormat });
      const w = table.newAppendWriter();
      for (let batch = 0; batch < 5; batch++) {
        for (let i = 0; i < 20; i++) w.append({ id: batch * 20 + i, name: `e${batch * 20 + i}`, age: BigInt(i) });
        await w.flush(); // one log batch per round
      }
      const last7 = await (await table.newScan().limit(7).createBucketScanner(0)).toRows();
      assert.deepEqual(
        last7.map((r) => r.id),
        [93, 94, 95, 96, 97, 98, 99],
      );
      const last25 = await (await table.newScan().limit(25).createBucketScanner(0)).toArrow();
      assert.equal(last25.numRows, 25);
      assert.deepEqual(last25.getChild("id")!.toArray().slice(0, 2), Int32Array.from([75, 76]));
      const all = await (await table.newScan().limit(1000).createBucketScanner(0)).toRows();
      assert.equal(all.length, 100);
      const projected = await (await table.newScan().projectByName(["name", "id"]).limit(3).createBucketScanner(0)).toRows();
      assert.deepEqual(projected, [
        { name: "e97", id: 97 },
        { name: "e98", id: 98 },
        { name: "e99", id: 99 },
      ]);
      const arrowProjected = await (await table.newScan().project([2, 0]).limit(2).createBucketScanner(0)).toArrow();
      assert.deepEqual(
        arrowProjected.schema.fields.map((f) => f.name),
        ["age", "id"],
      );
      assert.deepEqual(
        arrowProjected.toArray().map((r) => ({ ...r.toJSON() })),
        [
          { age: 18n, id: 98 },
          { age: 19n, id: 99 },
        ],
      );
    });
  }

  test("limits and scanner kinds are checked: FlussErrors naming what is wrong", async () => {
    const log = await create("checks_log", events, { bucketCount: 2 });
    const pk = await create("checks_pk", users, { bucketCount: 2 });
    for (const bad of [0, -1, 1.5, NaN, 2 ** 31]) {
      assert.throws(() => log.newScan().limit(bad), isCode(ErrorCode.CLIENT_ERROR));
    }
    await assert.rejects(
      log.newScan().createBucketScanner(0),
      (e: unknown) => isCode(ErrorCode.CLIENT_ERROR)(e) && /needs a limit/.test((e as Error).message),
    );
    await assert.rejects(
      log.newScan().limit(5).createLogScanner(),
      (e: unknown) => isCode(ErrorCode.CLIENT_ERROR)(e) && /limit/.test((e as Error).message),
    );
    await assert.rejects(pk.newScan().limit(5).createLogScanner(), isCode(ErrorCode.CLIENT_ERROR));
    await assert.rejects(log.newScan().limit(5).createBatchScanner(), isCode(ErrorCode.CLIENT_ERROR));
    await assert.rejects(log.newScan().createSnapshotScanner(), isCode(ErrorCode.CLIENT_ERROR));
    await assert.rejects(pk.newScan().limit(3).createSnapshotScanner(), isCode(ErrorCode.CLIENT_ERROR));
    // unknown buckets
    await assert.rejects(
      pk.newScan().createBucketScanner(2),
      (e: unknown) => isCode(ErrorCode.CLIENT_ERROR)(e) && /bucket 2/.test((e as Error).message),
    );
    await assert.rejects(pk.newScan().createBucketScanner({ partitionId: 1, bucketId: 0 }), isCode(ErrorCode.CLIENT_ERROR));
    const snap = await pk.newScan().createSnapshotScanner();
    assert.throws(() => snap.subscribe(7), isCode(ErrorCode.CLIENT_ERROR));
    // a bucket scanner reads once
    const s = await pk.newScan().createBucketScanner(0);
    await s.toRows();
    await assert.rejects(s.toRows(), isCode(ErrorCode.CLIENT_ERROR));
  });

  test("partitioned tables: bucket scans by { partitionId, bucketId }, snapshot of every partition, offsets per partition bucket", async () => {
    const schema = Schema.fromColumns(
      [
        { name: "id", type: notNull(DataTypes.INT()) },
        { name: "region", type: notNull(DataTypes.STRING()) },
        { name: "v", type: DataTypes.BIGINT() },
      ],
      ["id", "region"],
    );
    const table = await create("pk_parts", schema, { bucketCount: 2, partitionKeys: ["region"] });
    const admin = conn.getAdmin();
    await admin.createPartition(table.tablePath, { region: "EU" });
    await admin.createPartition(table.tablePath, { region: "US" });
    const w = table.newUpsert();
    for (let i = 0; i < 40; i++) w.upsert({ id: i, region: i % 2 === 0 ? "EU" : "US", v: BigInt(i) });
    await w.flush();
    const parts = await admin.listPartitionInfos(table.tablePath);
    const eu = parts.find((p) => p.partitionName === "EU")!.partitionId;

    const snap = await table.newScan().projectByName(["v", "id"]).createSnapshotScanner();
    const rows = await snap.toRows();
    assert.equal(rows.length, 40);
    assert.deepEqual(Object.keys(rows[0]!), ["v", "id"]);
    const offs = [...snap.offsets()];
    assert.equal(offs.length, 4);
    assert.deepEqual(Object.keys(snap.offsets()), []);

    let inEu = 0;
    for (let b = 0; b < 2; b++) {
      const r = await (await table.newScan().createBucketScanner({ partitionId: eu, bucketId: b })).toRows();
      for (const row of r) assert.equal(row.region, "EU");
      inEu += r.length;
    }
    assert.equal(inEu, 20);
    const onlyEu = await table.newScan().createSnapshotScanner();
    onlyEu.subscribePartition(eu, 0);
    onlyEu.subscribePartition(eu, 1);
    assert.equal((await onlyEu.toArrow()).numRows, 20);

    // the changelog continues from the offsets (nothing new yet: nothing read)
    const log = await table.newScan().createLogScanner();
    await log.subscribePartitionBuckets(snap.offsets());
    w.upsert({ id: 100, region: "EU", v: 1n });
    await w.flush();
    const got: ScanRecord[] = [];
    for await (const r of log.records({ signal: AbortSignal.timeout(10_000) })) {
      got.push(r);
      break;
    }
    await log.close();
    assert.equal(got.length, 1);
    assert.equal(got[0]!.row.id, 100);
    assert.equal(got[0]!.changeType.shortString(), "+I");

    // a partitioned log table with a limit
    const plog = await create(
      "log_parts",
      Schema.fromColumns([
        { name: "id", type: DataTypes.INT() },
        { name: "region", type: DataTypes.STRING() },
      ]),
      { bucketCount: 1, partitionKeys: ["region"] },
    );
    await admin.createPartition(plog.tablePath, { region: "EU" });
    const pid = (await admin.listPartitionInfos(plog.tablePath))[0]!.partitionId;
    const aw = plog.newAppendWriter();
    for (let i = 0; i < 10; i++) aw.append({ id: i, region: "EU" });
    await aw.flush();
    const tail = await (await plog.newScan().limit(3).createBucketScanner({ partitionId: pid, bucketId: 0 })).toRows();
    assert.deepEqual(
      tail.map((r) => r.id),
      [7, 8, 9],
    );
  });

  test("writes during a scan do not change what it returns", async () => {
    const table = await create("pk_consistent", users, { bucketCount: 1 });
    const w = table.newUpsert();
    for (let i = 0; i < 500; i++) w.upsert({ id: i, name: `n${i}`, age: 0n });
    await w.flush();
    const small = await cluster.connect({ "scanner.kv.fetch.max-bytes": 200 });
    try {
      const t2 = await small.getTable(table.tablePath);
      const scanner = await t2.newScan().createBucketScanner(0);
      const seen: Row[] = [];
      let round = 0;
      for await (const batch of scanner) {
        for (const r of batch.toArray()) seen.push({ ...r.toJSON() });
        if (round++ < 5) {
          // change, delete and add rows between chunks
          for (let i = 0; i < 500; i += 7) w.upsert({ id: i, name: `changed${round}`, age: BigInt(round) });
          for (let i = 3; i < 500; i += 11) w.delete({ id: i });
          for (let i = 0; i < 20; i++) w.upsert({ id: 1000 + round * 100 + i, name: "new", age: 9n });
          await w.flush();
        }
      }
      assert.ok(round > 5, `only ${round} chunks`);
      assert.equal(seen.length, 500);
      assert.deepEqual(
        byId(seen),
        Array.from({ length: 500 }, (_, i) => ({ id: i, name: `n${i}`, age: 0n })),
      );
      assert.equal(scanner.logOffset, 500);
      // and a new scan sees the writes
      const now = await (await t2.newScan().createBucketScanner(0)).toRows();
      assert.equal(now.length, 500 - 46 + 100);
    } finally {
      await small.close();
    }
  });

  test("state then changelog with concurrent writers: replaying from offsets() gives the final state, no gap, no duplicate", async () => {
    const table = await create("pk_handoff", users, { bucketCount: 3 });
    const w = table.newUpsert();
    for (let i = 0; i < 2000; i++) w.upsert({ id: i, name: `n${i}`, age: 0n });
    await w.flush();
    let stop = false;
    const writers = [0, 1, 2].map(async (k) => {
      const writer = table.newUpsert();
      let n = 0;
      while (!stop) {
        for (let j = 0; j < 50; j++) {
          const id = (n * 37 + j * 101 + k * 7) % 2500;
          if ((n + j + k) % 5 === 0) writer.delete({ id });
          else writer.upsert({ id, name: `w${k}-${n}`, age: BigInt(n) });
        }
        await writer.flush();
        n++;
      }
      return n;
    });
    const small = await cluster.connect({ "scanner.kv.fetch.max-bytes": 4096 });
    try {
      const t2 = await small.getTable(table.tablePath);
      const snap = await t2.newScan().createSnapshotScanner();
      const state = new Map<number, Row>();
      for (const r of await snap.toRows()) {
        assert.equal(state.has(r.id as number), false, `id ${String(r.id)} twice in the snapshot`);
        state.set(r.id as number, r);
      }
      await new Promise((r) => setTimeout(r, 200));
      stop = true;
      const rounds = await Promise.all(writers);
      assert.ok(rounds.every((n) => n > 0));
      // new keys last, so that each bucket's changelog ends with a record
      for (let i = 0; i < 30; i++) w.upsert({ id: 100_000 + i, name: "end", age: 0n });
      await w.flush();
      const end = await conn.getAdmin().listOffsets(table.tablePath, [0, 1, 2], OffsetSpec.latest());
      const offsets = snap.offsets();
      const log = await t2.newScan().createLogScanner();
      await log.subscribeBuckets(offsets);
      const records: ScanRecord[] = [];
      const remaining = new Set([0, 1, 2].filter((b) => offsets[b]! < end[b]!));
      const byBucket = new Map<number, number>();
      while (remaining.size > 0) {
        const polled = await log.poll(5000);
        assert.ok(!polled.isEmpty(), "the changelog stalled");
        for (const g of polled.groups()) {
          for (const r of g.records) {
            records.push(r);
            byBucket.set(g.bucket.bucket, r.offset);
            if (r.offset >= end[g.bucket.bucket]! - 1) remaining.delete(g.bucket.bucket);
          }
        }
      }
      await log.close();
      // records of each bucket in offset order; buckets hold disjoint keys, so per-bucket order suffices
      replay(state, records);
      const final = new Map<number, Row>();
      for (const r of await (await t2.newScan().createSnapshotScanner()).toRows()) final.set(r.id as number, r);
      assert.equal(state.size, final.size);
      assert.deepEqual(byId([...state.values()]), byId([...final.values()]));
    } finally {
      await small.close();
    }
  });

  test("a dropped table or partition and a missing partition are FlussErrors", async () => {
    const admin = conn.getAdmin();
    const gone = await create("pk_gone", users, { bucketCount: 1 });
    const w = gone.newUpsert();
    w.upsert({ id: 1, name: "a", age: 1n });
    await w.flush();
    await admin.dropTable(gone.tablePath);
    await assert.rejects((await gone.newScan().createBucketScanner(0)).toRows(), isCode(ErrorCode.TABLE_NOT_EXIST));
    await assert.rejects((await gone.newScan().limit(1).createBucketScanner(0)).toRows(), isCode(ErrorCode.TABLE_NOT_EXIST));
    await assert.rejects((await gone.newScan().createSnapshotScanner()).toArrow(), isCode(ErrorCode.TABLE_NOT_EXIST));

    const schema = Schema.fromColumns(
      [
        { name: "id", type: notNull(DataTypes.INT()) },
        { name: "region", type: notNull(DataTypes.STRING()) },
      ],
      ["id", "region"],
    );
    const parted = await create("pk_gone_parts", schema, { bucketCount: 1, partitionKeys: ["region"] });
    await admin.createPartition(parted.tablePath, { region: "EU" });
    const pid = (await admin.listPartitionInfos(parted.tablePath))[0]!.partitionId;
    await assert.rejects(
      (await parted.newScan().createBucketScanner({ partitionId: pid + 1000, bucketId: 0 })).toRows(),
      isCode(ErrorCode.PARTITION_NOT_EXISTS),
    );
    const pw = parted.newUpsert();
    pw.upsert({ id: 1, region: "EU" });
    await pw.flush();
    assert.equal((await (await parted.newScan().createBucketScanner({ partitionId: pid, bucketId: 0 })).toRows()).length, 1);
    await admin.dropPartition(parted.tablePath, { region: "EU" });
    await assert.rejects(
      (await parted.newScan().createBucketScanner({ partitionId: pid, bucketId: 0 })).toRows(),
      isCode(ErrorCode.PARTITION_NOT_EXISTS),
    );
    await assert.rejects(
      (await parted.newScan().limit(3).createBucketScanner({ partitionId: pid, bucketId: 0 })).toRows(),
      isCode(ErrorCode.PARTITION_NOT_EXISTS),
    );

    // dropped in the middle of a scan
    const mid = await create("pk_gone_mid", users, { bucketCount: 1 });
    const mw = mid.newUpsert();
    for (let i = 0; i < 200; i++) mw.upsert({ id: i, name: `n${i}`, age: 1n });
    await mw.flush();
    const small = await cluster.connect({ "scanner.kv.fetch.max-bytes": 100 });
    try {
      const scanner = await (await small.getTable(mid.tablePath)).newScan().createBucketScanner(0);
      let n = 0;
      await assert.rejects(
        (async () => {
          for await (const b of scanner) {
            n += b.numRows;
            if (n <= b.numRows) await admin.dropTable(mid.tablePath);
          }
        })(),
        isCode(ErrorCode.TABLE_NOT_EXIST),
      );
      assert.ok(n < 200);
    } finally {
      await small.close();
    }
  });
});

/** An embedded cluster with the given scanner options and a 100-row primary-key table read in small chunks. */
async function sessionsCluster(kv: NonNullable<Parameters<typeof LocalCluster.start>[0]>["kv"]): Promise<{
  cluster: LocalCluster;
  conn: FlussConnection;
  table: FlussTable;
}> {
  const cluster = await LocalCluster.start({ kv });
  const conn = await FlussConnection.connect(
    new Config({ "bootstrap.servers": cluster.bootstrapServers, "scanner.kv.fetch.max-bytes": 100 }),
  );
  const path = new TablePath("fluss", uniqueName("sessions"));
  await conn.getAdmin().createTable(path, new TableDescriptor(users, { bucketCount: 1 }));
  const table = await conn.getTable(path);
  const w = table.newUpsert();
  for (let i = 0; i < 100; i++) w.upsert({ id: i, name: `n${i}`, age: 1n });
  await w.flush();
  return { cluster, conn, table };
}

describe("scan sessions on the server (embedded cluster with small limits)", {
  skip: EXTERNAL_SERVERS ? "needs the embedded cluster" : false,
}, () => {
  let cluster: LocalCluster;
  let conn: FlussConnection;
  let table: FlussTable;

  before(async () => {
    ({ cluster, conn, table } = await sessionsCluster({ scannerMaxPerBucket: 1 }));
  });
  after(async () => {
    await conn?.close();
    await cluster?.close();
  });
  test("leaving `for await` early closes the session on the server (the one slot of the bucket is free at once)", async () => {
    for (let k = 0; k < 3; k++) {
      const scanner = await table.newScan().createBucketScanner(0);
      for await (const b of scanner) {
        assert.ok(b.numRows > 0);
        break;
      }
      assert.equal(scanner.closed, true);
    }
    // a session left open would hold the slot for the server's 10-minute idle time: this scan would fail with TOO_MANY_SCANNERS
    assert.equal((await (await table.newScan().createBucketScanner(0)).toRows()).length, 100);
    // close() before reading everything frees it too
    const s = await table.newScan().createBucketScanner(0);
    const it = s[Symbol.asyncIterator]();
    await it.next();
    await s.close();
    assert.equal((await (await table.newScan().createBucketScanner(0)).toArrow()).numRows, 100);
    await it.return(undefined);
  });

  test("a second scan of a bucket at its session limit fails with TOO_MANY_SCANNERS after retries, never hangs", async () => {
    const first = await table.newScan().createBucketScanner(0);
    const it = first[Symbol.asyncIterator]();
    await it.next();
    await assert.rejects((await table.newScan().createBucketScanner(0)).toRows(), isCode(ErrorCode.TOO_MANY_SCANNERS));
    await it.return(undefined);
  });

  test("a session idle past the server's TTL answers SCANNER_EXPIRED", async () => {
    const { cluster, conn, table } = await sessionsCluster({ scannerTtlMs: 300, scannerExpirationIntervalMs: 50 });
    try {
      const scanner = await table.newScan().createBucketScanner(0);
      await assert.rejects(
        (async () => {
          for await (const b of scanner) {
            assert.ok(b.numRows > 0);
            await new Promise((r) => setTimeout(r, 700));
          }
        })(),
        isCode(ErrorCode.SCANNER_EXPIRED),
      );
      assert.equal((await (await table.newScan().createBucketScanner(0)).toRows()).length, 100);
    } finally {
      await conn.close();
      await cluster.close();
    }
  });
});
