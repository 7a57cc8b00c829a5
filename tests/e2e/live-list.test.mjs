// applyChange (sdk/runtime/live-list.ts) against the real server: random creates, updates and
// deletes through REST; after each, the pushed event is applied to cached pages of many list
// queries (where, orderBy with nulls and non-ASCII text, skip, take), and every page the
// function claims to know exactly must equal what the server now lists for the same query.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import WebSocket from "ws";
import { compile, generate } from "../node/helpers.mjs";
import { mint, source, startServe, tempDir } from "./helpers.mjs";

const QUERIES = [
  {},
  { take: 5 },
  { where: { roomId: 1 }, orderBy: { id: "desc" }, take: 4 },
  { where: { kind: { in: ["text", "image"] } }, orderBy: [{ kind: "asc" }, { text: "desc" }], take: 100 },
  { where: { text: { contains: "a" } }, orderBy: { text: "asc" }, take: 6 },
  { where: { editedAt: null }, orderBy: { createdAt: "desc" }, take: 100 },
  { where: { editedAt: { ne: null } }, orderBy: { editedAt: "asc" }, take: 100 },
  { orderBy: { editedAt: "desc" }, skip: 2, take: 3 },
  { orderBy: [{ editedAt: "asc" }, { id: "desc" }], take: 100 },
  { orderBy: { editedAt: "desc" }, take: 100 },
  { where: { roomId: { gte: 2 }, kind: "text" }, orderBy: { text: "asc" }, skip: 1, take: 100 },
  { where: { text: { lt: "m" } }, orderBy: { text: "desc" }, take: 100 },
];
const TEXTS = ["alpha", "Beta", "zeta", "ça", "émile", "Zoo", "a😀", "a\uffff", "mango", "banana", ""];

/** A deterministic pseudo-random sequence (the failures reproduce). */
function random(seed) {
  let x = seed;
  return () => {
    x = (x * 1103515245 + 12345) % 2147483648;
    return x / 2147483648;
  };
}

describe("live list pages against the server's own lists", () => {
  let server, sdk, writer, rooms;
  before(async () => {
    const { dir } = generate("examples/chat/config.lua", "live-list");
    sdk = await compile(dir)("sdk/index.js");
    server = await startServe(source("examples/chat/config.lua"), { db: `${tempDir("live-list")}/chat.db` });
    writer = sdk.createClient({ baseUrl: server.url, token: mint(1, { role: "admin" }), realtime: false });
    await writer.users.create({ name: "Admin", email: "admin@live.test" });
    rooms = [];
    for (let i = 0; i < 3; i++) rooms.push((await writer.rooms.create({ title: `r${i}` })).id);
  });
  after(() => server.stop());

  it("every page applyChange claims is the server's page; the rest are refetched", async () => {
    const next = random(7);
    const pick = (list) => list[Math.floor(next() * list.length)];
    const reader = sdk.createClient({ baseUrl: server.url, token: mint(1, { role: "admin" }), realtime: { WebSocket } });
    const events = [];
    let ready = false;
    reader.messages.subscribe((event) => events.push(event), { onSubscribed: () => (ready = true) });
    while (!ready) await new Promise((ok) => setTimeout(ok, 10));
    const pages = await Promise.all(QUERIES.map((q) => writer.messages.list(q)));
    const live = [];
    let exact = 0;
    let refetched = 0;
    for (let step = 0; step < 300; step++) {
      const roll = next();
      if (live.length < 3 || roll < 0.45) {
        const row = await writer.messages.create({ roomId: pick(rooms), text: pick(TEXTS), kind: pick(["text", "image", "system"]) });
        live.push(row.id);
      } else if (roll < 0.85) {
        const changes = [{ text: pick(TEXTS) }, { kind: pick(["text", "image", "system"]) }, { roomId: pick(rooms) },
          { editedAt: next() < 0.5 ? null : new Date(Date.UTC(2026, 0, 1 + Math.floor(next() * 20))).toISOString() }];
        await writer.messages.update(pick(live), Object.assign({}, pick(changes), pick(changes)));
      } else {
        const id = live.splice(Math.floor(next() * live.length), 1)[0];
        await writer.messages.delete(id);
      }
      const deadline = Date.now() + 5000;
      while (events.length <= step) {
        if (Date.now() > deadline) assert.fail(`no event for write ${step}`);
        await new Promise((ok) => setTimeout(ok, 2));
      }
      const event = events[step];
      const fresh = await Promise.all(QUERIES.map((q) => writer.messages.list(q)));
      for (let q = 0; q < QUERIES.length; q++) {
        const change = sdk.applyChange(sdk.modelRefs.Message, QUERIES[q], pages[q], event);
        if (change === "refetch") {
          refetched++;
          pages[q] = fresh[q];
          continue;
        }
        const page = change === "unchanged" ? pages[q] : change;
        const what = `write ${step} (${event.type} of ${event.row.id}), query ${JSON.stringify(QUERIES[q])}`;
        assert.deepEqual(page.items.map((m) => m.id), fresh[q].items.map((m) => m.id), `${what}: rows`);
        assert.deepEqual(page.items, fresh[q].items, `${what}: row contents`);
        assert.equal(page.total, fresh[q].total, `${what}: total`);
        exact++;
        pages[q] = { ...page, offset: fresh[q].offset };
      }
    }
    console.log(`# ${exact} pages kept exactly, ${refetched} refetched`);
    assert.ok(exact > refetched, "most changes are applied without a refetch");
    reader.$realtime.close();
  });
});
