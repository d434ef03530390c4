/**
 * What a connection's scanners share for reading remote storage (Java
 * `FlussConnection.getOrCreateRemoteFileDownloader`): the file systems, the security
 * token manager, and the bound of `remote-file.download-thread-num` downloads at once.
 * Nothing is created before a scanner first meets a remote segment.
 */
import type { GetFileSystemSecurityTokenResponse } from "../../../rpc/messages.js";
import type { Config } from "../../config.js";
import { LocalFileSystem, type RemoteFileSystem, type RemoteLocation } from "./file-system.js";
import { S3FileSystem } from "./s3-file-system.js";
import { SecurityTokenManager } from "./security-token.js";

/** Remote (tiered) log storage of one connection: file systems, tokens, the download bound. Not exported from the package. */
export class RemoteStorage {
  private local: LocalFileSystem | undefined;
  private s3: S3FileSystem | undefined;
  private tokens: SecurityTokenManager | undefined;
  private running = 0;
  private readonly waiting: (() => void)[] = [];
  private readonly maxConcurrent: number;
  private closed = false;

  constructor(
    private readonly config: Config,
    private readonly obtainToken: () => Promise<GetFileSystemSecurityTokenResponse>,
  ) {
    this.maxConcurrent = config.get("remote-file.download-thread-num");
  }

  /** The file system of a location (created on first use). */
  fileSystem(location: RemoteLocation): RemoteFileSystem {
    if (location.scheme === "file") return (this.local ??= new LocalFileSystem());
    this.tokens ??= new SecurityTokenManager(
      this.obtainToken,
      this.config.get("filesystem.security.token.renewal.time-ratio"),
      this.config.get("filesystem.security.token.renewal.backoff"),
    );
    return (this.s3 ??= new S3FileSystem(this.config, this.tokens));
  }

  /** Runs `task` once fewer than `remote-file.download-thread-num` others run. */
  async limit<T>(task: () => Promise<T>): Promise<T> {
    // a finishing task hands its slot straight to the next waiter
    if (this.running >= this.maxConcurrent) await new Promise<void>((resolve) => this.waiting.push(resolve));
    else this.running++;
    try {
      return await task();
    } finally {
      const next = this.waiting.shift();
      if (next) next();
      else this.running--;
    }
  }

  /** Stops downloads in progress (their scanners are closed first). */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.s3?.close();
    this.local?.close();
  }
}
