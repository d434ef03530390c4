/**
 * Sends queued lookups (Java `LookupSender`): groups them by bucket leader, lookup kind and
 * table into requests of at most `lookup.max-batch-size` keys (one request carries the keys
 * of many buckets), keeps at most `lookup.max-inflight-requests` requests in flight, and
 * retries transient failures after refreshing metadata.
 *
 * When a batch is sent: Java's sender waits up to `client.lookup.batch-timeout` for every
 * batch to fill, so a lone lookup waits that long. Here a batch goes out at the end of the
 * event-loop turn in which its lookups were made; only while a request to the same server
 * is still in flight does a non-full batch wait for more lookups, until that answer comes,
 * the batch is full, or `lookup.batch-timeout-ms` passes (Nagle's rule). Concurrent callers
 * thus share requests, and a lone lookup costs one round trip.
 */
import { ApiKey } from "../../rpc/api-keys.js";
import { ErrorCode, FlussError } from "../../rpc/errors.js";
import type {
  LookupResponse,
  PbLookupRespForBucket,
  PbPrefixLookupRespForBucket,
  PrefixLookupResponse,
} from "../../rpc/messages.js";
import type { ServerConnection } from "../../rpc/server-connection.js";
import type { ClientContext } from "../context.js";
import type { NodeAddress } from "../metadata.js";
import { backoffMs, isRetriableError } from "../retry.js";
import type { LookupKind, LookupQuery } from "./lookup-query.js";
import { LookupQueue } from "./lookup-queue.js";

const RETRY_BACKOFF_MS = 50;
const MAX_RETRY_BACKOFF_MS = 1000;

/** The lookups of one bucket in one request. */
interface BucketBatch {
  readonly partitionId: number | undefined;
  readonly bucketId: number;
  readonly keys: Uint8Array[];
  readonly queries: LookupQuery[];
}

/** Lookups bound for one server, per request group (table id × 2 + 1 for prefix lookups). */
interface ServerGroups {
  readonly node: NodeAddress;
  readonly groups: Map<number, LookupQuery[]>;
}

/** A number naming (partition, bucket) within one table (buckets stay below 2^20 in Fluss). */
function bucketKey(partitionId: number | undefined, bucket: number): number {
  return partitionId === undefined ? bucket : (partitionId + 1) * 0x100000 + bucket;
}

function where(q: LookupQuery): string {
  const table = q.owner.info.tablePath.toString();
  return q.partitionId === undefined
    ? `table ${table} bucket ${q.bucket}`
    : `table ${table} partition ${q.partitionId} bucket ${q.bucket}`;
}

/** The lookup queue and sender of one connection. Not exported from the package. */
export class LookupSender {
  private readonly queue: LookupQueue;
  private readonly maxBatch: number;
  private readonly batchTimeoutMs: number;
  private readonly maxInflight: number;
  private readonly maxRetries: number;
  private readonly timeoutMs: number;
  private inflight = 0;
  private readonly inflightByServer = new Map<number, number>();
  /** Metadata refreshes under way, by `t<tableId>` or `p<partitionId>`. */
  private readonly refreshing = new Set<string>();
  private scheduled = false;
  private timer: NodeJS.Timeout | undefined;
  private timerAt = Infinity;
  private closing = false;
  private idleWaiters: (() => void)[] = [];
  /** Requests sent, by kind (for tests and benchmarks). */
  readonly requestsSent = { lookup: 0, prefix: 0 };

  constructor(private readonly ctx: ClientContext) {
    const c = ctx.config;
    this.queue = new LookupQueue(c.get("lookup.queue-size"));
    this.maxBatch = c.get("lookup.max-batch-size");
    this.batchTimeoutMs = c.get("lookup.batch-timeout-ms");
    this.maxInflight = c.get("lookup.max-inflight-requests");
    this.maxRetries = c.get("lookup.max-retries");
    this.timeoutMs = c.get("request.timeout.ms");
  }

