/**
 * Java RoaringBitmap's `Roaring64Bitmap` (ART-based, version 1.x) serialization, which the
 * `rbm64` aggregation reads and writes (`FieldRoaringBitmap64Agg`: deserialize the stored
 * bitmap, `or` the incoming one into it, `runOptimize`, serialize). The format has no spec:
 * it is the in-memory layout of `HighLowContainer` = an adaptive radix tree over the high 48
 * bits of each value (`art/Art.java`, `Node4`/`Node16`/`Node48`/`Node256`/`LeafNode`) plus the
 * `art/Containers.java` arrays of 16-bit containers. To write the bytes Java writes, this
 * keeps that layout as read and applies Java's insert and container-allocation steps.
 */
import {
  type Container,
  type ContainerKind,
  payloadSize,
  readPayload,
  runOptimize,
  unionContainers,
  writePayload,
} from "./roaring-container.js";

const EMPTY_TAG = 0;
const NOT_EMPTY_TAG = 1;
const NULL_MARK = 0;
const NOT_NULL_MARK = 1;
const NOT_TRIMMED_MARK = 0xfe;
const KEY_BYTES = 6;
/** `NodeType` ordinals. */
const NODE4 = 0;
const NODE16 = 1;
const NODE48 = 2;
const NODE256 = 3;
const LEAF = 4;
const EMPTY_INDEX = 0xff;

interface Leaf {
  readonly type: typeof LEAF;
  /** The high 48 bits, big-endian. */
  readonly key: Uint8Array;
  readonly first: number;
  readonly second: number;
}

/** A branch: `keys` holds Node4/Node16 key bytes by position, Node48's child index by key byte; Node256 uses `children` by key byte. */
interface Branch {
  type: typeof NODE4 | typeof NODE16 | typeof NODE48 | typeof NODE256;
  prefix: Uint8Array;
  count: number;
  keys: Uint8Array;
  children: (ArtNode | null)[];
}

type ArtNode = Leaf | Branch;

/** A 64-bit bitmap in Java's layout. */
export interface Roaring64 {
  keySize: number;
  root: ArtNode | null;
  arrays: (Container | null)[][];
  containerSize: number;
  firstLevelIdx: number;
  secondLevelIdx: number;
}

/** `Containers.containerType`: the type byte of each container kind. */
const TYPE_BYTE: Record<ContainerKind, number> = { run: 0, bitmap: 1, array: 2 };
const KIND_OF_TYPE_BYTE: readonly (ContainerKind | undefined)[] = ["run", "bitmap", "array"];

function newBranch(type: Branch["type"], prefix: Uint8Array): Branch {
  const keys =
    type === NODE4
      ? new Uint8Array(4)
      : type === NODE16
        ? new Uint8Array(16)
        : type === NODE48
          ? new Uint8Array(256).fill(EMPTY_INDEX)
          : new Uint8Array(0);
  const slots = type === NODE4 ? 4 : type === NODE16 ? 16 : type === NODE48 ? 48 : 256;
  return { type, prefix, count: 0, keys, children: new Array<ArtNode | null>(slots).fill(null) };
}

// ------------------------------------------------------------------ reading

class In {
  off = 0;
  constructor(readonly view: DataView) {}
  need(n: number): void {
    if (this.off + n > this.view.byteLength) throw new Error("Roaring64Bitmap bytes are truncated");
  }
  u8(): number {
    this.need(1);
    return this.view.getUint8(this.off++);
  }
  i32(): number {
    this.need(4);
    const v = this.view.getInt32(this.off, true);
    this.off += 4;
    return v;
  }
  i64(): number {
    this.need(8);
    const v = Number(this.view.getBigInt64(this.off, true));
    this.off += 8;
    return v;
  }
  bytes(n: number): Uint8Array {
    this.need(n);
    const b = new Uint8Array(this.view.buffer, this.view.byteOffset + this.off, n).slice();
    this.off += n;
    return b;
  }
}

