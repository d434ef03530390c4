/**
 * A KV snapshot is serialized in steps from a consistent view: other requests are answered
 * meanwhile (the event loop never stalls for the whole bucket), writes made during it are
 * not in it, and restart from it replays them from the changelog.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { DataTypes } from "../../src/metadata/data-types.js";
import { Schema } from "../../src/metadata/schema.js";
import { KvStore } from "../../src/server/kv/kv-store.js";
import { decodeSnapshot } from "../../src/server/kv/kv-snapshot.js";
import type { KvTablet } from "../../src/server/kv/kv-tablet.js";
import { LocalCluster } from "../../src/server/local-cluster.js";
import type { ServerState } from "../../src/server/server-state.js";
import { connect } from "./server-test-util.js";
import { createPkTable, lookupRows, putKv, type KvOp } from "./server-kv-helpers.js";

const SCHEMA = Schema.builder().column("id", DataTypes.INT()).column("name", DataTypes.STRING()).primaryKey(["id"]).build();

const KEYS = 200_000;
const KV = { snapshotBytes: 1 << 30, snapshotIntervalMs: 3_600_000 };

function snapshotFiles(dataDir: string, tableId: number): string[] {
  const dir = path.join(dataDir, "log", String(tableId), "0", "kv");
  return fs.readdirSync(dir).filter((n) => n.endsWith(".snapshot"));
}

test("a snapshot of a large bucket does not stall other requests; writes during it are replayed after restart", async () => {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "flussjs-kvsnap-"));
  try {
    let cluster = await LocalCluster.start({ dataDir, kv: KV });
    let conn = await connect(cluster);
    const big = await createPkTable(conn, "snap_big", SCHEMA);
    const small = await createPkTable(conn, "snap_small", SCHEMA);
    await putKv(conn, small, [{ upsert: [1, "one"] }]);
    let offset = 0;
    for (let i = 0; i < KEYS; i += 20_000) {
      const ops: KvOp[] = [];
      for (let k = i; k < i + 20_000; k++) ops.push({ upsert: [k, `name-${k}`] });
      const r = await putKv(conn, big, ops);
      assert.equal(r.errorCode, undefined);
      offset = r.logEndOffset!;
    }
    const state = state0(cluster);
    const tablet: KvTablet = await state.kv.getIfOpen(big.tableId, undefined, 0)!;

    // the longest time between two turns of the event loop while the snapshot runs
    let maxGap = 0;
    let last = performance.now();
    let ticking = true;
    const tick = (): void => {
      const now = performance.now();
      maxGap = Math.max(maxGap, now - last);
      last = now;
      if (ticking) setImmediate(tick);
    };
    setImmediate(tick);
    const started = performance.now();
    const snap = tablet.snapshot();
    // while it runs: a write to the bucket and lookups of another table
    const during = putKv(conn, big, [{ upsert: [0, "changed"] }, { delete: [1, null] }, { upsert: [KEYS, "new"] }]);
    const lookups: number[] = [];
    let done = false;
    void snap.finally(() => {
      done = true;
    });
    while (!done) {
      const t0 = performance.now();
      assert.deepEqual(await lookupRows(conn, small, [[1]]), [[1, "one"]]);
      lookups.push(performance.now() - t0);
    }
    await snap;
    const took = performance.now() - started;
    ticking = false;
    assert.equal((await during).errorCode, undefined);
    const maxStallMs = maxGap;
    assert.ok(lookups.length >= 3, `lookups answered during the snapshot: ${lookups.length} in ${took.toFixed(0)} ms`);
    assert.ok(
      maxStallMs < took / 2,
      `event loop stalled ${maxStallMs.toFixed(1)} ms (snapshot took ${took.toFixed(0)} ms, lookups ${lookups.map((l) => l.toFixed(0))})`,
    );

    // the snapshot is the state at its view's offset: the write during it is not in it
    assert.equal(tablet.lastSnapshotOffset, offset);
    const [name] = snapshotFiles(dataDir, big.tableId);
    assert.equal(name, `snap-0-${offset}.snapshot`);
    const file = path.join(dataDir, "log", String(big.tableId), "0", "kv", name!);
    const saved = fs.readFileSync(file);
    const store = new KvStore();
    assert.deepEqual(decodeSnapshot(saved, store), { id: 0, offset });
    assert.equal(store.size, KEYS);

    // a restart from that snapshot (as after a crash right after it) replays the tail
    conn.close();
    await cluster.close();
    for (const n of snapshotFiles(dataDir, big.tableId)) fs.rmSync(path.join(path.dirname(file), n));
    fs.writeFileSync(file, saved);
    cluster = await LocalCluster.start({ dataDir, kv: KV });
    conn = await connect(cluster);
    assert.deepEqual(await lookupRows(conn, big, [[0], [1], [2], [KEYS - 1], [KEYS]]), [
      [0, "changed"],
      null,
      [2, "name-2"],
      [KEYS - 1, `name-${KEYS - 1}`],
      [KEYS, "new"],
    ]);
    const reopened = await state0(cluster).kv.getIfOpen(big.tableId, undefined, 0)!;
    assert.equal(reopened.size, KEYS);
    conn.close();
    await cluster.close();
  } finally {
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
});

function state0(cluster: LocalCluster): ServerState {
  return (cluster as unknown as { state: ServerState }).state;
}
