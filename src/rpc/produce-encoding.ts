/**
 * ProduceLogRequest encoded as a list of chunks: the small protobuf prefixes (request
 * fields, each bucket entry's tag, length and ids) are written into one buffer, and each
 * bucket's `records` are the caller's parts, referenced instead of copied. The
 * concatenated chunks are byte-identical to `ProduceLogRequest.encode` of the same
 * request with each bucket's parts concatenated (protocol.md §0, field order 1..4 and 1..3).
 *
 * Hand-written beside the generated code (`messages.ts` is generated and not edited);
 * it validates like the generated size pass does.
 */
import { ProtoWriter, ProtocolError, badValue, missingField, sizeInt32, sizeInt64, sizeVarint32 } from "./protobuf.js";

/** One `PbProduceLogReqForBucket` whose `records` bytes are given as parts. */
export interface ProduceLogBucketParts {
  partitionId?: number;
  bucketId: number;
  /** The log record batches, in order; their concatenation is the `records` field. */
  records: readonly Uint8Array[];
}

/** A `ProduceLogRequest` whose bucket entries carry their records as parts. */
export interface ProduceLogRequestParts {
  acks: number;
  tableId: number;
  timeoutMs: number;
  bucketsReq: readonly ProduceLogBucketParts[];
}

const MSG = "ProduceLogRequest";
const BUCKET = "PbProduceLogReqForBucket";

function checkInt32(message: string, field: string, v: number | undefined): number {
  if (v == null) throw missingField(message, field);
  if ((v | 0) !== v) throw badValue(message, field, "int32", v);
  return v;
}

function checkInt64(message: string, field: string, v: number): number {
  if (!Number.isSafeInteger(v)) throw badValue(message, field, "int64", v);
  return v;
}

/** Bytes of an entry's content before its records: ids and the records tag and length. */
function bucketPrefixSize(b: ProduceLogBucketParts, recordsLength: number): number {
  let n = 0;
  if (b.partitionId != null) n += 1 + sizeInt64(checkInt64(BUCKET, "partitionId", b.partitionId));
  n += 1 + sizeInt32(checkInt32(BUCKET, "bucketId", b.bucketId));
  return n + 1 + sizeVarint32(recordsLength);
}

/** Total bytes of the `records` parts, each checked to be bytes. */
function recordsLength(b: ProduceLogBucketParts): number {
  if (b.records == null) throw missingField(BUCKET, "records");
  let n = 0;
  for (const p of b.records) {
    if (!(p instanceof Uint8Array)) throw badValue(BUCKET, "records", "bytes", p);
    n += p.length;
  }
  return n;
}

/**
 * Encodes `req` as chunks whose concatenation is the request body. Empty record parts are
 * left out. Throws a ProtocolError for a missing or invalid field, as the generated codec.
 */
export function encodeProduceLogRequestChunks(req: ProduceLogRequestParts): Uint8Array[] {
  const acks = checkInt32(MSG, "acks", req.acks);
  if (req.tableId == null) throw missingField(MSG, "tableId");
  const tableId = checkInt64(MSG, "tableId", req.tableId);
  const timeoutMs = checkInt32(MSG, "timeoutMs", req.timeoutMs);
  const buckets = req.bucketsReq ?? [];

  // Size pass: every prefix byte goes into one small buffer.
  let prefixBytes = 1 + sizeInt32(acks) + 1 + sizeInt64(tableId) + 1 + sizeInt32(timeoutMs);
  const lengths = new Array<number>(buckets.length);
  for (let i = 0; i < buckets.length; i++) {
    const b = buckets[i];
    if (b == null) throw missingField(MSG, "bucketsReq[]");
    const records = recordsLength(b);
    const content = bucketPrefixSize(b, records) + records;
    lengths[i] = records;
    prefixBytes += 1 + sizeVarint32(content) + (content - records);
  }

  // Write pass: prefix slices interleaved with the records parts.
  const w = new ProtoWriter(new Uint8Array(prefixBytes), 0, []);
  w.u32(8);
  w.int32(acks);
  w.u32(16);
  w.int64(tableId);
  w.u32(24);
  w.int32(timeoutMs);
  const chunks: Uint8Array[] = [];
  let start = 0;
  for (let i = 0; i < buckets.length; i++) {
    const b = buckets[i]!;
    const records = lengths[i]!;
    w.u32(34);
    w.u32(bucketPrefixSize(b, records) + records);
    if (b.partitionId != null) {
      w.u32(8);
      w.int64(b.partitionId);
    }
    w.u32(16);
    w.int32(b.bucketId);
    w.u32(26);
    w.u32(records);
    chunks.push(w.buf.subarray(start, w.pos));
    start = w.pos;
    for (const p of b.records) if (p.length > 0) chunks.push(p);
  }
  if (w.pos !== prefixBytes) throw new ProtocolError(`${MSG}: size pass and write pass disagree`);
  if (start < w.pos) chunks.push(w.buf.subarray(start, w.pos)); // no buckets: the fields alone
  return chunks;
}

/** Total bytes of a list of chunks. */
export function chunksLength(chunks: readonly Uint8Array[]): number {
  let n = 0;
  for (const c of chunks) n += c.length;
  return n;
}
