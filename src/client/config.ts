import { tmpdir } from "node:os";
import { join } from "node:path";
import { inspect } from "node:util";
import { FlussError } from "../rpc/errors.js";
import { didYouMean } from "../util/names.js";
import { parsePlainJaasConfig } from "./auth/jaas.js";

/**
 * Client configuration keys, their types and defaults.
 *
 * Names follow the Python client's guide (`bootstrap.servers`, `writer.acks`, ...); the
 * Rust/Java spellings of the same options (`writer.batch-size`, `writer.request-max-size`)
 * are accepted as aliases so configs can be carried over from the other clients.
 */
interface OptionSpec {
  readonly kind: "string" | "int" | "bool" | "enum" | "duration" | "bytes" | "ratio";
  readonly default: string | number | boolean;
  readonly min?: number;
  readonly values?: readonly string[];
  readonly doc: string;
  /**
   * Never shown: not in error messages, `toString`, `toJSON` or `util.inspect` (`get` and
   * `toObject` still return it: configs are rebuilt from them).
   */
  readonly secret?: boolean;
}

const MiB = 1024 * 1024;
/** How a set secret shows. */
const HIDDEN = "[hidden]";

const OPTIONS = {
  "bootstrap.servers": {
    kind: "string",
    default: "127.0.0.1:9123",
    doc: "Comma-separated host:port list of servers to bootstrap from.",
  },
  "request.max.size": { kind: "bytes", default: 10 * MiB, min: 1024, doc: "Maximum size in bytes of one write request." },
  "request.timeout.ms": { kind: "duration", default: 30_000, min: 1, doc: "How long to wait for the answer to one request." },
  "connect.timeout.ms": {
    kind: "duration",
    default: 30_000,
    min: 1,
    doc: "How long `FlussConnection.connect` may take in all (the bootstrap's TCP connects, handshakes, metadata requests and retries); also the TCP connect timeout of later connections.",
  },
  "writer.acks": {
    kind: "enum",
    default: "all",
    values: ["all", "-1", "0", "1"],
    doc: "Acknowledgment setting (`all` waits for all replicas).",
  },
  "writer.retries": { kind: "int", default: 2147483647, min: 0, doc: "Number of retries of a failed write batch." },
  "writer.batch.size": { kind: "bytes", default: 2 * MiB, min: 1024, doc: "Target size in bytes of one write batch per bucket." },
  "writer.delivery.timeout.ms": {
    kind: "duration",
    default: 120_000,
    min: 1,
    doc: "How long a write may take, retries included, before its handle fails.",
  },
  "writer.batch.timeout.ms": {
    kind: "duration",
    default: 100,
    min: 0,
    doc: "Linger: how long a non-full batch waits for more rows.",
  },
  "writer.buffer.memory.size": {
    kind: "bytes",
    default: 64 * MiB,
    min: 64 * 1024,
    doc: "Bytes of unsent rows the writer may hold before appends wait.",
  },
  "writer.kv-backpressure.max-throttle.ms": {
    kind: "duration",
    default: 3000,
    min: 0,
    doc: "Longest a primary-key bucket's writes are held back when the server reports write pressure (max · p²; the whole window after a STORAGE_BACKPRESSURE rejection).",
  },
  "writer.max.inflight.requests.per.bucket": { kind: "int", default: 5, min: 1, doc: "Write requests in flight per bucket." },
  "writer.enable.idempotence": {
    kind: "bool",
    default: true,
    doc: "Writer ids and batch sequences so a retried batch is never written twice.",
  },
  "writer.dynamic-create-partition.enabled": {
    kind: "bool",
    default: true,
    doc: "Writing a row to a partition that does not exist creates it (once, as Java's client does); `false`: the write fails with PARTITION_NOT_EXISTS.",
  },
  "writer.bucket.no-key-assigner": {
    kind: "enum",
    default: "sticky",
    values: ["sticky", "round_robin"],
    doc: "Bucket choice for tables without bucket keys.",
  },
  "scanner.log.fetch.max-bytes": { kind: "bytes", default: 16 * MiB, min: 1, doc: "Maximum bytes of one fetch response." },
  "scanner.log.fetch.max-bytes-for-bucket": {
    kind: "bytes",
    default: 1 * MiB,
    min: 1,
    doc: "Maximum bytes per bucket in one fetch.",
  },
  "scanner.log.fetch.min-bytes": {
    kind: "bytes",
    default: 1,
    min: 0,
    doc: "Bytes the server waits for before answering a fetch.",
  },
  "scanner.log.fetch.wait-max-time-ms": {
    kind: "duration",
    default: 500,
    min: 0,
    doc: "Longest time the server holds a fetch waiting for min-bytes.",
  },
  "scanner.log.max-buffered-bytes": {
    kind: "bytes",
    default: 64 * MiB,
    min: 1,
    doc: "Fetched bytes the scanner may buffer ahead of `poll`.",
  },
  "scanner.kv.fetch.max-bytes": {
    kind: "bytes",
    default: 4 * MiB,
    min: 1,
    doc: "Bytes of rows per response of a full primary-key bucket scan (the server caps it).",
  },
  "scanner.log.check-crc": {
    kind: "bool",
    default: true,
    doc: "Verify record batch checksums (skipped automatically for projected fetches).",
  },
  "scanner.max-unavailable-ms": {
    kind: "int",
    default: 0,
    min: 0,
    doc: "When > 0, `poll` and `for await` throw once fetching has failed (no answer, errors) without a success for this long; 0 (default) retries quietly forever, reporting failures only to `onError` listeners.",
  },
  "scanner.log.read-preference": {
    kind: "enum",
    default: "local-first",
    values: ["local-first", "remote-first"],
    doc: "Where FetchLog reads older data from when both have it: `local-first` (the tablet server's disk) or `remote-first` (remote storage, for servers that support it; others read locally).",
  },
  "scanner.remote-log.prefetch-num": {
    kind: "int",
    default: 4,
    min: 1,
    doc: "Remote log segments a scanner downloads ahead of what it reads (each held in the local temp dir until read).",
  },
  "remote-file.download-thread-num": {
    kind: "int",
    default: 3,
    min: 1,
    doc: "Remote files a connection downloads at once.",
  },
  "scanner.io.tmpdir": {
    kind: "string",
    default: join(tmpdir(), "fluss"),
    doc: "Local directory for downloaded remote log segments (a `remote-logs-<uuid>` directory per scanner, removed on close).",
  },
  "filesystem.security.token.renewal.time-ratio": {
    kind: "ratio",
    default: 0.75,
    doc: "Fraction of a remote-storage token's lifetime after which a new one is asked for (GetFileSystemSecurityToken).",
  },
  "filesystem.security.token.renewal.backoff": {
    kind: "duration",
    default: 3_600_000,
    min: 0,
    doc: "How long to wait before asking for a remote-storage token again after the request failed (meanwhile the standard AWS credentials are used).",
  },
  "fs.s3a.endpoint": {
    kind: "string",
    default: "",
    doc: "S3 endpoint URL for remote log segments (e.g. a MinIO address); empty: AWS (or `AWS_ENDPOINT_URL`). A token's `fs.s3a.endpoint` wins.",
  },
  "fs.s3a.region": {
    kind: "string",
    default: "",
    doc: "S3 region; empty: `AWS_REGION` or the SDK's configuration, else us-east-1. A token's `fs.s3a.region` wins.",
  },
  "fs.s3a.path.style.access": {
    kind: "bool",
    default: false,
    doc: "Path-style S3 addressing (`endpoint/bucket/key`), as S3-compatible servers often need. A token's value wins.",
  },
  "fs.s3a.access.key": {
    kind: "string",
    default: "",
    doc: "Static S3 access key, used when the cluster hands out no token (else the standard AWS credential chain).",
  },
  "fs.s3a.secret.key": {
    kind: "string",
    default: "",
    doc: "Static S3 secret key going with `fs.s3a.access.key`.",
    secret: true,
  },
  "lookup.queue-size": {
    kind: "int",
    default: 25_600,
    min: 1,
    doc: "Lookups that may wait unsent; further `lookup` calls wait for room.",
  },
  "lookup.max-batch-size": { kind: "int", default: 128, min: 1, doc: "Most lookups merged into one request to a tablet server." },
  "lookup.batch-timeout-ms": {
    kind: "duration",
    default: 100,
    min: 0,
    doc: "Longest a lookup waits for its batch to fill while a request to the same server is in flight.",
  },
  "lookup.max-inflight-requests": { kind: "int", default: 128, min: 1, doc: "Lookup requests awaiting their answer at once." },
  "lookup.max-retries": {
    kind: "int",
    default: 2147483647,
    min: 0,
    doc: "Retries of a lookup failing with a transient error (bounded in time by request.timeout.ms).",
  },
  "client.security.protocol": {
    kind: "enum",
    default: "PLAINTEXT",
    values: ["PLAINTEXT", "SASL"],
    doc: "`SASL` authenticates every connection (right after ApiVersions) with the SASL mechanism below; `PLAINTEXT` sends no credentials.",
  },
  "client.security.sasl.mechanism": {
    kind: "enum",
    default: "PLAIN",
    values: ["PLAIN"],
    doc: "SASL mechanism (PLAIN: user name and password).",
  },
  "client.security.sasl.username": { kind: "string", default: "", doc: "SASL/PLAIN user name (required with SASL)." },
  "client.security.sasl.password": {
    kind: "string",
    default: "",
    secret: true,
    doc: "SASL/PLAIN password (required with SASL); never shown in messages, logs or the config's string forms.",
  },
  "client.security.sasl.jaas.config": {
    kind: "string",
    default: "",
    secret: true,
    doc: 'Java\'s JAAS form of the credentials, for configs carried over: `org.apache.fluss.security.auth.sasl.plain.PlainLoginModule required username="u" password="p";` (username/password above take precedence).',
  },
} as const satisfies Record<string, OptionSpec>;

