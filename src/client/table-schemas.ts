/**
 * The schemas of a table by id, fetched once with GetTableSchema and cached per connection
 * and table id (Java `ClientSchemaGetter`). Scanners and lookupers ask for the ids their
 * batches and values carry before decoding them; the first ask of an id costs one request,
 * concurrent asks share it, a failed fetch is not cached.
 */
import type { Schema } from "../metadata/schema.js";
import type { TableInfo } from "../metadata/table-info.js";
import type { FlussAdmin } from "./admin.js";

/** The known schemas of one table. */
export class TableSchemas {
  private readonly known = new Map<number, Schema>();
  private readonly pending = new Map<number, Promise<Schema>>();

  constructor(
    private readonly admin: FlussAdmin,
    private readonly info: TableInfo,
  ) {
    this.known.set(info.schemaId, info.schema);
  }

  /** The schema with that id, if already known. */
  get(schemaId: number): Schema | undefined {
    return this.known.get(schemaId);
  }

  /** Records a schema learnt elsewhere (a newer `TableInfo`). */
  remember(schemaId: number, schema: Schema): void {
    if (!this.known.has(schemaId)) this.known.set(schemaId, schema);
  }

  /** Whether every id is known (no request needed). */
  has(ids: Iterable<number>): boolean {
    for (const id of ids) if (!this.known.has(id)) return false;
    return true;
  }

  /** Fetches the ids not known yet; rejects with the cluster's error (e.g. SCHEMA_NOT_EXIST). */
  async load(ids: Iterable<number>): Promise<void> {
    const waits: Promise<Schema>[] = [];
    for (const id of ids) if (!this.known.has(id)) waits.push(this.fetch(id));
    if (waits.length > 0) await Promise.all(waits);
  }

  private fetch(id: number): Promise<Schema> {
    let p = this.pending.get(id);
    if (!p) {
      p = this.admin.getTableSchema(this.info.tablePath, id).then(
        (s) => {
          this.pending.delete(id);
          this.known.set(id, s.schema);
          return s.schema;
        },
        (err: unknown) => {
          this.pending.delete(id);
          throw err;
        },
      );
      this.pending.set(id, p);
    }
    return p;
  }
}

const byAdmin = new WeakMap<FlussAdmin, Map<number, TableSchemas>>();

/** The schema cache of `info`'s table on the connection that owns `admin`. */
export function tableSchemas(admin: FlussAdmin, info: TableInfo): TableSchemas {
  // contexts without an admin (unit tests' fakes) get a cache of their own
  if (typeof admin !== "object" || admin === null) return new TableSchemas(admin, info);
  let tables = byAdmin.get(admin);
  if (!tables) byAdmin.set(admin, (tables = new Map()));
  let t = tables.get(info.tableId);
  if (!t) tables.set(info.tableId, (t = new TableSchemas(admin, info)));
  else t.remember(info.schemaId, info.schema);
  return t;
}
