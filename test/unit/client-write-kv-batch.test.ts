import { test } from "node:test";
import assert from "node:assert/strict";
import { goldenVectors } from "./helpers/golden.js";
import { DataTypes } from "../../src/metadata/data-types.js";
import { KV_RECORD_BATCH_HEADER_SIZE, KvBatchView } from "../../src/record/kv-batch.js";
import { fromHex, toHex, utf8Encode } from "../../src/util/bytes.js";
import { KvBatchContext, KvWriteBatch } from "../../src/client/write/kv-write-batch.js";
import { ErrorCode, FlussError } from "../../src/rpc/errors.js";
import { PutKvRequest } from "../../src/rpc/messages.js";
import { putKvProtocol } from "../../src/client/write/write-protocol.js";
import type { BatchTarget } from "../../src/client/write/write-batch.js";
import type { KvWriteRecord, TargetColumns } from "../../src/client/write/write-record.js";

const target: BatchTarget = { tableId: 1, partitionId: undefined, bucketId: 0, displayName: "db.t" };

test("KvWriteBatch writes the kv-batch golden vector (upsert + delete), and re-stamps writer id and sequence", () => {
  const v = goldenVectors("kv-batch").find((x) => x.id === "kv-batch-rust-test")!;
  const i = v.input;
  const recs = i.records as { keyAscii: string; valueRowHex?: string }[];
  // the vector's value rows are CompactedRows of one BYTES column: decode them back to values
  const ctx = new KvBatchContext([DataTypes.BYTES()], "COMPACTED", i.schemaId as number, 1 << 20);
  const batch = new KvWriteBatch(target, 0, ctx, undefined);
  for (const r of recs) {
    let values: unknown[] | null = null;
    if (r.valueRowHex) {
      const row = fromHex(r.valueRowHex);
      // CompactedRow of one non-null BYTES: 1 null-bit byte, varint length, bytes
      values = [row.subarray(2, 2 + row[1]!)];
    }
    assert.ok(batch.tryAppend({ key: utf8Encode(r.keyAscii), values, targetColumns: undefined }));
  }
  batch.writerId = i.writerId as number;
  batch.batchSequence = i.batchSequence as number;
  const built = batch.serializeParts();
  assert.equal(toHex(built.toBytes()), v.expected);

  // a retry under another writer id: the header (and CRC) change, the records do not
  assert.ok(built.stamp(7, 3));
  const view = new KvBatchView(built.toBytes());
  assert.ok(view.isValid());
  assert.equal(view.writerId, 7);
  assert.equal(view.batchSequence, 3);
  assert.deepEqual(
    [...view.records()].map((r) => [Buffer.from(r.key).toString(), r.value === null]),
    recs.map((r) => [r.keyAscii, !r.valueRowHex]),
  );
  assert.equal(built.stamp(7, 3), false);
});

test("a KvWriteBatch holds one target-column set and closes before it would cross its size", () => {
  const ctx = new KvBatchContext([DataTypes.INT(), DataTypes.STRING()], "INDEXED", 1, 200);
  const partial: TargetColumns = { indexes: [0], key: "0" };
  const rec = (k: number, t?: TargetColumns): KvWriteRecord => ({
    key: new Uint8Array([k]),
    values: [k, t ? null : "x".repeat(20)],
    targetColumns: t,
  });
  const full = new KvWriteBatch(target, 0, ctx, undefined);
  assert.ok(full.tryAppend(rec(1)));
  assert.equal(full.tryAppend(rec(2, partial)), false, "another target-column set does not go in");
  assert.ok(full.closed);
  const p = new KvWriteBatch(target, 0, ctx, partial);
  let n = 0;
  while (p.tryAppend(rec(n, { indexes: [0], key: "0" }))) n++;
  // Java KvRecordBatchBuilder.hasRoomFor: the record that would cross 200 bytes is left out
  const size = p.estimatedSizeInBytes();
  const recordSize = (size - KV_RECORD_BATCH_HEADER_SIZE) / n;
  assert.ok(n > 1 && size <= 200 && size + recordSize > 200, `${n} records, ${size} bytes`);
  const view = new KvBatchView(p.serializeParts().toBytes());
  assert.ok(view.isValid());
  assert.equal(view.recordCount, n);
});

