/**
 * Values between text and the client, per column type: what `produce` reads (JSON values,
 * CSV cells), what `lookup` and `--partition` take (`k=v` text), and what `scan` prints
 * (JSON Lines, CSV, table cells). The forms round-trip: what `scan --format jsonl` prints,
 * `produce` reads back.
 *
 * | type | written as |
 * |---|---|
 * | BIGINT | a JSON number while exact (|v| < 2^53), else a string |
 * | DECIMAL | a string (exact) |
 * | BINARY / BYTES | base64 |
 * | DATE / TIME | `2024-05-01` / `12:30:00.250` |
 * | TIMESTAMP | ISO 8601 wall-clock time without offset; TIMESTAMP_LTZ with `Z` |
 * | ARRAY / MAP / ROW | JSON (a CSV cell holds the JSON text) |
 */
import type { DataType, RowType } from "../index.js";

/** Converts one input value (a JSON value, or the text of a cell) for the client; throws naming the column. */
export type InputConverter = (value: unknown, column: string) => unknown;

const INT_TEXT = /^\s*[+-]?\d+\s*$/;
const FLOAT_TEXT = /^\s*[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?\s*$/;
const BASE64 = /^[A-Za-z0-9+/_-]*={0,2}$/;

function typeName(t: DataType): string {
  switch (t.root) {
    case "INTEGER":
      return "INT";
    case "DECIMAL":
      return `DECIMAL(${t.precision}, ${t.scale})`;
    case "TIMESTAMP_WITHOUT_TIME_ZONE":
      return "TIMESTAMP";
    case "TIMESTAMP_WITH_LOCAL_TIME_ZONE":
      return "TIMESTAMP_LTZ";
    case "TIME_WITHOUT_TIME_ZONE":
      return "TIME";
    default:
      return t.root;
  }
}

function bad(column: string, t: DataType, v: unknown, why?: string): Error {
  const shown = typeof v === "string" ? JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}...` : v) : JSON.stringify(v);
  return new Error(`column "${column}": expected ${typeName(t)}, got ${shown}${why ? ` (${why})` : ""}`);
}

/**
 * The converter of one column. `text`: the input is the text of a CSV cell or a `k=v`
 * argument (numbers, booleans and nested values are parsed from it); otherwise it is a
 * JSON value (strings are still accepted for numbers and booleans).
 */
export function inputConverter(type: DataType, text: boolean): InputConverter {
  const inner = converter(type, text);
  return (v, column) => (v === null || v === undefined ? null : inner(v, column));
}

function converter(t: DataType, text: boolean): InputConverter {
  switch (t.root) {
    case "BOOLEAN":
      return (v, c) => {
        if (typeof v === "boolean") return v;
        if (typeof v === "string") {
          const s = v.trim().toLowerCase();
          if (s === "true") return true;
          if (s === "false") return false;
        }
        throw bad(c, t, v, "use true or false");
      };
    case "TINYINT":
    case "SMALLINT":
    case "INTEGER":
      return (v, c) => {
        if (typeof v === "number") return v;
        if (typeof v === "string" && INT_TEXT.test(v)) return Number(v);
        throw bad(c, t, v);
      };
    case "BIGINT":
      return (v, c) => {
        if (typeof v === "number") {
          if (!Number.isSafeInteger(v)) throw bad(c, t, v, "beyond 2^53 a JSON number is not exact: write it as a string");
          return v;
        }
        if (typeof v === "string" && INT_TEXT.test(v)) return BigInt(v.trim());
        throw bad(c, t, v);
      };
    case "FLOAT":
    case "DOUBLE":
      return (v, c) => {
        if (typeof v === "number") return v;
        if (typeof v === "string") {
          if (FLOAT_TEXT.test(v)) return Number(v);
          const s = v.trim();
          if (s === "NaN") return Number.NaN;
          if (s === "Infinity" || s === "+Infinity") return Number.POSITIVE_INFINITY;
          if (s === "-Infinity") return Number.NEGATIVE_INFINITY;
        }
        throw bad(c, t, v);
      };
    case "DECIMAL":
      return (v, c) => {
        if (typeof v === "number" || (typeof v === "string" && FLOAT_TEXT.test(v))) return typeof v === "string" ? v.trim() : v;
        throw bad(c, t, v);
      };
    case "CHAR":
    case "STRING":
      return (v, c) => {
        if (typeof v === "string") return v;
        throw bad(c, t, v);
      };
    case "BINARY":
    case "BYTES":
      return (v, c) => {
        if (typeof v === "string") {
          const s = v.trim();
          if (BASE64.test(s) && s.replace(/=+$/, "").length % 4 !== 1) return new Uint8Array(Buffer.from(s, "base64"));
          throw bad(c, t, v, "bytes are written in base64");
        }
        if (Array.isArray(v) && v.every((b) => Number.isInteger(b) && b >= 0 && b <= 255)) return Uint8Array.from(v as number[]);
        throw bad(c, t, v, "bytes are written in base64");
      };
    case "DATE":
    case "TIME_WITHOUT_TIME_ZONE":
    case "TIMESTAMP_WITHOUT_TIME_ZONE":
    case "TIMESTAMP_WITH_LOCAL_TIME_ZONE":
      return (v, c) => {
        if (typeof v === "string") return v.trim();
        if (typeof v === "number") return v;
        throw bad(c, t, v);
      };
    case "ARRAY":
    case "MAP":
    case "ROW": {
      const nested = nestedConverter(t);
      if (!text) return nested;
      return (v, c) => {
        if (typeof v !== "string") return nested(v, c);
        let parsed: unknown;
        try {
          parsed = JSON.parse(v);
        } catch {
          throw bad(c, t, v, "write it as JSON");
        }
        return nested(parsed, c);
      };
    }
  }
}

/** JSON value → client value for the nested types (their parts are JSON values too). */
function nestedConverter(t: DataType): InputConverter {
  switch (t.root) {
    case "ARRAY": {
      const elem = inputConverter(t.elementType, false);
      return (v, c) => {
        if (!Array.isArray(v)) throw bad(c, t, v, "use a JSON array");
        return v.map((x, i) => elem(x, `${c}[${i}]`));
      };
    }
    case "MAP": {
      const key = inputConverter(t.keyType, true);
      const val = inputConverter(t.valueType, false);
      return (v, c) => {
        const out = new Map<unknown, unknown>();
        if (Array.isArray(v)) {
          for (const e of v) {
            if (!Array.isArray(e) || e.length !== 2) throw bad(c, t, v, "use a JSON object or an array of [key, value] pairs");
            out.set(inputConverter(t.keyType, false)(e[0], `${c}.<key>`), val(e[1], `${c}[${String(e[0])}]`));
          }
        } else if (typeof v === "object" && v !== null) {
          for (const [k, x] of Object.entries(v)) out.set(key(k, `${c}.<key>`), val(x, `${c}.${k}`));
        } else throw bad(c, t, v, "use a JSON object");
        return out;
      };
    }
    case "ROW": {
      const fields = t.fields.map((f) => ({ name: f.name, conv: inputConverter(f.type, false) }));
      return (v, c) => {
        if (Array.isArray(v)) return fields.map((f, i) => f.conv(v[i], `${c}.${f.name}`));
        if (typeof v !== "object" || v === null) throw bad(c, t, v, "use a JSON object");
        const o = v as Record<string, unknown>;
        const out: Record<string, unknown> = {};
        for (const k of Object.keys(o)) if (!fields.some((f) => f.name === k)) out[k] = o[k]; // the client names unknown fields
        for (const f of fields) out[f.name] = f.conv(o[f.name], `${c}.${f.name}`);
        return out;
      };
    }
    default:
      return converter(t, false);
  }
}

/**
 * Row object (JSON object, or CSV record keyed by header) → the row the client takes.
 * Unknown columns are left in, so the client's error names them.
 */
export function rowConverter(rowType: RowType, text: boolean): (row: Record<string, unknown>) => Record<string, unknown> {
  const convs = new Map(rowType.fields.map((f) => [f.name, inputConverter(f.type, text)]));
  return (row) => {
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(row)) {
      const conv = convs.get(k);
      out[k] = conv ? conv(row[k], k) : row[k];
    }
    return out;
  };
}

// ---- output ------------------------------------------------------------------------

const pad2 = (n: number): string => String(n).padStart(2, "0");

function timeOfDay(ms: number): string {
  const s = Math.floor(ms / 1000);
  const frac = ms % 1000;
  const base = `${pad2(Math.floor(s / 3600))}:${pad2(Math.floor(s / 60) % 60)}:${pad2(s % 60)}`;
  return frac ? `${base}.${String(frac).padStart(3, "0")}` : base;
}

/** A value as JSON-compatible data in the documented forms (see the module comment). */
export function toJsonValue(type: DataType, v: unknown): unknown {
  if (v === null || v === undefined) return null;
  switch (type.root) {
    case "BIGINT":
      return typeof v === "bigint" && (v > BigInt(Number.MAX_SAFE_INTEGER) || v < BigInt(Number.MIN_SAFE_INTEGER))
        ? v.toString()
        : Number(v);
    case "FLOAT":
    case "DOUBLE":
      return Number.isFinite(v as number) ? v : String(v);
    case "DECIMAL":
      return String(v);
    case "BINARY":
    case "BYTES":
      return Buffer.from(v as Uint8Array).toString("base64");
    case "DATE":
      return (v as Date).toISOString().slice(0, 10);
    case "TIME_WITHOUT_TIME_ZONE":
      return timeOfDay(v as number);
    case "TIMESTAMP_WITHOUT_TIME_ZONE":
      return (v as Date).toISOString().replace(/Z$/, "");
    case "TIMESTAMP_WITH_LOCAL_TIME_ZONE":
      return (v as Date).toISOString();
    case "ARRAY":
      return (v as unknown[]).map((x) => toJsonValue(type.elementType, x));
    case "MAP": {
      const m = v as Map<unknown, unknown>;
      const keysAreText = type.keyType.root === "STRING" || type.keyType.root === "CHAR";
      if (keysAreText) {
        const o: Record<string, unknown> = {};
        for (const [k, x] of m) o[k as string] = toJsonValue(type.valueType, x);
        return o;
      }
      return [...m].map(([k, x]) => [toJsonValue(type.keyType, k), toJsonValue(type.valueType, x)]);
    }
    case "ROW": {
      const o = v as Record<string, unknown>;
      const out: Record<string, unknown> = {};
      for (const f of type.fields) out[f.name] = toJsonValue(f.type, o[f.name]);
      return out;
    }
    default:
      return v;
  }
}

/** A value as the text of a table or CSV cell (null → `null`: callers decide how to show it). */
export function toText(type: DataType, v: unknown): string | null {
  const j = toJsonValue(type, v);
  if (j === null) return null;
  if (typeof j === "object") return JSON.stringify(j);
  return String(j);
}
