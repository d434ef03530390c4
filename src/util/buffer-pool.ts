/**
 * Reusable large buffers in power-of-two size classes, with a cap on the bytes the pool ever
 * holds (lent out or free). Recycling matters in Node: every fresh ArrayBuffer counts as
 * external memory, and a stream of them (one per 2 MB produce request) makes V8 run a full
 * mark-compact every few dozen megabytes.
 */
export class BufferPool {
  private readonly free = new Map<number, Uint8Array[]>();
  /** Every buffer this pool made, by its ArrayBuffer, with its class size. */
  private readonly owned = new WeakMap<ArrayBufferLike, number>();
  /** The ones currently lent out (a second release of a buffer is ignored). */
  private readonly lent = new WeakSet<ArrayBufferLike>();
  private held = 0;
  private lentNow = 0;

  /**
   * @param maxBytes cap on the bytes of all buffers made (lent and free together)
   * @param minClassBytes smallest class (requests below it get a buffer of this size)
   * @param maxClassBytes largest class: bigger requests are not served
   */
  constructor(
    readonly maxBytes: number,
    readonly minClassBytes = 64 * 1024,
    readonly maxClassBytes = 16 * 1024 * 1024,
  ) {}

  /** Bytes of the buffers made so far and not dropped. */
  get heldBytes(): number {
    return this.held;
  }

  /** Bytes of the buffers lent out and not given back yet. */
  get lentBytes(): number {
    return this.lentNow;
  }

  /**
   * A buffer of at least `n` bytes (its whole class size), or undefined when `n` is over the
   * largest class or making one would pass the cap. Its contents are whatever was there.
   */
  acquire(n: number): Uint8Array | undefined {
    if (n > this.maxClassBytes) return undefined;
    let size = this.minClassBytes;
    while (size < n) size *= 2;
    let buf = this.free.get(size)?.pop();
    if (!buf) {
      if (this.held + size > this.maxBytes) return undefined;
      buf = new Uint8Array(Buffer.allocUnsafeSlow(size).buffer, 0, size);
      this.owned.set(buf.buffer, size);
      this.held += size;
    }
    this.lent.add(buf.buffer);
    this.lentNow += buf.length;
    return buf;
  }

  /**
   * Gives back a buffer from {@link acquire} (or any view of one); anything else, and a
   * buffer already given back, is ignored. The caller must not touch it afterwards.
   */
  release(view: Uint8Array): void {
    const size = this.owned.get(view.buffer);
    if (size === undefined || !this.lent.delete(view.buffer)) return;
    this.lentNow -= size;
    const list = this.free.get(size);
    const whole = new Uint8Array(view.buffer, 0, size);
    if (list) list.push(whole);
    else this.free.set(size, [whole]);
  }
}
