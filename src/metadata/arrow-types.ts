/**
 * Fluss ↔ Arrow type mapping (formats.md §3.3, Java `ArrowUtils.toArrowField`).
 *
 * Naming follows Java: a list's child is "element"; a map's child is a non-null struct
 * "entries" holding a non-null "key" and a "value". TIMESTAMP_LTZ is given time zone
 * "UTC" in the Arrow schemas built here (Java leaves it null): the schema never travels on
 * the wire, and "UTC" lets Arrow consumers (and {@link fromArrowType}) tell LTZ from NTZ.
 */

import * as arrow from "apache-arrow";
import { FlussError } from "../rpc/errors.js";
import { type DataType, DataTypes, type RowType, withNullability } from "./data-types.js";

/** Time zone written on Arrow timestamp types for TIMESTAMP_LTZ columns. */
const LTZ_ARROW_TIME_ZONE = "UTC";

function timeUnitFor(precision: number): arrow.TimeUnit {
  if (precision === 0) return arrow.TimeUnit.SECOND;
  if (precision <= 3) return arrow.TimeUnit.MILLISECOND;
  if (precision <= 6) return arrow.TimeUnit.MICROSECOND;
  return arrow.TimeUnit.NANOSECOND;
}

function timestampType(precision: number, tz: string | null): arrow.DataType {
  switch (timeUnitFor(precision)) {
    case arrow.TimeUnit.SECOND:
      return new arrow.TimestampSecond(tz);
    case arrow.TimeUnit.MILLISECOND:
      return new arrow.TimestampMillisecond(tz);
    case arrow.TimeUnit.MICROSECOND:
      return new arrow.TimestampMicrosecond(tz);
    default:
      return new arrow.TimestampNanosecond(tz);
  }
}

/** The Arrow type storing a Fluss type. */
export function toArrowType(type: DataType): arrow.DataType {
  switch (type.root) {
    case "BOOLEAN":
      return new arrow.Bool();
    case "TINYINT":
      return new arrow.Int8();
    case "SMALLINT":
      return new arrow.Int16();
    case "INTEGER":
      return new arrow.Int32();
    case "BIGINT":
      return new arrow.Int64();
    case "FLOAT":
      return new arrow.Float32();
    case "DOUBLE":
      return new arrow.Float64();
    case "CHAR":
    case "STRING":
      return new arrow.Utf8();
    case "BINARY":
      return new arrow.FixedSizeBinary(type.length);
    case "BYTES":
      return new arrow.Binary();
    case "DECIMAL":
      return new arrow.Decimal(type.scale, type.precision, 128);
    case "DATE":
      return new arrow.DateDay();
    case "TIME_WITHOUT_TIME_ZONE":
      switch (timeUnitFor(type.precision)) {
        case arrow.TimeUnit.SECOND:
          return new arrow.TimeSecond();
        case arrow.TimeUnit.MILLISECOND:
          return new arrow.TimeMillisecond();
        case arrow.TimeUnit.MICROSECOND:
          return new arrow.TimeMicrosecond();
        default:
          return new arrow.TimeNanosecond();
      }
    case "TIMESTAMP_WITHOUT_TIME_ZONE":
      return timestampType(type.precision, null);
    case "TIMESTAMP_WITH_LOCAL_TIME_ZONE":
      return timestampType(type.precision, LTZ_ARROW_TIME_ZONE);
    case "ARRAY":
      return new arrow.List(toArrowField("element", type.elementType));
    case "MAP": {
      const entries = new arrow.Struct([
        toArrowField("key", withNullability(type.keyType, false)),
        toArrowField("value", type.valueType),
      ]);
      return new arrow.Map_(new arrow.Field("entries", entries, false), false);
    }
    case "ROW":
      return new arrow.Struct(type.fields.map((f) => toArrowField(f.name, f.type)));
  }
}

/** An Arrow field of the given name whose nullability is the type's. */
export function toArrowField(name: string, type: DataType): arrow.Field {
  return new arrow.Field(name, toArrowType(type), type.nullable);
}

/** The Arrow schema of a row type or of a column list. */
export function toArrowSchema(columns: RowType | readonly { readonly name: string; readonly type: DataType }[]): arrow.Schema {
  const list = "root" in columns ? columns.fields : columns;
  return new arrow.Schema(list.map((c) => toArrowField(c.name, c.type)));
}

