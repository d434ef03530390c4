import type { TableInfo } from "../metadata/table-info.js";
import type { TablePath } from "../metadata/table-path.js";
import type { ClientContext } from "./context.js";
import { AppendWriter, type AppendWriterOptions } from "./write/append-writer.js";
import { UpsertWriter, type UpsertOptions } from "./write/upsert-writer.js";
import { TableScan } from "./scan/table-scan.js";
import { Lookuper } from "./lookup/lookuper.js";
import type { ColumnName, PartialRowOf } from "../row/typed-rows.js";
import type { RowObject } from "../row/values.js";

/**
 * A handle on one table, from `conn.getTable(path)`: creates writers and scans.
 *
 * `R` is the row type and `K` the primary-key column names, from
 * `conn.getTable(path, schema)` (`RowOf<typeof schema>`) or `conn.getTable<Row>(path)`:
 * the writers, lookupers and scanners it makes are typed with them. By default rows are
 * loosely typed (`RowObject`).
 */
export class FlussTable<R = RowObject, K extends string = string> {
  /** @internal Created by `conn.getTable(path)`. */
  static create<R = RowObject, K extends string = string>(ctx: ClientContext, info: TableInfo): FlussTable<R, K> {
    return new FlussTable<R, K>(ctx, info);
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
  newAppendWriter(options: AppendWriterOptions = {}): AppendWriter<R> {
    return AppendWriter.create<R>(this.ctx, this.info, options);
  }

  /**
   * A writer upserting and deleting rows of this primary-key table, returned
   * synchronously (`await table.newUpsert()` works too). `{ columns: ["id", "age"] }` (names
   * or indexes, including the whole primary key) makes it a partial-update writer. Throws
   * a FlussError on a log table, for bad columns, or on a closed connection. On a typed
   * table, a partial-update writer given column names takes rows of those columns (and the
   * key) only.
   */
  newUpsert<const C extends readonly (ColumnName<R> | number)[] = never>(
    options: UpsertOptions<C> = {},
  ): UpsertWriter<PartialRowOf<R, C, K>, K> {
    return UpsertWriter.create<PartialRowOf<R, C, K>, K>(this.ctx, this.info, options);
  }

  /**
   * A lookuper of this primary-key table: `lookup(key)` by primary key, `lookupBy(columns)`
   * for prefix lookups. Closed with the connection. Throws a FlussError on a log table.
   */
  newLookup(): Lookuper<R, K> {
    return Lookuper.create<R, K>(this.ctx, this.info);
  }

  /** Starts configuring a scan (projection), then create a log or batch scanner from it. */
  newScan(): TableScan<R> {
    return TableScan.create<R>(this.ctx, this.info);
  }
}
