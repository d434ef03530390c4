/**
 * Metadata of tiered segments, in Java's formats:
 *
 * - a remote log segment (fluss-common `remote/RemoteLogSegment.java`): its UUID, the
 *   offsets it holds `[start, end)`, its largest commit timestamp and its size;
 * - the remote log manifest of a bucket (`remote/RemoteLogManifest.java`), written as JSON
 *   by `RemoteLogManifestJsonSerde` to `{tabletDir}/metadata/{uuid}.manifest`;
 * - the manifest handle (`zk/data/RemoteLogManifestHandleJsonSerde.java`), which Java keeps
 *   in ZooKeeper and this cluster keeps in the bucket's local directory: which manifest is
 *   the committed one.
 *
 * Segments here never overlap (one leader, whose log is never truncated), so a segment's
 * logical range is its physical one and the JSON never carries `logical_*_offset`.
 */
import { ErrorCode, FlussError } from "../../rpc/errors.js";

/** One tiered segment (Java `RemoteLogSegment`). */
export interface RemoteLogSegment {
  /** The segment's UUID (its directory name). */
  readonly id: string;
  /** First offset in the segment (its base offset). */
  readonly startOffset: number;
  /** Exclusive end: the base offset of the segment that followed it locally. */
  readonly endOffset: number;
  /** Largest commit timestamp in the segment. */
  readonly maxTimestamp: number;
  /** Size of the `.log` file. */
  readonly sizeInBytes: number;
}

/** Whose manifest it is. */
export interface ManifestOwner {
  readonly databaseName: string;
  readonly tableName: string;
  readonly partitionName?: string;
  readonly tableId: number;
  readonly partitionId?: number;
  readonly bucket: number;
}

/** A bucket's remote log manifest (Java `RemoteLogManifest`). */
export interface RemoteLogManifest {
  readonly owner: ManifestOwner;
  /** Ordered by start offset. */
  readonly segments: readonly RemoteLogSegment[];
  /** Highest exclusive end offset ever copied (-1: none). */
  readonly highestCopiedEndOffset: number;
}

/** Java `RemoteLogManifest.getRemoteLogEndOffset`: -1 when empty. */
export function manifestEndOffset(m: RemoteLogManifest): number {
  return m.segments.length === 0 ? -1 : Math.max(...m.segments.map((s) => s.endOffset));
}

/** Java `RemoteLogManifestJsonSerde.serialize` (field order as Jackson writes them). */
export function manifestToJson(m: RemoteLogManifest): string {
  const o = m.owner;
  const doc: Record<string, unknown> = { version: 1, database: o.databaseName, table: o.tableName };
  if (o.partitionName !== undefined) doc.partition_name = o.partitionName;
  doc.table_id = o.tableId;
  if (o.partitionId !== undefined) doc.partition_id = o.partitionId;
  doc.bucket_id = o.bucket;
  if (m.highestCopiedEndOffset !== manifestEndOffset(m)) doc.highest_copied_end_offset = m.highestCopiedEndOffset;
  doc.remote_log_segments = m.segments.map((s) => ({
    segment_id: s.id,
    start_offset: s.startOffset,
    end_offset: s.endOffset,
    max_timestamp: s.maxTimestamp,
    size_in_bytes: s.sizeInBytes,
  }));
  return JSON.stringify(doc);
}

function bad(what: string, why: string): FlussError {
  return new FlussError(ErrorCode.LOG_STORAGE_EXCEPTION, `Remote log manifest ${what} is invalid: ${why}`);
}

function num(o: Record<string, unknown>, key: string, what: string): number {
  const v = o[key];
  if (typeof v !== "number" || !Number.isSafeInteger(v)) throw bad(what, `'${key}' is not an integer`);
  return v;
}

/** Java `RemoteLogManifestJsonSerde.deserialize`; `what` names the file in errors. */
export function manifestFromJson(json: string, what: string): RemoteLogManifest {
  let doc: unknown;
  try {
    doc = JSON.parse(json);
  } catch (e) {
    throw bad(what, (e as Error).message);
  }
  if (typeof doc !== "object" || doc === null) throw bad(what, "not an object");
  const o = doc as Record<string, unknown>;
  if (typeof o.database !== "string" || typeof o.table !== "string") throw bad(what, "no database or table");
  const owner: ManifestOwner = {
    databaseName: o.database,
    tableName: o.table,
    ...(typeof o.partition_name === "string" ? { partitionName: o.partition_name } : {}),
    tableId: num(o, "table_id", what),
    ...(o.partition_id !== undefined ? { partitionId: num(o, "partition_id", what) } : {}),
    bucket: num(o, "bucket_id", what),
  };
  if (!Array.isArray(o.remote_log_segments)) throw bad(what, "no remote_log_segments");
  const segments = (o.remote_log_segments as unknown[]).map((e): RemoteLogSegment => {
    if (typeof e !== "object" || e === null) throw bad(what, "a segment is not an object");
    const s = e as Record<string, unknown>;
    if (typeof s.segment_id !== "string") throw bad(what, "a segment has no segment_id");
    const start = num(s, "start_offset", what);
    const end = num(s, "end_offset", what);
    // overlapping segments (a leader change in a real cluster) expose a clipped logical range
    const logicalStart = s.logical_start_offset === undefined ? start : num(s, "logical_start_offset", what);
    const logicalEnd = s.logical_end_offset === undefined ? end : num(s, "logical_end_offset", what);
    if (logicalStart !== start || logicalEnd !== end) throw bad(what, "overlapping (clipped) segments are not supported");
    return {
      id: s.segment_id,
      startOffset: start,
      endOffset: end,
      maxTimestamp: num(s, "max_timestamp", what),
      sizeInBytes: num(s, "size_in_bytes", what),
    };
  });
  segments.sort((a, b) => a.startOffset - b.startOffset);
  const m: RemoteLogManifest = { owner, segments, highestCopiedEndOffset: -1 };
  const highest = o.highest_copied_end_offset === undefined ? manifestEndOffset(m) : num(o, "highest_copied_end_offset", what);
  return { ...m, highestCopiedEndOffset: highest };
}

/** The committed manifest of a bucket (Java `RemoteLogManifestHandle`). */
export interface RemoteLogManifestHandle {
  /** The manifest file, as reported (`FsPath.toString()`). */
  readonly manifestPath: string;
  readonly remoteLogEndOffset: number;
}

/** Java `RemoteLogManifestHandleJsonSerde.serialize`. */
export function handleToJson(h: RemoteLogManifestHandle): string {
  return JSON.stringify({ version: 1, remote_log_manifest_path: h.manifestPath, remote_log_end_offset: h.remoteLogEndOffset });
}

/** Java `RemoteLogManifestHandleJsonSerde.deserialize`. */
export function handleFromJson(json: string, what: string): RemoteLogManifestHandle {
  let doc: unknown;
  try {
    doc = JSON.parse(json);
  } catch (e) {
    throw bad(what, (e as Error).message);
  }
  const o = (typeof doc === "object" && doc !== null ? doc : {}) as Record<string, unknown>;
  if (typeof o.remote_log_manifest_path !== "string") throw bad(what, "no remote_log_manifest_path");
  return { manifestPath: o.remote_log_manifest_path, remoteLogEndOffset: num(o, "remote_log_end_offset", what) };
}
