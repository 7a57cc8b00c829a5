// tests/fixtures/configs/everything.lua (every field type, uuid ids, custom paths, owners with
// uuid ids, every rule kind including a Lua function, serve options, CORS with credentials, a
// custom route) served by the real `ssot serve` and driven with raw HTTP.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { api, assertError, forge, now, source, startServe, tempDir } from "./helpers.mjs";

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
let server, base;
let ann, bob, mod; // people: { row, token }
const admin = forge({ sub: "00000000-0000-4000-8000-000000000000", role: "admin", exp: now() + 3600 });

const person = async (email, role) => {
  const res = await api(base, "POST", "/api/people", { body: { email, displayName: email.split("@")[0] } });
  assert.equal(res.status, 201, res.text);
  return { row: res.json, token: forge({ sub: res.json.id, role: role ?? "member", exp: now() + 3600 }) };
};

before(async () => {
  server = await startServe(source("tests/fixtures/configs/everything.lua"), { db: `${tempDir("everything")}/e.db` });
  base = server.url;
  ann = await person("ann@example.test");
  bob = await person("bob@example.test");
  mod = await person("mod@example.test", "moderator");
});
after(() => server.stop());

describe("every field type", () => {
  it("a create fills uuid ids, defaults of every type and auto datetimes", async () => {
    const p = ann.row;
    assert.match(p.id, UUID);
    assert.deepEqual(Object.keys(p), ["id", "email", "displayName", "role", "age", "score", "isActive", "bio",
      "settings", "lastSeenAt", "createdAt", "updatedAt"]);
    assert.equal(p.role, "member");
    assert.equal(p.score, 0.5);
    assert.equal(p.isActive, true);
    assert.deepEqual(p.settings, { tags: ["new"], theme: "dark" });
    assert.equal(p.age, null);
    assert.equal(p.lastSeenAt, null);
  });

  it("values round-trip with their types; datetimes are normalized to UTC with milliseconds", async () => {
    const res = await api(base, "POST", "/api/people", {
      body: {
        email: "types@example.test", displayName: "Types", age: 41, score: 0.1, isActive: false, bio: "línea\n\"quoted\" ✓",
        settings: [1, "two", { three: null }], lastSeenAt: "2026-05-06T07:08:09+02:00", role: "admin",
      },
    });
    assert.equal(res.status, 201, res.text);
    const back = (await api(base, "GET", `/api/people/${res.json.id}`, { token: ann.token })).json;
    assert.equal(back.age, 41);
    assert.equal(back.score, 0.1);
    assert.equal(back.isActive, false);
    assert.equal(back.bio, "línea\n\"quoted\" ✓");
    assert.deepEqual(back.settings, [1, "two", { three: null }]);
    assert.equal(back.lastSeenAt, "2026-05-06T05:08:09.000Z");
    assert.equal(back.role, "admin");
  });

  it("each type refuses values of another", async () => {
    const e = assertError(await api(base, "POST", "/api/people", {
      body: { email: "bad@example.test", displayName: "x".repeat(81), age: "41", score: "high", isActive: 1,
        lastSeenAt: "yesterday", role: "owner" },
    }), 400, "validation_failed");
    for (const field of ["displayName", "age", "score", "isActive", "lastSeenAt", "role"]) assert.ok(e.fields[field], field);
    assertError(await api(base, "POST", "/api/people", { body: { email: "nomax@example.test" } }), 400, "validation_failed");
  });

  it("unique fields conflict; uuid ids that do not exist (or are malformed) are 404", async () => {
    const e = assertError(await api(base, "POST", "/api/people", { body: { email: "ann@example.test", displayName: "x" } }), 409, "conflict");
    assert.ok(e.fields.email);
    assertError(await api(base, "GET", "/api/people/4b1d3a52-0000-4000-8000-000000000000", { token: ann.token }), 404, "not_found");
    assertError(await api(base, "GET", "/api/people/not-a-uuid", { token: ann.token }), 404, "not_found");
  });

  it("where works on every filterable type", async () => {
    const list = async (where) => (await api(base, "GET", `/api/people?where=${encodeURIComponent(JSON.stringify(where))}`,
      { token: ann.token })).json;
    assert.equal((await list({ isActive: false })).total, 1);
    assert.equal((await list({ score: { gt: 0.4 } })).total, 3);
    assert.equal((await list({ age: null })).total, 3);
    assert.equal((await list({ role: { in: ["moderator", "admin"] } })).total, 1);
    assert.equal((await list({ lastSeenAt: { gte: "2026-05-06T05:00:00Z", lt: "2026-05-06T06:00:00Z" } })).total, 1);
    assert.equal((await list({ id: ann.row.id })).items[0].email, "ann@example.test");
  });

  it("floats come back as the same double, written as short as that allows (in rows, json fields and lists)", async () => {
    const values = [0.30000000000000004, 0.1, 1 / 3, 5e-324, 1.7976931348623157e308, -2.5e-7, 123456789.12345679, 100];
    for (const [i, score] of values.entries()) {
      const res = await api(base, "POST", "/api/people", {
        body: { email: `float${i}@example.test`, displayName: "F", score, settings: { score, list: [score, 0.1] } },
      });
      assert.equal(res.status, 201, res.text);
      const expected = JSON.stringify(score); // JavaScript prints the shortest round-trip form too
      assert.match(res.text, new RegExp(`"score":${expected.replace(/[.+]/g, "\\$&")}[,}]`), `created ${score}`);
      const back = await api(base, "GET", `/api/people/${res.json.id}`, { token: ann.token });
      assert.equal(back.json.score, score);
      assert.ok(back.text.includes(`"score":${expected},`), `${back.text} has ${expected}`);
      assert.ok(back.text.includes(`"settings":{"score":${expected},"list":[${expected},0.1]}`), back.text);
    }
    const list = await api(base, "GET", `/api/people?where=${encodeURIComponent(JSON.stringify({ score: 0.30000000000000004 }))}`,
      { token: ann.token });
    assert.equal(list.json.items.length, 1);
    assert.ok(list.text.includes('"score":0.30000000000000004'), list.text);
  });
});

