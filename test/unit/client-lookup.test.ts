/**
 * The lookup client against a fake cluster at the ClientContext seam (metadata + one fake
 * connection): batching, Nagle holding, in-flight limits, retries, refreshes, dropped
 * tables and partitions, missing answers, close. The e2e tests cover the real server.
 */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import * as arrow from "apache-arrow";
import { Config, type ConfigInput } from "../../src/client/config.js";
import type { ClientContext, ConnectionResource } from "../../src/client/context.js";
import { Lookuper } from "../../src/client/lookup/lookuper.js";
import { Schema } from "../../src/metadata/schema.js";
import { TableDescriptor } from "../../src/metadata/table-descriptor.js";
import { TableInfo } from "../../src/metadata/table-info.js";
import { TablePath } from "../../src/metadata/table-path.js";
import { ApiKey } from "../../src/rpc/api-keys.js";
import { ErrorCode, FlussError } from "../../src/rpc/errors.js";
import type { LookupRequest, LookupResponse, PrefixLookupRequest, PrefixLookupResponse } from "../../src/rpc/messages.js";
import { CompactedRowEncoder } from "../../src/row/compacted-row.js";
import { PrimaryKeyCodec } from "../../src/row/key-encoding.js";
import { encodeValueWithSchemaId } from "../../src/row/value-row.js";

const NODE = { id: 0, host: "fake", port: 1 };
const hex = (b: Uint8Array): string => Buffer.from(b).toString("hex");

function pkTable(opts: { buckets?: number; partitioned?: boolean; tableId?: number } = {}): TableInfo {
  const fields = [new arrow.Field("id", new arrow.Int32(), false), new arrow.Field("name", new arrow.Utf8(), true)];
  if (opts.partitioned) fields.push(new arrow.Field("region", new arrow.Utf8(), false));
  const schema = new Schema(new arrow.Schema(fields), { primaryKeys: opts.partitioned ? ["id", "region"] : ["id"] });
  return TableInfo.of(
    new TablePath("db", "t"),
    opts.tableId ?? 7,
    1,
    new TableDescriptor(schema, { bucketCount: opts.buckets ?? 4, ...(opts.partitioned ? { partitionKeys: ["region"] } : {}) }),
    0,
    0,
  );
}

type Answer = (req: LookupRequest) => LookupResponse | Promise<LookupResponse>;

/** A fake cluster: metadata with one tablet server, a key-value store, request hooks. */
class FakeCluster {
  readonly store = new Map<string, Uint8Array>();
  requests: LookupRequest[] = [];
  prefixRequests: PrefixLookupRequest[] = [];
  inflight = 0;
  maxInflight = 0;
  leaderKnown = true;
  refreshes = 0;
  invalidations = 0;
  /** What the next metadata refresh does (default: leaders known again). */
  onRefresh: () => void = () => {
    this.leaderKnown = true;
  };
  partitions = new Map<string, number>([["US", 100]]);
  answer: Answer | undefined;
  delayMs = 0;
  readonly resources = new Set<ConnectionResource>();
  readonly ctx: ClientContext;

