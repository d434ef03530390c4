/**
 * Idempotent-writer bookkeeping of one bucket (Java `WriterStateManager`,
 * `WriterStateEntry`, `WriterAppendInfo`): per writer id, the last few batches
 * (sequence → offsets) so retries are recognised, and the sequence the next batch must have.
 */
import { ErrorCode, FlussError } from "../../rpc/errors.js";
import { NO_BATCH_SEQUENCE } from "../../record/log-batch.js";

/** Batches remembered per writer (Java `WriterStateEntry.NUM_BATCHES_TO_RETAIN`). */
const NUM_BATCHES_TO_RETAIN = 5;
/** Default `server.writer-id.expiration-time`: 7 days. */
export const DEFAULT_WRITER_EXPIRATION_MS = 7 * 24 * 3600 * 1000;

const INT32_MAX = 2147483647;

/** One remembered batch of a writer. */
export interface WriterBatch {
  readonly batchSequence: number;
  readonly firstOffset: number;
  readonly lastOffset: number;
  readonly commitTimestamp: number;
}

interface WriterEntry {
  lastTimestamp: number;
  batches: WriterBatch[];
}

/** A batch about to be appended, with the offsets it will get. */
export interface IncomingWriterBatch {
  readonly writerId: number;
  readonly batchSequence: number;
  readonly firstOffset: number;
  readonly lastOffset: number;
}

function inSequence(lastSeq: number, nextSeq: number): boolean {
  // as Java's WriterAppendInfo#inSequence for a leader append: a new writer starts at 0
  // (lastSeq is NO_BATCH_SEQUENCE = -1), and the sequence wraps after Integer.MAX_VALUE
  return nextSeq === lastSeq + 1 || (nextSeq === 0 && lastSeq === INT32_MAX);
}

/** Writer states of one bucket. */
export class WriterStateTable {
  private readonly writers = new Map<number, WriterEntry>();

  constructor(
    private readonly expirationMs: number,
    private readonly bucketName: string,
  ) {}

  /** Number of writers tracked. */
  get size(): number {
    return this.writers.size;
  }

  /** The remembered batches of a writer (oldest first), for inspection. */
  batchesOf(writerId: number): readonly WriterBatch[] {
    return this.writers.get(writerId)?.batches ?? [];
  }

  /** Forgets writers idle for longer than the expiration time. */
  removeExpired(nowMs: number): void {
    for (const [id, e] of this.writers) if (nowMs - e.lastTimestamp > this.expirationMs) this.writers.delete(id);
  }

  /**
   * Checks an append: returns the remembered batch if one of `batches` is a re-send of a
   * batch already in the log (the whole append is then a duplicate, as in Java), else
   * verifies every sequence follows its writer's last one and returns undefined.
   * Throws OUT_OF_ORDER_SEQUENCE_EXCEPTION (31) otherwise. Changes nothing except forgetting
   * expired writers.
   */
  check(batches: readonly IncomingWriterBatch[], nowMs: number): WriterBatch | undefined {
    const pendingLast = new Map<number, number>();
    for (const b of batches) {
      const entry = this.liveEntry(b.writerId, nowMs);
      const dup = entry?.batches.find((x) => x.batchSequence === b.batchSequence);
      if (dup) return dup;
      const lastSeq =
        pendingLast.get(b.writerId) ??
        (entry && entry.batches.length > 0 ? entry.batches.at(-1)!.batchSequence : NO_BATCH_SEQUENCE);
      if (!inSequence(lastSeq, b.batchSequence)) {
        throw new FlussError(
          ErrorCode.OUT_OF_ORDER_SEQUENCE_EXCEPTION,
          `Out of order batch sequence for writer ${b.writerId} at offset ${b.lastOffset} in ` +
            `table-bucket ${this.bucketName} : ${b.batchSequence} (incoming batch seq.), ${lastSeq} (current batch seq.)`,
        );
      }
      pendingLast.set(b.writerId, b.batchSequence);
    }
    return undefined;
  }

  /**
   * The remembered batches that end before `offset`, per writer: the state a replay of the
   * log up to `offset` would rebuild (kept when the segments before `offset` leave the local
   * log, so a restart still knows writers whose batches are all in remote storage).
   */
  snapshotBefore(offset: number): [number, WriterBatch[]][] {
    const out: [number, WriterBatch[]][] = [];
    for (const [id, e] of this.writers) {
      const batches = e.batches.filter((b) => b.lastOffset < offset);
      if (batches.length > 0) out.push([id, batches]);
    }
    return out;
  }

  /** Records an appended (or, during recovery, a stored) batch of a writer. */
  record(writerId: number, batch: WriterBatch): void {
    let entry = this.writers.get(writerId);
    if (!entry) {
      entry = { lastTimestamp: batch.commitTimestamp, batches: [] };
      this.writers.set(writerId, entry);
    }
    if (entry.batches.length === NUM_BATCHES_TO_RETAIN) entry.batches.shift();
    entry.batches.push(batch);
    entry.lastTimestamp = batch.commitTimestamp;
  }

  private liveEntry(writerId: number, nowMs: number): WriterEntry | undefined {
    const e = this.writers.get(writerId);
    if (e && nowMs - e.lastTimestamp > this.expirationMs) {
      this.writers.delete(writerId);
      return undefined;
    }
    return e;
  }
}
