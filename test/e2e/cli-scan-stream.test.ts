/**
 * `flussjs scan` (a child process) prints as it reads: a table-format scan and `--state`
 * show their first rows while the rest is still being fetched (the cluster is made to stop
 * answering once the first rows are out: the scan cannot have read them all), and
 * `--state --follow` prints the current rows, then every change after them.
 */
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { DataTypes, type LocalCluster, Schema, TableDescriptor, notNull } from "../../src/index.js";
import { closeTestDatabase, openTestDatabase, uniqueName, type TestCluster } from "../helpers/cluster.js";
import { cliBin, jsonLines, runCli, startCli } from "../helpers/cli.js";
import type { FlussConnection } from "../../src/index.js";

const db = uniqueName("cli_stream");
let cluster: TestCluster;
let conn: FlussConnection;
const cli = (args: string[]) => runCli(args, { servers: cluster.bootstrapServers });

before(async () => {
  cliBin();
  ({ cluster, conn } = await openTestDatabase(db));
});
after(async () => {
  await closeTestDatabase(cluster, conn, db);
});

/** A one-bucket table `id INT, name STRING` (with `id` as primary key when `pk`). */
async function create(table: string, pk: boolean): Promise<string> {
  const columns = [
    { name: "id", type: notNull(DataTypes.INT()) },
    { name: "name", type: DataTypes.STRING() },
  ];
  const schema = pk ? Schema.fromColumns(columns, ["id"]) : Schema.fromColumns(columns);
  await conn.getAdmin().createTable(`${db}.${table}`, new TableDescriptor(schema, { bucketCount: 1 }));
  return `${db}.${table}`;
}

