/**
 * A log record batch held as a list of byte ranges instead of one contiguous array, so a
 * writer can send the header it built next to views of the caller's own buffers (e.g. the
 * column buffers of an arrow-js RecordBatch) without copying them (formats.md §1).
 *
 * The first part starts with the complete fixed header (it may hold more, e.g. a whole
 * batch built contiguously); the CRC-32C over [SchemaId, end) is chained across the parts.
 * After {@link LogBatchParts.assemble} or a {@link LogBatchParts.stamp} that changed the
 * header, the CRC is computed when the parts are next read, so a sender can checksum each
 * batch just before writing it (overlapping with the network) rather than all up front.
 */
import { crc32c } from "./crc32c.js";
import { LOG_MAGIC_VALUE_V0, MAGIC_OFFSET, type LogBatchHeaderFields, logBatchLayout, writeLogBatchHeader } from "./log-batch.js";

const TWO_32 = 4294967296;

/** A log batch as parts: `parts[0]` begins with the header. */
export class LogBatchParts {
  /** Total bytes of the batch (sum of the part lengths). */
  readonly sizeInBytes: number;
  private list: readonly Uint8Array[];
  /** The stored CRC does not match the header any more. */
  private crcStale = false;

  /**
   * Wraps existing parts (CRC included). The first part must hold at least the whole fixed
   * header; the caller keeps the parts unchanged for as long as the batch may be (re)sent.
   */
  constructor(parts: readonly Uint8Array[]) {
    this.list = parts;
    let size = 0;
    for (const p of parts) size += p.length;
    this.sizeInBytes = size;
    const first = parts[0];
    if (!first || first.length <= MAGIC_OFFSET || first.length < logBatchLayout(first[MAGIC_OFFSET]!).headerSize) {
      throw new RangeError("the first part of a log batch must hold its whole header");
    }
  }

  /** A batch already built contiguously (header, CRC and all): one part, no copy. */
  static ofBytes(bytes: Uint8Array): LogBatchParts {
    return new LogBatchParts([bytes]);
  }

  /**
   * Builds a fresh header for `fields` in front of `body` (referenced, not copied; empty
   * parts are dropped); the CRC follows on first read of {@link parts}. Only
   * statistics-free batches are built this way; V1/V2 headers get a zero statistics length.
   */
  static assemble(fields: LogBatchHeaderFields, body: readonly Uint8Array[]): LogBatchParts {
    const magic = fields.magic ?? LOG_MAGIC_VALUE_V0;
    const header = new Uint8Array(logBatchLayout(magic).headerSize);
    const parts: Uint8Array[] = [header];
    let size = header.length;
    for (const p of body) {
      if (p.length === 0) continue;
      parts.push(p);
      size += p.length;
    }
    writeLogBatchHeader(header, 0, size, { ...fields, magic, statisticsLength: 0 }, false);
    const batch = new LogBatchParts(parts);
    batch.crcStale = true;
    return batch;
  }

  /** The parts, in order, with an up-to-date CRC in the header. */
  get parts(): readonly Uint8Array[] {
    if (this.crcStale) this.updateCrc();
    return this.list;
  }

  /** The first part, which starts with the header (its CRC may be pending). */
  get header(): Uint8Array {
    return this.list[0]!;
  }

  /** CRC-32C over [SchemaId, end of batch), chained over the parts. */
  computeCrc(): number {
    const parts = this.list;
    const first = parts[0]!;
    let crc = crc32c(first, logBatchLayout(first[MAGIC_OFFSET]!).schemaId, first.length);
    for (let i = 1; i < parts.length; i++) crc = crc32c(parts[i]!, 0, parts[i]!.length, crc);
    return crc;
  }

  /** Recomputes and stores the CRC. */
  updateCrc(): void {
    const h = this.header;
    const layout = logBatchLayout(h[MAGIC_OFFSET]!);
    new DataView(h.buffer, h.byteOffset, h.byteLength).setUint32(layout.crc, this.computeCrc(), true);
    this.crcStale = false;
  }

  /**
   * Stamps writer id and batch sequence into a fresh copy of the header (the CRC follows
   * on next read of {@link parts}), unless both already hold these values. The body parts
   * stay as they are; the old header is left untouched for any frame still queued with it.
   * Returns whether anything changed.
   */
  stamp(writerId: number, batchSequence: number): boolean {
    const first = this.list[0]!;
    const layout = logBatchLayout(first[MAGIC_OFFSET]!);
    const old = new DataView(first.buffer, first.byteOffset, layout.headerSize);
    const oldWriterId = old.getInt32(layout.writerId + 4, true) * TWO_32 + old.getUint32(layout.writerId, true);
    if (oldWriterId === writerId && old.getInt32(layout.batchSequence, true) === batchSequence) return false;
    const header = first.slice(0, layout.headerSize);
    const rest = this.list.slice(1);
    this.list = first.length > layout.headerSize ? [header, first.subarray(layout.headerSize), ...rest] : [header, ...rest];
    const view = new DataView(header.buffer, header.byteOffset, header.byteLength);
    view.setBigInt64(layout.writerId, BigInt(writerId), true);
    view.setInt32(layout.batchSequence, batchSequence, true);
    this.crcStale = true;
    return true;
  }

  /** The batch as one array: the part itself when there is one, else a copy. */
  toBytes(): Uint8Array {
    const parts = this.parts; // refreshes the CRC
    if (parts.length === 1) return parts[0]!;
    const out = new Uint8Array(this.sizeInBytes);
    let pos = 0;
    for (const p of parts) {
      out.set(p, pos);
      pos += p.length;
    }
    return out;
  }
}
