// The realtime protocol (docs/protocol.md) against the real `ssot serve` and the `ws` client:
// every message type and error, list, item and custom channels with parameters and publish
// (payloads checked against their declared fields, from clients and from ssot.publish),
// events from REST, socket requests and hooks reaching several subscribers, presence with two
// tabs of one user, the permission matrix (owner, other user, admin, anonymous × expression
// and function rules × created, updated, deleted and moved out of view, replays included),
// tokens (invalid, expiring, refreshed), recovery, a slow consumer closed with 4008 while a
// fast one keeps up, every cap, batching, and SIGTERM closing sockets with 1001.
import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import { after, before, describe, it } from "node:test";
import { api, forge, now, rawExchange, source, startServe, tempDir } from "./helpers.mjs";
import { Client, assertWsError } from "./ws.mjs";

const FIXTURE = source("tests/fixtures/configs/realtime/config.lua");
const token = (sub, extra = {}) => forge({ sub, exp: now() + 600, ...extra });
const OWNER = token("1");
const OTHER = token("2");
const ADMIN = token("9", { role: "admin" });

/** Starts the fixture, with extra Lua appended (variants), on a fresh database. */
async function serveFixture(extra = "", name = "rt") {
  const dir = tempDir(name);
  writeFileSync(`${dir}/config.lua`, readFileSync(FIXTURE, "utf8") + "\n" + extra);
  return startServe(`${dir}/config.lua`, { db: `${dir}/rt.db`, args: ["--quiet"] });
}

let server, base;
const clients = [];
async function connect(options) {
  const client = await Client.connect(base, options);
  clients.push(client);
  return client;
}

before(async () => {
  server = await serveFixture();
  base = server.url;
});
after(async () => {
  for (const c of clients) c.ws.terminate();
  await server.stop();
});

describe("the endpoint", () => {
  it("answers a plain request with 426 and what to upgrade to", async () => {
    const res = await api(base, "GET", "/ws");
    assert.equal(res.status, 426);
    assert.equal(res.json.error.code, "bad_request");
    assert.match(res.json.error.message, /WebSocket/);
    assert.equal(res.headers.get("upgrade"), "websocket");
  });

  it("answers another WebSocket version with 426", async () => {
    const answer = await rawExchange(base, "GET /ws HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n" +
      "Sec-WebSocket-Version: 8\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n", { timeoutMs: 1000 });
    assert.match(answer, /^HTTP\/1.1 426 /);
    assert.match(answer, /sec-websocket-version: 13/i);
  });

  it("answers ping with pong, echoing string and integer ids", async () => {
    const c = await connect();
    c.sendRaw(JSON.stringify({ type: "ping", id: 7 }));
    assert.deepEqual(await c.reply(7), { type: "pong", id: 7 });
    assert.deepEqual(await c.ask({ type: "ping", id: "a\"b" }), { type: "pong", id: "a\"b" });
  });
});

describe("malformed messages are errors, never silence", () => {
  it("a frame that is not JSON, not an object, or of an unknown type", async () => {
    const c = await connect();
    c.sendRaw("not json");
    assertWsError(await c.next((m) => m.type === "error"), "bad_request", 400);
    c.sendRaw("[1,2]");
    assert.match(assertWsError(await c.next((m) => m.type === "error"), "bad_request").message, /JSON object/);
    const unknown = assertWsError(await c.ask({ type: "subscrbe", channel: "Message:list" }), "bad_request");
    assert.match(unknown.message, /unknown message type "subscrbe"/);
    assertWsError(await c.ask({ type: "subscribe" }), "bad_request");
    assert.match(assertWsError(await c.ask({ type: "subscribe", channel: 5 }), "bad_request").message, /"channel" must be a string/);
    assert.match(assertWsError(await c.ask({ type: "subscribe", channel: "Message:list", since: { epoch: "x", offset: -1 } }),
      "bad_request").message, /since.offset/);
    assert.match(assertWsError(await c.ask({ type: "request", model: "Message", action: "explode" }), "bad_request").message,
      /"action" must be one of/);
    c.sendRaw(JSON.stringify({ type: "ping", id: { nested: true } }));
    assert.match(assertWsError(await c.next((m) => m.type === "error"), "bad_request").message, /"id" must be/);
    assert.deepEqual(await c.ask({ type: "ping" }), { type: "pong", id: c.messages.at(-1).id });
  });

  it("a binary message is refused and the connection closed with 1003", async () => {
    const c = await connect();
    c.sendRaw(Buffer.from([1, 2, 3]), { binary: true });
    assertWsError(await c.next((m) => m.type === "error"), "bad_request");
    assert.equal((await c.closed).code, 1003);
  });

  it("a message over messageSize is payload_too_large, then 1009", async () => {
    const c = await connect();
    c.sendRaw(JSON.stringify({ type: "ping", pad: "x".repeat(5000) }));
    assertWsError(await c.next((m) => m.type === "error"), "payload_too_large", 413);
    assert.equal((await c.closed).code, 1009);
  });
});

