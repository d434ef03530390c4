import { test } from "node:test";
import assert from "node:assert/strict";
import * as arrow from "apache-arrow";
import { crc32c } from "../../src/record/crc32c.js";
import { LogBatchView, assembleLogBatch } from "../../src/record/log-batch.js";
import { LogBatchParts } from "../../src/record/log-batch-parts.js";
import { encodeArrowRecordBatchParts } from "../../src/record/arrow/arrow-writer.js";
import { concatMessageParts, parseRecordBatchMessage } from "../../src/record/arrow/ipc-message.js";
import { decodeArrowRecordBatch } from "../../src/record/arrow/arrow-reader.js";
import { DataTypes } from "../../src/metadata/data-types.js";
import { toArrowSchema } from "../../src/metadata/arrow-types.js";

function bytes(n: number, seed: number): Uint8Array {
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) out[i] = (i * 31 + seed * 7) & 0xff;
  return out;
}

const same = (a: Uint8Array, b: Uint8Array): void => assert.ok(Buffer.from(a).equals(Buffer.from(b)), "bytes differ");

test("crc32c chains over parts: equal to the CRC of the concatenation", () => {
  const whole = bytes(100_003, 1);
  for (const cuts of [[0], [1], [7, 8, 9], [4096, 65536, 99_999], [100_003]]) {
    let crc = 0;
    let start = 0;
    for (const end of [...cuts, whole.length]) {
      crc = crc32c(whole.subarray(start, end), 0, end - start, crc);
      start = end;
    }
    assert.equal(crc, crc32c(whole), `cuts ${cuts.join(",")}`);
  }
});

test("assembled parts: same bytes and CRC as the contiguous assembleLogBatch", () => {
  const body = [bytes(13, 2), new Uint8Array(0), bytes(70_000, 3), bytes(1, 4)];
  const fields = { schemaId: 3, appendOnly: true, writerId: 2 ** 40 + 5, batchSequence: 17, recordCount: 9 };
  const parts = LogBatchParts.assemble(fields, body);
  assert.equal(parts.parts.length, 4, "empty parts are dropped, header in front");
  assert.equal(parts.sizeInBytes, 48 + 13 + 70_000 + 1);
  // the body is referenced, not copied
  assert.equal(parts.parts[2], body[2]);
  const contiguous = assembleLogBatch(fields, body);
  same(parts.toBytes(), contiguous);
  assert.equal(parts.computeCrc(), new LogBatchView(contiguous).crc);
  assert.ok(new LogBatchView(parts.toBytes()).isValid());
});

test("stamp rewrites writer id and sequence in the header only, with a fresh CRC", () => {
  const body = [bytes(500, 5), bytes(300, 6)];
  const parts = LogBatchParts.assemble({ schemaId: 1, appendOnly: true, recordCount: 2 }, body);
  const before = parts.parts.map((p) => Uint8Array.from(p));
  assert.equal(parts.stamp(-1, -1), false, "unchanged values leave the batch alone");
  assert.equal(parts.stamp(123, 4), true);
  const view = new LogBatchView(parts.toBytes());
  assert.equal(view.writerId, 123);
  assert.equal(view.batchSequence, 4);
  assert.ok(view.isValid());
  same(
    parts.toBytes(),
    assembleLogBatch({ schemaId: 1, appendOnly: true, recordCount: 2, writerId: 123, batchSequence: 4 }, body),
  );
  for (let i = 1; i < before.length; i++) assert.equal(parts.parts[i], body[i - 1], "body parts are not copied");
  same(parts.parts[0]!.subarray(0, 21), before[0]!.subarray(0, 21));
  assert.equal(parts.stamp(123, 4), false);
});

test("ofBytes wraps a contiguous batch without copying; re-stamping copies only the header", () => {
  const batch = assembleLogBatch({ schemaId: 1, appendOnly: true, recordCount: 1 }, [bytes(64, 7)]);
  const parts = LogBatchParts.ofBytes(batch);
  assert.equal(parts.toBytes(), batch);
  assert.equal(parts.stamp(9, 0), true);
  assert.equal(parts.parts.length, 2);
  assert.equal(parts.parts[0]!.length, 48);
  assert.equal(parts.parts[1]!.buffer, batch.buffer, "the body is still the original bytes");
  const restamped = new LogBatchView(parts.toBytes());
  assert.equal(restamped.writerId, 9);
  assert.ok(restamped.isValid());
  // what was handed out before (e.g. a frame still queued in the socket) is unchanged
  assert.equal(new LogBatchView(batch).writerId, -1);
  assert.ok(new LogBatchView(batch).isValid());
  assert.throws(() => LogBatchParts.ofBytes(new Uint8Array(20)), RangeError);
});

test("Arrow message parts: a valid message, 8-aligned, user buffers referenced", () => {
  const rt = DataTypes.ROW([
    { name: "id", type: DataTypes.BIGINT() },
    { name: "name", type: DataTypes.STRING() },
    { name: "ok", type: DataTypes.BOOLEAN() },
  ]);
  const ids = new BigInt64Array([1n, 2n, 3n]);
  const batch = new arrow.Table({
    id: arrow.makeVector(ids),
    name: arrow.vectorFromArray(["a", null, "ccc"], new arrow.Utf8()),
    ok: arrow.vectorFromArray([true, false, true], new arrow.Bool()),
  }).batches[0]!;
  for (const compression of [{ type: "NONE" }, { type: "ZSTD", level: 3 }, { type: "LZ4_FRAME" }] as const) {
    const message = encodeArrowRecordBatchParts(batch, rt, compression);
    assert.ok(message.parts.every((p) => p.length > 0));
    let pos = 0;
    for (const p of message.parts) {
      if (p.length >= 8) assert.equal(pos % 8, 0, "buffers start 8-aligned");
      pos += p.length;
    }
    assert.equal(pos, message.byteLength);
    const bytes = concatMessageParts(message);
    assert.equal(parseRecordBatchMessage(bytes).messageLength, bytes.length);
    const back = decodeArrowRecordBatch(bytes, toArrowSchema(rt));
    assert.deepEqual(
      back.toArray().map((r) => [r.id, r.name, r.ok]),
      [
        [1n, "a", true],
        [2n, null, false],
        [3n, "ccc", true],
      ],
    );
    if (compression.type === "NONE") {
      assert.ok(
        message.parts.some((p) => p.buffer === ids.buffer),
        "the id column is sent from the caller's buffer",
      );
    }
  }
});
