// The generated HTTP client of examples/chat (built by the real ssot, compiled with tsc)
// against HTTP servers written here: requests on the wire, status mapping to typed errors,
// retries, timeouts, auth, hooks, query encoding and the schema-skew warning.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { compile, generate, sendJson, startServer } from "./helpers.mjs";

let sdk;
before(() => {
  const { dir } = generate("examples/chat/config.lua", "http");
  const load = compile(dir);
  return load("sdk/index.js").then((m) => {
    sdk = m;
  });
});

// A server for one test; closed after it.
const servers = [];
async function serve(handler) {
  const server = await startServer(handler);
  servers.push(server);
  return server;
}
after(() => Promise.all(servers.map((s) => s.close())));

// Records the waits between retries instead of sleeping; random() = 0 gives the smallest jitter.
function fastRetries(extra = {}) {
  const waits = [];
  return {
    waits,
    retries: { retries: 2, baseDelay: 200, random: () => 0, sleep: async (ms) => void waits.push(ms), ...extra },
  };
}

const message = {
  id: 7, roomId: 3, authorId: 1, text: "hi", kind: "text", attachments: null, editedAt: null,
  createdAt: "2026-01-02T03:04:05.678Z", updatedAt: "2026-01-02T03:04:05.678Z",
};

describe("requests on the wire", () => {
  it("list encodes where and orderBy as JSON and skip/take as integers", async () => {
    const server = await serve((req, res) =>
      sendJson(res, 200, { items: [message], total: 1, skip: 5, take: 10, offset: 42, epoch: "e1" }));
    const client = sdk.createClient({ baseUrl: server.url });
    const page = await client.messages.list({
      where: { roomId: 3, createdAt: { gte: new Date("2026-01-01T00:00:00.000Z") }, text: { contains: "a&b=c" } },
      orderBy: [{ createdAt: "desc" }, { id: "asc" }],
      skip: 5,
      take: 10,
    });
    assert.deepEqual(page.items, [message]);
    assert.equal(page.offset, 42);
    const url = new URL(server.requests[0].url, server.url);
    assert.equal(server.requests[0].method, "GET");
    assert.equal(url.pathname, "/api/messages");
    assert.deepEqual(JSON.parse(url.searchParams.get("where")), {
      roomId: 3, createdAt: { gte: "2026-01-01T00:00:00.000Z" }, text: { contains: "a&b=c" },
    });
    assert.deepEqual(JSON.parse(url.searchParams.get("orderBy")), [{ createdAt: "desc" }, { id: "asc" }]);
    assert.equal(url.searchParams.get("skip"), "5");
    assert.equal(url.searchParams.get("take"), "10");
    assert.equal(server.requests[0].headers.accept, "application/json");
  });

  it("list without parameters sends no query string", async () => {
    const server = await serve((req, res) => sendJson(res, 200, { items: [], total: 0, skip: 0, take: 20, offset: 0, epoch: "e" }));
    await sdk.createClient({ baseUrl: `${server.url}/` }).rooms.list();
    assert.equal(server.requests[0].url, "/api/rooms");
  });

  it("get, create, update, replace and delete use the REST contract's methods, paths and bodies", async () => {
    const server = await serve((req, res) => {
      if (req.method === "POST") return sendJson(res, 201, message, { location: "/api/messages/7" });
      if (req.method === "DELETE") return sendJson(res, 204, undefined);
      return sendJson(res, 200, message);
    });
    const client = sdk.createClient({ baseUrl: server.url });
    assert.deepEqual(await client.messages.get(7), message);
    assert.deepEqual(await client.messages.create({ roomId: 3, text: "hi" }), message);
    assert.deepEqual(await client.messages.update(7, { text: "edited", editedAt: new Date(Date.UTC(2026, 0, 2)) }), message);
    assert.deepEqual(await client.messages.replace(7, { roomId: 3, text: "all new" }), message);
    assert.equal(await client.messages.delete(7), undefined);
    assert.deepEqual(server.requests.map((r) => `${r.method} ${r.url}`), [
      "GET /api/messages/7", "POST /api/messages", "PATCH /api/messages/7", "PUT /api/messages/7", "DELETE /api/messages/7",
    ]);
    assert.deepEqual(JSON.parse(server.requests[1].body), { roomId: 3, text: "hi" });
    assert.deepEqual(JSON.parse(server.requests[2].body), { text: "edited", editedAt: "2026-01-02T00:00:00.000Z" });
    assert.equal(server.requests[1].headers["content-type"], "application/json");
    assert.equal(server.requests[0].headers["content-type"], undefined);
  });

  it("$model(name) is the same client as the property", async () => {
    const client = sdk.createClient({ baseUrl: "http://127.0.0.1:9" });
    assert.equal(client.$model("Message"), client.messages);
    assert.equal(client.$schemaHash, sdk.schemaHash);
    assert.match(sdk.schemaHash, /^[0-9a-f]{16}$/);
  });

  it("bad options are clear errors from createClient, before any request", () => {
    for (const [options, error] of [
      [{}, { name: "TypeError", message: /^ssot: HttpTransport needs a baseUrl, e\.g\. "http:\/\/localhost:8080"/ }],
      [{ baseUrl: "localhost:8080" }, { name: "TypeError", message: /^ssot: baseUrl must start with a scheme, e\.g\. "http:\/\/localhost:8080" .*got "localhost:8080"$/ }],
      [{ baseUrl: "127.0.0.1:8080/app" }, { name: "TypeError", message: /e\.g\. "http:\/\/127\.0\.0\.1:8080\/app"/ }],
      [{ baseUrl: "http://x", timeout: "5000" }, { name: "RangeError", message: 'ssot: timeout must be a number of milliseconds >= 0, got "5000"' }],
      [{ baseUrl: "http://x", timeout: -1 }, { name: "RangeError", message: "ssot: timeout must be a number of milliseconds >= 0, got -1" }],
      [{ baseUrl: "http://x", retries: "3" }, { name: "TypeError", message: /^ssot: retries must be a count or \{ retries, .*\}, got "3"$/ }],
      [{ baseUrl: "http://x", retries: -1 }, { name: "RangeError", message: "ssot: retry option retries must be a number >= 0, got -1" }],
      [{ baseUrl: "http://x", retries: { baseDelay: "fast" } }, { name: "RangeError", message: 'ssot: retry option baseDelay must be a number >= 0, got "fast"' }],
      // setTimeout fires at once past 2^31-1 ms: every call would time out (or retry) immediately.
      [{ baseUrl: "http://x", timeout: 1e10 }, { name: "RangeError", message: /^ssot: timeout must be at most 2147483647 ms .*0 for none.*got 10000000000$/ }],
      [{ baseUrl: "http://x", retries: { maxDelay: 2147483648 } }, { name: "RangeError", message: /^ssot: retry option maxDelay must be at most 2147483647 ms .*got 2147483648$/ }],
    ]) {
      assert.throws(() => sdk.createClient(options), error, JSON.stringify(options));
    }
    for (const baseUrl of ["", "/backend", "https://api.example.com/v2/", "http://127.0.0.1:8080"]) {
      assert.doesNotThrow(() => sdk.createClient({ baseUrl }), baseUrl);
    }
    assert.doesNotThrow(() => sdk.createClient({ baseUrl: "", timeout: 2147483647, retries: { maxDelay: 2147483647 } }));
  });

  it("a call without an id is a clear TypeError, not a request", async () => {
    const server = await serve((req, res) => sendJson(res, 200, message));
    const client = sdk.createClient({ baseUrl: server.url });
    await assert.rejects(client.messages.get(undefined), {
      name: "TypeError", message: /Message\.get needs an id \(a number or a non-empty string\), got undefined/,
    });
    assert.equal(server.requests.length, 0);
  });
});

