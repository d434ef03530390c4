import { test } from "node:test";
import assert from "node:assert/strict";
import { BucketFetchSize, FetchSizing } from "../../src/client/scan/fetch-sizing.js";

const MiB = 1024 * 1024;

test("a bucket with a backlog doubles its limit up to the ceiling; caught up it goes back", () => {
  const sizing = new FetchSizing(1 * MiB, 16 * MiB, 64 * MiB);
  assert.equal(sizing.max, 16 * MiB);
  const s = new BucketFetchSize(sizing);
  assert.equal(s.limit, 1 * MiB);
  const seen: number[] = [];
  for (let i = 0; i < 6; i++) {
    s.update(s.limit, true, 256 * 1024);
    seen.push(s.limit / MiB);
  }
  assert.deepEqual(seen, [2, 4, 8, 16, 16, 16]);
  s.update(100, false, 256 * 1024);
  assert.equal(s.limit, 1 * MiB, "caught up: the configured limit");
  // nothing returned (e.g. an error-free empty answer) does not grow it
  s.update(0, true, 0);
  assert.equal(s.limit, 1 * MiB);
});

test("a limit never drops below the largest batch seen (within the ceiling)", () => {
  const sizing = new FetchSizing(1 * MiB, 16 * MiB, 64 * MiB);
  const s = new BucketFetchSize(sizing);
  s.update(3 * MiB, false, 3 * MiB);
  assert.equal(s.limit, 3 * MiB);
  s.update(40 * MiB, false, 40 * MiB);
  assert.equal(s.limit, 16 * MiB, "capped by the ceiling (a larger batch is raised alone by the fetcher)");
});

test("the ceiling is half the buffer, never below the configured per-bucket limit", () => {
  assert.equal(new FetchSizing(1 * MiB, 16 * MiB, 8 * MiB).max, 4 * MiB);
  assert.equal(new FetchSizing(1 * MiB, 16 * MiB, 1 * MiB).max, 1 * MiB);
  assert.equal(new FetchSizing(2 * MiB, 1 * MiB, 64 * MiB).max, 2 * MiB);
});

test("extras beyond the configured limits share the room left in the buffer", () => {
  const sizing = new FetchSizing(1 * MiB, 16 * MiB, 16 * MiB);
  const a = new BucketFetchSize(sizing);
  const b = new BucketFetchSize(sizing);
  for (let i = 0; i < 3; i++) {
    a.update(a.limit, true, 0);
    b.update(b.limit, true, 0);
  }
  assert.equal(a.limit, 8 * MiB);
  // plenty of room: what they want
  assert.deepEqual(sizing.limits([a, b], 0), [8 * MiB, 8 * MiB]);
  // 6 MiB committed: 16 - 6 - 2 (base) = 8 MiB of room for 14 MiB of extras
  const [la, lb] = sizing.limits([a, b], 6 * MiB);
  assert.equal(la, lb);
  assert.ok(la! <= 5 * MiB && la! >= 4 * MiB, String(la));
  assert.ok(la! + lb! <= 16 * MiB - 6 * MiB);
  // no room: the configured limits (Java's request)
  assert.deepEqual(sizing.limits([a, b], 20 * MiB), [1 * MiB, 1 * MiB]);
});

test("raised limits are whole multiples of the largest batch and keep to the request's total", () => {
  const sizing = new FetchSizing(1 * MiB, 16 * MiB, 64 * MiB);
  const batch = 2_098_576; // a 65,536-row batch of the bench table
  const a = new BucketFetchSize(sizing);
  for (let i = 0; i < 4; i++) a.update(a.limit, true, batch);
  assert.equal(a.limit, 16 * MiB);
  const [la] = sizing.limits([a], 0);
  assert.equal(la! % batch, 0);
  assert.equal(la, 7 * batch);
  const many = Array.from({ length: 8 }, () => {
    const s = new BucketFetchSize(sizing);
    for (let i = 0; i < 4; i++) s.update(s.limit, true, batch);
    return s;
  });
  // eight such buckets: 1 MiB of extra room each would be a cut slice; each asks one whole batch
  assert.deepEqual(sizing.limits(many, 0), Array(8).fill(batch));
});
