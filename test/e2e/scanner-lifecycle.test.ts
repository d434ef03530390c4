/**
 * Scanner lifecycle: what happens around the happy path (breaking out of loops, tables
 * dropped under a scanner, misuse, corrupt data, `await using`).
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import {
  EARLIEST_OFFSET,
  ErrorCode,
  FlussError,
  TablePath,
  type FlussAdmin,
  type FlussConnection,
  type FlussTable,
  type TableInfo,
} from "../../src/index.js";
import { ApiKey } from "../../src/rpc/api-keys.js";
import { ServerConnection } from "../../src/rpc/server-connection.js";
import { ArrowBatchBuilder } from "../../src/record/arrow/arrow-writer.js";
import { buildArrowLogBatch } from "../../src/record/arrow/arrow-log.js";
import { buildIndexedLogBatch } from "../../src/record/indexed-log.js";
import { crc32c } from "../../src/record/crc32c.js";
import { logBatchLayout } from "../../src/record/log-batch.js";
import { createTestTable, type TestTableOptions } from "../helpers/tables.js";
import { startTestCluster, uniqueName, type TestCluster } from "../helpers/cluster.js";

type Row = [number, string | null, bigint];
const rowsFrom = (start: number, n: number): Row[] =>
  Array.from({ length: n }, (_, i) => [start + i, `n${start + i}`, BigInt((start + i) * 10)] as Row);

function isFlussError(code: number, pattern?: RegExp): (err: unknown) => boolean {
  return (err: unknown) => {
    assert.ok(err instanceof FlussError, `expected FlussError, got ${String(err)}`);
    assert.equal(err.code, code, `expected code ${code}, got ${err.code} (${err.name}: ${err.message})`);
    if (pattern) assert.match(err.message, pattern);
    return true;
  };
}

/** Builds one log batch of `rows` in the table's format. */
function logBatch(info: TableInfo, rows: Row[]): Uint8Array {
  if (info.logFormat === "ARROW") {
    const b = new ArrowBatchBuilder(info.rowType);
    for (const r of rows) b.append(r);
    return buildArrowLogBatch({ body: b.build(), recordCount: rows.length, schemaId: info.schemaId, appendOnly: true });
  }
  return buildIndexedLogBatch({ rowType: info.rowType, rows, schemaId: info.schemaId, appendOnly: true, format: info.logFormat });
}

/** Overwrites bytes of a batch's records and fixes its CRC, so that only decoding can tell. */
function corrupt(batch: Uint8Array, at: number, bytes: number[]): Uint8Array {
  const layout = logBatchLayout(batch[12]!);
  batch.set(bytes, layout.headerSize + at);
  new DataView(batch.buffer, batch.byteOffset).setUint32(layout.crc, crc32c(batch, layout.schemaId, batch.length), true);
  return batch;
}