describe("error responses become typed errors", () => {
  const cases = [
    [400, { code: "validation_failed", message: "2 fields are invalid", fields: { text: "is required", kind: "must be one of: text, image, system" } }, "isValidation"],
    [401, { code: "unauthorized", message: "token expired" }, "isUnauthorized"],
    [403, { code: "forbidden", message: "only the author may edit" }, "isForbidden"],
    [404, { code: "not_found", message: "no Message with id 7" }, "isNotFound"],
    [409, { code: "conflict", message: "email is taken", fields: { email: "is already used" } }, "isConflict"],
  ];
  for (const [status, error, guard] of cases) {
    it(`${status} ${error.code} -> ApiError, ${guard}`, async () => {
      const server = await serve((req, res) => sendJson(res, status, { error }, { "x-request-id": "req-1" }));
      const client = sdk.createClient({ baseUrl: server.url });
      const thrown = await client.messages.get(7).then(() => assert.fail("resolved"), (e) => e);
      assert.ok(thrown instanceof sdk.ApiError);
      assert.ok(thrown instanceof sdk.SsotError);
      assert.equal(thrown.status, status);
      assert.equal(thrown.code, error.code);
      assert.equal(thrown.message, error.message);
      assert.deepEqual(thrown.fields, error.fields ?? {});
      assert.equal(thrown.requestId, "req-1");
      assert.equal(thrown.method, "GET");
      assert.equal(thrown.url, `${server.url}/api/messages/7`);
      for (const other of ["isValidation", "isUnauthorized", "isForbidden", "isNotFound", "isConflict"]) {
        assert.equal(sdk[other](thrown), other === guard, `${other} on ${status}`);
      }
      assert.equal(server.requests.length, 1, "4xx is never retried");
    });
  }

  it("500 carries the request id from the error body", async () => {
    const server = await serve((req, res) =>
      sendJson(res, 500, { error: { code: "internal", message: "hook failed", requestId: "abc123" } }));
    const thrown = await sdk.createClient({ baseUrl: server.url }).rooms.list().catch((e) => e);
    assert.equal(thrown.code, "internal");
    assert.equal(thrown.requestId, "abc123");
  });

  it("a non-ssot error body (a proxy's HTML) is unexpected_response with the status", async () => {
    const server = await serve((req, res) => {
      res.writeHead(502, { "content-type": "text/html" });
      res.end("<html>Bad Gateway</html>");
    });
    const thrown = await sdk.createClient({ baseUrl: server.url, retries: 0 }).rooms.list().catch((e) => e);
    assert.ok(sdk.isApiError(thrown));
    assert.equal(thrown.status, 502);
    assert.equal(thrown.code, "unexpected_response");
    assert.match(thrown.message, /502 Bad Gateway .*not an ssot error body \(text\/html\): <html>Bad Gateway<\/html>/);
  });
});

