/**
 * Input validation and coercion: turns user rows (plain objects keyed by column name, or
 * arrays in column order) into canonical values (see `values.ts`) before encoding. Every
 * problem becomes a CLIENT_ERROR `FlussError` naming the column path and expected type.
 */
import { type DataType, type RowType, typeToString } from "../metadata/data-types.js";
import { FlussError } from "../rpc/errors.js";
import { Decimal, MILLIS_PER_DAY, Timestamp } from "./values.js";

/** A user row: a plain object keyed by column name, or an array in column order. */
export type RowInput = Readonly<Record<string, unknown>> | readonly unknown[];

/** Coerces one user row into canonical values in column order. */
export type RowCoercer = (row: RowInput) => unknown[];

/** Options of {@link makeRowCoercer}. */
export interface RowCoercerOptions {
  /**
   * Partial update: the columns being written (names or indexes). Other columns must be
   * absent or null and come out as null; NOT NULL checks apply to target columns only.
   */
  readonly targetColumns?: readonly (string | number)[];
}

/** Coerces one value at `path` (used in error messages). */
type Coercer = (v: unknown, path: string) => unknown;

const FLOAT_MAX = 3.4028234663852886e38;
const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

/** Short description of an offending input value, e.g. `string "abc"`. */
function describe(v: unknown): string {
  if (v === null) return "null";
  if (v === undefined) return "undefined";
  switch (typeof v) {
    case "string": {
      const s = v.length > 40 ? `${v.slice(0, 40)}...` : v;
      return `string ${JSON.stringify(s)}`;
    }
    case "number":
    case "boolean":
      return `${typeof v} ${String(v)}`;
    case "bigint":
      return `bigint ${v}n`;
    case "object":
      if (Array.isArray(v)) return `array of length ${v.length}`;
      if (v instanceof Uint8Array) return `${v.constructor.name} of ${v.length} bytes`;
      if (v instanceof Date) return `Date ${Number.isNaN(v.getTime()) ? "Invalid Date" : v.toISOString()}`;
      return v.constructor && v.constructor !== Object ? `${v.constructor.name} object` : "object";
    default:
      return typeof v;
  }
}

function fail(path: string, t: DataType, v: unknown, why?: string): FlussError {
  return FlussError.client(`column "${path}": expected ${typeToString(t)}, got ${describe(v)}${why ? ` (${why})` : ""}`);
}

function intCoercer(t: DataType, min: number, max: number): Coercer {
  return (v, path) => {
    if (typeof v === "number") {
      if (Number.isInteger(v) && v >= min && v <= max) return v;
      throw fail(path, t, v, Number.isInteger(v) ? "out of range" : "not an integer");
    }
    if (typeof v === "bigint") {
      if (v >= BigInt(min) && v <= BigInt(max)) return Number(v);
      throw fail(path, t, v, "out of range");
    }
    throw fail(path, t, v);
  };
}

function bigintCoercer(t: DataType): Coercer {
  return (v, path) => {
    let b: bigint;
    if (typeof v === "bigint") b = v;
    else if (typeof v === "number") {
      if (!Number.isSafeInteger(v)) throw fail(path, t, v, "not a safe integer; use a bigint");
      return BigInt(v);
    } else if (typeof v === "string" && /^\s*[+-]?\d+\s*$/.test(v)) b = BigInt(v.trim());
    else throw fail(path, t, v);
    if (b < INT64_MIN || b > INT64_MAX) throw fail(path, t, v, "out of range");
    return b;
  };
}

function decimalCoercer(t: DataType & { precision: number; scale: number }): Coercer {
  const { precision, scale } = t;
  return (v, path) => {
    if (!(v instanceof Decimal) && typeof v !== "string" && typeof v !== "number" && typeof v !== "bigint") {
      throw fail(path, t, v);
    }
    let d: Decimal;
    try {
      d = Decimal.from(v, scale);
    } catch (e) {
      throw fail(path, t, v, (e as Error).message);
    }
    if (d.precision() > precision) throw fail(path, t, v, `more than ${precision} digits`);
    return d;
  };
}

function codePointCount(s: string): number {
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length) {
      const d = s.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) i++;
    }
    n++;
  }
  return n;
}

const DATE_RE = /^([+-]?\d{4,6})-(\d{2})-(\d{2})$/;
const TIME_RE = /^(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?$/;
const TS_RE =
  /^([+-]?\d{4,6})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?)?\s*(Z|[+-]\d{2}(?::?\d{2})?)?$/i;

