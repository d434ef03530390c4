/**
 * The cluster integration tests run against: an embedded LocalCluster by default, or the
 * Apache Fluss cluster named by FLUSS_BOOTSTRAP_SERVERS (same tests, no edits).
 */
import { randomBytes } from "node:crypto";
import { Config, FlussConnection, LocalCluster } from "../../src/index.js";

export interface TestCluster {
  readonly bootstrapServers: string;
  /** True when running against an external cluster (restart tests are skipped). */
  readonly external: boolean;
  /** The embedded cluster, when there is one. */
  readonly local: LocalCluster | undefined;
  connect(extra?: Record<string, unknown>): Promise<FlussConnection>;
  close(): Promise<void>;
}

export const EXTERNAL_SERVERS = process.env.FLUSS_BOOTSTRAP_SERVERS;

export async function startTestCluster(options: { dataDir?: string } = {}): Promise<TestCluster> {
  const local = EXTERNAL_SERVERS ? undefined : await LocalCluster.start(options.dataDir ? { dataDir: options.dataDir } : {});
  const bootstrapServers = EXTERNAL_SERVERS ?? local!.bootstrapServers;
  return {
    bootstrapServers,
    external: local === undefined,
    local,
    connect: (extra = {}) => FlussConnection.connect(new Config({ "bootstrap.servers": bootstrapServers, ...extra })),
    close: async () => {
      await local?.close();
    },
  };
}

/** A database name unique to this run, so tests never collide on a shared cluster. */
export function uniqueName(prefix: string): string {
  return `${prefix}_${randomBytes(4).toString("hex")}`;
}

/** A cluster, a connection and a fresh database `db` on it (the e2e files' `before`). */
export async function openTestDatabase(
  db: string,
  connectConfig: Record<string, unknown> = {},
): Promise<{ cluster: TestCluster; conn: FlussConnection }> {
  const cluster = await startTestCluster();
  const conn = await cluster.connect(connectConfig);
  await conn.getAdmin().createDatabase(db);
  return { cluster, conn };
}

/** Drops `db`, then closes the connection and the cluster (the e2e files' `after`). */
export async function closeTestDatabase(cluster: TestCluster, conn: FlussConnection, db: string): Promise<void> {
  await conn
    .getAdmin()
    .dropDatabase(db, { ignoreIfNotExists: true, cascade: true })
    .catch(() => undefined);
  await conn.close();
  await cluster.close();
}
