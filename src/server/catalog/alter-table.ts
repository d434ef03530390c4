/**
 * AlterTable on the coordinator, in the order of Java's `CoordinatorService.alterTable`:
 * the request's changes are read (`ServerRpcMessageUtils.toAlterTableConfigChanges` /
 * `toAlterTableSchemaChanges`), option and column changes may not be mixed, then either
 * `MetadataManager.alterTableSchema` (`SchemaUpdate`: add a nullable column at the end; the
 * schema id goes up by one) or `MetadataManager.alterTableProperties`
 * (`TableDescriptorValidation.validateAlterTableProperties`, then the create-time checks on
 * the result). Codes and messages are Java's: exceptions Java has no error code for
 * (`IllegalArgumentException`, `SchemaChangeException`) are UNKNOWN_SERVER_ERROR.
 */
import { ErrorCode, FlussError } from "../../rpc/errors.js";
import type * as M from "../../rpc/messages.js";
import { type AggFunction, AggFunctions, parseAggFunctionType, validateAggFunction } from "../../metadata/agg-function.js";
import type { DataType } from "../../metadata/data-types.js";
import { javaHashMapOrder } from "../../metadata/java-json.js";
import { dataTypeFromJson, schemaToJson, tableDescriptorFromJson, tableDescriptorToJson } from "../../metadata/json.js";
import { Schema } from "../../metadata/schema.js";
import { ALTERABLE_TABLE_OPTIONS } from "../../metadata/table-change.js";
import type { TableDescriptor } from "../../metadata/table-descriptor.js";
import { TABLE_OPTION_PREFIX, TableOptions } from "../../metadata/table-options.js";
import type { CatalogStore, TableEntry } from "../storage/catalog-store.js";
import { RESERVED_COLUMN_NAMES, validateTableDescriptor } from "./validation.js";

/** AlterConfigOpType (Java `config/cluster/AlterConfigOpType`). */
const OP_SET = 0;
const OP_DELETE = 1;
/** ColumnPositionType.LAST, the only position Java reads. */
const POSITION_LAST = 0;

type OptionChange =
  | { readonly set: true; readonly key: string; readonly value: string }
  | { readonly set: false; readonly key: string };

type SchemaChange =
  | {
      readonly kind: "add";
      readonly name: string;
      readonly type: DataType;
      readonly comment: string | undefined;
      readonly aggFunction: AggFunction | undefined;
    }
  | { readonly kind: "drop" | "rename" | "modify" };

const unknownServerError = (message: string): FlussError => new FlussError(ErrorCode.UNKNOWN_SERVER_ERROR, message);
const invalidAlter = (message: string): FlussError => new FlussError(ErrorCode.INVALID_ALTER_TABLE_EXCEPTION, message);

/** `ServerRpcMessageUtils.toTableChange` with `AlterConfigOpType.from`. */
function optionChanges(list: readonly M.PbAlterConfig[]): OptionChange[] {
  return list.map((c) => {
    if (c.opType === OP_SET) return { set: true, key: c.configKey, value: c.configValue ?? "" };
    if (c.opType === OP_DELETE) return { set: false, key: c.configKey };
    if (c.opType === 2 || c.opType === 3) throw unknownServerError(`Unsupported alter table configs op type ${c.opType}`);
    throw unknownServerError(`Unsupported AlterConfigOpType: ${c.opType}`);
  });
}

/** `ColumnPositionType.from(int)`: only LAST (0) exists. */
function checkPosition(type: number): void {
  if (type !== POSITION_LAST) throw unknownServerError(`Unsupported ColumnPositionType: ${type}`);
}

function readType(json: Uint8Array | undefined): DataType {
  if (json === undefined) throw unknownServerError("The data type of the column is missing.");
  try {
    return dataTypeFromJson(json);
  } catch (e) {
    throw unknownServerError((e as Error).message);
  }
}

