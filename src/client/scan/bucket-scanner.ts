/**
 * Reading what one bucket holds now (Java `LimitBatchScanner`, `KvBatchScanner`):
 * - a log table with a limit: its last `n` records (LimitScan);
 * - a primary-key table with a limit: at most `n` of its current rows (LimitScan);
 * - a primary-key table without a limit: every current row, streamed in chunks of at most
 *   `scanner.kv.fetch.max-bytes` from a server-side session over a consistent view (ScanKv),
 *   with the changelog offset of that view ({@link BucketScanner.logOffset}).
 */
import * as arrow from "apache-arrow";
import { TableBucket } from "../../metadata/cluster.js";
import type { TableInfo } from "../../metadata/table-info.js";
import { ApiKey } from "../../rpc/api-keys.js";
import { ErrorCode, FlussError } from "../../rpc/errors.js";
import type { ScanKvRequest, ScanKvResponse } from "../../rpc/messages.js";
import { decodeArrowRecordBatch } from "../../record/arrow/arrow-reader.js";
import { createArrowColumn } from "../../record/arrow/arrow-columns.js";
import { ArrowRowConverter } from "../../record/arrow/arrow-rows.js";
import { ArrowBatchBuilder } from "../../record/arrow/arrow-writer.js";
import { compactedToArrow } from "../../record/arrow/compacted-transcode.js";
import { type IpcFieldNode, serializeRecordBatchMessage } from "../../record/arrow/ipc-message.js";
import { iterateBatches } from "../../record/log-batch.js";
import { forEachValueRecord } from "../../record/value-batch.js";
import { KvValueDecoder } from "../kv-values.js";
import { tableSchemas } from "../table-schemas.js";
import { rowObject } from "../../row/codec-util.js";
import type { ClientContext } from "../context.js";
import type { NodeAddress } from "../metadata.js";
import { backoffMs, sleep } from "../retry.js";
import { BatchDecoder } from "./batch-decoder.js";
import type { Projection } from "./projection.js";
import type { RowObject } from "../../row/values.js";

/** A bucket of a non-partitioned table (its id), or of one partition. */
export type BucketSpec = number | { readonly partitionId: number; readonly bucketId: number };

/** Java `KvBatchScanner.MAX_OPEN_RETRIES` / `BASE_RETRY_DELAY_MS`: opening on TOO_MANY_SCANNERS. */
const MAX_OPEN_RETRIES = 3;
const BASE_RETRY_DELAY_MS = 100;

/** What one response yields: a value batch (primary-key tables) or an Arrow batch (log tables). */
type Page = { readonly values: Uint8Array } | { readonly batch: arrow.RecordBatch };

/** Errors after which the scanner checks whether its table or partition is gone. */
const SUSPICIOUS = new Set<number>([
  ErrorCode.UNKNOWN_TABLE_OR_BUCKET_EXCEPTION,
  ErrorCode.SCANNER_EXPIRED,
  ErrorCode.UNKNOWN_SCANNER_ID,
  ErrorCode.LEADER_NOT_AVAILABLE_EXCEPTION,
  ErrorCode.NOT_LEADER_OR_FOLLOWER,
  ErrorCode.TABLE_NOT_EXIST,
  ErrorCode.PARTITION_NOT_EXISTS,
  ErrorCode.KV_STORAGE_EXCEPTION,
]);

/**
 * @internal Checks a bucket argument against the table: a bucket id for a non-partitioned
 * table, `{ partitionId, bucketId }` for a partitioned one.
 */
