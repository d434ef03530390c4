/**
 * The guide's "Partitioned Tables": create partitions, write rows to them, and read each
 * partition. Runs against FLUSS_BOOTSTRAP_SERVERS or an embedded local cluster.
 */
import * as arrow from "apache-arrow";
import { EARLIEST_OFFSET, FlussConnection, Schema, TableDescriptor, TablePath } from "../src/index.js";
import { exampleCluster, runIfMain } from "./cluster.js";

export async function main(bootstrapServers?: string): Promise<{ partitions: string[]; rows: Record<string, unknown>[] }> {
  await using cluster = await exampleCluster(bootstrapServers);
  await using conn = await FlussConnection.connect(cluster.config);
  const admin = conn.getAdmin();
  const schema = new Schema(
    new arrow.Schema([
      new arrow.Field("id", new arrow.Int32()),
      new arrow.Field("region", new arrow.Utf8()),
      new arrow.Field("value", new arrow.Int64()),
    ]),
  );
  const tablePath = new TablePath("fluss", "partitioned_events");
  await admin.createTable(tablePath, new TableDescriptor(schema, { partitionKeys: ["region"], bucketCount: 1 }), {
    ignoreIfExists: true,
  });

  // Create partitions, then list them
  await admin.createPartition(tablePath, { region: "US" }, { ignoreIfExists: true });
  await admin.createPartition(tablePath, { region: "EU" }, { ignoreIfExists: true });
  const partitionInfos = await admin.listPartitionInfos(tablePath);

  // Write: the partition comes from each row's partition column
  const table = await conn.getTable(tablePath);
  const writer = await table.newAppendWriter();
  writer.append({ id: 1, region: "US", value: 100n });
  writer.append({ id: 2, region: "EU", value: 200n });
  await writer.flush();

  // Read every partition's bucket 0
  const scanner = await table.newScan().createBatchScanner();
  for (const p of partitionInfos) scanner.subscribePartition(p.partitionId, 0, EARLIEST_OFFSET);
  const rows = await scanner.toRows();
  console.table(rows);

  await admin.dropTable(tablePath, { ignoreIfNotExists: true });
  return { partitions: partitionInfos.map((p) => p.partitionName), rows };
}

runIfMain(import.meta.url, main);
