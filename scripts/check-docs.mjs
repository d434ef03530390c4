// Fails when a public symbol of the package lacks TSDoc: every name exported by
// dist/index.d.ts, and every public member of those classes, interfaces, object types and
// `declare const` objects, inherited members included. Reads the emitted declarations (run
// after `npm run build`), so what it checks is what users see.
//
// A member counts as documented when a `/** ... */` block stands right before it, or when it
// overrides a documented member of a base in the package (editors show the base's doc then);
// a setter counts as documented with a documented getter; each overload signature needs its
// own doc (editors show the doc of the overload that matched). Also fails when a name or a
// base class cannot be found in the declarations (e.g. stripped by `@internal`).
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const dist = path.join(root, "dist");
const indexFile = path.join(dist, "index.d.ts");

const cache = new Map();
/** The lines of a declaration file, or undefined when it does not exist. */
function linesOf(file) {
  if (!cache.has(file)) cache.set(file, fs.existsSync(file) ? fs.readFileSync(file, "utf8").split("\n") : undefined);
  return cache.get(file);
}
/** The declaration file of a relative module specifier; undefined for packages. */
function resolve(fromFile, spec) {
  if (!spec.startsWith(".")) return undefined;
  return path.resolve(path.dirname(fromFile), spec.replace(/\.js$/, ".d.ts"));
}
const rel = (file) => path.relative(root, file);

/** `{ a, type b, c as d }` → [{ local: "a", exported: "a" }, ...] */
function specifiers(list) {
  const out = [];
  for (let spec of list.split(",")) {
    spec = spec.trim().replace(/^type\s+/, "");
    if (!spec) continue;
    const [local, exported] = spec.split(/\s+as\s+/).map((s) => s.trim());
    out.push({ local, exported: exported ?? local });
  }
  return out;
}

/** Names exported by a declaration file: name → file where to look for it. */
function exportsOf(file) {
  const text = linesOf(file).join("\n");
  const out = [];
  for (const m of text.matchAll(/export\s*(?:type\s*)?\{([^}]*)\}\s*from\s*"([^"]+)"/g)) {
    const target = resolve(file, m[2]);
    for (const s of specifiers(m[1])) out.push({ name: s.exported, local: s.local, file: target ?? file });
  }
  for (const m of text.matchAll(/export\s*\*\s*from\s*"([^"]+)"/g)) {
    const target = resolve(file, m[1]);
    if (target && linesOf(target)) {
      for (const e of exportsOf(target)) out.push(e);
      for (const d of linesOf(target)
        .join("\n")
        .matchAll(
          /^export (?:declare )?(?:abstract )?(?:class|interface|type|function|const|let|var|enum|namespace) ([\w$]+)/gm,
        )) {
        out.push({ name: d[1], local: d[1], file: target });
      }
    }
  }
  return out;
}

const DECL = (name, exported) =>
  new RegExp(
    `^${exported ? "export " : "(export )?"}(declare )?(abstract )?(const enum|class|interface|type|function|const|let|var|enum|namespace) ${name.replace(/\$/g, "\\$")}\\b`,
  );

/**
 * Where `name` is declared, starting from `file`: its own declaration, a re-export
 * (`export { name } from`), or an import (`import { name } from`, for bases). Undefined
 * when it is not in the package's declarations (a global or another package's type).
 */
function findDecl(file, name, { exported = true, seen = new Set() } = {}) {
  const key = `${file}#${name}`;
  if (seen.has(key)) return undefined;
  seen.add(key);
  const lines = linesOf(file);
  if (!lines) return { missing: true, file };
  const at = lines.findIndex((l) => DECL(name, exported).test(l));
  if (at >= 0) return { file, at };
  const text = lines.join("\n");
  for (const m of text.matchAll(/(?:export|import)\s*(?:type\s*)?\{([^}]*)\}\s*from\s*"([^"]+)"/g)) {
    const hit = specifiers(m[1]).find((s) => s.exported === name);
    if (!hit) continue;
    const target = resolve(file, m[2]);
    if (!target) return undefined; // another package
    return findDecl(target, hit.local, { exported: true, seen }) ?? { missing: true, file: target };
  }
  return exported ? { missing: true, file } : undefined;
}

