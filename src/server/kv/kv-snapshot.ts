/**
 * Snapshot files of a bucket's KV state: `<bucketDir>/kv/<offset>.snapshot`, where offset
 * is the changelog offset the state covers (everything below it is in the snapshot).
 *
 * Layout (little-endian): `"FKVS"`, int32 version (1), int64 offset, int32 entry count,
 * entries `[int32 keyLength][key][int32 valueLength][value]`, then a CRC-32C of everything
 * before it. Written whole to a temp file, fsync'ed and renamed (atomic-file.ts), so a
 * crash leaves the old snapshot or the new one, never a torn one.
 */
import * as fsp from "node:fs/promises";
import * as path from "node:path";
import { crc32c } from "../../record/crc32c.js";
import { writeFileAtomic } from "../storage/atomic-file.js";
import type { KvStore, KvView } from "./kv-store.js";

const MAGIC = 0x53564b46; // "FKVS" read as int32 LE
const VERSION = 1;
const HEADER = 20;
const SUFFIX = ".snapshot";
const TWO_32 = 4294967296;

/** File name of the snapshot covering offsets below `offset`. */
function snapshotFileName(offset: number): string {
  return `${String(offset).padStart(20, "0")}${SUFFIX}`;
}

function parseName(name: string): number | undefined {
  if (!name.endsWith(SUFFIX)) return undefined;
  const digits = name.slice(0, -SUFFIX.length);
  return /^\d{20}$/.test(digits) ? Number(digits) : undefined;
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
  offset: number,
  aborted: () => boolean,
  stepEntries = STEP_ENTRIES,
): Promise<Buffer | undefined> {
  const parts: Buffer[] = [];
  const header = Buffer.allocUnsafe(HEADER);
  header.writeInt32LE(MAGIC, 0);
  header.writeInt32LE(VERSION, 4);
  header.writeUInt32LE(offset % TWO_32, 8);
  header.writeUInt32LE(Math.floor(offset / TWO_32), 12);
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
  header.writeInt32LE(count, 16);
  parts.push(Buffer.alloc(4));
  const out = Buffer.concat(parts, total + 4);
  out.writeUInt32LE(crc32c(out, 0, total), total);
  return out;
}

/** Loads a snapshot into `store`; returns its offset. Throws on a damaged file. */
export function decodeSnapshot(buf: Buffer, store: KvStore): number {
  if (buf.length < HEADER + 4 || buf.readInt32LE(0) !== MAGIC || buf.readInt32LE(4) !== VERSION) {
    throw new Error("not a KV snapshot (bad magic or version)");
  }
  const end = buf.length - 4;
  if (crc32c(buf, 0, end) !== buf.readUInt32LE(end)) throw new Error("KV snapshot checksum mismatch");
  const offset = buf.readUInt32LE(8) + buf.readUInt32LE(12) * TWO_32;
  const count = buf.readInt32LE(16);
  let pos = HEADER;
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
  return offset;
}

/** Snapshot offsets present in `dir`, newest first. */
export async function listSnapshots(dir: string): Promise<number[]> {
  let names: string[];
  try {
    names = await fsp.readdir(dir);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return [];
    throw e;
  }
  return names
    .map(parseName)
    .filter((o): o is number => o !== undefined)
    .sort((a, b) => b - a);
}

/** Writes a snapshot durably and removes the older ones. */
export async function writeSnapshot(dir: string, offset: number, bytes: Uint8Array): Promise<void> {
  await fsp.mkdir(dir, { recursive: true });
  await writeFileAtomic(path.join(dir, snapshotFileName(offset)), bytes);
  for (const old of await listSnapshots(dir)) {
    if (old < offset) await fsp.rm(path.join(dir, snapshotFileName(old)), { force: true });
  }
}

/** Reads a snapshot file. */
export function readSnapshotFile(dir: string, offset: number): Promise<Buffer> {
  return fsp.readFile(path.join(dir, snapshotFileName(offset)));
}