describe("retries", () => {
  it("retries a GET after 503 with exponential backoff, then succeeds", async () => {
    const server = await serve((req, res, entry, n) =>
      n <= 2 ? sendJson(res, 503, { error: { code: "internal", message: "busy" } }) : sendJson(res, 200, message));
    const { waits, retries } = fastRetries();
    assert.deepEqual(await sdk.createClient({ baseUrl: server.url, retries }).messages.get(7), message);
    assert.equal(server.requests.length, 3);
    assert.deepEqual(waits, [100, 200], "half of 200 ms, then half of 400 ms, with zero jitter");
  });

  it("gives up after the configured retries with the last error", async () => {
    const server = await serve((req, res) => sendJson(res, 504, { error: { code: "internal", message: "timeout upstream" } }));
    const { retries } = fastRetries({ retries: 3 });
    const thrown = await sdk.createClient({ baseUrl: server.url, retries }).messages.get(7).catch((e) => e);
    assert.equal(thrown.status, 504);
    assert.equal(server.requests.length, 4);
  });

  it("jitter adds up to half the delay", async () => {
    const server = await serve((req, res, entry, n) => (n === 1 ? sendJson(res, 503, {}) : sendJson(res, 200, message)));
    const { waits, retries } = fastRetries({ random: () => 0.5 });
    await sdk.createClient({ baseUrl: server.url, retries }).messages.get(7);
    assert.deepEqual(waits, [150]);
  });

  it("never retries a 400", async () => {
    const server = await serve((req, res) => sendJson(res, 400, { error: { code: "bad_request", message: "where: unknown field 'x'" } }));
    const { retries } = fastRetries();
    await assert.rejects(sdk.createClient({ baseUrl: server.url, retries }).messages.list(), { status: 400 });
    assert.equal(server.requests.length, 1);
  });

  for (const [what, call] of [
    ["POST", (c) => c.messages.create({ roomId: 1, text: "x" })],
    ["PATCH", (c) => c.messages.update(7, { text: "x" })],
  ]) {
    it(`never retries a ${what}, even after 503`, async () => {
      const server = await serve((req, res) => sendJson(res, 503, { error: { code: "internal", message: "busy" } }));
      const { retries } = fastRetries();
      await assert.rejects(call(sdk.createClient({ baseUrl: server.url, retries })), { status: 503 });
      assert.equal(server.requests.length, 1);
    });
  }

  it("retries a GET after a network error (connection reset)", async () => {
    const server = await serve((req, res, entry, n) => (n === 1 ? req.socket.destroy() : sendJson(res, 200, message)));
    const { retries } = fastRetries();
    assert.deepEqual(await sdk.createClient({ baseUrl: server.url, retries }).messages.get(7), message);
    assert.equal(server.requests.length, 2);
  });

  it("never retries a 500 (a bug or a hook error, not a passing fault)", async () => {
    const server = await serve((req, res) => sendJson(res, 500, { error: { code: "internal", message: "hook failed" } }));
    const { retries, waits } = fastRetries();
    await assert.rejects(sdk.createClient({ baseUrl: server.url, retries }).messages.get(7), { status: 500 });
    assert.equal(server.requests.length, 1);
    assert.deepEqual(waits, []);
  });

  it("retries a PUT after 503 (replacing twice leaves the row as once would)", async () => {
    const server = await serve((req, res, entry, n) =>
      n === 1 ? sendJson(res, 503, { error: { code: "unavailable", message: "database locked" } }) : sendJson(res, 200, message));
    const { retries } = fastRetries();
    assert.deepEqual(await sdk.createClient({ baseUrl: server.url, retries }).messages.replace(7, { roomId: 3, text: "hi" }), message);
    assert.deepEqual(server.requests.map((r) => r.method), ["PUT", "PUT"]);
    assert.equal(server.requests[1].body, server.requests[0].body);
  });

  it("a POST whose connection fails is a NetworkError, not retried", async () => {
    const server = await serve((req) => req.socket.destroy());
    const { retries } = fastRetries();
    const thrown = await sdk.createClient({ baseUrl: server.url, retries }).messages.create({ roomId: 1, text: "x" }).catch((e) => e);
    assert.ok(sdk.isNetworkError(thrown), String(thrown));
    assert.match(thrown.message, /^POST http:\/\/127\.0\.0\.1:\d+\/api\/messages failed: /);
    assert.equal(server.requests.length, 1);
  });

  it("an unreachable server is a NetworkError after the retries", async () => {
    const server = await serve(() => {});
    const url = server.url;
    await server.close();
    const { retries, waits } = fastRetries();
    const thrown = await sdk.createClient({ baseUrl: url, retries }).rooms.list().catch((e) => e);
    assert.ok(sdk.isNetworkError(thrown), String(thrown));
    assert.equal(waits.length, 2);
  });

  it("503 waits the server's Retry-After, and a too-long one is not waited for", async () => {
    const server = await serve((req, res, entry, n) =>
      n === 1 ? sendJson(res, 503, { error: { code: "unavailable", message: "busy" } }, { "retry-after": "1" })
        : n === 2 ? sendJson(res, 200, message)
          : sendJson(res, 503, { error: { code: "unavailable", message: "busy" } }, { "retry-after": "60" }));
    const { retries, waits } = fastRetries();
    const client = sdk.createClient({ baseUrl: server.url, retries });
    assert.deepEqual(await client.messages.get(7), message);
    assert.deepEqual(waits, [1000]);
    const thrown = await client.messages.get(7).catch((e) => e);
    assert.equal(thrown.status, 503);
    assert.equal(thrown.retryAfterMs, 60000);
    assert.equal(server.requests.length, 3);
  });

  it("a 429 is a 4xx and is not retried: the error carries its Retry-After", async () => {
    const server = await serve((req, res) =>
      sendJson(res, 429, { error: { code: "rate_limited", message: "slow down" } }, { "retry-after": "1" }));
    const { retries, waits } = fastRetries();
    const thrown = await sdk.createClient({ baseUrl: server.url, retries }).messages.get(7).catch((e) => e);
    assert.equal(thrown.status, 429);
    assert.equal(thrown.retryAfterMs, 1000);
    assert.deepEqual(waits, []);
    assert.equal(server.requests.length, 1);
  });

  it("a DELETE whose first attempt may have landed treats the retry's 404 as done", async () => {
    const server = await serve((req, res, entry, n) =>
      n === 1 ? sendJson(res, 503, {}) : sendJson(res, 404, { error: { code: "not_found", message: "no Message 7" } }));
    const { retries } = fastRetries();
    assert.equal(await sdk.createClient({ baseUrl: server.url, retries }).messages.delete(7), undefined);
    assert.equal(server.requests.length, 2);
  });

  it("a plain DELETE of a missing row is still a 404", async () => {
    const server = await serve((req, res) => sendJson(res, 404, { error: { code: "not_found", message: "no Message 7" } }));
    await assert.rejects(sdk.createClient({ baseUrl: server.url }).messages.delete(7), (e) => sdk.isNotFound(e));
  });
});

