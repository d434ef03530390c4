/**
 * Bootstrap tries every address before failing (issue 11): a port that does not speak
 * Fluss, one that never answers, or a server that refuses, is not the end of the list.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import net from "node:net";
import { Config, FlussConnection, FlussError, LocalCluster } from "../../src/index.js";

/** A listener that answers every connection with `reply` (or nothing) and keeps it open. */
async function listener(reply?: Buffer): Promise<{ address: string; close: () => Promise<void> }> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((s) => {
    sockets.add(s);
    s.on("error", () => undefined);
    s.on("close", () => sockets.delete(s));
    if (reply) s.once("data", () => s.write(reply));
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

test("a non-Fluss port and a hung port ahead of a live server in bootstrap.servers: connect() reaches the live one", {
  timeout: 20_000,
}, async () => {
  const http = await listener(Buffer.from("HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n"));
  const hung = await listener();
  const cluster = await LocalCluster.start();
  try {
    const started = Date.now();
    const conn = await FlussConnection.connect(
      new Config({
        "bootstrap.servers": `${http.address},${hung.address},${cluster.bootstrapServers}`,
        "connect.timeout.ms": 6_000,
      }),
    );
    try {
      assert.ok(Date.now() - started < 6_000);
      assert.ok((await conn.getAdmin().listDatabases()).includes("fluss"));
    } finally {
      await conn.close();
    }
  } finally {
    await cluster.close();
    await http.close();
    await hung.close();
  }
});

test("when no address works, the error names each address and its failure", { timeout: 20_000 }, async () => {
  const http = await listener(Buffer.from("HTTP/1.1 400 Bad Request\r\n\r\n"));
  const hung = await listener();
  try {
    const err = await FlussConnection.connect(
      new Config({ "bootstrap.servers": `${http.address},${hung.address}`, "connect.timeout.ms": 2_000 }),
    ).then(
      () => assert.fail("connected"),
      (e: unknown) => e,
    );
    assert.ok(err instanceof FlussError, String(err));
    assert.ok(err.message.includes(`${http.address}: `), err.message);
    assert.ok(err.message.includes(`${hung.address}: `), err.message);
  } finally {
    await http.close();
    await hung.close();
  }
});
