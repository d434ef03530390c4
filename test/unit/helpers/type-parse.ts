/**
 * Test-only parser for the type strings used in golden vectors ("INT NOT NULL",
 * "DECIMAL(20,3)", "ARRAY<ARRAY<STRING>>", "f1 BIGINT", ...) and converter of golden
 * input values into canonical JS values.
 */
import { type DataType, DataTypes, notNull } from "../../../src/metadata/data-types.js";
import { fromHex } from "../../../src/util/bytes.js";
import { Decimal, MILLIS_PER_DAY, Timestamp } from "../../../src/row/values.js";

class Parser {
  pos = 0;
  constructor(readonly s: string) {}

  private skip(): void {
    while (this.s[this.pos] === " ") this.pos++;
  }

  private word(): string {
    this.skip();
    const m = /^[A-Za-z_][A-Za-z0-9_]*/.exec(this.s.slice(this.pos));
    if (!m) throw new Error(`bad type string at ${this.pos}: ${this.s}`);
    this.pos += m[0].length;
    return m[0];
  }

  private eat(c: string): boolean {
    this.skip();
    if (this.s[this.pos] === c) {
      this.pos++;
      return true;
    }
    return false;
  }

  private args(): number[] {
    const out: number[] = [];
    if (!this.eat("(")) return out;
    for (;;) {
      this.skip();
      const m = /^\d+/.exec(this.s.slice(this.pos))!;
      this.pos += m[0].length;
      out.push(Number(m[0]));
      if (this.eat(")")) return out;
      this.eat(",");
    }
  }

  type(): DataType {
    const name = this.word().toUpperCase();
    let t: DataType;
    switch (name) {
      case "ARRAY": {
        this.eat("<");
        const e = this.type();
        this.eat(">");
        t = DataTypes.ARRAY(e);
        break;
      }
      case "MAP": {
        this.eat("<");
        const k = this.type();
        this.eat(",");
        const v = this.type();
        this.eat(">");
        t = DataTypes.MAP(k, v);
        break;
      }
      default: {
        const a = this.args();
        switch (name) {
          case "BOOLEAN":
            t = DataTypes.BOOLEAN();
            break;
          case "TINYINT":
            t = DataTypes.TINYINT();
            break;
          case "SMALLINT":
            t = DataTypes.SMALLINT();
            break;
          case "INT":
          case "INTEGER":
            t = DataTypes.INT();
            break;
          case "BIGINT":
            t = DataTypes.BIGINT();
            break;
          case "FLOAT":
            t = DataTypes.FLOAT();
            break;
          case "DOUBLE":
            t = DataTypes.DOUBLE();
            break;
          case "DECIMAL":
            t = DataTypes.DECIMAL(a[0], a[1]);
            break;
          case "CHAR":
            t = DataTypes.CHAR(a[0]);
            break;
          case "STRING":
            t = DataTypes.STRING();
            break;
          case "BINARY":
            t = DataTypes.BINARY(a[0]);
            break;
          case "BYTES":
            t = DataTypes.BYTES();
            break;
          case "DATE":
            t = DataTypes.DATE();
            break;
          case "TIME":
            t = DataTypes.TIME(a[0]);
            break;
          case "TIMESTAMP":
            t = DataTypes.TIMESTAMP(a[0]);
            break;
          case "TIMESTAMP_LTZ":
            t = DataTypes.TIMESTAMP_LTZ(a[0]);
            break;
          default:
            throw new Error(`unknown type ${name}`);
        }
      }
    }
    this.skip();
    if (this.s.slice(this.pos, this.pos + 8).toUpperCase() === "NOT NULL") {
      this.pos += 8;
      t = notNull(t);
    }
    return t;
  }
}

/** Parses a type string like "ARRAY<FLOAT NOT NULL>". */
export function parseType(s: string): DataType {
  return new Parser(s.trim()).type();
}

/** Parses "name TYPE" (or just "TYPE", named f<i>). */
export function parseField(s: string, i: number): { name: string; type: DataType } {
  const m = /^([a-z_][a-z0-9_]*)\s+(.+)$/.exec(s.trim());
  if (m) return { name: m[1]!, type: parseType(m[2]!) };
  return { name: `f${i}`, type: parseType(s) };
}

function javaFloatLiteral(s: string): number {
  const bits = /\(0x([0-9a-f]+)\)/.exec(s);
  if (bits) {
    const dv = new DataView(new ArrayBuffer(4));
    dv.setUint32(0, parseInt(bits[1]!, 16));
    return dv.getFloat32(0);
  }
  return Math.fround(parseFloat(s));
}

/** Converts a golden input value (formats.md §9 conventions) to the canonical JS value. */
export function goldenValue(t: DataType, v: unknown): unknown {
  if (v === null || v === undefined) return null;
  switch (t.root) {
    case "BIGINT":
      return BigInt(v as string | number);
    case "FLOAT":
      return typeof v === "string" ? javaFloatLiteral(v) : Math.fround(v as number);
    case "DECIMAL": {
      const d = v as { unscaled: string; scale: number };
      return new Decimal(BigInt(d.unscaled), d.scale);
    }
    case "TIMESTAMP_WITHOUT_TIME_ZONE":
    case "TIMESTAMP_WITH_LOCAL_TIME_ZONE": {
      const ts = v as { millis: number; nanoOfMillis: number };
      return new Timestamp(ts.millis, ts.nanoOfMillis);
    }
    case "BINARY":
    case "BYTES":
      return fromHex((v as { hex: string }).hex);
    case "DATE":
      return new Date((v as number) * MILLIS_PER_DAY);
    case "ARRAY":
      return (v as unknown[]).map((e) => goldenValue(t.elementType, e));
    default:
      return v;
  }
}
