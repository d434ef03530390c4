/**
 * The built `flussjs` command line as a child process against a local cluster: produce
 * (JSON Lines, CSV, upsert, delete, bad lines, 100k rows), scan (formats, --from, --limit,
 * --columns, --partition, change types, --state, --follow ended by SIGINT) and offsets.
 */
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { closeTestDatabase, openTestDatabase, uniqueName, type TestCluster } from "../helpers/cluster.js";
import { cliBin, jsonLines, runCli, startCli } from "../helpers/cli.js";
import { EARLIEST_OFFSET, type FlussConnection } from "../../src/index.js";

const db = uniqueName("cli_data");
let cluster: TestCluster;
let conn: FlussConnection;
let tmp: string;
const cli = (args: string[], input?: string) =>
  runCli(args, { servers: cluster.bootstrapServers, ...(input !== undefined ? { input } : {}) });

before(async () => {
  cliBin();
  ({ cluster, conn } = await openTestDatabase(db));
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), "flussjs-cli-data-"));
});
after(async () => {
  fs.rmSync(tmp, { recursive: true, force: true });
  await closeTestDatabase(cluster, conn, db);
});

async function create(table: string, schema: string, ...more: string[]): Promise<string> {
  const t = `${db}.${table}`;
  const r = await cli(["table", "create", t, "--schema", schema, ...more]);
  assert.equal(r.code, 0, r.stderr);
  return t;
}

/** Every row of a log table (or changelog) as read back through the client. */
async function readAll(t: string): Promise<Record<string, unknown>[]> {
  const table = await conn.getTable(t);
  const scanner = await table.newScan().createLogScanner();
  const offsets = await conn
    .getAdmin()
    .listOffsets(t, [...Array(table.info.numBuckets).keys()], (await import("../../src/index.js")).OffsetSpec.latest());
  const total = Object.values(offsets).reduce((a, b) => a + b, 0);
  for (let b = 0; b < table.info.numBuckets; b++) await scanner.subscribe(b, EARLIEST_OFFSET);
  const rows: Record<string, unknown>[] = [];
  const deadline = Date.now() + 20_000;
  while (rows.length < total && Date.now() < deadline)
    for (const r of await scanner.poll(500)) rows.push({ op: r.changeType.shortString(), ...r.row });
  await scanner.close();
  return rows;
}

