/** Durability of primary-key state: restart, snapshot + changelog tail replay, kill -9. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { fileURLToPath } from "node:url";
import { ApiKey } from "../../src/rpc/api-keys.js";
import { ErrorCode } from "../../src/rpc/errors.js";
import { iterateBatches } from "../../src/record/log-batch.js";
import { DataTypes, type DataType } from "../../src/metadata/data-types.js";
import { Decimal, Timestamp } from "../../src/row/values.js";
import { Schema } from "../../src/metadata/schema.js";
import { ServerConnection } from "../../src/rpc/server-connection.js";
import { LocalCluster, type LocalClusterOptions } from "../../src/server/local-cluster.js";
import { listSnapshotsSync } from "../../src/server/kv/kv-snapshot.js";
import { connect } from "./server-test-util.js";
import { createPkTable, lookupRaw, lookupRows, putKv, readChangelog, show, tp, type KvOp } from "./server-kv-helpers.js";

const SCHEMA = Schema.builder()
  .column("id", DataTypes.INT())
  .column("name", DataTypes.STRING())
  .column("n", DataTypes.BIGINT())
  .primaryKey(["id"])
  .build();

function tempDir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), "flussjs-kv-"));
}

async function open(
  dataDir: string,
  options: LocalClusterOptions = {},
): Promise<{ cluster: LocalCluster; conn: ServerConnection }> {
  const cluster = await LocalCluster.start({ dataDir, ...options });
  return { cluster, conn: await connect(cluster) };
}

/** The offsets the bucket's snapshots cover, newest snapshot first. */
function snapshotsOf(dataDir: string, tableId: number, bucket = 0): number[] {
  const dir = path.join(dataDir, "log", String(tableId), String(bucket), "kv");
  return listSnapshotsSync(dir).map((e) => e.offset);
}

