/**
 * The scan decoder with batches of another schema id: columns matched by id, columns added
 * later null (in every Arrow type), newer columns dropped for an older reader, projections
 * (pushed down for ARROW: the server sends the projected columns the batch has).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { DataTypes, Schema, TableChange, notNull } from "../../src/index.js";
import { BatchDecoder } from "../../src/client/scan/batch-decoder.js";
import { Projection } from "../../src/client/scan/projection.js";
import { ArrowBatchBuilder } from "../../src/record/arrow/arrow-writer.js";
import { buildArrowLogBatch } from "../../src/record/arrow/arrow-log.js";
import { projectArrowLogRecords } from "../../src/record/arrow/arrow-projection.js";
import { buildIndexedLogBatch } from "../../src/record/indexed-log.js";
import { LogBatchView } from "../../src/record/log-batch.js";
import type { ScanRecord } from "../../src/client/scan/scan-records.js";
import type { RowType } from "../../src/metadata/data-types.js";
import { TableBucket } from "../../src/metadata/cluster.js";

const v1 = Schema.fromColumns([
  { name: "id", type: notNull(DataTypes.INT()) },
  { name: "name", type: DataTypes.STRING() },
]);
const added = [
  TableChange.addColumn("big", DataTypes.BIGINT()),
  TableChange.addColumn("dec", DataTypes.DECIMAL(10, 2)),
  TableChange.addColumn("ts", DataTypes.TIMESTAMP(3)),
  TableChange.addColumn("day", DataTypes.DATE()),
  TableChange.addColumn("tags", DataTypes.ARRAY(DataTypes.STRING())),
  TableChange.addColumn("attrs", DataTypes.MAP(DataTypes.STRING(), DataTypes.INT())),
  TableChange.addColumn("pt", DataTypes.ROW([{ name: "x", type: DataTypes.INT() }])),
  TableChange.addColumn("raw", DataTypes.BYTES()),
];
const builder = Schema.builder().fromSchema(v1);
for (const c of added) if (c.kind === "addColumn") builder.column(c.name, c.dataType);
const v2 = builder.build();
const schemas = { get: (id: number) => (id === 1 ? v1 : id === 2 ? v2 : undefined) };

function batch(format: "ARROW" | "INDEXED", rowType: RowType, schemaId: number, rows: unknown[][]): LogBatchView {
  let bytes: Uint8Array;
  if (format === "ARROW") {
    const b = new ArrowBatchBuilder(rowType);
    for (const r of rows) b.append(r);
    bytes = buildArrowLogBatch({ body: b.build(), recordCount: rows.length, schemaId, appendOnly: true });
  } else {
    bytes = buildIndexedLogBatch({ rowType, rows, schemaId, appendOnly: true, format: "INDEXED" });
  }
  return new LogBatchView(bytes, 0);
}

const drained = (view: LogBatchView) => ({ bucket: new TableBucket(1, undefined, 0), view, skipBelow: 0, stopAt: Infinity });

test("new columns of every type are null in rows of an older schema (ARROW and INDEXED)", () => {
  assert.deepEqual(v2.columnIds, [0, 1, 2, 3, 4, 5, 6, 7, 8, 10]);
  for (const format of ["ARROW", "INDEXED"] as const) {
    const dec = new BatchDecoder({ rowType: v2.rowType, logFormat: format, schemaId: 2, schema: v2 }, undefined, schemas);
    const old = drained(
      batch(format, v1.rowType, 1, [
        [1, "a"],
        [2, null],
      ]),
    );
    const out: ScanRecord[] = [];
    dec.toRecords(old, out);
    const nulls = Object.fromEntries(v2.columnNames.slice(2).map((n) => [n, null]));
    assert.deepEqual(
      out.map((r) => r.row),
      [
        { id: 1, name: "a", ...nulls },
        { id: 2, name: null, ...nulls },
      ],
    );
    const a = dec.toArrow(old)!;
    assert.equal(a.batch.numRows, 2);
    assert.ok(a.batch.schema.fields.every((f, i) => f.typeId === dec.schema.fields[i]!.typeId));
    for (const n of v2.columnNames.slice(2)) assert.equal(a.batch.getChild(n)!.nullCount, 2, `${format} ${n}`);
    assert.deepEqual([...a.batch.getChild("id")!.toArray()], [1, 2]);
  }
});

test("an older reader drops the columns added after it; projections map by column id", () => {
  for (const format of ["ARROW", "INDEXED"] as const) {
    const row2 = [7, "n", 5n, null, null, null, null, null, null, null];
    const newer = drained(batch(format, v2.rowType, 2, [row2]));
    const oldReader = new BatchDecoder({ rowType: v1.rowType, logFormat: format, schemaId: 1, schema: v1 }, undefined, schemas);
    const out: ScanRecord[] = [];
    oldReader.toRecords(newer, out);
    assert.deepEqual(out[0]!.row, { id: 7, name: "n" });
    assert.deepEqual(
      oldReader.toArrow(newer)!.batch.schema.fields.map((f) => f.name),
      ["id", "name"],
    );

    // projection [big, id] read from a batch of schema 1
    const projection = Projection.ofNames(["big", "id"], v2.rowType);
    const dec = new BatchDecoder({ rowType: v2.rowType, logFormat: format, schemaId: 2, schema: v2 }, projection, schemas);
    let view = batch(format, v1.rowType, 1, [[3, "c"]]);
    if (format === "ARROW") {
      // the server projects the batch with its own schema (positions it has: [0])
      const bytes = projectArrowLogRecords(
        view.buf.subarray(0, view.sizeInBytes),
        (id) => schemas.get(id)!.rowType,
        dec.pushedDown!,
      );
      view = new LogBatchView(bytes, 0);
    }
    const rows: ScanRecord[] = [];
    dec.toRecords(drained(view), rows);
    assert.deepEqual(rows[0]!.row, { big: null, id: 3 });
    const arrowOut = dec.toArrow(drained(view))!.batch;
    assert.deepEqual(
      arrowOut.schema.fields.map((f) => f.name),
      ["big", "id"],
    );
    assert.equal(arrowOut.getChild("big")!.get(0), null);
  }
});

test("only columns the batch lacks: the server sends none of its columns, the rows still count", () => {
  const projection = Projection.ofNames(["tags"], v2.rowType);
  const dec = new BatchDecoder({ rowType: v2.rowType, logFormat: "ARROW", schemaId: 2, schema: v2 }, projection, schemas);
  const view = batch("ARROW", v1.rowType, 1, [
    [1, "a"],
    [2, "b"],
    [3, "c"],
  ]);
  const bytes = projectArrowLogRecords(view.buf.subarray(0, view.sizeInBytes), (id) => schemas.get(id)!.rowType, dec.pushedDown!);
  const out: ScanRecord[] = [];
  dec.toRecords(drained(new LogBatchView(bytes, 0)), out);
  assert.deepEqual(
    out.map((r) => r.row),
    [{ tags: null }, { tags: null }, { tags: null }],
  );
});

test("a type that differs for the same column id fails the batch (Java SchemaUtil)", () => {
  const other = Schema.fromColumns([
    { name: "id", type: notNull(DataTypes.BIGINT()), id: 0 },
    { name: "name", type: DataTypes.STRING(), id: 1 },
  ]);
  const dec = new BatchDecoder({ rowType: v1.rowType, logFormat: "INDEXED", schemaId: 1, schema: v1 }, undefined, {
    get: (id) => (id === 5 ? other : undefined),
  });
  assert.throws(
    () => dec.toRecords(drained(batch("INDEXED", other.rowType, 5, [[1n, "a"]])), []),
    /Expected datatype of column\(id=0,name=id\)/,
  );
});
