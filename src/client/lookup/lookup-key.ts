/**
 * Validation of lookup keys: a plain object holding exactly the key columns, or an array of
 * their values in key order. Every problem is a CLIENT_ERROR FlussError naming the column.
 */
import type { TableInfo } from "../../metadata/table-info.js";
import { makeValueCoercer } from "../../row/coerce.js";
import { FlussError } from "../../rpc/errors.js";

/** A lookup key: `{ column: value, ... }` or the values in key-column order. */
export type LookupKey = Readonly<Record<string, unknown>> | readonly unknown[];

/** Turns a user key into a full-width row (key columns set, others undefined). */
export type KeyRowBuilder = (key: LookupKey) => unknown[];

/**
 * Builds the key validator for `columns` (in the order arrays give them). `what` names the
 * key in messages ("primary key", "prefix key").
 */
export function makeKeyRowBuilder(info: TableInfo, columns: readonly string[], what: string): KeyRowBuilder {
  const fields = info.rowType.fields;
  const width = fields.length;
  const index = new Map(fields.map((f, i) => [f.name, i]));
  const positions = columns.map((c) => index.get(c)!);
  const coercers = positions.map((p) => makeValueCoercer(fields[p]!.type));
  const isKey = new Set(columns);
  const list = columns.join(", ");
  const table = info.tablePath.toString();

  const value = (k: number, v: unknown): unknown => {
    const name = columns[k]!;
    if (v === undefined) throw FlussError.client(`${what} column "${name}" is missing (table ${table} is looked up by ${list})`);
    if (v === null) throw FlussError.client(`${what} column "${name}" must not be null`);
    return coercers[k]!(v, name);
  };

  return (key) => {
    const row = new Array<unknown>(width);
    if (Array.isArray(key)) {
      if (key.length !== columns.length) {
        throw FlussError.client(
          `${what} has ${key.length} values but table ${table} is looked up by ${columns.length} columns (${list})`,
        );
      }
      for (let k = 0; k < columns.length; k++) row[positions[k]!] = value(k, key[k]);
      return row;
    }
    if (typeof key !== "object" || key === null) {
      throw FlussError.client(
        `a ${what} must be an object keyed by column name or an array (${list}), got ${key === null ? "null" : typeof key}`,
      );
    }
    const obj = key as Readonly<Record<string, unknown>>;
    for (const name in obj) {
      if (isKey.has(name)) continue;
      throw FlussError.client(
        index.has(name)
          ? `column "${name}" is not part of the ${what} of table ${table} (${list})`
          : `unknown column "${name}" in ${what} (table ${table} is looked up by ${list})`,
      );
    }
    for (let k = 0; k < columns.length; k++) row[positions[k]!] = value(k, obj[columns[k]!]);
    return row;
  };
}
