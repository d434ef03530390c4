import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { CatalogStore, DEFAULT_DATABASE, EMPTY_DATABASE_JSON, WRITER_ID_BLOCK } from "../../src/server/storage/catalog-store.js";
import { ErrorCode, FlussError } from "../../src/rpc/errors.js";

function tempDir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), "flussjs-catalog-"));
}

function withDir(fn: (dir: string) => void): void {
  const dir = tempDir();
  try {
    fn(dir);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

function code(c: number) {
  return (e: unknown) => e instanceof FlussError && e.code === c;
}

test("catalog: first open creates the default database", () =>
  withDir((dir) => {
    const s = CatalogStore.open(dir, { clock: () => 1000 });
    assert.deepEqual(
      s.listDatabases().map((d) => d.name),
      [DEFAULT_DATABASE],
    );
    const db = s.getDatabase(DEFAULT_DATABASE)!;
    assert.equal(db.databaseJson, EMPTY_DATABASE_JSON);
    assert.equal(db.createdTime, 1000);
    assert.equal(db.modifiedTime, 1000);
    assert.throws(() => s.dropDatabase(DEFAULT_DATABASE), code(ErrorCode.UNKNOWN_SERVER_ERROR));
    // reopening does not create it twice
    const s2 = CatalogStore.open(dir);
    assert.equal(s2.listDatabases().length, 1);
  }));

test("catalog: everything survives a reopen and counters continue", () =>
  withDir((dir) => {
    let s = CatalogStore.open(dir);
    s.createDatabase("db1", '{"version":1,"comment":"c","custom_properties":{}}');
    const t0 = s.createTable({ databaseName: "db1", tableName: "a" }, '{"t":"a"}', '{"s":1}');
    const t1 = s.createTable({ databaseName: "db1", tableName: "b" }, '{"t":"b"}');
    assert.equal(t0.tableId, 0);
    assert.equal(t1.tableId, 1);
    assert.equal(t0.schemaId, 1);
    const p0 = s.createPartition(t1.tableId, "2024$x", [
      ["dt", "2024"],
      ["k", "x"],
    ]);
    const p1 = s.createPartition(t1.tableId, "2025$x", [
      ["dt", "2025"],
      ["k", "x"],
    ]);
    assert.equal(p0.partitionId, 0);
    assert.equal(p1.partitionId, 1);
    assert.equal(s.nextWriterId(), 0);
    assert.equal(s.nextWriterId(), 1);
    for (let i = 2; i < WRITER_ID_BLOCK; i++) s.nextWriterId(); // the rest of the block

    s = CatalogStore.open(dir);
    assert.deepEqual(
      s.listDatabases().map((d) => d.name),
      [DEFAULT_DATABASE, "db1"],
    );
    assert.equal(s.getDatabase("db1")!.databaseJson, '{"version":1,"comment":"c","custom_properties":{}}');
    assert.deepEqual(s.getTable({ databaseName: "db1", tableName: "a" }), t0);
    assert.deepEqual(s.getTableById(1), t1);
    assert.deepEqual(
      s.listTables("db1").map((t) => t.tableName),
      ["a", "b"],
    );
    assert.deepEqual(s.listPartitions(1), [p0, p1]);
    assert.deepEqual(s.getPartitionByName(1, "2025$x"), p1);
    assert.deepEqual(s.getPartitionById(0), p0);
    assert.deepEqual(s.getPartitionById(0)!.spec, [
      ["dt", "2024"],
      ["k", "x"],
    ]);

    // ids are never reused, even after drops (writer ids continue after the reserved block)
    s.dropTable({ databaseName: "db1", tableName: "a" });
    s.dropPartition(1, "2025$x");
    assert.equal(s.nextWriterId(), WRITER_ID_BLOCK);
    s = CatalogStore.open(dir);
    assert.equal(s.createTable({ databaseName: "db1", tableName: "a" }, "{}").tableId, 2);
    assert.equal(s.createPartition(1, "2025$x", [["dt", "2025"]]).partitionId, 2);
    assert.equal(s.nextWriterId(), 2 * WRITER_ID_BLOCK);
  }));

test("catalog: errors for duplicates and missing entities", () =>
  withDir((dir) => {
    const s = CatalogStore.open(dir);
    assert.throws(() => s.createDatabase(DEFAULT_DATABASE), code(ErrorCode.DATABASE_ALREADY_EXIST));
    assert.throws(() => s.dropDatabase("nope"), code(ErrorCode.DATABASE_NOT_EXIST));
    assert.throws(() => s.listTables("nope"), code(ErrorCode.DATABASE_NOT_EXIST));
    assert.throws(() => s.createTable({ databaseName: "nope", tableName: "t" }, "{}"), code(ErrorCode.DATABASE_NOT_EXIST));
    const t = s.createTable({ databaseName: "fluss", tableName: "t" }, "{}");
    assert.throws(() => s.createTable({ databaseName: "fluss", tableName: "t" }, "{}"), code(ErrorCode.TABLE_ALREADY_EXIST));
    assert.throws(() => s.dropTable({ databaseName: "fluss", tableName: "x" }), code(ErrorCode.TABLE_NOT_EXIST));
    assert.throws(() => s.createPartition(99, "p", [["k", "p"]]), code(ErrorCode.TABLE_NOT_EXIST));
    s.createPartition(t.tableId, "p", [["k", "p"]]);
    assert.throws(() => s.createPartition(t.tableId, "p", [["k", "p"]]), code(ErrorCode.PARTITION_ALREADY_EXISTS));
    assert.throws(() => s.dropPartition(t.tableId, "q"), code(ErrorCode.PARTITION_NOT_EXISTS));
  }));

test("catalog: dropping a database cascades to tables and partitions", () =>
  withDir((dir) => {
    let s = CatalogStore.open(dir);
    s.createDatabase("d");
    const a = s.createTable({ databaseName: "d", tableName: "a" }, "{}");
    const keep = s.createTable({ databaseName: "fluss", tableName: "keep" }, "{}");
    const p = s.createPartition(a.tableId, "x", [["k", "x"]]);
    s.createPartition(keep.tableId, "y", [["k", "y"]]);
    const dropped = s.dropDatabase("d");
    assert.deepEqual(
      dropped.tables.map((t) => t.tableId),
      [a.tableId],
    );
    assert.deepEqual(dropped.partitions, [p]);
    s = CatalogStore.open(dir);
    assert.equal(s.getDatabase("d"), undefined);
    assert.equal(s.getTableById(a.tableId), undefined);
    assert.equal(s.getPartitionById(p.partitionId), undefined);
    assert.equal(s.listPartitions(keep.tableId).length, 1);
    // a database of the same name starts empty
    s.createDatabase("d");
    assert.deepEqual(s.listTables("d"), []);
  }));

test("catalog: alter table bumps the schema id and keeps history", () =>
  withDir((dir) => {
    let s = CatalogStore.open(dir, { clock: () => 5 });
    const t = s.createTable({ databaseName: "fluss", tableName: "t" }, '{"v":1}', '{"s":1}');
    s = CatalogStore.open(dir, { clock: () => 9 });
    const t2 = s.alterTable(t.tableId, '{"v":2}', '{"s":2}');
    assert.equal(t2.schemaId, 2);
    assert.equal(t2.createdTime, 5);
    assert.equal(t2.modifiedTime, 9);
    s = CatalogStore.open(dir);
    assert.deepEqual(s.getTableById(t.tableId)!.schemas, [
      { schemaId: 1, schemaJson: '{"s":1}' },
      { schemaId: 2, schemaJson: '{"s":2}' },
    ]);
    assert.equal(s.getTableById(t.tableId)!.tableJson, '{"v":2}');
  }));

test("catalog: a leftover temp file is ignored; a corrupt catalog fails loudly", () =>
  withDir((dir) => {
    const s = CatalogStore.open(dir);
    s.createDatabase("d");
    const file = path.join(dir, "catalog", "catalog.json");
    // a crash mid-write leaves a partial temp file next to the committed catalog
    fs.writeFileSync(`${file}.tmp`, '{"format":"flussjs-cat');
    const s2 = CatalogStore.open(dir);
    assert.ok(s2.getDatabase("d"));
    assert.equal(fs.existsSync(`${file}.tmp`), false);

    const good = fs.readFileSync(file, "utf8");
    fs.writeFileSync(file, good.slice(0, good.length / 2));
    assert.throws(
      () => CatalogStore.open(dir),
      (e: unknown) => e instanceof FlussError && e.code === ErrorCode.STORAGE_EXCEPTION && /corrupt/.test(e.message),
    );
    // the corrupt file is left untouched for inspection
    assert.equal(fs.readFileSync(file, "utf8"), good.slice(0, good.length / 2));

    fs.writeFileSync(file, JSON.stringify({ format: "flussjs-catalog", version: 1, nextTableId: "x" }));
    assert.throws(() => CatalogStore.open(dir), code(ErrorCode.STORAGE_EXCEPTION));
  }));

test("catalog: writer ids need one catalog write per block, not per writer, and survive restarts", () =>
  withDir((dir) => {
    let s = CatalogStore.open(dir);
    const file = path.join(dir, "catalog", "catalog.json");
    const persisted = (): number => (JSON.parse(fs.readFileSync(file, "utf8")) as { nextWriterId: number }).nextWriterId;
    assert.equal(s.nextWriterId(), 0);
    assert.equal(persisted(), WRITER_ID_BLOCK);
    const inode = fs.statSync(file).ino; // every catalog write renames a new file into place
    const seen = new Set<number>([0]);
    for (let i = 1; i < WRITER_ID_BLOCK; i++) seen.add(s.nextWriterId());
    assert.equal(fs.statSync(file).ino, inode);
    assert.equal(seen.size, WRITER_ID_BLOCK);
    assert.equal(s.nextWriterId(), WRITER_ID_BLOCK); // the next block: one more write
    assert.notEqual(fs.statSync(file).ino, inode);
    assert.equal(persisted(), 2 * WRITER_ID_BLOCK);
    // a restart (or crash) mid-block skips the rest of the block: no id is handed out twice
    s = CatalogStore.open(dir);
    assert.equal(s.nextWriterId(), 2 * WRITER_ID_BLOCK);
  }));
