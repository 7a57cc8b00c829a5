// Tests of the peers' realtime protocol (realtime.js): replies and event frames shaped as
// docs/protocol.md says ssot's are, the channels bench/ws uses and the errors for others,
// and the change events of committed writes only (after the COMMIT, once per channel, none
// for a failed write). The store tests need better-sqlite3 from a peer's node_modules and
// are skipped with a note without it, like store.test.mjs. Run: node --test bench/
import test from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { message } from './model.js';
import { HttpError } from './errors.js';
import { openPeer } from './peer.js';
import {
  changeInsertArgs, customEventFrame, errorFrame, eventFrame, handleMessage, openHub, openRealtime, parseChannel, LIMITS,
} from './realtime.js';

const PEERS = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

test('event frames are ssot\'s, byte for byte, around the row JSON as the store encoded it', () => {
  const row = '{"id":42,"text":"hi"}';
  assert.equal(eventFrame('Message:list', 'created', row, 42),
    '{"type":"event","channel":"Message:list","event":"created","data":{"id":42,"text":"hi"},"offset":42}');
  assert.equal(customEventFrame('room:3', 'message', row),
    '{"type":"event","channel":"room:3","event":"message","data":{"id":42,"text":"hi"},"from":null}');
  assert.equal(errorFrame(6, 404, 'not_found', 'x'), '{"type":"error","id":6,"code":"not_found","status":404,"message":"x"}');
  assert.equal(errorFrame(undefined, 400, 'bad_request', 'x'), '{"type":"error","code":"bad_request","status":400,"message":"x"}');
});

test('channels: the model\'s list and items, room:{roomId}; anything else is refused', () => {
  assert.deepEqual(parseChannel(message, 'Message:list'), { kind: 'list' });
  assert.deepEqual(parseChannel(message, 'Message:item:17'), { kind: 'item', id: 17 });
  assert.deepEqual(parseChannel(message, 'room:abc'), { kind: 'room', roomId: 'abc' });
  const refused = (name) => { try { parseChannel(message, name); } catch (err) { return `${err.status} ${err.code}`; } return 'accepted'; };
  assert.equal(refused('Message:item:007'), '404 not_found');
  assert.equal(refused('Message:item:'), '404 not_found');
  assert.equal(refused('Message:other'), '400 bad_request');
  assert.equal(refused('room:'), '400 bad_request');
  assert.equal(refused('room:1:2'), '400 bad_request');
  assert.equal(refused('chat:room:1'), '400 bad_request');
  assert.equal(refused(''), '400 bad_request');
  assert.equal(refused(7), '400 bad_request');
});

function fakeSession() {
  const calls = [];
  return { channels: new Set(), calls, subscribe: (c) => calls.push(`+${c}`), unsubscribe: (c) => calls.push(`-${c}`) };
}
const server = { model: message, position: () => ({ epoch: 'e1', offset: 41 }), rowExists: (id) => id <= 100 };
const reply = (text, session = fakeSession()) => JSON.parse(handleMessage(text, session, server));

test('subscribe answers subscribed with the stream position for model channels, and once per channel', () => {
  const session = fakeSession();
  assert.deepEqual(reply('{"type":"subscribe","id":2,"channel":"Message:list"}', session),
    { type: 'subscribed', id: 2, channel: 'Message:list', epoch: 'e1', offset: 41, recovered: false, replayed: 0 });
  assert.deepEqual(reply('{"type":"subscribe","id":"x","channel":"Message:list","since":{"epoch":"e0","offset":3}}', session),
    { type: 'subscribed', id: 'x', channel: 'Message:list', epoch: 'e1', offset: 41, recovered: false, replayed: 0 });
  assert.deepEqual(reply('{"type":"subscribe","channel":"room:9"}', session), { type: 'subscribed', channel: 'room:9' });
  assert.deepEqual(session.calls, ['+Message:list', '+room:9']);
  assert.deepEqual(reply('{"type":"unsubscribe","id":3,"channel":"room:9"}', session), { type: 'response', id: 3, data: { channel: 'room:9' } });
  assert.deepEqual(session.calls, ['+Message:list', '+room:9', '-room:9']);
});

