// The generated React hooks of examples/chat, live: components rendered with react-dom in jsdom,
// on TanStack Query, against the real `ssot serve`, another SDK client writing. useList shows
// a row created elsewhere without refetching, loses a row updated out of its where; useGet
// follows an update and a deletion; a component written for the HTTP-only SDK runs unchanged;
// a burst of 500 events causes a bounded number of renders (websockets.batching).
import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { JSDOM } from "jsdom";
import WebSocket from "ws";
import { compile, generate, tempDir as nodeTempDir } from "../node/helpers.mjs";
import { api, mint, source, startServe, tempDir, until } from "./helpers.mjs";

// react-dom needs a document before it loads.
const dom = new JSDOM("<!doctype html><html><body></body></html>");
globalThis.window = dom.window;
globalThis.document = dom.window.document;
if (globalThis.navigator === undefined) globalThis.navigator = dom.window.navigator; // Node 20 has none
const { createElement: h, useRef, useState } = await import("react");
const { createRoot } = await import("react-dom/client");
const { QueryClient } = await import("@tanstack/react-query");

// Query clients made by the tests: cleared at the end, so their garbage-collection timers do
// not keep the process alive.
const queryClients = [];
after(() => {
  for (const queryClient of queryClients) queryClient.clear();
  dom.window.close();
});

/** Renders element into a fresh div; returns { text(), unmount() }. */
function render(element) {
  const container = document.createElement("div");
  document.body.appendChild(container);
  const root = createRoot(container);
  root.render(element);
  return {
    text: () => container.textContent,
    unmount: () => {
      root.unmount();
      container.remove();
    },
  };
}

// Written against the HTTP-only SDK's hooks: the same function runs on both generated SDKs.
function MessageList({ hooks, roomId, onRender }) {
  const renders = useRef(0);
  renders.current++;
  onRender?.(renders.current);
  const { data } = hooks.useMessages({ where: { roomId, kind: "text" }, orderBy: { id: "desc" }, take: 100 });
  return h("ul", null, data === undefined ? "loading" : data.items.map((m) => h("li", { key: m.id }, `[${m.text}]`)));
}

function Room({ hooks, roomId, expose }) {
  const typing = useRef([]);
  const [, rerender] = useState(0);
  const room = hooks.useChannel("chat:room:{roomId}", { roomId }, (e) => {
    if (e.event === "typing") {
      typing.current.push(e.data.name);
      rerender((n) => n + 1);
    }
  });
  expose?.(room);
  const here = hooks.usePresence("chat:room:{roomId}", { roomId });
  const state = hooks.useConnectionState();
  return h("p", null, `${state} here:${[...here].sort().join(",")} typing:${typing.current.join(",")}`);
}

function OneMessage({ hooks, id }) {
  const { data, isPending } = hooks.useMessage(id);
  return h("p", null, isPending ? "loading" : data === null ? "(deleted)" : `<${data.text}>`);
}

