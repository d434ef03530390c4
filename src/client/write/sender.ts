/**
 * The send loop (Java `Sender`): drains ready batches, groups them by leader, table and
 * request group into ProduceLog or PutKv requests (`write-protocol.ts`) and handles the
 * answers. Event-driven: it runs on `setImmediate` when
 * something became ready and on one timer for the next linger / backoff deadline, so it
 * never spins and never blocks the event loop for longer than one drain.
 */
import { ErrorCode, FlussError, isInvalidMetadata, isRetriable } from "../../rpc/errors.js";
import type { ServerConnection } from "../../rpc/server-connection.js";
import type { Config } from "../config.js";
import type { MetadataUpdater, NodeAddress } from "../metadata.js";
import type { RpcClient } from "../rpc-client.js";
import { ErrorVerdict, type IdempotenceManager, SendDecision } from "./idempotence.js";
import type { RecordAccumulator } from "./record-accumulator.js";
import { type BatchBytes, batchError, unknownOutcomeError, type WriteBatch } from "./write-batch.js";
import type { BucketOutcome, WriteProtocol } from "./write-protocol.js";
import type { BucketQueue, TableWriteTarget } from "./write-target.js";
import { backoffMs } from "../retry.js";

/** Retry backoff: 100 ms doubling per attempt, at most 1 s (Java `client.writer.retry-backoff`). */
const RETRY_BACKOFF_MS = 100;
const MAX_RETRY_BACKOFF_MS = 1000;
/** Minimum time between two metadata refreshes of the same table or partition. */
const METADATA_REFRESH_INTERVAL_MS = 100;
/** The `timeout_ms` sent to the server for a client timeout of `clientMs`: 90% of it, at most 1 s less. */
export function serverTimeoutMs(clientMs: number): number {
  return Math.max(1, clientMs - Math.min(1000, Math.ceil(clientMs / 10)));
}

/** Bytes a bucket entry adds to a ProduceLog request besides its records. */
const BUCKET_ENTRY_OVERHEAD = 32;
const REQUEST_OVERHEAD = 64;

interface InFlightEntry {
  readonly q: BucketQueue;
  readonly partitionId: number | undefined;
  readonly bucketId: number;
  readonly batch: WriteBatch;
  /** The batch as sent: header + body parts (views, written to the socket as they are). */
  readonly records: BatchBytes;
}

type WriteApiKey = WriteProtocol["apiKey"];

/** A request that never reached the network (no connection, unencodable): its outcome is known. */
class NotSent {
  constructor(readonly error: unknown) {}
}

/**
 * Requests to one server, in order: while the connection is (re)opening, requests queue
 * here and go out in the order they were made, so batch sequences arrive in order.
 * Requests are encoded request bodies as chunks (log batches are not copied).
 */
class NodeChannel {
  private conn: ServerConnection | undefined;
  private connecting = false;
  private readonly queue: {
    apiKey: WriteApiKey;
    body: Uint8Array[];
    resolve: (r: unknown) => void;
    reject: (e: unknown) => void;
  }[] = [];

  constructor(
    private readonly rpc: RpcClient,
    private readonly node: NodeAddress,
  ) {}

  send(apiKey: WriteApiKey, body: Uint8Array[]): Promise<unknown> {
    const c = this.conn;
    if (c && !c.closed && this.queue.length === 0) return c.requestParts(apiKey, body);
    return new Promise((resolve, reject) => {
      this.queue.push({ apiKey, body, resolve, reject });
      this.connect();
    });
  }

  private connect(): void {
    if (this.connecting) return;
    this.connecting = true;
    this.rpc.connection(this.node).then(
      (c) => {
        this.connecting = false;
        this.conn = c;
        for (const e of this.queue.splice(0)) c.requestParts(e.apiKey, e.body).then(e.resolve, e.reject);
      },
      (err: unknown) => {
        this.connecting = false;
        for (const e of this.queue.splice(0)) e.reject(new NotSent(err));
      },
    );
  }
}

