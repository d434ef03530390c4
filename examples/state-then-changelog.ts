/**
 * "Read the state, then follow the changelog": bootstrap an in-memory cache from what a
 * primary-key table holds now, then keep it up to date from the changelog, starting
 * exactly where the state ends — while another writer keeps changing the table. Runs
 * against FLUSS_BOOTSTRAP_SERVERS or an embedded local cluster.
 */
import { DataTypes, FlussConnection, OffsetSpec, Schema, TableDescriptor, TablePath, notNull } from "../src/index.js";
import { exampleCluster, runIfMain } from "./cluster.js";

export async function main(bootstrapServers?: string): Promise<{
  snapshotRows: number;
  changesApplied: number;
  cache: Record<string, bigint>;
  table: Record<string, bigint>;
}> {
  await using cluster = await exampleCluster(bootstrapServers);
  await using conn = await FlussConnection.connect(cluster.config);
  const admin = conn.getAdmin();
  const schema = Schema.fromColumns(
    [
      { name: "item", type: notNull(DataTypes.STRING()) },
      { name: "qty", type: DataTypes.BIGINT() },
    ],
    ["item"],
  );
  const tablePath = new TablePath("fluss", "inventory");
  await admin.dropTable(tablePath, { ignoreIfNotExists: true });
  await admin.createTable(tablePath, new TableDescriptor(schema, { bucketCount: 2 }));
  const table = await conn.getTable(tablePath);

  const writer = table.newUpsert();
  for (let i = 0; i < 100; i++) writer.upsert({ item: `item-${i}`, qty: 10n });
  await writer.flush();

  // Someone keeps changing the table while we read it
  const changes = (async () => {
    for (let round = 0; round < 20; round++) {
      writer.upsert({ item: `item-${(round * 7) % 100}`, qty: BigInt(round) });
      writer.upsert({ item: `new-${round}`, qty: 1n });
      if (round % 4 === 0) writer.delete({ item: `item-${round}` });
      await writer.flush();
    }
  })();

  // 1. The state: every current row, each bucket as of one moment
  const snapshot = await table.newScan().createSnapshotScanner();
  const cache = new Map<string, bigint>();
  for (const row of await snapshot.toRows()) cache.set(row.item as string, row.qty as bigint);
  const snapshotRows = cache.size;

  // 2. The changelog from exactly where each bucket's state ends: no change missed, none twice
  const log = await table.newScan().createLogScanner();
  await log.subscribeBuckets(snapshot.offsets());
  await changes;
  const end = await admin.listOffsets(tablePath, [0, 1], OffsetSpec.latest());
  const start = snapshot.offsets();
  const position: Record<number, number> = { 0: start[0]!, 1: start[1]! };
  let changesApplied = 0;
  while (position[0]! < end[0]! || position[1]! < end[1]!) {
    for (const group of (await log.poll(5000)).groups()) {
      for (const record of group.records) {
        const kind = record.changeType.shortString();
        if (kind === "+I" || kind === "+U") cache.set(record.row.item as string, record.row.qty as bigint);
        else if (kind === "-D") cache.delete(record.row.item as string);
        changesApplied++;
        position[group.bucket.bucket] = record.offset + 1;
      }
    }
  }
  await log.close();

  // The cache now equals the table
  const now: Record<string, bigint> = {};
  for (const row of await (await table.newScan().createSnapshotScanner()).toRows()) now[row.item as string] = row.qty as bigint;
  console.log(`${snapshotRows} rows from the snapshot, then ${changesApplied} changes from the changelog: ${cache.size} rows`);

  await admin.dropTable(tablePath, { ignoreIfNotExists: true });
  return { snapshotRows, changesApplied, cache: Object.fromEntries(cache), table: now };
}

runIfMain(import.meta.url, main);