describe("timeouts and aborts", () => {
  it("a server that never answers gives a TimeoutError after `timeout` ms", async () => {
    const server = await serve(() => {});
    const started = Date.now();
    const thrown = await sdk.createClient({ baseUrl: server.url, timeout: 150 }).messages.get(7).catch((e) => e);
    const elapsed = Date.now() - started;
    assert.ok(sdk.isTimeout(thrown), String(thrown));
    assert.equal(thrown.timeoutMs, 150);
    assert.match(thrown.message, /^GET http:\/\/127\.0\.0\.1:\d+\/api\/messages\/7 timed out after 150 ms$/);
    assert.ok(elapsed >= 140 && elapsed < 5000, `took ${elapsed} ms`);
    assert.equal(server.requests.length, 1, "the timeout covers the whole call: no retry after it");
  });

  it("the timeout also ends the waits between retries", async () => {
    const server = await serve((req, res) => sendJson(res, 503, {}));
    const thrown = await sdk.createClient({ baseUrl: server.url, timeout: 100, retries: { retries: 5, baseDelay: 10000, maxDelay: 10000 } })
      .rooms.list().catch((e) => e);
    assert.ok(sdk.isTimeout(thrown), String(thrown));
    assert.equal(server.requests.length, 1);
  });

  it("the timeout also ends a token provider that never settles, with nothing sent", { timeout: 5000 }, async () => {
    const server = await serve((req, res) => sendJson(res, 200, message));
    const token = () => new Promise(() => {});
    const thrown = await sdk.createClient({ baseUrl: server.url, timeout: 100, token }).messages.get(7).catch((e) => e);
    assert.ok(sdk.isTimeout(thrown), String(thrown));
    assert.equal(server.requests.length, 0);
  });

  it("the timeout also ends an injected fetch that ignores the AbortSignal", { timeout: 5000 }, async () => {
    const calls = [];
    const fetch = (url, init) => {
      calls.push({ url, method: init.method, signal: init.signal });
      return new Promise(() => {});
    };
    const thrown = await sdk.createClient({ baseUrl: "http://api.test", timeout: 100, fetch }).messages.get(7).catch((e) => e);
    assert.ok(sdk.isTimeout(thrown), String(thrown));
    assert.equal(calls.length, 1);
    assert.equal(calls[0].url, "http://api.test/api/messages/7");
    assert.ok(calls[0].signal.aborted, "the signal given to fetch is aborted at the timeout");
  });

  it("the caller's AbortSignal also ends a pending token provider", { timeout: 5000 }, async () => {
    const controller = new AbortController();
    const pending = sdk.createClient({ baseUrl: "http://127.0.0.1:9", token: () => new Promise(() => {}) })
      .messages.get(7, { signal: controller.signal });
    setTimeout(() => controller.abort(), 20);
    await assert.rejects(pending, { name: "AbortError" });
  });

  it("the caller's AbortSignal aborts the request, which is not retried", async () => {
    const server = await serve(() => {});
    const controller = new AbortController();
    const pending = sdk.createClient({ baseUrl: server.url }).messages.get(7, { signal: controller.signal });
    setTimeout(() => controller.abort(), 50);
    await assert.rejects(pending, { name: "AbortError" });
    assert.equal(server.requests.length, 1);
  });
});

