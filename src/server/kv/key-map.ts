/**
 * A string → string hash map for the KV state of one bucket: open addressing with linear
 * probing over one Int32Array of `[hash, entry + 1]` slots, entries in dense arrays.
 *
 * Why not a `Map`: with a million keys, V8's Map costs ~0.7 µs per lookup of a fresh key
 * string (its bucket array, its entry chain and every compared key's header are separate
 * cache misses); here a lookup of an absent key touches one slot, and a present key one
 * slot plus the key and value (`bench/kv-state.ts`, upsert bench in bench/RESULTS.md).
 * A write right after a lookup of the same key reuses the lookup's slot.
 *
 * Iteration is over the dense entry arrays: a write during an iteration may skip or repeat
 * entries (the KV store freezes this map while views iterate it).
 */
export class KeyMap {
  /** `[hash, entry index + 1]` per slot; entry 0 marks an empty slot. */
  private slots = new Int32Array(2 * 64);
  private mask = 63;
  private keys: string[] = [];
  private vals: string[] = [];
  private hashes = new Int32Array(64);
  /** The key of the last probe and its slot (`~slot` when absent); reset by every change. */
  private lastKey: string | undefined;
  private lastSlot = 0;

  get size(): number {
    return this.keys.length;
  }

  get(key: string): string | undefined {
    const s = this.probe(key);
    return s < 0 ? undefined : this.vals[this.slots[2 * s + 1]! - 1];
  }

  has(key: string): boolean {
    return this.probe(key) >= 0;
  }

  set(key: string, value: string): void {
    const s = this.lastKey === key ? this.lastSlot : this.probe(key);
    if (s >= 0) {
      this.vals[this.slots[2 * s + 1]! - 1] = value;
      return;
    }
    const slot = ~s;
    const e = this.keys.length;
    if (e === this.hashes.length) this.hashes = grown(this.hashes);
    const h = this.slots[2 * slot]!;
    this.keys.push(key);
    this.vals.push(value);
    this.hashes[e] = h;
    this.slots[2 * slot + 1] = e + 1;
    this.lastKey = undefined;
    if (2 * (e + 1) > this.mask + 1) this.rehash(2 * (this.mask + 1));
  }

  delete(key: string): boolean {
    const s = this.probe(key);
    this.lastKey = undefined;
    if (s < 0) return false;
    const slots = this.slots;
    const e = slots[2 * s + 1]! - 1;
    this.removeSlot(s);
    // keep the entries dense: the last entry moves into the hole
    const last = this.keys.length - 1;
    if (e !== last) {
      const h = this.hashes[last]!;
      let i = h & this.mask;
      while (slots[2 * i + 1] !== last + 1) i = (i + 1) & this.mask;
      slots[2 * i + 1] = e + 1;
      this.keys[e] = this.keys[last]!;
      this.vals[e] = this.vals[last]!;
      this.hashes[e] = h;
    }
    this.keys.pop();
    this.vals.pop();
    return true;
  }

  clear(): void {
    this.slots = new Int32Array(2 * 64);
    this.mask = 63;
    this.keys = [];
    this.vals = [];
    this.hashes = new Int32Array(64);
    this.lastKey = undefined;
  }

  *entries(): Generator<[string, string], void, undefined> {
    const keys = this.keys;
    const vals = this.vals;
    for (let i = 0; i < keys.length; i++) yield [keys[i]!, vals[i]!];
  }

  *values(): Generator<string, void, undefined> {
    const vals = this.vals;
    for (let i = 0; i < vals.length; i++) yield vals[i]!;
  }

  [Symbol.iterator](): Generator<[string, string], void, undefined> {
    return this.entries();
  }

  /**
   * The slot holding `key`, or `~slot` of the empty slot where it would go (whose hash
   * word is set to the key's hash, for {@link set}).
   */
  private probe(key: string): number {
    const h = hashOf(key);
    const slots = this.slots;
    const mask = this.mask;
    let i = h & mask;
    for (;;) {
      const e = slots[2 * i + 1]!;
      if (e === 0) {
        slots[2 * i] = h;
        this.lastKey = key;
        return (this.lastSlot = ~i);
      }
      if (slots[2 * i] === h && this.keys[e - 1] === key) {
        this.lastKey = key;
        return (this.lastSlot = i);
      }
      i = (i + 1) & mask;
    }
  }

  /** Empties slot `s`, shifting later slots of its probe run back (no tombstones). */
  private removeSlot(s: number): void {
    const slots = this.slots;
    const mask = this.mask;
    let hole = s;
    let i = s;
    for (;;) {
      i = (i + 1) & mask;
      const e = slots[2 * i + 1]!;
      if (e === 0) break;
      const home = slots[2 * i]! & mask;
      // the entry at i may move to the hole when its home is not within (hole, i]
      if (((i - home) & mask) >= ((i - hole) & mask)) {
        slots[2 * hole] = slots[2 * i]!;
        slots[2 * hole + 1] = e;
        hole = i;
      }
    }
    slots[2 * hole] = 0;
    slots[2 * hole + 1] = 0;
  }

  private rehash(capacity: number): void {
    const old = this.slots;
    const slots = new Int32Array(2 * capacity);
    const mask = capacity - 1;
    for (let j = 0; j < old.length; j += 2) {
      const e = old[j + 1]!;
      if (e === 0) continue;
      const h = old[j]!;
      let i = h & mask;
      while (slots[2 * i + 1] !== 0) i = (i + 1) & mask;
      slots[2 * i] = h;
      slots[2 * i + 1] = e;
    }
    this.slots = slots;
    this.mask = mask;
    this.lastKey = undefined;
  }
}

function grown(a: Int32Array<ArrayBuffer>): Int32Array<ArrayBuffer> {
  const b = new Int32Array(a.length * 2);
  b.set(a);
  return b;
}

/** FNV-1a over the UTF-16 code units, then murmur3's finalizer (linear probing needs well-spread low bits). */
function hashOf(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return h ^ (h >>> 16);
}
