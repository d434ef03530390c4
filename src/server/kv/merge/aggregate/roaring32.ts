/**
 * Java RoaringBitmap's portable serialization (`RoaringBitmap.serialize(ByteBuffer)`, the
 * format of the Roaring spec: cookie 12346 without run containers, 12347 with them) and the
 * union the `rbm32` aggregation computes (`FieldRoaringBitmap32Agg`: deserialize both, `or`,
 * `runOptimize`, serialize).
 */
import {
  ARRAY_MAX_SIZE,
  type Container,
  type ContainerKind,
  container,
  payloadSize,
  runsOfValues,
  readPayload,
  runOptimize,
  unionContainers,
  writePayload,
} from "./roaring-container.js";

const SERIAL_COOKIE_NO_RUNCONTAINER = 12346;
const SERIAL_COOKIE = 12347;
const NO_OFFSET_THRESHOLD = 4;

/** A 32-bit Roaring bitmap: containers by their 16-bit high key, in key order. */
export type Roaring32 = Map<number, Container>;

/** Reads the portable format; throws an Error on malformed bytes. */
export function deserializeRoaring32(bytes: Uint8Array): Roaring32 {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (bytes.length < 4) throw new Error("Roaring bitmap is truncated");
  const cookie = view.getUint32(0, true);
  let off = 4;
  let size: number;
  let runFlags: Uint8Array | undefined;
  if ((cookie & 0xffff) === SERIAL_COOKIE) {
    size = (cookie >>> 16) + 1;
    const n = (size + 7) >>> 3;
    if (off + n > bytes.length) throw new Error("Roaring bitmap is truncated");
    runFlags = bytes.subarray(off, off + n);
    off += n;
  } else if (cookie === SERIAL_COOKIE_NO_RUNCONTAINER) {
    if (bytes.length < 8) throw new Error("Roaring bitmap is truncated");
    size = view.getInt32(off, true);
    off += 4;
    if (size < 0 || size > 65536) throw new Error(`Roaring bitmap has an invalid size ${size}`);
  } else {
    throw new Error("I failed to find one of the right cookies.");
  }
  if (off + 4 * size > bytes.length) throw new Error("Roaring bitmap is truncated");
  const keys: number[] = [];
  const cards: number[] = [];
  for (let k = 0; k < size; k++, off += 4) {
    keys.push(view.getUint16(off, true));
    cards.push(view.getUint16(off + 2, true) + 1);
  }
  if (!runFlags || size >= NO_OFFSET_THRESHOLD) off += 4 * size; // container offsets
  const out: Roaring32 = new Map();
  for (let k = 0; k < size; k++) {
    const isRun = runFlags !== undefined && (runFlags[k >>> 3]! & (1 << (k & 7))) !== 0;
    const kind: ContainerKind = isRun ? "run" : cards[k]! > 4096 ? "bitmap" : "array";
    const [c, next] = readPayload(kind, cards[k]!, view, off);
    off = next;
    out.set(keys[k]!, c);
  }
  return out;
}

/** Writes the portable format exactly as Java's `RoaringArray.serialize(ByteBuffer)`. */
export function serializeRoaring32(bitmap: Roaring32): Uint8Array {
  const keys = [...bitmap.keys()].sort((a, b) => a - b);
  const conts = keys.map((k) => bitmap.get(k)!);
  const size = keys.length;
  const hasRun = conts.some((c) => c.kind === "run");
  const markers = hasRun ? (size + 7) >>> 3 : 0;
  const headerLen = hasRun ? 4 + markers + 4 * size + (size >= NO_OFFSET_THRESHOLD ? 4 * size : 0) : 8 + 8 * size;
  const total = headerLen + conts.reduce((n, c) => n + payloadSize(c), 0);
  const out = new Uint8Array(total);
  const view = new DataView(out.buffer);
  let off = 0;
  let start: number;
  if (hasRun) {
    view.setUint32(off, (SERIAL_COOKIE | ((size - 1) << 16)) >>> 0, true);
    off += 4;
    for (let k = 0; k < size; k++) if (conts[k]!.kind === "run") out[off + (k >>> 3)]! |= 1 << (k & 7);
    off += markers;
    start = size < NO_OFFSET_THRESHOLD ? 4 + 4 * size + markers : 4 + 8 * size + markers;
  } else {
    view.setUint32(off, SERIAL_COOKIE_NO_RUNCONTAINER, true);
    view.setUint32(off + 4, size, true);
    off += 8;
    start = 8 + 8 * size;
  }
  for (let k = 0; k < size; k++, off += 4) {
    view.setUint16(off, keys[k]!, true);
    view.setUint16(off + 2, conts[k]!.cardinality - 1, true);
  }
  if (!hasRun || size >= NO_OFFSET_THRESHOLD) {
    for (let k = 0; k < size; k++, off += 4) {
      view.setUint32(off, start, true);
      start += payloadSize(conts[k]!);
    }
  }
  for (const c of conts) off = writePayload(c, view, off);
  return out;
}

/** `acc.or(input)`, in place on `acc` (Java `RoaringBitmap.or`). */
export function orRoaring32(acc: Roaring32, input: Roaring32): Roaring32 {
  for (const [key, c] of input) {
    const mine = acc.get(key);
    acc.set(key, mine ? unionContainers(mine, c) : c);
  }
  return acc;
}

/** Java `RoaringBitmap.runOptimize`. */
export function runOptimizeRoaring32(bitmap: Roaring32): Roaring32 {
  for (const [key, c] of bitmap) bitmap.set(key, runOptimize(c));
  return bitmap;
}

/** A bitmap of `values` as Java's `RoaringBitmap.add` builds it (arrays up to 4096 values, bitmaps beyond). */
export function roaring32Of(values: Iterable<number>): Roaring32 {
  const byKey = new Map<number, Set<number>>();
  for (const v of values) {
    const u = v >>> 0;
    const key = u >>> 16;
    const set = byKey.get(key) ?? new Set<number>();
    set.add(u & 0xffff);
    byKey.set(key, set);
  }
  const out: Roaring32 = new Map();
  for (const key of [...byKey.keys()].sort((a, b) => a - b)) {
    const sorted = [...byKey.get(key)!].sort((a, b) => a - b);
    out.set(key, container(sorted.length <= ARRAY_MAX_SIZE ? "array" : "bitmap", runsOfValues(sorted)));
  }
  return out;
}

/** The values of a bitmap, ascending (unsigned). */
export function roaring32Values(bitmap: Roaring32): number[] {
  const out: number[] = [];
  for (const key of [...bitmap.keys()].sort((a, b) => a - b)) {
    for (const [s, e] of bitmap.get(key)!.runs) for (let v = s; v <= e; v++) out.push(key * 65536 + v);
  }
  return out;
}