describe("an injected fetch", () => {
  it("carries every request: URL, method, headers and body, and its Response is decoded", async () => {
    const calls = [];
    const fetch = async (url, init) => {
      calls.push({ url, method: init.method, auth: init.headers.get("authorization"), body: init.body });
      return new Response(JSON.stringify(message), { status: 201, headers: { "content-type": "application/json" } });
    };
    const client = sdk.createClient({ baseUrl: "http://api.test/", fetch, token: "t" });
    assert.deepEqual(await client.messages.create({ roomId: 3, text: "hi" }), message);
    assert.deepEqual(calls, [{ url: "http://api.test/api/messages", method: "POST", auth: "Bearer t", body: '{"roomId":3,"text":"hi"}' }]);
  });

  it("is called as a plain function, as a browser's global fetch must be (else: Illegal invocation)", async () => {
    const receivers = [];
    // A strict-mode function sees `this` as it was called: undefined for a plain call.
    const fetch = function (url, init) {
      "use strict";
      receivers.push(this);
      return Promise.resolve(new Response(JSON.stringify(message), { status: 200, headers: { "content-type": "application/json" } }));
    };
    await sdk.createClient({ baseUrl: "http://api.test", fetch }).messages.get(1);
    assert.deepEqual(receivers, [undefined]);
  });

  it("a 2xx whose body is not JSON is an ApiError unexpected_response", async () => {
    const fetch = async () => new Response("<html>login</html>", { status: 200, headers: { "content-type": "text/html" } });
    const thrown = await sdk.createClient({ baseUrl: "http://api.test", fetch }).messages.get(7).catch((e) => e);
    assert.ok(sdk.isApiError(thrown), String(thrown));
    assert.equal(thrown.code, "unexpected_response");
    assert.match(thrown.message, /^GET http:\/\/api\.test\/api\/messages\/7: the response body is not JSON/);
  });
});

