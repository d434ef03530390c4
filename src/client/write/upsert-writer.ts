/**
 * The public writer of primary-key tables (Java `UpsertWriterImpl`): upserts, deletes and
 * partial updates, sent as KV batches in PutKv requests through the same accumulator,
 * sender, backpressure, retries and idempotence as appends.
 */
import type { TableInfo } from "../../metadata/table-info.js";
import { makeRowCoercer, makeValueCoercer, type RowCoercer } from "../../row/coerce.js";
import type { KeyInputOf, RowInputOf } from "../../row/typed-rows.js";
import type { RowObject } from "../../row/values.js";
import { PrimaryKeyCodec } from "../../row/key-encoding.js";
import { FlussError } from "../../rpc/errors.js";
import { ByteWriter } from "../../util/bytes.js";
import type { ClientContext } from "../context.js";
import { AppendMode, NEEDS_NEW_BATCH, NO_MEMORY } from "./record-accumulator.js";
import type { WriteBatch } from "./write-batch.js";
import type { WriteResultHandle } from "./write-handle.js";
import type { KvWriteRecord, TargetColumns } from "./write-record.js";
import { WriterBase } from "./writer-base.js";
import type { WriterClient } from "./writer-client.js";

/**
 * Options of `table.newUpsert()`. `C` keeps the partial update's column names at the type
 * level (a typed writer then takes rows of those columns only).
 */
export interface UpsertOptions<C extends readonly (string | number)[] = readonly (string | number)[]> {
  /**
   * Partial update: the columns this writer writes, by name or index; they must include
   * every primary-key column. Rows give the key and these columns; the other columns keep
   * their stored values. Omit to write whole rows.
   */
  readonly columns?: C;
}

/** A KV record and the bucket it goes to. */
interface UpsertRecord extends KvWriteRecord {
  readonly bucket: number;
}

/**
 * Upserts and deletes rows of a primary-key table, batched per bucket and sent in the
 * background, as {@link AppendWriter} does for log tables.
 *
 * ```ts
 * const writer = table.newUpsert();
 * writer.upsert({ id: 1, name: "Alice", age: 25 });   // fire-and-forget
 * await writer.upsert([2, "Bob", 30]).wait();          // wait for the server's acknowledgment
 * await writer.delete({ id: 1 }).wait();               // delete by primary key
 * await writer.flush();                                // everything so far is acknowledged
 *
 * const partial = table.newUpsert({ columns: ["id", "age"] });
 * partial.upsert({ id: 2, age: 31 });                  // name keeps its value
 * ```
 *
 * Rows with the same primary key are applied in the order they were written. Bad input
 * (a missing or null key column, a wrong type, an unknown column, a value for a column
 * outside a partial update's columns) throws a {@link FlussError} naming the column, at
 * once, and nothing else is affected. A write to a partition that does not exist fails
 * its handle with PARTITION_NOT_EXISTS. `await writer.upsert(row)` waits only for buffer
 * room; `await handle.wait()` waits for the server (see {@link WriteResultHandle}).
 *
 * `R` is the row type this writer writes and `K` the primary-key column names (see `RowOf`
 * and `KeyOf`); with a typed row, `upsert` takes `RowInputOf<R>` and `delete` an object of
 * the key columns, so a wrong column name or value type is a compile error.
 */
export class UpsertWriter<R = RowObject, K extends string = string> extends WriterBase<UpsertRecord> {
  private readonly coerce: RowCoercer;
  private readonly codec: PrimaryKeyCodec;
  private readonly targetColumns: TargetColumns | undefined;
  /** Column indexes of the primary key, in primary-key order. */
  private readonly pkIndexes: readonly number[];
  private readonly pkCoercers: readonly ((v: unknown, path: string) => unknown)[];
  private readonly width: number;
  private readonly keyBuffer = new ByteWriter(64);
  private keyViews: Uint8Array[] = [];
  private keyViewsOf: Uint8Array | undefined;

  private constructor(ctx: ClientContext, client: WriterClient, info: TableInfo, targetColumns: TargetColumns | undefined) {
    super(ctx, client, info, "UpsertWriter");
    const rowType = info.rowType;
    this.width = rowType.fields.length;
    this.targetColumns = targetColumns;
    this.coerce = makeRowCoercer(rowType, targetColumns ? { targetColumns: targetColumns.indexes } : undefined);
    this.codec = new PrimaryKeyCodec(info);
    this.pkIndexes = info.primaryKeys.map((k) => rowType.fields.findIndex((f) => f.name === k));
    this.pkCoercers = this.pkIndexes.map((i) => makeValueCoercer(rowType.fields[i]!.type));
  }

  /** @internal Use `table.newUpsert()`. */
  static create<R = RowObject, K extends string = string>(
    ctx: ClientContext,
    info: TableInfo,
    options: UpsertOptions = {},
  ): UpsertWriter<R, K> {
    const name = info.tablePath.toString();
    if (!info.hasPrimaryKey) {
      throw FlussError.client(`table ${name} has no primary key: use newAppendWriter() instead of newUpsert()`);
    }
    const targetColumns = options.columns === undefined ? undefined : resolveTargetColumns(info, options.columns);
    const client = WriterBase.clientFor(ctx, "UpsertWriter");
    if (!info.isPartitioned) ctx.metadata.updateTables([info.tablePath]).catch(() => undefined);
    const writer = new UpsertWriter<R, K>(ctx, client, info, targetColumns);
    client.addWriter(writer);
    return writer;
  }

  /** The columns of a partial-update writer (indexes, ascending); undefined for whole rows. */
  get columns(): readonly number[] | undefined {
    return this.targetColumns?.indexes;
  }

