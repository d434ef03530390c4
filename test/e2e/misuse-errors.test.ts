/** Misuse gets a FlussError (CLIENT_ERROR) that names the mistake, and typos are type errors where the types know. */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import {
  Config,
  DataTypes,
  FlussError,
  OffsetSpec,
  Schema,
  TableDescriptor,
  TablePath,
  type FlussConnection,
  type TableDescriptorOptions,
} from "../../src/index.js";
import { startTestCluster, uniqueName, type TestCluster } from "../helpers/cluster.js";

const clientError = (re: RegExp) => (e: unknown) => {
  assert.ok(e instanceof FlussError, `expected a FlussError, got ${String(e)}`);
  assert.equal(e.code, -2);
  assert.match(e.message, re);
  return true;
};

const schema = Schema.fromColumns([{ name: "id", type: DataTypes.INT() }]);

describe("misuse errors", () => {
  test("TableDescriptor: a plain object for the schema, snake_case or unknown option names", () => {
    assert.throws(
      () => new TableDescriptor({ columns: [] } as unknown as Schema),
      clientError(/needs a Schema.*plain object with keys columns/),
    );
    const snake = { bucket_count: 3 } as unknown as TableDescriptorOptions;
    assert.throws(
      () => new TableDescriptor(schema, snake),
      clientError(/unknown TableDescriptor option "bucket_count" \(did you mean "bucketCount"\?\)/),
    );
    const kebab = { "partition-keys": ["id"] } as unknown as TableDescriptorOptions;
    assert.throws(() => new TableDescriptor(schema, kebab), clientError(/did you mean "partitionKeys"/));
    const typo = { bucketCont: 3 } as unknown as TableDescriptorOptions;
    assert.throws(() => new TableDescriptor(schema, typo), clientError(/"bucketCont" \(did you mean "bucketCount"\?\)/));
    // with() and the known options still work
    const d = new TableDescriptor(schema, { bucketCount: 2, comment: "c" }).with({ schema, bucketCount: 4 });
    assert.equal(d.bucketCount, 4);
  });

  test("Config: acks as a number, typos are type errors and runtime errors, fromRecord for dynamic keys", () => {
    assert.equal(new Config({ "writer.acks": -1 }).acks, -1);
    assert.equal(new Config({ "writer.acks": 0 }).acks, 0);
    assert.equal(new Config({ "writer.acks": "all" }).acks, -1);
    // @ts-expect-error 2 is not an acks value
    assert.throws(() => new Config({ "writer.acks": 2 }), clientError(/writer\.acks.*expected one of all, -1, 0, 1/));
    // @ts-expect-error misspelled key
    assert.throws(() => new Config({ "writer.batch.sise": 1024 }), clientError(/did you mean "writer\.batch\.size"/));
    // @ts-expect-error snake_case of a dotted key
    assert.throws(() => new Config({ bootstrap_servers: "h:1" }), clientError(/did you mean "bootstrap\.servers"/));
    // @ts-expect-error a boolean option takes a boolean
    assert.throws(() => new Config({ "writer.enable.idempotence": 1 }), clientError(/true or false/));
    const fromFile: Record<string, unknown> = JSON.parse('{"bootstrap.servers": "h:1", "writer.batch-size": "2048"}');
    assert.equal(Config.fromRecord(fromFile).get("writer.batch.size"), 2048);
    assert.throws(() => Config.fromRecord({ "writer.acks ": "all" }), clientError(/unknown config key/));
  });

  test("OffsetSpec.timestamp with a bad value is a FlussError", () => {
    assert.throws(() => OffsetSpec.timestamp(Number.NaN), clientError(/epoch milliseconds/));
    assert.throws(() => OffsetSpec.timestamp(new Date("nope")), clientError(/epoch milliseconds/));
    assert.throws(() => OffsetSpec.timestamp(1.5), clientError(/epoch milliseconds/));
    assert.equal(OffsetSpec.timestamp(new Date(5)).timestamp, 5);
  });

  describe("admin", () => {
    let cluster: TestCluster;
    let conn: FlussConnection;
    const db = uniqueName("misuse_db");
    before(async () => {
      cluster = await startTestCluster();
      conn = await cluster.connect();
      await conn.getAdmin().createDatabase(db);
    });
    after(async () => {
      await conn
        .getAdmin()
        .dropDatabase(db, { ignoreIfNotExists: true, cascade: true })
        .catch(() => undefined);
      await conn.close();
      await cluster.close();
    });

    test("createTable with a plain object instead of a TableDescriptor, or snake_case options", async () => {
      const admin = conn.getAdmin();
      const path = new TablePath(db, "t");
      const plain = { schema, bucketCount: 1 } as unknown as TableDescriptor;
      await assert.rejects(
        admin.createTable(path, plain),
        clientError(/createTable needs a TableDescriptor.*plain object with keys schema, bucketCount/),
      );
      const snake = { ignore_if_exists: true } as unknown as { ignoreIfExists?: boolean };
      await assert.rejects(
        admin.createTable(path, new TableDescriptor(schema), snake),
        clientError(/unknown createTable option "ignore_if_exists" \(did you mean "ignoreIfExists"\?\)/),
      );
      assert.equal(await admin.tableExists(path), false);
      const dropSnake = { ignore_if_not_exists: true } as unknown as { ignoreIfNotExists?: boolean };
      await assert.rejects(
        admin.dropDatabase("no_such_db", dropSnake),
        clientError(/unknown dropDatabase option "ignore_if_not_exists" \(did you mean "ignoreIfNotExists"\?\)/),
      );
      await assert.rejects(admin.dropTable(path, dropSnake), clientError(/did you mean "ignoreIfNotExists"/));
    });
  });
});
