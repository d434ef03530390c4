/** `flussjs table list [DB] | describe DB.TABLE | drop DB.TABLE | create DB.TABLE --schema ...`. */
import type { Command } from "commander";
import { collect, parseCount, parseList, parseSpec, parseTablePath } from "../args.js";
import { type Runtime, usageError } from "../runtime.js";
import { examples } from "../args.js";

const HELP_AFTER = `
Examples:
  $ flussjs table list                 # every table of every database
  $ flussjs table list shop
  $ flussjs table describe shop.orders
  $ flussjs table drop shop.orders
  $ flussjs table create shop.orders --buckets 4 \\
      --schema "id BIGINT, item STRING, amount DECIMAL(10,2), PRIMARY KEY (id)"
`;

const CREATE_HELP = `
The schema is a column list as in Flink SQL's CREATE TABLE, with Fluss's type names:
  name TYPE [NOT NULL] [COMMENT 'text'], ..., PRIMARY KEY (col, ...) [NOT ENFORCED]
Types: BOOLEAN TINYINT SMALLINT INT BIGINT FLOAT DOUBLE DECIMAL(p,s) CHAR(n) STRING
BINARY(n) BYTES DATE TIME(p) TIMESTAMP(p) TIMESTAMP_LTZ(p) ARRAY<T> MAP<K,V> ROW<name T, ...>.
A table with a primary key is a primary-key table (upserts, lookups); without, a log table.

Examples:
  $ flussjs table create shop.events --schema "ts TIMESTAMP(3), user_id BIGINT, page STRING"
  $ flussjs table create shop.orders --buckets 4 \\
      --schema "id BIGINT, item STRING, amount DECIMAL(10,2), PRIMARY KEY (id)"
  $ flussjs table create shop.sales --partition-by region \\
      --schema "region STRING, id INT, total DOUBLE, PRIMARY KEY (region, id)"
  $ flussjs table create shop.clicks --schema "user_id BIGINT, url STRING" \\
      --bucket-key user_id --property table.log.ttl=7d --log-format INDEXED
`;

interface CreateOptions {
  schema: string;
  partitionBy?: string;
  buckets?: string;
  bucketKey?: string;
  property?: string[];
  logFormat?: string;
  kvFormat?: string;
  comment?: string;
  ifNotExists?: boolean;
}

/** Registers `flussjs table`. */
export function registerTable(program: Command, rt: Runtime): void {
  const table = program.command("table").description("list, describe, create and drop tables").addHelpText("after", HELP_AFTER);

  table
    .command("list")
    .addHelpText("after", examples("flussjs table list", "flussjs table list shop"))
    .description("list the tables of a database (default: of every database, as DB.TABLE)")
    .argument("[db]", "database name")
    .action(
      rt.run(async (db: string | undefined) => {
        const admin = (await rt.connect()).getAdmin();
        if (db !== undefined) {
          for (const t of (await admin.listTables(db)).sort()) rt.io.out(`${t}\n`);
          return;
        }
        for (const d of (await admin.listDatabases()).sort()) {
          for (const t of (await admin.listTables(d)).sort()) rt.io.out(`${d}.${t}\n`);
        }
      }),
    );

  table
    .command("describe")
    .addHelpText("after", examples("flussjs table describe shop.orders"))
    .description("show a table's columns, keys, buckets and properties")
    .argument("<db.table>", "the table")
    .action(rt.run(async (path: string) => describeTable(rt, path)));

  table
    .command("drop")
    .addHelpText("after", examples("flussjs table drop shop.orders --if-exists"))
    .description("drop a table")
    .argument("<db.table>", "the table")
    .option("--if-exists", "succeed when it does not exist")
    .action(
      rt.run(async (path: string, opts: { ifExists?: boolean }) => {
        const p = parseTablePath(path);
        const admin = (await rt.connect()).getAdmin();
        await admin.dropTable(p.text, { ignoreIfNotExists: opts.ifExists ?? false });
        rt.io.out(`dropped table ${p.text}\n`);
      }),
    );

  table
    .command("create")
    .description("create a table from a column list")
    .argument("<db.table>", "the table")
    .requiredOption("-s, --schema <columns>", 'columns, e.g. "id INT NOT NULL, name STRING, PRIMARY KEY (id)"')
    .option("--partition-by <columns>", "partition columns, comma-separated")
    .option("--buckets <n>", "number of buckets (default: the cluster's)")
    .option("--bucket-key <columns>", "columns hashed to pick a bucket, comma-separated")
    .option("--property <key=value>", "a table property, e.g. table.log.ttl=7d (repeatable)", collect)
    .option("--log-format <format>", "ARROW (default), INDEXED or COMPACTED")
    .option("--kv-format <format>", "COMPACTED (default) or INDEXED (primary-key tables)")
    .option("--comment <text>", "a comment")
    .option("--if-not-exists", "succeed when it exists already")
    .addHelpText("after", CREATE_HELP)
    .action(rt.run(async (path: string, opts: CreateOptions) => createTable(rt, path, opts)));
}

