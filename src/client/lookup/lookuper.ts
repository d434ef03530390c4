/**
 * Point lookups by primary key (Java `PrimaryKeyLookuper`) and prefix lookups by bucket key
 * (Java `PrefixKeyLookuper`) of one primary-key table. Keys are validated and encoded at
 * once; the lookups of all lookupers of a connection share one queue and sender.
 */
import type { TableInfo } from "../../metadata/table-info.js";
import { ErrorCode, FlussError } from "../../rpc/errors.js";
import { rowObject } from "../../row/codec-util.js";
import { PrimaryKeyCodec, prefixKeyEncoder } from "../../row/key-encoding.js";
import type { KeyEncoder } from "../../row/lake-keys.js";
import type { RowObject } from "../../row/values.js";
import type { ColumnName, KeyInputOf } from "../../row/typed-rows.js";
import type { ClientContext } from "../context.js";
import { LookupClient } from "./lookup-client.js";
import { makeKeyRowBuilder, type KeyRowBuilder } from "./lookup-key.js";
import { type LookupAnswer, type LookupKind, type LookupOwner, LookupQuery } from "./lookup-query.js";
import { PartitionResolver } from "../partition-resolver.js";
import { type TableSchemas, tableSchemas } from "../table-schemas.js";
import { KvValueDecoder } from "../kv-values.js";

export type { LookupKey } from "./lookup-key.js";

/** What the lookupers of one table share: key codec, partition ids, value decoding. */
class LookupTable {
  readonly codec: PrimaryKeyCodec;
  readonly partitions: PartitionResolver | undefined;
  private readonly names: string[];

  constructor(
    readonly ctx: ClientContext,
    readonly info: TableInfo,
  ) {
    this.codec = new PrimaryKeyCodec(info);
    const fields = info.rowType.fields;
    this.names = fields.map((f) => f.name);
    this.partitions = info.isPartitioned ? new PartitionResolver(ctx.metadata, info) : undefined;
    this.values = new KvValueDecoder(info, tableSchemas(ctx.admin, info));
  }

  /** Decodes values of every schema id (values keep the schema id they were written with). */
  private readonly values: KvValueDecoder;

  /** The table's schemas by id. */
  get schemas(): TableSchemas {
    return this.values.schemas;
  }

  /** Schema ids of the values in `answer` that {@link schemas} does not know yet. */
  unknownSchemaIds(answer: LookupAnswer): readonly number[] {
    // one check per answer, no closure: this runs for every lookup
    if (answer === null) return NONE;
    if (answer instanceof Uint8Array) return this.unknownIn(answer, NONE);
    let out = NONE;
    for (const v of answer) out = this.unknownIn(v, out);
    return out;
  }

  /** `found` plus the schema id of `value` when it is not known yet (and not in `found`). */
  private unknownIn(value: Uint8Array, found: readonly number[]): readonly number[] {
    if (value.length < 2) return found;
    const id = schemaIdOf(value);
    if (this.values.knows(id) || found.includes(id)) return found;
    return [...found, id];
  }

  /**
   * A stored value (`int16 schemaId ‖ row` in the table's kv format) as a row object in this
   * handle's schema. A value of another schema id is decoded with that schema and mapped by
   * column id (Java `AbstractLookuper` / `FixedSchemaDecoder`): columns added since are null,
   * columns this handle does not know are left out.
   */
  decode(value: Uint8Array): RowObject {
    // the layout of row/value-row.ts (decodeValueWithSchemaId), read without making a view
    if (value.length < 2) throw new FlussError(ErrorCode.CORRUPT_MESSAGE, `a looked-up value has ${value.length} bytes`);
    const schemaId = schemaIdOf(value);
    let row: unknown[];
    try {
      row = this.values.decode(schemaId, value, 2, value.length - 2);
    } catch (e) {
      // the row decoders throw RangeErrors on damaged bytes; users get a FlussError
      if (e instanceof FlussError) throw e;
      throw new FlussError(
        ErrorCode.CORRUPT_MESSAGE,
        `a looked-up value of table ${this.info.tablePath.toString()} cannot be decoded: ${(e as Error).message}`,
        { cause: e },
      );
    }
    return rowObject(this.names, row);
  }
}

const NONE: readonly number[] = Object.freeze([]);

