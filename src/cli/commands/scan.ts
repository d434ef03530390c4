/**
 * `flussjs scan DB.TABLE`: reads a table's log (a primary-key table's changelog, with the
 * change type of each row) up to the latest offsets as of the start, or with `--follow`
 * until Ctrl-C; `--state` prints the current rows of a primary-key table instead (with
 * `--follow`, then its changelog from where the snapshot of each bucket ends).
 */
import type { Command } from "commander";
import type { DataField, FlussAdmin, OffsetSpec, PartitionInfo, SnapshotOffsets, TableInfo, TableScan } from "../../index.js";
import { collect, parseCount, parseList, parseTablePath, parseTimestamp } from "../args.js";
import { type OutColumn, type RowSink, createSink, parseFormat } from "../output.js";
import { selectPartitions } from "../partitions.js";
import { CliError, type Runtime, usageError } from "../runtime.js";

const HELP_AFTER = `
Without --follow the scan stops at each bucket's latest offset as of its start. For a
primary-key table each row of its changelog comes with its change type (column "op":
+I insert, -U/+U before/after an update, -D delete); --state prints the table's current
rows instead, and --state --follow prints them as inserts (+I), then every change after
them until Ctrl-C (none missed, none twice). --from takes earliest (default), latest, an
OFFSET (every bucket), or a TIMESTAMP (ISO 8601: the first rows written at or after it).
The default format is an aligned table on a terminal (printed 1000 rows at a time) and
JSON Lines otherwise.

Examples:
  $ flussjs scan shop.orders
  $ flussjs scan shop.orders --follow --from latest          # tail; Ctrl-C ends it
  $ flussjs scan shop.events --from 2024-05-01T12:00:00Z --limit 100 --format csv
  $ flussjs scan shop.sales --partition region=US --columns id,total
  $ flussjs scan shop.orders --state --format jsonl > orders.jsonl
  $ flussjs scan shop.orders --state --follow               # the rows now, then the changes
`;

interface ScanOptions {
  from?: string;
  follow?: boolean;
  limit?: string;
  columns?: string;
  partition?: string[];
  format?: string;
  state?: boolean;
}

/** How often `--follow` looks for new partitions of a partitioned table. */
const PARTITION_CHECK_MS = 2000;

/** One bucket to read, with the partition it belongs to. */
interface Target {
  readonly partition?: PartitionInfo;
  readonly bucket: number;
}

/** Registers `flussjs scan`. */
export function registerScan(program: Command, rt: Runtime): void {
  program
    .command("scan")
    .description("print a table's rows (a primary-key table's changelog, or --state its current rows)")
    .argument("<db.table>", "the table")
    .option("--from <where>", "earliest, latest, an OFFSET or a TIMESTAMP")
    .option("--follow", "keep printing new rows until Ctrl-C")
    .option("--limit <n>", "stop after n rows")
    .option("--columns <a,b,...>", "only these columns, in this order")
    .option("--partition <key=value>", "only this partition (repeatable, or k=v,k=v)", collect)
    .option("-f, --format <format>", "table, jsonl or csv (default: table on a terminal, else jsonl)")
    .option("--state", "the current rows of a primary-key table (a snapshot; with --follow, then its changes)")
    .addHelpText("after", HELP_AFTER)
    .action(rt.run(async (path: string, opts: ScanOptions) => scan(rt, path, opts)));
}

