// Text typed in a form → the JSON value the server expects for a column of that type.
import type { Json } from "./api";

/**
 * Parses `text` for a column of Fluss type `type` (e.g. "INT NOT NULL", "DECIMAL(10, 2)").
 * Empty text is null. Throws an Error naming the column when the text does not fit.
 */
export function parseValue(column: string, type: string, text: string): Json {
  const t = text.trim();
  if (t === "" || t === "null") return null;
  const root = type.replace(/[(<].*$/, "").replace(/ NOT NULL$/, "").trim().toUpperCase();
  switch (root) {
    case "TINYINT":
    case "SMALLINT":
    case "INT":
    case "INTEGER":
    case "FLOAT":
    case "DOUBLE": {
      const n = Number(t);
      if (!Number.isFinite(n)) throw new Error(`${column}: "${t}" is not a number (${type})`);
      return n;
    }
    case "BOOLEAN":
      if (/^(true|false)$/i.test(t)) return t.toLowerCase() === "true";
      throw new Error(`${column}: "${t}" is not true or false`);
    case "ARRAY":
    case "MAP":
    case "ROW":
      try {
        return JSON.parse(t) as Json;
      } catch {
        throw new Error(`${column}: "${t}" is not JSON (${type})`);
      }
    default:
      // BIGINT and DECIMAL as exact text, dates and timestamps as ISO text, bytes as 0x… hex
      return t;
  }
}
