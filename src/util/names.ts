/**
 * "Did you mean" hints for misspelled option and config names: the camelCase form of a
 * snake_case or kebab-case name (`bucket_count` → `bucketCount`) when that is a known name,
 * else known names within a small edit distance.
 */

/** Edit distance between two strings. */
function levenshtein(a: string, b: string): number {
  const dp = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let prev = dp[0]!;
    dp[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = dp[j]!;
      dp[j] = Math.min(dp[j]! + 1, dp[j - 1]! + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = tmp;
    }
  }
  return dp[b.length]!;
}

/** The known names `name` was probably meant to be (empty when none is close). */
function similarNames(name: string, known: Iterable<string>): string[] {
  const names = [...known];
  const camel = name.toLowerCase().replace(/[_-]+([a-z0-9])/g, (_, c: string) => c.toUpperCase());
  const exact = names.filter((k) => k === camel || k.toLowerCase() === name.toLowerCase());
  if (exact.length) return exact;
  return names.filter((k) => levenshtein(k, name) <= Math.min(3, Math.floor(name.length / 2)));
}

/** ` (did you mean "x"?)` for {@link similarNames}, or "" when none is close. */
export function didYouMean(name: string, known: Iterable<string>): string {
  const close = similarNames(name, known);
  return close.length ? ` (did you mean ${close.map((c) => `"${c}"`).join(" or ")}?)` : "";
}
