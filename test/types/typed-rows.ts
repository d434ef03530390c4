/**
 * Type tests of typed rows: compiled by `npm run typecheck` (tsconfig.check.json covers
 * test/), never run. Each `@ts-expect-error` line must be a compile error — when one
 * compiles, tsc fails with "Unused '@ts-expect-error' directive" — and each `Expect<Equal<...>>`
 * must hold, so CI fails when an expectation breaks.
 */
import {
  type Decimal,
  DataTypes,
  type DataType,
  type FlussConnection,
  type FlussTable,
  type KeyOf,
  notNull,
  type RowInputOf,
  type RowObject,
  type RowOf,
  type ScanRecord,
  Schema,
  type Timestamp,
  type ValueOf,
} from "../../src/index.js";

/** True when A and B are the same type (not merely assignable). */
type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
/** Compiles only for `true`. */
type Expect<T extends true> = T;
/** The same inside a function body: `check<Equal<A, B>>()`. */
function check<_T extends true>(): void {}

// ---- the row type follows the schema -------------------------------------------------------

const orders = Schema.fromColumns(
  [
    { name: "id", type: DataTypes.INT() },
    { name: "name", type: DataTypes.STRING() },
    { name: "amount", type: DataTypes.DECIMAL(10, 2) },
    { name: "qty", type: notNull(DataTypes.BIGINT()) },
    { name: "day", type: DataTypes.DATE() },
    { name: "at", type: DataTypes.TIMESTAMP_LTZ(3) },
    { name: "t", type: DataTypes.TIME() },
    { name: "ok", type: DataTypes.BOOLEAN() },
    { name: "raw", type: DataTypes.BYTES() },
    { name: "tags", type: DataTypes.ARRAY(notNull(DataTypes.STRING())) },
    { name: "attrs", type: DataTypes.MAP(DataTypes.STRING(), DataTypes.DOUBLE()) },
    {
      name: "addr",
      type: DataTypes.ROW([DataTypes.FIELD("city", notNull(DataTypes.STRING())), DataTypes.FIELD("zip", DataTypes.INT())]),
    },
  ],
  ["id"],
);
type Order = RowOf<typeof orders>;

export type RowTests = [
  Expect<
    Equal<
      Order,
      {
        id: number; // primary key: NOT NULL
        name: string | null;
        amount: Decimal | null;
        qty: bigint; // NOT NULL
        day: Date | null;
        at: Timestamp | null;
        t: number | null;
        ok: boolean | null;
        raw: Uint8Array | null;
        tags: string[] | null;
        attrs: Map<string, number | null> | null;
        addr: { city: string; zip: number | null } | null;
      }
    >
  >,
  Expect<Equal<KeyOf<typeof orders>, { id: number }>>,
  Expect<Equal<ValueOf<ReturnType<typeof DataTypes.FLOAT>>, number | null>>,
  Expect<Equal<ValueOf<ReturnType<typeof DataTypes.CHAR>>, string | null>>,
  Expect<Equal<ValueOf<ReturnType<typeof DataTypes.TIMESTAMP>>, Timestamp | null>>,
  // a log table: no key; nullability from the types alone
  Expect<Equal<RowOf<ReturnType<typeof logSchema>>, { ts: bigint; msg: string | null }>>,
  // the builder types the schema the same way, primary key included
  Expect<Equal<RowOf<typeof users>, { region: string; id: bigint; name: string | null }>>,
  Expect<Equal<KeyOf<typeof users>, { region: string; id: bigint }>>,
  // schemas known only at run time stay loose
  Expect<Equal<RowOf<Schema>, RowObject>>,
];

function logSchema() {
  return Schema.fromColumns([
    { name: "ts", type: notNull(DataTypes.BIGINT()) },
    { name: "msg", type: DataTypes.STRING() },
  ]);
}

const users = Schema.builder()
  .column("region", DataTypes.STRING())
  .column("id", DataTypes.BIGINT())
  .column("name", DataTypes.STRING())
  .primaryKey("region", "id")
  .build();

// @ts-expect-error a primary-key column that is not a column
Schema.fromColumns([{ name: "id", type: DataTypes.INT() }], ["idd"]);
// @ts-expect-error the builder checks primary-key names too
Schema.builder().column("id", DataTypes.INT()).primaryKey("idd");
// primary-key names known only at run time are checked at run time
export const dynamicKey = (names: string[]) => Schema.builder().column("id", DataTypes.INT()).primaryKey(names);

// ---- writers, lookups and scans of a typed table --------------------------------------------

