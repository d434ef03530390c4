/**
 * The unit the writer sends: one log record batch for one (table, partition, bucket).
 * Rows are added until the batch is full or drained; the bytes are built when the sender
 * first drains it, and the writer id / batch sequence (idempotence) are stamped into the
 * header at send time (re-stamped, with a fresh CRC, if they change before a retry).
 *
 * A built batch is a {@link LogBatchParts}: its own header followed by body parts, which
 * for pre-built Arrow batches are views of the caller's Arrow buffers (held, unchanged,
 * until the batch completes), so big batches reach the socket without being copied.
 */
import { FlussError } from "../../rpc/errors.js";
import { NO_BATCH_SEQUENCE, NO_WRITER_ID } from "../../record/log-batch.js";
import { BatchResult, type WriteResult } from "./write-handle.js";
import type { WriteRecord } from "./write-record.js";

/**
 * A built batch as the sender writes it: one or more parts whose concatenation is the
 * batch (a log batch, `LogBatchParts`, or a KV batch), and the re-stamping of writer id
 * and batch sequence for a retry.
 */
export interface BatchBytes {
  /** Total bytes (sum of the part lengths). */
  readonly sizeInBytes: number;
  /** The parts in order, CRC up to date. */
  readonly parts: readonly Uint8Array[];
  /** Puts another writer id / sequence into the header (fresh CRC); false if unchanged. */
  stamp(writerId: number, batchSequence: number): boolean;
  /** The batch as one array. */
  toBytes(): Uint8Array;
}

/** Where a batch goes, and the per-bucket send state the accumulator and sender keep. */
export interface BatchTarget {
  readonly tableId: number;
  /** Undefined for non-partitioned tables. */
  readonly partitionId: number | undefined;
  readonly bucketId: number;
  /** `db.table` (plus `/partition`) for error messages. */
  readonly displayName: string;
}

/** Someone whose rows are in a batch: told about a final failure (reported by its `flush()`). */
export interface BatchOwner {
  /** `result` is the failed result (whether the user saw the failure is tracked on it). */
  recordFailure(error: FlussError, result: WriteResult): void;
}

let nextBatchId = 0;

/** A log record batch under construction or in flight. */
export abstract class WriteBatch {
  /** Creation order; within a bucket, sequences are assigned in this order. */
  readonly id = nextBatchId++;
  /** Completed once with the server's answer; shared by all rows of the batch. */
  readonly result = new BatchResult();
  /** No more rows may be added (drained, or declared full). */
  closed = false;
  /** Writer id the batch was last stamped for (idempotence; -1 when off). */
  writerId = NO_WRITER_ID;
  /** Batch sequence within its bucket (idempotence; -1 when off or not assigned yet). */
  batchSequence = NO_BATCH_SEQUENCE;
  /** The sequence the batch carried when last sent (-1 before the first send). */
  sentSequence = NO_BATCH_SEQUENCE;
  /** Sends so far. */
  attempts = 0;
  /** Do not resend before this time (retry backoff). */
  retryAtMs = 0;
  /** Bytes of the writer's buffer memory this batch holds. */
  reservedBytes = 0;
  /**
   * Takes `bytes` more of the writer's buffer memory for this batch (set by the
   * accumulator for row batches); false when there is none to spare now.
   */
  reserveMore: ((bytes: number) => boolean) | undefined;
  /**
   * The last failure of an attempt whose outcome is unknown (the request was sent but got
   * no answer: timeout, connection lost); undefined while every attempt had an answer.
   */
  uncertain: FlussError | undefined;
  /** Someone waits on a row of this batch: send it without waiting out the linger. */
  urgent = false;
  private owners: BatchOwner[] | undefined;
  private lastOwner: BatchOwner | undefined;
  private built: BatchBytes | undefined;

  constructor(
    readonly target: BatchTarget,
    readonly createdMs: number,
  ) {}

  /** Rows in the batch. */
  abstract get recordCount(): number;

  /** Estimated serialized size in bytes. */
  abstract estimatedSizeInBytes(): number;

