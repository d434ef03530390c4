import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import fs from "node:fs/promises";
import * as arrow from "apache-arrow";
import {
  Config,
  DatabaseDescriptor,
  DataTypes,
  ErrorCode,
  FlussConnection,
  FlussError,
  LocalCluster,
  Schema,
  TableDescriptor,
  TablePath,
  notNull,
  type FlussAdmin,
} from "../../src/index.js";
import { rejectsWith } from "../helpers/assert.js";
import { startTestCluster, uniqueName, type TestCluster } from "../helpers/cluster.js";

const simpleSchema = () =>
  new Schema(
    new arrow.Schema([
      new arrow.Field("id", new arrow.Int32(), false),
      new arrow.Field("name", new arrow.Utf8()),
      new arrow.Field("amount", new arrow.Int64()),
    ]),
  );

describe("admin", () => {
  let cluster: TestCluster;
  let conn: FlussConnection;
  let admin: FlussAdmin;
  const db = uniqueName("admin_db");

  before(async () => {
    cluster = await startTestCluster();
    conn = await cluster.connect();
    admin = conn.getAdmin();
  });
  after(async () => {
    await admin.dropDatabase(db, { ignoreIfNotExists: true, cascade: true }).catch(() => undefined);
    await conn.close();
    await cluster.close();
  });

  test("databases: create, exists, list, info, errors, drop", async () => {
    await admin.createDatabase(db, {
      descriptor: new DatabaseDescriptor({ comment: "sales data", customProperties: { owner: "alice" } }),
    });
    assert.equal(await admin.databaseExists(db), true);
    assert.equal(await admin.databaseExists(`${db}_nope`), false);
    const dbs = await admin.listDatabases();
    assert.ok(dbs.includes(db), `${db} in ${dbs.join(",")}`);
    assert.ok(dbs.includes("fluss"), "default database fluss exists");

    const info = await admin.getDatabaseInfo(db);
    assert.equal(info.databaseName, db);
    assert.equal(info.descriptor.comment, "sales data");
    assert.deepEqual(info.descriptor.customProperties, { owner: "alice" });
    assert.ok(info.createdTime > 0 && info.modifiedTime >= info.createdTime);

    await rejectsWith(admin.createDatabase(db), ErrorCode.DATABASE_ALREADY_EXIST);
    await admin.createDatabase(db, { ignoreIfExists: true });
    await rejectsWith(admin.getDatabaseInfo(`${db}_nope`), ErrorCode.DATABASE_NOT_EXIST);
    await rejectsWith(admin.dropDatabase(`${db}_nope`), ErrorCode.DATABASE_NOT_EXIST);
    await admin.dropDatabase(`${db}_nope`, { ignoreIfNotExists: true });
    await rejectsWith(admin.createDatabase("bad name!"), ErrorCode.INVALID_DATABASE_EXCEPTION);
  });

  test("tables: create, info, list, exists, errors, drop", async () => {
    await admin.createDatabase(db, { ignoreIfExists: true });
    const tp = new TablePath(db, "orders");
    const schema = new Schema(
      new arrow.Schema([
        new arrow.Field("id", new arrow.Int64(), false),
        // arrow-js fields are NOT NULL unless told otherwise; nullability is kept
        new arrow.Field("region", new arrow.Utf8(), true),
        new arrow.Field("amount", new arrow.Decimal(2, 10, 128), true),
      ]),
      { primaryKeys: ["id"] },
    );
    const desc = new TableDescriptor(schema, {
      bucketCount: 3,
      comment: "orders table",
      customProperties: { owner: "bob" },
      properties: { "table.replication.factor": "1" },
    });
    await admin.createTable(tp, desc);
    await rejectsWith(admin.createTable(tp, desc), ErrorCode.TABLE_ALREADY_EXIST);
    await admin.createTable(tp, desc, { ignoreIfExists: true });

    const info = await admin.getTableInfo(tp);
    assert.ok(info.tableId >= 0);
    assert.equal(info.schemaId, 1);
    assert.equal(info.numBuckets, 3);
    assert.deepEqual(info.primaryKeys, ["id"]);
    assert.deepEqual(info.bucketKeys, ["id"]);
    assert.deepEqual(info.partitionKeys, []);
    assert.equal(info.comment, "orders table");
    assert.equal(info.customProperties.owner, "bob");
    assert.equal(info.properties["table.replication.factor"], "1");
    assert.equal(info.hasPrimaryKey, true);
    assert.deepEqual(
      info.schema.columns.map((c) => [c.name, c.type.root, c.type.nullable]),
      [
        ["id", "BIGINT", false],
        ["region", "STRING", true],
        ["amount", "DECIMAL", true],
      ],
    );
    assert.ok(info.createdTime > 0);

    assert.deepEqual(await admin.listTables(db), ["orders"]);
    assert.equal(await admin.tableExists(tp), true);
    assert.equal(await admin.tableExists(new TablePath(db, "nope")), false);
    assert.equal(await admin.tableExists(`${db}.orders`), true, "string paths work");

    await rejectsWith(admin.getTableInfo(new TablePath(db, "nope")), ErrorCode.TABLE_NOT_EXIST);
    await rejectsWith(admin.dropTable(new TablePath(db, "nope")), ErrorCode.TABLE_NOT_EXIST);
    await admin.dropTable(new TablePath(db, "nope"), { ignoreIfNotExists: true });
    await rejectsWith(
      admin.createTable(new TablePath(`${db}_nope`, "t"), new TableDescriptor(simpleSchema())),
      ErrorCode.DATABASE_NOT_EXIST,
    );
    await rejectsWith(admin.dropDatabase(db), ErrorCode.DATABASE_NOT_EMPTY);

    await admin.dropTable(tp);
    assert.equal(await admin.tableExists(tp), false);
    assert.deepEqual(await admin.listTables(db), []);
  });

  test("table validation errors carry the server's codes", async () => {
    await admin.createDatabase(db, { ignoreIfExists: true });
    await rejectsWith(
      admin.createTable(new TablePath(db, "bad-name!"), new TableDescriptor(simpleSchema())),
      ErrorCode.INVALID_TABLE_EXCEPTION,
    );
    await rejectsWith(
      admin.createTable(
        new TablePath(db, "rf3"),
        new TableDescriptor(simpleSchema(), { properties: { "table.replication.factor": "3" } }),
      ),
      ErrorCode.INVALID_REPLICATION_FACTOR,
    );
    await rejectsWith(
      admin.createTable(
        new TablePath(db, "badprop"),
        new TableDescriptor(simpleSchema(), { properties: { "table.no.such.option": "x" } }),
      ),
      ErrorCode.INVALID_CONFIG_EXCEPTION,
    );
    assert.equal(await admin.tableExists(new TablePath(db, "rf3")), false);
  });

  test("every data type survives create + getTableInfo", async () => {
    await admin.createDatabase(db, { ignoreIfExists: true });
    const tp = new TablePath(db, "all_types");
    const schema = Schema.fromColumns([
      { name: "b", type: DataTypes.BOOLEAN() },
      { name: "i8", type: DataTypes.TINYINT() },
      { name: "i16", type: DataTypes.SMALLINT() },
      { name: "i32", type: notNull(DataTypes.INT()) },
      { name: "i64", type: DataTypes.BIGINT() },
      { name: "f32", type: DataTypes.FLOAT() },
      { name: "f64", type: DataTypes.DOUBLE() },
      { name: "dec", type: DataTypes.DECIMAL(20, 3) },
      { name: "ch", type: DataTypes.CHAR(5) },
      { name: "s", type: DataTypes.STRING() },
      { name: "bin", type: DataTypes.BINARY(4) },
      { name: "bytes", type: DataTypes.BYTES() },
      { name: "d", type: DataTypes.DATE() },
      { name: "t", type: DataTypes.TIME(3) },
      { name: "ts", type: DataTypes.TIMESTAMP(9) },
      { name: "ltz", type: DataTypes.TIMESTAMP_LTZ(3) },
      { name: "arr", type: DataTypes.ARRAY(DataTypes.INT()) },
      { name: "m", type: DataTypes.MAP(DataTypes.STRING(), DataTypes.BIGINT()) },
      { name: "r", type: DataTypes.ROW([DataTypes.FIELD("x", DataTypes.INT()), DataTypes.FIELD("y", DataTypes.STRING())]) },
    ]);
    await admin.createTable(tp, new TableDescriptor(schema));
    const info = await admin.getTableInfo(tp);
    assert.deepEqual(
      info.schema.columns.map((c) => c.type),
      schema.columns.map((c) => c.type),
    );
    assert.deepEqual(
      info.schema.columns.map((c) => c.id),
      schema.columns.map((c) => c.id),
    );
    await admin.dropTable(tp);
  });

  test("partitions: create, list, drop and errors", async () => {
    await admin.createDatabase(db, { ignoreIfExists: true });
    const tp = new TablePath(db, "events");
    const schema = new Schema(
      new arrow.Schema([new arrow.Field("id", new arrow.Int32()), new arrow.Field("region", new arrow.Utf8())]),
    );
    await admin.createTable(tp, new TableDescriptor(schema, { partitionKeys: ["region"], bucketCount: 1 }));
    await admin.createPartition(tp, { region: "US" });
    await admin.createPartition(tp, { region: "EU" });
    await rejectsWith(admin.createPartition(tp, { region: "US" }), ErrorCode.PARTITION_ALREADY_EXISTS);
    await admin.createPartition(tp, { region: "US" }, { ignoreIfExists: true });
    await rejectsWith(admin.createPartition(tp, { nope: "x" }), ErrorCode.PARTITION_SPEC_INVALID_EXCEPTION);
    const parts = await admin.listPartitionInfos(tp);
    assert.deepEqual(parts.map((p) => p.partitionName).sort(), ["EU", "US"]);
    assert.ok(parts.every((p) => p.partitionId >= 0));
    await admin.dropPartition(tp, { region: "EU" });
    assert.deepEqual(
      (await admin.listPartitionInfos(tp)).map((p) => p.partitionName),
      ["US"],
    );
    await rejectsWith(admin.dropPartition(tp, { region: "EU" }), ErrorCode.PARTITION_NOT_EXISTS);

    const plain = new TablePath(db, "plain");
    await admin.createTable(plain, new TableDescriptor(simpleSchema()));
    await rejectsWith(admin.createPartition(plain, { id: "1" }), ErrorCode.TABLE_NOT_PARTITIONED_EXCEPTION);
  });

  test("server nodes: a coordinator and at least one tablet server", async () => {
    const nodes = await admin.getServerNodes();
    assert.equal(nodes.filter((n) => n.serverType === "COORDINATOR").length, 1);
    assert.ok(nodes.some((n) => n.serverType === "TABLET_SERVER"));
    for (const n of nodes) assert.ok(n.port > 0 && n.host.length > 0);
  });

  test("dropDatabase cascade removes its tables", async () => {
    const cdb = uniqueName("cascade_db");
    await admin.createDatabase(cdb);
    await admin.createTable(new TablePath(cdb, "t1"), new TableDescriptor(simpleSchema()));
    await admin.dropDatabase(cdb, { cascade: true });
    assert.equal(await admin.databaseExists(cdb), false);
    await admin.createDatabase(cdb);
    assert.deepEqual(await admin.listTables(cdb), [], "a re-created database starts empty");
    await admin.dropDatabase(cdb);
  });
});

