/**
 * The built `flussjs` command line as a child process against a local cluster: help, usage
 * and connection errors, start-up time, db, table, partition and lookup.
 */
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { closeTestDatabase, openTestDatabase, uniqueName, type TestCluster } from "../helpers/cluster.js";
import { cliBin, jsonLines, runCli } from "../helpers/cli.js";
import type { FlussConnection } from "../../src/index.js";

const db = uniqueName("cli_admin");
let cluster: TestCluster;
let conn: FlussConnection;
const cli = (args: string[], input?: string) =>
  runCli(args, { servers: cluster.bootstrapServers, ...(input !== undefined ? { input } : {}) });

before(async () => {
  cliBin(); // build first if dist is stale, outside any test's timeout
  ({ cluster, conn } = await openTestDatabase(db));
});
after(async () => closeTestDatabase(cluster, conn, db));

/** Neither a stack trace nor more than one line of error. */
function assertPlainError(stderr: string, pattern: RegExp): void {
  assert.match(stderr, pattern);
  assert.doesNotMatch(stderr, /^\s+at /m, "no stack trace");
  assert.equal(stderr.trim().split("\n")[0]!.startsWith("error: "), true, stderr);
}

test("--help of every command has examples; usage errors exit 2", async () => {
  const top = await cli(["--help"]);
  assert.equal(top.code, 0);
  for (const c of ["local", "db", "table", "partition", "offsets", "produce", "scan", "lookup", "ui"])
    assert.match(top.stdout, new RegExp(`\\n  ${c}\\b`));
  const helps = await Promise.all(
    [
      ["local"],
      ["db"],
      ...["list", "create", "drop", "describe"].map((s) => ["db", s]),
      ["table"],
      ...["list", "create", "drop", "describe"].map((s) => ["table", s]),
      ["partition"],
      ...["list", "create", "drop"].map((s) => ["partition", s]),
      ["offsets"],
      ["produce"],
      ["scan"],
      ["lookup"],
      ["ui"],
    ].map((c) => cli([...c, "--help"])),
  );
  for (const h of helps) {
    assert.equal(h.code, 0, h.stderr);
    assert.match(h.stdout, /Examples?:\n {2}\$ flussjs /);
    assert.match(h.stdout, /--bootstrap-servers/, "global options are listed");
  }
  const none = await cli([]);
  assert.equal(none.code, 2);
  assert.match(none.stderr, /Usage: flussjs/);
  const unknown = await cli(["frobnicate"]);
  assert.equal(unknown.code, 2);
  assert.match(unknown.stderr, /unknown command 'frobnicate'/);
  const missing = await cli(["scan"]);
  assert.equal(missing.code, 2);
  assert.match(missing.stderr, /missing required argument/);
  const badOpt = await cli(["db", "list", "--nope"]);
  assert.equal(badOpt.code, 2);
  assert.match(badOpt.stderr, /unknown option '--nope'/);
  const badPath = await cli(["table", "describe", "nodot"]);
  assert.equal(badPath.code, 2);
  assertPlainError(badPath.stderr, /"nodot" is not a table name: expected DB\.TABLE/);
  const version = await cli(["--version"]);
  assert.equal(version.code, 0);
  assert.match(version.stdout, /^\d+\.\d+\.\d+/);
});

test("flussjs --help starts fast: under 150 ms of CPU beyond a bare node (the client is not loaded)", async () => {
  const preload = fileURLToPath(new URL("../fixtures/cpu-usage.cjs", import.meta.url));
  // CPU time, not wall time: the machine running the tests may be busy
  const cpuMs = (args: string[]): Promise<number> =>
    new Promise((resolve, reject) => {
      let err = "";
      const child = spawn(process.execPath, ["-r", preload, ...args], { stdio: ["ignore", "ignore", "pipe"] });
      child.stderr.setEncoding("utf8").on("data", (d: string) => (err += d));
      child.on("close", () => {
        const m = /CPU_USAGE (\{.*\})/.exec(err);
        if (!m) return reject(new Error(err));
        const u = JSON.parse(m[1]!) as { user: number; system: number };
        resolve((u.user + u.system) / 1000);
      });
    });
  const median = (xs: number[]) => xs.sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  const bare: number[] = [];
  const help: number[] = [];
  for (let i = 0; i < 3; i++) {
    bare.push(await cpuMs(["-e", ""]));
    help.push(await cpuMs([cliBin(), "--help"]));
  }
  assert.ok(median(help) - median(bare) < 150, `--help ${median(help)} ms of CPU, bare node ${median(bare)} ms`);
});

