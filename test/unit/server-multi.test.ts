/**
 * A local cluster of several tablet servers over raw sockets (issue 11): server_type and
 * keys per role, Metadata from each server, leaders spread, NOT_LEADER_OR_FOLLOWER off the
 * leader for every bucket RPC, leader moves, stopped servers, metadata lag, injected errors
 * and delays, and Java's fetch byte slices (minOneMessage).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { ApiKey, ServerType } from "../../src/rpc/api-keys.js";
import { ErrorCode } from "../../src/rpc/errors.js";
import type { MetadataResponse } from "../../src/rpc/messages.js";
import { ServerConnection } from "../../src/rpc/server-connection.js";
import { iterateBatches } from "../../src/record/log-batch.js";
import { DataTypes } from "../../src/metadata/data-types.js";
import { Schema } from "../../src/metadata/schema.js";
import { TablePath } from "../../src/metadata/table-path.js";
import { LocalCluster, type LocalClusterOptions } from "../../src/server/local-cluster.js";
import { LOG_SCHEMA, arrowBatch, rejectsWith, tableJson } from "./server-test-util.js";
import { createPkTable, kvBatch, tp } from "./server-kv-helpers.js";

const PK_SCHEMA = Schema.builder().column("id", DataTypes.INT()).column("name", DataTypes.STRING()).primaryKey(["id"]).build();

async function open(cluster: LocalCluster, server: number | "coordinator"): Promise<ServerConnection> {
  const [host, port] = cluster.serverAddress(server).split(":");
  return ServerConnection.connect({ host: host!, port: Number(port), connectTimeoutMs: 3000, requestTimeoutMs: 5000 });
}

/** A 3-server cluster with connections to the coordinator and to each tablet server. */
async function withServers(
  fn: (cluster: LocalCluster, cs: ServerConnection, ts: ServerConnection[]) => Promise<void>,
  options: LocalClusterOptions = {},
): Promise<void> {
  const cluster = await LocalCluster.start({ tabletServers: 3, ...options });
  const conns: ServerConnection[] = [];
  try {
    const cs = await open(cluster, "coordinator");
    conns.push(cs);
    const ts: ServerConnection[] = [];
    for (const id of cluster.tabletServerIds) ts.push(await open(cluster, id));
    conns.push(...ts);
    await fn(cluster, cs, ts);
  } finally {
    for (const c of conns) c.close();
    await cluster.close();
  }
}

async function createLogTable(cs: ServerConnection, name: string, buckets: number): Promise<number> {
  await cs.request(ApiKey.CREATE_TABLE, {
    tablePath: tp(name),
    tableJson: tableJson(LOG_SCHEMA, { bucketCount: buckets }),
    ignoreIfExists: false,
  });
  return (await cs.request(ApiKey.GET_TABLE_INFO, { tablePath: tp(name) })).tableId;
}

function metadata(conn: ServerConnection, name: string): Promise<MetadataResponse> {
  return conn.request(ApiKey.GET_METADATA, { tablePath: [tp(name)], partitionsPath: [], partitionsId: [] });
}

function leaders(resp: MetadataResponse): (number | undefined)[] {
  return resp.tableMetadata[0]!.bucketMetadata.map((b) => b.leaderId);
}

function produce(conn: ServerConnection, tableId: number, bucketId: number, rows: unknown[][]) {
  return conn.request(ApiKey.PRODUCE_LOG, {
    acks: -1,
    tableId,
    timeoutMs: 5000,
    bucketsReq: [{ bucketId, records: arrowBatch(LOG_SCHEMA.rowType, rows) }],
  });
}

function fetchOne(conn: ServerConnection, tableId: number, bucketId: number, maxFetchBytes = 1 << 20) {
  return conn.request(ApiKey.FETCH_LOG, {
    followerServerId: -1,
    maxBytes: 16 << 20,
    tablesReq: [
      {
        tableId,
        projectionPushdownEnabled: false,
        projectedFields: [],
        bucketsReq: [{ bucketId, fetchOffset: 0, maxFetchBytes }],
      },
    ],
  });
}

