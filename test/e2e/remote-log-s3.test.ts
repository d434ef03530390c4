/**
 * Reading tiered segments from S3: the embedded cluster tiers to a local directory, whose
 * files are uploaded to a fake S3 server (s3rver); a proxy between client and cluster
 * rewrites FetchLog's `remote_log_tablet_dir` to the `s3://` location and answers
 * GetFileSystemSecurityToken with session credentials and the endpoint, as a Fluss
 * cluster on S3 does. Checked: every record once, downloads ahead within the prefetch
 * bound into the scanner's temp dir, which is emptied as segments are read and removed on
 * close; without a token the client config's S3 keys are used.
 */
import assert from "node:assert/strict";
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { after, before, describe, test } from "node:test";
import { EARLIEST_OFFSET, FlussConnection, type FlussTable, LocalCluster } from "../../src/index.js";
import { ApiKey } from "../../src/rpc/api-keys.js";
import type { GetFileSystemSecurityTokenResponse } from "../../src/rpc/messages.js";
import { ServerConnection } from "../../src/rpc/server-connection.js";
import { EXTERNAL_SERVERS, uniqueName } from "../helpers/cluster.js";
import { type RewriteProxy, rewritingProxy } from "../helpers/rewrite-proxy.js";
import { type FakeS3, S3RVER_KEY, startFakeS3 } from "../helpers/s3.js";
import { createTestTable } from "../helpers/tables.js";

const PREFIX = "cluster1";

function filesUnder(dir: string): string[] {
  const out: string[] = [];
  for (const n of readdirSync(dir)) {
    const p = join(dir, n);
    if (statSync(p).isDirectory()) out.push(...filesUnder(p));
    else out.push(p);
  }
  return out;
}

