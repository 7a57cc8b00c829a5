// The life of a `ssot serve` process: data kept across restarts, additive migration, a
// destructive change refused (database untouched), SIGTERM/SIGINT stopping cleanly after the
// requests in flight, and the command line (flags, port in use, a missing config).
import assert from "node:assert/strict";
import net from "node:net";
import { networkInterfaces } from "node:os";
import { spawnSync } from "node:child_process";
import { existsSync, readdirSync, writeFileSync } from "node:fs";
import { describe, it } from "node:test";
import { SSOT_BIN, api, database, queryDatabase, serveFails, source, startServe, tempDir } from "./helpers.mjs";

const item = (fields, extra = "") => `
name = "life"
models = {
  Item = {
    fields = { { "id", "id" }, ${fields} },
  },${extra}
}
`;
const V1 = item(`{ "name", "string", max = 40 }, { "qty", "int", default = 1 }`);
const V2 = item(`{ "name", "string", max = 40 }, { "qty", "int", default = 1 }, { "note", "text", optional = true }`,
  `\n  Tag = { fields = { { "id", "id" }, { "label", "string" } } },`);
const DROPPED = item(`{ "qty", "int", default = 1 }, { "note", "text", optional = true }`,
  `\n  Tag = { fields = { { "id", "id" }, { "label", "string" } } },`);
const RETYPED = item(`{ "name", "int" }, { "qty", "int", default = 1 }, { "note", "text", optional = true }`,
  `\n  Tag = { fields = { { "id", "id" }, { "label", "string" } } },`);

function writeConfig(dir, name, text) {
  const path = `${dir}/${name}`;
  writeFileSync(path, text);
  return path;
}

describe("restart and migration", () => {
  const dir = tempDir("life");
  const db = `${dir}/life.db`;
  const v1 = writeConfig(dir, "v1.lua", V1);
  const v2 = writeConfig(dir, "v2.lua", V2);

  it("keeps the data across a restart", async () => {
    let server = await startServe(v1, { db });
    for (const name of ["alpha", "beta"]) {
      assert.equal((await api(server.url, "POST", "/api/items", { body: { name } })).status, 201);
    }
    const offset = (await api(server.url, "GET", "/api/items")).json.offset;
    await server.stop();
    server = await startServe(v1, { db });
    const page = (await api(server.url, "GET", "/api/items")).json;
    assert.deepEqual(page.items.map((i) => i.name), ["alpha", "beta"]);
    assert.equal(page.offset, offset, "the change stream continues where it was");
    await server.stop();
  });

  it("migrates an additive change (new optional field, new model) and keeps the rows", async () => {
    const server = await startServe(v2, { db });
    const page = (await api(server.url, "GET", "/api/items")).json;
    assert.deepEqual(page.items.map((i) => [i.name, i.note]), [["alpha", null], ["beta", null]]);
    const res = await api(server.url, "POST", "/api/items", { body: { name: "gamma", note: "new field" } });
    assert.equal(res.status, 201, res.text);
    assert.equal(res.json.note, "new field");
    assert.equal((await api(server.url, "POST", "/api/tags", { body: { label: "new model" } })).status, 201);
    await server.stop();
  });

  it("refuses a dropped field, naming it and what to do, and leaves the database as it was", async () => {
    const dropped = writeConfig(dir, "dropped.lua", DROPPED);
    const result = serveFails(dropped, { db });
    assert.equal(result.code, 3, result.stderr);
    assert.match(result.stderr, /Item/);
    assert.match(result.stderr, /name/);
    assert.doesNotMatch(result.stdout, /listening/);
    const retyped = writeConfig(dir, "retyped.lua", RETYPED);
    const again = serveFails(retyped, { db });
    assert.equal(again.code, 3, again.stderr);
    assert.match(again.stderr, /name/);
    const server = await startServe(v2, { db });
    const page = (await api(server.url, "GET", "/api/items")).json;
    assert.deepEqual(page.items.map((i) => i.name), ["alpha", "beta", "gamma"]);
    await server.stop();
  });
});

