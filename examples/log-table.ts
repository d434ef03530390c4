/**
 * The guide's "Log Tables": writing rows (objects, arrays), per-record acknowledgment,
 * bulk Arrow writes, one-shot batch reads, polling, subscribing from the latest offset,
 * and column projection. Runs against FLUSS_BOOTSTRAP_SERVERS or an embedded local cluster.
 */
import * as arrow from "apache-arrow";
import { EARLIEST_OFFSET, FlussConnection, LATEST_OFFSET, Schema, TableDescriptor, TablePath } from "../src/index.js";
import { exampleCluster, runIfMain } from "./cluster.js";
import { formatTable } from "../src/cli/format.js";

export interface LogTableExampleResult {
  all: Record<string, unknown>[];
  polled: { offset: number; change: string; row: Record<string, unknown> }[];
  latest: Record<string, unknown>[];
  projected: string[];
}

export async function main(bootstrapServers?: string): Promise<LogTableExampleResult> {
  await using cluster = await exampleCluster(bootstrapServers);
  await using conn = await FlussConnection.connect(cluster.config);
  const admin = conn.getAdmin();
  const arrowSchema = new arrow.Schema([
    new arrow.Field("id", new arrow.Int32()),
    new arrow.Field("name", new arrow.Utf8()),
    new arrow.Field("score", new arrow.Float32()),
  ]);
  const tablePath = new TablePath("fluss", "log_table_example");
  await admin.createTable(tablePath, new TableDescriptor(new Schema(arrowSchema), { bucketCount: 1 }), {
    ignoreIfExists: true,
  });
  const table = await conn.getTable(tablePath);

  // --- Writing -----------------------------------------------------------------------
  const writer = await table.newAppendWriter();
  // Fire-and-forget: queue writes, flush at the end
  writer.append({ id: 1, name: "Alice", score: 95.5 });
  writer.append([2, "Bob", 87.0]);
  await writer.flush();
  // Per-record acknowledgment
  const handle = writer.append({ id: 3, name: "Charlie", score: 91.0 });
  await handle.wait();
  // Bulk writes: an apache-arrow Table, or one RecordBatch
  const bulk = arrow.tableFromArrays({
    id: Int32Array.from([4, 5]),
    name: ["Dana", "Eve"],
    score: Float32Array.from([77.5, 64.0]),
  });
  writer.writeArrow(bulk);
  writer.writeArrowBatch(bulk.batches[0]!);
  await writer.flush();

  // --- Batch read (one-shot): everything up to the latest offset -----------------------
  const batchScanner = await table.newScan().createBatchScanner();
  batchScanner.subscribeBuckets({ 0: EARLIEST_OFFSET });
  const all = await batchScanner.toRows();
  console.log(formatTable(all));

  // --- Continuous polling with the record scanner ---------------------------------------
  const logScanner = await table.newScan().createLogScanner();
  logScanner.subscribe(0, EARLIEST_OFFSET);
  const polled: LogTableExampleResult["polled"] = [];
  while (polled.length < all.length) {
    for (const record of await logScanner.poll(5000)) {
      polled.push({ offset: record.offset, change: record.changeType.shortString(), row: record.row });
    }
  }
  console.log(polled.map((r) => `offset=${r.offset}, change=${r.change}, row=${JSON.stringify(r.row)}`).join("\n"));

  // --- Subscribe from the latest offset: only records written from now on ----------------
  const tail = await table.newScan().createLogScanner();
  tail.subscribe(0, LATEST_OFFSET);
  await tail.poll(0); // resolves LATEST before anything new is written
  await writer.append({ id: 6, name: "Frank", score: 70.0 }).wait();
  const latest: Record<string, unknown>[] = [];
  while (latest.length < 1) for (const r of await tail.poll(5000)) latest.push(r.row);

  // --- Column projection -------------------------------------------------------------------
  const projectedScanner = await table.newScan().projectByName(["id", "score"]).createBatchScanner();
  projectedScanner.subscribe(0, EARLIEST_OFFSET);
  const projected = (await projectedScanner.toArrow()).schema.fields.map((f) => f.name);

  await admin.dropTable(tablePath, { ignoreIfNotExists: true });
  return { all, polled, latest, projected };
}

runIfMain(import.meta.url, main);
