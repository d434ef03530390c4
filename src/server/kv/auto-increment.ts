/**
 * Auto-increment columns of primary-key tables (Java `kv/autoinc/*`): an insert gets the
 * next value of the table's sequence in that column. Each bucket takes ranges of
 * `table.auto-increment.cache-size` values from a table-wide counter (Java keeps it in
 * ZooKeeper; here a file next to the table's logs, rewritten atomically before a range is
 * used), so values are unique across buckets and restarts, though not contiguous.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { ErrorCode, FlussError } from "../../rpc/errors.js";
import { writeFileAtomicSync } from "../storage/atomic-file.js";

/** A table-wide, file-backed counter (Java `ZkSequenceIDCounter`). */
export class SequenceCounter {
  private value: number | undefined;

  constructor(private readonly file: string) {}

  /** Returns the current value and durably adds `delta` to it. */
  getAndAdd(delta: number): number {
    if (this.value === undefined) {
      try {
        this.value = Number(fs.readFileSync(this.file, "utf8").trim());
        if (!Number.isSafeInteger(this.value)) throw new Error(`bad counter in ${this.file}`);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== "ENOENT") throw e;
        this.value = 0;
      }
    }
    const start = this.value;
    fs.mkdirSync(path.dirname(this.file), { recursive: true });
    writeFileAtomicSync(this.file, String(start + delta));
    this.value = start + delta;
    return start;
  }
}

/** One bucket's source of auto-increment values (Java `BoundedSegmentSequenceGenerator`). */
export class SequenceGenerator {
  private next = 1;
  private end = 0;

  constructor(
    private readonly counter: SequenceCounter,
    private readonly cacheSize: number,
    /** INT: 2^31-1; BIGINT: capped at 2^53-1 (JS numbers). */
    private readonly maxAllowed: number,
    private readonly columnName: string,
  ) {}

  nextVal(): number {
    if (this.next > this.end) {
      const start = this.counter.getAndAdd(this.cacheSize);
      this.next = start + 1;
      this.end = start + this.cacheSize;
    }
    const id = this.next++;
    if (id > this.maxAllowed) {
      // Java SequenceOverflowException has no error code of its own
      throw new FlussError(
        ErrorCode.UNKNOWN_SERVER_ERROR,
        `Reached maximum value of sequence "<${this.columnName}>" (${this.maxAllowed}).`,
      );
    }
    return id;
  }
}
