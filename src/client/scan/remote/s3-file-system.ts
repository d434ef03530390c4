/**
 * `s3://` and `s3a://` remote storage through `@aws-sdk/client-s3`, imported on first
 * use (a client that never reads S3 never loads the SDK).
 *
 * Settings, in order of precedence (Java `S3DelegationTokenReceiver` sets the token's
 * `addition_infos` over the client's configuration):
 * - the cluster's token (GetFileSystemSecurityToken with scheme `s3`/`s3a`): session
 *   credentials plus `fs.s3a.endpoint`, `fs.s3a.region`, `fs.s3a.path.style.access`;
 * - the client config keys of the same names, and `fs.s3a.access.key` / `fs.s3a.secret.key`;
 * - the AWS SDK's own defaults (`AWS_ACCESS_KEY_ID`, `AWS_PROFILE`, `AWS_ENDPOINT_URL`,
 *   `AWS_REGION`, instance roles, ...), region us-east-1 when none is set.
 *
 * A segment is downloaded to a temp file in the scanner's directory and renamed into
 * place when complete (Java `RemoteFileDownloader.downloadFile`).
 */
import { randomUUID } from "node:crypto";
import { createWriteStream } from "node:fs";
import { rename, rm } from "node:fs/promises";
import { join } from "node:path";
import type { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import type { S3Client } from "@aws-sdk/client-s3";
import { FlussError } from "../../../rpc/errors.js";
import type { Config } from "../../config.js";
import {
  OpenedFile,
  type RemoteFileSystem,
  type RemoteLocation,
  type SegmentFile,
  remoteFileFailure,
  remoteFileMissing,
} from "./file-system.js";
import type { ObtainedToken, SecurityTokenManager } from "./security-token.js";

type S3Module = typeof import("@aws-sdk/client-s3");

/** The S3 client settings in effect. */
export interface S3Settings {
  readonly endpoint?: string;
  readonly region: string;
  readonly forcePathStyle: boolean;
  /** Static or token credentials; undefined: the SDK's default chain. */
  readonly credentials?: { readonly accessKeyId: string; readonly secretAccessKey: string; readonly sessionToken?: string };
}

/** Combines a token, the client config and the environment into S3 settings (see the module doc). */
export function resolveS3Settings(config: Config, token: ObtainedToken | undefined, env = process.env): S3Settings {
  const fromToken = token && (token.scheme === "s3" || token.scheme === "s3a") ? token : undefined;
  const info = (key: string): string | undefined => {
    const v = fromToken?.additionInfos.get(key)?.trim();
    return v ? v : undefined;
  };
  let endpoint = info("fs.s3a.endpoint") ?? (config.get("fs.s3a.endpoint") || undefined);
  // Hadoop's fs.s3a.endpoint may omit the scheme (https by default)
  if (endpoint && !/^[a-z][a-z0-9+.-]*:\/\//i.test(endpoint)) endpoint = `https://${endpoint}`;
  const region =
    info("fs.s3a.region") ?? (config.get("fs.s3a.region") || env.AWS_REGION || env.AWS_DEFAULT_REGION || "us-east-1");
  const pathStyle = info("fs.s3a.path.style.access");
  const forcePathStyle = pathStyle !== undefined ? pathStyle.toLowerCase() === "true" : config.get("fs.s3a.path.style.access");
  const accessKey = config.get("fs.s3a.access.key");
  const secretKey = config.get("fs.s3a.secret.key");
  const credentials =
    fromToken?.credentials ?? (accessKey && secretKey ? { accessKeyId: accessKey, secretAccessKey: secretKey } : undefined);
  return {
    ...(endpoint ? { endpoint } : {}),
    region,
    forcePathStyle,
    ...(credentials ? { credentials } : {}),
  };
}

function httpStatus(err: unknown): number | undefined {
  return (err as { $metadata?: { httpStatusCode?: number } })?.$metadata?.httpStatusCode;
}

/** S3 (and S3-compatible servers). */
export class S3FileSystem implements RemoteFileSystem {
  private sdk: Promise<S3Module> | undefined;
  private client: { key: string; client: S3Client } | undefined;
  private readonly abort = new AbortController();

  constructor(
    private readonly config: Config,
    private readonly tokens: SecurityTokenManager,
  ) {}

  private async s3(): Promise<{ sdk: S3Module; client: S3Client }> {
    this.sdk ??= import("@aws-sdk/client-s3");
    const sdk = await this.sdk;
    const settings = resolveS3Settings(this.config, await this.tokens.current());
    const key = JSON.stringify(settings);
    if (this.client?.key !== key) {
      this.client?.client.destroy();
      const client = new sdk.S3Client({
        region: settings.region,
        forcePathStyle: settings.forcePathStyle,
        ...(settings.endpoint ? { endpoint: settings.endpoint } : {}),
        ...(settings.credentials ? { credentials: settings.credentials } : {}),
        maxAttempts: 1, // the downloader retries with its own backoff
        // the SDK waits forever by default: a stalled connection would hang the reader. No
        // bytes for request.timeout.ms fails the attempt (retried); a long download that
        // keeps receiving is not cut
        requestHandler: {
          connectionTimeout: this.config.get("connect.timeout.ms"),
          socketTimeout: this.config.get("request.timeout.ms"),
        },
      });
      this.client = { key, client };
    }
    return { sdk, client: this.client.client };
  }

  async fetch(location: RemoteLocation, localDir: () => Promise<string>, localName: string): Promise<SegmentFile> {
    if (location.scheme !== "s3") throw FlussError.client(`not an S3 path: ${location.scheme}`);
    const uri = `s3://${location.bucket}/${location.key}`;
    const { sdk, client } = await this.s3().catch((err: unknown) => {
      throw remoteFileFailure(uri, err, false);
    });
    const dir = await localDir();
    const target = join(dir, localName);
    const temp = join(dir, `.fluss-download-${randomUUID()}.tmp`);
    try {
      const resp = await client.send(new sdk.GetObjectCommand({ Bucket: location.bucket, Key: location.key }), {
        abortSignal: this.abort.signal,
      });
      if (!resp.Body) throw new Error("the GetObject answer has no body");
      await pipeline(resp.Body as Readable, createWriteStream(temp));
      await rename(temp, target);
    } catch (err) {
      await rm(temp, { force: true }).catch(() => undefined);
      if (err instanceof FlussError) throw err;
      const status = httpStatus(err);
      if ((err as Error)?.name === "NoSuchKey" || status === 404) throw remoteFileMissing(uri, err);
      throw remoteFileFailure(uri, err, !this.abort.signal.aborted);
    }
    return OpenedFile.open(target, uri, true);
  }

  close(): void {
    this.abort.abort();
    this.client?.client.destroy();
    this.client = undefined;
  }
}
