import { test } from "node:test";
import assert from "node:assert/strict";
import { goldenVectors } from "./helpers/golden.js";
import { DataTypes } from "../../src/metadata/data-types.js";
import { CompactedRowEncoder } from "../../src/row/compacted-row.js";
import { fromHex, toHex, utf8Encode } from "../../src/util/bytes.js";
import { KvBatchView, KvRecordBatchBuilder, buildKvRecordBatch, iterateKvRecords } from "../../src/record/kv-batch.js";

const vectors = [...goldenVectors("kv-records"), ...goldenVectors("kv-batch")];

test("kv-records golden vector", () => {
  const v = vectors.find((x) => x.kind === "kv-records")!;
  const recs = v.input.records as { keyAscii: string; value: { values: { hex: string }[] } | null }[];
  const enc = new CompactedRowEncoder([DataTypes.BYTES()]);
  const b = new KvRecordBatchBuilder(1);
  for (const r of recs) b.append(utf8Encode(r.keyAscii), r.value ? enc.encode([fromHex(r.value.values[0]!.hex)]) : null);
  const batch = b.build();
  assert.equal(toHex(batch.subarray(28)), v.expected);
});

test("kv-batch-rust-test golden vector", () => {
  const v = vectors.find((x) => x.id === "kv-batch-rust-test")!;
  const i = v.input;
  const records = (i.records as { keyAscii: string; valueRowHex?: string }[]).map((r) => ({
    key: utf8Encode(r.keyAscii),
    value: r.valueRowHex ? fromHex(r.valueRowHex) : null,
  }));
  const bytes = buildKvRecordBatch({
    schemaId: i.schemaId as number,
    writerId: i.writerId as number,
    batchSequence: i.batchSequence as number,
    records,
  });
  assert.equal(toHex(bytes), v.expected);
  const view = new KvBatchView(bytes);
  assert.ok(view.isValid());
  assert.equal(view.schemaId, 42);
  assert.equal(view.writerId, 100);
  assert.equal(view.batchSequence, 5);
  assert.equal(view.recordCount, 2);
  const back = [...view.records()];
  assert.deepEqual(
    back.map((r) => [toHex(r.key), r.value && toHex(r.value)]),
    [
      [toHex(utf8Encode("key1")), "00050102030405"],
      [toHex(utf8Encode("key2")), null],
    ],
  );
});

test("kv-batch-upsert-delete golden vector (compacted row written in place)", () => {
  const v = vectors.find((x) => x.id === "kv-batch-upsert-delete")!;
  const enc = new CompactedRowEncoder([DataTypes.INT(), DataTypes.STRING()]);
  const b = new KvRecordBatchBuilder(1);
  // CompactedKeyEncoder of INT 1 / INT 2 is the single varint byte
  b.appendWith(new Uint8Array([1]), (w) => enc.encodeInto(w, [1, "a"]));
  b.appendWith(new Uint8Array([2]), null);
  const bytes = b.build(-1, -1);
  assert.equal(toHex(bytes), v.expected);
  const view = new KvBatchView(bytes);
  assert.equal(view.writerId, -1);
  assert.equal(view.batchSequence, -1);
  bytes[bytes.length - 1]! ^= 1;
  assert.equal(new KvBatchView(bytes).isValid(), false);
  assert.throws(() => [...iterateKvRecords(bytes.subarray(0, bytes.length - 1))]);
});
