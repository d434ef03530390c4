/** Reading scan records in tests: wait for a count, and render records as comparable text. */
import assert from "node:assert/strict";
import type { LogScanner, ScanRecord } from "../../src/index.js";

/** Polls until `n` records arrived (or fails after `ms`). */
export async function pollN(scanner: LogScanner, n: number, ms = 10_000): Promise<ScanRecord[]> {
  const out: ScanRecord[] = [];
  const deadline = Date.now() + ms;
  while (out.length < n) {
    const left = deadline - Date.now();
    if (left <= 0) assert.fail(`got ${out.length} of ${n} records in ${ms} ms`);
    for (const r of await scanner.poll(Math.min(left, 500))) out.push(r);
  }
  return out;
}

/** `changeType value…` of each record, values in column order. */
export function renderRecords(records: readonly ScanRecord[]): string[] {
  return records.map((r) => [r.changeType.shortString(), ...Object.values(r.row).map(String)].join(" "));
}
