import { test } from "node:test";
import assert from "node:assert/strict";
import * as arrow from "apache-arrow";
import { compressFrameSync } from "lz4-napi";
import { DataTypes, notNull, type DataType, type RowType } from "../../src/metadata/data-types.js";
import { toArrowSchema } from "../../src/metadata/arrow-types.js";
import { Decimal, Timestamp } from "../../src/row/values.js";
import { LogBatchView } from "../../src/record/log-batch.js";
import { ChangeByte } from "../../src/record/change-type.js";
import { ArrowBatchBuilder, encodeArrowRecordBatch } from "../../src/record/arrow/arrow-writer.js";
import { decodeArrowRecordBatch } from "../../src/record/arrow/arrow-reader.js";
import { buildArrowLogBatch, readArrowLogBatch } from "../../src/record/arrow/arrow-log.js";
import { projectArrowLogBatch } from "../../src/record/arrow/arrow-projection.js";
import { parseRecordBatchMessage } from "../../src/record/arrow/ipc-message.js";
import {
  type ArrowCompression,
  decodeCompressedBuffer,
  encodeCompressedBuffer,
  lz4FrameCompress,
  lz4FrameDecompress,
} from "../../src/record/arrow/compression.js";

const COMPRESSIONS: ArrowCompression[] = [{ type: "NONE" }, { type: "LZ4_FRAME" }, { type: "ZSTD", level: 3 }];

function jsonNormalize(x: unknown): unknown {
  return JSON.parse(JSON.stringify(x, (_k, y: unknown) => (typeof y === "bigint" ? String(y) : y)));
}

/** Arrow-level value of row r, normalized for comparison. */
function rawAt(type: DataType, v: arrow.Vector, r: number): unknown {
  if (!v.isValid(r)) return null;
  const data = v.data[0]!;
  switch (type.root) {
    case "DATE":
    case "TIME_WITHOUT_TIME_ZONE":
    case "TIMESTAMP_WITHOUT_TIME_ZONE":
    case "TIMESTAMP_WITH_LOCAL_TIME_ZONE":
      return (data.values as Int32Array | BigInt64Array)[data.offset + r];
    case "DECIMAL": {
      const w = data.values as Uint32Array;
      const o = (data.offset + r) * 4;
      let x = 0n;
      for (let k = 3; k >= 0; k--) x = (x << 32n) | BigInt(w[o + k]!);
      return BigInt.asIntN(128, x);
    }
    case "FLOAT":
      return v.get(r);
    case "ARRAY": {
      const child = v.get(r) as arrow.Vector;
      return Array.from({ length: child.length }, (_, k) => rawAt(type.elementType, child, k));
    }
    case "MAP":
    case "ROW":
      return jsonNormalize((v.get(r) as { toJSON(): unknown }).toJSON());
    case "BINARY":
    case "BYTES":
      return Array.from(v.get(r) as Uint8Array);
    default:
      return v.get(r);
  }
}

/** The Arrow value Fluss's Java writers would store for a canonical value. */
function expectedRaw(type: DataType, value: unknown): unknown {
  if (value === null) return null;
  switch (type.root) {
    case "DATE":
      return Math.floor((value as Date).getTime() / 86_400_000);
    case "TIME_WITHOUT_TIME_ZONE": {
      const ms = value as number;
      if (type.precision === 0) return Math.trunc(ms / 1000);
      if (type.precision <= 3) return ms;
      return type.precision <= 6 ? BigInt(ms) * 1000n : BigInt(ms) * 1_000_000n;
    }
    case "TIMESTAMP_WITHOUT_TIME_ZONE":
    case "TIMESTAMP_WITH_LOCAL_TIME_ZONE": {
      const t = value as Timestamp;
      const ms = BigInt(t.getTime());
      if (type.precision === 0) return ms / 1000n; // bigint division truncates like Java
      if (type.precision <= 3) return ms;
      if (type.precision <= 6) return ms * 1000n + BigInt(Math.floor(t.nanoOfMillis / 1000));
      return ms * 1_000_000n + BigInt(t.nanoOfMillis);
    }
    case "DECIMAL":
      return (value as Decimal).unscaled;
    case "FLOAT":
      return Math.fround(value as number);
    case "ARRAY":
      return (value as unknown[]).map((x) => expectedRaw(type.elementType, x));
    case "MAP": {
      const o: Record<string, unknown> = {};
      for (const [k, x] of value as Map<string, unknown>) o[k] = x;
      return jsonNormalize(o);
    }
    case "ROW":
      return jsonNormalize(value);
    case "BINARY": {
      const out = new Array<number>(type.length).fill(0);
      (value as Uint8Array).forEach((b, i) => (out[i] = b));
      return out;
    }
    case "BYTES":
      return Array.from(value as Uint8Array);
    default:
      return value;
  }
}

