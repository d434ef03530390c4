/**
 * Reading the Arrow body of ARROW log batches. The wire carries only a RecordBatch
 * message; the schema comes from the table's row type, so a cached Schema message is
 * put in front and arrow-js reads the pair as an IPC stream.
 */
import { Message, RecordBatchReader, type RecordBatch, type Schema } from "apache-arrow";
import { FlussError, ErrorCode } from "../../rpc/errors.js";
import { registerArrowCodecs } from "./compression.js";
import { IPC_CONTINUATION, parseRecordBatchMessage } from "./ipc-message.js";

const schemaMessages = new WeakMap<Schema, Uint8Array>();

/** The framed IPC Schema message of `schema` (cached per schema object). */
export function schemaMessageBytes(schema: Schema): Uint8Array {
  let bytes = schemaMessages.get(schema);
  if (!bytes) {
    const fb = Message.encode(Message.from(schema));
    const metaLen = ((8 + fb.length + 7) & ~7) - 8;
    bytes = new Uint8Array(8 + metaLen);
    const view = new DataView(bytes.buffer);
    view.setUint32(0, IPC_CONTINUATION, true);
    view.setInt32(4, metaLen, true);
    bytes.set(fb, 8);
    schemaMessages.set(schema, bytes);
  }
  return bytes;
}

/**
 * Decodes one encapsulated RecordBatch message (as found in a Fluss ARROW log batch,
 * possibly compressed, at any alignment) with the given Arrow schema. The result owns
 * its memory (it does not alias `messageBytes`).
 */
export function decodeArrowRecordBatch(messageBytes: Uint8Array, schema: Schema): RecordBatch {
  registerArrowCodecs();
  const meta = parseRecordBatchMessage(messageBytes, 0);
  const head = schemaMessageBytes(schema);
  // One copy: puts the message behind the schema (8-aligned, since the schema message
  // length is a multiple of 8), which also fixes any misalignment inside the log batch.
  const stream = new Uint8Array(head.length + meta.messageLength);
  stream.set(head, 0);
  stream.set(messageBytes.subarray(0, meta.messageLength), head.length);
  let batch: RecordBatch | undefined;
  try {
    const reader = RecordBatchReader.from(stream);
    const next = reader.next();
    batch = next.done ? undefined : (next.value as RecordBatch);
  } catch (e) {
    throw new FlussError(ErrorCode.CORRUPT_RECORD_EXCEPTION, `cannot decode Arrow record batch: ${(e as Error).message}`, {
      cause: e,
    });
  }
  if (!batch) throw new FlussError(ErrorCode.CORRUPT_RECORD_EXCEPTION, "Arrow message holds no record batch");
  return batch;
}
