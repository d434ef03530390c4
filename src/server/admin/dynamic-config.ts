/**
 * Cluster-wide dynamic server configuration (Java `DynamicConfigManager` +
 * `DynamicServerConfig`): the options the cluster started with, the dynamic overrides set
 * through AlterClusterConfigs (persisted in `<dataDir>/catalog/cluster-configs.json`, as
 * Java keeps them in ZooKeeper), and the components that react to changes
 * ({@link ServerReconfigurable}).
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { ErrorCode, FlussError } from "../../rpc/errors.js";
import { javaHashMapOrder } from "../../metadata/java-json.js";
import { writeFileAtomicSync } from "../storage/atomic-file.js";
import { describeOsCause, readTextIfExists } from "../storage/storage-errors.js";
import { isCollectionKey, isDynamicKey, isMapKey, parseDynamicValue, redactConfigValue } from "./config-values.js";

/** `PbAlterConfig.op_type` values (Java `AlterConfigOpType`). */
export const AlterConfigOp = { SET: 0, DELETE: 1, APPEND: 2, SUBTRACT: 3 } as const;

/** One requested change. */
export interface ConfigChange {
  readonly key: string;
  readonly value?: string;
  readonly opType: number;
}

/** One entry of DescribeClusterConfigs (Java `ConfigEntry`). */
export interface DescribedConfig {
  readonly key: string;
  readonly value: string;
  readonly source: "DYNAMIC_SERVER_CONFIG" | "INITIAL_SERVER_CONFIG";
}

/**
 * A component that follows the effective configuration (Java `ServerReconfigurable`).
 * `validate` may refuse a new configuration with a CONFIG_EXCEPTION before anything changes.
 */
export interface ServerReconfigurable {
  validate?(config: ReadonlyMap<string, string>): void;
  reconfigure(config: ReadonlyMap<string, string>): void;
}

const FILE = "cluster-configs.json";
const FORMAT = "flussjs-cluster-configs";

function configError(message: string): FlussError {
  return new FlussError(ErrorCode.CONFIG_EXCEPTION, message);
}

/** Reads a numeric (double or duration in ms) option of a merged configuration, or its default. */
function numberOf(config: ReadonlyMap<string, string>, key: string, dflt: number): number {
  const raw = config.get(key);
  try {
    return raw === undefined ? dflt : (parseDynamicValue(key, raw) as number);
  } catch (e) {
    throw configError((e as Error).message);
  }
}

/** Java `DiskWriteLimitConfigValidator` (registered by the coordinator). */
const diskWriteLimitValidator: ServerReconfigurable = {
  validate(config) {
    const limitKey = "server.data-disk.write-limit-ratio";
    const recoverKey = "server.data-disk.write-recover-ratio";
    const limit = numberOf(config, limitKey, 0.85);
    const recover = numberOf(config, recoverKey, 0.8);
    if (recover > 0 && recover < limit && limit <= 1) return;
    throw configError(
      `Invalid disk write-limit configuration: ${recoverKey} must be within (0.0, ${limitKey}), and ${limitKey} ` +
        `must be no greater than 1.0; ${limitKey}=${javaDouble(limit)}, ${recoverKey}=${javaDouble(recover)}`,
    );
  },
  reconfigure() {},
};

/** Java `HistoricalLookupCacheConfigValidator` (registered by the coordinator). */
const historicalLookupCacheValidator: ServerReconfigurable = {
  validate(config) {
    const ratioKey = "server.historical-partition.lookup-cache.max-disk-ratio";
    const ratio = numberOf(config, ratioKey, 0.1);
    if (!(ratio > 0 && ratio <= 1)) throw configError(`Invalid configuration for ${ratioKey}, it must be within (0.0, 1.0].`);
    const expKey = "server.historical-partition.lookuper-cache.expire-after-access";
    const raw = config.get(expKey);
    if (raw !== undefined && numberOf(config, expKey, 1) < 1) {
      throw configError(`Invalid configuration for ${expKey}, it must be greater than or equal to 1 ms.`);
    }
  },
  reconfigure() {},
};