/**
 * Scans declaration text from line `from`, skipping comments and string literals, and calls
 * `onLine(i, depthAtStart)` for each line. Stops after the brace opened on the first line
 * closes. Returns the index of the last line.
 */
function walkBody(lines, from, onLine) {
  let depth = 0;
  let opened = false;
  let inBlock = false;
  for (let i = from; i < lines.length; i++) {
    const line = lines[i];
    if (opened) onLine(i, depth, inBlock);
    let quote = "";
    for (let k = 0; k < line.length; k++) {
      const c = line[k];
      if (inBlock) {
        if (c === "*" && line[k + 1] === "/") (inBlock = false), k++;
        continue;
      }
      if (quote) {
        if (c === "\\") k++;
        else if (c === quote) quote = "";
        continue;
      }
      if (c === "/" && line[k + 1] === "*") (inBlock = true), k++;
      else if (c === "/" && line[k + 1] === "/") break;
      else if (c === '"' || c === "'" || c === "`") quote = c;
      else if (c === "{" || c === "(" || c === "[") {
        depth++;
        if (c === "{" && !opened) opened = true;
      } else if (c === "}" || c === ")" || c === "]") {
        depth--;
        if (opened && depth === 0) return i;
      }
    }
    if (!opened && /;\s*$/.test(line)) return i; // `type X = A | B;`: no body
  }
  return lines.length - 1;
}

/** Whether a `/** ... *\/` block ends right before line `i` (blank lines allowed). */
function documented(lines, i) {
  let j = i - 1;
  while (j >= 0 && lines[j].trim() === "") j--;
  if (j < 0 || !lines[j].trim().endsWith("*/")) return false;
  while (j >= 0 && !lines[j].includes("/*")) j--;
  return j >= 0 && /\/\*\*(?!\/)/.test(lines[j]);
}

const MODIFIERS = /^(?:(?:public|static|readonly|declare|abstract|override|accessor|async|get|set)\s+)*/;

