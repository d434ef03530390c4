/**
 * Partition names and values (formats.md §7.1–7.2; Java `ResolvedPartitionSpec`,
 * `PartitionUtils`, `PartitionNameConverters`).
 *
 * A partition name is the partition values in partition-key order joined by `$`; the
 * qualified name is `k1=v1/k2=v2`. There is no escaping: values must be valid names.
 */

import { ErrorCode, FlussError } from "../rpc/errors.js";
import { toHex } from "../util/bytes.js";
import type { DataType, DataTypeRoot } from "./data-types.js";
import { javaDoubleToString, javaFloatToString } from "./java-float.js";
import { detectInvalidName, detectReservedPrefix } from "./table-path.js";

/** Separator of values in a partition name. */
const PARTITION_SPEC_SEPARATOR = "$";

/** Types a partition key column may have (Java `PARTITION_KEY_SUPPORTED_TYPES`). */
export const PARTITION_KEY_SUPPORTED_TYPES: readonly DataTypeRoot[] = [
  "CHAR",
  "STRING",
  "BOOLEAN",
  "BINARY",
  "BYTES",
  "TINYINT",
  "SMALLINT",
  "INTEGER",
  "DATE",
  "TIME_WITHOUT_TIME_ZONE",
  "BIGINT",
  "FLOAT",
  "DOUBLE",
  "TIMESTAMP_WITHOUT_TIME_ZONE",
  "TIMESTAMP_WITH_LOCAL_TIME_ZONE",
];

/** A partition spec: partition key → value. */
export type PartitionSpec = Readonly<Record<string, string>>;

function specGet(spec: PartitionSpec | ReadonlyMap<string, string>, key: string): string | undefined {
  return spec instanceof Map ? spec.get(key) : (spec as PartitionSpec)[key];
}

function javaSpecString(spec: PartitionSpec | ReadonlyMap<string, string>): string {
  const entries = spec instanceof Map ? [...spec.entries()] : Object.entries(spec);
  return `PartitionSpec{${entries.map(([k, v]) => `${k}=${v}`).join(", ")}}`;
}

/** The values of `spec` in partition-key order; throws CLIENT_ERROR naming a missing key. */
function partitionValues(partitionKeys: readonly string[], spec: PartitionSpec | ReadonlyMap<string, string>): string[] {
  return partitionKeys.map((k) => {
    const v = specGet(spec, k);
    if (v === undefined || v === null) {
      throw FlussError.client(`Partition spec ${javaSpecString(spec)} does not contain partition key '${k}'.`);
    }
    return v;
  });
}

/** The partition name: values in key order joined with `$` (`"1$2"`). */
export function partitionName(partitionKeys: readonly string[], spec: PartitionSpec | ReadonlyMap<string, string>): string {
  return partitionValues(partitionKeys, spec).join(PARTITION_SPEC_SEPARATOR);
}

/** The qualified name `k1=v1/k2=v2`. */
export function qualifiedPartitionName(
  partitionKeys: readonly string[],
  spec: PartitionSpec | ReadonlyMap<string, string>,
): string {
  const values = partitionValues(partitionKeys, spec);
  return partitionKeys.map((k, i) => `${k}=${values[i]}`).join("/");
}

/** The spec (in key order) of a partition name; throws CLIENT_ERROR when the value count is wrong. */
export function partitionSpecFromName(partitionKeys: readonly string[], name: string): Record<string, string> {
  const values = name.split(PARTITION_SPEC_SEPARATOR);
  if (values.length !== partitionKeys.length) {
    throw FlussError.client(
      `Partition name '${name}' has ${values.length} value(s) but the table has ${partitionKeys.length} partition key(s) [${partitionKeys.join(", ")}].`,
    );
  }
  const spec: Record<string, string> = {};
  partitionKeys.forEach((k, i) => (spec[k] = values[i]!));
  return spec;
}

/**
 * Java `PartitionUtils.validatePartitionSpec`: the spec names exactly the partition keys and
 * every value is a valid name (and, when creating, has no `__` prefix). Throws
 * PARTITION_SPEC_INVALID_EXCEPTION with Java's messages.
 */
