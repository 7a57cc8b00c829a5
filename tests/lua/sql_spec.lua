-- Specs for ssot.sql and the built-in `sql` phase: the DDL text, and that the generated
-- schema really loads into SQLite and enforces what the models declare.
local core = require "ssot.core"
local sql = require "ssot.sql"
local template = require "ssot.template"

local SOURCE_DIR = os.getenv("SSOT_SOURCE_DIR") or "."
local fixtures = dofile(SOURCE_DIR .. "/tests/fixtures/phases/ir.lua")

local cases = require "sql_cases"
local fs = require "fs_helpers"
local shell_quote, write_file = fs.quote, fs.write

-- A scratch SQLite database driven through the sqlite3 command-line shell.
local function new_db()
  local dir = fs.tempdir()
  local db = { dir = dir, path = dir .. "/test.db" }
  -- exec(statements) -> ok, output. Foreign keys are per connection: switched on each time.
  function db.exec(statements)
    local file = dir .. "/input.sql"
    write_file(file, "PRAGMA foreign_keys = ON;\n" .. statements .. "\n")
    local p = assert(io.popen("sqlite3 -bail " .. shell_quote(db.path) .. " < " .. shell_quote(file) .. " 2>&1"))
    local output = p:read("a")
    local ok = p:close()
    return ok == true, output
  end
  function db.close() fs.remove(dir) end
  return db
end

local function field(f, model, opts)
  return sql.column_definition(fixtures.build({ models = { { name = "T", table = "t", fields = {
    { name = "id", type = "id" }, f } } } }).models[1].field_by_name[f.name], model, opts)
end

describe("ssot.sql.quote_ident", function()
  it("double-quotes identifiers and doubles embedded quotes", function()
    assert.are.equal('"users"', sql.quote_ident("users"))
    assert.are.equal('"a""b"', sql.quote_ident('a"b'))
    assert.has_error(function() sql.quote_ident("") end)
  end)
end)

describe("ssot.sql.column_definition", function()
  it("makes integer ids autoincrementing primary keys and uuid ids text primary keys", function()
    local ir = fixtures.build({ models = {
      { name = "A", table = "as", fields = { { name = "id", type = "id" } } },
      { name = "B", table = "bs", fields = { { name = "id", type = "id", id_kind = "uuid" } } },
    } })
    assert.are.equal('"id" INTEGER PRIMARY KEY AUTOINCREMENT', sql.column_definition(ir.models[1].fields[1]))
    assert.are.equal('"id" TEXT PRIMARY KEY NOT NULL', sql.column_definition(ir.models[2].fields[1]))
  end)

  it("writes NOT NULL for required fields only", function()
    assert.are.equal('"title" TEXT NOT NULL', field({ name = "title", type = "text" }))
    assert.are.equal('"topic" TEXT', field({ name = "topic", type = "text", optional = true }))
  end)

  it("writes UNIQUE, and CHECK for string max length", function()
    assert.are.equal('"email" TEXT NOT NULL UNIQUE CHECK (length("email") <= 200)',
      field({ name = "email", type = "string", max = 200, unique = true }))
  end)

  it("writes defaults as SQL literals of the field's type", function()
    assert.are.equal([["kind" TEXT NOT NULL DEFAULT 'it''s' CHECK ("kind" IN ('it''s', 'b'))]],
      field({ name = "kind", type = "enum", values = { "it's", "b" }, default = "it's" }))
    assert.are.equal('"on" INTEGER NOT NULL DEFAULT 0 CHECK ("on" IN (0, 1))',
      field({ name = "on", type = "bool", default = false }))
    assert.are.equal('"n" INTEGER NOT NULL DEFAULT 42', field({ name = "n", type = "int", default = 42 }))
    assert.are.equal('"r" REAL NOT NULL DEFAULT 0.1', field({ name = "r", type = "float", default = 0.1 }))
    assert.are.equal([["j" TEXT NOT NULL DEFAULT '{"a":[1,2],"b":"x''y"}' CHECK (json_valid("j"))]],
      field({ name = "j", type = "json", default = { b = "x'y", a = { 1, 2 } } }))
    assert.are.equal([["at" TEXT NOT NULL DEFAULT '2026-01-02T03:04:05.000Z']],
      field({ name = "at", type = "datetime", default = "2026-01-02T03:04:05.000Z" }))
  end)

  it("fills auto datetimes with the current ISO time in milliseconds", function()
    assert.are.equal([["createdAt" TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))]],
      field({ name = "createdAt", type = "datetime", auto = "create" }))
  end)

  it("explains an IR field without sql_type or with a default of the wrong type", function()
    local model = { name = "M" }
    assert.has_error(function() sql.column_definition({ name = "x", type = "int" }, model) end,
      "sql: model 'M' field 'x': the IR field has no sql_type (see docs/ir.md)")
    assert.has_error(function() field({ name = "n", type = "int", default = "7" }, model) end,
      "sql: model 'M' field 'n': default must be an integer, got 7")
  end)
