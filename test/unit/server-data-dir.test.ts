/** The data directory: exclusive lock, read-only directories, the no-authentication warning. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { FlussError, LocalCluster } from "../../src/index.js";
import { ErrorCode } from "../../src/rpc/errors.js";
import { main, type CliIo } from "../../src/cli/main.js";
import { startClusterProcess } from "../helpers/cluster-process.js";

function tmpDir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), "flussjs-dd-"));
}

test("a second cluster on a live server's data dir fails at once, naming the dir and the holder", {
  timeout: 30_000,
}, async () => {
  const dir = tmpDir();
  try {
    const proc = await startClusterProcess({ dataDir: dir });
    try {
      const t0 = Date.now();
      await assert.rejects(LocalCluster.start({ dataDir: dir }), (e: unknown) => {
        assert.ok(e instanceof FlussError);
        assert.equal(e.code, ErrorCode.STORAGE_EXCEPTION);
        assert.ok(e.message.includes(dir), e.message);
        assert.ok(e.message.includes(`pid ${proc.pid}`), e.message);
        return true;
      });
      assert.ok(Date.now() - t0 < 2000);
      // the CLI says so too, with exit code 1
      let err = "";
      const io: CliIo = { out: () => {}, err: (t) => void (err += t), waitForStop: async () => "SIGINT" };
      assert.equal(await main(["local", "--port", "0", "--data-dir", dir], io), 1);
      assert.match(err, new RegExp(`in use by another Fluss local cluster \\(pid ${proc.pid}`));
    } finally {
      // killed: the lock file stays behind, with a dead pid in it
      await proc.stop("SIGKILL");
    }
    assert.ok(fs.existsSync(path.join(dir, ".lock")));
    const cluster = await LocalCluster.start({ dataDir: dir }); // stale lock taken over
    await cluster.close();
    assert.equal(fs.existsSync(path.join(dir, ".lock")), false);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test("two clusters in one process cannot share a data dir; the lock is released on close", async () => {
  const dir = tmpDir();
  try {
    const a = await LocalCluster.start({ dataDir: dir });
    await assert.rejects(LocalCluster.start({ dataDir: dir }), /already in use by another cluster in this process/);
    await a.close();
    const b = await LocalCluster.start({ dataDir: dir });
    await b.close();
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test("a lock whose pid now belongs to another, later process is stale", async () => {
  const dir = tmpDir();
  try {
    // pid 1 is alive, but it started long before the time recorded here
    fs.writeFileSync(path.join(dir, ".lock"), JSON.stringify({ pid: 1, host: os.hostname(), startTime: "1" }));
    if (fs.existsSync("/proc/1/stat")) {
      const cluster = await LocalCluster.start({ dataDir: dir });
      await cluster.close();
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

function canMount(): boolean {
  if (process.platform !== "linux" || process.getuid?.() !== 0) return false;
  const probe = tmpDir();
  try {
    execFileSync("mount", ["-t", "tmpfs", "-o", "size=1m", "tmpfs", probe], { stdio: "ignore" });
    execFileSync("umount", [probe], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  } finally {
    fs.rmSync(probe, { recursive: true, force: true });
  }
}

test("a read-only data dir fails at start with a clear message", {
  skip: !canMount() && "needs root and tmpfs mounts",
}, async () => {
  const dir = tmpDir();
  try {
    execFileSync("mount", ["-t", "tmpfs", "-o", "size=1m,ro", "tmpfs", dir]);
    try {
      await assert.rejects(LocalCluster.start({ dataDir: dir }), (e: unknown) => {
        assert.ok(e instanceof FlussError);
        assert.equal(e.code, ErrorCode.STORAGE_EXCEPTION);
        assert.ok(e.message.includes(dir), e.message);
        assert.match(e.message, /EROFS.*read-only file system/);
        return true;
      });
    } finally {
      execFileSync("umount", [dir]);
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test("binding a non-loopback address warns that there is no authentication", async () => {
  const warnings: string[] = [];
  const logger = { info: () => {}, warn: (m: string) => void warnings.push(m), error: () => {} };
  const local = await LocalCluster.start({ host: "127.0.0.1", logger });
  await local.close();
  assert.deepEqual(warnings, []);
  const open = await LocalCluster.start({ host: "0.0.0.0", logger });
  await open.close();
  assert.equal(warnings.length, 1);
  assert.match(warnings[0]!, /0\.0\.0\.0:\d+.*no authentication/);
});
