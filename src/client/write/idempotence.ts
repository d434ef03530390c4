/**
 * Idempotent writes (protocol.md §9): one writer id per writer client (InitWriter), and per
 * bucket a batch sequence starting at 0, +1 per batch, stamped into the batch header. The
 * server rejects gaps (OUT_OF_ORDER_SEQUENCE) and recognises re-sent recent batches
 * (DUPLICATE_SEQUENCE, or the original offsets), so a retried batch is never written twice.
 *
 * Ordering rules kept here (and the bugs of other clients they avoid, feature matrix §3d):
 * - a bucket has at most `writer.max.inflight.requests.per.bucket` batches in flight;
 * - a retried batch goes out only when every lower sequence is acknowledged or already in
 *   flight ahead of it (retries sit at the head of their bucket's queue, in sequence order,
 *   so they never wait behind never-sent batches);
 * - OUT_OF_ORDER_SEQUENCE for a sequence at or below the last acknowledged one means the
 *   batch was committed and only its response was lost: success, not an endless retry;
 * - responses for batches of an older writer id never reset the current writer state;
 * - a gap nothing can fill any more (a lower batch failed in an uncertain way, or the
 *   server lost the writer: UNKNOWN_WRITER_ID) re-initialises the writer id, and every
 *   bucket restarts at sequence 0 once its in-flight batches are back;
 * - a batch already sent under the old writer id is renumbered under the new one only when
 *   it is known not to be in the log (every attempt answered with an error); one whose
 *   attempt went unanswered fails with UNKNOWN_WRITER_ID and `outcomeUnknown` instead, since
 *   re-sending it under a new writer id could store it twice (Java Sender.java:590-605).
 *   The guarantee is thus exactly once per writer id.
 */
import { ErrorCode } from "../../rpc/errors.js";
import { NO_BATCH_SEQUENCE, NO_WRITER_ID } from "../../record/log-batch.js";
import type { WriteBatch } from "./write-batch.js";

const INT32_MAX = 2147483647;

/** Sequence bookkeeping of one bucket. */
export class BucketSequenceState {
  /** The writer id the sequences below belong to. */
  writerId = NO_WRITER_ID;
  nextSequence = 0;
  lastAckedSequence = NO_BATCH_SEQUENCE;
  /** Batches in flight, in the order they were sent (ascending sequence when idempotent). */
  readonly inFlight: WriteBatch[] = [];
}

/** What the sender may do with the head batch of a bucket. */
export const SendDecision = {
  /** Send it now (writer id and sequence are assigned). */
  SEND: 0,
  /** Not now: in-flight limit, waiting for a writer id, or for lower sequences. */
  WAIT: 1,
  /** A retry of a batch the server already has: complete it without sending. */
  ALREADY_COMMITTED: 2,
  /**
   * The batch was sent under an older writer id and the writer has been reset since: it must
   * not be renumbered and sent again when an earlier attempt may have been stored (Java
   * Sender.java:590-605 fails it with UNKNOWN_WRITER_ID); see {@link IdempotenceManager.restamp}.
   */
  STALE_WRITER: 3,
} as const;
export type SendDecision = (typeof SendDecision)[keyof typeof SendDecision];

/** How an error response for a batch is to be treated, from the idempotence point of view. */
export const ErrorVerdict = {
  /** No special meaning: the sender applies its usual retriable / fatal rules. */
  DEFAULT: 0,
  /** The batch is in the log already. */
  SUCCESS: 1,
  /** Send it again (in order). */
  RETRY: 2,
} as const;
export type ErrorVerdict = (typeof ErrorVerdict)[keyof typeof ErrorVerdict];

/** Per-writer-client idempotence state. */
export class IdempotenceManager {
  private currentWriterId = NO_WRITER_ID;
  private initializing: Promise<void> | undefined;

  constructor(
    readonly enabled: boolean,
    readonly maxInflightPerBucket: number,
    /** Obtains a fresh writer id from the cluster (InitWriter). */
    private readonly initWriter: () => Promise<number>,
  ) {}

  /** The current writer id (-1 while none). */
  get writerId(): number {
    return this.currentWriterId;
  }

  /** True when batches can be stamped (idempotence off, or a writer id is known). */
  get ready(): boolean {
    return !this.enabled || this.currentWriterId >= 0;
  }

  /** Obtains a writer id if there is none; concurrent calls share one request. */
  ensureWriterId(): Promise<void> {
    if (this.ready) return Promise.resolve();
    if (!this.initializing) {
      this.initializing = this.initWriter().then(
        (id) => {
          this.initializing = undefined;
          this.currentWriterId = id;
        },
        (err: unknown) => {
          this.initializing = undefined;
          throw err;
        },
      );
    }
    return this.initializing;
  }

  /** Forgets the writer id: a new one is requested and every bucket restarts at sequence 0. */
  resetWriterId(): void {
    this.currentWriterId = NO_WRITER_ID;
  }

