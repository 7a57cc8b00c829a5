// The generated WebSocketTransport of examples/chat (built by the real ssot, compiled with tsc)
// against a scripted WebSocket: what it sends, how it reconnects (backoff, maxAttempts), its
// heartbeat, requests queued while connecting and failed when the socket drops, token refresh
// on 4401, batched frames, shared subscriptions and their end, and the connection state.
import assert from "node:assert/strict";
import { before, describe, it } from "node:test";
import { compile, generate } from "./helpers.mjs";

let sdk;
before(async () => {
  const { dir } = generate("examples/chat/config.lua", "ws-transport");
  sdk = await compile(dir)("sdk/index.js");
});

/** A WebSocket whose server side the test plays: every instance is kept in `sockets`. */
function scriptedWebSocket() {
  const sockets = [];
  class FakeSocket {
    constructor(url) {
      this.url = url;
      this.readyState = 0;
      this.sent = [];
      this.closedWith = undefined;
      this.onopen = this.onmessage = this.onclose = this.onerror = null;
      sockets.push(this);
    }
    send(data) {
      if (this.readyState !== 1) throw new Error("send on a socket that is not open");
      this.sent.push(JSON.parse(data));
    }
    close(code) {
      this.closedWith = code;
      this.readyState = 3;
    }
    // The server's side:
    open() {
      this.readyState = 1;
      this.onopen?.({});
    }
    push(message) {
      this.onmessage?.({ data: JSON.stringify(message) });
    }
    drop(code = 1006) {
      this.readyState = 3;
      this.onclose?.({ code, reason: "" });
    }
    last(type) {
      return this.sent.filter((m) => m.type === type).at(-1);
    }
  }
  return { FakeSocket, sockets };
}

const tick = (ms = 0) => new Promise((ok) => setTimeout(ok, ms));
const message = { id: 1, roomId: 1, authorId: 1, text: "hi", kind: "text", attachments: null, editedAt: null,
  createdAt: "2026-01-01T00:00:00.000Z", updatedAt: "2026-01-01T00:00:00.000Z" };

function transport(options = {}) {
  const { FakeSocket, sockets } = scriptedWebSocket();
  const ws = new sdk.WebSocketTransport({
    url: "ws://server.test/ws",
    WebSocket: FakeSocket,
    heartbeat: 0,
    reconnect: { baseDelay: 10, maxDelay: 40, maxAttempts: 3, random: () => 0.5 },
    ...options,
  });
  return { ws, sockets };
}

