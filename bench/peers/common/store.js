// The peers' SQLite store on better-sqlite3 (passed in, so each peer resolves its own copy):
// ssot's durability pragmas, the model's table, and ssot's change stream — every create writes
// its change event in the same transaction as the row, as `ssot serve` does.
import crypto from 'node:crypto';

// History kept per model, pruned every PRUNE_EVERY events in the writing transaction: the
// policy and the tables of ssot's store (src/runtime/store_sqlite_stream.c, _schema.c).
const HISTORY = 1000;
const PRUNE_EVERY = 64;

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
  PRIMARY KEY (model, "offset")
) WITHOUT ROWID;`;

// openStore(Database, file, model) -> { create(values), get(id), list(query) }, each returning
// JSON text ready to send. Database is the better-sqlite3 constructor.
function openStore(Database, file, model) {
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.pragma('foreign_keys = ON');
  db.pragma('busy_timeout = 5000');
  db.exec(model.ddl);
  db.exec(STREAM_DDL);
  db.prepare('INSERT OR IGNORE INTO _ssot_streams (model, epoch, "offset") VALUES (?, ?, 0)')
    .run(model.name, crypto.randomBytes(16).toString('hex'));

  const columns = model.fields.map((f) => `"${f.name}"`).join(', ');
  const writable = model.fields.filter((f) => !f.serverFilled);
  const insert = db.prepare(`INSERT INTO "${model.table}" (${writable.map((f) => `"${f.name}"`).join(', ')})
    VALUES (${writable.map((f) => `@${f.name}`).join(', ')}) RETURNING ${columns}`);
  const advance = db.prepare('UPDATE _ssot_streams SET "offset" = "offset" + 1 WHERE model = ? RETURNING "offset", epoch');
  const record = db.prepare(`INSERT INTO _ssot_changes (model, "offset", event, row_id, owner, data, at)
    VALUES (?, ?, ?, ?, NULL, ?, strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))`);
  const prune = db.prepare('DELETE FROM _ssot_changes WHERE model = ? AND "offset" <= ?');
  const byId = db.prepare(`SELECT ${columns} FROM "${model.table}" WHERE "id" = ?`);
  const position = db.prepare('SELECT epoch, "offset" FROM _ssot_streams WHERE model = ?');

  // The row and its change event commit together or not at all (BEGIN IMMEDIATE, as ssot).
  const createTx = db.transaction((values) => {
    const row = insert.get(values);
    const json = JSON.stringify(row);
    const { offset } = advance.get(model.name);
    record.run(model.name, offset, 'created', String(row.id), json);
    if (offset % PRUNE_EVERY === 0 && offset > HISTORY) prune.run(model.name, offset - HISTORY);
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
    const { epoch, offset } = position.get(model.name);
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

export { openStore };
