/**
 * Access-control lists as plain objects: the public shapes of `admin.createAcls`,
 * `listAcls` and `dropAcls`, their codes on the wire (Java `ResourceType`,
 * `OperationType`, `PermissionType`) and the conversions to and from `PbAclInfo` /
 * `PbAclFilter`. Shared by the client and the embedded cluster's authorizer.
 */
import { FlussError } from "../rpc/errors.js";
import type { PbAclFilter, PbAclInfo } from "../rpc/messages.js";

/** What an ACL protects (Java `ResourceType`; `ANY` only in filters). */
export type AclResourceType = "CLUSTER" | "DATABASE" | "TABLE";
/**
 * What an ACL allows (Java `OperationType`). `ALL` allows every operation; READ, WRITE,
 * CREATE, DROP and ALTER each imply DESCRIBE. `ANY` only in filters.
 */
export type AclOperation = "ALL" | "READ" | "WRITE" | "CREATE" | "DROP" | "ALTER" | "DESCRIBE";
/** Java `PermissionType`: Fluss has ALLOW rules only (`ANY` only in filters). */
export type AclPermission = "ALLOW";

/** One ACL: `principal` may do `operation` on the resource, from `host`. */
export interface AclBinding {
  /** CLUSTER, DATABASE or TABLE. */
  readonly resourceType: AclResourceType;
  /**
   * DATABASE: the database name; TABLE: `"db.table"`; `"*"`: every resource of the type.
   * CLUSTER: omitted (the cluster is `"fluss-cluster"`).
   */
  readonly resourceName?: string;
  /** `"Type:name"` as Java's `FlussPrincipal`, e.g. `"User:alice"`; `"*"` for every principal. */
  readonly principal: string;
  /** The client's IP address, or `"*"` (the default) for any. */
  readonly host?: string;
  /** The operation allowed. */
  readonly operation: AclOperation;
  /** ALLOW (the default and only kind). */
  readonly permission?: AclPermission;
}

/** An {@link AclBinding} as the cluster reports it: every field filled in. */
export interface AclBindingInfo {
  /** CLUSTER, DATABASE or TABLE. */
  readonly resourceType: AclResourceType;
  /** `"fluss-cluster"`, the database name, `"db.table"`, or `"*"`. */
  readonly resourceName: string;
  /** `"Type:name"`, or `"*"` for every principal. */
  readonly principal: string;
  /** The client IP the ACL applies to, or `"*"`. */
  readonly host: string;
  /** The operation allowed. */
  readonly operation: AclOperation;
  /** Always ALLOW. */
  readonly permission: AclPermission;
}

/** Which ACLs `listAcls` returns and `dropAcls` removes; an absent field matches anything. */
export interface AclBindingFilter {
  /** Default `"ANY"`. */
  readonly resourceType?: AclResourceType | "ANY";
  /** Exact resource name (ignored with resourceType ANY, as in Java). */
  readonly resourceName?: string;
  /** Exact principal, `"Type:name"` or `"*"` (the wildcard ACLs themselves). */
  readonly principal?: string;
  /** Exact host. */
  readonly host?: string;
  /** Default `"ANY"`. */
  readonly operation?: AclOperation | "ANY";
  /** Default `"ANY"`. */
  readonly permission?: AclPermission | "ANY";
}

/** Java `ResourceType` codes. */
export const RESOURCE_TYPE_CODES = { ANY: 1, CLUSTER: 2, DATABASE: 3, TABLE: 4 } as const;
/** Java `OperationType` codes. */
export const OPERATION_CODES = {
  ANY: 1,
  ALL: 2,
  READ: 3,
  WRITE: 4,
  CREATE: 5,
  DROP: 6,
  ALTER: 7,
  DESCRIBE: 8,
} as const;
/** Java `PermissionType` codes. */
export const PERMISSION_CODES = { ANY: 1, ALLOW: 2 } as const;

/** Java `Resource.FLUSS_CLUSTER`: the name of the one cluster resource. */
export const CLUSTER_RESOURCE_NAME = "fluss-cluster";
/** Java `Resource.WILDCARD_RESOURCE` / `AccessControlEntry.WILD_CARD_HOST`. */
export const WILDCARD = "*";

function nameOf<T extends Record<string, number>>(codes: T, code: number): keyof T | undefined {
  for (const [k, v] of Object.entries(codes)) if (v === code) return k as keyof T;
  return undefined;
}

/** The name of a resource type code, or undefined. */
export function resourceTypeName(code: number): keyof typeof RESOURCE_TYPE_CODES | undefined {
  return nameOf(RESOURCE_TYPE_CODES, code);
}
/** The name of an operation code, or undefined. */
export function operationName(code: number): keyof typeof OPERATION_CODES | undefined {
  return nameOf(OPERATION_CODES, code);
}
/** The name of a permission code, or undefined. */
export function permissionName(code: number): keyof typeof PERMISSION_CODES | undefined {
  return nameOf(PERMISSION_CODES, code);
}