/** `ServerRpcMessageUtils.toAlterTableSchemaChanges`: adds, drops, renames, modifies, in that order. */
function schemaChanges(req: M.AlterTableRequest): SchemaChange[] {
  const out: SchemaChange[] = [];
  for (const a of req.addColumns) {
    let aggFunction: AggFunction | undefined;
    if (a.aggFunctionType !== undefined) {
      const type = parseAggFunctionType(a.aggFunctionType);
      if (type === undefined) {
        throw new FlussError(ErrorCode.INVALID_CONFIG_EXCEPTION, `Unknown aggregation function type: ${a.aggFunctionType}`);
      }
      const params: Record<string, string> = {};
      for (const kv of a.aggFunctionParams) params[kv.key] = kv.value;
      aggFunction = AggFunctions.of(type, params);
    }
    const type = readType(a.dataTypeJson);
    checkPosition(a.columnPositionType);
    out.push({ kind: "add", name: a.columnName, type, comment: a.comment, aggFunction });
  }
  for (let i = 0; i < req.dropColumns.length; i++) out.push({ kind: "drop" });
  for (let i = 0; i < req.renameColumns.length; i++) out.push({ kind: "rename" });
  for (const m of req.modifyColumns) {
    readType(m.dataTypeJson);
    if (m.columnPositionType !== undefined) checkPosition(m.columnPositionType);
    out.push({ kind: "modify" });
  }
  return out;
}

/** `SchemaUpdate.applySchemaChanges`. */
function applySchemaChanges(schema: Schema, changes: readonly SchemaChange[]): Schema {
  const builder = Schema.builder().fromSchema(schema);
  for (const c of changes) {
    if (c.kind !== "add") throw unknownServerError(`Not support ${c.kind} column now.`);
    if (builder.hasColumn(c.name)) throw invalidAlter(`Column ${c.name} already exists.`);
    if (!c.type.nullable) throw unknownServerError(`Column ${c.name} must be nullable.`);
    builder.column(c.name, c.type, {
      ...(c.comment !== undefined ? { comment: c.comment } : {}),
      ...(c.aggFunction !== undefined ? { aggFunction: c.aggFunction } : {}),
    });
  }
  try {
    return builder.build();
  } catch (e) {
    throw unknownServerError((e as Error).message);
  }
}

/** `TableDescriptorValidation.validateAlterTableSchema`. */
function validateAlteredSchema(desc: TableDescriptor, schema: Schema): void {
  const reserved = schema.columnNames.filter((n) => RESERVED_COLUMN_NAMES.includes(n));
  if (reserved.length) {
    throw new FlussError(
      ErrorCode.INVALID_TABLE_EXCEPTION,
      `${reserved.join(", ")} cannot be used as column names, because they are reserved system columns in Fluss. ` +
        `Please use other names for these columns. The reserved system columns are: ${RESERVED_COLUMN_NAMES.join(", ")}`,
    );
  }
  const engine = desc.properties[TableOptions.MERGE_ENGINE]?.trim().toUpperCase();
  for (const c of schema.columns) {
    if (!c.aggFunction) continue;
    if (engine !== "AGGREGATION") {
      throw new FlussError(
        ErrorCode.INVALID_CONFIG_EXCEPTION,
        `Aggregation function is only supported for aggregation merge engine table, but column '${c.name}' has aggregation function '${c.aggFunction.type}'.`,
      );
    }
    if (schema.primaryKeys.includes(c.name)) continue;
    try {
      validateAggFunction(c.aggFunction, c.type);
    } catch (e) {
      throw new FlussError(
        ErrorCode.INVALID_CONFIG_EXCEPTION,
        `Invalid aggregation function for column '${c.name}': ${(e as Error).message}`,
      );
    }
  }
}

/** `TableDescriptorValidation.validateAlterTableProperties` (no table of this cluster has a lake format). */
function validateAlterProperties(desc: TableDescriptor, keys: readonly string[]): void {
  const unsupported = keys.filter((k) => k.startsWith(TABLE_OPTION_PREFIX) && !ALTERABLE_TABLE_OPTIONS.includes(k));
  if (unsupported.length) {
    throw invalidAlter(`The following options are not supported to alter yet: ${unsupported.map((k) => `'${k}'`).join(", ")}.`);
  }
  if (keys.includes(TableOptions.KV_STANDBY_REPLICA_ENABLED) && !desc.hasPrimaryKey) {
    throw invalidAlter(`'${TableOptions.KV_STANDBY_REPLICA_ENABLED}' can only be altered on primary key tables.`);
  }
  if (desc.properties[TableOptions.DATALAKE_FORMAT] === undefined) {
    const lakeKeys = keys.filter((k) => k.startsWith("table.datalake."));
    if (lakeKeys.length === 0) return;
    const legacyLogTable =
      !desc.hasPrimaryKey && desc.bucketKeys.length === 0 && lakeKeys.every((k) => k === TableOptions.DATALAKE_ENABLED);
    if (legacyLogTable) return;
    throw invalidAlter(
      "The following options cannot be altered for tables that were created before the Fluss cluster enabled datalake: " +
        `${lakeKeys.map((k) => `'${k}'`).join(", ")}.`,
    );
  }
}

