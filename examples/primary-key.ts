/**
 * The guide's "Primary Key Tables": create a table with a primary key, upsert, delete,
 * look up, and update some columns only. Runs against FLUSS_BOOTSTRAP_SERVERS or an embedded
 * local cluster.
 */
import * as arrow from "apache-arrow";
import { FlussConnection, Schema, TableDescriptor, TablePath, type RowObject } from "../src/index.js";
import { exampleCluster, runIfMain } from "./cluster.js";

export interface PrimaryKeyExampleResult {
  readonly alice: RowObject | null;
  readonly bob: RowObject | null;
  readonly charlie: RowObject | null;
  readonly aliceAfterPartialUpdate: RowObject | null;
}

export async function main(bootstrapServers?: string): Promise<PrimaryKeyExampleResult> {
  await using cluster = await exampleCluster(bootstrapServers);
  await using conn = await FlussConnection.connect(cluster.config);
  const admin = conn.getAdmin();

  // Creating: primary keys are given beside the Arrow schema
  const schema = new Schema(
    new arrow.Schema([
      new arrow.Field("id", new arrow.Int32()),
      new arrow.Field("name", new arrow.Utf8(), true),
      new arrow.Field("age", new arrow.Int64(), true),
    ]),
    { primaryKeys: ["id"] },
  );
  const tablePath = new TablePath("fluss", "users");
  await admin.createTable(tablePath, new TableDescriptor(schema, { bucketCount: 3 }), { ignoreIfExists: true });
  const table = await conn.getTable(tablePath);

  // Upsert (fire-and-forget, flush at the end)
  const writer = table.newUpsert();
  writer.upsert({ id: 1, name: "Alice", age: 25n });
  writer.upsert({ id: 2, name: "Bob", age: 30n });
  await writer.flush();

  // Per-record acknowledgment (for read-after-write)
  await writer.upsert({ id: 3, name: "Charlie", age: 35n }).wait();

  // Delete by primary key
  await writer.delete({ id: 2 }).wait();

  // Lookup: the row as a plain object, or null
  const lookuper = table.newLookup();
  const alice = await lookuper.lookup({ id: 1 });
  if (alice) console.log(`Found: name=${String(alice.name)}, age=${String(alice.age)}`);
  const bob = await lookuper.lookup({ id: 2 });
  const charlie = await lookuper.lookup([3]);

  // Partial update: only `age` changes, `name` is kept
  const partialWriter = table.newUpsert({ columns: ["id", "age"] });
  partialWriter.upsert({ id: 1, age: 27n });
  await partialWriter.flush();
  const aliceAfterPartialUpdate = await lookuper.lookup({ id: 1 });
  console.table([aliceAfterPartialUpdate]);

  await admin.dropTable(tablePath, { ignoreIfNotExists: true });
  return { alice, bob, charlie, aliceAfterPartialUpdate };
}

runIfMain(import.meta.url, main);