  /** Queues a lookup; it is sent at the end of this event-loop turn at the latest. */
  submit(q: LookupQuery): void {
    if (this.closing) {
      q.fail(FlussError.client("the connection of this lookuper is closed"));
      return;
    }
    this.queue.add(q);
    this.schedule();
  }

  /** Sends what is queued (no more waiting for fuller batches or retries), then resolves when every lookup has completed. */
  close(): Promise<void> {
    this.closing = true;
    this.schedule();
    return new Promise((resolve) => {
      this.idleWaiters.push(resolve);
      this.checkIdle();
    });
  }

  // ---------------------------------------------------------------------------------------

  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(this.runDrain);
  }

  private readonly runDrain = (): void => {
    this.scheduled = false;
    this.drain();
  };

  private armTimer(at: number): void {
    if (at >= this.timerAt) return;
    if (this.timer) clearTimeout(this.timer);
    this.timerAt = at;
    this.timer = setTimeout(
      () => {
        this.timer = undefined;
        this.timerAt = Infinity;
        this.schedule();
      },
      Math.max(0, at - Date.now()),
    );
  }

  private checkIdle(): void {
    if (!this.closing || this.inflight > 0 || this.refreshing.size > 0 || this.queue.size > 0) return;
    if (this.timer) clearTimeout(this.timer);
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const w of waiters) w();
  }

  /**
   * One pass over the queue: sends every batch that is due, puts the rest back (Java
   * `LookupQueue.java:92` drain + `LookupSender.java:166` groupByLeaderAndType, l.213 sendLookupRequest).
   */
  private drain(): void {
    const now = Date.now();
    const held: LookupQuery[] = [];
    let wakeAt = Infinity;
    const byServer = new Map<number, ServerGroups>();
    const meta = this.ctx.metadata;
    for (const q of this.queue.takeAll()) {
      if (q.retryAtMs > now && !this.closing) {
        held.push(q);
        if (q.retryAtMs < wakeAt) wakeAt = q.retryAtMs;
        continue;
      }
      const node = meta.leaderFor(q.tableId, q.partitionId, q.bucket);
      if (!node) {
        this.leaderMissing(q, held);
        continue;
      }
      let s = byServer.get(node.id);
      if (!s) byServer.set(node.id, (s = { node, groups: new Map() }));
      const g = q.tableId * 2 + (q.kind === "lookup" ? 0 : 1);
      const list = s.groups.get(g);
      if (list) list.push(q);
      else s.groups.set(g, [q]);
    }
    for (const [serverId, { node, groups }] of byServer) {
      for (const list of groups.values()) {
        let i = 0;
        while (i < list.length) {
          const n = Math.min(this.maxBatch, list.length - i);
          if (n < this.maxBatch && !this.closing && (this.inflightByServer.get(serverId) ?? 0) > 0) {
            // a request to this server is in flight: let this batch fill until it answers
            let oldest = Infinity;
            for (let j = i; j < list.length; j++) oldest = Math.min(oldest, list[j]!.queuedAtMs);
            const due = oldest + this.batchTimeoutMs;
            if (due > now) {
              for (let j = i; j < list.length; j++) held.push(list[j]!);
              if (due < wakeAt) wakeAt = due;
              break;
            }
          }
          if (this.inflight >= this.maxInflight) {
            // an answer frees a slot and drains again
            for (let j = i; j < list.length; j++) held.push(list[j]!);
            break;
          }
          this.send(node, list[i]!.kind, list[i]!.tableId, list.slice(i, i + n));
          i += n;
        }
      }
    }
    this.queue.putBack(held);
    if (wakeAt < Infinity) this.armTimer(wakeAt);
    this.checkIdle();
  }

  /** No known leader for the lookup's bucket: refresh metadata once, then count a failed attempt. */
  private leaderMissing(q: LookupQuery, held: LookupQuery[]): void {
    const key = q.partitionId === undefined ? `t${q.tableId}` : `p${q.partitionId}`;
    if (this.refreshing.has(key)) {
      held.push(q);
    } else if (q.awaitingRefresh) {
      q.awaitingRefresh = false;
      this.retryOrFail(q, new FlussError(ErrorCode.LEADER_NOT_AVAILABLE_EXCEPTION, `no leader is known for ${where(q)}`), held);
    } else {
      q.awaitingRefresh = true;
      held.push(q);
      this.refresh(key, q);
    }
  }

  /** Refreshes the bucket leaders of the lookup's table or partition; settles lookups of a table or partition that is gone. */
  private refresh(key: string, q: LookupQuery): void {
    this.refreshing.add(key);
    const meta = this.ctx.metadata;
    const { info } = q.owner;
    const tableId = info.tableId;
    const pid = q.partitionId;
    const done = pid === undefined ? meta.updateTables([info.tablePath]) : meta.updatePartitions(info.tablePath, { ids: [pid] });
    done
      .then(
        () => {
          const m = pid === undefined ? meta.tableBuckets(tableId) : meta.partitionBuckets(pid);
          if (!m || m.tableId !== tableId) {
            // the path now names another table: ours was dropped
            this.tableGone(
              tableId,
              new FlussError(
                ErrorCode.TABLE_NOT_EXIST,
                `table ${info.tablePath.toString()} (id ${tableId}) was dropped; get the table again`,
              ),
            );
          }
        },
        (err: unknown) => {
          if (!(err instanceof FlussError)) return;
          if (err.code === ErrorCode.TABLE_NOT_EXIST) this.tableGone(tableId, err);
          else if (err.code === ErrorCode.PARTITION_NOT_EXISTS && pid !== undefined) {
            q.owner.partitionGone(q);
            for (const r of this.queue.removeWhere((x) => x.partitionId === pid && x.tableId === tableId)) r.settleEmpty();
          }
          // other failures: the lookups find no leader again and retry with backoff
        },
      )
      .finally(() => {
        this.refreshing.delete(key);
        this.schedule();
      });
  }

  private tableGone(tableId: number, error: FlussError): void {
    for (const r of this.queue.removeWhere((x) => x.tableId === tableId)) r.fail(error);
  }

  /**
   * Another attempt after a backoff if the error is transient and limits allow, else the
   * final failure (Java `LookupSender.java:521` canRetry, l.536 handleLookupError).
   */
  private retryOrFail(q: LookupQuery, error: FlussError, held?: LookupQuery[]): void {
    const now = Date.now();
    q.attempts++;
    let why: string | undefined;
    if (!isRetriableError(error)) why = "";
    else if (this.closing) why = " (the connection is closing)";
    else if (q.attempts > this.maxRetries)
      why = ` (gave up after ${q.attempts} attempts, lookup.max-retries = ${this.maxRetries})`;
    else if (now - q.createdMs >= this.timeoutMs) {
      why = ` (no answer within request.timeout.ms = ${this.timeoutMs} ms, ${q.attempts} attempts)`;
    }
    if (why !== undefined) {
      const kind = q.kind === "lookup" ? "lookup" : "prefix lookup";
      q.fail(new FlussError(error.code, `${kind} in ${where(q)} failed: ${error.message}${why}`, { cause: error }));
      return;
    }
    q.retryAtMs = now + backoffMs(q.attempts - 1, RETRY_BACKOFF_MS, MAX_RETRY_BACKOFF_MS);
    q.queuedAtMs = q.retryAtMs;
    if (held) held.push(q);
    else this.queue.retry(q);
    this.armTimer(q.retryAtMs);
  }

  private send(node: NodeAddress, kind: LookupKind, tableId: number, queries: LookupQuery[]): void {
    this.inflight++;
    this.inflightByServer.set(node.id, (this.inflightByServer.get(node.id) ?? 0) + 1);
    this.requestsSent[kind]++;
    const batches = new Map<number, BucketBatch>();
    for (const q of queries) {
      q.awaitingRefresh = false;
      const k = bucketKey(q.partitionId, q.bucket);
      let b = batches.get(k);
      if (!b) batches.set(k, (b = { partitionId: q.partitionId, bucketId: q.bucket, keys: [], queries: [] }));
      b.keys.push(q.key);
      b.queries.push(q);
    }
    const request = (conn: ServerConnection): Promise<LookupResponse | PrefixLookupResponse> => {
      const bucketsReq = [...batches.values()].map((b) =>
        b.partitionId === undefined
          ? { bucketId: b.bucketId, keys: b.keys }
          : { partitionId: b.partitionId, bucketId: b.bucketId, keys: b.keys },
      );
      return kind === "lookup"
        ? conn.request(ApiKey.LOOKUP, { tableId, bucketsReq })
        : conn.request(ApiKey.PREFIX_LOOKUP, { tableId, bucketsReq });
    };
    const open = this.ctx.rpc.openConnection(node);
    const pending = open ? request(open) : this.ctx.rpc.connection(node).then(request);
    pending
      .then(
        (resp) => this.onResponse(kind, tableId, batches, resp),
        (err: unknown) => {
          const error =
            err instanceof FlussError ? err : new FlussError(ErrorCode.NETWORK_EXCEPTION, String(err), { cause: err });
          for (const b of batches.values()) this.onBucketError(tableId, b, error);
        },
      )
      .finally(() => {
        this.inflight--;
        const n = (this.inflightByServer.get(node.id) ?? 1) - 1;
        if (n > 0) this.inflightByServer.set(node.id, n);
        else this.inflightByServer.delete(node.id);
        this.schedule();
      });
  }

  private onResponse(
    kind: LookupKind,
    tableId: number,
    batches: Map<number, BucketBatch>,
    resp: LookupResponse | PrefixLookupResponse,
  ): void {
    const buckets: readonly (PbLookupRespForBucket | PbPrefixLookupRespForBucket)[] = resp.bucketsResp;
    for (const r of buckets) {
      const k = bucketKey(r.partitionId, r.bucketId);
      const b = batches.get(k);
      if (!b) continue;
      batches.delete(k);
      if (r.errorCode !== undefined && r.errorCode !== ErrorCode.NONE) {
        this.onBucketError(tableId, b, new FlussError(r.errorCode, r.errorMessage));
        continue;
      }
      const n =
        kind === "lookup" ? (r as PbLookupRespForBucket).values.length : (r as PbPrefixLookupRespForBucket).valueLists.length;
      if (n !== b.queries.length) {
        const error = new FlussError(
          ErrorCode.UNKNOWN_SERVER_ERROR,
          `the server answered ${n} values for ${b.queries.length} keys`,
        );
        for (const q of b.queries) this.retryOrFail(q, error);
        continue;
      }
      const qs = b.queries;
      if (kind === "lookup") {
        const values = (r as PbLookupRespForBucket).values;
        for (let i = 0; i < n; i++) qs[i]!.settle(values[i]!.values ?? null);
      } else {
        const lists = (r as PbPrefixLookupRespForBucket).valueLists;
        for (let i = 0; i < n; i++) qs[i]!.settle(lists[i]!.values);
      }
    }
    if (batches.size === 0) return;
    // a bucket the server did not answer for must not wait forever (fluss#174)
    const missing = new FlussError(
      ErrorCode.UNKNOWN_SERVER_ERROR,
      `the ${kind === "lookup" ? "Lookup" : "PrefixLookup"} response has no answer for the bucket`,
    );
    for (const b of batches.values()) this.onBucketError(tableId, b, missing);
  }

  private onBucketError(tableId: number, b: BucketBatch, error: FlussError): void {
    if (error.code === ErrorCode.PARTITION_NOT_EXISTS && b.partitionId !== undefined) {
      // the partition was dropped: nothing is found in it
      for (const q of b.queries) {
        q.owner.partitionGone(q);
        q.settleEmpty();
      }
      return;
    }
    if (error.invalidMetadata) this.ctx.metadata.invalidate(tableId, b.partitionId);
    for (const q of b.queries) this.retryOrFail(q, error);
  }
}
