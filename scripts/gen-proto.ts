/**
 * Generates `src/rpc/messages.ts` from `proto/fluss_api.proto`.
 *
 * protobufjs only parses the schema; the emitted codecs are our own (runtime in
 * `src/rpc/protobuf.ts`) so the bytes match Java protogen exactly. Run with `npm run gen`.
 * {@link generateMessages} returns the text without writing, so a test can check that the
 * committed file is up to date.
 */

import { readFileSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { dirname, resolve } from "node:path";
import protobuf from "protobufjs";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..");
/** Default schema location. */
export const PROTO_PATH = resolve(ROOT, "proto/fluss_api.proto");
/** Default output location. */
export const OUTPUT_PATH = resolve(ROOT, "src/rpc/messages.ts");

type Scalar = "int32" | "int64" | "bool" | "string" | "bytes" | "float" | "double";
const SCALARS: ReadonlySet<string> = new Set<Scalar>(["int32", "int64", "bool", "string", "bytes", "float", "double"]);

/** Wire type per scalar (messages are 2). */
const WIRE: Record<Scalar, number> = { int32: 0, int64: 0, bool: 0, string: 2, bytes: 2, float: 5, double: 1 };
const TS_TYPE: Record<Scalar, string> = {
  int32: "number",
  int64: "number",
  bool: "boolean",
  string: "string",
  bytes: "Uint8Array",
  float: "number",
  double: "number",
};

interface FieldModel {
  protoName: string;
  name: string;
  id: number;
  label: "required" | "optional" | "repeated";
  /** Scalar type name, or the message name when `isMessage`. */
  type: string;
  isMessage: boolean;
  packed: boolean;
}

interface MessageModel {
  name: string;
  fields: FieldModel[];
}

/** `table_json` → `tableJson`; names without underscores are kept (`startTimestamp`). */
export function camelCase(protoName: string): string {
  return protoName.replace(/_([a-z0-9])/g, (_m, c: string) => c.toUpperCase());
}

function varintSize(v: number): number {
  let n = 1;
  while (v >= 0x80) {
    v = Math.floor(v / 128);
    n++;
  }
  return n;
}

function loadModel(protoText: string): MessageModel[] {
  const parsed = protobuf.parse(protoText, { keepCase: true });
  const root = parsed.root;
  root.resolveAll();
  const pkg = parsed.package ? root.lookup(parsed.package) : root;
  if (!(pkg instanceof protobuf.Namespace)) throw new Error("proto package not found");
  const out: MessageModel[] = [];
  for (const obj of pkg.nestedArray) {
    if (!(obj instanceof protobuf.Type)) {
      throw new Error(`${obj.name}: only messages are supported (Fluss uses no enums/services here)`);
    }
    if (obj.nestedArray.length > 0) throw new Error(`${obj.name}: nested declarations are not supported`);
    if (obj.oneofsArray.length > 0) throw new Error(`${obj.name}: oneof is not supported`);
    const fields: FieldModel[] = obj.fieldsArray.map((f) => {
      if (f.map) throw new Error(`${obj.name}.${f.name}: map fields are not supported`);
      const isMessage = f.resolvedType instanceof protobuf.Type;
      if (!isMessage && !SCALARS.has(f.type)) {
        throw new Error(`${obj.name}.${f.name}: type ${f.type} is not supported by the generator`);
      }
      const label = f.repeated ? "repeated" : f.required ? "required" : "optional";
      const packable = !isMessage && f.type !== "string" && f.type !== "bytes";
      const packed = f.repeated && packable && f.options?.packed === true;
      return {
        protoName: f.name,
        name: camelCase(f.name),
        id: f.id,
        label,
        type: isMessage ? (f.resolvedType as protobuf.Type).name : f.type,
        isMessage,
        packed,
      };
    });
    // Declaration order is the encode order (Java protogen); keep it.
    out.push({ name: obj.name, fields });
  }
  return out;
}

function tsType(f: FieldModel): string {
  const base = f.isMessage ? f.type : TS_TYPE[f.type as Scalar];
  return f.label === "repeated" ? `${base}[]` : base;
}

/** Inline validity check of a scalar value held in `v` (size pass). */
function checkExpr(msg: string, f: FieldModel, v: string): string {
  const fail = `throw badValue("${msg}", "${f.name}", "${f.type}", ${v});`;
  switch (f.type as Scalar) {
    case "int32":
      return `if ((${v} | 0) !== ${v}) ${fail}`;
    case "int64":
      return `if (!Number.isSafeInteger(${v})) ${fail}`;
    case "bool":
      return `if (typeof ${v} !== "boolean") ${fail}`;
    case "string":
      return `if (typeof ${v} !== "string") ${fail}`;
    case "bytes":
      return `if (!(${v} instanceof Uint8Array)) ${fail}`;
    case "float":
    case "double":
      return `if (typeof ${v} !== "number") ${fail}`;
  }
}

/** Size expression of one scalar value (without tag). */
function scalarSizeExpr(type: Scalar, v: string): string {
  switch (type) {
    case "int32":
      return `sizeInt32(${v})`;
    case "int64":
      return `sizeInt64(${v})`;
    case "bool":
      return "1";
    case "string":
      return `sizeString(${v})`;
    case "bytes":
      return `sizeBytes(${v})`;
    case "float":
      return "4";
    case "double":
      return "8";
  }
}

function genSize(m: MessageModel): string[] {
  const L: string[] = [];
  const used = m.fields.length > 0;
  L.push(`function size${m.name}(${used ? "m" : "_m"}: ${m.name}, s: number[]): number {`);
  L.push(`  const slot = s.length;`);
  L.push(`  s.push(0);`);
  L.push(`  let n = 0;`);
  for (const f of m.fields) {
    const tagLen = varintSize(f.id * 8);
    const v = `v${f.id}`;
    if (f.label === "repeated") {
      L.push(`  const ${v} = m.${f.name} ?? EMPTY;`);
      if (f.packed) {
        // Always written, even when empty (tag + length 0), like Java protogen.
        L.push(`  {`);
        L.push(`    const p = s.length;`);
        L.push(`    s.push(0);`);
        L.push(`    let k = 0;`);
        L.push(`    for (const e of ${v} as ${tsType(f)}) {`);
        L.push(`      ${checkExpr(m.name, f, "e")}`);
        L.push(`      k += ${scalarSizeExpr(f.type as Scalar, "e")};`);
        L.push(`    }`);
        L.push(`    s[p] = k;`);
        L.push(`    n += ${tagLen} + sizeVarint32(k) + k;`);
        L.push(`  }`);
      } else if (f.isMessage) {
        L.push(`  for (const e of ${v} as ${tsType(f)}) {`);
        L.push(`    if (e == null) throw missingField("${m.name}", "${f.name}[]");`);
        L.push(`    const k = size${f.type}(e, s);`);
        L.push(`    n += ${tagLen} + sizeVarint32(k) + k;`);
        L.push(`  }`);
      } else {
        L.push(`  for (const e of ${v} as ${tsType(f)}) {`);
        L.push(`    ${checkExpr(m.name, f, "e")}`);
        L.push(`    n += ${tagLen} + ${scalarSizeExpr(f.type as Scalar, "e")};`);
        L.push(`  }`);
      }
      continue;
    }
    L.push(`  const ${v} = m.${f.name};`);
    const indent = "    ";
    const body: string[] = [];
    if (f.isMessage) {
      body.push(`${indent}const k = size${f.type}(${v}, s);`);
      body.push(`${indent}n += ${tagLen} + sizeVarint32(k) + k;`);
    } else {
      body.push(`${indent}${checkExpr(m.name, f, v)}`);
      body.push(`${indent}n += ${tagLen} + ${scalarSizeExpr(f.type as Scalar, v)};`);
    }
    if (f.label === "required") {
      L.push(`  if (${v} == null) throw missingField("${m.name}", "${f.name}");`);
      L.push(`  {`);
    } else {
      L.push(`  if (${v} != null) {`);
    }
    L.push(...body);
    L.push(`  }`);
  }
  L.push(`  s[slot] = n;`);
  L.push(`  return n;`);
  L.push(`}`);
  return L;
}

function writeScalar(type: Scalar, v: string): string {
  return `w.${type}(${v});`;
}

function genWrite(m: MessageModel): string[] {
  const L: string[] = [];
  const used = m.fields.length > 0;
  L.push(`function write${m.name}(${used ? "m" : "_m"}: ${m.name}, ${used ? "w" : "_w"}: ProtoWriter): void {`);
  for (const f of m.fields) {
    const wire = f.isMessage || f.packed ? 2 : WIRE[f.type as Scalar];
    const tag = f.id * 8 + wire;
    const v = `v${f.id}`;
    if (f.label === "repeated") {
      L.push(`  const ${v} = (m.${f.name} ?? EMPTY) as ${tsType(f)};`);
      if (f.packed) {
        L.push(`  w.u32(${tag});`);
        L.push(`  w.u32(w.nextSize());`);
        L.push(`  for (const e of ${v}) ${writeScalar(f.type as Scalar, "e")}`);
      } else if (f.isMessage) {
        L.push(`  for (const e of ${v}) {`);
        L.push(`    w.u32(${tag});`);
        L.push(`    w.u32(w.nextSize());`);
        L.push(`    write${f.type}(e, w);`);
        L.push(`  }`);
      } else {
        L.push(`  for (const e of ${v}) {`);
        L.push(`    w.u32(${tag});`);
        L.push(`    ${writeScalar(f.type as Scalar, "e")}`);
        L.push(`  }`);
      }
      continue;
    }
    L.push(`  const ${v} = m.${f.name};`);
    L.push(f.label === "required" ? `  {` : `  if (${v} != null) {`);
    L.push(`    w.u32(${tag});`);
    if (f.isMessage) {
      L.push(`    w.u32(w.nextSize());`);
      L.push(`    write${f.type}(${v}, w);`);
    } else {
      L.push(`    ${writeScalar(f.type as Scalar, v)}`);
    }
    L.push(`  }`);
  }
  L.push(`}`);
  return L;
}

function genRead(m: MessageModel): string[] {
  const L: string[] = [];
  const used = m.fields.length > 0;
  L.push(`function read${m.name}(r: ProtoReader, end: number): ${m.name} {`);
  for (const f of m.fields) {
    const base = f.isMessage ? f.type : TS_TYPE[f.type as Scalar];
    if (f.label === "repeated") L.push(`  const f${f.id}: ${base}[] = [];`);
    else L.push(`  let f${f.id}: ${base} | undefined;`);
  }
  L.push(`  while (r.pos < end) {`);
  L.push(`    const tag = r.u32();`);
  if (used) {
    L.push(`    switch (tag) {`);
    for (const f of m.fields) {
      const target = (expr: string): string => (f.label === "repeated" ? `f${f.id}.push(${expr});` : `f${f.id} = ${expr};`);
      if (f.isMessage) {
        L.push(`      case ${f.id * 8 + 2}: {`);
        L.push(`        const e = r.delimitedEnd();`);
        L.push(`        ${target(`read${f.type}(r, e)`)}`);
        L.push(`        r.expectEnd(e, "${m.name}.${f.name}");`);
        L.push(`        break;`);
        L.push(`      }`);
        continue;
      }
      const t = f.type as Scalar;
      const wire = WIRE[t];
      L.push(`      case ${f.id * 8 + wire}:`);
      L.push(`        ${target(`r.${t}()`)}`);
      L.push(`        break;`);
      if (f.label === "repeated" && wire !== 2) {
        // Packable: accept the packed form whatever the declaration says.
        const fn = {
          int32: "packedInt32",
          int64: "packedInt64",
          bool: "packedBool",
          float: "packedFloat",
          double: "packedDouble",
        }[t as "int32" | "int64" | "bool" | "float" | "double"];
        L.push(`      case ${f.id * 8 + 2}:`);
        L.push(`        r.${fn}(f${f.id});`);
        L.push(`        break;`);
      }
    }
    L.push(`      default:`);
    L.push(`        r.skip(tag);`);
    L.push(`    }`);
  } else {
    L.push(`    r.skip(tag);`);
  }
  L.push(`  }`);
  L.push(`  r.expectEnd(end, "${m.name}");`);
  for (const f of m.fields) {
    if (f.label === "required") L.push(`  if (f${f.id} === undefined) throw missingField("${m.name}", "${f.name}");`);
  }
  const init = m.fields.filter((f) => f.label !== "optional").map((f) => `${f.name}: f${f.id}`);
  const opt = m.fields.filter((f) => f.label === "optional");
  if (opt.length === 0) {
    L.push(`  return { ${init.join(", ")} };`);
  } else {
    L.push(`  const out: ${m.name} = { ${init.join(", ")} };`);
    for (const f of opt) L.push(`  if (f${f.id} !== undefined) out.${f.name} = f${f.id};`);
    L.push(`  return out;`);
  }
  L.push(`}`);
  return L;
}

function genInterface(m: MessageModel): string[] {
  const L: string[] = [];
  L.push(`/** Protobuf message \`fluss.${m.name}\`. */`);
  if (m.fields.length === 0) {
    L.push(`export interface ${m.name} {}`);
    return L;
  }
  L.push(`export interface ${m.name} {`);
  for (const f of m.fields) {
    const packed = f.packed ? " [packed]" : "";
    L.push(`  /** ${f.id}: ${f.label} ${f.type} ${f.protoName}${packed} */`);
    const q = f.label === "optional" ? "?" : "";
    L.push(`  ${f.name}${q}: ${tsType(f)};`);
  }
  L.push(`}`);
  return L;
}

/** Returns the text of `src/rpc/messages.ts` for the given schema text. */
export function generateMessages(protoText: string = readFileSync(PROTO_PATH, "utf8")): string {
  const model = loadModel(protoText);
  const L: string[] = [];
  L.push(`// generated by npm run gen; do not edit`);
  L.push(`// source: proto/fluss_api.proto (runtime: src/rpc/protobuf.ts)`);
  L.push(``);
  L.push(`import {`);
  L.push(`  type MessageCodec,`);
  L.push(`  ProtoReader,`);
  L.push(`  ProtoWriter,`);
  L.push(`  badValue,`);
  L.push(`  makeCodec,`);
  L.push(`  missingField,`);
  L.push(`  sizeBytes,`);
  L.push(`  sizeInt32,`);
  L.push(`  sizeInt64,`);
  L.push(`  sizeString,`);
  L.push(`  sizeVarint32,`);
  L.push(`} from "./protobuf.js";`);
  L.push(``);
  L.push(`const EMPTY: readonly never[] = [];`);
  for (const m of model) {
    L.push(``);
    L.push(...genInterface(m));
    L.push(``);
    L.push(`/** Codec of {@link ${m.name}}. */`);
    L.push(
      `export const ${m.name}: MessageCodec<${m.name}> = makeCodec("${m.name}", size${m.name}, write${m.name}, read${m.name});`,
    );
    L.push(``);
    L.push(...genSize(m));
    L.push(``);
    L.push(...genWrite(m));
    L.push(``);
    L.push(...genRead(m));
  }
  L.push(``);
  return L.join("\n");
}

function isMain(): boolean {
  const argv1 = process.argv[1];
  return argv1 !== undefined && resolve(argv1) === fileURLToPath(import.meta.url);
}

if (isMain()) {
  const text = generateMessages();
  // an unchanged file keeps its mtime: builds judged fresh by mtimes (CLI tests) stay fresh
  if (readFileSync(OUTPUT_PATH, "utf8") === text) {
    process.stdout.write(`${OUTPUT_PATH} is up to date\n`);
  } else {
    writeFileSync(OUTPUT_PATH, text);
    process.stdout.write(`wrote ${OUTPUT_PATH} (${text.length} chars)\n`);
  }
}