/** Sends batches of a writer client. */
export class Sender {
  /** Set while a drain runs (a drain can be entered from an append inside it). */
  private running = false;
  private immediate: NodeJS.Immediate | undefined;
  private timer: NodeJS.Timeout | undefined;
  private timerAt = Infinity;
  private closed = false;
  private readonly channels = new Map<string, NodeChannel>();
  private readonly refreshing = new Set<string>();
  private readonly nextRefreshAt = new Map<string, number>();
  private initializingWriter = false;
  private readonly acks: number;
  private readonly timeoutMs: number;
  private readonly maxRequestSize: number;
  private readonly retries: number;
  private readonly deliveryTimeoutMs: number;
  private readonly maxThrottleMs: number;

  constructor(
    private readonly accumulator: RecordAccumulator,
    private readonly idempotence: IdempotenceManager,
    private readonly metadata: MetadataUpdater,
    private readonly rpc: RpcClient,
    config: Config,
  ) {
    this.acks = config.acks;
    // The server's own timeout for acks (ProduceLog/PutKv `timeout_ms`) is below the
    // client's timer, so a slow replication is answered with REQUEST_TIME_OUT (a definite
    // per-bucket answer) before the client gives up on the request and closes its connection.
    // Java sends `client.request-timeout` itself (Sender.java:400, WriterClient.java:319).
    this.timeoutMs = serverTimeoutMs(config.get("request.timeout.ms"));
    this.maxRequestSize = config.get("request.max.size");
    this.retries = config.get("writer.retries");
    this.deliveryTimeoutMs = config.get("writer.delivery.timeout.ms");
    this.maxThrottleMs = config.get("writer.kv-backpressure.max-throttle.ms");
    accumulator.onReady = () => this.wakeup();
    accumulator.onFull = () => this.runNow();
    accumulator.onLinger = (at) => this.wakeAt(at);
  }

  /** Runs the loop soon (coalesced). */
  wakeup(): void {
    if (this.immediate || this.closed) return;
    this.immediate = setImmediate(() => {
      this.immediate = undefined;
      this.run();
    });
  }

  /**
   * Runs the loop now, synchronously (a batch filled up inside a caller's append): Java's
   * sender thread is woken at once too, and the event loop may not turn for a while.
   */
  private runNow(): void {
    if (this.running) this.wakeup();
    else this.run();
  }

  /**
   * Holds a bucket back after the server reported write pressure `p` (Java
   * `RecordAccumulator.updateThrottle`): `max-throttle · p²`, the whole window at 1 (a
   * rejection), none at 0.
   */
  private throttle(q: BucketQueue, p: number): void {
    const delay = p >= 1 ? this.maxThrottleMs : p > 0 ? Math.floor(this.maxThrottleMs * p * p) : 0;
    q.throttledUntilMs = delay > 0 ? Date.now() + delay : 0;
  }

  /** Runs the loop at `atMs` at the latest. */
  private wakeAt(atMs: number): void {
    if (this.closed || atMs >= this.timerAt) return;
    if (this.timer) clearTimeout(this.timer);
    this.timerAt = atMs;
    this.timer = setTimeout(
      () => {
        this.timer = undefined;
        this.timerAt = Infinity;
        this.run();
      },
      Math.max(0, atMs - Date.now()),
    );
  }

  /** Stops the loop; in-flight requests still complete their batches. */
  close(): void {
    this.closed = true;
    if (this.immediate) clearImmediate(this.immediate);
    if (this.timer) clearTimeout(this.timer);
    this.immediate = this.timer = undefined;
  }

  /** One drain: send whatever is ready, and schedule the next run. */
  private run(): void {
    if (this.closed || this.running) return;
    this.running = true;
    try {
      this.drain();
    } finally {
      this.running = false;
    }
  }

