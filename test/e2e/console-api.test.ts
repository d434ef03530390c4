/**
 * The web console's HTTP surface without a browser: malformed request targets and bodies
 * are answered with a 4xx, never by ending the process (the console may run inside
 * `LocalCluster.start({ ui })`, where a crash takes the cluster down).
 */
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import net from "node:net";
import { WebConsole } from "../../src/index.js";
import { closeTestDatabase, openTestDatabase, uniqueName, type TestCluster } from "../helpers/cluster.js";
import type { FlussConnection } from "../../src/index.js";

const db = uniqueName("console_api");
let cluster: TestCluster;
let conn: FlussConnection;
let ui: WebConsole;

before(async () => {
  ({ cluster, conn } = await openTestDatabase(db));
  ui = await WebConsole.start({ config: { "bootstrap.servers": cluster.bootstrapServers }, port: 0 });
});
after(async () => {
  await ui?.close();
  await closeTestDatabase(cluster, conn, db);
});

/** Sends one raw HTTP/1.1 request line (the target as given) and returns the status. */
async function rawStatus(target: string): Promise<number> {
  const { port } = new URL(ui.url);
  const socket = net.connect({ host: "127.0.0.1", port: Number(port) });
  socket.write(`GET ${target} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n`);
  // no answer within 5 s (the listener threw) fails instead of hanging
  socket.setTimeout(5000, () => socket.destroy());
  let text = "";
  for await (const chunk of socket) text += String(chunk);
  const m = /^HTTP\/1\.1 (\d{3})/.exec(text);
  assert.ok(m, `no HTTP answer to ${target}: ${JSON.stringify(text)}`);
  return Number(m[1]);
}

test("malformed request targets get 400, and the console keeps serving", async () => {
  for (const target of ["//", "//[", "/%", "/%E0%A4%A", "/api/tables/%/x", "/api/tables/a/%ZZ/rows"]) {
    const status = await rawStatus(target);
    assert.ok(status >= 400 && status < 500, `${target} answered ${status}`);
  }
  const res = await fetch(`${ui.url}api/cluster`);
  assert.equal(res.status, 200);
});

test("the console of a secured local cluster signs in as its super user; without one it refuses to start", async () => {
  const { LocalCluster } = await import("../../src/index.js");
  const security = { users: { admin: "Adm1n-pw", alice: "Al1ce-pw" }, superUsers: ["User:admin"], authorization: true };
  {
    await using secured = await LocalCluster.start({ security, ui: { port: 0 } });
    const res = await fetch(`${secured.consoleUrl}api/cluster`);
    assert.equal(res.status, 200, await res.clone().text());
    assert.deepEqual(
      ((await res.json()) as { databases: { name: string }[] }).databases.map((d) => d.name),
      ["fluss"],
    );
  }
  await assert.rejects(
    LocalCluster.start({ security: { ...security, superUsers: [] }, ui: { port: 0 } }),
    /signs in as a super user/,
  );
});
