/**
 * `connect.timeout.ms` bounds the whole of `FlussConnection.connect` (issue 9): against a
 * server that accepts connections and never answers, connect fails within that bound
 * (not after four request timeouts) with an error naming the address and the option.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import net from "node:net";
import { Config, ErrorCode, FlussConnection, FlussError } from "../../src/index.js";

/** A listener that accepts every connection and never writes a byte. */
async function silentListener(): Promise<{ address: string; close: () => Promise<void> }> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((s) => {
    sockets.add(s);
    s.on("error", () => undefined);
    s.on("close", () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as net.AddressInfo).port;
  return {
    address: `127.0.0.1:${port}`,
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

test("connect() against a hung server fails within connect.timeout.ms", { timeout: 10_000 }, async () => {
  const hung = await silentListener();
  try {
    const started = Date.now();
    const err = await FlussConnection.connect(
      new Config({ "bootstrap.servers": hung.address, "connect.timeout.ms": 700, "request.timeout.ms": 30_000 }),
    ).then(
      () => assert.fail("connected to a server that never answers"),
      (e: unknown) => e,
    );
    const elapsed = Date.now() - started;
    assert.ok(err instanceof FlussError, String(err));
    assert.equal(err.code, ErrorCode.REQUEST_TIME_OUT, err.message);
    assert.ok(err.message.includes(hung.address), err.message);
    assert.match(err.message, /connect\.timeout\.ms = 700 ms/);
    assert.ok(elapsed >= 600 && elapsed < 2_500, `failed after ${elapsed} ms`);
  } finally {
    await hung.close();
  }
});

test("connect() to a closed port gives up within connect.timeout.ms too", { timeout: 10_000 }, async () => {
  const gone = await silentListener();
  await gone.close();
  const started = Date.now();
  const err = await FlussConnection.connect(new Config({ "bootstrap.servers": gone.address, "connect.timeout.ms": 250 })).then(
    () => assert.fail("connected to a closed port"),
    (e: unknown) => e,
  );
  assert.ok(err instanceof FlussError, String(err));
  assert.equal(err.code, ErrorCode.NETWORK_EXCEPTION, err.message);
  assert.ok(err.message.includes(gone.address), err.message);
  assert.ok(Date.now() - started < 1_000, `failed after ${Date.now() - started} ms`);
});
