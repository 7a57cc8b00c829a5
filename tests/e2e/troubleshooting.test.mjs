// docs/troubleshooting.md, reproduced: every situation it quotes a message for is brought about
// with the real `ssot` (a missing config, a config with the mistakes the message names, a port
// held by another server, the secret's cases, a database that no longer matches its config,
// `ssot token`, `ssot run --check`, the HTTP and WebSocket answers of a running server, the
// SDK's schema-mismatch warning), and what the tool prints or answers must equal the doc's
// block. The blocks are read from the doc by their section's heading, so a doc edited without
// the tool, or a message changed without the doc, fails here.
//
// Normalisation, applied to the doc and to the output alike (normal() below), and nothing else:
// the test's temporary project directory is written `/…` (the doc's `/…/data/todo.db`), a
// host and port `localhost:8080` (127.0.0.1 and any port), request ids `…`, ISO times <time>,
// schema hashes (16 hex digits) <hash>. Everything else must match exactly, exit statuses too
// where the doc states them.
//
// Not reproduced: the CORS section's three lines of Chromium's console and `TypeError: Failed
// to fetch` (a browser's words; the server's side of them is checked: no
// Access-Control-Allow-Origin for another origin, the handshake's 403 body); WebSocket close
// 1006 (60 s of silence, longer than this suite should take). Messages quoted inline in the
// prose are checked where they are whole messages: the config's "Others you may meet", the
// secret file's siblings, `ssot token`'s "signed with the development secret" line, the 401 and
// 4xx tables, the WebSocket handshake's 403 and the close codes' reasons.
//
// Needs node_modules: `ws`, and tsc for the generated SDK.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, realpathSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { after, before, describe, it } from "node:test";
import { compile, generate } from "../node/helpers.mjs";
import { SECRET, SOURCE_DIR, SSOT_BIN, api, forge, now, rawExchange, startServe, tempDir, until } from "./helpers.mjs";
import WebSocket from "ws";
import { Client } from "./ws.mjs";

const DOC_PATH = "docs/troubleshooting.md";
const DOC = readFileSync(join(SOURCE_DIR, DOC_PATH), "utf8");

// ---- the doc ----------------------------------------------------------------------------

/** The text under the heading (## or ###) whose title is exactly `title`, up to the next
 * heading of the same level or above (headings inside fenced blocks do not count). */
