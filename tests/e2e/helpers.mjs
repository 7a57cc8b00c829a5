// Shared by the end-to-end suites of `ssot serve`: starts the real binary on a free port with
// a fresh database, talks raw HTTP to it, mints and forges tokens, and stops it with a signal,
// checking it exited cleanly (exit 0, nothing from AddressSanitizer/UBSan on stderr — the
// sanitizer build runs these same suites). Uses only node: modules.
// SSOT_E2E_BIN (or SSOT_BIN) picks the binary, e.g. an ASan build: SSOT_E2E_BIN=build-asan/ssot.
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { createHash, createHmac } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import net from "node:net";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

export const SOURCE_DIR = resolve(process.env.SSOT_SOURCE_DIR ?? join(dirname(fileURLToPath(import.meta.url)), "..", ".."));
export const SSOT_BIN = process.env.SSOT_E2E_BIN ?? process.env.SSOT_BIN ?? join(SOURCE_DIR, "build", "ssot");
export const SECRET = "e2e-secret-0123456789abcdef0123456789abcdef";

/** A path under the source tree. */
export const source = (path) => resolve(SOURCE_DIR, path);

const tempDirs = [];
process.on("exit", () => {
  for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true });
});

/** A fresh temporary directory, removed when the process exits (one exit listener for all). */
export function tempDir(prefix) {
  const dir = mkdtempSync(join(tmpdir(), `ssot-e2e-${prefix}-`));
  tempDirs.push(dir);
  return dir;
}

/**
 * Under tests/e2e/on-postgres.sh (SSOT_E2E_POSTGRES: the URL of a throwaway PostgreSQL), the
 * database file a suite names becomes a PostgreSQL database of its own, the same one each time
 * the suite names that file (a restart finds its rows); made with psql when first named.
 * Without it, or for ":memory:", the name is returned as it is.
 */