describe("connection", () => {
  test("connecting where nothing listens fails fast with the address", async () => {
    const probe = net.createServer();
    await new Promise<void>((r) => probe.listen(0, "127.0.0.1", () => r()));
    const port = (probe.address() as net.AddressInfo).port;
    await new Promise<void>((r) => probe.close(() => r()));
    const started = Date.now();
    await assert.rejects(
      FlussConnection.connect(new Config({ "bootstrap.servers": `127.0.0.1:${port}`, "connect.timeout.ms": 2000 })),
      (err: unknown) => {
        assert.ok(err instanceof FlussError);
        assert.match(err.message, new RegExp(`127\\.0\\.0\\.1:${port}`));
        return true;
      },
    );
    assert.ok(Date.now() - started < 5000);
  });

  test("config: unknown and ill-typed keys are clear errors; comma-separated servers work", async () => {
    // @ts-expect-error a misspelled key is a type error too
    assert.throws(() => new Config({ "bootstrap.server": "x:1" }), /unknown config key "bootstrap.server".*did you mean/);
    assert.throws(() => new Config({ "writer.retries": "many" }), /writer\.retries.*integer/);
    // @ts-expect-error not one of the acks values
    assert.throws(() => new Config({ "writer.acks": "some" }), /writer\.acks/);
    assert.equal(new Config({ "writer.batch-size": "1024" }).get("writer.batch.size"), 1024);
    const cluster = await startTestCluster();
    try {
      const conn = await FlussConnection.connect(new Config({ "bootstrap.servers": `127.0.0.1:1,${cluster.bootstrapServers}` }));
      assert.ok((await conn.getAdmin().listDatabases()).includes("fluss"));
      await conn.close();
    } finally {
      await cluster.close();
    }
  });

  test("await using closes the connection", async () => {
    const cluster = await startTestCluster();
    let leaked: FlussConnection | undefined;
    try {
      {
        await using conn = await cluster.connect();
        leaked = conn;
        await conn.getAdmin().listDatabases();
      }
      assert.equal(leaked!.closed, true);
      assert.throws(
        () => leaked!.getAdmin(),
        (e: unknown) => e instanceof FlussError && e.code === ErrorCode.CLIENT_ERROR,
      );
    } finally {
      await cluster.close();
    }
  });
});

