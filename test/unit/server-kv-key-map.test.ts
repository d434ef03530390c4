/** KeyMap (the KV state's hash map) against a Map under random operations. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { KeyMap } from "../../src/server/kv/key-map.js";
import { prng } from "./helpers/fuzz.js";

function sameContents(km: KeyMap, ref: Map<string, string>): void {
  assert.equal(km.size, ref.size);
  const seen = new Map(km.entries());
  assert.equal(seen.size, ref.size, "iteration yields each key once");
  for (const [k, v] of ref) assert.equal(seen.get(k), v);
  assert.deepEqual([...km.values()].sort(), [...ref.values()].sort());
}

test("KeyMap behaves as a Map under random sets, gets and deletes (with growth and backward-shift deletes)", () => {
  for (const [seed, keySpace] of [
    [1, 50],
    [2, 2_000],
    [3, 40_000],
  ] as const) {
    const next = prng(seed);
    const km = new KeyMap();
    const ref = new Map<string, string>();
    for (let op = 0; op < 60_000; op++) {
      // short binary keys (as record keys are) and a few long ones
      const n = Math.floor(next() * keySpace);
      const key = n % 97 === 0 ? `long-key-${n}-${"x".repeat(n % 50)}` : String.fromCharCode(n & 0xff, n >>> 8);
      const r = next();
      if (r < 0.45) {
        const v = `v${op}`;
        // the get-then-set pattern of an upsert reuses the probe
        if (r < 0.2) assert.equal(km.get(key), ref.get(key));
        km.set(key, v);
        ref.set(key, v);
      } else if (r < 0.7) {
        assert.equal(km.delete(key), ref.delete(key));
      } else {
        assert.equal(km.get(key), ref.get(key));
        assert.equal(km.has(key), ref.has(key));
      }
    }
    sameContents(km, ref);
    for (const k of [...ref.keys()].slice(0, ref.size / 2)) {
      km.delete(k);
      ref.delete(k);
    }
    sameContents(km, ref);
    km.clear();
    assert.equal(km.size, 0);
    assert.equal(km.get(String.fromCharCode(1, 0)), undefined);
  }
});

test("KeyMap: a probe cached by get is not reused after another key changed the table", () => {
  const km = new KeyMap();
  // fill up to just below a growth, then: get(a) (absent), set(b) grows the table, set(a)
  for (let i = 0; i < 31; i++) km.set(`k${i}`, "x");
  assert.equal(km.get("a"), undefined);
  km.set("b", "1");
  km.set("a", "2");
  assert.equal(km.get("a"), "2");
  assert.equal(km.get("b"), "1");
  // get(a) (present), delete(c) shifts slots, set(a)
  assert.equal(km.get("a"), "2");
  km.delete("k3");
  km.set("a", "3");
  assert.equal(km.get("a"), "3");
  assert.equal(km.size, 32);
});
