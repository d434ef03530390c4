/**
 * One queued lookup: an encoded key for one bucket, and how to complete it (Java
 * `AbstractLookupQuery`, `LookupQuery`, `PrefixLookupQuery`).
 */
import type { TableInfo } from "../../metadata/table-info.js";
import type { FlussError } from "../../rpc/errors.js";

/** A point lookup (LOOKUP) or a prefix lookup (PREFIX_LOOKUP). */
export type LookupKind = "lookup" | "prefix";

/**
 * What the server answered for one key: the stored value (`int16 schemaId ‖ row`) or null
 * for a point lookup, every matching value for a prefix lookup.
 */
export type LookupAnswer = Uint8Array | null | readonly Uint8Array[];

/** Who made a lookup: its table, and how its answer reaches the caller. */
export interface LookupOwner {
  readonly info: TableInfo;
  /** Called when the server or the metadata says the lookup's partition no longer exists. */
  partitionGone(q: LookupQuery): void;
  /** Completes the caller's promise with the answer (decoded). */
  complete(q: LookupQuery, answer: LookupAnswer): void;
  /** Fails the caller's promise. */
  failed(q: LookupQuery, error: FlussError): void;
}

/** One lookup on its way through the queue and the sender. */
export class LookupQuery {
  /** Failed attempts so far. */
  attempts = 0;
  /** Not sent before this time (retry backoff). */
  retryAtMs = 0;
  /** When it entered (or re-entered) the queue: the start of its batch-timeout wait. */
  queuedAtMs: number;
  /** When it was created: retries stop `request.timeout.ms` after this. */
  readonly createdMs: number;
  /** A metadata refresh was started for its missing leader (the next miss counts as a failure). */
  awaitingRefresh = false;

  constructor(
    readonly kind: LookupKind,
    readonly owner: LookupOwner,
    readonly partitionId: number | undefined,
    /** The partition's name (partitioned tables). */
    readonly partitionName: string | undefined,
    readonly bucket: number,
    readonly key: Uint8Array,
    /** The caller's promise. */
    readonly resolve: (value: unknown) => void,
    readonly reject: (error: unknown) => void,
  ) {
    this.createdMs = this.queuedAtMs = Date.now();
  }

  get tableId(): number {
    return this.owner.info.tableId;
  }

  /** Completes the lookup with the server's answer. */
  settle(answer: LookupAnswer): void {
    this.owner.complete(this, answer);
  }

  /** Fails the lookup. */
  fail(error: FlussError): void {
    this.owner.failed(this, error);
  }

  /** The answer when the table's partition does not exist: nothing found. */
  settleEmpty(): void {
    this.settle(this.kind === "lookup" ? null : []);
  }
}
