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

/** One bucket's key → value map with an optional bucket-key prefix index. */
export class KvStore {
  private readonly map = new Map<string, string>();
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
    return this.map.size;
  }

  get(key: string): string | undefined {
    return this.map.get(key);
  }

  has(key: string): boolean {
    return this.map.has(key);
  }

  put(key: string, value: string): void {
    const idx = this.byPrefix;
    if (idx && !this.map.has(key)) {
      const p = this.prefixOf!(key);
      let set = idx.get(p);
      if (!set) idx.set(p, (set = new Set()));
      set.add(key);
    }
    this.map.set(key, value);
  }

  delete(key: string): void {
    if (!this.map.delete(key)) return;
    const idx = this.byPrefix;
    if (!idx) return;
    const p = this.prefixOf!(key);
    const set = idx.get(p);
    if (set && set.delete(key) && set.size === 0) idx.delete(p);
  }

  /** Values of every key starting with `prefix` (RocksDB prefix scan order is not promised). */
  prefix(prefix: string): string[] {
    const out: string[] = [];
    if (this.byPrefix) {
      const set = this.byPrefix.get(prefix);
      if (set) for (const k of set) out.push(this.map.get(k)!);
      return out;
    }
    for (const [k, v] of this.map) if (k.startsWith(prefix)) out.push(v);
    return out;
  }

  /** Entries of every key starting with `prefix` (as {@link prefix}). */
  prefixEntries(prefix: string): [string, string][] {
    const out: [string, string][] = [];
    if (this.byPrefix) {
      const set = this.byPrefix.get(prefix);
      if (set) for (const k of set) out.push([k, this.map.get(k)!]);
      return out;
    }
    for (const e of this.map) if (e[0].startsWith(prefix)) out.push(e);
    return out;
  }

  /** Whether {@link prefix} with `prefix` would return `key`'s value. */
  matchesPrefix(key: string, prefix: string): boolean {
    return this.prefixOf ? this.prefixOf(key) === prefix : key.startsWith(prefix);
  }

  /** All entries, in insertion order. */
  entries(): IterableIterator<[string, string]> {
    return this.map.entries();
  }

  clear(): void {
    this.map.clear();
    this.byPrefix?.clear();
  }
}
