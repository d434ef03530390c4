/**
 * Storage failures as Fluss errors: the OS cause (errno code and what it means) in the
 * message, Fluss's storage codes (LOG_STORAGE_EXCEPTION 10, KV_STORAGE_EXCEPTION 11,
 * STORAGE_EXCEPTION 26). Java's `StorageException` and its subclasses extend
 * `RetriableException` (fluss-common …/exception/StorageException.java:30), so clients retry
 * them within their delivery timeout and then report this message; they are never turned
 * into sequence errors (a failed append changes no writer state, see LogTablet.doAppend).
 */
import * as fs from "node:fs";
import { ErrorCode, FlussError } from "../../rpc/errors.js";

/** What the errno codes a disk can answer mean, in words. */
const OS_CAUSES: Readonly<Record<string, string>> = {
  ENOSPC: "no space left on device",
  EDQUOT: "disk quota exceeded",
  EIO: "I/O error (failing disk?)",
  EROFS: "read-only file system",
  EACCES: "permission denied",
  EPERM: "operation not permitted",
  EMFILE: "too many open files in this process",
  ENFILE: "too many open files in the system",
  EFBIG: "file too large",
  ENOENT: "no such file or directory",
  ENOTDIR: "not a directory",
};

/** "ENOSPC: no space left on device" for an errno error; the plain message otherwise. */
export function describeOsCause(cause: unknown): string {
  const code = (cause as NodeJS.ErrnoException | undefined)?.code;
  const msg = cause instanceof Error ? cause.message : String(cause);
  if (typeof code === "string" && OS_CAUSES[code] !== undefined) {
    return msg.startsWith(code) ? `${msg} (${OS_CAUSES[code]})` : `${code}: ${OS_CAUSES[code]} (${msg})`;
  }
  return msg;
}

/** A storage error `code` for an I/O failure of `what` on `file`; FlussErrors pass through. */
export function storageError(
  what: string,
  file: string,
  cause: unknown,
  code: number = ErrorCode.LOG_STORAGE_EXCEPTION,
): FlussError {
  if (cause instanceof FlussError) return cause;
  return new FlussError(code, `${what} ${file} failed: ${describeOsCause(cause)}`, { cause });
}

/**
 * The text of `file`, or undefined when it does not exist (a state file not written yet);
 * any other failure is a STORAGE_EXCEPTION naming `what` and the file.
 */
export function readTextIfExists(file: string, what: string): string | undefined {
  try {
    return fs.readFileSync(file, "utf8");
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw new FlussError(ErrorCode.STORAGE_EXCEPTION, `Cannot read ${what} ${file}: ${describeOsCause(e)}`, { cause: e });
  }
}
