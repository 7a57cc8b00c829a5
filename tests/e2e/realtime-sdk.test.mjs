// The generated realtime SDK (WebSocketTransport, HybridTransport, typed model and channel
// clients) against the real `ssot serve` of examples/chat, with the `ws` package as Node's
// WebSocket: a write by one client reaching another's subscription, a server restart with
// writes in between recovered without a lost or repeated event, a token refreshed once on
// 4401, and HTTP working while the WebSocket endpoint is unreachable.
import assert from "node:assert/strict";
import { connect, createServer } from "node:net";
import { after, before, describe, it } from "node:test";
import WebSocket from "ws";
import { compile, generate } from "../node/helpers.mjs";
import { freePort, mint, source, startServe, tempDir, until } from "./helpers.mjs";

const CHAT = source("examples/chat/config.lua");

/** A TCP proxy to 127.0.0.1:targetPort that can be cut (every connection dropped, no new ones) and restored. */
async function cuttableProxy(targetPort) {
  const port = await freePort();
  const sockets = new Set();
  let server;
  const listen = () =>
    new Promise((ok) => {
      server = createServer((client) => {
        const upstream = connect(targetPort, "127.0.0.1");
        client.pipe(upstream).pipe(client);
        for (const s of [client, upstream]) {
          sockets.add(s);
          s.on("close", () => sockets.delete(s));
          s.on("error", () => {});
        }
      });
      server.listen(port, "127.0.0.1", ok);
    });
  await listen();
  return {
    port,
    cut: () =>
      new Promise((ok) => {
        server.close(ok);
        for (const s of sockets) s.destroy();
      }),
    restore: listen,
  };
}

let sdk;
before(async () => {
  const { dir } = generate("examples/chat/config.lua", "e2e-realtime-sdk");
  sdk = await compile(dir)("sdk/index.js");
});

/** A client of the chat SDK on server, as user `sub`, with fast reconnects for the tests. */
function chatClient(url, token, realtime = {}) {
  return sdk.createClient({
    baseUrl: url,
    token,
    realtime: { WebSocket, reconnect: { baseDelay: 50, maxDelay: 200, maxAttempts: 100 }, ...realtime },
  });
}

