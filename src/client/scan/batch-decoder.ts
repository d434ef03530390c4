/**
 * Decoding fetched log batches for a scan: into Arrow record batches (zero-copy for
 * ARROW tables) or into {@link ScanRecord}s, applying the projection.
 *
 * ARROW tables get the projection pushed down: the server returns the projected columns
 * in ascending column order, and the client reorders them (Java
 * `LogRecordReadContext`). INDEXED and COMPACTED tables cannot be projected by the
 * server, so whole rows are decoded and the columns picked here, as Java does.
 */
import * as arrow from "apache-arrow";
import { toArrowSchema } from "../../metadata/arrow-types.js";
import type { DataField, RowType } from "../../metadata/data-types.js";
import type { LogFormat } from "../../metadata/table-options.js";
import { readArrowLogBatch } from "../../record/arrow/arrow-log.js";
import { decodeArrowRecordBatch } from "../../record/arrow/arrow-reader.js";
import { ArrowBatchBuilder } from "../../record/arrow/arrow-writer.js";
import { readIndexedLogRecords } from "../../record/indexed-log.js";
import { ArrowRowConverter } from "../../record/arrow/arrow-rows.js";
import type { DrainedBatch } from "./log-fetcher.js";
import { type Projection, rowTypeOf } from "./projection.js";
import { ChangeType, ScanRecord } from "./scan-records.js";

/** What decoding needs to know about the table (a subset of `TableInfo`). */
export interface DecodeTableInfo {
  readonly rowType: RowType;
  readonly logFormat: LogFormat;
}

/** An Arrow slice of one log batch. */
export interface DecodedArrowBatch {
  readonly batch: arrow.RecordBatch;
  /** Offset of the first row. */
  readonly baseOffset: number;
  /** Offset of the last row. */
  readonly lastOffset: number;
  /** One change-type byte per row; undefined when all rows are `+A`. */
  readonly changeTypes?: Uint8Array;
}

/**
 * The schema as arrow-js itself reads it back from IPC (base type classes such as `Int_`
 * rather than `Int32`): arrow-js compares schemas with `instanceof`, so tables mixing
 * decoded batches and schemas built with subclass types would be rejected.
 */
function canonicalSchema(schema: arrow.Schema): arrow.Schema {
  const msg = arrow.Message.decode(arrow.Message.encode(arrow.Message.from(schema)));
  return msg.header() as arrow.Schema;
}

/** @internal Per-scan decoding state. */
export class BatchDecoder {
  /** The projected row type, in the user's column order. */
  readonly rowType: RowType;
  /** The Arrow schema of what scanners return. */
  readonly schema: arrow.Schema;
  /** Ascending column indexes to push down (ARROW + projection), else undefined. */
  readonly pushedDown: readonly number[] | undefined;
  private readonly format: LogFormat;
  private readonly fullRowType: RowType;
  /** Schema of the batches as they arrive (projected in ascending order when pushed down). */
  private readonly wireSchema: arrow.Schema;
  /** Which wire columns make up the output, in order; undefined = all, as is. */
  private readonly select: readonly number[] | undefined;
  private readonly converter: ArrowRowConverter;
  private readonly structType: arrow.Struct;

  constructor(info: DecodeTableInfo, projection?: Projection) {
    this.format = info.logFormat;
    this.fullRowType = info.rowType;
    const fields: DataField[] = projection ? projection.fields(info.rowType) : [...info.rowType.fields];
    this.rowType = rowTypeOf(fields, false);
    this.schema = canonicalSchema(toArrowSchema(this.rowType));
    this.structType = new arrow.Struct(this.schema.fields);
    if (this.format === "ARROW" && projection) {
      this.pushedDown = projection.inOrder;
      this.select = projection.reorderingNeeded ? projection.reordering : undefined;
      this.wireSchema = this.select
        ? canonicalSchema(toArrowSchema(rowTypeOf(projection.fieldsInOrder(info.rowType))))
        : this.schema;
    } else {
      this.pushedDown = undefined;
      this.select = projection ? projection.indexes : undefined;
      this.wireSchema = this.select ? canonicalSchema(toArrowSchema(info.rowType)) : this.schema;
    }
    this.converter = new ArrowRowConverter(this.rowType);
  }