/** One node and its children, pre-order (Java `Art.deserialize` / `Node.deserialize`). */
function readTree(r: In): ArtNode {
  const type = r.u8();
  r.need(2);
  const count = r.view.getUint16(r.off, true);
  r.off += 2;
  const prefixLength = r.u8();
  const prefix = prefixLength === 0 ? new Uint8Array(0) : r.bytes(prefixLength);
  if (type === LEAF) {
    const key = r.bytes(KEY_BYTES);
    r.need(8);
    const second = r.view.getUint32(r.off, true);
    const first = r.view.getUint32(r.off + 4, true);
    r.off += 8;
    return { type: LEAF, key, first, second };
  }
  if (type !== NODE4 && type !== NODE16 && type !== NODE48 && type !== NODE256) throw new Error(`Unknown ART node type ${type}`);
  const node = newBranch(type, prefix);
  node.count = count;
  if (type === NODE4) {
    const b = r.bytes(4); // Integer.reverseBytes(key): position 3 first
    for (let i = 0; i < 4; i++) node.keys[i] = b[3 - i]!;
    for (let i = 0; i < count; i++) node.children[i] = readTree(r);
  } else if (type === NODE16) {
    const b = r.bytes(16); // two little-endian longs of big-endian-ordered key bytes
    for (let i = 0; i < 8; i++) {
      node.keys[i] = b[7 - i]!;
      node.keys[8 + i] = b[15 - i]!;
    }
    for (let i = 0; i < count; i++) node.children[i] = readTree(r);
  } else if (type === NODE48) {
    const b = r.bytes(256); // 32 little-endian longs of child slots, key byte 8l+j at shift (7-j)*8
    for (let l = 0; l < 32; l++) for (let t = 0; t < 8; t++) node.keys[l * 8 + (7 - t)] = b[l * 8 + t]!;
    // Node48.replaceChildren: children in key order go to the slot the index names
    for (let k = 0; k < 256; k++) {
      const slot = node.keys[k]!;
      if (slot === EMPTY_INDEX) continue;
      if (slot >= 48) throw new Error(`Node48 child slot ${slot} out of range`);
      node.children[slot] = readTree(r);
    }
  } else {
    const mask = r.bytes(32); // 4 little-endian longs: bit k = a child at key byte k
    for (let k = 0; k < 256; k++) if (mask[k >>> 3]! & (1 << (k & 7))) node.children[k] = readTree(r);
  }
  return node;
}

/** Reads Java's `Roaring64Bitmap.serialize` bytes; throws an Error on malformed input. */
export function deserializeRoaring64(bytes: Uint8Array): Roaring64 {
  const r = new In(new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength));
  const empty: Roaring64 = { keySize: 0, root: null, arrays: [], containerSize: 0, firstLevelIdx: -1, secondLevelIdx: 0 };
  const tag = r.u8();
  if (tag === EMPTY_TAG) return empty;
  if (tag !== NOT_EMPTY_TAG) throw new Error(`Unknown Roaring64Bitmap tag ${tag}`);
  const keySize = r.i64();
  const root = readTree(r);
  const firstLevelSize = r.i32();
  const arrays: (Container | null)[][] = [];
  for (let i = 0; i < firstLevelSize; i++) {
    r.u8(); // trimmed mark
    const n = r.i32();
    if (n < 0) throw new Error("Roaring64Bitmap has a negative container array size");
    const arr: (Container | null)[] = [];
    for (let j = 0; j < n; j++) {
      const mark = r.u8();
      if (mark === NULL_MARK) {
        arr.push(null);
        continue;
      }
      if (mark !== NOT_NULL_MARK) throw new Error(`the null tag byte value:${mark} is not right!`);
      const t = r.u8();
      const kind = KIND_OF_TYPE_BYTE[t];
      if (kind === undefined) throw new Error(`Unknown container type ${t}`);
      const card = r.i32();
      const [c, next] = readPayload(kind, card, r.view, r.off);
      r.off = next;
      arr.push(c);
    }
    arrays.push(arr);
  }
  const containerSize = r.i64();
  const firstLevelIdx = r.i32();
  const secondLevelIdx = r.i32();
  return { keySize, root, arrays, containerSize, firstLevelIdx, secondLevelIdx };
}

// ------------------------------------------------------------------ tree operations

/** Children of a branch in key order, with their key byte. */
function childrenInOrder(node: Branch): [number, ArtNode][] {
  const out: [number, ArtNode][] = [];
  if (node.type === NODE4 || node.type === NODE16) {
    for (let i = 0; i < node.count; i++) out.push([node.keys[i]!, node.children[i]!]);
  } else if (node.type === NODE48) {
    for (let k = 0; k < 256; k++) if (node.keys[k] !== EMPTY_INDEX) out.push([k, node.children[node.keys[k]!]!]);
  } else {
    for (let k = 0; k < 256; k++) if (node.children[k]) out.push([k, node.children[k]!]);
  }
  return out;
}

/** Java `getChildPos`: the position of the child at key byte `k`, or -1. */
function childPos(node: Branch, k: number): number {
  if (node.type === NODE4 || node.type === NODE16) {
    for (let i = 0; i < node.count; i++) if (node.keys[i] === k) return i;
    return -1;
  }
  if (node.type === NODE48) return node.keys[k] !== EMPTY_INDEX ? k : -1;
  return node.children[k] ? k : -1;
}