async function waitFor(what: string, cond: () => boolean, ms = 20_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/**
 * Runs `scan ...args` while every request of `apiKey` is slowed down; once the child printed
 * a first row the cluster stops answering for 0.7 s: the child must not have printed its
 * last row nor ended meanwhile. Returns the whole output after the cluster answers again.
 */
async function scanWhileStalled(
  local: LocalCluster,
  apiKey: "FETCH_LOG" | "SCAN_KV",
  args: string[],
  firstRow: RegExp,
  complete: (out: string) => boolean,
): Promise<string> {
  local.delay({ apiKey, ms: 100 });
  const run = startCli(["scan", ...args], { servers: cluster.bootstrapServers, timeoutMs: 60_000 });
  let stalled = false;
  try {
    await waitFor("the first rows", () => firstRow.test(run.stdout()) || run.child.exitCode !== null);
    local.setUnresponsive(0, true);
    stalled = true;
    const early = run.stdout();
    await new Promise((r) => setTimeout(r, 700));
    assert.ok(!complete(early) && !complete(run.stdout()), `printed all at once:\n${run.stdout().slice(-300)}`);
    assert.equal(run.child.exitCode, null, "the scan ended before the cluster answered again");
  } finally {
    if (stalled) local.setUnresponsive(0, false);
    local.delay({ apiKey, ms: 0 });
  }
  const r = await run.done;
  assert.equal(r.code, 0, r.stderr);
  assert.ok(complete(r.stdout), r.stdout.slice(-300));
  return r.stdout;
}

test("a table-format scan prints its first rows while the rest is read, as one table", async (t) => {
  const local = cluster.local;
  if (!local) return t.skip("needs the embedded cluster's hooks");
  const path = await create("log_rows", false);
  const table = await conn.getTable(path);
  const writer = table.newAppendWriter();
  const total = 3000;
  const first = 10_000; // ids of one width: one table (wider values start a new one: unit test)
  for (let i = first; i < first + total; i++) {
    writer.append({ id: i, name: `name-${i}` });
    if (i % 250 === 249) await writer.flush(); // many batches: many fetches
  }
  await writer.close();
  const out = await scanWhileStalled(
    local,
    "FETCH_LOG",
    [path, "--format", "table", "-c", "scanner.log.fetch.max-bytes-for-bucket=1b", "-c", "scanner.log.fetch.max-bytes=1b"],
    /│\s+10000 │ name-10000 /,
    (o) => o.endsWith(`${total} rows\n`),
  );
  // one table: a header, the rows in order, one bottom border, every line as wide
  const lines = out.trimEnd().split("\n");
  assert.equal(lines.at(-1), `${total} rows`);
  const box = lines.slice(0, -1);
  assert.equal(box.filter((l) => l.startsWith("┌")).length, 1);
  assert.equal(box.filter((l) => l.startsWith("└")).length, 1);
  assert.equal(new Set(box.map((l) => l.length)).size, 1, "every line is as wide");
  const rows = box.filter((l) => l.startsWith("│")).slice(1);
  assert.deepEqual(
    rows.map((l) => Number(l.split("│")[1]!.trim())),
    Array.from({ length: total }, (_, i) => first + i),
  );
});

test("scan --state prints the current rows page by page, not all at the end", async (t) => {
  const local = cluster.local;
  if (!local) return t.skip("needs the embedded cluster's hooks");
  const path = await create("pk_rows", true);
  const table = await conn.getTable(path);
  const writer = table.newUpsert();
  const total = 3000;
  for (let i = 0; i < total; i++) writer.upsert({ id: i, name: `name-${i}` });
  await writer.close();
  for (const format of ["jsonl", "table"]) {
    const out: string = await scanWhileStalled(
      local,
      "SCAN_KV",
      [path, "--state", "--format", format, "-c", "scanner.kv.fetch.max-bytes=4kb"],
      format === "jsonl" ? /"id":\d+/ : /│\s+\d+ │ name-/,
      (o) => (format === "jsonl" ? jsonLines(o).length === total : o.endsWith(`${total} rows (current state)\n`)),
    ).catch((e: unknown) => {
      throw new Error(`--format ${format}: ${String(e)}`);
    });
    const ids: number[] =
      format === "jsonl"
        ? jsonLines(out).map((r) => r.id as number)
        : out
            .split("\n")
            .filter((l) => /^│\s+\d+ │/.test(l)) // rows (ids 1000+ are wider: a second table)
            .map((l) => Number(l.split("│")[1]!.trim()));
    assert.deepEqual(
      ids.sort((a, b) => a - b),
      Array.from({ length: total }, (_, i) => i),
      format,
    );
  }
});

test("scan --state --follow: the current rows as +I, then every change after them", async () => {
  const path = await create("pk_follow", true);
  const table = await conn.getTable(path);
  const writer = table.newUpsert();
  writer.upsert({ id: 1, name: "a" });
  writer.upsert({ id: 1, name: "b" }); // the changelog has 3 entries, the state one row
  writer.upsert({ id: 2, name: "c" });
  await writer.flush();
  const run = startCli(["scan", path, "--state", "--follow", "--format", "jsonl"], {
    servers: cluster.bootstrapServers,
    timeoutMs: 60_000,
  });
  await waitFor("the snapshot", () => jsonLines(run.stdout()).length >= 2 || run.child.exitCode !== null);
  writer.upsert({ id: 2, name: "d" });
  writer.delete({ id: 1 });
  writer.upsert({ id: 3, name: "e" });
  await writer.close();
  await waitFor("the changes", () => jsonLines(run.stdout()).length >= 6 || run.child.exitCode !== null);
  run.child.kill("SIGINT");
  const r = await run.done;
  assert.equal(r.code, 0, r.stderr);
  const rows = jsonLines(r.stdout);
  assert.deepEqual(
    rows.slice(0, 2).sort((x, y) => (x.id as number) - (y.id as number)),
    [
      { op: "+I", id: 1, name: "b" },
      { op: "+I", id: 2, name: "c" },
    ],
  );
  assert.deepEqual(rows.slice(2), [
    { op: "-U", id: 2, name: "c" },
    { op: "+U", id: 2, name: "d" },
    { op: "-D", id: 1, name: "b" },
    { op: "+I", id: 3, name: "e" },
  ]);

  const limited = await cli(["scan", path, "--state", "--follow", "--limit", "1", "--format", "csv"]);
  assert.equal(limited.code, 0, limited.stderr);
  assert.equal(limited.stdout.split("\n").length, 3, limited.stdout); // header, one row, ""
  const fromRefused = await cli(["scan", path, "--state", "--from", "latest"]);
  assert.equal(fromRefused.code, 2);
  assert.match(fromRefused.stderr, /--state reads the current rows .*drop --from/);
});

test("SnapshotScanner.rowBatches: the rows in pages, offsets as after toRows, an early exit closes the scan", async () => {
  const path = await create("pk_pages", true);
  const writer = (await conn.getTable(path)).newUpsert();
  for (let i = 0; i < 2000; i++) writer.upsert({ id: i, name: `n${i}` });
  writer.delete({ id: 0 });
  await writer.close();
  const small = await cluster.connect({ "scanner.kv.fetch.max-bytes": "4kb" });
  try {
    const table = await small.getTable(path);
    const snapshot = await table.newScan().createSnapshotScanner();
    const pages: number[] = [];
    const ids: number[] = [];
    for await (const rows of snapshot.rowBatches()) {
      pages.push(rows.length);
      for (const r of rows) ids.push(r.id as number);
    }
    assert.ok(pages.length > 1, `pages: ${pages.join(",")}`);
    assert.deepEqual(
      ids.sort((a, b) => a - b),
      Array.from({ length: 1999 }, (_, i) => i + 1),
    );
    const latest = await small.getAdmin().listOffsets(path, [0], (await import("../../src/index.js")).OffsetSpec.latest());
    assert.deepEqual({ ...snapshot.offsets() }, latest);
    const again = await table.newScan().createSnapshotScanner();
    for await (const rows of again.rowBatches()) {
      assert.ok(rows.length > 0);
      break;
    }
    assert.deepEqual({ ...again.offsets() }, {}, "no bucket was read to its end");
  } finally {
    await small.close();
  }
});

test("scan --state --follow of a partitioned table: each partition's rows, then changes and new partitions", async () => {
  const path = `${db}.pk_parts`;
  const schema = Schema.fromColumns(
    [
      { name: "region", type: notNull(DataTypes.STRING()) },
      { name: "id", type: notNull(DataTypes.INT()) },
      { name: "name", type: DataTypes.STRING() },
    ],
    ["region", "id"],
  );
  const admin = conn.getAdmin();
  await admin.createTable(path, new TableDescriptor(schema, { bucketCount: 2, partitionKeys: ["region"] }));
  await admin.createPartition(path, { region: "EU" });
  const writer = (await conn.getTable(path)).newUpsert();
  writer.upsert({ region: "EU", id: 1, name: "a" });
  writer.upsert({ region: "EU", id: 2, name: "b" });
  await writer.flush();
  const run = startCli(["scan", path, "--state", "--follow", "--format", "jsonl"], {
    servers: cluster.bootstrapServers,
    timeoutMs: 60_000,
  });
  await waitFor("the snapshot", () => jsonLines(run.stdout()).length >= 2 || run.child.exitCode !== null);
  await admin.createPartition(path, { region: "US" });
  writer.upsert({ region: "EU", id: 1, name: "c" });
  writer.upsert({ region: "US", id: 7, name: "u" });
  await writer.close();
  await waitFor("the changes", () => jsonLines(run.stdout()).length >= 5 || run.child.exitCode !== null);
  run.child.kill("SIGINT");
  const r = await run.done;
  assert.equal(r.code, 0, r.stderr);
  const rows = jsonLines(r.stdout);
  const key = (x: Record<string, unknown>) => `${x.op} ${x.region} ${x.id} ${x.name}`;
  assert.deepEqual(rows.slice(0, 2).map(key).sort(), ["+I EU 1 a", "+I EU 2 b"]);
  assert.deepEqual(rows.slice(2).map(key).sort(), ["+I US 7 u", "+U EU 1 c", "-U EU 1 a"]);
});
