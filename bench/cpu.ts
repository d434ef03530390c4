/** CPU time of the bench client and of the cluster process (these hold under load where wall-clock figures do not). */
import * as fs from "node:fs";

/** CPU time (ms) of a process from /proc (Linux), or undefined. */
function processCpuMs(pid: number | undefined): number | undefined {
  if (pid === undefined) return undefined;
  try {
    const fields = fs.readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.split(" ");
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100; // clock ticks of 10 ms
  } catch {
    return undefined;
  }
}

/** CPU ms of this process and of the server spent in `fn`, beside its result. */
export async function withCpu<T>(
  serverPid: number | undefined,
  fn: () => Promise<T>,
): Promise<{ value: T; client: number; server: number | undefined }> {
  const c0 = process.cpuUsage();
  const s0 = processCpuMs(serverPid);
  const value = await fn();
  const c = process.cpuUsage(c0);
  const s1 = processCpuMs(serverPid);
  return { value, client: (c.user + c.system) / 1000, server: s0 !== undefined && s1 !== undefined ? s1 - s0 : undefined };
}
