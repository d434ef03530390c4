import { test } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
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
import {
  deserializeRoaring64,
  roaring64Of,
  roaring64Values,
  serializeRoaring64,
} from "../../src/server/kv/merge/aggregate/roaring64.js";

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
  assert.deepEqual(
    roaring32Values(deserializeRoaring32(withoutRuns)),
    values.sort((a, b) => a - b),
  );
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
  const a = hex(
    "01010000000000000004000000000000000000000000000000000001000000FE010000000102020000000A00140001000000000000000000000000000000",
  );
  const b = hex(
    "01010000000000000004000000000000000000000000000000000001000000FE0100000001020200000014001E0001000000000000000000000000000000",
  );
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

/**
 * The bitmaps of the Java reference run, from a fixed pseudo-random recipe: per case a list of
 * sets (32-bit: values up to 2^32-1 over few 16-bit keys, with sparse, run-like and dense
 * containers; 64-bit: up to 60 high keys spread to grow and split the radix tree), as value
 * strings. test/fixtures/roaring-java-unions.json holds the hashes Java wrote for them.
 */
function javaCases(): { bits: 32 | 64; sets: string[][] }[] {
  let seed = 777;
  const rnd = (): number => (seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32;
  const ri = (n: number): number => Math.floor(rnd() * n);
  const set32 = (dense: boolean): string[] => {
    const out = new Set<number>();
    for (let k = 0; k < 1 + ri(6); k++) {
      const high = ri(5) === 0 ? 65535 : ri(12);
      const mode = ri(dense ? 4 : 3);
      if (mode === 0) for (let i = 0; i < 1 + ri(12); i++) out.add(high * 65536 + ri(65536));
      else if (mode === 1) {
        const s = ri(65000);
        for (let v = s; v < s + 1 + ri(400); v++) out.add(high * 65536 + v);
      } else if (mode === 2) for (let v = ri(8); v < 64; v += 2) out.add(high * 65536 + v);
      else for (let i = 0; i < 4200; i++) out.add(high * 65536 + ri(65536));
    }
    return [...out].map(String);
  };
  const set64 = (): string[] => {
    const out = new Set<bigint>();
    const nkeys = [1, 3, 5, 14, 20, 60][ri(6)]!;
    const base = BigInt(ri(1 << 20)) << BigInt(ri(3) * 8 + 16);
    for (let k = 0; k < nkeys; k++) {
      const spread = ri(4);
      const high =
        spread === 0
          ? base + BigInt(k)
          : spread === 1
            ? BigInt(ri(2 ** 30)) << BigInt(ri(18))
            : spread === 2
              ? -(BigInt(ri(1000)) + 1n) >> 16n
              : (base ^ (BigInt(ri(256)) << 24n)) + BigInt(ri(256));
      const h = BigInt.asUintN(48, high);
      if (ri(2) === 0) for (let i = 0; i < 1 + ri(4); i++) out.add(BigInt.asIntN(64, (h << 16n) | BigInt(ri(65536))));
      else {
        const s = ri(60000);
        for (let v = s; v < s + 1 + ri(40); v++) out.add(BigInt.asIntN(64, (h << 16n) | BigInt(v)));
      }
    }
    return [...out].map(String);
  };
  const cases: { bits: 32 | 64; sets: string[][] }[] = [];
  for (let c = 0; c < 24; c++) cases.push({ bits: 32, sets: Array.from({ length: 2 + ri(3) }, () => set32(c < 2)) });
  for (let c = 0; c < 24; c++) cases.push({ bits: 64, sets: Array.from({ length: 2 + ri(4) }, () => set64()) });
  return cases;
}

test("rbm32 / rbm64 unions byte for byte as Java's RoaringBitmap writes them (48 folds, 32- and 64-bit)", () => {
  const fixture = JSON.parse(readFileSync(new URL("../fixtures/roaring-java-unions.json", import.meta.url), "utf8")) as {
    cases: { bits: number; inputs: string[]; unions: string[] }[];
  };
  const h = (b: Uint8Array): string => sha256(b).slice(0, 32);
  const cases = javaCases();
  assert.equal(cases.length, fixture.cases.length);
  let folds = 0;
  cases.forEach((c, i) => {
    const want = fixture.cases[i]!;
    assert.equal(c.bits, want.bits);
    const agg = createFieldAggregator(DataTypes.BYTES(), c.bits === 32 ? AggFunctions.RBM32() : AggFunctions.RBM64());
    const inputs = c.sets.map((set) =>
      c.bits === 32
        ? serializeRoaring32(runOptimizeRoaring32(roaring32Of(set.map(Number))))
        : serializeRoaring64(roaring64Of(set.map((v) => BigInt(v)))),
    );
    assert.deepEqual(inputs.map(h), want.inputs, `case ${i}: inputs`);
    let acc = inputs[0]!;
    for (let j = 1; j < inputs.length; j++, folds++) {
      acc = agg.agg(acc, inputs[j]!) as Uint8Array;
      assert.equal(h(acc), want.unions[j - 1], `case ${i} (${c.bits}-bit), union ${j}`);
    }
  });
  assert.ok(folds > 90, `${folds} unions checked`);
});
