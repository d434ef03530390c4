/**
 * Results of writes: the per-batch {@link BatchResult} every row of a batch shares, and
 * the {@link WriteResultHandle} `append` returns per row (a thin pointer to its result, so
 * a handle costs one small object and no promise unless the caller asks for one).
 */
import type { FlussError } from "../../rpc/errors.js";

/**
 * A write the writer has accepted into its buffer. Not thenable on purpose, so that
 * `await writer.append(row)` yields this object instead of waiting for the server.
 */
export interface AcceptedWrite {
  /** Resolves once the server acknowledged the write; rejects with the batch's FlussError. */
  wait(): Promise<void>;
}

/** The outcome of one or more rows, completed exactly once. Not exported from the package. */
export interface WriteResult extends AcceptedWrite {
  /** Calls `cb` once when the result completes (at once if it already has). */
  onDone(cb: (error: FlussError | undefined) => void): void;
  /**
   * Whether a failure of this result reached the user (through `wait()` or a rejected
   * admission): `flush()` and `close()` do not report it a second time.
   */
  readonly observed: boolean;
  /** Notes that the user was handed this result's outcome. */
  markObserved(): void;
}

const RESOLVED: Promise<void> = Promise.resolve();
const noop = (): void => undefined;

/** A promise already rejected with `err`, marked handled so it never reports as unhandled. */
function handledRejection<T>(err: unknown): Promise<T> {
  const p = Promise.reject(err) as Promise<T>;
  p.catch(noop);
  return p;
}

const PENDING = 0;
const SUCCEEDED = 1;
const FAILED = 2;

/**
 * The result of one write batch, shared by all of its rows. Creates a promise
 * only when someone calls {@link wait}; that promise is marked handled so fire-and-forget
 * callers never see unhandled rejections (the writer reports failures in `flush()`).
 */
export class BatchResult implements WriteResult {
  private state = PENDING;
  private error: FlussError | undefined;
  private promise: Promise<void> | undefined;
  private resolveFn: (() => void) | undefined;
  private rejectFn: ((err: FlussError) => void) | undefined;
  private listeners: ((error: FlussError | undefined) => void)[] | undefined;
  /** Offset the server assigned to the batch's first row (-1 until acknowledged). */
  baseOffset = -1;
  /** See {@link WriteResult.observed}. */
  observed = false;
  /** Called on the first `wait()` while pending (the accumulator sends the batch at once). */
  onWait: (() => void) | undefined;

  get done(): boolean {
    return this.state !== PENDING;
  }

  /** The failure, once failed. */
  get failure(): FlussError | undefined {
    return this.error;
  }

  markObserved(): void {
    this.observed = true;
  }

  wait(): Promise<void> {
    this.observed = true;
    if (this.state === SUCCEEDED) return RESOLVED;
    if (this.state === FAILED) return handledRejection(this.error);
    if (this.onWait) {
      const urge = this.onWait;
      this.onWait = undefined;
      urge();
    }
    if (!this.promise) {
      this.promise = new Promise<void>((resolve, reject) => {
        this.resolveFn = resolve;
        this.rejectFn = reject;
      });
      this.promise.catch(noop);
    }
    return this.promise;
  }

  onDone(cb: (error: FlussError | undefined) => void): void {
    if (this.state !== PENDING) cb(this.error);
    else (this.listeners ??= []).push(cb);
  }

  /** Marks the batch acknowledged. */
  succeed(baseOffset: number): void {
    if (this.state !== PENDING) return;
    this.state = SUCCEEDED;
    this.baseOffset = baseOffset;
    this.resolveFn?.();
    this.settle(undefined);
  }

  /** Marks the batch failed. */
  fail(error: FlussError): void {
    if (this.state !== PENDING) return;
    this.state = FAILED;
    this.error = error;
    this.rejectFn?.(error);
    this.settle(error);
  }

  private settle(error: FlussError | undefined): void {
    const ls = this.listeners;
    this.listeners = undefined;
    this.resolveFn = this.rejectFn = undefined;
    this.onWait = undefined;
    if (ls) for (const cb of ls) cb(error);
  }
}

/** @internal The result of several batches (an Arrow table split over batches). */
export class CompositeResult implements WriteResult {
  private readonly inner = new BatchResult();

  constructor(private readonly parts: readonly WriteResult[]) {
    let left = parts.length;
    if (left === 0) this.inner.succeed(-1);
    for (const p of parts) {
      p.onDone((err) => {
        if (err) this.inner.fail(err);
        else if (--left === 0) this.inner.succeed(-1);
      });
    }
  }

  get observed(): boolean {
    return this.inner.observed;
  }

  markObserved(): void {
    this.inner.markObserved();
    for (const p of this.parts) p.markObserved();
  }

