// Several `ssot serve` processes on one PostgreSQL database (docs/deploy.md, "Several nodes on
// PostgreSQL"): a throwaway PostgreSQL from tests/support/pg.sh, two servers on it with the same
// config (tests/fixtures/configs/nodes). Both starting at once migrate once; a subscriber on one
// node gets what the other commits, in order, once; creates on both at once get unique gapless
// offsets; a node killed with -9 under write load loses its client nothing when it resubscribes
// on the other with since; a custom-channel publish crosses, a large one too; presence crosses;
// a lost database connection is made again, and a database refusing connections answers 503; a
// lost LISTEN connection is made again and what was committed meanwhile still arrives; an
// unknown scheme stays refused; a URL's password is never printed. Skipped, saying why, when
// PostgreSQL is not installed (pg.sh exits 77) or this ssot was built without libpq.
// Uses helpers.mjs, ws.mjs (npm: ws), pg.sh, psql.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { chmodSync, existsSync, readFileSync, writeFileSync } from "node:fs";
import http from "node:http";
import net from "node:net";
import { after, before, describe, it } from "node:test";
import { api, mint, serveFails, SSOT_BIN, source, startServe, tempDir, until } from "./helpers.mjs";
import { Client } from "./ws.mjs";

const CONFIG = source("tests/fixtures/configs/nodes/config.lua");
const PG_SH = source("tests/support/pg.sh");

let pgDir, url, skip;
const pg = (() => {
  pgDir = tempDir("nodes-pg");
  chmodSync(pgDir, 0o755); // as root, pg.sh runs the server as another user, who must reach it
  const started = spawnSync("sh", [PG_SH, "start", `${pgDir}/pg`], { encoding: "utf8", timeout: 60000 });
  if (started.status === 77) return { skip: `no PostgreSQL: ${started.stderr.trim()}` };
  if (started.status !== 0) throw new Error(`pg.sh start failed: ${started.stderr}`);
  return { url: started.stdout.trim() };
})();
url = pg.url;
skip = pg.skip;
process.on("exit", () => {
  if (url) spawnSync("sh", [PG_SH, "stop", `${pgDir}/pg`], { timeout: 30000 });
});

function psql(sql) {
  const bin = spawnSync("sh", [PG_SH, "bin"], { encoding: "utf8" }).stdout.trim();
  const r = spawnSync(`${bin}/psql`, ["-X", "-q", "-At", "-d", url, "-c", sql], { encoding: "utf8" });
  assert.equal(r.status, 0, r.stderr);
  return r.stdout.trim();
}

// Whether this build's PostgreSQL store serves (its REST operations are there).
if (!skip) {
  // on a port in use, so that a build that serves exits right after opening instead of serving
  const blocker = net.createServer();
  await new Promise((ok) => blocker.listen(0, "127.0.0.1", ok));
  const probe = serveFails(CONFIG, { db: url, args: ["--port", String(blocker.address().port)] });
  blocker.close();
  if (/built without PostgreSQL/.test(probe.stderr)) skip = `this ssot cannot serve PostgreSQL: ${probe.stderr.trim()}`;
}
if (skip) console.log(`# SKIP nodes: ${skip}`);