describe("custom paths, relations and serve options", () => {
  it("models at their configured paths (topics, labels), set-null on delete", async () => {
    const parent = await api(base, "POST", "/api/topics", { token: admin, body: { name: "Parent" } });
    assert.equal(parent.status, 201, parent.text);
    const child = await api(base, "POST", "/api/topics", { token: admin, body: { name: "Child", parentId: parent.json.id } });
    assert.equal(child.json.sort_order, 0);
    assert.equal((await api(base, "DELETE", `/api/topics/${parent.json.id}`, { token: admin })).status, 204);
    assert.equal((await api(base, "GET", `/api/topics/${child.json.id}`)).json.parentId, null);
    const tag = await api(base, "POST", "/api/labels", { body: { label: "urgent" } });
    assert.match(tag.json.id, UUID);
    assert.equal(tag.headers.get("location"), `/api/labels/${tag.json.id}`);
    assert.equal(tag.json.color, null);
  });

  it("defaultTake 10, maxTake 50, maxBody 64 KiB", async () => {
    for (let i = 0; i < 12; i++) await api(base, "POST", "/api/labels", { body: { label: `l${i}` } });
    const page = (await api(base, "GET", "/api/labels")).json;
    assert.equal(page.take, 10);
    assert.equal(page.items.length, 10);
    assertError(await api(base, "GET", "/api/labels?take=51"), 400, "bad_request");
    assert.equal((await api(base, "GET", "/api/labels?take=50")).status, 200);
    assertError(await api(base, "POST", "/api/labels", { body: { label: "x".repeat(70000) } }), 413, "payload_too_large");
  });

  it("CORS with credentials echoes only the configured origin", async () => {
    const ok = await api(base, "GET", "/api/labels", { headers: { origin: "http://localhost:5173" } });
    assert.equal(ok.headers.get("access-control-allow-origin"), "http://localhost:5173");
    assert.equal(ok.headers.get("access-control-allow-credentials"), "true");
    assert.match(ok.headers.get("vary"), /Origin/);
    const other = await api(base, "GET", "/api/labels", { headers: { origin: "http://evil.test" } });
    assert.equal(other.headers.get("access-control-allow-origin"), null);
  });

  it("the custom route answers", async () => {
    const res = await api(base, "GET", "/api/stats");
    assert.deepEqual(res.json, { ok: true, path: "/api/stats" });
  });
});

