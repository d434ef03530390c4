/**
 * Receive memory of the RPC server: recycled buffers of connections that close mid-frame go
 * back to the pool, and incomplete frames across all connections stay under a cap (the
 * others wait, unread, and complete once there is room).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import * as net from "node:net";
import { encodeRequestFrame, FrameDecoder, parseResponseFrame } from "../../src/rpc/frame.js";
import { RpcServer } from "../../src/server/rpc-server.js";

const KEY = 0;
const MiB = 1024 * 1024;

async function connect(port: number): Promise<net.Socket> {
  const sock = net.connect({ host: "127.0.0.1", port });
  await new Promise<void>((resolve, reject) => {
    sock.once("connect", resolve);
    sock.once("error", reject);
  });
  return sock;
}

function frameOf(requestId: number, bodyBytes: number): Uint8Array {
  const body = new Uint8Array(bodyBytes);
  for (let i = 0; i < body.length; i += 4096) body[i] = (i / 4096 + requestId) & 0xff;
  return encodeRequestFrame(KEY, 0, requestId, body);
}

const sizeHandler = (body: Uint8Array): Uint8Array => {
  const out = new Uint8Array(4);
  new DataView(out.buffer).setUint32(0, body.length);
  return out;
};

async function until(cond: () => boolean, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error("condition not reached in time");
    await new Promise((r) => setTimeout(r, 10));
  }
}

for (const directReads of [true, false]) {
  test(`abandoned frames give their recycled buffers back (${directReads ? "direct reads" : "data events"})`, {
    timeout: 30_000,
  }, async () => {
    const server = new RpcServer(new Map([[KEY, sizeHandler]]), {
      host: "127.0.0.1",
      port: 0,
      directReads,
      transientBodyApiKeys: new Set([KEY]),
      receivePoolBytes: 16 * MiB,
    });
    const port = await server.listen();
    try {
      for (let round = 0; round < 3; round++) {
        const socks = await Promise.all([0, 1, 2, 3].map(() => connect(port)));
        for (const [i, s] of socks.entries()) s.write(frameOf(i, 3 * MiB).subarray(0, 2 * MiB));
        if (directReads) await until(() => server.receivePoolLentBytes === 4 * 4 * MiB);
        else await new Promise((r) => setTimeout(r, 200));
        for (const s of socks) s.destroy();
        await until(() => server.connectionCount === 0);
        assert.equal(server.receivePoolLentBytes, 0);
      }
      // the pool still serves whole requests
      const s = await connect(port);
      const dec = new FrameDecoder();
      const answer = new Promise<number>((resolve) =>
        s.on("data", (c: Buffer) => {
          for (const f of dec.push(c)) {
            const r = parseResponseFrame(f);
            if (r.type === 0) resolve(new DataView(r.body.buffer, r.body.byteOffset).getUint32(0));
          }
        }),
      );
      s.write(frameOf(9, 3 * MiB));
      assert.equal(await answer, 3 * MiB);
      s.destroy();
    } finally {
      await server.close();
    }
  });
}

test("incomplete frames across connections stay under the cap; waiting ones complete later", { timeout: 30_000 }, async () => {
  const server = new RpcServer(new Map([[KEY, sizeHandler]]), {
    host: "127.0.0.1",
    port: 0,
    maxIncompleteFrameBytes: 8 * MiB,
  });
  const port = await server.listen();
  try {
    const n = 8;
    const frames = Array.from({ length: n }, (_, i) => frameOf(i, 4 * MiB));
    const socks = await Promise.all(frames.map(() => connect(port)));
    const answers = socks.map((s) => {
      const dec = new FrameDecoder();
      return new Promise<number>((resolve) =>
        s.on("data", (c: Buffer) => {
          for (const f of dec.push(c)) {
            const r = parseResponseFrame(f);
            if (r.type === 0) resolve(new DataView(r.body.buffer, r.body.byteOffset).getUint32(0));
          }
        }),
      );
    });
    // every connection sends 3 of its 4 MiB and holds: 24 MiB announced, 8 MiB allowed
    let peak = 0;
    const sampler = setInterval(() => (peak = Math.max(peak, server.incompleteFrameBytes)), 2);
    for (const [i, s] of socks.entries()) s.write(frames[i]!.subarray(0, 3 * MiB));
    await new Promise((r) => setTimeout(r, 500));
    peak = Math.max(peak, server.incompleteFrameBytes);
    assert.ok(peak <= 8 * MiB, `peak ${peak}`);
    assert.ok(server.incompleteFrameBytes > 0);
    // the rest arrives: everyone is served, in turn
    for (const [i, s] of socks.entries()) s.write(frames[i]!.subarray(3 * MiB));
    assert.deepEqual(
      await Promise.all(answers),
      frames.map(() => 4 * MiB),
    );
    clearInterval(sampler);
    assert.ok(peak <= 8 * MiB, `peak ${peak}`);
    assert.equal(server.incompleteFrameBytes, 0);
    // held and abandoned: the budget comes back
    const more = await Promise.all([0, 1, 2].map(() => connect(port)));
    for (const s of more) s.write(frameOf(0, 4 * MiB).subarray(0, 3 * MiB));
    await until(() => server.incompleteFrameBytes > 0);
    for (const s of more) s.destroy();
    for (const s of socks) s.destroy();
    await until(() => server.connectionCount === 0);
    assert.equal(server.incompleteFrameBytes, 0);
  } finally {
    await server.close();
  }
});
