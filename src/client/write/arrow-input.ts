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
function sameArrowLayout(a: arrow.DataType, b: arrow.DataType): boolean {
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
  const have = new Set(schema.fields.map((f) => f.name));
  const want = new Set(fields.map((f) => f.name));
  const missing = fields.filter((f) => !have.has(f.name)).map((f) => `"${f.name}"`);
  const unknown = schema.fields.filter((f) => !want.has(f.name)).map((f) => `"${f.name}"`);
  if (schema.fields.length !== fields.length || missing.length || unknown.length) {
    throw FlussError.client(
      `Arrow data has ${schema.fields.length} fields (${schema.fields.map((f) => f.name).join(", ")}) but table ${tableName} ` +
        `has ${fields.length} columns (${fields.map((f) => f.name).join(", ")})` +
        (missing.length ? `; missing: ${missing.join(", ")}` : "") +
        (unknown.length ? `; not in the table: ${unknown.join(", ")}` : ""),
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
function decodeDictionaries(batch: arrow.RecordBatch): arrow.RecordBatch[] {
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

/**
 * Makes what apache-arrow users build fit the table, without copying what already fits:
 * dictionary columns decoded ({@link decodeDictionaries}); columns matched by name when the
 * batch has exactly the table's column names in another order (reordered by reference);
 * integer and floating-point columns of another numeric Arrow type (e.g. the Float64 that
 * `tableFromJSON` makes of JS numbers) cast to the column's type when every value fits
 * exactly, else a CLIENT_ERROR naming the column, the row and the first value that does not
 * fit. Anything else is left for {@link validateArrowSchema} to report.
 */
export function conformArrowBatch(batch: arrow.RecordBatch, rowType: RowType, tableName: string): arrow.RecordBatch[] {
  return decodeDictionaries(batch).map((b) => castNumericColumns(reorderByName(b, rowType), rowType, tableName));
}

function batchOf(fields: arrow.Field[], data: arrow.Data[], length: number, metadata: Map<string, string>): arrow.RecordBatch {
  const schema = new arrow.Schema(fields, metadata);
  return new arrow.RecordBatch(schema, arrow.makeData({ type: new arrow.Struct(fields), length, nullCount: 0, children: data }));
}

function reorderByName(batch: arrow.RecordBatch, rowType: RowType): arrow.RecordBatch {
  const given = batch.schema.fields;
  const names = rowType.fields.map((f) => f.name);
  if (given.length !== names.length || given.every((f, i) => f.name === names[i])) return batch;
  const index = new Map(given.map((f, i) => [f.name, i]));
  if (index.size !== given.length || names.some((n) => !index.has(n))) return batch;
  const order = names.map((n) => index.get(n)!);
  return batchOf(
    order.map((i) => given[i]!),
    order.map((i) => batch.data.children[i]!),
    batch.numRows,
    batch.schema.metadata,
  );
}

const INT_RANGES: Record<number, [bigint, bigint]> = {
  8: [-(2n ** 7n), 2n ** 7n - 1n],
  16: [-(2n ** 15n), 2n ** 15n - 1n],
  32: [-(2n ** 31n), 2n ** 31n - 1n],
  64: [-(2n ** 63n), 2n ** 63n - 1n],
};

/** The value `v` (a number or bigint read from a numeric Arrow column) as `target` holds it, or undefined if inexact. */
function exactNumeric(v: number | bigint, target: arrow.Int | arrow.Float): number | bigint | undefined {
  if (arrow.DataType.isInt(target)) {
    if (typeof v === "number" && !Number.isInteger(v)) return undefined;
    const b = BigInt(v);
    const [min, max] = INT_RANGES[target.bitWidth]!;
    if (b < min || b > max) return undefined;
    return target.bitWidth === 64 ? b : Number(b);
  }
  const n = Number(v);
  if (typeof v === "bigint" && BigInt(n) !== v) return undefined;
  if (target.precision === arrow.Precision.SINGLE && !Number.isNaN(n) && Math.fround(n) !== n) return undefined;
  return n;
}

function castNumericColumns(batch: arrow.RecordBatch, rowType: RowType, tableName: string): arrow.RecordBatch {
  const given = batch.schema.fields;
  const columns = rowType.fields;
  if (given.length !== columns.length) return batch;
  let fields: arrow.Field[] | undefined;
  let data: arrow.Data[] | undefined;
  for (let c = 0; c < columns.length; c++) {
    const f = given[c]!;
    const col = columns[c]!;
    if (f.name !== col.name) return batch;
    const target = toArrowType(col.type);
    const T = arrow.DataType;
    if (!(T.isInt(f.type) || T.isFloat(f.type)) || !(T.isInt(target) || T.isFloat(target))) continue;
    if (sameArrowLayout(f.type, target)) continue;
    const source = batch.getChildAt(c)!;
    const values = new Array<number | bigint | null>(batch.numRows);
    for (let r = 0; r < batch.numRows; r++) {
      const v = source.get(r) as number | bigint | null;
      if (v === null || v === undefined) {
        values[r] = null;
        continue;
      }
      const exact = exactNumeric(v, target as arrow.Int | arrow.Float);
      if (exact === undefined) {
        throw FlussError.client(
          `Arrow field "${f.name}" (${String(f.type)}) holds ${typeof v === "bigint" ? `${v}n` : String(v)} at row ${r}, ` +
            `which does not fit column "${col.name}" ${typeToString(col.type)} of table ${tableName} exactly`,
        );
      }
      values[r] = exact;
    }
    fields ??= [...given];
    data ??= [...batch.data.children];
    fields[c] = new arrow.Field(f.name, target, f.nullable, f.metadata);
    data[c] = arrow.vectorFromArray(values, target).data[0]!;
  }
  return fields && data ? batchOf(fields, data, batch.numRows, batch.schema.metadata) : batch;
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