test("ApiVersions: each role lists its own keys and its server_type; a single listener omits server_type", async () => {
  await withServers(async (_cluster, cs, ts) => {
    const c = await cs.request(ApiKey.API_VERSIONS, { clientSoftwareName: "t", clientSoftwareVersion: "1" });
    assert.equal(c.serverType, ServerType.COORDINATOR);
    const ck = new Set(c.apiVersions.map((v) => v.apiKey));
    assert.ok(
      ck.has(ApiKey.CREATE_TABLE) && ck.has(ApiKey.GET_METADATA) && !ck.has(ApiKey.PRODUCE_LOG) && !ck.has(ApiKey.FETCH_LOG),
    );
    const t = await ts[1]!.request(ApiKey.API_VERSIONS, { clientSoftwareName: "t", clientSoftwareVersion: "1" });
    assert.equal(t.serverType, ServerType.TABLET_SERVER);
    const tk = new Set(t.apiVersions.map((v) => v.apiKey));
    assert.ok(tk.has(ApiKey.PRODUCE_LOG) && tk.has(ApiKey.PUT_KV) && tk.has(ApiKey.SCAN_KV) && tk.has(ApiKey.GET_TABLE_INFO));
    assert.ok(!tk.has(ApiKey.CREATE_TABLE) && !tk.has(ApiKey.DROP_DATABASE));
    // a tablet server does not serve coordinator keys
    await rejectsWith(
      ts[0]!.request(ApiKey.CREATE_DATABASE, { databaseName: "x", ignoreIfExists: false }),
      ErrorCode.UNSUPPORTED_VERSION,
    );
  });
  const single = await LocalCluster.start();
  const conn = await open(single, 0);
  try {
    const r = await conn.request(ApiKey.API_VERSIONS, { clientSoftwareName: "t", clientSoftwareVersion: "1" });
    assert.equal(r.serverType, undefined);
  } finally {
    conn.close();
    await single.close();
  }
});

test("Metadata: every server lists the coordinator and the tablet servers at their own ports; leaders spread round-robin at epoch 0", async () => {
  await withServers(async (cluster, cs, ts) => {
    const tableId = await createLogTable(cs, "spread", 6);
    const addrs = new Set([
      cluster.serverAddress("coordinator"),
      ...cluster.tabletServerIds.map((id) => cluster.serverAddress(id)),
    ]);
    assert.equal(addrs.size, 4, "four distinct listeners");
    for (const conn of [cs, ...ts]) {
      const m = await metadata(conn, "spread");
      assert.equal(m.coordinatorServer?.nodeId, 0);
      assert.equal(`${m.coordinatorServer!.host}:${m.coordinatorServer!.port}`, cluster.bootstrapServers);
      assert.deepEqual(
        m.tabletServers.map((n) => [n.nodeId, `${n.host}:${n.port}`]),
        [0, 1, 2].map((id) => [id, cluster.serverAddress(id)]),
      );
      const t = m.tableMetadata[0]!;
      assert.equal(t.tableId, tableId);
      const l = leaders(m);
      assert.deepEqual([...l].sort(), [0, 0, 1, 1, 2, 2], `leaders ${l.join(",")}`);
      for (let b = 1; b < 6; b++) assert.equal(l[b], (l[0]! + b) % 3, "round-robin");
      for (const b of t.bucketMetadata) {
        assert.equal(b.leaderEpoch, 0);
        assert.deepEqual(b.replicaId, [b.leaderId]);
      }
    }
  });
});