/** Epoch ms of a proleptic-Gregorian UTC date-time, or NaN when a field is out of range. */
function utcMillis(y: number, mo: number, d: number, h: number, mi: number, s: number): number {
  if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || s > 59) return NaN;
  const date = new Date(0);
  date.setUTCFullYear(y, mo - 1, d);
  date.setUTCHours(h, mi, s, 0);
  // Reject rollovers such as 02-30.
  if (date.getUTCDate() !== d) return NaN;
  return date.getTime();
}

function fractionNanos(frac: string | undefined): number {
  return frac ? Number(frac.padEnd(9, "0")) : 0;
}

/**
 * The DATE a `Date` stands for: its UTC calendar day when it is at UTC midnight (what
 * `Date.UTC(...)`, `new Date("2024-02-29")` and DATE values read back give), else its local
 * calendar day when it is at the start of a local day (what `new Date(2024, 1, 29)` gives in
 * this process's time zone). Any other `Date` has a time of day that a DATE cannot hold and
 * is refused. The two cases never overlap: only UTC itself has local midnight = UTC midnight.
 */
function dateOfDate(v: Date, path: string, t: DataType): number {
  const ms = v.getTime();
  if (Number.isNaN(ms)) throw fail(path, t, v);
  if (ms % MILLIS_PER_DAY === 0) return ms / MILLIS_PER_DAY;
  // setHours/setUTCFullYear, not the Date(y, m, d) constructors, which map years 0..99 to 19xx.
  const localDayStart = new Date(ms);
  localDayStart.setHours(0, 0, 0, 0);
  if (localDayStart.getTime() === ms) {
    const utc = new Date(0);
    utc.setUTCFullYear(v.getFullYear(), v.getMonth(), v.getDate());
    return utc.getTime() / MILLIS_PER_DAY;
  }
  throw fail(
    path,
    t,
    v,
    "a Date for DATE must be at UTC midnight or at local midnight, this one has a time of day; " +
      'pass "YYYY-MM-DD" or new Date(Date.UTC(y, m, d))',
  );
}

function dateCoercer(t: DataType): Coercer {
  return (v, path) => {
    let ms: number;
    if (v instanceof Date) {
      // getFullYear etc. can leave Date's range only for an invalid Date (checked first).
      ms = dateOfDate(v, path, t) * MILLIS_PER_DAY;
    } else if (typeof v === "string") {
      const m = DATE_RE.exec(v.trim());
      ms = m ? utcMillis(Number(m[1]), Number(m[2]), Number(m[3]), 0, 0, 0) : NaN;
      if (Number.isNaN(ms)) throw fail(path, t, v, "use YYYY-MM-DD");
    } else if (typeof v === "number") {
      if (!Number.isInteger(v) || v < -2147483648 || v > 2147483647) throw fail(path, t, v, "days since epoch must be an int32");
      ms = v * MILLIS_PER_DAY;
    } else throw fail(path, t, v);
    // ms is at a UTC midnight here; days since the epoch are the DATE value.
    const days = Math.floor(ms / MILLIS_PER_DAY);
    return new Date(days * MILLIS_PER_DAY);
  };
}

function timeCoercer(t: DataType): Coercer {
  return (v, path) => {
    if (typeof v === "number") {
      if (Number.isInteger(v) && v >= 0 && v < MILLIS_PER_DAY) return v;
      throw fail(path, t, v, "milliseconds of day must be in 0..86399999");
    }
    if (typeof v === "string") {
      const m = TIME_RE.exec(v.trim());
      if (m) {
        const h = Number(m[1]);
        const mi = Number(m[2]);
        const s = m[3] ? Number(m[3]) : 0;
        if (h <= 23 && mi <= 59 && s <= 59) {
          return ((h * 60 + mi) * 60 + s) * 1000 + Math.floor(fractionNanos(m[4]) / 1_000_000);
        }
      }
      throw fail(path, t, v, "use HH:MM:SS[.fff]");
    }
    if (v instanceof Date) {
      throw fail(path, t, v, 'a Date\'s time of day depends on the time zone; pass "HH:MM:SS[.fff]" or milliseconds of the day');
    }
    throw fail(path, t, v);
  };
}

/**
 * TIMESTAMP(p) and TIMESTAMP_LTZ(p). A `Date` (or {@link Timestamp}) is an instant: for
 * TIMESTAMP_LTZ that instant is stored; for TIMESTAMP (without time zone) its UTC wall-clock
 * time is stored (`toISOString()` without the `Z`), which is what arrow-js does and what
 * reading gives back, so a `Date` written and read returns the same `getTime()` in every time
 * zone. A string without an offset is taken as that wall-clock time; with an offset it is
 * first converted to UTC. Epoch-millisecond numbers are the UTC wall-clock time too.
 */
