/**
 * Binary search over indexes [0, n) where `before(i)` holds for a prefix and fails after it:
 * returns the length of that prefix (the first index where it fails, or n).
 */
export function partitionPoint(n: number, before: (i: number) => boolean): number {
  let lo = 0;
  let hi = n;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (before(mid)) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
