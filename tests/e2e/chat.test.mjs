// examples/chat served by the real `ssot serve`, driven with raw HTTP: CRUD, every error
// status of docs/rest.md, where/orderBy/paging, auth (valid, expired, tampered, alg none,
// missing), the rule kinds of the example — private rooms whose rooms, messages and members
// only their creator, members and admins see — and the headers every response carries.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { api, assertError, forge, mint, now, source, startServe, tempDir } from "./helpers.mjs";

const CONFIG = source("examples/chat/config.lua");
let server, base, admin, alice, bob;

before(async () => {
  server = await startServe(CONFIG, { db: `${tempDir("chat")}/chat.db` });
  base = server.url;
  admin = mint(1, { role: "admin" });
  alice = mint(2);
  bob = mint(3, { role: "member" });
  for (const [name, email] of [["Admin", "admin@chat.test"], ["Alice", "alice@chat.test"], ["Bob", "bob@chat.test"]]) {
    const res = await api(base, "POST", "/api/users", { token: admin, body: { name, email } });
    assert.equal(res.status, 201, res.text);
  }
});

after(async () => {
  const { stdout } = await server.stop();
  assert.match(stdout, /database closed/);
});

const ISO_MS = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;

describe("CRUD", () => {
  let room, message;

  it("creates a room: 201, Location, every field in declared order with defaults", async () => {
    const res = await api(base, "POST", "/api/rooms", { token: alice, body: { title: "General" } });
    assert.equal(res.status, 201, res.text);
    room = res.json;
    assert.deepEqual(Object.keys(room), ["id", "title", "topic", "isPrivate", "createdBy", "createdAt"]);
    assert.equal(res.headers.get("location"), `/api/rooms/${room.id}`);
    assert.equal(room.title, "General");
    assert.equal(room.topic, null);
    assert.equal(room.isPrivate, false);
    assert.equal(room.createdBy, 2, "the owner field, from the token");
    assert.match(room.createdAt, ISO_MS);
  });

  it("gets it back by id", async () => {
    const res = await api(base, "GET", `/api/rooms/${room.id}`);
    assert.equal(res.status, 200);
    assert.deepEqual(res.json, room);
  });

  it("creates a message owned by the token's user", async () => {
    const res = await api(base, "POST", "/api/messages", {
      token: alice, body: { roomId: room.id, text: "hello", attachments: [{ url: "a.png" }] },
    });
    assert.equal(res.status, 201, res.text);
    message = res.json;
    assert.equal(message.authorId, 2);
    assert.equal(message.kind, "text");
    assert.deepEqual(message.attachments, [{ url: "a.png" }]);
    assert.equal(message.editedAt, null);
    assert.equal(message.createdAt, message.updatedAt);
  });

  it("PATCH changes only the given fields and the update time", async () => {
    await new Promise((ok) => setTimeout(ok, 5));
    const res = await api(base, "PATCH", `/api/messages/${message.id}`, {
      token: alice, body: { text: "hello, edited", editedAt: "2026-03-04T05:06:07Z" },
    });
    assert.equal(res.status, 200, res.text);
    assert.equal(res.json.text, "hello, edited");
    assert.equal(res.json.editedAt, "2026-03-04T05:06:07.000Z");
    assert.deepEqual(res.json.attachments, [{ url: "a.png" }]);
    assert.equal(res.json.createdAt, message.createdAt);
    assert.ok(res.json.updatedAt > message.updatedAt);
    message = res.json;
  });

  it("PUT replaces every writable field (absent optional ones become null or their default)", async () => {
    const res = await api(base, "PUT", `/api/messages/${message.id}`, {
      token: alice, body: { roomId: room.id, text: "replaced", kind: "system" },
    });
    assert.equal(res.status, 200, res.text);
    assert.equal(res.json.text, "replaced");
    assert.equal(res.json.kind, "system");
    assert.equal(res.json.attachments, null);
    assert.equal(res.json.editedAt, null);
    assert.equal(res.json.authorId, 2);
  });

  it("DELETE answers 204 with no body, then the row is gone", async () => {
    const res = await api(base, "DELETE", `/api/messages/${message.id}`, { token: alice });
    assert.equal(res.status, 204);
    assert.equal(res.text, "");
    assertError(await api(base, "GET", `/api/messages/${message.id}`), 404, "not_found");
  });

  it("deleting a room cascades to its messages", async () => {
    const r = (await api(base, "POST", "/api/rooms", { token: alice, body: { title: "Doomed" } })).json;
    const m = (await api(base, "POST", "/api/messages", { token: alice, body: { roomId: r.id, text: "bye" } })).json;
    assert.equal((await api(base, "DELETE", `/api/rooms/${r.id}`, { token: admin })).status, 204);
    assertError(await api(base, "GET", `/api/messages/${m.id}`), 404, "not_found");
  });
});