/** The schema id of a stored value (little-endian int16 at its start). */
function schemaIdOf(value: Uint8Array): number {
  return ((value[0]! | (value[1]! << 8)) << 16) >> 16;
}

/** Lookup and close bookkeeping shared by both lookupers. */
abstract class LookuperBase implements AsyncDisposable, LookupOwner {
  private pending = 0;
  private idleWaiters: (() => void)[] = [];
  private closing: Promise<void> | undefined;
  protected readonly client: LookupClient;

  protected constructor(
    protected readonly table: LookupTable,
    private readonly label: string,
  ) {
    this.client = LookupClient.of(table.ctx);
  }

  /** The table looked up. */
  get info(): TableInfo {
    return this.table.info;
  }

  /** Called by the lookup sender (`LookupOwner`); not for applications. */
  partitionGone(q: LookupQuery): void {
    if (q.partitionId !== undefined) this.table.ctx.metadata.forgetPartition(q.partitionId);
    if (q.partitionName !== undefined) this.table.partitions?.forget(q.partitionName);
  }

  /** Called by the lookup sender (`LookupOwner`); not for applications. */
  complete(q: LookupQuery, answer: LookupAnswer): void {
    const missing = this.table.unknownSchemaIds(answer);
    if (missing.length > 0) {
      // values written with a schema this client has not seen yet: fetch it once, then decode
      this.table.schemas.load(missing).then(
        () => this.complete(q, answer),
        (err: unknown) => {
          this.done();
          q.reject(err);
        },
      );
      return;
    }
    this.done();
    let result: unknown;
    try {
      result = this.decodeAnswer(answer);
    } catch (err) {
      q.reject(err);
      return;
    }
    q.resolve(result);
  }

  /** Called by the lookup sender (`LookupOwner`); not for applications. */
  failed(q: LookupQuery, error: FlussError): void {
    this.done();
    q.reject(error);
  }

  /** The caller's result for a server answer (rows decoded). */
  protected abstract decodeAnswer(answer: LookupAnswer): unknown;

  /** Stops taking lookups and resolves once every lookup made so far has completed. */
  close(): Promise<void> {
    if (!this.closing) {
      this.closing = this.closeChildren().then(
        () =>
          new Promise<void>((resolve) => {
            if (this.pending === 0) resolve();
            else this.idleWaiters.push(resolve);
          }),
      );
      this.closing.then(() => this.onClosed());
    }
    return this.closing;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  protected closeChildren(): Promise<void> {
    return Promise.resolve();
  }

  protected onClosed(): void {}

  protected ensureOpen(): void {
    if (this.closing) throw FlussError.client(`this ${this.label} of table ${this.table.info.tablePath.toString()} is closed`);
    if (this.table.ctx.rpc.isClosed) throw FlussError.client(`the connection of this ${this.label} is closed`);
  }

  /** Sends one encoded key (after resolving its partition) and decodes the answer. */
  protected submit(kind: LookupKind, row: readonly unknown[], bucket: number, key: Uint8Array): Promise<unknown> {
    const t = this.table;
    if (!t.partitions) return this.enqueue(kind, undefined, undefined, bucket, key);
    const name = t.partitions.nameOf(row);
    const pid = t.partitions.cached(name);
    if (pid !== undefined) return this.enqueue(kind, pid, name, bucket, key);
    this.pending++;
    return t.partitions.lookup(name).then(
      (id) => {
        this.done();
        // a lookup in a partition that does not exist finds nothing
        if (id === undefined) return this.decodeAnswer(kind === "lookup" ? null : []);
        return this.enqueue(kind, id, name, bucket, key);
      },
      (err: unknown) => {
        this.done();
        throw err;
      },
    );
  }

  private enqueue(
    kind: LookupKind,
    pid: number | undefined,
    partitionName: string | undefined,
    bucket: number,
    key: Uint8Array,
  ): Promise<unknown> {
    this.pending++;
    return new Promise<unknown>((resolve, reject) => {
      this.client.submit(new LookupQuery(kind, this, pid, partitionName, bucket, key, resolve, reject));
    });
  }

  private done(): void {
    if (--this.pending === 0 && this.idleWaiters.length > 0) {
      const waiters = this.idleWaiters;
      this.idleWaiters = [];
      for (const w of waiters) w();
    }
  }
}

/**
 * Looks up rows of a primary-key table by primary key, from `table.newLookup()`.
 *
 * ```ts
 * const lookuper = table.newLookup();
 * const row = await lookuper.lookup({ id: 1 });   // or lookuper.lookup([1]), in primary-key order
 * if (row) console.log(row.name);                 // null when the key is absent
 * const byUser = lookuper.lookupBy(["user_id"]);  // prefix lookup by the bucket key
 * ```
 *
 * The key must hold every primary-key column (partition columns included) and nothing else;
 * a missing, null or ill-typed key column throws a {@link FlussError} (CLIENT_ERROR) naming
 * it at once. Concurrent lookups are batched into few requests (`lookup.*` options). A
 * lookup in a partition that does not exist returns null.
 *
 * `R` is the table's row type and `K` its primary-key column names (see `RowOf`, `KeyOf`):
 * with a typed row, keys are objects of the key columns and rows come back as `R`.
 */
export class Lookuper<R = RowObject, K extends string = string> extends LookuperBase {
  private readonly keyRow: KeyRowBuilder;
  private readonly children = new Set<LookuperBase>();
  private readonly untrack: () => void;

