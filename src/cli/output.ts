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
  /** Ends the output (the rest of a boxed table is printed now). `footer` follows a table. */
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
 * the widths of the first rows (for `--follow`); otherwise a boxed table is printed in
 * pieces of 1000 rows (the whole table at `end` when it is shorter).
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

/** Rows per piece of a long table: a piece's column widths are known when it is printed. */
const TABLE_PIECE_ROWS = 1000;
/** Text one column wide per character, on one line (printable ASCII). */
const PLAIN = /^[\x20-\x7e]*$/;

/**
 * A cli-table3 table printed in pieces of {@link TABLE_PIECE_ROWS} rows, so a long scan
 * shows its first rows early and holds no more than a piece. The first piece (header
 * included) is sized by cli-table3 as a whole table would be; a later piece whose values fit
 * those widths is drawn with them and joined to the piece before (no border between), so
 * the output reads as one table; a piece with a wider value closes the table and starts a
 * new one, header repeated, with the wider columns (values are never cut or wrapped).
 * Up to one piece, the table is exactly what cli-table3 prints for all rows.
 */
async function bufferedTable(columns: readonly OutColumn[], out: (text: string) => void): Promise<RowSink> {
  const { default: Table } = await import("cli-table3");
  const head = columns.map((c) => c.name);
  const colAligns = columns.map((c) => (isNumeric(c) ? ("right" as const) : ("left" as const)));
  const style = { head: [], border: [], compact: true };
  let pending: string[][] = [];
  /** The column widths of the table being printed, and its bottom border (held back). */
  let widths: number[] | undefined;
  let bottom = "";
  let count = 0;
  /** Draws the pending rows; returns the lines and the widths cli-table3 chose. */
  const draw = (withHead: boolean, colWidths?: number[]): { lines: string[]; widths: number[] } => {
    const table = new Table({ ...(withHead ? { head } : {}), ...(colWidths ? { colWidths } : {}), colAligns, style });
    table.push(...pending);
    return { lines: table.toString().split("\n"), widths: [...(table.options.colWidths as number[])] };
  };
  /** Prints the pending rows (the bottom border only at the end). */
  const print = (last: boolean): void => {
    let lines: string[] = [];
    if (!widths) {
      ({ lines, widths } = draw(true));
    } else if (pending.length > 0 && pending.every((r) => r.every((c, i) => PLAIN.test(c) && c.length + 2 <= widths![i]!))) {
      // the common case, drawn here as cli-table3 would (it takes ~0.4 ms a row): one line a row
      lines = pending.map(
        (r) =>
          `│${r.map((c, i) => ` ${colAligns[i] === "right" ? c.padStart(widths![i]! - 2) : c.padEnd(widths![i]! - 2)} `).join("│")}│`,
      );
      lines.push(bottom);
    } else if (pending.length > 0) {
      const natural = draw(false);
      if (natural.widths.every((w, i) => w <= widths![i]!)) {
        lines = draw(false, widths).lines.slice(1); // joined below the rows before: no top border
      } else {
        // wider values: this table ends, a new one with wider columns begins
        const wider = widths.map((w, i) => Math.max(w, natural.widths[i]!));
        lines = [bottom, ...draw(true, wider).lines];
        widths = wider;
      }
    }
    bottom = lines.length > 0 ? lines.pop()! : bottom;
    if (last) lines.push(bottom);
    pending = [];
    if (lines.length > 0) out(`${lines.join("\n")}\n`);
  };
  return {
    write(values) {
      count++;
      pending.push(columns.map((c, i) => cell(c, values[i]) ?? "null"));
      if (pending.length >= TABLE_PIECE_ROWS) print(false);
    },
    flush() {},
    end(footer) {
      print(true);
      out(`${footer ?? `${count} row${count === 1 ? "" : "s"}`}\n`);
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