describe("stopping", () => {
  const hooks = source("tests/fixtures/serve/hooks.lua");

  it("SIGTERM: the request in flight is answered, then the server exits 0 and closes the database", async () => {
    const db = `${tempDir("term")}/t.db`;
    const server = await startServe(hooks, { db });
    assert.equal((await api(server.url, "POST", "/api/notes", { body: { text: "kept" } })).status, 201);
    const slow = api(server.url, "GET", "/api/slow?seconds=0.6");
    await new Promise((ok) => setTimeout(ok, 150));
    const started = Date.now();
    const stopped = server.stop("SIGTERM");
    const res = await slow;
    assert.equal(res.status, 200, res.text);
    assert.deepEqual(res.json, { slept: true });
    assert.equal(res.headers.get("connection"), "close");
    const { stdout } = await stopped;
    assert.match(stdout, /stopping/);
    assert.match(stdout, /database closed/);
    assert.ok(Date.now() - started < 5000);
    assert.deepEqual(queryDatabase(db, "SELECT text FROM notes"), [{ text: "kept" }]);
    if (database(db) === db) { // SQLite (not under on-postgres.sh)
      assert.ok(existsSync(db));
      assert.ok(!existsSync(`${db}-wal`), "closing the database checkpointed and removed its WAL");
    }
  });

  it("SIGTERM while a body is still arriving: the upload completes and is answered", async () => {
    const server = await startServe(hooks, { db: `${tempDir("upload")}/u.db` });
    const { hostname, port } = new URL(server.url);
    const body = JSON.stringify({ text: "uploaded during shutdown" });
    const answer = new Promise((ok, fail) => {
      const socket = net.connect({ host: hostname, port: Number(port) });
      let data = "";
      socket.setEncoding("latin1");
      socket.on("data", (c) => (data += c));
      socket.on("close", () => ok(data));
      socket.on("error", fail);
      socket.write(`POST /api/notes HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n`);
      socket.write(body.slice(0, 10));
      setTimeout(() => {
        server.proc.kill("SIGTERM");
        setTimeout(() => socket.write(body.slice(10)), 200);
      }, 100);
    });
    // while it drains, a new connection is refused: the listener is closed
    await new Promise((ok) => setTimeout(ok, 200));
    const late = await new Promise((ok) => {
      const socket = net.connect({ host: hostname, port: Number(port) }, () => ok("connected"));
      socket.on("error", (error) => ok(error.code));
    });
    assert.equal(late, "ECONNREFUSED", "a connection made while draining");
    const response = await answer;
    assert.match(response, /^HTTP\/1\.1 201/);
    assert.match(response, /uploaded during shutdown/);
    await server.stop(null);
  });

  it("SIGINT with idle keep-alive connections open stops promptly", async () => {
    const server = await startServe(hooks, { db: `${tempDir("int")}/i.db` });
    const { hostname, port } = new URL(server.url);
    const idle = [];
    for (let i = 0; i < 5; i++) {
      const socket = net.connect({ host: hostname, port: Number(port) });
      socket.on("error", () => {});
      idle.push(socket);
    }
    assert.equal((await api(server.url, "GET", "/healthz")).status, 200);
    const started = Date.now();
    await server.stop("SIGINT");
    assert.ok(Date.now() - started < 3000, "idle connections do not hold the server up");
    for (const socket of idle) socket.destroy();
  });
});

