/**
 * Helpers for producing JSON byte-identical to Java's Jackson `ObjectMapper` output
 * (compact, no spaces, non-ASCII unescaped) and for mimicking `java.util.HashMap` iteration
 * order where Java's output depends on it.
 */

/**
 * A JSON string literal as Jackson writes it: `"` and `\` escaped, the control characters
 * \b \t \n \f \r as short escapes and the other ones below 0x20 as `\u00XX` (uppercase hex);
 * everything else, including non-ASCII, as is.
 */
export function jsonString(s: string): string {
  let out = '"';
  let start = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    let esc: string | undefined;
    if (c === 0x22) esc = '\\"';
    else if (c === 0x5c) esc = "\\\\";
    else if (c < 0x20) {
      switch (c) {
        case 0x08:
          esc = "\\b";
          break;
        case 0x09:
          esc = "\\t";
          break;
        case 0x0a:
          esc = "\\n";
          break;
        case 0x0c:
          esc = "\\f";
          break;
        case 0x0d:
          esc = "\\r";
          break;
        default:
          esc = `\\u00${c.toString(16).toUpperCase().padStart(2, "0")}`;
      }
    }
    if (esc !== undefined) {
      out += s.slice(start, i) + esc;
      start = i + 1;
    }
  }
  return `${out + s.slice(start)}"`;
}

/** `["a","b"]`. */
export function jsonStringArray(items: readonly string[]): string {
  return `[${items.map(jsonString).join(",")}]`;
}

/** A string→string object in the record's iteration order. */
export function jsonStringMap(map: Readonly<Record<string, string>>): string {
  return `{${Object.entries(map)
    .map(([k, v]) => `${jsonString(k)}:${jsonString(v)}`)
    .join(",")}}`;
}

/** Java `String.hashCode` (over UTF-16 code units). */
function javaStringHash(s: string): number {
  let h = 0;
  for (let i = 0; i < s.length; i++) h = (Math.imul(31, h) + s.charCodeAt(i)) | 0;
  return h;
}

/**
 * The entries reordered as a `java.util.HashMap` copy-constructed from a map holding them
 * (in the given order) would iterate them: by bucket `(h ^ (h >>> 16)) & (capacity - 1)`,
 * insertion order within a bucket, with capacity `tableSizeFor(n / 0.75 + 1)` (JDK 8–17).
 *
 * Java servers return table properties in this order (protocol.md §5); readers never depend
 * on it, it only matters for byte-identical JSON.
 */
export function javaHashMapOrder(map: Readonly<Record<string, string>>): Record<string, string> {
  const entries = Object.entries(map);
  const n = entries.length;
  let capacity = 1;
  const target = Math.floor(n / 0.75 + 1);
  while (capacity < target) capacity *= 2;
  const bucketOf = (k: string): number => {
    const h = javaStringHash(k);
    return (h ^ (h >>> 16)) & (capacity - 1);
  };
  const sorted = entries.map((e, i) => ({ e, i, b: bucketOf(e[0]) })).sort((x, y) => x.b - y.b || x.i - y.i);
  const out: Record<string, string> = {};
  for (const { e } of sorted) out[e[0]] = e[1];
  return out;
}
