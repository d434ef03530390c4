/**
 * The AUTHENTICATE handler of a listener (Java `NettyServerHandler#handleAuthenticateRequest`
 * with `SaslServerAuthenticator` or `PlainTextServerAuthenticator`). It sets the
 * connection's principal, which `RpcServer` checks before serving anything else.
 */
import { ErrorCode, FlussError } from "../../rpc/errors.js";
import * as M from "../../rpc/messages.js";
import { typedHandler } from "../handler.js";
import type { RawHandler } from "../rpc-server.js";
import { PLAIN_MECHANISM, evaluatePlainToken } from "./sasl-plain.js";

/** Java's `AUTH_PROTOCOL` of a PLAINTEXT listener. */
const PLAINTEXT = "PLAINTEXT";
const EMPTY = new Uint8Array(0);

/**
 * `users` set: a SASL/PLAIN listener checking credentials against them. Undefined: a
 * PLAINTEXT listener, which only accepts protocol "PLAINTEXT" (every connection is already
 * the anonymous principal).
 */
export function authenticateHandler(users: ReadonlyMap<string, string> | undefined): RawHandler {
  return typedHandler(M.AuthenticateRequest, M.AuthenticateResponse, (req, ctx) => {
    if (users === undefined) {
      if (req.protocol.toUpperCase() !== PLAINTEXT) {
        throw new FlussError(
          ErrorCode.AUTHENTICATE_EXCEPTION,
          `Authenticate protocol not match: protocol of server is '${PLAINTEXT}' while protocol of client is '${req.protocol}'`,
        );
      }
      return {};
    }
    // SaslServerAuthenticator.java:147: the mechanism must be enabled (case-insensitive)
    if (req.protocol.toUpperCase() !== PLAIN_MECHANISM) {
      throw new FlussError(
        ErrorCode.AUTHENTICATE_EXCEPTION,
        `SASL server enables [${PLAIN_MECHANISM}] while protocol of client is '${req.protocol}'`,
      );
    }
    // already complete: nothing is evaluated again (NettyServerHandler.java:361)
    if (ctx.session.principal !== undefined) return {};
    const username = evaluatePlainToken(req.token, users);
    ctx.session.principal = { name: username, type: "User" };
    // PLAIN completes with a zero-length challenge, which Java puts in the response
    return { challenge: EMPTY };
  });
}
