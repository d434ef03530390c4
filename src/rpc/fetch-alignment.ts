/**
 * Where the Arrow data of a FetchLog response lands in the client's receive buffer (issue
 * 15). arrow-js views a column as a typed array, which needs its byte offset aligned to the
 * element size (8 for BIGINT/DOUBLE); the record-batch loader copies a column that is not.
 * The records sit wherever the protobuf around them puts them, so without care most columns
 * of a fetched batch were copied into fresh memory. The frame decoder receives a large frame
 * straight into a buffer it allocates, and can place the frame at any offset in it: this
 * finds, from the first bytes of the frame, the frame offset of the first bucket's first
 * batch body so the decoder can make it 8-aligned. Batches are multiples of 8 bytes
 * (header 48 or 56 bytes, Arrow messages padded to 8), so the batches after it are aligned
 * too; other buckets' records in the same response are not (their columns are copied as
 * before). Only reads what is there: any doubt answers -1 (no preference).
 */

/** Response frame header: type byte + request id. */
const RESPONSE_HEADER_LENGTH = 5;
/** Batch header bytes before the magic byte (base offset, length, then magic). */
const MAGIC_AT = 12;
const HEADER_SIZE_BY_MAGIC = [48, 52, 56];

/** Reads a varint at `pos` of `b`: [value, next position], or undefined past the end / too long. */
function varint(b: Uint8Array, pos: number): [number, number] | undefined {
  let v = 0;
  let mul = 1;
  for (let i = 0; i < 10; i++) {
    if (pos >= b.length) return undefined;
    const x = b[pos++]!;
    v += (x & 0x7f) * mul;
    if ((x & 0x80) === 0) return [v, pos];
    mul *= 128;
    if (mul > 2 ** 53) return undefined;
  }
  return undefined;
}

/**
 * Within the message in `b[pos, end)`, the position of the first length-delimited field
 * `field` (after its length) and its end, skipping other fields; undefined if not found
 * within the bytes at hand.
 */
function findField(b: Uint8Array, pos: number, end: number, field: number): [number, number] | undefined {
  while (pos < end) {
    const tag = varint(b, pos);
    if (!tag) return undefined;
    pos = tag[1];
    const wire = tag[0] & 7;
    const number = Math.floor(tag[0] / 8);
    if (wire === 0) {
      const v = varint(b, pos);
      if (!v) return undefined;
      pos = v[1];
    } else if (wire === 2) {
      const len = varint(b, pos);
      if (!len) return undefined;
      if (number === field) return [len[1], len[1] + len[0]];
      pos = len[1] + len[0];
    } else if (wire === 1) {
      pos += 8;
    } else if (wire === 5) {
      pos += 4;
    } else {
      return undefined;
    }
  }
  return undefined;
}

/**
 * Frame offset (frame = the bytes after the length prefix) that should be 8-aligned for the
 * first fetched batch's Arrow body, given the first bytes of a FetchLog SUCCESS response;
 * -1 when they do not tell.
 */
export function fetchLogBodyOffset(head: Uint8Array): number {
  if (head.length < RESPONSE_HEADER_LENGTH || head[0] !== 0) return -1;
  // FetchLogResponse.tables_resp (1) → PbFetchLogRespForTable.buckets_resp (2) → records (8)
  const table = findField(head, RESPONSE_HEADER_LENGTH, Infinity, 1);
  if (!table) return -1;
  const bucket = findField(head, table[0], table[1], 2);
  if (!bucket) return -1;
  const records = findField(head, bucket[0], bucket[1], 8);
  if (!records) return -1;
  const start = records[0];
  if (start + MAGIC_AT >= head.length) return start; // V0/V2 headers are multiples of 8
  const headerSize = HEADER_SIZE_BY_MAGIC[head[start + MAGIC_AT]!];
  return headerSize === undefined ? -1 : start + headerSize;
}
