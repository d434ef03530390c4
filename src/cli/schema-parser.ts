/**
 * Parses the `--schema` column list of `flussjs table create`: Flink SQL's column list with
 * the type names and syntax of Fluss's `DataType` strings (Java `DataTypeParser`):
 *
 *   id INT NOT NULL, name STRING COMMENT 'who', amount DECIMAL(10, 2), tags ARRAY<STRING>,
 *   PRIMARY KEY (id) NOT ENFORCED
 *
 * Errors name the position (1-based) and show it under the input.
 */
import { DataTypes, type DataType, type DataField, withNullability } from "../metadata/data-types.js";
import { didYouMean } from "../util/names.js";
import { usageError } from "./runtime.js";

/** One parsed column. */
interface ParsedColumn {
  readonly name: string;
  readonly type: DataType;
  readonly comment?: string;
}

/** The result of {@link parseSchema}. */
export interface ParsedSchema {
  readonly columns: readonly ParsedColumn[];
  readonly primaryKey: readonly string[];
}

type TokenKind = "word" | "ident" | "int" | "string" | "punct";

interface Token {
  readonly kind: TokenKind;
  /** Upper-cased for words, the text for the others. */
  readonly value: string;
  /** As written. */
  readonly raw: string;
  /** 0-based index in the input. */
  readonly pos: number;
}

/** Type names Fluss knows (Java DataTypeParser.Keyword, the type ones). */
const TYPE_NAMES = [
  "BOOLEAN",
  "TINYINT",
  "SMALLINT",
  "INT",
  "INTEGER",
  "BIGINT",
  "FLOAT",
  "DOUBLE",
  "DECIMAL",
  "NUMERIC",
  "DEC",
  "CHAR",
  "STRING",
  "BINARY",
  "BYTES",
  "DATE",
  "TIME",
  "TIMESTAMP",
  "TIMESTAMP_LTZ",
  "ARRAY",
  "MAP",
  "ROW",
];

/** SQL types Fluss does not have, and what to use instead. */
const UNSUPPORTED: Record<string, string> = {
  VARCHAR: "STRING or CHAR(n)",
  VARBINARY: "BYTES or BINARY(n)",
  TEXT: "STRING",
  LONG: "BIGINT",
  REAL: "FLOAT",
  INTERVAL: "BIGINT",
  MULTISET: "ARRAY or MAP",
  RAW: "BYTES",
  VARIANT: "STRING",
};

function tokenize(input: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < input.length) {
    const c = input[i]!;
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    const start = i;
    if ("<>(),".includes(c)) {
      tokens.push({ kind: "punct", value: c, raw: c, pos: i++ });
    } else if (c === "'" || c === "`") {
      let text = "";
      i++;
      for (;;) {
        if (i >= input.length) throw positionError(input, start, `the ${c === "'" ? "string" : "quoted name"} is never closed`);
        if (input[i] === c) {
          if (input[i + 1] === c) {
            text += c;
            i += 2;
            continue;
          }
          i++;
          break;
        }
        text += input[i++];
      }
      tokens.push({ kind: c === "'" ? "string" : "ident", value: text, raw: input.slice(start, i), pos: start });
    } else if (/[0-9]/.test(c)) {
      while (i < input.length && /[0-9]/.test(input[i]!)) i++;
      const raw = input.slice(start, i);
      tokens.push({ kind: "int", value: raw, raw, pos: start });
    } else if (/[A-Za-z_$\u0080-\uffff]/.test(c)) {
      while (i < input.length && /[A-Za-z0-9_$\u0080-\uffff]/.test(input[i]!)) i++;
      const raw = input.slice(start, i);
      tokens.push({ kind: "word", value: raw.toUpperCase(), raw, pos: start });
    } else {
      throw positionError(input, start, `unexpected character "${c}"`);
    }
  }
  return tokens;
}

function positionError(input: string, pos: number, message: string): Error {
  const oneLine = input.replace(/[\r\n\t]/g, " ");
  return usageError(`--schema: ${message} at position ${pos + 1}\n  ${oneLine}\n  ${" ".repeat(pos)}^`);
}

class Parser {
  private i = 0;

  constructor(
    private readonly input: string,
    private readonly tokens: readonly Token[],
  ) {}

