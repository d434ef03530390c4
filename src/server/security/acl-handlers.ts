/**
 * CreateAcls, ListAcls and DropAcls (Java `CoordinatorService#createAcls/dropAcls`,
 * `RpcServiceBase#listAcls`). Without an authorizer they fail with
 * SECURITY_DISABLED_EXCEPTION, as Java's do.
 */
import { ApiKey } from "../../rpc/api-keys.js";
import { ErrorCode, FlussError } from "../../rpc/errors.js";
import * as M from "../../rpc/messages.js";
import { typedHandler } from "../handler.js";
import type { RawHandler } from "../rpc-server.js";
import type { Authorizer } from "./authorizer.js";

function disabled(): never {
  throw new FlussError(ErrorCode.SECURITY_DISABLED_EXCEPTION, "No Authorizer is configured.");
}

/** The three ACL handlers, by api key. */
export function aclHandlers(authorizer: Authorizer | undefined): Map<number, RawHandler> {
  const h = new Map<number, RawHandler>();
  h.set(
    ApiKey.CREATE_ACLS,
    typedHandler(M.CreateAclsRequest, M.CreateAclsResponse, (req, ctx) => ({
      aclRes: authorizer ? authorizer.createAcls(ctx.session, req.acl) : disabled(),
    })),
  );
  h.set(
    ApiKey.LIST_ACLS,
    typedHandler(M.ListAclsRequest, M.ListAclsResponse, (req, ctx) => ({
      acl: authorizer ? authorizer.listAcls(ctx.session, req.aclFilter) : disabled(),
    })),
  );
  h.set(
    ApiKey.DROP_ACLS,
    typedHandler(M.DropAclsRequest, M.DropAclsResponse, (req, ctx) => ({
      filterResults: authorizer ? authorizer.dropAcls(ctx.session, req.aclFilter) : disabled(),
    })),
  );
  return h;
}
