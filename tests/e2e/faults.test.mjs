// Faults outside the server: a full disk (a file size limit on the process, and — where this
// test may mount — a real tmpfs that fills up), a database it cannot write, and running out
// of file descriptors. Each is answered with a clear error (507, 503, or a refusal to start
// naming the cause), nothing acknowledged is lost, and the server recovers once the fault
// goes. The mount and user-switching cases need root (CI runs as root) and say so when they
// cannot run.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { chmodSync, copyFileSync, mkdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import net from "node:net";
import { describe, it } from "node:test";
import { SECRET, SSOT_BIN, api, assertError, mint, source, startServe, tempDir } from "./helpers.mjs";

const CONFIG = source("examples/chat/config.lua");
const isRoot = process.getuid?.() === 0;

function run(command, args) {
  const result = spawnSync(command, args, { encoding: "utf8" });
  return { ok: result.status === 0, out: `${result.stdout}${result.stderr}` };
}

function sqlite(db, sql) {
  const result = spawnSync("sqlite3", ["-json", db, sql], { encoding: "utf8" });
  assert.equal(result.status, 0, result.stderr);
  return result.stdout.trim() ? JSON.parse(result.stdout) : [];
}

const size = (path) => {
  try {
    return statSync(path).size;
  } catch {
    return 0;
  }
};

/** Writes messages of 2,000 characters, 8 at a time, until the server refuses with 507 (or
 * maxRounds pass): every answer must be 201 or 507, never 500. Returns the texts acknowledged. */
async function fill(base, token, roomId, tag, maxRounds = 400) {
  const acked = [];
  for (let round = 0; round < maxRounds; round++) {
    const texts = Array.from({ length: 8 }, (_, i) => `${tag}-${round}-${i}-`.padEnd(2000, "x"));
    const answers = await Promise.all(texts.map((text) => api(base, "POST", "/api/messages", { token, body: { roomId, text } })));
    let full = false;
    answers.forEach((res, i) => {
      if (res.status === 201) acked.push(texts[i]);
      else {
        const error = assertError(res, 507, "insufficient_storage");
        assert.match(error.message, /disk is full; nothing was written/);
        full = true;
      }
    });
    if (full) return { acked, full };
  }
  return { acked, full: false };
}

/** Restarts on db and checks every acknowledged text is there, and the file is sound. */
async function verify(db, token, acked) {
  assert.deepEqual(sqlite(db, "PRAGMA integrity_check"), [{ integrity_check: "ok" }]);
  const server = await startServe(CONFIG, { db, args: ["--quiet"] });
  const texts = new Set();
  for (let skip = 0; ; skip += 100) {
    const page = (await api(server.url, "GET", `/api/messages?take=100&skip=${skip}`, { token })).json;
    page.items.forEach((m) => texts.add(m.text));
    if (page.items.length < 100) break;
  }
  await server.stop();
  for (const text of acked) assert.ok(texts.has(text), `acknowledged ${text.slice(0, 20)}... is there`);
}

/** A user (the token's, id 1) and a room to write messages in; the server is killed when the
 * test ends however it ends. */
async function setUp(t, server, token) {
  t.after(() => server.proc.kill("SIGKILL"));
  const user = await api(server.url, "POST", "/api/users", { token, body: { name: "F", email: "f@faults" } });
  assert.equal(user.status, 201, user.text);
  const room = await api(server.url, "POST", "/api/rooms", { token, body: { title: "faults" } });
  assert.equal(room.status, 201, room.text);
  return room.json.id;
}

