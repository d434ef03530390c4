/**
 * Lookup benchmarks, each beside a baseline measured in the same run against the same
 * table and server (wired into `npm run bench` by bench/run.ts):
 *
 * - {@link lookupThroughput}: lookups/s of 1,000 concurrent callers through the public API
 *   (`lookuper.lookup`), vs raw Lookup RPCs carrying the same keys pre-encoded in batches
 *   of `lookup.max-batch-size`, with as many requests in flight as the client had
 *   (what the server and the wire can do with no client-side work).
 * - {@link lookupLatency}: p50/p99 latency of lookups issued at a fixed rate (10k/s), from
 *   the call (timer ticks issue the few lookups due since the last tick), vs the floor: raw single-key Lookup
 *   round trips, one at a time, on one connection.
 *
 * Both take the cluster's bootstrap address, create (and drop) their own table in database
 * `fluss`, and expect a single-node cluster (the raw baselines talk to the bootstrap
 * server, which leads every bucket there).
 */
import { performance } from "node:perf_hooks";
import {
  Config,
  DataTypes,
  FlussConnection,
  Schema,
  TableDescriptor,
  TablePath,
  notNull,
  type FlussTable,
} from "../src/index.js";
import { parseBootstrapServers } from "../src/client/config.js";
import { ApiKey } from "../src/rpc/api-keys.js";
import type { PbLookupReqForBucket } from "../src/rpc/messages.js";
import { ServerConnection } from "../src/rpc/server-connection.js";
import { PrimaryKeyCodec } from "../src/row/key-encoding.js";

/** One benchmark line, as bench/run.ts prints and records them. */
export interface LookupBenchResult {
  benchmark: string;
  flussjs: string;
  baseline: string;
  ratio: string;
}

export interface LookupBenchOptions {
  /** Keys in the table (default 100,000). */
  keys?: number;
  /** Measuring time per run in ms (default 3,000). */
  durationMs?: number;
}

const BUCKETS = 4;
const BATCH = 128; // lookup.max-batch-size default, also the baseline's batch

function fmtRate(n: number): string {
  return n >= 1e6 ? `${(n / 1e6).toFixed(2)} M lookups/s` : `${(n / 1e3).toFixed(1)} k lookups/s`;
}

function percentile(sorted: Float64Array, p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))]!;
}

/** A primary-key table of `keys` rows, 5 columns: id BIGINT (PK), user STRING, score DOUBLE, count INT, ok BOOLEAN. */
async function seededTable(conn: FlussConnection, name: string, keys: number): Promise<FlussTable> {
  const path = new TablePath("fluss", name);
  const admin = conn.getAdmin();
  await admin.dropTable(path, { ignoreIfNotExists: true });
  const schema = Schema.fromColumns(
    [
      { name: "id", type: notNull(DataTypes.BIGINT()) },
      { name: "user", type: DataTypes.STRING() },
      { name: "score", type: DataTypes.DOUBLE() },
      { name: "count", type: DataTypes.INT() },
      { name: "ok", type: DataTypes.BOOLEAN() },
    ],
    ["id"],
  );
  await admin.createTable(path, new TableDescriptor(schema, { bucketCount: BUCKETS }));
  const table = await conn.getTable(path);
  const writer = table.newUpsert();
  for (let i = 0; i < keys; i++) {
    await writer.upsert({ id: BigInt(i), user: `user-${i % 1000}`, score: i * 0.5, count: i % 100, ok: (i & 1) === 0 });
  }
  await writer.close();
  return table;
}

/** Pre-encoded keys and buckets of ids 0..n-1, as the raw baselines send them. */
function encodeKeys(table: FlussTable, n: number): { keys: Uint8Array[]; buckets: Int32Array } {
  const codec = new PrimaryKeyCodec(table.info);
  const keys = new Array<Uint8Array>(n);
  const buckets = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const row = [BigInt(i), null, null, null, null];
    keys[i] = codec.key(row);
    buckets[i] = codec.bucket(row, keys[i]!);
  }
  return { keys, buckets };
}