describe("headers", () => {
  it("every response carries X-SSOT-Schema and X-Request-Id, errors too", async () => {
    for (const path of ["/healthz", "/api/rooms", "/api/nothing-here"]) {
      const res = await api(base, "GET", path);
      assert.match(res.headers.get("x-ssot-schema"), /^[0-9a-f]{16}$/);
      assert.ok(res.headers.get("x-request-id"));
    }
    const health = await api(base, "GET", "/healthz");
    assert.deepEqual(health.json, { status: "ok" });
  });

  it("a sane X-Request-Id from the client is echoed, and named in 5xx/4xx bodies", async () => {
    const res = await api(base, "GET", "/api/rooms/999999", { headers: { "x-request-id": "trace-42.a" } });
    assert.equal(res.headers.get("x-request-id"), "trace-42.a");
    assert.equal(assertError(res, 404, "not_found").requestId, "trace-42.a");
    const odd = await api(base, "GET", "/healthz", { headers: { "x-request-id": "has spaces <and> stuff" } });
    assert.notEqual(odd.headers.get("x-request-id"), "has spaces <and> stuff");
  });

  it("CORS: preflight lists the path's methods; responses expose the ssot headers", async () => {
    const pre = await api(base, "OPTIONS", "/api/messages/1", {
      headers: { origin: "http://app.test", "access-control-request-method": "PATCH" },
    });
    assert.equal(pre.status, 204);
    assert.equal(pre.headers.get("access-control-allow-origin"), "*");
    assert.match(pre.headers.get("access-control-allow-methods"), /PATCH/);
    assert.match(pre.headers.get("access-control-allow-headers"), /Authorization/);
    const res = await api(base, "GET", "/api/rooms", { headers: { origin: "http://app.test" } });
    assert.equal(res.headers.get("access-control-allow-origin"), "*");
    assert.match(res.headers.get("access-control-expose-headers"), /X-SSOT-Schema/);
  });
});