test("produce JSON Lines into a log table, then scan it in every format", async () => {
  const t = await create(
    "events",
    "id INT, name STRING, score DOUBLE, big BIGINT, price DECIMAL(10,2), at TIMESTAMP(3), day DATE, raw BYTES, tags ARRAY<STRING>",
  );
  const lines = [
    '{"id":1,"name":"Ada","score":1.5,"big":"9007199254740993","price":"10.25","at":"2024-05-01T12:00:00.250","day":"2024-05-01","raw":"AQID","tags":["a","b"]}',
    '{"id":2,"name":"Bob, \\"the\\" builder","score":null,"big":42,"price":3}',
    "",
    '[3,"Cy",2,null,null,null,null,null,[]]',
  ];
  const r = await cli(["produce", t], `${lines.join("\n")}\n`);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, new RegExp(`appended 3 rows to ${t} in [\\d.]+ s \\([\\d,]+ rows/s\\), all acknowledged`));
  assert.equal(r.stdout, "");

  const rows = await readAll(t);
  assert.equal(rows.length, 3);
  const ada = rows.find((x) => x.id === 1)!;
  assert.equal(ada.big, 9007199254740993n);
  assert.equal(String(ada.price), "10.25");
  assert.deepEqual([...(ada.raw as Uint8Array)], [1, 2, 3]);

  const jsonl = await cli(["scan", t, "--format", "jsonl"]);
  assert.equal(jsonl.code, 0, jsonl.stderr);
  const back = jsonLines(jsonl.stdout).sort((a, b) => (a.id as number) - (b.id as number));
  assert.deepEqual(back[0], {
    id: 1,
    name: "Ada",
    score: 1.5,
    big: "9007199254740993",
    price: "10.25",
    at: "2024-05-01T12:00:00.250",
    day: "2024-05-01",
    raw: "AQID",
    tags: ["a", "b"],
  });
  assert.deepEqual(back[1]!.name, 'Bob, "the" builder');
  assert.equal(back[1]!.big, 42);
  // what scan prints, produce reads back
  const t2 = await create(
    "events_copy",
    "id INT, name STRING, score DOUBLE, big BIGINT, price DECIMAL(10,2), at TIMESTAMP(3), day DATE, raw BYTES, tags ARRAY<STRING>",
  );
  assert.equal((await cli(["produce", t2], jsonl.stdout)).code, 0);
  const copy = jsonLines((await cli(["scan", t2, "--format", "jsonl"])).stdout).sort(
    (a, b) => (a.id as number) - (b.id as number),
  );
  assert.deepEqual(copy, back);

  const csv = await cli(["scan", t, "--format", "csv", "--columns", "name,id"]);
  assert.equal(csv.code, 0, csv.stderr);
  const csvLines = csv.stdout.trim().split("\n");
  assert.equal(csvLines[0], "name,id");
  assert.ok(csvLines.includes('"Bob, ""the"" builder",2'), csv.stdout);
  const table = await cli(["scan", t, "--format", "table", "--columns", "id,name"]);
  assert.match(table.stdout, /┌────┬─+┐\n│ id │ name\s+│\n├/);
  assert.match(table.stdout, /│ {2}1 │ Ada\s+│/);
  assert.match(table.stdout, /3 rows\n$/);
  const limited = await cli(["scan", t, "--limit", "2", "--format", "jsonl"]);
  assert.equal(jsonLines(limited.stdout).length, 2);
  const badCol = await cli(["scan", t, "--columns", "id,nope"]);
  assert.equal(badCol.code, 2);
  assert.match(badCol.stderr, /--columns: "nope" is not a column/);
  const badFrom = await cli(["scan", t, "--from", "yesterday"]);
  assert.equal(badFrom.code, 2);
  assert.match(badFrom.stderr, /--from must be earliest, latest, an offset or a timestamp/);
});

test("produce CSV; a bad line stops with its line and column (rows before it are kept); --skip-bad goes on", async () => {
  const t = await create("csv_in", "id INT NOT NULL, name STRING, amount DECIMAL(6,2)");
  const csv = 'id,name,amount\n1,one,1.10\n2,"",\n3,,3.30\n';
  const ok = await cli(["produce", t, "--format", "csv"], csv);
  assert.equal(ok.code, 0, ok.stderr);
  const rows = (await readAll(t)).sort((a, b) => (a.id as number) - (b.id as number));
  assert.deepEqual(
    rows.map((r) => [r.id, r.name, r.amount === null ? null : String(r.amount)]),
    [
      [1, "one", "1.10"],
      [2, "", null],
      [3, null, "3.30"],
    ],
  );

  const bad = await cli(["produce", t, "--format", "csv"], "id,name,amount\n4,four,4\n5,five,lots\n6,six,6\n");
  assert.equal(bad.code, 1);
  assert.match(bad.stderr, /error: line 3: column "amount": expected DECIMAL\(6, 2\), got "lots"/);
  assert.match(bad.stderr, /stopped there: appended 1 row to .* all acknowledged/);
  assert.deepEqual((await readAll(t)).map((r) => r.id).sort(), [1, 2, 3, 4]);

  const skip = await cli(
    ["produce", t, "--skip-bad"],
    '{"id":7}\n{"id":"x"}\nnot json\n{"id":null}\n{"id":8,"nope":1}\n{"id":9}\n',
  );
  assert.equal(skip.code, 0, skip.stderr);
  assert.match(skip.stderr, /skipped line 2: column "id": expected INT, got "x"/);
  assert.match(skip.stderr, /skipped line 3: not valid JSON/);
  assert.match(skip.stderr, /skipped line 4: column "id": expected INT NOT NULL, got null \(column is NOT NULL\)/);
  assert.match(skip.stderr, /skipped line 5: unknown column "nope"/);
  assert.match(skip.stderr, /appended 2 rows .*, 4 bad lines skipped, all acknowledged/);
  assert.deepEqual((await readAll(t)).map((r) => r.id).sort(), [1, 2, 3, 4, 7, 9]);

  const header = await cli(["produce", t, "--format", "csv"], "id,wat\n1,2\n");
  assert.equal(header.code, 1);
  assert.match(header.stderr, /^error: line 1: the CSV header names unknown column "wat"/);
  const quote = await cli(["produce", t, "--format", "csv"], 'id,name\n10,"open\n');
  assert.equal(quote.code, 1);
  assert.match(quote.stderr, /^error: Quote Not Closed.*line 2/);
  assert.match(quote.stderr, /stopped there: appended 0 rows/);
  const missing = await cli(["produce", t, path.join(tmp, "missing.jsonl")]);
  assert.equal(missing.code, 1);
  assert.match(missing.stderr, /cannot read .*missing\.jsonl: no such file/);
  const noTable = await cli(["produce", `${db}.nope`], '{"id":1}\n');
  assert.equal(noTable.code, 1);
  assert.match(noTable.stderr, new RegExp(`${db}\\.nope`));
  const del = await cli(["produce", t, "--delete"], '{"id":1}\n');
  assert.equal(del.code, 2);
  assert.match(del.stderr, /--delete needs a primary-key table/);
});