  /** The rows of one drained batch as Arrow, or null when none remain after skipping. */
  toArrow(d: DrainedBatch): DecodedArrowBatch | null {
    const { view } = d;
    const base = view.baseOffset;
    const from = Math.max(0, d.skipBelow - base);
    const to = Math.min(view.recordCount, d.stopAt - base);
    if (view.recordCount === 0 || to <= from) return null;
    if (this.format !== "ARROW") return this.rowsToArrow(d, from, to);
    const content = readArrowLogBatch(view, this.wireSchema);
    if (!content.batch) return null;
    let batch = this.project(content.batch);
    let changeTypes = content.changeTypes;
    if (from > 0 || to < batch.numRows) {
      batch = batch.slice(from, to);
      changeTypes = changeTypes?.subarray(from, to);
    }
    return changeTypes
      ? { batch, baseOffset: base + from, lastOffset: base + to - 1, changeTypes }
      : { batch, baseOffset: base + from, lastOffset: base + to - 1 };
  }

  /** Appends the records of one drained batch to `out`. */
  toRecords(d: DrainedBatch, out: ScanRecord[]): void {
    const { view } = d;
    const base = view.baseOffset;
    const from = Math.max(0, d.skipBelow - base);
    const to = Math.min(view.recordCount, d.stopAt - base);
    if (view.recordCount === 0 || to <= from) return;
    const ts = view.commitTimestamp;
    if (this.format === "ARROW") {
      const content = readArrowLogBatch(view, this.wireSchema);
      if (!content.batch) return;
      const readers = this.converter.bind(this.columnsOf(content.batch));
      const ct = content.changeTypes;
      const conv = this.converter;
      if (!ct) {
        const kind = ChangeType.APPEND_ONLY;
        for (let i = from; i < to; i++) out.push(new ScanRecord(base + i, ts, kind, conv.row(readers, i)));
        return;
      }
      for (let i = from; i < to; i++) out.push(new ScanRecord(base + i, ts, ChangeType.of(ct[i]!), conv.row(readers, i)));
      return;
    }
    const names = this.rowType.fields.map((f) => f.name);
    const pick = this.select;
    const records = readIndexedLogRecords(view, this.fullRowType, this.format);
    for (let i = from; i < to; i++) {
      const r = records[i]!;
      const row: Record<string, unknown> = {};
      for (let k = 0; k < names.length; k++) row[names[k]!] = r.row[pick ? pick[k]! : k];
      out.push(new ScanRecord(base + i, ts, ChangeType.of(r.changeType), row));
    }
  }

  /** An empty table with the output schema. */
  emptyTable(): arrow.Table {
    return new arrow.Table(this.schema);
  }

  /** Column data of a wire batch in output order. */
  private columnsOf(batch: arrow.RecordBatch): arrow.Data[] {
    const children = batch.data.children as arrow.Data[];
    return this.select ? this.select.map((i) => children[i]!) : children;
  }

  /** Reorders/picks the columns of a wire batch (zero-copy). */
  private project(batch: arrow.RecordBatch): arrow.RecordBatch {
    // without reordering the wire schema is the output schema: nothing to do
    return this.select ? this.rebuild(this.columnsOf(batch), batch.numRows) : batch;
  }

  private rebuild(children: arrow.Data[], length: number): arrow.RecordBatch {
    const data = arrow.makeData({ type: this.structType, length, nullCount: 0, children });
    return new arrow.RecordBatch(this.schema, data);
  }

  /** INDEXED/COMPACTED rows → one Arrow batch with the output schema. */
  private rowsToArrow(d: DrainedBatch, from: number, to: number): DecodedArrowBatch | null {
    const records = readIndexedLogRecords(d.view, this.fullRowType, this.format as "INDEXED" | "COMPACTED");
    const builder = new ArrowBatchBuilder(this.rowType);
    const pick = this.select;
    const n = this.rowType.fields.length;
    const changeTypes = new Uint8Array(to - from);
    let allAppend = true;
    for (let i = from; i < to; i++) {
      const r = records[i]!;
      const values = new Array<unknown>(n);
      for (let k = 0; k < n; k++) values[k] = r.row[pick ? pick[k]! : k];
      builder.append(values);
      changeTypes[i - from] = r.changeType;
      if (r.changeType !== 0) allAppend = false;
    }
    const batch = decodeArrowRecordBatch(builder.build(), this.schema);
    const base = d.view.baseOffset;
    return allAppend
      ? { batch, baseOffset: base + from, lastOffset: base + to - 1 }
      : { batch, baseOffset: base + from, lastOffset: base + to - 1, changeTypes };
  }
}