describe("every error status", () => {
  it("400 invalid_json: truncated JSON names line and column; a non-object body", async () => {
    const e = assertError(await api(base, "POST", "/api/rooms", {
      token: alice, raw: '{"title": "x"', headers: { "content-type": "application/json" },
    }), 400, "invalid_json");
    assert.match(e.message, /line 1, column \d+/);
    assertError(await api(base, "POST", "/api/rooms", { token: alice, body: ["title"] }), 400, "invalid_json");
    assertError(await api(base, "POST", "/api/rooms", {
      token: alice, raw: "", headers: { "content-type": "application/json" },
    }), 400, "invalid_json");
  });

  it("400 validation_failed names every bad field", async () => {
    const e = assertError(await api(base, "POST", "/api/rooms", {
      token: alice, body: { title: "x".repeat(121), isPrivate: "yes", colour: "red", id: 5 },
    }), 400, "validation_failed");
    assert.ok(e.fields.title, JSON.stringify(e));
    assert.ok(e.fields.isPrivate);
    assert.ok(e.fields.colour);
    assert.match(e.fields.id, /set by the server/);
    const missing = assertError(await api(base, "POST", "/api/rooms", { token: alice, body: {} }), 400, "validation_failed");
    assert.match(missing.fields.title, /required/);
    const badEnum = assertError(await api(base, "POST", "/api/messages", {
      token: alice, body: { roomId: 1, text: "x", kind: "video" },
    }), 400, "validation_failed");
    assert.match(badEnum.fields.kind, /text, image, system/);
  });

  it("400 validation_failed for a reference to a row that does not exist", async () => {
    const room = (await api(base, "POST", "/api/rooms", { token: admin, body: { title: "References" } })).json;
    const e = assertError(await api(base, "POST", "/api/room-members", {
      token: admin, body: { roomId: room.id, userId: 987654 },
    }), 400, "validation_failed");
    assert.ok(e.fields.userId, JSON.stringify(e));
  });

  it("400 bad_request for malformed list parameters", async () => {
    for (const query of [
      "where=%7Bnope", "where=%7B%22nosuch%22%3A1%7D", "take=0", "take=101", "take=abc", "skip=-1",
      "orderBy=%7B%22title%22%3A%22sideways%22%7D", "colour=red", "where=%5B1%5D",
    ]) {
      assertError(await api(base, "GET", `/api/rooms?${query}`), 400, "bad_request");
    }
  });

  it("401 unauthorized: missing, expired, tampered, alg none, wrong secret, not Bearer", async () => {
    assertError(await api(base, "POST", "/api/rooms", { body: { title: "x" } }), 401, "unauthorized");
    const claims = { sub: "2", exp: now() + 600 };
    const expired = forge({ sub: "2", exp: now() - 10 });
    assert.match(assertError(await api(base, "GET", "/api/users", { token: expired }), 401, "unauthorized").message, /expired/);
    const good = forge(claims);
    const [h, , s] = good.split(".");
    const tampered = `${h}.${Buffer.from(JSON.stringify({ ...claims, role: "admin" })).toString("base64url")}.${s}`;
    assertError(await api(base, "GET", "/api/users", { token: tampered }), 401, "unauthorized");
    const none = forge({ ...claims, role: "admin" }, { header: { alg: "none", typ: "JWT" }, signature: "" });
    assert.match(assertError(await api(base, "GET", "/api/users", { token: none }), 401, "unauthorized").message, /none/);
    const hs512 = forge(claims, { header: { alg: "HS512", typ: "JWT" } });
    assertError(await api(base, "GET", "/api/users", { token: hs512 }), 401, "unauthorized");
    const otherSecret = forge(claims, { secret: "not-the-server-secret-at-all-0000000000" });
    assertError(await api(base, "GET", "/api/users", { token: otherSecret }), 401, "unauthorized");
    assertError(await api(base, "GET", "/api/users", { headers: { authorization: "Basic YTpi" } }), 401, "unauthorized");
    // a bad token is refused even where no token is needed
    assertError(await api(base, "GET", "/api/rooms", { token: expired }), 401, "unauthorized");
    assert.equal((await api(base, "GET", "/api/users", { token: good })).status, 200);
    assert.equal((await api(base, "GET", `/api/users?token=${good}`)).status, 200);
  });

  it("403 forbidden when a rule denies a signed-in user", async () => {
    assertError(await api(base, "POST", "/api/users", { token: alice, body: { name: "Eve", email: "eve@x" } }), 403, "forbidden");
    const room = (await api(base, "POST", "/api/rooms", { token: alice, body: { title: "R" } })).json;
    assertError(await api(base, "PATCH", `/api/rooms/${room.id}`, { token: bob, body: { title: "mine?" } }), 403, "forbidden");
  });

  it("404 not_found for unknown routes, missing rows and malformed ids", async () => {
    assertError(await api(base, "GET", "/api/nope"), 404, "not_found");
    assertError(await api(base, "GET", "/api/rooms/999999"), 404, "not_found");
    assertError(await api(base, "GET", "/api/rooms/abc"), 404, "not_found");
    assertError(await api(base, "GET", "/api/rooms/1/extra"), 404, "not_found");
    assertError(await api(base, "PATCH", "/api/rooms/999999", { token: admin, body: { title: "x" } }), 404, "not_found");
    assertError(await api(base, "DELETE", "/api/rooms/999999", { token: admin }), 404, "not_found");
    assertError(await api(base, "GET", "/api"), 404, "not_found"); // "/" is the front end once built (serve.static)
  });

  it("405 method_not_allowed with Allow listing the path's methods", async () => {
    const res = await api(base, "PUT", "/api/rooms", { token: admin, body: { title: "x" } });
    assertError(res, 405, "method_not_allowed");
    assert.equal(res.headers.get("allow"), "GET, HEAD, POST, OPTIONS");
    const item = await api(base, "POST", "/api/rooms/1", { token: admin, body: {} });
    assertError(item, 405, "method_not_allowed");
    assert.equal(item.headers.get("allow"), "GET, HEAD, PUT, PATCH, DELETE, OPTIONS");
    assertError(await api(base, "DELETE", "/healthz"), 405, "method_not_allowed");
  });

  it("409 conflict when other rows still refer to a row being deleted", async () => {
    const r = (await api(base, "POST", "/api/rooms", { token: alice, body: { title: "Refs" } })).json;
    assert.equal((await api(base, "POST", "/api/messages", { token: alice, body: { roomId: r.id, text: "ref" } })).status, 201);
    const e = assertError(await api(base, "DELETE", "/api/users/2", { token: admin }), 409, "conflict");
    assert.match(e.message, /Message/);
    assert.equal((await api(base, "GET", "/api/users/2", { token: admin })).status, 200, "nothing was deleted");
  });

  it("409 conflict names the unique field", async () => {
    const e = assertError(await api(base, "POST", "/api/users", {
      token: admin, body: { name: "Alice again", email: "alice@chat.test" },
    }), 409, "conflict");
    assert.ok(e.fields.email, JSON.stringify(e));
  });

  it("413 payload_too_large over serve.maxBody (1 MiB by default)", async () => {
    const text = "x".repeat(1024 * 1024 + 10);
    assertError(await api(base, "POST", "/api/rooms", { token: alice, body: { title: text } }), 413, "payload_too_large");
    assert.equal((await api(base, "GET", "/healthz")).status, 200);
  });

  it("415 unsupported_media_type for a body that is not JSON", async () => {
    assertError(await api(base, "POST", "/api/rooms", {
      token: alice, raw: "title=x", headers: { "content-type": "application/x-www-form-urlencoded" },
    }), 415, "unsupported_media_type");
    assertError(await api(base, "PATCH", "/api/rooms/1", {
      token: admin, raw: '{"title":"x"}', headers: { "content-type": "text/plain" },
    }), 415, "unsupported_media_type");
    const ok = await api(base, "POST", "/api/rooms", {
      token: alice, raw: '{"title":"charset"}', headers: { "content-type": "application/json; charset=utf-8" },
    });
    assert.equal(ok.status, 201);
  });
});

