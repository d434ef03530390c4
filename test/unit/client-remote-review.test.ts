/**
 * Remote segment downloads never hang: an S3 endpoint that accepts connections but stalls
 * (before its answer, or in the middle of the body) fails the download within
 * `request.timeout.ms`, as a retriable FlussError.
 */
import assert from "node:assert/strict";
import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import * as net from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { Config } from "../../src/client/config.js";
import { parseRemoteLocation } from "../../src/client/scan/remote/file-system.js";
import { S3FileSystem } from "../../src/client/scan/remote/s3-file-system.js";
import { SecurityTokenManager } from "../../src/client/scan/remote/security-token.js";
import { ErrorCode, FlussError } from "../../src/rpc/errors.js";

describe("S3 downloads against a stalling endpoint", () => {
  let dir: string;
  let server: net.Server;
  let port: number;
  let mode: "silent" | "partial" = "silent";
  const sockets = new Set<net.Socket>();
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), "flussjs-s3-stall-"));
    server = net.createServer((s) => {
      sockets.add(s);
      s.on("error", () => undefined);
      s.once("data", () => {
        if (mode === "partial") {
          s.write("HTTP/1.1 200 OK\r\nContent-Length: 100000\r\nContent-Type: application/octet-stream\r\n\r\n");
          s.write(Buffer.alloc(1000, 7));
        }
        // then nothing more, ever
      });
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    port = (server.address() as net.AddressInfo).port;
  });
  after(async () => {
    for (const s of sockets) s.destroy();
    await new Promise<void>((r) => server.close(() => r()));
    rmSync(dir, { recursive: true, force: true });
  });

  for (const m of ["silent", "partial"] as const) {
    test(`a ${m} server fails the download within request.timeout.ms`, async () => {
      mode = m;
      const config = new Config({
        "fs.s3a.endpoint": `http://127.0.0.1:${port}`,
        "fs.s3a.path.style.access": "true",
        "fs.s3a.access.key": "k",
        "fs.s3a.secret.key": "s",
        "request.timeout.ms": 500,
      });
      const tokens = new SecurityTokenManager(
        async () => {
          throw new FlussError(ErrorCode.UNSUPPORTED_VERSION, "no tokens here");
        },
        0.75,
        3_600_000,
      );
      const fs = new S3FileSystem(config, tokens);
      const started = Date.now();
      let timer: NodeJS.Timeout | undefined;
      const hung = new Promise<"hung">((r) => {
        timer = setTimeout(() => r("hung"), 8_000);
      });
      const outcome = await Promise.race([
        fs
          .fetch(parseRemoteLocation("s3://bkt/seg.log"), async () => dir, "seg.log")
          .then(
            () => "downloaded",
            (err: unknown) => err,
          ),
        hung,
      ]);
      clearTimeout(timer);
      fs.close();
      assert.notEqual(outcome, "hung", "the download hangs");
      assert.ok(outcome instanceof FlussError, `expected a FlussError, got ${String(outcome)}`);
      assert.equal(outcome.code, ErrorCode.LOG_STORAGE_EXCEPTION);
      assert.equal(outcome.retriable, true);
      assert.ok(Date.now() - started < 5_000, `took ${Date.now() - started} ms`);
      assert.deepEqual(readdirSync(dir), [], "no temp file is left behind");
    });
  }
});
