/**
 * Builds the changelog batch a PutKv appends to the bucket's log (Java `kv/wal/*WalBuilder`):
 * one non-append-only V0 batch in the table's log format — ARROW with the change-type
 * vector, INDEXED or COMPACTED records — carrying the KV batch's writer id and sequence.
 * A batch without changes is still written (header only): it advances the writer's sequence.
 */
import { buildArrowLogBatch } from "../../record/arrow/arrow-log.js";
import { ArrowBatchBuilder } from "../../record/arrow/arrow-writer.js";
import type { ChangeByte } from "../../record/change-type.js";
import { buildIndexedLogBatch } from "../../record/indexed-log.js";
import type { KvTable } from "./kv-table.js";

/** Collects (change type, row) pairs and builds the batch. */
export class ChangelogBuilder {
  private readonly types: number[] = [];
  private readonly rows: (readonly unknown[])[] = [];
  private readonly arrow: ArrowBatchBuilder | undefined;

  constructor(private readonly kt: KvTable) {
    this.arrow = kt.logFormat === "ARROW" ? new ArrowBatchBuilder(kt.rowType, kt.arrowCompression) : undefined;
  }

  /** Records appended so far. */
  get count(): number {
    return this.types.length;
  }

  append(type: ChangeByte, row: readonly unknown[]): void {
    this.types.push(type);
    if (this.arrow) this.arrow.append(row);
    else this.rows.push(row);
  }

  /** The log batch (offsets and commit timestamp are stamped by the log). */
  build(writerId: number, batchSequence: number): Uint8Array {
    const kt = this.kt;
    if (this.arrow) {
      return buildArrowLogBatch({
        body: this.arrow.build(),
        recordCount: this.types.length,
        schemaId: kt.schemaId,
        writerId,
        batchSequence,
        appendOnly: false,
        changeTypes: Uint8Array.from(this.types),
      });
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