  constructor(
    readonly info: TableInfo,
    config: ConfigInput = {},
  ) {
    const meta = {
      leaderFor: () => (this.leaderKnown ? NODE : undefined),
      updateTables: async () => {
        this.refreshes++;
        this.onRefresh();
      },
      updatePartitions: async (_p: TablePath, o: { ids?: number[]; names?: string[] }) => {
        this.refreshes++;
        for (const n of o.names ?? []) {
          if (!this.partitions.has(n)) throw new FlussError(ErrorCode.PARTITION_NOT_EXISTS, `partition ${n}`);
        }
        for (const id of o.ids ?? []) {
          if (![...this.partitions.values()].includes(id))
            throw new FlussError(ErrorCode.PARTITION_NOT_EXISTS, `partition ${id}`);
        }
        this.onRefresh();
      },
      partitionId: (_t: number, name: string) => this.partitions.get(name),
      tableBuckets: (id: number) => (id === this.info.tableId ? { tableId: id, buckets: [] } : undefined),
      partitionBuckets: (id: number) => ({ tableId: this.info.tableId, partitionId: id, buckets: [] }),
      invalidate: () => {
        this.invalidations++;
        this.leaderKnown = false;
      },
      forgetPartition: () => undefined,
    };
    const conn = {
      request: async (apiKey: number, req: LookupRequest | PrefixLookupRequest) => {
        this.inflight++;
        this.maxInflight = Math.max(this.maxInflight, this.inflight);
        try {
          if (this.delayMs > 0) await new Promise((r) => setTimeout(r, this.delayMs));
          if (apiKey === ApiKey.PREFIX_LOOKUP) {
            this.prefixRequests.push(req);
            return this.prefix(req);
          }
          this.requests.push(req);
          return this.answer ? await this.answer(req) : this.lookup(req);
        } finally {
          this.inflight--;
        }
      },
    };
    const rpc = { openConnection: () => conn, connection: async () => conn, isClosed: false };
    this.ctx = {
      config: new Config(config),
      rpc,
      metadata: meta,
      admin: undefined,
      track: (r: ConnectionResource) => {
        this.resources.add(r);
        return () => this.resources.delete(r);
      },
    } as unknown as ClientContext;
  }

  put(row: unknown[]): void {
    const codec = new PrimaryKeyCodec(this.info);
    const enc = new CompactedRowEncoder(this.info.rowType.fields.map((f) => f.type));
    this.store.set(hex(codec.key(row)), encodeValueWithSchemaId(this.info.schemaId, enc.encode(row)));
  }

  lookup(req: LookupRequest): LookupResponse {
    return {
      bucketsResp: req.bucketsReq.map((b) => ({
        bucketId: b.bucketId,
        ...(b.partitionId === undefined ? {} : { partitionId: b.partitionId }),
        values: b.keys.map((k) => {
          const v = this.store.get(hex(k));
          return v ? { values: v } : {};
        }),
      })),
    };
  }

  prefix(req: PrefixLookupRequest): PrefixLookupResponse {
    return {
      bucketsResp: req.bucketsReq.map((b) => ({
        bucketId: b.bucketId,
        ...(b.partitionId === undefined ? {} : { partitionId: b.partitionId }),
        valueLists: b.keys.map((k) => ({
          values: [...this.store].filter(([key]) => key.startsWith(hex(k))).map(([, v]) => v),
        })),
      })),
    };
  }

  keyCount(): number {
    return this.requests.reduce((n, r) => n + r.bucketsReq.reduce((m, b) => m + b.keys.length, 0), 0);
  }

  async close(): Promise<void> {
    for (const r of [...this.resources]) await r.close();
  }
}

