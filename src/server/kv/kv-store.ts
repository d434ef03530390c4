import { KeyMap } from "./key-map.js";

/**
 * The state of one primary-key bucket: record key → stored value (`int16 schemaId ‖ row`,
 * formats.md §4.3), held in memory. Keys and values are kept as latin1 strings (one byte
 * per char): V8 stores them as compact one-byte strings, hashes them for the Map, and they
 * cost far less per entry than a Uint8Array object each (see `bench/kv-state.ts`).
 *
 * When the bucket key is a strict leading part of the primary key, its compacted bytes are
 * a byte prefix of every record key (formats.md §4.4): a secondary index from that prefix
 * to its keys answers prefix lookups without scanning. Otherwise a prefix lookup scans.
 */

/** Encodes bytes as a latin1 string (the store's key and value representation). */
export function bytesToLatin1(bytes: Uint8Array): string {
  return latin1Of(bytes, 0, bytes.length);
}

const c = String.fromCharCode;

/**
 * `b[s, e)` as a latin1 string. Short ones (record keys mostly are) are built with
 * `String.fromCharCode` of their bytes, which V8 inlines: several times cheaper than a
 * `Buffer#toString` call into C++.
 */
export function latin1Of(b: Uint8Array, s: number, e: number): string {
  // biome-ignore format: one call per key length, each on one line
  switch (e - s) {
    case 0:
      return "";
    case 1:
      return c(b[s]!);
    case 2:
      return c(b[s]!, b[s + 1]!);
    case 3:
      return c(b[s]!, b[s + 1]!, b[s + 2]!);
    case 4:
      return c(b[s]!, b[s + 1]!, b[s + 2]!, b[s + 3]!);
    case 5:
      return c(b[s]!, b[s + 1]!, b[s + 2]!, b[s + 3]!, b[s + 4]!);
    case 6:
      return c(b[s]!, b[s + 1]!, b[s + 2]!, b[s + 3]!, b[s + 4]!, b[s + 5]!);
    case 7:
      return c(b[s]!, b[s + 1]!, b[s + 2]!, b[s + 3]!, b[s + 4]!, b[s + 5]!, b[s + 6]!);
    case 8:
      return c(b[s]!, b[s + 1]!, b[s + 2]!, b[s + 3]!, b[s + 4]!, b[s + 5]!, b[s + 6]!, b[s + 7]!);
    case 9:
      return c(b[s]!, b[s + 1]!, b[s + 2]!, b[s + 3]!, b[s + 4]!, b[s + 5]!, b[s + 6]!, b[s + 7]!, b[s + 8]!);
    case 10:
      return c(b[s]!, b[s + 1]!, b[s + 2]!, b[s + 3]!, b[s + 4]!, b[s + 5]!, b[s + 6]!, b[s + 7]!, b[s + 8]!, b[s + 9]!);
    case 11:
      return c(b[s]!, b[s + 1]!, b[s + 2]!, b[s + 3]!, b[s + 4]!, b[s + 5]!, b[s + 6]!, b[s + 7]!, b[s + 8]!, b[s + 9]!, b[s + 10]!);
    case 12:
      return c(b[s]!, b[s + 1]!, b[s + 2]!, b[s + 3]!, b[s + 4]!, b[s + 5]!, b[s + 6]!, b[s + 7]!, b[s + 8]!, b[s + 9]!, b[s + 10]!, b[s + 11]!);
    case 13:
      return c(b[s]!, b[s + 1]!, b[s + 2]!, b[s + 3]!, b[s + 4]!, b[s + 5]!, b[s + 6]!, b[s + 7]!, b[s + 8]!, b[s + 9]!, b[s + 10]!, b[s + 11]!, b[s + 12]!);
    case 14:
      return c(b[s]!, b[s + 1]!, b[s + 2]!, b[s + 3]!, b[s + 4]!, b[s + 5]!, b[s + 6]!, b[s + 7]!, b[s + 8]!, b[s + 9]!, b[s + 10]!, b[s + 11]!, b[s + 12]!, b[s + 13]!);
    case 15:
      return c(b[s]!, b[s + 1]!, b[s + 2]!, b[s + 3]!, b[s + 4]!, b[s + 5]!, b[s + 6]!, b[s + 7]!, b[s + 8]!, b[s + 9]!, b[s + 10]!, b[s + 11]!, b[s + 12]!, b[s + 13]!, b[s + 14]!);
    case 16:
      return c(b[s]!, b[s + 1]!, b[s + 2]!, b[s + 3]!, b[s + 4]!, b[s + 5]!, b[s + 6]!, b[s + 7]!, b[s + 8]!, b[s + 9]!, b[s + 10]!, b[s + 11]!, b[s + 12]!, b[s + 13]!, b[s + 14]!, b[s + 15]!);
    default:
      return Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString("latin1", s, e);
  }
}

