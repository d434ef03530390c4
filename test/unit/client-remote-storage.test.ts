/**
 * The remote-storage layer of the log scanner: Fluss's remote paths, URI schemes, the
 * security token's parsing and renewal, S3 settings, the prefetching downloader, and
 * downloads from a fake S3 server.
 */
import assert from "node:assert/strict";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { pathToFileURL } from "node:url";
import { Config } from "../../src/client/config.js";
import {
  isRemoteFileMissing,
  LocalFileSystem,
  parseRemoteLocation,
  type RemoteFileSystem,
  type SegmentFile,
} from "../../src/client/scan/remote/file-system.js";
import { RemoteBucketRead } from "../../src/client/scan/remote/remote-bucket-read.js";
import { RemoteLogDownloader } from "../../src/client/scan/remote/remote-log-downloader.js";
import type { RemoteStorage } from "../../src/client/scan/remote/remote-storage.js";
import { resolveS3Settings, S3FileSystem } from "../../src/client/scan/remote/s3-file-system.js";
import { parseSecurityToken, SecurityTokenManager } from "../../src/client/scan/remote/security-token.js";
import {
  filenamePrefixFromOffset,
  localFileNameOfRemoteSegment,
  remoteLogDir,
  remoteLogSegmentDir,
  remoteLogSegmentFile,
  remoteLogTabletDir,
} from "../../src/metadata/remote-log-paths.js";
import { ErrorCode, FlussError } from "../../src/rpc/errors.js";
import type { GetFileSystemSecurityTokenResponse, PbRemoteLogSegment } from "../../src/rpc/messages.js";
import { type FakeS3, S3RVER_KEY, startFakeS3 } from "../helpers/s3.js";

const SEG = "3a8b2c4d-1e2f-4a5b-8c9d-0e1f2a3b4c5d";

describe("remote log paths (FlussPaths rules)", () => {
  test("offsets are 20 zero-padded digits", () => {
    assert.equal(filenamePrefixFromOffset(0), "00000000000000000000");
    assert.equal(filenamePrefixFromOffset(1234), "00000000000000001234");
    assert.equal(filenamePrefixFromOffset(Number.MAX_SAFE_INTEGER), "00009007199254740991");
  });

  test("tablet, segment and file paths", () => {
    const logDir = remoteLogDir("s3://bucket/fluss/");
    assert.equal(logDir, "s3://bucket/fluss/log");
    const plain = remoteLogTabletDir(logDir, { databaseName: "db", tableName: "orders", tableId: 7, bucket: 3 });
    assert.equal(plain, "s3://bucket/fluss/log/db/orders-7/3");
    const partitioned = remoteLogTabletDir(remoteLogDir("/data/remote"), {
      databaseName: "db",
      tableName: "events",
      tableId: 12,
      partitionName: "2024$05",
      partitionId: 40,
      bucket: 0,
    });
    assert.equal(partitioned, "/data/remote/log/db/events-12/2024$05-p40/0");
    const file = remoteLogSegmentFile(remoteLogSegmentDir(plain, SEG), 1500);
    assert.equal(file, `s3://bucket/fluss/log/db/orders-7/3/${SEG}/00000000000000001500.log`);
    assert.equal(localFileNameOfRemoteSegment(SEG, 1500), `${SEG}_00000000000000001500.log`);
  });
});

describe("remote URIs", () => {
  test("plain paths and file URIs are local", () => {
    assert.deepEqual(parseRemoteLocation("/tmp/remote/log"), { scheme: "file", path: "/tmp/remote/log" });
    assert.deepEqual(parseRemoteLocation("file:/tmp/remote/log"), { scheme: "file", path: "/tmp/remote/log" });
    assert.deepEqual(parseRemoteLocation("file:///tmp/remote/a%20b"), { scheme: "file", path: "/tmp/remote/a b" });
  });

  test("s3 and s3a name a bucket and a key", () => {
    assert.deepEqual(parseRemoteLocation("s3://bkt/fluss/log/x.log"), { scheme: "s3", bucket: "bkt", key: "fluss/log/x.log" });
    assert.deepEqual(parseRemoteLocation("S3A://bkt/k"), { scheme: "s3", bucket: "bkt", key: "k" });
    assert.throws(() => parseRemoteLocation("s3:///nobucket"), /names no S3 bucket/);
  });

  test("other schemes fail naming the scheme", () => {
    for (const uri of ["hdfs://nn:8020/fluss/log", "oss://b/k", "abfs://c@a.dfs.core.windows.net/x"]) {
      assert.throws(
        () => parseRemoteLocation(uri),
        (err: unknown) =>
          err instanceof FlussError &&
          err.code === ErrorCode.CLIENT_ERROR &&
          err.message.includes(`scheme "${uri.split(":")[0]}"`),
      );
    }
  });
});