export function toTableBucket(info: TableInfo, spec: BucketSpec): TableBucket {
  const what = `table ${info.tablePath.toString()}`;
  const n = info.numBuckets;
  const checkId = (b: unknown): number => {
    if (typeof b !== "number" || !Number.isInteger(b) || b < 0 || b >= n) {
      throw FlussError.client(`bucket ${String(b)} does not exist: ${what} has ${n} bucket(s) (0..${n - 1})`);
    }
    return b;
  };
  if (typeof spec === "number") {
    if (info.isPartitioned) throw FlussError.client(`${what} is partitioned: give the bucket as { partitionId, bucketId }`);
    return TableBucket.of(info.tableId, checkId(spec));
  }
  if (spec === null || typeof spec !== "object")
    throw FlussError.client(`a bucket is a bucket id or { partitionId, bucketId }, got ${String(spec)}`);
  if (!info.isPartitioned) throw FlussError.client(`${what} is not partitioned: give the bucket as its id (a number)`);
  const pid = spec.partitionId;
  if (typeof pid !== "number" || !Number.isSafeInteger(pid) || pid < 0)
    throw FlussError.client(`invalid partition id ${String(pid)} for ${what}`);
  return TableBucket.ofPartition(info.tableId, pid, checkId(spec.bucketId));
}

/**
 * Reads what one bucket holds now. Create it with `await table.newScan().createBucketScanner(bucket)`
 * (with `.limit(n)` for log tables). It reads once: with {@link toArrow}, {@link toRows},
 * {@link rowBatches} (row objects, streamed), or `for await (const batch of scanner)` (Arrow
 * record batches, streamed); leaving a loop early closes the scan on the server.
 *
 * ```ts
 * const scanner = await table.newScan().createBucketScanner(0);
 * const rows = await scanner.toRows();      // every current row of bucket 0
 * scanner.logOffset;                        // where its changelog continues
 * ```
 * `R` is the row type of `toRows()` (see `RowOf`).
 */
export class BucketScanner<R = RowObject> implements AsyncIterable<arrow.RecordBatch>, AsyncDisposable {
  /** The bucket read. */
  readonly bucket: TableBucket;
  private readonly out: BatchDecoder;
  /** Whole rows as Arrow (the schema of LimitScan's log batches and of transcoded values). */
  private readonly whole: BatchDecoder;
  /** Copies COMPACTED values straight into Arrow columns (flat column types only). */
  private readonly transcode: ReturnType<typeof compactedToArrow>;
  private readonly pick: readonly number[] | undefined;
  /** Values of every schema id as rows of this scanner's table handle. */
  private readonly values: KvValueDecoder;
  private readonly names: string[];
  private offset: number | undefined;
  private scannerId: Uint8Array | undefined;
  private node: NodeAddress | undefined;
  private callSeqId = 0;
  private drained = false;
  private started = false;
  private closing: Promise<void> | undefined;
  private inFlight: Promise<ScanKvResponse> | undefined;
  private readonly untrack: () => void;

  /** @internal Created by `scan.createBucketScanner(bucket)`. */
  static create<R = RowObject>(
    ctx: ClientContext,
    info: TableInfo,
    bucket: TableBucket,
    projection: Projection | undefined,
    limit: number | undefined,
  ): BucketScanner<R> {
    return new BucketScanner<R>(ctx, info, bucket, projection, limit);
  }

  private constructor(
    private readonly ctx: ClientContext,
    /** The scanned table. */
    readonly info: TableInfo,
    bucket: TableBucket,
    projection: Projection | undefined,
    /** The row limit, if any. */
    readonly limit: number | undefined,
  ) {
    this.bucket = bucket;
    this.values = new KvValueDecoder(info, tableSchemas(ctx.admin, info));
    this.out = new BatchDecoder(info, projection, this.values.schemas);
    // LimitScan returns whole rows: ARROW batches are projected here, not by the server
    this.whole = new BatchDecoder(
      { rowType: info.rowType, logFormat: "ARROW", schemaId: info.schemaId, schema: info.schema },
      undefined,
      this.values.schemas,
    );
    this.transcode = info.hasPrimaryKey && info.kvFormat === "COMPACTED" ? compactedToArrow(info.rowType) : undefined;
    this.pick = projection?.indexes;
    this.names = this.out.rowType.fields.map((f) => f.name);
    this.untrack = ctx.track(this);
  }

  /** The Arrow schema of what this scanner returns (after projection). */
  get schema(): arrow.Schema {
    return this.out.schema;
  }

  /**
   * For a full scan of a primary-key bucket: the changelog offset of the moment the rows
   * were read, known once the first chunk arrived. A log scanner subscribed to this bucket
   * at this offset sees exactly the changes made after it. Undefined before, and for
   * limit scans.
   */
  get logOffset(): number | undefined {
    return this.offset;
  }

