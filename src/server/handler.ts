/**
 * Adapts typed request handlers (`(req, ctx) => Promise<Resp>`) to the raw byte handlers
 * the {@link RpcServer} dispatches to.
 */
import { ErrorCode, FlussError } from "../rpc/errors.js";
import type { MessageCodec } from "../rpc/protobuf.js";
import type { RawHandler, RequestContext, ResponseParts } from "./rpc-server.js";

/** A handler working on decoded messages. */
export type TypedHandler<Req, Resp> = (req: Req, ctx: RequestContext) => Promise<Resp> | Resp;

/**
 * Wraps `fn` so it receives the decoded request and its result is encoded. A body that
 * does not decode (bad bytes, missing required field) fails with CORRUPT_MESSAGE naming
 * the message type: the Java server drops such requests silently, which leaves the client
 * waiting for its timeout, so we answer instead (protocol.md §12).
 */
export function typedHandler<Req, Resp>(
  reqCodec: MessageCodec<Req>,
  respCodec: MessageCodec<Resp>,
  fn: TypedHandler<Req, Resp>,
): RawHandler {
  return async (body, ctx) => {
    const resp = await fn(decodeRequest(reqCodec, body), ctx);
    return respCodec.encode(resp);
  };
}

/** {@link typedHandler} for a handler that encodes its response itself, as chunks. */
export function partsHandler<Req>(
  reqCodec: MessageCodec<Req>,
  fn: (req: Req, ctx: RequestContext) => Promise<ResponseParts>,
): RawHandler {
  return (body, ctx) => fn(decodeRequest(reqCodec, body), ctx);
}

function decodeRequest<Req>(reqCodec: MessageCodec<Req>, body: Uint8Array): Req {
  try {
    return reqCodec.decode(body);
  } catch (err) {
    const why = err instanceof Error ? err.message : String(err);
    throw new FlussError(ErrorCode.CORRUPT_MESSAGE, `Failed to parse ${reqCodec.name}: ${why}`, {
      cause: err,
      retriable: false,
    });
  }
}
