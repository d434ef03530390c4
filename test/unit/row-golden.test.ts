import { test } from "node:test";
import assert from "node:assert/strict";
import { goldenVectors } from "./helpers/golden.js";
import { fromHex, toHex } from "../../src/util/bytes.js";
import { IndexedRowDecoder, IndexedRowEncoder } from "../../src/row/indexed-row.js";
import { CompactedRowDecoder, CompactedRowEncoder } from "../../src/row/compacted-row.js";
import { CompactedKeyDecoder, CompactedKeyEncoder } from "../../src/row/compacted-key.js";
import { flussHashBytes, murmur3Hash32, murmurHashInt } from "../../src/row/murmur.js";
import { bucketingFunction } from "../../src/row/bucketing.js";
import { HudiKeyEncoder, IcebergKeyEncoder, PaimonKeyEncoder } from "../../src/row/lake-keys.js";
import { DataTypes, type DataType } from "../../src/metadata/data-types.js";
import { goldenValue, parseField, parseType } from "./helpers/type-parse.js";

const ofKind = goldenVectors;

/** Key types and key values of a key vector (keyTypes/values or rowType/row/keyFields). */
function keyInput(input: Record<string, unknown>): { types: DataType[]; values: unknown[]; names: string[] } {
  if (input.keyTypes) {
    const types = (input.keyTypes as string[]).map(parseType);
    const values = (input.values as unknown[]).map((v, i) => goldenValue(types[i]!, v));
    return { types, values, names: types.map((_, i) => `k${i}`) };
  }
  if (input.keyType) {
    const t = parseType(input.keyType as string);
    return { types: [t], values: [goldenValue(t, input.value)], names: ["k"] };
  }
  const fields = (input.rowType as string[]).map(parseField);
  const row = input.row as unknown[];
  const idx = input.keyFields
    ? (input.keyFields as string[]).map((n) => fields.findIndex((f) => f.name === n))
    : (input.keyFieldIndexes as number[]);
  return {
    types: idx.map((i) => fields[i]!.type),
    values: idx.map((i) => goldenValue(fields[i]!.type, row[i])),
    names: idx.map((i) => fields[i]!.name),
  };
}

for (const [kind, Enc, Dec] of [
  ["indexed-row", IndexedRowEncoder, IndexedRowDecoder],
  ["compacted-row", CompactedRowEncoder, CompactedRowDecoder],
] as const) {
  for (const v of ofKind(kind)) {
    test(`golden ${v.id}`, () => {
      const types = (v.input.types as string[]).map(parseType);
      const values = (v.input.values as unknown[]).map((x, i) => goldenValue(types[i]!, x));
      const enc = new Enc(types);
      assert.equal(toHex(enc.encode(values)), v.expected);
      const decoded = new Dec(types).decode(fromHex(v.expected as string));
      assert.deepEqual(decoded, values);
    });
  }
}

for (const v of ofKind("compacted-key")) {
  test(`golden ${v.id}`, () => {
    const { types, values } = keyInput(v.input);
    const bytes = new CompactedKeyEncoder(types).encode(values);
    assert.equal(toHex(bytes), v.expected);
    assert.deepEqual(new CompactedKeyDecoder(types).decode(bytes), values);
  });
}

for (const v of ofKind("murmur-hash")) {
  test(`golden ${v.id}`, () => {
    const bytes = fromHex(v.input.bytesHex as string);
    const seed = v.input.seed as number | undefined;
    assert.equal(seed === undefined ? flussHashBytes(bytes) : flussHashBytes(bytes, seed), v.expected);
  });
}

for (const v of ofKind("murmur-int")) {
  test(`golden ${v.id}`, () => assert.equal(murmurHashInt(v.input.int32 as number), v.expected));
}

for (const v of ofKind("murmur3-hash")) {
  test(`golden ${v.id}`, () => {
    const bytes = fromHex(v.input.bytesHex as string);
    assert.equal(murmur3Hash32(bytes, (v.input.seed as number | undefined) ?? 0), v.expected);
    if (v.input.keyType) {
      const t = parseType(v.input.keyType as string);
      assert.equal(toHex(new IcebergKeyEncoder(t).encode([goldenValue(t, v.input.value)])), v.input.bytesHex);
    }
  });
}

for (const v of ofKind("murmur-bucket")) {
  test(`golden ${v.id}`, () => {
    const fn = bucketingFunction(v.input.function as string);
    assert.equal(fn(fromHex(v.input.bucketKeyHex as string), v.input.numBuckets as number), v.expected);
  });
}

for (const v of ofKind("row-to-bucket")) {
  test(`golden ${v.id}`, () => {
    const types = (v.input.bucketKeyTypes as string[]).map(parseType);
    const values = (v.input.values as unknown[]).map((x, i) => goldenValue(types[i]!, x));
    const key = new CompactedKeyEncoder(types).encode(values);
    assert.equal(toHex(key), v.input.encodedKeyHex);
    const fn = bucketingFunction(v.input.lakeFormat as string | null);
    assert.equal(fn(key, v.input.numBuckets as number), v.expected);
  });
}

for (const v of ofKind("paimon-key")) {
  test(`golden ${v.id}`, () => {
    const { types, values } = keyInput(v.input);
    assert.equal(toHex(new PaimonKeyEncoder(types).encode(values)), v.expected);
  });
}

for (const v of ofKind("iceberg-key")) {
  test(`golden ${v.id}`, () => {
    const { types, values } = keyInput(v.input);
    assert.equal(toHex(new IcebergKeyEncoder(types[0]!).encode(values)), v.expected);
  });
}

for (const v of ofKind("hudi-key")) {
  test(`golden ${v.id}`, () => {
    const { types, values } = keyInput(v.input);
    assert.equal(toHex(new HudiKeyEncoder(types).encode(values)), v.expected);
  });
}

test("INT key 128 lands in Java bucket 2/16 (sign-extended tail)", () => {
  const key = new CompactedKeyEncoder([DataTypes.INT()]).encode([128]);
  assert.equal(toHex(key), "8001");
  assert.equal(bucketingFunction(null)(key, 16), 2);
  const key2 = new CompactedKeyEncoder([DataTypes.INT()]).encode([100000]);
  assert.equal(bucketingFunction()(key2, 16), 14);
});