test("an encoder failure drops the record whole; the batch stays valid", () => {
  const ctx = new KvBatchContext([DataTypes.BIGINT()], "COMPACTED", 1, 1 << 20);
  const b = new KvWriteBatch(target, 0, ctx, undefined);
  assert.ok(b.tryAppend({ key: new Uint8Array([1]), values: [1n], targetColumns: undefined }));
  // values are validated before they get here; an encoder failure must still not corrupt the batch
  assert.throws(() => b.tryAppend({ key: new Uint8Array([2]), values: ["not a bigint"], targetColumns: undefined }));
  assert.ok(b.tryAppend({ key: new Uint8Array([3]), values: null, targetColumns: undefined }));
  const view = new KvBatchView(b.serializeParts().toBytes());
  assert.ok(view.isValid());
  assert.deepEqual(
    [...view.records()].map((r) => [r.key[0], r.value === null]),
    [
      [1, false],
      [3, true],
    ],
  );
});

test("a KV batch's buffer is reused only after the batch is acknowledged, never while it may be sent", () => {
  const ctx = new KvBatchContext([DataTypes.BIGINT()], "COMPACTED", 1, 1024);
  const rec = (k: number): KvWriteRecord => ({ key: new Uint8Array([k]), values: [BigInt(k)], targetColumns: undefined });
  const a = new KvWriteBatch(target, 0, ctx, undefined);
  a.tryAppend(rec(1));
  const sentA = a.serializeParts().toBytes();
  const before = toHex(sentA);
  // built and in flight: a new batch must get another buffer
  const b = new KvWriteBatch(target, 0, ctx, undefined);
  for (let k = 2; k < 40; k++) b.tryAppend(rec(k));
  const sentB = b.serializeParts().toBytes();
  assert.equal(toHex(sentA), before, "a batch in flight keeps its bytes");
  assert.notEqual(sentB.buffer, sentA.buffer);
  // a failed batch's buffer is not reused either (a closed connection may still have held it)
  b.fail(new FlussError(ErrorCode.NETWORK_EXCEPTION, "gone"));
  a.succeed(0);
  const c = new KvWriteBatch(target, 0, ctx, undefined);
  c.tryAppend(rec(9));
  assert.equal(c.serializeParts().toBytes().buffer, sentA.buffer, "the acknowledged batch's buffer is reused");
  const d = new KvWriteBatch(target, 0, ctx, undefined);
  d.tryAppend(rec(10));
  assert.notEqual(d.serializeParts().toBytes().buffer, sentB.buffer);
});

test("a PutKv request carries large KV batches uncopied, byte-identical to the plain encoding", () => {
  const ctx = new KvBatchContext([DataTypes.BIGINT(), DataTypes.STRING()], "COMPACTED", 1, 1 << 20);
  const big = new KvWriteBatch(target, 0, ctx, undefined);
  for (let k = 0; k < 500; k++)
    big.tryAppend({ key: new Uint8Array([k & 0xff, k >> 8]), values: [BigInt(k), "v".repeat(20)], targetColumns: undefined });
  const small = new KvWriteBatch({ ...target, partitionId: 9, bucketId: 3 }, 0, ctx, undefined);
  small.tryAppend({ key: new Uint8Array([1]), values: [1n, "x"], targetColumns: undefined });
  const entries = [big, small].map((b) => ({
    partitionId: b.target.partitionId,
    bucketId: b.target.bucketId,
    batch: b,
    records: b.serializeParts(),
  }));
  const chunks = putKvProtocol.encode(5, -1, 30_000, entries);
  const bigBytes = entries[0]!.records.toBytes();
  assert.ok(chunks.includes(bigBytes), "the large batch is a chunk of its own (its buffer, not a copy)");
  const plain = PutKvRequest.encode({
    acks: -1,
    tableId: 5,
    timeoutMs: 30_000,
    targetColumns: [],
    bucketsReq: [
      { bucketId: 0, records: bigBytes },
      { partitionId: 9, bucketId: 3, records: entries[1]!.records.toBytes() },
    ],
    aggMode: 0,
  });
  assert.equal(toHex(Buffer.concat(chunks)), toHex(plain));
});
