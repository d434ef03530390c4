/**
 * The server side of SASL/PLAIN (RFC 4616), as Java's `PlainSaslServer`: the token is
 * `[authzid] NUL username NUL password` in UTF-8, exactly three parts, neither username nor
 * password empty, the credentials those of a configured user, and an authzid that is empty
 * or the username. Every failure is AUTHENTICATE_EXCEPTION with Java's message; none of
 * them repeats the password.
 */
import { timingSafeEqual } from "node:crypto";
import { ErrorCode, FlussError } from "../../rpc/errors.js";

/** Java `PlainSaslServer.PLAIN_MECHANISM`. */
export const PLAIN_MECHANISM = "PLAIN";

function authError(message: string): FlussError {
  return new FlussError(ErrorCode.AUTHENTICATE_EXCEPTION, message);
}

/** Compares without leaking the position of the first difference through timing. */
function samePassword(given: string, expected: string): boolean {
  const a = Buffer.from(given, "utf8");
  const b = Buffer.from(expected, "utf8");
  return a.length === b.length && timingSafeEqual(a, b);
}

/**
 * Checks a PLAIN token against `users` (username → password) and returns the
 * authenticated username (PlainSaslServer.java:63-110).
 */
export function evaluatePlainToken(token: Uint8Array, users: ReadonlyMap<string, string>): string {
  const text = Buffer.from(token.buffer, token.byteOffset, token.byteLength).toString("utf8");
  // at most four pieces, as Java's extractTokens: a fourth NUL makes it 4 tokens
  const parts: string[] = [];
  let start = 0;
  for (let i = 0; i < 4; i++) {
    const end = text.indexOf("\u0000", start);
    if (end === -1) {
      parts.push(text.slice(start));
      break;
    }
    parts.push(text.slice(start, end));
    start = end + 1;
  }
  if (parts.length !== 3) throw authError(`Invalid SASL/PLAIN response: expected 3 tokens, got ${parts.length}`);
  const [authzid, username, password] = parts as [string, string, string];
  if (username === "") throw authError("Authentication failed: username not specified");
  if (password === "") throw authError("Authentication failed: password not specified");
  const expected = users.get(username);
  if (expected === undefined || !samePassword(password, expected)) {
    throw authError("Authentication failed: Invalid username or password");
  }
  if (authzid !== "" && authzid !== username) {
    throw authError("Authentication failed: Client requested an authorization id that is different from username");
  }
  return username;
}
