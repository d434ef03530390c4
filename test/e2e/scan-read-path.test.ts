/**
 * The scan read path under the fetch sizes that cut batches: several buckets whose batches
 * are larger than `scanner.log.fetch.max-bytes-for-bucket`, read whole by `toArrow`,
 * `pollBatches` and the record scanner.
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import * as arrow from "apache-arrow";
import { EARLIEST_OFFSET, Schema, TableDescriptor, TablePath, type FlussConnection, type FlussTable } from "../../src/index.js";
import { closeTestDatabase, openTestDatabase, uniqueName, type TestCluster } from "../helpers/cluster.js";

const BUCKETS = 4;
const BATCH_ROWS = 8_000;
const BATCHES = 12;
/** Rows of the second table: one batch per bucket. */
const SINGLE = BUCKETS;

function batch(start: number): arrow.RecordBatch {
  const ids = new BigInt64Array(BATCH_ROWS);
  const pad: string[] = [];
  for (let i = 0; i < BATCH_ROWS; i++) {
    ids[i] = BigInt(start + i);
    pad.push(`row-${start + i}-${"x".repeat(8)}`);
  }
  const t = new arrow.Table({ id: arrow.makeVector(ids), pad: arrow.vectorFromArray(pad, new arrow.Utf8()) });
  return t.batches[0]!;
}

describe("scan read path (e2e)", () => {
  let cluster: TestCluster;
  let conn: FlussConnection;
  let table: FlussTable;
  const db = uniqueName("readpath_db");
  const total = BATCH_ROWS * BATCHES;
  // batches of ~200 KB against a 64 KiB per-bucket limit: every bucket's first answer is cut
  const small = { "scanner.log.fetch.max-bytes-for-bucket": 64 * 1024, "writer.bucket.no-key-assigner": "round_robin" };

  before(async () => {
    ({ cluster, conn } = await openTestDatabase(db, small));
    table = await createTable("t", BUCKETS, BATCHES);
  });
  after(async () => closeTestDatabase(cluster, conn, db));

  /** A table of `buckets` buckets (id BIGINT, pad STRING, no compression) holding `batches` batches of `batch()`. */
  async function createTable(name: string, buckets: number, batches: number): Promise<FlussTable> {
    const schema = new Schema(
      new arrow.Schema([new arrow.Field("id", new arrow.Int64(), false), new arrow.Field("pad", new arrow.Utf8(), true)]),
    );
    const path = new TablePath(db, name);
    await conn
      .getAdmin()
      .createTable(
        path,
        new TableDescriptor(schema, { bucketCount: buckets, properties: { "table.log.arrow.compression.type": "NONE" } }),
      );
    const t = await conn.getTable(path);
    const writer = t.newAppendWriter();
    for (let b = 0; b < batches; b++) writer.writeArrowBatch(batch(b * BATCH_ROWS));
    await writer.flush();
    await writer.close();
    return t;
  }

  const subscribeAll = async (s: { subscribeBuckets(o: Record<number, number>): Promise<void> }) => {
    const o: Record<number, number> = {};
    for (let b = 0; b < BUCKETS; b++) o[b] = EARLIEST_OFFSET;
    await s.subscribeBuckets(o);
  };
  const sortedIds = (ids: Iterable<bigint>): bigint[] => [...ids].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const expected = Array.from({ length: total }, (_, i) => BigInt(i));

  test("toArrow returns every row of buckets whose first answers hold only cut batches", async () => {
    // one batch per bucket: a bucket answered with only a cut batch once passed for empty
    const single = await createTable("single", BUCKETS, SINGLE);
    for (const [t, rows] of [
      [single, SINGLE * BATCH_ROWS],
      [table, total],
    ] as const) {
      for (let run = 0; run < 3; run++) {
        await using scanner = await t.newScan().createBatchScanner();
        await subscribeAll(scanner);
        const got = await scanner.toArrow();
        assert.equal(got.numRows, rows);
        assert.deepEqual(sortedIds(got.getChild("id")!.toArray() as BigInt64Array), expected.slice(0, rows));
      }
    }
  });

  test("fetched Arrow columns are views of the received bytes, not copies (1 bucket)", async () => {
    const one = await createTable("aligned", 1, 6);
    await using scanner = await one.newScan().createBatchScanner();
    await scanner.subscribe(0, EARLIEST_OFFSET);
    const t = await scanner.toArrow();
    assert.equal(t.numRows, 6 * BATCH_ROWS);
    for (const b of t.batches) {
      const values = b.getChild("id")!.data[0]!.values as BigInt64Array;
      // a copied (misaligned) column gets an ArrayBuffer of its own, exactly its size
      assert.ok(values.buffer.byteLength > values.byteLength, "the int64 column shares the response's buffer");
    }
  });

  test("concurrent scans read intact batches (pooled server read buffers are reused only once sent)", async () => {
    // every batch is CRC-checked by the scanner: a buffer reused before its bytes left would show
    const scans = Array.from({ length: 4 }, async () => {
      await using scanner = await table.newScan().createBatchScanner();
      await subscribeAll(scanner);
      const t = await scanner.toArrow();
      return sortedIds(t.getChild("id")!.toArray() as BigInt64Array);
    });
    for (const ids of await Promise.all(scans)) assert.deepEqual(ids, expected);
  });

  test("pollBatches and the record scanner read every row once", async () => {
    await using scanner = await table.newScan().createBatchScanner();
    await subscribeAll(scanner);
    const ids: bigint[] = [];
    while (ids.length < total)
      for (const b of await scanner.pollBatches(5_000)) ids.push(...(b.batch.getChild("id")!.toArray() as BigInt64Array));
    assert.deepEqual(sortedIds(ids), expected);

    await using records = await table.newScan().createLogScanner();
    await subscribeAll(records);
    const seen: bigint[] = [];
    while (seen.length < total) for (const r of await records.poll(5_000)) seen.push(r.row.id as bigint);
    assert.deepEqual(sortedIds(seen), expected);
  });
});
