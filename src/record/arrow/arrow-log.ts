/**
 * ARROW log batches: a log batch header, then (for changelog batches) one change-type
 * byte per row, then one Arrow RecordBatch message (formats.md §3.1).
 */
import type { RecordBatch, Schema } from "apache-arrow";
import { FlussError, ErrorCode } from "../../rpc/errors.js";
import { changeTypeFromByte } from "../change-type.js";
import { LOG_MAGIC_VALUE_V0, type LogBatchView, assembleLogBatch } from "../log-batch.js";
import { decodeArrowRecordBatch } from "./arrow-reader.js";

/** Input of {@link buildArrowLogBatch}. */
export interface ArrowLogBatchOptions {
  /** The Arrow message (from `ArrowBatchBuilder.build()`); empty when recordCount is 0. */
  body: Uint8Array;
  recordCount: number;
  schemaId: number;
  writerId?: number;
  batchSequence?: number;
  appendOnly: boolean;
  /** One byte per row; required (and only written) when not append-only. */
  changeTypes?: Uint8Array;
  /** 0 (default), 1 or 2. */
  magic?: number;
  /** V1/V2 statistics block. */
  statistics?: Uint8Array;
  baseOffset?: number;
  commitTimestamp?: number;
}

/** Wraps an Arrow message into a log batch with its CRC. */
export function buildArrowLogBatch(options: ArrowLogBatchOptions): Uint8Array {
  const { recordCount, appendOnly } = options;
  const parts: Uint8Array[] = [];
  if (recordCount > 0) {
    if (!appendOnly) {
      const ct = options.changeTypes;
      if (!ct || ct.length !== recordCount) {
        throw FlussError.client(
          `a changelog batch of ${recordCount} rows needs ${recordCount} change types, got ${ct?.length ?? 0}`,
        );
      }
      parts.push(ct);
    }
    parts.push(options.body);
  }
  return assembleLogBatch(
    {
      magic: options.magic ?? LOG_MAGIC_VALUE_V0,
      baseOffset: options.baseOffset,
      commitTimestamp: options.commitTimestamp,
      schemaId: options.schemaId,
      appendOnly,
      writerId: options.writerId,
      batchSequence: options.batchSequence,
      recordCount,
    },
    parts,
    options.statistics,
  );
}

/** The parts of an ARROW log batch. */
export interface ArrowLogBatchContent {
  /** One change type byte per row; undefined for append-only batches (all `+A`). */
  changeTypes?: Uint8Array;
  /** The rows; null for a zero-record batch. */
  batch: RecordBatch | null;
}

/** Byte range of the change types and of the Arrow message inside `view.buf`. */
export function arrowLogBatchRanges(view: LogBatchView): { changeTypesStart: number; messageStart: number; end: number } {
  const start = view.recordsOffset;
  const changeTypesLen = view.isAppendOnly ? 0 : view.recordCount;
  const end = view.endOffset;
  if (start + changeTypesLen > end) {
    throw new FlussError(ErrorCode.CORRUPT_RECORD_EXCEPTION, "ARROW log batch is shorter than its change-type vector");
  }
  return { changeTypesStart: start, messageStart: start + changeTypesLen, end };
}

/** Decodes an ARROW log batch with the Arrow schema of its schema id. */
export function readArrowLogBatch(view: LogBatchView, schema: Schema): ArrowLogBatchContent {
  const count = view.recordCount;
  if (count === 0) return { batch: null };
  const { changeTypesStart, messageStart, end } = arrowLogBatchRanges(view);
  const batch = decodeArrowRecordBatch(view.buf.subarray(messageStart, end), schema);
  if (batch.numRows !== count) {
    throw new FlussError(
      ErrorCode.CORRUPT_RECORD_EXCEPTION,
      `ARROW log batch declares ${count} records but holds ${batch.numRows}`,
    );
  }
  if (view.isAppendOnly) return { batch };
  const changeTypes = view.buf.subarray(changeTypesStart, messageStart);
  for (let i = 0; i < changeTypes.length; i++) if (changeTypes[i]! > 4) changeTypeFromByte(changeTypes[i]!);
  return { changeTypes, batch };
}
