/**
 * Resolves once a promise chain used as a serial queue is idle: waits for its tail, and
 * again while work was queued meanwhile (`tail()` returns the chain's current tail).
 */
export async function whenDrained(tail: () => Promise<unknown>): Promise<void> {
  let q: Promise<unknown>;
  do {
    q = tail();
    await q;
  } while (q !== tail());
}
