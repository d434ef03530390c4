/**
 * Serializing and parsing one Arrow IPC encapsulated RecordBatch message, the body of
 * Fluss ARROW log batches (formats.md §3.2):
 *
 * `FFFFFFFF | int32 metadataLength | flatbuffer Message (V5) + padding | body`
 *
 * `8 + metadataLength` is a multiple of 8 and body buffers start 8-aligned relative to
 * the message start.
 */
import { Builder, ByteBuffer } from "flatbuffers";
import { BodyCompression as FbBodyCompression } from "apache-arrow/fb/body-compression";
import { BodyCompressionMethod } from "apache-arrow/fb/body-compression-method";
import { Buffer as FbBuffer } from "apache-arrow/fb/buffer";
import { FieldNode as FbFieldNode } from "apache-arrow/fb/field-node";
import { Message as FbMessage } from "apache-arrow/fb/message";
import { MessageHeader } from "apache-arrow/fb/message-header";
import { MetadataVersion } from "apache-arrow/fb/metadata-version";
import { RecordBatch as FbRecordBatch } from "apache-arrow/fb/record-batch";
import { FlussError, ErrorCode } from "../../rpc/errors.js";
import { type ArrowCompression, arrowCodecId, encodeCompressedBuffer } from "./compression.js";

/** The IPC continuation marker. */
const IPC_CONTINUATION = 0xffffffff;

/** A field node: value count and null count of one (nested) column. */
export interface IpcFieldNode {
  length: number;
  nullCount: number;
}

/** Location of one body buffer, relative to the body start. */
export interface IpcBufferRegion {
  offset: number;
  length: number;
}

/** The parsed metadata of a RecordBatch message. */
export interface IpcRecordBatchMeta {
  /** Row count. */
  length: number;
  nodes: IpcFieldNode[];
  buffers: IpcBufferRegion[];
  /** Arrow `CompressionType` id, or -1 when the body is not compressed. */
  codec: number;
  bodyLength: number;
  /** Offset of the body relative to the message start. */
  bodyOffset: number;
  /** Total size of the message (prefix + metadata + body). */
  messageLength: number;
}

const align8 = (n: number): number => (n + 7) & ~7;

/**
 * Encodes the flatbuffer `Message{RecordBatch}` metadata, framed with the continuation
 * marker and padded length.
 */
export function encodeRecordBatchMetadata(
  length: number,
  nodes: readonly IpcFieldNode[],
  buffers: readonly IpcBufferRegion[],
  codec: number,
  bodyLength: number,
): Uint8Array {
  const b = new Builder(128 + nodes.length * 16 + buffers.length * 16);
  let compressionOffset = 0;
  if (codec >= 0) {
    compressionOffset = FbBodyCompression.createBodyCompression(b, codec, BodyCompressionMethod.BUFFER);
  }
  // Struct vectors are written back to front.
  FbRecordBatch.startNodesVector(b, nodes.length);
  for (let i = nodes.length - 1; i >= 0; i--) {
    FbFieldNode.createFieldNode(b, BigInt(nodes[i]!.length), BigInt(nodes[i]!.nullCount));
  }
  const nodesOffset = b.endVector();
  FbRecordBatch.startBuffersVector(b, buffers.length);
  for (let i = buffers.length - 1; i >= 0; i--) {
    FbBuffer.createBuffer(b, BigInt(buffers[i]!.offset), BigInt(buffers[i]!.length));
  }
  const buffersOffset = b.endVector();
  FbRecordBatch.startRecordBatch(b);
  FbRecordBatch.addLength(b, BigInt(length));
  FbRecordBatch.addNodes(b, nodesOffset);
  FbRecordBatch.addBuffers(b, buffersOffset);
  if (codec >= 0) FbRecordBatch.addCompression(b, compressionOffset);
  const rb = FbRecordBatch.endRecordBatch(b);
  FbMessage.startMessage(b);
  FbMessage.addVersion(b, MetadataVersion.V5);
  FbMessage.addHeaderType(b, MessageHeader.RecordBatch);
  FbMessage.addHeader(b, rb);
  FbMessage.addBodyLength(b, BigInt(bodyLength));
  b.finish(FbMessage.endMessage(b));
  const fb = b.asUint8Array();
  const metaLen = align8(8 + fb.length) - 8;
  const out = new Uint8Array(8 + metaLen);
  const view = new DataView(out.buffer);
  view.setUint32(0, IPC_CONTINUATION, true);
  view.setInt32(4, metaLen, true);
  out.set(fb, 8);
  return out;
}

/** An encapsulated Arrow message as parts: metadata, then body buffers and padding. */
export interface IpcMessageParts {
  /** Non-empty byte ranges whose concatenation is the message. */
  readonly parts: Uint8Array[];
  /** Total bytes of the message. */
  readonly byteLength: number;
}

/** Zero bytes that pad body buffers to 8 (only ever read). */
const PADDING = new Uint8Array(8);

/**
 * A RecordBatch message from its field nodes and raw (uncompressed) body buffers in Arrow
 * pre-order, as parts: the body buffers are referenced, not copied (compressed ones are
 * fresh arrays), so the caller must not change them while the parts are in use.
 */