test("NOT_LEADER_OR_FOLLOWER from a tablet server for every bucket RPC of a bucket it does not lead", async () => {
  await withServers(async (_cluster, cs, ts) => {
    const logId = await createLogTable(cs, "nl_log", 3);
    const pk = await createPkTable(cs, "nl_pk", PK_SCHEMA, { bucketCount: 3 });
    const logLeader = leaders(await metadata(cs, "nl_log"));
    const pkLeader = leaders(await metadata(cs, "nl_pk"));
    const other = (l: number) => ts[(l + 1) % 3]!;
    const NL = ErrorCode.NOT_LEADER_OR_FOLLOWER;
    for (let b = 0; b < 3; b++) {
      // the leader serves
      const ok = await produce(ts[logLeader[b]!]!, logId, b, [[b, "x"]]);
      assert.equal(ok.bucketsResp[0]!.errorCode, undefined, ok.bucketsResp[0]!.errorMessage);
      const wrong = other(logLeader[b]!);
      const p = (await produce(wrong, logId, b, [[b, "y"]])).bucketsResp[0]!;
      assert.equal(p.errorCode, NL);
      assert.match(p.errorMessage ?? "", /is not leader or follower for TableBucket\{tableId=\d+, bucket=\d\}/);
      assert.equal((await fetchOne(wrong, logId, b)).tablesResp[0]!.bucketsResp[0]!.errorCode, NL);
      const lo = await wrong.request(ApiKey.LIST_OFFSETS, { followerServerId: -1, offsetType: 1, tableId: logId, bucketId: [b] });
      assert.equal(lo.bucketsResp[0]!.errorCode, NL);
      assert.equal((await wrong.request(ApiKey.LIMIT_SCAN, { tableId: logId, bucketId: b, limit: 10 })).errorCode, NL);

      const wrongPk = other(pkLeader[b]!);
      const put = await wrongPk.request(ApiKey.PUT_KV, {
        acks: -1,
        tableId: pk.tableId,
        timeoutMs: 5000,
        targetColumns: [],
        bucketsReq: [{ bucketId: b, records: kvBatch(pk, [{ upsert: [b, "v"] }]) }],
      });
      assert.equal(put.bucketsResp[0]!.errorCode, NL);
      const key = pk.keys.key([b, null]);
      assert.equal(
        (await wrongPk.request(ApiKey.LOOKUP, { tableId: pk.tableId, bucketsReq: [{ bucketId: b, keys: [key] }] }))
          .bucketsResp[0]!.errorCode,
        NL,
      );
      const pl = await wrongPk.request(ApiKey.PREFIX_LOOKUP, { tableId: pk.tableId, bucketsReq: [{ bucketId: b, keys: [key] }] });
      assert.equal(pl.bucketsResp[0]!.errorCode, NL);
      const scan = await wrongPk.request(ApiKey.SCAN_KV, {
        bucketScanReq: { tableId: pk.tableId, bucketId: b },
        callSeqId: 0,
        batchSizeBytes: 1024,
      });
      assert.equal(scan.errorCode, NL);
    }
    // an unknown bucket stays UNKNOWN_TABLE_OR_BUCKET
    const p = (await produce(ts[0]!, logId, 7, [[1, "z"]])).bucketsResp[0]!;
    assert.equal(p.errorCode, ErrorCode.UNKNOWN_TABLE_OR_BUCKET_EXCEPTION);
  });
});

