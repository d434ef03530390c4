/**
 * Resources that end with a scope (`await using`), and scripts that forget `close()`:
 * a process whose work is done exits (idle sockets and background fetches do not keep it
 * alive).
 */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as net from "node:net";
import { fileURLToPath } from "node:url";
import { EARLIEST_OFFSET, FlussConnection, LocalCluster } from "../../src/index.js";
import { createTestTable } from "../helpers/tables.js";
import { startTestCluster, uniqueName } from "../helpers/cluster.js";

const SCRIPT = fileURLToPath(new URL("../fixtures/forgets-close.ts", import.meta.url));

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect({ host: "127.0.0.1", port });
    s.once("connect", () => {
      s.destroy();
      resolve(true);
    });
    s.once("error", () => resolve(false));
  });
}

describe("process lifetime (e2e)", () => {
  test("await using: LocalCluster and scanners close at the end of the scope", async () => {
    let port = 0;
    let dataDir = "";
    let scannerRef: { closed: boolean } | undefined;
    {
      await using cluster = await LocalCluster.start();
      port = cluster.port;
      dataDir = cluster.dataDir;
      await using conn = await FlussConnection.connect({ "bootstrap.servers": cluster.bootstrapServers });
      const db = uniqueName("using");
      await conn.getAdmin().createDatabase(db);
      const table = await createTestTable(conn, db, "t");
      await using scanner = await table.newScan().createLogScanner();
      await using batch = await table.newScan().createBatchScanner();
      await scanner.subscribe(0, EARLIEST_OFFSET);
      await batch.subscribe(0, EARLIEST_OFFSET);
      scannerRef = scanner;
      assert.equal(await canConnect(port), true);
    }
    assert.equal(scannerRef?.closed, true);
    assert.equal(await canConnect(port), false, "the cluster still listens");
    assert.equal(fs.existsSync(dataDir), false, "the temporary data dir is still there");
  });

  /** Runs the fixture script; resolves with its output, exit code and how long it ran on after "done". */
  async function runScript(
    args: string[],
    onLine: (line: string) => void = () => undefined,
  ): Promise<{ out: string; code: number | null; lingered: number }> {
    const child = spawn(process.execPath, ["--import", "tsx", SCRIPT, ...args], { stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    let doneAt = 0;
    child.stdout.on("data", (d: Buffer) => {
      const text = d.toString();
      out += text;
      for (const line of text.split("\n")) if (line) onLine(line);
      if (!doneAt && /^done$/m.test(out)) doneAt = Date.now();
    });
    child.stderr.on("data", (d: Buffer) => (out += d.toString()));
    const code = await new Promise<number | null>((resolve) => {
      const killer = setTimeout(() => child.kill("SIGKILL"), 30_000);
      child.on("exit", (c) => {
        clearTimeout(killer);
        resolve(c);
      });
    });
    assert.ok(doneAt > 0, `the script did not finish its work (exit code ${String(code)}): ${out}`);
    return { out, code, lingered: Date.now() - doneAt };
  }

  test("a script that never calls close() exits once its work is done; a waiting loop keeps it alive", {
    timeout: 60_000,
  }, async () => {
    const cluster = await startTestCluster();
    try {
      const conn = await cluster.connect();
      const db = uniqueName("noclose");
      await conn.getAdmin().createDatabase(db);
      await createTestTable(conn, db, "t");
      const empty = await createTestTable(conn, db, "empty");

      // both scripts at once (each pays tsx's start-up): the first reads and writes, the
      // second waits in `for await` with nothing else to do and must not exit before the
      // record it waits for is written
      const writer = await empty.newAppendWriter();
      const [done, waited] = await Promise.all([
        runScript([cluster.bootstrapServers, db, "t"]),
        runScript([cluster.bootstrapServers, db, "empty", "wait"], (line) => {
          if (line === "waiting") setTimeout(() => void writer.append({ id: 7, name: "x", amount: 1n }).wait(), 1_500);
        }),
      ]);
      assert.equal(done.code, 0, `exit code ${String(done.code)}: ${done.out}`);
      assert.ok(done.lingered < 3_000, `the script lingered ${done.lingered} ms after its work was done`);
      assert.match(done.out, /record 1\nrest 1\nrows 2\ndone/);
      assert.equal(waited.code, 0, `exit code ${String(waited.code)}: ${waited.out}`);
      assert.match(waited.out, /waiting\ngot 7\ndone/);
      assert.ok(waited.lingered < 3_000, `the script lingered ${waited.lingered} ms after its work was done`);
      await conn.close();
    } finally {
      await cluster.close();
    }
  });
});