const ALL_TYPES: RowType = DataTypes.ROW([
  { name: "bool", type: DataTypes.BOOLEAN() },
  { name: "i8", type: DataTypes.TINYINT() },
  { name: "i16", type: DataTypes.SMALLINT() },
  { name: "i32", type: notNull(DataTypes.INT()) },
  { name: "i64", type: DataTypes.BIGINT() },
  { name: "f32", type: DataTypes.FLOAT() },
  { name: "f64", type: DataTypes.DOUBLE() },
  { name: "dec10", type: DataTypes.DECIMAL(10, 2) },
  { name: "dec38", type: DataTypes.DECIMAL(38, 10) },
  { name: "chr", type: DataTypes.CHAR(5) },
  { name: "str", type: DataTypes.STRING() },
  { name: "bin", type: DataTypes.BINARY(4) },
  { name: "bytes", type: DataTypes.BYTES() },
  { name: "date", type: DataTypes.DATE() },
  { name: "time0", type: DataTypes.TIME(0) },
  { name: "time3", type: DataTypes.TIME(3) },
  { name: "time6", type: DataTypes.TIME(6) },
  { name: "time9", type: DataTypes.TIME(9) },
  { name: "ts0", type: DataTypes.TIMESTAMP(0) },
  { name: "ts3", type: DataTypes.TIMESTAMP(3) },
  { name: "ts6", type: DataTypes.TIMESTAMP(6) },
  { name: "ts9", type: DataTypes.TIMESTAMP(9) },
  { name: "ltz3", type: DataTypes.TIMESTAMP_LTZ(3) },
  { name: "ltz6", type: DataTypes.TIMESTAMP_LTZ(6) },
  { name: "arr", type: DataTypes.ARRAY(DataTypes.INT()) },
  { name: "arrs", type: DataTypes.ARRAY(DataTypes.STRING()) },
  { name: "map", type: DataTypes.MAP(DataTypes.STRING(), DataTypes.BIGINT()) },
  {
    name: "row",
    type: DataTypes.ROW([
      { name: "x", type: DataTypes.INT() },
      { name: "y", type: DataTypes.ARRAY(DataTypes.ROW([{ name: "z", type: DataTypes.STRING() }])) },
    ]),
  },
]);

