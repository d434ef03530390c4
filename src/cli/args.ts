/** Parsing of command-line arguments shared by the commands: table paths, `k=v` specs, numbers. */
import { usageError } from "./runtime.js";

/** `DB.TABLE` → its two names; anything else is a usage error. */
export function parseTablePath(text: string): { database: string; table: string; text: string } {
  const dot = text.indexOf(".");
  if (dot <= 0 || dot === text.length - 1) {
    throw usageError(`"${text}" is not a table name: expected DB.TABLE, e.g. fluss.orders`);
  }
  return { database: text.slice(0, dot), table: text.slice(dot + 1), text };
}

/**
 * `k=v[,k=v...]` (one or more arguments, each possibly comma-separated) → an ordered
 * record. `what` names the argument in errors.
 */
export function parseSpec(parts: readonly string[], what: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const part of parts) {
    for (const item of part.split(",")) {
      if (item.trim() === "") continue;
      const eq = item.indexOf("=");
      if (eq <= 0) throw usageError(`${what} "${item}" is not KEY=VALUE`);
      const k = item.slice(0, eq).trim();
      if (k in out) throw usageError(`${what}: "${k}" is given twice`);
      out[k] = item.slice(eq + 1);
    }
  }
  return out;
}

/** A non-negative (or positive) integer option value. */
export function parseCount(text: string, option: string, min = 0): number {
  const n = /^\d+$/.test(text.trim()) ? Number(text.trim()) : Number.NaN;
  if (!Number.isSafeInteger(n) || n < min) {
    throw usageError(`${option} must be an integer >= ${min}, got "${text}"`);
  }
  return n;
}

/** An integer option value within `[min, max]`. */
export function integer(flag: string, text: unknown, min: number, max: number): number {
  const s = String(text);
  const n = /^\d+$/.test(s) ? Number(s) : Number.NaN;
  if (!Number.isInteger(n) || n < min || n > max) {
    throw usageError(`${flag} must be an integer between ${min} and ${max}, got '${s}'`);
  }
  return n;
}

/** A comma-separated list option (`a,b,c`), empty items dropped. */
export function parseList(text: string): string[] {
  return text
    .split(",")
    .map((s) => s.trim())
    .filter((s) => s !== "");
}

/** Collects a repeatable option's values (commander's `argParser`). */
export function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}

/**
 * A point in time for `--from` / `--at`: an ISO 8601 date or date-time (a time without
 * offset is UTC), or epoch milliseconds when `allowEpoch`. Returns epoch ms, or undefined
 * when the text is not a time at all.
 */
export function parseTimestamp(text: string, allowEpoch: boolean): number | undefined {
  const t = text.trim();
  if (/^\d+$/.test(t)) return allowEpoch ? Number(t) : undefined;
  if (!/^\d{4}-\d{2}-\d{2}/.test(t)) return undefined;
  const withZone = /([zZ]|[+-]\d{2}:?\d{2})$/.test(t) || /^\d{4}-\d{2}-\d{2}$/.test(t) ? t : `${t}Z`;
  const ms = Date.parse(withZone.replace(" ", "T"));
  if (Number.isNaN(ms)) throw usageError(`"${text}" is not a valid date-time (use ISO 8601, e.g. 2024-05-01T12:00:00Z)`);
  return ms;
}

/** Help text listing examples (`$ flussjs ...` lines), for `addHelpText("after", ...)`. */
export function examples(...lines: string[]): string {
  return `\nExample${lines.length > 1 ? "s" : ""}:\n${lines.map((l) => `  $ ${l}\n`).join("")}`;
}
