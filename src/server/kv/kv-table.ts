/**
 * What the KV side needs to know about a primary-key table, derived once per stored table
 * entry: its `TableInfo`, record-key rules, kv row codecs, changelog format and mergers.
 */
import type { Schema as ArrowSchema } from "apache-arrow";
import { toArrowSchema } from "../../metadata/arrow-types.js";
import type { RowType } from "../../metadata/data-types.js";
import { TableInfo } from "../../metadata/table-info.js";
import { TableOptions, parseJavaInt, type ChangelogImage, type KvFormat, type LogFormat } from "../../metadata/table-options.js";
import { TablePath } from "../../metadata/table-path.js";
import type { ArrowCompression } from "../../record/arrow/compression.js";
import { compileCompactedFieldReader } from "../../row/compacted-row.js";
import { CompactedRowDecoder, CompactedRowEncoder } from "../../row/compacted-row.js";
import { IndexedRowDecoder, IndexedRowEncoder } from "../../row/indexed-row.js";
import { PrimaryKeyCodec, primaryKeyEncoder } from "../../row/key-encoding.js";
import { CompactedKeyDecoder, CompactedKeyEncoder } from "../../row/compacted-key.js";
import type { RowDecoder, RowEncoder } from "../../row/row-codec.js";
import { ByteReader } from "../../util/bytes.js";
import { ErrorCode, FlussError } from "../../rpc/errors.js";
import { createRowMerger } from "./merge/create-merger.js";
import { DefaultRowMerger } from "./merge/default-merger.js";
import type { RowMerger } from "./merge/row-merger.js";
import { latin1ToBytes } from "./kv-store.js";
import type { TableView } from "../table-view.js";
import { schemaFromJson } from "../../metadata/json.js";

/** The KV view of one primary-key table. */
export interface KvTable {
  readonly info: TableInfo;
  readonly rowType: RowType;
  /** The latest schema id (changelog batches and merged rows use it). */
  readonly schemaId: number;
  readonly kvFormat: KvFormat;
  readonly logFormat: LogFormat;
  readonly changelogImage: ChangelogImage;
  readonly arrowCompression: ArrowCompression;
  readonly primaryKeyIndexes: readonly number[];
  /** Record key of a full row (replay). */
  readonly keys: PrimaryKeyCodec;
  /** Decodes kv-format rows (values without their schema id). */
  readonly rowDecoder: RowDecoder;
  /** Encodes kv-format rows. */
  readonly rowEncoder: RowEncoder;
  /** The table's merge engine (DEFAULT merge mode). */
  readonly merger: RowMerger;
  /** Java's `overwriteRowMerger` for PutKv `agg_mode` OVERWRITE. */
  readonly overwriteMerger: RowMerger;
  /** The bucket-key prefix of a record key, when the bucket key leads the primary key. */
  readonly prefixOf: ((key: string) => string) | undefined;
  /**
   * A full-width row holding the primary-key values of a record key (others null), for
   * Lookup's insert_if_not_exists (Java `KeyRecordBatch`); undefined when keys cannot be
   * decoded here (lake key encoders, partitioned tables).
   */
  readonly keyRow: ((key: Uint8Array) => unknown[]) | undefined;
  /** The auto-increment column, if the table has one (Java allows at most one). */
  readonly autoIncrement: AutoIncrementColumn | undefined;
  /** Arrow schema of ARROW changelog batches (replay). */
  arrowSchema(): ArrowSchema;
  /**
   * The codecs of a schema id of the table: stored values and changelog batches keep the id
   * they were written with (Java KvTablet stores rows as sent). SCHEMA_NOT_EXIST for an id
   * the table never had.
   */
  codecOf(schemaId: number): KvSchemaCodec;
}

/** Row codecs of one schema version of a primary-key table. */
export interface KvSchemaCodec {
  readonly schemaId: number;
  readonly rowType: RowType;
  readonly rowDecoder: RowDecoder;
  readonly rowEncoder: RowEncoder;
  arrowSchema(): ArrowSchema;
}

/**
 * A row of an older schema as a row of the latest one (Java `PaddingRow`): columns are only
 * ever added at the end, so the missing ones are trailing nulls.
 */
export function padRow(row: unknown[], fieldCount: number): unknown[] {
  if (row.length >= fieldCount) return row;
  const out = row.slice();
  for (let i = row.length; i < fieldCount; i++) out.push(null);
  return out;
}

/** An auto-increment column of a primary-key table. */
export interface AutoIncrementColumn {
  readonly index: number;
  readonly name: string;
  /** INT (else BIGINT). */
  readonly isInt: boolean;
  /** `table.auto-increment.cache-size` (100000). */
  readonly cacheSize: number;
}

const cache = new WeakMap<TableView, KvTable>();

