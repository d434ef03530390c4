/**
 * Decoding fetched log batches for a scan: into Arrow record batches (zero-copy for
 * ARROW tables) or into {@link ScanRecord}s, applying the projection.
 *
 * ARROW tables get the projection pushed down: the server returns the projected columns
 * in ascending column order, and the client reorders them (Java
 * `LogRecordReadContext`). INDEXED and COMPACTED tables cannot be projected by the
 * server, so whole rows are decoded and the columns picked here, as Java does.
 *
 * Each batch is decoded with the schema id in its header: batches of another id than the
 * reader's (written before or after an ALTER TABLE) are mapped to the reader's columns by
 * column id, columns they lack being null, so every batch comes out in one schema.
 */
import * as arrow from "apache-arrow";
import { toArrowSchema } from "../../metadata/arrow-types.js";
import { type DataField, type RowType, typeToString, withNullability } from "../../metadata/data-types.js";
import type { Schema } from "../../metadata/schema.js";
import type { LogFormat } from "../../metadata/table-options.js";
import { readArrowLogBatch } from "../../record/arrow/arrow-log.js";
import { projectArrowLogBatch } from "../../record/arrow/arrow-projection.js";
import { LogBatchView } from "../../record/log-batch.js";
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
  /** The reader's schema id (batches of other ids are mapped to it, column by column id). */
  readonly schemaId?: number;
  /** The reader's schema (with `schemaId`). */
  readonly schema?: Schema;
}

/** The table's schemas by id (`client/table-schemas.ts`); every id of a decoded batch must be known. */
export interface SchemaSource {
  get(schemaId: number): Schema | undefined;
}

/**
 * How the batches of one other schema id become output columns: `sources[k]` is the wire
 * column (ARROW) or row field (INDEXED/COMPACTED) of output column `k`, -1 when that schema
 * has no such column (null in every row).
 */
interface SchemaVariant {
  readonly sources: readonly number[];
  /** ARROW: the batch's columns as they arrive (projected ones only when pushed down). */
  readonly wireSchema: arrow.Schema | undefined;
  /** INDEXED/COMPACTED: the batch schema's row type. */
  readonly rowType: RowType;
}