function sampleRows(n: number): unknown[][] {
  const rows: unknown[][] = [];
  for (let i = 0; i < n; i++) {
    const nul = i % 3 === 1; // every third row: all nullable columns null
    const neg = i % 2 === 0 ? 1 : -1;
    rows.push([
      nul ? null : i % 2 === 0,
      nul ? null : (i % 200) - 100,
      nul ? null : neg * i * 100,
      i,
      nul ? null : BigInt(neg) * (2n ** 62n + BigInt(i)),
      nul ? null : 1.1 * i,
      nul ? null : neg * 3.25 * i,
      nul ? null : new Decimal(BigInt(neg * i * 12345), 2),
      nul ? null : new Decimal(BigInt(neg) * (10n ** 37n + BigInt(i)), 10),
      nul ? null : "ab",
      nul ? null : `s${i}é`.repeat(i % 4),
      nul ? null : new Uint8Array([i & 255, 1]),
      nul ? null : new Uint8Array(i % 5).fill(7),
      nul ? null : new Date(Date.UTC(1960 + (i % 80), 5, 7)),
      nul ? null : 86_399_999 - i,
      nul ? null : 1234 + i,
      nul ? null : 45_296_789,
      nul ? null : 86_399_999,
      nul ? null : new Timestamp(neg * 1_700_000_000_123 - 1, 999_999),
      nul ? null : new Timestamp(neg * 1_500, 0),
      nul ? null : new Timestamp(neg * 1_700_000_000_123, 456_789),
      nul ? null : new Timestamp(neg * 4_102_444_800_000, 123_456),
      nul ? null : new Timestamp(1_600_000_000_000 + i, 0),
      nul ? null : new Timestamp(-1, 999_000),
      nul ? null : Array.from({ length: i % 4 }, (_, k) => (k === 1 ? null : k * i)),
      nul ? null : ["x", null, ""],
      nul
        ? null
        : new Map<string, bigint | null>([
            ["a", BigInt(i)],
            ["b", null],
          ]),
      nul ? null : { x: i, y: [{ z: "q" }, null, { z: null }] },
    ]);
  }
  return rows;
}

function assertBatchEquals(batch: arrow.RecordBatch, rowType: RowType, rows: unknown[][], columns?: number[]): void {
  const cols = columns ?? rowType.fields.map((_, i) => i);
  assert.equal(batch.numRows, rows.length);
  assert.equal(batch.numCols, cols.length);
  cols.forEach((c, j) => {
    const field = rowType.fields[c]!;
    const vec = batch.getChildAt(j)!;
    for (let r = 0; r < rows.length; r++) {
      assert.deepEqual(rawAt(field.type, vec, r), expectedRaw(field.type, rows[r]![c]), `${field.name} row ${r}`);
    }
  });
}

test("LZ4 frame: Fluss header (FLG 0x60, BD 0x40, HC 0x82), 64 KiB blocks, stored blocks, roundtrip", () => {
  const big = new Uint8Array(300_000).map((_, i) => (i * 31) % 17);
  const f = lz4FrameCompress(big);
  assert.deepEqual(Array.from(f.subarray(0, 7)), [0x04, 0x22, 0x4d, 0x18, 0x60, 0x40, 0x82]);
  assert.deepEqual(Array.from(f.subarray(f.length - 4)), [0, 0, 0, 0]);
  assert.deepEqual(Buffer.from(lz4FrameDecompress(f)), Buffer.from(big));
  const random = new Uint8Array(5000).map(() => Math.floor(Math.random() * 256));
  const fr = lz4FrameCompress(random);
  assert.equal(new DataView(fr.buffer, fr.byteOffset).getUint32(7, true), (0x80000000 | 5000) >>> 0);
  assert.deepEqual(Buffer.from(lz4FrameDecompress(fr)), Buffer.from(random));
  // frames from other encoders (256 KiB blocks, block + content checksums)
  for (const opts of [{}, { contentChecksum: true, blockChecksums: true }]) {
    const other = compressFrameSync(Buffer.from(big), opts);
    assert.deepEqual(Buffer.from(lz4FrameDecompress(other)), Buffer.from(big));
  }
});

test("per-buffer codec rules: empty → int64 0, incompressible → -1 + raw, else uncompressed length", () => {
  for (const c of COMPRESSIONS.slice(1)) {
    const codec = c.type === "LZ4_FRAME" ? 0 : 1;
    assert.deepEqual(Array.from(encodeCompressedBuffer(c, new Uint8Array(0))), [0, 0, 0, 0, 0, 0, 0, 0]);
    assert.equal(decodeCompressedBuffer(codec, new Uint8Array(8)).length, 0);
    const random = new Uint8Array(100).map(() => Math.floor(Math.random() * 256));
    const e = encodeCompressedBuffer(c, random);
    assert.equal(new DataView(e.buffer).getBigInt64(0, true), -1n);
    assert.deepEqual(e.subarray(8), random);
    const zeros = new Uint8Array(10_000);
    const z = encodeCompressedBuffer(c, zeros);
    assert.equal(new DataView(z.buffer).getBigInt64(0, true), 10_000n);
    assert.ok(z.length < 1000);
    assert.deepEqual(new Uint8Array(decodeCompressedBuffer(codec, z)), new Uint8Array(10_000));
  }
});

