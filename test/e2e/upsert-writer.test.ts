/**
 * The upsert writer through the public API against the embedded cluster (or
 * FLUSS_BOOTSTRAP_SERVERS): upserts, deletes and partial updates, read back through the
 * changelog (`+I`/`-U`/`+U`/`-D`) and through lookups; composite and partitioned keys,
 * COMPACTED and INDEXED kv formats, every data type as a value, bad input.
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import {
  DataTypes,
  Decimal,
  EARLIEST_OFFSET,
  ErrorCode,
  FlussError,
  Schema,
  TableDescriptor,
  TablePath,
  Timestamp,
  notNull,
  type FlussConnection,
  type FlussTable,
} from "../../src/index.js";
import { ApiKey } from "../../src/rpc/api-keys.js";
import { ServerConnection } from "../../src/rpc/server-connection.js";
import { rejectsWith } from "../helpers/assert.js";
import { createTestTable } from "../helpers/tables.js";
import { uniqueName, type TestCluster, closeTestDatabase, openTestDatabase } from "../helpers/cluster.js";

interface Change {
  readonly op: string;
  readonly row: Record<string, unknown>;
  readonly offset: number;
  readonly bucket: number;
  readonly partitionId: number | undefined;
}

/** Reads the changelog of every bucket (of the given partitions) until `n` records arrived, then checks nothing more comes. */
async function readChangelog(table: FlussTable, n: number, partitionIds?: readonly number[], ms = 10_000): Promise<Change[]> {
  const scanner = await table.newScan().createLogScanner();
  try {
    for (let b = 0; b < table.info.numBuckets; b++) {
      if (partitionIds === undefined) await scanner.subscribe(b, EARLIEST_OFFSET);
      else for (const p of partitionIds) await scanner.subscribePartition(p, b, EARLIEST_OFFSET);
    }
    const out: Change[] = [];
    const collect = async (wait: number): Promise<void> => {
      const recs = await scanner.poll(wait);
      for (const tb of recs.buckets()) {
        for (const r of recs.records(tb)) {
          out.push({
            op: r.changeType.shortString(),
            row: r.row,
            offset: r.offset,
            bucket: tb.bucket,
            partitionId: tb.partitionId,
          });
        }
      }
    };
    const deadline = Date.now() + ms;
    while (out.length < n) {
      if (Date.now() > deadline) assert.fail(`got ${out.length} of ${n} changelog records in ${ms} ms`);
      await collect(300);
    }
    await collect(200);
    assert.equal(out.length, n, "no more changelog records than expected");
    return out;
  } finally {
    await scanner.close();
  }
}

/** `+I 1 Alice` style lines, per bucket in offset order. */
function render(changes: readonly Change[], cols: readonly string[]): string[] {
  return [...changes]
    .sort((a, b) => a.bucket - b.bucket || a.offset - b.offset)
    .map((c) => [c.op, ...cols.map((k) => String(c.row[k]))].join(" "));
}

function clientError(pattern: RegExp): (e: unknown) => boolean {
  return (e: unknown) => {
    assert.ok(e instanceof FlussError, `expected FlussError, got ${String(e)}`);
    assert.equal(e.code, ErrorCode.CLIENT_ERROR, e.message);
    assert.match(e.message, pattern);
    return true;
  };
}

