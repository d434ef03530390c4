/**
 * Builds arrow-js record batches straight from the body of an IPC RecordBatch message:
 * every column buffer is a view into the message, except buffers that are compressed
 * (decompressed one by one) or misaligned for their typed array (copied one by one).
 *
 * Why not arrow-js's `RecordBatchReader`: it needs a Schema message in front, which meant
 * one copy of every message (schema + batch) plus a stream reader per batch; at scan
 * rates that copy was the main source of garbage-collection work.
 */
import * as arrow from "apache-arrow";
import { FlussError, ErrorCode } from "../../rpc/errors.js";
import { decodeCompressedBuffer } from "./compression.js";
import type { IpcRecordBatchMeta } from "./ipc-message.js";

const EMPTY = new Uint8Array(0);

/** A `TypedArray` constructor, as far as alignment goes. */
interface ElementSize {
  readonly BYTES_PER_ELEMENT: number;
}

function corrupt(why: string): FlussError {
  return new FlussError(ErrorCode.CORRUPT_RECORD_EXCEPTION, `cannot decode Arrow record batch: ${why}`);
}

/** Byte alignment arrow-js needs for the values buffer of `type`. */
function valueAlignment(type: arrow.DataType): number {
  const ctor: unknown = type.ArrayType;
  const size = (ctor as ElementSize | undefined)?.BYTES_PER_ELEMENT;
  return typeof size === "number" && size > 0 ? size : 1;
}

/** Byte alignment arrow-js needs for the offsets buffer of `type` (4, or 8 for large types). */
function offsetAlignment(type: arrow.DataType): number {
  return type.OffsetArrayType?.BYTES_PER_ELEMENT ?? 4;
}

/** Walks the field nodes and buffers of one message in schema pre-order. */
class BodyReader {
  private node = 0;
  private buffer = 0;
  /** Body buffers copied because they were misaligned (for tests and tuning). */
  copied = 0;

  constructor(
    private readonly body: Uint8Array,
    private readonly meta: IpcRecordBatchMeta,
  ) {}

  /** Checks that every node and buffer was used (a schema/message mismatch otherwise). */
  finish(): void {
    if (this.node !== this.meta.nodes.length || this.buffer !== this.meta.buffers.length) {
      throw corrupt(
        `the schema uses ${this.node} field nodes and ${this.buffer} buffers, the message has ${this.meta.nodes.length} and ${this.meta.buffers.length}`,
      );
    }
  }

  nextNode(): { length: number; nullCount: number } {
    const n = this.meta.nodes[this.node++];
    if (!n) throw corrupt("the message has fewer field nodes than the schema needs");
    if (n.length < 0 || n.nullCount < 0 || n.nullCount > n.length) throw corrupt(`invalid field node ${JSON.stringify(n)}`);
    return n;
  }

  /** The next buffer (decompressed), `align`-aligned for arrow-js typed arrays. */
  nextBuffer(align: number): Uint8Array {
    const region = this.meta.buffers[this.buffer++];
    if (!region) throw corrupt("the message has fewer buffers than the schema needs");
    const { offset, length } = region;
    if (offset < 0 || length < 0 || offset + length > this.body.length)
      throw corrupt(`buffer [${offset}, +${length}) lies outside the body`);
    let bytes = this.body.subarray(offset, offset + length);
    if (this.meta.codec >= 0) bytes = decodeCompressedBuffer(this.meta.codec, bytes);
    if (bytes.length === 0) return EMPTY;
    if (bytes.byteOffset % align === 0) return bytes;
    this.copied++;
    return new Uint8Array(bytes); // a fresh ArrayBuffer starts aligned
  }

  /** The validity bitmap; consumed but dropped when there are no nulls, as arrow-js does. */
  nullBitmap(nullCount: number): Uint8Array {
    const b = this.nextBuffer(1);
    return nullCount > 0 ? b : EMPTY;
  }
}

