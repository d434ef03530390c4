/**
 * The console's HTTP/JSON API, over flussjs's public client API only:
 *
 * - `GET  /api/cluster`                      servers and databases with their tables
 * - `GET  /api/tables/DB/TABLE`              schema, keys, partitions, properties, per-bucket offsets
 * - `GET  /api/tables/DB/TABLE/tail?from=…`  a live tail (server-sent events, see tail.ts)
 * - `GET  /api/tables/DB/TABLE/rows?limit=N` current rows of a primary-key table
 * - `POST /api/tables/DB/TABLE/lookup`       `{ key }` → `{ row }` (null when absent)
 * - `POST /api/tables/DB/TABLE/produce`      `{ row, delete? }`: append, upsert or delete one row
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import type { FlussAdmin } from "../client/admin.js";
import type { FlussConnection } from "../client/connection.js";
import { OffsetSpec } from "../client/offsets.js";
import type { FlussTable } from "../client/table.js";
import { typeToString } from "../metadata/data-types.js";
import type { TableInfo } from "../metadata/table-info.js";
import { TablePath } from "../metadata/table-path.js";
import { HttpError, readJsonBody, sendJson } from "./http-util.js";
import { fromJsonRow, toJsonRow } from "./json-values.js";
import { streamTail } from "./tail.js";

/** Most rows the current-rows view reads (the page shows a sample, not a table dump). */
const MAX_ROWS = 1000;

/** Answers one `/api/…` request; `connection()` gives the (re)connected client. */
export async function handleApi(
  req: IncomingMessage,
  res: ServerResponse,
  url: URL,
  connection: () => Promise<FlussConnection>,
): Promise<void> {
  let parts: string[];
  try {
    parts = url.pathname.split("/").slice(2).map(decodeURIComponent);
  } catch {
    throw new HttpError(400, `malformed percent-encoding in ${url.pathname}`);
  }
  const method = req.method ?? "GET";
  if (parts[0] === "cluster" && parts.length === 1 && method === "GET") {
    sendJson(res, 200, await describeCluster((await connection()).getAdmin()));
    return;
  }
  if (parts[0] === "tables" && parts.length >= 3) {
    const path = new TablePath(parts[1]!, parts[2]!);
    const action = parts[3] ?? "";
    const route = `${method} ${action}`;
    const conn = await connection();
    switch (route) {
      case "GET ":
        sendJson(res, 200, await describeTable(conn.getAdmin(), await conn.getAdmin().getTableInfo(path)));
        return;
      case "GET tail": {
        const from = url.searchParams.get("from") ?? "latest";
        if (from !== "earliest" && from !== "latest") throw new HttpError(400, `from must be earliest or latest, got "${from}"`);
        const resume = parseResume(url.searchParams.get("resume"));
        const table = await conn.getTable(path);
        await streamTail(req, res, conn.getAdmin(), table, resume ? { from, resume } : { from });
        return;
      }
      case "GET rows":
        sendJson(res, 200, await currentRows(conn, path, parseLimit(url.searchParams.get("limit"))));
        return;
      case "POST lookup": {
        const body = await readJsonBody(req);
        const key = body.key;
        if (key === null || typeof key !== "object" || Array.isArray(key))
          throw new HttpError(400, "send { key: { column: value, … } }");
        const table = await conn.getTable(path);
        const row = await table.newLookup().lookup(fromJsonRow(table.info.rowType, key as Record<string, unknown>));
        sendJson(res, 200, { row: row === null ? null : toJsonRow(row) });
        return;
      }
      case "POST produce": {
        const body = await readJsonBody(req);
        const row = body.row;
        if (row === null || typeof row !== "object" || Array.isArray(row))
          throw new HttpError(400, "send { row: { column: value, … } }");
        const table = await conn.getTable(path);
        sendJson(
          res,
          200,
          await produce(table, fromJsonRow(table.info.rowType, row as Record<string, unknown>), body.delete === true),
        );
        return;
      }
      default:
        break;
    }
  }
  throw new HttpError(404, `no such console API: ${method} ${url.pathname}`);
}

function parseLimit(text: string | null): number {
  if (text === null) return 100;
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1 || n > MAX_ROWS)
    throw new HttpError(400, `limit must be an integer from 1 to ${MAX_ROWS}, got "${text}"`);
  return n;
}