  parse(): ParsedSchema {
    const columns: ParsedColumn[] = [];
    let primaryKey: string[] | undefined;
    let pkPos = 0;
    if (this.tokens.length === 0) throw positionError(this.input, 0, "expected a column, found nothing");
    for (;;) {
      const t = this.peek();
      if (t?.kind === "word" && t.value === "PRIMARY" && this.peek(1)?.value === "KEY") {
        if (primaryKey) throw this.error(t, "the primary key is given twice");
        pkPos = t.pos;
        this.i += 2;
        primaryKey = this.nameList();
        this.notEnforced();
      } else {
        const col = this.column();
        if (col.pk) {
          if (primaryKey) throw this.error(this.tokens[this.i - 1]!, "the primary key is given twice");
          primaryKey = [col.column.name];
          pkPos = col.pos;
        }
        columns.push(col.column);
      }
      const next = this.peek();
      if (!next) break;
      if (next.value !== ",") throw this.error(next, `expected "," or the end, found ${describe(next)}`);
      this.i++;
    }
    const names = new Set<string>();
    for (const c of columns) {
      if (names.has(c.name)) throw usageError(`--schema: column "${c.name}" is defined twice`);
      names.add(c.name);
    }
    for (const k of primaryKey ?? []) {
      if (!names.has(k)) {
        throw positionError(this.input, pkPos, `primary-key column "${k}" is not a column${didYouMean(k, names)}`);
      }
    }
    if (columns.length === 0) throw usageError("--schema: no columns given");
    return { columns, primaryKey: primaryKey ?? [] };
  }

  private column(): { column: ParsedColumn; pk: boolean; pos: number } {
    const nameTok = this.next("a column name");
    if (nameTok.kind !== "word" && nameTok.kind !== "ident") {
      throw this.error(nameTok, `expected a column name, found ${describe(nameTok)}`);
    }
    const name = nameTok.kind === "ident" ? nameTok.value : nameTok.raw;
    let type = this.typeWithNullability();
    let comment: string | undefined;
    let pk = false;
    for (;;) {
      const t = this.peek();
      if (t?.kind === "word" && t.value === "COMMENT") {
        this.i++;
        const s = this.next("a comment string");
        if (s.kind !== "string") throw this.error(s, `expected a 'quoted' comment, found ${describe(s)}`);
        comment = s.value;
      } else if (t?.kind === "string") {
        this.i++;
        comment = t.value; // DataTypeParser's ROW field form: name TYPE 'comment'
      } else if (t?.kind === "word" && t.value === "PRIMARY" && this.peek(1)?.value === "KEY") {
        this.i += 2;
        this.notEnforced();
        pk = true;
        type = withNullability(type, false);
      } else break;
    }
    return { column: comment === undefined ? { name, type } : { name, type, comment }, pk, pos: nameTok.pos };
  }

  private notEnforced(): void {
    if (this.peek()?.value === "NOT" && this.peek(1)?.value === "ENFORCED") this.i += 2;
  }

  private nameList(): string[] {
    this.expect("(");
    const names: string[] = [];
    for (;;) {
      const t = this.next("a column name");
      if (t.kind !== "word" && t.kind !== "ident") throw this.error(t, `expected a column name, found ${describe(t)}`);
      names.push(t.kind === "ident" ? t.value : t.raw);
      const sep = this.next('"," or ")"');
      if (sep.value === ")") return names;
      if (sep.value !== ",") throw this.error(sep, `expected "," or ")", found ${describe(sep)}`);
    }
  }

  private typeWithNullability(): DataType {
    let type = this.type();
    type = withNullability(type, this.nullability());
    while (this.peek()?.kind === "word" && this.peek()!.value === "ARRAY") {
      this.i++;
      type = withNullability(DataTypes.ARRAY(type), this.nullability());
    }
    return type;
  }

  private nullability(): boolean {
    const t = this.peek();
    if (t?.kind === "word" && t.value === "NOT" && this.peek(1)?.value === "NULL") {
      this.i += 2;
      return false;
    }
    if (t?.kind === "word" && t.value === "NULL") {
      this.i++;
      return true;
    }
    return true;
  }

