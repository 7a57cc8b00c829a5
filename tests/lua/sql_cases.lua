-- What the generated schemas must do once loaded, in both SQL dialects: the cases that
-- tests/lua/sql_spec.lua runs against SQLite (schema.sql) and tests/postgres/schema_spec.lua
-- against PostgreSQL (schema.postgres.sql), so both are held to the same behaviour. The
-- statements are written so both accept them (identifiers double-quoted); where the two
-- answer differently (booleans print 0/1 or f/t, error texts), t.pick chooses.
--
-- Each case is { name, schema = "chat" | "everything" | "awkward", run = function(t) }, where t
-- has: t.dialect ("sqlite" or "postgres"); t.ok(sql) -> the output (rows as a|b lines), failing
-- the test on an error; t.fails(sql, expected) fails unless the database refuses sql with a
-- message containing expected (a string, or { sqlite = ..., postgres = ... }); t.pick(choices).
-- Uses luassert; the specs give the database.
local assert = require "luassert"

local M = {}

-- The refusals, as each database words them (PostgreSQL's hold the constraint's name).
local NOT_NULL = { sqlite = "NOT NULL constraint failed", postgres = "violates not-null constraint" }
local CHECK = { sqlite = "CHECK constraint failed", postgres = "violates check constraint" }
local function unique(name) return { sqlite = "UNIQUE constraint failed", postgres = 'unique constraint "' .. name .. '"' } end
local function foreign_key(name)
  return { sqlite = "FOREIGN KEY constraint failed", postgres = 'violates foreign key constraint "' .. name .. '"' }
end
-- When two constraints refuse at once: which PostgreSQL names depends on its trigger order.
local ANY_FOREIGN_KEY = { sqlite = "FOREIGN KEY constraint failed", postgres = "violates foreign key constraint" }

