/**
 * The writer's memory bound holds for compressible data (issue 9): with the cluster
 * stopped, `await writer.append(row)` of rows compressing ~100:1 waits once
 * `writer.buffer.memory.size` is used, instead of packing hundreds of MiB of rows into
 * batches sized by their compressed estimate. Measured in a child process (`--expose-gc`)
 * by the writer's accounted bytes and the live memory after full collections.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";

const FIXTURE = fileURLToPath(new URL("../fixtures/writer-memory.ts", import.meta.url));

test("memory stays within writer.buffer.memory.size plus one batch against a stopped server", { timeout: 60_000 }, async () => {
  const out = await new Promise<string>((resolve, reject) => {
    execFile(
      process.execPath,
      ["--expose-gc", "--import", "tsx", FIXTURE],
      { env: { ...process.env, RUN_MS: "2000" }, timeout: 50_000 },
      (err, stdout, stderr) => (err ? reject(new Error(`${err.message}\n${stderr}`)) : resolve(stdout)),
    );
  });
  const r = JSON.parse(out.trim().split("\n").pop()!) as {
    bufferMemory: number;
    batchSize: number;
    appended: number;
    accountedPeak: number;
    growth: number;
    blocked: boolean;
  };
  const oneBatch = 4 * r.batchSize; // a batch's uncompressed cap
  assert.ok(r.blocked, `appends never waited for memory: ${out}`);
  assert.ok(r.accountedPeak <= r.bufferMemory + oneBatch, `accounted ${r.accountedPeak} bytes: ${out}`);
  assert.ok(r.appended * 8192 <= r.bufferMemory + 2 * oneBatch, `admitted ${r.appended} rows of 8 KiB: ${out}`);
  // live memory: the held rows plus allocator slack, far below the hundreds of MiB before
  assert.ok(r.growth <= r.bufferMemory + oneBatch + 16 * 1024 * 1024, `live memory grew by ${r.growth} bytes: ${out}`);
});