async function scan(rt: Runtime, path: string, opts: ScanOptions): Promise<void> {
  const p = parseTablePath(path);
  const format = parseFormat(opts.format, rt.stdoutIsTTY);
  const limit = opts.limit === undefined ? Number.POSITIVE_INFINITY : parseCount(opts.limit, "--limit", 1);
  if (opts.state && opts.from !== undefined)
    throw usageError("--state reads the current rows (with --follow, then every change after them): drop --from");
  const follow = opts.follow === true;
  const conn = await rt.connect();
  const admin = conn.getAdmin();
  const table = await conn.getTable(p.text);
  const info = table.info;
  let tableScan = table.newScan();
  if (opts.columns !== undefined) {
    const cols = parseList(opts.columns);
    const names = info.rowType.fields.map((f) => f.name);
    for (const c of cols)
      if (!names.includes(c)) throw usageError(`--columns: "${c}" is not a column of ${p.text} (columns: ${names.join(", ")})`);
    tableScan = tableScan.projectByName(cols);
  }
  if (opts.state && !info.hasPrimaryKey)
    throw new CliError(`--state reads a primary-key table; ${p.text} is a log table (scan it without --state)`);
  const projected = (tableScan.projectedColumns ?? info.rowType.fields.map((_, i) => i)).map((i) => info.rowType.fields[i]!);
  const dataColumns: OutColumn[] = projected.map((f) => ({ name: f.name, type: f.type }));
  const partitions = await selectPartitions(admin, info, opts.partition, { allowNone: follow });
  const op = info.hasPrimaryKey ? [{ name: projected.some((f) => f.name === "op") ? "_op" : "op" }] : [];
  // --state alone prints rows without change types; with --follow each is an insert (+I)
  const columns = opts.state && !follow ? dataColumns : [...op, ...dataColumns];
  const sink = await createSink(format, columns, rt.io.out, { streaming: follow });
  const run: Run = { rt, info, tableScan, admin, projected, op: columns.length > dataColumns.length, opts, limit, sink, n: 0 };
  const abort = new AbortController();
  if (follow) {
    void rt.waitForStop().then((sig) => {
      run.stoppedBy = sig;
      abort.abort();
    });
  }

  const targets: Target[] = [];
  let start: number[];
  if (opts.state) {
    const offsets = await readState(run, partitions, abort.signal);
    if (!follow || run.n >= limit || abort.signal.aborted) {
      sink.end(`${run.n} row${run.n === 1 ? "" : "s"}${follow ? why(run) : " (current state)"}`);
      return;
    }
    // the changelog from where the snapshot of each bucket ends: no change missed, none twice
    const byId = new Map((partitions ?? []).map((part) => [part.partitionId, part]));
    start = [];
    if (info.isPartitioned) {
      const missing = [...offsets].some((o) => !byId.has(o.partitionId));
      if (missing) for (const part of await admin.listPartitionInfos(info.tablePath)) byId.set(part.partitionId, part);
      for (const o of offsets) {
        const part = byId.get(o.partitionId);
        if (!part) continue; // dropped meanwhile
        targets.push({ partition: part, bucket: o.bucketId });
        start.push(o.offset);
      }
    } else {
      for (const [b, o] of Object.entries(offsets)) {
        targets.push({ bucket: Number(b) });
        start.push(o);
      }
    }
  } else {
    for (const part of partitions ?? [undefined]) {
      for (let b = 0; b < info.numBuckets; b++) targets.push(part ? { partition: part, bucket: b } : { bucket: b });
    }
    start = await startOffsets(admin, info, targets, opts.from);
  }
  const end = follow ? undefined : await offsetsAt(admin, info, targets, (await import("../../index.js")).OffsetSpec.latest());
  await readLog(run, targets, start, end, abort.signal);
  sink.end(`${run.n} row${run.n === 1 ? "" : "s"}${why(run)}`);
}

/** What one scan shares between its snapshot and its log reading. */
interface Run {
  readonly rt: Runtime;
  readonly info: TableInfo;
  readonly tableScan: TableScan;
  readonly admin: FlussAdmin;
  readonly projected: readonly DataField[];
  /** Whether rows carry a change type column (a snapshot's rows are inserts, +I). */
  readonly op: boolean;
  readonly opts: ScanOptions;
  readonly limit: number;
  readonly sink: RowSink;
  /** Rows printed so far. */
  n: number;
  stoppedBy?: string;
}

function why(run: Run): string {
  return run.stoppedBy ? ` (stopped by ${run.stoppedBy})` : run.n >= run.limit ? ` (--limit ${run.limit})` : "";
}

/**
 * `--state`: the current rows, printed as each answer of the server comes (a bucket's rows
 * arrive in pages of `scanner.kv.fetch.max-bytes`), so memory stays bounded; the offsets of
 * the buckets read, for `--follow`.
 */
async function readState(run: Run, partitions: PartitionInfo[] | undefined, signal: AbortSignal): Promise<SnapshotOffsets> {
  const { info, opts, projected, sink, limit } = run;
  const snapshot = await run.tableScan.createSnapshotScanner();
  try {
    if (partitions && opts.partition) {
      // --follow may match no partition yet: then no snapshot (an empty choice reads all)
      if (partitions.length === 0) return snapshot.offsets();
      for (const part of partitions) for (let b = 0; b < info.numBuckets; b++) snapshot.subscribePartition(part.partitionId, b);
    }
    const insert = run.op ? ["+I"] : [];
    for await (const rows of snapshot.rowBatches()) {
      for (const row of rows) {
        if (run.n >= limit) break;
        sink.write([...insert, ...projected.map((f) => row[f.name])]);
        run.n++;
      }
      sink.flush();
      await run.rt.drainOut();
      if (run.n >= limit || signal.aborted) break;
    }
    return snapshot.offsets();
  } finally {
    await snapshot.close();
  }
}

/**
 * Reads the log of `targets` from `start` up to `end` (each bucket's offset; none with
 * --follow, which reads until Ctrl-C and picks up partitions created meanwhile).
 */
