// Fails when the emitted declarations (dist/, run after `npm run build`) do not type-check
// on their own, as a user's compiler sees them with `skipLibCheck: false`. Catches what
// `stripInternal` can break: a declaration marked `@internal` that another declaration still
// names (a base class, an import, a member an `implements` clause needs) is removed from the
// .d.ts, and users' compilers then report missing names or type members as `any`.
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const tsc = path.join(root, "node_modules", "typescript", "bin", "tsc");
const dir = fs.mkdtempSync(path.join(os.tmpdir(), "flussjs-dts-"));
try {
  fs.writeFileSync(
    path.join(dir, "tsconfig.json"),
    JSON.stringify({
      compilerOptions: {
        target: "ES2022",
        module: "NodeNext",
        moduleResolution: "NodeNext",
        lib: ["ES2022", "ESNext.Disposable"],
        strict: true,
        noEmit: true,
        skipLibCheck: false,
        types: ["node"],
        typeRoots: [path.join(root, "node_modules", "@types")],
      },
      files: [path.join(root, "dist", "index.d.ts")],
    }),
  );
  const r = spawnSync(process.execPath, [tsc, "-p", path.join(dir, "tsconfig.json")], { encoding: "utf8" });
  if (r.status !== 0) {
    console.error(`The declarations in dist/ do not type-check:\n${r.stdout}${r.stderr}`);
    process.exit(1);
  }
  console.log("Declarations: dist/index.d.ts and everything it references type-check");
} finally {
  fs.rmSync(dir, { recursive: true, force: true });
}
