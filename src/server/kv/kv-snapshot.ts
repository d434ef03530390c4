/**
 * Snapshot files of a bucket's KV state: `<bucketDir>/kv/snap-<id>-<offset>.snapshot`, where
 * id numbers the bucket's snapshots 0, 1, 2, ... (Java's per-bucket snapshot id counter,
 * KvTabletSnapshotTarget.java:183) and offset is the changelog offset the state covers
 * (everything below it is in the snapshot). Files of the earlier naming,
 * `<offset, 20 digits>.snapshot`, still load: {@link listSnapshots} gives them ids after the
 * newest id of the new naming, in offset order, and {@link migrateLegacySnapshots} renames
 * them so (the same ids whether a crash interrupted the renames or not).
 *
 * Layout (little-endian): `"FKVS"`, int32 version, then version 2: int64 snapshot id, int64
 * offset, int32 entry count (version 1, the earlier files: int64 offset, int32 entry count);
 * entries `[int32 keyLength][key][int32 valueLength][value]`, then a CRC-32C of everything
 * before it. Written whole to a temp file, fsync'ed and renamed (atomic-file.ts), so a
 * crash leaves the old snapshot or the new one, never a torn one.
 */
import * as fs from "node:fs";
import * as fsp from "node:fs/promises";
import * as path from "node:path";
import { crc32c } from "../../record/crc32c.js";
import { fsyncDirSync, writeFileAtomic } from "../storage/atomic-file.js";
import type { KvStore, KvView } from "./kv-store.js";

const MAGIC = 0x53564b46; // "FKVS" read as int32 LE
const VERSION = 2;
const LEGACY_VERSION = 1;
const HEADER = 28;
const LEGACY_HEADER = 20;
const SUFFIX = ".snapshot";
const TWO_32 = 4294967296;

/** One snapshot file of a bucket. */
export interface SnapshotEntry {
  /** The snapshot id (0, 1, 2, ... per bucket). */
  readonly id: number;
  /** The changelog offset the snapshot covers. */
  readonly offset: number;
  /** The file's name in the bucket's `kv` directory. */
  readonly fileName: string;
  /** Named as before ids were numbered (`<offset>.snapshot`), not yet renamed. */
  readonly legacy: boolean;
}

/** File name of snapshot `id` covering offsets below `offset`. */
export function snapshotFileName(id: number, offset: number): string {
  return `snap-${id}-${offset}${SUFFIX}`;
}

const NAME = /^snap-(\d{1,16})-(\d{1,16})\.snapshot$/;
const LEGACY_NAME = /^(\d{20})\.snapshot$/;

/**
 * The snapshots named in a directory listing, newest (highest id) first. Legacy files get
 * the ids after the highest new-style id, in offset order: they are older than every
 * new-style file but the ones renamed from them, which had lower offsets.
 */
export function snapshotEntries(names: readonly string[]): SnapshotEntry[] {
  const out: SnapshotEntry[] = [];
  const legacy: number[] = [];
  for (const name of names) {
    const m = NAME.exec(name);
    if (m) {
      const id = Number(m[1]);
      const offset = Number(m[2]);
      if (Number.isSafeInteger(id) && Number.isSafeInteger(offset)) out.push({ id, offset, fileName: name, legacy: false });
    } else {
      const l = LEGACY_NAME.exec(name);
      if (l && Number.isSafeInteger(Number(l[1]))) legacy.push(Number(l[1]));
    }
  }
  let next = out.reduce((max, e) => Math.max(max, e.id + 1), 0);
  for (const offset of legacy.sort((a, b) => a - b)) {
    out.push({ id: next++, offset, fileName: `${String(offset).padStart(20, "0")}${SUFFIX}`, legacy: true });
  }
  return out.sort((a, b) => b.id - a.id);
}

/** Entries serialized per step of {@link encodeSnapshotInSteps} (~1 MiB for small rows). */
const STEP_ENTRIES = 8192;

/**
 * Serializes a consistent view (the layout above) in steps of
 * {@link STEP_ENTRIES} entries, yielding to the event loop between them, so that other
 * requests go on while a large bucket is written out. Returns undefined when `aborted()`
 * turns true or the view becomes invalid (the tablet was closed or dropped meanwhile).
 */
export async function encodeSnapshotInSteps(
  view: KvView,
  snapshotId: number,
  offset: number,
  aborted: () => boolean,
  stepEntries = STEP_ENTRIES,
): Promise<Buffer | undefined> {
  const parts: Buffer[] = [];
  const header = Buffer.allocUnsafe(HEADER);
  header.writeInt32LE(MAGIC, 0);
  header.writeInt32LE(VERSION, 4);
  writeInt64(header, 8, snapshotId);
  writeInt64(header, 16, offset);
  parts.push(header);
  let count = 0;
  let total = HEADER;
  const it = view.entries();
  const batch: [string, string][] = [];
  for (;;) {
    if (aborted() || !view.valid) return undefined;
    batch.length = 0;
    let size = 0;
    for (let r = it.next(); !r.done; r = it.next()) {
      batch.push(r.value);
      size += 8 + r.value[0].length + r.value[1].length;
      if (batch.length >= stepEntries) break;
    }
    if (!view.valid) return undefined;
    if (batch.length === 0) break;
    const buf = Buffer.allocUnsafe(size);
    let pos = 0;
    for (const [k, v] of batch) {
      buf.writeInt32LE(k.length, pos);
      pos += 4;
      pos += buf.write(k, pos, "latin1");
      buf.writeInt32LE(v.length, pos);
      pos += 4;
      pos += buf.write(v, pos, "latin1");
    }
    parts.push(buf);
    count += batch.length;
    total += size;
    if (batch.length < stepEntries) break;
    await new Promise<void>((resolve) => setImmediate(resolve));
  }
  header.writeInt32LE(count, 24);
  parts.push(Buffer.alloc(4));
  const out = Buffer.concat(parts, total + 4);
  out.writeUInt32LE(crc32c(out, 0, total), total);
  return out;
}