test("a primary-key table: upserts and deletes, change types, --state, offsets, lookup", async () => {
  const t = await create("accounts", "id BIGINT, owner STRING, balance INT, PRIMARY KEY (id)", "--buckets", "2");
  assert.equal((await cli(["produce", t], '{"id":1,"owner":"a","balance":10}\n{"id":2,"owner":"b","balance":20}\n')).code, 0);
  const up = await cli(["produce", t], '{"id":1,"owner":"a","balance":15}\n');
  assert.match(up.stderr, /upserted 1 row to/);
  const del = await cli(["produce", t, "--delete"], '{"id":2}\n{"id":3}\n');
  assert.equal(del.code, 0, del.stderr);
  assert.match(del.stderr, /deleted 2 rows from/);

  const changes = await cli(["scan", t, "--format", "jsonl"]);
  assert.equal(changes.code, 0, changes.stderr);
  const seen = jsonLines(changes.stdout);
  const forKey = (id: number) => seen.filter((r) => r.id === id).map((r) => `${r.op} ${r.balance}`);
  assert.deepEqual(forKey(1), ["+I 10", "-U 10", "+U 15"]);
  assert.deepEqual(forKey(2), ["+I 20", "-D 20"]);
  assert.equal(seen.length, 5); // the delete of the absent key 3 changed nothing (yet took an offset)

  const state = await cli(["scan", t, "--state", "--format", "csv"]);
  assert.equal(state.code, 0, state.stderr);
  assert.equal(state.stdout, "id,owner,balance\n1,a,15\n");
  const stateOnLog = await cli(["scan", await create("plain_log", "a INT"), "--state"]);
  assert.equal(stateOnLog.code, 1);
  assert.match(stateOnLog.stderr, /--state reads a primary-key table/);

  const offsets = await cli(["offsets", t, "--format", "jsonl"]);
  assert.equal(offsets.code, 0, offsets.stderr);
  const latest = jsonLines(offsets.stdout);
  assert.equal(latest.length, 2);
  assert.equal(
    latest.reduce((a, r) => a + (r.offset as number), 0),
    6,
  ); // 5 changes + 1 header-only batch
  const earliest = jsonLines((await cli(["offsets", t, "--at", "earliest", "--format", "jsonl"])).stdout);
  assert.deepEqual(
    earliest.map((r) => r.offset),
    [0, 0],
  );
  const past = jsonLines((await cli(["offsets", t, "--at", "2000-01-01T00:00:00Z", "--format", "jsonl"])).stdout);
  assert.deepEqual(
    past.map((r) => r.offset),
    [0, 0],
  );
  const future = await cli(["offsets", t, "--at", String(Date.now() + 3_600_000)]);
  assert.equal(future.code, 1); // as Java's server: a timestamp after now is refused
  assert.match(future.stderr, /^error: .*timestamp \d+ is larger than the current timestamp/);
  const badAt = await cli(["offsets", t, "--at", "soon"]);
  assert.equal(badAt.code, 2);
  assert.match(badAt.stderr, /--at must be earliest, latest or a timestamp/);

  const table = await cli(["scan", t, "--format", "table"]);
  assert.match(table.stdout, /│ op │ id │ owner │ balance │/);
  assert.match(table.stdout, /│ -D │ {2}2 │ b {5}│ {6}20 │/);
});