describe("WebSocketTransport", () => {
  it("opens at the first subscription, sends the token, and shares one subscription per channel", async () => {
    const { ws, sockets } = transport({ token: async () => "t0k en" });
    const states = [];
    ws.onStateChange((s) => states.push(s));
    assert.equal(ws.state, "idle");
    assert.equal(sockets.length, 0, "nothing opens before it is needed");
    const a = [];
    const b = [];
    const infos = [];
    const stopA = ws.subscribe("Message:list", (m) => a.push(m), { onSubscribed: (i) => infos.push(["a", i]) });
    await tick();
    assert.equal(sockets.length, 1);
    assert.equal(sockets[0].url, "ws://server.test/ws?token=t0k%20en");
    sockets[0].open();
    const subscribe = sockets[0].last("subscribe");
    assert.deepEqual({ ...subscribe, id: 0 }, { type: "subscribe", id: 0, channel: "Message:list" });
    sockets[0].push({ type: "subscribed", id: subscribe.id, channel: "Message:list", epoch: "e1", offset: 4, recovered: false });
    const stopB = ws.subscribe("Message:list", (m) => b.push(m), { onSubscribed: (i) => infos.push(["b", i]) });
    await tick();
    assert.equal(sockets[0].sent.filter((m) => m.type === "subscribe").length, 1, "one subscription for two listeners");
    assert.deepEqual(infos.map(([who, i]) => [who, i.offset, i.resubscribed]), [["a", 4, false], ["b", 4, false]]);
    // A batched frame (an array) and an event already seen (offset not above the position).
    sockets[0].onmessage({ data: JSON.stringify([
      { type: "event", channel: "Message:list", event: "created", data: message, offset: 5 },
      { type: "event", channel: "Message:list", event: "updated", data: message, offset: 5 },
      { type: "event", channel: "Message:list", event: "updated", data: message, offset: 6 },
    ]) });
    assert.deepEqual(a.map((m) => [m.event, m.offset]), [["created", 5], ["updated", 6]]);
    assert.deepEqual(b.map((m) => m.offset), [5, 6]);
    stopA();
    assert.equal(sockets[0].last("unsubscribe"), undefined, "b still listens");
    stopB();
    assert.equal(sockets[0].last("unsubscribe").channel, "Message:list", "the last listener unsubscribes");
    assert.deepEqual(states, ["connecting", "open"]);
    ws.close();
    assert.equal(ws.state, "closed");
    assert.equal(sockets[0].closedWith, 1000);
  });

  it("reconnects with backoff, resubscribes from its position, and gives up after maxAttempts", async () => {
    const { ws, sockets } = transport();
    const infos = [];
    ws.subscribe("Message:list", () => {}, { onSubscribed: (i) => infos.push(i) });
    await tick();
    sockets[0].open();
    sockets[0].push({ type: "subscribed", id: sockets[0].last("subscribe").id, channel: "Message:list", epoch: "e1", offset: 9, recovered: false });
    sockets[0].push({ type: "event", channel: "Message:list", event: "created", data: message, offset: 10 });
    sockets[0].drop();
    assert.equal(ws.state, "reconnecting");
    await tick(5);
    assert.equal(sockets.length, 1, "waits for the backoff (10 ms, half of it random) before reconnecting");
    await tick(20);
    assert.equal(sockets.length, 2);
    sockets[1].open();
    const again = sockets[1].last("subscribe");
    assert.deepEqual(again.since, { epoch: "e1", offset: 10 }, "resubscribes from the last event it saw");
    sockets[1].push({ type: "subscribed", id: again.id, channel: "Message:list", epoch: "e1", offset: 12, recovered: true, replayed: 2 });
    assert.deepEqual(infos.map((i) => [i.recovered, i.resubscribed]), [[false, false], [true, true]]);
    // Three failed attempts in a row: closed for good, HTTP goes on without it.
    sockets[1].drop();
    for (let attempt = 1; attempt <= 3; attempt++) {
      await tick(60);
      assert.equal(sockets.length, 2 + attempt, `attempt ${attempt}`);
      assert.equal(ws.state, "reconnecting");
      sockets.at(-1).drop(); // refused before it opened
    }
    await tick(60);
    assert.equal(ws.state, "closed");
    assert.equal(sockets.length, 5, "maxAttempts 3 in a row after the last open: no fourth attempt");
    await assert.rejects(ws.presence("chat:room:1"), (e) => sdk.isNetworkError(e) && /will not reconnect/.test(e.message));
  });

  it("refreshes the token once on 4401, and stops when the new one is refused too", async () => {
    let calls = 0;
    const errors = [];
    const { ws, sockets } = transport({ token: () => `token${++calls}`, onError: (e) => errors.push(e) });
    ws.subscribe("chat:room:1", () => {});
    await tick();
    sockets[0].open();
    sockets[0].push({ type: "subscribed", id: sockets[0].last("subscribe").id, channel: "chat:room:1" });
    sockets[0].drop(4401);
    await tick();
    assert.equal(sockets.length, 2, "reconnects at once with a fresh token");
    assert.equal(sockets[1].url, "ws://server.test/ws?token=token2");
    sockets[1].open();
    sockets[1].drop(4401);
    await tick(50);
    assert.equal(ws.state, "closed");
    assert.equal(sockets.length, 2);
    assert.match(errors.at(-1).message, /refused the token \(close 4401\) again/);
  });

  it("queues requests until open, answers them by id, and fails those on a dropped socket", async () => {
    const { ws, sockets } = transport();
    const client = sdk.createClient({ transport: ws });
    const got = client.messages.get(1);
    const created = client.messages.create({ roomId: 1, text: "hi" });
    await tick();
    sockets[0].open();
    const [get, create] = sockets[0].sent.filter((m) => m.type === "request");
    assert.deepEqual({ ...get, id: 0 }, { type: "request", id: 0, model: "Message", action: "get", params: { id: 1 } });
    assert.deepEqual(create.params, { data: { roomId: 1, text: "hi" } });
    sockets[0].push({ type: "response", id: get.id, data: message });
    assert.deepEqual(await got, message);
    sockets[0].push({ type: "error", id: create.id, status: 400, code: "validation_failed", message: "1 field is invalid", fields: { text: "is required" } });
    await assert.rejects(created, (e) => sdk.isValidation(e) && e.fields.text === "is required");
    const lost = client.messages.update(1, { text: "x" });
    await tick();
    sockets[0].drop();
    await assert.rejects(lost, (e) => sdk.isNetworkError(e) && /closed \(1006\) before the answer/.test(e.message));
    ws.close();
  });

  it("times a request out, and pings on its heartbeat, dropping a silent socket", async () => {
    const { ws, sockets } = transport({ timeout: 30, heartbeat: 20 });
    const pending = ws.presence("chat:room:1");
    await tick();
    sockets[0].open();
    await assert.rejects(pending, (e) => sdk.isTimeout(e));
    await tick(25);
    assert.ok(sockets[0].last("ping"), "a ping after one beat");
    await tick(40);
    assert.equal(sockets[0].closedWith, 4000, "silence for two beats drops the socket");
    assert.equal(ws.state, "reconnecting");
    ws.close();
  });

  it("a refused subscription reaches onError and is forgotten", async () => {
    const { ws, sockets } = transport();
    const errors = [];
    ws.subscribe("Secret:list", () => assert.fail("no event"), { onError: (e) => errors.push(e) });
    await tick();
    sockets[0].open();
    const sent = sockets[0].last("subscribe");
    sockets[0].push({ type: "error", id: sent.id, status: 403, code: "forbidden", message: "no" });
    assert.equal(errors[0].status, 403);
    sockets[0].push({ type: "event", channel: "Secret:list", event: "created", data: {}, offset: 1 });
    sockets[0].drop();
    await tick(30);
    sockets[1].open();
    assert.equal(sockets[1].last("subscribe"), undefined, "not subscribed again after a reconnect");
    ws.close();
  });

  it("says what is wrong with its options", () => {
    assert.throws(() => new sdk.WebSocketTransport({ url: "http://x/ws" }), /must start with ws:\/\/ or wss:\/\//);
    const noWebSocket = new sdk.WebSocketTransport({ url: "ws://x/ws" });
    assert.throws(() => noWebSocket.subscribe("Message:list", () => {}), /no global WebSocket here/);
    assert.throws(() => new sdk.WebSocketTransport({ url: "ws://x/ws", heartbeat: -1 }), /heartbeat must be/);
  });
});
