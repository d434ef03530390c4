/**
 * `max` and `min` (Java `FieldMaxAgg`, `FieldMinAgg`) over Java's value order
 * (`InternalRowUtils.compare`), nulls skipped.
 */
import type { DataTypeRoot } from "../../../../metadata/data-types.js";
import type { Decimal } from "../../../../row/values.js";
import { type FieldAggregator, nullSkipping } from "./field-aggregator.js";

/** Java `Float.compare` / `Double.compare`: -0.0 below 0.0, NaN above everything. */
function compareJavaFloating(a: number, b: number): number {
  if (a < b) return -1;
  if (a > b) return 1;
  const an = Number.isNaN(a);
  const bn = Number.isNaN(b);
  if (an || bn) return an === bn ? 0 : an ? 1 : -1;
  if (a === 0 && b === 0) {
    const az = Object.is(a, -0);
    const bz = Object.is(b, -0);
    return az === bz ? 0 : az ? -1 : 1;
  }
  return 0;
}

function sign(n: number | bigint): number {
  return n < 0 ? -1 : n > 0 ? 1 : 0;
}

function compareDecimal(a: Decimal, b: Decimal): number {
  const s = Math.max(a.scale, b.scale);
  const x = a.unscaled * 10n ** BigInt(s - a.scale);
  const y = b.unscaled * 10n ** BigInt(s - b.scale);
  return sign(x - y);
}

/** Code-point order, which is the UTF-8 byte order Java's `BinaryString.compareTo` uses. */
function compareUtf8(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.codePointAt(i)!;
    const y = b.codePointAt(i)!;
    if (x !== y) return x - y;
    if (x > 0xffff) i++;
  }
  return a.length - b.length;
}

function compareBytes(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return a[i]! - b[i]!;
  return a.length - b.length;
}

function compareTimestamp(a: Date, b: Date): number {
  const d = a.getTime() - b.getTime();
  if (d !== 0) return sign(d);
  const na = (a as { nanoOfMillis?: number }).nanoOfMillis ?? 0;
  const nb = (b as { nanoOfMillis?: number }).nanoOfMillis ?? 0;
  return sign(na - nb);
}

/** Java `InternalRowUtils.compare(x, y, root)` on canonical values; throws for incomparable types. */
function compareValues(a: unknown, b: unknown, root: DataTypeRoot): number {
  switch (root) {
    case "DECIMAL":
      return compareDecimal(a as Decimal, b as Decimal);
    case "TINYINT":
    case "SMALLINT":
    case "INTEGER":
    case "TIME_WITHOUT_TIME_ZONE":
      return sign((a as number) - (b as number));
    case "DATE":
      return sign((a as Date).getTime() - (b as Date).getTime());
    case "BIGINT":
      return sign((a as bigint) - (b as bigint));
    case "FLOAT":
    case "DOUBLE":
      return compareJavaFloating(a as number, b as number);
    case "TIMESTAMP_WITHOUT_TIME_ZONE":
    case "TIMESTAMP_WITH_LOCAL_TIME_ZONE":
      return compareTimestamp(a as Date, b as Date);
    case "BINARY":
    case "BYTES":
      return compareBytes(a as Uint8Array, b as Uint8Array);
    case "STRING":
    case "CHAR":
      return compareUtf8(a as string, b as string);
    default:
      throw new Error(`Incomparable type: ${root}`);
  }
}

/** The larger value; on a tie the stored one stays. */
export function maxAggregator(root: DataTypeRoot): FieldAggregator {
  return nullSkipping((acc, input) => (compareValues(acc, input, root) < 0 ? input : acc));
}

/** The smaller value; on a tie the incoming one wins (as Java: `acc < input ? acc : input`). */
export function minAggregator(root: DataTypeRoot): FieldAggregator {
  return nullSkipping((acc, input) => (compareValues(acc, input, root) < 0 ? acc : input));
}