describe("channels", () => {
  it("refuses what is not a channel, with the reason", async () => {
    const c = await connect({ token: OWNER });
    const cases = [
      ["Nope:list", /no channel is named 'Nope:list'/],
      ["Hidden:list", /Hidden is not offered for subscription/],
      ["Room:item:1", /Room offers only Room:list/],
      ["Message:item:01", /not a Message id as the server writes it/],
      ["Message:item:-5", /not a Message id as the server writes it \(an integer without sign or leading zeros\)/],
      ["Message:everything", /Message:list or Message:item:<id>/],
      ["room:", /no channel is named/],
      ["room:a:b", /no channel is named/],
    ];
    for (const [channel, why] of cases)
      assert.match(assertWsError(await c.ask({ type: "subscribe", channel }), "bad_request", 400).message, why, channel);
  });

  it("model channels answer subscribed with the stream position; custom ones with presence", async () => {
    const c = await connect({ token: OWNER });
    const list = await c.subscribe("Message:list");
    assert.match(list.epoch, /^[0-9a-f]{32}$/);
    assert.equal(typeof list.offset, "number");
    assert.equal(list.recovered, false);
    assert.equal(list.replayed, 0);
    const room = await c.subscribe("room:42");
    assert.deepEqual(room.presence, ["1"]);
    assert.equal(room.epoch, undefined);
    const again = await c.subscribe("room:42");
    assert.deepEqual(again.presence, ["1"], "subscribing twice keeps one subscription");
    const unsub = await c.ask({ type: "unsubscribe", channel: "room:42" });
    assert.deepEqual(unsub.data, { channel: "room:42" });
    await c.ask({ type: "unsubscribe", channel: "Message:list" });
  });

  it("a REST write reaches every subscriber of the list and of the row's item channel, in order", async () => {
    const subs = await Promise.all([connect(), connect(), connect()]);
    for (const s of subs) await s.subscribe("Message:list");
    const created = await api(base, "POST", "/api/messages", { body: { roomId: 1, text: "hello" } });
    assert.equal(created.status, 201);
    const id = created.json.id;
    const item = await connect();
    await item.subscribe(`Message:item:${id}`);
    await api(base, "PATCH", `/api/messages/${id}`, { body: { text: "edited" } });
    await api(base, "DELETE", `/api/messages/${id}`);
    for (const s of subs) {
      const a = await s.event("Message:list");
      assert.equal(a.event, "created");
      assert.deepEqual(a.data, created.json);
      const b = await s.event("Message:list");
      assert.equal(b.event, "updated");
      assert.equal(b.data.text, "edited");
      const d = await s.event("Message:list");
      assert.equal(d.event, "deleted");
      assert.ok(a.offset < b.offset && b.offset < d.offset, "offsets grow in commit order");
    }
    assert.equal((await item.event(`Message:item:${id}`)).event, "updated");
    assert.equal((await item.event(`Message:item:${id}`)).event, "deleted");
  });

  it("only the configured broadcasts go out (Room: created and deleted)", async () => {
    const c = await connect();
    await c.subscribe("Room:list");
    const room = (await api(base, "POST", "/api/rooms", { body: { title: "r" } })).json;
    await api(base, "PATCH", `/api/rooms/${room.id}`, { body: { title: "renamed" } });
    await api(base, "DELETE", `/api/rooms/${room.id}`);
    await c.settle();
    assert.deepEqual(c.events("Room:list").map((e) => e.event), ["created", "deleted"]);
  });
});