test("an unreachable cluster is named in one line; --verbose adds the stack", async () => {
  const r = await runCli(["db", "list", "--bootstrap-servers", "127.0.0.1:1"]);
  assert.equal(r.code, 1);
  assertPlainError(r.stderr, /cannot reach the Fluss cluster at 127\.0\.0\.1:1/);
  assert.equal(r.stderr.trim().split("\n").length, 1, r.stderr);
  const v = await runCli(["db", "list", "--verbose"], { servers: "127.0.0.1:1" }); // from the environment
  assert.equal(v.code, 1);
  assert.match(v.stderr, /cannot reach the Fluss cluster at 127\.0\.0\.1:1/);
  assert.match(v.stderr, /^\s+at /m);
  const badAddress = await cli(["db", "list", "-b", "nohost"]);
  assert.equal(badAddress.code, 2);
  assertPlainError(badAddress.stderr, /--bootstrap-servers: .*"nohost" is not a host:port address/);
  const badConfig = await cli(["db", "list", "--config", "request.timeout.msec=1"]);
  assert.equal(badConfig.code, 2);
  assertPlainError(badConfig.stderr, /--config: .*request\.timeout\.msec/);
  const config = await cli(["db", "list", "-c", "request.timeout.ms=5000", "-c", "connect.timeout.ms=5s"]);
  assert.equal(config.code, 0, config.stderr);
  assert.ok(config.stdout.split("\n").includes(db));
});

test("db list, create, describe, drop", async () => {
  const name = uniqueName("cli_db");
  const created = await cli(["db", "create", name, "--comment", "made by the CLI"]);
  assert.equal(created.code, 0, created.stderr);
  assert.match(created.stdout, new RegExp(`created database ${name}`));
  assert.ok((await cli(["db", "list"])).stdout.split("\n").includes(name));
  const desc = await cli(["db", "describe", name]);
  assert.equal(desc.code, 0);
  assert.match(desc.stdout, /comment\s+made by the CLI/);
  assert.match(desc.stdout, /tables\s+\(none\)/);
  const again = await cli(["db", "create", name]);
  assert.equal(again.code, 1);
  assertPlainError(again.stderr, new RegExp(`${name}.*(already exist|exists)`, "i"));
  assert.equal((await cli(["db", "create", name, "--if-not-exists"])).code, 0);
  assert.equal((await cli(["table", "create", `${name}.t`, "--schema", "a INT"])).code, 0);
  const notEmpty = await cli(["db", "drop", name]);
  assert.equal(notEmpty.code, 1);
  assertPlainError(notEmpty.stderr, /not empty|has tables|cascade/i);
  assert.equal((await cli(["db", "drop", name, "--cascade"])).code, 0);
  assert.equal(await conn.getAdmin().databaseExists(name), false);
  const gone = await cli(["db", "drop", name]);
  assert.equal(gone.code, 1);
  assertPlainError(gone.stderr, new RegExp(name));
  assert.equal((await cli(["db", "drop", name, "--if-exists"])).code, 0);
});

