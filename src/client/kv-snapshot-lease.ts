/**
 * A KV snapshot lease (Java `KvSnapshotLease` / `KvSnapshotLeaseImpl`): while the lease
 * holds a bucket's snapshot, the cluster keeps it (retention does not remove it), so a
 * reader can copy its files and then read the changelog from its log offset. The lease
 * ends when it is dropped, when every snapshot is released, or when it is not renewed
 * within its duration. Obtain one with `admin.createKvSnapshotLease(leaseId, durationMs)`.
 */
import { ApiKey, type MessageApiKey, type RequestOf, type ResponseOf } from "../rpc/api-keys.js";
import { FlussError } from "../rpc/errors.js";
import { leaseSnapshots, leaseTables } from "../rpc/kv-snapshot-leases.js";
import { describeArg } from "../metadata/argument-checks.js";
import type { AcquireKvSnapshotLeaseResult, TableBucketSnapshot } from "./admin-types.js";
import type { TableBucketLike } from "./scan/scan-records.js";

/** Sends a request to the coordinator (the admin's call, with its re-learning retry). */
type CoordinatorCall = <K extends MessageApiKey>(apiKey: K, request: RequestOf<K>) => Promise<ResponseOf<K>>;

/** Checks the integers of a bucket (and its snapshot id) given to a lease call. */
function checkBucket(b: TableBucketLike, withSnapshot: boolean, what: string): void {
  const ints = [b?.tableId, b?.bucket, b?.partitionId ?? 0, withSnapshot ? (b as TableBucketSnapshot)?.snapshotId : 0];
  if (!ints.every((v) => Number.isSafeInteger(v))) {
    const shape = withSnapshot ? "{ tableId, partitionId?, bucket, snapshotId }" : "{ tableId, partitionId?, bucket }";
    throw FlussError.client(`${what}: ${describeArg(b)} is not a ${shape} of integers`);
  }
}

/** A lease on KV snapshots; see the module comment. */
export class KvSnapshotLease {
  /** @internal Created by `admin.createKvSnapshotLease`. */
  static create(leaseId: string, leaseDurationMs: number, call: CoordinatorCall): KvSnapshotLease {
    return new KvSnapshotLease(leaseId, leaseDurationMs, call);
  }

  private constructor(
    /** The lease's id: every client using the same id shares the lease. */
    readonly leaseId: string,
    /** How long the lease lasts after each acquire or renew, in ms. */
    readonly leaseDurationMs: number,
    private readonly call: CoordinatorCall,
  ) {}

  /**
   * Has the lease hold these snapshots (one per bucket; a bucket's earlier one is let go),
   * creating or renewing the lease. Snapshots that do not exist are returned as
   * `unavailableSnapshots` and not held. Errors: UNKNOWN_TABLE_OR_BUCKET_EXCEPTION for an
   * unknown table id, NON_PRIMARY_KEY_TABLE_EXCEPTION for a log table; CLIENT_ERROR when
   * `snapshots` is empty.
   */
  async acquireSnapshots(snapshots: readonly TableBucketSnapshot[]): Promise<AcquireKvSnapshotLeaseResult> {
    if (!Array.isArray(snapshots)) {
      throw FlussError.client(`acquireSnapshots needs an array of snapshots, got ${describeArg(snapshots)}`);
    }
    // KvSnapshotLeaseImpl.acquireSnapshots
    if (snapshots.length === 0) throw FlussError.client("The snapshotIds to acquire kv snapshot lease is empty");
    for (const s of snapshots as readonly TableBucketSnapshot[]) checkBucket(s, true, "acquireSnapshots");
    const r = await this.call(ApiKey.ACQUIRE_KV_SNAPSHOT_LEASE, {
      leaseId: this.leaseId,
      leaseDurationMs: this.leaseDurationMs,
      snapshotsToLease: leaseTables(snapshots as readonly TableBucketSnapshot[]),
    });
    const unavailableSnapshots: TableBucketSnapshot[] = leaseSnapshots(r.unavailableSnapshots);
    return { unavailableSnapshots };
  }

  /** Extends the lease by its duration from now (creates an empty lease if there is none). */
  async renew(): Promise<void> {
    await this.call(ApiKey.ACQUIRE_KV_SNAPSHOT_LEASE, {
      leaseId: this.leaseId,
      leaseDurationMs: this.leaseDurationMs,
      snapshotsToLease: [],
    });
  }

  /**
   * Lets go of the lease's snapshot of each bucket (the cluster removes it with its next
   * snapshot of that bucket unless it is retained or another lease holds it). A lease left
   * holding nothing is dropped. Errors as {@link acquireSnapshots}; an unknown lease is no error.
   */
  async releaseSnapshots(buckets: readonly TableBucketLike[]): Promise<void> {
    if (!Array.isArray(buckets))
      throw FlussError.client(`releaseSnapshots needs an array of buckets, got ${describeArg(buckets)}`);
    for (const b of buckets as readonly TableBucketLike[]) checkBucket(b, false, "releaseSnapshots");
    await this.call(ApiKey.RELEASE_KV_SNAPSHOT_LEASE, {
      leaseId: this.leaseId,
      bucketsToRelease: buckets.map((b) => ({
        tableId: b.tableId,
        ...(b.partitionId !== undefined ? { partitionId: b.partitionId } : {}),
        bucketId: b.bucket,
      })),
    });
  }

  /** Ends the lease, letting go of every snapshot it holds; an unknown lease is no error. */
  async dropLease(): Promise<void> {
    await this.call(ApiKey.DROP_KV_SNAPSHOT_LEASE, { leaseId: this.leaseId });
  }
}
