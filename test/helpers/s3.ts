/**
 * A fake S3 server on loopback for tests (`s3rver`, pure JS, objects in a temp directory)
 * and a client to fill it. s3rver accepts requests signed with the keys S3RVER/S3RVER.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import S3rver from "s3rver";

/** A running fake S3 server. */
export interface FakeS3 {
  /** `http://127.0.0.1:<port>` */
  readonly endpoint: string;
  readonly bucket: string;
  /** Client config that reaches it (path style, its static keys). */
  readonly clientConfig: Record<string, string | boolean>;
  put(key: string, body: Uint8Array): Promise<void>;
  close(): Promise<void>;
}

export const S3RVER_KEY = "S3RVER";

/** Starts s3rver with one bucket on a free port. */
export async function startFakeS3(bucket = "fluss"): Promise<FakeS3> {
  const directory = mkdtempSync(join(tmpdir(), "flussjs-s3rver-"));
  const server = new S3rver({ address: "127.0.0.1", port: 0, silent: true, directory, configureBuckets: [{ name: bucket }] });
  const addr = await server.run();
  const endpoint = `http://127.0.0.1:${addr.port}`;
  const client = new S3Client({
    endpoint,
    region: "us-east-1",
    forcePathStyle: true,
    credentials: { accessKeyId: S3RVER_KEY, secretAccessKey: S3RVER_KEY },
  });
  return {
    endpoint,
    bucket,
    clientConfig: {
      "fs.s3a.endpoint": endpoint,
      "fs.s3a.path.style.access": true,
      "fs.s3a.access.key": S3RVER_KEY,
      "fs.s3a.secret.key": S3RVER_KEY,
    },
    put: async (key, body) => {
      await client.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body }));
    },
    close: async () => {
      client.destroy();
      await server.close();
      rmSync(directory, { recursive: true, force: true });
    },
  };
}