describe("local cluster persistence", { skip: process.env.FLUSS_BOOTSTRAP_SERVERS !== undefined }, () => {
  test("a restart on the same data dir sees the same databases and tables with the same ids", async () => {
    const dataDir = await fs.mkdtemp(path.join(os.tmpdir(), "flussjs-restart-"));
    try {
      let tableId: number;
      {
        const cluster = await LocalCluster.start({ dataDir });
        const conn = await FlussConnection.connect(new Config({ "bootstrap.servers": cluster.bootstrapServers }));
        const admin = conn.getAdmin();
        await admin.createDatabase("persist_db", {
          descriptor: new DatabaseDescriptor({ comment: "kept", customProperties: {} }),
        });
        await admin.createTable(new TablePath("persist_db", "t"), new TableDescriptor(simpleSchema(), { bucketCount: 2 }));
        tableId = (await admin.getTableInfo(new TablePath("persist_db", "t"))).tableId;
        await conn.close();
        await cluster.close();
      }
      {
        const cluster = await LocalCluster.start({ dataDir });
        const conn = await FlussConnection.connect(new Config({ "bootstrap.servers": cluster.bootstrapServers }));
        const admin = conn.getAdmin();
        assert.ok((await admin.listDatabases()).includes("persist_db"));
        assert.equal((await admin.getDatabaseInfo("persist_db")).descriptor.comment, "kept");
        const info = await admin.getTableInfo(new TablePath("persist_db", "t"));
        assert.equal(info.tableId, tableId);
        assert.equal(info.numBuckets, 2);
        await admin.createTable(new TablePath("persist_db", "t2"), new TableDescriptor(simpleSchema()));
        const id2 = (await admin.getTableInfo(new TablePath("persist_db", "t2"))).tableId;
        assert.ok(id2 > tableId, "ids are never reused after a restart");
        await conn.close();
        await cluster.close();
      }
    } finally {
      await fs.rm(dataDir, { recursive: true, force: true });
    }
  });
});
