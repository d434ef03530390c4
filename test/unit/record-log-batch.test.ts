import { test } from "node:test";
import assert from "node:assert/strict";
import { goldenVectors } from "./helpers/golden.js";
import { DataTypes, type DataType } from "../../src/metadata/data-types.js";
import { fromHex, toHex, utf8Encode } from "../../src/util/bytes.js";
import { crc32c } from "../../src/record/crc32c.js";
import {
  ChangeByte,
  changeTypeFromByte,
  changeTypeName,
  changeTypeShortString,
  parseChangeType,
} from "../../src/record/change-type.js";
import {
  HEADER_SIZE_UP_TO_MAGIC,
  LENGTH_OFFSET,
  LOG_OVERHEAD,
  LogBatchView,
  MAGIC_OFFSET,
  assembleLogBatch,
  iterateBatches,
  logBatchLayout,
  setBaseOffsetAndCommitTimestamp,
  validBytesPrefix,
} from "../../src/record/log-batch.js";
import { buildIndexedLogBatch, readIndexedLogRecords } from "../../src/record/indexed-log.js";
import { FlussError } from "../../src/rpc/errors.js";

const ofKind = goldenVectors;

function typeOf(name: string): DataType {
  switch (name) {
    case "INT":
      return DataTypes.INT();
    case "STRING":
      return DataTypes.STRING();
    case "BYTES":
      return DataTypes.BYTES();
    default:
      throw new Error(`test helper lacks type ${name}`);
  }
}

test("crc32c golden vectors", () => {
  const vs = ofKind("crc32c");
  assert.ok(vs.length >= 5);
  for (const v of vs) assert.equal(crc32c(fromHex(v.input.bytesHex as string)), v.expected, v.id);
  // running checksum over chunks
  assert.equal(crc32c(utf8Encode("world"), 0, 5, crc32c(utf8Encode("hello"))), 1456190592);
});

test("change-type golden vectors", () => {
  for (const v of ofKind("change-type")) {
    const name = v.input.changeType as keyof typeof ChangeByte;
    assert.equal(ChangeByte[name], v.expected, v.id);
    assert.equal(changeTypeShortString(ChangeByte[name]), v.input.shortString);
    assert.equal(changeTypeName(ChangeByte[name]), name);
    assert.equal(changeTypeFromByte(v.expected as number), ChangeByte[name]);
    assert.equal(parseChangeType(v.input.shortString as string), ChangeByte[name]);
  }
  assert.throws(() => changeTypeFromByte(5), FlussError);
  assert.throws(() => changeTypeFromByte(-1), FlussError);
});

test("log-batch-layout golden vectors", () => {
  for (const v of ofKind("log-batch-layout")) {
    const o = v.input.assertedOffsets as Record<string, number | string>;
    if (v.input.magic === undefined) {
      assert.equal(LOG_OVERHEAD, v.expected);
      assert.equal(LENGTH_OFFSET, o.lengthOffset);
      assert.equal(MAGIC_OFFSET, o.magicOffset);
      assert.equal(HEADER_SIZE_UP_TO_MAGIC, o.headerSizeUpToMagic);
      continue;
    }
    const l = logBatchLayout(v.input.magic as number);
    assert.equal(l.headerSize, v.expected, v.id);
    for (const k of ["crc", "schemaId", "attributes", "lastOffsetDelta", "writerId", "batchSequence", "recordCount"] as const) {
      assert.equal(l[k], o[k], `${v.id} ${k}`);
    }
    assert.equal(l.leaderEpoch, o.leaderEpoch === "unsupported" ? -1 : o.leaderEpoch);
    if (o.statisticsLength !== undefined) {
      assert.equal(l.statisticsLength, o.statisticsLength === "unsupported" ? -1 : o.statisticsLength);
    }
    if (typeof o.statisticsData === "number") assert.equal(l.headerSize, o.statisticsData);
  }
});

test("log-batch golden vectors", () => {
  for (const v of ofKind("log-batch")) {
    const i = v.input;
    let bytes: Uint8Array;
    if (i.records) {
      const types = (i.types as string[]).map(typeOf);
      const records = i.records as [string, unknown[]][];
      bytes = buildIndexedLogBatch({
        rowType: types,
        rows: records.map((r) => r[1]),
        changeTypes: records.map((r) => parseChangeType(r[0])),
        schemaId: i.schemaId as number,
        writerId: i.writerId as number,
        batchSequence: i.batchSequence as number,
        appendOnly: i.appendOnly as boolean,
        baseOffset: i.baseOffset as number,
        commitTimestamp: i.commitTimestamp as number,
        format: i.logFormat as "INDEXED" | "COMPACTED",
      });
      const view = new LogBatchView(bytes);
      const back = readIndexedLogRecords(view, types, i.logFormat as "INDEXED" | "COMPACTED");
      assert.deepEqual(
        back.map((r) => r.row),
        records.map((r) => r[1]),
      );
      assert.deepEqual(
        back.map((r) => changeTypeShortString(r.changeType)),
        records.map((r) => r[0]),
      );
    } else {
      bytes = assembleLogBatch(
        {
          magic: i.magic as number,
          baseOffset: i.baseOffset as number,
          commitTimestamp: i.commitTimestamp as number,
          leaderEpoch: i.leaderEpoch as number | undefined,
          schemaId: i.schemaId as number,
          appendOnly: i.appendOnly as boolean,
          writerId: i.writerId as number,
          batchSequence: i.batchSequence as number,
          recordCount: i.recordCount as number,
        },
        [],
      );
    }
    assert.equal(toHex(bytes), v.expected, v.id);
    const view = new LogBatchView(bytes);
    assert.ok(view.isValid(), v.id);
    assert.equal(view.magic, i.magic);
    assert.equal(view.baseOffset, i.baseOffset);
    assert.equal(view.commitTimestamp, i.commitTimestamp);
    assert.equal(view.schemaId, i.schemaId);
    assert.equal(view.writerId, i.writerId);
    assert.equal(view.batchSequence, i.batchSequence);
    assert.equal(view.isAppendOnly, i.appendOnly);
    assert.equal(view.sizeInBytes, bytes.length);
    assert.equal(view.leaderEpoch, -1);
  }
});