describe("auth and hooks", () => {
  it("a static token is sent as a Bearer header", async () => {
    const server = await serve((req, res) => sendJson(res, 200, message));
    await sdk.createClient({ baseUrl: server.url, token: "t0ken" }).messages.get(7);
    assert.equal(server.requests[0].headers.authorization, "Bearer t0ken");
  });

  it("an async token provider is asked before every attempt", async () => {
    const server = await serve((req, res, entry, n) => (n === 1 ? sendJson(res, 503, {}) : sendJson(res, 200, message)));
    let calls = 0;
    const token = async () => `token-${++calls}`;
    const { retries } = fastRetries();
    await sdk.createClient({ baseUrl: server.url, token, retries }).messages.get(7);
    assert.deepEqual(server.requests.map((r) => r.headers.authorization), ["Bearer token-1", "Bearer token-2"]);
  });

  it("no Authorization header when the provider has no token", async () => {
    const server = await serve((req, res) => sendJson(res, 200, message));
    await sdk.createClient({ baseUrl: server.url, token: () => null }).messages.get(7);
    assert.equal(server.requests[0].headers.authorization, undefined);
  });

  it("a failing token provider's error reaches the caller, with no request sent", async () => {
    const server = await serve((req, res) => sendJson(res, 200, message));
    const token = async () => { throw new Error("login expired"); };
    await assert.rejects(sdk.createClient({ baseUrl: server.url, token }).messages.get(7), { message: "login expired" });
    assert.equal(server.requests.length, 0);
  });

  it("onRequest may add headers; onResponse sees every response", async () => {
    const server = await serve((req, res) => sendJson(res, 200, message));
    const seen = [];
    const client = sdk.createClient({
      baseUrl: server.url,
      headers: { "x-app": "chat" },
      onRequest: ({ headers, method, attempt }) => headers.set("x-trace", `${method}-${attempt}`),
      onResponse: ({ status, method, url }) => seen.push(`${status} ${method} ${new URL(url).pathname}`),
    });
    await client.messages.get(7, { headers: { "x-call": "1" } });
    assert.equal(server.requests[0].headers["x-trace"], "GET-0");
    assert.equal(server.requests[0].headers["x-app"], "chat");
    assert.equal(server.requests[0].headers["x-call"], "1");
    assert.deepEqual(seen, ["200 GET /api/messages/7"]);
  });
});

