/**
 * Seeded fuzzing tools shared by the server and client fuzz tests: a small PRNG, random
 * but schema-valid messages of every type declared in `proto/fluss_api.proto` (parsed with
 * protobufjs, a dev dependency; encoded with our own codecs), and byte-level mutations
 * that aim at lengths (protobuf varint lengths, record batch length fields, frame lengths).
 */
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import protobuf from "protobufjs";

/** mulberry32: small, fast, deterministic. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export class Fuzz {
  readonly next: () => number;
  constructor(seed: number) {
    this.next = prng(seed);
  }
  int(n: number): number {
    return Math.floor(this.next() * n);
  }
  pick<T>(xs: readonly T[]): T {
    return xs[this.int(xs.length)]!;
  }
  bytes(n: number): Uint8Array {
    const b = new Uint8Array(n);
    for (let i = 0; i < n; i++) b[i] = this.int(256);
    return b;
  }
  /** int64 values around the edges that break naive code. */
  edgeInt(): number {
    return this.pick([
      0,
      1,
      -1,
      2,
      7,
      -2,
      127,
      255,
      65535,
      2 ** 31 - 1,
      -(2 ** 31),
      2 ** 31,
      2 ** 32,
      2 ** 53 - 1,
      -(2 ** 53 - 1),
      this.int(1000),
    ]);
  }
  /** int32 values around the edges. */
  edgeI32(): number {
    return this.pick([0, 1, -1, 2, 7, -2, 127, 255, 65535, 2 ** 31 - 1, -(2 ** 31), 2 ** 30, this.int(1000)]);
  }
}

/** A field value chosen by the caller instead of a random one (undefined: random). */
export type FieldHook = (message: string, field: string, f: Fuzz) => unknown;

/** Random messages of the types in `proto/fluss_api.proto`, as plain objects for our codecs. */
export class MessageGenerator {
  private readonly types = new Map<string, protobuf.Type>();

  constructor() {
    const file = fileURLToPath(new URL("../../../proto/fluss_api.proto", import.meta.url));
    const parsed = protobuf.parse(readFileSync(file, "utf8"), { keepCase: true });
    parsed.root.resolveAll();
    const visit = (ns: protobuf.NamespaceBase): void => {
      for (const o of ns.nestedArray) {
        if (o instanceof protobuf.Type) this.types.set(o.name, o);
        if (o instanceof protobuf.Namespace) visit(o);
      }
    };
    visit(parsed.root);
  }

  /** A message of type `name` with every required field set and random optional/repeated ones. */
  random(name: string, f: Fuzz, hook: FieldHook = () => undefined, depth = 0): Record<string, unknown> {
    const type = this.types.get(name);
    if (!type) throw new Error(`no message ${name}`);
    const out: Record<string, unknown> = {};
    for (const field of type.fieldsArray) {
      if (!field.required && f.next() < (field.repeated ? 0.3 : 0.4)) continue;
      const key = field.name.replace(/_([a-z0-9])/g, (_m, c: string) => c.toUpperCase());
      const one = (): unknown => {
        const hooked = hook(name, key, f);
        if (hooked !== undefined) return hooked;
        if (field.resolvedType instanceof protobuf.Type) return this.random(field.resolvedType.name, f, hook, depth + 1);
        return randomScalar(field.type, f);
      };
      if (field.repeated) {
        const n = depth > 3 ? 0 : f.pick([0, 1, 1, 2, 3, 5]);
        out[key] = Array.from({ length: n }, one);
      } else {
        out[key] = one();
      }
    }
    return out;
  }
}

function randomScalar(type: string, f: Fuzz): unknown {
  switch (type) {
    case "int32":
    case "sint32":
    case "uint32":
      return f.next() < 0.5 ? f.int(4) : f.edgeI32();
    case "int64":
    case "sint64":
    case "uint64":
      return f.next() < 0.5 ? f.int(4) : f.edgeInt();
    case "bool":
      return f.next() < 0.5;
    case "string":
      return f.pick(["", "fz", "t1", "p", "a$b", "x".repeat(f.int(300)), "é\u0000", "fz.t1"]);
    case "bytes":
      return f.bytes(f.int(40));
    case "float":
    case "double":
      return f.pick([0, -1, 1.5, NaN, Infinity, 1e300]);
    default:
      throw new Error(`unsupported scalar ${type}`);
  }
}

/** A varint that decodes to a huge length (2^31 - 1 or more). */
const HUGE_VARINTS = [
  Uint8Array.of(0xff, 0xff, 0xff, 0xff, 0x07),
  Uint8Array.of(0xff, 0xff, 0xff, 0xff, 0x0f),
  Uint8Array.of(0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01),
  Uint8Array.of(0x80, 0x80, 0x80, 0x80, 0x08),
  Uint8Array.of(0xff, 0xff, 0xff, 0x7f),
];

/**
 * A mutated copy of `bytes`: bit flips, edge bytes, insertions, deletions, truncation,
 * splices of `other`, huge varints at a random position, or little- and big-endian int32
 * fields (record batch lengths, counts) overwritten with edge values.
 */
export function mutate(f: Fuzz, bytes: Uint8Array, other?: Uint8Array): Uint8Array {
  let b: Uint8Array = bytes.slice();
  for (let i = 0, n = 1 + f.int(3); i < n; i++) {
    const at = b.length === 0 ? 0 : f.int(b.length);
    switch (f.int(9)) {
      case 0:
        if (b.length > 0) b[at]! ^= 1 << f.int(8);
        break;
      case 1:
        if (b.length > 0) b[at] = f.pick([0, 0x7f, 0x80, 0xff, 0x01, 0x0a, 0x12]);
        break;
      case 2:
        b = concat([b.subarray(0, at), f.bytes(1 + f.int(8)), b.subarray(at)]);
        break;
      case 3:
        b = concat([b.subarray(0, at), b.subarray(Math.min(b.length, at + 1 + f.int(8)))]);
        break;
      case 4:
        b = b.subarray(0, at).slice();
        break;
      case 5:
        if (other) b = concat([b.subarray(0, at), other.subarray(f.int(other.length + 1))]);
        break;
      case 6:
        b = concat([b.subarray(0, at), f.pick(HUGE_VARINTS), b.subarray(at + 1)]);
        break;
      default:
        if (b.length >= 4) {
          const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
          const pos = f.int(b.length - 3);
          dv.setInt32(pos, f.pick([-1, -(2 ** 31), 2 ** 31 - 1, 2 ** 30, 0x7fff0000, b.length, b.length * 2]), f.next() < 0.5);
        }
    }
  }
  return b;
}

export function concat(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}
