/**
 * How the RPC server receives requests: straight into frame buffers (recycled for
 * transient-body api keys) or through `data` events; both must deliver the same bytes, and a
 * recycled buffer must never change under a handler that is still running.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import * as net from "node:net";
import { crc32c } from "../../src/record/crc32c.js";
import { encodeRequestFrame, FrameDecoder, parseResponseFrame } from "../../src/rpc/frame.js";
import { RpcServer } from "../../src/server/rpc-server.js";

const KEY = 0; // any api key: the server only routes by it

/** Answers the CRC of the body, taken before and after an async pause: they must agree. */
function checksumHandler(changed: string[]) {
  return async (body: Uint8Array): Promise<Uint8Array> => {
    const before = crc32c(body);
    await new Promise((r) => setTimeout(r, Math.random() * 5));
    const after = crc32c(body);
    if (before !== after) changed.push(`body changed while its handler ran (${before} -> ${after})`);
    const out = new Uint8Array(4);
    new DataView(out.buffer).setUint32(0, before);
    return out;
  };
}

async function exchange(port: number, bodies: Uint8Array[]): Promise<Map<number, number>> {
  const sock = net.connect({ host: "127.0.0.1", port });
  await new Promise<void>((resolve, reject) => {
    sock.once("connect", resolve);
    sock.once("error", reject);
  });
  const answers = new Map<number, number>();
  const dec = new FrameDecoder();
  const all = new Promise<void>((resolve) => {
    sock.on("data", (c: Buffer) => {
      for (const f of dec.push(c)) {
        const r = parseResponseFrame(f);
        if (r.type === 2) continue;
        answers.set(r.requestId, new DataView(r.body.buffer, r.body.byteOffset).getUint32(0));
        if (answers.size === bodies.length) resolve();
      }
    });
  });
  bodies.forEach((b, i) => sock.write(encodeRequestFrame(KEY, 0, i, b)));
  await all;
  sock.destroy();
  return answers;
}

for (const directReads of [true, false]) {
  test(`RpcServer (${directReads ? "direct reads" : "data events"}) delivers every request intact, recycled buffers included`, {
    timeout: 60_000,
  }, async () => {
    const changed: string[] = [];
    const server = new RpcServer(new Map([[KEY, checksumHandler(changed)]]), {
      host: "127.0.0.1",
      port: 0,
      directReads,
      transientBodyApiKeys: new Set([KEY]),
      receivePoolBytes: 8 << 20, // small: some requests get pooled buffers, some fresh ones
    });
    const port = await server.listen();
    try {
      let seed = 12345;
      const rand = () => {
        // xorshift32
        seed ^= seed << 13;
        seed ^= seed >>> 17;
        seed ^= seed << 5;
        return seed >>> 0;
      };
      const sizes = [0, 5, 16_000, 17_000, 70_000, 300_000, 1_200_000, 2_500_000];
      const makeBodies = () =>
        Array.from({ length: 40 }, () => {
          const b = new Uint8Array(sizes[rand() % sizes.length]!);
          for (let i = 0; i < b.length; i += 64) b[i] = rand() & 0xff;
          return b;
        });
      const batches = [makeBodies(), makeBodies(), makeBodies()];
      const results = await Promise.all(batches.map((bodies) => exchange(port, bodies)));
      results.forEach((answers, c) => {
        batches[c]!.forEach((b, i) =>
          assert.equal(answers.get(i), crc32c(b), `connection ${c} request ${i} (${b.length} bytes)`),
        );
      });
      assert.deepEqual(changed, []);
    } finally {
      await server.close();
    }
  });
}
