/**
 * Writing the Arrow body of ARROW log batches: a columnar builder for canonical rows and
 * an encoder for users' pre-built arrow-js record batches. Both emit ONE encapsulated
 * RecordBatch message (no schema, no end-of-stream), formats.md §3.2.
 */
import { DataType as ArrowDataType, type RecordBatch } from "apache-arrow";
import { VectorAssembler } from "apache-arrow/visitor/vectorassembler";
import { toArrowType } from "../../metadata/arrow-types.js";
import { type RowType, typeToString } from "../../metadata/data-types.js";
import { FlussError } from "../../rpc/errors.js";
import { type ArrowColumn, createArrowColumn } from "./arrow-columns.js";
import type { ArrowCompression } from "./compression.js";
import {
  type IpcFieldNode,
  type IpcMessageParts,
  concatMessageParts,
  serializeRecordBatchMessage,
  serializeRecordBatchMessageParts,
} from "./ipc-message.js";

/**
 * Appends rows of canonical values column by column into growable typed buffers and
 * serializes them as one Arrow IPC RecordBatch message. Reusable after {@link reset}.
 */
export class ArrowBatchBuilder {
  private readonly columns: ArrowColumn[];
  private rows = 0;
  /** Raw body bytes of the last {@link build} (for compression-ratio estimates). */
  lastUncompressedBodyLength = 0;

  constructor(
    readonly rowType: RowType,
    readonly compression: ArrowCompression = { type: "NONE" },
  ) {
    this.columns = rowType.fields.map((f) => createArrowColumn(f.type));
  }

  /** Rows appended since construction or the last reset. */
  get rowCount(): number {
    return this.rows;
  }

  /** Appends one row (canonical values in column order). */
  append(values: readonly unknown[]): void {
    const cols = this.columns;
    if (values.length !== cols.length) {
      throw FlussError.client(`row has ${values.length} values but the row type has ${cols.length} columns`);
    }
    for (let i = 0; i < cols.length; i++) cols[i]!.append(values[i]);
    this.rows++;
  }

  /** Uncompressed size of the message the current rows serialize to (approximate). */
  estimatedSizeInBytes(): number {
    let n = 0;
    for (const c of this.columns) n += c.byteSize();
    return n + estimatedMetadataLength(this.columns.length * 2, this.columns.length * 3);
  }

  /** The Arrow message for the rows so far; empty bytes when there are none. */
  build(): Uint8Array {
    if (this.rows === 0) return new Uint8Array(0);
    const nodes: IpcFieldNode[] = [];
    const buffers: Uint8Array[] = [];
    for (const c of this.columns) c.collect(nodes, buffers);
    let raw = 0;
    for (const b of buffers) raw += (b.length + 7) & ~7;
    this.lastUncompressedBodyLength = raw;
    return serializeRecordBatchMessage(this.rows, nodes, buffers, this.compression);
  }

  /** Drops all rows, keeping buffer capacity. */
  reset(): void {
    for (const c of this.columns) c.reset();
    this.rows = 0;
  }
}

/** Rough flatbuffer metadata size for a message with the given node/buffer counts. */
function estimatedMetadataLength(nodes: number, buffers: number): number {
  return 8 + 64 + nodes * 16 + buffers * 16 + 16;
}

/**
 * Serializes a user's arrow-js RecordBatch as a Fluss Arrow message with Fluss's
 * compression rules (arrow-js's own writer uses a different length prefix and writes
 * empty compressed buffers differently, so the buffers are serialized here).
 * Returns empty bytes for a batch without rows.
 */
export function encodeArrowRecordBatch(batch: RecordBatch, rowType: RowType, compression: ArrowCompression): Uint8Array {
  return concatMessageParts(encodeArrowRecordBatchParts(batch, rowType, compression));
}

/**
 * As {@link encodeArrowRecordBatch}, but as parts that reference the batch's own buffers
 * (uncompressed) instead of copying them: arrow-js data is immutable by convention, and
 * the caller must keep it unchanged while the parts are in use. No parts for zero rows.
 */
export function encodeArrowRecordBatchParts(
  batch: RecordBatch,
  rowType: RowType,
  compression: ArrowCompression,
): IpcMessageParts {
  if (batch.numCols !== rowType.fields.length) {
    throw FlussError.client(`Arrow batch has ${batch.numCols} columns but the table has ${rowType.fields.length}`);
  }
  batch.schema.fields.forEach((f, i) => {
    const want = rowType.fields[i]!;
    // Same physical layout is what matters on the wire (names and time zones are not sent).
    if (ArrowDataType.isDictionary(f.type) || f.type.typeId !== toArrowType(want.type).typeId) {
      throw FlussError.client(
        `Arrow column '${f.name}' has type ${String(f.type)}, but column '${want.name}' is ${typeToString(want.type)} (Arrow ${String(toArrowType(want.type))})`,
      );
    }
  });
  if (batch.numRows === 0) return { parts: [], byteLength: 0 };
  const assembler = VectorAssembler.assemble(batch);
  const nodes: IpcFieldNode[] = assembler.nodes.map((n) => ({ length: Number(n.length), nullCount: Number(n.nullCount) }));
  const buffers = assembler.buffers.map((b) =>
    b instanceof Uint8Array ? b : new Uint8Array(b.buffer, b.byteOffset, b.byteLength),
  );
  return serializeRecordBatchMessageParts(batch.numRows, nodes, buffers, compression);
}