const tokenResp = (
  json: unknown,
  expirationTime?: number,
  infos: Record<string, string> = {},
): GetFileSystemSecurityTokenResponse => ({
  schema: "s3",
  token: new TextEncoder().encode(JSON.stringify(json)),
  ...(expirationTime !== undefined ? { expirationTime } : {}),
  additionInfo: Object.entries(infos).map(([key, value]) => ({ key, value })),
});

describe("security tokens", () => {
  test("Java's credentials JSON and addition infos are read", () => {
    const t = parseSecurityToken(
      tokenResp({ version: 1, access_key_id: "AK", access_key_secret: "SK", security_token: "ST" }, 5000, {
        "fs.s3a.endpoint": "http://minio:9000",
      }),
    );
    assert.equal(t.scheme, "s3");
    assert.deepEqual(t.credentials, { accessKeyId: "AK", secretAccessKey: "SK", sessionToken: "ST" });
    assert.equal(t.expirationTime, 5000);
    assert.equal(t.additionInfos.get("fs.s3a.endpoint"), "http://minio:9000");
    const local = parseSecurityToken({ schema: "file", token: new Uint8Array(0), additionInfo: [] });
    assert.equal(local.credentials, undefined);
    assert.equal(local.expirationTime, undefined);
    const noSession = parseSecurityToken(
      tokenResp({ version: 1, access_key_id: "A", access_key_secret: "S", security_token: null }),
    );
    assert.deepEqual(noSession.credentials, { accessKeyId: "A", secretAccessKey: "S" });
  });

  test("renewed after ratio × lifetime, before expiration; failures back off", async () => {
    let now = 1_000_000;
    let calls = 0;
    let fail = false;
    const mgr = new SecurityTokenManager(
      async () => {
        calls++;
        if (fail) throw new FlussError(ErrorCode.NETWORK_EXCEPTION, "down");
        return tokenResp({ access_key_id: `AK${calls}`, access_key_secret: "S" }, now + 100_000);
      },
      0.75,
      60_000,
      () => now,
    );
    // concurrent first uses share one request
    const [a, b] = await Promise.all([mgr.current(), mgr.current()]);
    assert.equal(calls, 1);
    assert.equal(a?.credentials?.accessKeyId, "AK1");
    assert.equal(b, a);
    now += 74_000;
    assert.equal((await mgr.current())?.credentials?.accessKeyId, "AK1");
    assert.equal(calls, 1);
    now += 2_000; // past 75% of 100 s
    assert.equal((await mgr.current())?.credentials?.accessKeyId, "AK2");
    assert.equal(calls, 2);
    // renewal fails: the old token is used while valid, the next try waits for the backoff
    now += 80_000;
    fail = true;
    assert.equal((await mgr.current())?.credentials?.accessKeyId, "AK2");
    assert.ok(mgr.failure instanceof FlussError);
    assert.equal(calls, 3);
    now += 30_000; // AK2 expired (issued at 1,076,000 + 100 s), backoff not over
    assert.equal(await mgr.current(), undefined);
    assert.equal(calls, 3);
    fail = false;
    now += 30_001;
    assert.equal((await mgr.current())?.credentials?.accessKeyId, "AK4");
    assert.equal(mgr.failure, undefined);
  });

  test("S3 settings: the token's addition infos win over the config, then the environment", () => {
    const config = new Config({
      "fs.s3a.endpoint": "localhost:9000",
      "fs.s3a.path.style.access": true,
      "fs.s3a.access.key": "CK",
      "fs.s3a.secret.key": "CS",
    });
    const env = { AWS_REGION: "eu-west-1" };
    assert.deepEqual(resolveS3Settings(config, undefined, env), {
      endpoint: "https://localhost:9000",
      region: "eu-west-1",
      forcePathStyle: true,
      credentials: { accessKeyId: "CK", secretAccessKey: "CS" },
    });
    const token = parseSecurityToken(
      tokenResp({ access_key_id: "TK", access_key_secret: "TS", security_token: "TT" }, 1, {
        "fs.s3a.endpoint": "http://s3.local:9000",
        "fs.s3a.region": "cn-north-1",
        "fs.s3a.path.style.access": "false",
      }),
    );
    assert.deepEqual(resolveS3Settings(config, token, env), {
      endpoint: "http://s3.local:9000",
      region: "cn-north-1",
      forcePathStyle: false,
      credentials: { accessKeyId: "TK", secretAccessKey: "TS", sessionToken: "TT" },
    });
    // a token of another file system is ignored; nothing set: the SDK's defaults
    const fileToken = parseSecurityToken({ schema: "file", token: new Uint8Array(0), additionInfo: [] });
    assert.deepEqual(resolveS3Settings(new Config(), fileToken, {}), { region: "us-east-1", forcePathStyle: false });
  });
});