  wait(): Promise<void> {
    this.markObserved();
    // each part is sent at once (its own wait), as a single row's batch would be
    for (const p of this.parts) p.wait();
    return this.inner.wait();
  }

  onDone(cb: (error: FlussError | undefined) => void): void {
    this.inner.onDone(cb);
  }
}

/** @internal A result that failed before reaching a batch (e.g. its partition does not exist). */
function failedResult(error: FlussError): WriteResult {
  const r = new BatchResult();
  r.fail(error);
  return r;
}

/**
 * What `append`, `writeArrow`, `writeArrowBatch`, `upsert` and `delete` return, at once.
 *
 * **`await handle` and `await handle.wait()` are different things:**
 *
 * - `await handle.wait()` waits until the **server acknowledged** the write (rejects with
 *   a {@link FlussError} naming table, bucket and cause if its batch finally failed).
 *   Calling `wait()` also sends the row's batch at once instead of letting it linger
 *   (`writer.batch.timeout.ms`), so a loop of `await writer.append(row).wait()` is not
 *   slowed down by the linger.
 * - `await handle` (e.g. `await writer.append(row)`) waits **only for buffer room**
 *   (backpressure): it resolves, to an {@link AcceptedWrite}, as soon as the row has room
 *   in the writer's buffer (`writer.buffer.memory.size`), which is at once unless the
 *   buffer is full. It does NOT wait for the server and does not mean the row is stored;
 *   chain `(await writer.append(row)).wait()` or call `handle.wait()` for that.
 * - Ignoring the handle is fine (fire-and-forget): failures are then reported by
 *   `writer.flush()` / `writer.close()`, never as unhandled promise rejections. A failure
 *   already delivered through `wait()` (or a rejected `await handle`) is not reported by
 *   `flush()`/`close()` again.
 */
export class WriteResultHandle implements PromiseLike<AcceptedWrite> {
  private result: WriteResult | undefined;
  private admitError: FlussError | undefined;
  private admitted: Promise<AcceptedWrite> | undefined;
  private admitResolve: ((w: AcceptedWrite) => void) | undefined;
  private admitReject: ((e: FlussError) => void) | undefined;

  /** @internal Handles are created by writers. */
  static create(result?: WriteResult): WriteResultHandle {
    return new WriteResultHandle(result);
  }

  private constructor(result?: WriteResult) {
    this.result = result;
  }

  /** Whether the write has room in the buffer (or failed before getting there). */
  get isAccepted(): boolean {
    return this.result !== undefined || this.admitError !== undefined;
  }

  /** @internal The result once accepted (undefined while waiting for buffer memory). */
  get acceptedResult(): WriteResult | undefined {
    return this.result;
  }

  /**
   * Resolves when the **server acknowledged** this write; rejects with its FlussError.
   * Sends the write's batch without waiting out the linger. (Awaiting the handle itself
   * only waits for buffer room, see the class documentation.)
   */
  wait(): Promise<void> {
    if (this.result) return this.result.wait();
    const p = this.admission().then((r) => r.wait());
    p.catch(noop);
    return p;
  }

  /**
   * Awaiting the handle waits for **buffer admission only**, not for the server; see the
   * class documentation and {@link wait}.
   */
  // biome-ignore lint/suspicious/noThenProperty: awaiting a handle waits for buffer room, by design
  then<R1 = AcceptedWrite, R2 = never>(
    onfulfilled?: ((value: AcceptedWrite) => R1 | PromiseLike<R1>) | null,
    onrejected?: ((reason: unknown) => R2 | PromiseLike<R2>) | null,
  ): Promise<R1 | R2> {
    return this.admission().then(onfulfilled, onrejected);
  }

  /** @internal Called by the writer once the row is in a batch. */
  accept(result: WriteResult): void {
    if (this.isAccepted) return;
    this.result = result;
    this.admitResolve?.(result);
    this.admitResolve = this.admitReject = undefined;
  }

  /** @internal Called by the writer when the row can never be written. */
  reject(error: FlussError): void {
    if (this.isAccepted) return;
    this.admitError = error;
    const result = failedResult(error);
    this.result = result;
    if (this.admitReject) result.markObserved(); // someone awaits the handle: delivered
    this.admitReject?.(error);
    this.admitResolve = this.admitReject = undefined;
  }

  private admission(): Promise<AcceptedWrite> {
    if (this.admitError) {
      this.result?.markObserved();
      return handledRejection(this.admitError);
    }
    if (this.result) return Promise.resolve(this.result);
    if (!this.admitted) {
      this.admitted = new Promise<AcceptedWrite>((resolve, reject) => {
        this.admitResolve = resolve;
        this.admitReject = reject;
      });
      this.admitted.catch(noop);
    }
    return this.admitted;
  }
}