  private type(): DataType {
    const t = this.next("a type");
    if (t.kind !== "word") throw this.error(t, `expected a type, found ${describe(t)}`);
    const hint = UNSUPPORTED[t.value];
    if (hint) throw this.error(t, `${t.raw} is not a Fluss type (use ${hint})`);
    const guard = <T>(make: () => T): T => {
      try {
        return make();
      } catch (e) {
        throw this.error(t, `${t.value}: ${(e as Error).message}`);
      }
    };
    switch (t.value) {
      case "BOOLEAN":
        return DataTypes.BOOLEAN();
      case "TINYINT":
        return DataTypes.TINYINT();
      case "SMALLINT":
        return DataTypes.SMALLINT();
      case "INT":
      case "INTEGER":
        return DataTypes.INT();
      case "BIGINT":
        return DataTypes.BIGINT();
      case "FLOAT":
        return DataTypes.FLOAT();
      case "DOUBLE":
        if (this.peek()?.value === "PRECISION") this.i++;
        return DataTypes.DOUBLE();
      case "DECIMAL":
      case "NUMERIC":
      case "DEC": {
        const params = this.params(2);
        return guard(() => DataTypes.DECIMAL(params[0] ?? 10, params[1] ?? 0));
      }
      case "CHAR": {
        const [n] = this.params(1);
        return guard(() => DataTypes.CHAR(n ?? 1));
      }
      case "STRING":
        return DataTypes.STRING();
      case "BINARY": {
        const [n] = this.params(1);
        return guard(() => DataTypes.BINARY(n ?? 1));
      }
      case "BYTES":
        return DataTypes.BYTES();
      case "DATE":
        return DataTypes.DATE();
      case "TIME": {
        const [p] = this.params(1);
        this.withoutTimeZone();
        return guard(() => DataTypes.TIME(p ?? 0));
      }
      case "TIMESTAMP": {
        const [p] = this.params(1);
        if (this.peek()?.value === "WITH") {
          const w = this.next("WITH");
          if (this.peek()?.value !== "LOCAL")
            throw this.error(w, "TIMESTAMP WITH TIME ZONE is not supported (use TIMESTAMP_LTZ)");
          this.i++;
          this.keyword("TIME");
          this.keyword("ZONE");
          return guard(() => DataTypes.TIMESTAMP_LTZ(p ?? 6));
        }
        this.withoutTimeZone();
        return guard(() => DataTypes.TIMESTAMP(p ?? 6));
      }
      case "TIMESTAMP_LTZ": {
        const [p] = this.params(1);
        return guard(() => DataTypes.TIMESTAMP_LTZ(p ?? 6));
      }
      case "ARRAY": {
        this.expect("<");
        const elem = this.typeWithNullability();
        this.expect(">");
        return DataTypes.ARRAY(elem);
      }
      case "MAP": {
        this.expect("<");
        const k = this.typeWithNullability();
        this.expect(",");
        const v = this.typeWithNullability();
        this.expect(">");
        return DataTypes.MAP(k, v);
      }
      case "ROW": {
        const open = this.next('"<" or "("');
        if (open.value !== "<" && open.value !== "(") throw this.error(open, `expected "<" or "(", found ${describe(open)}`);
        const close = open.value === "<" ? ">" : ")";
        const fields: DataField[] = [];
        while (this.peek()?.value !== close) {
          if (fields.length > 0) this.expect(",");
          const n = this.next("a field name");
          if (n.kind !== "word" && n.kind !== "ident") throw this.error(n, `expected a field name, found ${describe(n)}`);
          const type = this.typeWithNullability();
          const c = this.peek();
          if (c?.kind === "string") {
            this.i++;
            fields.push(DataTypes.FIELD(n.kind === "ident" ? n.value : n.raw, type, c.value));
          } else fields.push(DataTypes.FIELD(n.kind === "ident" ? n.value : n.raw, type));
        }
        this.expect(close);
        return DataTypes.ROW(fields);
      }
      default:
        throw this.error(t, `unknown type ${t.raw}${didYouMean(t.value, TYPE_NAMES)}`);
    }
  }

  private withoutTimeZone(): void {
    if (this.peek()?.value === "WITHOUT") {
      this.i++;
      this.keyword("TIME");
      this.keyword("ZONE");
    }
  }

  /** Optional `(n[, m])` with up to `max` integers. */
  private params(max: number): number[] {
    if (this.peek()?.value !== "(") return [];
    this.i++;
    const out: number[] = [];
    for (;;) {
      const n = this.next("an integer");
      if (n.kind !== "int") throw this.error(n, `expected an integer, found ${describe(n)}`);
      out.push(Number(n.value));
      const sep = this.next('")"');
      if (sep.value === ")") return out;
      if (sep.value !== "," || out.length >= max) throw this.error(sep, `expected ")", found ${describe(sep)}`);
    }
  }

  private keyword(word: string): void {
    const t = this.next(word);
    if (t.kind !== "word" || t.value !== word) throw this.error(t, `expected ${word}, found ${describe(t)}`);
  }

  private expect(punct: string): void {
    const t = this.next(`"${punct}"`);
    if (t.value !== punct || t.kind !== "punct") throw this.error(t, `expected "${punct}", found ${describe(t)}`);
  }

  private peek(ahead = 0): Token | undefined {
    return this.tokens[this.i + ahead];
  }

  private next(what: string): Token {
    const t = this.tokens[this.i++];
    if (!t) throw positionError(this.input, this.input.trimEnd().length, `expected ${what}, found the end`);
    return t;
  }

  private error(t: Token, message: string): Error {
    return positionError(this.input, t.pos, message);
  }
}

function describe(t: Token): string {
  return t.kind === "string" ? `'${t.value}'` : `"${t.raw}"`;
}

/** Parses a `--schema` column list (throws a usage error pointing at the position). */
export function parseSchema(input: string): ParsedSchema {
  return new Parser(input, tokenize(input)).parse();
}