describe("custom channels", () => {
  it("publish reaches the channel's subscribers with the publisher's id; bad publishes are refused", async () => {
    const ann = await connect({ token: OWNER });
    const bob = await connect({ token: OTHER });
    await ann.subscribe("room:7");
    await bob.subscribe("room:7");
    const ok = await bob.ask({ type: "publish", channel: "room:7", event: "typing", data: { name: "bob" } });
    assert.deepEqual(ok, { type: "response", id: ok.id, data: null });
    for (const c of [ann, bob]) {
      const e = await c.next((m) => m.type === "event" && m.event === "typing");
      assert.deepEqual({ event: e.event, data: e.data, from: e.from }, { event: "typing", data: { name: "bob" }, from: "2" });
    }
    assert.match(assertWsError(await bob.ask({ type: "publish", channel: "room:7", event: "shout" }), "bad_request").message,
      /room:\{roomId\} has no event "shout": its events are typing, message/);
    assert.match(assertWsError(await bob.ask({ type: "publish", channel: "Message:list", event: "created" }), "bad_request")
      .message, /model channel/);
    const anon = await connect();
    assertWsError(await anon.ask({ type: "publish", channel: "room:7", event: "typing" }), "unauthorized", 401);
    await anon.subscribe("lobby");
    await anon.ask({ type: "publish", channel: "lobby", event: "hello", data: [1, "two"] });
    const hello = await anon.event("lobby");
    assert.deepEqual([hello.data, hello.from], [[1, "two"], null]);
  });

  it("an event with payload fields: valid data reaches subscribers as sent; data that does not fit reaches nobody", async () => {
    const ann = await connect({ token: OWNER });
    const bob = await connect({ token: OTHER });
    await ann.subscribe("room:pl");
    await bob.subscribe("room:pl");
    const publish = (data) => bob.ask({ type: "publish", channel: "room:pl", event: "status", data });
    const data = { state: "away", note: "brb", count: 3, at: "2026-01-02" };
    const ok = await publish(data);
    assert.deepEqual(ok, { type: "response", id: ok.id, data: null });
    for (const c of [ann, bob]) {
      const e = await c.next((m) => m.type === "event" && m.event === "status");
      assert.deepEqual([e.data, e.from], [data, "2"], "delivered as sent: the datetime is checked, not rewritten");
    }
    const invalid = [
      [{ note: "x" }, { state: "is required" }],
      [{ state: "away", count: "3" }, { count: "must be an integer" }],
      [{ state: "away", note: "x".repeat(21) }, { note: "must be at most 20 characters" }],
      [{ state: "gone" }, { state: "must be one of: online, away" }],
      [{ state: "away", mood: "happy" }, { mood: "is not a field of the payload of status" }],
      [{ state: "away", at: "yesterday" }, { at: "must be an ISO 8601 date-time, e.g. 2026-11-25T19:23:46.123Z" }],
      [{ state: null }, { state: "is required" }],
      [undefined, { state: "is required" }], // no data: checked as {}
      [null, { state: "is required" }],
    ];
    for (const [sent, fields] of invalid) {
      const e = assertWsError(await publish(sent), "validation_failed", 400);
      assert.deepEqual(e.fields, fields, JSON.stringify(sent));
      assert.equal(e.message, "the payload of status on room:pl is invalid: 1 field is invalid");
    }
    const two = assertWsError(await publish({ state: 1, count: 1.5 }), "validation_failed", 400);
    assert.deepEqual(two.fields, { state: "must be one of: online, away", count: "must be an integer" });
    assert.match(two.message, /: 2 fields are invalid$/);
    for (const [sent, kind] of [[[], "an array"], ["away", "a string"], [5, "an integer"], [true, "true"]]) {
      const e = assertWsError(await publish(sent), "validation_failed", 400);
      assert.equal(e.message, `the data of status on room:pl must be a JSON object with its fields (state, note, count, at), got ${kind}`);
      assert.deepEqual(e.fields, {}, "no one field is at fault");
    }
    // an event without fields still takes any JSON
    await bob.ask({ type: "publish", channel: "room:pl", event: "typing", data: ["any", { json: 1 }] });
    assert.deepEqual((await ann.next((m) => m.type === "event" && m.event === "typing")).data, ["any", { json: 1 }]);
    await ann.settle();
    assert.equal(ann.events("room:pl").filter((e) => e.event === "status").length, 1, "nothing invalid was delivered");
    // the rule comes first: an anonymous publisher learns nothing about the payload
    assertWsError(await (await connect()).ask({ type: "publish", channel: "room:pl", event: "status", data: 5 }), "unauthorized", 401);
  });

  it("ssot.publish checks the payload too: a hook's invalid one fails the request, names the fields in the log and sends nothing", async () => {
    const c = await connect({ token: OWNER });
    await c.subscribe("room:56");
    const good = await api(base, "POST", "/api/messages", { body: { roomId: 56, text: "status away" } });
    assert.equal(good.status, 201);
    await c.event("room:56"); // the message
    assert.deepEqual((await c.event("room:56")).data, { state: "away", count: 2 });
    for (const [text, why] of [
      ["bad status", "ssot.publish: the payload of status on room:56 is invalid: state must be one of: online, away; count must be an integer"],
      ["empty status", "ssot.publish: the payload of status on room:56 is invalid: state is required"], // {} from Lua is an object here
    ]) {
      const bad = await api(base, "POST", "/api/messages", { body: { roomId: 56, text } });
      assert.equal(bad.status, 500, bad.text);
      assert.equal(bad.json.error.code, "internal");
      assert.doesNotMatch(bad.json.error.message, /payload/, "the details stay in the log");
      const requestId = bad.json.error.requestId;
      for (let i = 0; i < 50 && !server.stderr().includes(requestId); i++) await new Promise((ok) => setTimeout(ok, 20));
      const log = server.stderr().slice(server.stderr().indexOf(`request ${requestId}`));
      assert.ok(log.includes(`config.lua:`) && log.includes(why), log.slice(0, 1000));
    }
    await c.settle();
    assert.deepEqual(c.events("room:56").map((e) => e.event), ["message", "status"], "the failed hooks' publications were dropped");
  });

  it("the subscribe rule sees the channel's parameters", async () => {
    const c = await connect({ token: OWNER });
    assertWsError(await c.ask({ type: "subscribe", channel: "room:locked" }), "forbidden", 403);
    const anon = await connect();
    assertWsError(await anon.ask({ type: "subscribe", channel: "room:1" }), "unauthorized", 401);
  });

  it("hooks publish after the commit; a failed request's publications are dropped", async () => {
    const c = await connect({ token: OWNER });
    await c.subscribe("room:55");
    const msg = (await api(base, "POST", "/api/messages", { body: { roomId: 55, text: "keep" } })).json;
    const e = await c.event("room:55");
    assert.deepEqual([e.event, e.data, e.from], ["message", { id: msg.id, text: "keep" }, null]);
    const refused = await api(base, "DELETE", `/api/messages/${msg.id}`);
    assert.equal(refused.status, 400);
    const gone = (await api(base, "POST", "/api/messages", { body: { roomId: 55, text: "bye" } })).json;
    await c.event("room:55");
    assert.equal((await api(base, "DELETE", `/api/messages/${gone.id}`)).status, 204);
    const deleting = await c.event("room:55");
    assert.deepEqual(deleting.data, { deleting: gone.id }, "only the delete that succeeded published");
    await c.settle();
    assert.equal(c.events("room:55").length, 3);
  });
});