describe("every rule kind", () => {
  let post, comment;

  it("'true' create, 'authenticated' list/get", async () => {
    assertError(await api(base, "GET", "/api/people"), 401, "unauthorized");
    assert.equal((await api(base, "GET", "/api/people", { token: bob.token })).status, 200);
  });

  it("'false' denies everyone, admin included, as 403", async () => {
    assertError(await api(base, "DELETE", `/api/people/${bob.row.id}`, { token: admin }), 403, "forbidden");
    assertError(await api(base, "DELETE", `/api/people/${bob.row.id}`), 403, "forbidden");
  });

  it("'isAdmin': 401 anonymous, 403 member, 200 admin", async () => {
    assertError(await api(base, "GET", "/api/http-logs"), 401, "unauthorized");
    assertError(await api(base, "GET", "/api/http-logs", { token: ann.token }), 403, "forbidden");
    const log = await api(base, "POST", "/api/http-logs", { token: admin, body: { method: "GET", statusCode: 200, durationMs: 1.5 } });
    assert.equal(log.status, 201, log.text);
    assert.equal((await api(base, "GET", "/api/http-logs", { token: admin })).json.total, 1);
    assertError(await api(base, "PATCH", `/api/http-logs/${log.json.id}`, { token: admin, body: { statusCode: 500 } }), 403, "forbidden");
  });

  it("isOwner on a uuid owner: the owner field comes from the token", async () => {
    const res = await api(base, "POST", "/api/blog-posts", { token: ann.token, body: { title: "Hello", slug: "hello", body: "…" } });
    assert.equal(res.status, 201, res.text);
    post = res.json;
    assert.equal(post.authorId, ann.row.id);
    assert.equal(post.status, "draft");
    assert.equal(post.publishedAt, "2026-01-01T00:00:00.000Z");
    assert.equal(post.views, 0);
    assertError(await api(base, "PATCH", `/api/blog-posts/${post.id}`, { token: bob.token, body: { title: "Mine now" } }), 403, "forbidden");
    assert.equal((await api(base, "PATCH", `/api/blog-posts/${post.id}`, { token: ann.token, body: { views: 3 } })).json.views, 3);
    assert.equal((await api(base, "PATCH", `/api/blog-posts/${post.id}`, { token: admin, body: { status: "published" } })).status, 200);
  });

  it("a Lua-function rule: the author or a moderator deletes a comment", async () => {
    const make = async (who) => (await api(base, "POST", "/api/comments", { token: who.token, body: { postId: post.id, text: "c" } })).json;
    comment = await make(ann);
    assert.equal(comment.authorId, ann.row.id);
    assertError(await api(base, "DELETE", `/api/comments/${comment.id}`), 401, "unauthorized");
    assertError(await api(base, "DELETE", `/api/comments/${comment.id}`, { token: bob.token }), 403, "forbidden");
    assert.equal((await api(base, "DELETE", `/api/comments/${comment.id}`, { token: ann.token })).status, 204);
    const other = await make(bob);
    assert.equal((await api(base, "DELETE", `/api/comments/${other.id}`, { token: mod.token })).status, 204);
  });

  it("an expression with &&, || and !: the owner deletes the post, which cascades to comments", async () => {
    const c = (await api(base, "POST", "/api/comments", { token: bob.token, body: { postId: post.id, text: "bye" } })).json;
    assertError(await api(base, "DELETE", `/api/blog-posts/${post.id}`, { token: bob.token }), 403, "forbidden");
    assert.equal((await api(base, "DELETE", `/api/blog-posts/${post.id}`, { token: ann.token })).status, 204);
    assertError(await api(base, "GET", `/api/comments/${c.id}`), 404, "not_found");
  });
});