test("table create from a column list, describe, list, drop", async () => {
  const t = `${db}.orders`;
  const r = await cli([
    "table",
    "create",
    t,
    "--schema",
    "id BIGINT NOT NULL COMMENT 'order id', item STRING, amount DECIMAL(10, 2), tags ARRAY<STRING>, " +
      "attrs MAP<STRING, INT>, at TIMESTAMP(3), day DATE, PRIMARY KEY (id) NOT ENFORCED",
    "--buckets",
    "3",
    "--property",
    "table.log.ttl=7d",
    "--kv-format",
    "indexed",
    "--comment",
    "orders of the shop",
  ]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /created primary-key table/);
  const info = await conn.getAdmin().getTableInfo(t);
  assert.deepEqual(info.primaryKeys, ["id"]);
  assert.equal(info.numBuckets, 3);
  assert.equal(info.properties["table.log.ttl"], "7d");
  assert.equal(info.kvFormat, "INDEXED");
  assert.equal(info.schema.columns[0]!.comment, "order id");
  assert.deepEqual(
    info.schema.columns.map((c) => `${c.name} ${c.type.root}`),
    ["id BIGINT", "item STRING", "amount DECIMAL", "tags ARRAY", "attrs MAP", "at TIMESTAMP_WITHOUT_TIME_ZONE", "day DATE"],
  );
  const desc = await cli(["table", "describe", t]);
  assert.equal(desc.code, 0);
  assert.match(desc.stdout, /id\s+BIGINT NOT NULL\s+PRIMARY KEY\s+COMMENT 'order id'/);
  assert.match(desc.stdout, /amount\s+DECIMAL\(10, 2\)/);
  assert.match(desc.stdout, /buckets\s+3 \(bucket key id\)/);
  assert.match(desc.stdout, /table\.log\.ttl=7d/);

  const log = await cli([
    "table",
    "create",
    `${db}.clicks`,
    "--schema",
    "user_id BIGINT, url STRING, region STRING",
    "--bucket-key",
    "user_id",
    "--log-format",
    "INDEXED",
    "--partition-by",
    "region",
  ]);
  assert.equal(log.code, 0, log.stderr);
  const clicks = await conn.getAdmin().getTableInfo(`${db}.clicks`);
  assert.deepEqual([clicks.bucketKeys, clicks.partitionKeys, clicks.logFormat], [["user_id"], ["region"], "INDEXED"]);
  const list = await cli(["table", "list", db]);
  assert.deepEqual(list.stdout.trim().split("\n"), ["clicks", "orders"]);
  assert.ok((await cli(["table", "list"])).stdout.split("\n").includes(`${db}.orders`));
  assert.equal((await cli(["table", "drop", `${db}.clicks`])).code, 0);
  const gone = await cli(["table", "describe", `${db}.clicks`]);
  assert.equal(gone.code, 1);
  assertPlainError(gone.stderr, new RegExp(`${db}\\.clicks.*(not exist|does not)`, "i"));
  assert.equal((await cli(["table", "drop", `${db}.clicks`, "--if-exists"])).code, 0);
});

test("table create: a schema typo points at its position; bad options are named", async () => {
  const typo = await cli(["table", "create", `${db}.bad`, "--schema", "id INT, name STRNG, PRIMARY KEY (id)"]);
  assert.equal(typo.code, 2);
  assert.match(typo.stderr, /unknown type STRNG \(did you mean "STRING"\?\) at position 14/);
  assert.match(typo.stderr, /\n {2}id INT, name STRNG, PRIMARY KEY \(id\)\n {15}\^/);
  assert.doesNotMatch(typo.stderr, /^\s+at /m);
  const cases: [string[], RegExp][] = [
    [["--schema", "id INT, PRIMARY KEY (idd)"], /primary-key column "idd" is not a column \(did you mean "id"\?\)/],
    [["--schema", "id DECIMAL(10,"], /expected an integer, found the end/],
    [["--schema", "id VARCHAR(10)"], /VARCHAR is not a Fluss type \(use STRING or CHAR\(n\)\)/],
    [["--schema", "id INT, id STRING"], /column "id" is defined twice/],
    [["--schema", "id INT", "--buckets", "0"], /--buckets must be an integer >= 1/],
    [["--schema", "id INT", "--partition-by", "nope"], /--partition-by: "nope" is not a column/],
    [["--schema", "id INT", "--property", "novalue"], /--property "novalue" is not KEY=VALUE/],
  ];
  for (const [args, pattern] of cases) {
    const r = await cli(["table", "create", `${db}.bad`, ...args]);
    assert.equal(r.code, 2, `${args.join(" ")}: ${r.stderr}`);
    assert.match(r.stderr, pattern);
  }
  const format = await cli(["table", "create", `${db}.bad`, "--schema", "id INT", "--log-format", "PARQUET"]);
  assert.equal(format.code, 1);
  assertPlainError(format.stderr, /PARQUET/);
  assert.equal(await conn.getAdmin().tableExists(`${db}.bad`), false);
});

