/**
 * Schema evolution end to end: `admin.alterTable` (ADD COLUMN, options) and
 * `admin.getTableSchema` against the local cluster, with writers, scanners and lookupers that
 * run across the change; raw ProduceLog batches of either schema id; a restart.
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs/promises";
import * as os from "node:os";
import * as path from "node:path";
import {
  AggFunctions,
  ColumnPosition,
  Config,
  DataTypes,
  EARLIEST_OFFSET,
  ErrorCode,
  FlussConnection,
  LocalCluster,
  Schema,
  TableChange,
  TableDescriptor,
  TablePath,
  notNull,
  type FlussAdmin,
  type FlussTable,
  type TableInfo,
} from "../../src/index.js";
import { ApiKey } from "../../src/rpc/api-keys.js";
import { ServerConnection } from "../../src/rpc/server-connection.js";
import { ArrowBatchBuilder } from "../../src/record/arrow/arrow-writer.js";
import { buildArrowLogBatch } from "../../src/record/arrow/arrow-log.js";
import { buildIndexedLogBatch } from "../../src/record/indexed-log.js";
import type { RowType } from "../../src/metadata/data-types.js";
import { EXTERNAL_SERVERS, closeTestDatabase, openTestDatabase, uniqueName, type TestCluster } from "../helpers/cluster.js";
import { pollN, renderRecords as render } from "../helpers/records.js";
import { rejectsWith as expectError } from "../helpers/assert.js";

const logSchema = Schema.fromColumns([
  { name: "id", type: notNull(DataTypes.INT()) },
  { name: "name", type: DataTypes.STRING() },
  { name: "amount", type: DataTypes.BIGINT() },
]);

const users = Schema.fromColumns(
  [
    { name: "id", type: notNull(DataTypes.INT()) },
    { name: "name", type: DataTypes.STRING() },
    { name: "age", type: DataTypes.BIGINT() },
  ],
  ["id"],
);

/** A log batch of `rows` in the row type and schema id given (the probe-style raw producer). */
function rawBatch(format: string, rowType: RowType, schemaId: number, rows: unknown[][]): Uint8Array {
  if (format === "ARROW") {
    const b = new ArrowBatchBuilder(rowType);
    for (const r of rows) b.append(r);
    return buildArrowLogBatch({ body: b.build(), recordCount: rows.length, schemaId, appendOnly: true });
  }
  return buildIndexedLogBatch({
    rowType,
    rows,
    schemaId,
    appendOnly: true,
    format: format === "COMPACTED" ? "COMPACTED" : "INDEXED",
  });
}

