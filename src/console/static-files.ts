/** Serves the console's prebuilt page (built by Vite into `dist/console-ui`, shipped in the npm package). */
import * as fs from "node:fs";
import type { ServerResponse } from "node:http";
import * as path from "node:path";
import { fileURLToPath } from "node:url";

const TYPES: Readonly<Record<string, string>> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".ico": "image/x-icon",
  ".json": "application/json; charset=utf-8",
};

/**
 * The folder of the built page: `dist/console-ui` beside `dist/console` when running the
 * package, or under the repository's `dist` when running from `src` (tests, tsx).
 */
export function findUiDir(): string | undefined {
  const here = path.dirname(fileURLToPath(import.meta.url));
  const candidates = [path.join(here, "..", "console-ui"), path.join(here, "..", "..", "dist", "console-ui")];
  return candidates.find((d) => fs.existsSync(path.join(d, "index.html")));
}

/** Sends a file of the page; paths outside the folder and unknown files get the page itself (client-side routes). */
export function serveStatic(res: ServerResponse, uiDir: string | undefined, urlPath: string): void {
  let decoded: string;
  try {
    decoded = decodeURIComponent(urlPath);
  } catch {
    res.writeHead(400, { "content-type": "text/plain; charset=utf-8" });
    res.end("Malformed percent-encoding in the path.\n");
    return;
  }
  if (uiDir === undefined) {
    res.writeHead(503, { "content-type": "text/plain; charset=utf-8" });
    res.end("The console's page is not built: run `npm run build` in the flussjs folder.\n");
    return;
  }
  const rel = path.normalize(decoded).replace(/^([/\\])+/, "");
  let file = path.join(uiDir, rel);
  if (!file.startsWith(uiDir + path.sep) || !fs.existsSync(file) || fs.statSync(file).isDirectory()) {
    file = path.join(uiDir, "index.html");
  }
  const body = fs.readFileSync(file);
  const immutable = file.includes(`${path.sep}assets${path.sep}`);
  res.writeHead(200, {
    "content-type": TYPES[path.extname(file)] ?? "application/octet-stream",
    "content-length": body.length,
    "cache-control": immutable ? "public, max-age=31536000, immutable" : "no-cache",
    "x-content-type-options": "nosniff",
  });
  res.end(body);
}
