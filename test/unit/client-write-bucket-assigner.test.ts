import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { goldenVectors } from "./helpers/golden.js";
import { DataTypes, type RowType } from "../../src/metadata/data-types.js";
import {
  KeyBucketAssigner,
  RoundRobinBucketAssigner,
  StickyBucketAssigner,
  createBucketAssigner,
} from "../../src/client/write/bucket-assigner.js";
import { bucketingFunction } from "../../src/row/bucketing.js";
import { lakeOrCompactedKeyEncoder as bucketKeyEncoder } from "../../src/row/key-encoding.js";
import { toHex } from "../../src/util/bytes.js";
import { goldenValue, parseType } from "./helpers/type-parse.js";

const vectors = goldenVectors("row-to-bucket");

describe("KeyBucketAssigner (golden row-to-bucket vectors)", () => {
  test("vectors exist", () => assert.ok(vectors.length > 10));
  for (const v of vectors) {
    test(v.id, () => {
      const keyTypes = (v.input.bucketKeyTypes as string[]).map(parseType);
      // put a non-key column first so the key columns are picked by name, not position
      const rowType: RowType = DataTypes.ROW([
        DataTypes.FIELD("payload", DataTypes.STRING()),
        ...keyTypes.map((t, i) => DataTypes.FIELD(`k${i}`, t)),
      ]);
      const keys = keyTypes.map((_, i) => `k${i}`);
      const lake = (v.input.lakeFormat as string | null) ?? undefined;
      const encoder = bucketKeyEncoder(rowType, keys, lake);
      const keyValues = (v.input.values as unknown[]).map((x, i) => goldenValue(keyTypes[i]!, x));
      assert.equal(toHex(encoder.encode(keyValues)), v.input.encodedKeyHex);
      const assigner = createBucketAssigner(
        { rowType, bucketKeys: keys, numBuckets: v.input.numBuckets as number, dataLakeFormat: lake },
        "sticky",
        () => undefined,
      );
      assert.ok(assigner instanceof KeyBucketAssigner);
      assert.equal(assigner.assign(["anything", ...keyValues], -1), v.expected);
      assert.equal(assigner.switchesOnFullBatch, false);
    });
  }

  test("null bucket key fails naming the column", () => {
    const rowType = DataTypes.ROW([DataTypes.FIELD("a", DataTypes.INT()), DataTypes.FIELD("b", DataTypes.STRING())]);
    const a = new KeyBucketAssigner(bucketKeyEncoder(rowType, ["b"], undefined), bucketingFunction(undefined), 4, rowType, ["b"]);
    assert.throws(() => a.assign([1, null]), /"b"/);
  });
});

describe("StickyBucketAssigner", () => {
  test("sticks to one bucket per partition until a batch fills, then moves to another", () => {
    const a = new StickyBucketAssigner(8, () => undefined);
    const first = a.assign([], -1);
    for (let i = 0; i < 100; i++) assert.equal(a.assign([], -1), first);
    a.onNewBatch(-1, first);
    const second = a.assign([], -1);
    assert.notEqual(second, first);
    // a stale notification for the old bucket does not move it again
    a.onNewBatch(-1, first);
    assert.equal(a.assign([], -1), second);
    // partitions are independent
    const p = a.assign([], 7);
    assert.ok(p >= 0 && p < 8);
  });

  test("prefers buckets with a leader", () => {
    const a = new StickyBucketAssigner(8, () => [2, 5]);
    for (let i = 0; i < 50; i++) {
      const b = a.assign([], -1);
      assert.ok(b === 2 || b === 5);
      a.onNewBatch(-1, b);
      assert.equal(a.assign([], -1), b === 2 ? 5 : 2);
    }
  });

  test("a single bucket is always chosen", () => {
    const a = new StickyBucketAssigner(1, () => undefined);
    assert.equal(a.assign([], -1), 0);
    a.onNewBatch(-1, 0);
    assert.equal(a.assign([], -1), 0);
  });

  test("is the default for keyless tables; round_robin on request", () => {
    const rowType = DataTypes.ROW([DataTypes.FIELD("a", DataTypes.INT())]);
    const info = { rowType, bucketKeys: [], numBuckets: 3, dataLakeFormat: undefined };
    assert.ok(createBucketAssigner(info, "sticky", () => undefined) instanceof StickyBucketAssigner);
    assert.ok(createBucketAssigner(info, "round_robin", () => undefined) instanceof RoundRobinBucketAssigner);
  });
});

describe("RoundRobinBucketAssigner", () => {
  test("cycles through all buckets", () => {
    const a = new RoundRobinBucketAssigner(4, () => undefined);
    const seen = Array.from({ length: 8 }, () => a.assign([], -1));
    assert.deepEqual([...new Set(seen)].sort(), [0, 1, 2, 3]);
    for (let i = 1; i < seen.length; i++) assert.equal(seen[i], (seen[i - 1]! + 1) % 4);
  });

  test("cycles through available buckets only", () => {
    const a = new RoundRobinBucketAssigner(4, () => [1, 3]);
    const seen = Array.from({ length: 6 }, () => a.assign([], -1));
    assert.ok(seen.every((b) => b === 1 || b === 3));
    assert.ok(seen.includes(1) && seen.includes(3));
  });
});
