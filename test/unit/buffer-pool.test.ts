import { test } from "node:test";
import assert from "node:assert/strict";
import { BufferPool } from "../../src/util/buffer-pool.js";

test("BufferPool lends power-of-two class buffers and reuses released ones", () => {
  const pool = new BufferPool(1024 * 1024, 1024, 256 * 1024);
  const a = pool.acquire(1500)!;
  assert.equal(a.length, 2048);
  const b = pool.acquire(100)!;
  assert.equal(b.length, 1024);
  assert.equal(pool.heldBytes, 3072);
  pool.release(a.subarray(0, 1500)); // a view of it is enough
  const c = pool.acquire(2000)!;
  assert.equal(c.buffer, a.buffer);
  assert.equal(pool.heldBytes, 3072);
  // a buffer released twice is lent once only
  pool.release(c);
  pool.release(c);
  const d = pool.acquire(2048)!;
  const e = pool.acquire(2048)!;
  assert.equal(d.buffer, a.buffer);
  assert.notEqual(e.buffer, a.buffer);
  // foreign buffers are ignored
  pool.release(new Uint8Array(2048));
  assert.notEqual(pool.acquire(2048)!.buffer, a.buffer);
});

test("BufferPool refuses requests over the largest class or the byte cap", () => {
  const pool = new BufferPool(4096, 1024, 2048);
  assert.equal(pool.acquire(2049), undefined);
  const a = pool.acquire(2048)!;
  pool.acquire(2048);
  assert.equal(pool.acquire(1), undefined, "cap reached");
  pool.release(a);
  assert.equal(pool.acquire(2000)!.buffer, a.buffer, "a free buffer is still lent at the cap");
});
