// The peers' SQLite store on better-sqlite3 (passed in, so each peer resolves its own copy):
// ssot's pragmas, the model's table, and ssot's change stream — every create writes its change
// event in the same transaction as the row, as `ssot serve` does.
import crypto from 'node:crypto';

// History kept per model, pruned every PRUNE_EVERY events in the writing transaction: the
// policy and the tables of ssot's store (src/runtime/store/store_sqlite_stream.c, _schema.c).
// As there, a write does not touch _ssot_streams: its offset is the newest event's plus one;
// _ssot_streams."offset" is a floor written only when pruning.
const HISTORY = 1000;
const PRUNE_EVERY = 64;

// The pragmas of every ssot connection (src/runtime/store/store_sqlite.c, apply_pragmas).
const PRAGMAS = [
  'journal_mode = WAL',
  'synchronous = NORMAL',
  'foreign_keys = ON',
  'busy_timeout = 5000',
  'temp_store = MEMORY',
  'cache_size = -8192',
];

// ssot's own_tables (store_sqlite_schema.c), checked by store.test.mjs. previous_owner and
// previous hold the row before an update; the peers only create, so theirs stay NULL.
const STREAM_DDL = `CREATE TABLE IF NOT EXISTS _ssot_streams (
  model TEXT PRIMARY KEY NOT NULL,
  epoch TEXT NOT NULL,
  "offset" INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS _ssot_changes (
  model TEXT NOT NULL,
  "offset" INTEGER NOT NULL,
  event TEXT NOT NULL,
  row_id TEXT NOT NULL,
  owner TEXT,
  data TEXT NOT NULL,
  at TEXT NOT NULL,
  previous_owner TEXT,
  previous TEXT,
  PRIMARY KEY (model, "offset")
) WITHOUT ROWID;`;

// openStore(Database, file, model) -> { create(values), get(id), list(query) }, each returning
// JSON text ready to send. Database is the better-sqlite3 constructor.
function openStore(Database, file, model) {
  const db = new Database(file);
  for (const pragma of PRAGMAS) db.pragma(pragma);
  db.exec(model.ddl);
  db.exec(STREAM_DDL);
  const newEpoch = () => crypto.randomBytes(16).toString('hex');
  db.prepare('INSERT OR IGNORE INTO _ssot_streams (model, epoch, "offset") VALUES (?, ?, 0)').run(model.name, newEpoch());

  const columns = model.fields.map((f) => `"${f.name}"`).join(', ');
  const writable = model.fields.filter((f) => !f.serverFilled);
  const insert = db.prepare(`INSERT INTO "${model.table}" (${writable.map((f) => `"${f.name}"`).join(', ')})
    VALUES (${writable.map((f) => `@${f.name}`).join(', ')}) RETURNING ${columns}`);
  // ssot's stream_position: the recorded floor and the newest event (one seek on the key).
  const streamRow = db.prepare(`SELECT epoch, "offset" AS floor,
    (SELECT max(c."offset") FROM _ssot_changes AS c WHERE c.model = @model) AS newest
    FROM _ssot_streams WHERE model = @model`);
  const setFloor = db.prepare('UPDATE _ssot_streams SET "offset" = ? WHERE model = ?');
  const setEpoch = db.prepare('UPDATE _ssot_streams SET epoch = ? WHERE model = ?');
  const record = db.prepare(`INSERT INTO _ssot_changes (model, "offset", event, row_id, owner, data, at,
    previous_owner, previous) VALUES (?, ?, ?, ?, NULL, ?, strftime('%Y-%m-%dT%H:%M:%fZ', 'now'), NULL, NULL)`);
  const prune = db.prepare('DELETE FROM _ssot_changes WHERE model = ? AND "offset" <= ?');
  const byId = db.prepare(`SELECT ${columns} FROM "${model.table}" WHERE "id" = ?`);

  // position() -> { epoch, offset, lost }: offset is the larger of the floor and the newest
  // event; lost when the history is empty although the floor is not 0 (events deleted by
  // hand): the next write then starts a new epoch, as ssot's does.
  function position() {
    const r = streamRow.get({ model: model.name });
    const newest = r.newest ?? 0;
    return { epoch: r.epoch, offset: Math.max(newest, r.floor), lost: r.newest === null && r.floor > 0 };
  }

  // The row and its change event commit together or not at all (BEGIN IMMEDIATE, as ssot).
  const createTx = db.transaction((values) => {
    const row = insert.get(values);
    const json = JSON.stringify(row);
    const now = position();
    if (now.lost) setEpoch.run(newEpoch(), model.name);
    const offset = now.offset + 1;
    record.run(model.name, offset, 'created', String(row.id), json);
    // every PRUNE_EVERY events: record the offset as the floor, drop events beyond the history
    if (offset % PRUNE_EVERY === 0) {
      setFloor.run(offset, model.name);
      if (offset > HISTORY) prune.run(model.name, offset - HISTORY);
    }
    return { id: row.id, json };
  });

  // List statements by SQL text: a where/orderBy shape is compiled once.
  const listStatements = new Map();
  function listStatementsFor(where, order) {
    const key = `${where}\n${order}`;
    let s = listStatements.get(key);
    if (!s) {
      s = {
        page: db.prepare(`SELECT ${columns} FROM "${model.table}" WHERE ${where} ORDER BY ${order} LIMIT ? OFFSET ?`),
        count: db.prepare(`SELECT count(*) AS "n" FROM "${model.table}" WHERE ${where}`).pluck(),
      };
      listStatements.set(key, s);
    }
    return s;
  }

  // The page, its total and the stream position come from one read transaction.
  const listTx = db.transaction((q) => {
    const s = listStatementsFor(q.where, q.order);
    const items = s.page.all(...q.args, q.take, q.skip);
    const total = s.count.get(...q.args);
    const { epoch, offset } = position();
    return JSON.stringify({ items, total, skip: q.skip, take: q.take, offset, epoch });
  });

  return {
    create: (values) => createTx.immediate(values),
    get(id) {
      const row = byId.get(id);
      return row === undefined ? null : JSON.stringify(row);
    },
    list: (query) => listTx(query),
    close: () => db.close(),
  };
}

export { openStore, HISTORY, PRUNE_EVERY, PRAGMAS, STREAM_DDL };
