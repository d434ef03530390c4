/**
 * The server options that Fluss lets `AlterClusterConfigs` change at run time (Java
 * `DynamicServerConfig.ALLOWED_CONFIG_KEYS` and the `datalake.` prefix), their value types,
 * and value parsing with Java's `ConfigurationUtils` rules and messages.
 */
import {
  DATA_LAKE_FORMATS,
  parseJavaBoolean,
  parseJavaDuration,
  parseJavaEnum,
  parseJavaInt,
} from "../../metadata/table-options.js";

/** Value type of a dynamic server option (Java `ConfigOption` class). */
type ValueType =
  | { readonly kind: "boolean" | "int" | "double" | "duration" | "memory" | "map" }
  | { readonly kind: "enum"; readonly name: string; readonly values: readonly string[] }
  | { readonly kind: "list"; readonly of: "String" | "Integer" };

/** A server option that may be changed dynamically. */
interface DynamicOption {
  readonly key: string;
  readonly type: ValueType;
}

const opt = (key: string, type: ValueType): DynamicOption => ({ key, type });

/** Java `DynamicServerConfig.ALLOWED_CONFIG_KEYS` (DynamicServerConfig.java:68-86), with ConfigOptions' types. */
const DYNAMIC_OPTIONS: ReadonlyMap<string, DynamicOption> = new Map(
  [
    opt("datalake.format", { kind: "enum", name: "DataLakeFormat", values: DATA_LAKE_FORMATS }),
    opt("log.retention.roll-active-segment.enabled", { kind: "boolean" }),
    opt("log.replica.min-in-sync-replicas-number", { kind: "int" }),
    opt("kv.leader-replica.memory-reserved", { kind: "memory" }),
    opt("kv.rocksdb.shared-rate-limiter.bytes-per-sec", { kind: "memory" }),
    opt("kv.snapshot.interval", { kind: "duration" }),
    opt("server.data-disk.write-recover-ratio", { kind: "double" }),
    opt("server.data-disk.write-limit-ratio", { kind: "double" }),
    opt("server.historical-partition.lookup-cache.max-disk-ratio", { kind: "double" }),
    opt("server.historical-partition.lookuper-cache.expire-after-access", { kind: "duration" }),
    opt("remote.data.dirs", { kind: "list", of: "String" }),
    opt("remote.data.dirs.strategy", {
      kind: "enum",
      name: "RemoteDataDirStrategy",
      values: ["ROUND_ROBIN", "WEIGHTED_ROUND_ROBIN"],
    }),
    opt("remote.data.dirs.weights", { kind: "list", of: "Integer" }),
    opt("security.sasl.plain.credentials", { kind: "map" }),
  ].map((o) => [o.key, o]),
);

/** Keys under these prefixes are dynamic too, checked by their consumers only (DynamicServerConfig.java:88). */
const DYNAMIC_PREFIXES: readonly string[] = ["datalake."];

/** Whether `key` may be changed by AlterClusterConfigs (Java `DynamicServerConfig.isAllowedConfig`). */
export function isDynamicKey(key: string): boolean {
  return DYNAMIC_OPTIONS.has(key) || DYNAMIC_PREFIXES.some((p) => key.startsWith(p));
}

/** Whether `key` holds a list or a map (the only keys APPEND and SUBTRACT apply to). */
export function isCollectionKey(key: string): boolean {
  const k = DYNAMIC_OPTIONS.get(key)?.type.kind;
  return k === "list" || k === "map";
}

/** Whether `key` holds a map (`k1:v1,k2:v2`). */
export function isMapKey(key: string): boolean {
  return DYNAMIC_OPTIONS.get(key)?.type.kind === "map";
}

const MEMORY_UNITS: readonly [readonly string[], bigint][] = [
  [["b", "bytes"], 1n],
  [["k", "kb", "kibibytes"], 1024n],
  [["m", "mb", "mebibytes"], 1024n ** 2n],
  [["g", "gb", "gibibytes"], 1024n ** 3n],
  [["t", "tb", "tebibytes"], 1024n ** 4n],
];
const LONG_MAX = 2n ** 63n - 1n;

