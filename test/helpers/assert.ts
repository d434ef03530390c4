import assert from "node:assert/strict";
import { FlussError } from "../../src/index.js";

/** Asserts that `p` rejects with a FlussError of `code` (and a message matching `pattern`). */
export async function rejectsWith(p: Promise<unknown>, code: number, pattern?: RegExp): Promise<void> {
  await assert.rejects(p, (err: unknown) => {
    assert.ok(err instanceof FlussError, `expected FlussError, got ${String(err)}`);
    assert.equal(err.code, code, `expected code ${code}, got ${err.code} (${err.name}: ${err.message})`);
    if (pattern) assert.match(err.message, pattern);
    return true;
  });
}
