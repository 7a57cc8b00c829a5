// The generated TypeScript SDK (built by the real `ssot run`, compiled with the repo's pinned
// tsc — needs `npm ci`) against the real `ssot serve`: examples/chat and the every-feature
// fixture, CRUD, list parameters, typed errors and the schema hash — the SDK and the server
// agreeing end to end.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { compile, generate } from "../node/helpers.mjs";
import { forge, mint, now, source, startServe, tempDir } from "./helpers.mjs";

describe("examples/chat through its generated SDK", () => {
  let sdk, server, mismatches;
  const client = (token) => sdk.createClient({ baseUrl: server.url, token, onSchemaMismatch: (m) => mismatches.push(m) });

  before(async () => {
    const { dir } = generate("examples/chat/config.lua", "e2e-chat-sdk");
    sdk = await compile(dir)("sdk/index.js");
    server = await startServe(source("examples/chat/config.lua"), { db: `${tempDir("sdk-chat")}/chat.db` });
    mismatches = [];
    const admin = client(mint(1, { role: "admin" }));
    await admin.users.create({ name: "Admin", email: "admin@sdk.test" });
    await admin.users.create({ name: "Alice", email: "alice@sdk.test" });
  });
  after(() => server.stop());

  it("create, get, list, update, replace, delete", async () => {
    const alice = client(async () => mint(2));
    const room = await alice.rooms.create({ title: "SDK room" });
    assert.equal(room.isPrivate, false);
    const message = await alice.messages.create({ roomId: room.id, text: "from the SDK" });
    assert.equal(message.authorId, 2);
    assert.deepEqual(await alice.messages.get(message.id), message);
    for (let i = 0; i < 3; i++) await alice.messages.create({ roomId: room.id, text: `n${i}`, kind: i ? "text" : "system" });
    const page = await alice.messages.list({
      where: { roomId: room.id, kind: "text", createdAt: { gte: new Date("2000-01-01T00:00:00Z") } },
      orderBy: [{ text: "desc" }], take: 2,
    });
    assert.equal(page.total, 3);
    assert.deepEqual(page.items.map((m) => m.text), ["n2", "n1"]);
    const updated = await alice.messages.update(message.id, { text: "edited" });
    assert.equal(updated.text, "edited");
    const replaced = await alice.messages.replace(message.id, { roomId: room.id, text: "replaced" });
    assert.equal(replaced.kind, "text");
    await alice.messages.delete(message.id);
    await assert.rejects(alice.messages.get(message.id), (e) => sdk.isNotFound(e));
    assert.deepEqual(mismatches, [], "the SDK and the server share the schema hash");
  });

  it("server errors arrive as typed ApiErrors", async () => {
    const anonymous = client();
    await assert.rejects(anonymous.rooms.create({ title: "x" }), (e) => sdk.isUnauthorized(e) && e.status === 401);
    const bob = client(mint(3));
    await assert.rejects(bob.users.create({ name: "Eve", email: "eve@x" }), (e) => sdk.isForbidden(e));
    await assert.rejects(client(mint(2)).rooms.create({ title: "x".repeat(500) }), (e) => {
      assert.ok(sdk.isValidation(e));
      assert.ok(e.fields.title);
      return true;
    });
    const expired = client(forge({ sub: "2", exp: now() - 5 }));
    await assert.rejects(expired.rooms.list(), (e) => sdk.isUnauthorized(e) && /expired/.test(e.message));
  });
});

describe("the every-feature fixture through its generated SDK", () => {
  let sdk, server;

  before(async () => {
    const { dir } = generate("tests/fixtures/configs/everything.lua", "e2e-everything-sdk");
    sdk = await compile(dir)("sdk/index.js");
    server = await startServe(source("tests/fixtures/configs/everything.lua"), { db: `${tempDir("sdk-every")}/e.db` });
  });
  after(() => server.stop());

  it("uuid ids, json, datetimes, enums and owners round-trip through the SDK", async () => {
    const open = sdk.createClient({ baseUrl: server.url });
    const person = await open.people.create({ email: "sdk@example.test", displayName: "SDK", settings: { a: [1] } });
    const token = forge({ sub: person.id, exp: now() + 600 });
    const me = sdk.createClient({ baseUrl: server.url, token });
    assert.deepEqual((await me.people.get(person.id)).settings, { a: [1] });
    const post = await me.blogPosts.create({ title: "T", slug: "t", body: "b", publishedAt: "2026-02-03T04:05:06Z" });
    assert.equal(post.authorId, person.id);
    assert.equal(post.publishedAt, "2026-02-03T04:05:06.000Z");
    const tag = await open.tags.create({ label: "sdk", color: "green" });
    assert.equal((await open.tags.list({ where: { color: "green" } })).items[0].id, tag.id);
    await assert.rejects(open.blogPosts.update(post.id, { title: "hijack" }), (e) => sdk.isUnauthorized(e));
  });
});