end)

describe("ssot.sql tables and indexes", function()
  it("declares columns in order, then foreign keys with their ON DELETE action", function()
    local ir = fixtures.chat()
    assert.are.equal(table.concat({
      'CREATE TABLE IF NOT EXISTS "messages" (',
      '  "id" INTEGER PRIMARY KEY AUTOINCREMENT,',
      '  "roomId" INTEGER NOT NULL,',
      '  "authorId" INTEGER NOT NULL,',
      '  "text" TEXT NOT NULL CHECK (length("text") <= 2000),',
      [[  "kind" TEXT NOT NULL DEFAULT 'text' CHECK ("kind" IN ('text', 'image', 'system')),]],
      '  "attachments" TEXT CHECK ("attachments" IS NULL OR json_valid("attachments")),',
      '  "editedAt" TEXT,',
      [[  "createdAt" TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),]],
      [[  "updatedAt" TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),]],
      '  FOREIGN KEY ("roomId") REFERENCES "rooms" ("id") ON DELETE CASCADE,',
      '  FOREIGN KEY ("authorId") REFERENCES "users" ("id") ON DELETE RESTRICT',
      ');',
    }, "\n"), sql.create_table(ir.model_by_name.Message, ir))
  end)

  it("uses references.table without the IR, and asks for the IR when it needs it", function()
    local ir = fixtures.chat()
    local message = ir.model_by_name.Message
    assert.has_error(function() sql.create_table(message) end,
      "sql: model 'Message' field 'roomId' references model 'Room': pass the IR to find its table "
      .. "(sql.create_table(model, ir))")
    message.field_by_name.roomId.references.table = "rooms"
    message.field_by_name.authorId.references.table = "users"
    assert.matches('REFERENCES "rooms"', sql.create_table(message))
  end)

  it("rejects ON DELETE SET NULL on a required field and unknown target models", function()
    local ir = fixtures.chat()
    local message = ir.model_by_name.Message
    message.field_by_name.roomId.references.on_delete = "set_null"
    assert.has_error(function() sql.create_table(message, ir) end,
      "sql: model 'Message' field 'roomId': on_delete set_null needs an optional field")
    message.field_by_name.roomId.references = { model = "Rooom", field = "id" }
    assert.has_error(function() sql.create_table(message, ir) end,
      "sql: model 'Message' field 'roomId' references unknown model 'Rooom'")
  end)

  it("creates plain and unique indexes over the indexed columns", function()
    local ir = fixtures.chat()
    local message = ir.model_by_name.Message
    assert.are.equal('CREATE INDEX IF NOT EXISTS "messages_roomId_createdAt_idx" ON "messages" ("roomId", "createdAt");',
      sql.create_index(message.indexes[2], message))
    assert.are.equal('CREATE UNIQUE INDEX IF NOT EXISTS "u" ON "messages" ("authorId", "text");',
      sql.create_index({ name = "u", fields = { "authorId", "text" }, unique = true }, message))
    assert.has_error(function() sql.create_index({ name = "x", fields = { "nope" } }, message) end,
      "sql: model 'Message' index 'x': unknown field 'nope'")
  end)
