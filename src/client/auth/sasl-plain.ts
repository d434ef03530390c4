/**
 * The client side of SASL/PLAIN (protocol.md §11; Java `SaslClientAuthenticator`, Rust
 * `ServerConnection::authenticate`): right after ApiVersions every new connection sends
 * AuthenticateRequest{protocol "PLAIN", token `NUL username NUL password`}; PLAIN is complete
 * after that one round. RETRIABLE_AUTHENTICATE_EXCEPTION is retried with Java's backoff
 * (100 ms doubling to 5 s, ±20 % jitter) within the connection's handshake time; any other
 * failure is one AUTHENTICATE_EXCEPTION naming the user and the server, never the password.
 */
import { ApiKey } from "../../rpc/api-keys.js";
import { ErrorCode, FlussError } from "../../rpc/errors.js";
import type { ConnectionAuthenticator } from "../../rpc/server-connection.js";
import { utf8Encode } from "../../util/bytes.js";
import type { Config } from "../config.js";
import { backoffMs, sleep } from "../retry.js";
import { parsePlainJaasConfig } from "./jaas.js";

/** Java `ServerConnection`'s `new ExponentialBackoff(100L, 2, 5000L, 0.2)`. */
const AUTH_BACKOFF = { baseMs: 100, maxMs: 5000, jitter: 0.2 } as const;

/**
 * The authenticator `config` asks for: undefined for PLAINTEXT (nothing is sent, as Java's
 * PlainTextClientAuthenticator), a SASL/PLAIN one for SASL.
 */
export function authenticatorFor(config: Config): ConnectionAuthenticator | undefined {
  if (config.get("client.security.protocol") !== "SASL") return undefined;
  // the username/password keys win over the JAAS line (Java's order)
  const jaasText = config.get("client.security.sasl.jaas.config");
  const jaas = jaasText === "" ? {} : parsePlainJaasConfig(jaasText);
  const username = config.get("client.security.sasl.username") || jaas.username || "";
  const password = config.get("client.security.sasl.password") || jaas.password || "";
  return plainAuthenticator(username, password);
}

/** A SASL/PLAIN authenticator for `username`; the password stays in this closure. */
export function plainAuthenticator(username: string, password: string): ConnectionAuthenticator {
  // RFC 4616 message with an empty authzid, as the Java and Rust clients send it
  const token = utf8Encode(`\u0000${username}\u0000${password}`);
  return async (conn, timeoutMs) => {
    const deadline = Date.now() + timeoutMs;
    for (let attempt = 0; ; attempt++) {
      try {
        // PLAIN is complete after one round: a (zero-length) challenge needs no answer
        await conn.request(ApiKey.AUTHENTICATE, { protocol: "PLAIN", token }, { timeoutMs: Math.max(1, deadline - Date.now()) });
        return;
      } catch (err) {
        if (!(err instanceof FlussError)) throw err;
        if (err.code === ErrorCode.RETRIABLE_AUTHENTICATE_EXCEPTION) {
          const wait = backoffMs(attempt, AUTH_BACKOFF.baseMs, AUTH_BACKOFF.maxMs, AUTH_BACKOFF.jitter);
          if (Date.now() + wait < deadline) {
            await sleep(wait);
            continue;
          }
          throw new FlussError(
            ErrorCode.RETRIABLE_AUTHENTICATE_EXCEPTION,
            `SASL/PLAIN authentication of user "${username}" to ${conn.address} did not succeed within ${timeoutMs} ms ` +
              `(${attempt + 1} attempts): ${err.message}`,
            { cause: err },
          );
        }
        if (err.code === ErrorCode.AUTHENTICATE_EXCEPTION || err.code === ErrorCode.UNSUPPORTED_VERSION) {
          throw new FlussError(
            ErrorCode.AUTHENTICATE_EXCEPTION,
            `SASL/PLAIN authentication of user "${username}" to ${conn.address} failed: ${err.message}`,
            { cause: err, retriable: false },
          );
        }
        throw err;
      }
    }
  };
}
