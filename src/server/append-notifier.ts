/**
 * Wakes long-polling fetches when records are appended (the role of Java's delayed-fetch
 * purgatory, reduced to one process): fetch handlers wait on the buckets they read,
 * the produce handler signals each bucket it appended to.
 */

/** Key of one bucket log: table, optional partition, bucket. */
export function bucketKey(tableId: number, partitionId: number | undefined, bucket: number): string {
  return partitionId === undefined ? `${tableId}/${bucket}` : `${tableId}/p${partitionId}/${bucket}`;
}

/** Per-bucket "records were appended" notifications. */
export class AppendNotifier {
  private readonly waiters = new Map<string, Set<() => void>>();
  private readonly counters = new Map<string, number>();

  /**
   * A number that changes whenever one of `keys` is notified: compare it before and after
   * an asynchronous read to notice appends that happened meanwhile.
   */
  version(keys: readonly string[]): number {
    let v = 0;
    for (const k of keys) v += this.counters.get(k) ?? 0;
    return v;
  }

  /** Signals every waiter of `key` (each waiter is called at most once per wait). */
  notify(key: string): void {
    this.counters.set(key, (this.counters.get(key) ?? 0) + 1);
    const set = this.waiters.get(key);
    if (!set) return;
    this.waiters.delete(key);
    for (const wake of set) wake();
  }

  /**
   * Resolves when any of `keys` is notified, `timeoutMs` elapses or `signal` aborts
   * (whichever comes first); resolves `true` only for a notification.
   */
  waitForAny(keys: readonly string[], timeoutMs: number, signal?: AbortSignal): Promise<boolean> {
    return new Promise<boolean>((resolve) => {
      let done = false;
      const finish = (notified: boolean): void => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        signal?.removeEventListener("abort", onAbort);
        for (const k of keys) {
          const set = this.waiters.get(k);
          if (!set) continue;
          set.delete(wake);
          if (set.size === 0) this.waiters.delete(k);
        }
        resolve(notified);
      };
      const wake = (): void => finish(true);
      const onAbort = (): void => finish(false);
      const timer = setTimeout(() => finish(false), Math.max(0, timeoutMs));
      if (signal?.aborted) {
        finish(false);
        return;
      }
      signal?.addEventListener("abort", onAbort, { once: true });
      for (const k of keys) {
        let set = this.waiters.get(k);
        if (!set) {
          set = new Set();
          this.waiters.set(k, set);
        }
        set.add(wake);
      }
    });
  }

  /** Number of buckets with waiters (for tests). */
  get waitingBuckets(): number {
    return this.waiters.size;
  }
}
