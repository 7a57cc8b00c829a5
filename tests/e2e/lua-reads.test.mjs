// Rules, hooks and routes that read other models with ssot.get / ssot.list, under the real
// `ssot serve`: private clubs whose posts only members see — over REST (list totals and paging
// counting only visible rows, get, create), as live events on the list channel, in a replay
// with `since`, and on a custom channel whose subscribe rule asks the same question; a member
// added later sees the next events at once (rules run per event); a before-hook reading the
// store; and the errors a wrong call raises, at the config's line. The store hands rows to a
// rule only after its own statement was reset, so these nested reads are safe (runs under ASan).
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { after, before, describe, it } from "node:test";
import { SSOT_BIN, api, assertError, mint, startServe, tempDir } from "./helpers.mjs";
import { Client, assertWsError } from "./ws.mjs";

const CONFIG = `
name = "clubs"

-- Whether user may see what belongs to the club with id clubId: public clubs everyone,
-- private ones their members (and admins).
local function canSee(user, clubId)
  local club = ssot.get("Club", clubId)
  if club == nil then return false end
  if not club.isPrivate then return true end
  if user == nil then return false end
  if user.isAdmin then return true end
  return ssot.list("Member", { where = { clubId = club.id, userId = user.id }, take = 1 }).total > 0
end

models = {
  Club = {
    owner = "ownerId",
    fields = { { "id", "id" }, { "ownerId", "int" }, { "name", "string", max = 60 }, { "isPrivate", "bool", default = false } },
    permissions = {
      list = function(user, row) return canSee(user, row.id) end,
      get = function(user, row) return canSee(user, row.id) end,
      create = "authenticated",
    },
  },
  Member = {
    fields = { { "id", "id" }, { "clubId", "int", belongsTo = "Club", onDelete = "cascade" }, { "userId", "int" } },
    permissions = {
      list = function(user, row) return canSee(user, row.clubId) end,
      get = function(user, row) return canSee(user, row.clubId) end,
      -- the club's owner adds members
      create = function(user, row)
        local club = ssot.get("Club", row.clubId)
        return user ~= nil and club ~= nil and club.ownerId == user.id
      end,
    },
  },
  Post = {
    owner = "authorId",
    fields = { { "id", "id" }, { "clubId", "int", belongsTo = "Club" }, { "authorId", "int" }, { "text", "string", max = 200 } },
    permissions = {
      list = function(user, row) return canSee(user, row.clubId) end,
      get = function(user, row) return canSee(user, row.clubId) end,
      create = function(user, row) return user ~= nil and canSee(user, row.clubId) end,
    },
    hooks = {
      beforeCreate = function(post)
        local club = ssot.get("Club", post.clubId)
        if club.name == "read-only" then return false, "the club " .. club.name .. " takes no posts" end
      end,
    },
  },
  Broken = {
    fields = { { "id", "id" }, { "text", "string" } },
    permissions = {
      get = function(user, row)
        if row.text == "no model" then return ssot.get("Nope", 1) ~= nil end
        if row.text == "bad where" then return ssot.list("Post", { where = { nope = 1 } }).total > 0 end
        if row.text == "misspelt" then return ssot.list("Post", { wher = { clubId = 1 } }).total > 0 end
        return ssot.get("Post", {}) ~= nil
      end,
    },
  },
}

websockets = {
  pubsub = {
    models = { Post = { subscribe = { "list", "item" } } },
    channels = {
      ["club:{clubId}"] = {
        events = { "cheer" },
        permissions = {
          subscribe = function(user, params) return canSee(user, params.clubId) end,
          publish = function(user, params) return canSee(user, params.clubId) end,
        },
      },
    },
  },
}
`;

let server, base, ada, bob, cyd;
let open, secret; // a public club and a private one (Ada's, Bob a member, Cyd not)