describe("lookup client (fake cluster)", () => {
  test("10,000 concurrent lookups share few requests, one per batch of lookup.max-batch-size keys", async () => {
    const c = new FakeCluster(pkTable());
    for (let i = 0; i < 10_000; i += 2) c.put([i, `n${i}`]);
    const l = Lookuper.create(c.ctx, c.info);
    const results = await Promise.all(Array.from({ length: 10_000 }, (_, i) => l.lookup({ id: i })));
    for (let i = 0; i < 10_000; i++) {
      assert.deepEqual(results[i], i % 2 === 0 ? { id: i, name: `n${i}` } : null, `id ${i}`);
    }
    assert.equal(c.keyCount(), 10_000);
    assert.ok(c.requests.length <= Math.ceil(10_000 / 128) + 1, `${c.requests.length} requests`);
    assert.ok(
      c.requests.every((r) => r.bucketsReq.length === 4),
      "each request carries the keys of every bucket",
    );
    await c.close();
  });

  test("a larger lookup.max-batch-size packs 10,000 lookups into a handful of requests", async () => {
    const c = new FakeCluster(pkTable(), { "client.lookup.max-batch-size": 5000 });
    const l = Lookuper.create(c.ctx, c.info);
    await Promise.all(Array.from({ length: 10_000 }, (_, i) => l.lookup([i])));
    assert.equal(c.requests.length, 2);
    await c.close();
  });

  test("a lone lookup goes out at once; later ones wait for the in-flight answer and share a request", async () => {
    const c = new FakeCluster(pkTable(), { "lookup.batch-timeout": "5s" });
    c.delayMs = 30;
    const l = Lookuper.create(c.ctx, c.info);
    const t0 = Date.now();
    const first = l.lookup({ id: 1 });
    while (c.inflight === 0) await new Promise((r) => setImmediate(r));
    const more = [2, 3, 4, 5].map((id) => l.lookup({ id }));
    await first;
    assert.ok(Date.now() - t0 < 2500, "no batch-timeout wait for a lone lookup");
    await Promise.all(more);
    assert.equal(c.requests.length, 2);
    assert.equal(
      c.requests[1]!.bucketsReq.reduce((n, b) => n + b.keys.length, 0),
      4,
    );
    await c.close();
  });

  test("a non-full batch waits at most lookup.batch-timeout-ms for the in-flight request", async () => {
    const c = new FakeCluster(pkTable(), { "lookup.batch-timeout-ms": 20 });
    c.delayMs = 300;
    const l = Lookuper.create(c.ctx, c.info);
    const first = l.lookup({ id: 1 });
    await new Promise((r) => setTimeout(r, 5));
    const t0 = Date.now();
    const second = l.lookup({ id: 2 });
    await new Promise((r) => setTimeout(r, 60));
    assert.equal(c.requests.length + c.inflight, 2, "the second batch left after the batch timeout");
    await Promise.all([first, second]);
    assert.ok(Date.now() - t0 < 2000);
    await c.close();
  });

  test("lookup.max-inflight-requests bounds concurrent requests", async () => {
    const c = new FakeCluster(pkTable(), { "lookup.max-inflight-requests": 2, "lookup.max-batch-size": 10 });
    c.delayMs = 2;
    const l = Lookuper.create(c.ctx, c.info);
    await Promise.all(Array.from({ length: 200 }, (_, i) => l.lookup({ id: i })));
    assert.equal(c.maxInflight, 2);
    assert.ok(c.requests.length >= 20);
    await c.close();
  });

  test("a moved leader: NOT_LEADER_OR_FOLLOWER invalidates metadata, refreshes and retries", async () => {
    const c = new FakeCluster(pkTable({ buckets: 1 }));
    c.put([1, "a"]);
    let failures = 1;
    c.answer = (req) =>
      failures-- > 0
        ? { bucketsResp: [{ bucketId: req.bucketsReq[0]!.bucketId, errorCode: ErrorCode.NOT_LEADER_OR_FOLLOWER, values: [] }] }
        : c.lookup(req);
    const l = Lookuper.create(c.ctx, c.info);
    assert.deepEqual(await l.lookup({ id: 1 }), { id: 1, name: "a" });
    assert.equal(c.invalidations, 1);
    assert.equal(c.refreshes, 1);
    assert.equal(c.requests.length, 2);
    await c.close();
  });

  test("a dropped table: UNKNOWN_TABLE_OR_BUCKET, then the refresh says TABLE_NOT_EXIST: the lookup fails", async () => {
    const c = new FakeCluster(pkTable({ buckets: 1 }));
    c.answer = (req) => ({
      bucketsResp: [
        { bucketId: req.bucketsReq[0]!.bucketId, errorCode: ErrorCode.UNKNOWN_TABLE_OR_BUCKET_EXCEPTION, values: [] },
      ],
    });
    c.onRefresh = () => {
      throw new FlussError(ErrorCode.TABLE_NOT_EXIST, "Table 'db.t' does not exist.");
    };
    const l = Lookuper.create(c.ctx, c.info);
    await assert.rejects(l.lookup({ id: 1 }), (e: FlussError) => e.code === ErrorCode.TABLE_NOT_EXIST);
    await c.close();
  });

  test("a table re-created under the same name (new id) fails lookups of the old handle", async () => {
    const c = new FakeCluster(pkTable({ buckets: 1, tableId: 7 }));
    c.leaderKnown = false;
    const l = Lookuper.create(c.ctx, pkTable({ buckets: 1, tableId: 6 }));
    await assert.rejects(
      l.lookup({ id: 1 }),
      (e: FlussError) => e.code === ErrorCode.TABLE_NOT_EXIST && /dropped/.test(e.message),
    );
    await c.close();
  });

  test("transient request failures are retried until request.timeout.ms, then fail naming the bucket", async () => {
    const c = new FakeCluster(pkTable({ buckets: 1 }), { "request.timeout.ms": 300 });
    c.answer = () => {
      throw new FlussError(ErrorCode.NETWORK_EXCEPTION, "connection lost");
    };
    const l = Lookuper.create(c.ctx, c.info);
    const t0 = Date.now();
    await assert.rejects(
      l.lookup({ id: 1 }),
      (e: FlussError) => e.code === ErrorCode.NETWORK_EXCEPTION && /table db\.t bucket 0/.test(e.message),
    );
    assert.ok(Date.now() - t0 < 2000);
    assert.ok(c.requests.length >= 2);
    await c.close();
  });

  test("lookup.max-retries = 0 fails at the first transient error", async () => {
    const c = new FakeCluster(pkTable({ buckets: 1 }), { "client.lookup.max-retries": 0 });
    c.answer = () => {
      throw new FlussError(ErrorCode.NETWORK_EXCEPTION, "connection lost");
    };
    const l = Lookuper.create(c.ctx, c.info);
    await assert.rejects(l.lookup({ id: 1 }), /gave up after 1 attempts/);
    assert.equal(c.requests.length, 1);
    await c.close();
  });

  test("a bucket missing from the response fails instead of hanging (fluss#174)", async () => {
    const c = new FakeCluster(pkTable({ buckets: 1 }));
    c.answer = () => ({ bucketsResp: [] });
    const l = Lookuper.create(c.ctx, c.info);
    await assert.rejects(l.lookup({ id: 1 }), (e: FlussError) => e.code === ErrorCode.UNKNOWN_SERVER_ERROR);
    await c.close();
  });

  test("no leader after a refresh: retried with backoff, then fails within request.timeout.ms", async () => {
    const c = new FakeCluster(pkTable({ buckets: 1 }), { "request.timeout.ms": 300 });
    c.leaderKnown = false;
    c.onRefresh = () => undefined;
    const l = Lookuper.create(c.ctx, c.info);
    await assert.rejects(l.lookup({ id: 1 }), (e: FlussError) => e.code === ErrorCode.LEADER_NOT_AVAILABLE_EXCEPTION);
    assert.ok(c.refreshes >= 2);
    await c.close();
  });

  test("partitions: unknown partition → null without a lookup request; a dropped partition → null", async () => {
    const c = new FakeCluster(pkTable({ partitioned: true }));
    c.put([1, "a", "US"]);
    const l = Lookuper.create(c.ctx, c.info);
    assert.deepEqual(await l.lookup({ id: 1, region: "US" }), { id: 1, name: "a", region: "US" });
    assert.equal(c.requests[0]!.bucketsReq[0]!.partitionId, 100);
    assert.equal(await l.lookup({ id: 1, region: "EU" }), null);
    assert.equal(c.requests.length, 1);
    c.answer = (req) => ({
      bucketsResp: req.bucketsReq.map((b) => ({
        partitionId: b.partitionId!,
        bucketId: b.bucketId,
        errorCode: ErrorCode.PARTITION_NOT_EXISTS,
        values: [],
      })),
    });
    assert.equal(await l.lookup({ id: 1, region: "US" }), null);
    c.answer = undefined;
    c.partitions.delete("US");
    assert.equal(await l.lookup({ id: 1, region: "US" }), null, "the forgotten partition is resolved again");
    await c.close();
  });

  test("close: pending lookups complete, later ones throw; connection close closes lookupers", async () => {
    const c = new FakeCluster(pkTable());
    c.put([1, "a"]);
    c.delayMs = 20;
    const l = Lookuper.create(c.ctx, c.info);
    const pending = l.lookup({ id: 1 });
    await l.close();
    assert.deepEqual(await pending, { id: 1, name: "a" });
    assert.throws(() => l.lookup({ id: 1 }), /closed/);
    const l2 = Lookuper.create(c.ctx, c.info);
    const p2 = l2.lookup({ id: 1 });
    await c.close();
    assert.deepEqual(await p2, { id: 1, name: "a" });
    assert.throws(() => l2.lookup({ id: 1 }), /closed/);
  });
});

