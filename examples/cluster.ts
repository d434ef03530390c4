/**
 * Where the examples connect: the cluster in FLUSS_BOOTSTRAP_SERVERS when set, otherwise an
 * embedded local cluster they start and stop themselves.
 */
import { Config, LocalCluster } from "../src/index.js";

export interface ExampleCluster extends AsyncDisposable {
  readonly config: Config;
}

export async function exampleCluster(bootstrapServers = process.env.FLUSS_BOOTSTRAP_SERVERS): Promise<ExampleCluster> {
  const local = bootstrapServers ? undefined : await LocalCluster.start();
  return {
    config: new Config({ "bootstrap.servers": bootstrapServers ?? local!.bootstrapServers }),
    [Symbol.asyncDispose]: async () => {
      await local?.close();
    },
  };
}

/** Runs an example's `main` when its file is executed directly (`tsx examples/x.ts`). */
export function runIfMain(moduleUrl: string, main: () => Promise<unknown>): void {
  if (moduleUrl === `file://${process.argv[1]}`) {
    main().catch((err: unknown) => {
      console.error(err);
      process.exitCode = 1;
    });
  }
}