describe("where, orderBy and paging", () => {
  let roomA, roomB;
  before(async () => {
    roomA = (await api(base, "POST", "/api/rooms", { token: alice, body: { title: "Paging A" } })).json;
    roomB = (await api(base, "POST", "/api/rooms", { token: alice, body: { title: "Paging B" } })).json;
    for (let i = 0; i < 25; i++) {
      const res = await api(base, "POST", "/api/messages", {
        token: i % 2 ? alice : bob,
        body: { roomId: i < 15 ? roomA.id : roomB.id, text: `msg ${String(i).padStart(2, "0")}`, kind: i % 5 === 0 ? "system" : "text" },
      });
      assert.equal(res.status, 201, res.text);
    }
  });

  const list = async (params) => {
    const query = new URLSearchParams();
    for (const [k, v] of Object.entries(params)) query.set(k, typeof v === "string" ? v : JSON.stringify(v));
    const res = await api(base, "GET", `/api/messages?${query}`);
    assert.equal(res.status, 200, res.text);
    return res.json;
  };

  it("defaults to take 20 and counts every matching row in total", async () => {
    const page = await list({ where: { roomId: { in: [roomA.id, roomB.id] } } });
    assert.equal(page.items.length, 20);
    assert.equal(page.total, 25);
    assert.equal(page.skip, 0);
    assert.equal(page.take, 20);
    assert.equal(typeof page.epoch, "string");
    assert.ok(Number.isInteger(page.offset));
  });

  it("skip and take page through in primary-key order without gaps or repeats", async () => {
    const where = { roomId: { in: [roomA.id, roomB.id] } };
    const seen = [];
    for (let skip = 0; skip < 25; skip += 7) {
      const page = await list({ where, skip: String(skip), take: "7" });
      assert.equal(page.total, 25);
      seen.push(...page.items.map((m) => m.id));
    }
    assert.equal(seen.length, 25);
    assert.deepEqual(seen, [...seen].sort((a, b) => a - b));
  });

  it("where: equality, operators, contains, in, null", async () => {
    assert.equal((await list({ where: { roomId: roomA.id } })).total, 15);
    assert.equal((await list({ where: { roomId: roomB.id, kind: "system" } })).total, 2);
    assert.equal((await list({ where: { roomId: roomA.id, text: { contains: "msg 1" } } })).total, 5);
    assert.equal((await list({ where: { roomId: roomA.id, kind: { ne: "system" } } })).total, 12);
    assert.equal((await list({ where: { roomId: roomA.id, authorId: { in: [2] } } })).total, 7);
    assert.equal((await list({ where: { roomId: roomA.id, editedAt: null } })).total, 15);
    const old = await list({ where: { roomId: roomA.id, createdAt: { lt: "2000-01-01T00:00:00.000Z" } } });
    assert.equal(old.total, 0);
    assert.equal((await list({ where: { roomId: roomA.id, createdAt: { gte: "2000-01-01T00:00:00Z" } } })).total, 15);
  });

  it("orderBy sorts by fields in order, ties broken by id", async () => {
    const page = await list({ where: { roomId: roomA.id }, orderBy: [{ kind: "asc" }, { text: "desc" }], take: "15" });
    const kinds = page.items.map((m) => m.kind);
    assert.deepEqual(kinds, [...kinds].sort());
    const systemTexts = page.items.filter((m) => m.kind === "system").map((m) => m.text);
    assert.deepEqual(systemTexts, [...systemTexts].sort().reverse());
    const desc = await list({ where: { roomId: roomB.id }, orderBy: { id: "desc" } });
    assert.deepEqual(desc.items.map((m) => m.id), desc.items.map((m) => m.id).sort((a, b) => b - a));
  });

  it("concurrent writes: each is acknowledged once committed, with its own offset", async () => {
    const before = (await list({ take: "1" })).offset;
    const texts = Array.from({ length: 60 }, (_, i) => `burst ${i}`);
    const created = await Promise.all(texts.map((text, i) =>
      api(base, "POST", "/api/messages", { token: i % 2 ? alice : bob, body: { roomId: roomB.id, text } })));
    assert.ok(created.every((r) => r.status === 201), created.map((r) => r.status).join(","));
    const ids = created.map((r) => r.json.id);
    assert.equal(new Set(ids).size, ids.length);
    const reads = await Promise.all(ids.map((id) => api(base, "GET", `/api/messages/${id}`)));
    assert.ok(reads.every((r, i) => r.status === 200 && r.json.text === created[i].json.text));
    const after = await list({ take: "1", where: { text: { contains: "burst " } } });
    assert.equal(after.total, 60);
    assert.equal(after.offset, before + 60);
    const removed = await Promise.all(ids.slice(0, 20).map((id, i) =>
      api(base, "DELETE", `/api/messages/${id}`, { token: i % 2 ? alice : bob })));
    assert.ok(removed.every((r) => r.status === 204), removed.map((r) => r.status).join(","));
    assert.equal((await list({ take: "1", where: { text: { contains: "burst " } } })).total, 40);
  });

  it("the stream offset moves with every write", async () => {
    const before = (await list({ take: "1" })).offset;
    await api(base, "POST", "/api/messages", { token: alice, body: { roomId: roomA.id, text: "one more" } });
    const after = await list({ take: "1" });
    assert.equal(after.offset, before + 1);
  });
});

