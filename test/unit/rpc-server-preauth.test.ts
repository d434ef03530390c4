/**
 * The RPC server's cap on frames before authentication (`maxUnauthenticatedFrameBytes`): a
 * listener requiring authentication refuses a larger frame on its length alone (nothing of
 * it reserved or allocated) and reports it; the same frame passes once the connection
 * authenticated, and on a listener without authentication.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import * as net from "node:net";
import { ApiKey } from "../../src/rpc/api-keys.js";
import { ErrorCode } from "../../src/rpc/errors.js";
import * as M from "../../src/rpc/messages.js";
import { encodeRequestFrame, FrameDecoder, parseResponseFrame, ResponseType, type ResponseFrame } from "../../src/rpc/frame.js";
import { RpcServer, type RawHandler } from "../../src/server/rpc-server.js";

const KiB = 1024;
const CAP = 64 * KiB;

const handlers = new Map<number, RawHandler>([
  [
    ApiKey.API_VERSIONS,
    (body) => {
      const out = new Uint8Array(4);
      new DataView(out.buffer).setUint32(0, body.length);
      return out;
    },
  ],
  [
    ApiKey.AUTHENTICATE,
    (_body, ctx) => {
      ctx.session.principal = { name: "alice", type: "User" };
      return new Uint8Array(0);
    },
  ],
]);

/** Sends `frame` (or its first `sendBytes`) and returns the first answer, or undefined when closed without one. */
async function exchange(sock: net.Socket, frame: Uint8Array, sendBytes = frame.length): Promise<ResponseFrame | undefined> {
  const dec = new FrameDecoder();
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error("no answer within 5 s")), 5000);
    const onData = (c: Buffer) => {
      const [f] = dec.push(c);
      if (f) {
        clearTimeout(timer);
        sock.off("data", onData);
        resolve(parseResponseFrame(f));
      }
    };
    sock.on("data", onData);
    sock.once("close", () => {
      clearTimeout(timer);
      resolve(undefined);
    });
    sock.write(frame.subarray(0, sendBytes));
  });
}

async function connect(port: number): Promise<net.Socket> {
  const sock = net.connect({ host: "127.0.0.1", port });
  await new Promise<void>((resolve, reject) => sock.once("connect", resolve).once("error", reject));
  return sock;
}

const big = (id: number) => encodeRequestFrame(ApiKey.API_VERSIONS, 0, id, new Uint8Array(CAP));

for (const directReads of [true, false]) {
  test(`frames over the cap before authentication are refused on their length (${directReads ? "direct reads" : "data events"})`, async () => {
    const reports: string[] = [];
    const server = new RpcServer(handlers, {
      host: "127.0.0.1",
      port: 0,
      directReads,
      requireAuthentication: true,
      maxUnauthenticatedFrameBytes: CAP,
      onBadFrame: (message, host) => reports.push(`${host}: ${message}`),
    });
    const port = await server.listen();
    try {
      let peak = 0;
      const sampler = setInterval(() => (peak = Math.max(peak, server.incompleteFrameBytes)), 1);
      // a frame a few bytes over the cap, only its first 20 KiB sent: answered and closed at once
      const refused = await connect(port);
      const r = await exchange(refused, big(1), 20 * KiB);
      clearInterval(sampler);
      assert.ok(r && r.type === ResponseType.SERVER_FAILURE, JSON.stringify(r));
      const err = M.ErrorResponse.decode(r.body);
      assert.equal(err.errorCode, ErrorCode.CORRUPT_MESSAGE);
      assert.equal(err.errorMessage, `frame of ${CAP + 12} bytes exceeds the maximum of ${CAP} bytes before authentication`);
      assert.equal(peak, 0, "nothing reserved for the refused frame");
      assert.deepEqual(reports, [`127.0.0.1: ${err.errorMessage}`]);
      refused.destroy();

      // frames up to the cap pass; after AUTHENTICATE the big one does too
      const authed = await connect(port);
      const small = await exchange(authed, encodeRequestFrame(ApiKey.API_VERSIONS, 0, 2, new Uint8Array(CAP - 12)));
      assert.equal(small?.type, ResponseType.SUCCESS_RESPONSE);
      assert.equal((await exchange(authed, encodeRequestFrame(ApiKey.AUTHENTICATE, 0, 3, new Uint8Array(0))))?.type, 0);
      const after = await exchange(authed, big(4));
      assert.ok(after && after.type === ResponseType.SUCCESS_RESPONSE);
      assert.equal(new DataView(after.body.buffer, after.body.byteOffset).getUint32(0), CAP);
      authed.destroy();
    } finally {
      await server.close();
    }
  });
}

test("a listener without authentication has no such cap", async () => {
  const server = new RpcServer(handlers, { host: "127.0.0.1", port: 0, maxUnauthenticatedFrameBytes: CAP });
  const port = await server.listen();
  try {
    const sock = await connect(port);
    assert.equal((await exchange(sock, big(1)))?.type, ResponseType.SUCCESS_RESPONSE);
    sock.destroy();
  } finally {
    await server.close();
  }
});
