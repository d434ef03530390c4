/**
 * A table the writer client writes to, and its per-bucket queues. Each table knows how to
 * start a batch: in its log format (ARROW with its compression, INDEXED or COMPACTED) for
 * log tables, a KV batch in its kv format for primary-key tables; and which request
 * carries its batches (ProduceLog or PutKv, `write-protocol.ts`).
 */
import type { TableInfo } from "../../metadata/table-info.js";
import type { ArrowCompression } from "../../record/arrow/compression.js";
import type { FlussError } from "../../rpc/errors.js";
import { KvBatchContext, KvBufferPool, KvWriteBatch } from "./kv-write-batch.js";
import { produceLogProtocol, putKvProtocol, type WriteProtocol } from "./write-protocol.js";
import type { KvWriteRecord, WriteRecord } from "./write-record.js";
import { ArrowBatchContext } from "./arrow-write-batch.js";
import { BucketSequenceState } from "./idempotence.js";
import { IndexedWriteBatch, RowLogBatchContext } from "./indexed-write-batch.js";
import { ArrowWriteBatch } from "./arrow-write-batch.js";
import type { BatchTarget, RowWriteBatch, WriteBatch } from "./write-batch.js";

/** Partition id key of non-partitioned tables in per-partition maps. */
export const NO_PARTITION = -1;

/** The batches of one (table, partition, bucket) waiting to be sent, oldest first. */
export class BucketQueue implements BatchTarget {
  /** Unsent batches; retries are re-inserted in creation order at the head. */
  readonly batches: WriteBatch[] = [];
  readonly displayName: string;
  /** Until when the sender holds this bucket's batches back (KV backpressure; 0: not held). */
  throttledUntilMs = 0;

  constructor(
    readonly table: TableWriteTarget,
    readonly partitionId: number | undefined,
    readonly bucketId: number,
    partitionName: string | undefined,
    /**
     * Idempotence sequences and in-flight batches of this bucket, shared by the queues of
     * every schema id of the table (writers from before and after an ALTER TABLE write to
     * the same bucket under one writer id).
     */
    readonly sequences: BucketSequenceState = new BucketSequenceState(),
  ) {
    const path = table.info.tablePath.toString();
    this.displayName = partitionName === undefined ? path : `${path} partition ${partitionName}`;
  }

  get tableId(): number {
    return this.table.info.tableId;
  }
}

/** The table's Arrow compression as the record layer wants it. */
function arrowCompressionOf(info: Pick<TableInfo, "arrowCompression">): ArrowCompression {
  const c = info.arrowCompression;
  return c.type === "ZSTD" ? { type: "ZSTD", level: c.level > 0 ? c.level : 3 } : { type: c.type };
}

/** Per-table state shared by all writers of the table on one connection. */
export class TableWriteTarget {
  private readonly queues = new Map<number, BucketQueue[]>();
  private readonly arrow: ArrowBatchContext | undefined;
  private readonly rows: RowLogBatchContext | undefined;
  private readonly kv: KvBatchContext | undefined;
  readonly compression: ArrowCompression;
  /** ProduceLog for log tables, PutKv for primary-key tables. */
  readonly protocol: WriteProtocol;
  /**
   * Set once the table (this table id) is known to be gone, e.g. dropped and re-created
   * under a live writer: writes fail at once with this error instead of being retried.
   */
  gone: FlussError | undefined;

  constructor(
    readonly info: TableInfo,
    batchSize: number,
    /** Sequence states by `"<partitionId>/<bucketId>"`, shared by the targets of one table id. */
    private readonly sequenceStates: Map<string, BucketSequenceState> = new Map(),
    /** The connection's KV batch buffers. */
    kvBuffers: KvBufferPool = new KvBufferPool(batchSize),
  ) {
    this.compression = arrowCompressionOf(info);
    const types = info.rowType.fields.map((f) => f.type);
    if (info.hasPrimaryKey) {
      this.protocol = putKvProtocol;
      this.kv = new KvBatchContext(types, info.kvFormat, info.schemaId, batchSize, kvBuffers);
      return;
    }
    this.protocol = produceLogProtocol;
    const format = info.logFormat;
    if (format === "ARROW") this.arrow = new ArrowBatchContext(info.rowType, this.compression, info.schemaId, batchSize);
    else this.rows = new RowLogBatchContext(types, format, info.schemaId, batchSize);
  }

  /** The queue of a bucket (`partitionId` = {@link NO_PARTITION} for non-partitioned tables). */
  queue(partitionId: number, bucketId: number, partitionName?: string): BucketQueue {
    let list = this.queues.get(partitionId);
    if (!list) this.queues.set(partitionId, (list = []));
    let q = list[bucketId];
    if (!q) {
      const key = `${partitionId}/${bucketId}`;
      let seq = this.sequenceStates.get(key);
      if (!seq) this.sequenceStates.set(key, (seq = new BucketSequenceState()));
      q = list[bucketId] = new BucketQueue(
        this,
        partitionId === NO_PARTITION ? undefined : partitionId,
        bucketId,
        partitionName,
        seq,
      );
    }
    return q;
  }

  /** All queues of this table that exist. */
  *allQueues(): IterableIterator<BucketQueue> {
    for (const list of this.queues.values()) for (const q of list) if (q) yield q;
  }

  /** A new, empty batch for `first` (the record it is started for) in the table's format. */
  newRowBatch(target: BucketQueue, nowMs: number, first: WriteRecord): RowWriteBatch {
    if (this.kv) return new KvWriteBatch(target, nowMs, this.kv, (first as KvWriteRecord).targetColumns);
    if (this.arrow) return new ArrowWriteBatch(target, nowMs, this.arrow);
    return new IndexedWriteBatch(target, nowMs, this.rows!);
  }
}