describe("command line", () => {
  it("--help describes the flags", () => {
    const result = spawnSync(SSOT_BIN, ["serve", "--help"], { encoding: "utf8" });
    assert.equal(result.status, 0);
    for (const flag of ["--port", "--host", "--db", "--production", "--quiet", "--verbose", "--lib"]) assert.match(result.stdout, new RegExp(flag));
  });

  it("bad flags are usage errors (exit 2)", () => {
    const libs = Array.from({ length: 33 }, (_, i) => `--lib=dir${i}`);
    for (const args of [["--port", "70000"], ["--port", "x"], ["--frobnicate"], ["a.lua", "b.lua"], libs]) {
      const result = spawnSync(SSOT_BIN, ["serve", ...args], { encoding: "utf8" });
      assert.equal(result.status, 2, `${args.join(" ")}: ${result.stderr}`);
      assert.match(result.stderr, /ssot serve/);
    }
    for (const [args, message] of [[["--port", "99999999999999999999"], /--port needs a number from 0 to 65535, got '9+'/],
      [["--workers", "65"], /--workers needs a number from 1 to 64, got '65'/], [["--workers=0x2"], /got '0x2'/],
      [["--workers", ""], /--workers needs a number/]]) {
      const result = spawnSync(SSOT_BIN, ["serve", ...args], { encoding: "utf8" });
      assert.equal(result.status, 2, `${args.join(" ")}: ${result.stderr}`);
      assert.match(result.stderr, message);
    }
  });

  it("ssot token: claims from the flags, the secret from the config's variable, clear errors", () => {
    const env = { ...process.env, SSOT_JWT_SECRET: "token-test-secret-0123456789abcdef012345" };
    const run = (args, extra = {}) => spawnSync(SSOT_BIN, ["token", ...args], { encoding: "utf8", env: { ...env, ...extra } });
    const minted = run(["--sub", "42", "--role", "admin", "--ttl", "90m"]);
    assert.equal(minted.status, 0, minted.stderr);
    const [header, payload] = minted.stdout.trim().split(".").slice(0, 2).map((p) => JSON.parse(Buffer.from(p, "base64url")));
    assert.equal(header.alg, "HS256");
    assert.equal(payload.sub, "42");
    assert.equal(payload.role, "admin");
    assert.equal(payload.exp - payload.iat, 5400);
    const fromConfig = run(["--sub", "7", "--config", source("tests/fixtures/configs/everything.lua")],
      { EVERYTHING_JWT_SECRET: "" });
    assert.equal(fromConfig.status, 2);
    assert.match(fromConfig.stderr, /EVERYTHING_JWT_SECRET is not set/);
    assert.equal(run(["--role", "admin"]).status, 2, "--sub is required");
    assert.equal(run(["--sub", "1", "--ttl", "soon"]).status, 2);
    const noSecret = run(["--sub", "1"], { SSOT_JWT_SECRET: "" });
    assert.equal(noSecret.status, 2);
    assert.match(noSecret.stderr, /SSOT_JWT_SECRET is not set/);
  });

  it("without flags: serve.port and serve.host from the config, the database at data/<name>.db next to it", async () => {
    const dir = tempDir("defaults");
    const probe = net.createServer();
    await new Promise((ok) => probe.listen(0, "127.0.0.1", ok));
    const { port } = probe.address();
    await new Promise((ok) => probe.close(ok));
    const config = writeConfig(dir, "config.lua", `${V1}\nserve = { port = ${port}, host = "127.0.0.1" }\n`);
    const server = await startServe(config, { listen: false });
    assert.equal(server.url, `http://127.0.0.1:${port}`);
    assert.match(server.stdout(), new RegExp(`database ${dir}/data/life\\.db`));
    assert.equal((await api(server.url, "POST", "/api/items", { body: { name: "default db" } })).status, 201);
    await server.stop();
    assert.ok(existsSync(`${dir}/data/life.db`), "data/<name>.db created next to the config");
    assert.ok(!existsSync(`${dir}/data/life.db-wal`));
  });

  it("by default it listens on the loopback only (127.0.0.1 and ::1), and says so", async () => {
    const dir = tempDir("loopback");
    const config = writeConfig(dir, "config.lua", V1);
    const server = await startServe(config, { listen: false, args: ["--port", "0", "--db", `${dir}/l.db`] });
    const match = /listening on http:\/\/127\.0\.0\.1:(\d+)( and http:\/\/\[::1\]:(\d+))? \(/.exec(server.stdout());
    assert.ok(match, server.stdout());
    const port = Number(match[1]);
    assert.equal((await api(`http://127.0.0.1:${port}`, "GET", "/healthz")).status, 200);
    if (match[2]) {
      assert.equal(Number(match[3]), port, "one port for both families");
      assert.equal((await api(`http://[::1]:${port}`, "GET", "/healthz")).status, 200);
    }
    // an address of this machine that is not the loopback: refused
    const outside = Object.values(networkInterfaces()).flat().find((a) => a && !a.internal && a.family === "IPv4");
    if (outside) {
      const refused = await new Promise((ok) => {
        const socket = net.connect({ host: outside.address, port }, () => {
          socket.destroy();
          ok(false);
        });
        socket.on("error", () => ok(true));
      });
      assert.ok(refused, `${outside.address}:${port} must not be served`);
    }
    await server.stop();
  });

  it("a missing config is a config error naming the file", () => {
    const result = serveFails(`${tempDir("missing")}/nowhere.lua`);
    assert.equal(result.code, 3, result.stderr);
    assert.match(result.stderr, /nowhere\.lua/);
  });

  it("a database URL of an unknown scheme is refused, not taken as a file name, and its password never printed", () => {
    const dir = tempDir("db-url");
    const url = "mysql://app:s3cret@db.internal:3306/app";
    const serve = spawnSync(SSOT_BIN, ["serve", source("tests/fixtures/serve/hooks.lua"), "--port", "0", "--db", url],
      { encoding: "utf8", timeout: 20000, cwd: dir });
    assert.equal(serve.status, 2, serve.stderr);
    assert.match(serve.stderr, /the database is a mysql:\/\/ URL \(--db\), but ssot serve stores in SQLite or PostgreSQL only: give a file path/);
    const token = spawnSync(SSOT_BIN, ["token", "--sub", "1", "--db", url], { encoding: "utf8", cwd: dir, env: { ...process.env, SSOT_JWT_SECRET: "" } });
    assert.equal(token.status, 2, token.stderr);
    assert.match(token.stderr, /mysql:\/\/ URL/);
    for (const out of [serve.stderr, serve.stdout, token.stderr]) assert.ok(!out.includes("s3cret"), out);
    assert.deepEqual(readdirSync(dir), [], "no file or directory made");
  });

  it("a port in use is a clear error", async () => {
    const blocker = net.createServer();
    await new Promise((ok) => blocker.listen(0, "127.0.0.1", ok));
    const { port } = blocker.address();
    const result = spawnSync(SSOT_BIN, ["serve", source("tests/fixtures/serve/hooks.lua"), "--host", "127.0.0.1",
      "--port", String(port), "--db", `${tempDir("busy")}/b.db`], { encoding: "utf8", timeout: 20000 });
    blocker.close();
    assert.equal(result.status, 1, result.stderr);
    assert.match(result.stderr, new RegExp(`127\\.0\\.0\\.1:${port}.*in use`));
  });

  it("--quiet turns the access log off; without it there is one line per request", async () => {
    const loud = await startServe(source("tests/fixtures/serve/hooks.lua"), { db: `${tempDir("loud")}/l.db` });
    await api(loud.url, "GET", "/api/notes/12345");
    await api(loud.url, "GET", "/api/caf%C3%A9%20x%09y?token=never-logged");
    const crash = await api(loud.url, "GET", "/api/crash");
    const { stdout } = await loud.stop();
    assert.match(stdout, /GET \/api\/notes\/12345 404 \d+\.\d+ms\n/);
    // one line per request whatever the path holds: spaces, controls and non-ASCII as \xNN, no query
    assert.match(stdout, /GET \/api\/caf\\xc3\\xa9\\x20x\\x09y 404 \d+\.\d+ms\n/);
    assert.doesNotMatch(stdout, /never-logged/);
    assert.match(stdout, new RegExp(`GET /api/crash 500 \\d+\\.\\d+ms request ${crash.json.error.requestId}\n`));
    const quiet = await startServe(source("tests/fixtures/serve/hooks.lua"), { db: `${tempDir("quiet")}/q.db`, args: ["--quiet"] });
    await api(quiet.url, "GET", "/api/notes/12345");
    const q = await quiet.stop();
    assert.doesNotMatch(q.stdout, /GET \/api\/notes/);
  });

  it("--verbose logs every change event", async () => {
    const verbose = await startServe(source("tests/fixtures/serve/hooks.lua"), { db: `${tempDir("verbose")}/v.db`, args: ["--verbose"] });
    assert.equal((await api(verbose.url, "POST", "/api/notes", { body: { text: "seen" } })).status, 201);
    const { stderr, stdout } = await verbose.stop();
    assert.match(stderr, /event Note:created offset 1/);
    assert.match(stdout, /1 created, 0 updated, 0 deleted/);
  });
});
