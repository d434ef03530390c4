/**
 * The rows every benchmark writes: id BIGINT NOT NULL, user STRING, score DOUBLE, count INT,
 * ok BOOLEAN, row i holding values derived from i (so tables built by different benchmarks,
 * or as objects and as Arrow batches, hold the same rows).
 */
import * as arrow from "apache-arrow";

/** The benchmark tables' Arrow schema. */
export function benchSchema(): arrow.Schema {
  return new arrow.Schema([
    new arrow.Field("id", new arrow.Int64(), false),
    new arrow.Field("user", new arrow.Utf8()),
    new arrow.Field("score", new arrow.Float64()),
    new arrow.Field("count", new arrow.Int32()),
    new arrow.Field("ok", new arrow.Bool()),
  ]);
}

/** Rows [0, n) as plain objects. */
export function benchRows(n: number): Record<string, unknown>[] {
  const rows = new Array<Record<string, unknown>>(n);
  for (let i = 0; i < n; i++) {
    rows[i] = { id: BigInt(i), user: `user-${i % 1000}`, score: i * 0.5, count: i % 100, ok: (i & 1) === 0 };
  }
  return rows;
}

/** Rows [start, start + n) as one Arrow record batch. */
export function benchBatch(start: number, n: number): arrow.RecordBatch {
  const ids = new BigInt64Array(n);
  const users: string[] = new Array(n);
  const scores = new Float64Array(n);
  const counts = new Int32Array(n);
  const oks: boolean[] = new Array(n);
  for (let i = 0; i < n; i++) {
    const v = start + i;
    ids[i] = BigInt(v);
    users[i] = `user-${v % 1000}`;
    scores[i] = v * 0.5;
    counts[i] = v % 100;
    oks[i] = (v & 1) === 0;
  }
  const t = new arrow.Table(benchSchema(), {
    id: arrow.makeVector(ids),
    user: arrow.vectorFromArray(users, new arrow.Utf8()),
    score: arrow.makeVector(scores),
    count: arrow.makeVector(counts),
    ok: arrow.vectorFromArray(oks, new arrow.Bool()),
  } as unknown as Record<string, arrow.Vector>);
  return t.batches[0]!;
}
