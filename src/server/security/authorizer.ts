/**
 * ACL checks as Java's `DefaultAuthorizer` (fluss-server/.../authorizer/DefaultAuthorizer.java):
 * super users pass everything; otherwise an operation on a resource is allowed when an ALLOW
 * ACL exists for the principal (or the wildcard principal `*:*`), from the client's host (or
 * `*`), for that operation (or ALL; a DESCRIBE check is also met by READ, WRITE, CREATE, DROP
 * or ALTER), on the resource itself, a parent (a table's database, the cluster) or the
 * wildcard resource of its type. No ACL at all means denied.
 */
import { ErrorCode, FlussError } from "../../rpc/errors.js";
import type * as M from "../../rpc/messages.js";
import {
  CLUSTER_RESOURCE_NAME,
  OPERATION_CODES as OP,
  PERMISSION_CODES as PERM,
  RESOURCE_TYPE_CODES as RT,
  WILDCARD,
  operationName,
  permissionName,
  resourceTypeName,
} from "../../metadata/acl.js";
import type { ConnectionSession } from "../rpc-server.js";
import { type AclStore, aclKey } from "./acl-store.js";

/** A resource: type code and name (`fluss-cluster`, the database, `db.table`). */
export interface AclResource {
  readonly type: number;
  readonly name: string;
}

/** A principal: name and type (`User`). */
export interface Principal {
  readonly name: string;
  readonly type: string;
}

/** Java `Resource.cluster()`. */
export const CLUSTER: AclResource = { type: RT.CLUSTER, name: CLUSTER_RESOURCE_NAME };
/** Java `Resource.database(name)`. */
export const databaseResource = (name: string): AclResource => ({ type: RT.DATABASE, name });
/** Java `Resource.table(db, table)`. */
export const tableResource = (db: string, table: string): AclResource => ({ type: RT.TABLE, name: `${db}.${table}` });

/** Java's `OPS_MAPPING`: operations whose ACL also grants DESCRIBE. */
const IMPLY_DESCRIBE = [OP.DESCRIBE, OP.READ, OP.WRITE, OP.CREATE, OP.DROP, OP.ALTER];

const resourceKey = (r: AclResource) => `${r.type}\u0000${r.name}`;

/** Java `Resource.toString()`. */
function describeResource(r: AclResource): string {
  return `Resource{type=${resourceTypeName(r.type) ?? r.type}, name='${r.name}'}`;
}

/** Java `FlussPrincipal.toString()`. */
function describePrincipal(p: Principal | undefined): string {
  return p ? `FlussPrincipal{name='${p.name}', type='${p.type}'}` : "null";
}

/** `"Type:name"` super-user strings (Java `super.users`, `;`-separated there). */
export function parseSuperUsers(list: readonly string[]): Principal[] {
  return list.map((s) => {
    const i = s.indexOf(":");
    if (i <= 0 || i === s.length - 1) {
      throw FlussError.client(`a super user must be "User:<name>", got ${JSON.stringify(s)}`);
    }
    return { type: s.slice(0, i).trim(), name: s.slice(i + 1).trim() };
  });
}

/** The embedded cluster's authorizer (one per cluster, shared by its servers). */
export class Authorizer {
  /** ACLs by resource key (Java's `aclCache`). */
  private byResource = new Map<string, Map<string, M.PbAclInfo>>();

  constructor(
    private readonly store: AclStore,
    private readonly superUsers: readonly Principal[],
  ) {
    this.index(store.all);
  }

  private index(acls: readonly M.PbAclInfo[]): void {
    const byResource = new Map<string, Map<string, M.PbAclInfo>>();
    for (const a of acls) {
      const k = resourceKey({ type: a.resourceType, name: a.resourceName });
      let entries = byResource.get(k);
      if (!entries) byResource.set(k, (entries = new Map()));
      entries.set(aclKey(a), a);
    }
    this.byResource = byResource;
  }