describe("the realtime SDK against ssot serve", () => {
  let server, db, admin;
  const clients = [];
  const track = (client) => {
    clients.push(client);
    return client;
  };

  before(async () => {
    db = `${tempDir("rt-sdk")}/chat.db`;
    server = await startServe(CHAT, { db });
    admin = track(chatClient(server.url, mint(1, { role: "admin" })));
    await admin.users.create({ name: "Admin", email: "admin@rt.test" });
    await admin.users.create({ name: "Alice", email: "alice@rt.test" });
    await admin.users.create({ name: "Bob", email: "bob@rt.test" });
  });
  after(async () => {
    for (const client of clients) client.$realtime?.close();
    await server.stop();
  });

  it("a message created through one client reaches another client's subscription", async () => {
    const alice = track(chatClient(server.url, mint(2)));
    const bob = track(chatClient(server.url, mint(3)));
    const room = await alice.rooms.create({ title: "live" });
    const events = [];
    let subscribed;
    const stop = bob.messages.subscribe((event) => events.push(event), { onSubscribed: (info) => (subscribed = info) });
    await until(() => subscribed !== undefined, "bob's subscription");
    assert.equal(subscribed.channel, "Message:list");
    assert.equal(bob.$realtime.state, "open");
    const created = await alice.messages.create({ roomId: room.id, text: "hello bob" });
    await until(() => events.length === 1, "the created event");
    assert.equal(events[0].type, "created");
    assert.deepEqual(events[0].row, created);
    assert.ok(events[0].offset > subscribed.offset);
    stop();
  });

  it("carries every model action over the socket with REST's answers and errors", async () => {
    const ws = new sdk.WebSocketTransport({ url: server.url.replace("http", "ws") + "/ws", token: mint(2), WebSocket });
    try {
      const alice = sdk.createClient({ transport: ws });
      const room = await alice.rooms.create({ title: "over the socket" });
      const message = await alice.messages.create({ roomId: room.id, text: "ws" });
      assert.deepEqual(await alice.messages.get(message.id), message);
      const page = await alice.messages.list({ where: { roomId: room.id }, orderBy: { id: "desc" }, take: 5 });
      assert.equal(page.total, 1);
      assert.equal(typeof page.offset, "number");
      assert.equal((await alice.messages.update(message.id, { text: "edited" })).text, "edited");
      assert.equal((await alice.messages.replace(message.id, { roomId: room.id, text: "replaced" })).text, "replaced");
      assert.equal(await alice.messages.delete(message.id), undefined);
      await assert.rejects(alice.messages.get(message.id), (e) => sdk.isNotFound(e) && e.code === "not_found");
      await assert.rejects(alice.rooms.create({ title: "x".repeat(500) }), (e) => sdk.isValidation(e) && "title" in e.fields);
      await assert.rejects(alice.users.create({ name: "Eve", email: "eve@rt.test" }), (e) => sdk.isForbidden(e));
    } finally {
      ws.close();
    }
    assert.equal(ws.state, "closed");
  });

  it("custom channels: typed publish, subscribe and presence of two tabs", async () => {
    const alice = track(chatClient(server.url, mint(2)));
    const aliceTab2 = track(chatClient(server.url, mint(2)));
    const bob = track(chatClient(server.url, mint(3)));
    const seen = [];
    const { id } = await alice.rooms.create({ title: "typing" });
    const room = bob.$channel("chat:room:{roomId}", { roomId: id });
    assert.equal(room.name, `chat:room:${id}`);
    let ready = false;
    room.subscribe((event) => seen.push(event), { onSubscribed: () => (ready = true) });
    await until(() => ready, "bob in the room");
    let aliceIn = 0;
    alice.$channel("chat:room:{roomId}", { roomId: String(id) }).subscribe(() => {}, { onSubscribed: () => aliceIn++ });
    aliceTab2.$channel("chat:room:{roomId}", { roomId: String(id) }).subscribe(() => {}, { onSubscribed: () => aliceIn++ });
    await until(() => aliceIn === 2, "alice's two tabs in the room");
    await alice.$channel("chat:room:{roomId}", { roomId: id }).publish("typing", { name: "alice" });
    await until(() => seen.some((e) => e.event === "typing"), "the typing event");
    assert.deepEqual(seen.filter((e) => e.event === "join").map((e) => e.data), [{ userId: "2" }], "two tabs, one join");
    assert.deepEqual(seen.find((e) => e.event === "typing"), { event: "typing", data: { name: "alice" }, from: "2" });
    assert.deepEqual((await room.presence()).sort(), ["2", "3"]);
    assert.throws(() => bob.$channel("chat:room:{roomId}", { roomId: "a b" }), /letters, digits/);
    await assert.rejects(room.publish("nope"), (e) => sdk.isApiError(e) && e.code === "bad_request");
    // typing's payload is declared (examples/chat): the server checks what the types promise.
    await assert.rejects(room.publish("typing", { name: 7 }), (e) => sdk.isValidation(e) && e.fields.name !== undefined);
    await assert.rejects(room.publish("typing", {}), (e) => sdk.isValidation(e) && e.fields.name === "is required");
  });

  it("a refused subscription reaches onError and nothing else", async () => {
    const anonymous = track(chatClient(server.url, undefined));
    const errors = [];
    anonymous.$channel("chat:room:{roomId}", { roomId: 1 }).subscribe(() => assert.fail("no event"), { onError: (e) => errors.push(e) });
    await until(() => errors.length === 1, "the refusal");
    assert.ok(sdk.isApiError(errors[0]));
    assert.equal(errors[0].status, 401);
  });

  it("a private room: a non-member's subscription is refused and its messages never reach them", async () => {
    const alice = track(chatClient(server.url, mint(2)));
    const bob = track(chatClient(server.url, mint(3)));
    const secret = await alice.rooms.create({ title: "secret", isPrivate: true });
    const errors = [];
    bob.$channel("chat:room:{roomId}", { roomId: secret.id }).subscribe(() => assert.fail("no event"), { onError: (e) => errors.push(e) });
    await until(() => errors.length === 1, "the refusal");
    assert.ok(sdk.isForbidden(errors[0]), String(errors[0]));
    const seen = [];
    let ready = false;
    const stop = bob.messages.subscribe((event) => seen.push(event), { onSubscribed: () => (ready = true) });
    await until(() => ready, "bob on Message:list");
    await alice.messages.create({ roomId: secret.id, text: "not for bob" });
    const open = await alice.rooms.create({ title: "open" });
    await alice.messages.create({ roomId: open.id, text: "for everyone" });
    await until(() => seen.length > 0, "the public message");
    assert.deepEqual(seen.map((e) => e.row.text), ["for everyone"], "the private one never came, though written first");
    // added to the room, bob receives its next message at once: rules are asked per event
    await alice.roomMembers.create({ roomId: secret.id, userId: 3 });
    await alice.messages.create({ roomId: secret.id, text: "welcome bob" });
    await until(() => seen.length === 2, "the private message, now that bob is a member");
    assert.equal(seen[1].row.text, "welcome bob");
    stop();
  });
});

