/**
 * `sum` and `product` (Java `FieldSumAgg`, `FieldProductAgg`): numeric types, nulls skipped,
 * with Java's arithmetic: TINYINT, SMALLINT, INT and BIGINT wrap around on overflow, FLOAT
 * rounds to single precision, DECIMAL keeps the column's scale and becomes null when the
 * result no longer fits (`Decimal.fromBigDecimal`).
 */
import type { DataType } from "../../../../metadata/data-types.js";
import { Decimal } from "../../../../row/values.js";
import { type FieldAggregator, nullSkipping } from "./field-aggregator.js";

const LONG_MIN = -(2n ** 63n);
const LONG_MAX = 2n ** 63n - 1n;
/** Java `Decimal.MAX_COMPACT_PRECISION`: up to 18 digits live in a long. */
const MAX_COMPACT_PRECISION = 18;

/** Java `BigDecimal.precision()` of an unscaled value (0 has one digit). */
function digits(unscaled: bigint): number {
  return (unscaled < 0n ? -unscaled : unscaled).toString().length;
}

/** `unscaled / 10^shift` rounded HALF_UP (away from zero on a tie), like `setScale(.., HALF_UP)`. */
function roundHalfUp(unscaled: bigint, shift: number): bigint {
  if (shift <= 0) return unscaled;
  const div = 10n ** BigInt(shift);
  const neg = unscaled < 0n;
  const abs = neg ? -unscaled : unscaled;
  let q = abs / div;
  if ((abs % div) * 2n >= div) q += 1n;
  return neg ? -q : q;
}

/** Java `Decimal.fromBigDecimal(v, precision, scale)` for a value already at `scale`: null when too long. */
function fitDecimal(unscaled: bigint, precision: number, scale: number): Decimal | null {
  return digits(unscaled) > precision ? null : new Decimal(unscaled, scale);
}

function decimalSum(precision: number, scale: number): (a: unknown, b: unknown) => unknown {
  return (a, b) => {
    const x = a as Decimal;
    const y = b as Decimal;
    const sum = x.unscaled + y.unscaled;
    // DecimalUtils.add: compact decimals add as longs without a precision check; a long
    // overflow falls back to BigDecimal, which no longer fits (DecimalUtils.java:52)
    if (precision <= MAX_COMPACT_PRECISION && x.scale === y.scale) {
      return sum >= LONG_MIN && sum <= LONG_MAX ? new Decimal(sum, scale) : fitDecimal(sum, precision, scale);
    }
    return fitDecimal(sum, precision, scale);
  };
}

function decimalProduct(precision: number, scale: number): (a: unknown, b: unknown) => unknown {
  return (a, b) => {
    const x = a as Decimal;
    const y = b as Decimal;
    // BigDecimal.multiply has scale x.scale + y.scale; fromBigDecimal rounds HALF_UP to `scale`
    const product = roundHalfUp(x.unscaled * y.unscaled, x.scale + y.scale - scale);
    return fitDecimal(product, precision, scale);
  };
}

function unsupported(fn: string, type: DataType): never {
  throw new Error(`type ${type.root} not support in ${fn}`);
}

/** `sum` for a numeric column type. */
export function sumAggregator(type: DataType): FieldAggregator {
  switch (type.root) {
    case "DECIMAL":
      return nullSkipping(decimalSum(type.precision, type.scale));
    case "TINYINT":
      return nullSkipping((a, b) => (((a as number) + (b as number)) << 24) >> 24);
    case "SMALLINT":
      return nullSkipping((a, b) => (((a as number) + (b as number)) << 16) >> 16);
    case "INTEGER":
      return nullSkipping((a, b) => ((a as number) + (b as number)) | 0);
    case "BIGINT":
      return nullSkipping((a, b) => BigInt.asIntN(64, (a as bigint) + (b as bigint)));
    case "FLOAT":
      return nullSkipping((a, b) => Math.fround((a as number) + (b as number)));
    case "DOUBLE":
      return nullSkipping((a, b) => (a as number) + (b as number));
    default:
      return unsupported("FieldSumAgg", type);
  }
}

/** `product` for a numeric column type. */
export function productAggregator(type: DataType): FieldAggregator {
  switch (type.root) {
    case "DECIMAL":
      return nullSkipping(decimalProduct(type.precision, type.scale));
    case "TINYINT":
      return nullSkipping((a, b) => (((a as number) * (b as number)) << 24) >> 24);
    case "SMALLINT":
      return nullSkipping((a, b) => (((a as number) * (b as number)) << 16) >> 16);
    case "INTEGER":
      return nullSkipping((a, b) => Math.imul(a as number, b as number));
    case "BIGINT":
      return nullSkipping((a, b) => BigInt.asIntN(64, (a as bigint) * (b as bigint)));
    case "FLOAT":
      return nullSkipping((a, b) => Math.fround((a as number) * (b as number)));
    case "DOUBLE":
      return nullSkipping((a, b) => (a as number) * (b as number));
    default:
      return unsupported("FieldProductAgg", type);
  }
}
