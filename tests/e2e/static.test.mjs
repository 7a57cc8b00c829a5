// serve.static: a built front end served at / next to the API — files with their content
// types, directory index.html, single-page-app fallback, and nothing outside the directory.
import assert from "node:assert/strict";
import { mkdirSync, symlinkSync, writeFileSync } from "node:fs";
import { after, before, describe, it } from "node:test";
import { api, assertError, rawExchange, startServe, tempDir } from "./helpers.mjs";

let server, base;
before(async () => {
  const dir = tempDir("static");
  mkdirSync(`${dir}/dist/assets`, { recursive: true });
  mkdirSync(`${dir}/dist/docs`);
  writeFileSync(`${dir}/dist/index.html`, "<!doctype html><title>app</title>");
  writeFileSync(`${dir}/dist/assets/app.js`, "console.log('app')");
  writeFileSync(`${dir}/dist/assets/style.css`, "body{}");
  writeFileSync(`${dir}/dist/assets/logo.svg`, "<svg/>");
  writeFileSync(`${dir}/dist/docs/index.html`, "<p>docs</p>");
  writeFileSync(`${dir}/secret.txt`, "outside the front end");
  symlinkSync(`${dir}`, `${dir}/dist/escape`);
  symlinkSync(`${dir}/secret.txt`, `${dir}/dist/secret.txt`);
  writeFileSync(`${dir}/app.lua`, `
name = "spa"
models = { Item = { fields = { { "id", "id" }, { "name", "string" } } } }
serve = { static = "dist" }
`);
  server = await startServe(`${dir}/app.lua`, { db: `${dir}/app.db` });
  base = server.url;
});
after(() => server.stop());

describe("serve.static", () => {
  it("serves index.html at / and files with their content types", async () => {
    const index = await api(base, "GET", "/");
    assert.equal(index.status, 200);
    assert.equal(index.text, "<!doctype html><title>app</title>");
    assert.equal(index.headers.get("content-type"), "text/html; charset=utf-8");
    assert.match(index.headers.get("x-ssot-schema"), /^[0-9a-f]{16}$/);
    const types = { "/assets/app.js": "text/javascript; charset=utf-8", "/assets/style.css": "text/css; charset=utf-8",
      "/assets/logo.svg": "image/svg+xml" };
    for (const [path, type] of Object.entries(types)) {
      const res = await api(base, "GET", path);
      assert.equal(res.status, 200, path);
      assert.equal(res.headers.get("content-type"), type, path);
    }
    assert.equal((await api(base, "GET", "/docs/")).text, "<p>docs</p>");
  });

  it("client-side routes get index.html; missing files are 404", async () => {
    const route = await api(base, "GET", "/rooms/42/settings");
    assert.equal(route.status, 200);
    assert.equal(route.text, "<!doctype html><title>app</title>");
    assertError(await api(base, "GET", "/assets/missing.js"), 404, "not_found");
  });

  it("the API and /healthz keep their routes; /api never falls back to index.html", async () => {
    assert.equal((await api(base, "POST", "/api/items", { body: { name: "x" } })).status, 201);
    assert.equal((await api(base, "GET", "/api/items")).json.total, 1);
    assertError(await api(base, "GET", "/api/nothing"), 404, "not_found");
    assertError(await api(base, "GET", "/api"), 404, "not_found");
    assert.deepEqual((await api(base, "GET", "/healthz")).json, { status: "ok" });
    assertError(await api(base, "POST", "/", { body: {} }), 405, "method_not_allowed");
  });

  it("the front end and /healthz look at no token; the API refuses an invalid one (docs/auth.md)", async () => {
    const stale = { headers: { authorization: "Bearer not.a.token" } };
    assert.equal((await api(base, "GET", "/?token=not.a.token")).status, 200);
    assert.equal((await api(base, "GET", "/assets/app.js", stale)).status, 200);
    assert.equal((await api(base, "GET", "/healthz", stale)).status, 200);
    assertError(await api(base, "GET", "/api/items", stale), 401, "unauthorized");
  });

  it("nothing outside the directory: no .., no symlink out", async () => {
    for (const path of ["/escape/secret.txt", "/secret.txt", "/escape/app.lua"]) {
      const res = await api(base, "GET", path);
      assert.equal(res.status, 404, `${path}: ${res.text}`);
      assert.doesNotMatch(res.text, /outside the front end|models/);
    }
    for (const raw of ["/../secret.txt", "/assets/../../secret.txt", "/%2e%2e/secret.txt", "/assets/%2e%2e/%2e%2e/app.lua"]) {
      const answer = await rawExchange(base, `GET ${raw} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`);
      assert.doesNotMatch(answer, /outside the front end|models =/, raw);
    }
  });
});