function part(title) {
  const lines = DOC.split("\n");
  let fenced = false;
  let start = -1;
  let level = 0;
  const out = [];
  for (const line of lines) {
    if (line.startsWith("```")) fenced = !fenced;
    const heading = !fenced && /^(#{1,6}) (.*)$/.exec(line);
    if (start >= 0 && heading && heading[1].length <= level) break;
    if (start >= 0) out.push(line);
    if (start < 0 && heading && heading[2] === title) {
      start = 0;
      level = heading[1].length;
    }
  }
  assert.ok(start >= 0, `${DOC_PATH} has no heading "${title}"`);
  return out.join("\n");
}

/** The fenced blocks under `title`, each { lang, text, after } (after: the prose up to the next
 * block); there must be exactly `count`, so a block added to the doc is not left unchecked. */
function quoted(title, count) {
  const text = part(title);
  const found = [...text.matchAll(/```(\w*)\n([\s\S]*?)```/g)].map((m) => ({
    lang: m[1], text: m[2], at: m.index, end: m.index + m[0].length,
  }));
  for (let i = 0; i < found.length; i++) found[i].after = text.slice(found[i].end, found[i + 1]?.at);
  assert.equal(found.length, count, `${DOC_PATH}, "${title}": ${found.length} quoted blocks, the test reproduces ${count}`);
  return found;
}

/** The rows of the first table under `title`, as lists of cells. */
function table(title) {
  const rows = part(title).split("\n").filter((line) => line.startsWith("|"));
  return rows.slice(2).map((row) => row.slice(1, -1).split(" | ").map((cell) => cell.trim()));
}

/** The `code` spans of Markdown prose (fenced blocks left out), a line break in one read as a space. */
const spans = (text) =>
  [...text.replace(/```\w*\n[\s\S]*?```/g, "").matchAll(/`([^`]+)`/g)].map((m) => m[1].replace(/\s*\n\s*/g, " "));

// ---- running ssot -----------------------------------------------------------------------

// no secret and no say about production, whatever the shell running the tests has
const NO_SECRET = { SSOT_JWT_SECRET: undefined, EVERYTHING_JWT_SECRET: undefined, SSOT_ENV: undefined, NODE_ENV: undefined };
const SANITIZER_REPORT = /AddressSanitizer|LeakSanitizer|UndefinedBehaviorSanitizer|runtime error:/;

/** `ssot ...args` in cwd, without a secret unless env gives one: { code, stdout, stderr }. */
function ssot(args, { cwd, env = {} } = {}) {
  const result = spawnSync(resolve(SSOT_BIN), args, {
    cwd, encoding: "utf8", timeout: 20000, env: { ...process.env, NO_COLOR: "1", ...NO_SECRET, ...env },
  });
  assert.ifError(result.error);
  assert.doesNotMatch(result.stderr, SANITIZER_REPORT, result.stderr);
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

// every project of this suite is under one temporary directory, by its real path (the one ssot prints)
const ROOT = realpathSync(tempDir("troubleshooting"));

/** A fresh project directory, with config.lua when given. */
function project(prefix, config) {
  const dir = mkdtempSync(join(ROOT, `${prefix}-`));
  if (config !== undefined) writeFileSync(join(dir, "config.lua"), config);
  return dir;
}

/** text with the parts that differ from run to run written as the doc writes them. */
function normal(text, dirs = []) {
  let out = text;
  for (const dir of dirs) out = out.replaceAll(dir, "/…");
  return out
    .replace(/\b(?:localhost|127\.0\.0\.1):\d+/g, "localhost:8080")
    .replace(/"requestId":"[^"]*"/g, '"requestId":"…"')
    .replace(/\b\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ\b/g, "<time>")
    .replace(/\b[0-9a-f]{16}\b/g, "<hash>");
}

/** Asserts the output equals the block (both normalised), and the exit status is the one the
 * prose right after the block states ("Exit `3`."), or `code` when it states none. */
function assertQuoted(block, output, { dirs = [], code, exit } = {}) {
  assert.equal(normal(output, dirs), normal(block.text, dirs), `the output differs from ${DOC_PATH}'s block`);
  const stated = /^\s*Exit `(\d)`/.exec(block.after ?? "");
  if (stated) assert.equal(exit, Number(stated[1]), `exit status; the doc says ${stated[1]}`);
  else if (code !== undefined) assert.equal(exit, code, "exit status");
}

const servers = [];
async function serve(config, options) {
  const server = await startServe(config, options);
  servers.push(server);
  return server;
}
after(async () => {
  for (const server of servers) if (server.proc.exitCode === null && server.proc.signalCode === null) await server.stop();
});

// a small project: the one the doc's paths (data/todo.db) and messages (Task, tasks) are from
const TODO = `name = "todo"
models = {
  Task = {
    fields = { { "id", "id" }, { "title", "string" }, { "done", "bool", default = false } },
  },
}
`;

// ---- Starting ssot serve ------------------------------------------------------------------

