import { test } from "node:test";
import assert from "node:assert/strict";
import { goldenVectors } from "./helpers/golden.js";
import { type DataType, DataTypes } from "../../src/metadata/data-types.js";
import {
  PartitionInfo,
  partitionName,
  partitionSpecFromName,
  partitionValueToString,
  qualifiedPartitionName,
  validatePartitionSpec,
} from "../../src/metadata/partition.js";
import { autoPartitionTime, validateAutoPartitionTimeFormat } from "../../src/server/catalog/auto-partition.js";
import { javaDoubleToString, javaFloatToString } from "../../src/metadata/java-float.js";
import type { AutoPartitionTimeUnit } from "../../src/metadata/table-options.js";
import { TablePath } from "../../src/metadata/table-path.js";
import { fromHex } from "../../src/util/bytes.js";
import { Timestamp } from "../../src/row/values.js";
import { ErrorCode, FlussError } from "../../src/rpc/errors.js";

const TYPES: Record<string, DataType> = {
  STRING: DataTypes.STRING(),
  CHAR: DataTypes.CHAR(1),
  BOOLEAN: DataTypes.BOOLEAN(),
  BYTES: DataTypes.BYTES(),
  BINARY: DataTypes.BINARY(6),
  TINYINT: DataTypes.TINYINT(),
  SMALLINT: DataTypes.SMALLINT(),
  INT: DataTypes.INT(),
  BIGINT: DataTypes.BIGINT(),
  DATE: DataTypes.DATE(),
  TIME: DataTypes.TIME(3),
  FLOAT: DataTypes.FLOAT(),
  DOUBLE: DataTypes.DOUBLE(),
  TIMESTAMP: DataTypes.TIMESTAMP(9),
  TIMESTAMP_LTZ: DataTypes.TIMESTAMP_LTZ(9),
};

function canonical(type: string, v: unknown): unknown {
  switch (type) {
    case "BYTES":
    case "BINARY":
      return fromHex((v as { hex: string }).hex);
    case "BIGINT":
      return BigInt(v as string);
    case "DATE":
      return new Date((v as number) * 86_400_000);
    case "FLOAT":
    case "DOUBLE":
      return typeof v === "string" ? Number(v) : v;
    case "TIMESTAMP":
    case "TIMESTAMP_LTZ": {
      const t = v as { millis: number; nanoOfMillis: number };
      return new Timestamp(t.millis, t.nanoOfMillis);
    }
    default:
      return v;
  }
}

test("golden vectors: partition-value", () => {
  const vs = goldenVectors("partition-value");
  assert.ok(vs.length >= 32);
  for (const v of vs) {
    const type = v.input.type as string;
    assert.ok(TYPES[type], `type ${type}`);
    assert.equal(partitionValueToString(TYPES[type]!, canonical(type, v.input.value)), v.expected, v.id);
  }
});

test("golden vectors: partition-name and qualified name", () => {
  const vs = [...goldenVectors("partition-name"), ...goldenVectors("partition-qualified-name")];
  assert.equal(vs.length, 3);
  for (const v of vs) {
    const keys = v.input.partitionKeys as string[];
    const spec = v.input.spec as Record<string, string>;
    const got = v.kind === "partition-name" ? partitionName(keys, spec) : qualifiedPartitionName(keys, spec);
    assert.equal(got, v.expected, v.id);
  }
});

test("golden vectors: auto-partition-name", () => {
  const vs = goldenVectors("auto-partition-name");
  assert.equal(vs.length, 34);
  for (const v of vs) {
    assert.equal(v.input.now, "2024-11-11T11:11 in zone UTC-8");
    const now = Date.UTC(2024, 10, 11, 19, 11); // 11:11 at UTC-8
    const format = v.input["table.auto-partition.time-format"] as string | undefined;
    const got = autoPartitionTime(now, v.input.offset as number, v.input.timeUnit as AutoPartitionTimeUnit, {
      timeZone: "UTC-8",
      ...(format ? { timeFormat: format } : {}),
    });
    assert.equal(got, v.expected, v.id);
  }
});

