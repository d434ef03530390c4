/**
 * The per-connection writing machinery (Java `WriterClient`): one accumulator, one sender
 * and one idempotence manager shared by every writer of a connection. Created lazily by
 * the first writer, closed with the connection (after flushing every writer).
 */
import type { TableInfo } from "../../metadata/table-info.js";
import { ApiKey } from "../../rpc/api-keys.js";
import { ErrorCode, FlussError } from "../../rpc/errors.js";
import type { ClientContext } from "../context.js";
import { backoffMs, sleep } from "../retry.js";
import { type BucketSequenceState, IdempotenceManager } from "./idempotence.js";
import { RecordAccumulator } from "./record-accumulator.js";
import { Sender } from "./sender.js";
import { TableWriteTarget } from "./write-target.js";
import { KvBufferPool } from "./kv-write-batch.js";

/** A writer the client closes (flushes) before itself. */
export interface ClosableWriter {
  close(): Promise<void>;
}

const INIT_WRITER_RETRIES = 3;
const INIT_WRITER_BACKOFF_MS = 100;

const clients = new WeakMap<ClientContext, WriterClient>();

/** Shared writing state of one connection. Not exported from the package. */
export class WriterClient {
  readonly accumulator: RecordAccumulator;
  readonly sender: Sender;
  readonly idempotence: IdempotenceManager;
  private readonly targets = new Map<string, TableWriteTarget>();
  private readonly kvBuffers: KvBufferPool;
  private readonly writers = new Set<ClosableWriter>();
  private readonly untrack: () => void;
  private closing: Promise<void> | undefined;

  private constructor(private readonly ctx: ClientContext) {
    const config = ctx.config;
    const idempotent = config.get("writer.enable.idempotence");
    if (idempotent && (config.acks !== -1 || config.get("writer.retries") === 0)) {
      throw FlussError.client(
        `"writer.enable.idempotence" needs "writer.acks" = all and "writer.retries" > 0 ` +
          `(got acks ${config.get("writer.acks")}, retries ${config.get("writer.retries")}); ` +
          `set "writer.enable.idempotence" to false to use these settings`,
      );
    }
    this.accumulator = new RecordAccumulator({
      batchSize: config.get("writer.batch.size"),
      lingerMs: config.get("writer.batch.timeout.ms"),
      bufferMemory: config.get("writer.buffer.memory.size"),
    });
    this.kvBuffers = new KvBufferPool(this.accumulator.batchSize);
    this.idempotence = new IdempotenceManager(idempotent, config.get("writer.max.inflight.requests.per.bucket"), () =>
      this.initWriter(),
    );
    this.sender = new Sender(this.accumulator, this.idempotence, ctx.metadata, ctx.rpc, config);
    this.untrack = ctx.track(this);
  }

  /** The writer client of a connection, created on first use. */
  static of(ctx: ClientContext): WriterClient {
    let c = clients.get(ctx);
    if (c?.closing) throw FlussError.client("cannot create a writer: the connection is closing");
    if (!c) {
      c = new WriterClient(ctx);
      clients.set(ctx, c);
    }
    return c;
  }

  /**
   * The shared per-table state (one per table id and schema id: writers created before an
   * ALTER TABLE keep their schema id). The targets of one table id share the buckets'
   * idempotence sequences, as the server keeps one sequence per writer id and bucket.
   */
  target(info: TableInfo): TableWriteTarget {
    const key = `${info.tableId}/${info.schemaId}`;
    let t = this.targets.get(key);
    if (!t) {
      let seqs = this.sequenceStates.get(info.tableId);
      if (!seqs) this.sequenceStates.set(info.tableId, (seqs = new Map()));
      this.targets.set(key, (t = new TableWriteTarget(info, this.accumulator.batchSize, seqs, this.kvBuffers)));
    }
    return t;
  }

  /** Bucket sequence states by table id (see {@link target}). */
  private readonly sequenceStates = new Map<number, Map<string, BucketSequenceState>>();

  addWriter(w: ClosableWriter): void {
    this.writers.add(w);
  }

  removeWriter(w: ClosableWriter): void {
    this.writers.delete(w);
  }

  get isClosed(): boolean {
    return this.closing !== undefined;
  }

  /**
   * Closes every writer (each flushes), sends what is left, then stops. Batches still
   * unsent after `request.timeout.ms` fail.
   */
  close(): Promise<void> {
    if (!this.closing) {
      this.closing = (async () => {
        let firstError: unknown;
        for (const w of [...this.writers]) {
          try {
            await w.close();
          } catch (err) {
            firstError ??= err;
          }
        }
        const acc = this.accumulator;
        acc.closing = true;
        this.sender.wakeup();
        const deadline = Date.now() + this.ctx.config.get("request.timeout.ms");
        while (acc.incomplete.size > 0 && Date.now() < deadline) {
          await new Promise<void>((resolve) => {
            const any = acc.incomplete.values().next().value;
            if (!any) return resolve();
            any.result.onDone(() => resolve());
            setTimeout(resolve, Math.max(1, deadline - Date.now())).unref();
          });
        }
        this.sender.close();
        acc.abortUnsent(FlussError.client("the writer was closed before these rows were sent"));
        this.untrack();
        if (clients.get(this.ctx) === this) clients.delete(this.ctx);
        if (firstError !== undefined) throw firstError;
      })();
    }
    return this.closing;
  }

  /** InitWriter to a tablet server, with the table paths written so far (authorization). */
  private async initWriter(): Promise<number> {
    const paths = [...new Map([...this.targets.values()].map((t) => [t.info.tablePath.toString(), t.info.tablePath])).values()];
    const tablePath = paths.map((p) => ({ databaseName: p.databaseName, tableName: p.tableName }));
    let lastError: unknown;
    for (let attempt = 0; attempt <= INIT_WRITER_RETRIES; attempt++) {
      try {
        const conn = await this.ctx.rpc.connection(this.ctx.metadata.anyServer());
        const resp = await conn.request(ApiKey.INIT_WRITER, { tablePath });
        return resp.writerId;
      } catch (err) {
        lastError = err;
        const fe = err instanceof FlussError ? err : undefined;
        if (fe && (fe.code === ErrorCode.AUTHORIZATION_EXCEPTION || (!fe.retriable && fe.code !== ErrorCode.NETWORK_EXCEPTION)))
          break;
        if (fe?.invalidMetadata) await this.ctx.metadata.updateTables(paths).catch(() => undefined);
        if (attempt < INIT_WRITER_RETRIES) await sleep(backoffMs(attempt, INIT_WRITER_BACKOFF_MS, INIT_WRITER_BACKOFF_MS * 8));
      }
    }
    throw lastError;
  }
}
