/**
 * The exclusive lock of a data directory: `<dataDir>/.lock` holds the owner's pid, host and
 * (on Linux) process start time. Node has no flock, so liveness is checked instead: a lock
 * whose pid is dead, or reused by a process started at another time, is stale and taken over.
 * A second server on a directory a live server uses fails at once, naming both.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { ErrorCode, FlussError } from "../../rpc/errors.js";

/** Name of the lock file inside the data directory. */
const LOCK_FILE_NAME = ".lock";

interface LockContent {
  readonly pid: number;
  readonly host: string;
  /** Field 22 of /proc/<pid>/stat (clock ticks since boot), or undefined off Linux. */
  readonly startTime: string | undefined;
  /** The directory locked: a lock file copied along with a directory does not lock the copy. */
  readonly dir: string | undefined;
}

/** Directories locked by this process (a second LocalCluster in one process is refused too). */
const heldHere = new Set<string>();

function processStartTime(pid: number): string | undefined {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
    // the command name (field 2) may hold spaces: fields are counted after its closing ')'
    const rest = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return rest[19];
  } catch {
    return undefined;
  }
}

function isAlive(owner: LockContent, dir: string): boolean {
  if (owner.dir !== undefined && owner.dir !== dir) return false; // copied from elsewhere
  if (owner.pid === process.pid && owner.host === os.hostname()) return heldHere.has(dir);
  if (owner.host !== os.hostname()) return true; // another machine (shared disk): cannot tell, assume live
  try {
    process.kill(owner.pid, 0);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ESRCH") return false;
  }
  // the pid may belong to a new process after a reboot or pid wrap-around
  const now = processStartTime(owner.pid);
  return owner.startTime === undefined || now === undefined || now === owner.startTime;
}

function readOwner(file: string): LockContent | undefined {
  try {
    const doc = JSON.parse(fs.readFileSync(file, "utf8")) as Partial<LockContent>;
    if (typeof doc.pid !== "number" || typeof doc.host !== "string") return undefined;
    return {
      pid: doc.pid,
      host: doc.host,
      startTime: typeof doc.startTime === "string" ? doc.startTime : undefined,
      dir: typeof doc.dir === "string" ? doc.dir : undefined,
    };
  } catch {
    return undefined;
  }
}

/** A held lock; {@link release} removes the lock file. */
export class DataDirLock {
  private released = false;

  private constructor(
    readonly dir: string,
    readonly file: string,
  ) {}

  /**
   * Takes the lock of `dataDir` (which must exist). Fails with STORAGE_EXCEPTION naming the
   * directory and the live holder; a stale lock of a dead process is taken over.
   */
  static acquire(dataDir: string): DataDirLock {
    const dir = path.resolve(dataDir);
    const file = path.join(dir, LOCK_FILE_NAME);
    if (heldHere.has(dir)) {
      throw new FlussError(
        ErrorCode.STORAGE_EXCEPTION,
        `Data directory ${dir} is already in use by another cluster in this process (pid ${process.pid})`,
      );
    }
    const me: LockContent = { pid: process.pid, host: os.hostname(), startTime: processStartTime(process.pid), dir };
    const tmp = `${file}.${process.pid}.tmp`;
    try {
      fs.writeFileSync(tmp, `${JSON.stringify(me)}\n`, { mode: 0o644 });
      for (let attempt = 0; ; attempt++) {
        try {
          fs.linkSync(tmp, file); // atomic: fails with EEXIST while another holder's file is there
          break;
        } catch (e) {
          if ((e as NodeJS.ErrnoException).code !== "EEXIST" || attempt >= 3) throw e;
        }
        const owner = readOwner(file);
        if (owner && isAlive(owner, dir)) {
          throw new FlussError(
            ErrorCode.STORAGE_EXCEPTION,
            `Data directory ${dir} is in use by another Fluss local cluster (pid ${owner.pid} on ${owner.host}, ` +
              `lock file ${file}); stop it first, or use another data directory`,
          );
        }
        // stale (dead pid) or unreadable (torn write by a killed holder): take it over
        fs.rmSync(file, { force: true });
      }
    } catch (e) {
      if (e instanceof FlussError) throw e;
      const err = e as NodeJS.ErrnoException;
      throw new FlussError(
        ErrorCode.STORAGE_EXCEPTION,
        `Cannot lock data directory ${dir} (${file}): ${err.code ?? ""} ${err.message}`.replace("  ", " "),
        { cause: e },
      );
    } finally {
      fs.rmSync(tmp, { force: true });
    }
    heldHere.add(dir);
    return new DataDirLock(dir, file);
  }

  /** Removes the lock file (if it is still ours). */
  release(): void {
    if (this.released) return;
    this.released = true;
    heldHere.delete(this.dir);
    const owner = readOwner(this.file);
    if (owner?.pid === process.pid && owner.host === os.hostname()) fs.rmSync(this.file, { force: true });
  }
}