async function createTable(rt: Runtime, path: string, opts: CreateOptions): Promise<void> {
  const p = parseTablePath(path);
  const { parseSchema } = await import("../schema-parser.js");
  const parsed = parseSchema(opts.schema);
  const { Schema, TableDescriptor } = await import("../../index.js");
  const schema = new Schema({
    columns: parsed.columns.map((c) => ({
      name: c.name,
      type: c.type,
      ...(c.comment !== undefined ? { comment: c.comment } : {}),
    })),
    primaryKeys: parsed.primaryKey,
  });
  const names = new Set(parsed.columns.map((c) => c.name));
  const columnList = (text: string | undefined, option: string): string[] | undefined => {
    if (text === undefined) return undefined;
    const list = parseList(text);
    for (const c of list) if (!names.has(c)) throw usageError(`${option}: "${c}" is not a column of the schema`);
    return list;
  };
  const partitionKeys = columnList(opts.partitionBy, "--partition-by");
  const bucketKeys = columnList(opts.bucketKey, "--bucket-key");
  const properties = parseSpec(opts.property ?? [], "--property");
  const descriptor = new TableDescriptor(schema, {
    ...(partitionKeys ? { partitionKeys } : {}),
    ...(bucketKeys ? { bucketKeys } : {}),
    ...(opts.buckets !== undefined ? { bucketCount: parseCount(opts.buckets, "--buckets", 1) } : {}),
    ...(opts.logFormat !== undefined ? { logFormat: opts.logFormat.toUpperCase() as "ARROW" } : {}),
    ...(opts.kvFormat !== undefined ? { kvFormat: opts.kvFormat.toUpperCase() as "COMPACTED" } : {}),
    ...(opts.comment !== undefined ? { comment: opts.comment } : {}),
    properties,
  });
  const admin = (await rt.connect()).getAdmin();
  await admin.createTable(p.text, descriptor, { ignoreIfExists: opts.ifNotExists ?? false });
  rt.io.out(`created ${parsed.primaryKey.length > 0 ? "primary-key" : "log"} table ${p.text}\n`);
}

async function describeTable(rt: Runtime, path: string): Promise<void> {
  const p = parseTablePath(path);
  const { typeToString } = await import("../../index.js");
  const info = await (await rt.connect()).getAdmin().getTableInfo(p.text);
  const cols = info.schema.columns;
  const width = Math.max(...cols.map((c) => c.name.length));
  const typeWidth = Math.max(...cols.map((c) => typeToString(c.type).length));
  const lines = [
    `table           ${p.text} (id ${info.tableId}, schema ${info.schemaId}, ${info.hasPrimaryKey ? "primary-key table" : "log table"})`,
    "columns",
    ...cols.map((c) => {
      const marks = [info.primaryKeys.includes(c.name) ? "PRIMARY KEY" : "", c.comment ? `COMMENT '${c.comment}'` : ""]
        .filter((s) => s !== "")
        .join("  ");
      return `  ${c.name.padEnd(width)}  ${typeToString(c.type).padEnd(typeWidth)}  ${marks}`.trimEnd();
    }),
    ...(info.hasPrimaryKey ? [`primary key     ${info.primaryKeys.join(", ")}`] : []),
    ...(info.isPartitioned ? [`partitioned by  ${info.partitionKeys.join(", ")}`] : []),
    `buckets         ${info.numBuckets}${info.bucketKeys.length > 0 ? ` (bucket key ${info.bucketKeys.join(", ")})` : ""}`,
    ...(info.comment ? [`comment         ${info.comment}`] : []),
    ...Object.entries(info.properties).map(([k, v], i) => `${i === 0 ? "properties     " : "               "} ${k}=${v}`),
    ...Object.entries(info.customProperties).map(([k, v]) => `custom          ${k}=${v}`),
    `created         ${new Date(info.createdTime).toISOString()}`,
  ];
  rt.io.out(`${lines.join("\n")}\n`);
}
