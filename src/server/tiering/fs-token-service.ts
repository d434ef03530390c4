/**
 * GetFileSystemSecurityToken (api key 1025), served by the coordinator and the tablet
 * servers (Java `RpcServiceBase.getFileSystemSecurityToken`): the token of the file system
 * of `remote.data.dir`, which clients use to read remote segments. This cluster's remote
 * storage is the local file system, whose token in Java (`LocalFileSystem.TOKEN`) is scheme
 * `file`, an empty token, no expiration and no additional information.
 */
import { ApiKey } from "../../rpc/api-keys.js";
import * as M from "../../rpc/messages.js";
import { typedHandler } from "../handler.js";
import type { RawHandler } from "../rpc-server.js";

/** The GetFileSystemSecurityToken handler. */
export function fsTokenHandlers(): Map<number, RawHandler> {
  return new Map([
    [
      ApiKey.GET_FILESYSTEM_SECURITY_TOKEN,
      typedHandler(M.GetFileSystemSecurityTokenRequest, M.GetFileSystemSecurityTokenResponse, () => ({
        schema: "file",
        token: new Uint8Array(0),
        additionInfo: [],
      })),
    ],
  ]);
}