test("moveLeader: the new leader serves the same data with the epoch bumped; the old one answers NOT_LEADER_OR_FOLLOWER; scans end", async () => {
  await withServers(async (cluster, cs, ts) => {
    const tableId = await createLogTable(cs, "move", 1);
    const from = leaders(await metadata(cs, "move"))[0]!;
    const to = (from + 1) % 3;
    await produce(ts[from]!, tableId, 0, [
      [1, "a"],
      [2, "b"],
    ]);
    const epoch = await cluster.moveLeader({ table: "fluss.move", bucket: 0, to });
    assert.equal(epoch, 1);
    for (const conn of [cs, ...ts]) {
      const b = (await metadata(conn, "move")).tableMetadata[0]!.bucketMetadata[0]!;
      assert.equal(b.leaderId, to);
      assert.equal(b.leaderEpoch, 1);
      assert.deepEqual(b.replicaId, [to]);
    }
    assert.equal((await produce(ts[from]!, tableId, 0, [[3, "c"]])).bucketsResp[0]!.errorCode, ErrorCode.NOT_LEADER_OR_FOLLOWER);
    const r = (await produce(ts[to]!, tableId, 0, [[3, "c"]])).bucketsResp[0]!;
    assert.equal(r.baseOffset, 2, "the log continues where the old leader left it");
    const f = (await fetchOne(ts[to]!, tableId, 0)).tablesResp[0]!.bucketsResp[0]!;
    assert.equal(f.highWatermark, 3);
    assert.equal([...iterateBatches(f.records!)].length, 2);
    // moving back bumps again
    assert.equal(await cluster.moveLeader({ table: TablePath.of("fluss", "move"), bucket: 0, to: from }), 2);
    assert.equal((await metadata(cs, "move")).tableMetadata[0]!.bucketMetadata[0]!.leaderEpoch, 2);

    // a PK bucket: a scan session of the old leader ends with its leadership
    const pk = await createPkTable(cs, "move_pk", PK_SCHEMA, { bucketCount: 1 });
    const pkFrom = leaders(await metadata(cs, "move_pk"))[0]!;
    const rows = Array.from({ length: 50 }, (_, i) => ({ upsert: [i, `n${i}`] }));
    await ts[pkFrom]!.request(ApiKey.PUT_KV, {
      acks: -1,
      tableId: pk.tableId,
      timeoutMs: 5000,
      targetColumns: [],
      bucketsReq: [{ bucketId: 0, records: kvBatch(pk, rows) }],
    });
    const first = await ts[pkFrom]!.request(ApiKey.SCAN_KV, {
      bucketScanReq: { tableId: pk.tableId, bucketId: 0 },
      callSeqId: 0,
      batchSizeBytes: 64,
    });
    assert.equal(first.hasMoreResults, true);
    // another server does not know the session
    const elsewhere = await ts[(pkFrom + 1) % 3]!.request(ApiKey.SCAN_KV, {
      scannerId: first.scannerId!,
      callSeqId: 1,
      batchSizeBytes: 64,
    });
    assert.equal(elsewhere.errorCode, ErrorCode.UNKNOWN_SCANNER_ID);
    await cluster.moveLeader({ table: "fluss.move_pk", bucket: 0, to: (pkFrom + 2) % 3 });
    const next = await ts[pkFrom]!.request(ApiKey.SCAN_KV, { scannerId: first.scannerId!, callSeqId: 1, batchSizeBytes: 64 });
    assert.equal(next.errorCode, ErrorCode.SCANNER_EXPIRED);
    // the state moved with the leadership
    const pkTo = (pkFrom + 2) % 3;
    const look = await ts[pkTo]!.request(ApiKey.LOOKUP, {
      tableId: pk.tableId,
      bucketsReq: [{ bucketId: 0, keys: [pk.keys.key([7, null])] }],
    });
    assert.deepEqual(pk.decodeRow(look.bucketsResp[0]!.values[0]!.values!, 2), [7, "n7"]);
  });
});

test("stopTabletServer / startTabletServer: its listener goes away, its buckets report no leader, then come back", async () => {
  await withServers(async (cluster, cs, ts) => {
    const tableId = await createLogTable(cs, "stop", 3);
    const before = leaders(await metadata(cs, "stop"));
    const victim = before[0]!;
    const closed = new Promise<void>((resolve) => ts[victim]!.onClose(() => resolve()));
    await cluster.stopTabletServer(victim);
    await closed;
    await rejectsWith(open(cluster, victim), ErrorCode.NETWORK_EXCEPTION);
    const m = await metadata(cs, "stop");
    assert.deepEqual(
      m.tabletServers.map((n) => n.nodeId),
      [0, 1, 2].filter((id) => id !== victim),
    );
    const b0 = m.tableMetadata[0]!.bucketMetadata[0]!;
    assert.equal(b0.leaderId, undefined, "no leader while its server is down");
    assert.deepEqual(b0.replicaId, [victim]);
    // losing its leader is an election: the epoch moves on (other servers' buckets keep theirs)
    const epochs = (r: MetadataResponse) => r.tableMetadata[0]!.bucketMetadata.map((b) => b.leaderEpoch);
    assert.deepEqual(
      epochs(m),
      before.map((l) => (l === victim ? 1 : 0)),
    );
    // other servers' metadata agree, and still do not serve the bucket
    const alive = (victim + 1) % 3;
    assert.equal(leaders(await metadata(ts[alive]!, "stop"))[0], undefined);
    assert.equal((await produce(ts[alive]!, tableId, 0, [[1, "x"]])).bucketsResp[0]!.errorCode, ErrorCode.NOT_LEADER_OR_FOLLOWER);
    // moving the bucket away gives it a leader again
    assert.equal(await cluster.moveLeader({ table: "fluss.stop", bucket: 0, to: alive }), 2);
    assert.equal(leaders(await metadata(cs, "stop"))[0], alive);
    await cluster.startTabletServer(victim);
    const again = await open(cluster, victim);
    try {
      assert.deepEqual(
        (await metadata(cs, "stop")).tabletServers.map((n) => n.nodeId),
        [0, 1, 2],
      );
      const m2 = await metadata(again, "stop");
      const now = leaders(m2);
      assert.equal(now[0], alive);
      // the returning server leads its other buckets again, each at a new epoch
      assert.deepEqual(
        epochs(m2),
        before.map((l, b) => (b === 0 ? 2 : l === victim ? 2 : 0)),
      );
      for (let b = 1; b < 3; b++) assert.equal(now[b], before[b]);
      const victimBucket = before.findIndex((l, b) => b > 0 && l === victim);
      if (victimBucket > 0) {
        assert.equal((await produce(again, tableId, victimBucket, [[2, "y"]])).bucketsResp[0]!.errorCode, undefined);
      }
    } finally {
      again.close();
    }
  });
});