describe("schema evolution (e2e)", () => {
  let cluster: TestCluster;
  let conn: FlussConnection;
  let admin: FlussAdmin;
  let raw: ServerConnection;
  const db = uniqueName("schema_evo");

  before(async () => {
    ({ cluster, conn } = await openTestDatabase(db, { "scanner.log.fetch.wait-max-time-ms": 200 }));
    admin = conn.getAdmin();
    const [host, port] = cluster.bootstrapServers.split(":");
    raw = await ServerConnection.connect({ host: host!, port: Number(port), connectTimeoutMs: 5000, requestTimeoutMs: 15_000 });
  });
  after(async () => {
    raw?.close();
    await closeTestDatabase(cluster, conn, db);
  });

  async function create(
    name: string,
    schema: Schema,
    options: ConstructorParameters<typeof TableDescriptor>[1],
  ): Promise<FlussTable> {
    const p = new TablePath(db, name);
    await admin.createTable(p, new TableDescriptor(schema, options));
    return conn.getTable(p);
  }

  async function produce(info: TableInfo, batch: Uint8Array): Promise<{ errorCode: number; errorMessage?: string }> {
    const resp = await raw.request(ApiKey.PRODUCE_LOG, {
      acks: -1,
      tableId: info.tableId,
      timeoutMs: 10_000,
      bucketsReq: [{ bucketId: 0, records: batch }],
    });
    const b = resp.bucketsResp[0]!;
    return { errorCode: b.errorCode ?? 0, ...(b.errorMessage !== undefined ? { errorMessage: b.errorMessage } : {}) };
  }

  for (const logFormat of ["ARROW", "INDEXED", "COMPACTED"] as const) {
    test(`${logFormat} log table altered while a writer and a scanner run`, async () => {
      const table = await create(`log_${logFormat.toLowerCase()}`, logSchema, { bucketCount: 1, logFormat });
      assert.equal(table.info.schemaId, 1);
      const oldWriter = table.newAppendWriter();
      await using oldScanner = await table.newScan().createLogScanner();
      await oldScanner.subscribe(0, EARLIEST_OFFSET);
      for (let i = 0; i < 10; i++) oldWriter.append({ id: i, name: `n${i}`, amount: BigInt(i) });
      await oldWriter.flush();
      assert.deepEqual(
        (await pollN(oldScanner, 10)).map((r) => r.row.id),
        [...Array(10).keys()],
      );

      await admin.alterTable(table.info.tablePath, [
        TableChange.addColumn("note", DataTypes.STRING(), { comment: "added later" }),
      ]);
      const table2 = await conn.getTable(table.info.tablePath);
      assert.equal(table2.info.schemaId, 2);
      assert.deepEqual(table2.info.schema.columnNames, ["id", "name", "amount", "note"]);
      assert.equal(table2.info.schema.columns[3]!.comment, "added later");
      assert.equal(table2.info.schema.columns[3]!.id, 3);

      // a new writer writes schema 2, the old one goes on with schema 1
      const newWriter = table2.newAppendWriter();
      for (let i = 10; i < 15; i++) newWriter.append({ id: i, name: `n${i}`, amount: BigInt(i), note: `note${i}` });
      await newWriter.flush();
      for (let i = 15; i < 20; i++) oldWriter.append([i, `n${i}`, BigInt(i)]);
      await oldWriter.flush();
      // raw batches of both ids: schema 1 (three columns) and schema 2 (four)
      const rt1 = table.info.rowType;
      const rt2 = table2.info.rowType;
      assert.equal((await produce(table.info, rawBatch(logFormat, rt1, 1, [[20, "n20", 20n]]))).errorCode, 0);
      assert.equal((await produce(table.info, rawBatch(logFormat, rt2, 2, [[21, "n21", 21n, "note21"]]))).errorCode, 0);
      const bad = await produce(table.info, rawBatch(logFormat, rt2, 3, [[22, "x", 1n, "y"]]));
      assert.equal(bad.errorCode, ErrorCode.SCHEMA_NOT_EXIST, bad.errorMessage);

      const noteOf = (id: number): string | null => ((id >= 10 && id < 15) || id === 21 ? `note${id}` : null);
      // the scanner that started before the ALTER keeps reading, in its own (old) schema
      const rest = await pollN(oldScanner, 12);
      assert.deepEqual(
        rest.map((r) => r.row.id),
        [...Array(12).keys()].map((i) => i + 10),
      );
      for (const r of rest) assert.deepEqual(Object.keys(r.row), ["id", "name", "amount"]);
      assert.deepEqual(rest[0]!.row, { id: 10, name: "n10", amount: 10n });

      // a new scanner presents every row in the latest schema: older rows with a null note
      await using scanner = await table2.newScan().createLogScanner();
      await scanner.subscribe(0, EARLIEST_OFFSET);
      const all = await pollN(scanner, 22);
      assert.deepEqual(
        all.map((r) => r.row),
        [...Array(22).keys()].map((i) => ({ id: i, name: `n${i}`, amount: BigInt(i), note: noteOf(i) })),
      );

      // projections (pushed down for ARROW: old batches have no `note` to send)
      await using projected = await table2.newScan().projectByName(["note", "id"]).createLogScanner();
      await projected.subscribe(0, EARLIEST_OFFSET);
      assert.deepEqual(
        (await pollN(projected, 22)).map((r) => r.row),
        [...Array(22).keys()].map((i) => ({ note: noteOf(i), id: i })),
      );
      await using onlyNew = await table2.newScan().projectByName(["note"]).createLogScanner();
      await onlyNew.subscribe(0, EARLIEST_OFFSET);
      assert.deepEqual(
        (await pollN(onlyNew, 22)).map((r) => r.row.note),
        [...Array(22).keys()].map(noteOf),
      );

      // Arrow output: one schema for the whole scan
      await using batches = await table2.newScan().createBatchScanner();
      await batches.subscribe(0, EARLIEST_OFFSET);
      const t = await batches.toArrow();
      assert.equal(t.numRows, 22);
      assert.deepEqual(
        t.schema.fields.map((f) => f.name),
        ["id", "name", "amount", "note"],
      );
      assert.deepEqual(t.getChild("note")!.toArray(), [...Array(22).keys()].map(noteOf));
      assert.deepEqual([...t.getChild("id")!.toArray()], [...Array(22).keys()]);
      await using oldBatches = await table.newScan().createBatchScanner();
      await oldBatches.subscribe(0, EARLIEST_OFFSET);
      const t1 = await oldBatches.toArrow();
      assert.equal(t1.numRows, 22);
      assert.deepEqual(
        t1.schema.fields.map((f) => f.name),
        ["id", "name", "amount"],
      );

      // LimitScan: the latest records of the bucket, batches of both ids
      await using limited = await table2.newScan().limit(4).createBucketScanner(0);
      assert.deepEqual(
        (await limited.toRows()).map((r) => [r.id, r.note]),
        [18, 19, 20, 21].map((i) => [i, noteOf(i)]),
      );
      await using limitedProjected = await table2.newScan().projectByName(["note", "id"]).limit(3).createBucketScanner(0);
      assert.deepEqual(
        await limitedProjected.toRows(),
        [19, 20, 21].map((i) => ({ note: noteOf(i), id: i })),
      );
      await oldWriter.close();
      await newWriter.close();
    });
  }

  const pkFormats = [
    { logFormat: "ARROW", kvFormat: "COMPACTED" },
    { logFormat: "INDEXED", kvFormat: "INDEXED" },
    { logFormat: "COMPACTED", kvFormat: "COMPACTED" },
    { logFormat: "ARROW", kvFormat: "INDEXED" },
  ] as const;
  for (const { logFormat, kvFormat } of pkFormats) {
    test(`primary-key table (${logFormat} log, ${kvFormat} kv): lookups and changelog across ADD COLUMN`, async () => {
      const table = await create(`pk_${logFormat}_${kvFormat}`.toLowerCase(), users, { bucketCount: 1, logFormat, kvFormat });
      const oldWriter = table.newUpsert();
      const oldLookup = table.newLookup();
      await using changelog = await table.newScan().createLogScanner();
      await changelog.subscribe(0, EARLIEST_OFFSET);
      for (let i = 1; i <= 3; i++) oldWriter.upsert({ id: i, name: `u${i}`, age: BigInt(20 + i) });
      await oldWriter.flush();
      assert.deepEqual(render(await pollN(changelog, 3)), ["+I 1 u1 21", "+I 2 u2 22", "+I 3 u3 23"]);

      await admin.alterTable(table.info.tablePath, [TableChange.addColumn("email", DataTypes.STRING())]);
      const table2 = await conn.getTable(table.info.tablePath);
      assert.equal(table2.info.schemaId, 2);
      const lookup = table2.newLookup();
      // values stored before the ALTER come back padded
      assert.deepEqual(await lookup.lookup({ id: 1 }), { id: 1, name: "u1", age: 21n, email: null });

      const newWriter = table2.newUpsert();
      await newWriter.upsert({ id: 2, name: "v2", age: 32n, email: "two@x" }).wait();
      await oldWriter.upsert({ id: 3, name: "v3", age: 33n }).wait(); // written with schema 1
      const partial = table2.newUpsert({ columns: ["id", "email"] });
      await partial.upsert({ id: 1, email: "one@x" }).wait();
      await oldWriter.delete({ id: 3 }).wait();
      await newWriter.upsert({ id: 4, name: "v4", age: 34n, email: null }).wait();

      assert.deepEqual(await lookup.lookup({ id: 1 }), { id: 1, name: "u1", age: 21n, email: "one@x" });
      assert.deepEqual(await lookup.lookup({ id: 2 }), { id: 2, name: "v2", age: 32n, email: "two@x" });
      assert.equal(await lookup.lookup({ id: 3 }), null);
      assert.deepEqual(await lookup.lookup({ id: 4 }), { id: 4, name: "v4", age: 34n, email: null });
      // the handle from before the ALTER keeps its columns
      assert.deepEqual(await oldLookup.lookup({ id: 2 }), { id: 2, name: "v2", age: 32n });

      // the changelog after the ALTER is in the latest schema, old images padded (KvTablet PaddingRow)
      await using scanner = await table2.newScan().createLogScanner();
      await scanner.subscribe(0, EARLIEST_OFFSET);
      assert.deepEqual(render(await pollN(scanner, 11)), [
        "+I 1 u1 21 null",
        "+I 2 u2 22 null",
        "+I 3 u3 23 null",
        "-U 2 u2 22 null",
        "+U 2 v2 32 two@x",
        "-U 3 u3 23 null",
        "+U 3 v3 33 null",
        "-U 1 u1 21 null",
        "+U 1 u1 21 one@x",
        "-D 3 v3 33 null",
        "+I 4 v4 34 null",
      ]);
      // the scanner from before the ALTER reads the same changes in its schema
      assert.deepEqual(render(await pollN(changelog, 8)), [
        "-U 2 u2 22",
        "+U 2 v2 32",
        "-U 3 u3 23",
        "+U 3 v3 33",
        "-U 1 u1 21",
        "+U 1 u1 21",
        "-D 3 v3 33",
        "+I 4 v4 34",
      ]);

      // the current state, read whole (ScanKv values of both schema ids)
      await using snapshot = await table2.newScan().createSnapshotScanner();
      const rows = (await snapshot.toRows()).sort((a, b) => (a.id as number) - (b.id as number));
      assert.deepEqual(rows, [
        { id: 1, name: "u1", age: 21n, email: "one@x" },
        { id: 2, name: "v2", age: 32n, email: "two@x" },
        { id: 4, name: "v4", age: 34n, email: null },
      ]);
      await using limited = await table2.newScan().limit(10).createBucketScanner(0);
      assert.deepEqual(
        (await limited.toRows()).sort((a, b) => (a.id as number) - (b.id as number)),
        rows,
      );
      await oldWriter.close();
      await newWriter.close();
      await partial.close();
    });
  }

  test("aggregation table: an added column with its own function aggregates from then on", async () => {
    const schema = Schema.builder()
      .column("id", DataTypes.INT())
      .column("total", DataTypes.BIGINT(), { aggFunction: AggFunctions.SUM() })
      .primaryKey("id")
      .build();
    const table = await create("agg", schema, { bucketCount: 1, properties: { "table.merge-engine": "aggregation" } });
    const w1 = table.newUpsert();
    await w1.upsert({ id: 1, total: 5n }).wait();
    await admin.alterTable(table.info.tablePath, [
      TableChange.addColumn("hits", DataTypes.BIGINT(), { aggFunction: AggFunctions.SUM() }),
    ]);
    const table2 = await conn.getTable(table.info.tablePath);
    assert.deepEqual(table2.info.schema.columns[2]!.aggFunction, AggFunctions.SUM());
    const w2 = table2.newUpsert();
    await w2.upsert({ id: 1, total: 2n, hits: 1n }).wait();
    await w2.upsert({ id: 1, total: 1n, hits: 1n }).wait();
    await w1.upsert({ id: 1, total: 10n }).wait(); // schema 1: no hits, they stay
    assert.deepEqual(await table2.newLookup().lookup({ id: 1 }), { id: 1, total: 18n, hits: 2n });
    await w1.close();
    await w2.close();
  });

  test("alterTable errors are the cluster's", async () => {
    const table = await create("errors", logSchema, { bucketCount: 1 });
    const p = table.info.tablePath;
    await expectError(
      admin.alterTable(p, [TableChange.addColumn("name", DataTypes.STRING())]),
      ErrorCode.INVALID_ALTER_TABLE_EXCEPTION,
      /^Column name already exists\.$/,
    );
    await expectError(
      admin.alterTable(p, [TableChange.addColumn("x", notNull(DataTypes.INT()))]),
      ErrorCode.UNKNOWN_SERVER_ERROR,
      /^Column x must be nullable\.$/,
    );
    await expectError(
      admin.alterTable(p, [TableChange.dropColumn("name")]),
      ErrorCode.UNKNOWN_SERVER_ERROR,
      /^Not support drop column now\.$/,
    );
    await expectError(
      admin.alterTable(p, [TableChange.renameColumn("name", "n")]),
      ErrorCode.UNKNOWN_SERVER_ERROR,
      /^Not support rename column now\.$/,
    );
    await expectError(
      admin.alterTable(p, [TableChange.modifyColumn("name", DataTypes.STRING())]),
      ErrorCode.UNKNOWN_SERVER_ERROR,
      /^Not support modify column now\.$/,
    );
    await expectError(
      admin.alterTable(p, [TableChange.addColumn("x", DataTypes.INT(), { position: ColumnPosition.first() })]),
      ErrorCode.CLIENT_ERROR,
      /Unsupported ColumnPositionType: FIRST/,
    );
    await expectError(
      admin.alterTable(p, [TableChange.addColumn("x", DataTypes.INT()), TableChange.set("table.log.ttl", "1 d")]),
      ErrorCode.INVALID_ALTER_TABLE_EXCEPTION,
      /^Table alteration can only be applied to one of the following: table properties or table schema\.$/,
    );
    await expectError(
      admin.alterTable(p, [TableChange.set("table.log.format", "INDEXED")]),
      ErrorCode.INVALID_ALTER_TABLE_EXCEPTION,
      /^The following options are not supported to alter yet: 'table.log.format'\.$/,
    );
    await expectError(
      admin.alterTable(p, [TableChange.set("table.no-such-option", "1")]),
      ErrorCode.INVALID_ALTER_TABLE_EXCEPTION,
      /'table.no-such-option'/,
    );
    await expectError(
      admin.alterTable(p, [TableChange.set("table.kv.standby-replica.enabled", "false")]),
      ErrorCode.INVALID_ALTER_TABLE_EXCEPTION,
      /can only be altered on primary key tables/,
    );
    await expectError(
      admin.alterTable(p, [TableChange.set("table.datalake.enabled", "true")]),
      ErrorCode.INVALID_ALTER_TABLE_EXCEPTION,
      /doesn't enable datalake tables/,
    );
    await expectError(
      admin.alterTable(p, [TableChange.set("table.log.ttl", "soon")]),
      ErrorCode.INVALID_CONFIG_EXCEPTION,
      /table\.log\.ttl/,
    );
    await expectError(
      admin.alterTable(p, [TableChange.addColumn("__offset", DataTypes.BIGINT())]),
      ErrorCode.INVALID_TABLE_EXCEPTION,
      /__offset cannot be used as column names/,
    );
    await expectError(
      admin.alterTable(p, [TableChange.addColumn("total", DataTypes.BIGINT(), { aggFunction: AggFunctions.SUM() })]),
      ErrorCode.INVALID_CONFIG_EXCEPTION,
      /only supported for aggregation merge engine/,
    );
    await expectError(
      admin.alterTable(new TablePath(db, "nope"), [TableChange.addColumn("x", DataTypes.INT())]),
      ErrorCode.TABLE_NOT_EXIST,
      /^Table '.*\.nope' does not exist\.$/,
    );
    await admin.alterTable(new TablePath(db, "nope"), [TableChange.addColumn("x", DataTypes.INT())], { ignoreIfNotExists: true });
    await expectError(admin.alterTable(p, [{ kind: "nope" } as never]), ErrorCode.CLIENT_ERROR, /not a table change/);
    // nothing of the failed calls stuck
    assert.equal((await admin.getTableInfo(p)).schemaId, 1);

    // options: set and reset, alterable table options and custom properties; the schema id stays
    await admin.alterTable(p, [TableChange.set("table.log.ttl", "3 d"), TableChange.set("owner", "me")]);
    let info = await admin.getTableInfo(p);
    assert.equal(info.properties["table.log.ttl"], "3 d");
    assert.equal(info.customProperties.owner, "me");
    assert.equal(info.schemaId, 1);
    await admin.alterTable(p, [TableChange.reset("table.log.ttl"), TableChange.reset("owner")]);
    info = await admin.getTableInfo(p);
    assert.equal(info.properties["table.log.ttl"], undefined);
    assert.equal(info.customProperties.owner, undefined);
  });

  test("getTableSchema: every id, the latest, and an unknown id", async () => {
    const table = await create("schemas", logSchema, { bucketCount: 1 });
    const p = table.info.tablePath;
    await admin.alterTable(p, [TableChange.addColumn("a", DataTypes.INT(), "first")]);
    await admin.alterTable(p, [
      TableChange.addColumn("b", DataTypes.ROW([{ name: "x", type: DataTypes.INT() }])),
      TableChange.addColumn("c", DataTypes.STRING()),
    ]);
    const s1 = await admin.getTableSchema(p, 1);
    assert.equal(s1.schemaId, 1);
    assert.ok(s1.schema.equals(table.info.schema));
    const s2 = await admin.getTableSchema(p, 2);
    assert.deepEqual(s2.schema.columnNames, ["id", "name", "amount", "a"]);
    assert.equal(s2.schema.columns[3]!.comment, "first");
    const latest = await admin.getTableSchema(p);
    assert.equal(latest.schemaId, 3);
    assert.deepEqual(latest.schema.columnNames, ["id", "name", "amount", "a", "b", "c"]);
    // ids as Java's builder assigns them: a nested ROW field takes the id after its column
    assert.deepEqual(latest.schema.columnIds, [0, 1, 2, 3, 4, 6]);
    assert.equal(latest.schema.highestFieldId, 6);
    assert.equal((await admin.getTableInfo(p)).schemaId, 3);
    await expectError(admin.getTableSchema(p, 9), ErrorCode.SCHEMA_NOT_EXIST, /with schema id 9 does not exist/);
  });
});