describe("schema skew", () => {
  it("warns once, naming both hashes and what to do, when X-SSOT-Schema differs", async (t) => {
    const server = await serve((req, res) => sendJson(res, 200, message, { "x-ssot-schema": "ffffffffffffffff" }));
    const warn = t.mock.method(console, "warn", () => {});
    const client = sdk.createClient({ baseUrl: server.url });
    await client.messages.get(7);
    await client.messages.get(7);
    await client.rooms.get(1);
    assert.equal(warn.mock.callCount(), 1);
    const text = warn.mock.calls[0].arguments[0];
    assert.match(text, new RegExp(`generated for schema ${sdk.schemaHash}`));
    assert.match(text, /serves schema ffffffffffffffff/);
    assert.match(text, /Regenerate the SDK/);
  });

  it("stays silent when the hashes match", async (t) => {
    const server = await serve((req, res) => sendJson(res, 200, message, { "x-ssot-schema": sdk.schemaHash }));
    const warn = t.mock.method(console, "warn", () => {});
    await sdk.createClient({ baseUrl: server.url }).messages.get(7);
    assert.equal(warn.mock.callCount(), 0);
  });

  it("onSchemaMismatch replaces the warning", async () => {
    const server = await serve((req, res) => sendJson(res, 404, { error: { code: "not_found", message: "gone" } }, { "x-ssot-schema": "0000000000000000" }));
    const mismatches = [];
    const client = sdk.createClient({ baseUrl: server.url, onSchemaMismatch: (m) => mismatches.push(m) });
    await assert.rejects(client.messages.get(7));
    assert.deepEqual(mismatches, [{ expected: sdk.schemaHash, received: "0000000000000000", url: `${server.url}/api/messages/7` }]);
  });
});

describe("transports", () => {
  it("createClient({ transport }) sends every action through it", async () => {
    const seen = [];
    const transport = { request: async (r) => { seen.push([r.model.name, r.action, r.id ?? null]); return message; } };
    const client = sdk.createClient({ transport });
    await client.messages.get(7);
    await client.users.delete(2);
    assert.deepEqual(seen, [["Message", "get", 7], ["User", "delete", 2]]);
    // chat enables websockets, so its model clients have realtime methods; on a transport
    // without realtime they say why they cannot work.
    assert.equal(client.$realtime, undefined);
    assert.throws(() => client.messages.subscribe(() => {}), /no realtime connection: this client was created with realtime: false/);
  });

  it("a realtime transport gets Model:list and Model:item:<id> subscriptions", async () => {
    const listeners = new Map();
    const transport = {
      request: async () => message,
      realtime: { subscribe: (channel, listener) => { listeners.set(channel, listener); return () => listeners.delete(channel); } },
    };
    const client = sdk.createClient({ transport });
    const changes = [];
    const stop = client.messages.subscribe((e) => changes.push(e));
    const updates = [];
    client.messages.onUpdate(7, (row) => updates.push(row.text));
    listeners.get("Message:list")({ channel: "Message:list", event: "created", data: message, offset: 5 });
    listeners.get("Message:list")({ channel: "Message:list", event: "typing", data: {} });
    listeners.get("Message:item:7")({ channel: "Message:item:7", event: "updated", data: { ...message, text: "new" } });
    listeners.get("Message:item:7")({ channel: "Message:item:7", event: "deleted", data: message });
    assert.deepEqual(changes, [{ type: "created", row: message, offset: 5 }]);
    assert.deepEqual(updates, ["new"]);
    stop();
    assert.equal(listeners.has("Message:list"), false);
  });
});
