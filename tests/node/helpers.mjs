// Shared by the Node tests of the generated SDK: runs the real `ssot run` (SSOT_BIN) into a
// temporary directory, type-checks or compiles the output with the pinned TypeScript, and
// starts small HTTP servers on 127.0.0.1. Uses only node: modules and the repo's node_modules.
import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync, existsSync } from "node:fs";
import { createServer } from "node:http";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

export const SOURCE_DIR = resolve(process.env.SSOT_SOURCE_DIR ?? join(dirname(fileURLToPath(import.meta.url)), "..", ".."));
export const SSOT_BIN = process.env.SSOT_BIN ?? join(SOURCE_DIR, "build", "ssot");
const TSC = join(SOURCE_DIR, "node_modules", "typescript", "bin", "tsc");
if (!existsSync(TSC)) {
  throw new Error(`${TSC} is missing: run \`npm ci\` in ${SOURCE_DIR} (scripts/test.sh does) before the Node tests`);
}
const STRICT_TSCONFIG = join(SOURCE_DIR, "tests", "node", "tsconfig.strict.json");

/** A fresh temporary directory, removed when the process exits. */
const tempDirs = [];
export function tempDir(prefix) {
  const dir = mkdtempSync(join(tmpdir(), `ssot-${prefix}-`));
  if (tempDirs.length === 0) {
    process.on("exit", () => {
      for (const d of tempDirs) rmSync(d, { recursive: true, force: true });
    });
  }
  tempDirs.push(dir);
  return dir;
}

/**
 * Runs `ssot run <config> -o <dir> --quiet` and returns dir. The directory is an ES module
 * package that sees the repo's node_modules, so tsc and node resolve react and TanStack Query.
 */
export function generate(config, prefix = "gen") {
  const dir = tempDir(prefix);
  const out = join(dir, "generated");
  const result = spawnSync(SSOT_BIN, ["run", resolve(SOURCE_DIR, config), "-o", out, "--quiet"], {
    encoding: "utf8",
  });
  if (result.status !== 0) {
    throw new Error(`ssot run ${config} exited ${result.status}:\n${result.stdout}${result.stderr}`);
  }
  writeFileSync(join(dir, "package.json"), JSON.stringify({ type: "module", private: true }));
  symlinkSync(join(SOURCE_DIR, "node_modules"), join(dir, "node_modules"), "dir");
  return { dir, out };
}

/** Writes a tsconfig extending the strict one and runs tsc; returns { ok, output }. */
export function tsc(dir, { emit = false, include = ["generated/**/*.ts"] } = {}) {
  const config = {
    extends: STRICT_TSCONFIG,
    compilerOptions: emit ? { outDir: "js", rootDir: "." } : { noEmit: true },
    include,
  };
  writeFileSync(join(dir, "tsconfig.json"), JSON.stringify(config, null, 2));
  const result = spawnSync(process.execPath, [TSC, "-p", dir, "--pretty", "false"], { encoding: "utf8" });
  return { ok: result.status === 0, output: `${result.stdout}${result.stderr}` };
}

/** Compiles the generated TypeScript to JavaScript and returns a function importing a module by path. */
export function compile(dir) {
  const result = tsc(dir, { emit: true });
  if (!result.ok) throw new Error(`tsc failed on the generated code:\n${result.output}`);
  return (path) => import(pathToFileURL(join(dir, "js", "generated", path)).href);
}

/**
 * Starts an HTTP server on 127.0.0.1 whose requests go to handler(req, res, body) and are
 * recorded. Returns { url, requests, close }.
 */
export async function startServer(handler) {
  const requests = [];
  const sockets = new Set();
  const server = createServer((req, res) => {
    const chunks = [];
    req.on("data", (c) => chunks.push(c));
    req.on("end", () => {
      const body = Buffer.concat(chunks).toString("utf8");
      const entry = { method: req.method, url: req.url, headers: req.headers, body };
      requests.push(entry);
      handler(req, res, entry, requests.length);
    });
  });
  server.on("connection", (s) => {
    sockets.add(s);
    s.on("close", () => sockets.delete(s));
  });
  await new Promise((ok) => server.listen(0, "127.0.0.1", ok));
  const { port } = server.address();
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () =>
      new Promise((ok) => {
        for (const s of sockets) s.destroy();
        server.close(ok);
      }),
  };
}

/** Sends a JSON response. */
export function sendJson(res, status, value, headers = {}) {
  const body = value === undefined ? "" : JSON.stringify(value);
  res.writeHead(status, { "content-type": "application/json", ...headers });
  res.end(body);
}

/** [status, code] of every row of the error table in docs/rest.md (the REST contract). */
export function restErrors() {
  const rest = readFileSync(join(SOURCE_DIR, "docs", "rest.md"), "utf8");
  const rows = [...rest.matchAll(/^\| (\d{3}) \| `([a-z_]+)` \|/gm)].map((m) => [m[1], m[2]]);
  if (rows.length < 10) throw new Error(`docs/rest.md: expected its error table, found ${rows.length} rows`);
  return rows;
}

export function fileExists(path) {
  return existsSync(resolve(SOURCE_DIR, path));
}

export function mkdirp(path) {
  mkdirSync(path, { recursive: true });
}

export { execFileSync };