/** Loads the column of `type` (and its children) from `r`. */
function load(r: BodyReader, type: arrow.DataType): arrow.Data {
  const T = arrow.Type;
  switch (type.typeId) {
    case T.Null:
      return arrow.makeData({ type: type as arrow.Null, length: r.nextNode().length });
    case T.Bool:
    case T.Int:
    case T.Float:
    case T.Decimal:
    case T.Date:
    case T.Time:
    case T.Timestamp:
    case T.Interval:
    case T.Duration:
    case T.FixedSizeBinary: {
      const { length, nullCount } = r.nextNode();
      const nullBitmap = r.nullBitmap(nullCount);
      const data = r.nextBuffer(valueAlignment(type));
      return arrow.makeData({ type: type as arrow.Int, length, nullCount, nullBitmap, data });
    }
    case T.Utf8:
    case T.Binary:
    case T.LargeUtf8:
    case T.LargeBinary: {
      const { length, nullCount } = r.nextNode();
      const nullBitmap = r.nullBitmap(nullCount);
      const valueOffsets = r.nextBuffer(offsetAlignment(type));
      const data = r.nextBuffer(1);
      return arrow.makeData({ type: type as arrow.Utf8, length, nullCount, nullBitmap, valueOffsets, data });
    }
    case T.List:
    case T.LargeList:
    case T.Map: {
      const { length, nullCount } = r.nextNode();
      const nullBitmap = r.nullBitmap(nullCount);
      const valueOffsets = r.nextBuffer(offsetAlignment(type));
      const child = load(r, childType(type, 0));
      return arrow.makeData({ type: type as arrow.List, length, nullCount, nullBitmap, valueOffsets, child });
    }
    case T.FixedSizeList: {
      const { length, nullCount } = r.nextNode();
      const nullBitmap = r.nullBitmap(nullCount);
      const child = load(r, childType(type, 0));
      return arrow.makeData({ type: type as arrow.FixedSizeList, length, nullCount, nullBitmap, child });
    }
    case T.Struct: {
      const { length, nullCount } = r.nextNode();
      const nullBitmap = r.nullBitmap(nullCount);
      const children = type.children.map((f: arrow.Field) => load(r, f.type));
      return arrow.makeData({ type: type as arrow.Struct, length, nullCount, nullBitmap, children });
    }
    default:
      // unions, dictionaries and view types: Fluss never writes them
      throw corrupt(`unsupported Arrow type ${String(type)}`);
  }
}

function childType(type: arrow.DataType, i: number): arrow.DataType {
  const f = (type.children as arrow.Field[] | undefined)?.[i];
  if (!f) throw corrupt(`type ${String(type)} has no child ${i}`);
  return f.type;
}

const structTypes = new WeakMap<arrow.Schema, arrow.Struct>();

/** Outcome of {@link loadRecordBatch}. */
export interface LoadedBatch {
  readonly batch: arrow.RecordBatch;
  /** Buffers that had to be copied for alignment (0 when the body was 8-aligned). */
  readonly copiedBuffers: number;
}

/**
 * The record batch of the message at `message[0]`, whose metadata `meta` was parsed by
 * `parseRecordBatchMessage`, read with `schema` (the batch gets exactly its field types,
 * so pass a canonical schema when batches end up in one Table). Uncompressed, aligned
 * buffers alias `message`.
 */
export function loadRecordBatch(message: Uint8Array, meta: IpcRecordBatchMeta, schema: arrow.Schema): LoadedBatch {
  const body = message.subarray(meta.bodyOffset, meta.bodyOffset + meta.bodyLength);
  const r = new BodyReader(body, meta);
  const children = schema.fields.map((f) => load(r, f.type));
  r.finish();
  for (const c of children) {
    if (c.length !== meta.length) throw corrupt(`a column holds ${c.length} values, the batch ${meta.length} rows`);
  }
  let struct = structTypes.get(schema);
  if (!struct) structTypes.set(schema, (struct = new arrow.Struct(schema.fields)));
  const data = arrow.makeData({ type: struct, length: meta.length, nullCount: 0, children });
  return { batch: new arrow.RecordBatch(schema, data), copiedBuffers: r.copied };
}
