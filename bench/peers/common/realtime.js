// What both peers need for the realtime protocol (docs/protocol.md), independent of their
// WebSocket library: the subset bench/ws uses — `subscribe` (Message:list, Message:item:<id>,
// room:<roomId>) answered by `subscribed` with the stream position, `unsubscribe`, `ping` —
// the `event` frames shaped exactly like ssot's, and the change events of committed writes.
//
// The change events come from the store (store.js) without changing it: openRealtime hands
// the peer a subclass of better-sqlite3's Database to give openPeer, which sees the store's
// `INSERT INTO _ssot_changes` run and the transaction around it commit; the events go out
// after the COMMIT, and are dropped when the transaction fails. store.js serves only creates,
// so the update the items scenario needs (PATCH) is here, written by store.js's rules (one
// IMMEDIATE transaction: the row, then its change event with the next offset and the row
// before it; the floor and pruning every PRUNE_EVERY events).
//
// Each event is serialized once per channel and the same text goes to every subscriber; a
// channel without subscribers costs nothing. The bench app's afterCreate hook (bench/ws/
// config.lua: publish the created row on room:<roomId>) is here too, so both peers run it.
// Uses model.js, validate.js, errors.js, store.js (its constants); each peer plugs in its
// WebSocket library through a transport { count(channel), send(channel, text) }.
import crypto from 'node:crypto';
import { HttpError } from './errors.js';
import { HISTORY, PRUNE_EVERY } from './store.js';
import { validateCreate } from './validate.js';

// docs/protocol.md "Limits": the defaults of websockets.limits ssot's bench config keeps.
export const LIMITS = { messageSize: 65536, subscriptions: 100, sendQueue: 1048576 };

// ---- frames -----------------------------------------------------------------------------

// eventFrame(channel, event, dataJson, offset) -> a model channel's event, as ssot sends it:
// {"type":"event","channel":"Message:list","event":"created","data":{row},"offset":n}.
export function eventFrame(channel, event, dataJson, offset) {
  return `{"type":"event","channel":${JSON.stringify(channel)},"event":${JSON.stringify(event)},"data":${dataJson},"offset":${offset}}`;
}

// customEventFrame(channel, event, dataJson) -> an event published on a custom channel by
// the server (from is null: no user published it).
export function customEventFrame(channel, event, dataJson) {
  return `{"type":"event","channel":${JSON.stringify(channel)},"event":${JSON.stringify(event)},"data":${dataJson},"from":null}`;
}

// errorFrame(id, status, code, message) -> an error reply; id undefined when the client's
// frame had none (or was not JSON).
export function errorFrame(id, status, code, message) {
  return JSON.stringify({ type: 'error', id, code, status, message });
}

class ProtocolError extends Error {
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }
}
const badRequest = (message) => new ProtocolError(400, 'bad_request', message);

// ---- channels ---------------------------------------------------------------------------

const ROOM = /^room:([^:]+)$/;
const CANONICAL_ID = /^[1-9][0-9]{0,15}$/;

// parseChannel(model, name) -> { kind: 'list' | 'item' | 'room', id?, roomId? }, or throws a
// ProtocolError naming why the channel does not exist (docs/protocol.md "Channels").
export function parseChannel(model, name) {
  if (typeof name !== 'string' || name === '') throw badRequest('channel: expected a non-empty string');
  const prefix = `${model.name}:`;
  if (name.startsWith(prefix)) {
    const rest = name.slice(prefix.length);
    if (rest === 'list') return { kind: 'list' };
    if (rest.startsWith('item:')) {
      const id = rest.slice(5);
      if (!CANONICAL_ID.test(id)) throw new ProtocolError(404, 'not_found', `no ${model.name} with id '${id}'`);
      return { kind: 'item', id: Number(id) };
    }
    throw badRequest(`${model.name} has no channel '${rest}' (its channels: list, item:<id>)`);
  }
  const room = ROOM.exec(name);
  if (room) return { kind: 'room', roomId: room[1] };
  throw badRequest(`no channel '${name}' (channels: ${model.name}:list, ${model.name}:item:<id>, room:{roomId})`);
}

// ---- client messages --------------------------------------------------------------------