describe("presence", () => {
  it("counts users, not tabs: one join, one leave when the last tab goes; presence lists them", async () => {
    const watcher = await connect({ token: ADMIN });
    await watcher.subscribe("room:p");
    const tab1 = await connect({ token: OWNER });
    const first = await tab1.subscribe("room:p");
    assert.deepEqual(first.presence.sort(), ["1", "9"]);
    assert.deepEqual((await watcher.event("room:p")).data, { userId: "1" });
    const tab2 = await connect({ token: OWNER });
    await tab2.subscribe("room:p");
    const other = await connect({ token: OTHER });
    await other.subscribe("room:p");
    assert.deepEqual((await watcher.event("room:p")).data, { userId: "2" });
    const asked = await watcher.ask({ type: "presence", channel: "room:p" });
    assert.deepEqual(asked.data.users.sort(), ["1", "2", "9"]);
    await tab1.close();
    await watcher.settle();
    assert.equal(watcher.events("room:p").filter((e) => e.event === "leave").length, 0, "a tab left, the user is there");
    await tab2.close();
    const leave = await watcher.event("room:p");
    assert.deepEqual([leave.event, leave.data], ["leave", { userId: "1" }]);
    const anon = await connect();
    assertWsError(await anon.ask({ type: "presence", channel: "room:p" }), "unauthorized");
    assertWsError(await watcher.ask({ type: "presence", channel: "lobby" }), "bad_request");
  });
});

