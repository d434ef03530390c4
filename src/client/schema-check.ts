/**
 * The check behind `conn.getTable(path, schema)`: the schema a typed table handle was
 * given must be the table's (same columns, types and primary key), so that its row type
 * tells the truth about the rows read and written.
 */
import { typeToString } from "../metadata/data-types.js";
import type { Schema } from "../metadata/schema.js";
import type { TableInfo } from "../metadata/table-info.js";
import { FlussError } from "../rpc/errors.js";

/** Throws a CLIENT_ERROR naming the first difference between `schema` and the table's schema. */
export function checkSchemaMatches(info: TableInfo, schema: Schema): void {
  const table = info.tablePath.toString();
  const actual = info.schema;
  const fail = (what: string): never => {
    throw FlussError.client(
      `the schema given for table ${table} does not match the table's: ${what} (the table's columns: ${actual.columns
        .map((c) => `${c.name} ${typeToString(c.type)}`)
        .join(", ")}${actual.primaryKeys.length ? `, PRIMARY KEY (${actual.primaryKeys.join(", ")})` : ""})`,
    );
  };
  const n = Math.max(schema.columns.length, actual.columns.length);
  for (let i = 0; i < n; i++) {
    const given = schema.columns[i];
    const has = actual.columns[i];
    if (!given) fail(`column ${i + 1} "${has!.name}" is missing`);
    else if (!has) fail(`the table has no column "${given.name}" (column ${i + 1})`);
    else if (given.name !== has.name) fail(`column ${i + 1} is "${has.name}", not "${given.name}"`);
    else if (typeToString(given.type) !== typeToString(has.type)) {
      fail(`column "${given.name}" is ${typeToString(has.type)}, not ${typeToString(given.type)}`);
    }
  }
  const pk = (s: Schema): string => s.primaryKeys.join(", ");
  if (pk(schema) !== pk(actual)) {
    fail(
      actual.primaryKeys.length
        ? `its primary key is (${pk(actual)}), not ${schema.primaryKeys.length ? `(${pk(schema)})` : "none"}`
        : `it has no primary key, not (${pk(schema)})`,
    );
  }
}