for (const compression of COMPRESSIONS) {
  test(`Arrow roundtrip of every Fluss type incl. nested and nulls (${compression.type})`, () => {
    const rows = sampleRows(37);
    const builder = new ArrowBatchBuilder(ALL_TYPES, compression);
    for (const r of rows) builder.append(r);
    assert.equal(builder.rowCount, 37);
    assert.ok(builder.estimatedSizeInBytes() > 0);
    const msg = builder.build();
    // framing: continuation marker, padded metadata length, 8-aligned body
    const dv = new DataView(msg.buffer, msg.byteOffset);
    assert.equal(dv.getUint32(0, true), 0xffffffff);
    assert.equal((8 + dv.getInt32(4, true)) % 8, 0);
    const meta = parseRecordBatchMessage(msg);
    assert.equal(meta.codec, compression.type === "NONE" ? -1 : compression.type === "LZ4_FRAME" ? 0 : 1);
    assert.equal(meta.messageLength, msg.length);
    for (const b of meta.buffers) assert.equal(b.offset % 8, 0);
    const batch = decodeArrowRecordBatch(msg, toArrowSchema(ALL_TYPES));
    assertBatchEquals(batch, ALL_TYPES, rows);
    // builder is reusable
    builder.reset();
    assert.equal(builder.build().length, 0);
    builder.append(rows[0]!);
    assertBatchEquals(decodeArrowRecordBatch(builder.build(), toArrowSchema(ALL_TYPES)), ALL_TYPES, rows.slice(0, 1));
  });

  test(`ARROW log batch: changelog with unaligned message, projection [2, 0] (${compression.type})`, () => {
    const rt = DataTypes.ROW([
      { name: "id", type: DataTypes.INT() },
      { name: "name", type: DataTypes.STRING() },
      { name: "tags", type: DataTypes.ARRAY(DataTypes.STRING()) },
      { name: "score", type: DataTypes.DOUBLE() },
    ]);
    const rows: unknown[][] = [
      [1, "a", ["x"], 1.5],
      [2, null, null, null],
      [3, "ccc", [], -2],
    ];
    const b = new ArrowBatchBuilder(rt, compression);
    for (const r of rows) b.append(r);
    const changeTypes = new Uint8Array([ChangeByte.INSERT, ChangeByte.UPDATE_BEFORE, ChangeByte.UPDATE_AFTER]);
    const log = buildArrowLogBatch({
      body: b.build(),
      recordCount: 3,
      schemaId: 1,
      writerId: 9,
      batchSequence: 4,
      appendOnly: false,
      changeTypes,
    });
    const view = new LogBatchView(log);
    assert.ok(view.isValid());
    assert.equal(view.isAppendOnly, false);
    const read = readArrowLogBatch(view, toArrowSchema(rt));
    assert.deepEqual(Array.from(read.changeTypes!), Array.from(changeTypes));
    assertBatchEquals(read.batch!, rt, rows);

    const projected = projectArrowLogBatch(log, rt, [2, 0]);
    const pv = new LogBatchView(projected);
    assert.equal(pv.sizeInBytes, projected.length);
    assert.equal(pv.crc, view.crc); // CRC is not recomputed
    assert.equal(pv.recordCount, 3);
    assert.equal(pv.writerId, 9);
    const projType = DataTypes.ROW([rt.fields[2]!, rt.fields[0]!]);
    const pr = readArrowLogBatch(pv, toArrowSchema(projType));
    assert.deepEqual(Array.from(pr.changeTypes!), Array.from(changeTypes));
    assertBatchEquals(pr.batch!, rt, rows, [2, 0]);

    // append-only V1 batch with statistics: projection drops them
    const v1 = buildArrowLogBatch({
      body: b.build(),
      recordCount: 3,
      schemaId: 1,
      appendOnly: true,
      magic: 1,
      statistics: new Uint8Array(13),
    });
    const p1 = projectArrowLogBatch(v1, rt, [3]);
    const p1v = new LogBatchView(p1);
    assert.equal(p1v.magic, 1);
    assert.equal(p1v.statisticsLength, 0);
    assertBatchEquals(readArrowLogBatch(p1v, toArrowSchema(DataTypes.ROW([rt.fields[3]!]))).batch!, rt, rows, [3]);
  });

  test(`encodeArrowRecordBatch of a user-built arrow-js batch (${compression.type})`, () => {
    const rt = DataTypes.ROW([
      { name: "id", type: DataTypes.INT() },
      { name: "s", type: DataTypes.STRING() },
      { name: "empty", type: DataTypes.STRING() },
    ]);
    const batch = new arrow.Table({
      id: arrow.vectorFromArray([1, 2, 3], new arrow.Int32()),
      s: arrow.vectorFromArray(["a", "bb", "ccc"], new arrow.Utf8()),
      empty: arrow.vectorFromArray(["", "", ""], new arrow.Utf8()),
    }).batches[0]!;
    // dictionary-encoded strings (tableFromArrays' default) do not match STRING
    const dict = arrow.tableFromArrays({ id: Int32Array.from([1]), s: ["a"], empty: [""] }).batches[0]!;
    assert.throws(() => encodeArrowRecordBatch(dict, rt, compression), /Arrow column 's'/);
    const msg = encodeArrowRecordBatch(batch, rt, compression);
    const meta = parseRecordBatchMessage(msg);
    if (compression.type !== "NONE") {
      // the empty values buffer of "empty" is written as int64 0 only, like Java
      assert.equal(meta.buffers[meta.buffers.length - 1]!.length, 8);
    }
    const back = decodeArrowRecordBatch(msg, toArrowSchema(rt));
    assertBatchEquals(back, rt, [
      [1, "a", ""],
      [2, "bb", ""],
      [3, "ccc", ""],
    ]);
  });
}