describe("a full disk", () => {
  it("a file size limit: 507 insufficient_storage for every write it stops, never 500; reads go on; writes resume", async (t) => {
    const dir = tempDir("fsize");
    const db = `${dir}/f.db`;
    const token = mint(1, { role: "admin" });
    const server = await startServe(CONFIG, { db, args: ["--quiet"] });
    const roomId = await setUp(t, server, token);
    const limit = Math.max(size(db), size(`${db}-wal`)) + 256 * 1024;
    assert.ok(run("prlimit", ["--pid", String(server.proc.pid), `--fsize=${limit}:unlimited`]).ok, "prlimit sets the limit");
    const first = await fill(server.url, token, roomId, "limited");
    assert.ok(first.full, "the limit was reached");
    assert.equal((await api(server.url, "GET", "/api/messages?take=1", { token })).status, 200, "reads still work");
    assert.ok(run("prlimit", ["--pid", String(server.proc.pid), "--fsize=unlimited:unlimited"]).ok);
    const after = await api(server.url, "POST", "/api/messages", { token, body: { roomId, text: "after the limit" } });
    assert.equal(after.status, 201, after.text);
    const { stderr } = await server.stop();
    assert.match(stderr, /the database's disk is full \(a file size limit\)/, "the log names the cause");
    await verify(db, token, [...first.acked, "after the limit"]);
  });

  it("a real file system that fills up (tmpfs): 507, then writes resume once it grows", async (t) => {
    const dir = tempDir("tmpfs");
    const mount = `${dir}/mnt`;
    mkdirSync(mount);
    if (!isRoot || !run("mount", ["-t", "tmpfs", "-o", "size=2m", "tmpfs", mount]).ok) {
      t.skip("needs root to mount a tmpfs");
      return;
    }
    try {
      const db = `${mount}/f.db`;
      const token = mint(1, { role: "admin" });
      const server = await startServe(CONFIG, { db, args: ["--quiet"] });
      const roomId = await setUp(t, server, token);
      const first = await fill(server.url, token, roomId, "tmpfs");
      assert.ok(first.full, "the file system filled up");
      assert.ok(run("mount", ["-o", "remount,size=64m", mount]).ok);
      const after = await api(server.url, "POST", "/api/messages", { token, body: { roomId, text: "after growing" } });
      assert.equal(after.status, 201, after.text);
      await server.stop();
      await verify(db, token, [...first.acked, "after growing"]);
    } finally {
      run("umount", [mount]);
    }
  });
});

describe("a database it cannot write", () => {
  it("refuses to start, naming the file and the cause; starts with the data intact once writable", async (t) => {
    if (!isRoot) {
      t.skip("needs root to run the server as another user");
      return;
    }
    const dir = tempDir("readonly");
    chmodSync(dir, 0o755);
    const db = `${dir}/r.db`;
    const token = mint(1, { role: "admin" });
    let server = await startServe(CONFIG, { db, args: ["--quiet"] });
    const roomId = await setUp(t, server, token);
    assert.equal((await api(server.url, "POST", "/api/messages", { token, body: { roomId, text: "kept" } })).status, 201);
    await server.stop();
    const config = `${dir}/chat.lua`;
    copyFileSync(CONFIG, config);
    const asNobody = (extra = []) => spawnSync("setpriv", ["--reuid=65534", "--regid=65534", "--clear-groups", SSOT_BIN,
      "serve", config, "--db", db, "--port", "0", "--host", "127.0.0.1", ...extra],
    { encoding: "utf8", timeout: 20000, env: { ...process.env, SSOT_JWT_SECRET: SECRET } });
    chmodSync(db, 0o444);
    let refused = asNobody();
    assert.equal(refused.status, 1, refused.stderr);
    assert.match(refused.stderr, /the database .*r\.db is read-only \(the file's permissions, or a read-only file system\)/);
    chmodSync(db, 0o666);
    chmodSync(dir, 0o555);
    refused = asNobody();
    assert.equal(refused.status, 1, refused.stderr);
    assert.match(refused.stderr, /its directory must be writable for this user/);
    chmodSync(dir, 0o755);
    server = await startServe(CONFIG, { db, args: ["--quiet"] });
    const kept = await api(server.url, "GET", "/api/messages", { token });
    assert.deepEqual(kept.json.items.map((m) => m.text), ["kept"]);
    await server.stop();
  });
});

describe("running out of file descriptors", () => {
  it("ulimit -n 64 and 120 clients at once: each is answered (200, or 503 naming the limit); then all is well", async (t) => {
    const dir = tempDir("fds");
    const server = await startServe(CONFIG, { db: `${dir}/d.db`, args: ["--quiet"], prefix: ["prlimit", "--nofile=64:64", "--"] });
    t.after(() => server.proc.kill("SIGKILL"));
    const { hostname, port } = new URL(server.url);
    const sockets = [];
    const answers = await Promise.all(Array.from({ length: 120 }, () => new Promise((ok) => {
      const socket = net.connect({ host: hostname, port: Number(port) }, () => socket.write("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"));
      sockets.push(socket);
      let got = "";
      const timer = setTimeout(() => ok(got || "(no answer)"), 15000);
      socket.on("data", (chunk) => {
        got += chunk.toString("latin1");
        if (!got.includes("\r\n\r\n") || !/content-length: (\d+)/i.test(got)) return;
        const length = Number(/content-length: (\d+)/i.exec(got)[1]);
        if (got.length - got.indexOf("\r\n\r\n") - 4 < length) return;
        clearTimeout(timer);
        if (/^HTTP\/1\.1 503/.test(got)) socket.destroy(); // closing frees the slot for a waiting client
        ok(got);
      });
      socket.on("error", () => ok(got || "(reset)"));
    })));
    const statuses = answers.map((a) => a.slice(9, 12));
    assert.ok(statuses.every((s) => s === "200" || s === "503"), `every client is answered: ${statuses.join(" ")}`);
    assert.ok(statuses.filter((s) => s === "200").length >= 20, "most of the limit serves");
    const refusal = answers.find((a) => a.startsWith("HTTP/1.1 503"));
    assert.ok(refusal, "some are past the limit");
    assert.match(refusal, /"code":"unavailable","message":"the server has \d+ open connections, the most it can serve \(ulimit -n\): retry shortly"/);
    for (const socket of sockets) socket.destroy();
    await new Promise((ok) => setTimeout(ok, 300));
    for (let i = 0; i < 5; i++) assert.equal((await api(server.url, "GET", "/healthz")).status, 200, "recovered");
    await server.stop();
  });

  it("descriptors run out below the connection limit (large files held open by clients that do not read): accepting pauses without spinning, says so, and resumes", async (t) => {
    const dir = tempDir("fds-files");
    mkdirSync(`${dir}/dist`);
    writeFileSync(`${dir}/dist/big.bin`, Buffer.alloc(8 << 20, 120));
    writeFileSync(`${dir}/app.lua`, 'name = "files"\nmodels = { Item = { fields = { { "id", "id" } } } }\nserve = { static = "dist" }\n');
    const server = await startServe(`${dir}/app.lua`, { db: `${dir}/d.db`, args: ["--quiet"], prefix: ["prlimit", "--nofile=64:64", "--"] });
    t.after(() => server.proc.kill("SIGKILL"));
    const { hostname, port } = new URL(server.url);
    const connect = () => new Promise((ok, fail) => {
      const socket = net.connect({ host: hostname, port: Number(port) }, () => ok(socket));
      socket.on("error", fail);
    });
    // 26 connections (under the 28 served) each start a download and stop reading: each holds
    // its socket and the file's descriptor, more than the 32 descriptors kept for files
    const holders = [];
    for (let i = 0; i < 26; i++) {
      const socket = await connect();
      socket.pause();
      socket.write("GET /big.bin HTTP/1.1\r\nHost: x\r\n\r\n");
      holders.push(socket);
    }
    t.after(() => holders.forEach((s) => s.destroy()));
    await new Promise((ok) => setTimeout(ok, 500));
    // one more: the kernel queues it, the server cannot take it on
    const late = net.connect({ host: hostname, port: Number(port) });
    let answer = "";
    late.on("data", (chunk) => { answer += chunk.toString("latin1"); });
    late.on("connect", () => late.write("GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"));
    const ended = new Promise((ok) => late.on("close", ok));
    await new Promise((ok) => setTimeout(ok, 300));
    const cpu = () => readFileSync(`/proc/${server.proc.pid}/stat`, "utf8").split(") ")[1].split(" ").slice(11, 13).reduce((a, b) => a + Number(b), 0);
    const before = cpu();
    await new Promise((ok) => setTimeout(ok, 1000));
    const ticks = cpu() - before;
    assert.match(server.stderr(), /cannot accept connections: Too many open files \(\d+ open; raise ulimit -n\): retrying/);
    assert.ok(ticks <= 20, `the server used ${ticks} clock ticks of CPU in 1 s while it could not accept (a spin uses ~100)`);
    assert.equal(answer, "", "nothing answered the waiting connection yet");
    // the downloads go away: the waiting connection is taken on and answered
    for (const socket of holders) socket.destroy();
    await ended;
    assert.match(answer, /^HTTP\/1\.1 200 /);
    assert.equal((await api(server.url, "GET", "/healthz")).status, 200);
    assert.equal(server.stderr().match(/cannot accept connections/g).length, 1, "said once, not once per retry");
    await server.stop();
  });
});