  private drain(): void {
    const acc = this.accumulator;
    if (acc.active.size === 0) return;
    const idem = this.idempotence;
    if (!idem.ready) {
      this.initWriter();
      return;
    }
    const now = Date.now();
    const readyAll = acc.flushing || acc.closing || acc.exhausted;
    const linger = acc.lingerMs;
    let nextWake = Infinity;
    // leader id → request group (table, request kind's group) → rounds of entries (round k
    // holds each bucket's k-th batch)
    const groups = new Map<
      number,
      { node: NodeAddress; requests: Map<string, { table: TableWriteTarget; rounds: InFlightEntry[][] }> }
    >();

    for (const q of acc.active) {
      const batches = q.batches;
      if (batches.length === 0) {
        acc.active.delete(q);
        continue;
      }
      const gone = q.table.gone;
      if (gone) {
        this.failQueue(q, gone);
        continue;
      }
      const leader = this.metadata.leaderFor(q.tableId, q.partitionId, q.bucketId);
      if (!leader) {
        this.expireWaiting(q, now);
        if (batches.length === 0) continue;
        const at = this.refreshMetadata(q, now);
        if (at > now) nextWake = Math.min(nextWake, at);
        continue;
      }
      // Java RecordAccumulator.shouldSkipBucket: a bucket under backpressure throttle waits
      if (q.throttledUntilMs > now) {
        nextWake = Math.min(nextWake, q.throttledUntilMs);
        continue;
      }
      let round = 0;
      while (batches.length > 0) {
        const b = batches[0]!;
        if (b.retryAtMs > now) {
          nextWake = Math.min(nextWake, b.retryAtMs);
          break;
        }
        if (!(readyAll || b.closed || b.urgent || batches.length > 1 || now - b.createdMs >= linger)) {
          nextWake = Math.min(nextWake, b.createdMs + linger);
          break;
        }
        let decision = idem.prepare(q.sequences, b);
        if (decision === SendDecision.STALE_WRITER) {
          if (b.uncertain) {
            batches.shift();
            this.failStaleWriter(b);
            continue;
          }
          idem.restamp(b);
          decision = idem.prepare(q.sequences, b);
        }
        if (decision === SendDecision.WAIT || decision === SendDecision.STALE_WRITER) break;
        batches.shift();
        if (decision === SendDecision.ALREADY_COMMITTED) {
          this.complete(q, b, -1);
          continue;
        }
        let records: BatchBytes;
        try {
          records = b.serializeParts();
        } catch (err) {
          this.fail(
            q,
            b,
            err instanceof FlussError ? err : FlussError.client(`cannot encode ${b.describe()}: ${String(err)}`, err),
            true,
          );
          continue;
        }
        idem.onSent(q.sequences, b);
        b.attempts++;
        let g = groups.get(leader.id);
        if (!g) groups.set(leader.id, (g = { node: leader, requests: new Map() }));
        const key = `${q.tableId}/${q.table.protocol.requestGroup(b)}`;
        let r = g.requests.get(key);
        if (!r) g.requests.set(key, (r = { table: q.table, rounds: [] }));
        (r.rounds[round] ??= []).push({ q, partitionId: q.partitionId, bucketId: q.bucketId, batch: b, records });
        round++;
      }
      if (batches.length === 0) acc.active.delete(q);
    }

    // Round by round, so that a bucket's batches go out in order even when they are in
    // different request groups (a full-row and a partial-update batch of one bucket).
    for (const g of groups.values()) {
      let maxRounds = 0;
      for (const r of g.requests.values()) maxRounds = Math.max(maxRounds, r.rounds.length);
      for (let round = 0; round < maxRounds; round++) {
        for (const { table, rounds } of g.requests.values()) {
          const entries = rounds[round];
          if (entries) this.sendRound(g.node, table, entries);
        }
      }
    }
    if (nextWake !== Infinity) this.wakeAt(nextWake);
  }

  /** Sends one round (≤ one batch per bucket) as requests of at most `request.max.size`. */
  private sendRound(node: NodeAddress, table: TableWriteTarget, entries: InFlightEntry[]): void {
    let chunk: InFlightEntry[] = [];
    let size = REQUEST_OVERHEAD;
    for (const e of entries) {
      const n = e.records.sizeInBytes + BUCKET_ENTRY_OVERHEAD;
      if (chunk.length > 0 && size + n > this.maxRequestSize) {
        this.sendRequest(node, table, chunk);
        chunk = [];
        size = REQUEST_OVERHEAD;
      }
      chunk.push(e);
      size += n;
    }
    if (chunk.length > 0) this.sendRequest(node, table, chunk);
  }

