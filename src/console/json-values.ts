/**
 * Row values to and from JSON for the web console: JSON has no bigint, decimal, bytes,
 * date or map, so each gets a text form the page shows as is and sends back unchanged.
 */
import type { DataType, RowType } from "../metadata/data-types.js";
import { Decimal } from "../row/values.js";
import { fromHex, toHex } from "../util/bytes.js";

/** A JSON-safe value. */
export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

/**
 * One value as JSON: bigints and decimals as their exact text, bytes as `0x…` hex,
 * dates and timestamps as ISO text (nanoseconds kept), maps as `[key, value]` pairs.
 */
function toJsonValue(v: unknown): JsonValue {
  if (v === null || v === undefined) return null;
  switch (typeof v) {
    case "boolean":
    case "string":
      return v;
    case "number":
      // NaN and infinities are not JSON numbers
      return Number.isFinite(v) ? v : String(v);
    case "bigint":
      return v.toString();
    default:
      break;
  }
  if (v instanceof Date) return Number.isNaN(v.getTime()) ? null : v.toISOString();
  if (v instanceof Decimal) return v.toString();
  if (v instanceof Uint8Array) return `0x${toHex(v)}`;
  if (v instanceof Map) return [...v].map(([k, x]) => [toJsonValue(k), toJsonValue(x)]);
  if (Array.isArray(v)) return v.map(toJsonValue);
  if (typeof v === "object") {
    const out: { [key: string]: JsonValue } = {};
    for (const [k, x] of Object.entries(v as Record<string, unknown>)) out[k] = toJsonValue(x);
    return out;
  }
  return String(v);
}

/** A row as a JSON object keyed by column name. */
export function toJsonRow(row: Readonly<Record<string, unknown>>): { [key: string]: JsonValue } {
  const out: { [key: string]: JsonValue } = {};
  for (const k of Object.keys(row)) out[k] = toJsonValue(row[k]);
  return out;
}

/**
 * The inverse for values typed in a form: `0x…` hex into bytes for BINARY/BYTES columns,
 * `[key, value]` pairs into a Map for MAP columns; everything else is left to the
 * client's own coercion (which takes text for BIGINT, DECIMAL, dates and timestamps, and
 * names the column when a value does not fit).
 */
function fromJsonValue(type: DataType, v: unknown): unknown {
  if (v === null || v === undefined) return v;
  switch (type.root) {
    case "BINARY":
    case "BYTES":
      return typeof v === "string" && /^0x([0-9a-fA-F]{2})*$/.test(v) ? fromHex(v.slice(2)) : v;
    case "MAP":
      return Array.isArray(v) && v.every((e) => Array.isArray(e) && e.length === 2)
        ? new Map((v as [unknown, unknown][]).map(([k, x]) => [fromJsonValue(type.keyType, k), fromJsonValue(type.valueType, x)]))
        : v;
    case "ARRAY":
      return Array.isArray(v) ? v.map((e) => fromJsonValue(type.elementType, e)) : v;
    default:
      return v;
  }
}

/** A JSON object typed in a form, as a row of `rowType` (unknown keys kept for the client to refuse). */
export function fromJsonRow(rowType: RowType, row: Readonly<Record<string, unknown>>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...row };
  for (const f of rowType.fields) if (f.name in row) out[f.name] = fromJsonValue(f.type, row[f.name]);
  return out;
}
