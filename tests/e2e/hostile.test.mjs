// Bad input never crashes `ssot serve` or corrupts its data: truncated and invalid JSON,
// huge bodies, invalid UTF-8, wrong content types, absurd query parameters, deep nesting,
// header floods, garbage on the socket, lying Content-Lengths. After every case the server
// still answers and the rows written before are intact. (Run against the ASan build too.)
import assert from "node:assert/strict";
import net from "node:net";
import { after, before, describe, it } from "node:test";
import { api, assertError, mint, rawExchange, source, startServe, tempDir } from "./helpers.mjs";

let server, base, token, room;
before(async () => {
  server = await startServe(source("examples/chat/config.lua"), { db: `${tempDir("hostile")}/h.db` });
  base = server.url;
  token = mint(1, { role: "admin" });
  assert.equal((await api(base, "POST", "/api/users", { token, body: { name: "A", email: "a@x" } })).status, 201);
  room = (await api(base, "POST", "/api/rooms", { token, body: { title: "Target" } })).json;
  for (let i = 0; i < 3; i++) {
    assert.equal((await api(base, "POST", "/api/messages", { token, body: { roomId: room.id, text: `m${i}` } })).status, 201);
  }
});

after(async () => {
  const page = (await api(base, "GET", `/api/messages?where=${encodeURIComponent(JSON.stringify({ roomId: room.id }))}`)).json;
  assert.deepEqual(page.items.slice(0, 3).map((m) => m.text), ["m0", "m1", "m2"], "the rows written first are intact");
  await server.stop();
});

async function alive() {
  const res = await api(base, "GET", "/healthz");
  assert.equal(res.status, 200);
}

const post = (raw, type = "application/json") =>
  api(base, "POST", "/api/messages", { token, raw, headers: { "content-type": type } });

describe("bodies", () => {
  it("truncated and invalid JSON: 400 invalid_json, every time", async () => {
    const whole = JSON.stringify({ roomId: room.id, text: "whole", attachments: { a: [1, 2, { b: "c" }] } });
    for (let cut = 0; cut < whole.length; cut += 3) {
      const res = await post(whole.slice(0, cut));
      assertError(res, 400, "invalid_json");
    }
    for (const raw of ["nul", "{'a':1}", '{"roomId":1,}', '{"roomId":1 "text":"x"}', "\u0000", '{"a":1}{"b":2}',
      '{"roomId":1,"roomId":2,"text":"dup"}', "[]", "42", '"text"', "null"]) {
      assertError(await post(raw), 400, "invalid_json");
    }
    await alive();
  });

  it("invalid UTF-8 in a body is refused, not stored", async () => {
    const raw = Buffer.concat([Buffer.from(`{"roomId":${room.id},"text":"`), Buffer.from([0xff, 0xfe, 0xc3]), Buffer.from('"}')]);
    assertError(await post(raw), 400, "invalid_json");
    const overlong = Buffer.concat([Buffer.from(`{"roomId":${room.id},"text":"`), Buffer.from([0xc0, 0xaf]), Buffer.from('"}')]);
    assertError(await post(overlong), 400, "invalid_json");
    await alive();
  });

  it("numbers JSON can write but a field cannot hold", async () => {
    for (const roomId of ["1e400", "99999999999999999999", "-0.5", "1.5", "NaN", "Infinity"]) {
      const res = await post(`{"roomId":${roomId},"text":"n"}`);
      assert.equal(res.status, 400, `${roomId}: ${res.text}`);
    }
    await alive();
  });

  it("deep nesting: refused past the parser's limit, kept intact within it", async () => {
    const deep = (n) => "[".repeat(n) + "]".repeat(n);
    assertError(await post(`{"roomId":${room.id},"text":"d","attachments":${deep(100000)}}`), 400, "invalid_json");
    const ok = await post(`{"roomId":${room.id},"text":"nested","attachments":${deep(500)}}`);
    assert.equal(ok.status, 201, ok.text.slice(0, 300));
    const back = await api(base, "GET", `/api/messages/${ok.json.id}`);
    assert.equal(JSON.stringify(back.json.attachments), deep(500));
    assert.equal((await api(base, "GET", "/api/messages?take=100")).status, 200, "a deep row does not break lists");
  });

  it("wrong content types: 415, whatever the body", async () => {
    for (const type of ["text/plain", "application/xml", "multipart/form-data; boundary=x", "application/jsonx", ""]) {
      assertError(await post('{"roomId":1,"text":"x"}', type), 415, "unsupported_media_type");
    }
  });

  it("huge bodies: 413 without reading them in; the connection survives a small excess", async () => {
    assertError(await post("x".repeat(2 * 1024 * 1024)), 413, "payload_too_large");
    // a declared 1 GB body is answered at once and the connection closed
    const answer = await rawExchange(base, `POST /api/messages HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n` +
      `Authorization: Bearer ${token}\r\nContent-Length: 1000000000\r\n\r\n{"roomId":`);
    assert.match(answer, /^HTTP\/1\.1 413/);
    assert.match(answer, /payload_too_large/);
    assert.match(answer, /\r\nx-ssot-schema: [0-9a-f]{16}\r\n/i);
    await alive();
  });

  it("a body shorter than its Content-Length times out without harm; chunked bodies get 411", async () => {
    const short = new Promise((ok) => {
      const { hostname, port } = new URL(base);
      const socket = net.connect({ host: hostname, port: Number(port) }, () => {
        socket.write("POST /api/messages HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"a\"");
        setTimeout(() => {
          socket.destroy();
          ok();
        }, 200);
      });
      socket.on("error", ok);
    });
    await short;
    const chunked = await rawExchange(base, "POST /api/rooms HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n" +
      `Authorization: Bearer ${token}\r\nTransfer-Encoding: chunked\r\n\r\n5\r\n{"a":\r\n0\r\n\r\n`);
    assert.match(chunked, /^HTTP\/1\.1 411/);
    assert.match(chunked, /length_required/);
    assert.match(chunked, /\r\nx-ssot-schema: [0-9a-f]{16}\r\n/i);
    await alive();
  });
});