  private sendRequest(node: NodeAddress, table: TableWriteTarget, entries: InFlightEntry[]): void {
    const protocol = table.protocol;
    let sent: Promise<unknown>;
    try {
      const body = protocol.encode(table.info.tableId, this.acks, this.timeoutMs, entries);
      sent = this.channel(node).send(protocol.apiKey, body);
    } catch (err) {
      // an unencodable request fails as a rejected send would (asynchronously)
      sent = Promise.reject(new NotSent(err));
    }
    sent.then(
      (resp) => this.handleResponse(protocol, entries, resp),
      (err: unknown) =>
        err instanceof NotSent ? this.handleRequestError(entries, err.error, false) : this.handleRequestError(entries, err, true),
    );
  }

  private channel(node: NodeAddress): NodeChannel {
    const key = `${node.id}@${node.host}:${node.port}`;
    let c = this.channels.get(key);
    if (!c) this.channels.set(key, (c = new NodeChannel(this.rpc, node)));
    return c;
  }

  private handleResponse(protocol: WriteProtocol, entries: InFlightEntry[], resp: unknown): void {
    const byBucket = new Map<string, BucketOutcome>();
    for (const r of protocol.outcomes(resp)) byBucket.set(`${r.partitionId ?? -1}:${r.bucketId}`, r);
    for (const e of entries) {
      const { q, batch } = e;
      this.idempotence.onReturned(q.sequences, batch);
      const r = byBucket.get(`${q.partitionId ?? -1}:${q.bucketId}`);
      if (r?.pressure !== undefined) this.throttle(q, r.pressure);
      if (!r) {
        this.handleError(q, batch, ErrorCode.UNKNOWN_SERVER_ERROR, "the response has no entry for this bucket", undefined, true);
        continue;
      }
      const code = r.errorCode ?? ErrorCode.NONE;
      if (code === ErrorCode.NONE) this.complete(q, batch, r.offset);
      else this.handleError(q, batch, code, r.errorMessage, undefined, false);
    }
    this.wakeup();
  }

  /**
   * A request failed as a whole. `sent`: it was handed to a connection, so when no answer
   * came (timeout, connection lost) the server may have appended its batches or not.
   */
  private handleRequestError(entries: InFlightEntry[], err: unknown, sent: boolean): void {
    const fe = err instanceof FlussError ? err : undefined;
    const code = fe ? fe.code : ErrorCode.NETWORK_EXCEPTION;
    const message = fe ? fe.message : String(err);
    const unanswered = sent && (code === ErrorCode.REQUEST_TIME_OUT || code === ErrorCode.NETWORK_EXCEPTION);
    for (const { q, batch } of entries) {
      this.idempotence.onReturned(q.sequences, batch);
      if (unanswered) batch.uncertain = fe ?? new FlussError(code, message, { cause: err });
      // a leader that does not answer (its connection is closed now) may have moved
      if (unanswered || !sent) this.metadata.invalidate(q.tableId, q.partitionId);
      this.handleError(q, batch, code, message, err, false);
    }
    this.wakeup();
  }

  /**
   * One failed attempt of a batch: success after all (idempotence), retry (retriable, with
   * backoff, within `writer.retries`), or final failure naming table, bucket and cause.
   */
  private handleError(
    q: BucketQueue,
    batch: WriteBatch,
    code: number,
    message: string | undefined,
    cause: unknown,
    forceRetriable: boolean,
  ): void {
    // a hard rejection holds the bucket back for the whole throttle window (Sender.java:552)
    if (code === ErrorCode.STORAGE_BACKPRESSURE_EXCEPTION) this.throttle(q, 1);
    const verdict = this.idempotence.verdict(q.sequences, batch, code);
    if (verdict === ErrorVerdict.SUCCESS) {
      this.complete(q, batch, -1);
      return;
    }
    const gone = q.table.gone;
    if (gone) {
      this.fail(
        q,
        batch,
        new FlussError(gone.code, `failed to write to ${batch.describe()}: ${gone.message}`, { cause: gone }),
        true,
      );
      return;
    }
    const retriable =
      verdict === ErrorVerdict.RETRY || forceRetriable || isRetriable(code) || code === ErrorCode.NETWORK_EXCEPTION;
    if (!retriable) {
      // rejected by the server (per bucket or the whole request): the batch is not in the log
      this.fail(q, batch, batchError(batch, code, message, cause), true);
      return;
    }
    if (isInvalidMetadata(code)) this.metadata.invalidate(q.tableId, q.partitionId);
    // An unanswered attempt of an idempotent batch is retried under the same writer id and
    // sequence until the delivery timeout, whatever writer.retries says: the server drops a
    // duplicate, and giving up would leave the outcome unknown.
    const resolvable = this.idempotence.enabled && batch.uncertain !== undefined && batch.writerId >= 0;
    if (batch.attempts > this.retries && !resolvable) {
      this.fail(q, batch, batchError(batch, code, `${message ?? ""} (gave up after ${batch.attempts} attempts)`, cause), false);
      return;
    }
    if (Date.now() - batch.createdMs >= this.deliveryTimeoutMs) {
      const why = `${message ?? ""} (not acknowledged within writer.delivery.timeout.ms = ${this.deliveryTimeoutMs} ms, ${batch.attempts} attempts)`;
      this.fail(q, batch, batchError(batch, code, why, cause), false);
      return;
    }
    const backoff = backoffMs(batch.attempts - 1, RETRY_BACKOFF_MS, MAX_RETRY_BACKOFF_MS);
    batch.retryAtMs = Date.now() + backoff;
    this.accumulator.reenqueue(q, batch);
    this.wakeAt(batch.retryAtMs);
  }