export function validatePartitionSpec(
  tablePath: { toString(): string },
  partitionKeys: readonly string[],
  spec: PartitionSpec | ReadonlyMap<string, string>,
  isCreate: boolean,
): void {
  const size = spec instanceof Map ? spec.size : Object.keys(spec).length;
  if (size !== partitionKeys.length) {
    throw new FlussError(
      ErrorCode.PARTITION_SPEC_INVALID_EXCEPTION,
      `PartitionSpec size is not equal to partition keys size for partitioned table ${tablePath}.`,
    );
  }
  const values: string[] = [];
  for (const k of partitionKeys) {
    const v = specGet(spec, k);
    if (v === undefined) {
      throw new FlussError(
        ErrorCode.PARTITION_SPEC_INVALID_EXCEPTION,
        `PartitionSpec ${javaSpecString(spec)} does not contain partition key '${k}' for partitioned table ${tablePath}.`,
      );
    }
    values.push(v);
  }
  for (const v of values) {
    const reason = invalidPartitionValueReason(v, isCreate);
    if (reason !== undefined) {
      throw new FlussError(ErrorCode.PARTITION_SPEC_INVALID_EXCEPTION, `The partition value ${v} is invalid: ${reason}`);
    }
  }
}

/** Why a partition value is invalid, or `undefined`. */
export function invalidPartitionValueReason(value: string, isCreate: boolean): string | undefined {
  return detectInvalidName(value) ?? (isCreate ? detectReservedPrefix(value) : undefined);
}

// ------------------------------------------------------------------ value → text

function pad(n: number, width: number): string {
  const s = String(Math.abs(n)).padStart(width, "0");
  return n < 0 ? `-${s}` : s;
}

/** Java `yyyy` (year-of-era, at least 4 digits, `+` beyond 9999). */
function yearOfEra(year: number): string {
  const yoe = year <= 0 ? 1 - year : year;
  return yoe > 9999 ? `+${yoe}` : String(yoe).padStart(4, "0");
}

/** DATE (days since epoch) as `yyyy-MM-dd` (Java `dayToString`, `%04d`). */
function dayToString(days: number): string {
  const d = new Date(days * 86_400_000);
  return `${pad(d.getUTCFullYear(), 4)}-${pad(d.getUTCMonth() + 1, 2)}-${pad(d.getUTCDate(), 2)}`;
}

function floorDiv(a: number, b: number): number {
  return Math.floor(a / b);
}

function floorMod(a: number, b: number): number {
  return ((a % b) + b) % b;
}

/** TIME (ms of day) as `HH-mm-ss_SSS` (Java `milliToString`). */
function milliToString(milli: number): string {
  const hour = floorDiv(milli, 3_600_000);
  const min = floorDiv(floorMod(milli, 3_600_000), 60_000);
  const sec = floorDiv(floorMod(floorMod(milli, 3_600_000), 60_000), 1000);
  return `${pad(hour, 2)}-${pad(min, 2)}-${pad(sec, 2)}_${pad(floorMod(milli, 1000), 3)}`;
}

/**
 * TIMESTAMP/TIMESTAMP_LTZ as `yyyy-MM-dd-HH-mm-ss_<fraction>` in UTC, the fraction being
 * the nano-of-second with trailing zeros stripped (possibly empty: `..._`).
 */
function timestampToString(epochMillis: number, nanoOfMillis = 0): string {
  const d = new Date(epochMillis);
  const nanoOfSecond = d.getUTCMilliseconds() * 1_000_000 + nanoOfMillis;
  const fraction = nanoOfSecond === 0 ? "" : String(nanoOfSecond).padStart(9, "0").replace(/0+$/, "");
  return (
    `${yearOfEra(d.getUTCFullYear())}-${pad(d.getUTCMonth() + 1, 2)}-${pad(d.getUTCDate(), 2)}` +
    `-${pad(d.getUTCHours(), 2)}-${pad(d.getUTCMinutes(), 2)}-${pad(d.getUTCSeconds(), 2)}_${fraction}`
  );
}

