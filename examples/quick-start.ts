/**
 * The guide's quick start: connect, create a log table, write rows, read them back.
 *
 * Runs against the cluster in FLUSS_BOOTSTRAP_SERVERS when set, otherwise against an
 * embedded local cluster it starts (and stops) itself: `npm start`.
 */
import * as arrow from "apache-arrow";
import { EARLIEST_OFFSET, FlussConnection, Schema, TableDescriptor, TablePath } from "../src/index.js";
import { exampleCluster, runIfMain } from "./cluster.js";
import { formatTable } from "../src/cli/format.js";

export async function main(bootstrapServers?: string): Promise<Record<string, unknown>[]> {
  await using cluster = await exampleCluster(bootstrapServers);
  // Connect
  const config = cluster.config;
  await using conn = await FlussConnection.connect(config);
  const admin = conn.getAdmin();

  // Create a log table
  const schema = new Schema(
    new arrow.Schema([
      new arrow.Field("id", new arrow.Int32()),
      new arrow.Field("name", new arrow.Utf8()),
      new arrow.Field("score", new arrow.Float32()),
    ]),
  );
  const tablePath = new TablePath("fluss", "quick_start");
  await admin.createTable(tablePath, new TableDescriptor(schema), { ignoreIfExists: true });

  // Write
  const table = await conn.getTable(tablePath);
  const writer = await table.newAppendWriter();
  writer.append({ id: 1, name: "Alice", score: 95.5 });
  writer.append({ id: 2, name: "Bob", score: 87.0 });
  await writer.flush();

  // Read
  const numBuckets = (await admin.getTableInfo(tablePath)).numBuckets;
  const scanner = await table.newScan().createBatchScanner();
  const start: Record<number, number> = {};
  for (let b = 0; b < numBuckets; b++) start[b] = EARLIEST_OFFSET;
  scanner.subscribeBuckets(start);
  const rows = await scanner.toRows();
  console.log(formatTable(rows));

  // Cleanup
  await admin.dropTable(tablePath, { ignoreIfNotExists: true });
  return rows;
}

runIfMain(import.meta.url, main);