test("metadata lag: tablet servers see leader moves and new tables only after metadataLagMs; leadership moves at once", async () => {
  await withServers(
    async (cluster, cs, ts) => {
      cluster.setMetadataLag(0);
      const tableId = await createLogTable(cs, "lag", 1);
      const from = leaders(await metadata(cs, "lag"))[0]!;
      const to = (from + 1) % 3;
      cluster.setMetadataLag(60_000);
      await cluster.moveLeader({ table: "fluss.lag", bucket: 0, to });
      assert.equal(leaders(await metadata(cs, "lag"))[0], to, "the coordinator knows at once");
      for (const conn of ts) {
        const b = (await metadata(conn, "lag")).tableMetadata[0]!.bucketMetadata[0]!;
        assert.equal(b.leaderId, from, "tablet servers still report the old leader");
        assert.equal(b.leaderEpoch, 0);
      }
      // serving follows the live leadership: the old leader refuses, the new one writes
      assert.equal(
        (await produce(ts[from]!, tableId, 0, [[1, "x"]])).bucketsResp[0]!.errorCode,
        ErrorCode.NOT_LEADER_OR_FOLLOWER,
      );
      assert.equal((await produce(ts[to]!, tableId, 0, [[1, "x"]])).bucketsResp[0]!.errorCode, undefined);
      // a table created now is unknown to the tablet servers until their metadata catches up
      const fresh = await createLogTable(cs, "lag_new", 1);
      const freshLeader = leaders(await metadata(cs, "lag_new"))[0]!;
      const r = (await produce(ts[freshLeader]!, fresh, 0, [[1, "x"]])).bucketsResp[0]!;
      assert.equal(r.errorCode, ErrorCode.UNKNOWN_TABLE_OR_BUCKET_EXCEPTION);
      cluster.setMetadataLag(0);
      assert.equal(leaders(await metadata(ts[from]!, "lag"))[0], to);
      assert.equal((await produce(ts[freshLeader]!, fresh, 0, [[1, "x"]])).bucketsResp[0]!.errorCode, undefined);
      // a timed lag: stale before, fresh after
      cluster.setMetadataLag(300);
      const t0 = Date.now();
      await cluster.moveLeader({ table: "fluss.lag", bucket: 0, to: from });
      const stale = leaders(await metadata(ts[0]!, "lag"))[0];
      if (Date.now() - t0 < 250) assert.equal(stale, to);
      await new Promise((resolve) => setTimeout(resolve, 400));
      assert.equal(leaders(await metadata(ts[0]!, "lag"))[0], from);
    },
    { metadataLagMs: 50 },
  );
});

