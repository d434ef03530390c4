import { test } from "node:test";
import assert from "node:assert/strict";
import { DataTypes, notNull, type DataType } from "../../src/metadata/data-types.js";
import { type AggFunction, AggFunctions } from "../../src/metadata/agg-function.js";
import { Decimal, Timestamp } from "../../src/row/values.js";
import { ErrorCode, FlussError } from "../../src/rpc/errors.js";
import { AggregateRowMerger } from "../../src/server/kv/merge/aggregate/aggregate-merger.js";
import { createFieldAggregator } from "../../src/server/kv/merge/aggregate/factories.js";

/** Folds `values` through the column aggregator like successive upserts of one key. */
function fold(type: DataType, fn: AggFunction, ...values: unknown[]): unknown {
  const agg = createFieldAggregator(type, fn);
  let acc = values[0];
  for (const v of values.slice(1)) acc = agg.agg(acc, v);
  return acc;
}

const dec = (s: string, scale: number): Decimal => Decimal.from(s, scale);

test("sum: every numeric type with Java's overflow rules, nulls skipped", () => {
  assert.equal(fold(DataTypes.TINYINT(), AggFunctions.SUM(), 100, 27), 127);
  assert.equal(fold(DataTypes.TINYINT(), AggFunctions.SUM(), 100, 28), -128, "byte wraps");
  assert.equal(fold(DataTypes.SMALLINT(), AggFunctions.SUM(), 32767, 1), -32768);
  assert.equal(fold(DataTypes.INT(), AggFunctions.SUM(), 2147483647, 1), -2147483648);
  assert.equal(fold(DataTypes.BIGINT(), AggFunctions.SUM(), 2n ** 63n - 1n, 1n), -(2n ** 63n));
  const [f1, f2] = [Math.fround(0.1), Math.fround(0.2)];
  assert.equal(fold(DataTypes.FLOAT(), AggFunctions.SUM(), f1, f2), Math.fround(f1 + f2), "single-precision result");
  assert.notEqual(Math.fround(f1 + f2), f1 + f2);
  assert.equal(fold(DataTypes.DOUBLE(), AggFunctions.SUM(), 0.5, 0.25), 0.75);
  assert.deepEqual(fold(DataTypes.DECIMAL(10, 2), AggFunctions.SUM(), dec("1.25", 2), dec("2.50", 2)), dec("3.75", 2));
  // compact decimals (precision <= 18) add as longs without a precision check, as Java
  assert.deepEqual(fold(DataTypes.DECIMAL(5, 2), AggFunctions.SUM(), dec("999.99", 2), dec("999.99", 2)), dec("1999.98", 2));
  // a long overflow falls back to BigDecimal, which no longer fits: null
  assert.equal(fold(DataTypes.DECIMAL(18, 0), AggFunctions.SUM(), new Decimal(2n ** 63n - 1n, 0), new Decimal(1n, 0)), null);
  // wide decimals: null once the precision is exceeded
  assert.equal(fold(DataTypes.DECIMAL(20, 0), AggFunctions.SUM(), new Decimal(10n ** 20n - 1n, 0), new Decimal(1n, 0)), null);
  assert.deepEqual(
    fold(DataTypes.DECIMAL(20, 0), AggFunctions.SUM(), new Decimal(10n ** 19n, 0), new Decimal(1n, 0)),
    new Decimal(10n ** 19n + 1n, 0),
  );
  // nulls
  assert.equal(fold(DataTypes.INT(), AggFunctions.SUM(), null, 5), 5);
  assert.equal(fold(DataTypes.INT(), AggFunctions.SUM(), 5, null), 5);
  assert.equal(fold(DataTypes.INT(), AggFunctions.SUM(), null, null), null);
  assert.equal(fold(DataTypes.INT(), AggFunctions.SUM(), 1, 2, null, 3), 6);
});

