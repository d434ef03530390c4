/**
 * The one retry policy of the client: which errors are worth another attempt, and how long
 * to wait before it. Writer, fetcher, metadata, admin and lookups all use it, so a change
 * of policy happens in one place.
 */
import { ErrorCode, FlussError } from "../rpc/errors.js";

/** True when the error is worth retrying after a metadata refresh or reconnect. */
export function isRetriableError(err: unknown): boolean {
  return err instanceof FlussError && (err.retriable || err.code === ErrorCode.NETWORK_EXCEPTION);
}

/**
 * Exponential backoff: `baseMs` doubled per attempt (0-based), capped at `maxMs`; with
 * `jitter` (e.g. 0.2) spread uniformly by ±that fraction, as Java's `ExponentialBackoff`.
 */
export function backoffMs(attempt: number, baseMs: number, maxMs: number, jitter = 0): number {
  const term = Math.min(maxMs, baseMs * 2 ** Math.min(Math.max(0, attempt), 20));
  return jitter > 0 ? Math.round(term * (1 - jitter + Math.random() * 2 * jitter)) : term;
}

/** Resolves after `ms` milliseconds (a retry's wait keeps the process alive, as the work it retries does). */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
