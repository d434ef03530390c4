/**
 * The ACL calls of `FlussAdmin` (Java `FlussAdmin#createAcls/listAcls/dropAcls`), on plain
 * objects (`metadata/acl.ts`). A refused call is the server's FlussError
 * (AUTHORIZATION_EXCEPTION naming principal, operation and resource; SECURITY_DISABLED
 * when the cluster has no authorizer).
 */
import { ApiKey, type MessageApiKey, type RequestOf, type ResponseOf } from "../rpc/api-keys.js";
import { ErrorCode, FlussError } from "../rpc/errors.js";
import type { PbAclInfo } from "../rpc/messages.js";
import {
  fromPbAclInfo,
  toPbAclFilter,
  toPbAclInfo,
  type AclBinding,
  type AclBindingFilter,
  type AclBindingInfo,
} from "../metadata/acl.js";

/** Sends one request to the coordinator (the admin's `call`). */
export type CoordinatorCall = <K extends MessageApiKey>(apiKey: K, request: RequestOf<K>) => Promise<ResponseOf<K>>;

function describeAcl(a: PbAclInfo): string {
  const b = fromPbAclInfo(a);
  return `${b.permission} ${b.principal} ${b.operation} on ${b.resourceType} ${b.resourceName} from host ${b.host}`;
}

function checkList<T>(value: unknown, what: string): T[] {
  if (!Array.isArray(value)) throw FlussError.client(`${what} takes an array, got ${String(value)}`);
  return value as T[];
}

/** CreateAcls: resolves when every ACL was stored; else throws the first failure, naming its ACL. */
export async function createAcls(call: CoordinatorCall, acls: readonly AclBinding[]): Promise<void> {
  const pb = checkList<AclBinding>(acls, "createAcls").map(toPbAclInfo);
  if (pb.length === 0) return;
  const resp = await call(ApiKey.CREATE_ACLS, { acl: pb });
  for (const r of resp.aclRes) {
    if (r.errorCode !== undefined && r.errorCode !== ErrorCode.NONE) {
      throw new FlussError(r.errorCode, `cannot create ACL (${describeAcl(r.acl)}): ${r.errorMessage ?? ""}`);
    }
  }
}

/** ListAcls: the ACLs matching `filter` on resources the caller may DESCRIBE. */
export async function listAcls(call: CoordinatorCall, filter: AclBindingFilter = {}): Promise<AclBindingInfo[]> {
  const resp = await call(ApiKey.LIST_ACLS, { aclFilter: toPbAclFilter(filter) });
  return resp.acl.map(fromPbAclInfo);
}

/** DropAcls: removes the ACLs matching any filter and returns them; throws the first failure. */
export async function dropAcls(call: CoordinatorCall, filters: readonly AclBindingFilter[]): Promise<AclBindingInfo[]> {
  const pb = checkList<AclBindingFilter>(filters, "dropAcls").map(toPbAclFilter);
  if (pb.length === 0) return [];
  const resp = await call(ApiKey.DROP_ACLS, { aclFilter: pb });
  const removed: AclBindingInfo[] = [];
  for (const r of resp.filterResults) {
    if (r.errorCode !== undefined && r.errorCode !== ErrorCode.NONE) {
      throw new FlussError(r.errorCode, `cannot drop ACLs: ${r.errorMessage ?? ""}`);
    }
    for (const m of r.matchingAcls) {
      if (m.errorCode !== undefined && m.errorCode !== ErrorCode.NONE) {
        throw new FlussError(m.errorCode, `cannot drop ACL (${describeAcl(m.acl)}): ${m.errorMessage ?? ""}`);
      }
      removed.push(fromPbAclInfo(m.acl));
    }
  }
  return removed;
}
