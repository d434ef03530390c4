/**
 * The guide's "Partitioned Primary Key Tables": partition columns are part of the primary
 * key, partitions are created before upserting, and lookups include the partition columns.
 * Runs against FLUSS_BOOTSTRAP_SERVERS or an embedded local cluster.
 */
import * as arrow from "apache-arrow";
import { FlussConnection, Schema, TableDescriptor, TablePath, type RowObject } from "../src/index.js";
import { exampleCluster, runIfMain } from "./cluster.js";

export async function main(bootstrapServers?: string): Promise<{ us: RowObject | null; eu: RowObject | null }> {
  await using cluster = await exampleCluster(bootstrapServers);
  await using conn = await FlussConnection.connect(cluster.config);
  const admin = conn.getAdmin();
  const schema = new Schema(
    new arrow.Schema([
      new arrow.Field("user_id", new arrow.Int32()),
      new arrow.Field("region", new arrow.Utf8()),
      new arrow.Field("score", new arrow.Int64(), true),
    ]),
    { primaryKeys: ["user_id", "region"] },
  );
  const tablePath = new TablePath("fluss", "partitioned_users");
  await admin.createTable(tablePath, new TableDescriptor(schema, { partitionKeys: ["region"] }), { ignoreIfExists: true });
  await admin.createPartition(tablePath, { region: "US" }, { ignoreIfExists: true });

  const table = await conn.getTable(tablePath);
  const writer = table.newUpsert();
  writer.upsert({ user_id: 1, region: "US", score: 1234n });
  await writer.flush();

  // Lookup includes partition columns; a partition that does not exist gives null
  const lookuper = table.newLookup();
  const us = await lookuper.lookup({ user_id: 1, region: "US" });
  const eu = await lookuper.lookup({ user_id: 1, region: "EU" });
  console.table([us]);

  await admin.dropTable(tablePath, { ignoreIfNotExists: true });
  return { us, eu };
}

runIfMain(import.meta.url, main);