describe("Starting `ssot serve`", () => {
  it("No config", () => {
    const [block] = quoted("No config", 1);
    const dir = project("noconfig");
    const result = ssot(["serve"], { cwd: dir });
    assertQuoted(block, result.stderr, { exit: result.code });
    assert.equal(result.stdout, "");
  });

  it("Config errors: every mistake with its line and a count; serve prints the same lines", () => {
    const [errors, twice, shared] = quoted("Config errors", 3);
    // unknown type 'strng' on line 6, 'done' again on line 8, an unfinished rule on line 10
    const dir = project("errors", `name = "todo"
models = {
  Task = {
    owner = "ownerId",
    fields = {
      { "id", "id" }, { "title", "strng" },
      { "done", "bool" },
      { "done", "bool" }, { "ownerId", "string" },
    },
    permissions = { update = "isOwner ||" },
  },
}
`);
    const run = ssot(["run"], { cwd: dir });
    assertQuoted(errors, run.stderr, { exit: run.code, code: 3 });
    const served = ssot(["serve"], { cwd: dir });
    assert.equal(served.code, 3);
    const lines = errors.text.split("\n").filter((line) => line.startsWith("error: ")).map((line) => line.slice(7));
    assert.equal(served.stderr, `${lines.join("\n")}\n`, "ssot serve: the same lines, without error: and the count");

    // the same model twice: Task on lines 3 and 10
    writeFileSync(join(dir, "config.lua"), `name = "todo"
models = {
  Task = {
    fields = { { "id", "id" }, { "title", "string" } },
  },
  Chore = {
    fields = { { "id", "id" }, { "title", "string" } },
  },
  -- pasted again further down
  Task = {
    fields = { { "id", "id" }, { "title", "string" }, { "done", "bool" } },
  },
}
`);
    const again = ssot(["serve"], { cwd: dir });
    assertQuoted(twice, again.stderr, { exit: again.code, code: 3 });

    // two models on one path: Task on line 3 and Chore, which asks for Task's
    writeFileSync(join(dir, "config.lua"), `name = "todo"
models = {
  Task = {
    fields = { { "id", "id" }, { "title", "string" } },
  },
  Chore = {
    path = "tasks",
    fields = { { "id", "id" }, { "title", "string" } },
  },
}
`);
    const same = ssot(["serve"], { cwd: dir });
    assertQuoted(shared, same.stderr, { exit: same.code, code: 3 });

    // "Others you may meet: `isOwner needs an owner field: ...`; `'tasks' is not a valid name: ...`"
    const others = spans(shared.after.slice(shared.after.indexOf("Others you may meet")).split("Every key")[0]);
    writeFileSync(join(dir, "config.lua"), `name = "todo"
models = {
  Task = {
    fields = { { "id", "id" }, { "title", "string" } },
    permissions = { update = "isOwner" },
  },
  tasks = {
    fields = { { "id", "id" }, { "title", "string" } },
  },
}
`);
    const more = ssot(["serve"], { cwd: dir });
    assert.equal(more.code, 3);
    assert.deepEqual(more.stderr.trimEnd().split("\n").map((line) => line.replace(/^config\.lua:\d+: [^ ]+: /, "")), others);
  });

  it("The port is in use", async () => {
    const [block] = quoted("The port is in use", 1);
    const dir = project("port", TODO);
    // a server still running "in another terminal", on localhost as the config's default
    const first = await serve(join(dir, "config.lua"), { listen: false, args: ["--port", "0", "--host", "localhost"] });
    const port = new URL(first.url).port;
    const second = ssot(["serve", "--port", port, "--host", "localhost"], { cwd: dir, env: { SSOT_JWT_SECRET: SECRET } });
    assertQuoted(block, second.stderr, { exit: second.code });
    await first.stop();
  });

  describe("The secret", () => {
    const [notice, production, env, mode, short] = quoted("The secret", 5);
    const dir = project("secret", TODO);
    const config = join(dir, "config.lua");

    it("development: the notice on the first start, and on later ones", async () => {
      const first = await serve(config, { env: NO_SECRET });
      assertQuoted(notice, `${first.stdout().split("\n")[0]}\n`, { dirs: [dir] });
      await first.stop();
      const later = await serve(config, { env: NO_SECRET });
      const [said] = spans(notice.after); // "later starts say `... the development secret in ...`"
      assert.ok(later.stdout().split("\n")[0].includes(said.replaceAll("...", "").trim()), `${later.stdout()} says ${said}`);
      await later.stop();
    });

    it("production without the secret, and SSOT_ENV=prod", () => {
      const fresh = project("secret-prod", TODO);
      const result = ssot(["serve", "--production"], { cwd: fresh });
      assertQuoted(production, result.stderr, { exit: result.code });
      assert.ok(!existsSync(join(fresh, "data")), "before the database is opened");
      const typo = ssot(["serve"], { cwd: fresh, env: { SSOT_ENV: "prod" } });
      assertQuoted(env, typo.stderr, { exit: typo.code });
    });

    it("a development secret others can read, and its siblings", () => {
      chmodSync(join(dir, "data/.ssot-secret"), 0o644);
      const result = ssot(["serve"], { cwd: dir });
      assertQuoted(mode, result.stderr, { exit: result.code, dirs: [dir] });
      chmodSync(join(dir, "data/.ssot-secret"), 0o600);

      // "Its siblings: `... is empty`, `... is a symbolic link, which ssot does not follow`, `... is not a regular file`"
      const siblings = spans(mode.after).filter((s) => s.startsWith("... ")).map((s) => s.slice(4));
      assert.equal(siblings.length, 3, mode.after);
      const other = project("secret-siblings", TODO);
      const file = join(other, "data/.ssot-secret");
      mkdirSync(join(other, "data"));
      writeFileSync(join(other, "target"), "x".repeat(40), { mode: 0o600 });
      for (const [make, said] of [
        [() => writeFileSync(file, "", { mode: 0o600 }), siblings[0]],
        [() => symlinkSync(join(other, "target"), file), siblings[1]],
        [() => mkdirSync(file), siblings[2]],
      ]) {
        rmSync(file, { recursive: true, force: true });
        make();
        const refused = ssot(["serve"], { cwd: other });
        assert.equal(refused.code, 1, refused.stderr);
        assert.ok(refused.stderr.startsWith(`error: SSOT_JWT_SECRET is not set, and the development secret ${file} ${said}`),
          `"${said}" in ${refused.stderr}`);
      }
    });

    it("a short secret is warned about, and the server runs", async () => {
      const server = await serve(config, { secret: "too-short", env: { SSOT_ENV: undefined, NODE_ENV: undefined } });
      await until(() => server.stderr().includes("\n"), "the warning");
      assertQuoted(short, server.stderr());
      await server.stop();
    });
  });

  it("The database does not match the config: a removed field, a changed type", async () => {
    const [removed, changed] = quoted("The database does not match the config", 2);
    const dir = project("migrate", TODO);
    const config = join(dir, "config.lua");
    await (await serve(config, { listen: false, args: ["--port", "0"], env: { SSOT_JWT_SECRET: SECRET } })).stop();
    writeFileSync(config, TODO.replace('{ "title", "string" }, ', ""));
    let result = ssot(["serve"], { cwd: dir, env: { SSOT_JWT_SECRET: SECRET } });
    assertQuoted(removed, result.stderr, { dirs: [dir], code: 3, exit: result.code });
    writeFileSync(config, TODO.replace('{ "title", "string" }', '{ "title", "text" }'));
    result = ssot(["serve"], { cwd: dir, env: { SSOT_JWT_SECRET: SECRET } });
    assertQuoted(changed, result.stderr, { dirs: [dir], code: 3, exit: result.code });
  });
});