/** Every configuration key. */
export type ConfigKey = keyof typeof OPTIONS;

type EnumValues<S> = S extends { readonly values: readonly (infer V)[] } ? V : string;
type ValueOf<S extends OptionSpec> = S["kind"] extends "int" | "duration" | "bytes" | "ratio"
  ? number
  : S["kind"] extends "bool"
    ? boolean
    : S["kind"] extends "enum"
      ? EnumValues<S>
      : string;
/** Enum values that are numbers (`"-1"`) may also be given as numbers (`-1`). */
type NumericForms<V> = V extends `${infer N extends number}` ? N : never;
type InputOf<S extends OptionSpec> = S["kind"] extends "int" | "duration" | "bytes" | "ratio"
  ? number | string
  : S["kind"] extends "bool"
    ? boolean | "true" | "false"
    : S["kind"] extends "enum"
      ? EnumValues<S> | NumericForms<EnumValues<S>>
      : string;

/** Typed values of all options. */
export type ConfigValues = { -readonly [K in ConfigKey]: ValueOf<(typeof OPTIONS)[K]> };

/**
 * What `new Config(...)` accepts: any subset of the keys (or their aliases), each value in
 * its natural type or as a string. A misspelled key is a type error; for keys only known at
 * run time (read from a file or the environment) use {@link Config.fromRecord}.
 */