function childAt(node: Branch, pos: number): ArtNode {
  return (node.type === NODE48 ? node.children[node.keys[pos]!] : node.children[pos])!;
}

function replaceChild(node: Branch, pos: number, fresh: ArtNode): void {
  if (node.type === NODE48) node.children[node.keys[pos]!] = fresh;
  else node.children[pos] = fresh;
}

/** Java `Node.sortSmallByteArray` over positions [left, right]. */
function sortSmall(keys: Uint8Array, children: (ArtNode | null)[], left: number, right: number): void {
  for (let i = left, j = i; i < right; j = ++i) {
    const ai = keys[i + 1]!;
    const child = children[i + 1]!;
    while (ai < keys[j]!) {
      keys[j + 1] = keys[j]!;
      children[j + 1] = children[j]!;
      if (j-- === left) break;
    }
    keys[j + 1] = ai;
    children[j + 1] = child;
  }
}

/** Java `BranchNode.insert(child, key)` of each node type, growing the node when full. */
function insertChild(node: Branch, child: ArtNode, key: number): Branch {
  switch (node.type) {
    case NODE4: {
      if (node.count < 4) {
        node.keys[node.count] = key;
        node.children[node.count] = child;
        node.count++;
        sortSmall(node.keys, node.children, 0, node.count - 1);
        return node;
      }
      const n16 = newBranch(NODE16, node.prefix);
      n16.count = 4;
      n16.keys.set(node.keys.subarray(0, 4));
      for (let i = 0; i < 4; i++) n16.children[i] = node.children[i]!;
      return insertChild(n16, child, key);
    }
    case NODE16: {
      if (node.count < 16) {
        // Node16.insert: below 8 children only the first long is sorted, its slot 8.. untouched
        node.keys[node.count] = key;
        node.children[node.count] = child;
        sortSmall(node.keys, node.children, 0, node.count);
        node.count++;
        return node;
      }
      const n48 = newBranch(NODE48, node.prefix);
      for (let i = 0; i < node.count; i++) {
        n48.keys[node.keys[i]!] = i;
        n48.children[i] = node.children[i]!;
      }
      n48.count = node.count;
      return insertChild(n48, child, key);
    }
    case NODE48: {
      if (node.count < 48) {
        let pos = node.count;
        if (node.children[pos]) {
          pos = 0;
          while (node.children[pos]) pos++;
        }
        node.children[pos] = child;
        node.keys[key] = pos;
        node.count++;
        return node;
      }
      const n256 = newBranch(NODE256, node.prefix);
      for (const [k, c] of childrenInOrder(node)) n256.children[k] = c;
      n256.count = node.count;
      return insertChild(n256, child, key);
    }
    default:
      node.count++;
      node.children[key] = child;
      return node;
  }
}

/** Index of the first differing byte of a[aFrom..aTo) and b[bFrom..bTo), -1 when equal (Java `Arrays.mismatch`). */
function mismatch(a: Uint8Array, aFrom: number, aTo: number, b: Uint8Array, bFrom: number, bTo: number): number {
  const n = Math.min(aTo - aFrom, bTo - bFrom);
  for (let i = 0; i < n; i++) if (a[aFrom + i] !== b[bFrom + i]) return i;
  return aTo - aFrom === bTo - bFrom ? -1 : n;
}

/** Java `Art.insert(node, key, depth, containerIdx)`. */
function insertKey(node: ArtNode | null, key: Uint8Array, depth: number, leaf: Leaf): ArtNode {
  if (node === null) return leaf;
  if (node.type === LEAF) {
    let common = mismatch(node.key, depth, KEY_BYTES, key, depth, KEY_BYTES);
    if (common < 0) common = KEY_BYTES - depth; // the key is present: Java's or() never inserts it
    const n4 = newBranch(NODE4, key.slice(depth, depth + common));
    insertChild(n4, node, node.key[depth + common]!);
    insertChild(n4, leaf, key[depth + common]!);
    return n4;
  }
  const pl = node.prefix.length;
  if (pl > 0) {
    const m = mismatch(node.prefix, 0, pl, key, depth, KEY_BYTES);
    if (m !== pl) {
      const n4 = newBranch(NODE4, node.prefix.slice(0, m));
      insertChild(n4, node, node.prefix[m]!);
      node.prefix = node.prefix.slice(m + 1, pl);
      insertChild(n4, leaf, key[m + depth]!);
      return n4;
    }
    depth += pl;
  }
  const pos = childPos(node, key[depth]!);
  if (pos !== -1) {
    const child = childAt(node, pos);
    const fresh = insertKey(child, key, depth + 1, leaf);
    if (fresh !== child) replaceChild(node, pos, fresh);
    return node;
  }
  return insertChild(node, leaf, key[depth]!);
}

