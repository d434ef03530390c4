import { test } from "node:test";
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { crc32c as nodeRsCrc32c } from "@node-rs/crc32";
import { CRC32C_IMPLEMENTATION, crc32c } from "../../src/record/crc32c.js";

test("crc32c: the check value and chaining, whichever implementation is loaded", () => {
  const check = new TextEncoder().encode("123456789");
  assert.equal(crc32c(check), 0xe3069283); // CRC-32C check value
  assert.equal(crc32c(check, 4, 9, crc32c(check, 0, 4)), 0xe3069283);
  assert.equal(crc32c(new Uint8Array(0)), 0);
});

test("crc32c: the native SSE4.2 addon agrees with @node-rs/crc32 on every length, offset and chain", {
  skip: CRC32C_IMPLEMENTATION === "@node-rs/crc32" && "the native addon is not built here",
}, () => {
  // lengths around the 3 x 4096-byte blocks of the interleaved loop, and big ones
  const lengths = [0, 1, 7, 8, 9, 63, 4095, 4096, 12_287, 12_288, 12_289, 24_576 + 5, 100_000, 1_000_003];
  for (const n of lengths) {
    for (const offset of [0, 1, 3]) {
      const bytes = randomBytes(n + offset).subarray(offset);
      const initial = (n * 2654435761) >>> 0;
      assert.equal(crc32c(bytes, 0, n, initial), nodeRsCrc32c(bytes, initial) >>> 0, `length ${n} offset ${offset}`);
      const cut = n >>> 1;
      assert.equal(crc32c(bytes, cut, n, crc32c(bytes, 0, cut)), nodeRsCrc32c(bytes) >>> 0, `chained at ${cut} of ${n}`);
    }
  }
});