async function rawConnection(bootstrapServers: string): Promise<ServerConnection> {
  const [addr] = parseBootstrapServers(bootstrapServers);
  return ServerConnection.connect({ host: addr!.host, port: addr!.port, connectTimeoutMs: 10_000, requestTimeoutMs: 30_000 });
}

function lookupRequest(tableId: number, keys: Uint8Array[], buckets: Int32Array, from: number, count: number, n: number) {
  const byBucket = new Map<number, PbLookupReqForBucket>();
  for (let j = 0; j < count; j++) {
    const i = (from + j) % n;
    const b = buckets[i]!;
    let req = byBucket.get(b);
    if (!req) byBucket.set(b, (req = { bucketId: b, keys: [] }));
    req.keys.push(keys[i]!);
  }
  return { tableId, bucketsReq: [...byBucket.values()] };
}

/**
 * Lookup throughput with `callers` (1,000) concurrent callers, each awaiting one lookup
 * after another for `durationMs`, vs raw pipelined Lookup RPCs of the same keys.
 */
export async function lookupThroughput(
  bootstrapServers: string,
  options: LookupBenchOptions & { callers?: number } = {},
): Promise<LookupBenchResult & { lookupsPerSec: number; rawPerSec: number }> {
  const keys = options.keys ?? 100_000;
  const durationMs = options.durationMs ?? 3000;
  const callers = options.callers ?? 1000;
  await using conn = await FlussConnection.connect(new Config({ "bootstrap.servers": bootstrapServers }));
  const table = await seededTable(conn, "bench_lookup_throughput", keys);
  const lookuper = table.newLookup();

  const runClient = async (ms: number): Promise<number> => {
    let done = 0;
    let next = 0;
    const end = performance.now() + ms;
    const t0 = performance.now();
    const caller = async (): Promise<void> => {
      while (performance.now() < end) {
        const id = next++ % keys;
        const row = await lookuper.lookup([id]);
        if (row === null) throw new Error(`bench: key ${id} not found`);
        done++;
      }
    };
    await Promise.all(Array.from({ length: callers }, caller));
    return done / ((performance.now() - t0) / 1000);
  };

  const { keys: encoded, buckets } = encodeKeys(table, keys);
  const raw = await rawConnection(bootstrapServers);
  // as many requests in flight as the client keeps with `callers` callers
  const inflight = Math.max(1, Math.ceil(callers / BATCH));
  const runRaw = async (ms: number): Promise<number> => {
    let done = 0;
    let next = 0;
    const end = performance.now() + ms;
    const t0 = performance.now();
    const loop = async (): Promise<void> => {
      while (performance.now() < end) {
        const from = next;
        next += BATCH;
        const resp = await raw.request(ApiKey.LOOKUP, lookupRequest(table.info.tableId, encoded, buckets, from, BATCH, keys));
        for (const b of resp.bucketsResp) done += b.values.length;
      }
    };
    await Promise.all(Array.from({ length: inflight }, loop));
    return done / ((performance.now() - t0) / 1000);
  };

  try {
    await runClient(Math.min(1000, durationMs / 2)); // warm-up
    await runRaw(Math.min(1000, durationMs / 2));
    const clientRuns: number[] = [];
    const rawRuns: number[] = [];
    for (let i = 0; i < 3; i++) {
      clientRuns.push(await runClient(durationMs));
      rawRuns.push(await runRaw(durationMs));
    }
    const lookupsPerSec = clientRuns.sort((a, b) => a - b)[1]!;
    const rawPerSec = rawRuns.sort((a, b) => a - b)[1]!;
    return {
      benchmark: `lookup throughput, ${callers} concurrent callers (${keys / 1000}k keys, 5 columns)`,
      flussjs: fmtRate(lookupsPerSec),
      baseline: `${fmtRate(rawPerSec)} raw Lookup RPCs of ${BATCH} pre-encoded keys, ${inflight} in flight`,
      ratio: `${((lookupsPerSec / rawPerSec) * 100).toFixed(0)}%`,
      lookupsPerSec,
      rawPerSec,
    };
  } finally {
    raw.close();
    await lookuper.close();
    await conn.getAdmin().dropTable(table.tablePath, { ignoreIfNotExists: true });
  }
}