/** Java `Art.findByKey`: the leaf holding `key`, or undefined. */
function findLeaf(root: ArtNode | null, key: Uint8Array): Leaf | undefined {
  let node = root;
  let depth = 0;
  while (node) {
    if (node.type === LEAF) return mismatch(node.key, 0, KEY_BYTES, key, 0, KEY_BYTES) === -1 ? node : undefined;
    const pl = node.prefix.length;
    if (pl > 0) {
      if (mismatch(key, depth, depth + pl, node.prefix, 0, pl) !== -1) return undefined;
      depth += pl;
    }
    const pos = childPos(node, key[depth]!);
    if (pos === -1) return undefined;
    node = childAt(node, pos);
    depth++;
  }
  return undefined;
}

/** Every leaf in key order. */
function leaves(node: ArtNode | null, out: Leaf[] = []): Leaf[] {
  if (!node) return out;
  if (node.type === LEAF) out.push(node);
  else for (const [, c] of childrenInOrder(node)) leaves(c, out);
  return out;
}

/** Java `Containers.addContainer`: the next slot of the current array, which grows by half. */
function addContainer(b: Roaring64, c: Container): [number, number] {
  if (b.firstLevelIdx === -1 || b.secondLevelIdx + 1 === 0x7ffffff6) {
    b.arrays.push([null]);
    b.firstLevelIdx++;
    b.secondLevelIdx = 0;
  } else {
    b.secondLevelIdx++;
  }
  const arr = b.arrays[b.firstLevelIdx]!;
  const min = b.secondLevelIdx + 1;
  if (min > arr.length) {
    let cap = arr.length + (arr.length >> 1);
    if (cap < min) cap = min;
    while (arr.length < cap) arr.push(null);
  }
  arr[b.secondLevelIdx] = c;
  b.containerSize++;
  return [b.firstLevelIdx, b.secondLevelIdx];
}

function containerOf(b: Roaring64, leaf: Leaf): Container {
  const c = b.arrays[leaf.first]?.[leaf.second];
  if (!c) throw new Error("Roaring64Bitmap leaf points at no container");
  return c;
}

/** `acc.or(input)` in place (Java `Roaring64Bitmap.or`): input keys in order, new ones appended. */
export function orRoaring64(acc: Roaring64, input: Roaring64): Roaring64 {
  for (const leaf of leaves(input.root)) {
    const c2 = containerOf(input, leaf);
    const mine = findLeaf(acc.root, leaf.key);
    if (mine) {
      acc.arrays[mine.first]![mine.second] = unionContainers(containerOf(acc, mine), c2);
    } else {
      const [first, second] = addContainer(acc, c2);
      acc.root = insertKey(acc.root, leaf.key, 0, { type: LEAF, key: leaf.key, first, second });
      acc.keySize++;
    }
  }
  return acc;
}

/** Java `Roaring64Bitmap.runOptimize`: a container is replaced only by a run container. */
export function runOptimizeRoaring64(b: Roaring64): Roaring64 {
  for (const arr of b.arrays) {
    for (let j = 0; j < arr.length; j++) {
      const c = arr[j];
      if (!c || c.kind === "run") continue;
      const fresh = runOptimize(c);
      if (fresh.kind === "run") arr[j] = fresh;
    }
  }
  return b;
}

// ------------------------------------------------------------------ writing

class Out {
  private chunks: Uint8Array[] = [];
  private size = 0;
  push(b: Uint8Array): void {
    this.chunks.push(b);
    this.size += b.length;
  }
  u8(v: number): void {
    this.push(Uint8Array.of(v & 0xff));
  }
  i32(v: number): void {
    const b = new Uint8Array(4);
    new DataView(b.buffer).setInt32(0, v, true);
    this.push(b);
  }
  i64(v: number): void {
    const b = new Uint8Array(8);
    new DataView(b.buffer).setBigInt64(0, BigInt(v), true);
    this.push(b);
  }
  bytes(): Uint8Array {
    const out = new Uint8Array(this.size);
    let off = 0;
    for (const c of this.chunks) {
      out.set(c, off);
      off += c.length;
    }
    return out;
  }
}

