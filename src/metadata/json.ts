/**
 * The JSON forms of data types, schemas, table descriptors and database descriptors, exactly
 * as Java writes them (`DataTypeJsonSerde`, `ColumnJsonSerde`, `SchemaJsonSerde`,
 * `TableDescriptorJsonSerde`, `DatabaseDescriptorJsonSerde`; protocol.md §5–6).
 *
 * Writers emit keys in Java's order, compact, non-ASCII unescaped. Readers follow Java's
 * rules: unknown keys are ignored, mandatory keys missing → `FlussError`
 * INVALID_TABLE_EXCEPTION (INVALID_DATABASE_EXCEPTION for databases), which is what a Java
 * coordinator answers for a bad CreateTable request.
 */

import { ErrorCode, FlussError } from "../rpc/errors.js";
import { utf8Decode } from "../util/bytes.js";
import { type DataField, type DataType, type DataTypeRoot, DataTypes, withNullability } from "./data-types.js";
import { DatabaseDescriptor } from "./database.js";
import { javaHashMapOrder, jsonString, jsonStringArray, jsonStringMap } from "./java-json.js";
import { type AggFunction, AggFunctions, parseAggFunctionType } from "./agg-function.js";
import { type Column, type ColumnSpec, Schema, UNKNOWN_COLUMN_ID } from "./schema.js";
import { TableDescriptor } from "./table-descriptor.js";

/** A parsed JSON value. */
export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };
type JsonObject = { [key: string]: JsonValue };

/** JSON text, its UTF-8 bytes, or an already parsed value. */
export type JsonInput = string | Uint8Array | JsonValue;

// ---------------------------------------------------------------- writers

/** A data type's JSON object. */
export function dataTypeToJson(type: DataType): string {
  let s = `{"type":${jsonString(type.root)}`;
  if (!type.nullable) s += `,"nullable":false`;
  switch (type.root) {
    case "CHAR":
    case "BINARY":
      s += `,"length":${type.length}`;
      break;
    case "DECIMAL":
      s += `,"precision":${type.precision},"scale":${type.scale}`;
      break;
    case "TIME_WITHOUT_TIME_ZONE":
    case "TIMESTAMP_WITHOUT_TIME_ZONE":
    case "TIMESTAMP_WITH_LOCAL_TIME_ZONE":
      s += `,"precision":${type.precision}`;
      break;
    case "ARRAY":
      s += `,"element_type":${dataTypeToJson(type.elementType)}`;
      break;
    case "MAP":
      s += `,"key_type":${dataTypeToJson(type.keyType)},"value_type":${dataTypeToJson(type.valueType)}`;
      break;
    case "ROW":
      s += `,"fields":[${type.fields.map(fieldToJson).join(",")}]`;
      break;
    default:
      break;
  }
  return `${s}}`;
}

function fieldToJson(f: DataField): string {
  let s = `{"name":${jsonString(f.name)},"field_type":${dataTypeToJson(f.type)}`;
  if (f.description !== undefined) s += `,"description":${jsonString(f.description)}`;
  return `${s},"field_id":${f.fieldId}}`;
}

/** A column's JSON object. */
function columnToJson(c: Column): string {
  let s = `{"name":${jsonString(c.name)},"data_type":${dataTypeToJson(c.type)}`;
  if (c.comment !== undefined) s += `,"comment":${jsonString(c.comment)}`;
  if (c.aggFunction) {
    s += `,"agg_function":{"type":${jsonString(c.aggFunction.type)}`;
    const params = c.aggFunction.parameters;
    // Java keeps the parameters in a HashMap and writes them in its iteration order
    if (params && Object.keys(params).length > 0) s += `,"parameters":${jsonStringMap(javaHashMapOrder(params))}`;
    s += "}";
  }
  return `${s},"id":${c.id}}`;
}

/** A schema's JSON (also GetTableSchemaResponse.schema_json). */
export function schemaToJson(schema: Schema): string {
  let s = `{"version":1,"columns":[${schema.columns.map(columnToJson).join(",")}]`;
  if (schema.primaryKeys.length) s += `,"primary_key":${jsonStringArray(schema.primaryKeys)}`;
  if (schema.autoIncrementColumns.length) s += `,"auto_increment_column":${jsonStringArray(schema.autoIncrementColumns)}`;
  return `${s},"highest_field_id":${schema.highestFieldId}}`;
}

