/**
 * The web console from the command line (the built CLI as a child process): `flussjs ui`
 * against a running cluster and `flussjs local --ui`, each serving the console's API until
 * SIGINT; `--ui-port` without `--ui` is a usage error.
 */
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { closeTestDatabase, openTestDatabase, uniqueName, type TestCluster } from "../helpers/cluster.js";
import { cliBin, runCli, startCli } from "../helpers/cli.js";
import type { FlussConnection } from "../../src/index.js";

const db = uniqueName("cli_ui");
let cluster: TestCluster;
let conn: FlussConnection;

before(async () => {
  cliBin();
  ({ cluster, conn } = await openTestDatabase(db));
});
after(async () => closeTestDatabase(cluster, conn, db));

/** Waits until the child printed the console's address with its token, and returns both. */
async function consoleUrl(run: ReturnType<typeof startCli>): Promise<{ url: string; token: string }> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const m = /(http:\/\/127\.0\.0\.1:\d+\/)\?token=([0-9a-f]{48})/.exec(run.stdout());
    if (m) return { url: m[1]!, token: m[2]! };
    assert.ok(Date.now() < deadline, `no console address printed: ${run.stdout()} ${run.stderr()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

test("flussjs ui serves the console of the cluster at --bootstrap-servers until SIGINT", async () => {
  const run = startCli(["ui", "--port", "0"], { servers: cluster.bootstrapServers });
  const { url, token } = await consoleUrl(run);
  assert.equal((await fetch(`${url}api/cluster`)).status, 401);
  const auth = { headers: { authorization: `Bearer ${token}` } };
  const res = await fetch(`${url}api/cluster`, auth);
  assert.equal(res.status, 200);
  const body = (await res.json()) as { databases: { name: string }[] };
  assert.ok(
    body.databases.some((d) => d.name === db),
    JSON.stringify(body),
  );
  const missing = await fetch(`${url}api/tables/${db}/nope`, auth);
  assert.equal(missing.status, 404);
  assert.match(((await missing.json()) as { error: string }).error, /does not exist/);
  run.child.kill("SIGINT");
  const r = await run.done;
  assert.equal(r.code, 0, r.stderr);
});

test("flussjs local --ui starts a cluster with its console; --ui-port needs --ui", async () => {
  const run = startCli(["local", "--port", "0", "--ui", "--ui-port", "0"]);
  const { url, token } = await consoleUrl(run);
  assert.match(run.stdout(), /web console\s+http:\/\/127\.0\.0\.1:\d+\/\?token=[0-9a-f]{48}/);
  assert.equal((await fetch(`${url}api/cluster`)).status, 401);
  const res = await fetch(`${url}api/cluster?token=${token}`);
  assert.equal(res.status, 200);
  assert.deepEqual(
    ((await res.json()) as { databases: { name: string }[] }).databases.map((d) => d.name),
    ["fluss"],
  );
  run.child.kill("SIGINT");
  const r = await run.done;
  assert.equal(r.code, 0, r.stderr);
  const bad = await runCli(["local", "--port", "0", "--ui-port", "0"]);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /--ui-port needs --ui/);
});