test("injectError, delay, dropConnections, setUnresponsive and restartCoordinator act on the servers they name", async () => {
  await withServers(async (cluster, cs, ts) => {
    const tableId = await createLogTable(cs, "hooks", 1);
    const leader = leaders(await metadata(cs, "hooks"))[0]!;
    cluster.injectError({
      apiKey: "PRODUCE_LOG",
      errorCode: ErrorCode.NOT_ENOUGH_REPLICAS_EXCEPTION,
      count: 2,
      serverId: leader,
    });
    for (let i = 0; i < 2; i++) {
      const e = await rejectsWith(produce(ts[leader]!, tableId, 0, [[i, "x"]]), ErrorCode.NOT_ENOUGH_REPLICAS_EXCEPTION);
      assert.match(e.message, /injected into PRODUCE_LOG/);
    }
    assert.equal((await produce(ts[leader]!, tableId, 0, [[9, "x"]])).bucketsResp[0]!.baseOffset, 0, "only count requests fail");
    // by number, on any server
    cluster.injectError({ apiKey: ApiKey.GET_METADATA, errorCode: ErrorCode.NETWORK_EXCEPTION, count: 1 });
    await rejectsWith(metadata(cs, "hooks"), ErrorCode.NETWORK_EXCEPTION);
    await metadata(cs, "hooks");
    // a delay holds requests of that key on that server only
    cluster.delay({ apiKey: "LIST_OFFSETS", ms: 600, serverId: leader });
    let t = Date.now();
    await ts[leader]!.request(ApiKey.LIST_OFFSETS, { followerServerId: -1, offsetType: 1, tableId, bucketId: [0] });
    assert.ok(Date.now() - t >= 580, `delayed ${Date.now() - t} ms`);
    t = Date.now();
    await ts[(leader + 1) % 3]!.request(ApiKey.LIST_OFFSETS, { followerServerId: -1, offsetType: 1, tableId, bucketId: [0] });
    assert.ok(Date.now() - t < 500, "another server is not delayed");
    cluster.delay({ apiKey: "LIST_OFFSETS", ms: 0, serverId: leader });
    t = Date.now();
    await ts[leader]!.request(ApiKey.LIST_OFFSETS, { followerServerId: -1, offsetType: 1, tableId, bucketId: [0] });
    assert.ok(Date.now() - t < 500, "ms 0 removes the delay");

    // a black hole on one server: requests there time out, others answer
    cluster.setUnresponsive(leader, true);
    await rejectsWith(
      ts[leader]!.request(ApiKey.GET_METADATA, { tablePath: [], partitionsPath: [], partitionsId: [] }, { timeoutMs: 300 }),
      ErrorCode.REQUEST_TIME_OUT,
    );
    await metadata(ts[(leader + 1) % 3]!, "hooks");
    cluster.setUnresponsive(leader, false);

    // dropConnections closes every connection, listeners stay
    const closes = [cs, ...ts].map((c) => new Promise<void>((resolve) => c.onClose(() => resolve())));
    cluster.dropConnections();
    await Promise.all(closes);
    const again = await open(cluster, leader);
    const coord = await open(cluster, "coordinator");
    try {
      await metadata(again, "hooks");
      // restartCoordinator: its connections drop, it comes back on the same port with the same catalog
      const dropped = new Promise<void>((resolve) => coord.onClose(() => resolve()));
      const port = cluster.port;
      await cluster.restartCoordinator();
      await dropped;
      assert.equal(cluster.port, port);
      const c2 = await open(cluster, "coordinator");
      try {
        assert.equal((await c2.request(ApiKey.GET_TABLE_INFO, { tablePath: tp("hooks") })).tableId, tableId);
      } finally {
        c2.close();
      }
    } finally {
      again.close();
      coord.close();
    }
  });
});

test("hook arguments are checked: unknown server ids, api keys, error codes, tables and buckets", async () => {
  await withServers(async (cluster, cs) => {
    await createLogTable(cs, "args", 2);
    const client = (fn: () => unknown, re: RegExp) =>
      assert.throws(
        fn,
        (e: unknown) => e instanceof Error && (e as { code?: number }).code === ErrorCode.CLIENT_ERROR && re.test(e.message),
      );
    client(() => cluster.setUnresponsive(5, true), /tablet servers with ids 0, 1, 2 \(got server id 5\)/);
    client(
      () => cluster.injectError({ apiKey: "PRODUCE" as never, errorCode: 12, count: 1 }),
      /'PRODUCE' is not a Fluss api key name/,
    );
    client(() => cluster.injectError({ apiKey: "PRODUCE_LOG", errorCode: -2, count: 1 }), /not a server error code/);
    client(() => cluster.delay({ apiKey: 1015, ms: -1 }), /non-negative/);
    await rejectsWith(cluster.moveLeader({ table: "fluss.nope", bucket: 0, to: 1 }), ErrorCode.TABLE_NOT_EXIST);
    await rejectsWith(
      cluster.moveLeader({ table: "fluss.args", bucket: 2, to: 1 }),
      ErrorCode.CLIENT_ERROR,
      /bucket 2 does not exist/,
    );
    await rejectsWith(cluster.moveLeader({ table: "fluss.args", bucket: 0, to: 3 }), ErrorCode.CLIENT_ERROR, /got server id 3/);
    await rejectsWith(cluster.stopTabletServer(9), ErrorCode.CLIENT_ERROR);
  });
});

