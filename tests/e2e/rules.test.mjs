// Permission rules and auth under the real `ssot serve`, on a config written here: list rules
// filter rows (expressions reduced to SQL and Lua functions, `total` and paging counting only
// the rows a user may see), get/update/delete rules per row (401 anonymous, 403 signed in),
// the owner field filled from the token, `nbf`, and the secret read from the environment
// variable the config names (not SSOT_JWT_SECRET); a Lua error in a rule function refuses the
// request with a 500 naming the request id.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { after, before, describe, it } from "node:test";
import { SECRET, SSOT_BIN, api, assertError, forge, now, startServe, tempDir } from "./helpers.mjs";

const CONFIG = `
name = "rules"
auth = { secretEnv = "RULES_JWT_SECRET" }
models = {
  Doc = {
    owner = "ownerId",
    fields = { { "id", "id" }, { "ownerId", "string" }, { "title", "string", max = 60 } },
    permissions = {
      list = "isOwner || isAdmin", get = "isOwner || isAdmin", create = "authenticated",
      update = "isOwner", delete = "isOwner || isAdmin",
    },
  },
  Post = {
    fields = { { "id", "id" }, { "title", "string" }, { "visible", "bool", default = true } },
    permissions = {
      list = function(user, row) return row.visible == true or (user ~= nil and user.role == "editor") end,
      get = function(user, row) return row.visible == true end,
    },
  },
  Trap = {
    fields = { { "id", "id" }, { "title", "string" } },
    permissions = {
      get = function(user, row) if row.title == "trap" then error("boom in a get rule") end return true end,
      delete = function(user, row) if row.title == "trap" then error("boom in a delete rule") end return true end,
    },
  },
}
`;
// a different secret in SSOT_JWT_SECRET: tokens signed with it must not be accepted
const DECOY = "decoy-secret-not-the-configured-one-0123456789";

let server, base;
const token = (sub, extra = {}) => forge({ sub, exp: now() + 600, ...extra });
const ann = token("ann");
const bob = token("bob");
const admin = token("root", { role: "admin" });
const editor = token("ed", { role: "editor" });

before(async () => {
  const dir = tempDir("rules");
  writeFileSync(`${dir}/rules.lua`, CONFIG);
  server = await startServe(`${dir}/rules.lua`, {
    db: `${dir}/rules.db`, env: { SSOT_JWT_SECRET: DECOY, RULES_JWT_SECRET: SECRET },
  });
  base = server.url;
});
after(() => server.stop());

const titles = (page) => page.items.map((row) => row.title);

describe("the secret comes from the variable the config names", () => {
  it("a token signed with auth.secretEnv's secret is accepted, one signed with SSOT_JWT_SECRET's is not", async () => {
    assert.equal((await api(base, "GET", "/api/docs", { token: ann })).status, 200);
    const decoy = forge({ sub: "ann", exp: now() + 600 }, { secret: DECOY });
    assertError(await api(base, "GET", "/api/docs", { token: decoy }), 401, "unauthorized");
  });

  it("ssot token --config signs with the config's variable", () => {
    const dir = tempDir("rules-token");
    writeFileSync(`${dir}/rules.lua`, CONFIG);
    const run = (env) => spawnSync(SSOT_BIN, ["token", "--sub", "ann", "--config", `${dir}/rules.lua`],
      { encoding: "utf8", env: { ...process.env, SSOT_JWT_SECRET: DECOY, ...env } });
    const minted = run({ RULES_JWT_SECRET: SECRET });
    assert.equal(minted.status, 0, minted.stderr);
    const [h, p, s] = minted.stdout.trim().split(".");
    assert.equal(forge(JSON.parse(Buffer.from(p, "base64url")), { header: JSON.parse(Buffer.from(h, "base64url")) })
      .split(".")[2], s, "signed with RULES_JWT_SECRET");
    const missing = run({ RULES_JWT_SECRET: "" });
    assert.equal(missing.status, 2);
    assert.match(missing.stderr, /RULES_JWT_SECRET is not set/);
  });
});

describe("token times", () => {
  it("nbf in the future is refused; nbf in the past and exp in the future are accepted", async () => {
    const early = token("ann", { nbf: now() + 600 });
    assert.match(assertError(await api(base, "GET", "/api/docs", { token: early }), 401, "unauthorized").message,
      /not valid before/);
    assert.equal((await api(base, "GET", "/api/docs", { token: token("ann", { nbf: now() - 5 }) })).status, 200);
    assert.match(assertError(await api(base, "GET", "/api/docs", { token: token("ann", { exp: now() - 5 }) }),
      401, "unauthorized").message, /expired/);
  });
});