describe("lookup keys (fake cluster)", () => {
  function prefixTable(): TableInfo {
    const schema = new Schema(
      new arrow.Schema([
        new arrow.Field("region", new arrow.Utf8(), false),
        new arrow.Field("user_id", new arrow.Int64(), false),
        new arrow.Field("ts", new arrow.Int64(), false),
        new arrow.Field("v", new arrow.Utf8(), true),
      ]),
      { primaryKeys: ["region", "user_id", "ts"] },
    );
    return TableInfo.of(
      new TablePath("db", "p"),
      9,
      1,
      new TableDescriptor(schema, {
        bucketCount: 3,
        partitionKeys: ["region"],
        bucketKeys: ["user_id"],
        properties: { "table.kv.format-version": "2" },
      }),
      0,
      0,
    );
  }

  test("bad keys throw at lookup time naming the column", async () => {
    const c = new FakeCluster(pkTable({ partitioned: true }));
    const l = Lookuper.create(c.ctx, c.info);
    assert.throws(() => l.lookup({ id: 1 }), /primary key column "region" is missing/);
    assert.throws(() => l.lookup({ id: null, region: "US" }), /primary key column "id" must not be null/);
    assert.throws(() => l.lookup({ id: "x", region: "US" }), /column "id": expected INT NOT NULL, got string "x"/);
    assert.throws(() => l.lookup({ id: 1, region: "US", name: "a" }), /column "name" is not part of the primary key/);
    assert.throws(() => l.lookup({ id: 1, region: "US", nope: 1 }), /unknown column "nope"/);
    assert.throws(() => l.lookup([1]), /primary key has 1 values but table db\.t is looked up by 2 columns \(id, region\)/);
    assert.equal(c.requests.length, 0);
    await c.close();
  });

  test("newLookup on a log table is refused", () => {
    const schema = new Schema(new arrow.Schema([new arrow.Field("id", new arrow.Int32(), false)]));
    const info = TableInfo.of(new TablePath("db", "log"), 3, 1, new TableDescriptor(schema, { bucketCount: 1 }), 0, 0);
    const c = new FakeCluster(pkTable());
    assert.throws(
      () => Lookuper.create(c.ctx, info),
      (e: FlussError) => e.code === ErrorCode.CLIENT_ERROR && /db\.log has no primary key/.test(e.message),
    );
  });

  test("lookupBy: only the bucket key (plus partition columns) is accepted", async () => {
    const c = new FakeCluster(prefixTable());
    const l = Lookuper.create(c.ctx, c.info);
    assert.throws(() => l.lookupBy(["user_id"]), /must include the partition column\(s\) "region"/);
    assert.throws(() => l.lookupBy(["region", "user_id", "ts"]), /column\(s\) "ts" are not in the bucket key \[user_id\]/);
    assert.throws(() => l.lookupBy(["region", "v"]), /column\(s\) "v" are not in the bucket key/);
    assert.throws(() => l.lookupBy(["region", "nope"]), /unknown column "nope"/);
    assert.throws(() => l.lookupBy(["region"]), /miss bucket-key column\(s\) "user_id"/);
    const pl = l.lookupBy(["region", "user_id"]);
    assert.throws(() => pl.lookup({ region: "US" }), /prefix key column "user_id" is missing/);
    assert.throws(() => pl.lookup({ region: "US", user_id: 1n, ts: 1n }), /column "ts" is not part of the prefix key/);
    const c2 = new FakeCluster(pkTable());
    assert.throws(() => Lookuper.create(c2.ctx, c2.info).lookupBy(["id"]), /is its whole primary key: use lookup\(\)/);
    await c.close();
    await c2.close();
  });

  test("prefix lookup sends the bucket-key prefix to the bucket of the bucket key and returns every match", async () => {
    const c = new FakeCluster(prefixTable());
    c.partitions.set("US", 100);
    for (const [u, ts] of [
      [1n, 1n],
      [1n, 2n],
      [2n, 1n],
    ] as const)
      c.put(["US", u, ts, `v${u}-${ts}`]);
    const l = Lookuper.create(c.ctx, c.info);
    const pl = l.lookupBy(["region", "user_id"]);
    const rows = await pl.lookup(["US", 1]);
    assert.deepEqual(rows.map((r) => r.v).sort(), ["v1-1", "v1-2"]);
    assert.deepEqual(await pl.lookup({ region: "US", user_id: 3 }), []);
    assert.deepEqual(await pl.lookup({ region: "EU", user_id: 1 }), [], "unknown partition");
    const codec = new PrimaryKeyCodec(c.info);
    const full = ["US", 1n, 1n, null];
    assert.equal(c.prefixRequests[0]!.bucketsReq[0]!.bucketId, codec.bucket(full, codec.key(full)));
    await l.close();
    assert.throws(() => pl.lookup(["US", 1]), /closed/, "closing the lookuper closes its prefix lookupers");
    await c.close();
  });
});