/** A file system whose fetches the test completes by hand. */
class ManualFs implements RemoteFileSystem {
  readonly started: { path: string; resolve: (f: SegmentFile) => void; reject: (e: unknown) => void }[] = [];
  readonly released: string[] = [];
  fetch(location: Parameters<RemoteFileSystem["fetch"]>[0]): Promise<SegmentFile> {
    const path = location.scheme === "file" ? location.path : location.key;
    return new Promise((resolve, reject) => this.started.push({ path, resolve, reject }));
  }
  file(path: string, bytes = new Uint8Array(0)): SegmentFile {
    return {
      path,
      size: bytes.length,
      read: async (pos, len) => bytes.subarray(pos, pos + len),
      release: async () => {
        this.released.push(path);
      },
    };
  }
  close(): void {}
}

function storageOf(fs: RemoteFileSystem, maxConcurrent = 100): RemoteStorage {
  let running = 0;
  return {
    fileSystem: () => fs,
    limit: async <T>(task: () => Promise<T>) => {
      assert.ok(++running <= maxConcurrent);
      try {
        return await task();
      } finally {
        running--;
      }
    },
  } as unknown as RemoteStorage;
}

const segment = (id: string, start: number, end: number, maxTimestamp = start): PbRemoteLogSegment => ({
  remoteLogSegmentId: id,
  remoteLogStartOffset: start,
  remoteLogEndOffset: end,
  segmentSizeInBytes: 0,
  maxTimestamp,
});
const tick = () => new Promise((r) => setImmediate(r));