/** The members of the body opened at or after line `at`: name, line, kind, visibility. */
function membersOf(lines, at) {
  const members = [];
  walkBody(lines, at, (i, depth, inBlock) => {
    const t = lines[i].trim();
    if (depth !== 1 || inBlock || t === "" || t.startsWith("/*") || t.startsWith("*") || t.startsWith("//")) return;
    if (/^[}\])]/.test(t)) return;
    const hidden = /^(private|protected)\b/.test(t) || t.startsWith("#");
    const rest = t.replace(/^(?:private|protected)\s+/, "").replace(MODIFIERS, "");
    const kind = /^get\s/.test(t.replace(/^(?:static\s+)/, ""))
      ? "get"
      : /^set\s/.test(t.replace(/^(?:static\s+)/, ""))
        ? "set"
        : "";
    let name;
    const q = rest.match(/^(["'])(.*?)\1/);
    if (q) name = q[2];
    else if (rest.startsWith("[") || rest.startsWith("-readonly") || rest.startsWith("+readonly"))
      name = undefined; // index or mapped signature, [Symbol.x]
    else if (/^new\s*[(<]/.test(rest)) name = "new";
    else if (/^[(<]/.test(rest)) name = "(call)";
    else name = rest.match(/^([A-Za-z_$][\w$]*)/)?.[1];
    if (name === undefined) return;
    members.push({ name, line: i, kind, hidden, documented: documented(lines, i) });
  });
  return members;
}

/** The names after `extends` in a class or interface header (not `implements`). */
function basesOf(lines, at) {
  let header = "";
  for (let i = at; i < lines.length; i++) {
    header += ` ${lines[i]}`;
    if (lines[i].includes("{")) break;
  }
  header = header.slice(0, header.indexOf("{") >= 0 ? header.indexOf("{") : undefined);
  const m = header.match(/\bextends\s+(.*?)(?:\bimplements\b|$)/);
  if (!m) return [];
  const names = [];
  let angle = 0;
  let cur = "";
  for (const c of m[1]) {
    if (c === "<") angle++;
    else if (c === ">") angle--;
    if (c === "," && angle === 0) names.push(cur), (cur = "");
    else cur += c;
  }
  names.push(cur);
  return names.map((n) => n.trim().match(/^([\w$.]+)/)?.[1]).filter(Boolean);
}

const missing = [];
const reported = new Set();
function report(file, line, what) {
  const key = `${file}:${line}`;
  if (reported.has(key)) return;
  reported.add(key);
  missing.push(`${rel(file)}:${line + 1} ${what}`);
}

/**
 * Checks the members of the class/interface/object type declared at `file:at`, then those
 * of its bases. `documentedAbove`: names documented in a derived declaration.
 */
function checkMembers(label, file, at, documentedAbove, seen) {
  const key = `${file}:${at}`;
  if (seen.has(key)) return;
  seen.add(key);
  const lines = linesOf(file);
  const members = membersOf(lines, at);
  const documentedHere = new Set(documentedAbove);
  for (const m of members) if (m.documented && !m.hidden && m.kind !== "set") documentedHere.add(m.name);
  const ownName = lines[at].match(/(?:class|interface|type|const|let|var) ([\w$]+)/)?.[1];
  const bases = /\b(class|interface)\b/.test(lines[at]) ? basesOf(lines, at) : [];
  const baseDecls = [];
  for (const b of bases) {
    const d = findDecl(file, b, { exported: false });
    if (d?.missing) {
      report(file, at, `${label} extends ${b}, which is missing from the declarations (stripped by @internal?)`);
    } else if (d) baseDecls.push({ name: b, ...d });
  }
  // names documented in bases count for overrides (editors inherit the doc)
  const inherited = new Set();
  for (const b of baseDecls) for (const n of documentedNames(b.file, b.at, new Set())) inherited.add(n);
  const overloads = new Map();
  for (const m of members) {
    if (m.hidden) continue;
    const n = (overloads.get(m.name) ?? 0) + 1;
    overloads.set(m.name, n);
    if (m.documented || documentedAbove.has(m.name) || inherited.has(m.name)) continue;
    if (m.kind === "set" && documentedHere.has(m.name)) continue;
    const from = ownName && ownName !== label.split(".")[0] ? ` (inherited from ${ownName})` : "";
    report(file, m.line, `${label}.${m.name}${n > 1 ? ` (overload ${n})` : ""}${from}`);
  }
  for (const b of baseDecls) checkMembers(label, b.file, b.at, documentedHere, seen);
}

/** Names documented in a declaration and its bases. */
function documentedNames(file, at, seen) {
  const key = `${file}:${at}`;
  const out = new Set();
  if (seen.has(key)) return out;
  seen.add(key);
  const lines = linesOf(file);
  for (const m of membersOf(lines, at)) if (m.documented && !m.hidden) out.add(m.name);
  for (const b of /\b(class|interface)\b/.test(lines[at]) ? basesOf(lines, at) : []) {
    const d = findDecl(file, b, { exported: false });
    if (d && !d.missing) for (const n of documentedNames(d.file, d.at, seen)) out.add(n);
  }
  return out;
}

const exported = exportsOf(indexFile);
for (const { name, local, file } of exported) {
  const d = findDecl(file, local);
  if (!d || d.missing) {
    missing.push(`${rel(d?.file ?? file)} ${name}: exported by index.d.ts but not declared (stripped by @internal?)`);
    continue;
  }
  const lines = linesOf(d.file);
  if (!documented(lines, d.at)) report(d.file, d.at, name);
  // members of classes, interfaces, object types and `declare const` objects
  const head = lines[d.at];
  const hasBody =
    /\b(class|interface)\b/.test(head) || /^export (declare )?(type [\w$]+(<.*>)? =|const [\w$]+:)\s*\{\s*$/.test(head);
  if (hasBody) checkMembers(name, d.file, d.at, new Set(), new Set());
}

if (missing.length > 0) {
  console.error(`${missing.length} public symbols lack TSDoc:\n  ${missing.join("\n  ")}`);
  process.exit(1);
}
console.log(`TSDoc: all ${exported.length} exported names and their public members are documented`);