export type ConfigInput = { [K in ConfigKey]?: InputOf<(typeof OPTIONS)[K]> } & {
  [A in keyof typeof ALIASES]?: InputOf<(typeof OPTIONS)[(typeof ALIASES)[A]]>;
};

/** Other clients' spellings of the same options. */
const ALIASES = {
  "writer.request-max-size": "request.max.size",
  "client.writer.request-max-size": "request.max.size",
  "writer.batch-size": "writer.batch.size",
  "client.writer.batch-size": "writer.batch.size",
  "writer.batch-timeout-ms": "writer.batch.timeout.ms",
  "writer.buffer.memory-size": "writer.buffer.memory.size",
  "writer.enable-idempotence": "writer.enable.idempotence",
  "client.writer.acks": "writer.acks",
  "client.writer.retries": "writer.retries",
  "client.request-timeout-ms": "request.timeout.ms",
  "client.connect-timeout-ms": "connect.timeout.ms",
  "client.writer.bucket.no-key-assigner": "writer.bucket.no-key-assigner",
  "client.scanner.kv.fetch.max-bytes": "scanner.kv.fetch.max-bytes",
  "client.lookup.queue-size": "lookup.queue-size",
  "client.lookup.max-batch-size": "lookup.max-batch-size",
  "client.lookup.batch-timeout": "lookup.batch-timeout-ms",
  "lookup.batch-timeout": "lookup.batch-timeout-ms",
  "client.lookup.max-inflight-requests": "lookup.max-inflight-requests",
  "lookup.max-inflight": "lookup.max-inflight-requests",
  "client.lookup.max-retries": "lookup.max-retries",
  // Java's `client.*` keys (ConfigOptions.java), durations and memory sizes in Java's forms
  "client.connect-timeout": "connect.timeout.ms",
  "client.request-timeout": "request.timeout.ms",
  "client.writer.buffer.memory-size": "writer.buffer.memory.size",
  "client.writer.batch-timeout": "writer.batch.timeout.ms",
  "client.writer.enable-idempotence": "writer.enable.idempotence",
  "client.writer.max-inflight-requests-per-bucket": "writer.max.inflight.requests.per.bucket",
  "client.writer.kv-backpressure.max-throttle": "writer.kv-backpressure.max-throttle.ms",
  "writer.kv-backpressure.max-throttle": "writer.kv-backpressure.max-throttle.ms",
  "client.writer.dynamic-create-partition.enabled": "writer.dynamic-create-partition.enabled",
  "client.scanner.log.check-crc": "scanner.log.check-crc",
  "client.scanner.log.fetch.max-bytes": "scanner.log.fetch.max-bytes",
  "client.scanner.log.fetch.max-bytes-for-bucket": "scanner.log.fetch.max-bytes-for-bucket",
  "client.scanner.log.fetch.min-bytes": "scanner.log.fetch.min-bytes",
  "client.scanner.log.fetch.wait-max-time": "scanner.log.fetch.wait-max-time-ms",
  "client.scanner.log.read-preference": "scanner.log.read-preference",
  "client.scanner.remote-log.prefetch-num": "scanner.remote-log.prefetch-num",
  "client.remote-file.download-thread-num": "remote-file.download-thread-num",
  "client.scanner.io.tmpdir": "scanner.io.tmpdir",
  "client.filesystem.security.token.renewal.time-ratio": "filesystem.security.token.renewal.time-ratio",
  "client.filesystem.security.token.renewal.backoff": "filesystem.security.token.renewal.backoff",
  // the Rust/Python clients' spellings (fluss-rust bindings/python/src/config.rs)
  "security.protocol": "client.security.protocol",
  "security.sasl.mechanism": "client.security.sasl.mechanism",
  "security.sasl.username": "client.security.sasl.username",
  "security.sasl.password": "client.security.sasl.password",
} as const satisfies Record<string, ConfigKey>;

