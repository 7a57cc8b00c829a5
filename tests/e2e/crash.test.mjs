// Crash consistency: `ssot serve` is killed with SIGKILL in the middle of a mixed write load
// (creates, updates and deletes from several clients at once), then restarted on the same
// database. Every write answered 2xx must be there, none the server refused may be, the
// database must pass PRAGMA integrity_check (SQLite), and the change stream must be gapless and replay
// into exactly the rows in the tables. A WebSocket subscriber to Message:list watches the
// load; after the restart it resubscribes with `since` its last position, is recovered, and
// the events it received before the crash and after, together, are the change stream: each
// committed write once, in commit order, every acknowledged write among them
// (docs/protocol.md "Recovery"). SSOT_CRASH_TRIALS trials (3 by default; scripts/
// crash-test.sh runs 20), each on a fresh database, killed after a random number of writes.
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { describe, it } from "node:test";
import { database, mint, queryDatabase, startServe, tempDir } from "./helpers.mjs";
import { Client } from "./ws.mjs";

const TRIALS = Number(process.env.SSOT_CRASH_TRIALS ?? 3);
const CLIENTS = 8;
const OPS_PER_CLIENT = 100; // 800 writes at most: every event stays in the history (1,000)
const CHANNEL = "Message:list";

const CONFIG = `
name = "crash"
auth = { secretEnv = "SSOT_JWT_SECRET" }
serve = { maxTake = 1000 }
models = {
  Room = { fields = { { "id", "id" }, { "title", "string", max = 80 } } },
  Message = {
    fields = {
      { "id", "id" },
      { "roomId", "int", belongsTo = "Room", onDelete = "cascade" },
      { "text", "string", max = 200 },
      { "score", "float", default = 0.5 },
    },
  },
}
websockets = {
  enabled = true,
  pubsub = { models = { Message = { subscribe = { "list" } } } },
  history = 1000,
}
`;

/** A tiny seeded random generator, so a failing trial can be told apart by its seed. */
function random(seed) {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return (s >>> 0) / 4294967296;
  };
}

/**
 * One client: creates messages in its room, updates and deletes its own, one request at a
 * time. Returns the log of its operations ({ op, id, text, acked }) and stops at the first
 * request that gets no answer (the server died).
 */
async function client(base, token, roomId, name, rand, budget, onWrite) {
  const log = [];
  const mine = [];
  const call = async (method, path, body) => {
    const res = await fetch(base + path, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body ? { "content-type": "application/json" } : {}) },
      body: body ? JSON.stringify(body) : undefined,
    });
    const text = await res.text();
    return { status: res.status, json: text ? JSON.parse(text) : undefined };
  };
  for (let i = 0; i < OPS_PER_CLIENT; i++) {
    const r = rand();
    let entry;
    if (mine.length === 0 || r < 0.5) {
      entry = { op: "create", text: `${name}-${i}`, score: Math.round(rand() * 1e6) / 1e3 };
    } else if (r < 0.8) {
      entry = { op: "update", id: mine[Math.floor(rand() * mine.length)], text: `${name}-${i}u` };
    } else {
      const at = Math.floor(rand() * mine.length);
      entry = { op: "delete", id: mine[at] };
      mine.splice(at, 1); // never touched again, whatever the answer
    }
    entry.acked = false;
    entry.sent = false;
    log.push(entry);
    if (!budget()) return log; // the kill is due: this request is never sent
    entry.sent = true;
    let res;
    try {
      if (entry.op === "create") res = await call("POST", "/api/messages", { roomId, text: entry.text, score: entry.score });
      else if (entry.op === "update") res = await call("PATCH", `/api/messages/${entry.id}`, { text: entry.text });
      else res = await call("DELETE", `/api/messages/${entry.id}`);
    } catch {
      return log; // no answer: the server is gone
    }
    const expected = { create: 201, update: 200, delete: 204 }[entry.op];
    assert.equal(res.status, expected, `${entry.op} ${entry.id ?? ""}: ${JSON.stringify(res.json)}`);
    entry.acked = true;
    if (entry.op === "create") {
      entry.id = res.json.id;
      mine.push(entry.id);
    }
    onWrite();
  }
  return log;
}

/** What each client's log allows the row with each id to be: for every id its possible
 * texts (null: absent), from the acknowledged operations and the one left in flight. */
function allowedStates(logs) {
  const allowed = new Map(); // id -> Set of text | null
  const inFlightCreates = [];
  for (const log of logs) {
    const state = new Map(); // id -> text | null, after the acknowledged operations
    for (const entry of log) {
      if (entry.acked) {
        state.set(entry.id, entry.op === "delete" ? null : entry.text);
        continue;
      }
      // not acknowledged: sent and maybe committed (the last entry of a log), or never sent
      if (entry.op === "create") inFlightCreates.push(entry);
      else allowed.set(entry.id, new Set([state.get(entry.id), entry.op === "delete" ? null : entry.text]));
    }
    for (const [id, text] of state) if (!allowed.has(id)) allowed.set(id, new Set([text]));
  }
  return { allowed, inFlightCreates };
}

