// Lua hooks and custom routes (tests/fixtures/serve/hooks.lua) under the real `ssot serve`:
// before-hooks that change data, reject with 400 or 403, or fail (500 naming the request id,
// traceback in the log, server still serving); after-hooks; custom routes reading through
// req.list / req.get and answering JSON, statuses, text or nothing; hooks kept in a file the
// config names.
import assert from "node:assert/strict";
import { mkdirSync, writeFileSync } from "node:fs";
import { after, before, describe, it } from "node:test";
import { api, assertError, mint, source, startServe, tempDir } from "./helpers.mjs";

let server, base;
before(async () => {
  server = await startServe(source("tests/fixtures/serve/hooks.lua"), { db: `${tempDir("hooks")}/hooks.db` });
  base = server.url;
});
after(() => server.stop());

const create = (text, extra = {}) => api(base, "POST", "/api/notes", { body: { text, ...extra } });

/** The error logged for a request id (stderr), waiting briefly for it to arrive. */
async function logged(requestId) {
  for (let i = 0; i < 50 && !server.stderr().includes(requestId); i++) await new Promise((ok) => setTimeout(ok, 20));
  const stderr = server.stderr();
  const start = stderr.indexOf(`request ${requestId}`);
  assert.ok(start >= 0, `no log entry for ${requestId} in:\n${stderr}`);
  return stderr.slice(start, start + 2000);
}

describe("before-hooks", () => {
  it("modify the data (trim, defaults, the caller)", async () => {
    const res = await create("   padded   ");
    assert.equal(res.status, 201, res.text);
    assert.equal(res.json.text, "padded");
    assert.deepEqual(res.json.tags, ["new"]);
    assert.equal(res.json.createdBy, "anonymous");
    const signed = await api(base, "POST", "/api/notes", { token: mint(42), body: { text: "mine", tags: ["x"] } });
    assert.equal(signed.json.createdBy, "42");
    assert.deepEqual(signed.json.tags, ["x"]);
  });

  it("reject with a message: 400 rejected", async () => {
    const e = assertError(await create("reject me"), 400, "rejected");
    assert.equal(e.message, "notes may not say that");
  });

  it("reject with 403: forbidden", async () => {
    const e = assertError(await create("forbid me"), 403, "forbidden");
    assert.equal(e.message, "only editors may write that");
  });

  it("a Lua error is a 500 naming the request id; the traceback is in the log", async () => {
    const e = assertError(await create("crash me"), 500, "internal");
    assert.ok(e.requestId);
    assert.match(e.message, new RegExp(e.requestId));
    assert.doesNotMatch(e.message, /boom/, "the Lua error stays in the server log");
    const log = await logged(e.requestId);
    assert.match(log, /hooks\.lua:\d+: boom in beforeCreate/);
    assert.match(log, /stack traceback/);
    assert.equal((await create("after the crash")).status, 201, "the server keeps serving");
  });

  it("data a hook leaves that does not fit the model is a 500 (a bug in the hook), nothing written", async () => {
    const before = (await api(base, "GET", "/api/notes?take=1")).json.total;
    const e = assertError(await create("bad data"), 500, "internal");
    assert.match(await logged(e.requestId), /status must be one of: draft, final/);
    assert.equal((await api(base, "GET", "/api/notes?take=1")).json.total, before);
  });

  it("beforeUpdate sees the existing row and may return a replacement table", async () => {
    const note = (await create("quiet")).json;
    const res = await api(base, "PATCH", `/api/notes/${note.id}`, { body: { text: "louder" } });
    assert.equal(res.status, 200, res.text);
    assert.equal(res.json.text, "LOUDER");
    assert.deepEqual(res.json.tags, ["new"]);
    const final = await api(base, "PATCH", `/api/notes/${note.id}`, { body: { status: "final" } });
    assert.equal(final.json.status, "final");
    const e = assertError(await api(base, "PATCH", `/api/notes/${note.id}`, { body: { text: "again" } }), 403, "forbidden");
    assert.equal(e.message, "final notes cannot change");
    assert.equal((await api(base, "GET", `/api/notes/${note.id}`)).json.text, "LOUDER", "a rejected update writes nothing");
  });

  it("an empty body with Content-Length: 0 is 400 invalid_json for PATCH and PUT as for POST (not 411)", async () => {
    const note = (await create("unchanged")).json;
    for (const [method, path] of [["PATCH", `/api/notes/${note.id}`], ["PUT", `/api/notes/${note.id}`], ["POST", "/api/notes"]]) {
      const res = await api(base, method, path, { raw: "", headers: { "content-type": "application/json", "content-length": "0" } });
      const e = assertError(res, 400, "invalid_json");
      assert.match(e.message, /body is empty/, `${method}: ${e.message}`);
    }
    assert.equal((await api(base, "GET", `/api/notes/${note.id}`)).json.text, "unchanged");
  });

  it("beforeDelete may keep a row", async () => {
    const note = (await create("keep")).json;
    const e = assertError(await api(base, "DELETE", `/api/notes/${note.id}`), 400, "rejected");
    assert.equal(e.message, `note ${note.id} is kept`);
    assert.equal((await api(base, "GET", `/api/notes/${note.id}`)).status, 200);
  });
});

