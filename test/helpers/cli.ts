/**
 * Runs the built `flussjs` command line as a child process: `bin/flussjs.js` of the working
 * tree when its `dist` is newer than every source (CI builds first), else of a copy built
 * once into a temp folder (shared by the test files of one source state).
 */
import { spawn, execFileSync, type ChildProcess } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { fileURLToPath } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..");

function newestMtime(p: string): number {
  const st = fs.statSync(p);
  if (!st.isDirectory()) return st.mtimeMs;
  return Math.max(0, ...fs.readdirSync(p).map((e) => newestMtime(path.join(p, e))));
}

let binPath: string | undefined;

/** The path of a `bin/flussjs.js` whose `dist` matches the sources. */
export function cliBin(): string {
  if (binPath) return binPath;
  const newest = Math.max(...["src", "bin", "package.json", "tsconfig.json"].map((f) => newestMtime(path.join(root, f))));
  const built = path.join(root, "dist", "cli", "main.js");
  if (fs.existsSync(built) && fs.statSync(built).mtimeMs > newest) return (binPath = path.join(root, "bin", "flussjs.js"));
  const stage = path.join(os.tmpdir(), `flussjs-cli-build-${Math.floor(newest)}`);
  if (!fs.existsSync(path.join(stage, "dist", "cli", "main.js"))) {
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "flussjs-cli-stage-"));
    for (const f of ["src", "bin", "package.json", "tsconfig.json"])
      fs.cpSync(path.join(root, f), path.join(tmp, f), { recursive: true });
    fs.symlinkSync(path.join(root, "node_modules"), path.join(tmp, "node_modules"));
    execFileSync(process.execPath, [path.join(root, "node_modules", "typescript", "bin", "tsc"), "-p", "tsconfig.json"], {
      cwd: tmp,
      stdio: "inherit",
    });
    try {
      fs.renameSync(tmp, stage);
    } catch {
      fs.rmSync(tmp, { recursive: true, force: true }); // another test file built it first
    }
  }
  return (binPath = path.join(stage, "bin", "flussjs.js"));
}

/** What a finished run printed and its exit code. */
export interface CliResult {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
}

export interface CliRunOptions {
  /** Written to stdin (then closed); default: stdin closed at once. */
  readonly input?: string;
  /** Leave stdin open for the caller (`child.stdin`). */
  readonly keepStdinOpen?: boolean;
  /** FLUSS_BOOTSTRAP_SERVERS for the child. */
  readonly servers?: string;
  readonly env?: Readonly<Record<string, string>>;
  readonly timeoutMs?: number;
}

/** Starts `flussjs ...args`; the caller reads its output and waits for `done`. */
export function startCli(
  args: readonly string[],
  opts: CliRunOptions = {},
): { child: ChildProcess; stdout(): string; stderr(): string; done: Promise<CliResult> } {
  const env: Record<string, string | undefined> = { ...process.env, ...opts.env };
  delete env.FLUSS_BOOTSTRAP_SERVERS;
  if (opts.servers !== undefined) env.FLUSS_BOOTSTRAP_SERVERS = opts.servers;
  const child = spawn(process.execPath, [cliBin(), ...args], { env, stdio: ["pipe", "pipe", "pipe"] });
  let out = "";
  let err = "";
  child.stdout!.setEncoding("utf8").on("data", (d: string) => (out += d));
  child.stderr!.setEncoding("utf8").on("data", (d: string) => (err += d));
  child.stdin!.on("error", () => undefined);
  if (opts.input !== undefined) child.stdin!.end(opts.input);
  else if (!opts.keepStdinOpen) child.stdin!.end();
  const timer = setTimeout(() => child.kill("SIGKILL"), opts.timeoutMs ?? 60_000);
  const done = new Promise<CliResult>((resolve) => {
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout: out, stderr: err });
    });
  });
  return { child, stdout: () => out, stderr: () => err, done };
}

/** Runs `flussjs ...args` to its end. */
export function runCli(args: readonly string[], opts: CliRunOptions = {}): Promise<CliResult> {
  return startCli(args, opts).done;
}

/** The lines of JSON Lines output, parsed. */
export function jsonLines(text: string): Record<string, unknown>[] {
  return text
    .split("\n")
    .filter((l) => l.trim() !== "")
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}
