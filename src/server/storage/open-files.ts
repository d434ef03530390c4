/**
 * A bound on the segment files the server keeps open: the least recently used ones are
 * closed when more than `maxOpen` are open, and reopened on their next use. Without it a
 * table of many buckets exhausts the descriptor limit (one file per bucket), after which
 * the server can accept no connection.
 *
 * Node raises the soft RLIMIT_NOFILE to the hard limit at startup (node.cc, PlatformInit)
 * and has no setrlimit of its own, so there is nothing more to raise from here; the default
 * bound is half the soft limit read from /proc/self/limits (1,024 where it cannot be read).
 */
import * as fs from "node:fs";

/** A file the cache may close while it is idle. */
export interface ClosableFile {
  /** Closes the descriptor if no operation is using it; false when busy (kept open). */
  closeIdle(): boolean;
}

/** The soft limit on open files of this process, if the OS tells (Linux). */
export function openFileLimit(): number | undefined {
  try {
    const m = /^Max open files\s+(\d+|unlimited)/m.exec(fs.readFileSync("/proc/self/limits", "utf8"));
    if (!m) return undefined;
    return m[1] === "unlimited" ? Number.MAX_SAFE_INTEGER : Number(m[1]);
  } catch {
    return undefined;
  }
}

/** Default bound: half the descriptor limit (the rest for sockets, snapshots, the catalog), 64 to 4,096. */
function defaultMaxOpenFiles(): number {
  const limit = openFileLimit() ?? 2048;
  return Math.max(64, Math.min(4096, Math.floor(limit / 2)));
}

/** The LRU of open files; `touch` on each use. */
export class OpenFiles {
  /** Open files, least recently used first (a Map keeps insertion order). */
  private readonly lru = new Map<ClosableFile, true>();

  constructor(readonly maxOpen: number = defaultMaxOpenFiles()) {}

  /** Number of files open now. */
  get openCount(): number {
    return this.lru.size;
  }

  /** `file` is open and was just used; closes idle files beyond the bound. */
  touch(file: ClosableFile): void {
    if (this.lru.delete(file)) {
      this.lru.set(file, true);
      return;
    }
    this.lru.set(file, true);
    if (this.lru.size > this.maxOpen) this.shrinkTo(this.maxOpen, file);
  }

  /** An operation that kept files open ended: back under the bound if it went over. */
  settle(): void {
    if (this.lru.size > this.maxOpen) this.shrinkTo(this.maxOpen);
  }

  /** `file` was closed by its owner. */
  forget(file: ClosableFile): void {
    this.lru.delete(file);
  }

  /** Closes idle files (but `keep`), least recently used first, until at most `n` are open. */
  shrinkTo(n: number, keep?: ClosableFile): void {
    for (const f of this.lru.keys()) {
      if (this.lru.size <= n) break;
      if (f !== keep && f.closeIdle()) this.lru.delete(f);
    }
  }
}
