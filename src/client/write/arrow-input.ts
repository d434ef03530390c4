/**
 * Checks users' Arrow data against a table before it is written as-is: the bytes of an
 * Arrow batch are sent without a schema, so every column must have exactly the Arrow
 * layout the table's type maps to (formats.md §3.3).
 */
import * as arrow from "apache-arrow";
import { toArrowType } from "../../metadata/arrow-types.js";
import { type DataType, type RowType, typeToString } from "../../metadata/data-types.js";
import { FlussError } from "../../rpc/errors.js";

/** Whether two Arrow types have the same physical layout (names and time zones aside). */
export function sameArrowLayout(a: arrow.DataType, b: arrow.DataType): boolean {
  if (a.typeId !== b.typeId) return false;
  const T = arrow.DataType;
  if (T.isInt(a)) return a.bitWidth === (b as arrow.Int).bitWidth && a.isSigned === (b as arrow.Int).isSigned;
  if (T.isFloat(a)) return a.precision === (b as arrow.Float).precision;
  if (T.isDecimal(a)) {
    const d = b as arrow.Decimal;
    return a.precision === d.precision && a.scale === d.scale && a.bitWidth === d.bitWidth;
  }
  if (T.isFixedSizeBinary(a)) return a.byteWidth === (b as arrow.FixedSizeBinary).byteWidth;
  if (T.isDate(a)) return a.unit === (b as arrow.Date_).unit;
  if (T.isTime(a)) return a.unit === (b as arrow.Time).unit && a.bitWidth === (b as arrow.Time).bitWidth;
  if (T.isTimestamp(a)) return a.unit === (b as arrow.Timestamp).unit;
  const ac = a.children ?? [];
  const bc = b.children ?? [];
  if (ac.length !== bc.length) return false;
  for (let i = 0; i < ac.length; i++) if (!sameArrowLayout(ac[i]!.type, bc[i]!.type)) return false;
  return true;
}

/**
 * Validates an Arrow schema against the table's row type: same column count, names in
 * order, and Arrow types with the layout each column's type expects. Throws CLIENT_ERROR
 * naming the first offending field.
 */
export function validateArrowSchema(schema: arrow.Schema, rowType: RowType, tableName: string): void {
  const fields = rowType.fields;
  if (schema.fields.length !== fields.length) {
    throw FlussError.client(
      `Arrow data has ${schema.fields.length} fields (${schema.fields.map((f) => f.name).join(", ")}) but table ${tableName} ` +
        `has ${fields.length} columns (${fields.map((f) => f.name).join(", ")})`,
    );
  }
  for (let i = 0; i < fields.length; i++) {
    const col = fields[i]!;
    const f = schema.fields[i]!;
    if (f.name !== col.name) {
      throw FlussError.client(`Arrow field ${i} is named "${f.name}" but column ${i} of table ${tableName} is "${col.name}"`);
    }
    const expected = toArrowType(col.type);
    if (!sameArrowLayout(f.type, expected)) {
      throw FlussError.client(
        `Arrow field "${f.name}" has type ${String(f.type)} but column "${col.name}" of table ${tableName} is ` +
          `${typeToString(col.type)}, which needs Arrow type ${String(expected)}`,
      );
    }
  }
}

/**
 * Replaces dictionary-encoded top-level columns (what `arrow.tableFromArrays` makes of JS
 * strings) by plain vectors of their value type: the log format has no dictionaries.
 * Returns the batch itself when there is nothing to decode.
 */
export function decodeDictionaries(batch: arrow.RecordBatch): arrow.RecordBatch[] {
  const fields = batch.schema.fields;
  if (!fields.some((f) => arrow.DataType.isDictionary(f.type))) return [batch];
  const columns: Record<string, arrow.Vector> = {};
  const plainFields = fields.map((f, i) => {
    const col = batch.getChildAt(i)!;
    if (!arrow.DataType.isDictionary(f.type)) {
      columns[f.name] = col;
      return f;
    }
    const valueType = (f.type as arrow.Dictionary).dictionary;
    columns[f.name] = arrow.vectorFromArray(Array.from(col as Iterable<unknown>), valueType);
    return new arrow.Field(f.name, valueType, f.nullable, f.metadata);
  });
  return new arrow.Table(new arrow.Schema(plainFields, batch.schema.metadata), columns).batches;
}

/** Fails when a column the table declares NOT NULL holds nulls (a nullable Arrow field without nulls is fine). */
export function checkNotNullColumns(batch: arrow.RecordBatch, rowType: RowType, tableName: string): void {
  const fields = rowType.fields;
  for (let i = 0; i < fields.length; i++) {
    const t: DataType = fields[i]!.type;
    if (t.nullable) continue;
    const col = batch.getChildAt(i);
    if (col && col.nullCount > 0) {
      throw FlussError.client(
        `Arrow field "${fields[i]!.name}" has ${col.nullCount} null value(s) but column "${fields[i]!.name}" of table ${tableName} is NOT NULL`,
      );
    }
  }
}

/** The values of row `index` of a batch in column order (for the row-by-row path). */
export function arrowRowValues(batch: arrow.RecordBatch, index: number): unknown[] {
  const n = batch.numCols;
  const out = new Array<unknown>(n);
  for (let c = 0; c < n; c++) {
    const v: unknown = batch.getChildAt(c)?.get(index);
    out[c] = v === undefined ? null : v;
  }
  return out;
}