/** The KV view of a primary-key table (cached per catalog entry). */
export function kvTableOf(t: TableView): KvTable {
  const hit = cache.get(t);
  if (hit) return hit;
  const e = t.entry;
  const info = TableInfo.fromJson(
    TablePath.of(e.databaseName, e.tableName),
    e.tableId,
    e.schemaId,
    e.tableJson,
    e.createdTime,
    e.modifiedTime,
  );
  const rowType = info.rowType;
  const types = rowType.fields.map((f) => f.type);
  const names = rowType.fields.map((f) => f.name);
  const kvFormat = info.kvFormat;
  const primaryKeyIndexes = info.primaryKeys.map((k) => names.indexOf(k));
  const keys = new PrimaryKeyCodec(info);
  const spec = {
    rowType,
    primaryKeyIndexes,
    properties: info.properties,
    schemaJson: (JSON.parse(e.tableJson) as Record<string, unknown>).schema,
  };
  const c = info.arrowCompression;
  let arrow: ArrowSchema | undefined;
  const kt: KvTable = {
    info,
    rowType,
    schemaId: e.schemaId,
    kvFormat,
    logFormat: info.logFormat,
    changelogImage: info.changelogImage,
    arrowCompression: c.type === "ZSTD" ? { type: "ZSTD", level: c.level > 0 ? c.level : 3 } : { type: c.type },
    primaryKeyIndexes,
    keys,
    rowDecoder: kvFormat === "INDEXED" ? new IndexedRowDecoder(types) : new CompactedRowDecoder(types),
    rowEncoder: kvFormat === "INDEXED" ? new IndexedRowEncoder(types) : new CompactedRowEncoder(types),
    merger: createRowMerger(spec),
    overwriteMerger: new DefaultRowMerger(rowType, primaryKeyIndexes, "ALLOW"),
    prefixOf: prefixFunction(info),
    autoIncrement: autoIncrementOf(info),
    keyRow: keyRowFunction(info, primaryKeyIndexes),
    arrowSchema: () => (arrow ??= toArrowSchema(rowType)),
    codecOf: (schemaId) => {
      if (schemaId === e.schemaId) return kt;
      let c = codecs.get(schemaId);
      if (c) return c;
      const stored = e.schemas.find((x) => x.schemaId === schemaId)?.schemaJson;
      if (stored === undefined) {
        throw new FlussError(
          ErrorCode.SCHEMA_NOT_EXIST,
          `Schema for table ${e.databaseName}.${e.tableName} with schema id ${schemaId} does not exist.`,
        );
      }
      const rt = schemaFromJson(stored).rowType;
      const ts = rt.fields.map((f) => f.type);
      let arrowOld: ArrowSchema | undefined;
      c = {
        schemaId,
        rowType: rt,
        rowDecoder: kvFormat === "INDEXED" ? new IndexedRowDecoder(ts) : new CompactedRowDecoder(ts),
        rowEncoder: kvFormat === "INDEXED" ? new IndexedRowEncoder(ts) : new CompactedRowEncoder(ts),
        arrowSchema: () => (arrowOld ??= toArrowSchema(rt)),
      };
      codecs.set(schemaId, c);
      return c;
    },
  };
  const codecs = new Map<number, KvSchemaCodec>();
  cache.set(t, kt);
  return kt;
}

/**
 * When the bucket key is a strict leading part of the physical primary key and record keys
 * are compacted keys, the bucket-key bytes are the key's first fields: returns a function
 * cutting them off a record key. Otherwise undefined (prefix lookups scan).
 */
function prefixFunction(info: TableInfo): ((key: string) => string) | undefined {
  const pk = info.physicalPrimaryKeys;
  const bk = info.bucketKeys;
  if (bk.length === 0 || bk.length >= pk.length || !bk.every((k, i) => pk[i] === k)) return undefined;
  if (!(primaryKeyEncoder(info) instanceof CompactedKeyEncoder)) return undefined;
  const readers = bk.map((name) => compileCompactedFieldReader(info.rowType.fields.find((f) => f.name === name)!.type));
  return (key) => {
    const bytes = latin1ToBytes(key);
    const r = new ByteReader(bytes, 0, bytes.length);
    try {
      for (const read of readers) read(r);
    } catch {
      return key; // not a well-formed key: it is its own prefix group
    }
    return key.slice(0, r.pos);
  };
}

function keyRowFunction(info: TableInfo, primaryKeyIndexes: readonly number[]): ((key: Uint8Array) => unknown[]) | undefined {
  if (info.isPartitioned || !(primaryKeyEncoder(info) instanceof CompactedKeyEncoder)) return undefined;
  const decoder = new CompactedKeyDecoder(primaryKeyIndexes.map((i) => info.rowType.fields[i]!.type));
  const n = info.rowType.fields.length;
  return (key) => {
    const values = decoder.decode(key);
    const row = new Array<unknown>(n).fill(null);
    primaryKeyIndexes.forEach((col, k) => (row[col] = values[k]));
    return row;
  };
}

function autoIncrementOf(info: TableInfo): AutoIncrementColumn | undefined {
  const name = info.schema.autoIncrementColumns[0];
  if (name === undefined) return undefined;
  const index = info.rowType.fields.findIndex((f) => f.name === name);
  const raw = info.properties[TableOptions.AUTO_INCREMENT_CACHE_SIZE];
  const cacheSize = raw === undefined ? 100_000 : parseJavaInt(raw, 64);
  return {
    index,
    name,
    isInt: info.rowType.fields[index]!.type.root === "INTEGER",
    cacheSize: cacheSize > 0 ? cacheSize : 100_000,
  };
}

/** Java KvTablet.createWalBuilder: INDEXED changelogs need the INDEXED kv format. */
export function checkChangelogFormat(kt: KvTable): void {
  if (kt.logFormat === "INDEXED" && kt.kvFormat === "COMPACTED") {
    throw new FlussError(
      ErrorCode.UNKNOWN_SERVER_ERROR,
      "Primary Key Table with COMPACTED kv format doesn't support INDEXED cdc log format.",
    );
  }
}
