/**
 * Key encoders for lake-enabled tables (formats.md §6.3): Paimon (`BinaryRow` with an INSERT
 * row kind), Iceberg (single column, Iceberg's bucket-transform byte form) and Hudi (4-byte
 * big-endian `List<String>.hashCode()`).
 */
import { type DataType, type RowType, typeToString } from "../metadata/data-types.js";
import { FlussError } from "../rpc/errors.js";
import { ByteWriter } from "../util/bytes.js";
import { compileSlotWriter } from "./binary-array.js";
import {
  type NestedRowFormat,
  dateToDays,
  tsMillis,
  tsNanos,
  unscaledOf,
  writeI64Number,
  writeUnscaledBytes,
} from "./codec-util.js";
import { javaDoubleToString, javaFloatToString } from "../metadata/java-float.js";
import type { Decimal } from "./values.js";

/** Any key encoder: canonical key values (in key order) to key bytes. */
export interface KeyEncoder {
  encode(values: readonly unknown[]): Uint8Array;
}

const NO_NESTED_ROWS: NestedRowFormat = {
  name: "ALIGNED",
  rowWriter: () => {
    throw FlussError.client("nested ROW types are not supported in lake keys");
  },
  rowReader: () => {
    throw FlussError.client("nested ROW types are not supported in lake keys");
  },
};

function keyTypesOf(rowType: RowType, keyNames: readonly string[]): DataType[] {
  return keyNames.map((name) => {
    const f = rowType.fields.find((x) => x.name === name);
    if (!f) throw FlussError.client(`key column "${name}" does not exist in the row type`);
    return f.type;
  });
}

function checkArity(values: readonly unknown[], n: number): void {
  if (values.length !== n) throw FlussError.client(`key has ${values.length} values but ${n} key fields`);
}

/**
 * Paimon key: an AlignedRow (`BinaryRow`) over the key fields: null region (row kind in
 * byte 0, null bit of field i at bit i+8), one 8-byte slot per field, then the variable part.
 */
export class PaimonKeyEncoder implements KeyEncoder {
  private readonly writers;
  private readonly nullBytes: number;
  private readonly w = new ByteWriter(64);

  constructor(
    readonly types: readonly DataType[],
    readonly names?: readonly string[],
  ) {
    for (const [i, t] of types.entries()) {
      if (t.root === "ARRAY" || t.root === "MAP" || t.root === "ROW") {
        throw FlussError.client(`Paimon key field "${names?.[i] ?? i}" has unsupported type ${typeToString(t)}`);
      }
    }
    this.writers = types.map((t) => compileSlotWriter(t, NO_NESTED_ROWS));
    this.nullBytes = (((types.length + 63 + 8) / 64) | 0) * 8;
  }

  static forKeys(rowType: RowType, keyNames: readonly string[]): PaimonKeyEncoder {
    return new PaimonKeyEncoder(keyTypesOf(rowType, keyNames), keyNames);
  }

  encode(values: readonly unknown[]): Uint8Array {
    const n = this.types.length;
    checkArity(values, n);
    const w = this.w;
    w.reset();
    w.zeros(this.nullBytes + 8 * n); // row kind INSERT = 0
    for (let i = 0; i < n; i++) {
      const v = values[i];
      const bit = i + 8;
      if (v === null || v === undefined) w.buf[bit >>> 3]! |= 1 << (bit & 7);
      else this.writers[i]!(w, 0, this.nullBytes + 8 * i, v);
    }
    return w.toBytes();
  }
}

/** Iceberg key: exactly one column, in Iceberg's single-value bucket-transform form. */
export class IcebergKeyEncoder implements KeyEncoder {
  private readonly w = new ByteWriter(32);

  constructor(
    readonly type: DataType,
    readonly name = "key",
  ) {
    switch (type.root) {
      case "INTEGER":
      case "DATE":
      case "TIME_WITHOUT_TIME_ZONE":
      case "BIGINT":
      case "FLOAT":
      case "DOUBLE":
      case "TIMESTAMP_WITHOUT_TIME_ZONE":
      case "DECIMAL":
      case "STRING":
      case "CHAR":
      case "BINARY":
      case "BYTES":
        break;
      default:
        throw FlussError.client(`Iceberg key field "${name}" has unsupported type ${typeToString(type)}`);
    }
  }

  static forKeys(rowType: RowType, keyNames: readonly string[]): IcebergKeyEncoder {
    if (keyNames.length !== 1) {
      throw FlussError.client(`Iceberg tables need exactly one key column, got ${keyNames.length}`);
    }
    return new IcebergKeyEncoder(keyTypesOf(rowType, keyNames)[0]!, keyNames[0]);
  }