describe("upsert writer (e2e)", () => {
  let cluster: TestCluster;
  let conn: FlussConnection;
  const db = uniqueName("upsert_db");

  before(async () => {
    // these tests write to missing partitions and expect PARTITION_NOT_EXISTS (dynamic creation off;
    // test/e2e/dynamic-partitions.test.ts covers the default)
    ({ cluster, conn } = await openTestDatabase(db, {
      "scanner.log.fetch.wait-max-time-ms": 200,
      "writer.dynamic-create-partition.enabled": false,
    }));
  });
  after(() => closeTestDatabase(cluster, conn, db));

  async function create(
    name: string,
    schema: Schema,
    options: ConstructorParameters<typeof TableDescriptor>[1],
  ): Promise<FlussTable> {
    const path = new TablePath(db, name);
    await conn.getAdmin().createTable(path, new TableDescriptor(schema, options));
    return conn.getTable(path);
  }

  const users = Schema.fromColumns(
    [
      { name: "id", type: notNull(DataTypes.INT()) },
      { name: "name", type: DataTypes.STRING() },
      { name: "age", type: DataTypes.BIGINT() },
    ],
    ["id"],
  );

  for (const [kvFormat, logFormat] of [
    ["COMPACTED", "ARROW"],
    ["INDEXED", "INDEXED"],
    ["COMPACTED", "COMPACTED"],
  ] as const) {
    test(`${kvFormat} kv, ${logFormat} changelog: upsert, update, delete read back as +I/-U/+U/-D`, async () => {
      const table = await create(`users_${kvFormat}_${logFormat}`.toLowerCase(), users, { bucketCount: 1, kvFormat, logFormat });
      const writer = table.newUpsert();
      writer.upsert({ id: 1, name: "Alice", age: 25n });
      writer.upsert([2, "Bob", 30n]);
      writer.upsert({ id: 3, name: "Charlie", age: 35n });
      await writer.flush();
      await writer.upsert({ id: 1, name: "Alice", age: 26n }).wait();
      await writer.delete({ id: 2, name: "ignored" }).wait();
      await writer.delete([9]).wait(); // absent key: nothing
      await writer.close();
      const changes = await readChangelog(table, 6);
      assert.deepEqual(render(changes, ["id", "name", "age"]), [
        "+I 1 Alice 25",
        "+I 2 Bob 30",
        "+I 3 Charlie 35",
        "-U 1 Alice 25",
        "+U 1 Alice 26",
        "-D 2 Bob 30",
      ]);
      assert.deepEqual(
        changes.map((c) => c.offset),
        [0, 1, 2, 3, 4, 5],
      );
      const lookuper = table.newLookup();
      assert.deepEqual(await lookuper.lookup({ id: 1 }), { id: 1, name: "Alice", age: 26n });
      assert.equal(await lookuper.lookup({ id: 2 }), null);
      await lookuper.close();
    });
  }

  test("newUpsert is synchronous and awaitable; await upsert waits for buffer room only; await using", async () => {
    const table = await create("sync_api", users, { bucketCount: 2 });
    const awaited = await table.newUpsert();
    assert.equal(typeof (awaited as unknown as { then?: unknown }).then, "undefined");
    const accepted = await awaited.upsert({ id: 1, name: "a", age: 1n });
    assert.equal(typeof (accepted as { then?: unknown }).then, "undefined");
    await accepted.wait();
    await awaited.close();
    let kept: { upsert(row: unknown[]): unknown } | undefined;
    {
      await using writer = table.newUpsert();
      writer.upsert([2, "b", 2n]);
      kept = writer;
    }
    assert.throws(() => kept!.upsert([3, "c", 3n]), FlussError);
    const lookuper = table.newLookup();
    assert.deepEqual(await lookuper.lookup({ id: 2 }), { id: 2, name: "b", age: 2n });
    await lookuper.close();
  });

  test("partial update by column names and by indexes; other columns keep their values", async () => {
    const schema = Schema.fromColumns(
      [
        { name: "id", type: notNull(DataTypes.INT()) },
        { name: "name", type: DataTypes.STRING() },
        { name: "age", type: DataTypes.BIGINT() },
        { name: "email", type: DataTypes.STRING() },
      ],
      ["id"],
    );
    const table = await create("partial", schema, { bucketCount: 2 });
    const full = table.newUpsert();
    full.upsert({ id: 1, name: "Alice", age: 25n, email: "a@x" });
    full.upsert({ id: 2, name: "Bob", age: 30n, email: "b@x" });
    await full.flush();

    const byName = table.newUpsert({ columns: ["id", "age"] });
    assert.deepEqual(byName.columns, [0, 2]);
    byName.upsert({ id: 1, age: 26n });
    byName.upsert([2, null, 31n, null]);
    byName.upsert({ id: 3, age: 40n }); // a new key: the other columns are null
    await byName.flush();
    const byIndex = table.newUpsert({ columns: [3, 0] });
    await byIndex.upsert({ id: 1, email: "alice@x" }).wait();
    // a value for a column outside the partial update is refused, naming it
    assert.throws(() => byIndex.upsert({ id: 1, name: "nope", email: "e" }), clientError(/"name"/));

    const lookuper = table.newLookup();
    assert.deepEqual(await lookuper.lookup({ id: 1 }), { id: 1, name: "Alice", age: 26n, email: "alice@x" });
    assert.deepEqual(await lookuper.lookup({ id: 2 }), { id: 2, name: "Bob", age: 31n, email: "b@x" });
    assert.deepEqual(await lookuper.lookup({ id: 3 }), { id: 3, name: null, age: 40n, email: null });

    // a partial delete nulls the writer's columns, or deletes the row when the rest is null
    await byName.delete({ id: 2 }).wait();
    await byName.delete({ id: 3 }).wait();
    assert.deepEqual(await lookuper.lookup({ id: 2 }), { id: 2, name: "Bob", age: null, email: "b@x" });
    assert.equal(await lookuper.lookup({ id: 3 }), null);

    // full and partial writes to the same key interleave in order (separate batches per column set)
    const w = table.newUpsert();
    for (let i = 0; i < 20; i++) {
      w.upsert({ id: 5, name: `n${i}`, age: BigInt(i), email: "e" });
      byName.upsert({ id: 5, age: BigInt(100 + i) });
    }
    await Promise.all([w.flush(), byName.flush()]);
    assert.deepEqual(await lookuper.lookup({ id: 5 }), { id: 5, name: "n19", age: 119n, email: "e" });
    await Promise.all([full.close(), byName.close(), byIndex.close(), w.close(), lookuper.close()]);
  });

  test("partial update columns: a missing key column, an unknown name or index, a NOT NULL column are refused by name", async () => {
    const schema = Schema.fromColumns(
      [
        { name: "a", type: notNull(DataTypes.INT()) },
        { name: "b", type: notNull(DataTypes.STRING()) },
        { name: "v", type: DataTypes.INT() },
        { name: "w", type: notNull(DataTypes.INT()) },
      ],
      ["a", "b"],
    );
    const table = await create("partial_checks", schema, { bucketCount: 1 });
    assert.throws(() => table.newUpsert({ columns: ["a", "v"] }), clientError(/primary key.*missing "b"/));
    assert.throws(() => table.newUpsert({ columns: ["a", "b", "nope"] }), clientError(/"nope"/));
    assert.throws(() => table.newUpsert({ columns: [0, 1, 7] }), clientError(/7/));
    assert.throws(() => table.newUpsert({ columns: [] }), clientError(/non-empty/));
    assert.throws(() => table.newUpsert({ columns: ["a", "b", "v"] }), clientError(/"w" is NOT NULL/));
  });

  test("composite keys: every row by its key bytes and bucket; deletes need the whole key", async () => {
    const schema = Schema.fromColumns(
      [
        { name: "tenant", type: notNull(DataTypes.STRING()) },
        { name: "id", type: notNull(DataTypes.BIGINT()) },
        { name: "day", type: notNull(DataTypes.DATE()) },
        { name: "v", type: DataTypes.DOUBLE() },
      ],
      ["tenant", "id", "day"],
    );
    const table = await create("composite", schema, { bucketCount: 4 });
    const writer = table.newUpsert();
    const day = (d: number) => new Date(Date.UTC(2024, 0, d));
    for (let i = 0; i < 40; i++) writer.upsert({ tenant: `t${i % 3}`, id: BigInt(i), day: day(1 + (i % 5)), v: i / 2 });
    await writer.flush();
    assert.throws(() => writer.delete({ tenant: "t0", id: 0n }), clientError(/whole primary key.*"day"/));
    assert.throws(() => writer.delete(["t0", 0n]), clientError(/3 values/));
    await writer.delete({ tenant: "t0", id: 0n, day: day(1) }).wait();
    await writer.delete(["t1", 1n, day(2)]).wait();
    await writer.close();
    const lookuper = table.newLookup();
    for (let i = 0; i < 40; i++) {
      const got = await lookuper.lookup({ tenant: `t${i % 3}`, id: BigInt(i), day: day(1 + (i % 5)) });
      if (i < 2) assert.equal(got, null, `key ${i}`);
      else assert.deepEqual(got, { tenant: `t${i % 3}`, id: BigInt(i), day: day(1 + (i % 5)), v: i / 2 });
    }
    await lookuper.close();
    const changes = await readChangelog(table, 42);
    assert.equal(changes.filter((c) => c.op === "-D").length, 2);
    // the server put each row in the bucket the writer chose; lookups (which hash the key
    // themselves) found them, and every bucket got some
    assert.equal(new Set(changes.map((c) => c.bucket)).size, 4);
  });

  test("rows with the same key keep their order across many writes and buckets", async () => {
    const table = await create("ordering", users, { bucketCount: 3 });
    const writer = table.newUpsert();
    for (let i = 0; i < 3000; i++) writer.upsert({ id: i % 10, name: `v${i}`, age: BigInt(i) });
    await writer.close();
    const lookuper = table.newLookup();
    for (let k = 0; k < 10; k++) {
      assert.deepEqual(await lookuper.lookup({ id: k }), { id: k, name: `v${2990 + k}`, age: BigInt(2990 + k) });
    }
    await lookuper.close();
    const changes = await readChangelog(table, 10 + 2 * 2990);
    for (let k = 0; k < 10; k++) {
      const ages = changes
        .filter((c) => c.row.id === k && c.op !== "-U")
        .sort((a, b) => a.offset - b.offset)
        .map((c) => Number(c.row.age));
      assert.deepEqual(
        ages,
        Array.from({ length: 300 }, (_, j) => k + 10 * j),
      );
    }
  });

  test("partitioned primary key: rows go to their partition; a missing partition fails the handle, and is found once created", async () => {
    const schema = Schema.fromColumns(
      [
        { name: "region", type: notNull(DataTypes.STRING()) },
        { name: "user_id", type: notNull(DataTypes.INT()) },
        { name: "score", type: DataTypes.BIGINT() },
      ],
      ["region", "user_id"],
    );
    const table = await create("parted", schema, { bucketCount: 2, partitionKeys: ["region"] });
    const admin = conn.getAdmin();
    await admin.createPartition(table.info.tablePath, { region: "US" });
    await admin.createPartition(table.info.tablePath, { region: "EU" });
    const writer = table.newUpsert();
    for (let i = 0; i < 20; i++) writer.upsert({ region: i % 2 ? "US" : "EU", user_id: i, score: BigInt(i * 10) });
    await writer.flush();
    await rejectsWith(
      writer.upsert({ region: "ASIA", user_id: 1, score: 1n }).wait(),
      ErrorCode.PARTITION_NOT_EXISTS,
      /region=ASIA/,
    );
    await rejectsWith(writer.delete({ region: "ASIA", user_id: 1 }).wait(), ErrorCode.PARTITION_NOT_EXISTS, /region=ASIA/);
    await writer.flush(); // delivered above: not thrown again
    await admin.createPartition(table.info.tablePath, { region: "ASIA" });
    await writer.upsert({ region: "ASIA", user_id: 1, score: 1n }).wait();
    await writer.delete({ region: "US", user_id: 1 }).wait();
    await writer.close();

    const lookuper = table.newLookup();
    assert.deepEqual(await lookuper.lookup({ region: "ASIA", user_id: 1 }), { region: "ASIA", user_id: 1, score: 1n });
    assert.deepEqual(await lookuper.lookup({ region: "EU", user_id: 2 }), { region: "EU", user_id: 2, score: 20n });
    assert.equal(await lookuper.lookup({ region: "US", user_id: 1 }), null);
    assert.equal(await lookuper.lookup({ region: "EU", user_id: 1 }), null);
    await lookuper.close();
    const parts = await admin.listPartitionInfos(table.info.tablePath);
    const us = parts.find((p) => p.partitionName === "US")!;
    const usChanges = await readChangelog(table, 11, [us.partitionId]);
    assert.ok(usChanges.every((c) => c.row.region === "US" && c.partitionId === us.partitionId));
    assert.deepEqual(
      usChanges.filter((c) => c.op === "-D").map((c) => c.row.user_id),
      [1],
    );
  });

  test("every data type as a value, through the changelog (COMPACTED kv + ARROW log, INDEXED kv + INDEXED log)", async () => {
    const schema = Schema.fromColumns(
      [
        { name: "id", type: notNull(DataTypes.INT()) },
        { name: "b", type: DataTypes.BOOLEAN() },
        { name: "i8", type: DataTypes.TINYINT() },
        { name: "i16", type: DataTypes.SMALLINT() },
        { name: "i64", type: DataTypes.BIGINT() },
        { name: "f32", type: DataTypes.FLOAT() },
        { name: "f64", type: DataTypes.DOUBLE() },
        { name: "dec", type: DataTypes.DECIMAL(10, 2) },
        { name: "bigdec", type: DataTypes.DECIMAL(30, 5) },
        { name: "ch", type: DataTypes.CHAR(3) },
        { name: "s", type: DataTypes.STRING() },
        { name: "bin", type: DataTypes.BINARY(3) },
        { name: "bytes", type: DataTypes.BYTES() },
        { name: "d", type: DataTypes.DATE() },
        { name: "t3", type: DataTypes.TIME(3) },
        { name: "ts3", type: DataTypes.TIMESTAMP(3) },
        { name: "ts9", type: DataTypes.TIMESTAMP(9) },
        { name: "ltz", type: DataTypes.TIMESTAMP_LTZ(6) },
        { name: "arr", type: DataTypes.ARRAY(DataTypes.INT()) },
        { name: "m", type: DataTypes.MAP(DataTypes.STRING(), DataTypes.BIGINT()) },
        { name: "r", type: DataTypes.ROW([DataTypes.FIELD("x", DataTypes.INT()), DataTypes.FIELD("y", DataTypes.STRING())]) },
      ],
      ["id"],
    );
    const full: Record<string, unknown> = {
      id: 1,
      b: false,
      i8: 127,
      i16: -32768,
      i64: -9007199254740993n,
      f32: -0.5,
      f64: 1e300,
      dec: new Decimal(-99999999n, 2),
      bigdec: new Decimal(123456789012345678901234567890n, 5),
      ch: "xyz",
      s: "日本語 ✓",
      bin: new Uint8Array([9, 8, 7]),
      bytes: new Uint8Array(300).fill(5),
      d: new Date(Date.UTC(1970, 0, 1)),
      t3: 86_399_999,
      ts3: new Timestamp(Date.UTC(2000, 5, 6, 7, 8, 9, 10), 0),
      ts9: new Timestamp(Date.UTC(2030, 0, 1), 999_999),
      ltz: new Timestamp(1_700_000_000_123, 456_000),
      arr: [1, null, 3],
      m: new Map<string, bigint | null>([
        ["a", 1n],
        ["b", null],
      ]),
      r: { x: -1, y: null },
    };
    const nulls = Object.fromEntries(schema.columnNames.map((c) => [c, c === "id" ? 2 : null]));
    for (const [kvFormat, logFormat] of [
      ["COMPACTED", "ARROW"],
      ["INDEXED", "INDEXED"],
    ] as const) {
      const table = await create(`types_${kvFormat}`.toLowerCase(), schema, { bucketCount: 1, kvFormat, logFormat });
      const writer = table.newUpsert();
      writer.upsert(full);
      writer.upsert(nulls);
      await writer.close();
      const changes = await readChangelog(table, 2);
      for (const want of [full, nulls]) {
        const got = changes.find((c) => c.row.id === want.id)!;
        assert.equal(got.op, "+I");
        for (const c of schema.columnNames) {
          const a = got.row[c];
          const e = want[c];
          const msg = `${kvFormat}/${logFormat} row ${String(want.id)} column ${c}`;
          if (e instanceof Timestamp) assert.equal((a as Timestamp).toISOString(), e.toISOString(), msg);
          else if (e instanceof Decimal) assert.equal(String(a), e.toString(), msg);
          else if (e instanceof Uint8Array) assert.deepEqual([...(a as Uint8Array)], [...e], msg);
          else assert.deepEqual(a, e, msg);
        }
      }
    }
  });

  test("bad input is a FlussError naming the column, thrown at once; nothing else is lost", async () => {
    const table = await create("bad_input", users, { bucketCount: 2 });
    const writer = table.newUpsert();
    writer.upsert({ id: 1, name: "ok", age: 1n });
    assert.throws(() => writer.upsert({ name: "no key", age: 2n }), clientError(/"id"/));
    assert.throws(() => writer.upsert({ id: null, name: "null key", age: 2n }), clientError(/"id"/));
    assert.throws(() => writer.upsert({ id: "one", name: "x", age: 2n }), clientError(/"id"/));
    assert.throws(() => writer.upsert({ id: 2, name: 5, age: 2n }), clientError(/"name"/));
    assert.throws(() => writer.upsert({ id: 2, nick: "x" }), clientError(/"nick"/));
    assert.throws(() => writer.upsert([2, "short"]), clientError(/3 columns/));
    assert.throws(() => writer.delete({ name: "x" }), clientError(/"id"/));
    assert.throws(() => writer.delete({ id: "x" }), clientError(/"id"/));
    assert.throws(() => writer.upsert({ id: 3, name: "z".repeat(11 * 1000 * 1000), age: 1n }), clientError(/request\.max\.size/));
    writer.upsert({ id: 2, name: "ok2", age: 2n });
    await writer.close();
    const lookuper = table.newLookup();
    assert.deepEqual(await lookuper.lookup({ id: 1 }), { id: 1, name: "ok", age: 1n });
    assert.deepEqual(await lookuper.lookup({ id: 2 }), { id: 2, name: "ok2", age: 2n });
    await lookuper.close();
  });

  test("newUpsert on a log table and newAppendWriter on a primary-key table are refused", async () => {
    const log = await createTestTable(conn, db, "a_log_table");
    assert.throws(() => log.newUpsert(), clientError(/no primary key.*newAppendWriter/));
    const pk = await create("a_pk_table", users, { bucketCount: 1 });
    assert.throws(() => pk.newAppendWriter(), clientError(/primary key.*newUpsert/));
  });

  test("idempotent retries after connection drops: every upsert applied exactly once", async () => {
    // Some PutKv requests are written to the socket, then the connection dies before the
    // answer arrives: the server applied the batch, the client re-sends it (same writer id
    // and sequence) and the server recognises it.
    const c2 = await cluster.connect({ "writer.batch.timeout.ms": 0, "writer.batch.size": 4096 });
    const proto = ServerConnection.prototype as unknown as { requestParts: (...args: unknown[]) => Promise<unknown> };
    const original = proto.requestParts;
    let sent = 0;
    let dropped = 0;
    proto.requestParts = function (this: ServerConnection, ...args: unknown[]) {
      const p = original.apply(this, args);
      if (args[0] === ApiKey.PUT_KV && ++sent % 7 === 3 && dropped < 4) {
        dropped++;
        this.close();
      }
      return p;
    };
    try {
      const created = await create("idem", users, { bucketCount: 2 });
      const writer = (await c2.getTable(created.info.tablePath)).newUpsert();
      const n = 3000;
      for (let i = 0; i < n; i++) {
        writer.upsert({ id: i, name: `v${i}`, age: BigInt(i) });
        if (i % 250 === 0) await new Promise((r) => setTimeout(r, 1));
      }
      await writer.close();
      assert.ok(dropped > 0, "connections were dropped with requests in flight");
      // a re-applied batch would show up as -U/+U pairs
      const changes = await readChangelog(created, n);
      assert.ok(changes.every((c) => c.op === "+I"));
      assert.deepEqual(
        changes.map((c) => c.row.id as number).sort((a, b) => a - b),
        Array.from({ length: n }, (_, i) => i),
      );
    } finally {
      proto.requestParts = original;
      await c2.close();
    }
  });

  test("a dropped primary-key table fails the upsert writer with TABLE_NOT_EXIST", async () => {
    const c2 = await cluster.connect();
    const created = await create("pk_dropped", users, { bucketCount: 1 });
    const writer = (await c2.getTable(created.info.tablePath)).newUpsert();
    await writer.upsert({ id: 1, name: "a", age: 1n }).wait();
    await conn.getAdmin().dropTable(created.info.tablePath);
    await conn.getAdmin().createTable(created.info.tablePath, new TableDescriptor(users, { bucketCount: 1 }));
    await rejectsWith(writer.upsert({ id: 2, name: "b", age: 2n }).wait(), ErrorCode.TABLE_NOT_EXIST, /pk_dropped/);
    const started = Date.now();
    await c2.close().catch(() => undefined);
    assert.ok(Date.now() - started < 5000);
  });
});
