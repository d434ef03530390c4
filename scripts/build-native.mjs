// Builds the optional SSE4.2 CRC-32C addon (native/crc32c.c) with the system C compiler at
// install time. It never fails the install: without an x86-64 CPU, a compiler or Node's
// headers, flussjs computes CRC-32C with @node-rs/crc32 instead (about half as fast).
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const source = path.join(root, "native", "crc32c.c");
const out = path.join(root, "native", "build", "crc32c.node");

function skip(why) {
  console.log(`flussjs: native CRC-32C not built (${why}); @node-rs/crc32 will be used`);
  process.exit(0);
}

if (process.env.FLUSSJS_NO_NATIVE) skip("FLUSSJS_NO_NATIVE is set");
if (process.arch !== "x64" || !["linux", "darwin"].includes(process.platform)) skip(`${process.platform}-${process.arch}`);
if (!fs.existsSync(source)) skip("no source");
const include = [
  path.resolve(path.dirname(process.execPath), "..", "include", "node"),
  process.env.npm_config_nodedir ? path.join(process.env.npm_config_nodedir, "include", "node") : "",
].find((dir) => dir && fs.existsSync(path.join(dir, "node_api.h")));
if (!include) skip("Node's headers were not found");

const cc = process.env.CC || "cc";
const args = ["-O3", "-msse4.2", "-shared", "-fPIC", `-I${include}`, source, "-o", out];
if (process.platform === "darwin") args.push("-undefined", "dynamic_lookup");
fs.mkdirSync(path.dirname(out), { recursive: true });
const run = spawnSync(cc, args, { stdio: ["ignore", "ignore", "pipe"] });
if (run.error || run.status !== 0) {
  fs.rmSync(out, { force: true });
  skip(`${cc} failed: ${run.error?.message ?? String(run.stderr).trim().split("\n")[0]}`);
}
console.log("flussjs: built the native CRC-32C (SSE4.2)");
