/**
 * Bucket leadership of a multi-server local cluster: which tablet server leads each bucket,
 * at which leader epoch, and which servers are alive. Storage is shared by every server of
 * the process (no replication), so leadership is routing only: each bucket has one replica,
 * held by its leader.
 *
 * The coordinator answers from the live state; each tablet server answers from a
 * {@link LeadershipView} that may lag it (Java's tablet servers learn changes through
 * UpdateMetadata after the coordinator made them).
 */
import { bucketKey } from "../append-notifier.js";

/** A bucket's leader as some server sees it. */
export interface BucketLeader {
  /** The leading tablet server; undefined while the bucket has no leader (its server is down, or it moves). */
  readonly leader: number | undefined;
  /** The one replica holder (with one replica: the assigned leader, alive or not). */
  readonly replica: number;
  readonly epoch: number;
}

/** What one server knows of the cluster's leadership. */
export interface LeadershipView {
  /** Version of the live state this view shows (grows with every change). */
  readonly version: number;
  leaderOf(tableId: number, partitionId: number | undefined, bucket: number): BucketLeader;
  /** False for a table or partition created after this view was taken. */
  knows(tableId: number, partitionId: number | undefined): boolean;
  /** Alive tablet servers, ascending. */
  aliveServers(): readonly number[];
}

interface Assignment {
  /** undefined: being moved (no leader until the move completes). */
  readonly leader: number | undefined;
  readonly replica: number;
  readonly epoch: number;
  /** The replica server's leader elections when this assignment was made (see `elections`). */
  readonly electionsAt: number;
}

/** A frozen copy of the live state at one version. */
class Snapshot implements LeadershipView {
  constructor(
    readonly version: number,
    private readonly owner: Leadership,
    private readonly assigned: ReadonlyMap<string, Assignment>,
    private readonly alive: readonly number[],
    private readonly elections: ReadonlyMap<number, number>,
  ) {}

  leaderOf(tableId: number, partitionId: number | undefined, bucket: number): BucketLeader {
    return this.owner.resolve(this.assigned, this.alive, this.elections, tableId, partitionId, bucket);
  }

  knows(tableId: number, partitionId: number | undefined): boolean {
    return this.owner.createdBy(tableId, partitionId) <= this.version;
  }

  aliveServers(): readonly number[] {
    return this.alive;
  }
}

/**
 * The live leadership state. New buckets are spread round-robin over the tablet servers
 * from a start that depends on the table (or partition) id, as Java's
 * `TableAssignmentUtils.generateAssignment` spreads them from a random start; the rule is a
 * function of the ids, so a restart on the same data dir assigns the same leaders.
 */
export class Leadership implements LeadershipView {
  private versionNo = 0;
  private readonly assigned = new Map<string, Assignment>();
  private aliveList: number[];
  /**
   * Per server, how often its buckets' leadership changed by the server going down or
   * coming back: each such change bumps the leader epoch of every bucket it holds, as
   * Java's coordinator elects (no leader, then the returning replica) with a new epoch.
   */
  private readonly elections = new Map<number, number>();
  /** Version at which a table ("t<id>") or partition ("p<id>") created in this run appeared. */
  private readonly created = new Map<string, number>();
  private readonly listeners = new Set<() => void>();

  constructor(readonly serverIds: readonly number[]) {
    this.aliveList = [...serverIds];
  }

  get version(): number {
    return this.versionNo;
  }

  /** The server a bucket is assigned to before any move. */
  initialLeader(tableId: number, partitionId: number | undefined, bucket: number): number {
    const n = this.serverIds.length;
    const start = (partitionId ?? tableId) % n;
    return this.serverIds[(start + bucket) % n]!;
  }

  leaderOf(tableId: number, partitionId: number | undefined, bucket: number): BucketLeader {
    return this.resolve(this.assigned, this.aliveList, this.elections, tableId, partitionId, bucket);
  }

  /** @internal shared by snapshots */
  resolve(
    assigned: ReadonlyMap<string, Assignment>,
    alive: readonly number[],
    elections: ReadonlyMap<number, number>,
    tableId: number,
    partitionId: number | undefined,
    bucket: number,
  ): BucketLeader {
    const a = assigned.size === 0 ? undefined : assigned.get(bucketKey(tableId, partitionId, bucket));
    if (!a) {
      const replica = this.initialLeader(tableId, partitionId, bucket);
      const epoch = elections.size === 0 ? 0 : (elections.get(replica) ?? 0);
      return { leader: alive.includes(replica) ? replica : undefined, replica, epoch };
    }
    const up = a.leader !== undefined && alive.includes(a.leader);
    const epoch = a.epoch + (elections.get(a.replica) ?? 0) - a.electionsAt;
    return { leader: up ? a.leader : undefined, replica: a.replica, epoch };
  }

  knows(): boolean {
    return true;
  }

  /** @internal the version a table or partition appeared at (0 when it existed at start). */
  createdBy(tableId: number, partitionId: number | undefined): number {
    if (this.created.size === 0) return 0;
    const t = this.created.get(`t${tableId}`) ?? 0;
    return partitionId === undefined ? t : Math.max(t, this.created.get(`p${partitionId}`) ?? 0);
  }

  aliveServers(): readonly number[] {
    return this.aliveList;
  }

  /** A frozen copy of the current state (what a tablet server knows until its next update). */
  snapshot(): LeadershipView {
    return new Snapshot(this.versionNo, this, new Map(this.assigned), this.aliveList, new Map(this.elections));
  }

  /** Calls `fn` after every change. */
  onChange(fn: () => void): void {
    this.listeners.add(fn);
  }

  /** Records that a table or partition was just created (views taken before do not know it). */
  tableCreated(tableId: number, partitionId?: number): void {
    this.bump();
    this.created.set(partitionId === undefined ? `t${tableId}` : `p${partitionId}`, this.versionNo);
    this.emit();
  }

  setAlive(serverId: number, alive: boolean): void {
    const now = this.aliveList.includes(serverId);
    if (now === alive) return;
    this.bump();
    this.aliveList = alive ? [...this.aliveList, serverId].sort((a, b) => a - b) : this.aliveList.filter((s) => s !== serverId);
    this.elections.set(serverId, (this.elections.get(serverId) ?? 0) + 1);
    this.emit();
  }

  isAlive(serverId: number): boolean {
    return this.aliveList.includes(serverId);
  }

  /** Takes leadership away from a bucket's leader (no leader until {@link completeMove}). */
  beginMove(tableId: number, partitionId: number | undefined, bucket: number): void {
    const cur = this.leaderOf(tableId, partitionId, bucket);
    this.bump();
    const electionsAt = this.elections.get(cur.replica) ?? 0;
    this.assigned.set(bucketKey(tableId, partitionId, bucket), {
      leader: undefined,
      replica: cur.replica,
      epoch: cur.epoch,
      electionsAt,
    });
    this.emit();
  }

  /** Makes `to` the bucket's leader (and only replica) with the leader epoch bumped. */
  completeMove(tableId: number, partitionId: number | undefined, bucket: number, to: number): number {
    const cur = this.leaderOf(tableId, partitionId, bucket);
    const epoch = cur.epoch + 1;
    this.bump();
    const electionsAt = this.elections.get(to) ?? 0;
    this.assigned.set(bucketKey(tableId, partitionId, bucket), { leader: to, replica: to, epoch, electionsAt });
    this.emit();
    return epoch;
  }

  private bump(): void {
    this.versionNo++;
  }

  private emit(): void {
    for (const fn of this.listeners) fn();
  }
}
