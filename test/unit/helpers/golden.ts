/** The golden vectors of test/fixtures/golden-vectors.json (copied from the spec) (inputs and expected outputs from the Java and Rust suites). */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";

export interface GoldenVector {
  id: string;
  kind: string;
  input: Record<string, unknown>;
  expected: unknown;
  note?: string;
}

const all = JSON.parse(readFileSync(new URL("../../fixtures/golden-vectors.json", import.meta.url), "utf8")) as GoldenVector[];

/** Every vector of a kind; fails when there is none (a renamed kind must not silently test nothing). */
export function goldenVectors(kind: string): GoldenVector[] {
  const vs = all.filter((v) => v.kind === kind);
  assert.ok(vs.length > 0, `no golden vectors of kind ${kind}`);
  return vs;
}