const MS_PER_UNIT: Record<string, number> = {
  ms: 1,
  milli: 1,
  millis: 1,
  millisecond: 1,
  milliseconds: 1,
  s: 1000,
  sec: 1000,
  secs: 1000,
  second: 1000,
  seconds: 1000,
  min: 60_000,
  mins: 60_000,
  minute: 60_000,
  minutes: 60_000,
  h: 3_600_000,
  hour: 3_600_000,
  hours: 3_600_000,
  d: 86_400_000,
  day: 86_400_000,
  days: 86_400_000,
};
/** Java `MemorySize` units (MemorySize.java: b, k/kb, m/mb, g/gb, t/tb and their long names). */
const BYTES_PER_UNIT: Record<string, number> = {
  b: 1,
  bytes: 1,
  k: 1024,
  kb: 1024,
  kibibytes: 1024,
  m: MiB,
  mb: MiB,
  mebibytes: MiB,
  g: 1024 * MiB,
  gb: 1024 * MiB,
  gibibytes: 1024 * MiB,
  t: 1024 * 1024 * MiB,
  tb: 1024 * 1024 * MiB,
  tebibytes: 1024 * 1024 * MiB,
};

function parseValue(key: ConfigKey, raw: unknown): string | number | boolean {
  const spec: OptionSpec = OPTIONS[key];
  const bad = (why: string): never => {
    // a secret's value is never echoed
    const got = spec.secret ? "" : `, got ${typeof raw === "string" ? `"${raw}"` : String(raw)}`;
    throw FlussError.client(`config "${key}": ${why}${got}`);
  };
  switch (spec.kind) {
    case "string":
      // a secret is used byte for byte (a password may begin or end with spaces)
      if (spec.secret && typeof raw === "string" && raw !== "") return raw;
      // an empty default means "not set": such options may be set to "" again
      if (typeof raw !== "string" || (raw.trim() === "" && spec.default !== "")) bad("expected a non-empty string");
      return (raw as string).trim();
    case "ratio": {
      const n = typeof raw === "number" ? raw : typeof raw === "string" && raw.trim() !== "" ? Number(raw) : NaN;
      if (!(n > 0 && n <= 1)) bad("expected a number in (0, 1]");
      return n;
    }
    case "int": {
      const n = typeof raw === "number" ? raw : typeof raw === "string" && /^\s*-?\d+\s*$/.test(raw) ? Number(raw) : NaN;
      if (!Number.isSafeInteger(n)) bad("expected an integer");
      if (spec.min !== undefined && n < spec.min) bad(`must be at least ${spec.min}`);
      return n;
    }
    case "duration": {
      // milliseconds, or a Java duration string ("100ms", "100 ms", "1s", "2 min")
      const m = typeof raw === "string" ? /^\s*(\d+)\s*([a-z]+)?\s*$/i.exec(raw) : undefined;
      const unit = MS_PER_UNIT[(m?.[2] ?? "ms").toLowerCase()];
      const n = typeof raw === "number" ? raw : m && unit !== undefined ? Number(m[1]) * unit : NaN;
      if (!Number.isSafeInteger(n)) bad('expected milliseconds or a duration such as "100ms" or "1s"');
      if (spec.min !== undefined && n < spec.min) bad(`must be at least ${spec.min}`);
      return n;
    }
    case "bytes": {
      // bytes, or a Java memory size ("2mb", "64 mb", "1kb")
      const m = typeof raw === "string" ? /^\s*(\d+)\s*([a-z]+)?\s*$/i.exec(raw) : undefined;
      const unit = BYTES_PER_UNIT[(m?.[2] ?? "b").toLowerCase()];
      const n = typeof raw === "number" ? raw : m && unit !== undefined ? Number(m[1]) * unit : NaN;
      if (!Number.isSafeInteger(n)) bad('expected bytes or a memory size such as "2mb" or "64kb"');
      if (spec.min !== undefined && n < spec.min) bad(`must be at least ${spec.min}`);
      return n;
    }
    case "bool":
      if (typeof raw === "boolean") return raw;
      if (raw === "true" || raw === "false") return raw === "true";
      return bad("expected true or false");
    case "enum": {
      const s = typeof raw === "number" ? String(raw) : typeof raw === "string" ? raw.trim().toLowerCase() : undefined;
      // case-insensitive, as Java's enum options; the value keeps its canonical spelling
      const value = s === undefined ? undefined : spec.values!.find((v) => v.toLowerCase() === s);
      if (value === undefined) bad(`expected one of ${spec.values!.join(", ")}`);
      return value!;
    }
  }
}

