import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { TableBucket } from "../../src/metadata/cluster.js";
import { DataTypes } from "../../src/metadata/data-types.js";
import { FlussError, ErrorCode } from "../../src/rpc/errors.js";
import { ArrowBatchBuilder } from "../../src/record/arrow/arrow-writer.js";
import { buildArrowLogBatch } from "../../src/record/arrow/arrow-log.js";
import { buildIndexedLogBatch } from "../../src/record/indexed-log.js";
import { LogBatchView } from "../../src/record/log-batch.js";
import { ChangeType, ScanRecord, ScanRecords } from "../../src/client/scan/scan-records.js";
import { Projection } from "../../src/client/scan/projection.js";
import { BatchDecoder } from "../../src/client/scan/batch-decoder.js";
import { CompletedFetch, FetchBuffer } from "../../src/client/scan/fetch-buffer.js";
import type { DrainedBatch } from "../../src/client/scan/log-fetcher.js";

const rowType = DataTypes.ROW([
  DataTypes.FIELD("id", DataTypes.INT()),
  DataTypes.FIELD("name", DataTypes.STRING()),
  DataTypes.FIELD("amount", DataTypes.BIGINT()),
]);
const rows = [
  [1, "a", 10n],
  [2, "b", 20n],
  [3, "c", 30n],
  [4, null, 40n],
];

function clientError(fn: () => unknown, pattern: RegExp): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof FlussError);
    assert.equal(err.code, ErrorCode.CLIENT_ERROR);
    assert.match(err.message, pattern);
    return true;
  });
}

describe("client scan: ScanRecords", () => {
  test("groups per bucket, iterates, counts", () => {
    const b0 = TableBucket.of(7, 0);
    const b1 = TableBucket.of(7, 1);
    const rec = (o: number) => new ScanRecord(o, 1000 + o, ChangeType.APPEND_ONLY, { id: o });
    const recs = ScanRecords.create(7, [
      { bucket: b0, records: [rec(0), rec(1)] },
      { bucket: b1, records: [rec(5)] },
      { bucket: TableBucket.of(7, 2), records: [] },
    ]);
    assert.equal(recs.count, 3);
    assert.equal(recs.isEmpty(), false);
    assert.deepEqual(
      recs.buckets().map((b) => b.bucket),
      [0, 1],
    );
    assert.deepEqual(
      recs.records(b0).map((r) => r.offset),
      [0, 1],
    );
    assert.deepEqual(
      recs.records({ tableId: 7, bucket: 1 }).map((r) => r.offset),
      [5],
    );
    assert.deepEqual(
      recs.records(1).map((r) => r.offset),
      [5],
    );
    assert.equal(recs.records(2).length, 0);
    assert.deepEqual(
      [...recs].map((r) => r.offset),
      [0, 1, 5],
    );
    assert.equal(recs.toArray().length, 3);
    assert.equal(ScanRecords.empty().isEmpty(), true);
    assert.equal([...ScanRecords.empty()].length, 0);
  });

  test("change types render like Java", () => {
    assert.deepEqual(
      [0, 1, 2, 3, 4].map((v) => ChangeType.of(v).shortString()),
      ["+A", "+I", "-U", "+U", "-D"],
    );
    assert.equal(ChangeType.of(3), ChangeType.UPDATE_AFTER);
    assert.equal(ChangeType.DELETE.name, "DELETE");
    assert.equal(String(ChangeType.INSERT), "+I");
    assert.throws(
      () => ChangeType.of(9),
      (e: unknown) => e instanceof FlussError && e.code === ErrorCode.CORRUPT_RECORD_EXCEPTION,
    );
  });
});

describe("client scan: projection", () => {
  test("indexes, order and reordering", () => {
    const p = Projection.of([2, 0], rowType);
    assert.deepEqual(p.inOrder, [0, 2]);
    assert.deepEqual(p.reordering, [1, 0]);
    assert.equal(p.reorderingNeeded, true);
    assert.deepEqual(Projection.ofNames(["name", "amount"], rowType).indexes, [1, 2]);
    assert.equal(Projection.of([0, 1], rowType).reorderingNeeded, false);
  });

  test("invalid projections name the culprits", () => {
    clientError(() => Projection.of([0, 5, -1], rowType), /5, -1/);
    clientError(() => Projection.of([], rowType), /at least one column/);
    clientError(() => Projection.of([1, 1], rowType), /repeats column index\(es\) 1/);
    clientError(() => Projection.ofNames(["id", "nope", "Name"], rowType), /"nope", "Name"/);
  });
});

function arrowBatch(baseOffset: number, data: unknown[][], changeTypes?: number[]): LogBatchView {
  const b = new ArrowBatchBuilder(rowType);
  for (const r of data) b.append(r);
  const bytes = buildArrowLogBatch({
    body: b.build(),
    recordCount: data.length,
    schemaId: 1,
    appendOnly: !changeTypes,
    ...(changeTypes ? { changeTypes: Uint8Array.from(changeTypes) } : {}),
    baseOffset,
    commitTimestamp: 1234,
  });
  return new LogBatchView(bytes);
}

function indexedBatch(baseOffset: number, data: unknown[][]): LogBatchView {
  return new LogBatchView(
    buildIndexedLogBatch({ rowType, rows: data, schemaId: 1, appendOnly: true, baseOffset, commitTimestamp: 99 }),
  );
}

const drained = (view: LogBatchView, skipBelow = 0, stopAt = Infinity): DrainedBatch => ({
  bucket: TableBucket.of(1, 0),
  view,
  skipBelow,
  stopAt,
});