describe("recovery across a server restart", () => {
  it("the subscribed list equals a fresh fetch: no event lost, none twice", async () => {
    const db = `${tempDir("rt-restart")}/chat.db`;
    const port = await freePort();
    const at = { listen: false, db, args: ["--port", String(port), "--host", "127.0.0.1"] };
    let server = await startServe(CHAT, at);
    const writer = sdk.createClient({ baseUrl: server.url, token: mint(1, { role: "admin" }), realtime: false });
    await writer.users.create({ name: "Admin", email: "admin@restart.test" });
    const room = await writer.rooms.create({ title: "restart" });
    const reader = chatClient(server.url, mint(1, { role: "admin" }));
    const states = [];
    reader.$realtime.onStateChange((state) => states.push(state));
    const rows = new Map();
    const offsets = [];
    let recoveredAfterRestart;
    reader.messages.subscribe(
      (event) => {
        offsets.push(event.offset);
        if (event.type === "deleted") rows.delete(event.row.id);
        else rows.set(event.row.id, event.row);
      },
      { onSubscribed: (info) => info.resubscribed && (recoveredAfterRestart = info.recovered) },
    );
    await until(() => reader.$realtime.state === "open" && states.includes("open"), "the reader connected");
    await new Promise((ok) => setTimeout(ok, 100));
    const made = [];
    for (let i = 0; i < 10; i++) made.push(await writer.messages.create({ roomId: room.id, text: `before ${i}` }));
    await until(() => rows.size === 10, "the first ten events");
    await server.stop();
    server = await startServe(CHAT, at);
    // Written while the reader is still away (its reconnect is backing off or under way).
    for (let i = 0; i < 10; i++) made.push(await writer.messages.create({ roomId: room.id, text: `between ${i}` }));
    await writer.messages.update(made[0].id, { text: "changed between" });
    await writer.messages.delete(made[1].id);
    await until(() => recoveredAfterRestart !== undefined, "the resubscription");
    assert.equal(recoveredAfterRestart, true, "the events missed were replayed");
    for (let i = 0; i < 5; i++) await writer.messages.create({ roomId: room.id, text: `after ${i}` });
    const fresh = await writer.messages.list({ take: 100 });
    await until(() => rows.size === fresh.total && offsets.at(-1) === fresh.offset, "the reader catching up");
    assert.deepEqual([...rows.values()].sort((a, b) => a.id - b.id), fresh.items);
    assert.deepEqual(offsets, [...new Set(offsets)].sort((a, b) => a - b), "offsets strictly increasing: none twice");
    assert.ok(states.includes("reconnecting"), `states: ${states}`);
    reader.$realtime.close();
    await server.stop();
  });
});

describe("tokens and outages", () => {
  let server, writer;
  before(async () => {
    server = await startServe(CHAT, { db: `${tempDir("rt-token")}/chat.db` });
    writer = sdk.createClient({ baseUrl: server.url, token: mint(1, { role: "admin" }), realtime: false });
    await writer.users.create({ name: "Admin", email: "admin@token.test" });
    await writer.users.create({ name: "Alice", email: "alice@token.test" });
  });
  after(() => server.stop());

  it("a token expiring mid-session is refreshed once and the subscription goes on", async () => {
    const room = await writer.rooms.create({ title: "tokens" });
    let calls = 0;
    // The first token lives 2 s; the provider's next answer is a fresh one.
    const token = () => (++calls === 1 ? mint(2, { ttl: 2 }) : mint(2, { ttl: 600 }));
    const alice = chatClient(server.url, token);
    const texts = [];
    let subscriptions = 0;
    alice.messages.subscribe((event) => texts.push(event.row.text), { onSubscribed: () => subscriptions++ });
    await until(() => subscriptions === 1, "the subscription");
    await writer.messages.create({ roomId: room.id, text: "before expiry" });
    await until(() => subscriptions === 2, "the resubscription after 4401", 8000);
    await writer.messages.create({ roomId: room.id, text: "after expiry" });
    await until(() => texts.length === 2, "both events");
    assert.deepEqual(texts, ["before expiry", "after expiry"]);
    assert.equal(calls, 2, "the provider was asked once more, on 4401");
    assert.equal(alice.$realtime.state, "open");
    alice.$realtime.close();
  });

  it("HTTP keeps working while the WebSocket is unreachable, and live updates resume after", async () => {
    const proxy = await cuttableProxy(Number(new URL(server.url).port));
    const alice = chatClient(server.url, mint(2), { url: `ws://127.0.0.1:${proxy.port}/ws` });
    const texts = [];
    let subscribed = 0;
    alice.messages.subscribe((event) => texts.push(event.row.text), { onSubscribed: () => subscribed++ });
    await until(() => subscribed === 1, "the subscription");
    const room = await alice.rooms.create({ title: "outage" });
    await proxy.cut();
    await until(() => alice.$realtime.state === "reconnecting", "the socket noticed the outage");
    const during = await alice.messages.create({ roomId: room.id, text: "during the outage" });
    assert.equal((await alice.messages.get(during.id)).text, "during the outage", "HTTP works with the socket down");
    assert.equal(texts.length, 0);
    await proxy.restore();
    await until(() => subscribed === 2, "the resubscription");
    await alice.messages.create({ roomId: room.id, text: "after the outage" });
    await until(() => texts.length === 2, "the replayed and the live event");
    assert.deepEqual(texts, ["during the outage", "after the outage"]);
    alice.$realtime.close();
    await proxy.cut();
  });
});
