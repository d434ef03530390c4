/**
 * Reading the Arrow body of ARROW log batches. The wire carries only a RecordBatch
 * message; the schema comes from the table's row type, and the columns are built
 * straight over the message's buffers (`record-batch-loader.ts`).
 */
import type { RecordBatch, Schema } from "apache-arrow";
import { FlussError, ErrorCode } from "../../rpc/errors.js";
import { parseRecordBatchMessage } from "./ipc-message.js";
import { loadRecordBatch } from "./record-batch-loader.js";

/**
 * Decodes one encapsulated RecordBatch message (as found in a Fluss ARROW log batch,
 * possibly compressed, at any alignment) with the given Arrow schema. Column buffers
 * alias `messageBytes` where they can (uncompressed and aligned for their typed array),
 * so the bytes must not be modified afterwards.
 */
export function decodeArrowRecordBatch(messageBytes: Uint8Array, schema: Schema): RecordBatch {
  const meta = parseRecordBatchMessage(messageBytes, 0);
  try {
    return loadRecordBatch(messageBytes, meta, schema).batch;
  } catch (e) {
    if (e instanceof FlussError) throw e;
    throw new FlussError(ErrorCode.CORRUPT_RECORD_EXCEPTION, `cannot decode Arrow record batch: ${(e as Error).message}`, {
      cause: e,
    });
  }
}
