/** Helpers of the primary-key server tests: PK tables, KV batches, changelog reads. */
import assert from "node:assert/strict";
import { ApiKey } from "../../src/rpc/api-keys.js";
import type { ServerConnection } from "../../src/rpc/server-connection.js";
import type { RowType } from "../../src/metadata/data-types.js";
import type { Schema } from "../../src/metadata/schema.js";
import { toArrowSchema } from "../../src/metadata/arrow-types.js";
import type { KvFormat, LogFormat } from "../../src/metadata/table-options.js";
import { readArrowLogBatch } from "../../src/record/arrow/arrow-log.js";
import { columnBinder } from "../../src/record/arrow/arrow-rows.js";
import { changeTypeShortString, type ChangeByte } from "../../src/record/change-type.js";
import { readIndexedLogRecords } from "../../src/record/indexed-log.js";
import { KvRecordBatchBuilder } from "../../src/record/kv-batch.js";
import { iterateBatches, type LogBatchView } from "../../src/record/log-batch.js";
import { CompactedRowDecoder, CompactedRowEncoder } from "../../src/row/compacted-row.js";
import { IndexedRowDecoder, IndexedRowEncoder } from "../../src/row/indexed-row.js";
import { PrimaryKeyCodec } from "../../src/row/key-encoding.js";
import { TableInfo } from "../../src/metadata/table-info.js";
import { TablePath } from "../../src/metadata/table-path.js";
import { tableJson } from "./server-test-util.js";

export const tp = (tableName: string) => ({ databaseName: "fluss", tableName });

/** A created PK table with its codecs. */
export interface PkTable {
  readonly tableId: number;
  readonly info: TableInfo;
  readonly rowType: RowType;
  readonly keys: PrimaryKeyCodec;
  encodeRow(row: readonly unknown[]): Uint8Array;
  decodeRow(bytes: Uint8Array, offset?: number): unknown[];
}

/** The codecs of an existing PK table. */
export async function reopen(conn: ServerConnection, name: string): Promise<PkTable> {
  const r = await conn.request(ApiKey.GET_TABLE_INFO, { tablePath: tp(name) });
  return pkTableOf(
    TableInfo.fromJson(TablePath.of("fluss", name), r.tableId, r.schemaId, r.tableJson, r.createdTime, r.modifiedTime),
  );
}

function pkTableOf(info: TableInfo): PkTable {
  const types = info.rowType.fields.map((f) => f.type);
  const indexed = info.kvFormat === "INDEXED";
  const enc = indexed ? new IndexedRowEncoder(types) : new CompactedRowEncoder(types);
  const dec = indexed ? new IndexedRowDecoder(types) : new CompactedRowDecoder(types);
  return {
    tableId: info.tableId,
    info,
    rowType: info.rowType,
    keys: new PrimaryKeyCodec(info),
    encodeRow: (row) => enc.encode(row),
    decodeRow: (bytes, offset = 0) => dec.decode(bytes, offset, bytes.length - offset),
  };
}

export async function createPkTable(
  conn: ServerConnection,
  name: string,
  schema: Schema,
  options: {
    kvFormat?: KvFormat;
    logFormat?: LogFormat;
    bucketCount?: number;
    bucketKeys?: string[];
    partitionKeys?: string[];
    properties?: Record<string, string>;
  } = {},
): Promise<PkTable> {
  await conn.request(ApiKey.CREATE_TABLE, {
    tablePath: tp(name),
    tableJson: tableJson(schema, { bucketCount: 1, ...options }),
    ignoreIfExists: false,
  });
  return reopen(conn, name);
}

/** An upsert (row) or a delete (key row: other columns may be null). */
export type KvOp = { upsert: unknown[] } | { delete: unknown[] };

export function kvBatch(
  t: PkTable,
  ops: readonly KvOp[],
  writer: { writerId?: number; batchSequence?: number } = {},
): Uint8Array {
  const b = new KvRecordBatchBuilder(1);
  for (const op of ops) {
    if ("upsert" in op) b.append(t.keys.key(op.upsert), t.encodeRow(op.upsert));
    else b.append(t.keys.key(op.delete), null);
  }
  return b.build(writer.writerId, writer.batchSequence);
}

