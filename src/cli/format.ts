import { Decimal } from "../row/values.js";
import { toHex } from "../util/bytes.js";

/** Renders one value for display: dates as ISO, bytes as hex, maps and rows as JSON-ish text. */
function formatValue(v: unknown): string {
  if (v === null || v === undefined) return "null";
  if (v instanceof Date) return v.toISOString();
  if (v instanceof Decimal) return v.toString();
  if (v instanceof Uint8Array) return `0x${toHex(v)}`;
  if (typeof v === "bigint") return v.toString();
  if (v instanceof Map) return `{${[...v].map(([k, x]) => `${formatValue(k)}: ${formatValue(x)}`).join(", ")}}`;
  if (Array.isArray(v)) return `[${v.map(formatValue).join(", ")}]`;
  if (typeof v === "object") {
    return `{${Object.entries(v as Record<string, unknown>)
      .map(([k, x]) => `${k}: ${formatValue(x)}`)
      .join(", ")}}`;
  }
  return String(v);
}

/**
 * A readable text table with box-drawing borders; numbers are right-aligned.
 *
 * ```
 * ┌────┬───────┐
 * │ id │ name  │
 * ├────┼───────┤
 * │  1 │ Alice │
 * └────┴───────┘
 * ```
 */
export function formatTable(rows: readonly Record<string, unknown>[], columns?: readonly string[]): string {
  const cols = columns ?? [...new Set(rows.flatMap((r) => Object.keys(r)))];
  if (cols.length === 0) return "(no columns)";
  const cells = rows.map((r) => cols.map((c) => formatValue(r[c])));
  const numeric = cols.map(
    (c) => rows.length > 0 && rows.every((r) => ["number", "bigint"].includes(typeof r[c]) || r[c] instanceof Decimal),
  );
  const widths = cols.map((c, i) => Math.max(c.length, ...cells.map((row) => row[i]!.length)));
  const line = (l: string, m: string, r: string) => `${l}${widths.map((w) => "─".repeat(w + 2)).join(m)}${r}`;
  const fmt = (vals: readonly string[], align: readonly boolean[]) =>
    `│${vals.map((v, i) => ` ${align[i] ? v.padStart(widths[i]!) : v.padEnd(widths[i]!)} `).join("│")}│`;
  const out = [
    line("┌", "┬", "┐"),
    fmt(
      cols,
      cols.map(() => false),
    ),
    line("├", "┼", "┤"),
  ];
  for (const row of cells) out.push(fmt(row, numeric));
  out.push(line("└", "┴", "┘"));
  out.push(`${rows.length} row${rows.length === 1 ? "" : "s"}`);
  return out.join("\n");
}