describe("schema evolution across a restart", { skip: EXTERNAL_SERVERS !== undefined }, () => {
  test("schemas, log rows and KV values of both ids survive", async () => {
    const dataDir = await fs.mkdtemp(path.join(os.tmpdir(), "flussjs-schema-"));
    const log = new TablePath("fluss", "evo_log");
    const pk = new TablePath("fluss", "evo_pk");
    try {
      let cluster = await LocalCluster.start({ dataDir });
      let conn = await FlussConnection.connect(new Config({ "bootstrap.servers": cluster.bootstrapServers }));
      let admin = conn.getAdmin();
      await admin.createTable(log, new TableDescriptor(logSchema, { bucketCount: 1 }));
      await admin.createTable(pk, new TableDescriptor(users, { bucketCount: 1 }));
      const w1 = (await conn.getTable(log)).newAppendWriter();
      const u1 = (await conn.getTable(pk)).newUpsert();
      await w1.append({ id: 1, name: "a", amount: 1n }).wait();
      await u1.upsert({ id: 1, name: "a", age: 1n }).wait();
      await admin.alterTable(log, [TableChange.addColumn("note", DataTypes.STRING())]);
      await admin.alterTable(pk, [TableChange.addColumn("note", DataTypes.STRING())]);
      await (await conn.getTable(log)).newAppendWriter().append({ id: 2, name: "b", amount: 2n, note: "x" }).wait();
      await (await conn.getTable(pk)).newUpsert().upsert({ id: 2, name: "b", age: 2n, note: "y" }).wait();
      await u1.upsert({ id: 1, name: "a2", age: 3n }).wait();
      await conn.close();
      await cluster.close();

      cluster = await LocalCluster.start({ dataDir });
      conn = await FlussConnection.connect(new Config({ "bootstrap.servers": cluster.bootstrapServers }));
      admin = conn.getAdmin();
      try {
        assert.equal((await admin.getTableInfo(log)).schemaId, 2);
        assert.deepEqual((await admin.getTableSchema(log, 1)).schema.columnNames, ["id", "name", "amount"]);
        assert.deepEqual((await admin.getTableSchema(pk, 2)).schema.columnNames, ["id", "name", "age", "note"]);
        const logTable = await conn.getTable(log);
        await using scanner = await logTable.newScan().createLogScanner();
        await scanner.subscribe(0, EARLIEST_OFFSET);
        assert.deepEqual(
          (await pollN(scanner, 2)).map((r) => r.row),
          [
            { id: 1, name: "a", amount: 1n, note: null },
            { id: 2, name: "b", amount: 2n, note: "x" },
          ],
        );
        // the KV state is rebuilt from the changelog (batches of both schema ids)
        const lookup = (await conn.getTable(pk)).newLookup();
        assert.deepEqual(await lookup.lookup({ id: 1 }), { id: 1, name: "a2", age: 3n, note: null });
        assert.deepEqual(await lookup.lookup({ id: 2 }), { id: 2, name: "b", age: 2n, note: "y" });
      } finally {
        await conn.close();
        await cluster.close();
      }
    } finally {
      await fs.rm(dataDir, { recursive: true, force: true });
    }
  });
});