describe("client scan: batch decoder", () => {
  test("ARROW: records with skipping below the fetch offset and a stop offset", () => {
    const dec = new BatchDecoder({ rowType, logFormat: "ARROW" });
    assert.equal(dec.pushedDown, undefined);
    const out: ScanRecord[] = [];
    dec.toRecords(drained(arrowBatch(10, rows), 11, 13), out);
    assert.deepEqual(
      out.map((r) => [r.offset, r.timestamp, r.changeType.shortString(), r.row]),
      [
        [11, 1234, "+A", { id: 2, name: "b", amount: 20n }],
        [12, 1234, "+A", { id: 3, name: "c", amount: 30n }],
      ],
    );
    const a = dec.toArrow(drained(arrowBatch(10, rows), 11, 13));
    assert.ok(a);
    assert.equal(a.baseOffset, 11);
    assert.equal(a.lastOffset, 12);
    assert.deepEqual(a.batch.getChild("id")!.toArray(), Int32Array.from([2, 3]));
    assert.equal(dec.toArrow(drained(arrowBatch(10, rows), 14)), null);
  });

  test("ARROW: change types of changelog batches", () => {
    const dec = new BatchDecoder({ rowType, logFormat: "ARROW" });
    const out: ScanRecord[] = [];
    dec.toRecords(drained(arrowBatch(0, rows, [1, 2, 3, 4])), out);
    assert.deepEqual(
      out.map((r) => r.changeType.shortString()),
      ["+I", "-U", "+U", "-D"],
    );
    const a = dec.toArrow(drained(arrowBatch(0, rows, [1, 2, 3, 4]), 2));
    assert.deepEqual([...a!.changeTypes!], [3, 4]);
  });

  test("ARROW projection: pushed down in column order, reordered on the client", () => {
    const dec = new BatchDecoder({ rowType, logFormat: "ARROW" }, Projection.of([2, 0], rowType));
    assert.deepEqual(dec.pushedDown, [0, 2]);
    // what the server sends: columns 0 and 2 only, ascending
    const wireType = DataTypes.ROW([rowType.fields[0]!, rowType.fields[2]!]);
    const b = new ArrowBatchBuilder(wireType);
    for (const r of rows) b.append([r[0], r[2]]);
    const view = new LogBatchView(
      buildArrowLogBatch({ body: b.build(), recordCount: rows.length, schemaId: 1, appendOnly: true, baseOffset: 0 }),
    );
    const out: ScanRecord[] = [];
    dec.toRecords(drained(view), out);
    assert.deepEqual(out[0]!.row, { amount: 10n, id: 1 });
    assert.deepEqual(Object.keys(out[0]!.row), ["amount", "id"]);
    const a = dec.toArrow(drained(view))!;
    assert.deepEqual(
      a.batch.schema.fields.map((f) => f.name),
      ["amount", "id"],
    );
    assert.deepEqual([...a.batch.getChild("amount")!.toArray()], [10n, 20n, 30n, 40n]);
  });

  test("INDEXED: client-side projection for records and Arrow", () => {
    const dec = new BatchDecoder({ rowType, logFormat: "INDEXED" }, Projection.ofNames(["name", "id"], rowType));
    assert.equal(dec.pushedDown, undefined);
    const out: ScanRecord[] = [];
    dec.toRecords(drained(indexedBatch(5, rows), 6), out);
    assert.deepEqual(
      out.map((r) => [r.offset, r.timestamp, r.row]),
      [
        [6, 99, { name: "b", id: 2 }],
        [7, 99, { name: "c", id: 3 }],
        [8, 99, { name: null, id: 4 }],
      ],
    );
    const a = dec.toArrow(drained(indexedBatch(5, rows), 0, 7))!;
    assert.equal(a.baseOffset, 5);
    assert.equal(a.lastOffset, 6);
    assert.deepEqual(
      a.batch.schema.fields.map((f) => f.name),
      ["name", "id"],
    );
    assert.deepEqual(
      a.batch.toArray().map((r) => r.toJSON()),
      [
        { name: "a", id: 1 },
        { name: "b", id: 2 },
      ],
    );
    assert.equal(dec.emptyTable().numRows, 0);
    assert.deepEqual(
      dec.emptyTable().schema.fields.map((f) => f.name),
      ["name", "id"],
    );
  });
});

describe("client scan: fetch buffer", () => {
  test("a waiter registered before data arrives is woken at once (no lost wake-up)", async () => {
    const buf = new FetchBuffer();
    const started = Date.now();
    const waiting = buf.waitForData(10_000);
    setTimeout(() => buf.add(new CompletedFetch(TableBucket.of(1, 0), "-:0", [], 0, 10)), 20);
    await waiting;
    assert.ok(Date.now() - started < 2_000);
    assert.equal(buf.bufferedBytes, 10);
    // data already buffered: no wait
    await buf.waitForData(10_000);
    buf.prune();
    assert.equal(buf.bufferedBytes, 0);
  });

  test("times out, honours abort, and removes buckets", async () => {
    const buf = new FetchBuffer();
    const t0 = Date.now();
    await buf.waitForData(30);
    assert.ok(Date.now() - t0 >= 25);
    const ac = new AbortController();
    const w = buf.waitForData(10_000, ac.signal);
    ac.abort();
    await w;
    buf.add(new CompletedFetch(TableBucket.of(1, 0), "-:0", [indexedBatch(0, rows)], 0, 100));
    buf.add(new CompletedFetch(TableBucket.of(1, 1), "-:1", [indexedBatch(0, rows)], 0, 50));
    assert.equal(buf.has("-:0"), true);
    buf.removeBucket("-:0");
    assert.equal(buf.has("-:0"), false);
    assert.equal(buf.bufferedBytes, 50);
  });
});