/** A table descriptor's JSON (CreateTableRequest.table_json, GetTableInfoResponse.table_json). */
export function tableDescriptorToJson(desc: TableDescriptor): string {
  let s = `{"version":1,"schema":${schemaToJson(desc.schema)}`;
  if (desc.comment !== undefined) s += `,"comment":${jsonString(desc.comment)}`;
  s += `,"partition_key":${jsonStringArray(desc.partitionKeys)}`;
  if (desc.distribution) {
    s += `,"bucket_key":${jsonStringArray(desc.distribution.bucketKeys)}`;
    if (desc.distribution.bucketCount !== undefined) s += `,"bucket_count":${desc.distribution.bucketCount}`;
  }
  s += `,"properties":${jsonStringMap(desc.properties)}`;
  return `${s},"custom_properties":${jsonStringMap(desc.customProperties)}}`;
}

/** A database descriptor's JSON (CreateDatabaseRequest/GetDatabaseInfoResponse.database_json). */
export function databaseDescriptorToJson(desc: DatabaseDescriptor): string {
  let s = `{"version":1`;
  if (desc.comment !== undefined) s += `,"comment":${jsonString(desc.comment)}`;
  return `${s},"custom_properties":${jsonStringMap(desc.customProperties)}}`;
}

// ---------------------------------------------------------------- readers

class Reader {
  constructor(readonly code: number) {}

  fail(message: string, cause?: unknown): never {
    throw new FlussError(this.code, message, cause === undefined ? undefined : { cause });
  }

  parse(input: JsonInput, what: string): JsonValue {
    if (typeof input !== "string" && !(input instanceof Uint8Array)) return input;
    const text = typeof input === "string" ? input : utf8Decode(input);
    try {
      return JSON.parse(text) as JsonValue;
    } catch (e) {
      return this.fail(`Failed to parse ${what}: ${(e as Error).message}`, e);
    }
  }

  object(v: JsonValue | undefined, what: string): JsonObject {
    if (v === null || v === undefined || typeof v !== "object" || Array.isArray(v)) {
      return this.fail(`${what} must be a JSON object`);
    }
    return v;
  }

  required(o: JsonObject, key: string, what: string): JsonValue {
    const v = o[key];
    if (v === undefined || v === null) return this.fail(`Missing required field '${key}' in ${what} JSON.`);
    return v;
  }

  array(v: JsonValue, key: string): JsonValue[] {
    if (!Array.isArray(v)) return this.fail(`Field '${key}' must be a JSON array.`);
    return v;
  }

  strings(v: JsonValue, key: string): string[] {
    return this.array(v, key).map(asText);
  }

  stringMap(v: JsonValue, key: string): Record<string, string> {
    const o = this.object(v, `Field '${key}'`);
    const out: Record<string, string> = {};
    for (const [k, val] of Object.entries(o)) out[k] = asText(val);
    return out;
  }

  /** Runs `fn`, turning any other error (validation, range) into this reader's code. */
  wrap<T>(fn: () => T): T {
    try {
      return fn();
    } catch (e) {
      if (e instanceof FlussError && e.code === this.code) throw e;
      return this.fail((e as Error).message, e);
    }
  }
}

/** Jackson `JsonNode.asText()`. */
function asText(v: JsonValue | undefined): string {
  if (v === null) return "null";
  if (typeof v === "string") return v;
  if (typeof v === "number" || typeof v === "boolean") return String(v);
  return "";
}

/** Jackson `JsonNode.asInt()`. */
function asInt(v: JsonValue | undefined): number {
  if (typeof v === "number") return Math.trunc(v) | 0;
  if (typeof v === "boolean") return v ? 1 : 0;
  if (typeof v === "string" && /^\s*[+-]?\d+\s*$/.test(v)) return Number(v.trim()) | 0;
  return 0;
}

