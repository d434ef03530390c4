/**
 * A table of 2,048 buckets written and read back by a cluster limited to 1,024 open files
 * (a child process under `ulimit -n 1024`): segment files beyond the bound are closed and
 * reopened, so the server keeps accepting connections and serving every bucket.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { Config, EARLIEST_OFFSET, FlussConnection } from "../../src/index.js";
import { startClusterProcess } from "../helpers/cluster-process.js";
import { createTestTable } from "../helpers/tables.js";

function hasBash(): boolean {
  try {
    execFileSync("bash", ["-c", "ulimit -n 1024"], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}

test("2,048 buckets under a 1,024-descriptor limit: written, read back, new connections accepted", {
  skip: !hasBash() && "needs bash and ulimit",
  timeout: 90_000,
}, async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "flussjs-many-"));
  const proc = await startClusterProcess({ dataDir: dir, maxOpenFiles: 1024 });
  try {
    const buckets = 2048;
    const config = new Config({
      "bootstrap.servers": proc.bootstrapServers,
      "writer.bucket.no-key-assigner": "round_robin",
      "writer.delivery.timeout.ms": 30_000,
    });
    const conn = await FlussConnection.connect(config);
    await conn.getAdmin().createDatabase("many");
    const table = await createTestTable(conn, "many", "t", { buckets, format: "INDEXED", bucketKey: ["id"] });
    const writer = await table.newAppendWriter();
    const rows = 6 * buckets; // hashed: all but a handful of buckets get rows
    for (let id = 0; id < rows; id++) writer.append({ id, name: null, amount: null });
    await writer.flush();
    await writer.close();

    const scanner = await table.newScan().createLogScanner();
    for (let b = 0; b < buckets; b++) await scanner.subscribe(b, EARLIEST_OFFSET);
    const seen = new Set<number>();
    const perBucket = new Map<number, number>();
    const deadline = Date.now() + 60_000;
    while (seen.size < rows && Date.now() < deadline) {
      for (const g of (await scanner.poll(1000)).groups()) {
        for (const r of g.records) seen.add((r.row as { id: number }).id);
        perBucket.set(g.bucket.bucket, (perBucket.get(g.bucket.bucket) ?? 0) + g.records.length);
      }
    }
    await scanner.close();
    assert.equal(seen.size, rows);
    assert.ok(perBucket.size > buckets - 40, `${perBucket.size} buckets hold rows`);

    // still accepting: fresh connections work
    for (let i = 0; i < 5; i++) {
      const c = await FlussConnection.connect(config);
      assert.ok(await c.getAdmin().databaseExists("many"));
      await c.close();
    }
    await conn.close();
    assert.doesNotMatch(proc.stderr(), /EMFILE|\[error\]/, proc.stderr());
  } finally {
    await proc.stop("SIGTERM");
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