describe("remote log downloader", () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), "flussjs-remote-unit-"));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  test("at most prefetch-num segments are fetched ahead; order by offset within a bucket, max_timestamp across", async () => {
    const fs = new ManualFs();
    const dl = new RemoteLogDownloader(storageOf(fs), 2, dir);
    const b0 = [2, 0, 1].map((i) => dl.request("b0", "/r/t/0", segment(`s${i}`, i * 10, i * 10 + 10, 100 + i)));
    const b1 = dl.request("b1", "/r/t/1", segment("x0", 0, 10, 50));
    await tick();
    // the oldest max_timestamp first (bucket 1), then bucket 0's lowest offset
    assert.deepEqual(
      fs.started.map((s) => s.path),
      ["/r/t/1/x0/00000000000000000000.log", "/r/t/0/s0/00000000000000000000.log"],
    );
    fs.started[0]!.resolve(fs.file("x0"));
    fs.started[1]!.resolve(fs.file("s0"));
    assert.equal((await b1.file).path, "x0");
    assert.equal((await b0[1]!.file).path, "s0");
    await tick();
    assert.equal(fs.started.length, 2, "no permit is free until a segment is released");
    b1.release();
    await tick();
    assert.deepEqual(fs.released, ["x0"]);
    assert.equal(fs.started[2]!.path, "/r/t/0/s1/00000000000000000010.log");
    // releasing a queued segment removes it; releasing a running one frees it on completion
    b0[0]!.release();
    await assert.rejects(b0[0]!.file);
    b0[2]!.release();
    fs.started[2]!.resolve(fs.file("s1"));
    await tick();
    assert.deepEqual(fs.released, ["x0", "s1"]);
    b0[1]!.release();
    await dl.close();
  });

  test("transient failures are retried and reported; a missing file fails at once", async () => {
    const fs = new ManualFs();
    const retries: FlussError[] = [];
    const dl = new RemoteLogDownloader(storageOf(fs), 4, dir, (e) => retries.push(e));
    const d = dl.request("b", "/r", segment("s", 0, 5));
    await tick();
    fs.started[0]!.reject(new FlussError(ErrorCode.LOG_STORAGE_EXCEPTION, "timeout", { retriable: true }));
    await new Promise((r) => setTimeout(r, 150));
    assert.equal(retries.length, 1);
    assert.equal(fs.started.length, 2);
    fs.started[1]!.resolve(fs.file("s"));
    assert.equal((await d.file).path, "s");
    d.release();

    const local = new RemoteLogDownloader(storageOf(new LocalFileSystem()), 4, dir);
    const gone = local.request("b", join(dir, "nowhere"), segment(SEG, 0, 5));
    await assert.rejects(
      gone.file,
      (err: unknown) => isRemoteFileMissing(err) && String(err).includes(`${SEG}/00000000000000000000.log`),
    );
    await local.close();
    await dl.close();
  });

  test("failed downloads are retried past fluss-rust's 10 attempts until the file can be read (as Java's)", async () => {
    const fs = new ManualFs();
    const retries: FlussError[] = [];
    const dl = new RemoteLogDownloader(
      storageOf(fs),
      4,
      dir,
      (e) => retries.push(e),
      () => 1,
    );
    const d = dl.request("b", "/r", segment("s", 0, 5));
    for (let i = 0; i < 15; i++) {
      while (fs.started.length <= i) await tick();
      assert.ok(dl.retrying === i > 0, "retrying once an attempt failed");
      fs.started[i]!.reject(new FlussError(ErrorCode.LOG_STORAGE_EXCEPTION, `EACCES ${i}`, { retriable: true }));
    }
    while (fs.started.length <= 15) await tick();
    fs.started[15]!.resolve(fs.file("s"));
    assert.equal((await d.file).path, "s");
    assert.equal(retries.length, 15);
    assert.equal(dl.retrying, false);
    d.release();
    await dl.close();
  });

  test("closing the downloader or releasing the segment ends its retries at once", async () => {
    for (const end of ["close", "release"] as const) {
      const fs = new ManualFs();
      const dl = new RemoteLogDownloader(
        storageOf(fs),
        4,
        dir,
        () => undefined,
        () => 60_000,
      );
      const d = dl.request("b", "/r", segment("s", 0, 5));
      await tick();
      fs.started[0]!.reject(new FlussError(ErrorCode.LOG_STORAGE_EXCEPTION, "EACCES", { retriable: true }));
      await tick();
      assert.equal(dl.retrying, true);
      const t0 = Date.now();
      if (end === "close") await dl.close();
      else d.release();
      await assert.rejects(d.file, (e: unknown) => e instanceof FlussError && e.code === ErrorCode.CLIENT_ERROR);
      assert.ok(Date.now() - t0 < 1000, `${end}: the minute-long backoff was cut short`);
      await new Promise((r) => setTimeout(r, 20));
      assert.equal(fs.started.length, 1, `${end}: no attempt after`);
      assert.equal(dl.retrying, false);
      if (end === "release") {
        // its permit came back: the next segment starts
        const next = dl.request("b", "/r", segment("t", 5, 9));
        await tick();
        assert.equal(fs.started.length, 2);
        fs.started[1]!.resolve(fs.file("t"));
        await next.file;
        next.release();
        await dl.close();
      }
    }
  });

  test("a bucket read hands out whole batches from first_start_pos across segments", async () => {
    // fake batches: [baseOffset int64][length int32][payload] (only the length matters here)
    const batch = (payload: number): Uint8Array => {
      const b = new Uint8Array(12 + payload);
      new DataView(b.buffer).setInt32(8, payload, true);
      return b;
    };
    const cat = (...parts: Uint8Array[]) => Uint8Array.from(parts.flatMap((p) => [...p]));
    const tablet = join(dir, "tablet");
    const s1 = cat(batch(20), batch(30), batch(100));
    const s2 = cat(batch(5));
    for (const [id, start, bytes] of [
      ["a", 0, s1],
      ["b", 3, s2],
    ] as const) {
      mkdirSync(join(tablet, id), { recursive: true });
      writeFileSync(join(tablet, id, `${filenamePrefixFromOffset(start)}.log`), bytes);
    }
    const dl = new RemoteLogDownloader(storageOf(new LocalFileSystem()), 1, dir);
    const read = new RemoteBucketRead(dl, "b", {
      remoteLogTabletDir: pathToFileURL(tablet).href,
      remoteLogSegments: [segment("a", 0, 3), segment("b", 3, 4)],
      firstStartPos: 32,
    });
    const sizes: number[] = [];
    for (;;) {
      const chunk = await read.next(50);
      if (chunk.endOffset !== undefined) {
        assert.equal(chunk.endOffset, 4);
        break;
      }
      sizes.push(chunk.records!.length);
    }
    // from position 32: the 42-byte batch fits 50; the 112-byte one is read whole; then segment b
    assert.deepEqual(sizes, [42, 112, 17]);
    await dl.close();
  });
});

