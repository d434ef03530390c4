/**
 * The 16-bit containers of Roaring bitmaps (array, bitmap, run) with the container-type rules
 * of Java's RoaringBitmap library (`ArrayContainer`, `BitmapContainer`, `RunContainer`:
 * `ior`/`or`, `runOptimize`, `toEfficientContainer`), so that a union serializes to the same
 * bytes Java writes. A container's values are held as a sorted list of closed runs.
 */

/** Java `ArrayContainer.DEFAULT_MAX_SIZE`: above this many values a container is a bitmap. */
export const ARRAY_MAX_SIZE = 4096;

export type ContainerKind = "array" | "bitmap" | "run";

/** One 16-bit container: its kind and its values as sorted, disjoint, non-adjacent closed runs. */
export interface Container {
  readonly kind: ContainerKind;
  /** [start, end] pairs, inclusive, sorted. */
  readonly runs: readonly (readonly [number, number])[];
  readonly cardinality: number;
}

function cardinalityOf(runs: readonly (readonly [number, number])[]): number {
  let c = 0;
  for (const [s, e] of runs) c += e - s + 1;
  return c;
}

/** A container of `kind` holding `runs`. */
export function container(kind: ContainerKind, runs: readonly (readonly [number, number])[]): Container {
  return { kind, runs, cardinality: cardinalityOf(runs) };
}

/** Runs from sorted distinct values. */
export function runsOfValues(values: ArrayLike<number>): [number, number][] {
  const out: [number, number][] = [];
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    const last = out[out.length - 1];
    if (last && last[1] + 1 === v) last[1] = v;
    else out.push([v, v]);
  }
  return out;
}

/** The union of two run lists. */
function unionRuns(a: readonly (readonly [number, number])[], b: readonly (readonly [number, number])[]): [number, number][] {
  const all = [...a, ...b].sort((x, y) => x[0] - y[0]);
  const out: [number, number][] = [];
  for (const [s, e] of all) {
    const last = out[out.length - 1];
    if (last && s <= last[1] + 1) last[1] = Math.max(last[1], e);
    else out.push([s, e]);
  }
  return out;
}

/** Serialized size of each representation (Java `serializedSizeInBytes` / `getArraySizeInBytes`). */
const runSize = (runs: number): number => 2 + 4 * runs;
const arraySize = (card: number): number => 2 * card;
const BITMAP_SIZE = 8192;

/**
 * Java `RunContainer.toEfficientContainer`, which weighs an array by
 * `ArrayContainer.serializedSizeInBytes` (2 bytes more than its payload), so a run container
 * stays one on a tie with the array payload.
 */
function efficientFromRun(runs: [number, number][]): Container {
  const card = cardinalityOf(runs);
  if (runSize(runs.length) <= Math.min(BITMAP_SIZE, arraySize(card) + 2)) return { kind: "run", runs, cardinality: card };
  return { kind: card <= ARRAY_MAX_SIZE ? "array" : "bitmap", runs, cardinality: card };
}

/**
 * Java `a.ior(b)` as `RoaringBitmap.or` applies it to two containers of the same key: a bitmap
 * on either side gives a bitmap (a full one becomes a run), a run on either side gives
 * `toEfficientContainer`, two arrays give an array up to 4096 values and a bitmap beyond.
 */
export function unionContainers(a: Container, b: Container): Container {
  const runs = unionRuns(a.runs, b.runs);
  const card = cardinalityOf(runs);
  if (card === 65536) return { kind: "run", runs, cardinality: card };
  if (a.kind === "bitmap" || b.kind === "bitmap") return { kind: "bitmap", runs, cardinality: card };
  if (a.kind === "run" || b.kind === "run") return efficientFromRun(runs);
  return { kind: card <= ARRAY_MAX_SIZE ? "array" : "bitmap", runs, cardinality: card };
}

/** Java `Container.runOptimize()`: a run container where that is strictly smaller (array, bitmap) or no larger (run). */
export function runOptimize(c: Container): Container {
  const r = runSize(c.runs.length);
  switch (c.kind) {
    case "array":
      return arraySize(c.cardinality) > r ? { ...c, kind: "run" } : c;
    case "bitmap":
      return BITMAP_SIZE > r ? { ...c, kind: "run" } : c;
    default:
      return efficientFromRun([...c.runs.map((x) => [x[0], x[1]] as [number, number])]);
  }
}

/** Bytes of the container's payload (Java `getArraySizeInBytes`). */
export function payloadSize(c: Container): number {
  return c.kind === "array" ? arraySize(c.cardinality) : c.kind === "bitmap" ? BITMAP_SIZE : runSize(c.runs.length);
}

/** Writes the payload little-endian at `off` (Java `writeArray`); returns the next offset. */
export function writePayload(c: Container, view: DataView, off: number): number {
  if (c.kind === "array") {
    for (const [s, e] of c.runs) for (let v = s; v <= e; v++, off += 2) view.setUint16(off, v, true);
    return off;
  }
  if (c.kind === "run") {
    view.setUint16(off, c.runs.length, true);
    off += 2;
    for (const [s, e] of c.runs) {
      view.setUint16(off, s, true);
      view.setUint16(off + 2, e - s, true);
      off += 4;
    }
    return off;
  }
  const words = new Uint32Array(2048);
  for (const [s, e] of c.runs) for (let v = s; v <= e; v++) words[v >>> 5]! |= 1 << (v & 31);
  for (let i = 0; i < 2048; i++, off += 4) view.setUint32(off, words[i]!, true);
  return off;
}

/** Reads a payload of `kind` (an array or bitmap of `cardinality` values); returns the container and the next offset. */
export function readPayload(kind: ContainerKind, cardinality: number, view: DataView, off: number): [Container, number] {
  const need = (n: number): void => {
    if (off + n > view.byteLength) throw new Error("Roaring bitmap is truncated");
  };
  if (kind === "array") {
    need(2 * cardinality);
    const values: number[] = [];
    for (let i = 0; i < cardinality; i++, off += 2) values.push(view.getUint16(off, true));
    return [container("array", runsOfValues(values)), off];
  }
  if (kind === "run") {
    need(2);
    const n = view.getUint16(off, true);
    off += 2;
    need(4 * n);
    const runs: [number, number][] = [];
    for (let i = 0; i < n; i++, off += 4) {
      const s = view.getUint16(off, true);
      runs.push([s, s + view.getUint16(off + 2, true)]);
    }
    return [container("run", runs), off];
  }
  need(BITMAP_SIZE);
  const values: number[] = [];
  for (let i = 0; i < 2048; i++, off += 4) {
    let w = view.getUint32(off, true);
    while (w !== 0) {
      const bit = 31 - Math.clz32(w & -w);
      values.push(i * 32 + bit);
      w &= w - 1;
    }
  }
  return [container("bitmap", runsOfValues(values)), off];
}
