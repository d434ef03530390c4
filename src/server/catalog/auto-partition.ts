/**
 * Auto-partition names (formats.md §7.3; Java `PartitionUtils.generateAutoPartitionTime`,
 * `validateTimeFormat`): partition *i* is `format(now + i·unit)` in the configured zone.
 *
 * Only the pattern letters Java's validation admits are supported: `y`/`u` (year), `Q`/`q`
 * (quarter), `M`/`L` (month), `d` (day), `H` (hour), plus quoted literals and punctuation.
 */

import type { AutoPartitionTimeUnit } from "../../metadata/table-options.js";
import { defaultTimeZone } from "../../metadata/table-options.js";
import { invalidPartitionValueReason } from "../../metadata/partition.js";

/** Default pattern per time unit. */
const AUTO_PARTITION_DEFAULT_FORMATS: Readonly<Record<AutoPartitionTimeUnit, string>> = {
  YEAR: "yyyy",
  QUARTER: "yyyyQ",
  MONTH: "yyyyMM",
  DAY: "yyyyMMdd",
  HOUR: "yyyyMMddHH",
};

/** Local calendar fields of an instant in a zone. */
interface LocalDateTime {
  year: number;
  month: number; // 1..12
  day: number;
  hour: number;
  minute: number;
  second: number;
  millis: number;
}

/** Offset in ms for fixed-offset zone ids (`Z`, `UTC`, `UTC-8`, `GMT+05:30`, `+08:00`), else undefined. */
function fixedOffsetMillis(zone: string): number | undefined {
  const z = zone.trim();
  if (z === "Z" || z === "UTC" || z === "GMT" || z === "UT") return 0;
  const m = /^(?:UTC|GMT|UT)?([+-])(\d{1,2})(?::?(\d{2}))?(?::?(\d{2}))?$/.exec(z);
  if (!m) return undefined;
  const sign = m[1] === "-" ? -1 : 1;
  return sign * ((Number(m[2]) * 60 + Number(m[3] ?? 0)) * 60 + Number(m[4] ?? 0)) * 1000;
}

function toLocal(epochMillis: number, zone: string): LocalDateTime {
  const fixed = fixedOffsetMillis(zone);
  if (fixed !== undefined) {
    const d = new Date(epochMillis + fixed);
    return {
      year: d.getUTCFullYear(),
      month: d.getUTCMonth() + 1,
      day: d.getUTCDate(),
      hour: d.getUTCHours(),
      minute: d.getUTCMinutes(),
      second: d.getUTCSeconds(),
      millis: d.getUTCMilliseconds(),
    };
  }
  const parts = new Intl.DateTimeFormat("en-US", {
    timeZone: zone,
    hourCycle: "h23",
    year: "numeric",
    month: "numeric",
    day: "numeric",
    hour: "numeric",
    minute: "numeric",
    second: "numeric",
  }).formatToParts(new Date(epochMillis));
  const get = (t: string): number => Number(parts.find((p) => p.type === t)?.value ?? 0);
  return {
    year: get("year"),
    month: get("month"),
    day: get("day"),
    hour: get("hour"),
    minute: get("minute"),
    second: get("second"),
    millis: ((epochMillis % 1000) + 1000) % 1000,
  };
}

function daysInMonth(year: number, month: number): number {
  return new Date(Date.UTC(year, month, 0)).getUTCDate();
}

/** Java `LocalDateTime.plusMonths`: the day is clamped to the target month's length. */
function plusMonths(t: LocalDateTime, months: number): LocalDateTime {
  const total = t.year * 12 + (t.month - 1) + months;
  const year = Math.floor(total / 12);
  const month = total - year * 12 + 1;
  return { ...t, year, month, day: Math.min(t.day, daysInMonth(year, month)) };
}

function plusDays(t: LocalDateTime, days: number): LocalDateTime {
  const d = new Date(Date.UTC(t.year, t.month - 1, t.day + days));
  return { ...t, year: d.getUTCFullYear(), month: d.getUTCMonth() + 1, day: d.getUTCDate() };
}

function padNum(n: number, width: number): string {
  return String(n).padStart(width, "0");
}

type Token = { kind: "literal"; text: string } | { kind: "field"; letter: string; width: number };

function tokenize(pattern: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  while (i < pattern.length) {
    const c = pattern[i]!;
    if (c === "'") {
      if (pattern[i + 1] === "'") {
        out.push({ kind: "literal", text: "'" });
        i += 2;
        continue;
      }
      let j = i + 1;
      let text = "";
      while (j < pattern.length) {
        if (pattern[j] === "'") {
          if (pattern[j + 1] === "'") {
            text += "'";
            j += 2;
            continue;
          }
          break;
        }
        text += pattern[j];
        j++;
      }
      if (j >= pattern.length) throw new Error(`Pattern ends with an incomplete string literal: ${pattern}`);
      out.push({ kind: "literal", text });
      i = j + 1;
      continue;
    }
    if (/[A-Za-z]/.test(c)) {
      let j = i + 1;
      while (pattern[j] === c) j++;
      out.push({ kind: "field", letter: c, width: j - i });
      i = j;
      continue;
    }
    if (c === "[" || c === "]" || c === "{" || c === "}" || c === "#") {
      throw new Error(`Time format '${pattern}' must not contain optional sections ('[' or ']').`);
    }
    out.push({ kind: "literal", text: c });
    i++;
  }
  return out;
}