describe("S3 file system against a fake S3 server", () => {
  let s3: FakeS3;
  let dir: string;
  before(async () => {
    s3 = await startFakeS3("flussbkt");
    dir = mkdtempSync(join(tmpdir(), "flussjs-s3-unit-"));
  });
  after(async () => {
    await s3.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test("downloads into the temp dir, deletes on release; a missing key is a missing file", async () => {
    const body = Uint8Array.from({ length: 300_000 }, (_, i) => i % 251);
    await s3.put(`fluss/log/db/t-1/0/${SEG}/00000000000000000000.log`, body);
    const config = new Config(s3.clientConfig as Record<string, string>);
    // the cluster has no S3 token for us: the config's static keys are used
    const tokens = new SecurityTokenManager(
      async () => {
        throw new FlussError(ErrorCode.UNSUPPORTED_VERSION, "no tokens here");
      },
      0.75,
      3_600_000,
    );
    const fs = new S3FileSystem(config, tokens);
    const localDir = join(dir, "remote-logs-x");
    const mk = async () => {
      mkdirSync(localDir, { recursive: true });
      return localDir;
    };
    const file = await fs.fetch(
      parseRemoteLocation(`s3://flussbkt/fluss/log/db/t-1/0/${SEG}/00000000000000000000.log`),
      mk,
      localFileNameOfRemoteSegment(SEG, 0),
    );
    assert.equal(file.size, body.length);
    assert.deepEqual(await file.read(1000, 10), body.subarray(1000, 1010));
    assert.deepEqual(readdirSync(localDir), [`${SEG}_00000000000000000000.log`]);
    await file.release();
    assert.deepEqual(readdirSync(localDir), []);

    await assert.rejects(
      fs.fetch(parseRemoteLocation("s3://flussbkt/fluss/none.log"), mk, "none.log"),
      (err: unknown) => isRemoteFileMissing(err) && String(err).includes("s3://flussbkt/fluss/none.log"),
    );
    assert.deepEqual(readdirSync(localDir), [], "no temp file is left behind");
    fs.close();
  });

  test("the token's session credentials and endpoint are used", async () => {
    await s3.put("k/seg.log", new Uint8Array([1, 2, 3]));
    // only the token says where the server is and how to sign
    const tokens = new SecurityTokenManager(
      async () =>
        tokenResp(
          { version: 1, access_key_id: S3RVER_KEY, access_key_secret: S3RVER_KEY, security_token: null },
          Date.now() + 3_600_000,
          {
            "fs.s3a.endpoint": s3.endpoint,
            "fs.s3a.path.style.access": "true",
          },
        ),
      0.75,
      3_600_000,
    );
    const fs = new S3FileSystem(new Config(), tokens);
    const file = await fs.fetch(parseRemoteLocation("s3a://flussbkt/k/seg.log"), async () => dir, "seg.log");
    assert.deepEqual(await file.read(0, 10), new Uint8Array([1, 2, 3]));
    await file.release();
    assert.equal(existsSync(join(dir, "seg.log")), false);
    fs.close();
  });
});