describe("rules of the example", () => {
  it("anyone lists and gets public rooms", async () => {
    const res = await api(base, "GET", "/api/rooms");
    assert.equal(res.status, 200);
    assert.ok(res.json.total > 0 && res.json.items.every((r) => !r.isPrivate));
    assert.equal((await api(base, "GET", `/api/rooms/${res.json.items[0].id}`)).status, 200);
  });

  it("'authenticated': users need a token to list", async () => {
    assertError(await api(base, "GET", "/api/users"), 401, "unauthorized");
    const res = await api(base, "GET", "/api/users", { token: bob });
    assert.equal(res.status, 200);
    assert.equal(res.json.total, 3);
  });

  it("'isAdmin': only the admin creates users", async () => {
    assertError(await api(base, "POST", "/api/users", { token: bob, body: { name: "Z", email: "z@x" } }), 403, "forbidden");
    assert.equal((await api(base, "POST", "/api/users", { token: admin, body: { name: "Z", email: "z@x" } })).status, 201);
  });

  it("'isOwner || isAdmin': the author and the admin edit a message, others get 403", async () => {
    const room = (await api(base, "POST", "/api/rooms", { token: alice, body: { title: "Owners" } })).json;
    const m = (await api(base, "POST", "/api/messages", { token: alice, body: { roomId: room.id, text: "mine" } })).json;
    assertError(await api(base, "PATCH", `/api/messages/${m.id}`, { token: bob, body: { text: "hijack" } }), 403, "forbidden");
    assertError(await api(base, "PATCH", `/api/messages/${m.id}`, { body: { text: "anon" } }), 401, "unauthorized");
    assertError(await api(base, "DELETE", `/api/messages/${m.id}`, { token: bob }), 403, "forbidden");
    assert.equal((await api(base, "PATCH", `/api/messages/${m.id}`, { token: alice, body: { text: "still mine" } })).status, 200);
    assert.equal((await api(base, "PATCH", `/api/messages/${m.id}`, { token: admin, body: { text: "moderated" } })).status, 200);
    assert.equal((await api(base, "GET", `/api/messages/${m.id}`)).json.text, "moderated");
  });

  it("the owner field cannot be sent on create, and only an admin can move a row to another owner", async () => {
    const room = (await api(base, "POST", "/api/rooms", { token: alice, body: { title: "Owner field" } })).json;
    const spoof = assertError(await api(base, "POST", "/api/messages", {
      token: alice, body: { roomId: room.id, text: "as bob", authorId: 3 },
    }), 400, "validation_failed");
    assert.match(spoof.fields.authorId, /set by the server/);
    const m = (await api(base, "POST", "/api/messages", { token: alice, body: { roomId: room.id, text: "gift" } })).json;
    assertError(await api(base, "PATCH", `/api/messages/${m.id}`, { token: alice, body: { authorId: 3 } }), 403, "forbidden");
    const moved = await api(base, "PATCH", `/api/messages/${m.id}`, { token: admin, body: { authorId: 3 } });
    assert.equal(moved.status, 200, moved.text);
    assert.equal(moved.json.authorId, 3);
  });
});

