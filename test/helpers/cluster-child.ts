/** Child process of `cluster-process.ts`: a LocalCluster until SIGTERM (closed cleanly). */
import { LocalCluster, type LocalClusterOptions } from "../../src/index.js";

const options = JSON.parse(process.argv[2] ?? "{}") as LocalClusterOptions;
const cluster = await LocalCluster.start({
  ...options,
  logger: {
    info: () => {},
    warn: (m) => process.stderr.write(`[warn] ${m}\n`),
    error: (m, e) => process.stderr.write(`[error] ${m}${e instanceof Error ? `: ${e.message}` : ""}\n`),
  },
});
process.stdout.write(`LISTENING ${cluster.bootstrapServers}\n`);
process.on("SIGTERM", () => {
  void cluster.close().then(() => process.exit(0));
});