/** The bytes of a latin1 string (a fresh buffer). */
export function latin1ToBytes(s: string): Buffer {
  return Buffer.from(s, "latin1");
}

/**
 * A consistent, read-only picture of a {@link KvStore} as of {@link KvStore.openView}:
 * writes made afterwards do not change what it returns. Close it when done.
 */
export interface KvView {
  /** The values (`int16 schemaId ‖ row`, latin1) of the view, in no particular order. */
  values(): IterableIterator<string>;
  /** The entries (record key → value, latin1) of the view, in no particular order. */
  entries(): IterableIterator<[string, string]>;
  /** Whether the view holds no entry at all. */
  readonly empty: boolean;
  /** Releases the view; its iterator must not be used afterwards. */
  close(): void;
  /** False once closed, or when the store was cleared under it (tablet closed). */
  readonly valid: boolean;
}

/**
 * One bucket's key → value map with an optional bucket-key prefix index.
 *
 * Views (full scans) are copy-on-write: while any view is open the `base` map is frozen and
 * writes go to an overlay (`delta`: key → value, or null for a deleted key) that reads
 * consult first. A view iterates the frozen base, skipping keys of its own copy of the
 * overlay as it was when the view opened (empty for the first view), then that copy's
 * values. When the last view closes, the overlay is folded into the base. What views pin is
 * bounded by the keys written while they are open (one old value each) plus each view's
 * copy of the overlay at its opening; the number and idle time of views are bounded by the
 * scanner manager.
 */
export class KvStore {
  private readonly base = new KeyMap();
  /** Writes made while views are open (null: deleted); undefined when no view is open. */
  private delta: Map<string, string | null> | undefined;
  private liveSize = 0;
  private readonly views = new Set<StoreView>();
  private readonly byPrefix: Map<string, Set<string>> | undefined;

  /**
   * @param prefixOf the bucket-key prefix of a record key, when prefix lookups can use an
   *   index (the bucket key leads the primary key); undefined makes prefix lookups scan.
   */
  constructor(private readonly prefixOf?: (key: string) => string) {
    this.byPrefix = prefixOf ? new Map() : undefined;
  }

  /** Number of keys. */
  get size(): number {
    return this.liveSize;
  }

  /** Number of open views. */
  get openViews(): number {
    return this.views.size;
  }

  get(key: string): string | undefined {
    const d = this.delta;
    if (d !== undefined) {
      const v = d.get(key);
      if (v !== undefined) return v === null ? undefined : v;
    }
    return this.base.get(key);
  }

  has(key: string): boolean {
    return this.get(key) !== undefined;
  }

  /**
   * Stores `value` under `key`. `existed`: whether the key holds a value now, when the caller
   * just read it (an upsert reads the old value anyway): saves a lookup per write.
   */
  put(key: string, value: string, existed?: boolean): void {
    const d = this.delta;
    if (d === undefined) {
      if (!(existed ?? this.base.has(key))) this.added(key);
      this.base.set(key, value);
      return;
    }
    if (!(existed ?? this.get(key) !== undefined)) this.added(key);
    d.set(key, value);
  }

  delete(key: string): void {
    const d = this.delta;
    if (d === undefined) {
      if (this.base.delete(key)) this.removed(key);
      return;
    }
    if (this.get(key) === undefined) return;
    // a key the frozen base does not hold needs no tombstone
    if (this.base.has(key)) d.set(key, null);
    else d.delete(key);
    this.removed(key);
  }

  private added(key: string): void {
    this.liveSize++;
    const idx = this.byPrefix;
    if (!idx) return;
    const p = this.prefixOf!(key);
    let set = idx.get(p);
    if (!set) idx.set(p, (set = new Set()));
    set.add(key);
  }

  private removed(key: string): void {
    this.liveSize--;
    const idx = this.byPrefix;
    if (!idx) return;
    const p = this.prefixOf!(key);
    const set = idx.get(p);
    if (set?.delete(key) && set.size === 0) idx.delete(p);
  }