  private isSuperUser(p: Principal): boolean {
    return this.superUsers.some((s) => s.name === p.name && s.type === p.type);
  }

  /** Whether the session may do `operation` on `resource` (Java `isAuthorized`). */
  isAuthorized(session: ConnectionSession, operation: number, resource: AclResource): boolean {
    const principal = session.principal;
    if (!principal) return false;
    if (this.isSuperUser(principal)) return true;
    const acls = this.matchingAcls(resource);
    const allowed = operation === OP.DESCRIBE ? IMPLY_DESCRIBE : [operation];
    for (const acl of acls) {
      if (acl.permissionType !== PERM.ALLOW) continue;
      const who =
        (acl.principalName === principal.name && acl.principalType === principal.type) ||
        (acl.principalName === WILDCARD && acl.principalType === WILDCARD);
      if (!who) continue;
      if (acl.host !== WILDCARD && acl.host !== session.remoteHost) continue;
      if (acl.operationType === OP.ALL || allowed.includes(acl.operationType as (typeof IMPLY_DESCRIBE)[number])) return true;
    }
    return false;
  }

  /** Throws AUTHORIZATION_EXCEPTION with Java's message unless authorized (AbstractAuthorizer.java:40). */
  authorize(session: ConnectionSession, operation: number, resource: AclResource): void {
    if (!this.isAuthorized(session, operation, resource)) {
      throw new FlussError(
        ErrorCode.AUTHORIZATION_EXCEPTION,
        `Principal ${describePrincipal(session.principal)} have no authorization to operate ${operationName(operation) ?? operation} ` +
          `on resource ${describeResource(resource)}`,
      );
    }
  }

  /** ACLs of the resource, its parents and the wildcard of its type (Java `matchingAcls`). */
  private matchingAcls(resource: AclResource): M.PbAclInfo[] {
    const keys = [resourceKey({ type: resource.type, name: WILDCARD }), resourceKey(resource)];
    if (resource.type === RT.TABLE) {
      keys.push(resourceKey(databaseResource(resource.name.split(".")[0]!)), resourceKey(CLUSTER));
    } else if (resource.type === RT.DATABASE) {
      keys.push(resourceKey(CLUSTER));
    }
    const out: M.PbAclInfo[] = [];
    for (const k of keys) {
      const entries = this.byResource.get(k);
      if (entries) out.push(...entries.values());
    }
    return out;
  }

  /**
   * ACL changes need ALL on the resource, or on its database for a table (Java
   * `authorizeAclOperation`: "the minimum granularity of ACL operation permissions is Database").
   */
  private authorizeAclChange(session: ConnectionSession, resource: AclResource): void {
    const target = resource.type === RT.TABLE ? databaseResource(resource.name.split(".")[0]!) : resource;
    this.authorize(session, OP.ALL, target);
  }

  /** CreateAcls (Java `addAcls`): all resources authorized first, then one durable write. */
  createAcls(session: ConnectionSession, acls: readonly M.PbAclInfo[]): M.PbCreateAclRespInfo[] {
    for (const a of acls) checkCodes(a.resourceType, a.operationType, a.permissionType, false);
    const seen = new Set<string>();
    for (const a of acls) {
      const k = resourceKey({ type: a.resourceType, name: a.resourceName });
      if (seen.has(k)) continue;
      seen.add(k);
      this.authorizeAclChange(session, { type: a.resourceType, name: a.resourceName });
    }
    const next = new Map(this.store.all.map((a) => [aclKey(a), a]));
    for (const a of acls) next.set(aclKey(a), { ...a });
    try {
      this.store.replace([...next.values()]);
    } catch (err) {
      const e = err instanceof FlussError ? err : new FlussError(ErrorCode.UNKNOWN_SERVER_ERROR, String(err));
      return acls.map((acl) => ({ acl, errorCode: e.code, errorMessage: e.message }));
    }
    this.index(this.store.all);
    return acls.map((acl) => ({ acl, errorCode: ErrorCode.NONE }));
  }

