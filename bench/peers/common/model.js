// The bench's Message model as both peers see it (fields in declared order, limits, DDL).
// Mirrors bench/http/config.lua: the DDL is what lua/ssot/sql.lua emits for that config, so
// the peers and `ssot serve` store the same table; the harness compares the schemas.
const message = {
  name: 'Message',
  table: 'messages',
  path: 'messages',
  fields: [
    { name: 'id', type: 'id', serverFilled: true },
    { name: 'roomId', type: 'int' },
    { name: 'author', type: 'string', max: 80 },
    { name: 'text', type: 'string', max: 2000 },
    { name: 'kind', type: 'enum', values: ['text', 'image', 'system'], default: 'text' },
    { name: 'createdAt', type: 'datetime', serverFilled: true, auto: 'create' },
  ],
  ddl: `CREATE TABLE IF NOT EXISTS "messages" (
  "id" INTEGER PRIMARY KEY AUTOINCREMENT,
  "roomId" INTEGER NOT NULL,
  "author" TEXT NOT NULL CHECK (length("author") <= 80),
  "text" TEXT NOT NULL CHECK (length("text") <= 2000),
  "kind" TEXT NOT NULL DEFAULT 'text' CHECK ("kind" IN ('text', 'image', 'system')),
  "createdAt" TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
);
CREATE INDEX IF NOT EXISTS "messages_roomId_idx" ON "messages" ("roomId");`,
};

message.fieldByName = new Map(message.fields.map((f) => [f.name, f]));

// The serve options of the contract (docs/rest.md) the peers honour.
const limits = { maxBody: 1024 * 1024, defaultTake: 20, maxTake: 100 };

export { message, limits };
