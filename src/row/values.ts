/**
 * The JavaScript value model for Fluss types (what rows contain after decoding):
 *
 * | Fluss type                 | JS value                                   |
 * |----------------------------|--------------------------------------------|
 * | BOOLEAN                    | `boolean`                                  |
 * | TINYINT, SMALLINT, INT     | `number`                                   |
 * | BIGINT                     | `bigint`                                   |
 * | FLOAT, DOUBLE              | `number`                                   |
 * | DECIMAL(p, s)              | {@link Decimal} (lossless)                 |
 * | CHAR, STRING               | `string`                                   |
 * | BINARY, BYTES              | `Uint8Array`                               |
 * | DATE                       | `Date` at UTC midnight of that day         |
 * | TIME(p)                    | `number`: milliseconds of the day          |
 * | TIMESTAMP, TIMESTAMP_LTZ   | {@link Timestamp} (a `Date` with nanos;    |
 * |                            | for TIMESTAMP its UTC fields are the time) |
 * | ARRAY<T>                   | `Array`                                    |
 * | MAP<K, V>                  | `Map`                                      |
 * | ROW<...>                   | plain object keyed by field name           |
 * | any NULL                   | `null`                                     |
 *
 * Writers accept more input forms (see `coerce.ts`): numbers for BIGINT, strings and
 * numbers for DECIMAL, `Date`/ISO strings/epoch millis for temporal types, plain
 * objects for MAP and arrays for ROW.
 *
 * Time zones: a `Date` written to DATE is its UTC calendar day when it is at UTC midnight
 * (as every DATE read back is) and its local calendar day when it is at local midnight
 * (`new Date(2024, 1, 29)`); a `Date` with a time of day is refused. TIME takes
 * milliseconds of the day or `"HH:MM:SS[.fff]"`, never a `Date`. TIMESTAMP (without time
 * zone) stores a `Date`'s UTC wall-clock time, TIMESTAMP_LTZ its instant: either way the
 * `Date` read back has the same `getTime()` as the one written, whatever `TZ` is.
 */

/** Milliseconds in one day. */
export const MILLIS_PER_DAY = 86_400_000;

/**
 * An exact decimal number: `unscaled * 10^-scale`.
 *
 * Fluss DECIMALs go up to 38 digits, beyond what a JS `number` holds, so values keep
 * their unscaled `bigint`.
 */
export class Decimal {
  /** `new Decimal(1234n, 2)` is 12.34; see {@link Decimal.from} to parse text or numbers. */
  constructor(
    /** The unscaled integer value. */
    readonly unscaled: bigint,
    /** Digits after the decimal point. */
    readonly scale: number,
  ) {}

  /**
   * Parses a decimal literal (`"-12.340"`, `"1e3"`, `12.5`, `12n`) at the given scale.
   * Throws a RangeError when the value does not fit the scale without losing digits.
   */
  static from(value: string | number | bigint | Decimal, scale: number): Decimal {
    if (value instanceof Decimal) return value.rescale(scale);
    if (typeof value === "bigint") return new Decimal(value * 10n ** BigInt(scale), scale);
    let text: string;
    if (typeof value === "number") {
      if (!Number.isFinite(value)) throw new RangeError(`cannot convert ${value} to DECIMAL`);
      text = value.toString();
    } else {
      text = value.trim();
    }
    const m = /^([+-]?)(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+))?$/.exec(text);
    if (!m || (m[2] === "" && (m[3] === undefined || m[3] === ""))) {
      throw new RangeError(`"${text}" is not a decimal number`);
    }
    const sign = m[1] === "-" ? -1n : 1n;
    let digits = (m[2] ?? "") + (m[3] ?? "");
    let exp = (m[4] ? Number(m[4]) : 0) - (m[3]?.length ?? 0);
    // digits * 10^exp, rescaled to `scale`
    const shift = exp + scale;
    if (shift >= 0) {
      digits = digits + "0".repeat(shift);
    } else {
      const cut = digits.length + shift;
      const dropped = cut > 0 ? digits.slice(cut) : digits;
      if (/[1-9]/.test(dropped)) {
        throw new RangeError(`${text} has more than ${scale} digits after the decimal point`);
      }
      digits = cut > 0 ? digits.slice(0, cut) : "0";
    }
    exp = 0;
    return new Decimal(sign * BigInt(digits === "" ? "0" : digits), scale);
  }

  /** Same value at another scale; throws if digits would be lost. */
  rescale(scale: number): Decimal {
    if (scale === this.scale) return this;
    if (scale > this.scale) return new Decimal(this.unscaled * 10n ** BigInt(scale - this.scale), scale);
    const div = 10n ** BigInt(this.scale - scale);
    if (this.unscaled % div !== 0n) {
      throw new RangeError(`${this.toString()} has more than ${scale} digits after the decimal point`);
    }
    return new Decimal(this.unscaled / div, scale);
  }

  /** Number of significant digits of the unscaled value (at least 1). */
  precision(): number {
    const abs = this.unscaled < 0n ? -this.unscaled : this.unscaled;
    return abs === 0n ? 1 : abs.toString().length;
  }

  /** Plain notation, e.g. `-12.340`. */
  toString(): string {
    const neg = this.unscaled < 0n;
    let s = (neg ? -this.unscaled : this.unscaled).toString();
    if (this.scale > 0) {
      s = s.padStart(this.scale + 1, "0");
      s = `${s.slice(0, s.length - this.scale)}.${s.slice(s.length - this.scale)}`;
    }
    return neg ? `-${s}` : s;
  }

  /** Nearest JS number (may lose precision). */
  toNumber(): number {
    return Number(this.toString());
  }

  /** The plain-notation text (exact, unlike a JSON number). */
  toJSON(): string {
    return this.toString();
  }

  /** Numeric equality, whatever the scales (`1.0` equals `1.00`). */
  equals(other: Decimal): boolean {
    return this.rescaleCompare(other) === 0;
  }

  private rescaleCompare(other: Decimal): number {
    const s = Math.max(this.scale, other.scale);
    const a = this.unscaled * 10n ** BigInt(s - this.scale);
    const b = other.unscaled * 10n ** BigInt(s - other.scale);
    return a === b ? 0 : a < b ? -1 : 1;
  }
}

