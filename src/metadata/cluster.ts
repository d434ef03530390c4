/**
 * Cluster addressing: `ServerNode` (a coordinator or tablet server) and `TableBucket`
 * (one bucket of a table or of a table partition).
 */

/** The role of a server (Java `ServerType`); `UNKNOWN` is used for bootstrap addresses. */
export type ServerType = "COORDINATOR" | "TABLET_SERVER" | "UNKNOWN";

/** A server of the cluster. Immutable. */
export class ServerNode {
  /** Connection key: `"cs-<id>"` for coordinators, `"ts-<id>"` otherwise (Java `ServerNode.uid`). */
  readonly uid: string;

  /** Usually obtained from `admin.getServerNodes()`. */
  constructor(
    /** The server id (unique per server type). */
    readonly id: number,
    /** Host name or IP address clients connect to. */
    readonly host: string,
    /** TCP port. */
    readonly port: number,
    /** Coordinator or tablet server. */
    readonly serverType: ServerType,
    /** The server's rack, if configured. */
    readonly rack?: string,
  ) {
    this.uid = serverType === "COORDINATOR" ? `cs-${id}` : `ts-${id}`;
  }

  /** `host:port`. */
  get address(): string {
    return `${this.host}:${this.port}`;
  }

  /** Same id, address, type and rack. */
  equals(other: ServerNode | null | undefined): boolean {
    return (
      !!other &&
      other.id === this.id &&
      other.host === this.host &&
      other.port === this.port &&
      other.serverType === this.serverType &&
      other.rack === this.rack
    );
  }

  /** Java's rendering: `host:port (id: ts-1, rack: null)`. */
  toString(): string {
    return `${this.host}:${this.port} (id: ${this.uid}, rack: ${this.rack ?? "null"})`;
  }
}

/** One bucket of a table (or of one partition of it). Immutable. */
export class TableBucket {
  /** `partitionId` is undefined for a non-partitioned table; see also {@link TableBucket.of}. */
  constructor(
    /** The table's id (`TableInfo.tableId`). */
    readonly tableId: number,
    /** Set for buckets of a partition. */
    readonly partitionId: number | undefined,
    /** The bucket number, 0..numBuckets-1. */
    readonly bucket: number,
  ) {}

  /** A bucket of a non-partitioned table. */
  static of(tableId: number, bucket: number): TableBucket {
    return new TableBucket(tableId, undefined, bucket);
  }

  /** A bucket of a partition. */
  static ofPartition(tableId: number, partitionId: number, bucket: number): TableBucket {
    return new TableBucket(tableId, partitionId, bucket);
  }

  /** A stable string usable as a `Map` key: `"<tableId>:<partitionId or ->:<bucket>"`. */
  key(): string {
    return `${this.tableId}:${this.partitionId ?? "-"}:${this.bucket}`;
  }

  /** Same table, partition and bucket. */
  equals(other: TableBucket | null | undefined): boolean {
    return !!other && other.tableId === this.tableId && other.partitionId === this.partitionId && other.bucket === this.bucket;
  }

  /** Java's rendering: `TableBucket{tableId=1, partitionId=2, bucket=0}`. */
  toString(): string {
    return this.partitionId === undefined
      ? `TableBucket{tableId=${this.tableId}, bucket=${this.bucket}}`
      : `TableBucket{tableId=${this.tableId}, partitionId=${this.partitionId}, bucket=${this.bucket}}`;
  }
}
