/**
 * Where tiered log data lives under Fluss's `remote.data.dir`, as Java's `FlussPaths`
 * (fluss-common `utils/FlussPaths.java`) lays it out:
 *
 * ```
 * {remote}/log/{db}/{table}-{tableId}[/{partitionName}-p{partitionId}]/{bucket}/
 *     {segmentUuid}/{20-digit base offset}.log | .index | .timeindex
 *     metadata/{manifestUuid}.manifest
 * ```
 *
 * The embedded cluster's remote storage is a local directory, named by a plain path or a
 * `file:` URI. Paths are reported the way Java's `FsPath.toString()` prints them: a plain
 * absolute path stays one, `file:///x` prints as `file:/x`.
 */
import * as path from "node:path";
import { fileURLToPath } from "node:url";
import { REMOTE_LOG_DIR_NAME, remoteLogTabletPath, segmentFileName } from "../../metadata/remote-log-paths.js";
import { FlussError } from "../../rpc/errors.js";

/** Java `FlussPaths.REMOTE_LOG_METADATA_DIR_NAME`. */
const REMOTE_LOG_METADATA_DIR_NAME = "metadata";

/** A remote file or directory: the string Fluss reports and the local path it stands for. */
export class RemotePath {
  private constructor(
    /** As Java's `FsPath.toString()` prints it (what clients get). */
    readonly uri: string,
    /** The local file-system path. */
    readonly local: string,
  ) {}

  /**
   * The root named by a `remoteDataDir` option: an absolute or relative local path, or a
   * `file:` URI; other schemes are refused (this cluster's remote storage is local).
   */
  static root(raw: string): RemotePath {
    const m = /^([a-zA-Z][a-zA-Z0-9+.-]*):/.exec(raw);
    if (m && m[1]!.length > 1) {
      if (m[1]!.toLowerCase() !== "file") {
        throw FlussError.client(
          `remoteDataDir '${raw}': the local cluster keeps remote data in a local directory (a path or a file: URI), not '${m[1]}:'`,
        );
      }
      let local: string;
      try {
        local = fileURLToPath(new URL(raw.startsWith("file:/") ? raw : `file://${raw.slice(5)}`));
      } catch (e) {
        throw FlussError.client(`remoteDataDir '${raw}' is not a valid file: URI: ${(e as Error).message}`);
      }
      local = stripSlashes(path.resolve(local));
      return new RemotePath(`file:${local}`, local);
    }
    const local = stripSlashes(path.resolve(raw));
    return new RemotePath(local, local);
  }

  /** A path below this one (`name` may hold `/`). */
  child(name: string): RemotePath {
    return new RemotePath(`${this.uri}/${name}`, path.join(this.local, name));
  }

  /** The parent directory. */
  parent(): RemotePath {
    const cut = this.uri.lastIndexOf("/");
    return new RemotePath(this.uri.slice(0, cut), path.dirname(this.local));
  }

  /** The last name of the path. */
  get name(): string {
    return path.basename(this.local);
  }

  /**
   * The remote path a reported string stands for, if it lies under `root` (manifest paths
   * kept in the local handle files).
   */
  static under(root: RemotePath, uri: string): RemotePath | undefined {
    if (uri !== root.uri && !uri.startsWith(`${root.uri}/`)) return undefined;
    const rest = uri.slice(root.uri.length + 1);
    return rest === "" ? root : root.child(rest);
  }
}

function stripSlashes(p: string): string {
  return p.length > 1 ? p.replace(/\/+$/, "") : p;
}

/** Java `FlussPaths.remoteLogDir`: `{remote.data.dir}/log`. */
export function remoteLogDir(root: RemotePath): RemotePath {
  return root.child(REMOTE_LOG_DIR_NAME);
}

/** What names a bucket's remote directory. */
export interface RemoteBucketName {
  readonly databaseName: string;
  readonly tableName: string;
  readonly tableId: number;
  readonly partition?: { readonly name: string; readonly id: number };
  readonly bucket: number;
}

/**
 * Java `FlussPaths.remoteLogTabletDir`:
 * `{remote}/log/{db}/{table}-{tableId}[/{partitionName}-p{partitionId}]/{bucket}`.
 */
export function remoteLogTabletDir(logDir: RemotePath, b: RemoteBucketName): RemotePath {
  const { databaseName, tableName, tableId, bucket } = b;
  const partition = b.partition ? { partitionName: b.partition.name, partitionId: b.partition.id } : {};
  return logDir.child(remoteLogTabletPath({ databaseName, tableName, tableId, bucket, ...partition }));
}

/** Java `FlussPaths.remoteLogSegmentDir`: `{tabletDir}/{segmentUuid}`. */
export function remoteLogSegmentDir(tabletDir: RemotePath, segmentId: string): RemotePath {
  return tabletDir.child(segmentId);
}

/** Java's segment file suffixes (`LOG_FILE_SUFFIX`, `INDEX_FILE_SUFFIX`, `TIME_INDEX_FILE_SUFFIX`). */
export const SegmentFileSuffix = { LOG: ".log", INDEX: ".index", TIME_INDEX: ".timeindex" } as const;

/** A file of a remote segment: `{segmentDir}/{20-digit base offset}{suffix}`. */
export function remoteSegmentFile(segmentDir: RemotePath, baseOffset: number, suffix: string): RemotePath {
  return segmentDir.child(segmentFileName(baseOffset, suffix));
}

/** Java `FlussPaths.remoteLogManifestFile`: `{tabletDir}/metadata/{manifestUuid}.manifest`. */
export function remoteLogManifestFile(tabletDir: RemotePath, manifestId: string): RemotePath {
  return tabletDir.child(`${REMOTE_LOG_METADATA_DIR_NAME}/${manifestId}.manifest`);
}
