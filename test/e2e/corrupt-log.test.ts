/**
 * A corrupt batch in a bucket's log (a byte flipped on disk while the cluster was down):
 * the scanner gets every good row before it, then a FlussError naming the bucket and the
 * offset; the bucket stays writable, and reading past the damage works.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { Config, EARLIEST_OFFSET, FlussConnection, FlussError, LocalCluster } from "../../src/index.js";
import { ErrorCode } from "../../src/rpc/errors.js";
import { iterateBatches } from "../../src/record/log-batch.js";
import { createTestTable } from "../helpers/tables.js";

test("a corrupt batch: good rows before it are served, then CORRUPT_RECORD_EXCEPTION naming bucket and offset; writes go on", {
  timeout: 60_000,
}, async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "flussjs-corrupt-"));
  const errors: string[] = [];
  const logger = { info: () => {}, warn: () => {}, error: (m: string) => void errors.push(m) };
  try {
    let cluster = await LocalCluster.start({ dataDir: dir, logger });
    let conn = await FlussConnection.connect(new Config({ "bootstrap.servers": cluster.bootstrapServers }));
    await conn.getAdmin().createDatabase("cr");
    let table = await createTestTable(conn, "cr", "t", { buckets: 1, format: "INDEXED" });
    const tableId = table.info.tableId;
    let writer = await table.newAppendWriter();
    for (let batchNo = 0; batchNo < 3; batchNo++) {
      for (let i = 0; i < 10; i++) writer.append({ id: batchNo * 10 + i, name: `r${batchNo * 10 + i}`, amount: 1n });
      await writer.flush(); // one batch each: offsets 0-9, 10-19, 20-29
    }
    await writer.close();
    await conn.close();
    await cluster.close();

    const segDir = path.join(dir, "log", String(tableId), "0");
    const seg = path.join(segDir, fs.readdirSync(segDir).find((n) => n.endsWith(".log"))!);
    const bytes = fs.readFileSync(seg);
    const batches = [...iterateBatches(bytes)];
    assert.equal(batches.length, 3);
    bytes[batches[1]!.position + batches[1]!.sizeInBytes - 3]! ^= 0x40; // inside the second batch's records
    fs.writeFileSync(seg, bytes);

    cluster = await LocalCluster.start({ dataDir: dir, logger });
    assert.equal(errors.length, 0, "buckets open on first use"); // lazily
    conn = await FlussConnection.connect(new Config({ "bootstrap.servers": cluster.bootstrapServers }));
    table = await conn.getTable(table.tablePath);
    const scanner = await table.newScan().createLogScanner();
    await scanner.subscribe(0, EARLIEST_OFFSET);
    const ids: number[] = [];
    let failure: unknown;
    const deadline = Date.now() + 15_000;
    while (failure === undefined && Date.now() < deadline) {
      try {
        for (const r of await scanner.poll(500)) ids.push((r.row as { id: number }).id);
      } catch (e) {
        failure = e;
      }
    }
    await scanner.close();
    assert.deepEqual(
      ids,
      Array.from({ length: 10 }, (_, i) => i),
    );
    assert.ok(failure instanceof FlussError, String(failure));
    assert.equal(failure.code, ErrorCode.CORRUPT_RECORD_EXCEPTION);
    assert.match(failure.message, /bucket 0|bucket=0/);
    assert.match(failure.message, /offset 10/);
    assert.ok(
      errors.some((m) => m.includes(seg) && m.includes(`position ${batches[1]!.position}`)),
      errors.join("\n"),
    );

    // the bucket stays writable, and reading past the damage works
    writer = await table.newAppendWriter();
    await writer.append({ id: 100, name: "after", amount: 2n }).wait();
    await writer.close();
    const past = await table.newScan().createLogScanner();
    await past.subscribe(0, 20);
    const later: number[] = [];
    const end = Date.now() + 15_000;
    while (later.length < 11 && Date.now() < end) for (const r of await past.poll(500)) later.push((r.row as { id: number }).id);
    await past.close();
    assert.deepEqual(later, [...Array.from({ length: 10 }, (_, i) => 20 + i), 100]);
    await conn.close();
    await cluster.close();
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