  encode(values: readonly unknown[]): Uint8Array {
    checkArity(values, 1);
    const v = values[0];
    if (v === null || v === undefined) throw FlussError.client(`key field "${this.name}" must not be null`);
    const w = this.w;
    w.reset();
    const t = this.type;
    switch (t.root) {
      case "INTEGER":
        writeI64Number(w, v as number);
        break;
      case "DATE":
        writeI64Number(w, dateToDays(v));
        break;
      case "TIME_WITHOUT_TIME_ZONE":
        writeI64Number(w, (v as number) * 1000);
        break;
      case "BIGINT":
        w.i64(v as bigint);
        break;
      case "FLOAT":
        w.f32(v as number);
        break;
      case "DOUBLE":
        w.f64(v as number);
        break;
      case "TIMESTAMP_WITHOUT_TIME_ZONE":
        w.i64(BigInt(tsMillis(v)) * 1000n + BigInt(Math.floor(tsNanos(v) / 1000)));
        break;
      case "DECIMAL":
        writeUnscaledBytes(w, unscaledOf(v, t.scale));
        break;
      case "STRING":
      case "CHAR":
        w.utf8(v as string);
        break;
      default:
        w.bytes(v as Uint8Array);
    }
    return w.toBytes();
  }
}

const HUDI_TYPES = new Set([
  "CHAR",
  "STRING",
  "BOOLEAN",
  "DECIMAL",
  "TINYINT",
  "SMALLINT",
  "INTEGER",
  "BIGINT",
  "FLOAT",
  "DOUBLE",
  "DATE",
  "TIME_WITHOUT_TIME_ZONE",
  "TIMESTAMP_WITHOUT_TIME_ZONE",
  "TIMESTAMP_WITH_LOCAL_TIME_ZONE",
]);

function pad(n: number, width: number): string {
  return String(n).padStart(width, "0");
}

/** Java `LocalDateTime.toString()` / `Instant.toString()` of a timestamp (UTC). */
function javaTimestampString(v: unknown, instant: boolean): string {
  const ms = tsMillis(v);
  const d = new Date(ms);
  const nano = (((ms % 1000) + 1000) % 1000) * 1_000_000 + tsNanos(v);
  let s =
    `${pad(d.getUTCFullYear(), 4)}-${pad(d.getUTCMonth() + 1, 2)}-${pad(d.getUTCDate(), 2)}T` +
    `${pad(d.getUTCHours(), 2)}:${pad(d.getUTCMinutes(), 2)}`;
  const sec = d.getUTCSeconds();
  if (instant || sec > 0 || nano > 0) s += `:${pad(sec, 2)}`;
  if (nano > 0) {
    if (nano % 1_000_000 === 0) s += `.${pad(nano / 1_000_000, 3)}`;
    else if (nano % 1000 === 0) s += `.${pad(nano / 1000, 6)}`;
    else s += `.${pad(nano, 9)}`;
  }
  return instant ? `${s}Z` : s;
}

/** Java `String.valueOf` of the internal value Fluss hands to Hudi. */
function hudiString(t: DataType, v: unknown): string {
  switch (t.root) {
    case "DATE":
      return String(dateToDays(v));
    case "DECIMAL":
      return (v as Decimal).toString();
    case "FLOAT":
      return javaFloatToString(v as number);
    case "DOUBLE":
      return javaDoubleToString(v as number);
    case "TIMESTAMP_WITHOUT_TIME_ZONE":
      return javaTimestampString(v, false);
    case "TIMESTAMP_WITH_LOCAL_TIME_ZONE":
      return javaTimestampString(v, true);
    default:
      return String(v);
  }
}

/** Java `String.hashCode()` (over UTF-16 code units). */
function javaStringHash(s: string): number {
  let h = 0;
  for (let i = 0; i < s.length; i++) h = (Math.imul(h, 31) + s.charCodeAt(i)) | 0;
  return h;
}

/**
 * Hudi key: the big-endian `List<String>.hashCode()` of the key values' Java string forms.
 * A single null key is `"__null__"`; in composite keys null is null and "," is rejected.
 */
export class HudiKeyEncoder implements KeyEncoder {
  constructor(
    readonly types: readonly DataType[],
    readonly names?: readonly string[],
  ) {
    for (const [i, t] of types.entries()) {
      if (!HUDI_TYPES.has(t.root)) {
        throw FlussError.client(`Hudi bucket key field "${names?.[i] ?? i}" has unsupported type ${typeToString(t)}`);
      }
    }
  }

  static forKeys(rowType: RowType, keyNames: readonly string[]): HudiKeyEncoder {
    return new HudiKeyEncoder(keyTypesOf(rowType, keyNames), keyNames);
  }

  encode(values: readonly unknown[]): Uint8Array {
    const n = this.types.length;
    checkArity(values, n);
    const composite = n > 1;
    let h = 1;
    for (let i = 0; i < n; i++) {
      const v = values[i];
      let s: string | null;
      if (v === null || v === undefined) {
        s = composite ? null : "__null__";
      } else {
        s = hudiString(this.types[i]!, v);
        if (composite && s !== "") {
          const name = this.names?.[i] ?? String(i);
          if (s.includes(",")) throw FlussError.client(`Hudi bucket key field "${name}" contains ","`);
          if (s === "__null__" || s === "__empty__") {
            throw FlussError.client(`Hudi bucket key field "${name}" holds the reserved value ${s}`);
          }
        }
      }
      h = (Math.imul(h, 31) + (s === null ? 0 : javaStringHash(s))) | 0;
    }
    return new Uint8Array([(h >>> 24) & 0xff, (h >>> 16) & 0xff, (h >>> 8) & 0xff, h & 0xff]);
  }
}
