/**
 * Crash-safe whole-file replacement: write a temp file, fsync it, rename it over the
 * target and fsync the directory, so a crash leaves either the old or the new content.
 */
import * as fs from "node:fs";
import * as fsp from "node:fs/promises";
import * as path from "node:path";

/** Suffix of the temp file written next to the target before the rename. */
export const TEMP_SUFFIX = ".tmp";

/** Replaces `file` with `data` durably (sync: callers rely on "durable when it returns"). */
export function writeFileAtomicSync(file: string, data: Uint8Array | string): void {
  const tmp = file + TEMP_SUFFIX;
  const fd = fs.openSync(tmp, "w", 0o644);
  try {
    const bytes = typeof data === "string" ? Buffer.from(data, "utf8") : data;
    let off = 0;
    while (off < bytes.length) off += fs.writeSync(fd, bytes, off, bytes.length - off);
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  fs.renameSync(tmp, file);
  fsyncDirSync(path.dirname(file));
}

/** Directory fsync errors that only mean "not supported here". */
function fsyncUnsupported(e: unknown): boolean {
  const code = (e as NodeJS.ErrnoException).code;
  return code === "EINVAL" || code === "EISDIR" || code === "EPERM";
}

/** {@link fsyncDirSync} on the thread pool, for paths that must not block the event loop. */
export async function fsyncDir(dir: string): Promise<void> {
  let handle: fsp.FileHandle;
  try {
    handle = await fsp.open(dir, "r");
  } catch {
    return;
  }
  try {
    await handle.sync();
  } catch (e) {
    if (!fsyncUnsupported(e)) throw e;
  } finally {
    await handle.close();
  }
}

/** Makes entries created/renamed/removed in `dir` durable. */
export function fsyncDirSync(dir: string): void {
  let fd: number;
  try {
    fd = fs.openSync(dir, "r");
  } catch {
    return; // platforms that cannot open directories (Windows) have no directory fsync
  }
  try {
    fs.fsyncSync(fd);
  } catch (e) {
    if (!fsyncUnsupported(e)) throw e;
  } finally {
    fs.closeSync(fd);
  }
}

/** {@link writeFileAtomicSync} on the thread pool, for large files (KV snapshots). */
export async function writeFileAtomic(file: string, data: Uint8Array): Promise<void> {
  const tmp = file + TEMP_SUFFIX;
  const handle = await fsp.open(tmp, "w", 0o644);
  try {
    await handle.writeFile(data);
    await handle.sync();
  } finally {
    await handle.close();
  }
  await fsp.rename(tmp, file);
  await fsyncDir(path.dirname(file));
}
