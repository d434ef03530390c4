/**
 * Baselines of the read benchmarks (bench/read.ts): what the same work costs without the
 * scanner — the socket alone, the decoding alone, the object building alone.
 */
import net from "node:net";
import { performance } from "node:perf_hooks";
import * as arrow from "apache-arrow";
import type { FlussTable } from "../src/index.js";
import { parseBootstrapServers } from "../src/client/config.js";
import { BatchDecoder } from "../src/client/scan/batch-decoder.js";
import { tableBucket } from "../src/client/scan/scan-records.js";
import { iterateBatches } from "../src/record/log-batch.js";
import { ApiKey } from "../src/rpc/api-keys.js";
import { ServerConnection } from "../src/rpc/server-connection.js";

/**
 * Bytes/s of one loopback socket pair moving `bytes` from a server to a client in writes
 * of `chunk` bytes (a fetch-sized response each), the client counting what arrives.
 */
export async function loopbackChunks(bytes: number, chunk: number): Promise<number> {
  const data = Buffer.alloc(chunk, 7);
  let sender!: net.Socket;
  const server = net.createServer((s) => (sender = s));
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
  const port = (server.address() as net.AddressInfo).port;
  const client = net.connect(port, "127.0.0.1");
  await new Promise<void>((r) => client.once("connect", () => r()));
  while (!sender) await new Promise((r) => setImmediate(r));
  let received = 0;
  const finished = new Promise<void>((resolve) =>
    client.on("data", (c: Buffer) => {
      received += c.length;
      if (received >= bytes) resolve();
    }),
  );
  const t0 = performance.now();
  for (let sent = 0; sent < bytes; sent += chunk) {
    const n = Math.min(chunk, bytes - sent);
    if (!sender.write(n === chunk ? data : data.subarray(0, n))) await new Promise<void>((r) => sender.once("drain", () => r()));
  }
  await finished;
  const secs = (performance.now() - t0) / 1000;
  client.destroy();
  sender.destroy();
  await new Promise<void>((r) => server.close(() => r()));
  return bytes / secs;
}

/** The records bytes of every bucket of `table`, fetched with raw FetchLog requests (what a scan receives). */
export async function fetchRawBatches(
  bootstrapServers: string,
  table: FlussTable,
): Promise<{ chunks: { bucket: number; bytes: Uint8Array }[]; bytes: number }> {
  const [addr] = parseBootstrapServers(bootstrapServers);
  const conn = await ServerConnection.connect({
    host: addr!.host,
    port: addr!.port,
    connectTimeoutMs: 10_000,
    requestTimeoutMs: 30_000,
  });
  const chunks: { bucket: number; bytes: Uint8Array }[] = [];
  let total = 0;
  try {
    for (let bucket = 0; bucket < table.info.numBuckets; bucket++) {
      let offset = 0;
      for (;;) {
        const resp = await conn.request(ApiKey.FETCH_LOG, {
          followerServerId: -1,
          maxBytes: 64 << 20,
          minBytes: 0,
          maxWaitMs: 0,
          tablesReq: [
            {
              tableId: table.info.tableId,
              projectionPushdownEnabled: false,
              projectedFields: [],
              bucketsReq: [{ bucketId: bucket, fetchOffset: offset, maxFetchBytes: 64 << 20 }],
            },
          ],
        });
        const b = resp.tablesResp[0]!.bucketsResp[0]!;
        if (b.errorCode) throw new Error(`bench: raw fetch failed with ${b.errorCode}: ${b.errorMessage}`);
        const records = b.records;
        if (!records || records.length === 0) break;
        let next = offset;
        let whole = 0;
        for (const v of iterateBatches(records)) {
          next = v.nextOffset;
          whole = v.position + v.sizeInBytes;
        }
        chunks.push({ bucket, bytes: Uint8Array.prototype.slice.call(records, 0, whole) });
        total += whole;
        offset = next;
        if (offset >= (b.highWatermark ?? 0)) break;
      }
    }
  } finally {
    await conn.close();
  }
  return { chunks, bytes: total };
}

/** Rows/s of decoding `chunks` (fetched batches) into Arrow record batches in memory, as a scan's decoder does. */
export function decodeOnly(
  chunks: readonly { bucket: number; bytes: Uint8Array }[],
  expectRows: number,
  table: FlussTable,
): number {
  const decoder = new BatchDecoder({ rowType: table.info.rowType, logFormat: table.info.logFormat });
  const t0 = performance.now();
  let rows = 0;
  const out: arrow.RecordBatch[] = [];
  for (const c of chunks) {
    const bucket = tableBucket(table.info.tableId, undefined, c.bucket);
    for (const view of iterateBatches(c.bytes)) {
      const d = decoder.toArrow({ bucket, view, skipBelow: 0, stopAt: Infinity });
      if (d) {
        out.push(d.batch);
        rows += d.batch.numRows;
      }
    }
  }
  const t = new arrow.Table(out);
  const secs = (performance.now() - t0) / 1000;
  if (rows !== expectRows || t.numRows !== rows) throw new Error(`bench: decoded ${rows} of ${expectRows} rows`);
  return rows / secs;
}

/**
 * Rows/s of building plain objects from `table`'s apache-arrow column arrays (`toArray()`
 * per column, then one object per row): row objects kept in one array (as `toRows()`), or
 * with `records` `{offset, timestamp, changeType, row}` objects kept per batch (as `poll`).
 */
export function objectsFromArrow(table: arrow.Table, records: boolean): number {
  const names = table.schema.fields.map((f) => f.name);
  const t0 = performance.now();
  const all: Record<string, unknown>[] = [];
  let n = 0;
  let offset = 0;
  const ts = Date.now();
  let last: unknown;
  for (const batch of table.batches) {
    const cols = names.map((_, k) => batch.getChildAt(k)!.toArray() as ArrayLike<unknown>);
    const [c0, c1, c2, c3, c4] = cols as [
      ArrayLike<unknown>,
      ArrayLike<unknown>,
      ArrayLike<unknown>,
      ArrayLike<unknown>,
      ArrayLike<unknown>,
    ];
    const len = batch.numRows;
    if (records) {
      const out = new Array<unknown>(len);
      for (let i = 0; i < len; i++) {
        out[i] = {
          offset: offset++,
          timestamp: ts,
          changeType: "+A",
          row: { id: c0[i], user: c1[i], score: c2[i], count: c3[i], ok: c4[i] },
        };
      }
      last = out;
    } else {
      for (let i = 0; i < len; i++) all.push({ id: c0[i], user: c1[i], score: c2[i], count: c3[i], ok: c4[i] });
    }
    n += len;
  }
  const secs = (performance.now() - t0) / 1000;
  if (records ? !last : all.length !== n) throw new Error("bench: no objects built");
  return n / secs;
}