function timestampCoercer(t: DataType & { precision: number }): Coercer {
  // Precision p keeps 10^(9-p)-aligned nanos; Fluss stores only millis for p <= 3.
  const unit = 10 ** (9 - t.precision);
  const make = (ms: number, nanos: number): Timestamp => {
    if (unit > 1_000_000) {
      const msUnit = unit / 1_000_000;
      return new Timestamp(ms - (((ms % msUnit) + msUnit) % msUnit), 0);
    }
    return new Timestamp(ms, nanos - (nanos % unit));
  };
  return (v, path) => {
    if (v instanceof Date) {
      const ms = v.getTime();
      if (Number.isNaN(ms)) throw fail(path, t, v);
      const nanos = v instanceof Timestamp ? v.nanoOfMillis : 0;
      const ts = make(ms, nanos);
      return v instanceof Timestamp && ts.getTime() === ms && ts.nanoOfMillis === nanos ? v : ts;
    }
    if (typeof v === "number") {
      if (!Number.isFinite(v) || Math.abs(v) > 8.64e15) throw fail(path, t, v, "not a valid epoch millisecond");
      const ms = Math.floor(v);
      return make(ms, Math.min(999_999, Math.round((v - ms) * 1_000_000)));
    }
    if (typeof v === "string") {
      const m = TS_RE.exec(v.trim());
      let ms = NaN;
      if (m) {
        ms = utcMillis(Number(m[1]), Number(m[2]), Number(m[3]), Number(m[4] ?? 0), Number(m[5] ?? 0), Number(m[6] ?? 0));
        const zone = m[8];
        if (zone && zone.toUpperCase() !== "Z") {
          const zm = /^([+-])(\d{2}):?(\d{2})?$/.exec(zone)!;
          const off = (Number(zm[2]) * 60 + Number(zm[3] ?? 0)) * 60_000;
          ms -= zm[1] === "-" ? -off : off;
        }
      }
      if (Number.isNaN(ms)) throw fail(path, t, v, "use ISO-8601, e.g. 2024-01-31T12:00:00.123Z");
      const nanosOfSecond = fractionNanos(m![7]);
      return make(ms + Math.floor(nanosOfSecond / 1_000_000), nanosOfSecond % 1_000_000);
    }
    throw fail(path, t, v);
  };
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  if (typeof v !== "object" || v === null) return false;
  const proto = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
}

/** Compiles a coercer for `t`, including its null handling. */
function compile(t: DataType): Coercer {
  const inner = compileNonNull(t);
  if (t.nullable) return (v, path) => (v === null || v === undefined ? null : inner(v, path));
  return (v, path) => {
    if (v === null || v === undefined) throw fail(path, t, v, "column is NOT NULL");
    return inner(v, path);
  };
}

function compileNonNull(t: DataType): Coercer {
  switch (t.root) {
    case "BOOLEAN":
      return (v, path) => {
        if (typeof v === "boolean") return v;
        throw fail(path, t, v);
      };
    case "TINYINT":
      return intCoercer(t, -128, 127);
    case "SMALLINT":
      return intCoercer(t, -32768, 32767);
    case "INTEGER":
      return intCoercer(t, -2147483648, 2147483647);
    case "BIGINT":
      return bigintCoercer(t);
    case "FLOAT":
      return (v, path) => {
        if (typeof v !== "number") throw fail(path, t, v);
        if (Number.isFinite(v) && Math.abs(v) > FLOAT_MAX) throw fail(path, t, v, "out of FLOAT range");
        return v;
      };
    case "DOUBLE":
      return (v, path) => {
        if (typeof v !== "number") throw fail(path, t, v);
        return v;
      };
    case "DECIMAL":
      return decimalCoercer(t);
    case "CHAR": {
      const n = t.length;
      return (v, path) => {
        if (typeof v !== "string") throw fail(path, t, v);
        if (v.length > n && codePointCount(v) > n) throw fail(path, t, v, `longer than ${n} characters`);
        return v;
      };
    }
    case "STRING":
      return (v, path) => {
        if (typeof v !== "string") throw fail(path, t, v);
        return v;
      };
    case "BINARY": {
      const n = t.length;
      return (v, path) => {
        if (!(v instanceof Uint8Array)) throw fail(path, t, v);
        if (v.length > n) throw fail(path, t, v, `longer than ${n} bytes`);
        return v;
      };
    }
    case "BYTES":
      return (v, path) => {
        if (!(v instanceof Uint8Array)) throw fail(path, t, v);
        return v;
      };
    case "DATE":
      return dateCoercer(t);
    case "TIME_WITHOUT_TIME_ZONE":
      return timeCoercer(t);
    case "TIMESTAMP_WITHOUT_TIME_ZONE":
    case "TIMESTAMP_WITH_LOCAL_TIME_ZONE":
      return timestampCoercer(t);
    case "ARRAY": {
      const elem = compile(t.elementType);
      return (v, path) => {
        if (!Array.isArray(v)) throw fail(path, t, v);
        const out = new Array<unknown>(v.length);
        for (let i = 0; i < v.length; i++) out[i] = elem(v[i], `${path}[${i}]`);
        return out;
      };
    }
    case "MAP": {
      const key = compile(t.keyType);
      const val = compile(t.valueType);
      return (v, path) => {
        const out = new Map<unknown, unknown>();
        if (v instanceof Map) {
          for (const [k, x] of v) {
            const ck = key(k, `${path}.<key>`);
            out.set(ck, val(x, `${path}[${String(k)}]`));
          }
        } else if (isPlainObject(v)) {
          for (const k in v) out.set(key(k, `${path}.<key>`), val(v[k], `${path}.${k}`));
        } else throw fail(path, t, v);
        return out;
      };
    }
    case "ROW": {
      const fields = t.fields;
      const names = fields.map((f) => f.name);
      const nameSet = new Set(names);
      const coercers = fields.map((f) => compile(f.type));
      return (v, path) => {
        const out: Record<string, unknown> = {};
        if (Array.isArray(v)) {
          if (v.length !== fields.length) throw fail(path, t, v, `needs ${fields.length} fields`);
          for (let i = 0; i < names.length; i++) out[names[i]!] = coercers[i]!(v[i], `${path}.${names[i]}`);
        } else if (isPlainObject(v)) {
          for (const k in v) {
            if (!nameSet.has(k)) throw FlussError.client(`column "${path}": unknown field "${k}" for ${typeToString(t)}`);
          }
          for (let i = 0; i < names.length; i++) out[names[i]!] = coercers[i]!(v[names[i]!], `${path}.${names[i]}`);
        } else throw fail(path, t, v);
        return out;
      };
    }
  }
}

