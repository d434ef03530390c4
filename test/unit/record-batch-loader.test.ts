import { test } from "node:test";
import assert from "node:assert/strict";
import * as arrow from "apache-arrow";
import { DataTypes, notNull, type RowType } from "../../src/metadata/data-types.js";
import { toArrowSchema } from "../../src/metadata/arrow-types.js";
import { Decimal, Timestamp } from "../../src/row/values.js";
import { ErrorCode, FlussError } from "../../src/rpc/errors.js";
import { ArrowBatchBuilder } from "../../src/record/arrow/arrow-writer.js";
import type { ArrowCompression } from "../../src/record/arrow/compression.js";
import { parseRecordBatchMessage } from "../../src/record/arrow/ipc-message.js";
import { loadRecordBatch } from "../../src/record/arrow/record-batch-loader.js";

const TYPES: RowType = DataTypes.ROW([
  { name: "b", type: DataTypes.BOOLEAN() },
  { name: "i8", type: DataTypes.TINYINT() },
  { name: "i16", type: DataTypes.SMALLINT() },
  { name: "i32", type: notNull(DataTypes.INT()) },
  { name: "i64", type: DataTypes.BIGINT() },
  { name: "f32", type: DataTypes.FLOAT() },
  { name: "f64", type: DataTypes.DOUBLE() },
  { name: "dec", type: DataTypes.DECIMAL(38, 4) },
  { name: "s", type: DataTypes.STRING() },
  { name: "bin", type: DataTypes.BINARY(3) },
  { name: "bytes", type: DataTypes.BYTES() },
  { name: "date", type: DataTypes.DATE() },
  { name: "t0", type: DataTypes.TIME(0) },
  { name: "t9", type: DataTypes.TIME(9) },
  { name: "ts0", type: DataTypes.TIMESTAMP(0) },
  { name: "ts3", type: DataTypes.TIMESTAMP(3) },
  { name: "ts6", type: DataTypes.TIMESTAMP(6) },
  { name: "ltz9", type: DataTypes.TIMESTAMP_LTZ(9) },
  { name: "arr", type: DataTypes.ARRAY(DataTypes.BIGINT()) },
  { name: "map", type: DataTypes.MAP(DataTypes.STRING(), DataTypes.DOUBLE()) },
  {
    name: "row",
    type: DataTypes.ROW([
      { name: "x", type: DataTypes.INT() },
      { name: "y", type: DataTypes.ARRAY(DataTypes.STRING()) },
    ]),
  },
]);

function rows(n: number): unknown[][] {
  return Array.from({ length: n }, (_, i) =>
    i % 4 === 3
      ? [
          null,
          null,
          null,
          i,
          null,
          null,
          null,
          null,
          null,
          null,
          null,
          null,
          null,
          null,
          null,
          null,
          null,
          null,
          null,
          null,
          null,
        ]
      : [
          i % 2 === 0,
          i - 50,
          i * 300,
          i,
          BigInt(i) * 2n ** 40n,
          i / 4,
          i * 1.5,
          new Decimal(BigInt(i) * 10n ** 30n, 4),
          `v${i}`.repeat(i % 3),
          new Uint8Array([i, 2, 3]),
          new Uint8Array(i % 4).fill(9),
          new Date(Date.UTC(2000, 0, 1 + i)),
          i * 1000,
          i * 7,
          new Timestamp(1_700_000_000_000 + i * 1000, 0),
          new Timestamp(1_700_000_000_123 + i, 0),
          new Timestamp(1_700_000_000_123, 456_000),
          new Timestamp(-5_000 - i, 999_999),
          [BigInt(i), null, -1n],
          new Map<string, number | null>([
            ["k", i],
            ["n", null],
          ]),
          { x: i, y: ["a", null] },
        ],
  );
}

