/**
 * Figures of the primary-key state store, measured through the server's API (PutKv and
 * Lookup over a socket against an in-process `LocalCluster`):
 *
 * - memory per million keys: heap + external memory of the process after loading `keys`
 *   rows (5 columns) minus before, after a full GC, scaled to 10^6 keys;
 * - restart time of the loaded table: clean close (snapshot), then `LocalCluster.start` +
 *   the first lookup answered from every bucket (state loaded from the snapshot);
 * - replay restart time: the same with the snapshots removed, so the state is rebuilt from
 *   the whole changelog (the bound a crash long after the last snapshot approaches).
 *
 * Run alone: `node --import tsx bench/kv-state.ts [keys]`.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { performance } from "node:perf_hooks";
import * as v8 from "node:v8";
import * as vm from "node:vm";
import { ApiKey } from "../src/rpc/api-keys.js";
import { ServerConnection } from "../src/rpc/server-connection.js";
import { DataTypes } from "../src/metadata/data-types.js";
import { Schema } from "../src/metadata/schema.js";
import { TableDescriptor } from "../src/metadata/table-descriptor.js";
import { tableDescriptorToJson } from "../src/metadata/json.js";
import { TableInfo } from "../src/metadata/table-info.js";
import { TablePath } from "../src/metadata/table-path.js";
import { KvRecordBatchBuilder } from "../src/record/kv-batch.js";
import { CompactedRowEncoder } from "../src/row/compacted-row.js";
import { PrimaryKeyCodec } from "../src/row/key-encoding.js";
import { LocalCluster } from "../src/server/local-cluster.js";
import { utf8Encode } from "../src/util/bytes.js";

/** The figures {@link measureKvState} returns. */
export interface KvStateFigures {
  readonly keys: number;
  readonly buckets: number;
  /** Bytes of process memory per key held in the state. */
  readonly bytesPerKey: number;
  /** MiB of process memory per million keys. */
  readonly mibPerMillionKeys: number;
  /** The data itself: bytes of record key + stored value (schema id and row) per key. */
  readonly payloadBytesPerKey: number;
  /** Load rate while measuring (rows/s through PutKv). */
  readonly loadRowsPerSec: number;
  /** Restart from the snapshots written by the clean close, ms. */
  readonly restartMs: number;
  /** Restart replaying the whole changelog (no snapshot), ms. */
  readonly replayRestartMs: number;
}

const BUCKETS = 4;
const BATCH = 5_000;

function gc(): void {
  v8.setFlagsFromString("--expose-gc");
  const collect = vm.runInNewContext("gc") as () => void;
  collect();
  collect();
}

function memory(): number {
  const m = process.memoryUsage();
  return m.heapUsed + m.external;
}

async function connect(c: LocalCluster): Promise<ServerConnection> {
  return ServerConnection.connect({ host: "127.0.0.1", port: c.port, connectTimeoutMs: 5000, requestTimeoutMs: 120_000 });
}

/** Time from start until every bucket has answered a lookup of a known key. */
async function timeRestart(dataDir: string, tableId: number, keysOfBucket: Uint8Array[]): Promise<number> {
  const t0 = performance.now();
  const cluster = await LocalCluster.start({ dataDir });
  const conn = await connect(cluster);
  const resp = await conn.request(ApiKey.LOOKUP, {
    tableId,
    bucketsReq: keysOfBucket.map((k, bucketId) => ({ bucketId, keys: [k] })),
  });
  const ms = performance.now() - t0;
  for (const b of resp.bucketsResp) {
    if (b.errorCode !== undefined || b.values[0]?.values === undefined)
      throw new Error(`restart lookup failed: ${JSON.stringify(b)}`);
  }
  conn.close();
  await cluster.close();
  return ms;
}

/** Loads `keys` rows into a fresh PK table and measures memory and restart times. */
export async function measureKvState(keys = 1_000_000): Promise<KvStateFigures> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "flussjs-kvbench-"));
  try {
    const schema = Schema.builder()
      .column("id", DataTypes.BIGINT())
      .column("name", DataTypes.STRING())
      .column("age", DataTypes.INT())
      .column("score", DataTypes.DOUBLE())
      .column("city", DataTypes.STRING())
      .primaryKey(["id"])
      .build();
    const cluster = await LocalCluster.start({ dataDir });
    const conn = await connect(cluster);
    const tablePath = { databaseName: "fluss", tableName: "kv_state" };
    await conn.request(ApiKey.CREATE_TABLE, {
      tablePath,
      tableJson: utf8Encode(tableDescriptorToJson(new TableDescriptor(schema, { bucketCount: BUCKETS }))),
      ignoreIfExists: false,
    });
    const r = await conn.request(ApiKey.GET_TABLE_INFO, { tablePath });
    const info = TableInfo.fromJson(
      TablePath.of("fluss", "kv_state"),
      r.tableId,
      r.schemaId,
      r.tableJson,
      r.createdTime,
      r.modifiedTime,
    );
    const codec = new PrimaryKeyCodec(info);
    const enc = new CompactedRowEncoder(info.rowType.fields.map((f) => f.type));
    const sample: Uint8Array[] = new Array(BUCKETS);

    // warm the tablets up, then measure memory around the load
    await conn.request(ApiKey.LOOKUP, {
      tableId: r.tableId,
      bucketsReq: [...Array(BUCKETS).keys()].map((bucketId) => ({ bucketId, keys: [] })),
    });
    gc();
    const before = memory();
    const t0 = performance.now();
    let payload = 0;
    for (let start = 0; start < keys; start += BATCH * BUCKETS) {
      const builders = [...Array(BUCKETS)].map(() => new KvRecordBatchBuilder(r.schemaId, 1 << 20));
      for (let i = start; i < Math.min(keys, start + BATCH * BUCKETS); i++) {
        const row = [BigInt(i), `name-${i}`, i % 100, i * 0.25, `city-${i % 1000}`];
        const key = codec.key(row);
        const bucket = codec.bucket(row, key);
        sample[bucket] ??= key;
        const value = enc.encode(row);
        payload += key.length + 2 + value.length;
        builders[bucket]!.append(key, value);
      }
      const resp = await conn.request(ApiKey.PUT_KV, {
        acks: -1,
        tableId: r.tableId,
        timeoutMs: 120_000,
        targetColumns: [],
        bucketsReq: builders.map((b, bucketId) => ({ bucketId, records: b.build() })),
      });
      for (const b of resp.bucketsResp) if (b.errorCode !== undefined) throw new Error(`PutKv failed: ${b.errorMessage}`);
    }
    const loadMs = performance.now() - t0;
    gc();
    const bytesPerKey = (memory() - before) / keys;
    conn.close();
    await cluster.close();

    const restartMs = await timeRestart(dataDir, r.tableId, sample);
    // no snapshots: the whole changelog is replayed
    for (let b = 0; b < BUCKETS; b++)
      fs.rmSync(path.join(dataDir, "log", String(r.tableId), String(b), "kv"), { recursive: true, force: true });
    const replayRestartMs = await timeRestart(dataDir, r.tableId, sample);
    return {
      keys,
      buckets: BUCKETS,
      bytesPerKey: Math.round(bytesPerKey),
      mibPerMillionKeys: Math.round((bytesPerKey * 1e6) / (1 << 20)),
      payloadBytesPerKey: Math.round(payload / keys),
      loadRowsPerSec: Math.round(keys / (loadMs / 1000)),
      restartMs: Math.round(restartMs),
      replayRestartMs: Math.round(replayRestartMs),
    };
  } finally {
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const keys = Number(process.argv[2] ?? 1_000_000);
  console.log(await measureKvState(keys));
}
