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
const REMOTE_LOG_DIR_NAME = "log";
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

/** The remote directory of one bucket's log (FlussPaths.remoteLogTabletDir). */
export function remoteLogTabletDir(logDir: string, t: RemoteLogTablet): string {
  let dir = join(logDir, `${t.databaseName}/${t.tableName}-${t.tableId}`);
  if (t.partitionName !== undefined) dir = join(dir, `${t.partitionName}-${PARTITION_DIR_PREFIX}${t.partitionId}`);
  return join(dir, String(t.bucket));
}

/** `{tabletDir}/{segmentId}` (FlussPaths.remoteLogSegmentDir). */
export function remoteLogSegmentDir(tabletDir: string, segmentId: string): string {
  return join(tabletDir, segmentId);
}

/** `{segmentDir}/{20-digit baseOffset}.log` (FlussPaths.remoteLogSegmentFile). */
export function remoteLogSegmentFile(segmentDir: string, baseOffset: number): string {
  return join(segmentDir, filenamePrefixFromOffset(baseOffset) + LOG_FILE_SUFFIX);
}

/**
 * The local name of a downloaded segment: `{segmentId}_{20-digit startOffset}.log`
 * (RemoteLogDownloader.getLocalFileNameOfRemoteSegment).
 */
export function localFileNameOfRemoteSegment(segmentId: string, startOffset: number): string {
  return `${segmentId}_${filenamePrefixFromOffset(startOffset)}${LOG_FILE_SUFFIX}`;
}