export function serializeRecordBatchMessageParts(
  length: number,
  nodes: readonly IpcFieldNode[],
  rawBuffers: readonly Uint8Array[],
  compression: ArrowCompression,
): IpcMessageParts {
  const codec = arrowCodecId(compression);
  const bodyParts = codec < 0 ? rawBuffers : rawBuffers.map((buf) => encodeCompressedBuffer(compression, buf));
  const regions: IpcBufferRegion[] = new Array(bodyParts.length);
  let bodyLength = 0;
  for (let i = 0; i < bodyParts.length; i++) {
    const len = bodyParts[i]!.length;
    regions[i] = { offset: bodyLength, length: len };
    bodyLength += align8(len);
  }
  const meta = encodeRecordBatchMetadata(length, nodes, regions, codec, bodyLength);
  const parts: Uint8Array[] = [meta];
  for (const b of bodyParts) {
    if (b.length === 0) continue;
    parts.push(b);
    const pad = align8(b.length) - b.length;
    if (pad > 0) parts.push(PADDING.subarray(0, pad));
  }
  return { parts, byteLength: meta.length + bodyLength };
}

/** Concatenates message parts into one new array. */
export function concatMessageParts(message: IpcMessageParts): Uint8Array {
  const out = new Uint8Array(message.byteLength);
  let pos = 0;
  for (const p of message.parts) {
    out.set(p, pos);
    pos += p.length;
  }
  return out;
}

/**
 * Serializes a RecordBatch message from its field nodes and raw (uncompressed) body
 * buffers in Arrow pre-order, compressing every buffer when `compression` is not NONE.
 */
export function serializeRecordBatchMessage(
  length: number,
  nodes: readonly IpcFieldNode[],
  rawBuffers: readonly Uint8Array[],
  compression: ArrowCompression,
): Uint8Array {
  return concatMessageParts(serializeRecordBatchMessageParts(length, nodes, rawBuffers, compression));
}

/** Size of one FieldNode and of one Buffer struct in a RecordBatch's flatbuffer vectors. */
const STRUCT_BYTES = 16;

/**
 * The RecordBatch header of a message's metadata, its vectors' lengths checked against
 * the metadata size first (a damaged length would otherwise size an array of up to 2^32).
 */
function readHeader(meta: Uint8Array, metaLen: number, corrupt: (why: string) => FlussError) {
  const msg = FbMessage.getRootAsMessage(new ByteBuffer(meta));
  if (msg.headerType() !== MessageHeader.RecordBatch)
    throw corrupt(`expected a RecordBatch, got header type ${msg.headerType()}`);
  const rb = msg.header(new FbRecordBatch()) as FbRecordBatch | null;
  if (!rb) throw corrupt("missing header");
  const nodeCount = rb.nodesLength();
  const bufferCount = rb.buffersLength();
  if (nodeCount < 0 || bufferCount < 0 || (nodeCount + bufferCount) * STRUCT_BYTES > metaLen) {
    throw corrupt(`${nodeCount} field nodes and ${bufferCount} buffers cannot fit in ${metaLen} bytes of metadata`);
  }
  const nodes: IpcFieldNode[] = new Array(nodeCount);
  const node = new FbFieldNode();
  for (let i = 0; i < nodes.length; i++) {
    rb.nodes(i, node);
    nodes[i] = { length: Number(node.length()), nullCount: Number(node.nullCount()) };
  }
  const buffers: IpcBufferRegion[] = new Array(bufferCount);
  const buf = new FbBuffer();
  for (let i = 0; i < buffers.length; i++) {
    rb.buffers(i, buf);
    buffers[i] = { offset: Number(buf.offset()), length: Number(buf.length()) };
  }
  return { rb, msg, nodes, buffers };
}

/**
 * Parses the metadata of the RecordBatch message at `bytes[offset]`. Accepts the legacy
 * framing without continuation marker. Does not need 8-alignment.
 */
export function parseRecordBatchMessage(bytes: Uint8Array, offset = 0): IpcRecordBatchMeta {
  const corrupt = (why: string): FlussError =>
    new FlussError(ErrorCode.CORRUPT_RECORD_EXCEPTION, `invalid Arrow message: ${why}`);
  if (bytes.length - offset < 8) throw corrupt("truncated");
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let prefix = 8;
  let metaLen = view.getInt32(offset + 4, true);
  if (view.getUint32(offset, true) !== IPC_CONTINUATION) {
    prefix = 4;
    metaLen = view.getInt32(offset, true);
  }
  const metaStart = offset + prefix;
  if (metaLen <= 0 || metaStart + metaLen > bytes.length) throw corrupt("bad metadata length");
  // flatbuffers reads through a DataView-like wrapper; any alignment works. Offsets inside
  // damaged metadata can point anywhere: flatbuffers' RangeErrors become CORRUPT_RECORD.
  let header: { rb: FbRecordBatch; msg: FbMessage; nodes: IpcFieldNode[]; buffers: IpcBufferRegion[] };
  try {
    header = readHeader(bytes.subarray(metaStart, metaStart + metaLen), metaLen, corrupt);
  } catch (e) {
    if (e instanceof FlussError) throw e;
    throw corrupt(`damaged metadata (${(e as Error).message})`);
  }
  const { rb, msg, nodes, buffers } = header;
  let codec: number;
  let bodyLength: number;
  let length: number;
  try {
    const compression = rb.compression();
    codec = compression ? compression.codec() : -1;
    bodyLength = Number(msg.bodyLength());
    length = Number(rb.length());
  } catch (e) {
    throw corrupt(`damaged metadata (${(e as Error).message})`);
  }
  if (!(bodyLength >= 0) || !(length >= 0)) throw corrupt("negative length");
  const bodyOffset = prefix + metaLen;
  if (offset + bodyOffset + bodyLength > bytes.length) throw corrupt("truncated body");
  return {
    length,
    nodes,
    buffers,
    codec,
    bodyLength,
    bodyOffset,
    messageLength: bodyOffset + bodyLength,
  };
}