  /** Every row as one Arrow table (empty, with the schema, when there is none). */
  async toArrow(): Promise<arrow.Table> {
    const batches: arrow.RecordBatch[] = [];
    for await (const b of this.batches()) batches.push(b);
    return batches.length === 0 ? this.out.emptyTable() : new arrow.Table(this.out.schema, batches);
  }

  /** Every row as a plain object (values as in `src/row/values.ts`). */
  async toRows(): Promise<R[]> {
    const out: R[] = [];
    for await (const rows of this.rowBatches()) for (const r of rows) out.push(r);
    return out;
  }

  /**
   * The rows as plain objects, streamed one server answer at a time (an array per answer,
   * at most `scanner.kv.fetch.max-bytes` of values); leaving the loop early closes the scan.
   */
  async *rowBatches(): AsyncGenerator<R[], void, undefined> {
    const conv = new ArrowRowConverter(this.out.rowType);
    try {
      for await (const page of this.pages()) {
        const out: RowObject[] = [];
        if ("values" in page) {
          for (const r of this.decodeValues(page.values)) out.push(rowObject(this.names, r));
        } else {
          const readers = conv.bind(page.batch.data.children as arrow.Data[]);
          for (let i = 0; i < page.batch.numRows; i++) out.push(conv.row(readers, i));
        }
        if (out.length > 0) yield out as R[];
      }
    } finally {
      await this.close();
    }
  }

  /** The rows as Arrow record batches, streamed; leaving the loop early closes the scan. */
  async *batches(): AsyncGenerator<arrow.RecordBatch, void, undefined> {
    try {
      for await (const page of this.pages()) {
        if ("batch" in page) yield page.batch;
        else {
          const batch = this.valuesToBatch(page.values);
          if (batch) yield batch;
        }
      }
    } finally {
      await this.close();
    }
  }

  [Symbol.asyncIterator](): AsyncGenerator<arrow.RecordBatch, void, undefined> {
    return this.batches();
  }

  /** Whether {@link close} was called (or the read ended). */
  get closed(): boolean {
    return this.closing !== undefined;
  }