describe("private rooms: their creator, members and admins, nobody else", () => {
  let cyd, room, said, bobs; // a private room of Alice's with Bob in it; Cyd is not

  before(async () => {
    const res = await api(base, "POST", "/api/users", { token: admin, body: { name: "Cyd", email: "cyd@chat.test" } });
    assert.equal(res.status, 201, res.text);
    cyd = mint(res.json.id);
    room = (await api(base, "POST", "/api/rooms", { token: alice, body: { title: "Secret", isPrivate: true } })).json;
    said = (await api(base, "POST", "/api/messages", { token: alice, body: { roomId: room.id, text: "psst" } })).json;
    assert.ok(said.id, "the creator writes in her own room");
  });

  const roomIds = async (token) =>
    (await api(base, "GET", "/api/rooms?take=100", { token })).json.items.map((r) => r.id);

  it("outsiders (signed in or not) do not see the room, its messages or its members", async () => {
    for (const token of [cyd, bob, undefined]) {
      assert.ok(!(await roomIds(token)).includes(room.id));
      const messages = await api(base, "GET", `/api/messages?where=${encodeURIComponent(JSON.stringify({ roomId: room.id }))}`, { token });
      assert.deepEqual([messages.json.total, messages.json.items], [0, []], "counted as not there");
    }
    assertError(await api(base, "GET", `/api/rooms/${room.id}`, { token: cyd }), 403, "forbidden");
    assertError(await api(base, "GET", `/api/messages/${said.id}`, { token: cyd }), 403, "forbidden");
    assertError(await api(base, "POST", "/api/messages", { token: cyd, body: { roomId: room.id, text: "let me in" } }), 403, "forbidden");
    assertError(await api(base, "GET", `/api/rooms/${room.id}`), 401, "unauthorized");
  });

  it("the creator adds a member, who then reads and writes there; others may not add anyone", async () => {
    assertError(await api(base, "POST", "/api/room-members", { token: cyd, body: { roomId: room.id, userId: 4 } }), 403, "forbidden");
    const added = await api(base, "POST", "/api/room-members", { token: alice, body: { roomId: room.id, userId: 3 } });
    assert.equal(added.status, 201, added.text);
    bobs = added.json;
    assertError(await api(base, "POST", "/api/room-members", { token: alice, body: { roomId: room.id, userId: 3 } }), 409, "conflict");
    assert.ok((await roomIds(bob)).includes(room.id));
    assert.equal((await api(base, "GET", `/api/messages/${said.id}`, { token: bob })).json.text, "psst");
    assert.equal((await api(base, "POST", "/api/messages", { token: bob, body: { roomId: room.id, text: "hi" } })).status, 201);
    assertError(await api(base, "POST", "/api/room-members", { token: bob, body: { roomId: room.id, userId: 1 } }), 403, "forbidden"); // a member is not the room's creator
    assertError(await api(base, "PATCH", `/api/room-members/${bobs.id}`, { token: alice, body: { userId: 1 } }), 403, "forbidden");
    const members = await api(base, "GET", `/api/room-members?where=${encodeURIComponent(JSON.stringify({ roomId: room.id }))}`, { token: bob });
    assert.deepEqual(members.json.items.map((m) => m.userId), [3]);
    assert.equal((await api(base, "GET", "/api/room-members", { token: cyd })).json.items.filter((m) => m.roomId === room.id).length, 0);
  });

  it("admins see every room; the creator or the member ends a membership, and with it the access", async () => {
    assert.ok((await roomIds(admin)).includes(room.id));
    assertError(await api(base, "DELETE", `/api/room-members/${bobs.id}`, { token: cyd }), 403, "forbidden");
    assert.equal((await api(base, "DELETE", `/api/room-members/${bobs.id}`, { token: bob })).status, 204, "Bob leaves");
    assert.ok(!(await roomIds(bob)).includes(room.id));
    assertError(await api(base, "GET", `/api/messages/${said.id}`, { token: bob }), 403, "forbidden");
  });

  it("a room's creator edits and deletes it, its messages and members going with it", async () => {
    assertError(await api(base, "DELETE", `/api/rooms/${room.id}`, { token: bob }), 403, "forbidden");
    assert.equal((await api(base, "PATCH", `/api/rooms/${room.id}`, { token: alice, body: { topic: "hush" } })).status, 200);
    assert.equal((await api(base, "DELETE", `/api/rooms/${room.id}`, { token: alice })).status, 204);
    assertError(await api(base, "GET", `/api/messages/${said.id}`, { token: admin }), 404, "not_found");
  });
});