  private constructor(table: LookupTable) {
    super(table, "Lookuper");
    this.keyRow = makeKeyRowBuilder(table.info, table.info.primaryKeys, "primary key");
    this.untrack = table.ctx.track(this);
  }

  /** @internal Use `table.newLookup()`. */
  static create<R = RowObject, K extends string = string>(ctx: ClientContext, info: TableInfo): Lookuper<R, K> {
    if (ctx.rpc.isClosed) throw FlussError.client("the connection of this table is closed");
    if (!info.hasPrimaryKey) {
      throw FlussError.client(
        `table ${info.tablePath.toString()} has no primary key: lookups need a primary-key table (read log tables with newScan())`,
      );
    }
    return new Lookuper<R, K>(new LookupTable(ctx, info));
  }

  /**
   * The row with this primary key as a plain object keyed by column name, or null when
   * there is none. `key` is an object holding the primary-key columns, or their values in
   * primary-key order. Bad keys throw synchronously.
   */
  lookup(key: KeyInputOf<R, K>): Promise<R | null> {
    this.ensureOpen();
    const row = this.keyRow(key);
    const codec = this.table.codec;
    const keyBytes = codec.key(row);
    const bucket = codec.bucket(row, keyBytes);
    return this.submit("lookup", row, bucket, keyBytes) as Promise<R | null>;
  }

  protected decodeAnswer(answer: LookupAnswer): RowObject | null {
    return answer === null ? null : this.table.decode(answer as Uint8Array);
  }

  /**
   * A prefix lookuper by `columns`: the table's bucket key (a strict prefix of the primary
   * key without partition columns), plus every partition column if the table is
   * partitioned. Its `lookup` returns every row whose key starts with the given values.
   * Other columns throw a {@link FlussError} naming them.
   */
  lookupBy<const P extends readonly ColumnName<R>[]>(columns: P): PrefixLookuper<R, P[number]> {
    this.ensureOpen();
    validatePrefixColumns(this.table.info, columns);
    const child = PrefixLookuper.create<R, P[number]>(this.table, columns, () => this.children.delete(child));
    this.children.add(child);
    return child;
  }

  protected override closeChildren(): Promise<void> {
    return Promise.all([...this.children].map((c) => c.close())).then(() => undefined);
  }

  protected override onClosed(): void {
    this.untrack();
  }
}

/**
 * Looks up every row whose bucket key equals a prefix, from `lookuper.lookupBy(columns)`.
 *
 * ```ts
 * const byUser = table.newLookup().lookupBy(["region", "user_id"]);
 * const rows = await byUser.lookup({ region: "US", user_id: 1 });   // [] when none
 * ```
 *
 * `R` is the table's row type and `P` the lookup column names (see `RowOf`).
 */
export class PrefixLookuper<R = RowObject, P extends string = string> extends LookuperBase {
  /** The lookup columns, in the order array keys give them. */
  readonly columns: readonly string[];
  private readonly keyRow: KeyRowBuilder;
  private readonly prefixEncoder: KeyEncoder;
  private readonly bucketKeyIndexes: readonly number[];

  /** @internal Use `lookuper.lookupBy(columns)`. */
  static create<R, P extends string>(table: LookupTable, columns: readonly string[], detach: () => void): PrefixLookuper<R, P> {
    return new PrefixLookuper<R, P>(table, columns, detach);
  }

