/**
 * The cluster's ACLs on disk: `<dataDir>/catalog/acls.json`, next to the catalog and
 * rewritten whole the same crash-safe way (temp file + fsync + rename + directory fsync)
 * before a change becomes visible (Java keeps them in ZooKeeper, one node per resource).
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { ErrorCode, FlussError } from "../../rpc/errors.js";
import type { PbAclInfo } from "../../rpc/messages.js";
import { describeOsCause, readTextIfExists } from "../storage/storage-errors.js";
import { TEMP_SUFFIX, writeFileAtomicSync } from "../storage/atomic-file.js";

/** File name of the ACLs inside the catalog directory. */
const ACL_FILE = "acls.json";

/** Key of one ACL (every field): a set of these dedups equal entries, as Java's HashSet. */
export function aclKey(a: PbAclInfo): string {
  return JSON.stringify([
    a.resourceType,
    a.resourceName,
    a.principalType,
    a.principalName,
    a.host,
    a.operationType,
    a.permissionType,
  ]);
}

function isAcl(v: unknown): v is PbAclInfo {
  if (typeof v !== "object" || v === null) return false;
  const o = v as Record<string, unknown>;
  return (
    typeof o.resourceName === "string" &&
    typeof o.principalName === "string" &&
    typeof o.principalType === "string" &&
    typeof o.host === "string" &&
    Number.isInteger(o.resourceType) &&
    Number.isInteger(o.operationType) &&
    Number.isInteger(o.permissionType)
  );
}

/** The persisted ACL list. */
export class AclStore {
  private readonly file: string;
  private acls: PbAclInfo[];

  private constructor(file: string, acls: PbAclInfo[]) {
    this.file = file;
    this.acls = acls;
  }

  /** Reads `<catalogDir>/acls.json` (none: no ACLs). A corrupt file fails with STORAGE_EXCEPTION. */
  static open(catalogDir: string): AclStore {
    const file = path.join(catalogDir, ACL_FILE);
    try {
      fs.rmSync(file + TEMP_SUFFIX, { force: true });
    } catch (e) {
      throw new FlussError(ErrorCode.STORAGE_EXCEPTION, `Cannot prepare ACL file ${file}: ${describeOsCause(e)}`, { cause: e });
    }
    const text = readTextIfExists(file, "ACL file");
    if (text === undefined) return new AclStore(file, []);
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch (e) {
      throw new FlussError(ErrorCode.STORAGE_EXCEPTION, `ACL file ${file} is not valid JSON`, { cause: e });
    }
    const list = (parsed as { acls?: unknown } | null)?.acls;
    if (!Array.isArray(list) || !list.every(isAcl)) {
      throw new FlussError(ErrorCode.STORAGE_EXCEPTION, `ACL file ${file} does not hold {"version":1,"acls":[...]}`);
    }
    return new AclStore(
      file,
      list.map((a) => ({ ...a })),
    );
  }

  /** Every ACL. */
  get all(): readonly PbAclInfo[] {
    return this.acls;
  }

  /** Replaces the list durably, then in memory (a failed write changes nothing). */
  replace(acls: PbAclInfo[]): void {
    const json = JSON.stringify({ version: 1, acls }, null, 1);
    try {
      writeFileAtomicSync(this.file, json);
    } catch (e) {
      throw new FlussError(ErrorCode.STORAGE_EXCEPTION, `Cannot write ACL file ${this.file}: ${describeOsCause(e)}`, {
        cause: e,
      });
    }
    this.acls = acls;
  }
}
