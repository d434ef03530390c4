import { test } from "node:test";
import assert from "node:assert/strict";
import { DataTypes } from "../../src/metadata/data-types.js";
import { CompactedRowDecoder, CompactedRowEncoder } from "../../src/row/compacted-row.js";
import { encodeValueWithSchemaId } from "../../src/row/value-row.js";
import { fromHex, toHex } from "../../src/util/bytes.js";
import { ErrorCode, FlussError } from "../../src/rpc/errors.js";
import { ValueRecordBatchBuilder, forEachValueRecord } from "../../src/record/value-batch.js";

// Java DefaultValueRecordBatchTest.buildBatch: rows (1, "a1") and (2, "a2") of (INT, STRING),
// COMPACTED, schema id 1. Bytes laid out by hand from DefaultValueRecordBatch / DefaultValueRecord:
// [len 27][magic 0][count 2] then [len 7][schema 1][row] twice; row = nulls 00, varint int, varint len + utf8.
const JAVA_BATCH = "1b000000" + "00" + "02000000" + "07000000" + "0100" + "0001026131" + "07000000" + "0100" + "0002026132";

const types = [DataTypes.INT(), DataTypes.STRING()];

test("value batch: built bytes follow Java's layout", () => {
  const enc = new CompactedRowEncoder(types);
  const b = new ValueRecordBatchBuilder(16);
  b.append(encodeValueWithSchemaId(1, enc.encode([1, "a1"])));
  b.appendLatin1(Buffer.from(encodeValueWithSchemaId(1, enc.encode([2, "a2"]))).toString("latin1"));
  assert.equal(b.recordCount, 2);
  assert.equal(b.sizeInBytes, 31);
  assert.equal(toHex(b.build()), JAVA_BATCH);
});

test("value batch: empty batch is the 9-byte header", () => {
  assert.equal(toHex(new ValueRecordBatchBuilder().build()), "050000000000000000");
  assert.equal(
    forEachValueRecord(fromHex("050000000000000000"), () => assert.fail()),
    0,
  );
  assert.equal(
    forEachValueRecord(new Uint8Array(0), () => assert.fail()),
    0,
  );
});

test("value batch: records read back with schema id and row", () => {
  const dec = new CompactedRowDecoder(types);
  const rows: unknown[][] = [];
  const ids: number[] = [];
  const n = forEachValueRecord(fromHex(JAVA_BATCH), (schemaId, bytes, start, len) => {
    ids.push(schemaId);
    rows.push(dec.decode(bytes, start, len));
  });
  assert.equal(n, 2);
  assert.deepEqual(ids, [1, 1]);
  assert.deepEqual(rows, [
    [1, "a1"],
    [2, "a2"],
  ]);
});

test("value batch: damaged bytes are CORRUPT_MESSAGE, never garbage", () => {
  const good = fromHex(JAVA_BATCH);
  const cases: Uint8Array[] = [
    good.subarray(0, 5), // short header
    good.subarray(0, good.length - 1), // length mismatch
    Uint8Array.from([...good.subarray(0, 4), 1, ...good.subarray(5)]), // magic 1
  ];
  const badCount = good.slice();
  badCount[5] = 3; // claims 3 records
  cases.push(badCount);
  const badLen = good.slice();
  badLen[9] = 0x60; // first record longer than the batch
  cases.push(badLen);
  for (const c of cases) {
    assert.throws(
      () => forEachValueRecord(c, () => undefined),
      (e: unknown) => e instanceof FlussError && e.code === ErrorCode.CORRUPT_MESSAGE,
      toHex(c),
    );
  }
});
