/**
 * The package as users get it: built and packed like `npm publish` would (into a temp
 * folder, from a copy of the shipped files), installed into a fresh app with `npm install
 * <tarball>` (dependencies from the npm cache: no compiling, no downloads outside the
 * registry), then `import`ed (a ZSTD write and read against the bundled LocalCluster) and
 * `require`d, with LICENSE present and every source map pointing at shipped files.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..");

function run(cmd: string, args: string[], cwd: string): string {
  return execFileSync(cmd, args, { cwd, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"], timeout: 120_000 });
}

function mapFiles(dir: string): string[] {
  const out: string[] = [];
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) out.push(...mapFiles(p));
    else if (e.name.endsWith(".map")) out.push(p);
  }
  return out;
}

function newestMtime(p: string): number {
  const st = fs.statSync(p);
  if (!st.isDirectory()) return st.mtimeMs;
  return Math.max(0, ...fs.readdirSync(p).map((e) => newestMtime(path.join(p, e))));
}

function distIsFresh(): boolean {
  const built = path.join(root, "dist", "index.js");
  if (!fs.existsSync(built)) return false;
  const inputs = ["src", "package.json", "tsconfig.json"].map((f) => newestMtime(path.join(root, f)));
  return fs.statSync(built).mtimeMs > Math.max(...inputs);
}

test("npm pack + install into an app: import, require, LICENSE, source maps", { timeout: 180_000 }, () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "flussjs-pkg-"));
  try {
    // Packed from the working tree when its dist is newer than every source (CI builds
    // first), else from a copy of the shipped files built in a temp folder.
    let stage = root;
    if (!distIsFresh()) {
      stage = path.join(tmp, "stage");
      fs.mkdirSync(stage);
      const pkg = JSON.parse(fs.readFileSync(path.join(root, "package.json"), "utf8")) as { files: string[] };
      for (const f of [...pkg.files, "package.json", "tsconfig.json"]) {
        if (f === "dist" || !fs.existsSync(path.join(root, f))) continue;
        fs.cpSync(path.join(root, f), path.join(stage, f), {
          recursive: true,
          filter: (src) => !src.includes(`${path.sep}build${path.sep}`),
        });
      }
      fs.symlinkSync(path.join(root, "node_modules"), path.join(stage, "node_modules"));
      run(process.execPath, [path.join(root, "node_modules", "typescript", "bin", "tsc"), "-p", "tsconfig.json"], stage);
    }
    const packed = JSON.parse(run("npm", ["pack", "--ignore-scripts", "--json", "--pack-destination", tmp], stage)) as {
      filename: string;
      files: { path: string }[];
    }[];
    const shipped = new Set(packed[0]!.files.map((f) => f.path));
    assert.ok(
      shipped.has("LICENSE") && shipped.has("dist/index.js") && shipped.has("src/index.ts"),
      "LICENSE, dist and src are shipped",
    );
    assert.ok(![...shipped].some((f) => f.startsWith("test/") || f.startsWith("bench/")), "no tests or benchmarks shipped");

    const app = path.join(tmp, "app");
    fs.mkdirSync(app);
    fs.writeFileSync(path.join(app, "package.json"), JSON.stringify({ name: "app", version: "1.0.0", private: true }));
    const log = run(
      "npm",
      ["install", "--prefer-offline", "--no-audit", "--no-fund", "--foreground-scripts", path.join(tmp, packed[0]!.filename)],
      app,
    );
    assert.doesNotMatch(log, /node-gyp|gyp info|prebuild-install/, "no dependency compiles or downloads a binary");
    const installed = path.join(app, "node_modules", "flussjs");
    const license = fs.readFileSync(path.join(installed, "LICENSE"), "utf8");
    assert.match(license, /Apache License\s+Version 2\.0, January 2004/);
    assert.match(license, /END OF TERMS AND CONDITIONS/);

    for (const map of mapFiles(path.join(installed, "dist"))) {
      const { sources } = JSON.parse(fs.readFileSync(map, "utf8")) as { sources: string[] };
      for (const s of sources) {
        assert.ok(fs.existsSync(path.resolve(path.dirname(map), s)), `${path.relative(installed, map)} points to missing ${s}`);
      }
    }

    fs.writeFileSync(
      path.join(app, "esm.mjs"),
      `import { LocalCluster, FlussConnection, Config, Schema, DataTypes, TableDescriptor, TablePath, EARLIEST_OFFSET } from "flussjs";
const cluster = await LocalCluster.start();
const conn = await FlussConnection.connect(new Config({ "bootstrap.servers": cluster.bootstrapServers }));
const admin = conn.getAdmin();
await admin.createDatabase("pkg");
const path = new TablePath("pkg", "t");
await admin.createTable(path, new TableDescriptor(Schema.fromColumns([{ name: "s", type: DataTypes.STRING() }]), { bucketCount: 1 }));
const table = await conn.getTable(path);
const writer = await table.newAppendWriter();
for (let i = 0; i < 1000; i++) writer.append({ s: "value " + (i % 10) });
await writer.flush();
await writer.close();
const scanner = await table.newScan().createBatchScanner();
scanner.subscribe(0, EARLIEST_OFFSET);
const rows = await scanner.toRows();
await scanner.close();
await conn.close();
await cluster.close();
console.log(JSON.stringify({ rows: rows.length, last: rows.at(-1).s }));
`,
    );
    assert.deepEqual(JSON.parse(run(process.execPath, ["esm.mjs"], app)), { rows: 1000, last: "value 9" });

    fs.writeFileSync(
      path.join(app, "cjs.cjs"),
      `const flussjs = require("flussjs");
const { Config, LocalCluster } = require("flussjs");
console.log(JSON.stringify({ config: typeof Config, cluster: typeof LocalCluster, acks: new Config({ "writer.acks": 0 }).acks, n: Object.keys(flussjs).length }));
`,
    );
    const major = Number(process.versions.node.split(".")[0]);
    const minor = Number(process.versions.node.split(".")[1]);
    if (major > 22 || (major === 22 && minor >= 12) || (major === 20 && minor >= 19)) {
      const out = JSON.parse(run(process.execPath, ["cjs.cjs"], app)) as {
        config: string;
        cluster: string;
        acks: number;
        n: number;
      };
      assert.deepEqual({ ...out, n: out.n > 20 }, { config: "function", cluster: "function", acks: 0, n: true });
    }
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
});
