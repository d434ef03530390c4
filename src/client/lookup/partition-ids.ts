/**
 * Partition name → partition id for lookups of one table: cached ids, else one metadata
 * request per name (concurrent lookups share it). A partition that does not exist resolves
 * to undefined and is asked for again next time, since it may be created meanwhile.
 * Kept small so it can give way to a resolver shared with the writers.
 */
import type { TableInfo } from "../../metadata/table-info.js";
import { ErrorCode, FlussError } from "../../rpc/errors.js";
import type { MetadataUpdater } from "../metadata.js";

export class PartitionIds {
  private readonly ids = new Map<string, number>();
  private readonly pending = new Map<string, Promise<number | undefined>>();

  constructor(
    private readonly metadata: MetadataUpdater,
    private readonly info: TableInfo,
  ) {}

  /** The cached id of a partition, if known. */
  cached(name: string): number | undefined {
    return this.ids.get(name);
  }

  /** The id of a partition, or undefined when it does not exist. */
  resolve(name: string): Promise<number | undefined> {
    const known = this.ids.get(name);
    if (known !== undefined) return Promise.resolve(known);
    let p = this.pending.get(name);
    if (!p) {
      const { tablePath, tableId } = this.info;
      p = this.metadata
        .updatePartitions(tablePath, { names: [name] })
        .then(
          () => {
            const id = this.metadata.partitionId(tableId, name);
            if (id !== undefined) this.ids.set(name, id);
            return id;
          },
          (err: unknown) => {
            if (err instanceof FlussError && err.code === ErrorCode.PARTITION_NOT_EXISTS) return undefined;
            throw err;
          },
        )
        .finally(() => this.pending.delete(name));
      this.pending.set(name, p);
    }
    return p;
  }

  /** Forgets a partition the cluster no longer has. */
  forget(partitionId: number): void {
    for (const [name, id] of this.ids) if (id === partitionId) this.ids.delete(name);
  }
}
