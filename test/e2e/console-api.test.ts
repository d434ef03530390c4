/**
 * The web console's HTTP surface without a browser: malformed request targets and bodies
 * are answered with a 4xx, never by ending the process (the console may run inside
 * `LocalCluster.start({ ui })`, where a crash takes the cluster down); every API and
 * event-stream request needs the console's access token (query, header or cookie).
 */
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import net from "node:net";
import { DataTypes, Schema, TableDescriptor, TablePath, WebConsole } from "../../src/index.js";
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
  socket.write(`GET ${target} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${ui.token}\r\nConnection: close\r\n\r\n`);
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
  const res = await fetch(`${ui.address}api/cluster`, { headers: { authorization: `Bearer ${ui.token}` } });
  assert.equal(res.status, 200);
});

test("the console of a secured local cluster signs in as its super user; without one it refuses to start", async () => {
  const { LocalCluster } = await import("../../src/index.js");
  const security = { users: { admin: "Adm1n-pw", alice: "Al1ce-pw" }, superUsers: ["User:admin"], authorization: true };
  {
    await using secured = await LocalCluster.start({ security, ui: { port: 0 } });
    const url = new URL(secured.consoleUrl!);
    const res = await fetch(`${url.origin}/api/cluster${url.search}`);
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

/** The JSON error of a refused request, after checking it is a 401 asking for the token. */
async function refusal(res: Response): Promise<string> {
  assert.equal(res.status, 401);
  assert.equal(res.headers.get("www-authenticate"), 'Bearer realm="flussjs console"');
  return ((await res.json()) as { error: string }).error;
}

test("the API needs the access token: none or a wrong one is 401, the right one (query, header, cookie) answers", async () => {
  const token = ui.token!;
  assert.match(token, /^[0-9a-f]{48}$/);
  assert.equal(ui.url, `${ui.address}?token=${token}`);
  const api = `${ui.address}api/cluster`;
  assert.match(await refusal(await fetch(api)), /needs its access token: open the address printed .*\?token=/);
  const wrong = `${token.slice(0, -1)}${token.endsWith("0") ? "1" : "0"}`;
  assert.match(await refusal(await fetch(`${api}?token=${wrong}`)), /wrong or out of date/);
  assert.match(await refusal(await fetch(api, { headers: { authorization: `Bearer ${wrong}` } })), /wrong or out of date/);
  assert.match(await refusal(await fetch(api, { headers: { authorization: "Basic abc" } })), /wrong or out of date/);
  const cookieName = `flussjs-console-${new URL(ui.address).port}`;
  assert.match(await refusal(await fetch(api, { headers: { cookie: `${cookieName}=${wrong}` } })), /wrong or out of date/);
  // another console's cookie (named for its port) is not this one's
  assert.match(await refusal(await fetch(api, { headers: { cookie: `flussjs-console-1=${token}` } })), /needs its access token/);
  for (const init of [{}, { headers: { authorization: `Bearer ${token}` } }, { headers: { authorization: `token ${token}` } }]) {
    const res = await fetch(`${api}${"headers" in init ? "" : `?token=${token}`}`, init);
    assert.equal(res.status, 200);
    assert.ok(((await res.json()) as { databases: { name: string }[] }).databases.some((d) => d.name === db));
  }

  // the page: the printed address sets the cookie and drops the token from the address
  const visit = await fetch(`${ui.address}?token=${token}&x=1`, { redirect: "manual" });
  assert.equal(visit.status, 302);
  assert.equal(visit.headers.get("location"), "/?x=1");
  const setCookie = visit.headers.get("set-cookie") ?? "";
  assert.equal(setCookie, `${cookieName}=${token}; HttpOnly; SameSite=Strict; Path=/`);
  const cookie = setCookie.split(";")[0]!;
  const byCookie = await fetch(api, { headers: { cookie: `other=1; ${cookie}` } });
  assert.equal(byCookie.status, 200);
  // a wrong token on the page sets nothing; the page itself (no data in it) needs none
  const badVisit = await fetch(`${ui.address}?token=${wrong}`, { redirect: "manual" });
  assert.equal(badVisit.status, 401);
  assert.equal(badVisit.headers.get("set-cookie"), null);
  assert.notEqual((await fetch(ui.address)).status, 401);

  // the live tail (server-sent events) with the cookie; without it, 401
  const path = new TablePath(db, "tail_token");
  await conn.getAdmin().createTable(path, new TableDescriptor(Schema.fromColumns([{ name: "v", type: DataTypes.INT() }])));
  const writer = await (await conn.getTable(path)).newAppendWriter();
  await writer.append({ v: 42 }).wait();
  await writer.close();
  const tail = `${ui.address}api/tables/${db}/tail_token/tail?from=earliest`;
  assert.match(await refusal(await fetch(tail)), /needs its access token/);
  const abort = new AbortController();
  const stream = await fetch(tail, { headers: { cookie }, signal: abort.signal });
  assert.equal(stream.status, 200);
  assert.match(stream.headers.get("content-type") ?? "", /^text\/event-stream/);
  let text = "";
  const decoder = new TextDecoder();
  const deadline = Date.now() + 10_000;
  for await (const chunk of stream.body as AsyncIterable<Uint8Array>) {
    text += decoder.decode(chunk, { stream: true });
    if (/event: rows\ndata: .*"r":\{"v":42\}/.test(text) || Date.now() > deadline) break;
  }
  abort.abort();
  assert.match(text, /event: ready\n/);
  assert.match(text, /event: rows\ndata: .*"r":\{"v":42\}/);
});

test("the token option: a fixed token, none at all (false), a malformed one refused", async () => {
  const config = { "bootstrap.servers": cluster.bootstrapServers };
  {
    await using fixed = await WebConsole.start({ config, port: 0, token: "my-fixed_token.1~" });
    assert.equal(fixed.token, "my-fixed_token.1~");
    assert.equal(fixed.url, `${fixed.address}?token=my-fixed_token.1~`);
    assert.equal((await fetch(`${fixed.address}api/cluster`)).status, 401);
    const res = await fetch(`${fixed.address}api/cluster`, { headers: { authorization: "Bearer my-fixed_token.1~" } });
    assert.equal(res.status, 200);
  }
  {
    await using open = await WebConsole.start({ config, port: 0, token: false });
    assert.equal(open.token, undefined);
    assert.equal(open.url, open.address);
    assert.equal((await fetch(`${open.address}api/cluster`)).status, 200);
  }
  {
    // a new token at every start
    await using other = await WebConsole.start({ config, port: 0 });
    assert.notEqual(other.token, ui.token);
  }
  for (const token of ["", "with space", "semi;colon", "é"]) {
    await assert.rejects(WebConsole.start({ config, port: 0, token }), /the console's token must be/);
  }
});
