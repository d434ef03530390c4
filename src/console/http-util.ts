/** Small HTTP helpers of the web console: JSON bodies and answers, plain-word errors. */
import type { IncomingMessage, ServerResponse } from "node:http";
import { ErrorCode, errorName, FlussError } from "../rpc/errors.js";

/** Largest JSON body the console accepts (a form's row, not a bulk load). */
const MAX_BODY_BYTES = 1 << 20;

/** An error the console answers with `status` and a plain-word message. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/** Sends `body` as JSON. */
export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    "content-type": "application/json; charset=utf-8",
    "content-length": Buffer.byteLength(text),
    "cache-control": "no-store",
  });
  res.end(text);
}

/** The error as the page shows it: a status, one sentence, and Fluss's error name when there is one. */
export function describeError(e: unknown, bootstrap: string): { status: number; error: string; code?: string } {
  if (e instanceof HttpError) return { status: e.status, error: e.message };
  if (e instanceof FlussError) {
    const unreachable =
      e.code === ErrorCode.NETWORK_EXCEPTION ||
      /ECONNREFUSED|ECONNRESET|EHOSTUNREACH|ETIMEDOUT|timed out|cannot connect|could not connect/i.test(e.message);
    if (unreachable) {
      const why = /\(([A-Z]+)\)/.exec(e.message)?.[1] ?? e.message;
      return {
        status: 503,
        error: `The Fluss cluster at ${bootstrap} cannot be reached (${why}). Is it running?`,
        code: errorName(e.code),
      };
    }
    const status = e.code === ErrorCode.CLIENT_ERROR ? 400 : /NOT_EXIST/.test(errorName(e.code)) ? 404 : 502;
    return { status, error: e.message, code: errorName(e.code) };
  }
  return { status: 500, error: e instanceof Error ? e.message : String(e) };
}

/** Reads a JSON object body; refuses other content types (a plain HTML form cannot post JSON: no cross-site writes). */
export async function readJsonBody(req: IncomingMessage): Promise<Record<string, unknown>> {
  const type = req.headers["content-type"] ?? "";
  if (!type.startsWith("application/json")) throw new HttpError(415, "send the request body as application/json");
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY_BYTES) throw new HttpError(413, `the request body is larger than ${MAX_BODY_BYTES} bytes`);
    chunks.push(chunk);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.concat(chunks).toString("utf8"));
  } catch (e) {
    throw new HttpError(400, `the request body is not valid JSON: ${(e as Error).message}`);
  }
  if (parsed === null || typeof parsed !== "object" || Array.isArray(parsed)) {
    throw new HttpError(400, "the request body must be a JSON object");
  }
  return parsed as Record<string, unknown>;
}

/**
 * True when the Host header names this machine: a page from another site that resolves
 * its own name to 127.0.0.1 (DNS rebinding) must not reach the console.
 */
export function isLocalHost(hostHeader: string | undefined, boundHost: string): boolean {
  if (hostHeader === undefined) return false;
  const name = hostHeader.startsWith("[") ? hostHeader.slice(0, hostHeader.indexOf("]") + 1) : hostHeader.split(":")[0]!;
  return ["localhost", "127.0.0.1", "[::1]", boundHost, `[${boundHost}]`].includes(name.toLowerCase());
}