test("scan --from an offset or a timestamp, and --partition", async () => {
  const t = await create("logs", "region STRING, n INT", "--partition-by", "region", "--buckets", "1");
  assert.equal((await cli(["produce", t], '{"region":"US","n":1}\n{"region":"US","n":2}\n{"region":"EU","n":3}\n')).code, 0);
  const mid = new Date(Date.now() + 5).toISOString();
  await new Promise((r) => setTimeout(r, 50));
  assert.equal((await cli(["produce", t], '{"region":"US","n":4}\n')).code, 0);
  const us = await cli(["scan", t, "--partition", "region=US", "--format", "jsonl", "--columns", "n"]);
  assert.deepEqual(jsonLines(us.stdout), [{ n: 1 }, { n: 2 }, { n: 4 }]);
  const fromOffset = await cli(["scan", t, "--partition", "region=US", "--from", "1", "--format", "jsonl", "--columns", "n"]);
  assert.deepEqual(jsonLines(fromOffset.stdout), [{ n: 2 }, { n: 4 }]);
  const fromTime = await cli(["scan", t, "--from", mid, "--format", "jsonl", "--columns", "n"]);
  assert.deepEqual(jsonLines(fromTime.stdout), [{ n: 4 }]);
  const fromLatest = await cli(["scan", t, "--from", "latest", "--format", "jsonl"]);
  assert.equal(fromLatest.code, 0);
  assert.equal(fromLatest.stdout, "");
  const perPartition = jsonLines((await cli(["offsets", t, "--format", "jsonl"])).stdout);
  assert.deepEqual(perPartition.map((r) => `${r.partition} ${r.bucket} ${r.offset}`).sort(), ["region=EU 0 1", "region=US 0 3"]);
  const nope = await cli(["scan", t, "--partition", "region=XX"]);
  assert.equal(nope.code, 1);
  assert.match(nope.stderr, /has no partition region=XX/);
  const notPartitioned = await cli(["scan", await create("plain_log2", "a INT"), "--partition", "a=1"]);
  assert.equal(notPartitioned.code, 2);
  assert.match(notPartitioned.stderr, /is not partitioned/);
});

