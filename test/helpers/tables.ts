/** The small log tables the writer and scanner end-to-end tests share. */
import * as arrow from "apache-arrow";
import { Schema, TableDescriptor, TablePath, type FlussConnection, type FlussTable } from "../../src/index.js";

/** id INT NOT NULL, name STRING, amount BIGINT (+ region STRING NOT NULL when partitioned). */
export function testSchema(options: { partitioned?: boolean } = {}): Schema {
  const fields = [
    new arrow.Field("id", new arrow.Int32(), false),
    new arrow.Field("name", new arrow.Utf8(), true),
    new arrow.Field("amount", new arrow.Int64(), true),
  ];
  if (options.partitioned) fields.push(new arrow.Field("region", new arrow.Utf8(), false));
  return new Schema(new arrow.Schema(fields));
}

export interface TestTableOptions {
  buckets?: number;
  format?: "ARROW" | "INDEXED";
  compression?: string;
  /** Partitioned by `region`. */
  partitioned?: boolean;
  bucketKey?: string[];
}

/** Creates `db.name` with {@link testSchema} and returns its handle. */
export async function createTestTable(
  conn: FlussConnection,
  db: string,
  name: string,
  options: TestTableOptions = {},
): Promise<FlussTable> {
  const path = new TablePath(db, name);
  await conn.getAdmin().createTable(
    path,
    new TableDescriptor(testSchema(options), {
      bucketCount: options.buckets ?? 1,
      ...(options.bucketKey ? { bucketKeys: options.bucketKey } : {}),
      ...(options.format ? { logFormat: options.format } : {}),
      ...(options.compression ? { properties: { "table.log.arrow.compression.type": options.compression } } : {}),
      ...(options.partitioned ? { partitionKeys: ["region"] } : {}),
    }),
  );
  return conn.getTable(path);
}