export async function putKv(
  conn: ServerConnection,
  t: PkTable,
  ops: readonly KvOp[],
  extra: {
    bucketId?: number;
    partitionId?: number;
    targetColumns?: number[];
    writerId?: number;
    batchSequence?: number;
    aggMode?: number;
  } = {},
) {
  const resp = await conn.request(ApiKey.PUT_KV, {
    acks: -1,
    tableId: t.tableId,
    timeoutMs: 5000,
    targetColumns: extra.targetColumns ?? [],
    ...(extra.aggMode !== undefined ? { aggMode: extra.aggMode } : {}),
    bucketsReq: [
      {
        bucketId: extra.bucketId ?? 0,
        ...(extra.partitionId !== undefined ? { partitionId: extra.partitionId } : {}),
        records: kvBatch(t, ops, extra),
      },
    ],
  });
  return resp.bucketsResp[0]!;
}

/** Looks keys up (key rows give the PK columns); returns the raw values. */
export async function lookupRaw(conn: ServerConnection, t: PkTable, keyRows: unknown[][], bucket = 0, partitionId?: number) {
  const resp = await conn.request(ApiKey.LOOKUP, {
    tableId: t.tableId,
    bucketsReq: [
      { bucketId: bucket, ...(partitionId !== undefined ? { partitionId } : {}), keys: keyRows.map((k) => t.keys.key(k)) },
    ],
  });
  const b = resp.bucketsResp[0]!;
  assert.equal(b.errorCode, undefined, b.errorMessage);
  return b.values.map((v) => v.values);
}

/** Looks keys up and decodes the rows (null when absent); checks the schema id prefix. */
export async function lookupRows(conn: ServerConnection, t: PkTable, keyRows: unknown[][], bucket = 0, partitionId?: number) {
  const raw = await lookupRaw(conn, t, keyRows, bucket, partitionId);
  return raw.map((v) => {
    if (v === undefined) return null;
    assert.equal(v[0]! | (v[1]! << 8), 1, "schema id prefix");
    return t.decodeRow(v, 2);
  });
}

/** One decoded changelog record. */
export interface ChangeRecord {
  offset: number;
  type: string;
  row: unknown[];
}

/** Reads a bucket's whole changelog with FetchLog and decodes it. */
export async function readChangelog(
  conn: ServerConnection,
  t: PkTable,
  bucket = 0,
  partitionId?: number,
  from = 0,
): Promise<{ records: ChangeRecord[]; batches: LogBatchView[]; hw: number }> {
  const resp = await conn.request(ApiKey.FETCH_LOG, {
    followerServerId: -1,
    maxBytes: 64 << 20,
    tablesReq: [
      {
        tableId: t.tableId,
        projectionPushdownEnabled: false,
        projectedFields: [],
        bucketsReq: [
          { bucketId: bucket, ...(partitionId !== undefined ? { partitionId } : {}), fetchOffset: from, maxFetchBytes: 64 << 20 },
        ],
      },
    ],
  });
  const b = resp.tablesResp[0]!.bucketsResp[0]!;
  assert.equal(b.errorCode, undefined, b.errorMessage);
  const records: ChangeRecord[] = [];
  const batches = [...iterateBatches(b.records!)];
  const fmt = t.info.logFormat;
  for (const v of batches) {
    assert.ok(v.isValid(), "changelog batch CRC");
    assert.equal(v.isAppendOnly, false);
    if (v.recordCount === 0) continue;
    if (fmt === "ARROW") {
      const c = readArrowLogBatch(v, toArrowSchema(t.rowType));
      const rb = c.batch!;
      const readers = t.rowType.fields.map((f, k) => columnBinder(f.type)(rb.data.children[k]!));
      for (let i = 0; i < rb.numRows; i++) {
        records.push({
          offset: v.baseOffset + i,
          type: changeTypeShortString(c.changeTypes![i]! as ChangeByte),
          row: readers.map((r) => r(i)),
        });
      }
    } else {
      readIndexedLogRecords(v, t.rowType, fmt).forEach((r, i) =>
        records.push({ offset: v.baseOffset + i, type: changeTypeShortString(r.changeType), row: r.row }),
      );
    }
  }
  return { records, batches, hw: b.highWatermark! };
}

/** `"+I(1,a)"`-style strings of changelog records. */
export function show(records: readonly ChangeRecord[]): string[] {
  return records.map((r) => `${r.type}(${r.row.map((v) => (v === null ? "null" : String(v))).join(",")})`);
}
