/** `flussjs local --sasl-users FILE --super-user NAME`. */
import { test } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { main, type CliIo } from "../../src/cli/main.js";
import { Config, ErrorCode, FlussConnection } from "../../src/index.js";
import { rejectsWith } from "../helpers/assert.js";

test("flussjs local --sasl-users FILE --super-user admin: SASL on, ACLs checked, passwords not printed", async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "flussjs-cli-sec-"));
  const file = path.join(dir, "users");
  fs.writeFileSync(file, "# SASL users\nadmin=Adm1n-pw\nalice = Al1ce-pw\n\n");
  let out = "";
  let err = "";
  const io: CliIo = {
    out: (t) => void (out += t),
    err: (t) => void (err += t),
    waitForStop: async () => {
      const m = /bootstrap\.servers\s+(\S+)/.exec(out);
      assert.ok(m, out);
      const sasl = (user: string, password: string) =>
        Config.fromRecord({
          "bootstrap.servers": m[1],
          "client.security.protocol": "SASL",
          "client.security.sasl.username": user,
          "client.security.sasl.password": password,
        });
      await rejectsWith(FlussConnection.connect(new Config({ "bootstrap.servers": m[1]! })), ErrorCode.AUTHENTICATE_EXCEPTION);
      const admin = await FlussConnection.connect(sasl("admin", "Adm1n-pw"));
      const alice = await FlussConnection.connect(sasl("alice", "Al1ce-pw"));
      try {
        await rejectsWith(alice.getAdmin().createDatabase("a_db"), ErrorCode.AUTHORIZATION_EXCEPTION);
        await admin.getAdmin().createAcls([{ resourceType: "CLUSTER", principal: "User:alice", operation: "CREATE" }]);
        await alice.getAdmin().createDatabase("a_db");
      } finally {
        await admin.close();
        await alice.close();
      }
      return "SIGINT";
    },
  };
  try {
    assert.equal(await main(["local", "--port", "0", "--sasl-users", file, "--super-user", "admin"], io), 0, err);
    assert.match(out, /SASL\/PLAIN \(2 users\), ACLs, super users User:admin/);
    assert.ok(!out.includes("pw") && !err.includes("pw"), out + err);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test("flussjs local: a bad users file or --super-user without users is refused", async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "flussjs-cli-sec-"));
  try {
    const file = path.join(dir, "users");
    fs.writeFileSync(file, "admin secret-in-a-bad-line\n");
    let err = "";
    const io: CliIo = { out: () => {}, err: (t) => void (err += t) };
    assert.equal(await main(["local", "--port", "0", "--sasl-users", file], io), 2);
    assert.match(err, /line 1: expected name=password/);
    assert.ok(!err.includes("secret-in-a-bad-line"), err);
    err = "";
    assert.equal(await main(["local", "--port", "0", "--super-user", "admin"], io), 2);
    assert.match(err, /--super-user needs --sasl-users/);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
