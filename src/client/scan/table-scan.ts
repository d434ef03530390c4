/**
 * Scan configuration (projection) and scanner creation: `table.newScan()`.
 */
import type { TableInfo } from "../../metadata/table-info.js";
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

  /** A scanner returning {@link ScanRecord}s. */
  async createLogScanner(): Promise<LogScanner> {
    return new LogScanner(this.ctx, this.info, this.projection);
  }

  /** A scanner returning Arrow data. */
  async createBatchScanner(): Promise<BatchScanner> {
    return new BatchScanner(this.ctx, this.info, this.projection);
  }

  private what(): string {
    return `table ${this.info.tablePath.toString()}`;
  }
}