  private complete(q: BucketQueue, batch: WriteBatch, baseOffset: number): void {
    this.idempotence.onSuccess(q.sequences, batch);
    batch.succeed(baseOffset);
    this.accumulator.batchDone(batch);
  }

  /**
   * Final failure; `definite` when the server certainly did not append the batch. A batch
   * one of whose attempts got no answer fails with `outcomeUnknown` unless the failure is
   * definite and idempotence rules out that an earlier attempt was stored (the server would
   * have answered the retry with DUPLICATE_SEQUENCE).
   */
  private fail(q: BucketQueue, batch: WriteBatch, error: FlussError, definite: boolean): void {
    const uncertain = batch.uncertain;
    if (uncertain && (!definite || !this.idempotence.enabled)) {
      error = unknownOutcomeError(batch, uncertain, error.message.replace(/^failed to write to [^:]*: /, ""));
    }
    this.idempotence.onFinalFailure(q.sequences, batch, q.batches, definite);
    batch.fail(error);
    this.accumulator.batchDone(batch);
  }

  /**
   * A batch sent under a writer id that has been reset since, one of whose attempts got no
   * answer: it may be in the log under the old id, so re-sending it under the new one could
   * store it twice. It fails with UNKNOWN_WRITER_ID and `outcomeUnknown` (Java fails every
   * such batch, Sender.java:590-605; we re-send those known not to be stored).
   */
  private failStaleWriter(batch: WriteBatch): void {
    const error = new FlussError(
      ErrorCode.UNKNOWN_WRITER_ID_EXCEPTION,
      `failed to write to ${batch.describe()}: the write may or may not have been stored (outcome unknown, ${batch.recordCount} rows): ` +
        `it was sent under writer id ${batch.writerId}, which has been reset since (${batch.uncertain?.message ?? "no answer"}); ` +
        `it is not re-sent under the new writer id, which could store it twice`,
      { cause: batch.uncertain, outcomeUnknown: true },
    );
    batch.fail(error);
    this.accumulator.batchDone(batch);
  }

  /**
   * Fails the batches of a leaderless queue that waited longer than the delivery timeout
   * (e.g. the cluster is gone), so `flush()` and handles never wait forever.
   */
  private expireWaiting(q: BucketQueue, now: number): void {
    while (q.batches.length > 0 && now - q.batches[0]!.createdMs >= this.deliveryTimeoutMs) {
      const b = q.batches.shift()!;
      const why = `no leader reachable for ${this.deliveryTimeoutMs} ms (writer.delivery.timeout.ms)`;
      this.fail(q, b, batchError(b, ErrorCode.LEADER_NOT_AVAILABLE_EXCEPTION, why, undefined), b.attempts === 0);
    }
    if (q.batches.length === 0) this.accumulator.active.delete(q);
    else this.wakeAt(q.batches[0]!.createdMs + this.deliveryTimeoutMs);
  }