function parseResume(text: string | null): Record<string, number> | undefined {
  if (text === null) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new HttpError(400, "resume must be a JSON object of bucket → offset");
  }
  if (parsed === null || typeof parsed !== "object" || Array.isArray(parsed))
    throw new HttpError(400, "resume must be a JSON object of bucket → offset");
  const out: Record<string, number> = {};
  for (const [k, v] of Object.entries(parsed)) {
    if (!/^(-|\d+):\d+$/.test(k) || typeof v !== "number" || !Number.isInteger(v) || v < 0) {
      throw new HttpError(400, `resume: bad entry "${k}": ${JSON.stringify(v)}`);
    }
    out[k] = v;
  }
  return out;
}

async function describeCluster(admin: FlussAdmin): Promise<unknown> {
  const [servers, names] = await Promise.all([admin.getServerNodes(), admin.listDatabases()]);
  const databases = await Promise.all(
    names.sort().map(async (name) => ({ name, tables: (await admin.listTables(name)).sort() })),
  );
  return {
    servers: servers.map((s) => ({ id: s.id, type: s.serverType, address: s.address })),
    databases,
  };
}

async function describeTable(admin: FlussAdmin, info: TableInfo): Promise<unknown> {
  const path = info.tablePath;
  const buckets = Array.from({ length: info.numBuckets }, (_, b) => b);
  const partitions = info.isPartitioned ? await admin.listPartitionInfos(path) : [];
  const offsetsOf = async (partitionName?: string) => {
    const opts = partitionName === undefined ? {} : { partitionName };
    const [earliest, latest] = await Promise.all([
      admin.listOffsets(path, buckets, OffsetSpec.earliest(), opts),
      admin.listOffsets(path, buckets, OffsetSpec.latest(), opts),
    ]);
    return buckets.map((b) => ({
      partition: partitionName ?? null,
      bucket: b,
      earliest: earliest[b] ?? null,
      latest: latest[b] ?? null,
    }));
  };
  const offsets = info.isPartitioned
    ? (await Promise.all(partitions.map((p) => offsetsOf(p.partitionName)))).flat()
    : await offsetsOf();
  return {
    database: path.databaseName,
    table: path.tableName,
    tableId: info.tableId,
    schemaId: info.schemaId,
    columns: info.schema.columns.map((c) => ({ name: c.name, type: typeToString(c.type), comment: c.comment ?? null })),
    primaryKeys: info.primaryKeys,
    partitionKeys: info.partitionKeys,
    bucketKeys: info.bucketKeys,
    numBuckets: info.numBuckets,
    logFormat: info.logFormat,
    kvFormat: info.hasPrimaryKey ? info.kvFormat : null,
    comment: info.comment ?? null,
    properties: info.properties,
    customProperties: info.customProperties,
    partitions: partitions.map((p) => ({ id: p.partitionId, name: p.partitionName, spec: p.spec })),
    offsets,
  };
}

async function currentRows(conn: FlussConnection, path: TablePath, limit: number): Promise<unknown> {
  const table = await conn.getTable(path);
  const info = table.info;
  if (!info.hasPrimaryKey)
    throw new HttpError(400, `${path.toString()} is a log table: current rows exist for primary-key tables only`);
  const buckets: ({ partitionId: number; bucketId: number } | number)[] = [];
  if (info.isPartitioned) {
    for (const p of await conn.getAdmin().listPartitionInfos(path)) {
      for (let b = 0; b < info.numBuckets; b++) buckets.push({ partitionId: p.partitionId, bucketId: b });
    }
  } else {
    for (let b = 0; b < info.numBuckets; b++) buckets.push(b);
  }
  const rows: unknown[] = [];
  for (const bucket of buckets) {
    if (rows.length >= limit) break;
    await using scanner = await table
      .newScan()
      .limit(limit - rows.length)
      .createBucketScanner(bucket);
    for (const row of await scanner.toRows()) rows.push(toJsonRow(row));
  }
  return { columns: info.schema.columnNames, rows: rows.slice(0, limit), limited: rows.length >= limit };
}

async function produce(table: FlussTable, row: Record<string, unknown>, isDelete: boolean): Promise<unknown> {
  if (table.info.hasPrimaryKey) {
    await using writer = table.newUpsert();
    const handle = isDelete ? writer.delete(row) : writer.upsert(row);
    await writer.flush();
    await handle.wait();
    return { ok: true, op: isDelete ? "delete" : "upsert" };
  }
  if (isDelete) throw new HttpError(400, `${table.tablePath.toString()} is a log table: rows cannot be deleted`);
  await using writer = table.newAppendWriter();
  const handle = writer.append(row);
  await writer.flush();
  await handle.wait();
  return { ok: true, op: "append" };
}
