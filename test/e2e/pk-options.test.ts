/**
 * Primary-key table options at create time, through `admin.createTable` over a socket: merge
 * engines, delete behaviour, changelog image, kv format, aggregate functions, partitioned
 * keys, with the error codes and messages of a Java coordinator.
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import {
  AggFunctions,
  DataTypes,
  ErrorCode,
  type FlussConnection,
  FlussError,
  Schema,
  TableDescriptor,
  type AggFunction,
  type DataType,
  type FlussAdmin,
  type TableDescriptorOptions,
} from "../../src/index.js";
import { ApiKey } from "../../src/rpc/api-keys.js";
import { schemaToJson } from "../../src/metadata/json.js";
import { ServerConnection } from "../../src/rpc/server-connection.js";
import { utf8Encode } from "../../src/util/bytes.js";
import { rejectsWith } from "../helpers/assert.js";
import { startTestCluster, uniqueName, type TestCluster } from "../helpers/cluster.js";

const pkSchema = (): Schema =>
  Schema.builder()
    .column("id", DataTypes.INT())
    .column("ver", DataTypes.BIGINT())
    .column("ts", DataTypes.TIMESTAMP(3))
    .column("ts_ltz", DataTypes.TIMESTAMP_LTZ(3))
    .column("ver_int", DataTypes.INT())
    .column("name", DataTypes.STRING())
    .column("score", DataTypes.DOUBLE())
    .primaryKey("id")
    .build();

const logSchema = (): Schema => Schema.builder().column("id", DataTypes.INT()).column("name", DataTypes.STRING()).build();

const aggSchema = (extra: { name: string; fn: AggFunction; type?: DataType }[]): Schema => {
  const b = Schema.builder().column("id", DataTypes.BIGINT());
  for (const e of extra) b.column(e.name, e.type ?? DataTypes.BIGINT(), { aggFunction: e.fn });
  return b.primaryKey("id").build();
};

describe("primary-key table options at create time", () => {
  let cluster: TestCluster;
  let conn: FlussConnection;
  let admin: FlussAdmin;
  const db = uniqueName("pk_opts");
  let n = 0;
  const next = (): string => `${db}.t${n++}`;

  before(async () => {
    cluster = await startTestCluster();
    conn = await cluster.connect();
    admin = conn.getAdmin();
    await admin.createDatabase(db);
  });
  after(async () => {
    await admin.dropDatabase(db, { ignoreIfNotExists: true, cascade: true }).catch(() => undefined);
    await conn.close();
    await cluster.close();
  });

  /** Creates a table and returns its stored properties. */
  async function create(schema: Schema, options: TableDescriptorOptions = {}): Promise<Readonly<Record<string, string>>> {
    const path = next();
    await admin.createTable(path, new TableDescriptor(schema, { bucketCount: 1, ...options }));
    return (await admin.getTableInfo(path)).properties;
  }

  const refused = (schema: Schema, options: TableDescriptorOptions, code: number, message: string): Promise<void> =>
    rejectsWith(
      admin.createTable(next(), new TableDescriptor(schema, { bucketCount: 1, ...options })),
      code,
      new RegExp(`^${message.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}$`),
    );
  const badConfig = (schema: Schema, properties: Record<string, string>, message: string): Promise<void> =>
    refused(schema, { properties }, ErrorCode.INVALID_CONFIG_EXCEPTION, message);

  test("defaults the coordinator stores: kv format version 2 on PK tables, no delete behaviour without a merge engine", async () => {
    const props = await create(pkSchema());
    assert.equal(props["table.kv.format-version"], "2");
    assert.equal(props["table.delete.behavior"], undefined);
    const log = await create(logSchema());
    assert.equal(log["table.kv.format-version"], undefined);
  });

  test("table.merge-engine: first_row, versioned (each allowed version type), aggregation; only on PK tables", async () => {
    const first = await create(pkSchema(), { properties: { "table.merge-engine": "first_row" } });
    assert.equal(first["table.merge-engine"], "first_row");
    assert.equal(first["table.delete.behavior"], "IGNORE", "merge engines default deletes to IGNORE");
    for (const column of ["ver", "ver_int", "ts", "ts_ltz"]) {
      const v = await create(pkSchema(), {
        properties: { "table.merge-engine": "versioned", "table.merge-engine.versioned.ver-column": column },
      });
      assert.equal(v["table.merge-engine.versioned.ver-column"], column);
      assert.equal(v["table.delete.behavior"], "IGNORE");
    }
    const agg = await create(aggSchema([{ name: "total", fn: AggFunctions.SUM() }]), {
      properties: { "table.merge-engine": "AGGREGATION" },
    });
    assert.equal(agg["table.delete.behavior"], "IGNORE");

    await badConfig(logSchema(), { "table.merge-engine": "first_row" }, "Merge engine is only supported in primary key table.");
    await badConfig(
      pkSchema(),
      { "table.merge-engine": "last_row" },
      "Invalid value for config 'table.merge-engine'. Reason: Could not parse value 'last_row' for key 'table.merge-engine'.",
    );
    await badConfig(
      pkSchema(),
      { "table.merge-engine": "versioned" },
      "'table.merge-engine.versioned.ver-column' must be set for versioned merge engine.",
    );
    await badConfig(
      pkSchema(),
      { "table.merge-engine": "versioned", "table.merge-engine.versioned.ver-column": "nope" },
      "The version column 'nope' for versioned merge engine doesn't exist in schema.",
    );
    await badConfig(
      pkSchema(),
      { "table.merge-engine": "versioned", "table.merge-engine.versioned.ver-column": "score" },
      "The version column 'score' for versioned merge engine must be one type of [INT, BIGINT, TIMESTAMP, TIMESTAMP_LTZ], but got DOUBLE.",
    );
  });

  test("table.delete.behavior: ALLOW / IGNORE / DISABLE, forbidden combinations per merge engine", async () => {
    for (const b of ["ALLOW", "ignore", "Disable"]) {
      assert.equal((await create(pkSchema(), { properties: { "table.delete.behavior": b } }))["table.delete.behavior"], b);
    }
    const aggAllow = await create(aggSchema([{ name: "total", fn: AggFunctions.SUM() }]), {
      properties: { "table.merge-engine": "aggregation", "table.delete.behavior": "allow" },
    });
    assert.equal(aggAllow["table.delete.behavior"], "allow", "aggregation may remove whole rows");
    assert.equal(
      (await create(pkSchema(), { properties: { "table.merge-engine": "first_row", "table.delete.behavior": "disable" } }))[
        "table.delete.behavior"
      ],
      "disable",
    );
    await badConfig(
      pkSchema(),
      { "table.merge-engine": "first_row", "table.delete.behavior": "allow" },
      "Table with 'FIRST_ROW' merge engine does not support delete operations. The 'table.delete.behavior' config must be set to 'ignore' or 'disable', but got 'allow'.",
    );
    await badConfig(
      pkSchema(),
      { "table.merge-engine": "versioned", "table.merge-engine.versioned.ver-column": "ver", "table.delete.behavior": "ALLOW" },
      "Table with 'VERSIONED' merge engine does not support delete operations. The 'table.delete.behavior' config must be set to 'ignore' or 'disable', but got 'allow'.",
    );
    await badConfig(
      logSchema(),
      { "table.delete.behavior": "ignore" },
      "The 'table.delete.behavior' configuration is only supported for primary key tables.",
    );
    await badConfig(
      pkSchema(),
      { "table.delete.behavior": "drop" },
      "Invalid value for config 'table.delete.behavior'. Reason: Could not parse value 'drop' for key 'table.delete.behavior'.",
    );
  });

  test("table.changelog.image: FULL and WAL; aggregation needs FULL", async () => {
    assert.equal((await create(pkSchema(), { properties: { "table.changelog.image": "WAL" } }))["table.changelog.image"], "WAL");
    assert.equal(
      (await create(pkSchema(), { properties: { "table.changelog.image": "full" } }))["table.changelog.image"],
      "full",
    );
    await badConfig(
      pkSchema(),
      { "table.changelog.image": "DIFF" },
      "Invalid value for config 'table.changelog.image'. Reason: Could not parse value 'DIFF' for key 'table.changelog.image'.",
    );
    await badConfig(
      aggSchema([{ name: "total", fn: AggFunctions.SUM() }]),
      { "table.merge-engine": "aggregation", "table.changelog.image": "wal" },
      "Table with 'AGGREGATION' merge engine does not support 'WAL' changelog image mode. Aggregation merge engine tables require FULL changelog image mode for correct UNDO recovery. Please set 'table.changelog.image' to 'FULL' or remove the setting.",
    );
  });

  test("table.kv.format: COMPACTED (default) and INDEXED, with the log formats each allows", async () => {
    assert.equal((await create(pkSchema(), { kvFormat: "INDEXED", logFormat: "INDEXED" }))["table.kv.format"], "INDEXED");
    assert.equal((await create(pkSchema(), { kvFormat: "COMPACTED", logFormat: "COMPACTED" }))["table.kv.format"], "COMPACTED");
    await create(pkSchema(), { kvFormat: "INDEXED", logFormat: "ARROW" });
    await badConfig(
      pkSchema(),
      { "table.log.format": "INDEXED" },
      "Currently, Primary Key Table supports ARROW or COMPACTED log format when kv format is COMPACTED.",
    );
    await badConfig(
      pkSchema(),
      { "table.kv.format": "ROCKS" },
      "Invalid value for config 'table.kv.format'. Reason: Could not parse value 'ROCKS' for key 'table.kv.format'.",
    );
  });

  test("aggregate functions: allowed types and parameters per function, only with the aggregation engine", async () => {
    const all = aggSchema([
      { name: "s", fn: AggFunctions.SUM() },
      { name: "p", fn: AggFunctions.PRODUCT(), type: DataTypes.INT() },
      { name: "mx", fn: AggFunctions.MAX(), type: DataTypes.STRING() },
      { name: "mn", fn: AggFunctions.MIN() },
      { name: "lv", fn: AggFunctions.LAST_VALUE() },
      { name: "lvn", fn: AggFunctions.LAST_VALUE_IGNORE_NULLS() },
      { name: "fv", fn: AggFunctions.FIRST_VALUE() },
      { name: "fvn", fn: AggFunctions.FIRST_VALUE_IGNORE_NULLS() },
      { name: "la", fn: AggFunctions.LISTAGG(";"), type: DataTypes.STRING() },
      { name: "sa", fn: AggFunctions.STRING_AGG(), type: DataTypes.CHAR(4) },
    ]);
    const path = next();
    await admin.createTable(
      path,
      new TableDescriptor(all, { bucketCount: 1, properties: { "table.merge-engine": "aggregation" } }),
    );
    const info = await admin.getTableInfo(path);
    assert.deepEqual(info.schema.column("la").aggFunction, { type: "listagg", parameters: { delimiter: ";" } });
    assert.deepEqual(info.schema.column("s").aggFunction, { type: "sum" });
    const bools = Schema.builder()
      .column("id", DataTypes.INT())
      .column("a", DataTypes.BOOLEAN(), { aggFunction: AggFunctions.BOOL_AND() })
      .column("o", DataTypes.BOOLEAN(), { aggFunction: AggFunctions.BOOL_OR() })
      .column("r32", DataTypes.BYTES(), { aggFunction: AggFunctions.RBM32() })
      .column("r64", DataTypes.BYTES(), { aggFunction: AggFunctions.RBM64() })
      .primaryKey("id")
      .build();
    await create(bools, { properties: { "table.merge-engine": "aggregation" } });

    const agg = { "table.merge-engine": "aggregation" };
    await badConfig(
      aggSchema([{ name: "name", fn: AggFunctions.SUM(), type: DataTypes.STRING() }]),
      agg,
      "Invalid aggregation function for column 'name': Data type for sum column must be part of [TINYINT, SMALLINT, INTEGER, BIGINT, FLOAT, DOUBLE, DECIMAL] but was 'STRING'.",
    );
    await badConfig(
      aggSchema([{ name: "flag", fn: AggFunctions.BOOL_OR(), type: DataTypes.INT() }]),
      agg,
      "Invalid aggregation function for column 'flag': Data type for bool_or column must be part of [BOOLEAN] but was 'INT'.",
    );
    await badConfig(
      aggSchema([{ name: "tags", fn: AggFunctions.LISTAGG(""), type: DataTypes.STRING() }]),
      agg,
      "Invalid aggregation function for column 'tags': Parameter 'delimiter' for aggregation function 'listagg' must be a non-empty string",
    );
    await badConfig(
      aggSchema([{ name: "total", fn: AggFunctions.of("sum", { delimiter: "," }) }]),
      agg,
      "Invalid aggregation function for column 'total': Parameter 'delimiter' is not supported for aggregation function 'sum'. Supported parameters: none",
    );
    await badConfig(
      aggSchema([{ name: "total", fn: AggFunctions.SUM() }]),
      { "table.merge-engine": "first_row" },
      "Aggregation function is only supported for aggregation merge engine table, but column 'total' has aggregation function 'sum'.",
    );
    await badConfig(
      aggSchema([{ name: "tags", fn: AggFunctions.LISTAGG("|"), type: DataTypes.STRING() }]),
      {},
      "Aggregation function is only supported for aggregation merge engine table, but column 'tags' has aggregation function 'listagg{delimiter=|}'.",
    );
  });

  test("partitioned PK tables: partition columns must be in the primary key (client and server)", async () => {
    const schema = Schema.builder()
      .column("region", DataTypes.STRING())
      .column("id", DataTypes.INT())
      .column("day", DataTypes.STRING())
      .primaryKey("region", "id")
      .build();
    const props = await create(schema, { partitionKeys: ["region"] });
    assert.equal(props["table.kv.format-version"], "2");
    assert.throws(
      () => new TableDescriptor(schema, { partitionKeys: ["day"] }),
      (e: unknown) =>
        e instanceof FlussError &&
        e.code === ErrorCode.CLIENT_ERROR &&
        e.message === "Partitioned Primary Key Table requires partition key [day] is a subset of the primary key [region, id].",
    );
    // a request that skips the client's check gets Java's INVALID_TABLE_EXCEPTION
    await rawCreateRejects(
      tableJson(schema, `"partition_key":["day"],"bucket_key":["id"],"bucket_count":1`),
      ErrorCode.INVALID_TABLE_EXCEPTION,
      "Partitioned Primary Key Table requires partition key [day] is a subset of the primary key [region, id].",
    );
  });

  test("a bucket key that is not a column is a FlussError naming it (client and server); non-descriptors are refused", async () => {
    assert.throws(
      () => new TableDescriptor(logSchema(), { bucketKeys: ["nope"], bucketCount: 2 }),
      (e: unknown) =>
        e instanceof FlussError &&
        e.code === ErrorCode.CLIENT_ERROR &&
        /Bucket key 'nope' does not exist in the schema\./.test(e.message),
    );
    assert.throws(
      () => new TableDescriptor(pkSchema(), { bucketKeys: ["nope"] }),
      (e: unknown) => e instanceof FlussError && e.code === ErrorCode.CLIENT_ERROR && /bucket keys are \[nope\]/.test(e.message),
    );
    assert.throws(
      () => new TableDescriptor(logSchema(), { bucketKeys: "id" as never }),
      (e: unknown) =>
        e instanceof FlussError &&
        e.code === ErrorCode.CLIENT_ERROR &&
        /bucketKeys must be an array of column names, got "id"/.test(e.message),
    );
    await rejectsWith(
      admin.createTable(next(), { schema: logSchema(), bucketKeys: ["nope"] } as never),
      ErrorCode.CLIENT_ERROR,
      /needs a TableDescriptor/,
    );
    await rawCreateRejects(
      tableJson(logSchema(), `"partition_key":[],"bucket_key":["nope"],"bucket_count":2`),
      ErrorCode.INVALID_TABLE_EXCEPTION,
      "Bucket key 'nope' does not exist in the schema.",
    );
  });

  /** The schema JSON of a descriptor wrapped in a table JSON with the given distribution fields. */
  function tableJson(schema: Schema, distribution: string): string {
    return `{"version":1,"schema":${schemaToJson(schema)},${distribution},"properties":{},"custom_properties":{}}`;
  }

  async function rawCreateRejects(json: string, code: number, message: string): Promise<void> {
    const [host, port] = cluster.bootstrapServers.split(",")[0]!.split(":");
    const raw = await ServerConnection.connect({
      host: host!,
      port: Number(port),
      connectTimeoutMs: 5000,
      requestTimeoutMs: 10000,
    });
    try {
      await rejectsWith(
        raw.request(ApiKey.CREATE_TABLE, {
          tablePath: { databaseName: db, tableName: `raw_${n++}` },
          tableJson: utf8Encode(json),
          ignoreIfExists: false,
        }),
        code,
        new RegExp(`^${message.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}$`),
      );
    } finally {
      raw.close();
    }
  }
});