describe("reading tiered segments from S3 (e2e, s3rver)", { skip: EXTERNAL_SERVERS !== undefined }, () => {
  let dataDir: string;
  let remoteDir: string;
  let scratch: string;
  let cluster: LocalCluster;
  let s3: FakeS3;
  let setup: FlussConnection;
  let table: FlussTable;
  const db = uniqueName("s3_db");
  const N = 300;

  /** `{remoteDir}...` (plain or `file:`) → `s3://bucket/PREFIX...` */
  const toS3 = (dir: string): string => {
    const at = dir.indexOf(remoteDir);
    assert.ok(at >= 0, `${dir} is not under ${remoteDir}`);
    return `s3://${s3.bucket}/${PREFIX}${dir.slice(at + remoteDir.length)}`;
  };
  const rewriteFetch = (resp: Parameters<NonNullable<Parameters<typeof rewritingProxy>[1]["fetchLog"]>>[0]): void => {
    for (const t of resp.tablesResp) {
      for (const b of t.bucketsResp)
        if (b.remoteLogFetchInfo) b.remoteLogFetchInfo.remoteLogTabletDir = toS3(b.remoteLogFetchInfo.remoteLogTabletDir);
    }
  };

  before(async () => {
    dataDir = mkdtempSync(join(tmpdir(), "flussjs-s3-e2e-"));
    remoteDir = join(dataDir, "remote");
    scratch = mkdtempSync(join(tmpdir(), "flussjs-s3-scratch-"));
    cluster = await LocalCluster.start({
      dataDir,
      remoteDataDir: remoteDir,
      segmentBytes: 2048,
      localSegmentsToKeep: 1,
      // tiering only when the test says, so the uploaded layout stays what the cluster names
      remoteLogTaskIntervalMs: 0,
    });
    s3 = await startFakeS3("fluss");
    setup = await FlussConnection.connect({ "bootstrap.servers": cluster.bootstrapServers });
    await setup.getAdmin().createDatabase(db);
    table = await createTestTable(setup, db, "events", { buckets: 2 });
    const w = table.newAppendWriter();
    for (let i = 0; i < N; i++) {
      w.append({ id: i, name: `event-${i}-${"z".repeat(24)}`, amount: BigInt(i) });
      if (i % 10 === 9) await w.flush();
    }
    await w.close();
    await cluster.runRemoteLogTasks();
    // both buckets start in remote storage
    const [host, port] = cluster.bootstrapServers.split(":");
    const raw = await ServerConnection.connect({
      host: host!,
      port: Number(port),
      connectTimeoutMs: 5000,
      requestTimeoutMs: 15_000,
    });
    const deadline = Date.now() + 30_000;
    for (const bucketId of [0, 1]) {
      for (;;) {
        const resp = await raw.request(ApiKey.FETCH_LOG, {
          followerServerId: -1,
          maxBytes: 1 << 20,
          tablesReq: [
            {
              tableId: table.info.tableId,
              projectionPushdownEnabled: false,
              projectedFields: [],
              bucketsReq: [{ bucketId, fetchOffset: 0, maxFetchBytes: 1 << 20 }],
            },
          ],
        });
        if ((resp.tablesResp[0]?.bucketsResp[0]?.remoteLogFetchInfo?.remoteLogSegments.length ?? 0) > 0) break;
        if (Date.now() > deadline) assert.fail(`bucket ${bucketId} was not tiered in 30 s`);
        await new Promise((r) => setTimeout(r, 100));
      }
    }
    raw.close();
    // copy the tiered layout into S3
    // (segments are immutable once tiered; manifests are replaced as tiering goes on and are not read by clients)
    for (const f of filesUnder(remoteDir)) {
      if (f.endsWith(".log")) await s3.put(`${PREFIX}/${relative(remoteDir, f)}`, readFileSync(f));
    }
  });
  after(async () => {
    await setup
      ?.getAdmin()
      .dropDatabase(db, { ignoreIfNotExists: true, cascade: true })
      .catch(() => undefined);
    await setup?.close();
    await cluster?.close();
    await s3?.close();
    rmSync(dataDir, { recursive: true, force: true });
    rmSync(scratch, { recursive: true, force: true });
  });

  /** Reads all N rows through `proxy`, sampling the downloads directory meanwhile. */
  async function readThrough(proxy: RewriteProxy, extra: Record<string, string | number | boolean>): Promise<number> {
    const conn = await FlussConnection.connect({
      "bootstrap.servers": `127.0.0.1:${proxy.port}`,
      "scanner.log.fetch.wait-max-time-ms": 100,
      "scanner.io.tmpdir": scratch,
      "scanner.remote-log.prefetch-num": 2,
      // small reads: many polls while segments are held
      "scanner.log.max-buffered-bytes": 1024,
      ...extra,
    });
    const scanner = await (await conn.getTable(table.info.tablePath)).newScan().projectByName(["id"]).createLogScanner();
    await scanner.subscribeBuckets({ 0: EARLIEST_OFFSET, 1: EARLIEST_OFFSET });
    const ids: number[] = [];
    let maxHeld = 0;
    let sawDir = false;
    const deadline = Date.now() + 30_000;
    while (ids.length < N && Date.now() < deadline) {
      for (const r of await scanner.poll(200)) ids.push(r.row.id as number);
      for (const d of readdirSync(scratch).filter((n) => n.startsWith("remote-logs-"))) {
        sawDir = true;
        try {
          maxHeld = Math.max(maxHeld, readdirSync(join(scratch, d)).filter((n) => n.endsWith(".log")).length);
        } catch {
          // removed meanwhile
        }
      }
    }
    for (const r of await scanner.poll(300)) ids.push(r.row.id as number);
    assert.deepEqual(
      [...ids].sort((a, b) => a - b),
      Array.from({ length: N }, (_, i) => i),
    );
    assert.ok(sawDir, "segments were downloaded into scanner.io.tmpdir");
    assert.ok(maxHeld <= 2, `${maxHeld} downloaded segments held at once (prefetch-num 2)`);
    // every segment was read: each was deleted after its last chunk
    const held = readdirSync(scratch)
      .filter((n) => n.startsWith("remote-logs-"))
      .flatMap((d) => readdirSync(join(scratch, d)));
    assert.deepEqual(held, [], "downloaded segments are deleted once read");
    await scanner.close();
    assert.deepEqual(
      readdirSync(scratch).filter((n) => n.startsWith("remote-logs-")),
      [],
      "the download directory is removed on close",
    );
    await conn.close();
    return ids.length;
  }

  test("with the cluster's token (session credentials, endpoint and path style in addition_infos)", async () => {
    const token = (): GetFileSystemSecurityTokenResponse => ({
      schema: "s3",
      token: new TextEncoder().encode(
        JSON.stringify({ version: 1, access_key_id: S3RVER_KEY, access_key_secret: S3RVER_KEY, security_token: "session" }),
      ),
      expirationTime: Date.now() + 3_600_000,
      additionInfo: [
        { key: "fs.s3a.endpoint", value: s3.endpoint },
        { key: "fs.s3a.path.style.access", value: "true" },
        { key: "fs.s3a.region", value: "us-east-1" },
      ],
    });
    const proxy = await rewritingProxy(Number(cluster.bootstrapServers.split(":")[1]), {
      fetchLog: rewriteFetch,
      securityToken: token,
    });
    try {
      await readThrough(proxy, {});
      assert.equal(proxy.tokenRequests(), 1, "one token for the whole read");
    } finally {
      await proxy.close();
    }
  });

  test("without a token: the client's fs.s3a.* keys", async () => {
    const proxy = await rewritingProxy(Number(cluster.bootstrapServers.split(":")[1]), { fetchLog: rewriteFetch });
    try {
      await readThrough(proxy, s3.clientConfig as Record<string, string | boolean>);
    } finally {
      await proxy.close();
    }
  });

  test("an unsupported scheme fails the bucket naming it", async () => {
    const proxy = await rewritingProxy(Number(cluster.bootstrapServers.split(":")[1]), {
      fetchLog: (resp) => {
        for (const t of resp.tablesResp)
          for (const b of t.bucketsResp)
            if (b.remoteLogFetchInfo) b.remoteLogFetchInfo.remoteLogTabletDir = "hdfs://namenode:8020/fluss/log/x/0";
      },
    });
    const conn = await FlussConnection.connect({ "bootstrap.servers": `127.0.0.1:${proxy.port}` });
    try {
      const scanner = await (await conn.getTable(table.info.tablePath)).newScan().createLogScanner();
      await scanner.subscribe(0, EARLIEST_OFFSET);
      await assert.rejects(
        (async () => {
          for (let i = 0; i < 50; i++) await scanner.poll(200);
        })(),
        /scheme "hdfs"/,
      );
      await scanner.close();
    } finally {
      await conn.close();
      await proxy.close();
    }
  });
});