// messageId(value) -> the message's id when it is a string of at most 64 characters or an
// integer; undefined when absent; throws otherwise.
function messageId(value) {
  if (value === undefined) return undefined;
  if ((typeof value === 'string' && value.length <= 64) || Number.isSafeInteger(value)) return value;
  throw badRequest('id: expected a string of at most 64 characters or an integer');
}

// handleMessage(text, session, server) -> the reply text (every message the peers accept
// has one). session: { channels: Set, subscribe(channel), unsubscribe(channel) } for one
// connection; server: { model, position(), rowExists(id) }.
export function handleMessage(text, session, server) {
  let msg;
  try {
    msg = JSON.parse(text);
  } catch (err) {
    return errorFrame(undefined, 400, 'bad_request', `the message is not JSON: ${err.message}`);
  }
  if (msg === null || typeof msg !== 'object' || Array.isArray(msg)) {
    return errorFrame(undefined, 400, 'bad_request', 'a message must be a JSON object');
  }
  let id;
  try {
    id = messageId(msg.id);
    switch (msg.type) {
      case 'subscribe': return subscribe(msg, id, session, server);
      case 'unsubscribe': {
        parseChannel(server.model, msg.channel);
        if (session.channels.delete(msg.channel)) session.unsubscribe(msg.channel);
        return JSON.stringify({ type: 'response', id, data: { channel: msg.channel } });
      }
      case 'ping': return id === undefined ? '{"type":"pong"}' : JSON.stringify({ type: 'pong', id });
      case 'auth': case 'publish': case 'request': case 'presence':
        throw badRequest(`'${msg.type}' is part of the protocol but not of this benchmark peer`);
      default:
        throw badRequest(typeof msg.type === 'string' ? `unknown message type '${msg.type}'` : 'type: expected a string');
    }
  } catch (err) {
    if (!(err instanceof ProtocolError)) throw err;
    return errorFrame(id, err.status, err.code, err.message);
  }
}

function subscribe(msg, id, session, server) {
  const channel = parseChannel(server.model, msg.channel);
  if (channel.kind === 'item' && !server.rowExists(channel.id)) {
    throw new ProtocolError(404, 'not_found', `no ${server.model.name} with id '${channel.id}'`);
  }
  if (!session.channels.has(msg.channel)) {
    if (session.channels.size >= LIMITS.subscriptions) {
      throw new ProtocolError(429, 'too_many_subscriptions', `at most ${LIMITS.subscriptions} subscriptions per connection`);
    }
    session.channels.add(msg.channel);
    session.subscribe(msg.channel);
  }
  if (channel.kind === 'room') return JSON.stringify({ type: 'subscribed', id, channel: msg.channel });
  // no history is replayed: a `since` is answered recovered:false, which the protocol allows
  const { epoch, offset } = server.position();
  return JSON.stringify({ type: 'subscribed', id, channel: msg.channel, epoch, offset, recovered: false, replayed: 0 });
}

// ---- the store's change events ----------------------------------------------------------

// splitValues(text) -> the items of an SQL VALUES list, split at commas outside parentheses
// and quotes.
function splitValues(text) {
  const items = [];
  let depth = 0;
  let quote = '';
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (quote) { if (ch === quote) quote = ''; continue; }
    if (ch === "'" || ch === '"') quote = ch;
    else if (ch === '(') depth++;
    else if (ch === ')') depth--;
    else if (ch === ',' && depth === 0) { items.push(text.slice(start, i).trim()); start = i + 1; }
  }
  items.push(text.slice(start).trim());
  return items;
}

const CHANGE_INSERT = /^\s*INSERT INTO _ssot_changes\s*\(([^)]*)\)\s*VALUES\s*\(([\s\S]*)\)\s*$/;

