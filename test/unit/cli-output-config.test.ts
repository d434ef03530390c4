/**
 * The CLI's boxed table printed in pieces (one table as cli-table3 draws it, a new header
 * only where a later value is wider) and its client configuration merged from `--config`,
 * the environment and a config file.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import Table from "cli-table3";
import { createSink } from "../../src/cli/output.js";
import { resolveClientConfig } from "../../src/cli/client-config.js";
import { DataTypes } from "../../src/index.js";

const columns = [
  { name: "id", type: DataTypes.INT() },
  { name: "name", type: DataTypes.STRING() },
];

async function printTable(rows: [number, string][]): Promise<string[]> {
  const writes: string[] = [];
  const sink = await createSink("table", columns, (t) => void writes.push(t));
  for (const r of rows) sink.write(r);
  sink.end();
  return writes;
}

function cliTable3(rows: [number, string][]): string {
  const t = new Table({ head: ["id", "name"], colAligns: ["right", "left"], style: { head: [], border: [], compact: true } });
  t.push(...rows.map(([id, name]) => [String(id), name]));
  return t.toString();
}

test("a long table prints in pieces of 1000 rows that read as one cli-table3 table", async () => {
  // the widest values in the first piece: the pieces join into exactly the whole table
  const rows: [number, string][] = Array.from({ length: 2001 }, (_, i) => [i === 0 ? 99999 : i, i === 1 ? "longest" : "n"]);
  const writes = await printTable(rows);
  assert.equal(writes.length, 4, "three pieces and the footer");
  assert.ok(writes[0]!.includes("│ 99999 │ n       │") && !writes[0]!.includes("└"));
  assert.equal(writes.slice(0, 3).join(""), `${cliTable3(rows)}\n`);
  assert.equal(writes[3], "2001 rows\n");
  // short: one write of the whole table, as before
  const short: [number, string][] = [
    [1, "a"],
    [22, "bb"],
  ];
  assert.deepEqual(await printTable(short), [`${cliTable3(short)}\n`, "2 rows\n"]);
  assert.deepEqual(await printTable([]), [`${cliTable3([])}\n`, "0 rows\n"]);
});

test("a later piece with wider values ends the table and starts one with wider columns", async () => {
  const rows: [number, string][] = Array.from({ length: 1500 }, (_, i) => [i, "x"]);
  const text = (await printTable(rows)).join("");
  const lines = text.trimEnd().split("\n");
  assert.equal(lines.filter((l) => l.startsWith("┌")).length, 2);
  assert.equal(lines.filter((l) => /^│\s+id │/.test(l)).length, 2, "the header again, wider");
  const ids = lines.filter((l) => /^│\s+\d+ │/.test(l)).map((l) => Number(l.split("│")[1]));
  assert.deepEqual(
    ids,
    Array.from({ length: 1500 }, (_, i) => i),
    "no value cut or wrapped",
  );
  // two whole tables: the second as cli-table3 draws its rows (wider than the first's)
  assert.equal(text, `${cliTable3(rows.slice(0, 1000))}\n${cliTable3(rows.slice(1000))}\n1500 rows\n`);
});

test("client configuration: --config over the environment over the file, keys compared by option", async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "flussjs-cli-conf-"));
  try {
    const file = path.join(dir, "client.properties");
    fs.writeFileSync(
      file,
      "# comment\nbootstrap.servers = file-host:1\nsecurity.sasl.username=file-user\nclient.request-timeout: 7 s\nwriter.acks=1\n",
    );
    const r = await resolveClientConfig({
      config: ["client.security.sasl.username=c-user", "writer.acks=all"],
      configFile: file,
      env: { FLUSS_SASL_USERNAME: "env-user", FLUSS_SASL_PASSWORD: "env-pw", FLUSS_CONFIG_FILE: "/nonexistent" },
    });
    assert.equal(r.bootstrapServers, "file-host:1");
    assert.equal(r.config.get("client.security.sasl.username"), "c-user");
    assert.equal(r.config.get("client.security.sasl.password"), "env-pw");
    assert.equal(r.config.get("client.security.protocol"), "SASL", "credentials in the environment mean SASL");
    assert.equal(r.config.get("request.timeout.ms"), 7000);
    assert.equal(r.config.get("writer.acks"), "all");
    assert.equal(r.config.get("connect.timeout.ms"), 10_000);
    // the address: --bootstrap-servers, then -c, then the environment, then the file
    const env = { FLUSS_BOOTSTRAP_SERVERS: "env-host:2" };
    assert.equal((await resolveClientConfig({ configFile: file, env })).bootstrapServers, "env-host:2");
    const c = ["bootstrap.servers=c-host:3"];
    assert.equal((await resolveClientConfig({ config: c, configFile: file, env })).bootstrapServers, "c-host:3");
    const b = await resolveClientConfig({ bootstrapServers: "b-host:4", config: c, configFile: file, env });
    assert.equal(b.bootstrapServers, "b-host:4");
    assert.equal((await resolveClientConfig({ env: {} })).bootstrapServers, "127.0.0.1:9123");
    // the protocol named by a source is kept; empty variables are unset
    const plain = await resolveClientConfig({
      config: ["client.security.protocol=PLAINTEXT"],
      env: { FLUSS_SASL_USERNAME: "u", FLUSS_SASL_PASSWORD: "" },
    });
    assert.equal(plain.config.get("client.security.protocol"), "PLAINTEXT");
    assert.equal(plain.config.get("client.security.sasl.password"), "");
    // $FLUSS_CONFIG_FILE when --config-file is not given
    await assert.rejects(
      resolveClientConfig({ env: { FLUSS_CONFIG_FILE: path.join(dir, "none") } }),
      /config file .*none: cannot read it \(ENOENT\)/,
    );
    // an error is blamed on the source of the option it names
    await assert.rejects(resolveClientConfig({ config: ["writer.ack=1"], configFile: file, env: {} }), (e: Error) =>
      e.message.startsWith('--config: unknown config key "writer.ack"'),
    );
    await assert.rejects(resolveClientConfig({ configFile: file, env: { FLUSS_BOOTSTRAP_SERVERS: "nohost" } }), (e: Error) =>
      e.message.startsWith('$FLUSS_BOOTSTRAP_SERVERS: config "bootstrap.servers"'),
    );
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
