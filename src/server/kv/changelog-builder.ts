/**
 * Builds the changelog batch a PutKv appends to the bucket's log (Java `kv/wal/*WalBuilder`):
 * one non-append-only V0 batch in the table's log format — ARROW with the change-type
 * vector, INDEXED or COMPACTED records — carrying the KV batch's writer id and sequence.
 * A batch without changes is still written (header only): it advances the writer's sequence.
 *
 * Rows come either decoded ({@link ChangelogBuilder.append}) or as kv-format bytes
 * ({@link ChangelogBuilder.appendRaw}, when {@link ChangelogBuilder.acceptsRaw}): copied as
 * is into row-format records of the same format (Java's CompactedWalBuilder does the same),
 * or transcoded field by field into Arrow columns.
 */
import type { ArrowColumn } from "../../record/arrow/arrow-columns.js";
import { createArrowColumn } from "../../record/arrow/arrow-columns.js";
import { buildArrowLogBatch } from "../../record/arrow/arrow-log.js";
import { serializeRecordBatchMessage, type IpcFieldNode } from "../../record/arrow/ipc-message.js";
import type { ChangeByte } from "../../record/change-type.js";
import { buildIndexedLogBatch } from "../../record/indexed-log.js";
import { LOG_MAGIC_VALUE_V0, logBatchHeaderSize, writeLogBatchHeader } from "../../record/log-batch.js";
import { ByteWriter } from "../../util/bytes.js";
import { compactedToArrow } from "../../record/arrow/compacted-transcode.js";
import type { KvTable } from "./kv-table.js";

type Transcoder = NonNullable<ReturnType<typeof compactedToArrow>>;
const transcoders = new WeakMap<KvTable, Transcoder | null>();

function transcoderOf(kt: KvTable): Transcoder | undefined {
  let t = transcoders.get(kt);
  if (t === undefined) transcoders.set(kt, (t = kt.kvFormat === "COMPACTED" ? (compactedToArrow(kt.rowType) ?? null) : null));
  return t ?? undefined;
}

/** Collects (change type, row) pairs and builds the batch. */
export class ChangelogBuilder {
  private readonly types: number[] = [];
  private readonly rows: (readonly unknown[])[] = [];
  private readonly columns: ArrowColumn[] | undefined;
  private readonly transcode: Transcoder | undefined;
  /** Row-format records written from raw bytes (same format as the kv rows). */
  private readonly raw: ByteWriter | undefined;
  /** Whether {@link appendRaw} may be used for this table. */
  readonly acceptsRaw: boolean;

  constructor(private readonly kt: KvTable) {
    if (kt.logFormat === "ARROW") {
      this.columns = kt.rowType.fields.map((f) => createArrowColumn(f.type));
      this.transcode = transcoderOf(kt);
      this.acceptsRaw = this.transcode !== undefined;
    } else {
      this.acceptsRaw = kt.logFormat === kt.kvFormat;
      if (this.acceptsRaw) {
        this.raw = new ByteWriter(4096);
        this.raw.zeros(logBatchHeaderSize(LOG_MAGIC_VALUE_V0));
      }
    }
  }

  /** Records appended so far. */
  get count(): number {
    return this.types.length;
  }

  /** Appends a decoded row. */
  append(type: ChangeByte, row: readonly unknown[]): void {
    this.types.push(type);
    if (this.columns) {
      const cols = this.columns;
      for (let i = 0; i < cols.length; i++) cols[i]!.append(row[i]);
    } else if (this.raw) {
      this.rawRecord(type, this.kt.rowEncoder.encode(row), 0, -1);
    } else {
      this.rows.push(row);
    }
  }

  /** Appends a row given as kv-format bytes `bytes[start, end)` (only when {@link acceptsRaw}). */
  appendRaw(type: ChangeByte, bytes: Uint8Array, start: number, end: number): void {
    if (this.columns) this.transcode!(bytes, start, end, this.columns);
    else this.rawRecord(type, bytes, start, end);
    this.types.push(type);
  }

  private rawRecord(type: number, bytes: Uint8Array, start: number, end: number): void {
    const w = this.raw!;
    const row = end < 0 ? bytes : bytes.subarray(start, end);
    w.i32(row.length + 1);
    w.u8(type);
    w.bytes(row);
  }

  /** The log batch (offsets and commit timestamp are stamped by the log). */
  build(writerId: number, batchSequence: number): Uint8Array {
    const kt = this.kt;
    const count = this.types.length;
    if (this.columns) {
      let body: Uint8Array = new Uint8Array(0);
      if (count > 0) {
        const nodes: IpcFieldNode[] = [];
        const buffers: Uint8Array[] = [];
        for (const c of this.columns) c.collect(nodes, buffers);
        body = serializeRecordBatchMessage(count, nodes, buffers, kt.arrowCompression);
      }
      return buildArrowLogBatch({
        body,
        recordCount: count,
        schemaId: kt.schemaId,
        writerId,
        batchSequence,
        appendOnly: false,
        changeTypes: Uint8Array.from(this.types),
      });
    }
    if (this.raw) {
      const out = this.raw.toBytes();
      writeLogBatchHeader(out, 0, out.length, {
        magic: LOG_MAGIC_VALUE_V0,
        baseOffset: 0,
        commitTimestamp: 0,
        schemaId: kt.schemaId,
        appendOnly: false,
        writerId,
        batchSequence,
        recordCount: count,
      });
      return out;
    }
    return buildIndexedLogBatch({
      rowType: kt.rowType,
      rows: this.rows,
      changeTypes: this.types,
      schemaId: kt.schemaId,
      writerId,
      batchSequence,
      appendOnly: false,
      format: kt.logFormat === "COMPACTED" ? "COMPACTED" : "INDEXED",
    });
  }
}