describe("lookup config keys", () => {
  test("Java's client.lookup.* keys and the Rust/Python spellings are aliases; Java's defaults", () => {
    const d = new Config();
    assert.equal(d.get("lookup.queue-size"), 25_600);
    assert.equal(d.get("lookup.max-batch-size"), 128);
    assert.equal(d.get("lookup.batch-timeout-ms"), 100);
    assert.equal(d.get("lookup.max-inflight-requests"), 128);
    assert.equal(d.get("lookup.max-retries"), 2147483647);
    const c = new Config({
      "client.lookup.queue-size": "10",
      "client.lookup.max-batch-size": 64,
      "client.lookup.batch-timeout": "2 s",
      "client.lookup.max-inflight-requests": "3",
      "client.lookup.max-retries": "5",
    });
    assert.deepEqual(
      [
        c.get("lookup.queue-size"),
        c.get("lookup.max-batch-size"),
        c.get("lookup.batch-timeout-ms"),
        c.get("lookup.max-inflight-requests"),
        c.get("lookup.max-retries"),
      ],
      [10, 64, 2000, 3, 5],
    );
    assert.equal(new Config({ "lookup.batch-timeout": "250ms" }).get("lookup.batch-timeout-ms"), 250);
    assert.equal(new Config({ "lookup.batch-timeout-ms": 7 }).get("lookup.batch-timeout-ms"), 7);
    assert.equal(new Config({ "lookup.max-inflight": 9 }).get("lookup.max-inflight-requests"), 9);
    assert.throws(
      () => new Config({ "client.lookup.batch-timeout": "soon" }),
      /config "lookup\.batch-timeout-ms": expected milliseconds or a duration/,
    );
    assert.throws(() => new Config({ "lookup.max-batch-size": 0 }), /config "lookup\.max-batch-size": must be at least 1/);
  });

  test("lookup.queue-size: lookups beyond it wait for room, in order", async () => {
    const c = new FakeCluster(pkTable(), {
      "lookup.queue-size": 5,
      "lookup.max-batch-size": 2,
      "lookup.max-inflight-requests": 1,
    });
    c.delayMs = 1;
    for (let i = 0; i < 40; i++) c.put([i, `n${i}`]);
    const l = Lookuper.create(c.ctx, c.info);
    const rows = await Promise.all(Array.from({ length: 40 }, (_, i) => l.lookup({ id: i })));
    assert.deepEqual(
      rows.map((r) => r?.id),
      Array.from({ length: 40 }, (_, i) => i),
    );
    assert.equal(c.maxInflight, 1);
    await c.close();
  });
});