describe("the owner field and row rules", () => {
  const docs = {};

  before(async () => {
    for (const [who, tok, title] of [["ann", ann, "a1"], ["ann", ann, "a2"], ["bob", bob, "b1"], ["ann", ann, "a3"]]) {
      const res = await api(base, "POST", "/api/docs", { token: tok, body: { title } });
      assert.equal(res.status, 201, res.text);
      assert.equal(res.json.ownerId, who, "the owner field is filled from the token");
      docs[title] = res.json;
    }
  });

  it("creating needs a token (the owner is required); the owner cannot be sent", async () => {
    assertError(await api(base, "POST", "/api/docs", { body: { title: "anon" } }), 401, "unauthorized");
    const e = assertError(await api(base, "POST", "/api/docs", { token: bob, body: { title: "spoof", ownerId: "ann" } }),
      400, "validation_failed");
    assert.match(e.fields.ownerId, /set by the server/);
  });

  it("list: each user sees exactly their own rows, an admin all; total counts only those", async () => {
    const annPage = (await api(base, "GET", "/api/docs", { token: ann })).json;
    assert.deepEqual(titles(annPage), ["a1", "a2", "a3"]);
    assert.equal(annPage.total, 3);
    const bobPage = (await api(base, "GET", "/api/docs", { token: bob })).json;
    assert.deepEqual(titles(bobPage), ["b1"]);
    assert.equal(bobPage.total, 1);
    assert.equal((await api(base, "GET", "/api/docs", { token: admin })).json.total, 4);
    const stranger = (await api(base, "GET", "/api/docs", { token: token("carol") })).json;
    assert.deepEqual(stranger.items, []);
    assert.equal(stranger.total, 0);
    assertError(await api(base, "GET", "/api/docs"), 401, "unauthorized");
  });

  it("list: paging, where and orderBy apply to the visible rows only", async () => {
    const q = (params) => `/api/docs?${new URLSearchParams(params)}`;
    const page = (await api(base, "GET", q({ skip: "1", take: "1", orderBy: '{"title":"desc"}' }), { token: ann })).json;
    assert.deepEqual(titles(page), ["a2"]);
    assert.equal(page.total, 3);
    const where = (await api(base, "GET", q({ where: '{"title":"b1"}' }), { token: ann })).json;
    assert.equal(where.total, 0, "another user's row stays invisible through where");
  });

  it("get: the owner and an admin read a row; another user gets 403, an anonymous caller 401", async () => {
    const b1 = docs.b1.id;
    assert.equal((await api(base, "GET", `/api/docs/${b1}`, { token: bob })).json.title, "b1");
    assert.equal((await api(base, "GET", `/api/docs/${b1}`, { token: admin })).status, 200);
    assertError(await api(base, "GET", `/api/docs/${b1}`, { token: ann }), 403, "forbidden");
    assertError(await api(base, "GET", `/api/docs/${b1}`), 401, "unauthorized");
  });

  it("update and delete: 403 for another user and nothing changes; the owner may", async () => {
    const a1 = docs.a1.id;
    const e = assertError(await api(base, "PATCH", `/api/docs/${a1}`, { token: bob, body: { title: "taken" } }),
      403, "forbidden");
    assert.match(e.message, /update rule of Doc \(isOwner\)/);
    assertError(await api(base, "DELETE", `/api/docs/${a1}`, { token: bob }), 403, "forbidden");
    assertError(await api(base, "PATCH", `/api/docs/${a1}`, { body: { title: "anon" } }), 401, "unauthorized");
    assertError(await api(base, "PATCH", `/api/docs/${a1}`, { token: admin, body: { title: "admin" } }), 403, "forbidden");
    assert.equal((await api(base, "GET", `/api/docs/${a1}`, { token: ann })).json.title, "a1");
    assert.equal((await api(base, "PATCH", `/api/docs/${a1}`, { token: ann, body: { title: "a1!" } })).json.title, "a1!");
    assert.equal((await api(base, "DELETE", `/api/docs/${docs.a3.id}`, { token: admin })).status, 204);
    assert.equal((await api(base, "GET", "/api/docs", { token: ann })).json.total, 2);
  });
});

describe("Lua-function rules", () => {
  before(async () => {
    for (const [title, visible] of [["p1", true], ["hidden", false], ["p2", true], ["p3", true]]) {
      const res = await api(base, "POST", "/api/posts", { body: { title, visible } });
      assert.equal(res.status, 201, res.text);
    }
  });

  it("list keeps the rows the function allows; paging and total count after filtering", async () => {
    const page = (await api(base, "GET", "/api/posts")).json;
    assert.deepEqual(titles(page), ["p1", "p2", "p3"]);
    assert.equal(page.total, 3);
    const second = (await api(base, "GET", "/api/posts?skip=1&take=1")).json;
    assert.deepEqual(titles(second), ["p2"]);
    assert.equal(second.total, 3);
    const asEditor = (await api(base, "GET", "/api/posts", { token: editor })).json;
    assert.deepEqual(titles(asEditor), ["p1", "hidden", "p2", "p3"], "the function sees the user");
  });

  it("get: a row the function refuses is 401 anonymous, 403 signed in", async () => {
    assertError(await api(base, "GET", "/api/posts/2"), 401, "unauthorized");
    assertError(await api(base, "GET", "/api/posts/2", { token: editor }), 403, "forbidden");
    assert.equal((await api(base, "GET", "/api/posts/1")).json.title, "p1");
  });
});

describe("a Lua error in a rule function", () => {
  it("is a 500 naming the request id, logged with its traceback; nothing is allowed by accident", async () => {
    const trap = (await api(base, "POST", "/api/traps", { body: { title: "trap" } })).json;
    const logged = async (requestId, pattern) => {
      for (let i = 0; i < 50 && !server.stderr().includes(requestId); i++) await new Promise((ok) => setTimeout(ok, 20));
      const entry = server.stderr().slice(server.stderr().indexOf(requestId));
      assert.match(entry, pattern);
      assert.match(entry, /stack traceback/);
    };
    const get = assertError(await api(base, "GET", `/api/traps/${trap.id}`), 500, "internal");
    assert.match(get.message, new RegExp(get.requestId));
    assert.doesNotMatch(get.message, /boom/, "the Lua error stays in the server log");
    await logged(get.requestId, /boom in a get rule/);
    const del = assertError(await api(base, "DELETE", `/api/traps/${trap.id}`), 500, "internal");
    await logged(del.requestId, /boom in a delete rule/);
    assert.equal((await api(base, "GET", "/api/traps")).json.total, 1, "the row was not deleted");
    assert.equal((await api(base, "GET", "/healthz")).status, 200, "the server keeps serving");
  });
});
