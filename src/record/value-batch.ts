/**
 * Value record batches, the rows of LimitScan (primary-key tables) and ScanKv responses
 * (Java `DefaultValueRecordBatch`, `DefaultValueRecord`; formats.md §4.3):
 *
 * `[int32 Length][int8 Magic][int32 RecordCount]` then records
 * `[int32 Length][int16 SchemaId][row]`, all little-endian, Length counting the bytes after
 * itself. A record's `SchemaId ‖ row` is exactly the stored value a lookup returns.
 */
import { ErrorCode, FlussError } from "../rpc/errors.js";

/** Header size; records start here (`DefaultValueRecordBatch.RECORD_BATCH_HEADER_SIZE`). */
const VALUE_BATCH_HEADER_SIZE = 9;
/** The only value-batch magic (`ValueRecordBatch.VALUE_BATCH_MAGIC_VALUE_V0`). */
const VALUE_BATCH_MAGIC = 0;

/**
 * Builds one value batch in a growable buffer. Values are the stored bytes
 * (`int16 schemaId ‖ row`), as a Uint8Array or as a latin1 string (one char per byte).
 */
export class ValueRecordBatchBuilder {
  private buf: Buffer;
  private pos = VALUE_BATCH_HEADER_SIZE;
  private count = 0;

  constructor(initialCapacity = 1024) {
    this.buf = Buffer.allocUnsafe(Math.max(initialCapacity, VALUE_BATCH_HEADER_SIZE));
  }

  /** Records appended so far. */
  get recordCount(): number {
    return this.count;
  }

  /** Size of the batch built so far, header included (Java `Builder.sizeInBytes`). */
  get sizeInBytes(): number {
    return this.pos;
  }

  /** Appends a stored value (`int16 schemaId ‖ row`). */
  append(value: Uint8Array): void {
    this.reserve(4 + value.length);
    this.buf.writeInt32LE(value.length, this.pos);
    this.buf.set(value, this.pos + 4);
    this.pos += 4 + value.length;
    this.count++;
  }

  /** Appends a stored value held as a latin1 string. */
  appendLatin1(value: string): void {
    this.reserve(4 + value.length);
    this.buf.writeInt32LE(value.length, this.pos);
    this.buf.write(value, this.pos + 4, "latin1");
    this.pos += 4 + value.length;
    this.count++;
  }

  /** Writes the header and returns the batch (a view of the builder's buffer). */
  build(): Uint8Array {
    this.buf.writeInt32LE(this.pos - 4, 0);
    this.buf.writeInt8(VALUE_BATCH_MAGIC, 4);
    this.buf.writeInt32LE(this.count, 5);
    return new Uint8Array(this.buf.buffer, this.buf.byteOffset, this.pos);
  }

  private reserve(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    const next = Buffer.allocUnsafe(Math.max(this.pos + n, this.buf.length * 2));
    this.buf.copy(next, 0, 0, this.pos);
    this.buf = next;
  }
}

function corrupt(message: string): FlussError {
  return new FlussError(ErrorCode.CORRUPT_MESSAGE, `invalid value record batch: ${message}`);
}

/**
 * Calls `fn(schemaId, bytes, rowStart, rowLength)` for each record of a value batch (no
 * copies: `bytes` is the batch). Checks the header, the record count and every length
 * against the bytes, so a damaged batch throws CORRUPT_MESSAGE instead of reading garbage.
 * An empty input is a batch without records.
 */
export function forEachValueRecord(
  bytes: Uint8Array,
  fn: (schemaId: number, bytes: Uint8Array, rowStart: number, rowLength: number) => void,
): number {
  if (bytes.length === 0) return 0;
  if (bytes.length < VALUE_BATCH_HEADER_SIZE)
    throw corrupt(`${bytes.length} bytes is shorter than the ${VALUE_BATCH_HEADER_SIZE}-byte header`);
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const length = dv.getInt32(0, true);
  if (length + 4 !== bytes.length) throw corrupt(`length field ${length} does not match the ${bytes.length} bytes received`);
  const magic = dv.getInt8(4);
  if (magic !== VALUE_BATCH_MAGIC) throw corrupt(`unsupported magic ${magic}`);
  const count = dv.getInt32(5, true);
  if (count < 0) throw corrupt(`negative record count ${count}`);
  let pos = VALUE_BATCH_HEADER_SIZE;
  for (let i = 0; i < count; i++) {
    if (pos + 6 > bytes.length) throw corrupt(`record ${i} of ${count} starts past the end`);
    const len = dv.getInt32(pos, true);
    if (len < 2 || pos + 4 + len > bytes.length) throw corrupt(`record ${i} has an invalid length ${len}`);
    const schemaId = dv.getInt16(pos + 4, true);
    fn(schemaId, bytes, pos + 6, len - 2);
    pos += 4 + len;
  }
  if (pos !== bytes.length) throw corrupt(`${bytes.length - pos} bytes left after ${count} records`);
  return count;
}