/** Java's `Double.toString` for the values the validators print. */
function javaDouble(v: number): string {
  return Number.isInteger(v) ? v.toFixed(1) : String(v);
}

/** The dynamic configuration of one cluster. */
export class DynamicConfigManager {
  private dynamic: Map<string, string>;
  private readonly reconfigurables: ServerReconfigurable[] = [diskWriteLimitValidator, historicalLookupCacheValidator];
  private readonly file: string;

  private constructor(
    dir: string,
    private readonly initial: ReadonlyMap<string, string>,
    dynamic: Map<string, string>,
  ) {
    this.file = path.join(dir, FILE);
    this.dynamic = dynamic;
  }

  /**
   * Loads the persisted overrides of `<dataDir>/catalog`. `initial` is what the cluster was
   * started with (reported as INITIAL_SERVER_CONFIG). An unreadable file fails the start
   * with STORAGE_EXCEPTION rather than silently dropping the overrides.
   */
  static open(dataDir: string, initial: ReadonlyMap<string, string>): DynamicConfigManager {
    const dir = path.join(dataDir, "catalog");
    const file = path.join(dir, FILE);
    let dynamic = new Map<string, string>();
    const text = readTextIfExists(file, "cluster configs file");
    if (text !== undefined) {
      let doc: unknown;
      try {
        doc = JSON.parse(text);
      } catch {
        doc = undefined;
      }
      const configs = (doc as { format?: unknown; configs?: unknown } | undefined)?.configs;
      if ((doc as { format?: unknown } | undefined)?.format !== FORMAT || typeof configs !== "object" || configs === null) {
        throw new FlussError(ErrorCode.STORAGE_EXCEPTION, `Cluster config file ${file} is corrupt; restore or remove it.`);
      }
      dynamic = new Map(
        Object.entries(configs as Record<string, unknown>).filter((e): e is [string, string] => typeof e[1] === "string"),
      );
    }
    return new DynamicConfigManager(dir, initial, dynamic);
  }

  /**
   * Registers a component and applies the current configuration to it. Values it cannot
   * take are skipped, as Java does when it loads configs at startup (`skipErrorConfig`).
   */
  register(r: ServerReconfigurable): void {
    this.reconfigurables.push(r);
    r.reconfigure(this.effective(this.dynamic));
  }

  /** The effective configuration: the initial options with the dynamic ones on top. */
  current(): ReadonlyMap<string, string> {
    return this.effective(this.dynamic);
  }

  /** Java `DynamicConfigManager.describeConfigs`: initial entries not overridden, then the dynamic ones. */
  describe(): DescribedConfig[] {
    const out: DescribedConfig[] = [];
    const initial = javaHashMapOrder(Object.fromEntries(this.initial));
    for (const [key, value] of Object.entries(initial)) {
      if (!this.dynamic.has(key)) out.push({ key, value: redactConfigValue(key, value), source: "INITIAL_SERVER_CONFIG" });
    }
    for (const [key, value] of Object.entries(javaHashMapOrder(Object.fromEntries(this.dynamic)))) {
      out.push({ key, value: redactConfigValue(key, value), source: "DYNAMIC_SERVER_CONFIG" });
    }
    return out;
  }