/** Waits until a presence request on channel answers users (sorted, comma-separated). */
async function presenceIs(client, channel, users, what) {
  const deadline = Date.now() + 10000;
  for (;;) {
    const got = (await client.ask({ type: "presence", channel })).data.users.sort().join();
    if (got === users) return;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}: users ${got}`);
    await new Promise((ok) => setTimeout(ok, 100));
  }
}

describe("several ssot serve processes on one PostgreSQL database", { skip }, () => {
  let a, b;
  const clients = [];
  const connect = async (server) => {
    const c = await Client.connect(server.url);
    clients.push(c);
    return c;
  };

  before(async () => {
    // both at once: the schema is made by one of them, under the store's advisory lock
    [a, b] = await Promise.all([
      startServe(CONFIG, { db: url, args: ["--quiet"] }),
      startServe(CONFIG, { db: url, args: ["--quiet"] }),
    ]);
  });

  after(async () => {
    for (const c of clients) c.ws.terminate();
    for (const s of [a, b]) if (s && s.proc.exitCode === null && s.proc.signalCode === null) await s.stop();
  });

  it("both nodes started on the one schema, made once", async () => {
    assert.equal((await api(a.url, "GET", "/api/items")).status, 200);
    assert.equal((await api(b.url, "GET", "/api/items")).status, 200);
    assert.equal(psql("SELECT count(*) FROM _ssot_streams WHERE model = 'Item'"), "1");
  });

  it("a subscriber on node A gets what node B commits, in order, once", async () => {
    const c = await connect(a);
    const sub = await c.subscribe("Item:list");
    for (let i = 0; i < 20; i++) assert.equal((await api(b.url, "POST", "/api/items", { body: { text: `b${i}` } })).status, 201);
    await until(() => c.events("Item:list").length >= 20, "20 events on node A");
    await c.settle(300);
    const offsets = c.events("Item:list").map((e) => e.offset);
    assert.deepEqual(offsets, Array.from({ length: 20 }, (_, i) => sub.offset + 1 + i));
    assert.deepEqual(c.events("Item:list").map((e) => e.data.text), Array.from({ length: 20 }, (_, i) => `b${i}`));
  });

  it("creates on both nodes at once get unique, gapless offsets, seen in order on both", async () => {
    const onA = await connect(a);
    const onB = await connect(b);
    const start = (await onA.subscribe("Item:list")).offset;
    await onB.subscribe("Item:list");
    const writes = [];
    for (let i = 0; i < 25; i++) {
      writes.push(api(a.url, "POST", "/api/items", { body: { text: `a${i}` } }));
      writes.push(api(b.url, "POST", "/api/items", { body: { text: `b${i}` } }));
    }
    const answers = await Promise.all(writes);
    assert.ok(answers.every((r) => r.status === 201), JSON.stringify(answers.map((r) => r.status)));
    assert.equal(new Set(answers.map((r) => r.json.id)).size, 50, "ids unique");
    for (const c of [onA, onB]) {
      await until(() => c.events("Item:list").filter((e) => e.offset > start).length >= 50, "50 events");
      await c.settle(300);
      const offsets = c.events("Item:list").map((e) => e.offset).filter((o) => o > start);
      assert.deepEqual(offsets, Array.from({ length: 50 }, (_, i) => start + 1 + i), "each offset once, in order");
    }
  });

  it("a node killed with -9 under write load: its client resubscribes on the other with since and loses nothing", async () => {
    const c = await connect(a);
    const sub = await c.subscribe("Item:list");
    let writing = true, written = 0;
    const writer = (async () => {
      while (writing) {
        const r = await api(b.url, "POST", "/api/items", { body: { text: `load${written}` } });
        assert.equal(r.status, 201);
        written++;
      }
    })();
    await until(() => c.events("Item:list").length >= 5, "events before the kill");
    a.proc.kill("SIGKILL");
    await a.exited;
    const seen = c.events("Item:list");
    const last = seen[seen.length - 1].offset;
    const again = await connect(b);
    const resumed = await again.subscribe("Item:list", { epoch: sub.epoch, offset: last });
    assert.equal(resumed.recovered, true);
    await new Promise((ok) => setTimeout(ok, 500));
    writing = false;
    await writer;
    const end = Number(psql("SELECT max(\"offset\") FROM _ssot_changes WHERE model = 'Item'"));
    await until(() => again.events("Item:list").some((e) => e.offset === end), "the last event on node B");
    await again.settle(300);
    const offsets = [...seen.map((e) => e.offset), ...again.events("Item:list").map((e) => e.offset)];
    assert.deepEqual(offsets, Array.from({ length: end - sub.offset }, (_, i) => sub.offset + 1 + i));
    a = await startServe(CONFIG, { db: url, args: ["--quiet"] }); // node A again, for the cases after
  });

  it("a publish on a custom channel reaches its subscribers on the other node, once", async () => {
    const onA = await connect(a);
    const onB = await connect(b);
    await onA.subscribe("room:1");
    await onB.subscribe("room:1");
    const reply = await onB.ask({ type: "publish", channel: "room:1", event: "typing", data: { name: "ada" } });
    assert.equal(reply.type, "response", JSON.stringify(reply));
    const got = await onA.event("room:1");
    assert.equal(got.event, "typing");
    assert.deepEqual(got.data, { name: "ada" });
    await onB.event("room:1");
    await onA.settle(300);
    await onB.settle(300);
    assert.equal(onA.events("room:1").length, 1);
    assert.equal(onB.events("room:1").length, 1, "the publisher's node does not deliver its own publish twice");
    // one too large for a NOTIFY (8,000 bytes) crosses through the database's table
    const big = "x".repeat(20000);
    assert.equal((await onB.ask({ type: "publish", channel: "room:1", event: "typing", data: { big } })).type, "response");
    await until(() => onA.events("room:1").length === 2, "the large publish on node A");
    assert.equal(onA.events("room:1")[1].data.big, big);
  });

  it("presence crosses nodes: joins and leaves once per user whichever node its tabs are on; a node that stops or dies takes its users with it", async () => {
    const [one, two, three, four] = ["1", "2", "3", "4"].map((sub) => mint(sub));
    const watch = await Client.connect(a.url, { token: one });
    clients.push(watch);
    assert.deepEqual((await watch.subscribe("lobby:7")).presence, ["1"]);
    const twoOnB = await Client.connect(b.url, { token: two });
    clients.push(twoOnB);
    await twoOnB.subscribe("lobby:7");
    assert.deepEqual((await watch.event("lobby:7")).data, { userId: "2" }, "node A hears of the user on node B");
    await presenceIs(twoOnB, "lobby:7", "1,2", "node B lists the user on node A");
    // the same user in a second tab on the other node: no second join, and no leave while one tab stays
    const twoOnA = await Client.connect(a.url, { token: two });
    clients.push(twoOnA);
    assert.deepEqual((await twoOnA.subscribe("lobby:7")).presence.sort(), ["1", "2"]);
    twoOnB.ws.terminate();
    await watch.settle(600);
    assert.deepEqual(watch.events("lobby:7").map((e) => e.event), ["join"], "one join, no leave while a tab stays");
    twoOnA.ws.terminate();
    const left = await watch.event("lobby:7");
    assert.deepEqual([left.event, left.data], ["leave", { userId: "2" }]);

    // a node that stops says goodbye: its user leaves at once; one killed is dropped once silent
    const c = await startServe(CONFIG, { db: url, args: ["--quiet"] });
    const d = await startServe(CONFIG, { db: url, args: ["--quiet"] });
    const threeOnC = await Client.connect(c.url, { token: three });
    const fourOnD = await Client.connect(d.url, { token: four });
    await threeOnC.subscribe("lobby:7");
    await fourOnD.subscribe("lobby:7");
    await presenceIs(watch, "lobby:7", "1,3,4", "node A lists the users of nodes C and D");
    const stopped = Date.now();
    threeOnC.ws.terminate();
    fourOnD.ws.terminate();
    d.proc.kill("SIGKILL");
    await d.exited;
    await c.stop();
    await until(() => watch.events("lobby:7").some((e) => e.event === "leave" && e.data.userId === "3"), "3 leaves");
    await until(() => watch.events("lobby:7").some((e) => e.event === "leave" && e.data.userId === "4"),
      "4 leaves once node D is silent", 15000);
    assert.ok(Date.now() - stopped < 12000, "a silent node's users go within seconds");
    assert.deepEqual((await watch.ask({ type: "presence", channel: "lobby:7" })).data.users, ["1"]);
  });

  it("a lost database connection is made again; while the database refuses connections, requests get 503 unavailable, then work again", async () => {
    const requests = "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE datname = 'ssot' " +
      "AND application_name <> 'ssot listen' AND pid <> pg_backend_pid()";
    const admin = (sql) => {
      const bin = spawnSync("sh", [PG_SH, "bin"], { encoding: "utf8" }).stdout.trim();
      const other = url.replace(/^(postgres(?:ql)?:\/\/[^/?]*\/)[^?]*/, "$1postgres");
      const r = spawnSync(`${bin}/psql`, ["-X", "-q", "-At", "-d", other, "-c", sql], { encoding: "utf8" });
      assert.equal(r.status, 0, r.stderr);
    };
    admin(requests);
    assert.equal((await api(a.url, "GET", "/api/items?take=1")).status, 200, "a read on a new connection");
    admin(requests);
    assert.equal((await api(a.url, "POST", "/api/items", { body: { text: "after" } })).status, 201, "a write too");
    admin("ALTER DATABASE ssot ALLOW_CONNECTIONS false");
    try {
      admin(requests);
      const read = await api(a.url, "GET", "/api/items?take=1");
      assert.equal(read.status, 503, read.text);
      assert.equal(read.json.error.code, "unavailable");
      const write = await api(a.url, "POST", "/api/items", { body: { text: "refused" } });
      assert.equal(write.status, 503, write.text);
    } finally {
      admin("ALTER DATABASE ssot ALLOW_CONNECTIONS true");
    }
    assert.equal((await api(a.url, "GET", "/api/items?take=1")).status, 200);
    assert.equal((await api(a.url, "POST", "/api/items", { body: { text: "back" } })).status, 201);
    assert.equal(psql("SELECT count(*) FROM items WHERE text = 'refused'"), "0");
  });

  it("a lost LISTEN connection is made again, and what was committed meanwhile arrives", async () => {
    const c = await connect(b);
    const sub = await c.subscribe("Item:list");
    const other = await startServe(CONFIG, { db: url, args: ["--quiet"] });
    try {
      // the nodes' LISTEN sessions are named "ssot listen"
      const killed = psql("SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE application_name = 'ssot listen'");
      assert.ok(Number(killed) >= 1, killed);
      for (let i = 0; i < 5; i++) assert.equal((await api(other.url, "POST", "/api/items", { body: { text: `x${i}` } })).status, 201);
      await until(() => c.events("Item:list").length >= 5, "events after the LISTEN connection was lost", 10000);
      await c.settle(300);
      assert.deepEqual(c.events("Item:list").map((e) => e.offset), [1, 2, 3, 4, 5].map((i) => sub.offset + i));
    } finally {
      await other.stop();
    }
  });
});

/** A POST on a connection of its own (so the kernel hands it to any worker): its status, and
 *  the worker that answered (the process prefix of its request id). */
function postAlone(base, path, body) {
  return new Promise((ok, fail) => {
    const data = JSON.stringify(body);
    const req = http.request(`${base}${path}`, {
      method: "POST", agent: false,
      headers: { "content-type": "application/json", "content-length": Buffer.byteLength(data) },
    }, (res) => {
      res.resume();
      res.on("end", () => ok({ status: res.statusCode, worker: String(res.headers["x-request-id"] ?? "").split("-")[0] }));
    });
    req.on("error", fail);
    req.end(data);
  });
}

/** The pids of a process's children. */
function childrenOf(pid) {
  const r = spawnSync("ps", ["-o", "pid=", "--ppid", String(pid)], { encoding: "utf8" });
  return r.stdout.split(/\s+/).filter(Boolean).map(Number);
}

describe("--workers: several processes of one node on one port", { skip }, () => {
  it("on SQLite it is refused before the database is touched", () => {
    const db = `${tempDir("workers")}/w.db`;
    const refused = serveFails(CONFIG, { db, args: ["--workers", "2"] });
    assert.equal(refused.code, 2);
    assert.match(refused.stderr, /2 workers \(--workers\) need a PostgreSQL database/);
    assert.equal(existsSync(db), false);
    // serve.workers in the config means the same
    const dir = tempDir("workers-config");
    writeFileSync(`${dir}/config.lua`, `${readFileSync(CONFIG, "utf8")}\nserve = { workers = 3 }\n`);
    const fromConfig = serveFails(`${dir}/config.lua`, { db: `${dir}/w.db` });
    assert.equal(fromConfig.code, 2);
    assert.match(fromConfig.stderr, /3 workers \(serve\.workers in the config\) need a PostgreSQL database/);
  });

  it("each worker serves, and delivers every worker's writes; a killed worker is started again; SIGTERM stops them all", async () => {
    const server = await startServe(CONFIG, { db: url, args: ["--quiet", "--workers", "2"] });
    let c;
    try {
      assert.match(server.stdout(), /2 workers/);
      await until(() => childrenOf(server.proc.pid).length === 2, "two workers");
      const workers = childrenOf(server.proc.pid);
      c = await Client.connect(server.url);
      const sub = await c.subscribe("Item:list");
      // one worker stopped at a time: the other accepts every connection
      const answered = [];
      for (const [paused, name] of [[workers[0], "a"], [workers[1], "b"]]) {
        process.kill(paused, "SIGSTOP");
        try {
          for (let i = 0; i < 5; i++) {
            const r = await postAlone(server.url, "/api/items", { text: `${name}${i}` });
            assert.equal(r.status, 201);
            answered.push(r.worker);
          }
        } finally {
          process.kill(paused, "SIGCONT");
        }
      }
      assert.equal(new Set(answered.slice(0, 5)).size, 1);
      assert.equal(new Set(answered).size, 2, `two workers answered: ${answered.join(" ")}`);
      await until(() => c.events("Item:list").length >= 10, "10 events, whichever worker wrote them");
      await c.settle(300);
      assert.deepEqual(c.events("Item:list").map((e) => e.offset), Array.from({ length: 10 }, (_, i) => sub.offset + 1 + i));
      assert.deepEqual(c.events("Item:list").map((e) => e.data.text), ["a0", "a1", "a2", "a3", "a4", "b0", "b1", "b2", "b3", "b4"]);

      process.kill(workers[0], "SIGKILL");
      await until(() => {
        const now = childrenOf(server.proc.pid);
        return now.length === 2 && !now.includes(workers[0]);
      }, "the killed worker started again");
      for (let i = 0; i < 4; i++) assert.equal((await postAlone(server.url, "/api/items", { text: `after${i}` })).status, 201);
      assert.match(server.stderr(), /worker 1 \(pid \d+\) was killed by signal 9: starting another/);
    } finally {
      if (c) c.ws.terminate();
      const children = childrenOf(server.proc.pid);
      await server.stop();
      for (const pid of children) assert.throws(() => process.kill(pid, 0), /ESRCH/, `worker ${pid} stopped too`);
    }
  });
});

describe("database URLs", { skip: pg.skip }, () => {
  it("an unknown scheme is refused naming only the scheme, from DATABASE_URL too", () => {
    const r = serveFails(CONFIG, { env: { DATABASE_URL: "mysql://app:s3cret@db.internal/app" } });
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /the database is a mysql:\/\/ URL \(DATABASE_URL\)/);
    assert.ok(!(r.stdout + r.stderr).includes("s3cret"));
  });

  it("the password of a URL never appears in the output, and ssot token finds serve's development secret", async () => {
    const dir = tempDir("nodes-secret");
    const config = `${dir}/config.lua`;
    spawnSync("cp", [CONFIG, config]);
    const withPassword = url.replace("postgresql:///", "postgresql://postgres:s3cret@/");
    const refused = serveFails(config, { db: withPassword.replace(/host=[^&]*/, "host=/nonexistent") });
    assert.notEqual(refused.code, 0);
    assert.ok(!(refused.stdout + refused.stderr).includes("s3cret"), refused.stderr);
    if (skip) return; // the rest needs a store that serves
    const server = await startServe(config, { db: withPassword, secret: "", env: { SSOT_JWT_SECRET: undefined } });
    const { stdout, stderr } = await server.stop();
    assert.ok(!(stdout + stderr).includes("s3cret"), stdout + stderr);
    assert.match(stdout, /database postgresql:\/\/postgres@\/ssot/);
    const token = spawnSync(SSOT_BIN, ["token", "--sub", "1", "--config", config, "--db", withPassword],
      { encoding: "utf8", env: { ...process.env, SSOT_JWT_SECRET: "" } });
    assert.equal(token.status, 0, token.stderr);
    assert.ok(!(token.stdout + token.stderr).includes("s3cret"));
  });
});