describe("requests over the socket", () => {
  it("list, get, create, update and delete, with REST's rules and errors", async () => {
    const c = await connect({ token: OWNER });
    await c.subscribe("Note:list");
    const created = await c.ask({ type: "request", model: "Note", action: "create", params: { data: { text: "n1" } } });
    assert.equal(created.type, "response");
    assert.equal(created.data.ownerId, "1");
    const event = await c.event("Note:list");
    assert.deepEqual([event.event, event.data], ["created", created.data]);
    const got = await c.ask({ type: "request", model: "Note", action: "get", params: { id: created.data.id } });
    assert.deepEqual(got.data, created.data);
    const list = await c.ask({ type: "request", model: "Note", action: "list",
      params: { where: { text: "n1" }, orderBy: { id: "desc" }, take: 5 } });
    assert.equal(list.data.total, 1);
    assert.equal(list.data.take, 5);
    const updated = await c.ask({ type: "request", model: "Note", action: "update", params: { id: created.data.id, data: { text: "n2" } } });
    assert.equal(updated.data.text, "n2");
    const invalid = await c.ask({ type: "request", model: "Note", action: "update", params: { id: created.data.id, data: { text: 5 } } });
    assert.ok(assertWsError(invalid, "validation_failed", 400).fields.text);
    const other = await connect({ token: OTHER });
    assertWsError(await other.ask({ type: "request", model: "Note", action: "delete", params: { id: created.data.id } }), "forbidden", 403);
    assertWsError(await other.ask({ type: "request", model: "Note", action: "get", params: { id: 999999 } }), "not_found", 404);
    assertWsError(await c.ask({ type: "request", model: "Nope", action: "list" }), "bad_request");
    assertWsError(await c.ask({ type: "request", model: "Note", action: "get" }), "bad_request");
    assertWsError(await c.ask({ type: "request", model: "Note", action: "list", params: { page: 1 } }), "bad_request");
    const deleted = await c.ask({ type: "request", model: "Note", action: "delete", params: { id: created.data.id } });
    assert.deepEqual(deleted, { type: "response", id: deleted.id, data: null });
    assert.deepEqual((await c.event("Note:list")).event, "updated");
    assert.deepEqual((await c.event("Note:list")).event, "deleted");
  });
});