  /**
   * Java `DynamicConfigManager.alterConfigs`: applies the changes to a copy of the
   * persisted overrides, checks every key (dynamic at all, value of the right type,
   * validators), reconfigures the components and persists; any failure changes nothing.
   */
  alter(changes: readonly ConfigChange[]): void {
    const next = new Map(this.dynamic);
    for (const c of changes) {
      if (!isDynamicKey(c.key)) throw configError(`The config key ${c.key} is not allowed to be changed dynamically.`);
      if (c.value !== undefined && /^\$\{[^}]*\}$/.test(c.value.trim())) {
        throw configError(
          `Config provider markers are resolved at startup only and are not supported in dynamic configuration: key '${c.key}'.`,
        );
      }
      switch (c.opType) {
        case AlterConfigOp.SET:
          if (c.value === undefined) next.delete(c.key);
          else next.set(c.key, c.value);
          break;
        case AlterConfigOp.DELETE:
          next.delete(c.key);
          break;
        case AlterConfigOp.APPEND:
        case AlterConfigOp.SUBTRACT:
          if (!isCollectionKey(c.key)) {
            throw configError(
              `APPEND/SUBTRACT operations are only supported for list-typed or map-typed config keys, but '${c.key}' is not a list or map type.`,
            );
          }
          this.applyCollectionOp(next, c);
          break;
        default:
          throw configError(`Unsupported config operation type ${c.opType}`);
      }
    }
    // DynamicServerConfig.updateCurrentConfig: type-check the keys whose value changes
    const effectiveBefore = this.current();
    const effectiveAfter = this.effective(next);
    for (const key of new Set([...this.dynamic.keys(), ...next.keys()])) {
      const v = effectiveAfter.get(key);
      if (v !== effectiveBefore.get(key) && v !== undefined) {
        try {
          parseDynamicValue(key, v);
        } catch (e) {
          throw configError((e as Error).message);
        }
      }
    }
    for (const r of this.reconfigurables) r.validate?.(effectiveAfter);
    this.persist(next);
    this.dynamic = next;
    for (const r of this.reconfigurables) r.reconfigure(effectiveAfter);
  }

  private applyCollectionOp(next: Map<string, string>, c: ConfigChange): void {
    const existing = next.get(c.key) ?? this.initial.get(c.key);
    const value = c.value ?? "";
    const items = (existing ?? "")
      .split(",")
      .map((s) => s.trim())
      .filter((s) => s.length > 0);
    const entryKey = (entry: string): string => {
      const i = entry.indexOf(":");
      if (i <= 0) throw configError(`Map item is not a key-value pair: '${entry}'.`);
      return entry.slice(0, i);
    };
    if (isMapKey(c.key)) {
      if (!/^[^,:]+:[^,]*$/.test(value.trim())) throw configError(`Invalid map entry for config '${c.key}': ${value}`);
      const k = entryKey(value.trim());
      if (c.opType === AlterConfigOp.APPEND) {
        if (items.some((e) => entryKey(e) === k)) {
          throw configError(`${c.key} must not contain duplicate map entry keys: '${k}'.`);
        }
        next.set(c.key, existing ? `${existing},${value}` : value);
      } else {
        const kept = items.filter((e) => entryKey(e) !== k);
        if (kept.length === items.length) return;
        if (kept.length === 0) next.delete(c.key);
        else next.set(c.key, kept.join(","));
      }
      return;
    }
    if (c.opType === AlterConfigOp.APPEND) {
      next.set(c.key, existing ? `${existing},${value}` : value);
    } else {
      if (items.length === 0) return;
      const kept = items.filter((v) => v !== value);
      if (kept.length === 0) next.delete(c.key);
      else next.set(c.key, kept.join(","));
    }
  }

  private effective(dynamic: ReadonlyMap<string, string>): Map<string, string> {
    const m = new Map(this.initial);
    for (const [k, v] of dynamic) m.set(k, v);
    return m;
  }

  private persist(next: ReadonlyMap<string, string>): void {
    const doc = { format: FORMAT, version: 1, configs: Object.fromEntries(next) };
    try {
      fs.mkdirSync(path.dirname(this.file), { recursive: true });
      writeFileAtomicSync(this.file, `${JSON.stringify(doc, null, 1)}\n`);
    } catch (e) {
      throw new FlussError(ErrorCode.STORAGE_EXCEPTION, `Cannot write ${this.file}: ${describeOsCause(e)}`, { cause: e });
    }
  }
}