describe("after-hooks", () => {
  it("run after the write; a failing one is a 500 that says the write stays", async () => {
    const e = assertError(await create("after crash"), 500, "internal");
    assert.match(e.message, /was created/);
    assert.match(await logged(e.requestId), /boom in afterCreate/);
    const page = (await api(base, "GET", `/api/notes?where=${encodeURIComponent('{"text":"after crash"}')}`)).json;
    assert.equal(page.total, 1, "the row was committed before the after-hook ran");
  });

  it("afterDelete sees the deleted row (reported by a custom route)", async () => {
    const note = (await create("to delete")).json;
    assert.equal((await api(base, "DELETE", `/api/notes/${note.id}`)).status, 204);
    const stats = (await api(base, "GET", "/api/stats")).json;
    assert.ok(stats.deleted.includes(note.id), JSON.stringify(stats));
    assert.ok(stats.afterCreates >= 3);
  });
});

describe("custom routes", () => {
  it("a table is sent as JSON; req.list reads the store", async () => {
    const res = await api(base, "GET", "/api/stats");
    assert.equal(res.status, 200);
    assert.equal(res.headers.get("content-type"), "application/json");
    const drafts = (await api(base, "GET", `/api/notes?where=${encodeURIComponent('{"status":"draft"}')}`)).json.total;
    assert.equal(res.json.drafts, drafts);
  });

  it("{param} segments and req.get; a (status, table) result", async () => {
    const note = (await create("shout")).json;
    const res = await api(base, "GET", `/api/notes/${note.id}/shout`);
    assert.equal(res.status, 200);
    assert.deepEqual(res.json, { text: "SHOUT!" });
    const missing = await api(base, "GET", "/api/notes/999999/shout");
    assert.equal(missing.status, 404);
    assert.equal(missing.json.error.message, "no note 999999");
  });

  it("the request table: method, body, query and the verified user", async () => {
    const res = await api(base, "POST", "/api/echo?x=1&y=two", { token: mint(7, { role: "admin" }), body: { a: [1, 2] } });
    assert.equal(res.status, 201);
    assert.deepEqual(res.json, {
      body: { a: [1, 2] }, method: "POST", query: { x: "1", y: "two" }, user: { id: 7, isAdmin: true, role: "admin" },
    });
    const invalid = await api(base, "POST", "/api/echo", { raw: "{nope", headers: { "content-type": "application/json" } });
    assertError(invalid, 400, "invalid_json");
  });

  it("req.body is decoded for the JSON content types model routes accept, and only those", async () => {
    const post = (type) => api(base, "POST", "/api/echo", { raw: '{"a":1}', headers: { "content-type": type } });
    for (const type of ["application/json", "Application/JSON; charset=utf-8", "application/merge-patch+json"])
      assert.deepEqual((await post(type)).json.body, { a: 1 }, type);
    for (const type of ["application/jsonp", "text/plain"])
      assert.equal((await post(type)).json.body, undefined, `${type}: body stays nil (rawBody has the text)`);
  });

  it("text, nothing (204), and 405 for other methods on a route's path", async () => {
    const text = await api(base, "GET", "/api/text");
    assert.equal(text.text, "plain text");
    assert.match(text.headers.get("content-type"), /^text\/plain/);
    assert.equal((await api(base, "DELETE", "/api/nothing")).status, 204);
    const res = await api(base, "POST", "/api/stats", { body: {} });
    assertError(res, 405, "method_not_allowed");
    assert.equal(res.headers.get("allow"), "GET, HEAD, OPTIONS");
  });

  it("an error or an unsendable result is a 500 with the request id; the server keeps serving", async () => {
    const e = assertError(await api(base, "GET", "/api/crash"), 500, "internal");
    assert.match(await logged(e.requestId), /boom in a route/);
    const bad = assertError(await api(base, "GET", "/api/bad-result"), 500, "internal");
    assert.match(await logged(bad.requestId), /a function cannot be sent as JSON/);
    assert.equal((await api(base, "GET", "/healthz")).status, 200);
  });
});