describe("permissions: no event leaks, live or replayed", () => {
  it("expression rules (isOwner || isAdmin): owner and admin see their rows, others nothing, anonymous may not subscribe", async () => {
    const owner = await connect({ token: OWNER });
    const other = await connect({ token: OTHER });
    const admin = await connect({ token: ADMIN });
    const anon = await connect();
    const positions = {};
    for (const [name, c] of Object.entries({ owner, other, admin })) positions[name] = await c.subscribe("Note:list");
    assertWsError(await anon.ask({ type: "subscribe", channel: "Note:list" }), "unauthorized", 401);
    const note = (await api(base, "POST", "/api/notes", { token: OWNER, body: { text: "mine" } })).json;
    await api(base, "PATCH", `/api/notes/${note.id}`, { token: OWNER, body: { text: "still mine" } });
    const moved = await api(base, "PATCH", `/api/notes/${note.id}`, { token: ADMIN, body: { ownerId: "2" } });
    await api(base, "DELETE", `/api/notes/${note.id}`, { token: ADMIN });
    for (const c of [owner, other, admin]) await c.settle();
    const kinds = (c) => c.events("Note:list").map((e) => e.event);
    assert.equal(moved.status, 200, moved.text);
    // the owner changed: user 1 loses the row (a delete), user 2 gains it (an update)
    assert.deepEqual(kinds(owner), ["created", "updated", "deleted"]);
    assert.equal(owner.events("Note:list")[2].data.ownerId, "1", "the moved-out delete shows the row as the user saw it");
    assert.deepEqual(kinds(other), ["updated", "deleted"]);
    assert.deepEqual(kinds(admin), ["created", "updated", "updated", "deleted"]);
    // the same filter on replay
    for (const [name, t] of [["owner", OWNER], ["other", OTHER], ["admin", ADMIN]]) {
      const again = await connect({ token: t });
      const sub = await again.subscribe("Note:list", { epoch: positions[name].epoch, offset: positions[name].offset });
      assert.equal(sub.recovered, true);
      await again.settle();
      const live = { owner, other, admin }[name];
      assert.deepEqual(again.events("Note:list").map((e) => [e.event, e.offset]), live.events("Note:list").map((e) => [e.event, e.offset]),
        `${name}: the replay shows what the live subscription showed`);
      assert.equal(sub.replayed, live.events("Note:list").length);
    }
  });

  it("function rules per row: drafts stay private, publishing moves a post into view, unpublishing out of it", async () => {
    const author = await connect({ token: OWNER });
    const reader = await connect({ token: OTHER });
    const anon = await connect();
    const start = {};
    for (const [name, c] of Object.entries({ author, reader, anon })) start[name] = await c.subscribe("Post:list");
    const post = (await api(base, "POST", "/api/posts", { token: OWNER, body: { title: "draft" } })).json;
    await api(base, "PATCH", `/api/posts/${post.id}`, { token: OWNER, body: { published: true } });
    await api(base, "PATCH", `/api/posts/${post.id}`, { token: OWNER, body: { published: false } });
    await api(base, "PATCH", `/api/posts/${post.id}`, { token: OWNER, body: { title: "hidden edit" } });
    await api(base, "DELETE", `/api/posts/${post.id}`, { token: OWNER });
    for (const c of [author, reader, anon]) await c.settle();
    const seen = (c) => c.events("Post:list").map((e) => `${e.event}:${e.data.published}`);
    assert.deepEqual(seen(author), ["created:false", "updated:true", "updated:false", "updated:false", "deleted:false"]);
    for (const c of [reader, anon]) {
      assert.deepEqual(seen(c), ["updated:true", "deleted:true"], "in view, then out of view as a delete of the row as seen");
      assert.ok(!c.events("Post:list").some((e) => e.data.title === "hidden edit"), "an edit of a hidden row does not leak");
    }
    const replay = await connect();
    const sub = await replay.subscribe("Post:list", { epoch: start.anon.epoch, offset: start.anon.offset });
    await replay.settle();
    assert.equal(sub.recovered, true);
    assert.deepEqual(seen(replay), ["updated:true", "deleted:true"]);
  });

  it("admin-only rows: the admin receives them, a user is refused with 403 and anonymous with 401", async () => {
    const admin = await connect({ token: ADMIN });
    await admin.subscribe("Secret:list");
    assertWsError(await (await connect({ token: OWNER })).ask({ type: "subscribe", channel: "Secret:list" }), "forbidden", 403);
    assertWsError(await (await connect()).ask({ type: "subscribe", channel: "Secret:list" }), "unauthorized", 401);
    const secret = (await api(base, "POST", "/api/secrets", { token: ADMIN, body: { value: "s" } })).json;
    assert.deepEqual((await admin.event("Secret:list")).data, secret);
  });

  it("item channels need the row to be readable, answered as GET would be", async () => {
    const note = (await api(base, "POST", "/api/notes", { token: OWNER, body: { text: "item" } })).json;
    const owner = await connect({ token: OWNER });
    await owner.subscribe(`Note:item:${note.id}`);
    const other = await connect({ token: OTHER });
    const refused = await other.ask({ type: "subscribe", channel: `Note:item:${note.id}` });
    assert.equal(refused.type, "error");
    assert.ok([403, 404].includes(refused.status), JSON.stringify(refused));
    assertWsError(await owner.ask({ type: "subscribe", channel: "Note:item:987654" }), "not_found", 404);
    await api(base, "PATCH", `/api/notes/${note.id}`, { token: OWNER, body: { text: "item 2" } });
    assert.equal((await owner.event(`Note:item:${note.id}`)).data.text, "item 2");
  });
});

