// The generated React hooks of examples/chat (built by the real ssot, compiled with tsc) on
// TanStack Query v5: query keys and fetches, cache updates after each mutation, and the hooks
// and provider rendered with React (react-dom/server).
import assert from "node:assert/strict";
import { before, describe, it } from "node:test";
import { createElement } from "react";
import { renderToString } from "react-dom/server";
import { MutationObserver, QueryClient } from "@tanstack/react-query";
import { compile, generate } from "./helpers.mjs";

let sdk;
let hooks;
before(async () => {
  const { dir } = generate("examples/chat/config.lua", "react");
  const load = compile(dir);
  sdk = await load("sdk/index.js");
  hooks = await load("react/index.js");
});

const row = (id, text) => ({
  id, roomId: 1, authorId: 1, text, kind: "text", attachments: null, editedAt: null,
  createdAt: "2026-01-01T00:00:00.000Z", updatedAt: "2026-01-01T00:00:00.000Z",
});

// A client over an in-memory transport that records each request and answers from `answer`.
function fakeClient(answer) {
  const calls = [];
  const client = sdk.createClient({
    transport: { request: async (r) => { calls.push(r); return answer(r); } },
  });
  return { client, calls };
}

const page = (items) => ({ items, total: items.length, skip: 0, take: 20, offset: 1, epoch: "e" });

describe("query options", () => {
  it("list queries are keyed by model and params and fetch through the client", async () => {
    const { client, calls } = fakeClient(() => page([row(1, "a")]));
    const queryClient = new QueryClient();
    const params = { where: { roomId: 1 }, take: 5 };
    const options = hooks.listQueryOptions(client, "Message", params);
    assert.deepEqual(options.queryKey, ["ssot", "Message", "list", params]);
    const data = await queryClient.fetchQuery(options);
    assert.deepEqual(data.items, [row(1, "a")]);
    assert.equal(calls[0].action, "list");
    assert.deepEqual(calls[0].params, params);
    assert.ok(calls[0].options.signal instanceof AbortSignal, "TanStack's signal reaches the transport");
  });

  it("get queries are keyed by id and skipped without one", async () => {
    const { client } = fakeClient(() => row(4, "d"));
    const queryClient = new QueryClient();
    assert.deepEqual(await queryClient.fetchQuery(hooks.getQueryOptions(client, "Message", 4)), row(4, "d"));
    assert.deepEqual(hooks.getQueryOptions(client, "Message", undefined).queryKey, ["ssot", "Message", "get", null]);
    assert.equal(typeof hooks.getQueryOptions(client, "Message", null).queryFn, "symbol", "skipToken");
  });
});