  /** Builds the whole log batch (header with the given writer id and sequence, CRC). */
  protected abstract buildParts(writerId: number, batchSequence: number): BatchBytes;

  /** Releases builders (called once the batch is built or abandoned). */
  protected release(): void {}

  /** Called once the batch is acknowledged: its built bytes may be reused. */
  protected acknowledged(): void {}

  /** Notes that `owner` has rows in this batch. Cheap when the same owner appends repeatedly. */
  addOwner(owner: BatchOwner): void {
    if (owner === this.lastOwner) return;
    this.lastOwner = owner;
    const list = (this.owners ??= []);
    if (!list.includes(owner)) list.push(owner);
  }

  /** Whether `owner` has rows in this batch. */
  hasOwner(owner: BatchOwner): boolean {
    return this.owners?.includes(owner) ?? false;
  }

  /** Whether the bytes were built already (the batch is closed for appends). */
  get isBuilt(): boolean {
    return this.built !== undefined;
  }

  /**
   * The batch with the current {@link writerId} and {@link batchSequence} in the header.
   * Builds (and closes) the batch on first call; later calls re-stamp only the header.
   */
  serializeParts(): BatchBytes {
    let b = this.built;
    if (!b) {
      this.closed = true;
      b = this.built = this.buildParts(this.writerId, this.batchSequence);
      this.release();
      return b;
    }
    b.stamp(this.writerId, this.batchSequence);
    return b;
  }

  /** As {@link serializeParts}, as one array (a copy when the batch has several parts). */
  serialize(): Uint8Array {
    return this.serializeParts().toBytes();
  }

  /** Size of the built bytes (or the estimate before building). */
  get sizeInBytes(): number {
    return this.built ? this.built.sizeInBytes : this.estimatedSizeInBytes();
  }

  /** Completes every row as acknowledged. */
  succeed(baseOffset: number): void {
    this.closed = true;
    this.release();
    this.acknowledged();
    this.result.succeed(baseOffset);
  }

  /** Fails every row and tells the owners (their `flush()` reports it). */
  fail(error: FlussError): void {
    this.closed = true;
    this.release();
    if (this.result.done) return;
    this.result.fail(error);
    if (this.owners) for (const o of this.owners) o.recordFailure(error, this.result);
  }

  /** Describes where the batch goes, for error messages. */
  describe(): string {
    return `table ${this.target.displayName} bucket ${this.target.bucketId}`;
  }
}

/** A batch rows are appended to one at a time. */
export abstract class RowWriteBatch extends WriteBatch {
  /**
   * Appends one record (a log batch takes a row of canonical values, a KV batch a
   * {@link KvWriteRecord}) unless the batch is closed, already full, or (KV) written with
   * other target columns; the first record is always accepted. Returns false when the
   * record did not go in.
   */
  abstract tryAppend(record: WriteRecord): boolean;
}

/**
 * The error a batch whose outcome is unknown fails with: `outcomeUnknown` set, the code of
 * the unanswered attempt (REQUEST_TIME_OUT, NETWORK_EXCEPTION), and a message saying the
 * rows may or may not have been stored, then why the writer stopped trying.
 */
export function unknownOutcomeError(batch: WriteBatch, uncertain: FlussError, why: string): FlussError {
  return new FlussError(
    uncertain.code,
    `failed to write to ${batch.describe()}: the write may or may not have been stored (outcome unknown, ` +
      `${batch.recordCount} rows): ${uncertain.message}; ${why}`,
    { cause: uncertain, outcomeUnknown: true },
  );
}

/** The error a batch fails with: names the table, bucket and the server's message. */
export function batchError(batch: WriteBatch, code: number, message: string | undefined, cause?: unknown): FlussError {
  const why = message && message.length > 0 ? message : undefined;
  const base = new FlussError(code, why);
  return new FlussError(
    code,
    `failed to write to ${batch.describe()}: ${base.message}`,
    cause === undefined ? undefined : { cause },
  );
}
