/** KV snapshot leases on the wire: one `PbKvSnapshotLeaseForTable` per table (AcquireKvSnapshotLease). */
import type { PbKvSnapshotLeaseForBucket, PbKvSnapshotLeaseForTable } from "./messages.js";

/** One bucket's snapshot, as the client API and the server's lease manager both hold it. */
export interface BucketSnapshotRef {
  readonly tableId: number;
  readonly partitionId?: number | undefined;
  readonly bucket: number;
  readonly snapshotId: number;
}

/** Groups bucket snapshots by table, in first-seen table order. */
export function leaseTables(snapshots: Iterable<BucketSnapshotRef>): PbKvSnapshotLeaseForTable[] {
  const byTable = new Map<number, PbKvSnapshotLeaseForBucket[]>();
  for (const s of snapshots) {
    let list = byTable.get(s.tableId);
    if (!list) byTable.set(s.tableId, (list = []));
    list.push({
      ...(s.partitionId !== undefined ? { partitionId: s.partitionId } : {}),
      bucketId: s.bucket,
      snapshotId: s.snapshotId,
    });
  }
  return [...byTable].map(([tableId, bucketSnapshots]) => ({ tableId, bucketSnapshots }));
}

/** The bucket snapshots of per-table entries, in order. */
export function leaseSnapshots(tables: readonly PbKvSnapshotLeaseForTable[]): BucketSnapshotRef[] {
  return tables.flatMap((t) =>
    t.bucketSnapshots.map((b) => ({
      tableId: t.tableId,
      ...(b.partitionId !== undefined ? { partitionId: b.partitionId } : {}),
      bucket: b.bucketId,
      snapshotId: b.snapshotId,
    })),
  );
}