// ---- ssot token ----------------------------------------------------------------------------

describe("`ssot token`", () => {
  it("no development secret yet; no config here; production; the development secret's line", async () => {
    const [notYet, noConfig, production] = quoted("`ssot token`", 3);
    const dir = project("token", TODO);
    let result = ssot(["token", "--sub", "1"], { cwd: dir });
    assertQuoted(notYet, result.stderr, { dirs: [dir], exit: result.code });
    result = ssot(["token", "--sub", "1"], { cwd: project("token-empty") });
    assertQuoted(noConfig, result.stderr, { exit: result.code });
    result = ssot(["token", "--sub", "1"], { cwd: dir, env: { SSOT_ENV: "production" } });
    assertQuoted(production, result.stderr, { exit: result.code });

    await (await serve(join(dir, "config.lua"), { env: NO_SECRET })).stop();
    result = ssot(["token", "--sub", "1"], { cwd: dir });
    assert.equal(result.code, 0, result.stderr);
    const line = spans(production.after).find((s) => s.startsWith("ssot token: signed with"));
    assert.equal(normal(result.stderr, [dir]), `${line}\n`);
  });
});

// ---- ssot run --check --------------------------------------------------------------------

describe("`ssot run --check`", () => {
  it("files out of date after a field was added", () => {
    const [block] = quoted("`ssot run --check`", 1);
    const dir = project("check", TODO);
    assert.equal(ssot(["run", "--quiet"], { cwd: dir }).code, 0);
    writeFileSync(join(dir, "config.lua"), TODO.replace('{ "done", "bool", default = false }',
      '{ "done", "bool", default = false }, { "due", "datetime", optional = true }'));
    const result = ssot(["run", "--check", "--quiet"], { cwd: dir });
    assertQuoted(block, result.stderr, { dirs: [dir], exit: result.code });
  });
});

