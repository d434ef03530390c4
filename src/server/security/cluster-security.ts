/**
 * The local cluster's security options (`LocalCluster.start({ security })`) and how they
 * turn into listener settings and handlers: SASL/PLAIN on every listener when users are
 * given, ACL authorization as Java's DefaultAuthorizer when `authorization` is on.
 */
import * as fs from "node:fs";
import { FlussError } from "../../rpc/errors.js";
import { parseKeyValueLines } from "../../util/key-value-lines.js";
import { ApiKey } from "../../rpc/api-keys.js";
import type { RawHandler } from "../rpc-server.js";
import type { ServerState } from "../server-state.js";
import { aclHandlers } from "./acl-handlers.js";
import { AclStore } from "./acl-store.js";
import { authenticateHandler } from "./authenticate.js";
import { authorizeHandlers } from "./authorize-requests.js";
import { Authorizer, parseSuperUsers } from "./authorizer.js";

/** Security of a local cluster. */
export interface LocalClusterSecurity {
  /**
   * SASL/PLAIN users (name → password). When given, every listener requires SASL/PLAIN:
   * a connection is served only ApiVersions and Authenticate until it authenticated as one
   * of them (clients set `client.security.protocol` = `SASL`).
   */
  readonly users?: Readonly<Record<string, string>>;
  /** Principals allowed everything, as `"User:<name>"` (Java `super.users`). */
  readonly superUsers?: readonly string[];
  /**
   * Check every request against ACLs as Java's DefaultAuthorizer (default false): super users
   * pass; others need an ALLOW ACL (`admin.createAcls`); ACLs persist in the data directory.
   */
  readonly authorization?: boolean;
}

/** What the cluster's listeners need from the security options. */
export interface ResolvedSecurity {
  /** SASL users, or undefined for PLAINTEXT listeners. */
  readonly users: ReadonlyMap<string, string> | undefined;
  /** The authorizer, or undefined when authorization is off. */
  readonly authorizer: Authorizer | undefined;
}

/** Checks the options and opens the ACL store (in the catalog directory) when authorization is on. */
export function resolveSecurity(options: LocalClusterSecurity | undefined, catalogDir: string): ResolvedSecurity {
  if (options === undefined) return { users: undefined, authorizer: undefined };
  if (typeof options !== "object" || options === null) {
    throw FlussError.client(`security must be an object such as { users: { admin: "secret" } }, got ${String(options)}`);
  }
  for (const k of Object.keys(options)) {
    if (!["users", "superUsers", "authorization"].includes(k)) {
      throw FlussError.client(`unknown security option "${k}" (known: users, superUsers, authorization)`);
    }
  }
  let users: Map<string, string> | undefined;
  if (options.users !== undefined) {
    if (typeof options.users !== "object" || options.users === null || Array.isArray(options.users)) {
      throw FlussError.client("security.users must be an object of user name → password");
    }
    users = new Map();
    for (const [name, password] of Object.entries(options.users)) {
      // the password itself is never part of a message
      if (name === "" || name.includes("\u0000"))
        throw FlussError.client(`security.users: invalid user name ${JSON.stringify(name)}`);
      if (typeof password !== "string" || password === "" || password.includes("\u0000")) {
        throw FlussError.client(`security.users: the password of user "${name}" must be a non-empty string without NUL`);
      }
      users.set(name, password);
    }
    if (users.size === 0) throw FlussError.client("security.users is empty: give at least one user");
  }
  if (options.superUsers !== undefined && !Array.isArray(options.superUsers)) {
    throw FlussError.client('security.superUsers must be an array such as ["User:admin"]');
  }
  const superUsers = parseSuperUsers(options.superUsers ?? []);
  if (options.authorization !== undefined && typeof options.authorization !== "boolean") {
    throw FlussError.client(`security.authorization must be true or false, got ${String(options.authorization)}`);
  }
  const authorizer = options.authorization ? new Authorizer(AclStore.open(catalogDir), superUsers) : undefined;
  return { users, authorizer };
}

/**
 * A listener's handlers with Authenticate and the ACL calls added and, with an authorizer,
 * every request authorized. Call after all other handlers are in place; `serves` limits the
 * ACL keys added to those of the listener's role.
 */
export function secureHandlers(
  handlers: Map<number, RawHandler>,
  security: ResolvedSecurity,
  state: ServerState,
  serves?: ReadonlySet<number>,
): Map<number, RawHandler> {
  handlers.set(ApiKey.AUTHENTICATE, authenticateHandler(security.users));
  // a role serves the ACL keys Java's role does (CreateAcls/DropAcls: the coordinator)
  for (const [k, h] of aclHandlers(security.authorizer)) if (!serves || serves.has(k)) handlers.set(k, h);
  return security.authorizer ? authorizeHandlers(handlers, security.authorizer, state) : handlers;
}

/**
 * Reads a SASL users file for the CLI: one `name=password` (or `name:password`) per line,
 * `#` comments and blank lines ignored.
 */
export function readUsersFile(file: string): Record<string, string> {
  let text: string;
  try {
    text = fs.readFileSync(file, "utf8");
  } catch (e) {
    throw FlussError.client(`cannot read SASL users file ${file}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`);
  }
  const users: Record<string, string> = {};
  const parsed = parseKeyValueLines(text);
  // the line is not echoed: it holds a password
  const bad = (line: number): never => {
    throw FlussError.client(`SASL users file ${file}, line ${line}: expected name=password`);
  };
  if ("badLine" in parsed) return bad(parsed.badLine);
  for (const e of parsed.entries) {
    if (e.value === "") bad(e.line);
    users[e.key] = e.value;
  }
  return users;
}