  /**
   * Ends the scan: a server session still open is closed (best effort; the server's idle
   * timeout reclaims it otherwise). Idempotent.
   */
  close(): Promise<void> {
    if (!this.closing) {
      this.untrack();
      const id = this.scannerId;
      const node = this.node;
      this.inFlight?.catch(() => undefined);
      this.inFlight = undefined;
      if (id && node && !this.drained) {
        this.drained = true;
        const batchSizeBytes = this.ctx.config.get("scanner.kv.fetch.max-bytes");
        this.closing = this.ctx.rpc
          .connection(node)
          .then((c) => c.request(ApiKey.SCAN_KV, { scannerId: id, batchSizeBytes, closeScanner: true }))
          .then(
            () => undefined,
            () => undefined,
          );
      } else {
        this.closing = Promise.resolve();
      }
    }
    return this.closing;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  // ---------------------------------------------------------------------------------------

  private where(): string {
    const b = this.bucket;
    const t = `table ${this.info.tablePath.toString()}`;
    return b.partitionId === undefined ? `${t} bucket ${b.bucket}` : `${t} partition ${b.partitionId} bucket ${b.bucket}`;
  }

  private pages(): AsyncGenerator<Page, void, undefined> {
    if (this.closing) throw FlussError.client(`the bucket scanner of ${this.where()} is closed`);
    if (this.started)
      throw FlussError.client(`the bucket scanner of ${this.where()} was read already: create a new one to read again`);
    this.started = true;
    if (this.limit !== undefined) return this.limitPages(this.limit);
    return this.kvPages();
  }

  /** Projected rows → one Arrow batch. */
  private toBatch(rows: readonly unknown[][]): arrow.RecordBatch {
    const builder = new ArrowBatchBuilder(this.out.rowType);
    for (const r of rows) builder.append(r);
    return decodeArrowRecordBatch(builder.build(), this.out.schema);
  }

  /**
   * Calls `fn` for each row of a value batch with the schema id it was written with.
   * Undecodable bytes are CORRUPT_RECORD_EXCEPTION naming the bucket.
   */
  private eachValue(bytes: Uint8Array, fn: (schemaId: number, buf: Uint8Array, start: number, len: number) => void): void {
    try {
      forEachValueRecord(bytes, fn);
    } catch (err) {
      if (err instanceof FlussError && err.code !== ErrorCode.CLIENT_ERROR) throw err;
      throw new FlussError(
        ErrorCode.CORRUPT_RECORD_EXCEPTION,
        `cannot decode the rows of ${this.where()}: ${(err as Error).message}`,
        { cause: err },
      );
    }
  }

  /** Schema ids of a value batch's rows that cannot be decoded yet (their schema is not loaded). */
  private otherSchemaIds(bytes: Uint8Array): number[] {
    const out: number[] = [];
    try {
      forEachValueRecord(bytes, (sid) => {
        if (sid !== this.info.schemaId && !this.values.knows(sid) && !out.includes(sid)) out.push(sid);
      });
    } catch {
      // damaged bytes are reported when decoded
    }
    return out;
  }

  /** Whether every row of a value batch has this handle's schema id. */
  private allOwnSchema(bytes: Uint8Array): boolean {
    let own = true;
    try {
      forEachValueRecord(bytes, (sid) => {
        if (sid !== this.info.schemaId) own = false;
      });
    } catch {
      return false; // damaged bytes are reported when decoded
    }
    return own;
  }

  /** Fetches the schemas of rows written with another schema id (once per id and connection). */
  private async loadSchemas(ids: readonly number[]): Promise<void> {
    const missing = ids.filter((id) => !this.values.knows(id));
    if (missing.length === 0) return;
    try {
      await this.values.schemas.load(missing);
    } catch (err) {
      throw await this.explain(err);
    }
  }

  /** Decodes a value batch into projected rows. */
  private decodeValues(bytes: Uint8Array): unknown[][] {
    const rows: unknown[][] = [];
    const pick = this.pick;
    this.eachValue(bytes, (sid, buf, start, len) => {
      const row = this.values.decode(sid, buf, start, len);
      rows.push(pick ? pick.map((i) => row[i]) : row);
    });
    return rows;
  }

  /**
   * A value batch as one Arrow batch (undefined when it holds no row): COMPACTED rows of
   * flat types are copied field by field into the columns, without JS values; others are
   * decoded and appended.
   */
  private valuesToBatch(bytes: Uint8Array): arrow.RecordBatch | undefined {
    const transcode = this.transcode;
    // the copy reads rows of this handle's schema only: rows of other ids (loaded or not)
    // are decoded with their own schema
    if (!transcode || !this.allOwnSchema(bytes)) {
      const rows = this.decodeValues(bytes);
      return rows.length > 0 ? this.toBatch(rows) : undefined;
    }
    const cols = this.info.rowType.fields.map((f) => createArrowColumn(f.type));
    let n = 0;
    this.eachValue(bytes, (_sid, buf, start, len) => {
      transcode(buf, start, start + len, cols);
      n++;
    });
    if (n === 0) return undefined;
    const nodes: IpcFieldNode[] = [];
    const buffers: Uint8Array[] = [];
    for (const c of cols) c.collect(nodes, buffers);
    const batch = decodeArrowRecordBatch(serializeRecordBatchMessage(n, nodes, buffers, { type: "NONE" }), this.whole.schema);
    return this.pick ? this.project(batch) : batch;
  }

  /** The bucket's leader, refreshing metadata once when unknown. */
  private async leader(): Promise<NodeAddress> {
    const m = this.ctx.metadata;
    const { tableId, partitionId, bucket } = this.bucket;
    let node = m.leaderFor(tableId, partitionId, bucket);
    if (!node) {
      if (partitionId !== undefined) await m.updatePartitions(this.info.tablePath, { ids: [partitionId] });
      else await m.updateTables([this.info.tablePath]);
      node = m.leaderFor(tableId, partitionId, bucket);
    }
    if (!node) throw new FlussError(ErrorCode.LEADER_NOT_AVAILABLE_EXCEPTION, `no leader is known for ${this.where()}`);
    return node;
  }

  /**
   * The error to report: TABLE_NOT_EXIST or PARTITION_NOT_EXISTS when the table or the
   * partition is gone, else `err` naming the bucket.
   */
  private async explain(err: unknown): Promise<FlussError> {
    if (!(err instanceof FlussError)) return FlussError.client(`reading ${this.where()} failed: ${String(err)}`, err);
    if (SUSPICIOUS.has(err.code)) {
      const m = this.ctx.metadata;
      try {
        await m.checkTableId(this.info.tablePath, this.info.tableId);
      } catch (gone) {
        if (gone instanceof FlussError && gone.code === ErrorCode.TABLE_NOT_EXIST) return gone;
      }
      const pid = this.bucket.partitionId;
      if (pid !== undefined) {
        try {
          await m.updatePartitions(this.info.tablePath, { ids: [pid] });
        } catch (gone) {
          if (gone instanceof FlussError && gone.code === ErrorCode.PARTITION_NOT_EXISTS) {
            m.forgetPartition(pid);
            return new FlussError(
              ErrorCode.PARTITION_NOT_EXISTS,
              `partition id ${pid} of table ${this.info.tablePath.toString()} does not exist (bucket ${this.bucket.bucket})`,
              { cause: err },
            );
          }
        }
      }
    }
    if (err.message.includes(this.where())) return err;
    return new FlussError(err.code, `reading ${this.where()}: ${err.message}`, { cause: err, retriable: err.retriable });
  }

  // ---- LimitScan -------------------------------------------------------------------------

  private async *limitPages(limit: number): AsyncGenerator<Page, void, undefined> {
    const b = this.bucket;
    let resp;
    try {
      const node = await this.leader();
      const conn = await this.ctx.rpc.connection(node);
      resp = await conn.request(ApiKey.LIMIT_SCAN, {
        tableId: b.tableId,
        ...(b.partitionId !== undefined ? { partitionId: b.partitionId } : {}),
        bucketId: b.bucket,
        limit,
      });
      if (resp.errorCode !== undefined && resp.errorCode !== 0) throw new FlussError(resp.errorCode, resp.errorMessage);
    } catch (err) {
      throw await this.explain(err);
    }
    if (this.info.hasPrimaryKey) {
      // the server answers at most `limit` rows (Replica.limitKvScan)
      if (resp.records && resp.records.length > 0) {
        await this.loadSchemas(this.otherSchemaIds(resp.records));
        yield { values: resp.records };
      }
      return;
    }
    const records = resp.records ?? new Uint8Array(0);
    const ids = new Set<number>();
    try {
      for (const view of iterateBatches(records)) if (view.schemaId !== this.info.schemaId) ids.add(view.schemaId);
    } catch {
      // damaged batches are reported by lastRows
    }
    await this.loadSchemas([...ids]);
    yield* this.lastRows(records, limit);
  }

  /** The last `limit` rows of log batches, as Arrow (LimitBatchScanner.parseLimitScanResponse). */
  private *lastRows(records: Uint8Array, limit: number): Generator<Page, void, undefined> {
    const batches: arrow.RecordBatch[] = [];
    const checkCrc = this.ctx.config.get("scanner.log.check-crc");
    try {
      for (const view of iterateBatches(records)) {
        if (checkCrc) view.ensureValid();
        const d = { bucket: this.bucket, view, skipBelow: 0, stopAt: Infinity };
        // ARROW batches come whole and are projected here (zero-copy); row formats by the decoder
        const arrowWhole = this.pick !== undefined && this.info.logFormat === "ARROW";
        const decoded = arrowWhole ? this.whole.toArrow(d) : this.out.toArrow(d);
        if (decoded) batches.push(arrowWhole ? this.project(decoded.batch) : decoded.batch);
      }
    } catch (err) {
      if (err instanceof FlussError && err.code !== ErrorCode.CLIENT_ERROR) throw err;
      throw new FlussError(
        ErrorCode.CORRUPT_RECORD_EXCEPTION,
        `cannot decode the records of ${this.where()}: ${(err as Error).message}`,
        { cause: err },
      );
    }
    let total = batches.reduce((n, x) => n + x.numRows, 0);
    while (batches.length > 0 && total - batches[0]!.numRows >= limit) total -= batches.shift()!.numRows;
    if (batches.length > 0 && total > limit) batches[0] = batches[0]!.slice(total - limit);
    for (const batch of batches) yield { batch };
  }

  /** Picks the projected columns of a whole-row ARROW batch (zero-copy). */
  private project(batch: arrow.RecordBatch): arrow.RecordBatch {
    const children = batch.data.children as arrow.Data[];
    const schema = this.out.schema;
    const data = arrow.makeData({
      type: new arrow.Struct(schema.fields),
      length: batch.numRows,
      nullCount: 0,
      children: this.pick!.map((i) => children[i]!),
    });
    return new arrow.RecordBatch(schema, data);
  }

  // ---- ScanKv ------------------------------------------------------------------------------

  private async send(req: ScanKvRequest): Promise<ScanKvResponse> {
    const conn = await this.ctx.rpc.connection(this.node!);
    const resp = await conn.request(ApiKey.SCAN_KV, req);
    if (resp.errorCode !== undefined && resp.errorCode !== 0) throw new FlussError(resp.errorCode, resp.errorMessage);
    return resp;
  }

  /** Opens the session; TOO_MANY_SCANNERS is retried with backoff (KvBatchScanner.handleErrorResponse). */
  private async open(batchSizeBytes: number): Promise<ScanKvResponse> {
    const b = this.bucket;
    for (let attempt = 0; ; attempt++) {
      try {
        this.node = await this.leader();
        return await this.send({
          bucketScanReq: {
            tableId: b.tableId,
            ...(b.partitionId !== undefined ? { partitionId: b.partitionId } : {}),
            bucketId: b.bucket,
          },
          callSeqId: 0,
          batchSizeBytes,
        });
      } catch (err) {
        if (
          err instanceof FlussError &&
          err.code === ErrorCode.TOO_MANY_SCANNERS &&
          attempt < MAX_OPEN_RETRIES &&
          !this.closing
        ) {
          await sleep(backoffMs(attempt, BASE_RETRY_DELAY_MS, BASE_RETRY_DELAY_MS * 2 ** MAX_OPEN_RETRIES));
          continue;
        }
        throw err;
      }
    }
  }

  private async *kvPages(): AsyncGenerator<Page, void, undefined> {
    if (!this.info.hasPrimaryKey) {
      throw FlussError.client(`${this.where()} is a log table: reading it whole needs a limit (table.newScan().limit(n))`);
    }
    const batchSizeBytes = this.ctx.config.get("scanner.kv.fetch.max-bytes");
    let resp: ScanKvResponse;
    try {
      resp = await this.open(batchSizeBytes);
    } catch (err) {
      this.drained = true;
      throw await this.explain(err);
    }
    if (resp.logOffset === undefined) {
      this.drained = true;
      throw new FlussError(ErrorCode.CORRUPT_MESSAGE, `the first ScanKv response for ${this.where()} carries no log_offset`);
    }
    this.offset = resp.logOffset;
    for (;;) {
      if (resp.scannerId) this.scannerId = resp.scannerId;
      const more = resp.hasMoreResults === true;
      if (more && !this.closing) {
        // the next chunk is on its way while this one is decoded and consumed (one in flight)
        const next = this.send({ scannerId: this.scannerId!, callSeqId: ++this.callSeqId, batchSizeBytes });
        next.catch(() => undefined);
        this.inFlight = next;
      } else {
        this.drained = true;
      }
      if (resp.records && resp.records.length > 0) {
        await this.loadSchemas(this.otherSchemaIds(resp.records));
        yield { values: resp.records };
      }
      if (!more || this.closing || !this.inFlight) return;
      const pending = this.inFlight;
      try {
        resp = await pending;
      } catch (err) {
        // the server ends a session on any error (TabletService.scanKv's finally)
        this.drained = true;
        throw await this.explain(err);
      } finally {
        if (this.inFlight === pending) this.inFlight = undefined;
      }
    }
  }
}
