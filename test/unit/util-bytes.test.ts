/** ByteWriter's string and padding writes match TextEncoder / zero bytes on every path. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { ByteWriter } from "../../src/util/bytes.js";

test("utf8 writes the encoder's bytes for ASCII, non-ASCII after an ASCII prefix, and long strings", () => {
  const cases = [
    "",
    "a",
    "user-123",
    "abcé",
    "é",
    "ascii then 😀",
    "x".repeat(31),
    "y".repeat(32),
    "z".repeat(33),
    "ü".repeat(40),
    `${"a".repeat(20)}\u0000\u007f\u0080`,
  ];
  for (const s of cases) {
    const w = new ByteWriter(16);
    w.u8(0xee); // written data before the string stays
    w.zeros(3);
    const n = w.utf8(s);
    const want = new TextEncoder().encode(s);
    assert.equal(n, want.length, JSON.stringify(s));
    assert.deepEqual([...w.written()], [0xee, 0, 0, 0, ...want], JSON.stringify(s));
  }
});

test("zeros clears reused bytes, short and long", () => {
  for (const n of [1, 16, 17, 100]) {
    const w = new ByteWriter(16);
    for (let i = 0; i < 200; i++) w.u8(0xff);
    w.reset();
    w.u8(1);
    w.zeros(n);
    assert.deepEqual([...w.written()], [1, ...new Array<number>(n).fill(0)]);
  }
});
