import { FlussError } from "../rpc/errors.js";

/** Start offset meaning "the earliest record still stored" (sent to the server as is). */
export const EARLIEST_OFFSET = -2;

/**
 * Start offset meaning "only records written from now on". The server does not accept it
 * as a fetch offset, so scanners resolve it with ListOffsets(latest) before fetching.
 */
export const LATEST_OFFSET = -1;

/** Which offset `listOffsets` asks for. */
export class OffsetSpec {
  private constructor(
    /** Protocol offset type: 0 earliest, 1 latest, 2 timestamp. */
    readonly type: 0 | 1 | 2,
    /** Epoch millis for {@link OffsetSpec.timestamp}. */
    readonly timestamp?: number,
  ) {}

  /** The log start offset of each bucket. */
  static earliest(): OffsetSpec {
    return new OffsetSpec(0);
  }

  /** The high watermark of each bucket: the offset the next record will get. */
  static latest(): OffsetSpec {
    return new OffsetSpec(1);
  }

  /** The first offset whose commit timestamp is at or after `epochMillis`. */
  static timestamp(epochMillis: number | Date): OffsetSpec {
    const ms = epochMillis instanceof Date ? epochMillis.getTime() : epochMillis;
    if (!Number.isSafeInteger(ms)) {
      throw FlussError.client(
        `OffsetSpec.timestamp needs epoch milliseconds (an integer) or a valid Date, got ${String(epochMillis)}`,
      );
    }
    return new OffsetSpec(2, ms);
  }

  /** `earliest`, `latest` or `timestamp(<epoch ms>)`. */
  toString(): string {
    return this.type === 0 ? "earliest" : this.type === 1 ? "latest" : `timestamp(${this.timestamp})`;
  }
}
