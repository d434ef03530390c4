/**
 * A full disk (a 4 MiB tmpfs as data dir): writes fail with LOG_STORAGE_EXCEPTION naming
 * ENOSPC, never with sequence errors; everything acknowledged stays readable; once space is
 * freed, the same writer goes on. Needs root (mount); skipped elsewhere.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { Config, EARLIEST_OFFSET, FlussConnection, FlussError, LocalCluster } from "../../src/index.js";
import { ErrorCode } from "../../src/rpc/errors.js";
import { createTestTable } from "../helpers/tables.js";

function tryMount(dir: string, sizeOpt: string): boolean {
  if (process.platform !== "linux" || process.getuid?.() !== 0) return false;
  try {
    execFileSync("mount", ["-t", "tmpfs", "-o", sizeOpt, "tmpfs", dir], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}

const dir = fs.mkdtempSync(path.join(os.tmpdir(), "flussjs-full-"));
const mounted = tryMount(dir, "size=4m");
if (!mounted) fs.rmSync(dir, { recursive: true, force: true });

test("a full disk fails writes with LOG_STORAGE_EXCEPTION (ENOSPC), not sequence errors", {
  skip: !mounted && "needs root and tmpfs mounts",
  timeout: 60_000,
}, async () => {
  const cluster = await LocalCluster.start({ dataDir: path.join(dir, "data") });
  let conn: FlussConnection | undefined;
  try {
    conn = await FlussConnection.connect(
      new Config({
        "bootstrap.servers": cluster.bootstrapServers,
        "writer.delivery.timeout.ms": 3000,
        "writer.batch.size": 64 * 1024,
      }),
    );
    await conn.getAdmin().createDatabase("fd");
    const table = await createTestTable(conn, "fd", "t", { buckets: 2, format: "INDEXED" });
    const writer = await table.newAppendWriter();
    const pad = "x".repeat(1000);
    const handles: { id: number; h: ReturnType<typeof writer.append> }[] = [];
    for (let id = 0; id < 8000; id++) handles.push({ id, h: writer.append({ id, name: pad, amount: BigInt(id) }) });
    const outcomes = await Promise.all(
      handles.map(({ id, h }) =>
        h.wait().then(
          () => ({ id, err: undefined }),
          (err: unknown) => ({ id, err }),
        ),
      ),
    );
    await writer.flush().catch(() => undefined);
    const acked = outcomes.filter((o) => o.err === undefined).map((o) => o.id);
    const failed = outcomes.filter((o) => o.err !== undefined);
    assert.ok(acked.length > 0 && failed.length > 0, `acked ${acked.length}, failed ${failed.length}`);
    const codes = new Map<string, number>();
    for (const { err } of failed) {
      assert.ok(err instanceof FlussError, String(err));
      codes.set(err.name, (codes.get(err.name) ?? 0) + 1);
    }
    assert.deepEqual([...codes.keys()], ["LOG_STORAGE_EXCEPTION"], JSON.stringify([...codes]));
    const sample = failed[0]!.err as FlussError;
    assert.equal(sample.code, ErrorCode.LOG_STORAGE_EXCEPTION);
    assert.match(sample.message, /ENOSPC.*no space left on device/);

    // every acknowledged row is there, once
    const scanner = await table.newScan().createLogScanner();
    for (let b = 0; b < 2; b++) await scanner.subscribe(b, EARLIEST_OFFSET);
    const got: number[] = [];
    const deadline = Date.now() + 15_000;
    while (got.length < acked.length && Date.now() < deadline) {
      for (const r of await scanner.poll(500)) got.push((r.row as { id: number }).id);
    }
    await scanner.close();
    assert.deepEqual(
      got.sort((a, b) => a - b),
      acked.sort((a, b) => a - b),
    );

    // space comes back: the same writer writes again
    execFileSync("mount", ["-o", "remount,size=64m", dir]);
    await writer.append({ id: 100_000, name: "after", amount: 1n }).wait();
    await writer.close();
  } finally {
    await conn?.close();
    await cluster.close();
    execFileSync("umount", [dir]);
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
