/**
 * `client.security.sasl.jaas.config` (Java `ConfigOptions.CLIENT_SASL_JAAS_CONFIG`, kept
 * for backward compatibility): one JAAS line naming Fluss's PlainLoginModule, e.g.
 * `org.apache.fluss.security.auth.sasl.plain.PlainLoginModule required username="admin"
 * password="admin-secret";`. Errors never repeat the line: it holds a password.
 */
import { FlussError } from "../../rpc/errors.js";

/** The user name and password of a PlainLoginModule JAAS line. */
export function parsePlainJaasConfig(text: string): { username?: string; password?: string } {
  const bad = (why: string): never => {
    throw FlussError.client(`config "client.security.sasl.jaas.config": ${why}`);
  };
  const tokens = /^\s*([\w.$]+)\s+(required|requisite|sufficient|optional)\b(.*?);?\s*$/is.exec(text);
  if (!tokens) return bad('expected "<LoginModule> required key="value" ...;"');
  const [, module, , rest] = tokens as unknown as [string, string, string, string];
  if (!module.endsWith("PlainLoginModule")) return bad(`only PlainLoginModule is supported (SASL/PLAIN), got ${module}`);
  const out: { username?: string; password?: string } = {};
  const option = /\s*([\w.-]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s";]+))/gy;
  let at = 0;
  for (let m = option.exec(rest); m; m = option.exec(rest)) {
    at = option.lastIndex;
    const value = m[2] !== undefined ? m[2].replace(/\\(.)/g, "$1") : m[3]!;
    if (m[1] === "username") out.username = value;
    else if (m[1] === "password") out.password = value;
  }
  if (rest.slice(at).trim() !== "") bad('options must be key=value or key="value"');
  return out;
}