  /** Fails the unsent batches of a queue (its table or partition is gone). */
  private failQueue(q: BucketQueue, error: FlussError): void {
    // each failure frees memory, and writers waiting for it place their writes at once,
    // possibly into this queue: fail those too, or they would sit in a queue the sender
    // no longer visits (their flush would never end)
    while (q.batches.length > 0) {
      for (const b of q.batches.splice(0))
        this.fail(
          q,
          b,
          new FlussError(error.code, `failed to write to ${b.describe()}: ${error.message}`, { cause: error }),
          true,
        );
    }
    this.accumulator.active.delete(q);
  }

  /**
   * Refreshes the bucket leaders of the queue's table or partition (at most every
   * {@link METADATA_REFRESH_INTERVAL_MS}). Returns when the next attempt may happen.
   */
  private refreshMetadata(q: BucketQueue, now: number): number {
    const key = q.partitionId === undefined ? `t${q.tableId}` : `p${q.partitionId}`;
    if (this.refreshing.has(key)) return 0;
    const at = this.nextRefreshAt.get(key) ?? 0;
    if (at > now) return at;
    this.refreshing.add(key);
    this.nextRefreshAt.set(key, now + METADATA_REFRESH_INTERVAL_MS);
    const path = q.table.info.tablePath;
    const refresh =
      q.partitionId === undefined
        ? this.metadata.updateTables([path])
        : this.metadata.updatePartitions(path, { ids: [q.partitionId] });
    refresh.then(
      () => {
        this.refreshing.delete(key);
        const id = this.metadata.tableIdOf(path);
        if (id !== undefined && id !== q.tableId) {
          // the path names another table now: ours was dropped (and re-created)
          this.tableGone(
            q.table,
            new FlussError(
              ErrorCode.TABLE_NOT_EXIST,
              `table ${path.toString()} (id ${q.tableId}) no longer exists: it was dropped` +
                ` (the path now names table id ${id}); create a new writer from conn.getTable()`,
            ),
          );
        }
        this.wakeup();
      },
      (err: unknown) => {
        this.refreshing.delete(key);
        const fe = err instanceof FlussError ? err : undefined;
        if (fe && fe.code === ErrorCode.TABLE_NOT_EXIST) {
          this.tableGone(
            q.table,
            new FlussError(fe.code, `table ${path.toString()} (id ${q.tableId}) no longer exists: ${fe.message}`, { cause: fe }),
          );
        } else if (fe && !fe.retriable && fe.code !== ErrorCode.NETWORK_EXCEPTION) {
          // the partition is gone (or we may not see it): fail what waits for it
          for (const other of [...this.accumulator.active]) {
            if (other.tableId === q.tableId && other.partitionId === q.partitionId) this.failQueue(other, fe);
          }
        } else this.wakeAt(Date.now() + METADATA_REFRESH_INTERVAL_MS);
        this.wakeup();
      },
    );
    return 0;
  }

  /**
   * The table (this table id) does not exist any more: its writers fail further writes at
   * once, and its unsent batches fail now; batches in flight fail when they come back.
   */
  private tableGone(table: TableWriteTarget, error: FlussError): void {
    table.gone ??= error;
    for (const other of [...this.accumulator.active]) {
      if (other.table === table) this.failQueue(other, table.gone);
    }
  }

  /** Gets a writer id, then resumes; after repeated failures fails the unsent batches. */
  private initWriter(): void {
    if (this.initializingWriter) return;
    this.initializingWriter = true;
    this.idempotence.ensureWriterId().then(
      () => {
        this.initializingWriter = false;
        this.wakeup();
      },
      (err: unknown) => {
        this.initializingWriter = false;
        const fe = err instanceof FlussError ? err : new FlussError(ErrorCode.NETWORK_EXCEPTION, String(err), { cause: err });
        const error = new FlussError(fe.code, `cannot obtain a writer id (InitWriter): ${fe.message}`, { cause: fe });
        for (const q of [...this.accumulator.active]) {
          // only never-sent batches can be failed safely here
          for (const b of [...q.batches]) {
            if (b.attempts === 0) {
              q.batches.splice(q.batches.indexOf(b), 1);
              this.fail(
                q,
                b,
                new FlussError(error.code, `failed to write to ${b.describe()}: ${error.message}`, { cause: error }),
                true,
              );
            }
          }
          if (q.batches.length === 0) this.accumulator.active.delete(q);
        }
        this.wakeAt(Date.now() + METADATA_REFRESH_INTERVAL_MS);
      },
    );
  }
}