/** Every value as JSON-comparable data (bigints as strings, typed arrays as arrays). */
function dump(batch: arrow.RecordBatch): unknown {
  return JSON.parse(
    JSON.stringify(new arrow.Table(batch).toArray(), (_k, v: unknown) =>
      typeof v === "bigint" ? String(v) : ArrayBuffer.isView(v) ? Array.from(v as Uint8Array) : v,
    ),
  );
}

function message(compression: ArrowCompression, n = 41): Uint8Array {
  const b = new ArrowBatchBuilder(TYPES, compression);
  for (const r of rows(n)) b.append(r);
  return b.build();
}

/** `bytes` copied to `shift` bytes past an 8-aligned start. */
function at(bytes: Uint8Array, shift: number): Uint8Array {
  const out = new Uint8Array(bytes.length + 8).subarray(shift, shift + bytes.length);
  out.set(bytes);
  return out;
}

for (const compression of [{ type: "NONE" }, { type: "LZ4_FRAME" }, { type: "ZSTD", level: 3 }] as ArrowCompression[]) {
  test(`loader: every type and nulls at every alignment (${compression.type})`, () => {
    const schema = toArrowSchema(TYPES);
    const msg = message(compression);
    const reference = loadRecordBatch(msg, parseRecordBatchMessage(msg), schema);
    assert.equal(reference.copiedBuffers, 0);
    assert.equal(reference.batch.numRows, 41);
    assert.equal(reference.batch.getChild("i64")!.nullCount, 10);
    const expected = dump(reference.batch);
    for (let shift = 1; shift < 8; shift++) {
      const moved = at(msg, shift);
      const loaded = loadRecordBatch(moved, parseRecordBatchMessage(moved), schema);
      assert.deepEqual(dump(loaded.batch), expected, `shift ${shift}`);
      // uncompressed buffers are views where aligned, copies where not
      if (compression.type === "NONE") assert.ok(loaded.copiedBuffers > 0, `shift ${shift}`);
    }
  });
}

test("loader: uncompressed aligned buffers alias the message; shift 4 copies only 8-byte buffers", () => {
  const rt = DataTypes.ROW([
    { name: "id", type: notNull(DataTypes.BIGINT()) },
    { name: "n", type: notNull(DataTypes.INT()) },
    { name: "s", type: notNull(DataTypes.STRING()) },
  ]);
  const b = new ArrowBatchBuilder(rt, { type: "NONE" });
  for (let i = 0; i < 10; i++) b.append([BigInt(i), i, `s${i}`]);
  const msg = b.build();
  const schema = toArrowSchema(rt);
  const { batch } = loadRecordBatch(msg, parseRecordBatchMessage(msg), schema);
  for (const child of batch.data.children) assert.equal(child.values.buffer, msg.buffer);
  const shifted = at(msg, 4);
  const moved = loadRecordBatch(shifted, parseRecordBatchMessage(shifted), schema);
  assert.equal(moved.copiedBuffers, 1); // the int64 values; int32 values and offsets are 4-aligned
  assert.deepEqual(dump(moved.batch), dump(batch));
});

test("loader: a message that does not match the schema is CORRUPT_RECORD_EXCEPTION", () => {
  const msg = message({ type: "NONE" }, 3);
  const meta = parseRecordBatchMessage(msg);
  const corrupt = (e: unknown) => e instanceof FlussError && e.code === ErrorCode.CORRUPT_RECORD_EXCEPTION;
  const fewer = toArrowSchema(DataTypes.ROW(TYPES.fields.slice(0, 5)));
  assert.throws(() => loadRecordBatch(msg, meta, fewer), corrupt);
  const more = toArrowSchema(DataTypes.ROW([...TYPES.fields, { name: "extra", type: DataTypes.INT() }]));
  assert.throws(() => loadRecordBatch(msg, meta, more), corrupt);
  const outside = {
    ...meta,
    buffers: meta.buffers.map((r, i) => (i === 1 ? { offset: r.offset, length: meta.bodyLength + 1 } : r)),
  };
  assert.throws(() => loadRecordBatch(msg, outside, toArrowSchema(TYPES)), corrupt);
});
