/**
 * The KV snapshot lease manager (Java KvSnapshotLeaseManager semantics): one snapshot per
 * bucket per lease, ref counts across leases, renew, release dropping an emptied lease,
 * expiry by the clock, persistence, and a corrupt file refused.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { ErrorCode, FlussError } from "../../src/rpc/errors.js";
import { KvSnapshotLeaseManager } from "../../src/server/admin/kv-snapshot-leases.js";

test("leases hold one snapshot per bucket, count across leases, expire, and survive a reopen", () => {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "flussjs-leases-"));
  let now = 1_000;
  const clock = () => now;
  let m = KvSnapshotLeaseManager.open(dataDir, { clock });
  try {
    const all = () => true;
    assert.deepEqual(m.acquire("a", 100, [{ tableId: 1, bucket: 0, snapshotId: 3 }], all), []);
    // the same bucket again: the lease now holds 4 instead of 3
    m.acquire("a", 100, [{ tableId: 1, bucket: 0, snapshotId: 4 }], all);
    assert.equal(m.isLeased(1, undefined, 0, 3), false);
    assert.equal(m.isLeased(1, undefined, 0, 4), true);
    // a partition's bucket 0 is another bucket; missing snapshots are returned, not held
    const missing = { tableId: 1, partitionId: 7, bucket: 0, snapshotId: 9 };
    assert.deepEqual(
      m.acquire("b", 500, [{ tableId: 1, bucket: 0, snapshotId: 4 }, missing], (s) => s !== missing),
      [missing],
    );
    assert.equal(m.isLeased(1, 7, 0, 9), false);
    assert.deepEqual([...m.leasedIds(1, undefined)], [[0, new Set([4])]]);
    assert.deepEqual(m.tablesOf("b"), [1]);

    // release: b still holds 4; a emptied is dropped
    m.release("a", [{ tableId: 1, bucket: 0 }]);
    assert.equal(m.isLeased(1, undefined, 0, 4), true);
    assert.equal(m.drop("a"), false, "an emptied lease is dropped by the release");
    m.release("nope", [{ tableId: 1, bucket: 0 }]);

    // reopen: b is still there with its expiration time
    m.close();
    m = KvSnapshotLeaseManager.open(dataDir, { clock });
    assert.equal(m.isLeased(1, undefined, 0, 4), true);
    now = 1_500; // expiration 1_500 is not below the clock yet
    assert.equal(m.expire(), 0);
    now = 1_501;
    assert.equal(m.expire(), 1);
    assert.equal(m.isLeased(1, undefined, 0, 4), false);
    // renew of an unknown lease creates it empty (Java: acquire without snapshots)
    m.acquire("c", 10, [], all);
    assert.equal(m.drop("c"), true);
    m.close();

    // an expired lease is dropped when the cluster starts
    m = KvSnapshotLeaseManager.open(dataDir, { clock });
    m.acquire("d", 5, [{ tableId: 2, bucket: 1, snapshotId: 0 }], all);
    m.close();
    now = 2_000;
    m = KvSnapshotLeaseManager.open(dataDir, { clock });
    assert.equal(m.isLeased(2, undefined, 1, 0), false);
  } finally {
    m.close();
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
});

test("a corrupt leases file fails the open with STORAGE_EXCEPTION", () => {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "flussjs-leases-"));
  try {
    fs.mkdirSync(path.join(dataDir, "catalog"));
    fs.writeFileSync(path.join(dataDir, "catalog", "kv-snapshot-leases.json"), "{not json");
    assert.throws(
      () => KvSnapshotLeaseManager.open(dataDir),
      (e: unknown) => e instanceof FlussError && e.code === ErrorCode.STORAGE_EXCEPTION && /is corrupt/.test(e.message),
    );
  } finally {
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
});