function checkEvents(db, rows) {
  for (const model of ["Room", "Message"]) {
    const events = queryDatabase(db, `SELECT "offset", event, row_id, data FROM _ssot_changes WHERE model = '${model}' ORDER BY "offset"`);
    events.forEach((e, i) => assert.equal(e.offset, events[0].offset + i, `${model}: offsets are gapless`));
    if (model !== "Message") continue;
    const replayed = new Map();
    for (const e of events) {
      if (e.event === "deleted") replayed.delete(String(e.row_id));
      else replayed.set(String(e.row_id), JSON.parse(e.data));
    }
    assert.deepEqual(replayed, new Map(rows.map((r) => [String(r.id), r])),
      "replaying the change stream gives exactly the rows in the table");
  }
}

/**
 * What the subscriber received (before the crash, then from the recovered subscription that
 * started at start.offset) against the change stream in the database and the clients' logs:
 * the events are the stream's changes after start.offset, each once, gapless and in order;
 * every acknowledged write is one of them, a write left in flight at most one, and a write
 * never sent none.
 */
function checkSubscriber(db, start, received, logs) {
  received.forEach((e, i) => assert.equal(e.offset, start.offset + 1 + i,
    `event ${i} of the subscriber: offsets are gapless and increasing from ${start.offset + 1}, got ` +
    JSON.stringify(received.map((r) => r.offset))));
  const changes = queryDatabase(db,
    `SELECT "offset", event, row_id, data FROM _ssot_changes WHERE model = 'Message' AND "offset" > ${start.offset} ORDER BY "offset"`);
  assert.equal(received.length, changes.length,
    `the subscriber received ${received.length} events, the stream has ${changes.length} changes after ${start.offset}`);
  received.forEach((e, i) => {
    const change = changes[i];
    assert.equal(e.offset, change.offset);
    assert.equal(e.event, change.event, `event at offset ${e.offset}`);
    assert.equal(String(e.data.id), String(change.row_id), `event at offset ${e.offset}`);
    assert.deepEqual(e.data, JSON.parse(change.data), `event at offset ${e.offset}`);
  });

  const matchedBy = new Map(); // event -> the log entry that made it
  const name = { create: "created", update: "updated", delete: "deleted" };
  for (const log of logs) {
    let last = start.offset; // a client's writes are sequential: their events are in its order
    for (const entry of log) {
      const matches = received.filter((e) => e.event === name[entry.op] && (entry.op === "create" && !entry.acked
        ? e.data.text === entry.text && e.data.score === entry.score
        : e.data.id === entry.id && (entry.op === "delete" || e.data.text === entry.text)));
      const state = entry.acked ? "acknowledged" : entry.sent ? "in flight" : "never sent";
      const what = `${entry.op} ${entry.id ?? ""} ${entry.text ?? ""} (${state})`;
      if (entry.acked) assert.equal(matches.length, 1, `${what}: one event, got ${JSON.stringify(matches)}`);
      else if (entry.sent) assert.ok(matches.length <= 1, `${what}: at most one event, got ${JSON.stringify(matches)}`);
      else assert.equal(matches.length, 0, `${what}: no event, got ${JSON.stringify(matches)}`);
      for (const e of matches) {
        assert.ok(!matchedBy.has(e), `event ${e.offset} is the event of two writes`);
        matchedBy.set(e, entry);
        assert.ok(e.offset > last, `${what}: its event (${e.offset}) follows the client's previous one (${last})`);
        last = e.offset;
      }
    }
  }
  const stray = received.filter((e) => !matchedBy.has(e));
  assert.deepEqual(stray, [], "every event is the event of a write a client sent");
}