/** A column of `length` nulls of an Arrow type. */
function nullColumn(type: arrow.DataType, length: number): arrow.Data {
  const b = arrow.makeBuilder({ type, nullValues: [null, undefined] });
  for (let i = 0; i < length; i++) b.append(null);
  return b.finish().flush() as arrow.Data;
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
  /** Reader column index of each output column. */
  private readonly outputIndexes: readonly number[];
  private readonly variants = new Map<number, SchemaVariant>();

  constructor(
    private readonly info: DecodeTableInfo,
    projection?: Projection,
    /** Schemas of other ids; without it every batch is read with the reader's schema. */
    private readonly schemas?: SchemaSource,
  ) {
    this.format = info.logFormat;
    this.outputIndexes = projection ? projection.indexes : info.rowType.fields.map((_, i) => i);
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
    const view = this.wireView(d);
    const base = view.baseOffset;
    const from = Math.max(0, d.skipBelow - base);
    const to = Math.min(view.recordCount, d.stopAt - base);
    if (view.recordCount === 0 || to <= from) return null;
    const variant = this.variantOf(view.schemaId);
    if (this.format !== "ARROW") return this.rowsToArrow(d, from, to, variant);
    const content = readArrowLogBatch(view, variant?.wireSchema ?? this.wireSchema);
    if (!content.batch) return null;
    let batch = variant
      ? this.rebuild(this.columnsOf(content.batch, variant), content.batch.numRows)
      : this.project(content.batch);
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
    const view = this.wireView(d);
    const base = view.baseOffset;
    const from = Math.max(0, d.skipBelow - base);
    const to = Math.min(view.recordCount, d.stopAt - base);
    if (view.recordCount === 0 || to <= from) return;
    const ts = view.commitTimestamp;
    const variant = this.variantOf(view.schemaId);
    if (this.format === "ARROW") {
      const content = readArrowLogBatch(view, variant?.wireSchema ?? this.wireSchema);
      if (!content.batch) return;
      const readers = this.converter.bind(this.columnsOf(content.batch, variant));
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
    const pick = variant ? variant.sources : this.select;
    const records = readIndexedLogRecords(view, variant?.rowType ?? this.fullRowType, this.format);
    for (let i = from; i < to; i++) {
      const r = records[i]!;
      const row: Record<string, unknown> = {};
      for (let k = 0; k < names.length; k++) {
        const src = pick ? pick[k]! : k;
        row[names[k]!] = src < 0 ? null : r.row[src];
      }
      out.push(new ScanRecord(base + i, ts, ChangeType.of(r.changeType), row));
    }
  }

  /** An empty table with the output schema. */
  emptyTable(): arrow.Table {
    return new arrow.Table(this.schema);
  }

  /** Column data of a wire batch in output order. */
  private columnsOf(batch: arrow.RecordBatch, variant?: SchemaVariant): arrow.Data[] {
    const children = batch.data.children as arrow.Data[];
    if (variant) {
      const fields = this.schema.fields;
      return variant.sources.map((src, k) => (src < 0 ? nullColumn(fields[k]!.type, batch.numRows) : children[src]!));
    }
    return this.select ? this.select.map((i) => children[i]!) : children;
  }

  /**
   * How batches of `schemaId` map to the output, or undefined when they are in the
   * reader's schema (Java `SchemaUtil.getIndexMapping`: columns are matched by column id; a
   * column the batch's schema lacks is null; a column whose type differs fails the batch).
   */
  private variantOf(schemaId: number): SchemaVariant | undefined {
    const reader = this.info.schema;
    if (!this.schemas || !reader || schemaId === this.info.schemaId) return undefined;
    let v = this.variants.get(schemaId);
    if (v) return v;
    const batchSchema = this.schemas.get(schemaId);
    if (!batchSchema) throw new Error(`the schema with id ${schemaId} is not known`);
    const batchIds = batchSchema.columns.map((c) => c.id);
    const positions = this.outputIndexes.map((i) => {
      const col = reader.columns[i]!;
      const q = batchIds.indexOf(col.id);
      if (q >= 0) {
        const other = batchSchema.columns[q]!;
        if (typeToString(withNullability(other.type, true)) !== typeToString(withNullability(col.type, true))) {
          throw new Error(
            `Expected datatype of column(id=${col.id},name=${col.name}) is [${typeToString(col.type)}], while the actual datatype is [${typeToString(other.type)}]`,
          );
        }
      }
      return q;
    });
    const batchRowType = batchSchema.rowType;
    if (this.format !== "ARROW") {
      v = { sources: positions, wireSchema: undefined, rowType: batchRowType };
    } else if (this.pushedDown) {
      // the server projects each batch by its own schema: the pushed-down positions it has
      const wire = this.pushedDown.filter((p) => p < batchRowType.fields.length);
      v = {
        sources: positions.map((q) => wire.indexOf(q)),
        wireSchema: canonicalSchema(toArrowSchema(rowTypeOf(wire.map((p) => batchRowType.fields[p]!)))),
        rowType: batchRowType,
      };
    } else {
      v = { sources: positions, wireSchema: canonicalSchema(toArrowSchema(batchRowType)), rowType: batchRowType };
    }
    this.variants.set(schemaId, v);
    return v;
  }

  /**
   * The batch of a drained entry as the server would have sent it: a whole ARROW batch of a
   * scan that pushes a projection down (read from remote storage) is projected here at the
   * byte level by its own schema id, as the server projects local batches
   * (`projectArrowLogRecords`: only the projected columns are decompressed later).
   */
  private wireView(d: DrainedBatch): LogBatchView {
    const pushed = this.pushedDown;
    if (!d.whole || !pushed || this.format !== "ARROW") return d.view;
    const view = d.view;
    const rowType =
      view.schemaId === this.info.schemaId || !this.schemas ? this.fullRowType : this.schemas.get(view.schemaId)?.rowType;
    if (!rowType) throw new Error(`the schema with id ${view.schemaId} is not known`);
    const n = rowType.fields.length;
    // a batch written before columns were added keeps the projected ones it has
    const fields = pushed.some((i) => i >= n) ? pushed.filter((i) => i < n) : pushed;
    return new LogBatchView(projectArrowLogBatch(view.bytes(), rowType, fields, fields !== pushed));
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
  private rowsToArrow(d: DrainedBatch, from: number, to: number, variant: SchemaVariant | undefined): DecodedArrowBatch | null {
    const rowType = variant?.rowType ?? this.fullRowType;
    const records = readIndexedLogRecords(d.view, rowType, this.format as "INDEXED" | "COMPACTED");
    const builder = new ArrowBatchBuilder(this.rowType);
    const pick = variant ? variant.sources : this.select;
    const n = this.rowType.fields.length;
    const changeTypes = new Uint8Array(to - from);
    let allAppend = true;
    for (let i = from; i < to; i++) {
      const r = records[i]!;
      const values = new Array<unknown>(n);
      for (let k = 0; k < n; k++) {
        const src = pick ? pick[k]! : k;
        values[k] = src < 0 ? null : r.row[src];
      }
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