test('an item channel needs its row; ping gets pong; bad messages get errors with the id when there is one', () => {
  assert.deepEqual(reply('{"type":"subscribe","id":1,"channel":"Message:item:101"}'),
    { type: 'error', id: 1, code: 'not_found', status: 404, message: "no Message with id '101'" });
  assert.equal(reply('{"type":"subscribe","id":1,"channel":"Message:item:100"}').type, 'subscribed');
  assert.deepEqual(reply('{"type":"ping","id":7}'), { type: 'pong', id: 7 });
  assert.deepEqual(reply('{"type":"ping"}'), { type: 'pong' });
  const error = (text) => { const r = reply(text); assert.equal(r.type, 'error'); return [r.id, r.status, r.code]; };
  assert.deepEqual(error('not json'), [undefined, 400, 'bad_request']);
  assert.deepEqual(error('[{"type":"ping"}]'), [undefined, 400, 'bad_request']);
  assert.deepEqual(error('{"type":"dance","id":4}'), [4, 400, 'bad_request']);
  assert.deepEqual(error('{"id":4}'), [4, 400, 'bad_request']);
  assert.deepEqual(error('{"type":"request","id":4}'), [4, 400, 'bad_request']);
  assert.deepEqual(error('{"type":"subscribe","id":5}'), [5, 400, 'bad_request']);
  assert.deepEqual(error(`{"type":"ping","id":"${'x'.repeat(65)}"}`), [undefined, 400, 'bad_request']);
  assert.deepEqual(error('{"type":"ping","id":1.5}'), [undefined, 400, 'bad_request']);
});

test('a connection has at most LIMITS.subscriptions channels', () => {
  const session = fakeSession();
  for (let i = 1; i <= LIMITS.subscriptions; i++) assert.equal(reply(`{"type":"subscribe","channel":"room:${i}"}`, session).type, 'subscribed');
  assert.equal(reply('{"type":"subscribe","id":1,"channel":"room:x"}', session).code, 'too_many_subscriptions');
  assert.equal(reply('{"type":"subscribe","id":1,"channel":"room:1"}', session).type, 'subscribed', 'a channel it has is fine');
});

test('the change insert\'s parameters are found by column, whatever else the VALUES list holds', () => {
  assert.deepEqual(changeInsertArgs(`INSERT INTO _ssot_changes (model, "offset", event, row_id, owner, data, at,
    previous_owner, previous) VALUES (?, ?, ?, ?, NULL, ?, strftime('%Y-%m-%dT%H:%M:%fZ', 'now'), NULL, NULL)`),
  { model: 0, offset: 1, event: 2, row_id: 3, data: 4 });
  assert.deepEqual(changeInsertArgs(`INSERT INTO _ssot_changes (model, "offset", event, row_id, owner, data, at, previous)
    VALUES (?, ?, ?, ?, ?, ?, strftime('%Y-%m-%dT%H:%M:%fZ', 'now'), ?)`),
  { model: 0, offset: 1, event: 2, row_id: 3, owner: 4, data: 5, previous: 6 });
  assert.equal(changeInsertArgs('SELECT 1'), null);
  assert.throws(() => changeInsertArgs('INSERT INTO _ssot_changes (model, data) VALUES (?, ?)'), /offset/);
});