M.cases = {
  { "fills defaults and auto timestamps", schema = "chat", run = function(t)
    t.ok([[
INSERT INTO "users" ("name", "email") VALUES ('ada', 'ada@example.com');
INSERT INTO "rooms" ("title", "createdBy") VALUES ('general', 1);
INSERT INTO "messages" ("roomId", "authorId", "text") VALUES (1, 1, 'hi');]])
    local iso = t.pick {
      sqlite = [["createdAt" GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]T[0-9][0-9]:[0-9][0-9]:[0-9][0-9].[0-9][0-9][0-9]Z']],
      postgres = [["createdAt" ~ '^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$']],
    }
    local id_type = t.pick { sqlite = [[typeof("id")]], postgres = [[pg_typeof("id")]] }
    t.equal(t.pick { sqlite = "member|integer\n0\ntext|1|1\n", postgres = "member|bigint\nf\ntext|t|t\n" },
      t.ok('SELECT "role", ' .. id_type .. ' FROM "users";\nSELECT "isPrivate" FROM "rooms";\n'
        .. 'SELECT "kind", ' .. iso .. ', "updatedAt" = "createdAt" FROM "messages";'))
  end },

  { "enforces NOT NULL, UNIQUE, enum, bool, max length and JSON checks", schema = "chat", run = function(t)
    -- The rows referenced below come first: a refused insert may use up an id in PostgreSQL.
    t.ok([[INSERT INTO "users" ("name", "email") VALUES ('ada', 'ada@example.com');
INSERT INTO "rooms" ("title", "createdBy") VALUES ('general', 1);]])
    t.fails([[INSERT INTO "users" ("email") VALUES ('x@example.com');]], NOT_NULL)
    t.fails([[INSERT INTO "users" ("name", "email") VALUES ('b', 'ada@example.com');]], unique("users_email_key"))
    t.fails([[INSERT INTO "users" ("name", "email", "role") VALUES ('b', 'b@x', 'owner');]], CHECK)
    t.fails([[INSERT INTO "rooms" ("title", "createdBy", "isPrivate") VALUES ('r', 1, 2);]],
      { sqlite = "CHECK constraint failed", postgres = 'column "isPrivate" is of type boolean' })
    t.fails([[INSERT INTO "rooms" ("title", "createdBy") VALUES (']] .. string.rep("x", 121) .. [[', 1);]], CHECK)
    t.ok([[INSERT INTO "rooms" ("title", "createdBy") VALUES (']] .. string.rep("x", 120) .. [[', 1);]])
    -- max counts characters, not bytes: 120 two-byte characters fit.
    t.ok([[INSERT INTO "rooms" ("title", "createdBy") VALUES (']] .. string.rep("é", 120) .. [[', 1);]])
    t.fails([[INSERT INTO "messages" ("roomId", "authorId", "text", "attachments") VALUES (1, 1, 'a', '{bad');]],
      { sqlite = "CHECK constraint failed", postgres = "invalid input syntax for type json" })
    t.ok([[INSERT INTO "messages" ("roomId", "authorId", "text", "attachments") VALUES (1, 1, 'a', '[1]');]])
    t.ok([[INSERT INTO "messages" ("roomId", "authorId", "text", "attachments") VALUES (1, 1, 'a', NULL);]])
  end },

  { "enforces foreign keys: unknown parents refused, cascade and restrict on delete", schema = "chat", run = function(t)
    t.ok([[INSERT INTO "users" ("name", "email") VALUES ('ada', 'a@x'); INSERT INTO "rooms" ("title", "createdBy") VALUES ('r', 1);]])
    t.fails([[INSERT INTO "room_members" ("roomId", "userId") VALUES (1, 9);]], foreign_key("room_members_userId_fkey"))
    t.ok([[INSERT INTO "room_members" ("roomId", "userId") VALUES (1, 1);]])
    t.fails([[INSERT INTO "room_members" ("roomId", "userId") VALUES (1, 1);]], unique("room_members_roomId_userId_idx"))
    t.fails([[INSERT INTO "messages" ("roomId", "authorId", "text") VALUES (9, 1, 'x');]], foreign_key("messages_roomId_fkey"))
    t.ok([[INSERT INTO "messages" ("roomId", "authorId", "text") VALUES (1, 1, 'x');]])
    t.fails([[DELETE FROM "users" WHERE "id" = 1;]], ANY_FOREIGN_KEY)
    t.equal("0\n0\n", t.ok([[DELETE FROM "rooms" WHERE "id" = 1; SELECT count(*) FROM "messages"; SELECT count(*) FROM "room_members";]]))
    t.ok([[DELETE FROM "users" WHERE "id" = 1;]])
  end },

  { "keeps every type's value, fills every default, and sets null, cascades and restricts on delete",
    schema = "everything", run = function(t)
    t.ok([[
INSERT INTO "people" ("id", "email", "displayName") VALUES ('0b6f2f0e-3c1a-4d2b-9e8f-7a6b5c4d3e2f', 'p@x', 'P');
INSERT INTO "http_logs" ("method", "statusCode", "durationMs") VALUES ('GET', 9223372036854775807, 12.345);]])
    t.equal(t.pick {
      sqlite = 'member|0.5|1|{"tags":["new"],"theme":"dark"}|1\nGET|9223372036854775807|12.345\n',
      postgres = 'member|0.5|t|{"tags":["new"],"theme":"dark"}|t\nGET|9223372036854775807|12.345\n',
    }, t.ok([[SELECT "role", "score", "isActive", "settings", "age" IS NULL FROM "people";
SELECT "method", "statusCode", "durationMs" FROM "http_logs";]]))
    t.fails([[INSERT INTO "people" ("id", "email", "displayName") VALUES ('p2', 'p@x', 'Q');]], unique("people_email_key"))
    t.fails([[INSERT INTO "people" ("email", "displayName") VALUES ('q@x', 'Q');]], NOT_NULL)
    t.fails([[INSERT INTO "http_logs" ("method", "statusCode", "durationMs") VALUES ('get', 200, 1);]], CHECK)
    t.ok([[INSERT INTO "tags" ("id", "label") VALUES ('t1', 'plain');]])
    t.fails([[INSERT INTO "tags" ("id", "label", "color") VALUES ('t2', 'pink', 'pink');]], CHECK)
    t.fails([[INSERT INTO "tags" ("id", "label") VALUES ('t3', ']] .. string.rep("x", 41) .. [[');]], CHECK)

    -- categories: a self-reference, set to null when the parent goes; posts too. Person A
    -- writes a post, B comments on it.
    t.ok([[
INSERT INTO "people" ("id", "email", "displayName") VALUES ('b', 'b@x', 'B');
INSERT INTO "categories" ("name") VALUES ('top');
INSERT INTO "categories" ("name", "parentId") VALUES ('child', 1);
INSERT INTO "blog_posts" ("authorId", "categoryId", "title", "slug", "body") VALUES ('0b6f2f0e-3c1a-4d2b-9e8f-7a6b5c4d3e2f', 1, 'T', 's', 'b');
INSERT INTO "comments" ("postId", "authorId", "text") VALUES (1, 'b', 'c');]])
    t.equal("draft|0|2026-01-01T00:00:00.000Z|0\n",
      t.ok([[SELECT "status", "views", "publishedAt", "sort_order" FROM "blog_posts", "categories" WHERE "categories"."id" = 1;]]))
    t.fails([[INSERT INTO "blog_posts" ("authorId", "title", "slug", "body") VALUES ('nobody', 'T', 's2', 'b');]],
      foreign_key("blog_posts_authorId_fkey"))
    t.fails([[INSERT INTO "blog_posts" ("authorId", "title", "slug", "body") VALUES ('b', 'T', 's', 'b');]],
      unique("blog_posts_slug_key"))
    t.equal("1\n1\n", t.ok([[DELETE FROM "categories" WHERE "id" = 1;
SELECT count(*) FROM "categories" WHERE "parentId" IS NULL;
SELECT count(*) FROM "blog_posts" WHERE "categoryId" IS NULL;]]))
    -- B has a comment, so B cannot go (restrict); A's post goes with A, its comments with it
    -- (cascade), and then B can go.
    t.fails([[DELETE FROM "people" WHERE "id" = 'b';]], foreign_key("comments_authorId_fkey"))
    t.equal("0\n0\n", t.ok([[DELETE FROM "people" WHERE "id" = '0b6f2f0e-3c1a-4d2b-9e8f-7a6b5c4d3e2f';
SELECT count(*) FROM "blog_posts"; SELECT count(*) FROM "comments";]]))
    t.ok([[DELETE FROM "people" WHERE "id" = 'b';]])
  end },

  { "quotes awkward names so SQL keywords and quotes work as identifiers", schema = "awkward", run = function(t)
    t.ok([[INSERT INTO "order" ("id", "select", "we""ird") VALUES ('u1', 's', 1);]])
    t.fails([[INSERT INTO "order" ("id", "select") VALUES ('u2', 's');]], unique("order_select_idx"))
    t.fails([[INSERT INTO "order" ("select") VALUES ('t');]], NOT_NULL)
  end },
}

-- The awkward model of the last case, for fixtures.build (tests/fixtures/phases/ir.lua).
M.awkward = { models = {
  { name = "Order", table = "order", fields = {
    { name = "id", type = "id", id_kind = "uuid" },
    { name = "select", type = "string" },
    { name = 'we"ird', type = "int", optional = true },
  }, indexes = { { name = "order_select_idx", fields = { "select" }, unique = true } } },
} }

-- run(case, db, dialect) with db.exec(sql) -> ok, output: the case's checks, through luassert.
function M.run(case, db, dialect)
  local t = { dialect = dialect }
  function t.pick(choices)
    local choice = choices[dialect]
    assert(choice ~= nil, "no choice for " .. dialect)
    return choice
  end
  function t.ok(statements)
    local ok, output = db.exec(statements)
    assert.is_true(ok, output)
    return output
  end
  function t.fails(statements, expected)
    local ok, output = db.exec(statements)
    assert.is_false(ok, "expected " .. dialect .. " to refuse: " .. statements)
    if type(expected) == "table" then expected = t.pick(expected) end
    assert.matches(expected, output, 1, true)
  end
  function t.equal(expected, actual) assert.are.equal(expected, actual) end
  case.run(t)
end

return M