test("zero-record ARROW batch is header only", () => {
  const rt = DataTypes.ROW([{ name: "id", type: DataTypes.INT() }]);
  const b = new ArrowBatchBuilder(rt, { type: "ZSTD" });
  const log = buildArrowLogBatch({ body: b.build(), recordCount: 0, schemaId: 1, appendOnly: false });
  assert.equal(log.length, 48);
  const v = new LogBatchView(log);
  assert.equal(readArrowLogBatch(v, toArrowSchema(rt)).batch, null);
  assert.equal(projectArrowLogBatch(log, rt, [0]).length, 48);
});

test("TIMESTAMP(6) far from 1970 is written as Java's exact long micros (ms·1000 + nanos/1000)", () => {
  // Java ArrowTimestampNtzWriter: epochMillis * 1000 + nanoOfMillis / 1000 in long arithmetic.
  // 9999-12-31T23:59:59.999999 used to round to 10000-01-01T00:00:00 through a double.
  const rt = DataTypes.ROW([
    { name: "ts6", type: DataTypes.TIMESTAMP(6) },
    { name: "ltz4", type: DataTypes.TIMESTAMP_LTZ(4) },
  ]);
  const cases: [Timestamp, bigint][] = [
    [new Timestamp(253_402_300_799_999, 999_999), 253_402_300_799_999_999n],
    [new Timestamp(-62_135_596_800_000, 123_999), -62_135_596_799_999_877n],
    [new Timestamp(1_700_000_000_123, 456_789), 1_700_000_000_123_456n],
  ];
  const b = new ArrowBatchBuilder(rt);
  for (const [t] of cases) b.append([t, t]);
  const batch = decodeArrowRecordBatch(b.build(), toArrowSchema(rt));
  for (let c = 0; c < 2; c++) {
    const values = batch.getChildAt(c)!.data[0]!.values as BigInt64Array;
    cases.forEach(([, micros], r) => assert.equal(values[r], micros, `column ${c} row ${r}`));
  }
});