describe("query strings", () => {
  const list = (query) => api(base, "GET", `/api/messages?${query}`);

  it("absurd parameters are 400 bad_request, never a crash", async () => {
    const cases = [
      "take=99999999999999999999", "take=-1", "take=1e3", "skip=99999999999999999999999", "skip=abc",
      `where=${encodeURIComponent("{".repeat(5000))}`,
      `where=${encodeURIComponent(JSON.stringify({ text: { in: Array.from({ length: 500 }, (_, i) => `v${i}`) } }))}`,
      `where=${encodeURIComponent(JSON.stringify({ text: { regex: ".*" } }))}`,
      `where=${encodeURIComponent(JSON.stringify({ "text; DROP TABLE messages": "x" }))}`,
      `where=${encodeURIComponent(JSON.stringify({ roomId: { gt: "not a number" } }))}`,
      `orderBy=${encodeURIComponent(JSON.stringify(Array.from({ length: 100 }, () => ({ id: "asc" }))))}`,
      `orderBy=${encodeURIComponent(JSON.stringify({ "id desc, (select 1)": "asc" }))}`,
      "where=%FF%FE", "take=1&take=2", "=x", "where",
    ];
    for (const query of cases) {
      const res = await list(query);
      assertError(res, 400, "bad_request");
    }
    await alive();
  });

  it("values that look like SQL are only ever values", async () => {
    const res = await list(`where=${encodeURIComponent(JSON.stringify({ text: "x' OR '1'='1" }))}`);
    assert.equal(res.status, 200);
    assert.equal(res.json.total, 0);
    const contains = await list(`where=${encodeURIComponent(JSON.stringify({ text: { contains: "%" } }))}`);
    assert.equal(contains.json.total, 0, "% is a literal in contains");
  });

  it("too many or too long parameters are refused", async () => {
    const some = Array.from({ length: 40 }, (_, i) => `p${i}=1`).join("&");
    assertError(await list(some), 414, "bad_request");
    // past libwebsockets' own limit on URL fragments the connection is simply dropped
    const many = Array.from({ length: 200 }, (_, i) => `p${i}=1`).join("&");
    const dropped = await rawExchange(base, `GET /api/messages?${many} HTTP/1.1\r\nHost: x\r\n\r\n`);
    assert.ok(dropped === "" || /^HTTP\/1\.1 4\d\d/.test(dropped), dropped.slice(0, 100));
    const long = await rawExchange(base, `GET /api/messages?where=${"a".repeat(20000)} HTTP/1.1\r\nHost: x\r\n\r\n`);
    assert.ok(long === "" || /^HTTP\/1\.1 4\d\d/.test(long), long.slice(0, 100));
    await alive();
  });
});