/** Formats local date-time fields with a `DateTimeFormatter`-style pattern (subset). */
function formatLocal(t: LocalDateTime, pattern: string): string {
  let s = "";
  for (const tok of tokenize(pattern)) {
    if (tok.kind === "literal") {
      s += tok.text;
      continue;
    }
    switch (tok.letter) {
      case "y":
      case "u": {
        const year = tok.letter === "y" && t.year <= 0 ? 1 - t.year : t.year;
        if (tok.width === 2) s += padNum(((year % 100) + 100) % 100, 2);
        else s += year > 9999 && tok.width === 4 ? `+${year}` : padNum(year, tok.width);
        break;
      }
      case "Q":
      case "q":
        s += padNum(Math.floor((t.month - 1) / 3) + 1, tok.width);
        break;
      case "M":
      case "L":
        s += padNum(t.month, tok.width);
        break;
      case "d":
        s += padNum(t.day, tok.width);
        break;
      case "H":
        s += padNum(t.hour, tok.width);
        break;
      case "m":
        s += padNum(t.minute, tok.width);
        break;
      case "s":
        s += padNum(t.second, tok.width);
        break;
      default:
        throw new Error(`Unsupported pattern letter '${tok.letter}' in time format '${pattern}'.`);
    }
  }
  return s;
}

/** Options of {@link autoPartitionTime}. */
export interface AutoPartitionTimeOptions {
  /** `table.auto-partition.time-format`; defaults per unit (`yyyyMMdd` for DAY, ...). */
  readonly timeFormat?: string;
  /** `table.auto-partition.time-zone` (IANA id or fixed offset like `UTC-8`); defaults to the process zone. */
  readonly timeZone?: string;
}

/**
 * The auto-partition value `offset` units away from `now` (Java
 * `generateAutoPartitionTime`): HOUR moves along the instant timeline, the other units
 * along the local calendar (QUARTER = 3 months; month ends clamp).
 */
export function autoPartitionTime(
  now: Date | number,
  offset: number,
  timeUnit: AutoPartitionTimeUnit,
  options: AutoPartitionTimeOptions = {},
): string {
  const zone = options.timeZone ?? defaultTimeZone();
  const format = options.timeFormat ?? AUTO_PARTITION_DEFAULT_FORMATS[timeUnit];
  const instant = typeof now === "number" ? now : now.getTime();
  let t: LocalDateTime;
  switch (timeUnit) {
    case "HOUR":
      t = toLocal(instant + offset * 3_600_000, zone);
      break;
    case "DAY":
      t = plusDays(toLocal(instant, zone), offset);
      break;
    case "MONTH":
      t = plusMonths(toLocal(instant, zone), offset);
      break;
    case "QUARTER":
      t = plusMonths(toLocal(instant, zone), offset * 3);
      break;
    case "YEAR":
      t = plusMonths(toLocal(instant, zone), offset * 12);
      break;
    default:
      throw new Error(`Unsupported time unit: ${String(timeUnit)}`);
  }
  return formatLocal(t, format);
}

const FIELD_OF_LETTER: Readonly<Record<string, { name: string; width: number }>> = {
  y: { name: "year", width: 4 },
  u: { name: "year", width: 4 },
  Q: { name: "quarter", width: 1 },
  q: { name: "quarter", width: 1 },
  M: { name: "month", width: 2 },
  L: { name: "month", width: 2 },
  d: { name: "day", width: 2 },
  H: { name: "hour", width: 2 },
};

const EXPECTED_FIELDS: Readonly<Record<AutoPartitionTimeUnit, readonly string[]>> = {
  YEAR: ["year"],
  QUARTER: ["year", "quarter"],
  MONTH: ["year", "month"],
  DAY: ["year", "month", "day"],
  HOUR: ["year", "month", "day", "hour"],
};

/**
 * Java `PartitionUtils.validateTimeFormat`: the pattern lists exactly the unit's fields
 * from largest to smallest, each at its fixed width, without optional sections, and
 * produces a valid partition value. Throws an Error with Java's message.
 */
export function validateAutoPartitionTimeFormat(timeFormat: string, timeUnit: AutoPartitionTimeUnit): void {
  const tokens = tokenize(timeFormat);
  const actual: string[] = [];
  for (const tok of tokens) {
    if (tok.kind !== "field") continue;
    const field = FIELD_OF_LETTER[tok.letter];
    if (!field) throw new Error(`Time format '${timeFormat}' contains unsupported time field '${tok.letter}'.`);
    if (tok.width !== field.width) {
      throw new Error(
        `Time field '${field.name}' in format '${timeFormat}' must have fixed width ${field.width}, but found ${tok.width}.`,
      );
    }
    actual.push(field.name);
  }
  const expected = EXPECTED_FIELDS[timeUnit];
  if (actual.join(",") !== expected.join(",")) {
    throw new Error(
      `Time format '${timeFormat}' must contain fields [${expected.join(", ")}] in this order for time unit '${timeUnit}', but found [${actual.join(", ")}].`,
    );
  }
  // Java formats 2024-11-11T11:00 (zone-independent fields) and checks the result is a valid name.
  const sample = formatLocal({ year: 2024, month: 11, day: 11, hour: 11, minute: 0, second: 0, millis: 0 }, timeFormat);
  const reason = invalidPartitionValueReason(sample, true);
  if (reason !== undefined) {
    throw new Error(`Time format '${timeFormat}' generates invalid partition value '${sample}': ${reason}.`);
  }
}
