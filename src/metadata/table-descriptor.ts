/**
 * `TableDescriptor`: what a client sends to create a table (schema, partitioning,
 * distribution, properties), normalized like Java's `TableDescriptor` constructor.
 */

import { FlussError } from "../rpc/errors.js";
import { checkOptionNames, describeArg } from "./argument-checks.js";
import { Schema } from "./schema.js";
import {
  type KvFormat,
  KV_FORMATS,
  type LogFormat,
  LOG_FORMATS,
  TABLE_DEFAULTS,
  TableOptions,
  parseJavaEnum,
} from "./table-options.js";

/** Options of {@link TableDescriptor} (the Python client's keyword arguments). */
export interface TableDescriptorOptions {
  /** Columns to partition by. */
  readonly partitionKeys?: readonly string[];
  /** Number of buckets; the server applies its default when absent. */
  readonly bucketCount?: number;
  /** Columns hashed to pick a bucket (PK tables default to the PK minus partition keys). */
  readonly bucketKeys?: readonly string[];
  /** Free-form table comment. */
  readonly comment?: string;
  /** Sets `table.log.format`. */
  readonly logFormat?: LogFormat;
  /** Sets `table.kv.format`. */
  readonly kvFormat?: KvFormat;
  /** `table.*` options. */
  readonly properties?: Readonly<Record<string, string>>;
  /** Free-form user properties. */
  readonly customProperties?: Readonly<Record<string, string>>;
}

/** The table distribution: bucket keys and (optionally) the bucket count. */
export interface TableDistribution {
  /** Columns hashed to pick a bucket (empty: rows are spread by the writer). */
  readonly bucketKeys: readonly string[];
  /** Number of buckets; absent: the server's default. */
  readonly bucketCount?: number;
}

function javaList(items: readonly string[]): string {
  return `[${items.join(", ")}]`;
}

/**
 * Describes a table to create. Immutable; validation errors are `FlussError` CLIENT_ERROR
 * naming the offending columns.
 *
 * Distribution rules (Java `TableDescriptor.normalizeDistribution`): bucket keys may not
 * include partition keys; a PK table without bucket keys gets the PK minus the partition
 * keys; a PK table's bucket keys must be PK columns; a partitioned PK table's partition
 * keys must be PK columns.
 */
export class TableDescriptor {
  /** The table's columns and primary key. */
  readonly schema: Schema;
  /** Free-form table comment, if any. */
  readonly comment?: string;
  /** Partition columns (empty for a non-partitioned table). */
  readonly partitionKeys: readonly string[];
  /** Absent when neither bucket keys nor count were given (log tables only). */
  readonly distribution?: TableDistribution;
  /** `table.*` options in insertion order. */
  readonly properties: Readonly<Record<string, string>>;
  /** Free-form user properties, in insertion order. */
  readonly customProperties: Readonly<Record<string, string>>;