test("scan --follow prints new rows until SIGINT, then exits 0", async () => {
  const t = await create("tail", "id INT, msg STRING");
  assert.equal((await cli(["produce", t], '{"id":1,"msg":"before"}\n')).code, 0);
  const follow = startCli(["scan", t, "--follow", "--format", "jsonl"], { servers: cluster.bootstrapServers });
  const waitFor = async (pattern: RegExp) => {
    const deadline = Date.now() + 30_000;
    while (!pattern.test(follow.stdout())) {
      assert.ok(Date.now() < deadline, `timed out waiting for ${pattern}; got ${follow.stdout()} ${follow.stderr()}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  };
  await waitFor(/"before"/);
  const w = (await conn.getTable(t)).newAppendWriter();
  w.append({ id: 2, msg: "after" });
  await w.flush();
  await waitFor(/"after"/);
  follow.child.kill("SIGINT");
  const r = await follow.done;
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(jsonLines(r.stdout), [
    { id: 1, msg: "before" },
    { id: 2, msg: "after" },
  ]);
  // the table format streams too, and ends with the count
  const table = startCli(["scan", t, "--follow", "--format", "table"], { servers: cluster.bootstrapServers });
  const deadline = Date.now() + 30_000;
  while (!/after/.test(table.stdout()) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  table.child.kill("SIGINT");
  const tr = await table.done;
  assert.equal(tr.code, 0, tr.stderr);
  assert.match(tr.stdout, /^id {2}msg\s*\n─+ {2}─+\n {1,}1 {2}before\n {1,}2 {2}after\n2 rows \(stopped by SIGINT\)\n$/);
});

test("scan --follow of a partitioned table reads partitions created after its start", async () => {
  const t = await create("tail_parts", "region STRING, id INT", "--partition-by", "region", "--buckets", "1");
  const w = (await conn.getTable(t)).newAppendWriter();
  w.append({ region: "EU", id: 1 });
  await w.flush();
  const follow = startCli(["scan", t, "--follow", "--format", "jsonl"], { servers: cluster.bootstrapServers });
  const waitFor = async (pattern: RegExp) => {
    const deadline = Date.now() + 30_000;
    while (!pattern.test(follow.stdout())) {
      assert.ok(Date.now() < deadline, `timed out waiting for ${pattern}: ${follow.stdout()} ${follow.stderr()}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  };
  await waitFor(/"id":1/); // the scan runs, with partition EU only
  w.append({ region: "US", id: 2 }); // creates partition region=US
  await w.flush();
  await waitFor(/"id":2/);
  follow.child.kill("SIGINT");
  const r = await follow.done;
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(jsonLines(r.stdout), [
    { region: "EU", id: 1 },
    { region: "US", id: 2 },
  ]);
});

test("produce from stdin stopped by SIGINT: what was read is written, exit 130", async () => {
  const t = await create("interrupted", "id INT");
  const run = startCli(["produce", t], { servers: cluster.bootstrapServers, keepStdinOpen: true });
  run.child.stdin!.write('{"id":1}\n{"id":2}\n{"id":3}\n');
  const latest = (await import("../../src/index.js")).OffsetSpec.latest();
  const deadline = Date.now() + 30_000;
  while ((await conn.getAdmin().listOffsets(t, [0], latest))[0] !== 3) {
    assert.ok(Date.now() < deadline, `rows not written: ${run.stderr()}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  run.child.kill("SIGINT"); // stdin is still open: the read is waiting
  const r = await run.done;
  assert.equal(r.code, 130, `${r.signal} ${r.stderr}`);
  assert.match(r.stderr, /interrupted \(SIGINT\): appended 3 rows to .*, all acknowledged/);
  assert.deepEqual((await readAll(t)).map((x) => x.id).sort(), [1, 2, 3]);
});

test("produce 100,000 JSON Lines from a file", async () => {
  const t = await create("bulk", "id BIGINT, name STRING, amount DOUBLE, at TIMESTAMP(3)", "--buckets", "4");
  const file = path.join(tmp, "bulk.jsonl");
  const lines: string[] = [];
  for (let i = 0; i < 100_000; i++)
    lines.push(`{"id":${i},"name":"row ${i}","amount":${i / 4},"at":"2024-05-01T00:00:00.${String(i % 1000).padStart(3, "0")}"}`);
  fs.writeFileSync(file, `${lines.join("\n")}\n`);
  const r = await runCli(["produce", t, file, "--progress"], { servers: cluster.bootstrapServers, timeoutMs: 120_000 });
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, / █{30} 100% \| 100,000 rows \| [\d,]+ rows\/s\n/); // --progress draws the bar on a pipe too
  assert.match(r.stderr, /appended 100000 rows to .*, all acknowledged/);
  const offsets = jsonLines((await cli(["offsets", t, "--format", "jsonl"])).stdout);
  assert.equal(
    offsets.reduce((a, o) => a + (o.offset as number), 0),
    100_000,
  );
  const scanned = await runCli(["scan", t, "--format", "csv", "--columns", "id"], {
    servers: cluster.bootstrapServers,
    timeoutMs: 120_000,
  });
  assert.equal(scanned.code, 0, scanned.stderr);
  const ids = scanned.stdout
    .trim()
    .split("\n")
    .slice(1)
    .map(Number)
    .sort((a, b) => a - b);
  assert.equal(ids.length, 100_000);
  assert.ok(ids.every((id, i) => id === i));
});