test("product: every numeric type; DECIMAL rounds HALF_UP to the column scale", () => {
  assert.equal(fold(DataTypes.TINYINT(), AggFunctions.PRODUCT(), 16, 8), -128);
  assert.equal(fold(DataTypes.SMALLINT(), AggFunctions.PRODUCT(), 256, 128), -32768);
  assert.equal(fold(DataTypes.INT(), AggFunctions.PRODUCT(), 65536, 65536), 0, "int wraps");
  assert.equal(fold(DataTypes.INT(), AggFunctions.PRODUCT(), 123456789, 987654321), Math.imul(123456789, 987654321));
  assert.equal(fold(DataTypes.BIGINT(), AggFunctions.PRODUCT(), 2n ** 62n, 4n), 0n);
  assert.equal(fold(DataTypes.FLOAT(), AggFunctions.PRODUCT(), 1.5, 2.5), 3.75);
  assert.equal(fold(DataTypes.DOUBLE(), AggFunctions.PRODUCT(), 3, -2), -6);
  assert.deepEqual(
    fold(DataTypes.DECIMAL(10, 2), AggFunctions.PRODUCT(), dec("1.25", 2), dec("1.01", 2)),
    dec("1.26", 2),
    "1.2625 → 1.26",
  );
  assert.deepEqual(
    fold(DataTypes.DECIMAL(10, 2), AggFunctions.PRODUCT(), dec("1.25", 2), dec("1.02", 2)),
    dec("1.28", 2),
    "1.275 → 1.28 (half up)",
  );
  assert.deepEqual(
    fold(DataTypes.DECIMAL(10, 2), AggFunctions.PRODUCT(), dec("-1.25", 2), dec("1.02", 2)),
    dec("-1.28", 2),
    "away from zero",
  );
  assert.equal(
    fold(DataTypes.DECIMAL(4, 2), AggFunctions.PRODUCT(), dec("50.00", 2), dec("50.00", 2)),
    null,
    "2500.00 does not fit DECIMAL(4, 2)",
  );
  assert.equal(fold(DataTypes.INT(), AggFunctions.PRODUCT(), null, 7), 7);
  assert.equal(fold(DataTypes.INT(), AggFunctions.PRODUCT(), 7, null), 7);
});

test("max / min: numeric, string (UTF-8 order), temporal; ties keep Java's side", () => {
  assert.equal(fold(DataTypes.INT(), AggFunctions.MAX(), 3, 9, 1), 9);
  assert.equal(fold(DataTypes.INT(), AggFunctions.MIN(), 3, 9, 1), 1);
  assert.equal(fold(DataTypes.BIGINT(), AggFunctions.MAX(), -5n, 2n), 2n);
  assert.equal(fold(DataTypes.DOUBLE(), AggFunctions.MAX(), 1, NaN), NaN, "NaN is the largest (Double.compare)");
  assert.ok(Object.is(fold(DataTypes.DOUBLE(), AggFunctions.MIN(), 0, -0), -0), "-0.0 below 0.0");
  assert.deepEqual(fold(DataTypes.DECIMAL(10, 3), AggFunctions.MAX(), dec("1.500", 3), dec("1.499", 3)), dec("1.500", 3));
  // code-point order: U+FFFD (BMP) sorts below U+1F600 (supplementary), unlike UTF-16 order
  assert.equal(fold(DataTypes.STRING(), AggFunctions.MAX(), "\uFFFD", "\u{1F600}"), "\u{1F600}");
  assert.equal(fold(DataTypes.STRING(), AggFunctions.MIN(), "b", "ab", "abc"), "ab");
  assert.equal(fold(DataTypes.CHAR(3), AggFunctions.MAX(), "abc", "abd"), "abd");
  const d1 = new Date(Date.UTC(2024, 0, 1));
  const d2 = new Date(Date.UTC(2024, 0, 2));
  assert.equal(fold(DataTypes.DATE(), AggFunctions.MAX(), d1, d2), d2);
  assert.equal(fold(DataTypes.TIME(3), AggFunctions.MIN(), 5000, 4000), 4000);
  const t1 = new Timestamp(1000, 1);
  const t2 = new Timestamp(1000, 2);
  assert.equal(fold(DataTypes.TIMESTAMP(9), AggFunctions.MAX(), t2, t1), t2);
  assert.equal(fold(DataTypes.TIMESTAMP_LTZ(9), AggFunctions.MIN(), t2, t1), t1);
  // ties: max keeps the stored value, min takes the incoming one (acc < input ? acc : input)
  const a = new Timestamp(5, 0);
  const b = new Timestamp(5, 0);
  assert.equal(fold(DataTypes.TIMESTAMP(3), AggFunctions.MAX(), a, b), a);
  assert.equal(fold(DataTypes.TIMESTAMP(3), AggFunctions.MIN(), a, b), b);
  assert.equal(fold(DataTypes.INT(), AggFunctions.MAX(), null, 4, null), 4);
});

