/**
 * ARROW log-format batches: rows appended column-wise into a pooled {@link ArrowBatchBuilder},
 * and pre-built Arrow messages from `writeArrowBatch`. Both are sent as a header of their
 * own followed by the message parts, so the message is never copied behind a header.
 */
import type { RowType } from "../../metadata/data-types.js";
import { ArrowBatchBuilder } from "../../record/arrow/arrow-writer.js";
import type { ArrowCompression } from "../../record/arrow/compression.js";
import type { IpcMessageParts } from "../../record/arrow/ipc-message.js";
import { LOG_MAGIC_VALUE_V0, V0_RECORD_BATCH_HEADER_SIZE } from "../../record/log-batch.js";
import { LogBatchParts } from "../../record/log-batch-parts.js";
import { type BatchTarget, RowWriteBatch, WriteBatch } from "./write-batch.js";

/**
 * Tracks compressed/uncompressed body size (formats.md §3.4, Java
 * `ArrowCompressionRatioEstimator`): degrades fast, improves slowly.
 */
export class CompressionRatioEstimator {
  ratio = 1.0;

  update(observed: number): void {
    if (!Number.isFinite(observed) || observed <= 0) return;
    if (observed > this.ratio) this.ratio = Math.max(this.ratio + 0.05, observed);
    else if (observed < this.ratio) this.ratio = Math.max(this.ratio - 0.005, observed);
  }
}

/** A batch's uncompressed rows may reach this many times `writer.batch.size`, however well they compress. */
const MAX_UNCOMPRESSED_BATCH_FACTOR = 4;

/** Shared per table and schema: builder pool, ratio estimator, size limits. */
export class ArrowBatchContext {
  private readonly pool: ArrowBatchBuilder[] = [];
  readonly estimator = new CompressionRatioEstimator();
  /** Java's `writeLimit = batchSize * 0.95` (on the estimated compressed size). */
  readonly writeLimit: number;
  /** Cap of a batch's uncompressed size: {@link MAX_UNCOMPRESSED_BATCH_FACTOR} × batch size. */
  readonly uncompressedLimit: number;
  /** Steps in which a batch takes more buffer memory as its uncompressed rows grow. */
  readonly growStep: number;

  constructor(
    readonly rowType: RowType,
    readonly compression: ArrowCompression,
    readonly schemaId: number,
    readonly batchSize: number,
  ) {
    this.writeLimit = Math.max(1, Math.floor(batchSize * 0.95));
    this.uncompressedLimit = Math.max(this.writeLimit, batchSize * MAX_UNCOMPRESSED_BATCH_FACTOR);
    this.growStep = Math.max(16 * 1024, batchSize >> 2);
  }

  acquire(): ArrowBatchBuilder {
    return this.pool.pop() ?? new ArrowBatchBuilder(this.rowType, this.compression);
  }

  /** `size`: the uncompressed bytes the builder held; larger builders are not kept idle. */
  recycle(builder: ArrowBatchBuilder, size: number): void {
    builder.reset();
    // A few idle builders are enough: one per bucket being filled at a time. One that grew
    // beyond a batch's worth is let go, so idle capacity stays small.
    if (this.pool.length < 8 && size <= this.batchSize) this.pool.push(builder);
  }
}

/** Reads the body length of an encapsulated Arrow message (`FFFFFFFF`, int32 metadata length). */
function messageBodyLength(message: Uint8Array): number {
  if (message.length < 8) return 0;
  const metaLen = new DataView(message.buffer, message.byteOffset, 8).getInt32(4, true);
  return message.length - 8 - metaLen;
}

/** Rows of an ARROW table, appended one by one. */
export class ArrowWriteBatch extends RowWriteBatch {
  private builder: ArrowBatchBuilder | undefined;
  private rows = 0;
  /** Re-estimate the size only once this many rows are in (Java `ArrowWriter.isFull`). */
  private nextCheck = 1;

  constructor(
    target: BatchTarget,
    createdMs: number,
    private readonly ctx: ArrowBatchContext,
  ) {
    super(target, createdMs);
    this.builder = ctx.acquire();
  }

  get recordCount(): number {
    return this.rows;
  }

