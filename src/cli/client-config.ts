/**
 * The client configuration of a command, merged from its sources, highest precedence first:
 * `--bootstrap-servers` (the address only), `--config key=value`, the environment
 * (`$FLUSS_BOOTSTRAP_SERVERS`, `$FLUSS_SASL_USERNAME`, `$FLUSS_SASL_PASSWORD`), a config
 * file (`--config-file FILE`, else `$FLUSS_CONFIG_FILE`: `key=value` lines), the CLI's
 * defaults. The environment and the file keep a password out of the command line (`ps`).
 * Keys are compared by the option they set, so a file's `security.sasl.password` (the Rust
 * client's spelling) is overridden by `-c client.security.sasl.password=...`.
 */
import { readFileSync } from "node:fs";
import type { Config } from "../client/config.js";
import { parseKeyValueLines } from "../util/key-value-lines.js";
import { DEFAULT_BOOTSTRAP_SERVERS, messageOf, usageError } from "./runtime.js";

/** Environment variables read by every command but `local`. */
const ENV_BOOTSTRAP_SERVERS = "FLUSS_BOOTSTRAP_SERVERS";
const ENV_SASL_USERNAME = "FLUSS_SASL_USERNAME";
const ENV_SASL_PASSWORD = "FLUSS_SASL_PASSWORD";
const ENV_CONFIG_FILE = "FLUSS_CONFIG_FILE";

/** What the configuration is made of: the global options and the environment. */
export interface ConfigInputs {
  readonly bootstrapServers?: string | undefined;
  /** `--config key=value` items, in order (a later one wins). */
  readonly config?: readonly string[] | undefined;
  readonly configFile?: string | undefined;
  readonly env: Readonly<Record<string, string | undefined>>;
}

/** One setting and where it came from (named in errors; never its value). */
interface Setting {
  readonly name: string;
  readonly value: string | number;
  readonly source: string;
}

/** The merged configuration and the cluster address it names. */
export interface ResolvedConfig {
  readonly config: Config;
  readonly bootstrapServers: string;
}

/** Merges the sources (see the module comment); a bad source is a usage error naming it. */
export async function resolveClientConfig(inputs: ConfigInputs): Promise<ResolvedConfig> {
  const { Config } = await import("../client/config.js");
  const env = (name: string): string | undefined => {
    const v = inputs.env[name];
    return v === undefined || v === "" ? undefined : v;
  };
  const layers: Setting[][] = [
    [{ name: "connect.timeout.ms", value: 10_000, source: "the CLI's default" }],
    readConfigFile(inputs.configFile ?? env(ENV_CONFIG_FILE)),
    envSettings(inputs.env, env),
    commandLineSettings(inputs.config ?? []),
  ];
  if (inputs.bootstrapServers !== undefined) {
    layers.push([{ name: "bootstrap.servers", value: inputs.bootstrapServers, source: "--bootstrap-servers" }]);
  }
  const byKey = new Map<string, Setting>();
  for (const layer of layers) {
    for (const s of layer) byKey.set(Config.keyOf(s.name) ?? s.name, s);
  }
  // credentials in the environment mean SASL, unless a source names the protocol
  const envUser = env(ENV_SASL_USERNAME) !== undefined ? ENV_SASL_USERNAME : undefined;
  const envCredential = envUser ?? (env(ENV_SASL_PASSWORD) !== undefined ? ENV_SASL_PASSWORD : undefined);
  if (envCredential && !byKey.has("client.security.protocol")) {
    byKey.set("client.security.protocol", { name: "client.security.protocol", value: "SASL", source: `$${envCredential}` });
  }
  if (!byKey.has("bootstrap.servers")) {
    byKey.set("bootstrap.servers", { name: "bootstrap.servers", value: DEFAULT_BOOTSTRAP_SERVERS, source: "the default" });
  }
  const record: Record<string, string | number> = {};
  for (const s of byKey.values()) record[s.name] = s.value;
  try {
    return { config: Config.fromRecord(record), bootstrapServers: String(byKey.get("bootstrap.servers")!.value) };
  } catch (e) {
    // Config's messages quote the option they are about (never a secret's value)
    const m = messageOf(e);
    // the option named first (a "did you mean" suggestion comes after the key at fault)
    let culprit: Setting | undefined;
    let at = Number.POSITIVE_INFINITY;
    for (const [k, s] of byKey) {
      for (const name of [k, s.name]) {
        const i = m.indexOf(`"${name}"`);
        if (i >= 0 && i < at) [culprit, at] = [s, i];
      }
    }
    throw usageError(`${culprit?.source ?? "--config"}: ${m}`);
  }
}

/** `--config key=value` items. The item is not repeated in errors: it may hold a password. */
function commandLineSettings(items: readonly string[]): Setting[] {
  return items.map((item, i) => {
    const eq = item.indexOf("=");
    if (item.slice(0, Math.max(eq, 0)).trim() === "") {
      throw usageError(`--config takes KEY=VALUE: item ${i + 1} of --config has no "KEY="`);
    }
    return { name: item.slice(0, eq).trim(), value: item.slice(eq + 1), source: "--config" };
  });
}

/** `$FLUSS_BOOTSTRAP_SERVERS` (as before: set means used) and the SASL credentials. */
function envSettings(raw: Readonly<Record<string, string | undefined>>, env: (name: string) => string | undefined): Setting[] {
  const out: Setting[] = [];
  const servers = raw[ENV_BOOTSTRAP_SERVERS];
  if (servers !== undefined) out.push({ name: "bootstrap.servers", value: servers, source: `$${ENV_BOOTSTRAP_SERVERS}` });
  const user = env(ENV_SASL_USERNAME);
  if (user !== undefined) out.push({ name: "client.security.sasl.username", value: user, source: `$${ENV_SASL_USERNAME}` });
  const password = env(ENV_SASL_PASSWORD);
  if (password !== undefined) {
    out.push({ name: "client.security.sasl.password", value: password, source: `$${ENV_SASL_PASSWORD}` });
  }
  return out;
}

/**
 * A config file: `key=value` (or `key: value`) lines with any key `--config` takes, in this
 * client's, Java's or the Rust client's spelling; `#` comments and blank lines are skipped.
 */
function readConfigFile(file: string | undefined): Setting[] {
  if (file === undefined) return [];
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (e) {
    throw usageError(`config file ${file}: cannot read it (${(e as NodeJS.ErrnoException).code ?? messageOf(e)})`);
  }
  const parsed = parseKeyValueLines(text);
  // the line is not repeated: it may hold a password
  if ("badLine" in parsed) throw usageError(`config file ${file}, line ${parsed.badLine}: expected key=value`);
  return parsed.entries.map((e) => ({ name: e.key, value: e.value, source: `config file ${file}, line ${e.line}` }));
}
