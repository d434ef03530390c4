import { test } from "node:test";
import assert from "node:assert/strict";
import { fetchLogBodyOffset } from "../../src/rpc/fetch-alignment.js";
import { encodeResponseMessage, FrameDecoder } from "../../src/rpc/frame.js";
import { FetchLogResponse } from "../../src/rpc/messages.js";

/** A fake batch: 48-byte V0 header (magic 0 at 12) then a body. */
function batchBytes(total: number, magic = 0): Uint8Array {
  const b = new Uint8Array(total);
  b[12] = magic;
  return b;
}

function frameOf(records: Uint8Array, partitionId?: number, errorMessage?: string): Uint8Array {
  const resp = {
    tablesResp: [
      {
        tableId: 123456,
        bucketsResp: [
          {
            ...(partitionId !== undefined ? { partitionId } : {}),
            bucketId: 3,
            ...(errorMessage !== undefined ? { errorMessage } : {}),
            highWatermark: 987654321,
            logStartOffset: 0,
            records,
          },
        ],
      },
    ],
  };
  return encodeResponseMessage(77, FetchLogResponse, resp).subarray(4); // without the length prefix
}

test("fetchLogBodyOffset finds the first batch's body behind the protobuf around it", () => {
  for (const [pid, msg, magic, header] of [
    [undefined, undefined, 0, 48],
    [5, "x", 0, 48],
    [2 ** 40, undefined, 2, 56],
    [undefined, "abc", 1, 52],
  ] as const) {
    const records = batchBytes(100_000, magic);
    const frame = frameOf(records, pid, msg);
    const start = Buffer.from(frame).indexOf(Buffer.from(records.subarray(0, 64)));
    assert.equal(fetchLogBodyOffset(frame.subarray(0, 4096)), start + header);
    // a head too short to reach the records says nothing
    assert.equal(fetchLogBodyOffset(frame.subarray(0, 10)), -1);
  }
  assert.equal(fetchLogBodyOffset(Uint8Array.of(1, 0, 0, 0, 1)), -1, "an error response");
});

test("FrameDecoder places a large frame so that alignAt's offset is 8-aligned", () => {
  for (const [at, eager] of [
    [0, 1 << 20],
    [3, 1 << 20],
    [13, 20_000],
    [62, 1 << 20],
    [1001, 20_000],
  ] as const) {
    // (a 20 kB eager size makes the buffer grow as the frame arrives)
    const dec = new FrameDecoder({ eagerFrameBytes: eager, alignAt: () => at });
    const body = Uint8Array.from({ length: 50_000 }, (_, i) => i & 0xff);
    const wire = new Uint8Array(4 + body.length);
    new DataView(wire.buffer).setInt32(0, body.length);
    wire.set(body, 4);
    const frames: Uint8Array[] = [];
    for (let off = 0; off < wire.length; ) {
      const into = dec.nextBuffer();
      const n = Math.min(into.length, wire.length - off, 7000);
      into.set(wire.subarray(off, off + n));
      frames.push(...dec.received(n));
      off += n;
    }
    assert.equal(frames.length, 1);
    assert.deepEqual(Buffer.from(frames[0]!), Buffer.from(body));
    assert.equal((frames[0]!.byteOffset + at) % 8, 0);
  }
});