test('the hub turns an event into bytes once and sends those bytes to every subscriber', () => {
  const hub = openHub();
  const sent = [];
  const socket = (name) => ({ bufferedAmount: 0, send: (bytes, o) => sent.push([name, bytes, o.binary]), close: (code) => sent.push([name, code]) });
  const [a, b] = [socket('a'), socket('b')];
  hub.add('room:1', a);
  hub.add('room:1', b);
  hub.add('room:2', b);
  assert.equal(hub.count('room:1'), 2);
  hub.send('room:1', 'hello');
  assert.equal(sent.length, 2);
  assert.equal(sent[0][1], sent[1][1], 'the same Buffer');
  assert.equal(sent[0][2], false, 'a text frame');
  hub.remove('room:1', a);
  hub.remove('room:2', b);
  assert.equal(hub.count('room:1'), 1);
  assert.equal(hub.count('room:2'), 0);
  b.bufferedAmount = LIMITS.sendQueue + 1;
  hub.send('room:1', 'x');
  assert.deepEqual(sent[2], ['b', 4008]);
});

// ---- with a real store ------------------------------------------------------------------

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

function withPeer(fn) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ssot-peer-realtime-'));
  const sent = [];
  const subscribers = new Set(['Message:list', 'Message:item:2', 'room:5']);
  const transport = { count: (c) => (subscribers.has(c) ? 1 : 0), send: (c, text) => sent.push([c, JSON.parse(text)]) };
  const realtime = openRealtime(Database, message, transport);
  const peer = openPeer(realtime.Database, path.join(dir, 'peer.db'));
  try {
    fn({ peer, realtime, sent, file: path.join(dir, 'peer.db') });
  } finally {
    peer.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

test('a create sends created on the list channel and the hook\'s message to its room, after the commit', { skip }, () => {
  withPeer(({ peer, sent }) => {
    const row = JSON.parse(peer.create({ roomId: 5, author: 'a', text: 'one' }).json);
    assert.deepEqual(sent, [
      ['Message:list', { type: 'event', channel: 'Message:list', event: 'created', data: row, offset: 1 }],
      ['room:5', { type: 'event', channel: 'room:5', event: 'message', data: row, from: null }],
    ]);
    sent.length = 0;
    assert.throws(() => peer.create({ roomId: 5, author: 'a' }), HttpError);
    assert.deepEqual(sent, [], 'a failed write sends nothing');
  });
});

test('an update (PATCH) checks its body, records the row before it and sends updated with the next offset', { skip }, () => {
  withPeer(({ peer, realtime, sent, file }) => {
    peer.create({ roomId: 1, author: 'a', text: 'one' });
    peer.create({ roomId: 2, author: 'b', text: 'two' });
    sent.length = 0;
    const row = JSON.parse(realtime.update('2', { text: 'changed' }));
    assert.equal(row.text, 'changed');
    assert.equal(row.author, 'b');
    assert.deepEqual(sent.map(([c, e]) => [c, e.event, e.offset, e.data.text]),
      [['Message:list', 'updated', 3, 'changed'], ['Message:item:2', 'updated', 3, 'changed']]);
    assert.deepEqual(realtime.position().offset, 3);
    sent.length = 0;
    const status = (fn) => { try { fn(); } catch (err) { return `${err.status} ${err.code}`; } return 'ok'; };
    assert.equal(status(() => realtime.update('9', { text: 'x' })), '404 not_found');
    assert.equal(status(() => realtime.update('02', { text: 'x' })), '404 not_found');
    assert.equal(status(() => realtime.update('2', { kind: 'video' })), '400 validation_failed');
    assert.equal(status(() => realtime.update('2', { id: 3 })), '400 validation_failed');
    assert.equal(status(() => realtime.update('2', [])), '400 invalid_json');
    assert.deepEqual(sent, [], 'failed updates send nothing');
    const db = new Database(file, { readonly: true });
    try {
      const event = db.prepare('SELECT * FROM _ssot_changes WHERE "offset" = 3').get();
      assert.equal(event.event, 'updated');
      assert.equal(event.row_id, '2');
      assert.deepEqual(JSON.parse(event.data), row);
      if ('previous' in event) assert.equal(JSON.parse(event.previous).text, 'two');
    } finally {
      db.close();
    }
    assert.ok(realtime.rowExists(2));
    assert.ok(!realtime.rowExists(3));
  });
});