export async function typedTable(conn: FlussConnection): Promise<void> {
  const table = await conn.getTable("db.orders", orders);
  check<Equal<typeof table, FlussTable<Order, "id">>>();

  const writer = table.newUpsert();
  writer.upsert({ id: 1, qty: 2n, name: "a", amount: "12.34" }); // nullable columns may be left out
  writer.upsert({ id: 1, qty: 2, amount: 12.5, day: "2024-02-29", at: new Date(), tags: ["x"], attrs: { a: 1 } });
  writer.upsert({ id: 2, qty: 1n, addr: { city: "Berlin" } });
  // @ts-expect-error unknown column
  writer.upsert({ id: 1, qty: 2n, nmae: "a" });
  // @ts-expect-error wrong value type
  writer.upsert({ id: "1", qty: 2n });
  // @ts-expect-error a NOT NULL column is missing
  writer.upsert({ id: 1 });
  // @ts-expect-error null for a NOT NULL column
  writer.upsert({ id: 1, qty: null });
  // @ts-expect-error a nested ROW field of the wrong type
  writer.upsert({ id: 1, qty: 1n, addr: { city: 5 } });
  // @ts-expect-error typed rows are objects, not arrays in column order
  writer.upsert([1, "a"]);

  writer.delete({ id: 1 });
  // @ts-expect-error a delete takes the key columns
  writer.delete({ name: "a" });
  // @ts-expect-error a key value of the wrong type
  writer.delete({ id: "1" });

  const partial = table.newUpsert({ columns: ["id", "name"] });
  partial.upsert({ id: 1, name: "b" });
  // @ts-expect-error not a column of this partial update
  partial.upsert({ id: 1, name: "b", qty: 3n });
  // @ts-expect-error not a column of the table
  table.newUpsert({ columns: ["id", "nmae"] });

  const lookuper = table.newLookup();
  const found = await lookuper.lookup({ id: 1 });
  check<Equal<typeof found, Order | null>>();
  // @ts-expect-error a lookup key holds the key columns
  await lookuper.lookup({ idd: 1 });
  // @ts-expect-error wrong key type
  await lookuper.lookup({ id: 1n });
  if (found) {
    const n: number = found.id;
    // @ts-expect-error a nullable column must be checked for null
    const s: string = found.name;
    void [n, s];
  }

  const scanner = await table.newScan().createLogScanner();
  for (const r of await scanner.poll(100)) {
    check<Equal<typeof r, ScanRecord<Order>>>();
    const q: bigint = r.row.qty;
    void q;
  }
  for await (const r of scanner) {
    check<Equal<typeof r.row, Order>>();
    break;
  }
  const projected = await table.newScan().projectByName(["id", "name"]).createLogScanner();
  for (const r of await projected.poll(100)) {
    check<Equal<typeof r.row, { id: number; name: string | null }>>();
  }
  // @ts-expect-error not a column
  table.newScan().projectByName(["id", "nmae"]);

  const rows = await (await table.newScan().createSnapshotScanner()).toRows();
  check<Equal<typeof rows, Order[]>>();
  const bucketRows = await (await table.newScan().createBucketScanner(0)).toRows();
  check<Equal<typeof bucketRows, Order[]>>();
}

export async function prefixLookups(conn: FlussConnection): Promise<void> {
  const table = await conn.getTable("db.users", users);
  const byRegion = table.newLookup().lookupBy(["region"]);
  const rows = await byRegion.lookup({ region: "US" });
  check<Equal<typeof rows, RowOf<typeof users>[]>>();
  // @ts-expect-error the prefix is the lookup columns
  await byRegion.lookup({ id: 1n });
  // @ts-expect-error not a column
  table.newLookup().lookupBy(["regoin"]);
}

// ---- a row type given by hand ---------------------------------------------------------------

interface Event {
  id: number;
  kind: string;
  note: string | null;
}

export async function declaredRowType(conn: FlussConnection): Promise<void> {
  const table = await conn.getTable<Event>("db.events");
  const writer = table.newAppendWriter();
  writer.append({ id: 1, kind: "click" });
  // @ts-expect-error a NOT NULL (non-nullable) property is missing
  writer.append({ id: 1 });
  // @ts-expect-error wrong value type
  writer.append({ id: 1, kind: 2 });
  check<Equal<RowInputOf<Event>, { readonly id: number; readonly kind: string; readonly note?: string | null | undefined }>>();
  const batch = await table.newScan().createBatchScanner();
  const all = await batch.toRows();
  check<Equal<typeof all, Event[]>>();
  const keyed = await conn.getTable<Event, "id">("db.events");
  const hit = await keyed.newLookup().lookup({ id: 1 });
  check<Equal<typeof hit, Event | null>>();
}

// ---- untyped usage compiles as before -------------------------------------------------------

// a builder used without chaining, or with names known only at run time, gives a loose schema
export function unchainedBuilder(): Schema {
  const b = Schema.builder();
  b.column("id", DataTypes.INT());
  b.column("name", DataTypes.STRING());
  b.primaryKey("id");
  const s = b.build();
  check<Equal<RowOf<typeof s>, RowObject>>();
  return s;
}
export function runtimeColumns(cols: { name: string; type: DataType }[], pk: string[]): Schema {
  const b = Schema.builder();
  for (const c of cols) b.column(c.name, c.type);
  const s = b.primaryKey(pk).build();
  check<Equal<RowOf<typeof s>, RowObject>>();
  const t = Schema.fromColumns(cols, pk);
  check<Equal<RowOf<typeof t>, RowObject>>();
  let any: Schema = s;
  any = orders; // a typed schema is a Schema
  return any;
}

export async function untyped(conn: FlussConnection): Promise<void> {
  const table = await conn.getTable("db.any");
  check<Equal<typeof table, FlussTable>>();
  table.newAppendWriter().append({ anything: 1 });
  table.newAppendWriter().append([1, "a"]);
  const w = table.newUpsert({ columns: ["id", 2] });
  w.upsert({ id: 1, whatever: "x" });
  w.delete([1]);
  const row = await table.newLookup().lookup([1]);
  check<Equal<typeof row, RowObject | null>>();
  const prefix = await table.newLookup().lookupBy(["a"]).lookup({ a: 1 });
  check<Equal<typeof prefix, RowObject[]>>();
  for (const r of await (await table.newScan().project([0]).createLogScanner()).poll(1)) {
    check<Equal<typeof r.row, Record<string, unknown>>>();
  }
}