test("auto partition in an IANA zone and month-end clamping", () => {
  const now = Date.UTC(2024, 0, 31, 12); // 2024-01-31 21:00 in Tokyo
  assert.equal(autoPartitionTime(now, 1, "MONTH", { timeZone: "Asia/Tokyo", timeFormat: "yyyy-MM-dd" }), "2024-02-29");
  assert.equal(autoPartitionTime(now, 3, "HOUR", { timeZone: "Asia/Tokyo" }), "2024020100");
  assert.equal(autoPartitionTime(now, 0, "QUARTER", { timeZone: "UTC" }), "20241");
});

test("time-format validation follows Java", () => {
  assert.doesNotThrow(() => validateAutoPartitionTimeFormat("yyyy-MM-dd", "DAY"));
  assert.doesNotThrow(() => validateAutoPartitionTimeFormat("yyyy'Q'Q", "QUARTER"));
  assert.throws(() => validateAutoPartitionTimeFormat("yyyy-M-dd", "DAY"), /fixed width 2, but found 1/);
  assert.throws(() => validateAutoPartitionTimeFormat("yyyyMM", "DAY"), /must contain fields \[year, month, day\]/);
  assert.throws(() => validateAutoPartitionTimeFormat("yyyy[MM]", "MONTH"), /optional sections/);
  assert.throws(() => validateAutoPartitionTimeFormat("yyyy/MM", "MONTH"), /generates invalid partition value '2024\/11'/);
});

test("Java float/double formatting", () => {
  const doubles: [number, string][] = [
    [1, "1.0"],
    [1e7, "1.0E7"],
    [9999999, "9999999.0"],
    [0.001, "0.001"],
    [0.0001, "1.0E-4"],
    [-0.0, "-0.0"],
    [Number.MIN_VALUE, "4.9E-324"],
    [Number.MAX_VALUE, "1.7976931348623157E308"],
    [123456789.123, "1.23456789123E8"],
  ];
  for (const [v, s] of doubles) assert.equal(javaDoubleToString(v), s, String(v));
  const floats: [number, string][] = [
    [5.73, "5.73"],
    [1e10, "1.0E10"],
    [1.4e-45, "1.4E-45"],
    [3.4028235e38, "3.4028235E38"],
    [1 / 3, "0.33333334"],
    [16777216, "1.6777216E7"],
    [0.1, "0.1"],
    [100, "100.0"],
  ];
  for (const [v, s] of floats) assert.equal(javaFloatToString(v), s, String(v));
  assert.equal(partitionValueToString(DataTypes.DOUBLE(), 1e-5), "1_0E-5");
  assert.equal(partitionValueToString(DataTypes.FLOAT(), 2), "2_0");
});

test("partition specs: validation, names and PartitionInfo", () => {
  const path = TablePath.of("db", "t");
  const isSpecError =
    (re: RegExp) =>
    (e: unknown): boolean =>
      e instanceof FlussError && e.code === ErrorCode.PARTITION_SPEC_INVALID_EXCEPTION && re.test(e.message);
  assert.doesNotThrow(() => validatePartitionSpec(path, ["a", "b"], { b: "2", a: "1" }, true));
  assert.throws(() => validatePartitionSpec(path, ["a"], { a: "1", b: "2" }, true), isSpecError(/size is not equal/));
  assert.throws(() => validatePartitionSpec(path, ["a"], { b: "2" }, true), isSpecError(/does not contain partition key 'a'/));
  assert.throws(() => validatePartitionSpec(path, ["a"], { a: "x$y" }, true), isSpecError(/The partition value x\$y is invalid/));
  assert.throws(() => validatePartitionSpec(path, ["a"], { a: "__x" }, true), isSpecError(/prefix/));
  assert.doesNotThrow(() => validatePartitionSpec(path, ["a"], { a: "__x" }, false));
  assert.equal(
    partitionName(
      ["a", "b"],
      new Map([
        ["b", "2"],
        ["a", "1"],
      ]),
    ),
    "1$2",
  );
  assert.deepEqual(partitionSpecFromName(["a", "b"], "1$2"), { a: "1", b: "2" });
  const info = PartitionInfo.fromName(7, ["a", "b"], "1$2");
  assert.equal(info.partitionName, "1$2");
  assert.equal(info.qualifiedPartitionName, "a=1/b=2");
  assert.throws(() => partitionValueToString(DataTypes.STRING(), null), /must not be null/);
});
