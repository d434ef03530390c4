/**
 * SASL credentials for the built `flussjs` command line (a child process) against a local
 * cluster that requires SASL/PLAIN: from $FLUSS_SASL_USERNAME/$FLUSS_SASL_PASSWORD and from
 * a config file (`--config-file`, $FLUSS_CONFIG_FILE), so the password is never in the
 * process's arguments; precedence `--config` over the environment over the file; errors of
 * the file naming it and its line, never a password.
 */
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { Config, FlussConnection, LocalCluster } from "../../src/index.js";
import { cliBin, jsonLines, runCli, startCli, type CliRunOptions } from "../helpers/cli.js";
import { uniqueName } from "../helpers/cluster.js";

const PW = "cli-pw-7f3a9";
const WRONG_PW = "wrong-pw-22c1";
const db = uniqueName("cli_sec");
let cluster: LocalCluster;
let tmp: string;

const cli = (args: string[], opts: CliRunOptions = {}) =>
  runCli(args, { servers: cluster.bootstrapServers, timeoutMs: 30_000, ...opts });

/** Asserts that no password is in what the run printed. */
function assertNoPassword(r: { stdout: string; stderr: string }): void {
  for (const pw of [PW, WRONG_PW]) {
    assert.ok(!r.stdout.includes(pw) && !r.stderr.includes(pw), `a password was printed:\n${r.stdout}\n${r.stderr}`);
  }
}

function writeFile(name: string, text: string): string {
  const f = path.join(tmp, name);
  fs.writeFileSync(f, text);
  return f;
}

before(async () => {
  cliBin();
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), "flussjs-cli-sec-"));
  cluster = await LocalCluster.start({ security: { users: { admin: PW } } });
  const conn = await FlussConnection.connect(
    new Config({
      "bootstrap.servers": cluster.bootstrapServers,
      "client.security.protocol": "SASL",
      "client.security.sasl.username": "admin",
      "client.security.sasl.password": PW,
    }),
  );
  await conn.getAdmin().createDatabase(db);
  await conn.close();
});
after(async () => {
  fs.rmSync(tmp, { recursive: true, force: true });
  await cluster?.close();
});

test("the password from $FLUSS_SASL_USERNAME/$FLUSS_SASL_PASSWORD: never in the child's arguments", async () => {
  const plain = await cli(["db", "list"]);
  assert.equal(plain.code, 1, "the cluster requires SASL");
  const env = { FLUSS_SASL_USERNAME: "admin", FLUSS_SASL_PASSWORD: PW };
  const listed = await cli(["db", "list"], { env });
  assert.equal(listed.code, 0, listed.stderr);
  assert.ok(listed.stdout.split("\n").includes(db), listed.stdout);
  assertNoPassword(listed);

  // a long-running command: its command line as the system shows it (`ps`) has no password
  const t = `${db}.events`;
  assert.equal((await cli(["table", "create", t, "--schema", "id INT, name STRING"], { env })).code, 0);
  assert.equal((await cli(["produce", t, "-"], { env, input: '{"id":1,"name":"a"}\n' })).code, 0);
  const run = startCli(["scan", t, "--follow", "--format", "jsonl"], {
    servers: cluster.bootstrapServers,
    env,
    timeoutMs: 30_000,
  });
  const deadline = Date.now() + 20_000;
  while (!run.stdout().includes('"id":1') && run.child.exitCode === null && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 50));
  }
  assert.ok(run.stdout().includes('"id":1'), run.stderr());
  assert.ok(!run.child.spawnargs.join(" ").includes(PW));
  const cmdline = `/proc/${run.child.pid}/cmdline`;
  if (fs.existsSync(cmdline)) assert.ok(!fs.readFileSync(cmdline, "utf8").includes(PW));
  run.child.kill("SIGINT");
  const r = await run.done;
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(jsonLines(r.stdout), [{ id: 1, name: "a" }]);
  assertNoPassword(r);

  // credentials in the environment mean SASL; a wrong one is an authentication error
  const wrong = await cli(["db", "list"], { env: { FLUSS_SASL_USERNAME: "admin", FLUSS_SASL_PASSWORD: WRONG_PW } });
  assert.equal(wrong.code, 1);
  assert.match(wrong.stderr, /^error: .*authenticat/i);
  assertNoPassword(wrong);
  // the username alone: the missing password is named, with where SASL came from
  const noPw = await cli(["db", "list"], { env: { FLUSS_SASL_USERNAME: "admin" } });
  assert.equal(noPw.code, 2);
  assert.match(noPw.stderr, /^error: \$FLUSS_SASL_USERNAME: config "client\.security\.sasl\.password" is required/);
});