function floatText(s: string): string {
  if (s === "Infinity") return "Inf";
  if (s === "-Infinity") return "-Inf";
  return s.replace(".", "_");
}

function bad(type: DataType, value: unknown): FlussError {
  return FlussError.client(`Cannot convert ${String(value)} (${typeof value}) to a partition value of type ${type.root}.`);
}

/**
 * The partition value text of a typed value (Java `PartitionUtils.convertValueOfType`),
 * taking canonical JS values (`src/row/values.ts`): strings, booleans, `Uint8Array` (hex),
 * numbers/bigints, `Date` for DATE, ms-of-day numbers for TIME, `Date`/`Timestamp` for
 * timestamps (epoch millis plus `nanoOfMillis`). Null values are rejected (CLIENT_ERROR).
 */
export function partitionValueToString(type: DataType, value: unknown): string {
  if (value === null || value === undefined) {
    throw FlussError.client("Partition value must not be null.");
  }
  switch (type.root) {
    case "CHAR":
    case "STRING":
      if (typeof value !== "string") throw bad(type, value);
      return value;
    case "BOOLEAN":
      if (typeof value !== "boolean") throw bad(type, value);
      return String(value);
    case "BINARY":
    case "BYTES":
      if (!(value instanceof Uint8Array)) throw bad(type, value);
      return toHex(value);
    case "TINYINT":
    case "SMALLINT":
    case "INTEGER":
    case "BIGINT":
      if (typeof value === "bigint") return value.toString();
      if (typeof value === "number" && Number.isInteger(value)) return String(value);
      throw bad(type, value);
    case "FLOAT":
      if (typeof value !== "number") throw bad(type, value);
      return Number.isNaN(value) ? "NaN" : floatText(javaFloatToString(value));
    case "DOUBLE":
      if (typeof value !== "number") throw bad(type, value);
      return Number.isNaN(value) ? "NaN" : floatText(javaDoubleToString(value));
    case "DATE":
      if (value instanceof Date) return dayToString(Math.floor(value.getTime() / 86_400_000));
      if (typeof value === "number" && Number.isInteger(value)) return dayToString(value);
      throw bad(type, value);
    case "TIME_WITHOUT_TIME_ZONE":
      if (typeof value !== "number" || !Number.isInteger(value)) throw bad(type, value);
      return milliToString(value);
    case "TIMESTAMP_WITHOUT_TIME_ZONE":
    case "TIMESTAMP_WITH_LOCAL_TIME_ZONE": {
      if (!(value instanceof Date)) throw bad(type, value);
      const nanos = (value as Date & { nanoOfMillis?: number }).nanoOfMillis ?? 0;
      return timestampToString(value.getTime(), nanos);
    }
    default:
      throw FlussError.client(`Unsupported partition key type ${type.root}.`);
  }
}

/** A partition of a table as listed by ListPartitionInfos. Immutable. */
export class PartitionInfo {
  /** `$`-joined values in key order. */
  readonly partitionName: string;

  /** Usually obtained from `admin.listPartitionInfos(path)`. The spec is copied. */
  constructor(
    /** The id the server assigned; a re-created partition gets a new one. */
    readonly partitionId: number,
    /** Partition key → value, in partition-key order. */
    readonly spec: PartitionSpec,
  ) {
    this.spec = Object.freeze({ ...spec });
    this.partitionName = Object.values(this.spec).join(PARTITION_SPEC_SEPARATOR);
  }

  /** Builds the info from a partition name and the table's partition keys. */
  static fromName(partitionId: number, partitionKeys: readonly string[], name: string): PartitionInfo {
    return new PartitionInfo(partitionId, partitionSpecFromName(partitionKeys, name));
  }

  /** `k1=v1/k2=v2`. */
  get qualifiedPartitionName(): string {
    return Object.entries(this.spec)
      .map(([k, v]) => `${k}=${v}`)
      .join("/");
  }

  /** Java's rendering: `Partition{name='US', id=3}`. */
  toString(): string {
    return `Partition{name='${this.partitionName}', id=${this.partitionId}}`;
  }
}