  /** DropAcls (Java `dropAcls`): per filter, the ACLs it removed. */
  dropAcls(session: ConnectionSession, filters: readonly M.PbAclFilter[]): M.PbDropAclsFilterResult[] {
    for (const f of filters) checkCodes(f.resourceType, f.operationType, f.permissionType, true);
    const all = this.store.all;
    // every resource some filter matches must be authorized before anything is removed
    const resources = new Map<string, AclResource>();
    for (const a of all) {
      const r = { type: a.resourceType, name: a.resourceName };
      if (filters.some((f) => resourceMatches(f, r))) resources.set(resourceKey(r), r);
    }
    for (const r of resources.values()) this.authorizeAclChange(session, r);
    const removed = new Set<string>();
    const results: M.PbDropAclsFilterResult[] = filters.map((f) => {
      const matchingAcls: M.PbDropAclsMatchingAcl[] = [];
      for (const a of all) {
        const k = aclKey(a);
        // an ACL matched by several filters is reported by the first (Java putIfAbsent)
        if (removed.has(k) || !aclMatches(f, a)) continue;
        removed.add(k);
        matchingAcls.push({ acl: a });
      }
      return { matchingAcls };
    });
    if (removed.size > 0) {
      try {
        this.store.replace(all.filter((a) => !removed.has(aclKey(a))));
      } catch (err) {
        const e = err instanceof FlussError ? err : new FlussError(ErrorCode.UNKNOWN_SERVER_ERROR, String(err));
        return results.map((r) => ({
          matchingAcls: r.matchingAcls.map((m) => ({ ...m, errorCode: e.code, errorMessage: e.message })),
        }));
      }
      this.index(this.store.all);
    }
    return results;
  }

  /** ListAcls (Java `listAcls`): the matching ACLs of resources the session may DESCRIBE. */
  listAcls(session: ConnectionSession, filter: M.PbAclFilter): M.PbAclInfo[] {
    checkCodes(filter.resourceType, filter.operationType, filter.permissionType, true);
    return this.store.all.filter(
      (a) => aclMatches(filter, a) && this.isAuthorized(session, OP.DESCRIBE, { type: a.resourceType, name: a.resourceName }),
    );
  }
}

function checkCodes(resourceType: number, operation: number, permission: number, filter: boolean): void {
  const bad =
    resourceTypeName(resourceType) === undefined ||
    operationName(operation) === undefined ||
    permissionName(permission) === undefined ||
    (!filter && (resourceType === RT.ANY || operation === OP.ANY || permission === PERM.ANY));
  if (bad) {
    throw new FlussError(
      ErrorCode.INVALID_CONFIG_EXCEPTION,
      `Invalid ACL ${filter ? "filter" : "entry"}: resource type ${resourceType}, operation ${operation}, permission ${permission}`,
    );
  }
}

/** Java `ResourceFilter.matches`. */
function resourceMatches(f: M.PbAclFilter, r: AclResource): boolean {
  if (f.resourceType === RT.ANY) return true;
  if (f.resourceName !== undefined && f.resourceName !== r.name) return false;
  return f.resourceType === r.type;
}

/** Java `AclBindingFilter.matches` (resource filter and entry filter). */
function aclMatches(f: M.PbAclFilter, a: M.PbAclInfo): boolean {
  if (!resourceMatches(f, { type: a.resourceType, name: a.resourceName })) return false;
  // a principal filter needs both name and type (CommonRpcMessageUtils.toAclFilter)
  if (f.principalName !== undefined && f.principalType !== undefined) {
    if (f.principalName !== a.principalName || f.principalType !== a.principalType) return false;
  }
  if (f.host !== undefined && f.host !== a.host) return false;
  if (f.operationType !== OP.ANY && f.operationType !== a.operationType) return false;
  if (f.permissionType !== PERM.ANY && f.permissionType !== a.permissionType) return false;
  return true;
}
