/**
 * `flussjs produce DB.TABLE [FILE|-]`: JSON Lines (default) or CSV rows into a table —
 * appended to a log table, upserted into a primary-key table, or deleted with `--delete`.
 * Rows go through one writer with backpressure; everything read before a stop (bad line,
 * Ctrl-C) is still flushed, and the exit code is 0 only when every row was acknowledged.
 */
import type { Command } from "commander";
import type { FlussTable, WriteResultHandle } from "../../index.js";
import { parseTablePath } from "../args.js";
import { CliError, EXIT_FAILURE, EXIT_OK, type Runtime, messageOf, usageError } from "../runtime.js";

const HELP_AFTER = `
Input: one JSON object per line (keys are column names; an array in column order works
too), or with --format csv a header row naming the columns, then one row per line (an
empty cell is null, "" the empty string). BIGINT beyond 2^53, DECIMAL, dates and times
are best written as strings ("2024-05-01T12:00:00Z"), bytes in base64, ARRAY/MAP/ROW as
JSON (in CSV: JSON text in the cell). What "flussjs scan --format jsonl" prints reads back.

A log table gets the rows appended; a primary-key table upserted (--delete: the rows'
keys deleted). A bad line stops with its line number and column (rows before it are
written); --skip-bad reports it and goes on. Exit code 0 only when every row was
acknowledged by the cluster.

Examples:
  $ flussjs produce shop.orders orders.jsonl
  $ cat orders.csv | flussjs produce shop.orders --format csv
  $ echo '{"id": 42}' | flussjs produce shop.orders --delete
  $ flussjs produce shop.events big.jsonl --skip-bad
`;

interface ProduceOptions {
  format: string;
  delete?: boolean;
  skipBad?: boolean;
  progress?: boolean;
}

const STOP = Symbol("stop");

/** One input record: its line number and either the parsed object or why it is bad. */
type InputRecord = { line: number; bytes: number } & ({ row: Record<string, unknown> | unknown[] } | { error: string });

/** Registers `flussjs produce`. */
export function registerProduce(program: Command, rt: Runtime): void {
  program
    .command("produce")
    .description("write rows from a JSON Lines or CSV file (or stdin) into a table")
    .argument("<db.table>", "the table")
    .argument("[file]", "input file; - or none: standard input")
    .option("-f, --format <format>", "jsonl or csv", "jsonl")
    .option("--delete", "delete the rows' keys (primary-key tables)")
    .option("--skip-bad", "report bad lines and go on (default: stop at the first)")
    .option("--progress", "show the progress bar even when stderr is not a terminal")
    .option("--no-progress", "no progress bar (default: shown when stderr is a terminal)")
    .addHelpText("after", HELP_AFTER)
    .action(rt.run(async (path: string, file: string | undefined, opts: ProduceOptions) => produce(rt, path, file, opts)));
}