async function readLog(
  run: Run,
  targets: readonly Target[],
  start: readonly number[],
  end: readonly number[] | undefined,
  signal: AbortSignal,
): Promise<void> {
  const { info, admin, opts, projected, sink, limit } = run;
  const follow = opts.follow === true;
  const scanner = await run.tableScan.createLogScanner();
  try {
    const open = new Map<string, { target: Target; end: number | undefined }>();
    for (let i = 0; i < targets.length; i++) {
      const t = targets[i]!;
      const from = start[i]!;
      const stop = end?.[i];
      if (stop !== undefined && from >= stop) continue; // nothing to read there
      open.set(key(t), { target: t, end: stop });
      if (t.partition) await scanner.subscribePartition(t.partition.partitionId, t.bucket, from);
      else await scanner.subscribe(t.bucket, from);
    }
    // --follow on a partitioned table: partitions created meanwhile are read from their start
    const known = new Set(targets.map((t) => t.partition?.partitionId));
    let partitionsCheckedAt = Date.now();
    const followNewPartitions = async (): Promise<void> => {
      partitionsCheckedAt = Date.now();
      const now = (await selectPartitions(admin, info, opts.partition, { allowNone: true })) ?? [];
      const fresh = now.filter((p) => !known.has(p.partitionId));
      if (fresh.length === 0) return;
      const added: Target[] = fresh.flatMap((p) =>
        Array.from({ length: info.numBuckets }, (_, b) => ({ partition: p, bucket: b })),
      );
      const { OffsetSpec } = await import("../../index.js");
      const from = await offsetsAt(admin, info, added, OffsetSpec.earliest());
      for (let i = 0; i < added.length; i++) {
        const t = added[i]!;
        known.add(t.partition!.partitionId);
        open.set(key(t), { target: t, end: undefined });
        await scanner.subscribePartition(t.partition!.partitionId, t.bucket, from[i]!);
      }
    };
    while ((follow || open.size > 0) && run.n < limit && !signal.aborted) {
      if (follow && info.isPartitioned && Date.now() - partitionsCheckedAt >= PARTITION_CHECK_MS) {
        await followNewPartitions();
      }
      const records = await scanner.poll(follow ? Math.min(1000, PARTITION_CHECK_MS) : 200, { signal });
      for (const group of records.groups()) {
        const k =
          group.bucket.partitionId === undefined
            ? `${group.bucket.bucket}`
            : `${group.bucket.partitionId}:${group.bucket.bucket}`;
        const stop = open.get(k)?.end;
        for (const r of group.records) {
          if (run.n >= limit) break;
          if (stop !== undefined && r.offset >= stop) break;
          const values = projected.map((f) => r.row[f.name]);
          sink.write(run.op ? [r.changeType.shortString(), ...values] : values);
          run.n++;
        }
      }
      sink.flush();
      await run.rt.drainOut();
      if (end) {
        for (const [k, o] of open) {
          const t = o.target;
          const pos = scanner.position(t.bucket, t.partition?.partitionId);
          if (pos !== undefined && o.end !== undefined && pos >= o.end) {
            open.delete(k);
            if (t.partition) scanner.unsubscribePartition(t.partition.partitionId, t.bucket);
            else scanner.unsubscribe(t.bucket);
          }
        }
      }
    }
  } finally {
    await scanner.close();
  }
}

function key(t: Target): string {
  return t.partition ? `${t.partition.partitionId}:${t.bucket}` : `${t.bucket}`;
}

/** The offset of every target for `spec`, in target order. */
async function offsetsAt(admin: FlussAdmin, info: TableInfo, targets: readonly Target[], spec: OffsetSpec): Promise<number[]> {
  const byPartition = new Map<string | undefined, Record<number, number>>();
  const buckets = Array.from({ length: info.numBuckets }, (_, i) => i);
  const out: number[] = [];
  for (const t of targets) {
    const name = t.partition?.partitionName;
    let offsets = byPartition.get(name);
    if (!offsets) {
      offsets = await admin.listOffsets(info.tablePath, buckets, spec, name !== undefined ? { partitionName: name } : {});
      byPartition.set(name, offsets);
    }
    out.push(offsets[t.bucket]!);
  }
  return out;
}

/** `--from`: earliest (default), latest, an offset for every bucket, or a timestamp. */
async function startOffsets(
  admin: FlussAdmin,
  info: TableInfo,
  targets: readonly Target[],
  from: string | undefined,
): Promise<number[]> {
  const { OffsetSpec } = await import("../../index.js");
  const text = (from ?? "earliest").trim();
  const lower = text.toLowerCase();
  if (lower === "earliest") return offsetsAt(admin, info, targets, OffsetSpec.earliest());
  if (lower === "latest") return offsetsAt(admin, info, targets, OffsetSpec.latest());
  if (/^\d+$/.test(text)) {
    const offset = Number(text);
    if (!Number.isSafeInteger(offset)) throw usageError(`--from: offset ${text} is too large`);
    // an offset beyond a bucket's end would wait for it; below its start is out of range
    const earliest = await offsetsAt(admin, info, targets, OffsetSpec.earliest());
    return earliest.map((e) => Math.max(e, offset));
  }
  const ms = parseTimestamp(text, false);
  if (ms === undefined) {
    throw usageError(`--from must be earliest, latest, an offset or a timestamp (ISO 8601), got "${from}"`);
  }
  return offsetsAt(admin, info, targets, OffsetSpec.timestamp(ms));
}
