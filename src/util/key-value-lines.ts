/**
 * Text of `key=value` lines (also `key: value`), as in the CLI's SASL users file and client
 * config file: blank lines and lines starting with `#` are skipped, spaces around the key
 * and the value are dropped. The value may hold `=`, `:` and spaces (a JAAS line).
 */

/** One `key=value` line, with its line number (from 1). */
export interface KeyValueLine {
  readonly key: string;
  readonly value: string;
  readonly line: number;
}

/**
 * The entries of `text` in order, or the number of the first line that is not `key=value`
 * (the caller names its file; the line itself is never repeated: it may hold a password).
 */
export function parseKeyValueLines(text: string): { entries: KeyValueLine[] } | { badLine: number } {
  const entries: KeyValueLine[] = [];
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.trim();
    if (line === "" || line.startsWith("#")) continue;
    const m = /^([^=:\s]+)\s*[=:]\s*(.*)$/.exec(line);
    if (!m) return { badLine: i + 1 };
    entries.push({ key: m[1]!, value: m[2]!, line: i + 1 });
  }
  return { entries };
}