end)

describe("ssot.sql.schema in SQLite", function()
  local db
  before_each(function()
    db = new_db()
    local ok, output = db.exec(sql.schema(fixtures.chat()))
    assert.is_true(ok, output)
  end)
  after_each(function() db.close() end)

  local function exec_ok(statements)
    local ok, output = db.exec(statements)
    assert.is_true(ok, output)
    return output
  end

  it("creates every table and index, and loads again over itself", function()
    local out = exec_ok("SELECT name FROM sqlite_master WHERE type IN ('table', 'index') AND name NOT LIKE 'sqlite_%' ORDER BY name;")
    assert.are.equal(table.concat({ "messages", "messages_authorId_idx", "messages_roomId_createdAt_idx",
      "messages_roomId_idx", "room_members", "room_members_roomId_idx", "room_members_roomId_userId_idx",
      "room_members_userId_idx", "rooms", "rooms_createdBy_idx", "users", "" }, "\n"), out)
    exec_ok(sql.schema(fixtures.chat()))
  end)
end)

describe("ssot.sql's postgres dialect", function()
  local PG = { dialect = "postgres" }
  local NOW = [[(to_char(statement_timestamp() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'))]]
  local function pg_field(f, model) return field(f, model, PG) end

  it("takes each column type from ssot.facts", function()
    local facts = require "ssot.facts"
    for _, t in ipairs(facts.field_types) do
      if t.name ~= "id" then
        local f = { name = "x", type = t.name, optional = true, values = t.name == "enum" and { "a" } or nil }
        assert.matches('^"x" ' .. facts.sql_type(t.name, false, "postgres"):gsub(" ", "%%s") .. "[ ]?",
          pg_field(f), nil, false)
      end
    end
  end)

  it("makes integer ids identity primary keys and uuid ids text primary keys", function()
    local ir = fixtures.build({ models = {
      { name = "A", table = "as", fields = { { name = "id", type = "id" } } },
      { name = "B", table = "bs", fields = { { name = "id", type = "id", id_kind = "uuid" } } },
    } })
    assert.are.equal('"id" BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY',
      sql.column_definition(ir.models[1].fields[1], ir.models[1], PG))
    assert.are.equal('"id" TEXT PRIMARY KEY', sql.column_definition(ir.models[2].fields[1], ir.models[2], PG))
  end)

  it("writes NOT NULL, UNIQUE, the max length in characters, enum and no bool or JSON checks", function()
    assert.are.equal('"title" TEXT NOT NULL', pg_field({ name = "title", type = "text" }))
    assert.are.equal('"topic" TEXT', pg_field({ name = "topic", type = "text", optional = true }))
    assert.are.equal('"email" TEXT NOT NULL UNIQUE CHECK (char_length("email") <= 200)',
      pg_field({ name = "email", type = "string", max = 200, unique = true }))
    assert.are.equal('"on" BOOLEAN NOT NULL', pg_field({ name = "on", type = "bool" }))
    assert.are.equal('"j" JSON', pg_field({ name = "j", type = "json", optional = true }))
    assert.are.equal('"r" DOUBLE PRECISION NOT NULL', pg_field({ name = "r", type = "float" }))
  end)

  it("writes defaults as PostgreSQL literals of the field's type", function()
    assert.are.equal([["kind" TEXT NOT NULL DEFAULT 'it''s' CHECK ("kind" IN ('it''s', 'b'))]],
      pg_field({ name = "kind", type = "enum", values = { "it's", "b" }, default = "it's" }))
    assert.are.equal('"on" BOOLEAN NOT NULL DEFAULT FALSE', pg_field({ name = "on", type = "bool", default = false }))
    assert.are.equal('"on" BOOLEAN NOT NULL DEFAULT TRUE', pg_field({ name = "on", type = "bool", default = true }))
    assert.are.equal('"n" BIGINT NOT NULL DEFAULT -42', pg_field({ name = "n", type = "int", default = -42 }))
    assert.are.equal('"r" DOUBLE PRECISION NOT NULL DEFAULT 0.1', pg_field({ name = "r", type = "float", default = 0.1 }))
    assert.are.equal([["j" JSON NOT NULL DEFAULT '{"a":[1,2],"b":"x''y\\z"}']],
      pg_field({ name = "j", type = "json", default = { b = "x'y\\z", a = { 1, 2 } } }))
    assert.are.equal([["at" TEXT NOT NULL DEFAULT '2026-01-02T03:04:05.000Z']],
      pg_field({ name = "at", type = "datetime", default = "2026-01-02T03:04:05.000Z" }))
  end)

  it("fills auto datetimes with the same ISO text in UTC, milliseconds included", function()
    assert.are.equal('"createdAt" TEXT NOT NULL DEFAULT ' .. NOW,
      pg_field({ name = "createdAt", type = "datetime", auto = "update" }))
    assert.are.equal(NOW, sql.now(PG))
    assert.are.equal(sql.NOW, sql.now())
  end)

  it("names foreign keys as PostgreSQL would and keeps the ON DELETE actions", function()
    local ir = fixtures.chat()
    assert.are.equal(table.concat({
      'CREATE TABLE IF NOT EXISTS "room_members" (',
      '  "id" BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,',
      '  "roomId" BIGINT NOT NULL,',
      '  "userId" BIGINT NOT NULL,',
      '  "createdAt" TEXT NOT NULL DEFAULT ' .. NOW .. ',',
      '  CONSTRAINT "room_members_roomId_fkey" FOREIGN KEY ("roomId") REFERENCES "rooms" ("id") ON DELETE CASCADE,',
      '  CONSTRAINT "room_members_userId_fkey" FOREIGN KEY ("userId") REFERENCES "users" ("id") ON DELETE CASCADE',
      ');',
    }, "\n"), sql.create_table(ir.model_by_name.RoomMember, ir, PG))
    local message = ir.model_by_name.Message
    message.field_by_name.roomId.references.on_delete = "set_null"
    assert.has_error(function() sql.create_table(message, ir, PG) end,
      "sql: model 'Message' field 'roomId': on_delete set_null needs an optional field")
  end)

  it("creates plain and unique indexes with the same names as in SQLite", function()
    local message = fixtures.chat().model_by_name.Message
    for _, index in ipairs(message.indexes) do
      assert.are.equal(sql.create_index(index, message), sql.create_index(index, message, PG))
    end
    assert.are.equal('CREATE UNIQUE INDEX IF NOT EXISTS "u" ON "messages" ("authorId", "text");',
      sql.create_index({ name = "u", fields = { "authorId", "text" }, unique = true }, message, PG))
  end)

  it("quotes awkward names the same way", function()
    local awkward = fixtures.build(cases.awkward)
    local text = sql.schema(awkward, PG)
    assert.matches('CREATE TABLE IF NOT EXISTS "order" (\n  "id" TEXT PRIMARY KEY,\n  "select" TEXT NOT NULL,\n'
      .. '  "we""ird" BIGINT\n);\nCREATE UNIQUE INDEX IF NOT EXISTS "order_select_idx" ON "order" ("select");', text, 1, true)
  end)

  it("creates each table after the tables it references, in IR order otherwise", function()
    local ir = fixtures.chat()
    local order = {}
    for i, model in ipairs((sql.creation_order(ir, PG))) do order[i] = model.name end
    assert.are.same({ "User", "Room", "Message", "RoomMember" }, order)
    local sqlite_order = {}
    for i, model in ipairs((sql.creation_order(ir))) do sqlite_order[i] = model.name end
    assert.are.same({ "Message", "Room", "RoomMember", "User" }, sqlite_order)
    local text = sql.schema(ir, PG)
    assert.is_true(text:find('CREATE TABLE IF NOT EXISTS "users"', 1, true)
      < text:find('CREATE TABLE IF NOT EXISTS "rooms"', 1, true))
  end)

  it("adds the foreign keys of a cycle once both tables are there", function()
    local ir = fixtures.build({ models = {
      { name = "Team", table = "teams", fields = { { name = "id", type = "id" },
        { name = "leadId", type = "int", optional = true, references = { model = "User", field = "id", on_delete = "set_null" } } } },
      { name = "User", table = "users", fields = { { name = "id", type = "id" },
        { name = "teamId", type = "int", optional = true, references = { model = "Team", field = "id", on_delete = "cascade" } },
        { name = "mentorId", type = "int", optional = true, references = { model = "User", field = "id" } } } },
    } })
    local models, late = sql.creation_order(ir, PG)
    assert.are.same({ "User", "Team" }, { models[1].name, models[2].name })
    assert.are.equal(1, #late)
    assert.are.equal("teamId", late[1].field.name)
    local text = sql.schema(ir, PG)
    assert.matches('CREATE TABLE IF NOT EXISTS "users" (\n  "id" BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,\n'
      .. '  "teamId" BIGINT,\n  "mentorId" BIGINT,\n'
      .. '  CONSTRAINT "users_mentorId_fkey" FOREIGN KEY ("mentorId") REFERENCES "users" ("id")\n);', text, 1, true)
    local last = 'DO $ssot$ BEGIN\n  ALTER TABLE "users" ADD CONSTRAINT "users_teamId_fkey" FOREIGN KEY ("teamId") '
      .. 'REFERENCES "teams" ("id") ON DELETE CASCADE;\nEXCEPTION WHEN duplicate_object THEN NULL;\nEND $ssot$;\n'
    assert.are.equal(last, text:sub(-#last))
    assert.has_error(function() sql.add_foreign_key(late[1].field, late[1].model, ir) end)
  end)

  it("refuses names PostgreSQL would cut at 63 bytes, and unknown dialects", function()
    local long = string.rep("a", 64)
    local ir = fixtures.build({ models = { { name = "T", table = "t", fields = { { name = "id", type = "id" },
      { name = long, type = "int" } }, indexes = { { name = "t_" .. long .. "_idx", fields = { long } } } } } })
    assert.has_error(function() sql.schema(ir, PG) end, "sql: model 'T' field '" .. long .. "': the name '" .. long
      .. "' is 64 bytes; PostgreSQL keeps 63 and would cut it (two names could become one): choose a shorter name")
    assert.has_no_error(function() sql.schema(ir) end)
    assert.has_error(function() sql.schema(ir, { dialect = "mysql" }) end, "sql: unknown dialect 'mysql' (sqlite, postgres)")
  end)
end)

-- The behaviour both dialects share (tests/lua/sql_cases.lua; tests/postgres runs the same
-- cases against PostgreSQL), each case in a database of its own.
describe("ssot.sql.schema in SQLite, the cases both dialects share", function()
  local schemas = {
    chat = fixtures.chat,
    everything = function()
      return require("ssot.config").load(SOURCE_DIR .. "/tests/fixtures/configs/everything.lua")
    end,
    awkward = function() return fixtures.build(cases.awkward) end,
  }
  for _, case in ipairs(cases.cases) do
    it(case[1], function()
      local db = new_db()
      local loaded, output = db.exec(sql.schema(schemas[case.schema]()))
      local ok, err = pcall(function()
        assert.is_true(loaded, output)
        cases.run(case, db, "sqlite")
      end)
      db.close()
      if not ok then error(err, 0) end
    end)
  end
end)

describe("the sql phase", function()
  local phase = require "ssot.phases.sql"

  -- A context whose emitter records what was emitted.
  local function context(ir)
    local files = {}
    local emitter = { emit = function(_, path, content) files[path] = content return "created" end }
    return require("ssot.context").new { ir = ir, emitter = emitter }, files
  end

  before_each(template.clear_cache)
  after_each(function() core.set_lib_dirs({}) end)

  it("writes schema.sql with the header and the DDL of every model", function()
    local ir = fixtures.chat()
    local ctx, files = context(ir)
    assert.is_true((phase.should_run(ctx)))
    phase.run(ctx)
    local text = files["schema.sql"]
    assert.are.equal("-- Generated by ssot from config.lua — do not edit.\n", text:match("^[^\n]*\n"))
    for _, model in ipairs(ir.models) do
      assert.truthy(text:find(sql.model_schema(model, ir), 1, true), model.name)
    end
    -- The file loads into SQLite as it is.
    local db = new_db()
    local ok, output = db.exec(text)
    db.close()
    assert.is_true(ok, output)
  end)

  it("is switched off by targets.sql = false, and says so", function()
    local ir = fixtures.chat()
    ir.targets.sql = false
    local run, reason = phase.should_run(context(ir))
    assert.is_false(run)
    assert.are.equal("targets.sql = false", reason)
  end)

  it("uses a template override from a library directory", function()
    core.set_lib_dirs({ SOURCE_DIR .. "/tests/fixtures/templates/override" })
    local ctx, files = context(fixtures.chat())
    phase.run(ctx)
    assert.are.equal("-- overridden schema for chat\n", files["schema.sql"])
  end)
end)

describe("the postgres phase", function()
  local phase = require "ssot.phases.postgres"

  it("is off unless targets.postgres = true, and says so", function()
    local ir = fixtures.chat()
    local ctx = require("ssot.context").new { ir = ir, emitter = { emit = function() end } }
    assert.are.same({ false, "targets.postgres = false" }, { phase.should_run(ctx) })
    ir.targets.postgres = true
    assert.is_true((phase.should_run(ctx)))
  end)

  it("writes schema.postgres.sql: a header, the session settings it needs, the DDL in creation order", function()
    local ir = fixtures.chat()
    local files = {}
    local emitter = { emit = function(_, path, content) files[path] = content return "created" end }
    template.clear_cache()
    phase.run(require("ssot.context").new { ir = ir, emitter = emitter })
    local text = files["schema.postgres.sql"]
    local head = table.concat({
      "-- Generated by ssot from config.lua — do not edit.",
      "-- PostgreSQL schema of the chat models (PostgreSQL 10 or newer). Loads again over itself.",
      "SET client_encoding = 'UTF8';",
      "SET standard_conforming_strings = on;",
      "",
      "-- User",
      'CREATE TABLE IF NOT EXISTS "users" (',
    }, "\n")
    assert.are.equal(head, text:sub(1, #head))
    for _, model in ipairs(ir.models) do
      assert.truthy(text:find(sql.model_schema(model, ir, { dialect = "postgres" }), 1, true), model.name)
    end
  end)
end)

describe("the chat example's schema", function()
  if not pcall(require, "ssot.config") then
    pending("needs ssot.config (the config loader)")
    return
  end

  it("is the DDL of the models docs/ir.md describes, and loads into SQLite", function()
    local ir = require("ssot.config").load(SOURCE_DIR .. "/examples/chat/config.lua")
    local text = sql.schema(ir)
    assert.are.equal(sql.schema(fixtures.chat()), text)
    local db = new_db()
    local ok, output = db.exec(text .. [[
INSERT INTO users (name, email) VALUES ('ada', 'ada@example.com');
INSERT INTO rooms (title, createdBy) VALUES ('general', 1);
INSERT INTO messages (roomId, authorId, text) VALUES (1, 1, 'hello');
INSERT INTO room_members (roomId, userId) VALUES (1, 1);
SELECT count(*) FROM messages;
DELETE FROM rooms;
SELECT count(*) FROM messages;
SELECT count(*) FROM room_members;]])
    db.close()
    assert.is_true(ok, output)
    assert.are.equal("1\n0\n0\n", output, "a room's messages and members go with it")
  end)
end)