/** Splits `"Type:name"` (or `"*"`) into Java's principal (name, type). */
function parsePrincipal(principal: string, what = "principal"): { name: string; type: string } {
  if (principal === WILDCARD) return { name: WILDCARD, type: WILDCARD };
  const i = typeof principal === "string" ? principal.indexOf(":") : -1;
  if (i <= 0 || i === principal.length - 1) {
    throw FlussError.client(`${what} must be "Type:name" (e.g. "User:alice") or "*", got ${JSON.stringify(principal)}`);
  }
  return { type: principal.slice(0, i), name: principal.slice(i + 1) };
}

/** `"Type:name"`, or `"*"` for Java's wildcard principal. */
function formatPrincipal(name: string, type: string): string {
  return name === WILDCARD && type === WILDCARD ? WILDCARD : `${type}:${name}`;
}

function enumValue<T extends Record<string, number>>(codes: T, value: unknown, field: string, allowAny: boolean): number {
  const key = typeof value === "string" ? value.toUpperCase() : undefined;
  const code = key !== undefined && (allowAny || key !== "ANY") ? codes[key as keyof T] : undefined;
  if (code === undefined) {
    const names = Object.keys(codes).filter((k) => allowAny || k !== "ANY");
    throw FlussError.client(`ACL ${field} must be one of ${names.join(", ")}, got ${JSON.stringify(value)}`);
  }
  return code;
}

/** Checks an {@link AclBinding} and converts it to its wire form. */
export function toPbAclInfo(binding: AclBinding): PbAclInfo {
  if (typeof binding !== "object" || binding === null)
    throw FlussError.client(`an ACL must be an object, got ${String(binding)}`);
  const resourceType = enumValue(RESOURCE_TYPE_CODES, binding.resourceType, "resourceType", false);
  const resourceName = resourceNameFor(resourceType, binding.resourceName);
  const { name, type } = parsePrincipal(binding.principal);
  return {
    resourceName,
    resourceType,
    principalName: name,
    principalType: type,
    host: binding.host ?? WILDCARD,
    operationType: enumValue(OPERATION_CODES, binding.operation, "operation", false),
    permissionType: enumValue(PERMISSION_CODES, binding.permission ?? "ALLOW", "permission", false),
  };
}

function resourceNameFor(type: number, name: string | undefined): string {
  if (type === RESOURCE_TYPE_CODES.CLUSTER) {
    if (name !== undefined && name !== CLUSTER_RESOURCE_NAME) {
      throw FlussError.client(
        `a CLUSTER ACL has no resource name (the cluster is "${CLUSTER_RESOURCE_NAME}"), got ${JSON.stringify(name)}`,
      );
    }
    return CLUSTER_RESOURCE_NAME;
  }
  const kind = type === RESOURCE_TYPE_CODES.TABLE ? "TABLE" : "DATABASE";
  if (typeof name !== "string" || name === "") {
    throw FlussError.client(`a ${kind} ACL needs resourceName (${kind === "TABLE" ? '"db.table"' : "the database name"} or "*")`);
  }
  if (kind === "TABLE" && name !== WILDCARD && !/^[^.]+\.[^.]+$/.test(name)) {
    throw FlussError.client(`a TABLE ACL's resourceName must be "db.table" or "*", got ${JSON.stringify(name)}`);
  }
  return name;
}

/** Checks an {@link AclBindingFilter} and converts it to its wire form. */
export function toPbAclFilter(filter: AclBindingFilter = {}): PbAclFilter {
  if (typeof filter !== "object" || filter === null)
    throw FlussError.client(`an ACL filter must be an object, got ${String(filter)}`);
  const out: PbAclFilter = {
    resourceType: enumValue(RESOURCE_TYPE_CODES, filter.resourceType ?? "ANY", "resourceType", true),
    operationType: enumValue(OPERATION_CODES, filter.operation ?? "ANY", "operation", true),
    permissionType: enumValue(PERMISSION_CODES, filter.permission ?? "ANY", "permission", true),
  };
  if (filter.resourceName !== undefined) out.resourceName = filter.resourceName;
  if (filter.principal !== undefined) {
    const { name, type } = parsePrincipal(filter.principal, "filter principal");
    out.principalName = name;
    out.principalType = type;
  }
  if (filter.host !== undefined) out.host = filter.host;
  return out;
}

/** The public form of a wire ACL (codes the client does not know become CLIENT_ERROR). */
export function fromPbAclInfo(info: PbAclInfo): AclBindingInfo {
  const resourceType = resourceTypeName(info.resourceType);
  const operation = operationName(info.operationType);
  const permission = permissionName(info.permissionType);
  if (!resourceType || resourceType === "ANY" || !operation || operation === "ANY" || permission !== "ALLOW") {
    throw FlussError.client(
      `unknown ACL codes from the server: resource type ${info.resourceType}, operation ${info.operationType}, permission ${info.permissionType}`,
    );
  }
  return {
    resourceType,
    resourceName: info.resourceName,
    principal: formatPrincipal(info.principalName, info.principalType),
    host: info.host,
    operation,
    permission,
  };
}
