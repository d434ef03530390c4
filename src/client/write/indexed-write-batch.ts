/**
 * Row-based log-format batches (INDEXED, and COMPACTED which frames the same way):
 * each row is encoded straight into the batch buffer as
 * `[int32 length][int8 change type][row bytes]` after a reserved V0 header, so the size
 * is exact and no row objects are kept.
 */
import type { DataType } from "../../metadata/data-types.js";
import { ChangeByte } from "../../record/change-type.js";
import { LOG_MAGIC_VALUE_V0, V0_RECORD_BATCH_HEADER_SIZE, writeLogBatchHeader } from "../../record/log-batch.js";
import { LogBatchParts } from "../../record/log-batch-parts.js";
import { CompactedRowEncoder } from "../../row/compacted-row.js";
import { IndexedRowEncoder } from "../../row/indexed-row.js";
import { ByteWriter } from "../../util/bytes.js";
import { type BatchTarget, RowWriteBatch } from "./write-batch.js";

interface RowEncoder {
  encodeInto(writer: ByteWriter, values: readonly unknown[]): unknown;
}

/** Shared per table and schema. */
export class RowLogBatchContext {
  readonly encoder: RowEncoder;

  constructor(
    types: readonly DataType[],
    readonly format: "INDEXED" | "COMPACTED",
    readonly schemaId: number,
    readonly batchSize: number,
  ) {
    this.encoder = format === "INDEXED" ? new IndexedRowEncoder(types) : new CompactedRowEncoder(types);
  }
}

/** Rows of an INDEXED or COMPACTED log table. */
export class IndexedWriteBatch extends RowWriteBatch {
  private writer: ByteWriter | undefined;
  private rows = 0;

  constructor(
    target: BatchTarget,
    createdMs: number,
    private readonly ctx: RowLogBatchContext,
  ) {
    super(target, createdMs);
    const w = new ByteWriter(Math.min(ctx.batchSize, 64 * 1024));
    w.zeros(V0_RECORD_BATCH_HEADER_SIZE);
    this.writer = w;
  }

  get recordCount(): number {
    return this.rows;
  }

  estimatedSizeInBytes(): number {
    return this.writer ? this.writer.pos : V0_RECORD_BATCH_HEADER_SIZE;
  }

  tryAppend(values: readonly unknown[]): boolean {
    const w = this.writer;
    if (this.closed || !w) return false;
    if (this.rows > 0 && w.pos >= this.ctx.batchSize) {
      this.closed = true;
      return false;
    }
    const start = w.pos;
    w.i32(0);
    w.u8(ChangeByte.APPEND_ONLY);
    try {
      this.ctx.encoder.encodeInto(w, values);
    } catch (err) {
      w.pos = start; // the row is dropped whole; the batch stays valid
      throw err;
    }
    w.view.setInt32(start, w.pos - start - 4, true);
    this.rows++;
    return true;
  }

  protected buildParts(writerId: number, batchSequence: number): LogBatchParts {
    const out = this.writer!.toBytes();
    writeLogBatchHeader(out, 0, out.length, {
      magic: LOG_MAGIC_VALUE_V0,
      schemaId: this.ctx.schemaId,
      appendOnly: true,
      writerId,
      batchSequence,
      recordCount: this.rows,
    });
    return LogBatchParts.ofBytes(out);
  }

  protected override release(): void {
    this.writer = undefined;
  }
}
