/**
 * Where Fluss keeps tiered log segments in remote storage (Java `FlussPaths`, the
 * "Remote Log Paths" section):
 *
 * ```
 * {remote.data.dir}/log/{db}/{table}-{tableId}/{bucket}                                  (non-partitioned)
 * {remote.data.dir}/log/{db}/{table}-{tableId}/{partitionName}-p{partitionId}/{bucket}   (partitioned)
 *   {remoteLogSegmentId}/{20-digit baseOffset}.log   (and .index, .timeindex)
 * ```
 *
 * FetchLog hands the client the tablet directory (`remote_log_tablet_dir`); the client
 * builds the segment file's path from it.
 */

/** FlussPaths.REMOTE_LOG_DIR_NAME. */
export const REMOTE_LOG_DIR_NAME = "log";
/** FlussPaths.PARTITION_DIR_PREFIX. */
const PARTITION_DIR_PREFIX = "p";
/** FlussPaths.LOG_FILE_SUFFIX. */
const LOG_FILE_SUFFIX = ".log";

/** The offset as 20 digits, zero-padded (FlussPaths.filenamePrefixFromOffset). */
export function filenamePrefixFromOffset(offset: number): string {
  return String(offset).padStart(20, "0");
}

/** `parent/child` with exactly one slash between them (Java `new FsPath(parent, child)`). */
function join(parent: string, child: string): string {
  return `${parent.replace(/\/+$/, "")}/${child.replace(/^\/+/, "")}`;
}

/** `{remoteDataDir}/log` (FlussPaths.remoteLogDir). */
export function remoteLogDir(remoteDataDir: string): string {
  return join(remoteDataDir, REMOTE_LOG_DIR_NAME);
}

/** What {@link remoteLogTabletDir} needs to know about a bucket. */
export interface RemoteLogTablet {
  readonly databaseName: string;
  readonly tableName: string;
  readonly tableId: number;
  /** Set for a partitioned table, with {@link partitionId}. */
  readonly partitionName?: string;
  readonly partitionId?: number;
  readonly bucket: number;
}

/**
 * A bucket's directory relative to the remote log dir (FlussPaths.remoteLogTabletDir):
 * `{db}/{table}-{tableId}[/{partitionName}-p{partitionId}]/{bucket}`. The embedded
 * cluster's tiering writes to the same place.
 */
export function remoteLogTabletPath(t: RemoteLogTablet): string {
  const partition = t.partitionName !== undefined ? `/${t.partitionName}-${PARTITION_DIR_PREFIX}${t.partitionId}` : "";
  return `${t.databaseName}/${t.tableName}-${t.tableId}${partition}/${t.bucket}`;
}

/** The remote directory of one bucket's log (FlussPaths.remoteLogTabletDir). */
export function remoteLogTabletDir(logDir: string, t: RemoteLogTablet): string {
  return join(logDir, remoteLogTabletPath(t));
}

/** `{20-digit baseOffset}{suffix}`: the name of a segment's file (`.log`, `.index`, `.timeindex`). */
export function segmentFileName(baseOffset: number, suffix: string = LOG_FILE_SUFFIX): string {
  return filenamePrefixFromOffset(baseOffset) + suffix;
}

/** `{tabletDir}/{segmentId}` (FlussPaths.remoteLogSegmentDir). */
export function remoteLogSegmentDir(tabletDir: string, segmentId: string): string {
  return join(tabletDir, segmentId);
}

/** `{segmentDir}/{20-digit baseOffset}.log` (FlussPaths.remoteLogSegmentFile). */
export function remoteLogSegmentFile(segmentDir: string, baseOffset: number): string {
  return join(segmentDir, segmentFileName(baseOffset));
}

/**
 * The local name of a downloaded segment: `{segmentId}_{20-digit startOffset}.log`
 * (RemoteLogDownloader.getLocalFileNameOfRemoteSegment).
 */
export function localFileNameOfRemoteSegment(segmentId: string, startOffset: number): string {
  return `${segmentId}_${filenamePrefixFromOffset(startOffset)}${LOG_FILE_SUFFIX}`;
}
