/**
 * KV snapshot files: the version 2 layout (id and offset in the header), the version 1 files
 * written before ids were numbered, file names, the ids given to files of the earlier naming
 * (also after a rename interrupted by a crash), and retention with leases.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { crc32c } from "../../src/record/crc32c.js";
import { KvStore } from "../../src/server/kv/kv-store.js";
import {
  decodeSnapshot,
  encodeSnapshotInSteps,
  listSnapshotsSync,
  migrateLegacySnapshots,
  pruneSnapshots,
  snapshotEntries,
  snapshotFileName,
} from "../../src/server/kv/kv-snapshot.js";

function storeOf(entries: [string, string][]): KvStore {
  const store = new KvStore();
  for (const [k, v] of entries) store.put(k, v);
  return store;
}

/** A version 1 file as the earlier code wrote it: "FKVS", 1, int64 offset, int32 count, entries, CRC-32C. */
function v1File(offset: number, entries: [string, string][]): Buffer {
  const body = entries.map(([k, v]) => {
    const b = Buffer.alloc(8 + k.length + v.length);
    b.writeInt32LE(k.length, 0);
    b.write(k, 4, "latin1");
    b.writeInt32LE(v.length, 4 + k.length);
    b.write(v, 8 + k.length, "latin1");
    return b;
  });
  const header = Buffer.alloc(20);
  header.write("FKVS", 0, "latin1");
  header.writeInt32LE(1, 4);
  header.writeBigInt64LE(BigInt(offset), 8);
  header.writeInt32LE(entries.length, 16);
  const out = Buffer.concat([header, ...body, Buffer.alloc(4)]);
  out.writeUInt32LE(crc32c(out, 0, out.length - 4), out.length - 4);
  return out;
}

test("version 2 layout: magic, version 2, int64 id, int64 offset, int32 count, entries, CRC-32C; round trip", async () => {
  const entries: [string, string][] = [
    ["k1", "\u0000\u0001v1"],
    ["key-two", ""],
  ];
  const view = storeOf(entries).openView();
  const bytes = (await encodeSnapshotInSteps(view, 7, 2 ** 33 + 5, () => false, 1))!;
  view.close();
  assert.equal(bytes.toString("latin1", 0, 4), "FKVS");
  assert.equal(bytes.readInt32LE(4), 2);
  assert.equal(bytes.readBigInt64LE(8), 7n);
  assert.equal(bytes.readBigInt64LE(16), 2n ** 33n + 5n);
  assert.equal(bytes.readInt32LE(24), 2);
  assert.equal(bytes.readInt32LE(28), 2, "first key length");
  assert.equal(bytes.toString("latin1", 32, 34), "k1");
  assert.equal(bytes.length, 28 + (8 + 2 + 4) + (8 + 7) + 4);
  assert.equal(bytes.readUInt32LE(bytes.length - 4), crc32c(bytes, 0, bytes.length - 4));
  const back = new KvStore();
  assert.deepEqual(decodeSnapshot(bytes, back), { id: 7, offset: 2 ** 33 + 5 });
  assert.deepEqual([...back.openView().entries()].sort(), entries.sort());

  const damaged = Buffer.from(bytes);
  damaged[30]! ^= 1;
  assert.throws(() => decodeSnapshot(damaged, new KvStore()), /checksum mismatch/);
  const v3 = Buffer.from(bytes);
  v3.writeInt32LE(3, 4);
  assert.throws(() => decodeSnapshot(v3, new KvStore()), /bad magic or version/);
});

test("version 1 files (before snapshot ids) still load: offset from the header, no id", () => {
  const store = new KvStore();
  assert.deepEqual(decodeSnapshot(v1File(42, [["a", "1"]]), store), { id: undefined, offset: 42 });
  assert.deepEqual([...store.openView().entries()], [["a", "1"]]);
});

test("names: snap-<id>-<offset>.snapshot; files of the earlier naming take the next ids in offset order", () => {
  assert.equal(snapshotFileName(3, 1200), "snap-3-1200.snapshot");
  const legacy = (o: number) => `${String(o).padStart(20, "0")}.snapshot`;
  // only earlier files: ids 0, 1 by offset; other names ignored
  assert.deepEqual(
    snapshotEntries([legacy(90), legacy(40), "x.snapshot", "snap-1.snapshot", `${legacy(5)}.tmp`]).map((e) => [
      e.id,
      e.offset,
      e.legacy,
    ]),
    [
      [1, 90, true],
      [0, 40, true],
    ],
  );
  // a crash after the first rename: the renamed one keeps id 0, the other still gets 1
  assert.deepEqual(
    snapshotEntries(["snap-0-40.snapshot", legacy(90)]).map((e) => [e.id, e.offset, e.fileName]),
    [
      [1, 90, legacy(90)],
      [0, 40, "snap-0-40.snapshot"],
    ],
  );
  // newest first by id
  assert.deepEqual(
    snapshotEntries(["snap-2-30.snapshot", "snap-10-99.snapshot", "snap-9-80.snapshot"]).map((e) => e.id),
    [10, 9, 2],
  );
});

test("migration renames earlier files with their listed ids; retention keeps the newest N and leased ones", () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "flussjs-kvfiles-"));
  try {
    fs.writeFileSync(path.join(dir, `${String(40).padStart(20, "0")}.snapshot`), v1File(40, []));
    fs.writeFileSync(path.join(dir, `${String(90).padStart(20, "0")}.snapshot`), v1File(90, []));
    const after = migrateLegacySnapshots(dir, listSnapshotsSync(dir));
    assert.deepEqual(
      after.map((e) => [e.id, e.offset, e.legacy]),
      [
        [1, 90, false],
        [0, 40, false],
      ],
    );
    assert.deepEqual(fs.readdirSync(dir).sort(), ["snap-0-40.snapshot", "snap-1-90.snapshot"]);

    for (const [id, off] of [
      [2, 100],
      [3, 110],
      [4, 120],
    ] as const) {
      fs.writeFileSync(path.join(dir, snapshotFileName(id, off)), "x");
    }
    pruneSnapshots(dir, 2, (id) => id === 1);
    assert.deepEqual(
      listSnapshotsSync(dir).map((e) => e.id),
      [4, 3, 1],
      "ids 4 and 3 retained, 1 leased, 0 and 2 removed",
    );
    pruneSnapshots(dir, 2, () => false);
    assert.deepEqual(
      listSnapshotsSync(dir).map((e) => e.id),
      [4, 3],
    );
    assert.deepEqual(listSnapshotsSync(path.join(dir, "missing")), []);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