  /**
   * Decides whether `batch` (the head of its bucket queue) can go now; on SEND, stamps the
   * writer id and (for batches not yet numbered under the current writer) the next sequence.
   */
  prepare(state: BucketSequenceState, batch: WriteBatch): SendDecision {
    if (state.inFlight.length >= this.maxInflightPerBucket) return SendDecision.WAIT;
    if (!this.enabled) {
      batch.writerId = NO_WRITER_ID;
      batch.batchSequence = NO_BATCH_SEQUENCE;
      return SendDecision.SEND;
    }
    const writerId = this.currentWriterId;
    if (writerId < 0) return SendDecision.WAIT;
    if (state.writerId !== writerId) {
      // new writer id: restart the bucket at 0 once the old writer's batches are back
      if (state.inFlight.length > 0) return SendDecision.WAIT;
      state.writerId = writerId;
      state.nextSequence = 0;
      state.lastAckedSequence = NO_BATCH_SEQUENCE;
    }
    if (batch.writerId >= 0 && batch.writerId !== writerId && batch.sentSequence >= 0) return SendDecision.STALE_WRITER;
    if (batch.writerId === writerId && batch.batchSequence >= 0) {
      // a retry under the current writer id
      if (batch.batchSequence <= state.lastAckedSequence) return SendDecision.ALREADY_COMMITTED;
      const expected =
        state.inFlight.length > 0 ? state.inFlight[state.inFlight.length - 1]!.batchSequence + 1 : state.lastAckedSequence + 1;
      if (batch.batchSequence === expected) return SendDecision.SEND;
      if (state.inFlight.length === 0) {
        // Nothing in flight and the head is not the next sequence: the gap can never be
        // filled (its batch ended in an uncertain way). Start over with a new writer id.
        this.resetWriterId();
      }
      return SendDecision.WAIT;
    }
    batch.writerId = writerId;
    batch.batchSequence = state.nextSequence;
    state.nextSequence = state.nextSequence === INT32_MAX ? 0 : state.nextSequence + 1;
    return SendDecision.SEND;
  }

  /**
   * A STALE_WRITER batch known not to be in the log (every attempt was answered with an
   * error): forget its old writer id and sequence, so that {@link prepare} numbers it under
   * the current writer like a new batch.
   */
  restamp(batch: WriteBatch): void {
    batch.writerId = NO_WRITER_ID;
    batch.batchSequence = NO_BATCH_SEQUENCE;
    batch.sentSequence = NO_BATCH_SEQUENCE;
  }

  /** The batch was handed to the network. */
  onSent(state: BucketSequenceState, batch: WriteBatch): void {
    batch.sentSequence = batch.batchSequence;
    state.inFlight.push(batch);
  }

  /** The batch's request finished (in any way). */
  onReturned(state: BucketSequenceState, batch: WriteBatch): void {
    const i = state.inFlight.indexOf(batch);
    if (i >= 0) state.inFlight.splice(i, 1);
  }

  /** The batch is in the log. */
  onSuccess(state: BucketSequenceState, batch: WriteBatch): void {
    if (!this.enabled) return;
    if (batch.writerId === state.writerId && batch.batchSequence > state.lastAckedSequence) {
      state.lastAckedSequence = batch.batchSequence;
    }
  }

  /** Idempotence-specific reading of an error code for `batch` (already returned). */
  verdict(state: BucketSequenceState, batch: WriteBatch, code: number): ErrorVerdict {
    if (!this.enabled || batch.writerId < 0) return ErrorVerdict.DEFAULT;
    switch (code) {
      case ErrorCode.DUPLICATE_SEQUENCE_EXCEPTION:
        return ErrorVerdict.SUCCESS;
      case ErrorCode.OUT_OF_ORDER_SEQUENCE_EXCEPTION: {
        if (batch.writerId === state.writerId && batch.batchSequence <= state.lastAckedSequence) {
          // a later batch was acknowledged, so this one is in the log: its response was lost
          return ErrorVerdict.SUCCESS;
        }
        if (batch.writerId === this.currentWriterId && batch.sentSequence === batch.batchSequence) {
          const lowerInFlight = state.inFlight.some(
            (b) => b.writerId === batch.writerId && b.batchSequence < batch.batchSequence,
          );
          if (!lowerInFlight && batch.batchSequence === state.lastAckedSequence + 1) {
            // we sent exactly the next sequence and the server disagrees: its state for this
            // writer is not ours any more, so start over with a new writer id
            this.resetWriterId();
          }
        }
        return ErrorVerdict.RETRY;
      }
      case ErrorCode.UNKNOWN_WRITER_ID_EXCEPTION:
        if (batch.writerId === this.currentWriterId) this.resetWriterId();
        return ErrorVerdict.RETRY;
      default:
        return ErrorVerdict.DEFAULT;
    }
  }

  /**
   * The batch failed for good. When the server definitely did not append it (a per-bucket
   * error), later batches of the bucket are renumbered to close the gap; when unsure
   * (retries exhausted on timeouts or lost connections), the writer id is reset.
   */
  onFinalFailure(state: BucketSequenceState, batch: WriteBatch, queued: readonly WriteBatch[], definite: boolean): void {
    if (!this.enabled || batch.writerId < 0 || batch.writerId !== this.currentWriterId || batch.sentSequence < 0) return;
    if (batch.writerId !== state.writerId || batch.batchSequence <= state.lastAckedSequence) return;
    if (!definite) {
      this.resetWriterId();
      return;
    }
    const seq = batch.batchSequence;
    const shift = (b: WriteBatch): void => {
      if (b !== batch && b.writerId === batch.writerId && b.batchSequence > seq) b.batchSequence--;
    };
    state.inFlight.forEach(shift);
    queued.forEach(shift);
    state.nextSequence = state.nextSequence === 0 ? INT32_MAX : state.nextSequence - 1;
  }
}
