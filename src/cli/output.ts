/**
 * Row output of `scan`, `lookup`, `offsets` and the `list` commands: an aligned text table
 * (cli-table3), JSON Lines, or CSV with a header row. Values print in the forms of
 * `values.ts`, so JSON Lines and CSV read back with `produce`.
 */
import type { DataType } from "../index.js";
import { toJsonValue, toText } from "./values.js";
import { usageError } from "./runtime.js";

/** Output formats. */
export type OutputFormat = "table" | "jsonl" | "csv";

/** `--format`'s value (default: table on a terminal, jsonl otherwise). */
export function parseFormat(text: string | undefined, stdoutIsTTY: boolean): OutputFormat {
  if (text === undefined) return stdoutIsTTY ? "table" : "jsonl";
  const f = text.toLowerCase();
  if (f === "table" || f === "jsonl" || f === "csv") return f;
  if (f === "json") return "jsonl";
  throw usageError(`--format must be table, jsonl or csv, got "${text}"`);
}

/** An output column: a table column with its type, or plain text (change type, offsets). */
export interface OutColumn {
  readonly name: string;
  readonly type?: DataType;
  /** Right-aligned in a table (numeric types are anyway). */
  readonly numeric?: boolean;
}

/** Takes rows (values in column order), writes them in its format. */
export interface RowSink {
  write(values: readonly unknown[]): void;
  /** Writes what is buffered (a streaming table prints as it goes). */
  flush(): void;
  /** Ends the output (a buffered table is printed now). `footer` follows a table. */
  end(footer?: string): void;
}

const NUMERIC = new Set(["TINYINT", "SMALLINT", "INTEGER", "BIGINT", "FLOAT", "DOUBLE", "DECIMAL"]);

function isNumeric(c: OutColumn): boolean {
  return c.numeric === true || (c.type !== undefined && NUMERIC.has(c.type.root));
}

function cell(c: OutColumn, v: unknown): string | null {
  if (c.type === undefined) return v === null || v === undefined ? null : String(v);
  return toText(c.type, v);
}

/** CSV quoting: fields with separators, quotes, line breaks or outer spaces, and the empty string (null is empty). */
function csvField(s: string | null): string {
  if (s === null) return "";
  if (s === "" || /[",\r\n]/.test(s) || s.trim() !== s) return `"${s.replace(/"/g, '""')}"`;
  return s;
}

/**
 * A sink writing through `out`. `streaming`: a table prints rows as they come, aligned to
 * the widths of the first rows (for `--follow`); otherwise the table is printed at `end`.
 */
export async function createSink(
  format: OutputFormat,
  columns: readonly OutColumn[],
  out: (text: string) => void,
  options: { streaming?: boolean } = {},
): Promise<RowSink> {
  let buf: string[] = [];
  const flushBuf = (): void => {
    if (buf.length > 0) out(buf.join(""));
    buf = [];
  };
  const push = (line: string): void => {
    buf.push(line);
    if (buf.length >= 1024) flushBuf();
  };
  switch (format) {
    case "jsonl":
      return {
        write(values) {
          const o: Record<string, unknown> = {};
          for (let i = 0; i < columns.length; i++) {
            const c = columns[i]!;
            o[c.name] = c.type === undefined ? (values[i] ?? null) : toJsonValue(c.type, values[i]);
          }
          push(`${JSON.stringify(o)}\n`);
        },
        flush: flushBuf,
        end: flushBuf,
      };
    case "csv":
      push(`${columns.map((c) => csvField(c.name)).join(",")}\n`);
      return {
        write(values) {
          push(`${columns.map((c, i) => csvField(cell(c, values[i]))).join(",")}\n`);
        },
        flush: flushBuf,
        end: flushBuf,
      };
    case "table":
      return options.streaming ? streamingTable(columns, out) : await bufferedTable(columns, out);
  }
}

async function bufferedTable(columns: readonly OutColumn[], out: (text: string) => void): Promise<RowSink> {
  const { default: Table } = await import("cli-table3");
  const table = new Table({
    head: columns.map((c) => c.name),
    colAligns: columns.map((c) => (isNumeric(c) ? "right" : "left")),
    style: { head: [], border: [], compact: true },
  });
  let count = 0;
  return {
    write(values) {
      count++;
      table.push(columns.map((c, i) => cell(c, values[i]) ?? "null"));
    },
    flush() {},
    end(footer) {
      out(`${table.toString()}\n${footer ?? `${count} row${count === 1 ? "" : "s"}`}\n`);
    },
  };
}

/** Rows printed as they come, padded to the widths of the header and the first rows. */
function streamingTable(columns: readonly OutColumn[], out: (text: string) => void): RowSink {
  let widths: number[] | undefined;
  let pending: string[][] = [];
  const right = columns.map(isNumeric);
  const line = (cells: readonly string[]): string =>
    `${cells.map((s, i) => (right[i] ? s.padStart(widths![i]!) : s.padEnd(widths![i]!))).join("  ")}`.trimEnd();
  const print = (): void => {
    if (pending.length === 0) return;
    const lines: string[] = [];
    if (!widths) {
      widths = columns.map((c, i) => Math.min(40, Math.max(c.name.length, ...pending.map((r) => r[i]!.length))));
      lines.push(line(columns.map((c) => c.name)), widths.map((w) => "─".repeat(w)).join("  "));
    }
    for (const r of pending) lines.push(line(r));
    pending = [];
    out(`${lines.join("\n")}\n`);
  };
  return {
    write(values) {
      pending.push(columns.map((c, i) => cell(c, values[i]) ?? "null"));
    },
    flush: print,
    end(footer) {
      print();
      if (footer) out(`${footer}\n`);
    },
  };
}