describe("mutations keep the cache true", () => {
  async function setup(answer) {
    const { client, calls } = fakeClient(answer);
    const queryClient = new QueryClient();
    await queryClient.fetchQuery(hooks.listQueryOptions(client, "Message", { take: 5 }));
    return { client, calls, queryClient };
  }
  const listKey = ["ssot", "Message", "list", { take: 5 }];

  it("create caches the new row for get and invalidates the lists", async () => {
    const { client, queryClient } = await setup((r) => (r.action === "list" ? page([row(1, "a")]) : row(2, "b")));
    const observer = new MutationObserver(queryClient, hooks.createMutationOptions(client, queryClient, "Message"));
    const created = await observer.mutate({ roomId: 1, text: "b" });
    assert.deepEqual(created, row(2, "b"));
    assert.deepEqual(queryClient.getQueryData(["ssot", "Message", "get", 2]), row(2, "b"));
    assert.equal(queryClient.getQueryState(listKey).isInvalidated, true);
  });

  it("update replaces the row in cached lists and in its get query", async () => {
    const { client, calls, queryClient } = await setup((r) =>
      r.action === "list" ? page([row(1, "a"), row(2, "b")]) : row(2, "B"));
    const observer = new MutationObserver(queryClient, hooks.updateMutationOptions(client, queryClient, "Message"));
    await observer.mutate({ id: 2, data: { text: "B" } });
    assert.equal(calls.at(-1).action, "update");
    assert.deepEqual(calls.at(-1).body, { text: "B" });
    assert.deepEqual(queryClient.getQueryData(listKey).items.map((m) => m.text), ["a", "B"]);
    assert.deepEqual(queryClient.getQueryData(["ssot", "Message", "get", 2]), row(2, "B"));
    assert.equal(queryClient.getQueryState(listKey).isInvalidated, true);
  });

  it("replace does the same through PUT", async () => {
    const { client, calls, queryClient } = await setup((r) => (r.action === "list" ? page([row(3, "c")]) : row(3, "C")));
    await new MutationObserver(queryClient, hooks.replaceMutationOptions(client, queryClient, "Message"))
      .mutate({ id: 3, data: { roomId: 1, text: "C" } });
    assert.equal(calls.at(-1).action, "replace");
    assert.deepEqual(queryClient.getQueryData(listKey).items.map((m) => m.text), ["C"]);
  });

  it("delete removes the row from cached lists, lowers the total and drops its get query", async () => {
    const { client, queryClient } = await setup((r) => (r.action === "list" ? page([row(1, "a"), row(2, "b")]) : undefined));
    queryClient.setQueryData(["ssot", "Message", "get", 2], row(2, "b"));
    await new MutationObserver(queryClient, hooks.deleteMutationOptions(client, queryClient, "Message")).mutate(2);
    const cached = queryClient.getQueryData(listKey);
    assert.deepEqual(cached.items.map((m) => m.id), [1]);
    assert.equal(cached.total, 1);
    assert.equal(queryClient.getQueryData(["ssot", "Message", "get", 2]), undefined);
  });

  it("a failed mutation leaves the cache alone and surfaces the error", async () => {
    const { client, queryClient } = await setup((r) => {
      if (r.action === "list") return page([row(1, "a")]);
      throw new sdk.ApiError({ status: 403, code: "forbidden", message: "not yours", method: "PATCH", url: "/api/messages/1" });
    });
    const observer = new MutationObserver(queryClient, hooks.updateMutationOptions(client, queryClient, "Message"));
    await assert.rejects(observer.mutate({ id: 1, data: { text: "x" } }), (e) => sdk.isForbidden(e));
    assert.deepEqual(queryClient.getQueryData(listKey).items, [row(1, "a")]);
    assert.equal(queryClient.getQueryState(listKey).isInvalidated, false);
  });
});

describe("hooks in React", () => {
  it("useList and the per-model hooks read the cache the options fill, under SsotProvider", () => {
    const { client } = fakeClient(() => page([]));
    const queryClient = new QueryClient();
    queryClient.setQueryData(["ssot", "Message", "list", { where: { roomId: 1 } }], page([row(1, "hello"), row(2, "world")]));
    queryClient.setQueryData(["ssot", "Room", "get", 1], { id: 1, title: "general", topic: null, isPrivate: false, createdAt: "2026-01-01T00:00:00.000Z" });
    function Chat() {
      const generic = hooks.useList("Message", { where: { roomId: 1 } });
      const typed = hooks.useMessages({ where: { roomId: 1 } });
      const room = hooks.useRoom(1);
      const idle = hooks.useMessage(undefined);
      const create = hooks.useCreateMessage();
      return createElement("p", null, [
        room.data.title, ":", ...generic.data.items.map((m) => m.text), "|", typed.data.total, "|", idle.fetchStatus, "|", create.status,
      ].join(" "));
    }
    const html = renderToString(createElement(hooks.SsotProvider, { client, queryClient }, createElement(Chat)));
    assert.equal(html, "<p>general : hello world | 2 | idle | idle</p>");
  });

  it("a mutation hook updates the cache before the app's own onSuccess, which still runs", async () => {
    const { client, calls } = fakeClient((r) => (r.action === "list" ? page([row(1, "a")]) : row(1, "edited")));
    const queryClient = new QueryClient();
    const listKey = ["ssot", "Message", "list", { take: 5 }];
    await queryClient.fetchQuery(hooks.listQueryOptions(client, "Message", { take: 5 }));
    const seen = [];
    let update;
    function Editor() {
      update = hooks.useUpdateMessage({
        onSuccess: (saved, variables) => seen.push([saved.text, variables.id, queryClient.getQueryData(listKey).items[0].text]),
      });
      return null;
    }
    renderToString(createElement(hooks.SsotProvider, { client, queryClient }, createElement(Editor)));
    await update.mutateAsync({ id: 1, data: { text: "edited" } });
    assert.equal(calls.at(-1).action, "update");
    assert.deepEqual(seen, [["edited", 1, "edited"]], "onSuccess ran once and saw the cached list already updated");
  });

  it("a hook outside SsotProvider says what is missing", () => {
    function Lost() {
      hooks.useMessages();
      return null;
    }
    assert.throws(() => renderToString(createElement(Lost)), /ssot hooks need an <SsotProvider client=\{createClient\(\{ baseUrl \}\)\}>/);
  });
});
