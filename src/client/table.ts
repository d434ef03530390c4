import type { TableInfo } from "../metadata/table-info.js";
import type { TablePath } from "../metadata/table-path.js";
import { FlussError } from "../rpc/errors.js";
import type { ClientContext } from "./context.js";
import { AppendWriter, type AppendWriterOptions } from "./write/append-writer.js";
import { TableScan } from "./scan/table-scan.js";
import { Lookuper } from "./lookup/lookuper.js";

/**
 * A handle on one table, from `conn.getTable(path)`: creates writers and scans.
 */
export class FlussTable {
  /** @internal */
  constructor(
    private readonly ctx: ClientContext,
    /** The table's schema, distribution and properties as of `getTable`. */
    readonly info: TableInfo,
  ) {}

  get tablePath(): TablePath {
    return this.info.tablePath;
  }

  /** A writer appending rows to this log table (tables without a primary key). */
  async newAppendWriter(options: AppendWriterOptions = {}): Promise<AppendWriter> {
    if (this.info.hasPrimaryKey) {
      throw FlussError.client(
        `table ${this.info.tablePath.toString()} has a primary key: use newUpsert() instead of newAppendWriter()`,
      );
    }
    return AppendWriter.create(this.ctx, this.info, options);
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
    return new TableScan(this.ctx, this.info);
  }
}