// ---- a running server: HTTP, CORS, WebSockets, the SDK ---------------------------------------

// The doc's app: Task rows belong to their owner; small limits so each is reached at once.
const APP = `name = "todo"
models = {
  Task = {
    owner = "ownerId",
    fields = { { "id", "id" }, { "title", "string" }, { "ownerId", "string" } },
    permissions = { list = "isOwner", get = "isOwner", create = "authenticated", update = "isOwner", delete = "isOwner" },
  },
}
serve = { maxBody = 1024, cors = { origins = { "http://localhost:5173" } } }
websockets = {
  pubsub = { models = { Task = true } },
  limits = { messageSize = 1024, messagesPerSecond = 5, subscriptions = 1 },
}
`;

describe("a running server", () => {
  let dir, server, base;
  const alice = () => forge({ sub: "alice", exp: now() + 600 });
  const clients = [];
  /** A ws.mjs Client that also keeps each frame's text as sent (raw), from the first one on. */
  async function connect({ token } = {}) {
    const ws = new WebSocket(`${base.replace(/^http/, "ws")}/ws`, { headers: token ? { authorization: `Bearer ${token}` } : {} });
    const raw = [];
    ws.on("message", (data) => raw.push(data.toString()));
    const client = Object.assign(new Client(ws), { raw });
    clients.push(client);
    await new Promise((ok, fail) => {
      ws.once("open", ok);
      ws.once("error", fail);
    });
    return client;
  }

  before(async () => {
    dir = project("app", APP);
    server = await serve(join(dir, "config.lua"));
    base = server.url;
  });
  after(() => {
    for (const c of clients) c.ws.terminate();
  });

  it("401 unauthorized: an expired token, and the table's other messages", async () => {
    const [block] = quoted("`401 unauthorized`", 1);
    const expired = await api(base, "GET", "/api/tasks", { token: forge({ sub: "alice", exp: now() - 30 }) });
    assert.equal(expired.status, 401);
    assertQuoted(block, `${expired.text}\n`);

    const answers = [
      await api(base, "GET", "/api/tasks", { token: forge({ sub: "alice", exp: now() + 60 }, { secret: "another-secret" }) }),
      await api(base, "GET", "/api/tasks"),
      await api(base, "GET", "/api/tasks", { headers: { authorization: "Basic YWxpY2U6c2VjcmV0" } }),
      await api(base, "GET", "/api/tasks", { token: forge({ sub: "alice", exp: now() + 60 }, { header: { alg: "none" }, signature: "" }) }),
    ];
    for (const answer of answers) assert.equal(answer.status, 401, answer.text);
    assert.deepEqual(answers.map((a) => a.json.error.message), table("`401 unauthorized`").map((row) => spans(row[0])[0]));
  });

  it("403 forbidden", async () => {
    const [block] = quoted("`403 forbidden`", 1);
    const created = await api(base, "POST", "/api/tasks", { body: { title: "mine" }, token: alice() });
    assert.equal(created.status, 201, created.text);
    const res = await api(base, "GET", `/api/tasks/${created.json.id}`, { token: forge({ sub: "bob", exp: now() + 60 }) });
    assert.equal(res.status, 403);
    assertQuoted(block, `${res.text}\n`);
  });

  it("413 payload_too_large", async () => {
    const [block] = quoted("`413 payload_too_large`", 1);
    const body = JSON.stringify({ title: "x".repeat(3012 - 12) });
    assert.equal(body.length, 3012);
    const res = await api(base, "POST", "/api/tasks", { raw: body, token: alice(), headers: { "content-type": "application/json" } });
    assert.equal(res.status, 413);
    assertQuoted(block, `${res.text}\n`);
  });

  it("Other 4xx: every row of the table", async () => {
    const row = (res) => {
      const { code, message, fields } = res.json.error;
      return [`${res.status} ${code}`, message, ...(fields ? [`"fields":${JSON.stringify(fields)}`] : [])];
    };
    const answers = [
      await api(base, "POST", "/api/tasks", { raw: "title=x", token: alice(), headers: { "content-type": "application/x-www-form-urlencoded" } }),
      await api(base, "POST", "/api/tasks", { body: { title: 5, x: 1 }, token: alice() }),
      await api(base, "GET", "/api/task"),
      await api(base, "GET", "/api/tasks/999", { token: alice() }),
      await api(base, "DELETE", "/api/tasks", { token: alice() }),
      await api(base, "GET", "/ws"),
    ];
    assert.deepEqual(answers.map(row), table("Other 4xx").map((cells) => spans(cells[0])));
  });

  it("CORS: the server's side of what the browser shows", async () => {
    assert.equal(quoted("CORS", 1)[0].text.split("\n").length - 1, 3, "three lines of Chromium's console (not reproduced)");
    const from = "http://localhost:3000";
    const preflight = await api(base, "OPTIONS", "/api/tasks", {
      headers: { origin: from, "access-control-request-method": "POST", "access-control-request-headers": "content-type" },
    });
    assert.equal(preflight.headers.get("access-control-allow-origin"), null);
    const plain = await api(base, "GET", "/api/tasks", { headers: { origin: from } });
    assert.equal(plain.headers.get("access-control-allow-origin"), null);
    const allowed = await api(base, "GET", "/api/tasks", { headers: { origin: "http://localhost:5173" } });
    assert.equal(allowed.headers.get("access-control-allow-origin"), "http://localhost:5173");

    const { port } = new URL(base);
    const answer = await rawExchange(base, `GET /ws HTTP/1.1\r\nHost: localhost:${port}\r\nOrigin: ${from}\r\n` +
      "Connection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n",
    { timeoutMs: 1000 });
    assert.match(answer, /^HTTP\/1.1 403 /);
    const said = spans(part("CORS")).find((s) => s.startsWith("the origin "));
    assert.equal(JSON.parse(answer.slice(answer.indexOf("\r\n\r\n") + 4)).error.message, said);
  });

  it("WebSockets: 4401 at connect and on expiry, 1009", async () => {
    const rows = table("WebSockets");
    const closes = rows.map((cells) => spans(cells[0])[0]);
    assert.deepEqual(closes, ["4401", "4401", "1009", "4008", "1006", "1001"]);
    const reason = (cells) => /reason (?:is )?`([^`]+)`/.exec(cells[2])?.[1];

    const stale = await connect({ token: forge({ sub: "alice", exp: now() - 30 }) });
    const staleClose = await stale.closed;
    assert.equal(staleClose.code, 4401);
    assert.equal(staleClose.reason, reason(rows[0]));
    assert.equal(normal(stale.raw[0]), normal(spans(rows[0][1])[0]));

    const expiring = await connect({ token: forge({ sub: "alice", exp: now() + 2 }) });
    const expiredClose = await expiring.closed;
    assert.equal(expiredClose.code, 4401);
    assert.equal(expiredClose.reason, reason(rows[1]));
    assert.equal(expiring.raw.at(-1), spans(rows[1][1])[0]);

    const big = await connect();
    big.sendRaw(JSON.stringify({ type: "ping", pad: "x".repeat(1100) }));
    assert.equal((await big.closed).code, 1009);
    assert.equal(big.raw.at(-1), spans(rows[2][1])[0]);
  });

  it("WebSockets: errors that do not close the connection", async () => {
    const [block] = quoted("WebSockets", 1);
    const [rate, tooMany, channel, anonymous] = block.text.trimEnd().split("\n");

    const hasty = await connect();
    for (let i = 0; i < 10; i++) hasty.sendRaw(JSON.stringify({ type: "ping" }));
    await hasty.next((m) => m.type === "error", { what: "rate_limited" });
    assert.equal(hasty.raw.find((m) => m.includes('"error"')), rate);

    const busy = await connect({ token: alice() });
    await busy.subscribe("Task:list");
    busy.sendRaw(JSON.stringify({ type: "subscribe", id: 2, channel: "Task:item:1" }));
    await busy.reply(2);
    assert.equal(busy.raw.at(-1), tooMany);

    const typo = await connect();
    typo.sendRaw(JSON.stringify({ type: "subscribe", id: 1, channel: "Tsk:list" }));
    await typo.reply(1);
    assert.equal(typo.raw.at(-1), channel);

    const stranger = await connect();
    stranger.sendRaw(JSON.stringify({ type: "subscribe", id: 2, channel: "Task:list" }));
    await stranger.reply(2);
    assert.equal(stranger.raw.at(-1), anonymous);

    await new Promise((ok) => setTimeout(ok, 1100)); // the rate limit's second passes
    for (const c of [hasty, busy, typo, stranger]) assert.equal((await c.ask({ type: "ping" })).type, "pong", "still open");
  });

  it("The SDK's schema-mismatch warning", async () => {
    const [block] = quoted("The SDK's schema-mismatch warning", 1);
    // the front end's SDK was generated from another version of the config: one more field
    const older = project("sdk-config", APP.replace(', { "ownerId", "string" }', ', { "ownerId", "string" }, { "note", "string", optional = true }'));
    const { dir: sdkDir } = generate(join(older, "config.lua"), "ts-sdk");
    const sdk = await compile(sdkDir)("sdk/index.js");
    const warned = [];
    const warn = console.warn;
    console.warn = (...args) => warned.push(args.join(" "));
    try {
      const client = sdk.createClient({ baseUrl: base, token: alice() });
      await client.tasks.list();
      await client.tasks.list();
    } finally {
      console.warn = warn;
    }
    assert.equal(warned.length, 1, "once per client");
    assertQuoted(block, `${warned[0]}\n`);
  });
});

describe("WebSockets: 4008 and 1001", () => {
  it("a client that does not read is closed with 4008; SIGTERM closes with 1001", async () => {
    const rows = table("WebSockets");
    const reason = /reason is `([^`]+)`/.exec(rows[3][1])?.[1];
    assert.equal(rows[3][0], "`4008`");
    assert.equal(rows[5][0], "`1001`");
    const dir = project("slow", `name = "todo"
models = {
  Task = {
    fields = { { "id", "id" }, { "title", "text" } },
    permissions = { list = "true", get = "true", create = "true", update = "true", delete = "true" },
  },
}
websockets = { pubsub = { models = { Task = true } }, limits = { sendQueue = 65536 } }
`);
    const server = await serve(join(dir, "config.lua"), { args: ["--quiet"] });
    const slow = await Client.connect(server.url);
    await slow.subscribe("Task:list");
    slow.ws._socket.pause(); // stops reading: the server's queue for it grows
    const title = "x".repeat(90000);
    for (let i = 0; i < 240; i += 8) {
      await Promise.all(Array.from({ length: 8 }, () => api(server.url, "POST", "/api/tasks", { body: { title } })));
    }
    slow.ws._socket.resume();
    const closed = await slow.closed;
    assert.equal(closed.code, 4008);
    assert.equal(closed.reason, reason);
    assert.ok(!slow.messages.some((m) => m.type === "error"), "no error message before 4008");

    const leaving = await Client.connect(server.url);
    await leaving.subscribe("Task:list");
    await server.stop();
    assert.equal((await leaving.closed).code, 1001);
    assert.ok(!leaving.messages.some((m) => m.type === "error"), "no error message before 1001");
  });
});