describe("hooks in a file the config names", () => {
  let fileServer;
  before(async () => {
    const dir = tempDir("hooks-file");
    mkdirSync(`${dir}/hooks`);
    writeFileSync(`${dir}/app.lua`, `
name = "filehooks"
models = {
  Item = {
    fields = { { "id", "id" }, { "name", "string" } },
    hooks = "hooks/item.lua",
  },
}
`);
    writeFileSync(`${dir}/hooks/item.lua`, `-- state of its own, kept between requests
local created = 0
return {
  beforeCreate = function(data)
    if data.name == "no" then return false, "the item hook file says no" end
    if data.name == "fail" then error("boom in the item hook file") end
    created = created + 1
    data.name = data.name .. " #" .. created
  end,
}
`);
    fileServer = await startServe(`${dir}/app.lua`, { db: `${dir}/app.db` });
  });
  after(() => fileServer.stop());

  it("modify, reject and fail like inline hooks; the traceback names the file", async () => {
    const post = (name) => api(fileServer.url, "POST", "/api/items", { body: { name } });
    assert.equal((await post("first")).json.name, "first #1");
    assert.equal((await post("second")).json.name, "second #2", "the file's locals live on between requests");
    assert.equal(assertError(await post("no"), 400, "rejected").message, "the item hook file says no");
    const e = assertError(await post("fail"), 500, "internal");
    for (let i = 0; i < 50 && !fileServer.stderr().includes(e.requestId); i++) await new Promise((ok) => setTimeout(ok, 20));
    assert.match(fileServer.stderr(), /hooks\/item\.lua:\d+: boom in the item hook file/);
    assert.equal((await api(fileServer.url, "GET", "/api/items")).json.total, 2, "rejected and failed creates wrote nothing");
  });
});

describe("limits.request", () => {
  it("a hook or route that loops — even catching the limit's error with pcall — is stopped, named, and the server goes on", async (t) => {
    const dir = tempDir("limits");
    writeFileSync(`${dir}/app.lua`, `
name = "limited"
limits = { request = 0.3 }
models = {
  Item = {
    fields = { { "id", "id" }, { "name", "string" } },
    hooks = {
      beforeCreate = function(data)
        if data.name == "loop" then
          while true do pcall(function() while true do end end) end
        end
      end,
    },
  },
}
routes = {
  ["GET /api/spin"] = function()
    local n = 0
    while true do
      local ok = pcall(function() for i = 1, 1e12 do n = n + i end end)
      n = ok and n or n + 1
    end
  end,
}
`);
    const limited = await startServe(`${dir}/app.lua`, { db: `${dir}/app.db` });
    t.after(() => limited.proc.kill("SIGKILL"));
    const started = Date.now();
    const hook = assertError(await api(limited.url, "POST", "/api/items", { body: { name: "loop" } }), 500, "internal");
    const route = assertError(await api(limited.url, "GET", "/api/spin"), 500, "internal");
    assert.ok(Date.now() - started < 5000, "both stopped soon after 0.3 s");
    assert.equal((await api(limited.url, "POST", "/api/items", { body: { name: "fine" } })).status, 201);
    const { stderr } = await limited.stop();
    assert.match(stderr, new RegExp(`request ${hook.requestId}[^]*app\\.lua:1\\d: the beforeCreate hook of Item ran for more than 0\\.3 s \\(limits\\.request in the config\\)`));
    assert.match(stderr, new RegExp(`request ${route.requestId}[^]*app\\.lua:2\\d: the route GET /api/spin ran for more than 0\\.3 s`));
  });
});