test("a config file (--config-file or $FLUSS_CONFIG_FILE) in the Rust or Java client's spellings", async () => {
  const rust = writeFile(
    "rust.properties",
    `# the Rust/Python client's keys\nsecurity.protocol=SASL\nsecurity.sasl.username = admin\nsecurity.sasl.password: ${PW}\n\n`,
  );
  const r1 = await cli(["db", "list", "--config-file", rust]);
  assert.equal(r1.code, 0, r1.stderr);
  assert.ok(r1.stdout.split("\n").includes(db));
  const java = writeFile(
    "java.properties",
    `bootstrap.servers=${cluster.bootstrapServers}\nclient.security.protocol=SASL\n` +
      `client.security.sasl.jaas.config=org.apache.fluss.security.auth.sasl.plain.PlainLoginModule required username="admin" password="${PW}";\n` +
      "client.request-timeout=10 s\n",
  );
  // the address from the file too (no --bootstrap-servers, no $FLUSS_BOOTSTRAP_SERVERS)
  const r2 = await runCli(["db", "list"], { env: { FLUSS_CONFIG_FILE: java }, timeoutMs: 30_000 });
  assert.equal(r2.code, 0, r2.stderr);
  assert.ok(r2.stdout.split("\n").includes(db));
  assertNoPassword(r1);
  assertNoPassword(r2);
});

test("precedence: --config over the environment over the file", async () => {
  const wrongFile = writeFile(
    "wrong.properties",
    `client.security.protocol=SASL\nclient.security.sasl.username=admin\nclient.security.sasl.password=${WRONG_PW}\n`,
  );
  const envOverFile = await cli(["db", "list", "--config-file", wrongFile], { env: { FLUSS_SASL_PASSWORD: PW } });
  assert.equal(envOverFile.code, 0, envOverFile.stderr);
  // the Rust spelling of the same key in --config still wins over the environment
  const cOverEnv = await cli(["db", "list", "--config-file", wrongFile, "-c", `security.sasl.password=${WRONG_PW}`], {
    env: { FLUSS_SASL_PASSWORD: PW },
  });
  assert.equal(cOverEnv.code, 1);
  assert.match(cOverEnv.stderr, /authenticat/i);
  const fileAlone = await cli(["db", "list", "--config-file", wrongFile]);
  assert.equal(fileAlone.code, 1);
  for (const r of [envOverFile, cOverEnv, fileAlone]) assertNoPassword(r);
});

test("errors of the config file name the file and line, exit 2, and never print the password", async () => {
  const missing = path.join(tmp, "nope.properties");
  const r1 = await cli(["db", "list", "--config-file", missing]);
  assert.equal(r1.code, 2);
  assert.equal(r1.stderr, `error: config file ${missing}: cannot read it (ENOENT)\n`);
  const bad = writeFile("bad.properties", `client.security.protocol=SASL\nclient.security.sasl.password ${PW}\n`);
  const r2 = await cli(["db", "list", "--config-file", bad]);
  assert.equal(r2.code, 2);
  assert.equal(r2.stderr, `error: config file ${bad}, line 2: expected key=value\n`);
  const badValue = writeFile("value.properties", `# timeouts\nrequest.timeout.ms=soon\nsecurity.sasl.password=${PW}\n`);
  const r3 = await cli(["db", "list", "--config-file", badValue]);
  assert.equal(r3.code, 2);
  assert.match(r3.stderr, new RegExp(`^error: config file ${badValue}, line 2: config "request\\.timeout\\.ms"`));
  const unknown = writeFile("unknown.properties", "client.security.sasl.passwd=x\n");
  const r4 = await cli(["db", "list", "--config-file", unknown]);
  assert.equal(r4.code, 2);
  assert.match(r4.stderr, /line 1: unknown config key "client\.security\.sasl\.passwd"/);
  // --config without "=": the item (maybe a password) is not repeated
  const r5 = await cli(["db", "list", "-c", `client.security.sasl.password ${PW}`]);
  assert.equal(r5.code, 2);
  assert.match(r5.stderr, /--config takes KEY=VALUE/);
  for (const r of [r1, r2, r3, r4, r5]) assertNoPassword(r);
});
