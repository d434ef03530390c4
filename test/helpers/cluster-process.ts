/**
 * The local cluster in a child process, for tests that kill it or limit its resources:
 * `startClusterProcess({ dataDir })` spawns `node --import tsx cluster-child.ts` (optionally
 * under `bash -c 'ulimit -n N; exec …'`), waits for its address, and collects its stderr.
 */
import { spawn, type ChildProcess } from "node:child_process";
import * as path from "node:path";
import { fileURLToPath } from "node:url";

const CHILD = path.join(path.dirname(fileURLToPath(import.meta.url)), "cluster-child.ts");

export interface ClusterProcess {
  readonly child: ChildProcess;
  readonly pid: number;
  readonly bootstrapServers: string;
  /** Everything the child wrote to stderr so far (its warnings and errors). */
  stderr(): string;
  /** Resolves with the exit code (or signal) once the child has exited. */
  readonly exited: Promise<number | string>;
  /** SIGTERM (clean close) or SIGKILL, then waits for the exit. */
  stop(signal?: NodeJS.Signals): Promise<number | string>;
}

export interface ClusterProcessOptions {
  readonly dataDir: string;
  /** Soft and hard RLIMIT_NOFILE of the child (bash `ulimit -n`). */
  readonly maxOpenFiles?: number;
  /** Extra LocalCluster options, as JSON. */
  readonly options?: Record<string, unknown>;
  readonly startTimeoutMs?: number;
}

/** Starts the child; rejects with its stderr if it exits or does not listen in time. */
export function startClusterProcess(opts: ClusterProcessOptions): Promise<ClusterProcess> {
  const args = ["--import", "tsx", CHILD, JSON.stringify({ dataDir: opts.dataDir, ...opts.options })];
  const child =
    opts.maxOpenFiles === undefined
      ? spawn(process.execPath, args, { stdio: ["ignore", "pipe", "pipe"] })
      : spawn("bash", ["-c", `ulimit -n ${opts.maxOpenFiles} && exec "$0" "$@"`, process.execPath, ...args], {
          stdio: ["ignore", "pipe", "pipe"],
        });
  let err = "";
  let out = "";
  child.stderr!.on("data", (d: Buffer) => (err += d.toString()));
  const exited = new Promise<number | string>((resolve) =>
    child.on("exit", (code, signal) => resolve(code ?? signal ?? "unknown")),
  );
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`cluster child did not start in time; stderr:\n${err}`));
    }, opts.startTimeoutMs ?? 20_000);
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`cluster child exited (${code}) before listening; stderr:\n${err}`));
    });
    child.stdout!.on("data", (d: Buffer) => {
      out += d.toString();
      const m = /^LISTENING (\S+)$/m.exec(out);
      if (!m) return;
      clearTimeout(timer);
      resolve({
        child,
        pid: child.pid!,
        bootstrapServers: m[1]!,
        stderr: () => err,
        exited,
        stop: (signal = "SIGTERM") => {
          if (child.exitCode === null && child.signalCode === null) child.kill(signal);
          return exited;
        },
      });
    });
  });
}
