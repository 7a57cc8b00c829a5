-- ssot.sql's postgres dialect in a real PostgreSQL (tests/postgres/run.sh starts a throwaway
-- one and gives SSOT_PG_URL and SSOT_PSQL): schema.postgres.sql of examples/chat and of the
-- every-type fixture loads, loads again over itself, and holds to the cases
-- tests/lua/sql_cases.lua also runs against SQLite; a cycle of foreign keys loads twice.
-- Uses psql, ssot.config, the postgres phase, ssot.sql.
local sql = require "ssot.sql"
local template = require "ssot.template"
local cases = require "sql_cases"
local fs = require "fs_helpers"

local SOURCE_DIR = os.getenv("SSOT_SOURCE_DIR") or "."
local URL = assert(os.getenv("SSOT_PG_URL"), "SSOT_PG_URL: run through tests/postgres/run.sh")
local PSQL = assert(os.getenv("SSOT_PSQL"), "SSOT_PSQL: run through tests/postgres/run.sh")
local fixtures = dofile(SOURCE_DIR .. "/tests/fixtures/phases/ir.lua")

-- A scratch schema of the database, driven through psql, as sql_spec drives sqlite3: rows come
-- back as a|b lines, and an error stops the script with its message.
local count = 0
local function new_db()
  count = count + 1
  local dir = fs.tempdir()
  local name = "t" .. count
  local db = { dir = dir }
  local function psql(statements)
    local file = dir .. "/input.sql"
    fs.write(file, statements .. "\n")
    local p = assert(io.popen(fs.quote(PSQL) .. " -X -q -A -t -v ON_ERROR_STOP=1 -d " .. fs.quote(URL)
      .. " -f " .. fs.quote(file) .. " 2>&1"))
    local output = p:read("a")
    local ok = p:close()
    return ok == true, output
  end
  -- exec(statements) -> ok, output; in this schema, without the notices of IF NOT EXISTS.
  function db.exec(statements)
    return psql("SET client_min_messages = warning;\nSET search_path TO " .. name .. ";\n" .. statements)
  end
  function db.close()
    psql("DROP SCHEMA IF EXISTS " .. name .. " CASCADE;")
    fs.remove(dir)
  end
  assert(psql("CREATE SCHEMA " .. name .. ";"))
  return db
end

local function load_config(path)
  return require("ssot.config").load(SOURCE_DIR .. "/" .. path)
end

-- What the postgres phase writes for ir: schema.postgres.sql.
local function generated(ir)
  ir.targets.postgres = true
  local files = {}
  local emitter = { emit = function(_, path, content) files[path] = content return "created" end }
  template.clear_cache()
  require("ssot.phases.postgres").run(require("ssot.context").new { ir = ir, emitter = emitter })
  return assert(files["schema.postgres.sql"])
end

-- Runs fn(db, text) in a new schema holding text, loaded twice; drops the schema after.
local function with_schema(text, fn)
  local db = new_db()
  local ok, err = pcall(function()
    local loaded, output = db.exec(text)
    assert.is_true(loaded, output)
    loaded, output = db.exec(text)
    assert.is_true(loaded, "loading it again: " .. output)
    fn(db)
  end)
  db.close()
  if not ok then error(err, 0) end
end

describe("schema.postgres.sql in PostgreSQL", function()
  local schemas = {
    chat = function() return generated(load_config("examples/chat/config.lua")) end,
    everything = function() return generated(load_config("tests/fixtures/configs/everything.lua")) end,
    awkward = function() return generated(fixtures.build(cases.awkward)) end,
  }

  it("of the chat example creates every table, index and foreign key, loading twice", function()
    with_schema(schemas.chat(), function(db)
      local ok, out = db.exec([[
SELECT tablename FROM pg_tables WHERE schemaname = current_schema() UNION ALL
SELECT indexname FROM pg_indexes WHERE schemaname = current_schema() AND indexname LIKE '%\_idx' ORDER BY 1;
SELECT conname FROM pg_constraint WHERE contype = 'f' AND connamespace = current_schema()::regnamespace ORDER BY 1;]])
      assert.is_true(ok, out)
      assert.are.equal(table.concat({ "messages", "messages_authorId_idx", "messages_roomId_createdAt_idx",
        "messages_roomId_idx", "room_members", "room_members_roomId_idx", "room_members_roomId_userId_idx",
        "room_members_userId_idx", "rooms", "rooms_createdBy_idx", "users",
        "messages_authorId_fkey", "messages_roomId_fkey", "room_members_roomId_fkey", "room_members_userId_fkey",
        "rooms_createdBy_fkey", "" }, "\n"), out)
    end)
  end)

  it("of the chat example is the file the SQLite schema's DDL functions give, in the postgres dialect", function()
    local ir = load_config("examples/chat/config.lua")
    local text = schemas.chat()
    for _, model in ipairs(ir.models) do
      assert.truthy(text:find(sql.model_schema(model, ir, { dialect = "postgres" }), 1, true), model.name)
    end
  end)

  for _, case in ipairs(cases.cases) do
    it(case[1] .. " (" .. case.schema .. ")", function()
      with_schema(schemas[case.schema](), function(db) cases.run(case, db, "postgres") end)
    end)
  end

  it("keeps the milliseconds and UTC of auto datetimes whatever the session's time zone", function()
    with_schema(schemas.chat(), function(db)
      local ok, out = db.exec([[SET TIME ZONE 'America/New_York'; SET DateStyle = 'SQL, DMY';
INSERT INTO "users" ("name", "email") VALUES ('ada', 'a@x');
SELECT "createdAt" ~ '^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$',
  abs(extract(epoch FROM now() - "createdAt"::timestamptz)) < 60 FROM "users";]])
      assert.is_true(ok, out)
      assert.are.equal("t|t\n", out)
    end)
  end)

  it("with a cycle of foreign keys loads twice and enforces both directions", function()
    local ir = fixtures.build({ models = {
      { name = "Team", table = "teams", fields = { { name = "id", type = "id" },
        { name = "leadId", type = "int", optional = true, references = { model = "User", field = "id", on_delete = "set_null" } } } },
      { name = "User", table = "users", fields = { { name = "id", type = "id" },
        { name = "teamId", type = "int", optional = true, references = { model = "Team", field = "id", on_delete = "cascade" } } } },
    } })
    with_schema(generated(ir), function(db)
      local ok, out = db.exec([[
INSERT INTO "teams" DEFAULT VALUES;
INSERT INTO "users" ("teamId") VALUES (1);
UPDATE "teams" SET "leadId" = 1;
DELETE FROM "teams";
SELECT count(*) FROM "users";]])
      assert.is_true(ok, out)
      assert.are.equal("0\n", out)
      ok, out = db.exec([[INSERT INTO "users" ("teamId") VALUES (9);]])
      assert.is_false(ok)
      assert.matches('violates foreign key constraint "users_teamId_fkey"', out, 1, true)
    end)
  end)
end)