test("fetch: the last batch is cut at the bucket limit as a byte slice; only the first bucket with data gets a whole oversized batch", async () => {
  await withServers(async (cluster, cs, ts) => {
    void cluster;
    const tableId = await createLogTable(cs, "cut", 3);
    const l = leaders(await metadata(cs, "cut"));
    const rows = (n: number, tag: string) => Array.from({ length: n }, (_, i) => [i, `${tag}-${"x".repeat(40)}-${i}`]);
    // bucket 0: two batches; buckets 1 and 2 live on other servers
    await produce(ts[l[0]!]!, tableId, 0, rows(20, "a"));
    await produce(ts[l[0]!]!, tableId, 0, rows(20, "b"));
    const whole = (await fetchOne(ts[l[0]!]!, tableId, 0)).tablesResp[0]!.bucketsResp[0]!.records!;
    const sizes = [...iterateBatches(whole)].map((v) => v.sizeInBytes);
    assert.equal(sizes.length, 2);
    // a limit inside the second batch: the first whole, then the second cut at exactly the limit
    const limit = sizes[0]! + 100;
    const cut = (await fetchOne(ts[l[0]!]!, tableId, 0, limit)).tablesResp[0]!.bucketsResp[0]!.records!;
    assert.equal(cut.length, limit);
    assert.deepEqual(Buffer.from(cut), Buffer.from(whole.subarray(0, limit)));
    assert.equal([...iterateBatches(cut)].length, 1, "the cut batch is not a complete batch");
    // minOneMessage: a limit below the first batch still returns it whole (first bucket with data)
    const tiny = (await fetchOne(ts[l[0]!]!, tableId, 0, 100)).tablesResp[0]!.bucketsResp[0]!.records!;
    assert.equal(tiny.length, sizes[0]);
    // below a batch header's size nothing is returned for the later buckets
    const conn = ts[l[0]!]!;
    const twoBuckets = await createLogTable(cs, "cut2", 2);
    const l2 = leaders(await metadata(cs, "cut2"));
    // put both buckets on the same server
    await cluster.moveLeader({ table: "fluss.cut2", bucket: 1, to: l2[0]! });
    const owner = ts[l2[0]!]!;
    await produce(owner, twoBuckets, 0, rows(20, "c"));
    await produce(owner, twoBuckets, 1, rows(20, "d"));
    const req = (max: number, perBucket: number) =>
      owner.request(ApiKey.FETCH_LOG, {
        followerServerId: -1,
        maxBytes: max,
        tablesReq: [
          {
            tableId: twoBuckets,
            projectionPushdownEnabled: false,
            projectedFields: [],
            bucketsReq: [0, 1].map((bucketId) => ({ bucketId, fetchOffset: 0, maxFetchBytes: perBucket })),
          },
        ],
      });
    // each bucket limit below its batch: whichever bucket comes first gets its whole batch,
    // the other gets a cut slice of its limit (no complete batch); order is not fixed
    const seen = new Set<number>();
    for (let i = 0; i < 4; i++) {
      const resp = await req(1 << 20, 200);
      const bs = resp.tablesResp.flatMap((t) => t.bucketsResp);
      assert.equal(bs.length, 2);
      seen.add(bs[0]!.bucketId);
      const firstRecords = bs[0]!.records!;
      assert.equal([...iterateBatches(firstRecords)].length, 1);
      assert.ok(firstRecords.length > 200, "the first bucket's batch is whole");
      assert.equal(bs[1]!.records!.length, 200, "the second is a 200-byte slice");
      assert.equal([...iterateBatches(bs[1]!.records!)].length, 0);
    }
    assert.deepEqual([...seen].sort(), [0, 1], "buckets are served in no fixed order");
    // the total max_bytes is shared: once used up by the first bucket, the next gets nothing
    const one = await req(100, 1 << 20);
    const bs = one.tablesResp.flatMap((t) => t.bucketsResp);
    assert.ok(bs[0]!.records!.length > 100);
    assert.equal(bs[1]!.records?.length ?? 0, 0);
    void conn;
  });
});