describe("tokens", () => {
  it("an invalid token on the upgrade is an error and close 4401", async () => {
    const c = await connect({ token: forge({ sub: "1", exp: now() + 60 }, { secret: "wrong-secret-wrong-secret-wrong-secret" }) });
    assertWsError(await c.next((m) => m.type === "error"), "unauthorized", 401);
    assert.equal((await c.closed).code, 4401);
    const q = await connect({ query: "token=not.a.jwt" });
    assertWsError(await q.next((m) => m.type === "error"), "unauthorized");
    assert.equal((await q.closed).code, 4401);
  });

  it("?token= signs in; auth signs an anonymous connection in and refuses another user", async () => {
    const c = await connect({ query: `token=${OWNER}` });
    await c.subscribe("Note:list");
    const anon = await connect();
    assertWsError(await anon.ask({ type: "subscribe", channel: "Note:list" }), "unauthorized");
    const signed = await anon.ask({ type: "auth", token: OWNER });
    assert.deepEqual(signed.data.user, { id: "1", role: null });
    assert.match(signed.data.expiresAt, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    await anon.subscribe("Note:list");
    assertWsError(await anon.ask({ type: "auth", token: OTHER }), "forbidden", 403);
    const bad = await connect();
    assertWsError(await bad.ask({ type: "auth", token: "x.y.z" }), "unauthorized");
    assert.equal((await bad.closed).code, 4401);
  });

  it("a token that expires closes the connection with 4401, unless a new one arrived in time", async () => {
    const short = forge({ sub: "1", exp: now() + 2 });
    const expiring = await connect({ token: short });
    const refreshed = await connect({ token: short });
    await refreshed.ask({ type: "auth", token: OWNER });
    const closed = await expiring.closed;
    assert.equal(closed.code, 4401);
    assert.ok(expiring.messages.some((m) => m.type === "error" && m.code === "unauthorized" && /expired/.test(m.message)));
    assert.equal(refreshed.ws.readyState, 1, "the refreshed connection stays open");
    assert.equal((await refreshed.ask({ type: "ping" })).type, "pong");
  });
});

describe("recovery", () => {
  it("since replays every missed event in order, once, then live events follow", async () => {
    const first = await connect();
    const sub = await first.subscribe("Message:list");
    const room = 900;
    await api(base, "POST", "/api/messages", { body: { roomId: room, text: "seen" } });
    const seen = await first.event("Message:list");
    await first.close();
    const missed = [];
    for (let i = 0; i < 4; i++) missed.push((await api(base, "POST", "/api/messages", { body: { roomId: room, text: `m${i}` } })).json);
    const back = await connect();
    const again = await back.subscribe("Message:list", { epoch: sub.epoch, offset: seen.offset });
    assert.equal(again.recovered, true);
    assert.equal(again.replayed, 4);
    const live = (await api(base, "POST", "/api/messages", { body: { roomId: room, text: "live" } })).json;
    await back.settle();
    const texts = back.events("Message:list").map((e) => e.data.text);
    assert.deepEqual(texts, ["m0", "m1", "m2", "m3", "live"]);
    assert.deepEqual(back.events("Message:list").slice(0, 4).map((e) => e.data), missed);
    assert.ok(live.id > missed[3].id);
  });

  it("a position older than the history, or of another epoch, answers recovered: false and replays nothing", async () => {
    const c = await connect();
    const sub = await c.subscribe("Room:list");
    for (let i = 0; i < 80; i++) await api(base, "POST", "/api/rooms", { body: { title: `r${i}` } });
    const old = await connect();
    const tooOld = await old.subscribe("Room:list", { epoch: sub.epoch, offset: sub.offset });
    assert.equal(tooOld.recovered, false);
    assert.equal(tooOld.replayed, 0);
    assert.ok(tooOld.offset >= sub.offset + 80);
    const other = await old.ask({ type: "subscribe", channel: "Message:list", since: { epoch: "0".repeat(32), offset: 1 } });
    assert.equal(other.recovered, false);
    await old.settle();
    assert.equal(old.events().length, 0);
  });
});

describe("protecting the server", () => {
  it("a client that does not read is closed with 4008 while a fast one receives every event", async () => {
    const slow = await connect();
    const fast = await connect();
    await slow.subscribe("Message:list");
    await fast.subscribe("Message:list");
    slow.ws._socket.pause(); // stops reading: the server's queue for it grows
    const text = "x".repeat(90000);
    const n = 240; // 240 events of 90 KB: well over the 64 KiB send queue plus the sockets' buffers
    for (let i = 0; i < n; i += 8)
      await Promise.all(Array.from({ length: 8 }, () => api(base, "POST", "/api/messages", { body: { roomId: 3, text } })));
    await fast.settle(300);
    assert.equal(fast.events("Message:list").length, n);
    slow.ws._socket.resume();
    const { code } = await slow.closed;
    assert.equal(code, 4008);
    assert.ok(slow.events("Message:list").length < n);
  });

  it("caps subscriptions per connection", async () => {
    const c = await connect({ token: OWNER });
    for (let i = 0; i < 6; i++) await c.subscribe(`room:cap${i}`);
    const over = assertWsError(await c.ask({ type: "subscribe", channel: "room:cap6" }), "too_many_subscriptions", 429);
    assert.match(over.message, /websockets.limits.subscriptions/);
    await c.ask({ type: "unsubscribe", channel: "room:cap0" });
    await c.subscribe("room:cap6");
  });

  it("caps messages per second: the excess is answered rate_limited and dropped", async () => {
    const c = await connect();
    for (let i = 0; i < 100; i++) c.send({ type: "ping" });
    await c.settle();
    const limited = c.messages.filter((m) => m.type === "error" && m.code === "rate_limited");
    const pongs = c.messages.filter((m) => m.type === "pong");
    assert.ok(limited.length > 0, "some were limited");
    assert.equal(limited.length + pongs.length, 100, "every message got an answer");
    assert.ok(pongs.length >= 40, `the bucket's 40 pass: ${pongs.length}`);
    await new Promise((ok) => setTimeout(ok, 1100));
    assert.equal((await c.ask({ type: "ping" })).type, "pong", "the bucket refills");
  });
});

describe("variants", () => {
  it("batching: a burst goes out in frames of at most maxBatchSize events, in order", async () => {
    const batched = await serveFixture("websockets.batching = { enabled = true, flushInterval = 40, maxBatchSize = 5 }\n", "batch");
    try {
      const c = await Client.connect(batched.url);
      await c.subscribe("Message:list");
      const framesBefore = c.frames;
      const posts = [];
      for (let i = 0; i < 12; i++) posts.push(api(batched.url, "POST", "/api/messages", { body: { roomId: 1, text: `b${i}` } }));
      await Promise.all(posts);
      await c.settle(200);
      const events = c.events("Message:list");
      assert.equal(events.length, 12);
      const offsets = events.map((e) => e.offset);
      assert.deepEqual(offsets, [...offsets].sort((a, b) => a - b));
      const frames = c.frames - framesBefore;
      assert.ok(frames < 12 && frames >= 3, `12 events in ${frames} frames`);
      c.ws.terminate();
    } finally {
      await batched.stop();
    }
  });

  it("SIGTERM closes every socket with 1001 and the server exits cleanly", async () => {
    const s = await serveFixture("", "term");
    const c = await Client.connect(s.url);
    await c.subscribe("Message:list");
    const write = c.ask({ type: "request", model: "Message", action: "create", params: { data: { roomId: 1, text: "last" } } });
    const reply = await write;
    assert.equal(reply.type, "response");
    const stopped = s.stop("SIGTERM");
    const { code } = await c.closed;
    assert.equal(code, 1001);
    assert.equal(c.events("Message:list").length, 1, "the write's event went out before the close");
    const { stdout } = await stopped;
    assert.match(stdout, /1 created/);
  });
});