  /**
   * Checks and normalizes the options (see the class comment). Throws a FlussError
   * (CLIENT_ERROR) naming an unknown option, a bad column or a bad bucket count.
   */
  constructor(schema: Schema, options: TableDescriptorOptions = {}) {
    if (!(schema instanceof Schema)) {
      throw FlussError.client(
        `TableDescriptor needs a Schema as its first argument (Schema.fromColumns(...), new Schema(arrowSchema) or Schema.builder()), got ${describeArg(schema)}`,
      );
    }
    checkOptionNames(options, TABLE_DESCRIPTOR_OPTIONS, "TableDescriptor");
    this.schema = schema;
    if (options.comment !== undefined && options.comment !== null) this.comment = options.comment;
    this.partitionKeys = Object.freeze([...(checkNames("partitionKeys", options.partitionKeys) ?? [])]);
    checkNames("bucketKeys", options.bucketKeys);

    const props: Record<string, string> = {};
    for (const [k, v] of Object.entries(options.properties ?? {})) props[k] = checkString(k, v);
    if (options.logFormat !== undefined) {
      props[TableOptions.LOG_FORMAT] = parseOrClientError(options.logFormat, LOG_FORMATS, "logFormat");
    }
    if (options.kvFormat !== undefined) {
      props[TableOptions.KV_FORMAT] = parseOrClientError(options.kvFormat, KV_FORMATS, "kvFormat");
    }
    this.properties = Object.freeze(props);
    const custom: Record<string, string> = {};
    for (const [k, v] of Object.entries(options.customProperties ?? {})) custom[k] = checkString(k, v);
    this.customProperties = Object.freeze(custom);

    if (options.bucketCount !== undefined && options.bucketCount !== null) {
      if (!Number.isInteger(options.bucketCount) || options.bucketCount <= 0) {
        throw FlussError.client(`Bucket count must be a positive integer, got ${options.bucketCount}.`);
      }
    }
    const origin: TableDistribution | undefined =
      options.bucketKeys !== undefined || options.bucketCount !== undefined
        ? {
            bucketKeys: [...(options.bucketKeys ?? [])],
            ...(options.bucketCount !== undefined ? { bucketCount: options.bucketCount } : {}),
          }
        : undefined;
    const dist = normalizeDistribution(schema, this.partitionKeys, origin);
    if (dist) this.distribution = Object.freeze({ ...dist, bucketKeys: Object.freeze([...dist.bucketKeys]) });

    const columns = new Set(schema.columnNames);
    if (schema.hasPrimaryKey) {
      const notInPk = this.partitionKeys.filter((k) => !schema.primaryKeys.includes(k));
      if (notInPk.length) {
        throw FlussError.client(
          `Partitioned Primary Key Table requires partition key ${javaList(this.partitionKeys)} is a subset of the primary key ${javaList(schema.primaryKeys)}.`,
        );
      }
    } else {
      for (const k of this.partitionKeys) {
        if (!columns.has(k)) throw FlussError.client(`Partition key '${k}' does not exist in the schema.`);
      }
    }
    if (new Set(this.partitionKeys).size !== this.partitionKeys.length) {
      throw FlussError.client(`Partition keys ${javaList(this.partitionKeys)} must not contain duplicates.`);
    }
    for (const k of this.distribution?.bucketKeys ?? []) {
      if (!columns.has(k)) throw FlussError.client(`Bucket key '${k}' does not exist in the schema.`);
    }
  }

  /** A copy with some options replaced (properties/customProperties replace, not merge). */
  with(options: TableDescriptorOptions & { schema?: Schema }): TableDescriptor {
    const { schema, ...rest } = options;
    return new TableDescriptor(schema ?? this.schema, { ...this.toOptions(), ...rest });
  }

  /** A copy with extra `table.*` properties added (existing keys keep their position). */
  withProperties(extra: Readonly<Record<string, string>>): TableDescriptor {
    return this.with({ properties: { ...this.properties, ...extra } });
  }

  /** A copy with the bucket count set (bucket keys kept). */
  withBucketCount(bucketCount: number): TableDescriptor {
    return this.with({ bucketCount, bucketKeys: this.bucketKeys });
  }

  /** The constructor options that rebuild this descriptor. */
  toOptions(): TableDescriptorOptions {
    return {
      partitionKeys: this.partitionKeys,
      ...(this.distribution ? { bucketKeys: this.distribution.bucketKeys } : {}),
      ...(this.distribution?.bucketCount !== undefined ? { bucketCount: this.distribution.bucketCount } : {}),
      ...(this.comment !== undefined ? { comment: this.comment } : {}),
      properties: this.properties,
      customProperties: this.customProperties,
    };
  }

  /** Bucket keys (empty without a distribution). */
  get bucketKeys(): readonly string[] {
    return this.distribution?.bucketKeys ?? [];
  }

  /** The bucket count, or undefined when not given (the server's default applies). */
  get bucketCount(): number | undefined {
    return this.distribution?.bucketCount;
  }

  /** Whether the schema has a primary key. */
  get hasPrimaryKey(): boolean {
    return this.schema.hasPrimaryKey;
  }