describe("live React hooks against ssot serve", () => {
  let server, sdk, hooks, writer, requests;

  before(async () => {
    const { dir } = generate("examples/chat/config.lua", "react-live");
    const load = compile(dir);
    sdk = await load("sdk/index.js");
    hooks = await load("react/index.js");
    server = await startServe(source("examples/chat/config.lua"), { db: `${tempDir("react-live")}/chat.db` });
    writer = sdk.createClient({ baseUrl: server.url, token: mint(1, { role: "admin" }), realtime: false });
    await writer.users.create({ name: "Admin", email: "admin@react.test" });
    requests = [];
  });
  after(() => server.stop());

  /** A reader client whose HTTP requests are recorded, in a provider with a fresh QueryClient. */
  function provide(children) {
    const client = sdk.createClient({
      baseUrl: server.url,
      token: mint(1, { role: "admin" }),
      realtime: { WebSocket },
      onRequest: ({ method, url }) => requests.push(`${method} ${new URL(url).pathname}`),
    });
    const queryClient = new QueryClient({ defaultOptions: { queries: { retry: false, staleTime: Infinity } } });
    queryClients.push(queryClient);
    return { client, element: h(hooks.SsotProvider, { client, queryClient }, children) };
  }

  it("useList shows a row another client created, without a refetch, and drops one updated out of its where", async () => {
    const room = await writer.rooms.create({ title: "react" });
    const first = await writer.messages.create({ roomId: room.id, text: "first" });
    const { client, element } = provide(h(MessageList, { hooks, roomId: room.id }));
    requests.length = 0;
    const view = render(element);
    await until(() => view.text() === "[first]", "the first page");
    await until(() => client.$realtime.state === "open", "the socket");
    await writer.messages.create({ roomId: room.id, text: "second" });
    await until(() => view.text() === "[second][first]", "the created row");
    await writer.messages.create({ roomId: room.id, text: "third", kind: "system" }); // not in the where
    await writer.messages.update(first.id, { kind: "image" });
    await until(() => view.text() === "[second]", "the row updated out of the where");
    assert.deepEqual(requests.filter((r) => r === "GET /api/messages"), ["GET /api/messages"], "one fetch: the changes came live");
    view.unmount();
    client.$realtime.close();
  });

  it("useChannel publishes and receives typed events, usePresence and useConnectionState follow the room", async () => {
    await writer.users.create({ name: "Bob", email: "bob@react.test" });
    const { id: roomId } = await writer.rooms.create({ title: "presence" });
    const token = (sub) => mint(sub);
    const mount = (sub, expose) => {
      const client = sdk.createClient({ baseUrl: server.url, token: token(sub), realtime: { WebSocket } });
      const queryClient = new QueryClient();
      queryClients.push(queryClient);
      const view = render(h(hooks.SsotProvider, { client, queryClient }, h(Room, { hooks, roomId, expose })));
      return { client, view };
    };
    const admin = mount(1);
    await until(() => admin.view.text().startsWith("open here:1 "), "the admin in the room");
    let bobRoom;
    const bob = mount(2, (room) => (bobRoom = room));
    await until(() => admin.view.text().startsWith("open here:1,2 ") && bob.view.text().startsWith("open here:1,2 "),
      "both users present on both pages");
    assert.equal(bobRoom.name, `chat:room:${roomId}`);
    await bobRoom.publish("typing", { name: "bob" });
    await until(() => admin.view.text().endsWith("typing:bob"), "bob typing on the admin's page");
    bob.view.unmount();
    bob.client.$realtime.close();
    await until(() => admin.view.text().startsWith("open here:1 "), "bob leaving");
    admin.view.unmount();
    admin.client.$realtime.close();
  });

  it("useGet follows an update and a deletion", async () => {
    const room = await writer.rooms.create({ title: "get" });
    const message = await writer.messages.create({ roomId: room.id, text: "v1" });
    const { client, element } = provide(h(OneMessage, { hooks, id: message.id }));
    const view = render(element);
    await until(() => view.text() === "<v1>", "the row");
    await writer.messages.update(message.id, { text: "v2" });
    await until(() => view.text() === "<v2>", "the update");
    await writer.messages.delete(message.id);
    await until(() => view.text() === "(deleted)", "the deletion");
    view.unmount();
    client.$realtime.close();
  });

  it("a burst of 500 events causes a bounded number of renders", async () => {
    const room = await writer.rooms.create({ title: "burst" });
    let renders = 0;
    const { client, element } = provide(h(MessageList, { hooks, roomId: room.id, onRender: (n) => (renders = n) }));
    const view = render(element);
    await until(() => view.text() === "", "the empty list");
    await until(() => client.$realtime.state === "open", "the socket");
    await new Promise((ok) => setTimeout(ok, 50));
    const before = renders;
    const started = Date.now();
    let next = 0;
    await Promise.all(
      Array.from({ length: 20 }, async () => {
        while (next < 500) {
          const i = next++;
          await writer.messages.create({ roomId: room.id, text: `m${i}` });
        }
      }),
    );
    const burstMs = Date.now() - started;
    await until(() => view.text().startsWith("[m") && (view.text().match(/\[/g) ?? []).length === 100, "the burst", 20000);
    await until(() => view.text().includes("[m499]") || view.text().includes("[m498]"), "the last events");
    await new Promise((ok) => setTimeout(ok, 100));
    const burstRenders = renders - before;
    // websockets.batching in the chat config: flushInterval 16 ms, maxBatchSize 100.
    const bound = Math.ceil(500 / 100) + Math.ceil(burstMs / 16) + 5;
    assert.ok(burstRenders <= bound, `${burstRenders} renders for 500 events over ${burstMs} ms (bound ${bound})`);
    assert.ok(burstRenders < 100, `${burstRenders} renders for 500 events`);
    console.log(`# 500 events over ${burstMs} ms: ${burstRenders} renders (bound ${bound})`);
    view.unmount();
    client.$realtime.close();
  });
});

describe("a component written for the HTTP-only SDK", () => {
  it("runs unchanged on the realtime SDK and on the HTTP-only one", async () => {
    const server = await startServe(source("examples/chat/config.lua"), { db: `${tempDir("react-plain")}/chat.db` });
    try {
      const text = readFileSync(source("examples/chat/config.lua"), "utf8");
      const dir = nodeTempDir("react-http-only");
      writeFileSync(join(dir, "config.lua"), text.replace(/(websockets = \{\n\s*enabled = )true/, "$1false"));
      const made = await api(server.url, "POST", "/api/users", { body: { name: "Admin", email: "a@either.test" }, token: mint(1, { role: "admin" }) });
      assert.equal(made.status, 201);
      for (const config of [source("examples/chat/config.lua"), join(dir, "config.lua")]) {
        const { dir: out } = generate(config, "react-either");
        const load = compile(out);
        const sdk = await load("sdk/index.js");
        const hooks = await load("react/index.js");
        // Node 20 has no global WebSocket: the realtime SDK is given the ws package's.
        const realtime = sdk.WebSocketTransport === undefined ? {} : { realtime: { WebSocket } };
        const admin = sdk.createClient({ baseUrl: server.url, token: mint(1, { role: "admin" }), ...realtime });
        const room = await admin.rooms.create({ title: "either" });
        await admin.messages.create({ roomId: room.id, text: "plain" });
        const queryClient = new QueryClient({ defaultOptions: { queries: { retry: false } } });
        queryClients.push(queryClient);
        const view = render(h(hooks.SsotProvider, { client: admin, queryClient }, h(MessageList, { hooks, roomId: room.id })));
        await until(() => view.text() === "[plain]", "the list");
        view.unmount();
        admin.$realtime?.close();
      }
    } finally {
      await server.stop();
    }
  });
});
