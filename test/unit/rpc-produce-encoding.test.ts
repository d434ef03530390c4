import { test } from "node:test";
import assert from "node:assert/strict";
import { ProduceLogRequest } from "../../src/rpc/messages.js";
import { type ProduceLogRequestParts, chunksLength, encodeProduceLogRequestChunks } from "../../src/rpc/produce-encoding.js";
import { ProtocolError } from "../../src/rpc/protobuf.js";

function bytes(n: number, seed: number): Uint8Array {
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) out[i] = (i * 13 + seed) & 0xff;
  return out;
}

function concat(parts: readonly Uint8Array[]): Uint8Array {
  return Buffer.concat(parts.map((p) => Buffer.from(p.buffer, p.byteOffset, p.byteLength)));
}

/** The generated codec's bytes for the same request with each bucket's parts concatenated. */
function generated(req: ProduceLogRequestParts): Uint8Array {
  return ProduceLogRequest.encode({
    acks: req.acks,
    tableId: req.tableId,
    timeoutMs: req.timeoutMs,
    bucketsReq: req.bucketsReq.map((b) => ({ ...b, records: concat(b.records) })),
  });
}

const cases: [string, ProduceLogRequestParts][] = [
  ["no buckets", { acks: 1, tableId: 0, timeoutMs: 0, bucketsReq: [] }],
  [
    "acks -1, big ids, several buckets and parts",
    {
      acks: -1,
      tableId: 2 ** 40 + 3,
      timeoutMs: 30_000,
      bucketsReq: [
        { bucketId: 0, records: [bytes(48, 1), bytes(100, 2)] },
        { partitionId: 2 ** 33, bucketId: 7, records: [bytes(48, 3), new Uint8Array(0), bytes(20_000, 4), bytes(3, 5)] },
        { partitionId: 0, bucketId: 2 ** 31 - 1, records: [bytes(200_000, 6)] },
      ],
    },
  ],
  ["empty records", { acks: 0, tableId: 5, timeoutMs: 1, bucketsReq: [{ bucketId: 1, records: [] }] }],
  [
    "length prefix crossing a varint byte",
    {
      acks: 1,
      tableId: 9,
      timeoutMs: 9,
      bucketsReq: [
        { bucketId: 3, records: [bytes(127, 7)] },
        { bucketId: 4, records: [bytes(16_383, 8), bytes(1, 9)] },
      ],
    },
  ],
];

for (const [name, req] of cases) {
  test(`ProduceLog chunks are byte-identical to ProduceLogRequest.encode: ${name}`, () => {
    const chunks = encodeProduceLogRequestChunks(req);
    const expected = generated(req);
    assert.equal(chunksLength(chunks), expected.length);
    assert.ok(Buffer.from(concat(chunks)).equals(Buffer.from(expected)));
    assert.ok(
      chunks.every((c) => c.length > 0),
      "no empty chunks",
    );
    // records parts are referenced, not copied
    for (const b of req.bucketsReq) for (const p of b.records) if (p.length > 0) assert.ok(chunks.includes(p));
    // and the server decodes them back
    const back = ProduceLogRequest.decode(concat(chunks));
    assert.deepEqual(
      back.bucketsReq.map((b) => [b.partitionId, b.bucketId, b.records.length]),
      req.bucketsReq.map((b) => [b.partitionId, b.bucketId, chunksLength(b.records)]),
    );
  });
}

test("ProduceLog chunks reject what the generated codec rejects", () => {
  const ok: ProduceLogRequestParts = { acks: 1, tableId: 1, timeoutMs: 1, bucketsReq: [{ bucketId: 0, records: [bytes(4, 1)] }] };
  const bad: ProduceLogRequestParts[] = [
    { ...ok, acks: 1.5 },
    { ...ok, tableId: 2 ** 60 },
    { ...ok, timeoutMs: undefined as unknown as number },
    { ...ok, bucketsReq: [{ bucketId: undefined as unknown as number, records: [] }] },
    { ...ok, bucketsReq: [{ partitionId: Number.NaN, bucketId: 0, records: [] }] },
    { ...ok, bucketsReq: [{ bucketId: 0, records: ["x" as unknown as Uint8Array] }] },
  ];
  for (const req of bad) assert.throws(() => encodeProduceLogRequestChunks(req), ProtocolError);
  // the generated codec agrees (the last case cannot even be concatenated for it)
  for (const req of bad.slice(0, -1)) assert.throws(() => generated(req), ProtocolError);
});
