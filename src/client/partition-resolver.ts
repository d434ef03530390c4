/**
 * Partition name → partition id for the writers and lookupers of one table: the names of
 * rows (from their partition-column values, Java `PartitionUtils`), ids cached once
 * known, and a lookup that always asks the cluster afresh, so a partition created a moment
 * ago is found at once (there is no negative cache: a "does not exist" answer applies only
 * to the question it answered).
 */
import type { DataType } from "../metadata/data-types.js";
import { partitionValueToString } from "../metadata/partition.js";
import type { TableInfo } from "../metadata/table-info.js";
import { ErrorCode, FlussError } from "../rpc/errors.js";
import type { MetadataUpdater } from "./metadata.js";
import { backoffMs, sleep } from "./retry.js";

interface Asking {
  /** The request in flight. */
  readonly current: Promise<number | undefined>;
  /** A request to send once `current` is done, for callers that came after it was sent. */
  next: Promise<number | undefined> | undefined;
}

/** Resolves partitions of one partitioned table. */
export class PartitionResolver {
  private readonly ids = new Map<string, number>();
  private readonly asking = new Map<string, Asking>();
  private readonly indexes: readonly number[];
  private readonly types: readonly DataType[];
  private readonly tableName: string;

  /** Creations in flight, by partition name (one per name at a time, Java `inflightPartitionsToCreate`). */
  private readonly creating = new Map<string, Promise<number>>();

  constructor(
    private readonly metadata: MetadataUpdater,
    readonly info: TableInfo,
    /**
     * Creates a partition from its spec, ignoring "already exists" (writers with
     * `writer.dynamic-create-partition.enabled`); undefined: missing partitions are not created.
     */
    private readonly create?: (spec: Record<string, string>) => Promise<void>,
    /** How long {@link lookupOrCreate} waits for a created partition to appear in metadata. */
    private readonly waitMs = 30_000,
  ) {
    const fields = info.rowType.fields;
    this.indexes = info.partitionKeys.map((k) => fields.findIndex((f) => f.name === k));
    this.types = this.indexes.map((i) => fields[i]!.type);
    this.tableName = info.tablePath.toString();
  }

  /** The partition name of a row (canonical values in column order), e.g. `US$2024`. */
  nameOf(values: readonly unknown[]): string {
    const idx = this.indexes;
    const types = this.types;
    let name = partitionValueToString(types[0]!, values[idx[0]!]);
    for (let i = 1; i < idx.length; i++) name += `$${partitionValueToString(types[i]!, values[idx[i]!])}`;
    return name;
  }

  /** The id of a partition if known (here or in the connection's metadata), without asking. */
  cached(name: string): number | undefined {
    const id = this.ids.get(name);
    if (id !== undefined) return id;
    const known = this.metadata.partitionId(this.info.tableId, name);
    if (known !== undefined) this.ids.set(name, known);
    return known;
  }

  /** Forgets a cached id (the partition was dropped): the next use asks again. */
  forget(name: string): void {
    this.ids.delete(name);
  }

  /**
   * Asks the cluster for a partition's id; resolves `undefined` when it does not exist,
   * rejects with a FlussError naming the table and partition on other failures. The
   * answer always comes from a request sent after this call (callers arriving while one
   * is in flight share the next one), so a partition created before the call is found.
   */
  lookup(name: string): Promise<number | undefined> {
    const a = this.asking.get(name);
    if (!a) return this.ask(name);
    const settled = (): undefined => undefined;
    return (a.next ??= a.current.then(settled, settled).then(() => this.ask(name)));
  }

  /**
   * {@link lookup}, and when the partition does not exist and creation is on, creates it once
   * (Java `DynamicPartitionCreator`: `admin.createPartition(path, spec, ignoreIfExists = true)`,
   * DynamicPartitionCreator.java:140) and waits until the metadata shows it. Resolves
   * `undefined` only when creation is off.
   */
  async lookupOrCreate(name: string): Promise<number | undefined> {
    const id = await this.lookup(name);
    if (id !== undefined || !this.create) return id;
    let pending = this.creating.get(name);
    if (!pending) {
      pending = this.createAndWait(name);
      this.creating.set(name, pending);
      const done = (): void => {
        if (this.creating.get(name) === pending) this.creating.delete(name);
      };
      pending.then(done, done);
    }
    return pending;
  }

  private async createAndWait(name: string): Promise<number> {
    // ResolvedPartitionSpec.fromPartitionName: the values of the name, split at "$"
    const values = name.split("$");
    const spec = Object.fromEntries(this.info.partitionKeys.map((k, i) => [k, values[i] ?? ""]));
    try {
      await this.create!(spec);
    } catch (err) {
      if (!(err instanceof FlussError && err.code === ErrorCode.PARTITION_ALREADY_EXISTS)) {
        const fe = err instanceof FlussError ? err : FlussError.client(String(err), err);
        throw new FlussError(fe.code, `cannot create partition ${this.spec(name)} of table ${this.tableName}: ${fe.message}`, {
          cause: fe,
          retriable: false,
        });
      }
    }
    // the coordinator answers before every server's metadata has the partition: ask until it does
    const deadline = Date.now() + this.waitMs;
    for (let attempt = 0; ; attempt++) {
      const id = await this.lookup(name);
      if (id !== undefined) return id;
      if (Date.now() >= deadline) {
        throw new FlussError(
          ErrorCode.PARTITION_NOT_EXISTS,
          `partition ${this.spec(name)} of table ${this.tableName} was created but is not in the cluster's metadata after ${this.waitMs} ms`,
        );
      }
      await sleep(backoffMs(attempt, 20, 500));
    }
  }

  /** The error of a write to a partition that does not exist. */
  missingError(name: string): FlussError {
    return new FlussError(
      ErrorCode.PARTITION_NOT_EXISTS,
      `partition ${this.spec(name)} of table ${this.tableName} does not exist (create it first with admin.createPartition)`,
    );
  }

  /** `region=US/year=2024` for `US$2024`. */
  spec(name: string): string {
    const values = name.split("$");
    return this.info.partitionKeys.map((k, i) => `${k}=${values[i]}`).join("/");
  }

  private ask(name: string): Promise<number | undefined> {
    const meta = this.metadata;
    const path = this.info.tablePath;
    const current = meta.updatePartitions(path, { names: [name] }).then(
      () => {
        const id = meta.partitionId(this.info.tableId, name);
        if (id === undefined) this.ids.delete(name);
        else this.ids.set(name, id);
        return id;
      },
      (err: unknown) => {
        if (err instanceof FlussError && err.code === ErrorCode.PARTITION_NOT_EXISTS) {
          this.ids.delete(name);
          return undefined;
        }
        throw err instanceof FlussError
          ? new FlussError(err.code, `cannot look up partition ${this.spec(name)} of table ${this.tableName}: ${err.message}`, {
              cause: err,
            })
          : FlussError.client(`cannot look up partition ${this.spec(name)} of table ${this.tableName}: ${String(err)}`, err);
      },
    );
    const entry: Asking = { current, next: undefined };
    this.asking.set(name, entry);
    const done = (): void => {
      if (this.asking.get(name) === entry) this.asking.delete(name);
    };
    current.then(done, done);
    return current;
  }
}