  /** Whether the table has partition keys. */
  get isPartitioned(): boolean {
    return this.partitionKeys.length > 0;
  }

  /** `table.log.format` (default ARROW). Throws CLIENT_ERROR on an unknown value. */
  get logFormat(): LogFormat {
    const v = this.properties[TableOptions.LOG_FORMAT];
    return v === undefined ? TABLE_DEFAULTS.logFormat : parseOrClientError(v, LOG_FORMATS, TableOptions.LOG_FORMAT);
  }

  /** `table.kv.format` (default COMPACTED). Throws CLIENT_ERROR on an unknown value. */
  get kvFormat(): KvFormat {
    const v = this.properties[TableOptions.KV_FORMAT];
    return v === undefined ? TABLE_DEFAULTS.kvFormat : parseOrClientError(v, KV_FORMATS, TableOptions.KV_FORMAT);
  }
}

/** The keys of {@link TableDescriptorOptions}. */
const TABLE_DESCRIPTOR_OPTIONS = [
  "partitionKeys",
  "bucketCount",
  "bucketKeys",
  "comment",
  "logFormat",
  "kvFormat",
  "properties",
  "customProperties",
] as const satisfies readonly (keyof TableDescriptorOptions)[];

/** A JavaScript caller may pass anything: key lists must be arrays of column names. */
function checkNames(option: string, names: unknown): readonly string[] | undefined {
  if (names === undefined || names === null) return undefined;
  if (!Array.isArray(names) || names.some((n) => typeof n !== "string")) {
    throw FlussError.client(`${option} must be an array of column names, got ${JSON.stringify(names)}.`);
  }
  return names as readonly string[];
}

function checkString(key: string, value: unknown): string {
  if (typeof value !== "string") throw FlussError.client(`Property '${key}' must have a string value, got ${typeof value}.`);
  return value;
}

function parseOrClientError<T extends string>(raw: string, values: readonly T[], what: string): T {
  try {
    return parseJavaEnum(raw, values, what);
  } catch {
    throw FlussError.client(`Invalid ${what} '${raw}': expected one of ${javaList(values)}.`);
  }
}

/** Java `TableDescriptor.normalizeDistribution` (see the class comment). */
function normalizeDistribution(
  schema: Schema,
  partitionKeys: readonly string[],
  origin: TableDistribution | undefined,
): TableDistribution | undefined {
  if (!origin) {
    return schema.hasPrimaryKey ? { bucketKeys: defaultBucketKeys(schema, partitionKeys) } : undefined;
  }
  const clash = origin.bucketKeys.filter((k) => partitionKeys.includes(k));
  if (clash.length) {
    throw FlussError.client(
      `Bucket key ${javaList(origin.bucketKeys)} shouldn't include any column in partition keys ${javaList(partitionKeys)}: ${javaList(clash)}.`,
    );
  }
  if (!schema.hasPrimaryKey) return origin;
  if (origin.bucketKeys.length === 0) {
    return { ...origin, bucketKeys: defaultBucketKeys(schema, partitionKeys) };
  }
  const notPk = origin.bucketKeys.filter((k) => !schema.primaryKeys.includes(k));
  if (notPk.length) {
    throw FlussError.client(
      `Bucket keys must be a subset of primary keys excluding partition keys for primary-key tables. ` +
        `The primary keys are ${javaList(schema.primaryKeys)}, the partition keys are ${javaList(partitionKeys)}, ` +
        `but the user-defined bucket keys are ${javaList(origin.bucketKeys)} (not primary keys: ${javaList(notPk)}).`,
    );
  }
  return origin;
}

function defaultBucketKeys(schema: Schema, partitionKeys: readonly string[]): string[] {
  const keys = schema.primaryKeys.filter((k) => !partitionKeys.includes(k));
  if (keys.length === 0) {
    throw FlussError.client(
      `Primary Key constraint ${javaList(schema.primaryKeys)} should not be same with partition fields ${javaList(partitionKeys)}.`,
    );
  }
  return keys;
}