function isLakeEnabled(props: Readonly<Record<string, string>>): boolean {
  const v = props[TableOptions.DATALAKE_ENABLED];
  return v !== undefined && v.trim().toLowerCase() === "true";
}

/** Java's `TableNotExistException` of `MetadataManager.getTable`, unless `ignoreIfNotExists`. */
function findTable(catalog: CatalogStore, req: M.AlterTableRequest): TableEntry | undefined {
  const t = catalog.getTable(req.tablePath);
  if (t || req.ignoreIfNotExists) return t;
  throw new FlussError(
    ErrorCode.TABLE_NOT_EXIST,
    `Table '${req.tablePath.databaseName}.${req.tablePath.tableName}' does not exist.`,
  );
}

/** Applies an AlterTable request to the catalog (persisted before this returns). */
export function alterTable(catalog: CatalogStore, req: M.AlterTableRequest): void {
  const options = optionChanges(req.configChanges);
  const columns = schemaChanges(req);
  if (columns.length > 0 && options.length > 0) {
    throw invalidAlter("Table alteration can only be applied to one of the following: table properties or table schema.");
  }
  if (columns.length > 0) {
    const t = findTable(catalog, req);
    if (!t) return;
    const desc = tableDescriptorFromJson(t.tableJson);
    const schema = applySchemaChanges(desc.schema, columns);
    validateAlteredSchema(desc, schema);
    if (isLakeEnabled(desc.properties)) {
      throw invalidAlter(
        `Cannot alter schema for datalake enabled table ${t.databaseName}.${t.tableName}, because the Fluss cluster doesn't enable datalake tables.`,
      );
    }
    if (schema.equals(desc.schema)) return;
    catalog.alterTable(t.tableId, tableDescriptorToJson(desc.with({ schema })), schemaToJson(schema));
    return;
  }
  if (options.length === 0) return;
  const t = findTable(catalog, req);
  if (!t) return;
  const desc = tableDescriptorFromJson(t.tableJson);
  const keys = [...new Set(options.filter((o) => o.key.startsWith(TABLE_OPTION_PREFIX)).map((o) => o.key))];
  validateAlterProperties(desc, keys);
  // MetadataManager.getUpdatedTableDescriptor: all sets, then all resets
  const props: Record<string, string> = { ...desc.properties };
  const custom: Record<string, string> = { ...desc.customProperties };
  for (const o of options) {
    if (!o.set) continue;
    if (o.key.startsWith(TABLE_OPTION_PREFIX)) props[o.key] = o.value;
    else custom[o.key] = o.value;
  }
  for (const o of options) {
    if (o.set) continue;
    if (o.key.startsWith(TABLE_OPTION_PREFIX)) delete props[o.key];
    else delete custom[o.key];
  }
  if (sameMap(props, desc.properties) && sameMap(custom, desc.customProperties)) return;
  const updated = desc.with({ properties: javaHashMapOrder(props), customProperties: javaHashMapOrder(custom) });
  if (isLakeEnabled(updated.properties)) {
    throw invalidAlter(
      `Cannot alter table ${t.databaseName}.${t.tableName} in data lake, because the Fluss cluster doesn't enable datalake tables.`,
    );
  }
  validateTableDescriptor(updated);
  catalog.alterTable(t.tableId, tableDescriptorToJson(updated));
}

function sameMap(a: Readonly<Record<string, string>>, b: Readonly<Record<string, string>>): boolean {
  const ka = Object.keys(a);
  return ka.length === Object.keys(b).length && ka.every((k) => Object.hasOwn(b, k) && b[k] === a[k]);
}