test("state survives a clean restart; offsets continue; the close writes a snapshot", async () => {
  const dataDir = tempDir();
  try {
    let { cluster, conn } = await open(dataDir);
    const t = await createPkTable(conn, "users", SCHEMA);
    await putKv(conn, t, [{ upsert: [1, "a", 1n] }, { upsert: [2, "b", 2n] }, { upsert: [3, "c", 3n] }]);
    await putKv(conn, t, [{ upsert: [1, "a2", 10n] }, { delete: [2, null, null] }]);
    conn.close();
    await cluster.close();
    assert.deepEqual(snapshotsOf(dataDir, t.tableId), [6]);

    ({ cluster, conn } = await open(dataDir));
    assert.deepEqual(await lookupRows(conn, t, [[1], [2], [3]]), [[1, "a2", 10n], null, [3, "c", 3n]]);
    assert.deepEqual(await putKv(conn, t, [{ upsert: [3, "c2", 4n] }]), { bucketId: 0, logEndOffset: 8 });
    assert.deepEqual(show((await readChangelog(conn, t, 0, undefined, 6)).records), ["-U(3,c,3)", "+U(3,c2,4)"]);
    // dropping the table removes its state with its log
    await conn.request(ApiKey.DROP_TABLE, { tablePath: tp("users"), ignoreIfNotExists: false });
    assert.equal(fs.existsSync(path.join(dataDir, "log", String(t.tableId))), false);
    conn.close();
    await cluster.close();
  } finally {
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
});

test("a damaged snapshot is skipped and the whole changelog replayed", async () => {
  const dataDir = tempDir();
  try {
    let { cluster, conn } = await open(dataDir);
    const t = await createPkTable(conn, "dmg", SCHEMA);
    await putKv(conn, t, [{ upsert: [1, "a", 1n] }, { upsert: [2, "b", 2n] }]);
    conn.close();
    await cluster.close();
    const [off] = snapshotsOf(dataDir, t.tableId);
    const file = path.join(dataDir, "log", String(t.tableId), "0", "kv", `snap-0-${off}.snapshot`);
    const bytes = fs.readFileSync(file);
    bytes[bytes.length - 10]! ^= 0xff;
    fs.writeFileSync(file, bytes);
    const warnings: string[] = [];
    ({ cluster, conn } = await open(dataDir, { logger: { info: () => {}, warn: (m) => warnings.push(m), error: () => {} } }));
    assert.deepEqual(await lookupRows(conn, t, [[1], [2]]), [
      [1, "a", 1n],
      [2, "b", 2n],
    ]);
    assert.ok(
      warnings.some((w) => /damaged snapshot/.test(w)),
      warnings.join("\n"),
    );
    conn.close();
    await cluster.close();
  } finally {
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
});

test("a corrupt changelog batch during KV recovery fails that bucket's state with KV_STORAGE_EXCEPTION; the server goes on", async () => {
  const dataDir = tempDir();
  try {
    let { cluster, conn } = await open(dataDir);
    const t = await createPkTable(conn, "crpt", SCHEMA);
    const other = await createPkTable(conn, "fine", SCHEMA);
    await putKv(conn, t, [{ upsert: [1, "a", 1n] }]);
    await putKv(conn, t, [{ upsert: [2, "b", 2n] }]);
    await putKv(conn, t, [{ upsert: [3, "c", 3n] }]);
    await putKv(conn, other, [{ upsert: [9, "z", 9n] }]);
    conn.close();
    await cluster.close();
    // no snapshot: recovery replays the whole changelog, whose second batch is damaged
    const bucketDir = path.join(dataDir, "log", String(t.tableId), "0");
    fs.rmSync(path.join(bucketDir, "kv"), { recursive: true, force: true });
    const seg = path.join(bucketDir, fs.readdirSync(bucketDir).find((n) => n.endsWith(".log"))!);
    const bytes = fs.readFileSync(seg);
    const batches = [...iterateBatches(bytes)];
    bytes[batches[1]!.position + batches[1]!.sizeInBytes - 2]! ^= 0x20;
    fs.writeFileSync(seg, bytes);

    const errors: string[] = [];
    ({ cluster, conn } = await open(dataDir, { logger: { info: () => {}, warn: () => {}, error: (m) => errors.push(m) } }));
    for (let attempt = 0; attempt < 2; attempt++) {
      const resp = await conn.request(ApiKey.LOOKUP, {
        tableId: t.tableId,
        bucketsReq: [{ bucketId: 0, keys: [t.keys.key([1])] }],
      });
      const b = resp.bucketsResp[0]!;
      assert.equal(b.errorCode, ErrorCode.KV_STORAGE_EXCEPTION);
      assert.match(b.errorMessage ?? "", /cannot recover the state from the changelog at offset 1: .*corrupt/);
    }
    assert.ok(
      errors.some((m) => m.includes(seg)),
      errors.join("\n"),
    );
    // the rest of the server is fine
    assert.deepEqual(await lookupRows(conn, other, [[9]]), [[9, "z", 9n]]);
    assert.equal((await readChangelog(conn, t, 0, undefined, 0)).records.length > 0, true);
    conn.close();
    await cluster.close();
  } finally {
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
});

/** Starts a cluster in a child process on `dataDir`; resolves its port and the child. */
async function startChild(dataDir: string, kv: LocalClusterOptions["kv"]) {
  const lc = fileURLToPath(new URL("../../src/server/local-cluster.ts", import.meta.url));
  const script =
    `import(${JSON.stringify(lc)}).then((m) => m.LocalCluster.start({ dataDir: ${JSON.stringify(dataDir)}, kv: ${JSON.stringify(kv)} }))` +
    `.then((c) => console.log("PORT " + c.port))`;
  const child = spawn(process.execPath, ["--import", "tsx", "-e", script], { stdio: ["ignore", "pipe", "inherit"] });
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const port = await new Promise<number>((resolve, reject) => {
    let out = "";
    child.stdout.on("data", (c: Buffer) => {
      out += c.toString();
      const m = /PORT (\d+)/.exec(out);
      if (m) resolve(Number(m[1]));
    });
    child.once("exit", (code) => reject(new Error(`cluster child exited with ${code}: ${out}`)));
  });
  return { child, port, exited };
}

test("kill -9 after acknowledged writes: every acked upsert and delete is visible once, offsets continue, snapshot + tail replay", async () => {
  const dataDir = tempDir();
  try {
    const { child, port, exited } = await startChild(dataDir, { snapshotBytes: 4096, snapshotIntervalMs: 3_600_000 });
    const conn = await ServerConnection.connect({ host: "127.0.0.1", port, connectTimeoutMs: 5000, requestTimeoutMs: 10000 });
    const t = await createPkTable(conn, "crash", SCHEMA);
    const expected = new Map<number, unknown[]>();
    let leo = 0;
    for (let b = 0; b < 60; b++) {
      const ops = [];
      for (let i = 0; i < 20; i++) {
        const id = (b * 7 + i * 13) % 150;
        if ((b + i) % 5 === 0) {
          ops.push({ delete: [id, null, null] });
          expected.delete(id);
        } else {
          const row = [id, `v${b}-${i}`, BigInt(b * 100 + i)];
          ops.push({ upsert: row });
          expected.set(id, row);
        }
      }
      const r = await putKv(conn, t, ops, { writerId: 1, batchSequence: b });
      assert.equal(r.errorCode, undefined, r.errorMessage);
      assert.ok(r.logEndOffset! > leo);
      leo = r.logEndOffset!;
    }
    // let the background snapshots land, write a tail below the snapshot threshold, then
    // crash without any clean close
    await new Promise((r) => setTimeout(r, 300));
    const tail = await putKv(conn, t, [{ upsert: [7, "tail", 7n] }, { delete: [8, null, null] }], {
      writerId: 1,
      batchSequence: 60,
    });
    assert.equal(tail.errorCode, undefined, tail.errorMessage);
    expected.set(7, [7, "tail", 7n]);
    expected.delete(8);
    leo = tail.logEndOffset!;
    child.kill("SIGKILL");
    await exited;
    conn.close();
    const snaps = snapshotsOf(dataDir, t.tableId);
    assert.ok(snaps.length >= 1, "a snapshot was taken");
    assert.ok(Math.max(...snaps) < leo, "the changelog tail after the snapshot must be replayed");

    const { cluster, conn: c2 } = await open(dataDir);
    try {
      const ids = [...Array(150).keys()];
      const rows = await lookupRows(
        c2,
        t,
        ids.map((id) => [id]),
      );
      ids.forEach((id, i) => assert.deepEqual(rows[i], expected.get(id) ?? null, `key ${id}`));
      // the writer's sequence survived too: a re-send of the last batch is a duplicate
      const dup = await putKv(c2, t, [{ upsert: [999, "x", 0n] }], { writerId: 1, batchSequence: 60 });
      assert.deepEqual(dup, { bucketId: 0, logEndOffset: leo });
      assert.deepEqual(await lookupRows(c2, t, [[999]]), [null]);
      const next = await putKv(c2, t, [{ upsert: [1000, "y", 1n] }], { writerId: 1, batchSequence: 61 });
      assert.deepEqual(next, { bucketId: 0, logEndOffset: leo + 1 });
    } finally {
      c2.close();
      await cluster.close();
    }
  } finally {
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
});

const EVERY_TYPE: [string, DataType][] = [
  ["b", DataTypes.BOOLEAN()],
  ["i8", DataTypes.TINYINT()],
  ["i16", DataTypes.SMALLINT()],
  ["i64", DataTypes.BIGINT()],
  ["f32", DataTypes.FLOAT()],
  ["f64", DataTypes.DOUBLE()],
  ["dec", DataTypes.DECIMAL(10, 2)],
  ["bigdec", DataTypes.DECIMAL(38, 4)],
  ["c", DataTypes.CHAR(3)],
  ["s", DataTypes.STRING()],
  ["bin", DataTypes.BINARY(2)],
  ["bytes", DataTypes.BYTES()],
  ["d", DataTypes.DATE()],
  ["t0", DataTypes.TIME(0)],
  ["t9", DataTypes.TIME(9)],
  ["ts0", DataTypes.TIMESTAMP(0)],
  ["ts3", DataTypes.TIMESTAMP(3)],
  ["ts6", DataTypes.TIMESTAMP(6)],
  ["ts9", DataTypes.TIMESTAMP(9)],
  ["ltz", DataTypes.TIMESTAMP_LTZ(3)],
  ["ltz9", DataTypes.TIMESTAMP_LTZ(9)],
  ["arr", DataTypes.ARRAY(DataTypes.INT())],
  ["map", DataTypes.MAP(DataTypes.STRING(), DataTypes.BIGINT())],
  ["row", DataTypes.ROW([DataTypes.FIELD("x", DataTypes.INT()), DataTypes.FIELD("y", DataTypes.STRING())])],
];

function everyTypeRow(id: number): unknown[] {
  const day = Date.UTC(2024, 1, 29);
  return [
    id,
    true,
    -8,
    -300,
    -(2n ** 62n) + BigInt(id),
    1.5,
    -2.25,
    new Decimal(-12345n, 2),
    new Decimal(-(10n ** 37n) + 7n, 4),
    "abc",
    `héllo wörld ${id}`,
    new Uint8Array([1, 2]),
    new Uint8Array([9, 8, 7, id & 0xff]),
    new Date(day),
    45_296_000,
    45_296_789,
    new Timestamp(day + 1000),
    new Timestamp(day + 1234),
    new Timestamp(day + 1234, 567_000),
    new Timestamp(-1, 999_999),
    new Timestamp(day + 5),
    new Timestamp(day + 5, 123_456),
    [1, null, 3],
    new Map<string, bigint | null>([
      ["a", 1n],
      ["b", null],
    ]),
    { x: 7, y: "seven" },
  ];
}

for (const [kvFormat, logFormat] of [
  ["COMPACTED", "ARROW"],
  ["COMPACTED", "COMPACTED"],
  ["INDEXED", "INDEXED"],
  ["INDEXED", "ARROW"],
] as const) {
  test(`every data type survives a replay of the ${logFormat} changelog byte-exact (kv ${kvFormat})`, async () => {
    const b = Schema.builder().column("id", DataTypes.INT());
    for (const [name, type] of EVERY_TYPE) b.column(name, type);
    const schema = b.primaryKey(["id"]).build();
    const dataDir = tempDir();
    try {
      let { cluster, conn } = await open(dataDir);
      const t = await createPkTable(conn, "all", schema, { kvFormat, logFormat });
      const nulls = [3, ...EVERY_TYPE.map(() => null)];
      await putKv(conn, t, [{ upsert: everyTypeRow(1) }, { upsert: everyTypeRow(2) }, { upsert: nulls }]);
      await putKv(conn, t, [{ upsert: everyTypeRow(1) }, { upsert: [2, ...EVERY_TYPE.map(() => null)] }], {
        targetColumns: [0, 2, 10],
      });
      const keys = [[1], [2], [3]];
      const before = await lookupRaw(conn, t, keys);
      const plain = (row: unknown[]) => row.map((v) => (v instanceof Uint8Array ? new Uint8Array(v) : v));
      assert.deepEqual(plain(t.decodeRow(before[0]!, 2)), everyTypeRow(1));
      conn.close();
      await cluster.close();
      fs.rmSync(path.join(dataDir, "log", String(t.tableId), "0", "kv"), { recursive: true, force: true });
      ({ cluster, conn } = await open(dataDir));
      const after = await lookupRaw(conn, t, keys);
      assert.deepEqual(
        after.map((v) => [...v!]),
        before.map((v) => [...v!]),
      );
      conn.close();
      await cluster.close();
    } finally {
      fs.rmSync(dataDir, { recursive: true, force: true });
    }
  });
}

test("kill -9 under load: the state is exactly the changelog's prefix of batches, every acknowledged one included", async () => {
  const dataDir = tempDir();
  try {
    const { child, port, exited } = await startChild(dataDir, { snapshotBytes: 8192, snapshotIntervalMs: 3_600_000 });
    const conn = await ServerConnection.connect({ host: "127.0.0.1", port, connectTimeoutMs: 5000, requestTimeoutMs: 10000 });
    const t = await createPkTable(conn, "load", SCHEMA);
    const opsOf = (b: number): KvOp[] => [
      { upsert: [b % 50, `b${b}`, BigInt(b)] },
      { upsert: [1000 + b, `u${b}`, BigInt(b)] },
      ...(b % 7 === 3 ? [{ delete: [(b * 3) % 50, null, null] }] : []),
    ];
    let acked = -1;
    let next = 0;
    let killed = false;
    const writer = async (): Promise<void> => {
      // up to 8 requests in flight, in sequence order on one connection
      const inflight: Promise<void>[] = [];
      while (!killed) {
        const b = next++;
        inflight.push(
          putKv(conn, t, opsOf(b), { writerId: 3, batchSequence: b }).then(
            (r) => {
              if (r.errorCode === undefined && !killed) acked = Math.max(acked, b);
            },
            () => undefined,
          ),
        );
        if (inflight.length >= 8) await inflight.shift();
      }
      await Promise.allSettled(inflight);
    };
    const running = writer();
    // kill once enough batches were acknowledged, with more in flight
    const deadline = Date.now() + 20_000;
    while (acked < 30 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    child.kill("SIGKILL");
    const lastAcked = acked;
    killed = true;
    await exited;
    await running;
    conn.close();
    assert.ok(lastAcked > 20, `only ${lastAcked + 1} batches acknowledged`);

    const { cluster, conn: c2 } = await open(dataDir);
    try {
      const { batches } = await readChangelog(c2, t);
      const seqs = batches.map((b) => b.batchSequence);
      assert.deepEqual(seqs, [...seqs.keys()], "one changelog batch per KV batch, in order, none twice");
      const applied = seqs.length - 1;
      assert.ok(applied >= lastAcked, `acknowledged up to ${lastAcked}, changelog has ${applied}`);
      const expected = new Map<number, unknown[]>();
      for (let b = 0; b <= applied; b++) {
        for (const op of opsOf(b)) {
          if ("upsert" in op) expected.set(op.upsert[0] as number, op.upsert);
          else expected.delete(op.delete[0] as number);
        }
      }
      const ids = [...Array(50).keys(), ...[...Array(applied + 10).keys()].map((b) => 1000 + b)];
      const rows = await lookupRows(
        c2,
        t,
        ids.map((id) => [id]),
      );
      ids.forEach((id, i) => assert.deepEqual(rows[i], expected.get(id) ?? null, `key ${id}`));
    } finally {
      c2.close();
      await cluster.close();
    }
  } finally {
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
});