test("partition list, create, drop", async () => {
  const t = `${db}.sales`;
  assert.equal(
    (
      await cli([
        "table",
        "create",
        t,
        "--partition-by",
        "region",
        "--schema",
        "region STRING, id INT, total DOUBLE, PRIMARY KEY (region, id)",
      ])
    ).code,
    0,
  );
  for (const r of ["US", "EU"]) assert.equal((await cli(["partition", "create", t, `region=${r}`])).code, 0);
  const list = await cli(["partition", "list", t, "--format", "jsonl"]);
  assert.equal(list.code, 0);
  assert.deepEqual(
    jsonLines(list.stdout)
      .map((p) => p.spec)
      .sort(),
    ["region=EU", "region=US"],
  );
  const only = await cli(["partition", "list", t, "region=US", "--format", "csv"]);
  assert.match(only.stdout, /^partition_id,partition_name,spec\n\d+,US,region=US\n$/);
  const dup = await cli(["partition", "create", t, "region=US"]);
  assert.equal(dup.code, 1);
  assertPlainError(dup.stderr, /exist/i);
  const badKey = await cli(["partition", "create", t, "country=US"]);
  assert.equal(badKey.code, 1);
  assertPlainError(badKey.stderr, /country|region/);
  const badSpec = await cli(["partition", "create", t, "US"]);
  assert.equal(badSpec.code, 2);
  assert.match(badSpec.stderr, /partition spec "US" is not KEY=VALUE/);
  assert.equal((await cli(["partition", "drop", t, "region=EU"])).code, 0);
  assert.deepEqual(
    (await conn.getAdmin().listPartitionInfos(t)).map((p) => p.partitionName),
    ["US"],
  );
  const notPartitioned = await cli(["table", "create", `${db}.plain`, "--schema", "a INT"]);
  assert.equal(notPartitioned.code, 0);
  const r = await cli(["partition", "create", `${db}.plain`, "a=1"]);
  assert.equal(r.code, 1);
  assertPlainError(r.stderr, /partition/i);
});

test("lookup prints the row or says none exists (exit 1); a bad key value names its column", async () => {
  const t = `${db}.users`;
  assert.equal((await cli(["table", "create", t, "--schema", "id BIGINT, name STRING, born DATE, PRIMARY KEY (id)"])).code, 0);
  const w = (await conn.getTable(t)).newUpsert();
  w.upsert({ id: 7n, name: "Ada", born: "1815-12-10" });
  w.upsert({ id: 9007199254740993n, name: "Big", born: null });
  await w.close();
  const found = await cli(["lookup", t, "id=7", "--format", "jsonl"]);
  assert.equal(found.code, 0, found.stderr);
  assert.deepEqual(jsonLines(found.stdout), [{ id: 7, name: "Ada", born: "1815-12-10" }]);
  const big = await cli(["lookup", t, "id=9007199254740993", "--format", "csv"]);
  assert.equal(big.stdout, "id,name,born\n9007199254740993,Big,\n");
  const table = await cli(["lookup", t, "id=7", "--format", "table"]);
  assert.match(table.stdout, /│ id │ name │ born\s+│/);
  assert.match(table.stdout, /│ {2}7 │ Ada {2}│ 1815-12-10 │/);
  const none = await cli(["lookup", t, "id=8"]);
  assert.equal(none.code, 1);
  assert.equal(none.stdout, "");
  assert.match(none.stderr, new RegExp(`no row of ${t} has the key id=8`));
  const bad = await cli(["lookup", t, "id=seven"]);
  assert.equal(bad.code, 2);
  assertPlainError(bad.stderr, /column "id": expected BIGINT, got "seven"/);
  const wrongKey = await cli(["lookup", t, "name=Ada"]);
  assert.equal(wrongKey.code, 2);
  assertPlainError(wrongKey.stderr, /"name" is not a primary-key column/);
  const unknown = await cli(["lookup", `${db}.nope`, "id=1"]);
  assert.equal(unknown.code, 1);
  assertPlainError(unknown.stderr, new RegExp(`${db}\\.nope`));
});
