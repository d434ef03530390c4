/**
 * What the sender needs to know about a kind of write request: ProduceLog for log tables,
 * PutKv for primary-key tables (Java `Sender#sendWriteRequest`: one request per table,
 * `makeProduceLogRequest` / `makePutKvRequest`). Accumulator, sender loop, retries,
 * backpressure and idempotence are the same for both; only the request grouping, the
 * encoding and the per-bucket answer differ.
 */
import { ApiKey } from "../../rpc/api-keys.js";
import { PutKvRequest, type ProduceLogResponse, type PutKvResponse } from "../../rpc/messages.js";
import { encodeProduceLogRequestChunks, type ProduceLogBucketParts } from "../../rpc/produce-encoding.js";
import { KvWriteBatch } from "./kv-write-batch.js";
import type { BatchBytes, WriteBatch } from "./write-batch.js";

/** A batch on its way: where it goes and its bytes as sent. */
interface SendEntry {
  readonly partitionId: number | undefined;
  readonly bucketId: number;
  readonly batch: WriteBatch;
  readonly records: BatchBytes;
}

/** One bucket's answer. `offset`: ProduceLog's base offset, PutKv's log end offset (-1 if none). */
export interface BucketOutcome {
  readonly partitionId: number | undefined;
  readonly bucketId: number;
  readonly errorCode: number | undefined;
  readonly errorMessage: string | undefined;
  readonly offset: number;
  /** PutKv: the bucket's write pressure in [0, 1) when the server reports one. */
  readonly pressure?: number;
}

/** The request kind of a table's writes. */
export interface WriteProtocol {
  readonly apiKey: typeof ApiKey.PRODUCE_LOG | typeof ApiKey.PUT_KV;
  /** Batches with the same group (within one table and leader) may share a request. */
  requestGroup(batch: WriteBatch): string;
  /** The request body, as chunks written with one writev. */
  encode(tableId: number, acks: number, timeoutMs: number, entries: readonly SendEntry[]): Uint8Array[];
  /** The per-bucket outcomes of a response. */
  outcomes(response: unknown): BucketOutcome[];
}

/** ProduceLog: log batches of one table per request; the records are sent without a copy. */
export const produceLogProtocol: WriteProtocol = {
  apiKey: ApiKey.PRODUCE_LOG,
  requestGroup: () => "",
  encode(tableId, acks, timeoutMs, entries) {
    const bucketsReq: ProduceLogBucketParts[] = entries.map((e) =>
      e.partitionId === undefined
        ? { bucketId: e.bucketId, records: e.records.parts }
        : { partitionId: e.partitionId, bucketId: e.bucketId, records: e.records.parts },
    );
    return encodeProduceLogRequestChunks({ acks, tableId, timeoutMs, bucketsReq });
  },
  outcomes(response) {
    return (response as ProduceLogResponse).bucketsResp.map((r) => ({
      partitionId: r.partitionId,
      bucketId: r.bucketId,
      errorCode: r.errorCode,
      errorMessage: r.errorMessage,
      offset: r.baseOffset ?? -1,
    }));
  },
};

/** KV batches of at least this size are sent from their own buffer, not copied into the request. */
const MIN_UNCOPIED_RECORDS = 4096;

/** The target columns a KV batch was written with (undefined: whole rows). */
function targetColumnsOf(batch: WriteBatch): readonly number[] | undefined {
  return batch instanceof KvWriteBatch ? batch.targetColumns?.indexes : undefined;
}

/**
 * PutKv: KV batches of one table and one target-column set per request (the target
 * columns are a request field). `agg_mode` is sent as 0 (DEFAULT: the table's merge
 * engine applies), as Java's client does (`ClientRpcMessageUtils#makePutKvRequest`).
 */
export const putKvProtocol: WriteProtocol = {
  apiKey: ApiKey.PUT_KV,
  requestGroup: (batch) => (batch instanceof KvWriteBatch ? batch.targetKey : ""),
  encode(tableId, acks, timeoutMs, entries) {
    const targetColumns = entries.length > 0 ? targetColumnsOf(entries[0]!.batch) : undefined;
    // large batches are chunks of their own, written as they are (no copy into the body)
    let partBytes = 0;
    const bucketsReq = entries.map((e) => {
      const records = e.records.toBytes();
      if (records.length >= MIN_UNCOPIED_RECORDS) partBytes += records.length;
      return e.partitionId === undefined
        ? { bucketId: e.bucketId, records }
        : { partitionId: e.partitionId, bucketId: e.bucketId, records };
    });
    const req = { acks, tableId, timeoutMs, targetColumns: targetColumns ? [...targetColumns] : [], bucketsReq, aggMode: 0 };
    return PutKvRequest.encodeParts(req, MIN_UNCOPIED_RECORDS, partBytes);
  },
  outcomes(response) {
    return (response as PutKvResponse).bucketsResp.map((r) => ({
      partitionId: r.partitionId,
      bucketId: r.bucketId,
      errorCode: r.errorCode,
      errorMessage: r.errorMessage,
      offset: r.logEndOffset ?? -1,
      ...(r.pressure !== undefined ? { pressure: r.pressure } : {}),
    }));
  },
};