/** Coerces one value of type `type` to its canonical form; `path` names it in errors. */
export function coerceValue(type: DataType, value: unknown, path: string): unknown {
  return compile(type)(value, path);
}

/** Compiles a reusable coercer for one type (faster than {@link coerceValue} in loops). */
export function makeValueCoercer(type: DataType): (value: unknown, path: string) => unknown {
  return compile(type);
}

/**
 * Builds the coercer for rows of `rowType`: accepts plain objects keyed by column name
 * (unknown names are errors, absent nullable columns become null) or arrays in column order.
 */
export function makeRowCoercer(rowType: RowType, opts?: RowCoercerOptions): RowCoercer {
  const fields = rowType.fields;
  const n = fields.length;
  const names = fields.map((f) => f.name);
  const index = new Map(names.map((name, i) => [name, i]));
  const coercers = fields.map((f) => compile(f.type));
  let target: boolean[] | undefined;
  if (opts?.targetColumns) {
    target = new Array<boolean>(n).fill(false);
    for (const c of opts.targetColumns) {
      const i = typeof c === "number" ? c : index.get(c);
      if (i === undefined || i < 0 || i >= n || !Number.isInteger(i)) {
        throw FlussError.client(`unknown target column ${JSON.stringify(c)} (columns: ${names.join(", ")})`);
      }
      target[i] = true;
    }
  }
  const notTarget = (i: number, v: unknown): FlussError =>
    FlussError.client(`column "${names[i]}" is not a target column of this partial update, got ${describe(v)}`);

  return (row) => {
    const out = new Array<unknown>(n);
    if (Array.isArray(row)) {
      if (row.length !== n) {
        throw FlussError.client(`row has ${row.length} values but the table has ${n} columns (${names.join(", ")})`);
      }
      for (let i = 0; i < n; i++) {
        const v = row[i];
        if (target && !target[i]) {
          if (v !== null && v !== undefined) throw notTarget(i, v);
          out[i] = null;
        } else out[i] = coercers[i]!(v, names[i]!);
      }
      return out;
    }
    if (typeof row !== "object" || row === null) {
      throw FlussError.client(`a row must be an object keyed by column name or an array, got ${describe(row)}`);
    }
    const obj = row as Readonly<Record<string, unknown>>;
    for (const k in obj) {
      if (!index.has(k)) throw FlussError.client(`unknown column "${k}" (columns: ${names.join(", ")})`);
    }
    for (let i = 0; i < n; i++) {
      const v = obj[names[i]!];
      if (target && !target[i]) {
        if (v !== null && v !== undefined) throw notTarget(i, v);
        out[i] = null;
      } else out[i] = coercers[i]!(v, names[i]!);
    }
    return out;
  };
}
