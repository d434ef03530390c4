/**
 * Load: 50 connections write, scan and look up at once for a bounded time against the
 * embedded cluster, each side in its own process. The server's memory stays bounded and
 * comes back down; its sockets are released once the clients close; the client process
 * leaks no sockets, file descriptors or timers and exits on its own right after close().
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { fork, spawn } from "node:child_process";
import { fileURLToPath } from "node:url";

const SERVER = fileURLToPath(new URL("../fixtures/load-server.ts", import.meta.url));
const CLIENT = fileURLToPath(new URL("../fixtures/load-client.ts", import.meta.url));
const CONNECTIONS = 50;
const RUN_MS = Number(process.env.LOAD_MS ?? 3000);
const MiB = 1 << 20;

interface Stats {
  rss: number;
  heapUsed: number;
  external: number;
  arrayBuffers: number;
  sockets: number;
}

test(`load: ${CONNECTIONS} connections writing, scanning and looking up at once`, { timeout: 90_000 }, async () => {
  const server = fork(SERVER, [], {
    execArgv: ["--import", "tsx", "--expose-gc"],
    stdio: ["ignore", "inherit", "inherit", "ipc"],
  });
  const serverExited = new Promise<void>((resolve) => server.once("exit", () => resolve()));
  const replies: ((m: unknown) => void)[] = [];
  server.on("message", (m) => replies.shift()?.(m));
  const next = <T>(): Promise<T> => new Promise<T>((resolve) => replies.push(resolve as (m: unknown) => void));
  const stats = async (gc = false): Promise<Stats> => {
    const reply = next<Stats>();
    server.send(gc ? "stats-gc" : "stats");
    return reply;
  };
  try {
    const { port } = await next<{ port: number }>();
    const idle = await stats(true);

    // sample the server while the clients run
    const samples: Stats[] = [];
    let sampling = true;
    const sampler = (async () => {
      while (sampling) {
        samples.push(await stats());
        await new Promise((r) => setTimeout(r, 250));
      }
    })();

    const client = spawn(
      process.execPath,
      ["--import", "tsx", CLIENT, `127.0.0.1:${port}`, String(CONNECTIONS), String(RUN_MS)],
      { stdio: ["ignore", "pipe", "pipe"] },
    );
    let out = "";
    let resultAt = 0;
    client.stdout.on("data", (d: Buffer) => {
      out += d.toString();
      if (!resultAt && /^result /m.test(out)) resultAt = Date.now();
    });
    client.stderr.on("data", (d: Buffer) => (out += d.toString()));
    const code = await new Promise<number | null>((resolve) => {
      const killer = setTimeout(() => client.kill("SIGKILL"), 60_000);
      client.once("exit", (c) => {
        clearTimeout(killer);
        resolve(c);
      });
    });
    const exitedAt = Date.now();
    sampling = false;
    await sampler;

    assert.equal(code, 0, out);
    const m = /^result (.*)$/m.exec(out);
    assert.ok(m, out);
    const r = JSON.parse(m[1]!) as {
      elapsed: number;
      setupMs: number;
      totals: { appended: number; upserted: number; scanned: number; lookedUp: number; found: number };
      fdsBefore: Record<string, number>;
      fdsAfter: Record<string, number>;
      resourcesBefore: string[];
      resourcesAfter: string[];
    };
    if (process.env.LOAD_DEBUG) console.log(JSON.stringify({ ...r, idle, samples: samples.map((s) => Math.round(s.rss / MiB)) }));
    // it did real work on every front
    assert.ok(r.totals.appended >= CONNECTIONS * 50, `appended ${r.totals.appended}`);
    assert.ok(r.totals.upserted >= CONNECTIONS * 50, `upserted ${r.totals.upserted}`);
    assert.ok(r.totals.scanned > 0 && r.totals.lookedUp > 0 && r.totals.found > 0, JSON.stringify(r.totals));
    // no sockets, descriptors or ref'd handles left in the client; it exits right away
    assert.deepEqual(r.fdsAfter, r.fdsBefore, "client file descriptors after close() equal those before");
    assert.deepEqual(r.resourcesAfter, r.resourcesBefore, "client resources keeping the loop alive after close()");
    assert.ok(exitedAt - resultAt < 1500, `the client process lingered ${exitedAt - resultAt} ms after close()`);

    // server: bounded while loaded, back near idle after, every connection's socket released
    const peak = Math.max(...samples.map((s) => s.rss));
    assert.ok(
      peak < idle.rss + 512 * MiB,
      `server RSS peaked at ${Math.round(peak / MiB)} MiB (idle ${Math.round(idle.rss / MiB)} MiB)`,
    );
    let after = await stats(true);
    for (let i = 0; i < 20 && after.sockets > idle.sockets; i++) {
      await new Promise((r) => setTimeout(r, 100));
      after = await stats(true);
    }
    assert.equal(after.sockets, idle.sockets, "server sockets back to idle (the listener) once the clients are gone");
    assert.ok(
      after.heapUsed < idle.heapUsed + 64 * MiB,
      `server heap after the load ${Math.round(after.heapUsed / MiB)} MiB (idle ${Math.round(idle.heapUsed / MiB)} MiB)`,
    );
    assert.ok(
      after.arrayBuffers < idle.arrayBuffers + 160 * MiB,
      `server array buffers after the load ${Math.round(after.arrayBuffers / MiB)} MiB`,
    );
  } finally {
    server.send("close");
    await serverExited;
  }
});
