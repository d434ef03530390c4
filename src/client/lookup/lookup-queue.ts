/**
 * The lookups waiting to be sent (Java `LookupQueue`): at most `lookup.queue-size` of them;
 * further lookups wait, in order, until the sender has taken some (Java blocks the caller
 * on a full `ArrayBlockingQueue`; here the caller's promise just resolves later).
 */
import type { LookupQuery } from "./lookup-query.js";

export class LookupQueue {
  private queued: LookupQuery[] = [];
  /** Lookups to retry (after a failed attempt), sent before newer ones; not bounded. */
  private retried: LookupQuery[] = [];
  /** Lookups beyond `lookup.queue-size`, admitted as room frees up. */
  private overflow: LookupQuery[] = [];
  private overflowHead = 0;

  constructor(private readonly capacity: number) {}

  /** Lookups queued or waiting for room. */
  get size(): number {
    return this.retried.length + this.queued.length + this.overflow.length - this.overflowHead;
  }

  /** Adds a new lookup (or waits for room when the queue is full). */
  add(q: LookupQuery): void {
    if (this.queued.length < this.capacity && this.overflowHead === this.overflow.length) this.queued.push(q);
    else this.overflow.push(q);
  }

  /** Queues a lookup again after a failed attempt (Java `reEnqueue`). */
  retry(q: LookupQuery): void {
    this.retried.push(q);
  }

  /** Takes every queued lookup, retries first; put back what is not sent with {@link putBack}. */
  takeAll(): LookupQuery[] {
    const out = this.retried.length === 0 ? this.queued : this.retried.concat(this.queued);
    this.queued = [];
    this.retried = [];
    return out;
  }

  /**
   * Puts back lookups taken but not sent (held for a fuller batch, waiting for metadata or
   * a retry time), ahead of newer ones, then admits waiting lookups into the freed room.
   */
  putBack(held: LookupQuery[]): void {
    if (held.length > 0) this.queued = this.queued.length === 0 ? held : held.concat(this.queued);
    const room = this.capacity - this.queued.length;
    if (room <= 0 || this.overflowHead === this.overflow.length) return;
    const end = Math.min(this.overflow.length, this.overflowHead + room);
    for (let i = this.overflowHead; i < end; i++) {
      const q = this.overflow[i]!;
      q.queuedAtMs = Date.now();
      this.queued.push(q);
    }
    this.overflowHead = end;
    if (this.overflowHead === this.overflow.length) {
      this.overflow = [];
      this.overflowHead = 0;
    }
  }

  /** Removes and returns every lookup (queued or waiting) matching `pred`. */
  removeWhere(pred: (q: LookupQuery) => boolean): LookupQuery[] {
    const removed: LookupQuery[] = [];
    const keep = (list: LookupQuery[]): LookupQuery[] =>
      list.filter((q) => {
        if (!pred(q)) return true;
        removed.push(q);
        return false;
      });
    this.retried = keep(this.retried);
    this.queued = keep(this.queued);
    this.overflow = keep(this.overflow.slice(this.overflowHead));
    this.overflowHead = 0;
    return removed;
  }
}