// changeInsertArgs(sql) -> { offset, event, row_id, data }: the position of each among the
// positional parameters of an INSERT INTO _ssot_changes, or null for any other statement.
// Throws when it is such an INSERT but not of a shape understood here (store.js changed).
export function changeInsertArgs(sql) {
  const m = CHANGE_INSERT.exec(sql);
  if (!m) return null;
  const columns = m[1].split(',').map((c) => c.trim().replace(/"/g, ''));
  const values = splitValues(m[2]);
  const at = {};
  let arg = 0;
  columns.forEach((column, i) => { if (values[i] === '?') at[column] = arg++; });
  for (const need of ['offset', 'event', 'row_id', 'data']) {
    if (at[need] === undefined) throw new Error(`realtime.js: cannot find the ${need} parameter in store.js's change insert: ${sql}`);
  }
  return at;
}

// openRealtime(Database, model, transport) -> the realtime side of a peer:
//   Database        the subclass of better-sqlite3's to give openPeer (taps the store);
//   update(idText, body) -> the updated row's JSON (PATCH: body holds the fields to change);
//   message(text, session) -> the reply to a client's message;
//   publish(channel, event, data), position(), rowExists(id).
// transport: { count(channel) -> subscribers, send(channel, text) -> to every subscriber }.
export function openRealtime(Database, model, transport) {
  let db = null;
  let pending = []; // change events of the open transaction: sent after its COMMIT
  let statements = null;

  class LiveDatabase extends Database {
    constructor(...args) {
      super(...args);
      db = this; // eslint-disable-line consistent-this
    }

    prepare(sql) {
      const statement = super.prepare(sql);
      const at = changeInsertArgs(sql);
      if (!at) return statement;
      const run = statement.run.bind(statement);
      return new Proxy(statement, {
        get(target, prop) {
          if (prop === 'run') {
            return (...args) => {
              const result = run(...args);
              pending.push({ offset: args[at.offset], event: args[at.event], rowId: args[at.row_id], data: args[at.data] });
              return result;
            };
          }
          const value = Reflect.get(target, prop, target);
          return typeof value === 'function' ? value.bind(target) : value;
        },
      });
    }

    // Each variant of a transaction sends its change events once it has committed.
    transaction(fn) {
      const tx = super.transaction(fn);
      const wrap = (variant) => (...args) => {
        pending = [];
        let result;
        try {
          result = variant(...args);
        } catch (err) {
          pending = [];
          throw err;
        }
        const committed = pending;
        pending = [];
        for (const change of committed) fanOut(change);
        return result;
      };
      const outer = wrap(tx);
      for (const variant of ['deferred', 'immediate', 'exclusive']) outer[variant] = wrap(tx[variant]);
      return outer;
    }
  }

  const listChannel = `${model.name}:list`;
  const itemPrefix = `${model.name}:item:`;

  // fanOut(change): the committed change to the model's list and item channels, then the
  // app's after-hooks.
  function fanOut(change) {
    if (transport.count(listChannel) > 0) transport.send(listChannel, eventFrame(listChannel, change.event, change.data, change.offset));
    const item = itemPrefix + change.rowId;
    if (transport.count(item) > 0) transport.send(item, eventFrame(item, change.event, change.data, change.offset));
    if (change.event === 'created') afterCreate(JSON.parse(change.data));
  }

  // publish(channel, event, data): what ssot.publish does from a hook; data is serialized once.
  function publish(channel, event, data) {
    if (transport.count(channel) > 0) transport.send(channel, customEventFrame(channel, event, JSON.stringify(data ?? null)));
  }

  // The bench app's hook (bench/ws/config.lua): every created message goes to its room.
  function afterCreate(row) {
    publish(`room:${row.roomId}`, 'message', row);
  }

  // The statements of the update and the position, prepared once the store made its tables.
  function prepared() {
    if (statements) return statements;
    if (!db) throw new Error('realtime.js: the store has not been opened with openRealtime(...).Database');
    const columns = model.fields.map((f) => `"${f.name}"`).join(', ');
    const writable = model.fields.filter((f) => !f.serverFilled);
    const hasPrevious = db.prepare('SELECT 1 FROM pragma_table_info(\'_ssot_changes\') WHERE name = \'previous\'').get() !== undefined;
    statements = {
      byId: db.prepare(`SELECT ${columns} FROM "${model.table}" WHERE "id" = ?`),
      exists: db.prepare(`SELECT 1 FROM "${model.table}" WHERE "id" = ?`).pluck(),
      update: db.prepare(`UPDATE "${model.table}" SET ${writable.map((f) => `"${f.name}" = @${f.name}`).join(', ')}
        WHERE "id" = @id RETURNING ${columns}`),
      position: db.prepare(`SELECT epoch, "offset" AS floor,
        (SELECT max(c."offset") FROM _ssot_changes AS c WHERE c.model = @model) AS newest
        FROM _ssot_streams WHERE model = @model`),
      setFloor: db.prepare('UPDATE _ssot_streams SET "offset" = ? WHERE model = ?'),
      setEpoch: db.prepare('UPDATE _ssot_streams SET epoch = ? WHERE model = ?'),
      prune: db.prepare('DELETE FROM _ssot_changes WHERE model = ? AND "offset" <= ?'),
      // the row before an update goes in `previous` where the table has it (as ssot's does)
      record: hasPrevious
        ? db.prepare(`INSERT INTO _ssot_changes (model, "offset", event, row_id, owner, data, at, previous_owner, previous)
            VALUES (?, ?, ?, ?, NULL, ?, strftime('%Y-%m-%dT%H:%M:%fZ', 'now'), NULL, ?)`)
        : db.prepare(`INSERT INTO _ssot_changes (model, "offset", event, row_id, owner, data, at)
            VALUES (?, ?, ?, ?, NULL, ?, strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))`),
      hasPrevious,
    };
    statements.updateTx = db.transaction((id, body) => {
      const s = statements;
      const before = s.byId.get(id);
      if (before === undefined) throw new HttpError(404, 'not_found', `no ${model.name} with id '${id}'`);
      // the body's fields over the row's: validated as a whole row, as a PATCH must leave one
      const merged = {};
      for (const f of writable) merged[f.name] = before[f.name];
      const values = validateCreate(model, Object.assign(merged, body));
      const row = s.update.get({ ...values, id });
      const json = JSON.stringify(row);
      const now = position();
      if (now.lost) s.setEpoch.run(crypto.randomBytes(16).toString('hex'), model.name);
      const offset = now.offset + 1;
      if (s.hasPrevious) s.record.run(model.name, offset, 'updated', String(id), json, JSON.stringify(before));
      else s.record.run(model.name, offset, 'updated', String(id), json);
      if (offset % PRUNE_EVERY === 0) {
        s.setFloor.run(offset, model.name);
        if (offset > HISTORY) s.prune.run(model.name, offset - HISTORY);
      }
      return json;
    });
    return statements;
  }

  // position() -> { epoch, offset, lost }: as store.js reads it (the floor or the newest event).
  function position() {
    const r = prepared().position.get({ model: model.name });
    const newest = r.newest ?? 0;
    return { epoch: r.epoch, offset: Math.max(newest, r.floor), lost: r.newest === null && r.floor > 0 };
  }

  const server = {
    model,
    position: () => { const { epoch, offset } = position(); return { epoch, offset }; },
    rowExists: (id) => prepared().exists.get(id) !== undefined,
  };

  return {
    Database: LiveDatabase,
    update(idText, body) {
      if (body === null || typeof body !== 'object' || Array.isArray(body)) {
        throw new HttpError(400, 'invalid_json', 'the body must be a JSON object');
      }
      if (!CANONICAL_ID.test(idText)) throw new HttpError(404, 'not_found', `no ${model.name} with id '${idText}'`);
      return prepared().updateTx.immediate(Number(idText), body);
    },
    message: (text, session) => handleMessage(text, session, server),
    publish,
    position: server.position,
    rowExists: server.rowExists,
  };
}

// openHub() -> the channels of a WebSocket library without topics of its own (ws): which
// sockets subscribe to what, and send(channel, text) turning the text into bytes once and
// writing those bytes to every subscriber. A subscriber with more than LIMITS.sendQueue bytes
// unsent is closed with 4008, as ssot does (docs/protocol.md "Limits").
export function openHub() {
  const channels = new Map();
  return {
    count: (channel) => channels.get(channel)?.size ?? 0,
    add(channel, socket) {
      let set = channels.get(channel);
      if (!set) channels.set(channel, (set = new Set()));
      set.add(socket);
    },
    remove(channel, socket) {
      const set = channels.get(channel);
      if (set && set.delete(socket) && set.size === 0) channels.delete(channel);
    },
    send(channel, text) {
      const set = channels.get(channel);
      if (!set) return;
      const bytes = Buffer.from(text);
      for (const socket of set) {
        if (socket.bufferedAmount > LIMITS.sendQueue) socket.close(4008, 'the send queue is full');
        else socket.send(bytes, { binary: false });
      }
    },
  };
}

export { ProtocolError };