function precisionOfUnit(unit: arrow.TimeUnit): number {
  switch (unit) {
    case arrow.TimeUnit.SECOND:
      return 0;
    case arrow.TimeUnit.MILLISECOND:
      return 3;
    case arrow.TimeUnit.MICROSECOND:
      return 6;
    default:
      return 9;
  }
}

function unsupported(t: arrow.DataType, fieldName: string | undefined): FlussError {
  const where = fieldName === undefined ? "" : ` of field '${fieldName}'`;
  return FlussError.client(`Unsupported Arrow type ${String(t)}${where}: Fluss has no matching data type`);
}

/**
 * The Fluss type for an Arrow type: bool, int8/16/32/64, float32/64, utf8/largeUtf8 →
 * STRING, binary/largeBinary → BYTES, fixedSizeBinary(n) → BINARY(n), date32/date64 → DATE,
 * time(unit) → TIME(0/3/6/9), timestamp(unit) → TIMESTAMP(p), timestamp(unit, tz) →
 * TIMESTAMP_LTZ(p), decimal(p, s) → DECIMAL, list/largeList → ARRAY, map → MAP, struct → ROW.
 * Anything else throws CLIENT_ERROR naming `fieldName`.
 */
export function fromArrowType(t: arrow.DataType, nullable = true, fieldName?: string): DataType {
  const base = baseFromArrow(t, fieldName);
  return withNullability(base, nullable);
}

function child(t: arrow.DataType, i: number, fieldName: string | undefined): arrow.Field {
  const c = t.children?.[i];
  if (!c) throw unsupported(t, fieldName);
  return c;
}

function baseFromArrow(t: arrow.DataType, fieldName: string | undefined): DataType {
  const T = arrow.DataType;
  if (T.isBool(t)) return DataTypes.BOOLEAN();
  if (T.isInt(t)) {
    if (!t.isSigned) throw unsupported(t, fieldName);
    switch (t.bitWidth) {
      case 8:
        return DataTypes.TINYINT();
      case 16:
        return DataTypes.SMALLINT();
      case 32:
        return DataTypes.INT();
      default:
        return DataTypes.BIGINT();
    }
  }
  if (T.isFloat(t)) {
    if (t.precision === arrow.Precision.SINGLE) return DataTypes.FLOAT();
    if (t.precision === arrow.Precision.DOUBLE) return DataTypes.DOUBLE();
    throw unsupported(t, fieldName);
  }
  if (T.isUtf8(t) || T.isLargeUtf8(t)) return DataTypes.STRING();
  if (T.isBinary(t) || T.isLargeBinary(t)) return DataTypes.BYTES();
  if (T.isFixedSizeBinary(t)) return DataTypes.BINARY(t.byteWidth);
  if (T.isDecimal(t)) {
    if (t.precision < 1 || t.precision > 38 || t.scale < 0 || t.scale > t.precision) throw unsupported(t, fieldName);
    return DataTypes.DECIMAL(t.precision, t.scale);
  }
  if (T.isDate(t)) return DataTypes.DATE();
  if (T.isTime(t)) return DataTypes.TIME(precisionOfUnit(t.unit));
  if (T.isTimestamp(t)) {
    const p = precisionOfUnit(t.unit);
    return t.timezone ? DataTypes.TIMESTAMP_LTZ(p) : DataTypes.TIMESTAMP(p);
  }
  if (T.isList(t) || T.isLargeList(t)) {
    const c = child(t, 0, fieldName);
    return DataTypes.ARRAY(fromArrowType(c.type, c.nullable, fieldName));
  }
  if (T.isMap(t)) {
    const entries = child(t, 0, fieldName);
    const k = child(entries.type, 0, fieldName);
    const v = child(entries.type, 1, fieldName);
    return DataTypes.MAP(fromArrowType(k.type, false, fieldName), fromArrowType(v.type, v.nullable, fieldName));
  }
  if (T.isStruct(t)) {
    return DataTypes.ROW(
      t.children.map((c) =>
        DataTypes.FIELD(c.name, fromArrowType(c.type, c.nullable, fieldName ? `${fieldName}.${c.name}` : c.name)),
      ),
    );
  }
  throw unsupported(t, fieldName);
}
