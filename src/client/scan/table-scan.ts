/**
 * Scan configuration (projection) and scanner creation: `table.newScan()`.
 */
import type { TableInfo } from "../../metadata/table-info.js";
import { FlussError } from "../../rpc/errors.js";
import type { ClientContext } from "../context.js";
import { BatchScanner } from "./batch-scanner.js";
import { BucketScanner, toTableBucket, type BucketSpec } from "./bucket-scanner.js";
import { LogScanner } from "./log-scanner.js";
import { Projection } from "./projection.js";
import { SnapshotScanner } from "./snapshot-scanner.js";
import type { ColumnName, IndexProjectedRowOf, ProjectedRowOf } from "../../row/typed-rows.js";
import type { RowObject } from "../../row/values.js";

/** The largest limit (LimitScanRequest `limit` is an int32). */
const MAX_LIMIT = 2147483647;

/**
 * An immutable scan description. `project`/`projectByName` return a new scan.
 *
 * ```ts
 * const scanner = await table.newScan().projectByName(["id", "name"]).createLogScanner();
 * ```
 * For ARROW tables the projection is pushed down to the server, which then sends only
 * the selected columns; INDEXED and COMPACTED tables are projected on the client.
 * `R` is the row type the scanners return (see `RowOf`; narrowed by `projectByName`).
 */
export class TableScan<R = RowObject> {
  /** @internal Created by `table.newScan()`. */
  static create<R>(ctx: ClientContext, info: TableInfo): TableScan<R> {
    return new TableScan<R>(ctx, info);
  }

  private constructor(
    private readonly ctx: ClientContext,
    private readonly info: TableInfo,
    private readonly projection?: Projection,
    private readonly rowLimit?: number,
  ) {}

  /**
   * Reads only these columns, in this order (0-based indexes into the table schema).
   * Invalid or repeated indexes throw a CLIENT_ERROR FlussError naming them.
   */
  project(columnIndexes: readonly number[]): TableScan<IndexProjectedRowOf<R>> {
    return new TableScan<IndexProjectedRowOf<R>>(
      this.ctx,
      this.info,
      Projection.of(columnIndexes, this.info.rowType, this.what()),
      this.rowLimit,
    );
  }

  /** Reads only the named columns, in this order; unknown names throw a CLIENT_ERROR naming them. */
  projectByName<const C extends readonly ColumnName<R>[]>(names: C): TableScan<ProjectedRowOf<R, C>> {
    return new TableScan<ProjectedRowOf<R, C>>(
      this.ctx,
      this.info,
      Projection.ofNames(names, this.info.rowType, this.what()),
      this.rowLimit,
    );
  }

  /**
   * Reads at most `n` rows (a positive integer; anything else throws a CLIENT_ERROR) with
   * {@link createBucketScanner}: the last `n` records of a log table's bucket, or `n` of
   * the current rows of a primary-key table's bucket. Log scanners refuse a scan with a limit.
   */
  limit(n: number): TableScan<R> {
    if (typeof n !== "number" || !Number.isInteger(n) || n <= 0 || n > MAX_LIMIT) {
      throw FlussError.client(`a scan limit must be a positive integer of at most ${MAX_LIMIT}, got ${String(n)}`);
    }
    return new TableScan<R>(this.ctx, this.info, this.projection, n);
  }

  /** The projected column indexes (undefined: all columns). */
  get projectedColumns(): readonly number[] | undefined {
    return this.projection?.indexes;
  }

  /**
   * A scanner returning {@link ScanRecord}s. On a primary-key table it reads the table's
   * changelog: each record's `changeType` is `+I` (insert), `-U` (the row before an
   * update), `+U` (the row after it) or `-D` (the deleted row).
   */
  async createLogScanner(): Promise<LogScanner<R>> {
    this.refuseLimit("createLogScanner");
    return LogScanner.create<R>(this.ctx, this.info, this.projection);
  }

  /**
   * A scanner returning Arrow data, for log tables. Primary-key tables are refused with a
   * CLIENT_ERROR: Arrow tables carry no change type per row, so read their changelog with
   * {@link createLogScanner} (as the Rust and Python clients do).
   */
  async createBatchScanner(): Promise<BatchScanner<R>> {
    this.refuseLimit("createBatchScanner");
    if (this.info.hasPrimaryKey) {
      // fluss-rust scanner.rs create_record_batch_log_scanner: "Log tables only"
      throw FlussError.client(
        `${this.what()} has a primary key: a batch scanner cannot carry the change type (+I, -U, +U, -D) of its changelog; ` +
          "read it with createLogScanner() instead",
      );
    }
    return BatchScanner.create<R>(this.ctx, this.info, this.projection);
  }

  /**
   * Reads what one bucket holds now: a bucket id, or `{ partitionId, bucketId }` for a
   * partitioned table. On a primary-key table without a limit: every current row, as of one
   * moment, with `scanner.logOffset` the changelog offset of that moment. With a
   * {@link limit}: at most that many current rows (primary-key table) or the latest records
   * (log table; a log table requires a limit). Projection applies.
   */
  async createBucketScanner(bucket: BucketSpec): Promise<BucketScanner<R>> {
    const b = toTableBucket(this.info, bucket);
    if (!this.info.hasPrimaryKey && this.rowLimit === undefined) {
      throw FlussError.client(
        `${this.what()} is a log table: a bucket scanner of it needs a limit (table.newScan().limit(n)); read the whole log with createLogScanner() or createBatchScanner()`,
      );
    }
    return BucketScanner.create<R>(this.ctx, this.info, b, this.projection, this.rowLimit);
  }

  /**
   * Reads the current rows of this primary-key table: every bucket of every partition, or
   * those chosen with `subscribe` / `subscribePartition`, each as of one moment, and
   * `offsets()` to continue with a log scanner from exactly there.
   */
  async createSnapshotScanner(): Promise<SnapshotScanner<R>> {
    if (!this.info.hasPrimaryKey) {
      throw FlussError.client(
        `${this.what()} has no primary key: read a log table with createLogScanner() or createBatchScanner()`,
      );
    }
    if (this.rowLimit !== undefined) {
      throw FlussError.client(
        `a snapshot scanner reads whole buckets: for at most ${this.rowLimit} rows use createBucketScanner() on a scan with a limit`,
      );
    }
    return SnapshotScanner.create<R>(this.ctx, this.info, this.projection);
  }

  private refuseLimit(method: string): void {
    if (this.rowLimit !== undefined) {
      // pyfluss: a log scanner streams, a limit has no meaning there
      throw FlussError.client(
        `${method}() does not take a scan with a limit (${this.rowLimit}): use createBucketScanner(bucket) to read at most ${this.rowLimit} rows`,
      );
    }
  }

  private what(): string {
    return `table ${this.info.tablePath.toString()}`;
  }
}
