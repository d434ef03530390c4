// `npm run docs`: builds the HTML API reference (docs/api/, git-ignored) from the TSDoc of
// every export of src/index.ts with TypeDoc, failing on any warning (a link that does not
// resolve, a public type that is referenced but not exported, ...; docs/typedoc.json).
//
// TypeDoc 0.28 runs on the JavaScript API of TypeScript 5.x/6.0; the project compiles with
// TypeScript 7 (tsgo), which has none. So TypeDoc and its TypeScript live in their own small
// package, docs/tool (own package.json and lock), installed here with `npm ci --prefix
// docs/tool` on first use; the project's dependency tree stays as it is.
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const tool = path.join(root, "docs", "tool");
const typedoc = path.join(tool, "node_modules", "typedoc", "bin", "typedoc");

function run(command, args) {
  const r = spawnSync(command, args, { cwd: root, stdio: "inherit" });
  if (r.error) throw r.error;
  if (r.status !== 0) process.exit(r.status ?? 1);
}

if (!fs.existsSync(typedoc)) {
  const npm = process.platform === "win32" ? "npm.cmd" : "npm";
  run(npm, ["ci", "--prefix", tool, "--no-audit", "--no-fund"]);
}
run(process.execPath, [typedoc, "--options", path.join(root, "docs", "typedoc.json"), ...process.argv.slice(2)]);