describe("the connection", () => {
  it("a header flood is cut off", async () => {
    const headers = Array.from({ length: 400 }, (_, i) => `X-Flood-${i}: ${"v".repeat(100)}\r\n`).join("");
    const answer = await rawExchange(base, `GET /healthz HTTP/1.1\r\nHost: x\r\n${headers}\r\n`);
    assert.ok(answer === "" || /^HTTP\/1\.1 4\d\d/.test(answer), answer.slice(0, 100));
    const huge = await rawExchange(base, `GET /healthz HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${"a".repeat(50000)}\r\n\r\n`);
    assert.ok(huge === "" || /^HTTP\/1\.1 4\d\d/.test(huge), huge.slice(0, 100));
    await alive();
  });

  it("garbage instead of HTTP is dropped", async () => {
    for (const bytes of [Buffer.from([0, 1, 2, 3, 255, 254, 10, 13, 10, 13]), "HELLO\r\n\r\n", "GET\r\n\r\n",
      "GET / HTTP/9.9\r\n\r\n", "\r\n\r\n\r\n", "GET /healthz HTTP/1.1\r\nHost: x\r\nContent-Length: -5\r\n\r\n"]) {
      const answer = await rawExchange(base, bytes, { timeoutMs: 1500 });
      assert.ok(answer === "" || /^HTTP\/1\.[01] [45]\d\d/.test(answer), JSON.stringify(answer.slice(0, 80)));
    }
    await alive();
  });

  it("pipelined requests are answered in order on one connection", async () => {
    const answer = await rawExchange(base,
      "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\nGET /api/nope HTTP/1.1\r\nHost: x\r\n\r\nGET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    const statuses = [...answer.matchAll(/HTTP\/1\.1 (\d{3})/g)].map((m) => m[1]);
    assert.deepEqual(statuses, ["200", "404", "200"]);
  });

  it("paths with encoded traversal or invalid UTF-8 are plain 404s; NUL bytes never reach a handler", async () => {
    for (const path of ["/api/../../etc/passwd", "/api/messages/%2e%2e%2f%2e%2e", "/api/messages/%ff%fe",
      "/%2e%2e/%2e%2e/etc/passwd"]) {
      const res = await api(base, "GET", path);
      assert.ok([400, 404].includes(res.status), `${path}: ${res.status}`);
    }
    // libwebsockets ends the path at a decoded NUL, or drops the request when more follows
    for (const path of ["/api/mess%00ages", "/api/messages/1%00x", "/heal%00thz"]) {
      const answer = await rawExchange(base, `GET ${path} HTTP/1.1\r\nHost: x\r\n\r\n`, { timeoutMs: 1500 });
      assert.ok(answer === "" || /^HTTP\/1\.1 4\d\d/.test(answer), `${path}: ${answer.slice(0, 80)}`);
    }
    await alive();
  });

  it("many connections at once, some dropped mid-request", async () => {
    const requests = [];
    for (let i = 0; i < 60; i++) requests.push(api(base, "GET", `/api/messages/${1 + (i % 3)}`));
    const { hostname, port } = new URL(base);
    for (let i = 0; i < 20; i++) {
      const socket = net.connect({ host: hostname, port: Number(port) }, () => {
        socket.write("GET /api/messages HTTP/1.1\r\nHo");
        socket.destroy();
      });
      socket.on("error", () => {});
    }
    const results = await Promise.all(requests);
    assert.ok(results.every((r) => r.status === 200));
    await alive();
  });
});
