import { test } from "node:test";
import assert from "node:assert/strict";
import { DataTypes, notNull, type DataType, type RowType } from "../../src/metadata/data-types.js";
import { AggFunctions } from "../../src/metadata/agg-function.js";
import { Schema } from "../../src/metadata/schema.js";
import { schemaToJson } from "../../src/metadata/json.js";
import { Timestamp } from "../../src/row/values.js";
import { ErrorCode, FlussError } from "../../src/rpc/errors.js";
import { createEngineMerger } from "../../src/server/kv/merge/engine-merger.js";
import { FirstRowMerger } from "../../src/server/kv/merge/first-row-merger.js";
import { VersionedMerger } from "../../src/server/kv/merge/versioned-merger.js";
import { AggregateRowMerger } from "../../src/server/kv/merge/aggregate/aggregate-merger.js";
import type { MergeSpec } from "../../src/server/kv/merge/row-merger.js";

function rowType(...fields: [string, DataType][]): RowType {
  return DataTypes.ROW(fields.map(([name, type]) => DataTypes.FIELD(name, type)));
}

function specOf(schema: Schema, properties: Record<string, string>): MergeSpec {
  return {
    rowType: schema.rowType,
    primaryKeyIndexes: schema.primaryKeyIndexes,
    properties,
    schemaJson: JSON.parse(schemaToJson(schema)),
  };
}

const isServerError =
  (re: RegExp) =>
  (e: unknown): boolean =>
    e instanceof FlussError && e.code === ErrorCode.UNKNOWN_SERVER_ERROR && re.test(e.message);

test("first_row keeps the first row: later upserts return the stored row itself", () => {
  const m = new FirstRowMerger(undefined);
  const first = [1, "a"];
  assert.equal(m.merge(null, first), first);
  const second = [1, "b"];
  assert.equal(m.merge(first, second), first, "the very old row = no change");
  assert.equal(m.deleteBehavior, "IGNORE");
  assert.equal(new FirstRowMerger("DISABLE").deleteBehavior, "DISABLE");
  assert.throws(() => new FirstRowMerger("ALLOW"), /DELETE is not supported for the first_row merge engine/);
  assert.throws(() => m.delete(first), isServerError(/DELETE is not supported for the first_row merge engine/));
  assert.equal(m.withTargetColumns(undefined), m);
  assert.throws(
    () => m.withTargetColumns([0, 1]),
    isServerError(/^Partial update is not supported for the first_row merge engine\.$/),
  );
});

test("versioned keeps the row with the larger or equal version; null is the smallest", () => {
  const rt = rowType(["id", notNull(DataTypes.INT())], ["v", DataTypes.BIGINT()], ["name", DataTypes.STRING()]);
  const m = new VersionedMerger(rt, "v", undefined);
  const r5 = [1, 5n, "five"];
  assert.equal(m.merge(null, r5), r5);
  const r4 = [1, 4n, "four"];
  assert.equal(m.merge(r5, r4), r5, "older version ignored");
  const r5b = [1, 5n, "five again"];
  assert.equal(m.merge(r5, r5b), r5b, "equal version wins");
  const r6 = [1, 6n, "six"];
  assert.equal(m.merge(r5, r6), r6);
  const rNull = [1, null, "null"];
  assert.equal(m.merge(r5, rNull), r5, "null version is the smallest");
  assert.equal(m.merge(rNull, r4), r4);
  assert.equal(m.merge(rNull, [1, null, "x"])[2], "x", "null vs null: equal, new wins");
  // Long.MIN_VALUE equals a null version
  const rMin = [1, -(2n ** 63n), "min"];
  assert.equal(m.merge(rMin, rNull), rNull);
  assert.equal(m.deleteBehavior, "IGNORE");
  assert.throws(() => new VersionedMerger(rt, "v", "ALLOW"), /DELETE is not supported for the versioned merge engine/);
  assert.throws(() => m.delete(r5), isServerError(/DELETE is not supported for the versioned merge engine/));
  assert.throws(
    () => m.withTargetColumns([0, 1]),
    isServerError(/Partial update is not supported for the versioned merge engine/),
  );
});

test("versioned on INT, TIMESTAMP and TIMESTAMP_LTZ; other types are refused", () => {
  const intM = new VersionedMerger(rowType(["id", DataTypes.INT()], ["v", DataTypes.INT()]), "v", "IGNORE");
  const a = [1, 10];
  assert.equal(intM.merge(a, [1, 9]), a);
  assert.deepEqual(intM.merge(a, [1, 11]), [1, 11]);
  assert.equal(intM.merge(a, [1, null]), a);
  for (const t of [DataTypes.TIMESTAMP(9), DataTypes.TIMESTAMP_LTZ(9)]) {
    const m = new VersionedMerger(rowType(["id", DataTypes.INT()], ["ts", t]), "ts", "DISABLE");
    const old = [1, new Timestamp(1000, 500)];
    assert.equal(m.merge(old, [1, new Timestamp(1000, 499)]), old, "nanos decide within a millisecond");
    const newer = [1, new Timestamp(1000, 501)];
    assert.equal(m.merge(old, newer), newer);
    assert.equal(m.merge(old, [1, null]), old);
    assert.equal(m.deleteBehavior, "DISABLE");
  }
  assert.throws(
    () => new VersionedMerger(rowType(["id", DataTypes.INT()], ["v", DataTypes.STRING()]), "v", undefined),
    /The version column 'v' for versioned merge engine must be one type of \[INT, BIGINT, TIMESTAMP, TIMESTAMP_LTZ\], but is STRING\./,
  );
  assert.throws(
    () => new VersionedMerger(rowType(["id", DataTypes.INT()]), "nope", undefined),
    /The version column 'nope' for versioned merge engine doesn't exist in schema\./,
  );
});

test("createEngineMerger dispatches on table.merge-engine (case-insensitive); none → undefined", () => {
  const schema = Schema.builder()
    .column("id", DataTypes.INT())
    .column("v", DataTypes.BIGINT())
    .column("total", DataTypes.BIGINT(), { aggFunction: AggFunctions.SUM() })
    .primaryKey("id")
    .build();
  assert.equal(createEngineMerger(specOf(schema, {})), undefined);
  assert.ok(createEngineMerger(specOf(schema, { "table.merge-engine": "first_row" })) instanceof FirstRowMerger);
  const v = createEngineMerger(
    specOf(schema, {
      "table.merge-engine": "VERSIONED",
      "table.merge-engine.versioned.ver-column": "v",
      "table.delete.behavior": "disable",
    }),
  );
  assert.ok(v instanceof VersionedMerger);
  assert.equal(v.deleteBehavior, "DISABLE");
  assert.throws(
    () => createEngineMerger(specOf(schema, { "table.merge-engine": "versioned" })),
    /'table.merge-engine.versioned.ver-column' must be set for versioned merge engine\./,
  );
  const agg = createEngineMerger(specOf(schema, { "table.merge-engine": "aggregation", "table.delete.behavior": "ALLOW" }))!;
  assert.ok(agg instanceof AggregateRowMerger);
  assert.equal(agg.deleteBehavior, "ALLOW");
  // the SUM declared in the schema JSON is used; v falls back to last_value_ignore_nulls
  assert.deepEqual(agg.merge([1, 7n, 10n], [1, null, 5n]), [1, 7n, 15n]);
});
