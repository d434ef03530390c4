import { test } from "node:test";
import assert from "node:assert/strict";
import { FetchLogResponse } from "../../src/rpc/messages.js";

const bytes = (n: number, seed: number) => Uint8Array.from({ length: n }, (_, i) => (i * 31 + seed) & 0xff);

test("encodeParts: the chunks are exactly encode(), large bytes values uncopied", () => {
  const big1 = bytes(40_000, 1);
  const big2 = bytes(20_000, 2);
  const small = bytes(100, 3);
  const msg = {
    tablesResp: [
      {
        tableId: 7,
        bucketsResp: [
          { bucketId: 0, highWatermark: 10, logStartOffset: 0, records: big1 },
          { bucketId: 1, highWatermark: 3, records: small },
          { bucketId: 2, errorCode: 5, errorMessage: "no" },
          { bucketId: 3, highWatermark: 99, records: big2 },
        ],
      },
    ],
  };
  for (const min of [16_384, 30_000, 1 << 20]) {
    const partBytes = (big1.length >= min ? big1.length : 0) + (big2.length >= min ? big2.length : 0);
    const chunks = FetchLogResponse.encodeParts(msg, min, partBytes);
    assert.deepEqual(Buffer.concat(chunks), Buffer.from(FetchLogResponse.encode(msg)));
    assert.equal(chunks.includes(big1), big1.length >= min, "the large value is a chunk itself");
    assert.equal(chunks.includes(big2), big2.length >= min);
    assert.ok(chunks.every((c) => c.length > 0));
  }
  // a message without large values is one chunk
  assert.equal(FetchLogResponse.encodeParts({ tablesResp: [] }, 16_384, 0).length, 0);
  assert.deepEqual(
    Buffer.concat(FetchLogResponse.encodeParts({ tablesResp: [{ tableId: 1, bucketsResp: [] }] }, 16_384, 0)),
    Buffer.from(FetchLogResponse.encode({ tablesResp: [{ tableId: 1, bucketsResp: [] }] })),
  );
  // a wrong partBytes is caught
  assert.throws(() => FetchLogResponse.encodeParts(msg, 16_384, 0));
});