test("value selection: last_value keeps nulls, the others skip them; first_value behaves as in Java", () => {
  const t = DataTypes.STRING();
  assert.equal(fold(t, AggFunctions.LAST_VALUE(), "a", "b"), "b");
  assert.equal(fold(t, AggFunctions.LAST_VALUE(), "a", null), null);
  assert.equal(fold(t, AggFunctions.LAST_VALUE_IGNORE_NULLS(), "a", null), "a");
  assert.equal(fold(t, AggFunctions.LAST_VALUE_IGNORE_NULLS(), "a", "b"), "b");
  assert.equal(fold(t, AggFunctions.FIRST_VALUE(), "a", "b"), "a");
  assert.equal(fold(t, AggFunctions.FIRST_VALUE(), null, "b"), "b", "a stored null is 'nothing yet' (FieldFirstValueAgg)");
  assert.equal(fold(t, AggFunctions.FIRST_VALUE_IGNORE_NULLS(), null, "b", "c"), "b");
  assert.equal(fold(t, AggFunctions.FIRST_VALUE_IGNORE_NULLS(), "a", null), "a");
  const arr = DataTypes.ARRAY(DataTypes.INT());
  assert.deepEqual(fold(arr, AggFunctions.LAST_VALUE(), [1], [2, 3]), [2, 3], "any type");
});

test("listagg / string_agg, bool_and / bool_or", () => {
  assert.equal(fold(DataTypes.STRING(), AggFunctions.LISTAGG(), "a", "b", null, "c"), "a,b,c");
  assert.equal(fold(DataTypes.STRING(), AggFunctions.LISTAGG(" | "), null, "a", "b"), "a | b");
  assert.equal(fold(DataTypes.STRING(), AggFunctions.STRING_AGG(";"), "x", "y"), "x;y");
  assert.throws(
    () => createFieldAggregator(DataTypes.CHAR(3), AggFunctions.LISTAGG()),
    /Data type for listagg column must be 'StringType' but was 'CHAR\(3\)'\./,
  );
  assert.equal(fold(DataTypes.BOOLEAN(), AggFunctions.BOOL_AND(), true, true, null), true);
  assert.equal(fold(DataTypes.BOOLEAN(), AggFunctions.BOOL_AND(), true, false, true), false);
  assert.equal(fold(DataTypes.BOOLEAN(), AggFunctions.BOOL_OR(), false, null, false), false);
  assert.equal(fold(DataTypes.BOOLEAN(), AggFunctions.BOOL_OR(), false, true), true);
  assert.equal(fold(DataTypes.BOOLEAN(), AggFunctions.BOOL_OR(), null, null), null);
  assert.throws(
    () => createFieldAggregator(DataTypes.INT(), AggFunctions.BOOL_OR()),
    /Data type for bool_or column must be 'BooleanType' but was 'INT'\./,
  );
  assert.throws(
    () => createFieldAggregator(DataTypes.STRING(), AggFunctions.SUM()),
    /Data type for sum column must be 'NumericType' but was 'STRING'\./,
  );
  assert.throws(
    () => createFieldAggregator(DataTypes.STRING(), AggFunctions.RBM32()),
    /Data type for rbm32 column must be 'BytesType'/,
  );
});

// ---------------------------------------------------------------- the row merger

const COLUMNS = DataTypes.ROW([
  DataTypes.FIELD("id", notNull(DataTypes.INT())),
  DataTypes.FIELD("total", DataTypes.BIGINT()),
  DataTypes.FIELD("hi", DataTypes.INT()),
  DataTypes.FIELD("tags", DataTypes.STRING()),
  DataTypes.FIELD("note", DataTypes.STRING()),
]);
const FUNCTIONS = [undefined, AggFunctions.SUM(), AggFunctions.MAX(), AggFunctions.LISTAGG(), undefined];