async function produce(rt: Runtime, path: string, file: string | undefined, opts: ProduceOptions): Promise<number> {
  const p = parseTablePath(path);
  const format = opts.format.toLowerCase();
  if (format !== "jsonl" && format !== "csv" && format !== "json")
    throw usageError(`--format must be jsonl or csv, got "${opts.format}"`);
  const fs = await import("node:fs");
  let input: NodeJS.ReadableStream;
  let totalBytes: number | undefined;
  if (file === undefined || file === "-") {
    input = rt.io.stdin ?? process.stdin;
    if ((input as { isTTY?: boolean }).isTTY)
      rt.io.err(`reading ${format === "csv" ? "CSV" : "JSON Lines"} from the terminal (Ctrl-D ends)\n`);
  } else {
    try {
      totalBytes = fs.statSync(file).size;
    } catch (e) {
      throw new CliError(
        `cannot read ${file}: ${(e as NodeJS.ErrnoException).code === "ENOENT" ? "no such file" : messageOf(e)}`,
      );
    }
    input = fs.createReadStream(file);
  }

  const conn = await rt.connect();
  const table = await conn.getTable(p.text);
  const info = table.info;
  if (opts.delete && !info.hasPrimaryKey) throw usageError(`--delete needs a primary-key table; ${p.text} is a log table`);
  const { rowConverter } = await import("../values.js");
  const convert = rowConverter(info.rowType, format === "csv");
  const names = info.rowType.fields.map((f) => f.name);
  const write = writerFor(table, opts.delete === true);
  const verb = opts.delete ? "deleted" : info.hasPrimaryKey ? "upserted" : "appended";

  const records = format === "csv" ? csvRecords(input, names) : jsonLines(input);
  const showProgress = opts.progress ?? rt.stderrIsTTY;
  const progress = showProgress ? await startProgress(totalBytes, !rt.stderrIsTTY) : undefined;
  let stopped: string | undefined;
  const stop = rt.waitForStop().then((sig): typeof STOP => {
    stopped ??= sig;
    return STOP;
  });

  const started = Date.now();
  let written = 0;
  let skipped = 0;
  let bytes = 0;
  let failure: string | undefined;
  let badLine: string | undefined;
  // a ref'd timer: the process lives until the writes are settled, whatever else is unref'd
  const keepAlive = setInterval(() => undefined, 1 << 30);
  try {
    for (;;) {
      // a stop ends a read that waits on a quiet stdin
      const next = await Promise.race([records.next(), stop]);
      if (next === STOP || next.done) break;
      const rec = next.value;
      bytes += rec.bytes;
      let handle: WriteResultHandle | undefined;
      let problem: string | undefined;
      if ("error" in rec) problem = rec.error;
      else {
        try {
          const row = Array.isArray(rec.row) ? Object.fromEntries(names.map((n, i) => [n, (rec.row as unknown[])[i]])) : rec.row;
          if (Array.isArray(rec.row) && rec.row.length !== names.length) {
            throw new Error(
              `the row has ${rec.row.length} values but the table has ${names.length} columns (${names.join(", ")})`,
            );
          }
          handle = write.one(convert(row));
        } catch (e) {
          if (isFatalWriteError(e)) throw e;
          problem = messageOf(e);
        }
      }
      if (problem !== undefined) {
        const text = `line ${rec.line}: ${problem}`;
        if (!opts.skipBad) {
          badLine = text;
          break;
        }
        skipped++;
        progress?.log(`skipped ${text}`);
        if (!progress) rt.io.err(`skipped ${text}\n`);
        continue;
      }
      if (handle && !handle.isAccepted) await handle; // wait for buffer room (backpressure)
      written++;
      if (progress && (written & 1023) === 0) progress.update(written, bytes, started);
      if (stopped) break;
    }
  } catch (e) {
    // the cluster or writer failed; anything else is the input's (e.g. a CSV quote never closed)
    if (isFatalWriteError(e)) failure = messageOf(e);
    else badLine = messageOf(e);
  }
  // what was accepted is written whatever stopped the input
  try {
    await write.flush();
  } catch (e) {
    failure ??= messageOf(e);
  }
  clearInterval(keepAlive);
  if (stopped) {
    // the read still waiting on the input would keep the process alive
    (input as NodeJS.ReadableStream & { destroy?: () => void }).destroy?.();
    void records.return(undefined).catch(() => undefined);
  }
  progress?.stop(written, bytes, started);
  const secs = (Date.now() - started) / 1000;
  const rate = secs > 0 ? Math.round(written / secs) : written;
  const extra = skipped > 0 ? `, ${skipped} bad line${skipped === 1 ? "" : "s"} skipped` : "";
  if (failure !== undefined) {
    rt.io.err(`error: writing to ${p.text} failed: ${failure}\n`);
    rt.io.err(`${written} row${written === 1 ? "" : "s"} sent, not all acknowledged${extra}\n`);
    return EXIT_FAILURE;
  }
  const summary = `${verb} ${written} row${written === 1 ? "" : "s"} ${opts.delete ? "from" : "to"} ${p.text} in ${secs.toFixed(1)} s (${rate.toLocaleString("en-US")} rows/s)${extra}`;
  if (badLine !== undefined) {
    rt.io.err(`error: ${badLine}\n`);
    rt.io.err(`stopped there: ${summary}, all acknowledged (--skip-bad goes on past bad lines)\n`);
    return EXIT_FAILURE;
  }
  if (stopped) {
    rt.io.err(`interrupted (${stopped}): ${summary}, all acknowledged\n`);
    return 130;
  }
  rt.io.err(`${summary}, all acknowledged\n`);
  return EXIT_OK;
}

/** Errors that end the whole run (the writer or connection broke), not just one line. */
function isFatalWriteError(e: unknown): boolean {
  const code = (e as { code?: unknown } | null)?.code;
  return e instanceof Error && typeof code === "number" && code !== -2;
}