/** Jackson `JsonNode.asBoolean()`. */
function asBoolean(v: JsonValue | undefined): boolean {
  if (typeof v === "boolean") return v;
  if (typeof v === "number") return v !== 0;
  if (typeof v === "string") return v.trim() === "true";
  return false;
}

const TABLE_READER = new Reader(ErrorCode.INVALID_TABLE_EXCEPTION);
const DATABASE_READER = new Reader(ErrorCode.INVALID_DATABASE_EXCEPTION);

const ROOTS: ReadonlySet<string> = new Set<DataTypeRoot>([
  "BOOLEAN",
  "TINYINT",
  "SMALLINT",
  "INTEGER",
  "BIGINT",
  "FLOAT",
  "DOUBLE",
  "DECIMAL",
  "CHAR",
  "STRING",
  "BINARY",
  "BYTES",
  "DATE",
  "TIME_WITHOUT_TIME_ZONE",
  "TIMESTAMP_WITHOUT_TIME_ZONE",
  "TIMESTAMP_WITH_LOCAL_TIME_ZONE",
  "ARRAY",
  "MAP",
  "ROW",
]);

function readDataType(r: Reader, v: JsonValue): DataType {
  const o = r.object(v, "A data type");
  const root = asText(r.required(o, "type", "data type"));
  if (!ROOTS.has(root)) r.fail(`No enum constant org.apache.fluss.types.DataTypeRoot.${root}`);
  const num = (key: string): number => asInt(r.required(o, key, `${root} type`));
  const base = r.wrap((): DataType => {
    switch (root as DataTypeRoot) {
      case "BOOLEAN":
        return DataTypes.BOOLEAN();
      case "TINYINT":
        return DataTypes.TINYINT();
      case "SMALLINT":
        return DataTypes.SMALLINT();
      case "INTEGER":
        return DataTypes.INT();
      case "BIGINT":
        return DataTypes.BIGINT();
      case "FLOAT":
        return DataTypes.FLOAT();
      case "DOUBLE":
        return DataTypes.DOUBLE();
      case "DECIMAL":
        return DataTypes.DECIMAL(num("precision"), num("scale"));
      case "CHAR":
        return DataTypes.CHAR(num("length"));
      case "STRING":
        return DataTypes.STRING();
      case "BINARY":
        return DataTypes.BINARY(num("length"));
      case "BYTES":
        return DataTypes.BYTES();
      case "DATE":
        return DataTypes.DATE();
      case "TIME_WITHOUT_TIME_ZONE":
        return DataTypes.TIME(num("precision"));
      case "TIMESTAMP_WITHOUT_TIME_ZONE":
        return DataTypes.TIMESTAMP(num("precision"));
      case "TIMESTAMP_WITH_LOCAL_TIME_ZONE":
        return DataTypes.TIMESTAMP_LTZ(num("precision"));
      case "ARRAY":
        return DataTypes.ARRAY(readDataType(r, r.required(o, "element_type", "ARRAY type")));
      case "MAP":
        return DataTypes.MAP(
          readDataType(r, r.required(o, "key_type", "MAP type")),
          readDataType(r, r.required(o, "value_type", "MAP type")),
        );
      case "ROW":
        return {
          root: "ROW",
          nullable: true,
          fields: r.array(r.required(o, "fields", "ROW type"), "fields").map((fv) => {
            const f = r.object(fv, "A ROW field");
            const name = asText(r.required(f, "name", "ROW field"));
            const type = readDataType(r, r.required(f, "field_type", "ROW field"));
            const fieldId = "field_id" in f ? asInt(f.field_id) : -1;
            return "description" in f ? { name, type, description: asText(f.description), fieldId } : { name, type, fieldId };
          }),
        };
    }
  });
  // Java: nullable when the key is absent, else the key's boolean value.
  return withNullability(base, "nullable" in o ? asBoolean(o.nullable) : true);
}

/** Reads a data type JSON object. */
export function dataTypeFromJson(json: JsonInput): DataType {
  return readDataType(TABLE_READER, TABLE_READER.parse(json, "data type"));
}

