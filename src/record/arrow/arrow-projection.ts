/**
 * Server-side column projection of ARROW log batches at the byte level (like Java
 * `FileLogProjection`): keeps the field nodes and buffers of the selected columns,
 * rewrites the Arrow metadata, copies (possibly compressed) buffers as they are, keeps
 * the header (statistics dropped, StatisticsLength = 0) and does NOT recompute the CRC
 * (formats.md §1.5).
 */
import type { DataType, RowType } from "../../metadata/data-types.js";
import { FlussError, ErrorCode } from "../../rpc/errors.js";
import { LENGTH_OFFSET, LOG_OVERHEAD, LogBatchView, logBatchLayout } from "../log-batch.js";
import { concatBytes } from "../../util/bytes.js";
import { arrowLayoutOf } from "./arrow-columns.js";
import { arrowLogBatchRanges } from "./arrow-log.js";
import { type IpcBufferRegion, type IpcFieldNode, encodeRecordBatchMetadata, parseRecordBatchMessage } from "./ipc-message.js";

/** Where one top-level column's nodes and buffers sit in the flattened lists. */
interface ColumnSpan {
  nodeStart: number;
  nodeCount: number;
  bufferStart: number;
  bufferCount: number;
}

const spanCache = new WeakMap<RowType, ColumnSpan[]>();

function columnSpans(rowType: RowType): ColumnSpan[] {
  let spans = spanCache.get(rowType);
  if (spans) return spans;
  spans = [];
  let node = 0;
  let buffer = 0;
  for (const f of rowType.fields) {
    const layout = arrowLayoutOf(f.type as DataType);
    let buffers = 0;
    for (const n of layout) buffers += n;
    spans.push({ nodeStart: node, nodeCount: layout.length, bufferStart: buffer, bufferCount: buffers });
    node += layout.length;
    buffer += buffers;
  }
  spanCache.set(rowType, spans);
  return spans;
}

/**
 * Projects one ARROW log batch to the columns `projectedFieldIndexes` (in that order)
 * of `rowType` (the row type of the batch's schema id). Zero-record batches are returned
 * unchanged.
 */
export function projectArrowLogBatch(
  batchBytes: Uint8Array,
  rowType: RowType,
  projectedFieldIndexes: readonly number[],
  /** Whether no column at all may be kept (a batch older than every projected column). */
  allowEmpty = false,
): Uint8Array {
  const view = new LogBatchView(batchBytes, 0);
  const size = view.sizeInBytes;
  if (view.recordCount === 0 || size === view.headerSize) return batchBytes.subarray(0, size);
  const spans = columnSpans(rowType);
  const seen = new Set<number>();
  for (const i of projectedFieldIndexes) {
    if (!Number.isInteger(i) || i < 0 || i >= spans.length || seen.has(i)) {
      throw new FlussError(
        ErrorCode.INVALID_COLUMN_PROJECTION,
        `invalid projection [${projectedFieldIndexes.join(", ")}] for a schema with ${spans.length} fields`,
      );
    }
    seen.add(i);
  }
  if (projectedFieldIndexes.length === 0 && !allowEmpty) {
    throw new FlussError(ErrorCode.INVALID_COLUMN_PROJECTION, "Empty projection is not supported.");
  }

  const { changeTypesStart, messageStart, end } = arrowLogBatchRanges(view);
  const meta = parseRecordBatchMessage(batchBytes.subarray(messageStart, end), 0);
  const last = spans[spans.length - 1]!;
  if (meta.nodes.length !== last.nodeStart + last.nodeCount || meta.buffers.length !== last.bufferStart + last.bufferCount) {
    throw new FlussError(
      ErrorCode.CORRUPT_RECORD_EXCEPTION,
      `Arrow batch has ${meta.nodes.length} nodes / ${meta.buffers.length} buffers, the schema needs ${last.nodeStart + last.nodeCount} / ${last.bufferStart + last.bufferCount}`,
    );
  }

  const nodes: IpcFieldNode[] = [];
  const regions: IpcBufferRegion[] = [];
  const sources: IpcBufferRegion[] = [];
  let bodyLength = 0;
  for (const col of projectedFieldIndexes) {
    const s = spans[col]!;
    for (let n = 0; n < s.nodeCount; n++) nodes.push(meta.nodes[s.nodeStart + n]!);
    for (let b = 0; b < s.bufferCount; b++) {
      const src = meta.buffers[s.bufferStart + b]!;
      sources.push(src);
      regions.push({ offset: bodyLength, length: src.length });
      bodyLength += (src.length + 7) & ~7;
    }
  }
  const newMeta = encodeRecordBatchMetadata(meta.length, nodes, regions, meta.codec, bodyLength);

  const layout = logBatchLayout(view.magic);
  const changeTypesLen = messageStart - changeTypesStart;
  const newSize = layout.headerSize + changeTypesLen + newMeta.length + bodyLength;
  const out = new Uint8Array(newSize);
  out.set(batchBytes.subarray(0, layout.headerSize), 0);
  const dv = new DataView(out.buffer);
  dv.setInt32(LENGTH_OFFSET, newSize - LOG_OVERHEAD, true);
  if (layout.statisticsLength >= 0) dv.setInt32(layout.statisticsLength, 0, true);
  let pos = layout.headerSize;
  out.set(batchBytes.subarray(changeTypesStart, messageStart), pos);
  pos += changeTypesLen;
  out.set(newMeta, pos);
  pos += newMeta.length;
  const bodyStart = messageStart + meta.bodyOffset;
  for (let i = 0; i < sources.length; i++) {
    const src = sources[i]!;
    out.set(batchBytes.subarray(bodyStart + src.offset, bodyStart + src.offset + src.length), pos + regions[i]!.offset);
  }
  return out;
}

/**
 * Projects every complete batch in `records` (a FetchLog slice) and concatenates the
 * results.
 */
export function projectArrowLogRecords(
  records: Uint8Array,
  rowTypeOf: (schemaId: number) => RowType,
  projectedFieldIndexes: readonly number[],
): Uint8Array {
  const parts: Uint8Array[] = [];
  let _total = 0;
  let pos = 0;
  const dv = new DataView(records.buffer, records.byteOffset, records.byteLength);
  while (records.length - pos >= LOG_OVERHEAD) {
    const size = LOG_OVERHEAD + dv.getInt32(pos + LENGTH_OFFSET, true);
    if (pos + size > records.length) break;
    const batch = records.subarray(pos, pos + size);
    const rowType = rowTypeOf(new LogBatchView(batch).schemaId);
    // a batch written before columns were added (ALTER TABLE ADD COLUMN, always at the end)
    // has fewer columns: it keeps the projected ones it has, the reader fills in nulls
    const n = rowType.fields.length;
    const fields = projectedFieldIndexes.some((i) => i >= n) ? projectedFieldIndexes.filter((i) => i < n) : projectedFieldIndexes;
    const p = projectArrowLogBatch(batch, rowType, fields, fields !== projectedFieldIndexes);
    parts.push(p);
    _total += p.length;
    pos += size;
  }
  return concatBytes(parts);
}