test("projected fetch: whole projected batches while their projected size fits the limit (FileLogProjection.project)", async () => {
  await withServers(async (_cluster, cs, ts) => {
    const tableId = await createLogTable(cs, "proj", 1);
    const leader = ts[leaders(await metadata(cs, "proj"))[0]!]!;
    for (let i = 0; i < 30; i++) {
      await produce(
        leader,
        tableId,
        0,
        Array.from({ length: 20 }, (_, k) => [k, `${"long text ".repeat(20)}${i}-${k}`]),
      );
    }
    const fetch = (maxFetchBytes: number, projected?: number[]) =>
      leader.request(ApiKey.FETCH_LOG, {
        followerServerId: -1,
        maxBytes: 16 << 20,
        tablesReq: [
          {
            tableId,
            projectionPushdownEnabled: projected !== undefined,
            projectedFields: projected ?? [],
            bucketsReq: [{ bucketId: 0, fetchOffset: 0, maxFetchBytes }],
          },
        ],
      });
    const sizesOf = (records: Uint8Array) => [...iterateBatches(records)].map((v) => v.sizeInBytes);
    const sizes = sizesOf((await fetch(16 << 20, [0])).tablesResp[0]!.bucketsResp[0]!.records!);
    assert.equal(sizes.length, 30);
    const unprojected = sizesOf((await fetch(16 << 20)).tablesResp[0]!.bucketsResp[0]!.records!);
    assert.ok(unprojected[0]! > 3 * sizes[0]!, "the id column alone is much smaller");
    const fitting = (limit: number) => {
      let total = 0;
      let n = 0;
      for (const sz of sizes) {
        if (total + sz > limit) break;
        total += sz;
        n++;
      }
      return n;
    };
    // the limit counts projected bytes: far more batches than the unprojected ones that fit
    const limit = unprojected[0]! + 17;
    assert.ok(fitting(limit) < 30 && fitting(limit) > 2, `${fitting(limit)} batches fit`);
    const got = (await fetch(limit, [0])).tablesResp[0]!.bucketsResp[0]!.records!;
    assert.deepEqual(sizesOf(got), sizes.slice(0, fitting(limit)));
    assert.equal(
      got.length,
      sizes.slice(0, fitting(limit)).reduce((a, b) => a + b, 0),
      "whole batches only",
    );
    // minOneMessage: a tiny limit is raised to the first batch's unprojected size
    const raised = (await fetch(10, [0])).tablesResp[0]!.bucketsResp[0]!.records!;
    assert.equal(sizesOf(raised).length, fitting(unprojected[0]!));
  });
});

test("a single-server cluster takes the same hooks: stop/start and restartCoordinator reopen its one port, moveLeader to 0 bumps the epoch", async () => {
  const cluster = await LocalCluster.start();
  // with its one listener stopped, nothing else would keep this test's event loop alive
  const keepAlive = setInterval(() => {}, 1000);
  try {
    assert.deepEqual(cluster.tabletServerIds, [0]);
    assert.equal(cluster.serverAddress(0), cluster.bootstrapServers);
    let conn = await open(cluster, 0);
    await createLogTable(conn, "single", 2);
    assert.equal(await cluster.moveLeader({ table: "fluss.single", bucket: 1, to: 0 }), 1);
    const m = await metadata(conn, "single");
    assert.deepEqual(
      m.tableMetadata[0]!.bucketMetadata.map((b) => [b.leaderId, b.leaderEpoch]),
      [
        [0, 0],
        [0, 1],
      ],
    );
    await rejectsWith(
      cluster.moveLeader({ table: "fluss.single", bucket: 0, to: 1 }),
      ErrorCode.CLIENT_ERROR,
      /one server, id 0 \(got server id 1\)/,
    );
    const port = cluster.port;
    const closed = new Promise<void>((resolve) => conn.onClose(() => resolve()));
    await cluster.stopTabletServer(0);
    await closed;
    await rejectsWith(open(cluster, 0), ErrorCode.NETWORK_EXCEPTION);
    await cluster.startTabletServer(0);
    assert.equal(cluster.port, port);
    conn = await open(cluster, 0);
    assert.equal(leaders(await metadata(conn, "single")).length, 2);
    await cluster.restartCoordinator();
    conn.close();
    conn = await open(cluster, 0);
    assert.equal((await metadata(conn, "single")).tabletServers.length, 1);
    conn.close();
  } finally {
    clearInterval(keepAlive);
    await cluster.close();
  }
});