test("indexed-log-record golden vector", () => {
  const v = ofKind("indexed-log-record")[0]!;
  const types = (v.input.types as string[]).map(typeOf);
  const batch = buildIndexedLogBatch({ rowType: types, rows: [v.input.values as unknown[]], schemaId: 1, appendOnly: true });
  assert.equal(toHex(batch.subarray(48)), v.expected);
});

test("zero-record batch consumes one offset and yields no records", () => {
  const b = buildIndexedLogBatch({ rowType: [DataTypes.INT()], rows: [], schemaId: 3, appendOnly: false, baseOffset: 10 });
  const view = new LogBatchView(b);
  assert.equal(b.length, 48);
  assert.equal(view.lastOffsetDelta, 0);
  assert.equal(view.lastOffset, 10);
  assert.equal(view.nextOffset, 11);
  assert.deepEqual(readIndexedLogRecords(view, [DataTypes.INT()]), []);
});

test("server rewrite of base offset and timestamp keeps the CRC valid", () => {
  const types = [DataTypes.INT(), DataTypes.STRING()];
  const b = buildIndexedLogBatch({
    rowType: types,
    rows: [
      [1, "x"],
      [2, null],
    ],
    schemaId: 1,
    appendOnly: true,
  });
  const crc = new LogBatchView(b).crc;
  setBaseOffsetAndCommitTimestamp(b, 0, 2 ** 40 + 5, 1_700_000_000_123);
  const view = new LogBatchView(b);
  assert.equal(view.baseOffset, 2 ** 40 + 5);
  assert.equal(view.commitTimestamp, 1_700_000_000_123);
  assert.equal(view.crc, crc);
  assert.ok(view.isValid());
  assert.equal(view.lastOffset, 2 ** 40 + 6);
  b[b.length - 1]! ^= 1;
  assert.equal(new LogBatchView(b).isValid(), false);
  assert.throws(
    () => new LogBatchView(b).ensureValid(),
    (e: FlussError) => e.name === "CORRUPT_MESSAGE",
  );
});

test("iterateBatches stops at a torn tail; validBytesPrefix measures complete batches", () => {
  const types = [DataTypes.INT()];
  const a = buildIndexedLogBatch({ rowType: types, rows: [[1], [2]], schemaId: 1, appendOnly: true });
  const b = buildIndexedLogBatch({ rowType: types, rows: [[3]], schemaId: 1, appendOnly: true, baseOffset: 2 });
  const all = new Uint8Array(a.length + b.length);
  all.set(a);
  all.set(b, a.length);
  assert.deepEqual(
    [...iterateBatches(all)].map((v) => [v.position, v.baseOffset, v.recordCount]),
    [
      [0, 0, 2],
      [a.length, 2, 1],
    ],
  );
  for (const cut of [a.length + 5, a.length + 12, a.length + 47, all.length - 1]) {
    const torn = all.subarray(0, cut);
    assert.equal([...iterateBatches(torn)].length, 1, `cut ${cut}`);
    assert.equal(validBytesPrefix(torn), a.length, `cut ${cut}`);
  }
  assert.equal(validBytesPrefix(all), all.length);
  const bad = all.slice();
  bad[bad.length - 1]! ^= 0xff;
  assert.equal(validBytesPrefix(bad), all.length);
  assert.equal(validBytesPrefix(bad, { checkCrc: true }), a.length);
  // garbage length
  const junk = all.slice();
  new DataView(junk.buffer).setInt32(a.length + 8, -5, true);
  assert.equal(validBytesPrefix(junk), a.length);
});

test("V1 batch with statistics: records start after the statistics block", () => {
  const stats = new Uint8Array([1, 2, 3, 4, 5]);
  const body = new Uint8Array([9, 9]);
  const b = assembleLogBatch({ magic: 1, schemaId: 2, appendOnly: true, recordCount: 1 }, [body], stats);
  const v = new LogBatchView(b);
  assert.equal(v.statisticsLength, 5);
  assert.equal(v.recordsOffset, 52 + 5);
  assert.deepEqual(b.subarray(v.recordsOffset), body);
  assert.ok(v.isValid());
});
