/**
 * The file systems remote log segments are read from, chosen by the URI scheme of the
 * remote directory the server names (`remote_log_tablet_dir`): `file://` and plain paths
 * are read in place, `s3://` / `s3a://` are downloaded into the scanner's temp directory
 * (`s3-file-system.ts`, which loads the AWS SDK only when first used). Any other scheme
 * fails with a FlussError naming it.
 */
import { type FileHandle, open, rm } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { ErrorCode, FlussError } from "../../../rpc/errors.js";

/** A remote path taken apart. */
export type RemoteLocation =
  | { readonly scheme: "file"; readonly path: string }
  | { readonly scheme: "s3"; readonly bucket: string; readonly key: string };

/**
 * Parses a remote path as Fluss writes them (`FsPath.toString()`): `/abs/path`,
 * `file:/abs/path`, `file:///abs/path`, `s3://bucket/key`, `s3a://bucket/key`. Other
 * schemes (`hdfs`, `oss`, `abfs`, ...) throw CLIENT_ERROR naming the scheme.
 */
export function parseRemoteLocation(uri: string): RemoteLocation {
  const m = /^([a-zA-Z][a-zA-Z0-9+.-]*):/.exec(uri);
  // no scheme, or a Windows drive letter
  if (!m || (m[1]!.length === 1 && process.platform === "win32")) return { scheme: "file", path: uri };
  const scheme = m[1]!.toLowerCase();
  if (scheme === "file") {
    if (uri.startsWith("file://")) {
      try {
        return { scheme: "file", path: fileURLToPath(uri) };
      } catch (err) {
        throw FlussError.client(`remote path "${uri}" is not a local file URI: ${(err as Error).message}`, err);
      }
    }
    // `file:/abs/path`, as Java's FsPath prints local paths (not percent-encoded)
    return { scheme: "file", path: uri.slice("file:".length) };
  }
  if (scheme === "s3" || scheme === "s3a") {
    const s = /^[^:]+:\/\/([^/]+)\/?(.*)$/.exec(uri);
    if (!s) throw FlussError.client(`remote path "${uri}" names no S3 bucket (expected ${scheme}://bucket/key)`);
    return { scheme: "s3", bucket: s[1]!, key: s[2]! };
  }
  throw FlussError.client(
    `remote log storage scheme "${scheme}" (${uri}) is not supported by this client: it reads file:// and s3:// / s3a:// remote storage`,
  );
}

/** A remote segment made readable locally: in place (file://) or downloaded (s3://). */
export interface SegmentFile {
  /** Its local path. */
  readonly path: string;
  readonly size: number;
  /** Reads `length` bytes at `position` (fewer at the end of the file). */
  read(position: number, length: number): Promise<Uint8Array>;
  /** Closes it and, when it was downloaded, deletes the local copy. */
  release(): Promise<void>;
}

/** One file system. */
export interface RemoteFileSystem {
  /**
   * Makes the remote file at `location` readable: opens it, or downloads it to
   * `localDir/localName` first. Failures are FlussErrors with LOG_STORAGE_EXCEPTION:
   * `retriable: false` when the file does not exist, true for transient failures.
   */
  fetch(location: RemoteLocation, localDir: () => Promise<string>, localName: string): Promise<SegmentFile>;
  close(): void;
}

const missing = new WeakSet<FlussError>();

/** A FlussError for a remote file that does not exist. */
export function remoteFileMissing(uri: string, cause?: unknown): FlussError {
  const err = new FlussError(
    ErrorCode.LOG_STORAGE_EXCEPTION,
    `remote file ${uri} does not exist (deleted from remote storage?)`,
    {
      cause,
      retriable: false,
    },
  );
  missing.add(err);
  return err;
}

/** Whether `err` (or its cause) says a remote file does not exist. */
export function isRemoteFileMissing(err: unknown): boolean {
  for (let e = err; e instanceof FlussError; e = e.cause) if (missing.has(e)) return true;
  return false;
}

/** A FlussError for a failure worth retrying (or not, when `retriable` is false). */
export function remoteFileFailure(uri: string, cause: unknown, retriable = true): FlussError {
  const why = cause instanceof Error ? cause.message : String(cause);
  return new FlussError(ErrorCode.LOG_STORAGE_EXCEPTION, `reading remote file ${uri} failed: ${why}`, { cause, retriable });
}

/** A local file opened for positional reads. */
export class OpenedFile implements SegmentFile {
  private released = false;

  private constructor(
    readonly path: string,
    private readonly handle: FileHandle,
    readonly size: number,
    private readonly deleteOnRelease: boolean,
  ) {}

  /** Opens `path`; ENOENT becomes {@link remoteFileMissing} naming `uri`. */
  static async open(path: string, uri: string, deleteOnRelease = false): Promise<OpenedFile> {
    let handle: FileHandle;
    try {
      handle = await open(path, "r");
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "ENOENT") throw remoteFileMissing(uri, err);
      // permissions, a mount gone, ...: retried while the scanner is open, as Java's downloader
      throw remoteFileFailure(uri, err);
    }
    try {
      const { size } = await handle.stat();
      return new OpenedFile(path, handle, size, deleteOnRelease);
    } catch (err) {
      await handle.close().catch(() => undefined);
      throw remoteFileFailure(uri, err);
    }
  }

  async read(position: number, length: number): Promise<Uint8Array> {
    const n = Math.max(0, Math.min(length, this.size - position));
    const buf = Buffer.allocUnsafe(n);
    let done = 0;
    while (done < n) {
      const { bytesRead } = await this.handle.read(buf, done, n - done, position + done);
      if (bytesRead === 0) break;
      done += bytesRead;
    }
    // a plain Uint8Array (Buffer slices would leak into decoded BYTES values)
    return new Uint8Array(buf.buffer, buf.byteOffset, done);
  }

  async release(): Promise<void> {
    if (this.released) return;
    this.released = true;
    await this.handle.close().catch(() => undefined);
    if (this.deleteOnRelease) {
      await rm(this.path, { force: true }).catch(() => undefined);
    }
  }
}

/**
 * `file://` and plain paths: the segment is opened where it is, with no copy (the open
 * descriptor keeps it readable even if the server deletes it meanwhile).
 */
export class LocalFileSystem implements RemoteFileSystem {
  async fetch(location: RemoteLocation, _localDir: () => Promise<string>, _localName: string): Promise<SegmentFile> {
    if (location.scheme !== "file") throw FlussError.client(`not a local path: ${location.scheme}`);
    return OpenedFile.open(location.path, location.path);
  }

  close(): void {}
}