  /** Values of every key starting with `prefix` (RocksDB prefix scan order is not promised). */
  prefix(prefix: string): string[] {
    const out: string[] = [];
    if (this.byPrefix) {
      const set = this.byPrefix.get(prefix);
      if (set) for (const k of set) out.push(this.get(k)!);
      return out;
    }
    for (const [k, v] of this.entries()) if (k.startsWith(prefix)) out.push(v);
    return out;
  }

  /** Entries of every key starting with `prefix` (as {@link prefix}). */
  prefixEntries(prefix: string): [string, string][] {
    const out: [string, string][] = [];
    if (this.byPrefix) {
      const set = this.byPrefix.get(prefix);
      if (set) for (const k of set) out.push([k, this.get(k)!]);
      return out;
    }
    for (const e of this.entries()) if (e[0].startsWith(prefix)) out.push(e);
    return out;
  }

  /** Whether {@link prefix} with `prefix` would return `key`'s value. */
  matchesPrefix(key: string, prefix: string): boolean {
    return this.prefixOf ? this.prefixOf(key) === prefix : key.startsWith(prefix);
  }

  /** All live entries (base order, then keys written while views are open). */
  *entries(): IterableIterator<[string, string]> {
    const d = this.delta;
    if (d === undefined) {
      yield* this.base.entries();
      return;
    }
    for (const e of this.base) if (!d.has(e[0])) yield e;
    for (const [k, v] of d) if (v !== null) yield [k, v];
  }

  /** The first `limit` live values (Java `RocksDBKv.limitScan`: iteration order). */
  firstValues(limit: number): string[] {
    const out: string[] = [];
    if (limit <= 0) return out;
    for (const [, v] of this.entries()) {
      out.push(v);
      if (out.length >= limit) break;
    }
    return out;
  }

  /**
   * Opens a consistent view of the current entries (O(size of the overlay), usually O(1)).
   * `asOf` (key → value, undefined: absent) overrides keys in the view only: the tablet
   * passes the values from before a batch that is applied but not yet acknowledged, so the
   * view holds the state its changelog offset stands for (O(its size) more).
   */
  openView(asOf?: ReadonlyMap<string, string | undefined>): KvView {
    if (this.delta === undefined) this.delta = new Map();
    const overlay = new Map(this.delta);
    let size = this.liveSize;
    if (asOf !== undefined) {
      for (const [k, v] of asOf) {
        const now = this.get(k) !== undefined;
        size += (v !== undefined ? 1 : 0) - (now ? 1 : 0);
        // a key absent from the frozen base needs no tombstone
        if (v !== undefined) overlay.set(k, v);
        else if (this.base.has(k)) overlay.set(k, null);
        else overlay.delete(k);
      }
    }
    const view = new StoreView(this, this.base, overlay, size === 0);
    this.views.add(view);
    return view;
  }

  /** @internal Called by a view's close: the last one folds the overlay into the base. */
  release(view: StoreView): void {
    if (!this.views.delete(view) || this.views.size > 0) return;
    const d = this.delta;
    this.delta = undefined;
    if (!d) return;
    for (const [k, v] of d) {
      if (v === null) this.base.delete(k);
      else this.base.set(k, v);
    }
  }

  clear(): void {
    for (const v of this.views) v.invalidate();
    this.views.clear();
    this.base.clear();
    this.delta = undefined;
    this.liveSize = 0;
    this.byPrefix?.clear();
  }
}

class StoreView implements KvView {
  private open = true;

  constructor(
    private readonly store: KvStore,
    private readonly base: KeyMap,
    private readonly overlay: Map<string, string | null>,
    readonly empty: boolean,
  ) {}

  get valid(): boolean {
    return this.open;
  }

  *values(): Generator<string, void, undefined> {
    const overlay = this.overlay;
    if (overlay.size === 0) {
      for (const v of this.base.values()) {
        if (!this.open) return;
        yield v;
      }
    } else {
      for (const [k, v] of this.base) {
        if (!this.open) return;
        if (!overlay.has(k)) yield v;
      }
    }
    for (const v of overlay.values()) {
      if (!this.open) return;
      if (v !== null) yield v;
    }
  }

  *entries(): Generator<[string, string], void, undefined> {
    const overlay = this.overlay;
    for (const e of this.base) {
      if (!this.open) return;
      if (overlay.size === 0 || !overlay.has(e[0])) yield e;
    }
    for (const [k, v] of overlay) {
      if (!this.open) return;
      if (v !== null) yield [k, v];
    }
  }

  /** @internal The store was cleared under the view. */
  invalidate(): void {
    this.open = false;
  }

  close(): void {
    if (!this.open) return;
    this.open = false;
    this.store.release(this);
  }
}