/** A parsed `host:port` pair. */
export interface HostPort {
  /** Host name or IP address (IPv6 without brackets). */
  readonly host: string;
  /** TCP port. */
  readonly port: number;
}

/** Parses `bootstrap.servers` ("h1:p1,h2:p2"; IPv6 as "[::1]:9123"). */
export function parseBootstrapServers(value: string): HostPort[] {
  const out: HostPort[] = [];
  for (const part of value.split(",")) {
    const s = part.trim();
    if (s === "") continue;
    const m = /^\[([^\]]+)\]:(\d+)$/.exec(s) ?? /^([^:\s]+):(\d+)$/.exec(s);
    const port = m ? Number(m[2]) : NaN;
    if (!m || !(port > 0 && port < 65536)) {
      throw FlussError.client(`config "bootstrap.servers": "${s}" is not a host:port address`);
    }
    out.push({ host: m[1]!, port });
  }
  if (out.length === 0) throw FlussError.client(`config "bootstrap.servers" is empty`);
  return out;
}

/**
 * Client configuration.
 *
 * ```ts
 * const config = new Config({ "bootstrap.servers": "127.0.0.1:9123", "writer.acks": "all" });
 * ```
 * Unknown keys and ill-typed values throw a {@link FlussError} naming the key.
 */
export class Config {
  // an ES private field: spreading, Object.entries or a structured clone of a Config shows no password
  readonly #values: ConfigValues;

