/**
 * The guide's "Admin Operations": databases, tables, offsets and servers.
 * Runs against FLUSS_BOOTSTRAP_SERVERS or an embedded local cluster.
 */
import * as arrow from "apache-arrow";
import { FlussConnection, OffsetSpec, Schema, TableDescriptor, TablePath } from "../src/index.js";
import { exampleCluster, runIfMain } from "./cluster.js";

export async function main(
  bootstrapServers?: string,
): Promise<{ databases: string[]; tables: string[]; offsets: Record<number, number> }> {
  await using cluster = await exampleCluster(bootstrapServers);
  await using conn = await FlussConnection.connect(cluster.config);
  const admin = conn.getAdmin();

  // Databases
  await admin.createDatabase("my_database", { ignoreIfExists: true });
  const databases = await admin.listDatabases();
  console.log("databases:", databases.join(", "), "| my_database exists:", await admin.databaseExists("my_database"));

  // Tables
  const schema = new Schema(
    new arrow.Schema([
      new arrow.Field("id", new arrow.Int32()),
      new arrow.Field("name", new arrow.Utf8()),
      new arrow.Field("amount", new arrow.Int64()),
    ]),
  );
  const tablePath = new TablePath("my_database", "my_table");
  await admin.createTable(tablePath, new TableDescriptor(schema, { bucketCount: 2, comment: "example" }), {
    ignoreIfExists: true,
  });
  const info = await admin.getTableInfo(tablePath);
  console.log(
    `table ${info.tablePath.toString()}: id ${info.tableId}, ${info.numBuckets} buckets, columns ${info.schema.columnNames.join(", ")}`,
  );
  const tables = await admin.listTables("my_database");

  // Offsets
  const offsets = await admin.listOffsets(tablePath, [0, 1], OffsetSpec.latest());
  console.log("latest offsets:", offsets);

  // Servers
  for (const node of await admin.getServerNodes()) console.log(`${node.serverType} ${node.uid} at ${node.host}:${node.port}`);

  await admin.dropTable(tablePath, { ignoreIfNotExists: true });
  await admin.dropDatabase("my_database", { ignoreIfNotExists: true, cascade: true });
  return { databases, tables, offsets };
}

runIfMain(import.meta.url, main);
