/** SASL/PLAIN token checks and the DefaultAuthorizer rules, without sockets. */
import { test } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { ErrorCode, FlussError } from "../../src/rpc/errors.js";
import { evaluatePlainToken } from "../../src/server/security/sasl-plain.js";
import { AclStore } from "../../src/server/security/acl-store.js";
import { Authorizer, CLUSTER, databaseResource, tableResource } from "../../src/server/security/authorizer.js";
import { OPERATION_CODES as OP, toPbAclFilter, toPbAclInfo, type AclBinding } from "../../src/metadata/acl.js";
import type { ConnectionSession } from "../../src/server/rpc-server.js";

const users = new Map([
  ["alice", "pw-a"],
  ["bob", "pw-b"],
]);
const tok = (s: string) => Buffer.from(s, "utf8");

test("PLAIN tokens are checked as Java's PlainSaslServer", () => {
  assert.equal(evaluatePlainToken(tok("\u0000alice\u0000pw-a"), users), "alice");
  assert.equal(evaluatePlainToken(tok("alice\u0000alice\u0000pw-a"), users), "alice");
  const cases: [string, RegExp][] = [
    ["bob\u0000alice\u0000pw-a", /authorization id that is different/],
    ["\u0000alice\u0000pw-b", /Invalid username or password/],
    ["\u0000carol\u0000pw-a", /Invalid username or password/],
    ["\u0000\u0000pw-a", /username not specified/],
    ["\u0000alice\u0000", /password not specified/],
    ["alice\u0000pw-a", /expected 3 tokens, got 2/],
    ["\u0000alice\u0000pw-a\u0000x", /expected 3 tokens, got 4/],
  ];
  for (const [t, re] of cases) {
    assert.throws(
      () => evaluatePlainToken(tok(t), users),
      (e: unknown) =>
        e instanceof FlussError &&
        e.code === ErrorCode.AUTHENTICATE_EXCEPTION &&
        re.test(e.message) &&
        !e.message.includes("pw-"),
      t,
    );
  }
});

test("the authorizer follows DefaultAuthorizer: implied operations, hierarchy, wildcards, hosts, super users", () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "flussjs-authz-"));
  try {
    const authz = new Authorizer(AclStore.open(dir), [{ type: "User", name: "root" }]);
    const s = (name: string, host = "127.0.0.1"): ConnectionSession => ({ principal: { name, type: "User" }, remoteHost: host });
    const root = s("root");
    const grant = (b: AclBinding) => {
      const [r] = authz.createAcls(root, [toPbAclInfo(b)]);
      assert.equal(r!.errorCode, ErrorCode.NONE);
    };
    const t = tableResource("db", "t");
    assert.equal(authz.isAuthorized(s("alice"), OP.DESCRIBE, t), false, "no ACL: denied");
    assert.equal(authz.isAuthorized(root, OP.ALL, CLUSTER), true, "super user");
    grant({ resourceType: "TABLE", resourceName: "db.t", principal: "User:alice", operation: "WRITE" });
    assert.equal(authz.isAuthorized(s("alice"), OP.WRITE, t), true);
    assert.equal(authz.isAuthorized(s("alice"), OP.DESCRIBE, t), true, "WRITE implies DESCRIBE");
    assert.equal(authz.isAuthorized(s("alice"), OP.READ, t), false, "WRITE does not imply READ");
    assert.equal(
      authz.isAuthorized(s("alice"), OP.DESCRIBE, databaseResource("db")),
      false,
      "a table ACL says nothing of its database",
    );
    grant({ resourceType: "DATABASE", resourceName: "db", principal: "User:bob", operation: "ALL" });
    assert.equal(authz.isAuthorized(s("bob"), OP.DROP, t), true, "a database ACL covers its tables");
    assert.equal(authz.isAuthorized(s("bob"), OP.DROP, tableResource("db2", "t")), false);
    grant({ resourceType: "TABLE", resourceName: "*", principal: "*", operation: "READ", host: "10.0.0.7" });
    assert.equal(
      authz.isAuthorized(s("carol", "10.0.0.7"), OP.READ, tableResource("x", "y")),
      true,
      "wildcard resource and principal",
    );
    assert.equal(authz.isAuthorized(s("carol"), OP.READ, tableResource("x", "y")), false, "another host");
    assert.equal(authz.isAuthorized(s("carol", "10.0.0.7"), OP.DESCRIBE, tableResource("x", "y")), true);
    // ACL changes need ALL on the database (for a table); listing is filtered by DESCRIBE
    assert.throws(
      () =>
        authz.createAcls(s("alice"), [
          toPbAclInfo({ resourceType: "TABLE", resourceName: "db.t", principal: "User:x", operation: "READ" }),
        ]),
      (e: unknown) =>
        e instanceof FlussError &&
        e.code === ErrorCode.AUTHORIZATION_EXCEPTION &&
        /ALL on resource Resource\{type=DATABASE, name='db'\}/.test(e.message),
    );
    authz.createAcls(s("bob"), [
      toPbAclInfo({ resourceType: "TABLE", resourceName: "db.t", principal: "User:x", operation: "READ" }),
    ]);
    assert.equal(authz.listAcls(s("alice"), toPbAclFilter({ resourceName: "db.t", resourceType: "TABLE" })).length, 2);
    assert.equal(authz.listAcls(s("nobody"), toPbAclFilter()).length, 0);
    // an unauthenticated session is never authorized
    assert.equal(authz.isAuthorized({ principal: undefined, remoteHost: "127.0.0.1" }, OP.DESCRIBE, t), false);
    // drop: reported per filter, gone afterwards, persisted
    const [res] = authz.dropAcls(root, [toPbAclFilter({ principal: "User:alice" })]);
    assert.equal(res!.matchingAcls.length, 1);
    assert.equal(authz.isAuthorized(s("alice"), OP.WRITE, t), false);
    const reopened = new Authorizer(AclStore.open(dir), []);
    assert.equal(reopened.listAcls(root, toPbAclFilter()).length, 0, "no super users there: nothing described");
    assert.equal(new Authorizer(AclStore.open(dir), [{ type: "User", name: "root" }]).listAcls(root, toPbAclFilter()).length, 3);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