export function database(db) {
  const base = process.env.SSOT_E2E_POSTGRES;
  if (!base || !db || db === ":memory:" || /^[a-z][a-z0-9+.-]*:\/\//i.test(db)) return db;
  const name = `e2e_${createHash("sha256").update(resolve(db)).digest("hex").slice(0, 24)}`;
  const made = spawnSync(process.env.SSOT_PSQL ?? "psql", ["-X", "-q", "-d", base, "-c", `CREATE DATABASE ${name}`],
    { encoding: "utf8" });
  if (made.status !== 0 && !/already exists/.test(made.stderr))
    throw new Error(`could not create the PostgreSQL database ${name}: ${made.stderr || made.error}`);
  return base.replace(/^(postgres(?:ql)?:\/\/[^/?]*\/)[^?]*/, `$1${name}`);
}

/**
 * The rows of an SQL query, as objects, in the database a suite names db: the SQLite file
 * (sqlite3 -json), or under on-postgres.sh the PostgreSQL database database(db) gives it (psql).
 */
export function queryDatabase(db, sql) {
  const url = database(db);
  if (url !== db) {
    const result = spawnSync(process.env.SSOT_PSQL ?? "psql",
      ["-X", "-q", "-A", "-t", "-d", url, "-c", `SELECT coalesce(json_agg(q), '[]') FROM (${sql}) q`],
      { encoding: "utf8" });
    if (result.status !== 0) throw new Error(`psql: ${result.stderr || result.error}`);
    return JSON.parse(result.stdout);
  }
  const result = spawnSync("sqlite3", ["-json", db, sql], { encoding: "utf8" });
  if (result.status !== 0) throw new Error(`sqlite3: ${result.stderr || result.error}`);
  return result.stdout.trim() ? JSON.parse(result.stdout) : [];
}

const SANITIZER_REPORT = /AddressSanitizer|LeakSanitizer|UndefinedBehaviorSanitizer|runtime error:/;

/**
 * Starts `ssot serve config --port 0 --host 127.0.0.1 --db db ...args` and resolves once it
 * prints the URL it listens on: { url, proc, stdout(), stderr(), stop(signal) }.
 * stop() resolves to { code, signal, stdout, stderr } after checking a clean exit.
 * With listen: false, --port and --host are left out (the config's serve.port/host apply).
 * prefix runs the binary through a command, e.g. ["prlimit", "--nofile=64", "--"].
 * env is added to the child's environment; a variable set to undefined is removed from it
 * (env: { SSOT_JWT_SECRET: undefined } starts the server without a secret).
 */
export function startServe(config, { db, args = [], env = {}, secret = SECRET, listen = true, prefix = [] } = {}) {
  db = database(db);
  const argv = ["serve", config, ...(listen ? ["--port", "0", "--host", "127.0.0.1"] : []), ...(db ? ["--db", db] : []),
    ...args];
  const childEnv = { ...process.env, SSOT_JWT_SECRET: secret, EVERYTHING_JWT_SECRET: secret, NO_COLOR: "1", ...env };
  const [command, ...before] = [...prefix, SSOT_BIN];
  const proc = spawn(command, [...before, ...argv], { env: childEnv, stdio: ["ignore", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  proc.stdout.setEncoding("utf8");
  proc.stderr.setEncoding("utf8");
  const exited = new Promise((ok) => proc.on("exit", (code, signal) => ok({ code, signal })));
  return new Promise((ok, fail) => {
    const timer = setTimeout(() => fail(new Error(`ssot serve did not start in 20 s:\n${stdout}${stderr}`)), 20000);
    proc.stdout.on("data", (chunk) => {
      stdout += chunk;
      const match = /listening on (http:\/\/[^\s]+)/.exec(stdout);
      if (match && timer) {
        clearTimeout(timer);
        ok({
          url: match[1],
          proc,
          stdout: () => stdout,
          stderr: () => stderr,
          exited,
          /** Sends signal (none: waits for an exit already under way) and checks the exit. */
          async stop(signal = "SIGTERM") {
            if (signal && proc.exitCode === null && proc.signalCode === null) proc.kill(signal);
            const { code, signal: died } = await exited;
            assert.doesNotMatch(stderr, SANITIZER_REPORT, `sanitizer report from ssot serve:\n${stderr}`);
            assert.equal(code, 0, `ssot serve exited with ${code ?? died}:\n${stderr}`);
            return { code, signal: died, stdout, stderr };
          },
        });
      }
    });
    proc.stderr.on("data", (chunk) => {
      stderr += chunk;
    });
    exited.then(({ code, signal }) => {
      clearTimeout(timer);
      fail(Object.assign(new Error(`ssot serve exited (${code ?? signal}) before listening:\n${stdout}${stderr}`), {
        code, stdout, stderr,
      }));
    });
  });
}

/** Runs `ssot serve ...` expecting it to refuse to start: { code, stdout, stderr }. env is
 * added to the child's environment (a variable set to undefined is removed from it). */
export function serveFails(config, { db, args = [], env = {} } = {}) {
  db = database(db);
  const argv = ["serve", config, "--port", "0", "--host", "127.0.0.1", ...(db ? ["--db", db] : []), ...args];
  const result = spawnSync(SSOT_BIN, argv, {
    encoding: "utf8", timeout: 20000, env: { ...process.env, SSOT_JWT_SECRET: SECRET, NO_COLOR: "1", ...env },
  });
  assert.doesNotMatch(result.stderr, SANITIZER_REPORT, result.stderr);
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

/**
 * One request: body is sent as JSON (or raw when a string and headers say so); returns
 * { status, headers, text, json }.
 */
export async function api(base, method, path, { body, token, headers = {}, raw } = {}) {
  const init = { method, headers: { ...headers } };
  if (token) init.headers.authorization = `Bearer ${token}`;
  if (raw !== undefined) {
    init.body = raw;
  } else if (body !== undefined) {
    init.body = JSON.stringify(body);
    init.headers["content-type"] ??= "application/json";
  }
  const res = await fetch(base + path, init);
  const text = await res.text();
  let json;
  try {
    json = text ? JSON.parse(text) : undefined;
  } catch {
    json = undefined;
  }
  return { status: res.status, headers: res.headers, text, json };
}

/** Asserts res is an error of docs/rest.md's shape with this status and code (X-Request-Id and
 * X-SSOT-Schema headers included); returns the error. */
export function assertError(res, status, code) {
  assert.equal(res.status, status, `expected ${status} ${code}, got ${res.status}: ${res.text}`);
  assert.ok(res.json && res.json.error, `error body expected: ${res.text}`);
  assert.equal(res.json.error.code, code, res.text);
  assert.equal(typeof res.json.error.message, "string");
  assert.ok(res.json.error.message.length > 0);
  assert.equal(res.headers.get("content-type"), "application/json");
  assert.ok(res.headers.get("x-request-id"), "every response has X-Request-Id");
  assert.match(res.headers.get("x-ssot-schema") ?? "", /^[0-9a-f]{16}$/, "every response has X-SSOT-Schema, errors too");
  return res.json.error;
}

/** A token minted by `ssot token` (so the CLI is exercised too). */
export function mint(sub, { role, ttl, config, secret = SECRET } = {}) {
  const args = ["token", "--sub", String(sub)];
  if (role) args.push("--role", role);
  if (ttl) args.push("--ttl", ttl);
  if (config) args.push("--config", config);
  const result = spawnSync(SSOT_BIN, args, {
    encoding: "utf8", env: { ...process.env, SSOT_JWT_SECRET: secret, EVERYTHING_JWT_SECRET: secret },
  });
  assert.equal(result.status, 0, result.stderr);
  return result.stdout.trim();
}

const base64url = (value) => Buffer.from(typeof value === "string" ? value : JSON.stringify(value)).toString("base64url");

/** A JWT signed here: claims, and optionally another header, secret or a given signature. */
export function forge(claims, { header = { alg: "HS256", typ: "JWT" }, secret = SECRET, signature } = {}) {
  const signing = `${base64url(header)}.${base64url(claims)}`;
  const mac = signature ?? createHmac(header.alg === "HS512" ? "sha512" : "sha256", secret).update(signing).digest("base64url");
  return `${signing}.${mac}`;
}

export const now = () => Math.floor(Date.now() / 1000);

/** Sends raw bytes on a socket and resolves with everything the server answered until it closed
 * (or timeoutMs passed). */
export function rawExchange(url, bytes, { timeoutMs = 3000 } = {}) {
  const { hostname, port } = new URL(url);
  return new Promise((ok) => {
    const chunks = [];
    const socket = net.connect({ host: hostname, port: Number(port) }, () => {
      socket.write(bytes);
    });
    const finish = () => ok(Buffer.concat(chunks).toString("latin1"));
    socket.on("data", (c) => chunks.push(c));
    socket.on("error", finish);
    socket.on("close", finish);
    socket.setTimeout(timeoutMs, () => {
      socket.destroy();
      finish();
    });
  });
}

/** A TCP port on 127.0.0.1 that was free a moment ago (for a server restarted on the same port). */
export async function freePort() {
  const server = net.createServer();
  await new Promise((ok) => server.listen(0, "127.0.0.1", ok));
  const { port } = server.address();
  await new Promise((ok) => server.close(ok));
  return port;
}

/** Resolves when predicate() holds, polling every 10 ms; fails after timeout ms naming what was awaited. */
export async function until(predicate, what, timeout = 10000) {
  const deadline = Date.now() + timeout;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((ok) => setTimeout(ok, 10));
  }
}
