// Tests of the peers' store: its change stream must follow ssot's rules (offset = newest
// event + 1, _ssot_streams written only when pruning, bounded history, a new epoch after the
// history was deleted by hand), or the peers would be measured doing different work.
// Needs better-sqlite3 from a peer's node_modules (installed by bench/http/run.mjs); skipped
// with a note when neither peer is installed. Run: node --test bench/
import test from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { message } from './model.js';
import { openStore, HISTORY, PRUNE_EVERY, PRAGMAS, STREAM_DDL } from './store.js';

const PEERS = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

function betterSqlite() {
  for (const peer of ['uws', 'express']) {
    try {
      return createRequire(path.join(PEERS, peer, 'package.json'))('better-sqlite3');
    } catch {
      // not installed in this peer
    }
  }
  return null;
}

const Database = betterSqlite();
const skip = Database ? false : 'better-sqlite3 is not installed in bench/peers/uws or bench/peers/express (node bench/http/run.mjs --check-only installs it)';

function withStore(fn) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ssot-peer-store-'));
  const file = path.join(dir, 'peer.db');
  const store = openStore(Database, file, message);
  const db = new Database(file);
  try {
    fn(store, db);
  } finally {
    store.close();
    db.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

const create = (store, i) => JSON.parse(store.create({ roomId: 1 + (i % 3), author: 'a', text: `t${i}`, kind: 'text' }).json);
const page = (store) => JSON.parse(store.list({ where: '"roomId" = ?', args: [1], order: '"id" ASC', take: 20, skip: 0 }));
const floor = (db) => db.prepare(`SELECT "offset" FROM _ssot_streams WHERE model = 'Message'`).pluck().get();

test('a create writes one event with the next offset and leaves _ssot_streams alone until a prune', { skip }, () => {
  withStore((store, db) => {
    for (let i = 1; i < PRUNE_EVERY; i++) create(store, i);
    assert.equal(page(store).offset, PRUNE_EVERY - 1);
    assert.equal(floor(db), 0, 'no write touched _ssot_streams');
    const row = create(store, PRUNE_EVERY);
    assert.equal(floor(db), PRUNE_EVERY, 'the pruning write records the floor');
    const event = db.prepare(`SELECT * FROM _ssot_changes WHERE model = 'Message' AND "offset" = ?`).get(PRUNE_EVERY);
    assert.equal(event.event, 'created');
    assert.equal(event.row_id, String(row.id));
    assert.equal(event.previous, null, 'a create has no row before it');
    assert.equal(event.previous_owner, null);
    assert.deepEqual(JSON.parse(event.data), row);
    create(store, PRUNE_EVERY + 1);
    assert.equal(page(store).offset, PRUNE_EVERY + 1);
    assert.equal(floor(db), PRUNE_EVERY);
  });
});

test('history is pruned to the last HISTORY events, every PRUNE_EVERY events', { skip }, () => {
  withStore((store, db) => {
    const total = HISTORY + 2 * PRUNE_EVERY + 5;
    for (let i = 1; i <= total; i++) create(store, i);
    const { n, lo, hi } = db.prepare(`SELECT count(*) AS n, min("offset") AS lo, max("offset") AS hi FROM _ssot_changes`).get();
    const lastPrune = Math.floor(total / PRUNE_EVERY) * PRUNE_EVERY;
    assert.equal(hi, total);
    assert.equal(lo, lastPrune - HISTORY + 1);
    assert.equal(n, total - (lastPrune - HISTORY));
    assert.ok(n >= HISTORY && n <= HISTORY + PRUNE_EVERY);
    assert.equal(page(store).offset, total);
  });
});

test('the page, its total and the stream position: {items, total, skip, take, offset, epoch}', { skip }, () => {
  withStore((store) => {
    for (let i = 0; i < 30; i++) create(store, i);
    const p = page(store);
    assert.deepEqual(Object.keys(p), ['items', 'total', 'skip', 'take', 'offset', 'epoch']);
    assert.equal(p.items.length, 10);
    assert.equal(p.total, 10);
    assert.equal(p.offset, 30);
    assert.match(p.epoch, /^[0-9a-f]{32}$/);
  });
});

test('history deleted by hand: the offset continues from the floor under a new epoch', { skip }, () => {
  withStore((store, db) => {
    for (let i = 1; i <= PRUNE_EVERY + 3; i++) create(store, i);
    const before = page(store);
    db.exec('DELETE FROM _ssot_changes');
    create(store, 0);
    const after = page(store);
    assert.notEqual(after.epoch, before.epoch);
    assert.equal(after.offset, PRUNE_EVERY + 1);
  });
});

test('the peers set the pragmas ssot sets on every connection (src/runtime/store/store_sqlite.c)', () => {
  const source = fs.readFileSync(path.join(PEERS, '../../src/runtime/store/store_sqlite.c'), 'utf8');
  const ssot = [...source.matchAll(/"PRAGMA (\w+) = ([^"]+)"/g)].map((m) => `${m[1]} = ${m[2]}`);
  assert.ok(ssot.length >= 5, `found ssot's pragmas in store_sqlite.c: ${ssot}`);
  // busy_timeout is set with sqlite3_busy_timeout: its default is in ssot_store_sqlite_open
  const busy = /busy_timeout_ms > 0 \? options->busy_timeout_ms : (\d+)/.exec(source);
  assert.ok(busy, 'found the default busy timeout in store_sqlite.c');
  assert.deepEqual([...PRAGMAS].sort(), [...ssot, `busy_timeout = ${busy[1]}`].sort());
});

test('the peers create ssot\'s change-stream tables (src/runtime/store/store_sqlite_schema.c)', () => {
  const source = fs.readFileSync(path.join(PEERS, '../../src/runtime/store/store_sqlite_schema.c'), 'utf8');
  const literal = /own_tables =\s*((?:\s*"(?:[^"\\]|\\.)*")+);/.exec(source);
  assert.ok(literal, 'found own_tables in store_sqlite_schema.c');
  const sql = [...literal[1].matchAll(/"((?:[^"\\]|\\.)*)"/g)].map((m) => m[1].replace(/\\n/g, '\n').replace(/\\"/g, '"')).join('');
  const table = (text, name) => {
    const m = new RegExp(`CREATE TABLE IF NOT EXISTS ${name} \\([^;]*;`).exec(text);
    assert.ok(m, `found ${name} in ${text}`);
    return m[0].replace(/\s+/g, ' ');
  };
  for (const name of ['_ssot_streams', '_ssot_changes']) assert.equal(table(STREAM_DDL, name), table(sql, name));
});

test('a peer\'s database is in WAL mode', { skip }, () => {
  withStore((store, db) => {
    assert.equal(db.pragma('journal_mode', { simple: true }), 'wal');
  });
});