  estimatedSizeInBytes(): number {
    const b = this.builder;
    if (!b) return V0_RECORD_BATCH_HEADER_SIZE;
    return V0_RECORD_BATCH_HEADER_SIZE + Math.ceil(b.estimatedSizeInBytes() * this.ctx.estimator.ratio);
  }

  /** Uncompressed bytes the batch holds: what it counts against the buffer memory. */
  uncompressedSizeInBytes(): number {
    const b = this.builder;
    return b ? V0_RECORD_BATCH_HEADER_SIZE + b.estimatedSizeInBytes() : V0_RECORD_BATCH_HEADER_SIZE;
  }

  /**
   * Full when the estimated compressed size reaches the write limit (Java
   * `ArrowWriter.isFull`), when the uncompressed rows reach their cap, or when they
   * outgrow the batch's memory and no more can be had; checked every so many rows.
   */
  tryAppend(values: readonly unknown[]): boolean {
    const b = this.builder;
    if (this.closed || !b) return false;
    const rows = this.rows;
    if (rows >= this.nextCheck) {
      const ctx = this.ctx;
      const raw = b.estimatedSizeInBytes();
      const size = V0_RECORD_BATCH_HEADER_SIZE + Math.ceil(raw * ctx.estimator.ratio);
      const held = V0_RECORD_BATCH_HEADER_SIZE + raw;
      const perRowHeld = held / rows;
      if (size >= ctx.writeLimit || held + perRowHeld > ctx.uncompressedLimit) return this.full();
      if (held + perRowHeld > this.reservedBytes && this.reserveMore) {
        const want = Math.min(Math.max(ctx.growStep, Math.ceil(perRowHeld)), ctx.uncompressedLimit - this.reservedBytes);
        if (want <= 0 || !this.reserveMore(want)) return this.full();
      }
      // rows that fit every limit at the average row size so far
      const byLimit = (ctx.writeLimit - size) / (size / rows);
      const byCap = (ctx.uncompressedLimit - held) / perRowHeld;
      const byMemory = this.reserveMore ? (this.reservedBytes - held) / perRowHeld : Infinity;
      this.nextCheck = rows + Math.max(1, Math.floor(Math.min(byLimit, byCap, byMemory)));
    }
    b.append(values);
    this.rows = rows + 1;
    return true;
  }

  private full(): false {
    this.closed = true;
    return false;
  }

  protected buildParts(writerId: number, batchSequence: number): LogBatchParts {
    const b = this.builder!;
    // a fresh array (the builder's buffers are reused), so the batch may reference it
    const body = b.build();
    if (this.ctx.compression.type !== "NONE" && b.lastUncompressedBodyLength > 0) {
      this.ctx.estimator.update(messageBodyLength(body) / b.lastUncompressedBodyLength);
    }
    return LogBatchParts.assemble(
      {
        magic: LOG_MAGIC_VALUE_V0,
        schemaId: this.ctx.schemaId,
        appendOnly: true,
        writerId,
        batchSequence,
        recordCount: this.rows,
      },
      this.rows > 0 ? [body] : [],
    );
  }

  protected override release(): void {
    if (this.builder) {
      this.ctx.recycle(this.builder, this.uncompressedSizeInBytes());
      this.builder = undefined;
    }
  }
}

/**
 * A batch made from an Arrow message the caller built (`writeArrow` / `writeArrowBatch`).
 * The message parts reference the caller's Arrow buffers until the batch completes.
 */
export class PrebuiltArrowWriteBatch extends WriteBatch {
  constructor(
    target: BatchTarget,
    createdMs: number,
    private readonly message: IpcMessageParts,
    private readonly rows: number,
    private readonly schemaId: number,
  ) {
    super(target, createdMs);
    this.closed = true;
  }

  get recordCount(): number {
    return this.rows;
  }

  estimatedSizeInBytes(): number {
    return V0_RECORD_BATCH_HEADER_SIZE + this.message.byteLength;
  }

  protected buildParts(writerId: number, batchSequence: number): LogBatchParts {
    return LogBatchParts.assemble(
      { magic: LOG_MAGIC_VALUE_V0, schemaId: this.schemaId, appendOnly: true, writerId, batchSequence, recordCount: this.rows },
      this.rows > 0 ? this.message.parts : [],
    );
  }
}