  private constructor(
    table: LookupTable,
    columns: readonly string[],
    private readonly detach: () => void,
  ) {
    super(table, "PrefixLookuper");
    this.columns = [...columns];
    this.keyRow = makeKeyRowBuilder(table.info, this.columns, "prefix key");
    this.prefixEncoder = prefixKeyEncoder(table.info);
    this.bucketKeyIndexes = table.codec.bucketKeyIndexes;
  }

  /**
   * Every row whose bucket key equals the prefix, as plain objects (in the server's key
   * order), `[]` when none. `prefix` is an object holding the lookup columns, or their
   * values in the order given to `lookupBy`. Bad prefixes throw synchronously.
   */
  lookup(prefix: KeyInputOf<R, P>): Promise<R[]> {
    this.ensureOpen();
    const row = this.keyRow(prefix);
    const idx = this.bucketKeyIndexes;
    const values = new Array<unknown>(idx.length);
    for (let i = 0; i < idx.length; i++) values[i] = row[idx[i]!];
    const keyBytes = this.prefixEncoder.encode(values);
    const bucket = this.table.codec.bucket(row, keyBytes);
    return this.submit("prefix", row, bucket, keyBytes) as Promise<R[]>;
  }

  protected decodeAnswer(answer: LookupAnswer): RowObject[] {
    const values = answer as readonly Uint8Array[];
    const rows = new Array<RowObject>(values.length);
    for (let i = 0; i < values.length; i++) rows[i] = this.table.decode(values[i]!);
    return rows;
  }

  protected override onClosed(): void {
    this.detach();
  }
}

/** Java `PrefixKeyLookuper.java:104` validatePrefixLookup, with the offending columns named. */
function validatePrefixColumns(info: TableInfo, columns: readonly string[]): void {
  const table = info.tablePath.toString();
  if (!Array.isArray(columns) || columns.length === 0) {
    throw FlussError.client(`lookupBy needs the lookup columns of table ${table} (its bucket key ${info.bucketKeys.join(", ")})`);
  }
  const names = new Set(info.rowType.fields.map((f) => f.name));
  const seen = new Set<string>();
  for (const c of columns) {
    if (typeof c !== "string" || !names.has(c)) {
      throw FlussError.client(`lookupBy: unknown column ${JSON.stringify(c)} in table ${table}`);
    }
    if (seen.has(c)) throw FlussError.client(`lookupBy: column "${c}" is given twice`);
    seen.add(c);
  }
  const pk = info.physicalPrimaryKeys;
  const bucketKeys = info.bucketKeys;
  const bucketList = `[${bucketKeys.join(", ")}]`;
  if (bucketKeys.some((k, i) => pk[i] !== k)) {
    throw FlussError.client(
      `cannot prefix-look-up table ${table}: its bucket key ${bucketList} is not a prefix of its primary key [${pk.join(", ")}]`,
    );
  }
  const missingPartitions = info.partitionKeys.filter((k) => !seen.has(k));
  if (missingPartitions.length > 0) {
    throw FlussError.client(
      `lookupBy: the lookup columns of partitioned table ${table} must include the partition column(s) ${missingPartitions.map((k) => `"${k}"`).join(", ")}`,
    );
  }
  const physical = columns.filter((c) => !info.partitionKeys.includes(c));
  const extra = physical.filter((c) => !bucketKeys.includes(c));
  if (extra.length > 0) {
    throw FlussError.client(
      `lookupBy: column(s) ${extra.map((c) => `"${c}"`).join(", ")} are not in the bucket key ${bucketList} of table ${table}; a prefix lookup is by the whole bucket key`,
    );
  }
  const missing = bucketKeys.filter((k) => !seen.has(k));
  if (missing.length > 0) {
    throw FlussError.client(
      `lookupBy: the lookup columns miss bucket-key column(s) ${missing.map((c) => `"${c}"`).join(", ")} of table ${table} (bucket key ${bucketList})`,
    );
  }
  if (physical.some((c, i) => bucketKeys[i] !== c)) {
    throw FlussError.client(`lookupBy: the bucket-key columns must be given in the table's order ${bucketList}`);
  }
  if (bucketKeys.length === pk.length) {
    throw FlussError.client(
      `lookupBy: the bucket key ${bucketList} of table ${table} is its whole primary key: use lookup() instead of a prefix lookup`,
    );
  }
}
