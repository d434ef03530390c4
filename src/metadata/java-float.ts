/**
 * Java's `Double.toString` and `Float.toString` (JDK 19+ specification, which every partition
 * name produced by a current Java client follows).
 *
 * Digits: the shortest decimal that rounds to the value (for FLOAT: to the float32 value),
 * the closest one among several; when one digit suffices, the closest decimal of one or two
 * digits is used (so `Double.MIN_VALUE` is `4.9E-324`, not `5E-324`).
 * Layout: plain notation with at least one fraction digit when 10^-3 <= |v| < 10^7
 * (`1.0`, `0.001`, `5.73`), otherwise `d.dddE<exp>` (`1.0E10`, `1.0E-4`).
 */

interface Decimal {
  /** Significant digits, no leading zeros (trailing zeros stripped). */
  digits: string;
  /** Scientific exponent: value = d.ddd × 10^exp. */
  exp: number;
}

function parseExponential(s: string): Decimal {
  // s like "-1.2345e+21" or "5e-324"
  const m = /^-?(\d)(?:\.(\d+))?e([+-]\d+)$/.exec(s);
  if (!m) throw new Error(`unexpected exponential form ${s}`);
  const digits = (m[1]! + (m[2] ?? "")).replace(/0+$/, "") || "0";
  return { digits, exp: Number(m[3]) };
}

/** Candidates with exactly `p` significant digits around |v|: the closest first, then its neighbours. */
function candidates(abs: number, p: number): Decimal[] {
  const closest = parseExponential(abs.toExponential(p - 1));
  const mant = BigInt((closest.digits + "0".repeat(p)).slice(0, p));
  const out: Decimal[] = [closest];
  for (const n of [mant + 1n, mant - 1n]) {
    const text = n.toString();
    if (text.length !== p) continue; // changed magnitude; covered by another p
    out.push({ digits: text.replace(/0+$/, "") || "0", exp: closest.exp });
  }
  return out;
}

function decimalValue(d: Decimal): number {
  return Number(`${d.digits[0]}.${d.digits.slice(1) || "0"}e${d.exp}`);
}

function shortest(abs: number, roundsBack: (x: number) => boolean, maxDigits: number): Decimal {
  for (let p = 1; p <= maxDigits; p++) {
    const ok = candidates(abs, p).filter((c) => roundsBack(decimalValue(c)));
    if (ok.length === 0) continue;
    let best = ok[0]!;
    if (p === 1) {
      // Java also considers two-digit decimals when one digit suffices, keeping the closest.
      const two = candidates(abs, 2)[0]!;
      if (roundsBack(decimalValue(two))) best = two;
    }
    return best;
  }
  return parseExponential(abs.toExponential(maxDigits - 1));
}

function layout(negative: boolean, d: Decimal): string {
  const sign = negative ? "-" : "";
  const { digits, exp } = d;
  if (exp >= -3 && exp < 7) {
    if (exp >= 0) {
      const intPart = digits.length > exp + 1 ? digits.slice(0, exp + 1) : digits.padEnd(exp + 1, "0");
      const frac = digits.length > exp + 1 ? digits.slice(exp + 1) : "0";
      return `${sign}${intPart}.${frac}`;
    }
    return `${sign}0.${"0".repeat(-exp - 1)}${digits}`;
  }
  return `${sign}${digits[0]}.${digits.slice(1) || "0"}E${exp}`;
}

function special(v: number): string | undefined {
  if (Number.isNaN(v)) return "NaN";
  if (v === Infinity) return "Infinity";
  if (v === -Infinity) return "-Infinity";
  if (v === 0) return Object.is(v, -0) ? "-0.0" : "0.0";
  return undefined;
}

/** Java `Double.toString(v)`. */
export function javaDoubleToString(v: number): string {
  const s = special(v);
  if (s !== undefined) return s;
  const abs = Math.abs(v);
  // JS already yields the shortest, closest digits; only Java's 1-or-2-digit rule differs.
  let d = parseExponential(abs.toExponential());
  if (d.digits.length === 1) {
    const two = candidates(abs, 2)[0]!;
    if (decimalValue(two) === abs) d = two;
  }
  return layout(v < 0, d);
}

/** Java `Float.toString(f)` for the float32 nearest to `v`. */
export function javaFloatToString(v: number): string {
  const f = Math.fround(v);
  const s = special(f);
  if (s !== undefined) return s;
  const abs = Math.abs(f);
  // Parsing decimal→double→float may double-round in rare boundary cases; accepted.
  const d = shortest(abs, (x) => Math.fround(x) === abs, 9);
  return layout(f < 0, d);
}