  /**
   * Options by key (or alias); the rest keep their defaults (see {@link Config.describe}).
   * Throws a FlussError (CLIENT_ERROR) naming an unknown key or an ill-typed value.
   */
  constructor(input: ConfigInput = {}) {
    const values: Record<string, string | number | boolean> = {};
    for (const [k, spec] of Object.entries(OPTIONS)) values[k] = spec.default;
    if (typeof input !== "object" || input === null || Array.isArray(input)) {
      throw FlussError.client(
        `Config takes an object of options, e.g. { "bootstrap.servers": "host:9123" }, got ${String(input)}`,
      );
    }
    const aliases: Readonly<Record<string, ConfigKey>> = ALIASES;
    for (const [rawKey, raw] of Object.entries(input)) {
      if (raw === undefined) continue;
      const key = (rawKey in OPTIONS ? rawKey : aliases[rawKey]) as ConfigKey | undefined;
      if (key === undefined) {
        throw FlussError.client(
          `unknown config key "${rawKey}"${didYouMean(rawKey, [...Object.keys(OPTIONS), ...Object.keys(ALIASES)])}`,
        );
      }
      // a default is valid as it is (an empty username given back by `with()` included)
      values[key] = raw === (OPTIONS[key] as OptionSpec).default ? raw : parseValue(key, raw);
    }
    if (values["bootstrap.servers"] !== undefined) parseBootstrapServers(values["bootstrap.servers"] as string);
    if (values["client.security.protocol"] === "SASL") {
      const jaasText = values["client.security.sasl.jaas.config"] as string;
      const jaas = jaasText === "" ? {} : parsePlainJaasConfig(jaasText);
      for (const k of ["client.security.sasl.username", "client.security.sasl.password"] as const) {
        if (values[k] === "" && jaas[k === "client.security.sasl.username" ? "username" : "password"] === undefined) {
          throw FlussError.client(
            `config "${k}" is required when "client.security.protocol" is SASL (or give "client.security.sasl.jaas.config")`,
          );
        }
      }
    }
    this.#values = values as ConfigValues;
  }

  /**
   * A config from keys known only at run time (a parsed file, environment variables):
   * checked exactly as by the constructor, at run time instead of by the type checker.
   */
  static fromRecord(record: Readonly<Record<string, unknown>>): Config {
    return new Config(record as ConfigInput);
  }

  /**
   * The key `name` sets: `name` itself, the key of an alias (`security.sasl.password` →
   * `client.security.sasl.password`), or undefined for an unknown name. For merging configs
   * from several sources, where two spellings of one option must count as the same.
   */
  static keyOf(name: string): ConfigKey | undefined {
    if (Object.hasOwn(OPTIONS, name)) return name as ConfigKey;
    return Object.hasOwn(ALIASES, name) ? (ALIASES as Readonly<Record<string, ConfigKey>>)[name] : undefined;
  }

  /** The value of one option (the default when not set). */
  get<K extends ConfigKey>(key: K): ConfigValues[K] {
    return this.#values[key];
  }

  /** The bootstrap addresses. */
  get bootstrapServers(): HostPort[] {
    return parseBootstrapServers(this.#values["bootstrap.servers"]);
  }

  /** `writer.acks` as the protocol's integer: all → -1. */
  get acks(): number {
    const a = this.#values["writer.acks"];
    return a === "all" ? -1 : Number(a);
  }

  /** A copy with some options changed. */
  with(changes: ConfigInput): Config {
    return new Config({ ...this.#values, ...changes });
  }

  /**
   * All options with their effective values, the password included (to build another
   * `Config` from); for display use `String(config)` or `JSON.stringify(config)`, which hide it.
   */
  toObject(): ConfigValues {
    return { ...this.#values };
  }

  /** {@link toObject} with every set secret (the password) shown as `"[hidden]"`. */
  private redacted(): ConfigValues {
    const out: Record<string, string | number | boolean> = { ...this.#values };
    for (const [k, spec] of Object.entries(OPTIONS) as [string, OptionSpec][]) {
      if (spec.secret && out[k] !== "") out[k] = HIDDEN;
    }
    return out as ConfigValues;
  }

  /** The options that differ from their defaults, secrets hidden: `Config {"bootstrap.servers":"h:9123"}`. */
  toString(): string {
    const changed = Object.fromEntries(
      Object.entries(this.redacted()).filter(([k, v]) => v !== (OPTIONS as Record<string, OptionSpec>)[k]!.default),
    );
    return `Config ${JSON.stringify(changed)}`;
  }

  /** `JSON.stringify(config)`: every option, secrets hidden. */
  toJSON(): ConfigValues {
    return this.redacted();
  }

  /** `console.log(config)` / `util.inspect`: secrets hidden. */
  [inspect.custom](_depth: number, options: object): string {
    return `Config ${inspect(this.redacted(), options)}`;
  }

  /** Documentation of every key, for the CLI and README. */
  static describe(): { key: ConfigKey; default: string | number | boolean; doc: string }[] {
    return Object.entries(OPTIONS).map(([key, s]) => ({ key: key as ConfigKey, default: s.default, doc: s.doc }));
  }
}
