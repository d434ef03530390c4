/**
 * Scan configuration (projection) and scanner creation: `table.newScan()`.
 */
import type { TableInfo } from "../../metadata/table-info.js";
import { FlussError } from "../../rpc/errors.js";
import type { ClientContext } from "../context.js";
import { BatchScanner } from "./batch-scanner.js";
import { LogScanner } from "./log-scanner.js";
import { Projection } from "./projection.js";

/**
 * An immutable scan description. `project`/`projectByName` return a new scan.
 *
 * ```ts
 * const scanner = await table.newScan().projectByName(["id", "name"]).createLogScanner();
 * ```
 * For ARROW tables the projection is pushed down to the server, which then sends only
 * the selected columns; INDEXED and COMPACTED tables are projected on the client.
 */
export class TableScan {
  /** @internal */
  constructor(
    private readonly ctx: ClientContext,
    private readonly info: TableInfo,
    private readonly projection?: Projection,
  ) {}

  /**
   * Reads only these columns, in this order (0-based indexes into the table schema).
   * Invalid or repeated indexes throw a CLIENT_ERROR FlussError naming them.
   */
  project(columnIndexes: readonly number[]): TableScan {
    return new TableScan(this.ctx, this.info, Projection.of(columnIndexes, this.info.rowType, this.what()));
  }

  /** Reads only the named columns, in this order; unknown names throw a CLIENT_ERROR naming them. */
  projectByName(names: readonly string[]): TableScan {
    return new TableScan(this.ctx, this.info, Projection.ofNames(names, this.info.rowType, this.what()));
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
  async createLogScanner(): Promise<LogScanner> {
    return new LogScanner(this.ctx, this.info, this.projection);
  }

  /**
   * A scanner returning Arrow data, for log tables. Primary-key tables are refused with a
   * CLIENT_ERROR: Arrow tables carry no change type per row, so read their changelog with
   * {@link createLogScanner} (as the Rust and Python clients do).
   */
  async createBatchScanner(): Promise<BatchScanner> {
    if (this.info.hasPrimaryKey) {
      // fluss-rust scanner.rs create_record_batch_log_scanner: "Log tables only"
      throw FlussError.client(
        `${this.what()} has a primary key: a batch scanner cannot carry the change type (+I, -U, +U, -D) of its changelog; ` +
          "read it with createLogScanner() instead",
      );
    }
    return new BatchScanner(this.ctx, this.info, this.projection);
  }

  private what(): string {
    return `table ${this.info.tablePath.toString()}`;
  }
}
