import { test } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { DataTypes } from "../../src/metadata/data-types.js";
import { AggFunctions } from "../../src/metadata/agg-function.js";
import { createFieldAggregator } from "../../src/server/kv/merge/aggregate/factories.js";
import {
  deserializeRoaring32,
  roaring32Of,
  roaring32Values,
  runOptimizeRoaring32,
  serializeRoaring32,
} from "../../src/server/kv/merge/aggregate/roaring32.js";
import { deserializeRoaring64, roaring64Of, roaring64Values, serializeRoaring64 } from "../../src/server/kv/merge/aggregate/roaring64.js";

const sha256 = (b: Uint8Array): string => createHash("sha256").update(b).digest("hex");
const hex = (s: string): Uint8Array => Uint8Array.from(Buffer.from(s.replace(/\s/g, ""), "hex"));
const toHex = (b: Uint8Array): string => Buffer.from(b).toString("hex").toUpperCase();

test("rbm32: the portable format byte for byte (RoaringBitmap's bitmapwithoutruns.bin / bitmapwithruns.bin)", () => {
  // the recipe of RoaringBitmap's SerializeToDiskExample; the hashes are those of the two files
  // the Java library wrote from it (roaringbitmap/src/test/resources/testdata)
  const values: number[] = [];
  for (let k = 0; k < 100000; k += 1000) values.push(k);
  for (let k = 100000; k < 200000; ++k) values.push(3 * k);
  for (let k = 700000; k < 800000; ++k) values.push(k);
  const rb = roaring32Of(values);
  const withoutRuns = serializeRoaring32(rb);
  assert.equal(sha256(withoutRuns), "d719ae2e0150a362ef7cf51c361527585891f01460b1a92bcfb6a7257282a442");
  const withRuns = serializeRoaring32(runOptimizeRoaring32(rb));
  assert.equal(sha256(withRuns), "1f1909bfdd354fa2f0694fe88b8076833ca5383ad9fc3f68f2709c84a2ab70e3");
  // both read back to the same values; re-serializing is the identity
  assert.deepEqual(roaring32Values(deserializeRoaring32(withoutRuns)), values.sort((a, b) => a - b));
  assert.equal(toHex(serializeRoaring32(deserializeRoaring32(withRuns))), toHex(withRuns));
});

test("rbm32 aggregation: union, run-optimized, nulls skipped, bad bytes fail", () => {
  const agg = createFieldAggregator(DataTypes.BYTES(), AggFunctions.RBM32());
  const a = serializeRoaring32(runOptimizeRoaring32(roaring32Of([1, 2])));
  const b = serializeRoaring32(runOptimizeRoaring32(roaring32Of([2, 3])));
  const u = agg.agg(a, b) as Uint8Array;
  assert.deepEqual(roaring32Values(deserializeRoaring32(u)), [1, 2, 3]);
  // {1,2,3} as an array container (6 bytes, same as a run): no run cookie
  assert.equal(toHex(u), "3A30000001000000000002001000000001000200 0300".replace(/\s/g, ""));
  // a long range becomes a run container
  const r = agg.agg(serializeRoaring32(roaring32Of(Array.from({ length: 100 }, (_, i) => i))), b) as Uint8Array;
  assert.equal(toHex(r), "3B3000000100006300010000006300".replace(/\s/g, ""));
  // across keys and with a bitmap container
  const big = Array.from({ length: 5000 }, (_, i) => i * 2 + 65536 * 3);
  const m = agg.agg(serializeRoaring32(roaring32Of(big)), serializeRoaring32(roaring32Of([7, 2 ** 32 - 1]))) as Uint8Array;
  assert.deepEqual(roaring32Values(deserializeRoaring32(m)), [7, ...big, 2 ** 32 - 1]);
  assert.equal(agg.agg(null, a), a);
  assert.equal(agg.agg(a, null), a);
  assert.throws(() => agg.agg(Uint8Array.of(1, 2, 3, 4, 5), a), /Unable to se\/deserialize roaring bitmap/);
});

test("rbm64: Java's Roaring64Bitmap bytes (the Fluss docs' {10,20} ∪ {20,30} example)", () => {
  const agg = createFieldAggregator(DataTypes.BYTES(), AggFunctions.RBM64());
  const a = hex("01010000000000000004000000000000000000000000000000000001000000FE010000000102020000000A00140001000000000000000000000000000000");
  const b = hex("01010000000000000004000000000000000000000000000000000001000000FE0100000001020200000014001E0001000000000000000000000000000000");
  assert.equal(toHex(serializeRoaring64(roaring64Of([10n, 20n]))), toHex(a));
  assert.equal(
    toHex(agg.agg(a, b) as Uint8Array),
    "01010000000000000004000000000000000000000000000000000001000000FE010000000102030000000A0014001E0001000000000000000000000000000000",
  );
  assert.equal(agg.agg(null, b), b);
});

test("rbm64: many high keys grow the radix tree (Node4 → Node16 → Node48 → Node256) and survive a round trip", () => {
  const agg = createFieldAggregator(DataTypes.BYTES(), AggFunctions.RBM64());
  let acc = serializeRoaring64(roaring64Of([1n]));
  const expected = new Set<bigint>([1n]);
  // 300 distinct high keys under one parent byte, plus keys that split prefixes
  for (let i = 0; i < 300; i++) {
    const vs = [BigInt(i) << 16n, (BigInt(i) << 40n) | 5n, -BigInt(i + 1)];
    for (const v of vs) expected.add(v);
    acc = agg.agg(acc, serializeRoaring64(roaring64Of(vs))) as Uint8Array;
  }
  const values = roaring64Values(deserializeRoaring64(acc));
  const sortUnsigned = (x: bigint, y: bigint): number => {
    const ux = BigInt.asUintN(64, x);
    const uy = BigInt.asUintN(64, y);
    return ux < uy ? -1 : ux > uy ? 1 : 0;
  };
  assert.deepEqual(values, [...expected].sort(sortUnsigned));
  assert.equal(toHex(serializeRoaring64(deserializeRoaring64(acc))), toHex(acc));
  assert.equal(toHex(serializeRoaring64(deserializeRoaring64(Uint8Array.of(0)))), "00", "empty bitmap");
  assert.throws(() => agg.agg(Uint8Array.of(1, 1), acc), /Unable to se\/deserialize roaring bitmap/);
});
