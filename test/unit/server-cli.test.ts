/** The `flussjs` command line. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { main, type CliIo } from "../../src/cli/main.js";
import { ApiKey } from "../../src/rpc/api-keys.js";
import { ServerConnection } from "../../src/rpc/server-connection.js";

function captureIo(waitForStop?: (out: () => string) => Promise<string>): CliIo & { stdout: () => string; stderr: () => string } {
  let out = "";
  let err = "";
  return {
    out: (t) => void (out += t),
    err: (t) => void (err += t),
    stdout: () => out,
    stderr: () => err,
    ...(waitForStop ? { waitForStop: () => waitForStop(() => out) } : {}),
  };
}

test("help and unknown commands", async () => {
  const help = captureIo();
  assert.equal(await main(["--help"], help), 0);
  assert.match(help.stdout(), /flussjs local/);
  const bad = captureIo();
  assert.equal(await main(["frobnicate"], bad), 2);
  assert.match(bad.stderr(), /unknown command 'frobnicate'/);
  assert.match(bad.stderr(), /Usage/);
  const badPort = captureIo();
  assert.equal(await main(["local", "--port", "x"], badPort), 2);
  const badServers = captureIo();
  assert.equal(await main(["local", "--tablet-servers", "0"], badServers), 2);
  assert.match(badServers.stderr(), /--tablet-servers must be an integer between 1 and 64/);
  const badFlag = captureIo();
  assert.equal(await main(["local", "--nope"], badFlag), 2);
});

test("flussjs local serves until asked to stop", async () => {
  const io = captureIo(async (out) => {
    const m = /bootstrap\.servers\s+127\.0\.0\.1:(\d+)/.exec(out());
    assert.ok(m, out());
    const conn = await ServerConnection.connect({
      host: "127.0.0.1",
      port: Number(m[1]),
      connectTimeoutMs: 5000,
      requestTimeoutMs: 5000,
    });
    try {
      assert.equal((await conn.request(ApiKey.DATABASE_EXISTS, { databaseName: "fluss" })).exists, true);
    } finally {
      conn.close();
    }
    return "SIGINT";
  });
  assert.equal(await main(["local", "--port", "0"], io), 0);
  assert.match(io.stdout(), /Press Ctrl-C to stop/);
  assert.match(io.stdout(), /Stopped/);
});

test("flussjs local --tablet-servers 3 runs a coordinator and three tablet servers", async () => {
  const io = captureIo(async (out) => {
    const m = /bootstrap\.servers\s+127\.0\.0\.1:(\d+)/.exec(out());
    const t = /tablet servers\s+(.*)/.exec(out());
    assert.ok(m && t, out());
    const listed = t[1]!.trim().split(/\s+/);
    assert.equal(listed.length, 3);
    const conn = await ServerConnection.connect({
      host: "127.0.0.1",
      port: Number(m[1]),
      connectTimeoutMs: 5000,
      requestTimeoutMs: 5000,
    });
    try {
      const meta = await conn.request(ApiKey.GET_METADATA, { tablePath: [], partitionsPath: [], partitionsId: [] });
      assert.deepEqual(
        meta.tabletServers.map((n) => `${n.nodeId}@${n.host}:${n.port}`),
        listed,
      );
    } finally {
      conn.close();
    }
    return "SIGINT";
  });
  assert.equal(await main(["local", "--port", "0", "--tablet-servers", "3"], io), 0);
  assert.match(io.stdout(), /Stopped/);
});
