import type { TableInfo } from "../metadata/table-info.js";
import type { TablePath } from "../metadata/table-path.js";
import type { ClientContext } from "./context.js";
import { AppendWriter, type AppendWriterOptions } from "./write/append-writer.js";
import { UpsertWriter, type UpsertOptions } from "./write/upsert-writer.js";
import { TableScan } from "./scan/table-scan.js";
import { Lookuper } from "./lookup/lookuper.js";

/**
 * A handle on one table, from `conn.getTable(path)`: creates writers and scans.
 */
export class FlussTable {
  /** @internal Created by `conn.getTable(path)`. */
  static create(ctx: ClientContext, info: TableInfo): FlussTable {
    return new FlussTable(ctx, info);
  }

  private constructor(
    private readonly ctx: ClientContext,
    /** The table's schema, distribution and properties as of `getTable`. */
    readonly info: TableInfo,
  ) {}

  /** Database and table name (`info.tablePath`). */
  get tablePath(): TablePath {
    return this.info.tablePath;
  }

  /**
   * A writer appending rows to this log table (tables without a primary key). Returned
   * synchronously (`await table.newAppendWriter()` works too). Throws a FlussError on a
   * primary-key table or a closed connection.
   */
  newAppendWriter(options: AppendWriterOptions = {}): AppendWriter {
    return AppendWriter.create(this.ctx, this.info, options);
  }

  /**
   * A writer upserting and deleting rows of this primary-key table, returned
   * synchronously (`await table.newUpsert()` works too). `{ columns: ["id", "age"] }` (names
   * or indexes, including the whole primary key) makes it a partial-update writer. Throws
   * a FlussError on a log table, for bad columns, or on a closed connection.
   */
  newUpsert(options: UpsertOptions = {}): UpsertWriter {
    return UpsertWriter.create(this.ctx, this.info, options);
  }

  /**
   * A lookuper of this primary-key table: `lookup(key)` by primary key, `lookupBy(columns)`
   * for prefix lookups. Closed with the connection. Throws a FlussError on a log table.
   */
  newLookup(): Lookuper {
    return Lookuper.create(this.ctx, this.info);
  }

  /** Starts configuring a scan (projection), then create a log or batch scanner from it. */
  newScan(): TableScan {
    return TableScan.create(this.ctx, this.info);
  }
}