function readColumn(r: Reader, v: JsonValue): ColumnSpec {
  const o = r.object(v, "A column");
  const name = asText(r.required(o, "name", "column"));
  const type = readDataType(r, r.required(o, "data_type", "column"));
  let aggFunction: AggFunction | undefined;
  const agg = o.agg_function;
  if (agg !== undefined && agg !== null) {
    // Java ColumnJsonSerde: the type is read with AggFunctionType.fromString; an unknown
    // name leaves the column without a function
    const a = r.object(agg, "agg_function");
    const aggType = parseAggFunctionType(asText(a.type));
    const params = a.parameters;
    if (aggType !== undefined) {
      aggFunction = AggFunctions.of(
        aggType,
        params !== undefined && params !== null ? r.stringMap(params, "parameters") : undefined,
      );
    }
  }
  return {
    name,
    type,
    ...(o.comment !== undefined && o.comment !== null ? { comment: asText(o.comment) } : {}),
    id: "id" in o ? asInt(o.id) : UNKNOWN_COLUMN_ID,
    ...(aggFunction ? { aggFunction } : {}),
  };
}

function readSchema(r: Reader, v: JsonValue): Schema {
  const o = r.object(v, "Schema");
  const columns = r.array(r.required(o, "columns", "schema"), "columns").map((c) => readColumn(r, c));
  const primaryKeys = "primary_key" in o ? r.strings(o.primary_key!, "primary_key") : undefined;
  if (primaryKeys && primaryKeys.length === 0) r.fail("Primary key constraint must be defined for at least a single column.");
  const autoInc = "auto_increment_column" in o ? r.strings(o.auto_increment_column!, "auto_increment_column") : [];
  return r.wrap(
    () =>
      new Schema({
        columns,
        ...(primaryKeys ? { primaryKeys } : {}),
        autoIncrementColumns: autoInc,
        ...("highest_field_id" in o ? { highestFieldId: asInt(o.highest_field_id) } : {}),
        idAssignment: "position",
      }),
  );
}

/** Reads a schema JSON object (missing column ids are assigned by position, like Java). */
export function schemaFromJson(json: JsonInput): Schema {
  return readSchema(TABLE_READER, TABLE_READER.parse(json, "schema"));
}

/** Reads a table descriptor JSON object; errors are INVALID_TABLE_EXCEPTION. */
export function tableDescriptorFromJson(json: JsonInput): TableDescriptor {
  const r = TABLE_READER;
  const o = r.object(r.parse(json, "table descriptor"), "Table descriptor");
  const schema = readSchema(r, r.required(o, "schema", "table descriptor"));
  const comment = o.comment !== undefined && o.comment !== null ? asText(o.comment) : undefined;
  const partitionKeys = r.strings(r.required(o, "partition_key", "table descriptor"), "partition_key");
  let bucketKeys: string[] | undefined;
  let bucketCount: number | undefined;
  if ("bucket_key" in o || "bucket_count" in o) {
    bucketKeys = r.strings(o.bucket_key ?? r.fail("Field 'bucket_count' requires field 'bucket_key'."), "bucket_key");
    if (o.bucket_count !== undefined && o.bucket_count !== null) bucketCount = asInt(o.bucket_count);
  }
  const properties = r.stringMap(r.required(o, "properties", "table descriptor"), "properties");
  const customProperties = r.stringMap(r.required(o, "custom_properties", "table descriptor"), "custom_properties");
  return r.wrap(
    () =>
      new TableDescriptor(schema, {
        partitionKeys,
        ...(bucketKeys !== undefined ? { bucketKeys } : {}),
        ...(bucketCount !== undefined ? { bucketCount } : {}),
        ...(comment !== undefined ? { comment } : {}),
        properties,
        customProperties,
      }),
  );
}

/** Reads a database descriptor JSON object; errors are INVALID_DATABASE_EXCEPTION. */
export function databaseDescriptorFromJson(json: JsonInput): DatabaseDescriptor {
  const r = DATABASE_READER;
  const o = r.object(r.parse(json, "database descriptor"), "Database descriptor");
  const comment = o.comment !== undefined && o.comment !== null ? asText(o.comment) : undefined;
  const customProperties = r.stringMap(r.required(o, "custom_properties", "database descriptor"), "custom_properties");
  return new DatabaseDescriptor({ ...(comment !== undefined ? { comment } : {}), customProperties });
}
