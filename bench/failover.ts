/**
 * Failover: how long the client takes to resume writing (time to the first acknowledged
 * write) after a leader move and after a restart of the leader's tablet server, beside the
 * time of an ordinary acknowledged write on a steady cluster, measured in the same run.
 *
 * The cluster runs in this process (`LocalCluster.start({ tabletServers: 3 })`), since the
 * test hooks (`moveLeader`, `stopTabletServer`, `startTabletServer`) are methods of it.
 * - leader move: the bucket's leadership moves to another tablet server; the clock starts
 *   when `moveLeader` has resolved and stops when a write issued then is acknowledged
 *   (the client learns of the move from NOT_LEADER_OR_FOLLOWER and refreshes metadata).
 * - restart: the leader's tablet server is stopped, a write is issued while it is down,
 *   and the server is started again 200 ms later; the clock starts when
 *   `startTabletServer` has resolved and stops when that write is acknowledged (what the
 *   client's reconnect and retry backoff add to the outage).
 * Each figure is the median of `runs` (default 7). Wired into `npm run bench` by
 * bench/run.ts.
 */
import { performance } from "node:perf_hooks";
import { Config, DataTypes, FlussConnection, LocalCluster, Schema, TableDescriptor, TablePath } from "../src/index.js";

/** One benchmark line, as bench/run.ts prints and records them. */
export interface FailoverBenchResult {
  benchmark: string;
  flussjs: string;
  baseline: string;
  ratio: string;
}

export interface FailoverBenchOptions {
  /** Measured moves and restarts each; the median is reported (default 7). */
  runs?: number;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

const fmtMs = (ms: number): string => `${ms < 10 ? ms.toFixed(2) : ms.toFixed(0)} ms`;

export async function failover(options: FailoverBenchOptions = {}): Promise<FailoverBenchResult[]> {
  const runs = options.runs ?? 7;
  const cluster = await LocalCluster.start({ tabletServers: 3 });
  const conn = await FlussConnection.connect(new Config({ "bootstrap.servers": cluster.bootstrapServers }));
  try {
    const path = new TablePath("fluss", "failover_bench");
    const admin = conn.getAdmin();
    await admin.createTable(
      path,
      new TableDescriptor(
        Schema.fromColumns([
          { name: "id", type: DataTypes.BIGINT() },
          { name: "s", type: DataTypes.STRING() },
        ]),
        { bucketCount: 1 },
      ),
      { ignoreIfExists: true },
    );
    const writer = (await conn.getTable(path)).newAppendWriter();
    let id = 0n;
    const write = async (): Promise<number> => {
      const t0 = performance.now();
      await writer.append({ id: id++, s: "x" }).wait();
      return performance.now() - t0;
    };
    const ids = cluster.tabletServerIds;
    // a known leader to start from, and a warm client
    let leader = ids[0]!;
    await cluster.moveLeader({ table: path, bucket: 0, to: leader });
    for (let i = 0; i < 50; i++) await write();

    const steady: number[] = [];
    for (let i = 0; i < Math.max(50, runs); i++) steady.push(await write());

    const moves: number[] = [];
    for (let i = 0; i < runs; i++) {
      leader = ids[(ids.indexOf(leader) + 1) % ids.length]!;
      await cluster.moveLeader({ table: path, bucket: 0, to: leader });
      moves.push(await write());
      for (let j = 0; j < 5; j++) await write(); // settled before the next move
    }

    const restarts: number[] = [];
    for (let i = 0; i < runs; i++) {
      await cluster.stopTabletServer(leader);
      const t0 = { at: 0 };
      const acked = writer
        .append({ id: id++, s: "x" })
        .wait()
        .then(() => performance.now() - t0.at);
      await new Promise((r) => setTimeout(r, 200));
      await cluster.startTabletServer(leader);
      t0.at = performance.now();
      restarts.push(await acked);
      for (let j = 0; j < 5; j++) await write();
    }
    await writer.close();
    await admin.dropTable(path, { ignoreIfNotExists: true });

    const base = median(steady);
    const row = (benchmark: string, xs: number[]): FailoverBenchResult => ({
      benchmark,
      flussjs: fmtMs(median(xs)),
      baseline: `${fmtMs(base)} (acknowledged write, steady cluster)`,
      ratio: `${(median(xs) / base).toFixed(1)}x`,
    });
    return [
      row("resume writing after a leader move (time to first ack)", moves),
      row("resume writing after a tablet-server restart (time to first ack after the start)", restarts),
    ];
  } finally {
    await conn.close();
    await cluster.close();
  }
}

// `tsx bench/failover.ts` runs it alone
if (import.meta.url === `file://${process.argv[1]}`) {
  for (const r of await failover()) console.log(`${r.benchmark}: ${r.flussjs} vs ${r.baseline} = ${r.ratio}`);
}