describe("scanner lifecycle (e2e)", () => {
  let cluster: TestCluster;
  let conn: FlussConnection;
  let admin: FlussAdmin;
  let raw: ServerConnection;
  const db = uniqueName("scan_life");

  /** Appends one batch to one bucket with a raw ProduceLog (acks=-1). */
  async function produceRaw(info: TableInfo, bucket: number, records: Uint8Array): Promise<number> {
    const resp = await raw.request(ApiKey.PRODUCE_LOG, {
      acks: -1,
      tableId: info.tableId,
      timeoutMs: 10_000,
      bucketsReq: [{ bucketId: bucket, records }],
    });
    const b = resp.bucketsResp[0]!;
    assert.equal(b.errorCode ?? 0, 0, `produce failed: ${b.errorMessage}`);
    return b.baseOffset!;
  }
  const produce = (info: TableInfo, bucket: number, rows: Row[]): Promise<number> =>
    produceRaw(info, bucket, logBatch(info, rows));

  const createTable = (name: string, options: TestTableOptions = {}): Promise<FlussTable> =>
    createTestTable(conn, db, name, options);

  before(async () => {
    cluster = await startTestCluster();
    conn = await cluster.connect({ "scanner.log.fetch.wait-max-time-ms": 200 });
    admin = conn.getAdmin();
    await admin.createDatabase(db);
    const [host, port] = cluster.bootstrapServers.split(":");
    raw = await ServerConnection.connect({ host: host!, port: Number(port), connectTimeoutMs: 5000, requestTimeoutMs: 15_000 });
  });
  after(async () => {
    raw?.close();
    await admin?.dropDatabase(db, { ignoreIfNotExists: true, cascade: true }).catch(() => undefined);
    await conn?.close();
    await cluster?.close();
  });

  test("break out of for await: the rest of the polled batch comes with the next loop or poll", { timeout: 10_000 }, async () => {
    for (const format of ["ARROW", "INDEXED"] as const) {
      const table = await createTable(`brk_${format}`, { format });
      await produce(table.info, 0, rowsFrom(0, 30));
      await using scanner = await table.newScan().createLogScanner();
      await scanner.subscribe(0, EARLIEST_OFFSET);
      const seen: number[] = [];
      for await (const r of scanner) {
        seen.push(r.offset);
        break;
      }
      assert.deepEqual(seen, [0]);
      // the next loop goes on where the first stopped
      for await (const r of scanner) {
        seen.push(r.offset);
        if (seen.length === 10) break;
      }
      assert.deepEqual(
        seen,
        Array.from({ length: 10 }, (_, i) => i),
      );
      // and poll() hands out the rest before anything new
      const rest = await scanner.poll(5_000);
      assert.deepEqual(
        rest.toArray().map((r) => r.offset),
        Array.from({ length: 20 }, (_, i) => i + 10),
      );
      assert.deepEqual(
        rest.records(0).map((r) => r.row.id),
        Array.from({ length: 20 }, (_, i) => i + 10),
      );

      // subscribing the bucket again drops what a loop left: the new offset rules
      await scanner.subscribe(0, EARLIEST_OFFSET);
      for await (const r of scanner) {
        assert.equal(r.offset, 0);
        break;
      }
      await scanner.subscribe(0, 25);
      assert.deepEqual(
        (await scanner.poll(5_000)).toArray().map((r) => r.offset),
        [25, 26, 27, 28, 29],
      );
    }
  });

  test("break out of batches(): the batches not handed out come with the next loop, poll or toArrow", {
    timeout: 10_000,
  }, async () => {
    const table = await createTable("brk_batches", { buckets: 1 });
    for (let i = 0; i < 3; i++) await produce(table.info, 0, rowsFrom(i * 10, 10));
    await using scanner = await table.newScan().createBatchScanner();
    await scanner.subscribe(0, EARLIEST_OFFSET);
    const bases: number[] = [];
    for await (const b of scanner.batches()) {
      bases.push(b.baseOffset);
      break;
    }
    assert.deepEqual(bases, [0]);
    for await (const b of scanner) {
      bases.push(b.baseOffset);
      break;
    }
    assert.deepEqual(bases, [0, 10]);
    const t = await scanner.toArrow();
    assert.deepEqual(
      [...t.getChild("id")!],
      Array.from({ length: 10 }, (_, i) => i + 20),
    );
  });

  test("a table dropped (and re-created) under a live scanner: TABLE_NOT_EXIST naming it, at once", {
    timeout: 30_000,
  }, async () => {
    for (const recreate of [true, false]) {
      const name = recreate ? "dropped_recreated" : "dropped";
      const path = new TablePath(db, name);
      const table = await createTable(name);
      await produce(table.info, 0, rowsFrom(0, 3));
      const scanner = await table.newScan().createLogScanner();
      const looping = await table.newScan().createLogScanner();
      const batch = await table.newScan().createBatchScanner();
      await scanner.subscribe(0, EARLIEST_OFFSET);
      await looping.subscribe(0, EARLIEST_OFFSET);
      await batch.subscribe(0, EARLIEST_OFFSET);
      let n = 0;
      while (n < 3) n += (await scanner.poll(5_000)).count;
      await admin.dropTable(path);
      if (recreate) {
        const again = await createTable(name);
        await produce(again.info, 0, rowsFrom(100, 2));
      }
      const expected = isFlussError(ErrorCode.TABLE_NOT_EXIST, new RegExp(`${db}\\.${name}`));
      let t0 = Date.now();
      await assert.rejects(scanner.poll(20_000), expected);
      assert.ok(Date.now() - t0 < 5_000, `poll took ${Date.now() - t0} ms`);
      // the error stays until the scanner is closed
      await assert.rejects(scanner.poll(100), expected);
      t0 = Date.now();
      await assert.rejects(
        (async () => {
          for await (const r of looping) if (r.offset > 2) assert.fail(`record of another table: ${r.offset}`);
        })(),
        expected,
      );
      assert.ok(Date.now() - t0 < 5_000, `the loop took ${Date.now() - t0} ms`);
      t0 = Date.now();
      await assert.rejects(batch.toArrow(), expected);
      assert.ok(Date.now() - t0 < 5_000, `toArrow took ${Date.now() - t0} ms`);
      await scanner.close();
      await looping.close();
      await batch.close();
    }
  });

  test("a partitioned table dropped and re-created under a live scanner: TABLE_NOT_EXIST", { timeout: 30_000 }, async () => {
    const name = "dropped_parted";
    const path = new TablePath(db, name);
    const table = await createTable(name, { partitioned: true });
    await admin.createPartition(path, { region: "US" });
    const [p] = await admin.listPartitionInfos(path);
    const scanner = await table.newScan().createLogScanner();
    await scanner.subscribePartition(p!.partitionId, 0, EARLIEST_OFFSET);
    assert.equal((await scanner.poll(300)).count, 0);
    await admin.dropTable(path);
    await createTable(name, { partitioned: true });
    await admin.createPartition(path, { region: "US" });
    const t0 = Date.now();
    await assert.rejects(scanner.poll(20_000), isFlussError(ErrorCode.TABLE_NOT_EXIST, new RegExp(`${db}\\.${name}`)));
    assert.ok(Date.now() - t0 < 5_000, `poll took ${Date.now() - t0} ms`);
    await scanner.close();
  });

  test("subscribePartition with an unknown partition id is PARTITION_NOT_EXISTS naming it", { timeout: 20_000 }, async () => {
    const name = "unknown_partition";
    const path = new TablePath(db, name);
    const table = await createTable(name, { partitioned: true });
    await admin.createPartition(path, { region: "EU" });
    const [p] = await admin.listPartitionInfos(path);
    const expected = isFlussError(
      ErrorCode.PARTITION_NOT_EXISTS,
      /partition id 987654\b.*unknown_partition|unknown_partition.*partition id 987654\b/,
    );
    const scanner = await table.newScan().createLogScanner();
    await assert.rejects(scanner.subscribePartition(987654, 0, EARLIEST_OFFSET), expected);
    await assert.rejects(scanner.poll(5_000), expected);
    // unsubscribing the bad one clears it; the good partition reads on
    scanner.unsubscribePartition(987654, 0);
    await scanner.subscribePartition(p!.partitionId, 0, EARLIEST_OFFSET);
    assert.equal((await scanner.poll(200)).count, 0);
    const batch = await table.newScan().createBatchScanner();
    await assert.rejects(
      batch.subscribePartitionBuckets([
        { partitionId: p!.partitionId, bucketId: 0, offset: EARLIEST_OFFSET },
        { partitionId: 987654, bucketId: 0, offset: EARLIEST_OFFSET },
      ]),
      expected,
    );
    await assert.rejects(batch.toArrow(), expected);
    await scanner.close();
    await batch.close();
  });

  test("toArrow/toRows with nothing subscribed, scanners of a closed connection: CLIENT_ERROR at once", async () => {
    const table = await createTable("misuse");
    const batch = await table.newScan().createBatchScanner();
    await assert.rejects(batch.toArrow(), isFlussError(ErrorCode.CLIENT_ERROR, /no bucket is subscribed.*subscribe/));
    await assert.rejects(batch.toRows(), isFlussError(ErrorCode.CLIENT_ERROR, /no bucket is subscribed/));
    await batch.close();
    const c2 = await cluster.connect();
    const t2 = await c2.getTable(table.tablePath);
    await c2.close();
    await assert.rejects(t2.newScan().createLogScanner(), isFlussError(ErrorCode.CLIENT_ERROR, /closed/));
    await assert.rejects(t2.newScan().createBatchScanner(), isFlussError(ErrorCode.CLIENT_ERROR, /closed/));
  });

  test("corrupt fetched data (valid CRC) is CORRUPT_RECORD_EXCEPTION naming table, bucket and offset", {
    timeout: 20_000,
  }, async () => {
    const table = await createTable("corrupt_indexed", { format: "INDEXED" });
    await produce(table.info, 0, rowsFrom(0, 2));
    // the first record's STRING field points past its row: the row decoder throws a RangeError
    await produceRaw(table.info, 0, corrupt(logBatch(table.info, rowsFrom(2, 2)), 6, [0x7f]));
    await produce(table.info, 0, rowsFrom(4, 2));
    const expected = (err: unknown): boolean => {
      isFlussError(ErrorCode.CORRUPT_RECORD_EXCEPTION, /corrupt_indexed bucket 0 at offset 2\b/)(err);
      assert.ok((err as FlussError).cause instanceof RangeError, `cause: ${String((err as FlussError).cause)}`);
      return true;
    };
    const scanner = await table.newScan().createLogScanner();
    await scanner.subscribe(0, EARLIEST_OFFSET);
    // what precedes the corrupt batch is handed out, then the error, every poll until re-subscribed
    const got: number[] = [];
    const failure = await (async () => {
      for (;;) {
        try {
          for (const r of await scanner.poll(5_000)) got.push(r.offset);
        } catch (err) {
          return err;
        }
      }
    })();
    assert.ok(expected(failure));
    assert.deepEqual(got, [0, 1]);
    await assert.rejects(scanner.poll(100), expected);
    await scanner.subscribe(0, 4);
    assert.deepEqual(
      (await scanner.poll(5_000)).toArray().map((r) => r.offset),
      [4, 5],
    );
    await scanner.close();

    const batch = await table.newScan().createBatchScanner();
    await batch.subscribe(0, EARLIEST_OFFSET);
    await assert.rejects(batch.toArrow(), expected);
    await batch.close();
  });

  test("corrupt Arrow data is CORRUPT_RECORD_EXCEPTION naming table, bucket and offset", { timeout: 20_000 }, async () => {
    const table = await createTable("corrupt_arrow", { format: "ARROW" });
    await produce(table.info, 0, rowsFrom(0, 3));
    // the Arrow message's metadata length: the body cannot be parsed
    await produceRaw(table.info, 0, corrupt(logBatch(table.info, rowsFrom(3, 2)), 4, [0x7f, 0x7f]));
    const expected = isFlussError(ErrorCode.CORRUPT_RECORD_EXCEPTION, /corrupt_arrow bucket 0 at offset 3\b/);
    const batch = await table.newScan().createBatchScanner();
    await batch.subscribe(0, EARLIEST_OFFSET);
    await assert.rejects(batch.toArrow(), expected);
    const scanner = await table.newScan().createLogScanner();
    await scanner.subscribe(0, 3);
    await assert.rejects(scanner.poll(5_000), expected);
    await scanner.close();
    await batch.close();
  });
});
