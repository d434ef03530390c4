/**
 * Runs `flussjs local` in a child process, so the benchmarked client and the server each
 * have their own event loop (as with any real deployment) instead of sharing one thread.
 */
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";

export interface ClusterProcess {
  readonly bootstrapServers: string;
  /** The child's process id (for CPU-time readings from /proc). */
  readonly pid: number | undefined;
  close(): Promise<void>;
}

export async function startClusterProcess(): Promise<ClusterProcess> {
  const cli = fileURLToPath(new URL("../src/cli/main.ts", import.meta.url));
  const child = spawn(
    process.execPath,
    [
      ...(process.env.PROFILE_SERVER ? ["--cpu-prof", "--cpu-prof-dir=/tmp/prof/server"] : []),
      // e.g. BENCH_SERVER_FLAGS="--trace-gc": Node flags of the server (its output goes to stderr)
      ...(process.env.BENCH_SERVER_FLAGS ? process.env.BENCH_SERVER_FLAGS.split(" ") : []),
      "--import",
      "tsx",
      "-e",
      `import(${JSON.stringify(cli)}).then((m) => m.main(["local", "--port", "0"])).then((c) => process.exit(c))`,
    ],
    { stdio: ["ignore", "pipe", "inherit"] },
  );
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const bootstrapServers = await new Promise<string>((resolve, reject) => {
    let out = "";
    child.stdout.on("data", (chunk: Buffer) => {
      if (process.env.BENCH_SERVER_FLAGS) process.stderr.write(chunk);
      out += chunk.toString();
      const m = /bootstrap\.servers\s+(\S+)/.exec(out);
      if (m) resolve(m[1]!);
    });
    child.once("exit", (code) => reject(new Error(`flussjs local exited with code ${code}: ${out}`)));
  });
  return {
    bootstrapServers,
    pid: child.pid,
    close: async () => {
      child.kill("SIGINT");
      await exited;
    },
  };
}