/**
 * Issues `send(i)` at `rate` per second for `ms` (timer ticks issue what is due), each
 * measured from its call to its completion. Returns the latencies in ms, sorted.
 */
async function paced(rate: number, ms: number, send: (i: number) => Promise<unknown>): Promise<Float64Array> {
  const total = Math.floor((rate * ms) / 1000);
  const latencies = new Float64Array(total);
  const pending: Promise<unknown>[] = [];
  const t0 = performance.now();
  let issued = 0;
  while (issued < total) {
    const now = performance.now();
    const due = Math.min(total, Math.floor(((now - t0) * rate) / 1000) + 1);
    for (; issued < due; issued++) {
      const i = issued;
      const start = performance.now();
      pending.push(
        send(i).then(() => {
          latencies[i] = performance.now() - start;
        }),
      );
    }
    // wake at the next due time (timers have ~1 ms granularity: a few lookups per wake-up)
    const nextDue = t0 + (issued * 1000) / rate;
    await new Promise((r) => setTimeout(r, Math.max(0, nextDue - performance.now())));
  }
  await Promise.all(pending);
  return latencies.sort();
}

/** Latencies (ms, sorted) of `count` sequential calls of `send`. */
async function sequential(count: number, send: (i: number) => Promise<unknown>): Promise<Float64Array> {
  const latencies = new Float64Array(count);
  for (let i = 0; i < count; i++) {
    const t0 = performance.now();
    await send(i);
    latencies[i] = performance.now() - t0;
  }
  return latencies.sort();
}

/**
 * Lookup latency p50/p99 at a fixed `rate` (10,000 lookups/s) through the public API, vs
 * raw single-key Lookup round trips one at a time (the floor any client can reach).
 */
export async function lookupLatency(
  bootstrapServers: string,
  options: LookupBenchOptions & { rate?: number } = {},
): Promise<LookupBenchResult & { p50Ms: number; p99Ms: number; rawP50Ms: number; rawP99Ms: number }> {
  const keys = options.keys ?? 100_000;
  const durationMs = options.durationMs ?? 3000;
  const rate = options.rate ?? 10_000;
  await using conn = await FlussConnection.connect(new Config({ "bootstrap.servers": bootstrapServers }));
  const table = await seededTable(conn, "bench_lookup_latency", keys);
  const lookuper = table.newLookup();
  const { keys: encoded, buckets } = encodeKeys(table, keys);
  const raw = await rawConnection(bootstrapServers);
  const tableId = table.info.tableId;
  const client = (i: number) =>
    lookuper.lookup([(i * 7919) % keys]).then((row) => {
      if (row === null) throw new Error(`bench: key ${(i * 7919) % keys} not found`);
    });
  const rawRoundTrip = (i: number) => {
    const k = (i * 7919) % keys;
    return raw.request(ApiKey.LOOKUP, { tableId, bucketsReq: [{ bucketId: buckets[k]!, keys: [encoded[k]!] }] });
  };
  try {
    await paced(rate, Math.min(1000, durationMs / 2), client); // warm-up
    await sequential(2000, rawRoundTrip);
    const c = await paced(rate, durationMs, client);
    const r = await sequential(Math.max(2000, Math.floor(durationMs * 2)), rawRoundTrip);
    const p50Ms = percentile(c, 0.5);
    const p99Ms = percentile(c, 0.99);
    const rawP50Ms = percentile(r, 0.5);
    const rawP99Ms = percentile(r, 0.99);
    return {
      benchmark: `lookup latency at ${rate / 1000}k lookups/s (p50 / p99)`,
      flussjs: `${p50Ms.toFixed(2)} / ${p99Ms.toFixed(2)} ms`,
      baseline: `${rawP50Ms.toFixed(2)} / ${rawP99Ms.toFixed(2)} ms raw single-key Lookup round trips, one at a time`,
      ratio: `p99 ${(p99Ms / rawP99Ms).toFixed(1)}×`,
      p50Ms,
      p99Ms,
      rawP50Ms,
      rawP99Ms,
    };
  } finally {
    raw.close();
    await lookuper.close();
    await conn.getAdmin().dropTable(table.tablePath, { ignoreIfNotExists: true });
  }
}
