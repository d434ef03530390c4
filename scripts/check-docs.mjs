// Fails when a public symbol of the package lacks TSDoc: every name exported by
// dist/index.d.ts, and every public member of those classes and interfaces. Reads the
// emitted declarations (run after `npm run build`), so what it checks is what users see.
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const dist = path.join(root, "dist");
const index = fs.readFileSync(path.join(dist, "index.d.ts"), "utf8");

/** name exported → declaration file */
const exported = [];
for (const m of index.matchAll(/export\s*(type\s*)?\{([^}]*)\}\s*from\s*"([^"]+)"/g)) {
  const file = path.join(dist, m[3].replace(/\.js$/, ".d.ts"));
  for (let spec of m[2].split(",")) {
    spec = spec.trim().replace(/^type\s+/, "");
    if (!spec) continue;
    const [local] = spec.split(/\s+as\s+/);
    exported.push({ name: local.trim(), file });
  }
}

const missing = [];
const documented = (lines, i) => {
  for (let j = i - 1; j >= 0; j--) {
    const t = lines[j].trim();
    if (t === "") continue;
    return t.endsWith("*/");
  }
  return false;
};

for (const { name, file } of exported) {
  const lines = fs.readFileSync(file, "utf8").split("\n");
  const decl = new RegExp(
    `^export (declare )?(abstract )?(class|interface|type|function|const|enum|namespace) ${name}\\b`,
  );
  const at = lines.findIndex((l) => decl.test(l));
  if (at < 0) continue; // re-exported from elsewhere under another name; checked there
  const rel = path.relative(root, file);
  if (!documented(lines, at)) missing.push(`${rel}:${at + 1} ${name}`);
  if (!/\b(class|interface)\b/.test(lines[at]) || !lines[at].trimEnd().endsWith("{")) continue;
  // members: lines at depth 1 until the closing brace
  let depth = 1;
  let internalNext = false;
  for (let i = at + 1; i < lines.length && depth > 0; i++) {
    const line = lines[i];
    const t = line.trim();
    if (depth === 1 && t.startsWith("/**") && t.includes("@internal")) internalNext = true;
    const memberLine = depth === 1 && /^ {4}\S/.test(line) && !t.startsWith("/**") && !t.startsWith("*");
    if (memberLine) {
      const isPrivate = /^(private|protected|#private)\b/.test(t) || t.startsWith("#");
      const member = t.match(/^(?:static\s+|readonly\s+|get\s+|set\s+|async\s+|abstract\s+|\[)*([A-Za-z_$][\w$.]*)/)?.[1] ?? t;
      if (!isPrivate && !internalNext && !t.startsWith("[Symbol.") && !t.startsWith("}") && !t.startsWith(")") && !documented(lines, i)) {
        // a setter paired with a documented getter is fine
        const pairedGetter = t.startsWith("set ") && lines.some((l) => l.trim().startsWith(`get ${member}(`));
        if (!pairedGetter) missing.push(`${rel}:${i + 1} ${name}.${member}`);
      }
      internalNext = false;
    }
    for (const c of line) {
      if (c === "{" || c === "(") depth++;
      else if (c === "}" || c === ")") depth--;
    }
  }
}

if (missing.length > 0) {
  console.error(`${missing.length} public symbols lack TSDoc:\n  ${missing.join("\n  ")}`);
  process.exit(1);
}
console.log(`TSDoc: all ${exported.length} exported names and their public members are documented`);