before(async () => {
  const dir = tempDir("lua-reads");
  writeFileSync(`${dir}/config.lua`, CONFIG);
  server = await startServe(`${dir}/config.lua`, { db: `${dir}/clubs.db` });
  base = server.url;
  [ada, bob, cyd] = [1, 2, 3].map((sub) => mint(String(sub)));
  open = (await api(base, "POST", "/api/clubs", { token: ada, body: { name: "open" } })).json;
  secret = (await api(base, "POST", "/api/clubs", { token: ada, body: { name: "secret", isPrivate: true } })).json;
  assert.equal((await api(base, "POST", "/api/members", { token: ada, body: { clubId: secret.id, userId: 1 } })).status, 201);
  assert.equal((await api(base, "POST", "/api/members", { token: ada, body: { clubId: secret.id, userId: 2 } })).status, 201);
});

after(async () => {
  await server?.stop();
});

describe("rules that read other models (ssot.get, ssot.list)", () => {
  it("REST: a private club's posts are seen by members only, and counted so", async () => {
    for (let i = 0; i < 3; i++) {
      assert.equal((await api(base, "POST", "/api/posts", { token: ada, body: { clubId: secret.id, text: `s${i}` } })).status, 201);
      assert.equal((await api(base, "POST", "/api/posts", { token: ada, body: { clubId: open.id, text: `o${i}` } })).status, 201);
    }
    const texts = async (token, query = "") =>
      (await api(base, "GET", `/api/posts${query}`, { token })).json;
    const asBob = await texts(bob);
    assert.deepEqual(asBob.items.map((p) => p.text).sort(), ["o0", "o1", "o2", "s0", "s1", "s2"]);
    const asCyd = await texts(cyd);
    assert.deepEqual(asCyd.items.map((p) => p.text), ["o0", "o1", "o2"]);
    assert.equal(asCyd.total, 3, "total counts only what Cyd may see");
    const page = await texts(cyd, "?skip=1&take=1");
    assert.deepEqual([page.items.map((p) => p.text), page.total], [["o1"], 3]);
    const anonymous = await texts(undefined);
    assert.equal(anonymous.total, 3);
    // get: the row exists, Cyd may not see it
    const hidden = asBob.items.find((p) => p.text === "s0");
    assertError(await api(base, "GET", `/api/posts/${hidden.id}`, { token: cyd }), 403, "forbidden");
    assert.equal((await api(base, "GET", `/api/posts/${hidden.id}`, { token: bob })).json.text, "s0");
    // the clubs themselves
    const clubs = (await api(base, "GET", "/api/clubs", { token: cyd })).json;
    assert.deepEqual(clubs.items.map((c) => c.name), ["open"]);
  });

  it("REST: create rules read the store too (posting, adding members)", async () => {
    assertError(await api(base, "POST", "/api/posts", { token: cyd, body: { clubId: secret.id, text: "let me in" } }), 403, "forbidden");
    assertError(await api(base, "POST", "/api/members", { token: bob, body: { clubId: secret.id, userId: 3 } }), 403, "forbidden");
    const readOnly = (await api(base, "POST", "/api/clubs", { token: ada, body: { name: "read-only" } })).json;
    const refused = await api(base, "POST", "/api/posts", { token: ada, body: { clubId: readOnly.id, text: "x" } });
    assertError(refused, 400, "rejected");
    assert.match(refused.json.error.message, /the club read-only takes no posts/);
  });

  it("WebSocket: list events, a replay and a custom channel reach members only", async () => {
    const clients = await Promise.all([ada, bob, cyd].map((token) => Client.connect(base, { token })));
    const [a, b, c] = clients;
    const positions = await Promise.all(clients.map((client) => client.subscribe("Post:list")));
    await api(base, "POST", "/api/posts", { token: ada, body: { clubId: secret.id, text: "live secret" } });
    await api(base, "POST", "/api/posts", { token: ada, body: { clubId: open.id, text: "live open" } });
    for (const client of [a, b]) {
      assert.equal((await client.event("Post:list")).data.text, "live secret");
      assert.equal((await client.event("Post:list")).data.text, "live open");
    }
    assert.equal((await c.event("Post:list")).data.text, "live open", "Cyd's first event is the open club's post");
    await c.settle();
    assert.deepEqual(c.events("Post:list").map((e) => e.data.text), ["live open"]);

    // a replay from before those two posts is filtered by the same rule
    const late = await Promise.all([bob, cyd].map((token) => Client.connect(base, { token })));
    const [bobReplay, cydReplay] = await Promise.all(
      late.map((client, i) => client.subscribe("Post:list", { epoch: positions[i + 1].epoch, offset: positions[i + 1].offset })),
    );
    assert.equal(bobReplay.recovered, true);
    assert.equal(bobReplay.replayed, 2);
    assert.deepEqual([cydReplay.recovered, cydReplay.replayed], [true, 1]);
    await late[1].settle();
    assert.deepEqual(late[1].events("Post:list").map((e) => e.data.text), ["live open"]);

    // the custom channel asks the same question at subscribe and publish
    assert.equal((await b.subscribe(`club:${secret.id}`)).type, "subscribed");
    assertWsError(await c.ask({ type: "subscribe", channel: `club:${secret.id}` }), "forbidden");
    assert.equal((await c.subscribe(`club:${open.id}`)).type, "subscribed");
    assertWsError(await c.ask({ type: "publish", channel: `club:${secret.id}`, event: "cheer", data: null }), "forbidden");
    await a.ask({ type: "publish", channel: `club:${secret.id}`, event: "cheer", data: { by: "ada" } });
    assert.deepEqual((await b.event(`club:${secret.id}`)).data, { by: "ada" });

    // a member added now sees the next event: rules run per event, not per subscription
    assert.equal((await api(base, "POST", "/api/members", { token: ada, body: { clubId: secret.id, userId: 3 } })).status, 201);
    await api(base, "POST", "/api/posts", { token: ada, body: { clubId: secret.id, text: "welcome, Cyd" } });
    assert.equal((await c.event("Post:list")).data.text, "welcome, Cyd");
    await Promise.all([...clients, ...late].map((client) => client.close()));
  });

  it("a wrong call is an error at the config's line, the request a 500", async () => {
    const cases = [
      ["no model", /config\.lua:\d+: ssot\.get\("Nope"\): there is no model named 'Nope'; the models are Broken, Club, Member, Post/],
      ["bad where", /config\.lua:\d+: ssot\.list\("Post"\): .*nope/],
      ["misspelt", /config\.lua:\d+: ssot\.list\("Post"\): unknown parameter 'wher': the parameters are where, orderBy, skip and take/],
      ["bad id", /config\.lua:\d+: ssot\.get\("Post", id\): id is the row's id \(a number or a string\), got table/],
    ];
    for (const [text, expected] of cases) {
      const row = (await api(base, "POST", "/api/brokens", { token: ada, body: { text } })).json;
      const res = await api(base, "GET", `/api/brokens/${row.id}`, { token: ada });
      assertError(res, 500, "internal");
      for (let i = 0; i < 50 && !server.stderr().match(expected); i++) await new Promise((ok) => setTimeout(ok, 20));
      assert.match(server.stderr(), expected, `the log for ${text}`);
    }
  });

  it("outside ssot serve, ssot.get says where it works", () => {
    const dir = tempDir("lua-reads-run");
    writeFileSync(`${dir}/config.lua`, `name = "x"\nlocal club = ssot.get("Club", 1)\nmodels = {}\n`);
    const result = spawnSync(SSOT_BIN, ["run", `${dir}/config.lua`, "--dry-run"], { encoding: "utf8" });
    assert.equal(result.status, 3, result.stderr);
    assert.match(result.stderr, /config\.lua:2: ssot\.get works in rule functions, hooks and custom routes while ssot serve runs/);
  });
});