/** Parses a memory size like Java's `MemorySize.parseBytes` (`"64mb"`, `"1 g"`); returns bytes. */
function parseJavaMemorySize(raw: string): bigint {
  const trimmed = raw.trim();
  const digits = /^\d*/.exec(trimmed)![0];
  const unit = trimmed.slice(digits.length).trim().toLowerCase();
  if (unit === "" || !MEMORY_UNITS.some(([labels]) => labels.includes(unit))) {
    if (digits === "" && trimmed !== "") throw new Error("text does not start with a number");
    throw new Error(
      `The memory value '${raw}' does not specify a memory unit. Memory size must be specified with units ` +
        `bytes (b), kibibytes (kb), mebibytes (mb) or gibibytes (gb). E.g. 50b, 100kb, 3mb.`,
    );
  }
  if (digits === "") throw new Error("text does not start with a number");
  const value = BigInt(digits);
  if (value > LONG_MAX) {
    throw new Error(`The value '${digits}' cannot be re represented as 64bit number (numeric overflow).`);
  }
  const factor = MEMORY_UNITS.find(([labels]) => labels.includes(unit))![1];
  const bytes = value * factor;
  if (bytes > LONG_MAX) {
    throw new Error(`The value '${raw}' cannot be re represented as 64bit number of bytes (numeric overflow).`);
  }
  return bytes;
}

/** Parses a double like Java's `Double.parseDouble`. */
function parseJavaDouble(raw: string): number {
  const s = raw.trim();
  if (!/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?[dDfF]?$|^[+-]?(NaN|Infinity)$/.test(s)) {
    throw new Error(`For input string: "${s}"`);
  }
  return Number(s.replace(/[dDfF]$/, ""));
}

function splitList(raw: string): string[] {
  return raw
    .split(",")
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
}

/** A parsed option value (what the server's components read). */
export type OptionValue =
  | boolean
  | number
  | bigint
  | string
  | readonly string[]
  | readonly number[]
  | ReadonlyMap<string, string>;

function typeName(t: ValueType): string {
  switch (t.kind) {
    case "boolean":
      return "Boolean";
    case "int":
      return "Integer";
    case "double":
      return "Double";
    case "duration":
      return "Duration";
    case "memory":
      return "MemorySize";
    case "map":
      return "Map";
    case "enum":
      return t.name;
    case "list":
      return `List<${t.of}>`;
  }
}

function parseAs(t: ValueType, raw: string): OptionValue {
  switch (t.kind) {
    case "boolean":
      return parseJavaBoolean(raw);
    case "int":
      return parseJavaInt(raw, 32);
    case "double":
      return parseJavaDouble(raw);
    case "duration":
      return parseJavaDuration(raw);
    case "memory":
      return parseJavaMemorySize(raw);
    case "enum":
      return parseJavaEnum(raw, t.values, t.name);
    case "list":
      return t.of === "Integer" ? splitList(raw).map((s) => parseJavaInt(s, 32)) : splitList(raw);
    case "map": {
      const m = new Map<string, string>();
      for (const entry of splitList(raw)) {
        const i = entry.indexOf(":");
        if (i <= 0) throw new Error(`Map item is not a key-value pair (missing ':'?)`);
        m.set(entry.slice(0, i), entry.slice(i + 1));
      }
      return m;
    }
  }
}

/**
 * Parses `raw` as the value of dynamic option `key`. Throws an Error with Java's message
 * (`Cannot parse '<v>' as <Type> for config '<key>': <why>`, DynamicServerConfig.java:374)
 * when it does not parse; undefined for prefix keys (no type known).
 */
export function parseDynamicValue(key: string, raw: string): OptionValue | undefined {
  const o = DYNAMIC_OPTIONS.get(key);
  if (!o) return undefined;
  try {
    return parseAs(o.type, raw);
  } catch (e) {
    const shown = key === "security.sasl.plain.credentials" ? "******" : raw;
    throw new Error(`Cannot parse '${shown}' as ${typeName(o.type)} for config '${key}': ${(e as Error).message}`);
  }
}

/** Java's `ConfigRedactors`: values of these keys are shown as `******` by DescribeClusterConfigs. */
export function redactConfigValue(key: string, value: string): string {
  const jaas =
    key === "security.sasl.plain.jaas.config" ||
    (key.startsWith("security.sasl.listener.name.") && key.endsWith(".plain.jaas.config"));
  if (jaas) return "******";
  if (key === "security.sasl.plain.credentials") {
    // map redactor: keys kept, values hidden (ConfigRedactors.map)
    const out: string[] = [];
    for (const e of splitList(value)) {
      const i = e.indexOf(":");
      if (i <= 0) return "******";
      out.push(`${e.slice(0, i)}:******`);
    }
    return out.join(",");
  }
  return value;
}