function writeInt64(buf: Buffer, pos: number, v: number): void {
  buf.writeUInt32LE(v % TWO_32, pos);
  buf.writeUInt32LE(Math.floor(v / TWO_32), pos + 4);
}

function readInt64(buf: Buffer, pos: number): number {
  return buf.readUInt32LE(pos) + buf.readUInt32LE(pos + 4) * TWO_32;
}

/** What a snapshot file's header says: its id (absent in version 1 files) and offset. */
export interface SnapshotHeader {
  readonly id: number | undefined;
  readonly offset: number;
}

/** Loads a snapshot into `store`; returns its header. Throws on a damaged file. */
export function decodeSnapshot(buf: Buffer, store: KvStore): SnapshotHeader {
  const version = buf.length >= 8 && buf.readInt32LE(0) === MAGIC ? buf.readInt32LE(4) : -1;
  const headerSize = version === VERSION ? HEADER : version === LEGACY_VERSION ? LEGACY_HEADER : -1;
  if (headerSize < 0 || buf.length < headerSize + 4) throw new Error("not a KV snapshot (bad magic or version)");
  const end = buf.length - 4;
  if (crc32c(buf, 0, end) !== buf.readUInt32LE(end)) throw new Error("KV snapshot checksum mismatch");
  const id = version === VERSION ? readInt64(buf, 8) : undefined;
  const offset = readInt64(buf, headerSize - 12);
  const count = buf.readInt32LE(headerSize - 4);
  let pos = headerSize;
  for (let i = 0; i < count; i++) {
    const kl = buf.readInt32LE(pos);
    const k = buf.toString("latin1", pos + 4, pos + 4 + kl);
    pos += 4 + kl;
    const vl = buf.readInt32LE(pos);
    const v = buf.toString("latin1", pos + 4, pos + 4 + vl);
    pos += 4 + vl;
    store.put(k, v);
  }
  if (pos !== end) throw new Error("KV snapshot length mismatch");
  return { id, offset };
}

/** The snapshots in `dir`, newest first (see {@link snapshotEntries}). */
export async function listSnapshots(dir: string): Promise<SnapshotEntry[]> {
  let names: string[];
  try {
    names = await fsp.readdir(dir);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return [];
    throw e;
  }
  return snapshotEntries(names);
}

/** {@link listSnapshots} without a thread-pool hop (for checks that must not interleave with deletes). */
export function listSnapshotsSync(dir: string): SnapshotEntry[] {
  try {
    return snapshotEntries(fs.readdirSync(dir));
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return [];
    throw e;
  }
}

/**
 * Renames the files of the earlier naming to `snap-<id>-<offset>.snapshot` with the ids
 * {@link snapshotEntries} gave them, oldest first, so that a crash in between leaves names
 * that list with the same ids. Returns the listing after the renames.
 */
export function migrateLegacySnapshots(dir: string, entries: readonly SnapshotEntry[]): SnapshotEntry[] {
  const legacy = entries.filter((e) => e.legacy).sort((a, b) => a.id - b.id);
  if (legacy.length === 0) return [...entries];
  for (const e of legacy) fs.renameSync(path.join(dir, e.fileName), path.join(dir, snapshotFileName(e.id, e.offset)));
  fsyncDirSync(dir);
  return listSnapshotsSync(dir);
}

/** Writes a snapshot durably (its older ones are removed by the caller's retention). */
export async function writeSnapshot(dir: string, id: number, offset: number, bytes: Uint8Array): Promise<void> {
  await fsp.mkdir(dir, { recursive: true });
  await writeFileAtomic(path.join(dir, snapshotFileName(id, offset)), bytes);
}

/**
 * Java `CompletedSnapshotStore.addSnapshotAndSubsumeOldestOne`: keeps the newest `retained`
 * snapshots and those `leased` answers true for; removes the others. Synchronous, so that a
 * lease checked here cannot be taken between the check and the removal.
 */
export function pruneSnapshots(dir: string, retained: number, leased: (id: number) => boolean): void {
  const entries = listSnapshotsSync(dir);
  let removed = false;
  for (const e of entries.slice(retained)) {
    if (leased(e.id)) continue;
    fs.rmSync(path.join(dir, e.fileName), { force: true });
    removed = true;
  }
  if (removed) fsyncDirSync(dir);
}

/** Reads a snapshot file. */
export function readSnapshotFile(dir: string, entry: SnapshotEntry): Promise<Buffer> {
  return fsp.readFile(path.join(dir, entry.fileName));
}