function writerFor(
  table: FlussTable,
  del: boolean,
): { one(row: Record<string, unknown>): WriteResultHandle; flush(): Promise<void> } {
  if (!table.info.hasPrimaryKey) {
    const w = table.newAppendWriter();
    return { one: (row) => w.append(row), flush: () => w.close() };
  }
  const w = table.newUpsert();
  return { one: del ? (row) => w.delete(row) : (row) => w.upsert(row), flush: () => w.close() };
}

async function* jsonLines(input: NodeJS.ReadableStream): AsyncGenerator<InputRecord> {
  const { createInterface } = await import("node:readline");
  const lines = createInterface({ input, crlfDelay: Number.POSITIVE_INFINITY });
  let n = 0;
  for await (const text of lines) {
    n++;
    const bytes = text.length + 1;
    if (text.trim() === "") continue;
    let row: unknown;
    try {
      row = JSON.parse(text);
    } catch (e) {
      yield { line: n, bytes, error: `not valid JSON (${messageOf(e)})` };
      continue;
    }
    if (typeof row !== "object" || row === null) {
      yield { line: n, bytes, error: "expected a JSON object (or an array in column order)" };
      continue;
    }
    yield { line: n, bytes, row: row as Record<string, unknown> };
  }
}

async function* csvRecords(input: NodeJS.ReadableStream, names: readonly string[]): AsyncGenerator<InputRecord> {
  const { parse } = await import("csv-parse");
  let header: string[] | undefined;
  const parser = input.pipe(
    parse({
      bom: true,
      info: true,
      skip_empty_lines: true,
      relax_column_count: true,
      // an empty unquoted cell is null; "" is the empty string
      cast: (value, ctx) => (value === "" && !ctx.quoting ? null : value),
    }),
  );
  let lastBytes = 0;
  for await (const { record, info } of parser as AsyncIterable<{
    record: (string | null)[];
    info: { lines: number; bytes: number };
  }>) {
    const bytes = info.bytes - lastBytes;
    lastBytes = info.bytes;
    if (!header) {
      header = record.map((h) => (h ?? "").trim());
      const unknown = header.filter((h) => !names.includes(h));
      if (unknown.length > 0) {
        throw new CliError(
          `line ${info.lines}: the CSV header names unknown column${unknown.length > 1 ? "s" : ""} ${unknown.map((u) => `"${u}"`).join(", ")} (columns: ${names.join(", ")})`,
        );
      }
      continue;
    }
    if (record.length !== header.length) {
      yield { line: info.lines, bytes, error: `expected ${header.length} fields as in the header, got ${record.length}` };
      continue;
    }
    const row: Record<string, unknown> = {};
    for (let i = 0; i < header.length; i++) row[header[i]!] = record[i];
    yield { line: info.lines, bytes, row };
  }
}

interface Progress {
  update(rows: number, bytes: number, started: number): void;
  log(text: string): void;
  stop(rows: number, bytes: number, started: number): void;
}

/** A progress bar on stderr: a bar over the file's bytes when its size is known, else a counter. */
async function startProgress(totalBytes: number | undefined, notTTY: boolean): Promise<Progress> {
  const { SingleBar } = await import("cli-progress");
  const bar = new SingleBar(
    {
      format: totalBytes !== undefined ? " {bar} {percentage}% | {rows} rows | {rate} rows/s" : " {rows} rows | {rate} rows/s",
      stream: process.stderr,
      hideCursor: true,
      clearOnComplete: true,
      barsize: 30,
      // forced onto a file or pipe: a line every second instead of redrawing in place
      ...(notTTY ? { noTTYOutput: true, notTTYSchedule: 1000, clearOnComplete: false } : {}),
    },
    { format: "", barCompleteChar: "█", barIncompleteChar: "░" },
  );
  const payload = (rows: number, started: number) => ({
    rows: rows.toLocaleString("en-US"),
    rate: Math.round(rows / Math.max(0.001, (Date.now() - started) / 1000)).toLocaleString("en-US"),
  });
  bar.start(totalBytes ?? 0, 0, payload(0, Date.now()));
  return {
    update: (rows, bytes, started) => bar.update(Math.min(bytes, totalBytes ?? bytes), payload(rows, started)),
    log: (text) => {
      process.stderr.write(notTTY ? `${text}\n` : `\r\x1b[K${text}\n`);
    },
    stop: (rows, bytes, started) => {
      bar.update(Math.min(bytes, totalBytes ?? bytes), payload(rows, started));
      bar.stop();
    },
  };
}