  /**
   * Inserts the row, or replaces the stored row with the same primary key (for a partial
   * update: replaces only this writer's columns). The row is a plain object keyed by
   * column name or an array in column order (a partial update's other columns absent or
   * null). Returns at once; throws a FlussError naming the column for bad input.
   */
  upsert(row: RowInputOf<R>): WriteResultHandle {
    this.ensureOpen();
    const values = this.coerce(row);
    const pk = this.pkIndexes;
    for (let k = 0; k < pk.length; k++) {
      const i = pk[k]!;
      if (values[i] === null || values[i] === undefined) {
        throw FlussError.client(
          `primary-key column "${this.info.rowType.fields[i]!.name}" of table ${this.tableName} must have a value`,
        );
      }
    }
    this.checkRowSize(values);
    return this.write(values, values);
  }

  /**
   * Deletes the row with this primary key (for a partial update: nulls this writer's
   * non-key columns of the stored row, or deletes the row when all its other columns are
   * null already, as Fluss's `PartialUpdater` does). `key` is an object holding every
   * primary-key column (other columns are ignored) or an array of the key values in
   * primary-key order. Deleting an absent key is not an error.
   */
  delete(key: KeyInputOf<R, K>): WriteResultHandle {
    this.ensureOpen();
    const values = new Array<unknown>(this.width).fill(null);
    const fields = this.info.rowType.fields;
    const pk = this.pkIndexes;
    if (Array.isArray(key)) {
      if (key.length !== pk.length) {
        throw FlussError.client(
          `a key of table ${this.tableName} has ${pk.length} values (${this.info.primaryKeys.join(", ")}), got ${key.length}`,
        );
      }
    } else if (typeof key !== "object" || key === null) {
      throw FlussError.client(`a key must be an object holding the primary-key columns or an array of their values`);
    }
    for (let k = 0; k < pk.length; k++) {
      const name = fields[pk[k]!]!.name;
      const v = Array.isArray(key) ? key[k] : (key as Readonly<Record<string, unknown>>)[name];
      if (v === null || v === undefined) {
        throw FlussError.client(`a delete needs the whole primary key of table ${this.tableName}: column "${name}" is missing`);
      }
      values[pk[k]!] = this.pkCoercers[k]!(v, name);
    }
    return this.write(values, null);
  }

  // ---------------------------------------------------------------------------------------

  private write(values: readonly unknown[], row: readonly unknown[] | null): WriteResultHandle {
    // the key is encoded into a reused buffer and goes into a batch before enqueue returns;
    // a record that has to wait gets its own copy (retained)
    const kb = this.keyBuffer;
    kb.reset();
    this.codec.keyInto(values, kb);
    const key = this.keyView(kb.pos);
    const record: UpsertRecord = { key, values: row, targetColumns: this.targetColumns, bucket: this.codec.bucket(values, key) };
    return this.enqueue(record, this.partitions?.nameOf(values));
  }

  /** The first `length` bytes of the key buffer, as one reused view per length (no allocation per row). */
  private keyView(length: number): Uint8Array {
    const buf = this.keyBuffer.buf;
    if (buf !== this.keyViewsOf) {
      this.keyViews = [];
      this.keyViewsOf = buf;
    }
    return (this.keyViews[length] ??= buf.subarray(0, length));
  }

  protected override retained(record: UpsertRecord): UpsertRecord {
    return { ...record, key: record.key.slice() };
  }

  protected place(record: UpsertRecord, pid: number, name: string | undefined, mode: number): WriteBatch | undefined {
    const r = this.acc.append(this.target.queue(pid, record.bucket, name), record, this, AppendMode.ALLOW_NEW_BATCH | mode);
    return r === NO_MEMORY || r === NEEDS_NEW_BATCH ? undefined : r;
  }
}

/**
 * Checks a partial update's columns (Java `UpsertWriterImpl#sanityCheck`): known names or
 * indexes, the whole primary key among them, every other column nullable.
 */
function resolveTargetColumns(info: TableInfo, columns: readonly (string | number)[]): TargetColumns {
  const fields = info.rowType.fields;
  const names = fields.map((f) => f.name);
  const table = info.tablePath.toString();
  if (!Array.isArray(columns) || columns.length === 0) {
    throw FlussError.client(
      `the columns of a partial update of table ${table} must be a non-empty array of column names or indexes`,
    );
  }
  const set = new Set<number>();
  for (const c of columns) {
    const i = typeof c === "number" ? (Number.isInteger(c) && c >= 0 && c < fields.length ? c : -1) : names.indexOf(c);
    if (i < 0) {
      throw FlussError.client(
        `unknown column ${JSON.stringify(c)} in the partial update of table ${table} (columns: ${names.join(", ")})`,
      );
    }
    set.add(i);
  }
  const missing = info.primaryKeys.filter((k) => !set.has(names.indexOf(k)));
  if (missing.length > 0) {
    throw FlussError.client(
      `the columns of a partial update of table ${table} must include the whole primary key (${info.primaryKeys.join(", ")}): ` +
        `missing ${missing.map((m) => `"${m}"`).join(", ")}`,
    );
  }
  const pk = new Set(info.primaryKeys);
  for (const f of fields) {
    if (!pk.has(f.name) && !f.type.nullable) {
      throw FlussError.client(
        `a partial update of table ${table} needs every column outside the primary key to be nullable, but column "${f.name}" is NOT NULL`,
      );
    }
  }
  const indexes = [...set].sort((a, b) => a - b);
  return Object.freeze({ indexes: Object.freeze(indexes), key: indexes.join(",") });
}
