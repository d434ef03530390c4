/**
 * Typed rows: a schema whose row type follows from its columns (`RowOf`), and a table handle
 * typed by it, so that a misspelled column or a value of the wrong type is a compile error.
 * Runs against FLUSS_BOOTSTRAP_SERVERS or an embedded local cluster.
 */
import {
  DataTypes,
  type Decimal,
  FlussConnection,
  type RowOf,
  Schema,
  TableDescriptor,
  TablePath,
  notNull,
} from "../src/index.js";
import { exampleCluster, runIfMain } from "./cluster.js";

const orders = Schema.fromColumns(
  [
    { name: "id", type: DataTypes.INT() },
    { name: "customer", type: DataTypes.STRING() },
    { name: "amount", type: DataTypes.DECIMAL(10, 2) },
    { name: "qty", type: notNull(DataTypes.BIGINT()) },
  ],
  ["id"],
);

/** `{ id: number; customer: string | null; amount: Decimal | null; qty: bigint }` */
export type Order = RowOf<typeof orders>;

export interface TypedRowsExampleResult {
  readonly order: Order | null;
  readonly total: Decimal | null;
  readonly rows: Order[];
}

export async function main(bootstrapServers?: string): Promise<TypedRowsExampleResult> {
  await using cluster = await exampleCluster(bootstrapServers);
  await using conn = await FlussConnection.connect(cluster.config);
  const admin = conn.getAdmin();
  const tablePath = new TablePath("fluss", "typed_orders");
  await admin.createTable(tablePath, new TableDescriptor(orders, { bucketCount: 2 }), { ignoreIfExists: true });

  // Checks that the table has these columns, then types everything made from it
  const table = await conn.getTable(tablePath, orders);

  const writer = table.newUpsert();
  writer.upsert({ id: 1, customer: "Alice", amount: "19.99", qty: 2n }); // DECIMAL from text
  writer.upsert({ id: 2, qty: 1 }); // nullable columns may be left out; BIGINT from a number
  // writer.upsert({ id: 3, qyt: 1n });  would not compile: no column "qyt"
  await writer.flush();

  const order = await table.newLookup().lookup({ id: 1 }); // Order | null
  const total = order?.amount ?? null; // Decimal | null
  if (order) console.log(`${order.customer ?? "?"} ordered ${order.qty} for ${order.amount?.toString() ?? "?"}`);

  const rows = await (await table.newScan().createSnapshotScanner()).toRows(); // Order[]
  rows.sort((a, b) => a.id - b.id);
  console.table(rows);

  await admin.dropTable(tablePath, { ignoreIfNotExists: true });
  return { order, total, rows };
}

runIfMain(import.meta.url, main);
