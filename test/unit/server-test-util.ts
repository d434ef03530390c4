/** Shared helpers of the server tests: a cluster, a connection, tables and batches. */
import assert from "node:assert/strict";
import { FlussError } from "../../src/rpc/errors.js";
import { ServerConnection } from "../../src/rpc/server-connection.js";
import { DataTypes, type RowType } from "../../src/metadata/data-types.js";
import { Schema } from "../../src/metadata/schema.js";
import { TableDescriptor, type TableDescriptorOptions } from "../../src/metadata/table-descriptor.js";
import { tableDescriptorToJson } from "../../src/metadata/json.js";
import { ArrowBatchBuilder } from "../../src/record/arrow/arrow-writer.js";
import { buildArrowLogBatch } from "../../src/record/arrow/arrow-log.js";
import { buildIndexedLogBatch } from "../../src/record/indexed-log.js";
import { utf8Encode } from "../../src/util/bytes.js";
import { LocalCluster, type LocalClusterOptions } from "../../src/server/local-cluster.js";

export async function connect(cluster: LocalCluster): Promise<ServerConnection> {
  return ServerConnection.connect({
    host: "127.0.0.1",
    port: cluster.port,
    connectTimeoutMs: 5000,
    requestTimeoutMs: 10000,
  });
}

export async function withCluster(
  fn: (cluster: LocalCluster, conn: ServerConnection) => Promise<void>,
  options: LocalClusterOptions = {},
): Promise<void> {
  const cluster = await LocalCluster.start(options);
  let conn: ServerConnection | undefined;
  try {
    conn = await connect(cluster);
    await fn(cluster, conn);
  } finally {
    conn?.close();
    await cluster.close();
  }
}

/** Asserts that `p` rejects with a FlussError of `code`. */
export async function rejectsWith(p: Promise<unknown>, code: number, message?: RegExp): Promise<FlussError> {
  try {
    await p;
  } catch (err) {
    assert.ok(err instanceof FlussError, `expected FlussError, got ${String(err)}`);
    assert.equal(err.code, code, `expected code ${code}, got ${err.code} (${err.name}: ${err.message})`);
    if (message) assert.match(err.message, message);
    return err;
  }
  assert.fail(`expected an error with code ${code}`);
}

export const LOG_SCHEMA = Schema.builder().column("id", DataTypes.INT()).column("name", DataTypes.STRING()).build();

export function tableJson(schema: Schema, options: TableDescriptorOptions = {}): Uint8Array {
  return utf8Encode(tableDescriptorToJson(new TableDescriptor(schema, options)));
}

export function arrowBatch(
  rowType: RowType,
  rows: unknown[][],
  extra: { writerId?: number; batchSequence?: number } = {},
): Uint8Array {
  const b = new ArrowBatchBuilder(rowType);
  for (const r of rows) b.append(r);
  return buildArrowLogBatch({ body: b.build(), recordCount: rows.length, schemaId: 1, appendOnly: true, ...extra });
}

export function indexedBatch(rowType: RowType, rows: unknown[][]): Uint8Array {
  return buildIndexedLogBatch({ rowType, rows, schemaId: 1, appendOnly: true });
}