test("aggregation merger: first write stored as is, then per-column functions (key: last_value, default: last_value_ignore_nulls)", () => {
  const m = new AggregateRowMerger({ rowType: COLUMNS, primaryKeyIndexes: [0], aggFunctions: FUNCTIONS }, undefined);
  assert.equal(m.deleteBehavior, "IGNORE");
  const first = [1, 10n, 3, "a", "n1"];
  assert.equal(m.merge(null, first), first);
  const merged = m.merge(first, [1, 5n, 2, "b", null]);
  assert.deepEqual(merged, [1, 15n, 3, "a,b", "n1"]);
  assert.notEqual(merged, first, "a merged row is always new (Java writes -U/+U even if equal)");
  assert.deepEqual(m.merge(merged, [1, null, 9, null, "n2"]), [1, 15n, 9, "a,b", "n2"]);
  assert.equal(m.delete(first), null, "a delete (when ALLOW) removes the whole row");
  assert.equal(
    new AggregateRowMerger({ rowType: COLUMNS, primaryKeyIndexes: [0], aggFunctions: FUNCTIONS }, "ALLOW").deleteBehavior,
    "ALLOW",
  );
});

test("aggregation merger: partial update aggregates the target columns and keeps the rest", () => {
  const m = new AggregateRowMerger({ rowType: COLUMNS, primaryKeyIndexes: [0], aggFunctions: FUNCTIONS }, "ALLOW");
  assert.equal(m.withTargetColumns(undefined), m);
  const p = m.withTargetColumns([0, 1]);
  assert.equal(p.deleteBehavior, "ALLOW");
  const stored = [1, 10n, 3, "a", "n1"];
  assert.deepEqual(p.merge(stored, [1, 5n, null, null, null]), [1, 15n, 3, "a", "n1"]);
  // non-target columns keep their stored value even when the incoming row has one
  assert.deepEqual(p.merge(stored, [1, 5n, 99, "zzz", "other"]), [1, 15n, 3, "a", "n1"]);
  const fresh = [2, 5n, null, null, null];
  assert.equal(p.merge(null, fresh), fresh, "first write: the incoming row");
  // partial delete: target columns (but not the key) are nulled while other values remain
  assert.deepEqual(p.delete(stored), [1, null, 3, "a", "n1"]);
  // nothing left outside the targets: the row is removed
  assert.equal(p.delete([1, 10n, null, null, null]), null);
  assert.throws(() => p.withTargetColumns([0]), /does not support reconfigure/);
});

test("aggregation merger: partial update checks (INVALID_TARGET_COLUMN)", () => {
  const m = new AggregateRowMerger({ rowType: COLUMNS, primaryKeyIndexes: [0], aggFunctions: FUNCTIONS }, undefined);
  assert.throws(
    () => m.withTargetColumns([1, 2]),
    (e: unknown) =>
      e instanceof FlussError &&
      e.code === ErrorCode.INVALID_TARGET_COLUMN &&
      e.message === "The target write columns must contain the primary key columns [id].",
  );
  const notNullCol = DataTypes.ROW([
    DataTypes.FIELD("id", notNull(DataTypes.INT())),
    DataTypes.FIELD("n", notNull(DataTypes.BIGINT())),
  ]);
  const m2 = new AggregateRowMerger(
    { rowType: notNullCol, primaryKeyIndexes: [0], aggFunctions: [undefined, AggFunctions.SUM()] },
    undefined,
  );
  assert.throws(
    () => m2.withTargetColumns([0, 1]),
    (e: unknown) =>
      e instanceof FlussError &&
      e.code === ErrorCode.INVALID_TARGET_COLUMN &&
      e.message === "Partial aggregate requires all columns except primary key to be nullable, but column n is NOT NULL.",
  );
  // full updates of that table are fine
  assert.deepEqual(m2.merge([1, 1n], [1, 2n]), [1, 3n]);
});

test("aggregation merger: a function the factory refuses fails the first merge, not the first insert (as Java)", () => {
  const rt = DataTypes.ROW([DataTypes.FIELD("id", notNull(DataTypes.INT())), DataTypes.FIELD("c", DataTypes.CHAR(2))]);
  const m = new AggregateRowMerger(
    { rowType: rt, primaryKeyIndexes: [0], aggFunctions: [undefined, AggFunctions.LISTAGG()] },
    undefined,
  );
  const first = [1, "ab"];
  assert.equal(m.merge(null, first), first);
  assert.throws(() => m.merge(first, [1, "cd"]), /Data type for listagg column must be 'StringType' but was 'CHAR\(2\)'/);
});