function writeTree(node: ArtNode, o: Out): void {
  if (node.type === LEAF) {
    o.push(Uint8Array.of(LEAF, 0, 0, 0));
    o.push(node.key);
    const b = new Uint8Array(8);
    const v = new DataView(b.buffer);
    v.setUint32(0, node.second, true);
    v.setUint32(4, node.first, true);
    o.push(b);
    return;
  }
  o.push(Uint8Array.of(node.type, node.count & 0xff, (node.count >>> 8) & 0xff, node.prefix.length));
  o.push(node.prefix);
  if (node.type === NODE4) {
    o.push(Uint8Array.of(node.keys[3]!, node.keys[2]!, node.keys[1]!, node.keys[0]!));
  } else if (node.type === NODE16) {
    const b = new Uint8Array(16);
    for (let i = 0; i < 8; i++) {
      b[7 - i] = node.keys[i]!;
      b[15 - i] = node.keys[8 + i]!;
    }
    o.push(b);
  } else if (node.type === NODE48) {
    const b = new Uint8Array(256);
    for (let l = 0; l < 32; l++) for (let t = 0; t < 8; t++) b[l * 8 + t] = node.keys[l * 8 + (7 - t)]!;
    o.push(b);
  } else {
    const b = new Uint8Array(32);
    for (let k = 0; k < 256; k++) if (node.children[k]) b[k >>> 3]! |= 1 << (k & 7);
    o.push(b);
  }
  for (const [, c] of childrenInOrder(node)) writeTree(c, o);
}

/** Java `Roaring64Bitmap.serialize(DataOutput)` bytes. */
export function serializeRoaring64(b: Roaring64): Uint8Array {
  const o = new Out();
  if (!b.root) {
    o.u8(EMPTY_TAG);
    return o.bytes();
  }
  o.u8(NOT_EMPTY_TAG);
  o.i64(b.keySize);
  writeTree(b.root, o);
  o.i32(b.arrays.length);
  for (const arr of b.arrays) {
    o.u8(NOT_TRIMMED_MARK);
    o.i32(arr.length);
    for (const c of arr) {
      if (!c) {
        o.u8(NULL_MARK);
        continue;
      }
      o.u8(NOT_NULL_MARK);
      o.u8(TYPE_BYTE[c.kind]);
      o.i32(c.cardinality);
      const payload = new Uint8Array(payloadSize(c));
      writePayload(c, new DataView(payload.buffer), 0);
      o.push(payload);
    }
  }
  o.i64(b.containerSize);
  o.i32(b.firstLevelIdx);
  o.i32(b.secondLevelIdx);
  return o.bytes();
}

/** A bitmap of `values` built as Java's `Roaring64Bitmap.bitmapOf(values)` then `runOptimize()` lays it out. */
export function roaring64Of(values: readonly bigint[]): Roaring64 {
  const b: Roaring64 = { keySize: 0, root: null, arrays: [], containerSize: 0, firstLevelIdx: -1, secondLevelIdx: 0 };
  const byKey = new Map<bigint, number[]>();
  for (const v of values) {
    const u = BigInt.asUintN(64, v);
    const high = u >> 16n;
    const list = byKey.get(high) ?? [];
    list.push(Number(u & 0xffffn));
    byKey.set(high, list);
  }
  for (const [high, lows] of byKey) {
    const key = new Uint8Array(KEY_BYTES);
    for (let i = 0; i < KEY_BYTES; i++) key[i] = Number((high >> BigInt(8 * (KEY_BYTES - 1 - i))) & 0xffn);
    const sorted = [...new Set(lows)].sort((x, y) => x - y);
    const runs: [number, number][] = [];
    for (const v of sorted) {
      const last = runs[runs.length - 1];
      if (last && last[1] + 1 === v) last[1] = v;
      else runs.push([v, v]);
    }
    const card = sorted.length;
    const c: Container = { kind: card <= 4096 ? "array" : "bitmap", runs, cardinality: card };
    const [first, second] = addContainer(b, c);
    b.root = insertKey(b.root, key, 0, { type: LEAF, key, first, second });
    b.keySize++;
  }
  return runOptimizeRoaring64(b);
}

/** The values of a bitmap, ascending as unsigned 64-bit numbers (as signed bigints). */
export function roaring64Values(b: Roaring64): bigint[] {
  const out: bigint[] = [];
  for (const leaf of leaves(b.root)) {
    let high = 0n;
    for (const byte of leaf.key) high = (high << 8n) | BigInt(byte);
    for (const [s, e] of containerOf(b, leaf).runs)
      for (let v = s; v <= e; v++) out.push(BigInt.asIntN(64, (high << 16n) | BigInt(v)));
  }
  return out;
}