/**
 * A point in time with nanosecond precision: a `Date` (millisecond part) plus the
 * nanoseconds within that millisecond. Being a `Date`, it works wherever one does;
 * `nanoOfMillis` keeps TIMESTAMP(7..9) values lossless.
 */
export class Timestamp extends Date {
  /** Nanoseconds within the millisecond, 0..999999. */
  readonly nanoOfMillis: number;

  /** Throws a RangeError unless `nanoOfMillis` is an integer in 0..999999. */
  constructor(epochMillis: number, nanoOfMillis = 0) {
    super(epochMillis);
    if (!Number.isInteger(nanoOfMillis) || nanoOfMillis < 0 || nanoOfMillis > 999_999) {
      throw new RangeError(`nanoOfMillis must be an integer in 0..999999, got ${nanoOfMillis}`);
    }
    this.nanoOfMillis = nanoOfMillis;
  }

  /** Epoch milliseconds (same as `getTime()`). */
  get epochMillis(): number {
    return this.getTime();
  }

  /** Epoch microseconds as a bigint. */
  toEpochMicros(): bigint {
    return BigInt(this.getTime()) * 1000n + BigInt(Math.floor(this.nanoOfMillis / 1000));
  }

  /** Epoch nanoseconds as a bigint. */
  toEpochNanos(): bigint {
    return BigInt(this.getTime()) * 1_000_000n + BigInt(this.nanoOfMillis);
  }

  /** From epoch microseconds (negative values are before 1970). */
  static fromEpochMicros(micros: bigint): Timestamp {
    const ms = floorDiv(micros, 1000n);
    return new Timestamp(Number(ms), Number(micros - ms * 1000n) * 1000);
  }

  /** From epoch nanoseconds (negative values are before 1970). */
  static fromEpochNanos(nanos: bigint): Timestamp {
    const ms = floorDiv(nanos, 1_000_000n);
    return new Timestamp(Number(ms), Number(nanos - ms * 1_000_000n));
  }

  /** ISO-8601 in UTC with as many fraction digits as needed (up to 9). */
  override toISOString(): string {
    const base = super.toISOString(); // yyyy-mm-ddThh:mm:ss.SSSZ
    if (this.nanoOfMillis === 0) return base;
    const extra = String(this.nanoOfMillis).padStart(6, "0").replace(/0+$/, "");
    return `${base.slice(0, -1)}${extra}Z`;
  }

  /** Same as `toISOString()`: nanoseconds are kept. */
  override toJSON(): string {
    return this.toISOString();
  }
}

function floorDiv(a: bigint, b: bigint): bigint {
  const q = a / b;
  return a % b !== 0n && a < 0n !== b < 0n ? q - 1n : q;
}

/** A decoded row: a plain object keyed by column name. */
export type RowObject = Record<string, unknown>;