describe("crash consistency: SIGKILL under a write load", () => {
  for (let trial = 1; trial <= TRIALS; trial++) {
    const seed = (Date.now() + trial * 7919) % 1e9;
    it(`trial ${trial} (seed ${seed}): every acknowledged write survives, the stream replays to the tables and to a subscriber`, async (t) => {
      const rand = random(seed);
      const dir = tempDir("crash");
      const config = `${dir}/crash.lua`;
      writeFileSync(config, CONFIG);
      const db = `${dir}/crash.db`;
      let server = await startServe(config, { db, args: ["--quiet"] });
      t.after(() => server.proc.kill("SIGKILL")); // a failed trial leaves no server (nor its sockets) behind
      const token = mint(1, { role: "admin" });
      const rooms = [];
      for (let c = 0; c < CLIENTS; c++) {
        const res = await fetch(`${server.url}/api/rooms`, { method: "POST",
          headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
          body: JSON.stringify({ title: `room ${c}` }) });
        rooms.push((await res.json()).id);
      }
      // a subscriber that can see every message, from before the first one
      const watcher = await Client.connect(server.url, { token });
      const start = await watcher.subscribe(CHANNEL);
      assert.equal(start.recovered, false);
      const killAfter = 20 + Math.floor(rand() * (CLIENTS * OPS_PER_CLIENT * 0.8));
      let writes = 0;
      let killed = false;
      const kill = () => {
        if (killed) return;
        killed = true;
        server.proc.kill("SIGKILL");
      };
      const logs = await Promise.all(rooms.map((roomId, c) =>
        client(server.url, token, roomId, `t${trial}c${c}`, random(seed + c + 1), () => !killed, () => {
          if (++writes >= killAfter) kill();
        })));
      kill();
      await server.exited;
      assert.equal((await watcher.closed).code, 1006, "the subscriber sees its connection end abnormally");
      const before = watcher.events(CHANNEL);
      const since = { epoch: start.epoch, offset: before.length ? before.at(-1).offset : start.offset };

      // the database as another process finds it, then as the restarted server serves it
      if (database(db) === db) assert.deepEqual(queryDatabase(db, "PRAGMA integrity_check"), [{ integrity_check: "ok" }]);
      server = await startServe(config, { db, args: ["--quiet"] });

      // the subscriber comes back from where it was: the missed events, then live ones
      const back = await Client.connect(server.url, { token });
      const again = await back.subscribe(CHANNEL, since);
      assert.equal(again.recovered, true, `recovering from ${JSON.stringify(since)}: ${JSON.stringify(again)}`);
      assert.equal(again.epoch, start.epoch);
      const live = { op: "create", text: `t${trial}-live`, score: 1.5, acked: false, sent: true };
      const created = await fetch(`${server.url}/api/messages`, { method: "POST",
        headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
        body: JSON.stringify({ roomId: rooms[0], text: live.text, score: live.score }) });
      assert.equal(created.status, 201);
      live.id = (await created.json()).id;
      live.acked = true;
      logs.push([live]);
      await back.next((m) => m.type === "event" && m.channel === CHANNEL && m.data.id === live.id,
        { what: "the event of a write after the recovery" });
      await back.settle(100);
      const after = back.events(CHANNEL);
      assert.equal(after.length, again.replayed + 1, "the replayed events, then the live one");
      assert.equal(again.offset, since.offset + again.replayed, "subscribed carries the position replayed up to");
      // the events leave at the commit, so the subscriber above rarely missed any: one that had
      // left at a random point before the crash is replayed, from the restarted server's
      // history, exactly what the live stream carried after that point
      const received = [...before, ...after];
      const cut = Math.floor(rand() * (before.length + 1));
      const from = { epoch: start.epoch, offset: cut === 0 ? start.offset : before[cut - 1].offset };
      const late = await Client.connect(server.url, { token });
      const caught = await late.subscribe(CHANNEL, from);
      assert.equal(caught.recovered, true, `recovering from ${JSON.stringify(from)}: ${JSON.stringify(caught)}`);
      const expected = received.filter((e) => e.offset > from.offset);
      assert.equal(caught.replayed, expected.length, `replayed from ${from.offset}: as many events as were sent after it`);
      await late.next((m) => m.type === "event" && m.channel === CHANNEL && m.data.id === live.id,
        { what: "the replayed event of the write after the recovery" });
      await late.settle(100);
      assert.deepEqual(late.events(CHANNEL), expected, `replayed from ${from.offset}: the events sent live after it`);
      await Promise.all([back.close(), late.close()]);

      const res = await fetch(`${server.url}/api/messages?take=1000`, { headers: { authorization: `Bearer ${token}` } });
      const rows = (await res.json()).items;
      await server.stop();

      const { allowed, inFlightCreates } = allowedStates(logs);
      const byId = new Map(rows.map((r) => [r.id, r]));
      for (const [id, states] of allowed) {
        const row = byId.get(id);
        assert.ok(states.has(row ? row.text : null),
          `message ${id} is ${row ? JSON.stringify(row.text) : "absent"}; allowed: ${JSON.stringify([...states])}`);
      }
      for (const row of rows) {
        if (allowed.has(row.id)) continue;
        const created = inFlightCreates.find((e) => e.text === row.text && e.score === row.score);
        assert.ok(created, `message ${row.id} (${row.text}) was never acknowledged nor in flight`);
      }
      const acked = logs.flat().filter((e) => e.acked).length;
      assert.ok(acked >= Math.min(killAfter, 20) - CLIENTS, `the load ran (${acked} writes acknowledged)`);
      checkEvents(db, rows);
      checkSubscriber(db, start, received, logs);
    });
  }
});
