-- Specs for the model IR (docs/ir.md): what phases and the runtime read for each model,
-- field, relation, index, rule and section, its determinism and its schema hash.
local config = require "ssot.config"
local json = require "ssot.json"
local support = require "config_support"

local EVERYTHING = support.source_dir .. "/tests/fixtures/configs/everything.lua"

-- The IR without functions and back-references, as JSON (for comparing whole IRs).
local function plain(ir)
  local function strip(v)
    if type(v) == "function" then return "<function>" end
    if type(v) ~= "table" then return v end
    local out = {}
    for k, x in pairs(v) do
      if k ~= "model_by_name" and k ~= "field_by_name" and k ~= "primary_key" then out[k] = strip(x) end
    end
    return out
  end
  return json.encode(strip(ir))
end

local function names_of(list)
  local out = {}
  for i, item in ipairs(list) do out[i] = item.name end
  return out
end

describe("the model IR", function()
  local ir
  setup(function() ir = config.load(EVERYTHING) end)

  describe("top level", function()
    it("has the version, sorted models and a name index onto the same tables", function()
      assert.are.equal(1, ir.version)
      assert.are.same({ "BlogPost", "Category", "Comment", "HTTPLog", "Person", "Tag" }, names_of(ir.models))
      for _, model in ipairs(ir.models) do assert.are.equal(model, ir.model_by_name[model.name]) end
    end)

    it("has the targets, auth and serve sections with paths made absolute", function()
      assert.are.same({ sql = true, postgres = false, sdk = true, react = true, openapi = true, asyncapi = true },
        ir.targets)
      assert.are.same({ secret_env = "EVERYTHING_JWT_SECRET", algorithm = "HS256", id_claim = "sub",
        role_claim = "role", admin_role = "admin" }, ir.auth)
      assert.are.same({
        host = "127.0.0.1", port = 8099, database = support.source_dir .. "/tests/fixtures/configs/data/everything.db",
        cors = { origins = { "http://localhost:5173" }, credentials = true }, max_body = 65536, default_take = 10, workers = 1,
        max_take = 50,
      }, ir.serve)
      assert.are.same({}, ir.lib)
      assert.are.same({}, ir.phases)
    end)

    it("has the routes with their functions", function()
      assert.are.equal(1, #ir.routes)
      assert.are.equal("GET", ir.routes[1].method)
      assert.are.equal("/api/stats", ir.routes[1].path)
      assert.are.same({ ok = true, path = "/x" }, ir.routes[1].fn({ path = "/x" }))
    end)

    it("sorts routes by path, then method", function()
      local routes = support.load(support.TODO .. [[
routes = {
  ["POST /b"] = function() end,
  ["get /b"] = function() end,
  ["DELETE /a"] = function() end,
}
]]).routes
      local seen = {}
      for i, r in ipairs(routes) do seen[i] = r.method .. " " .. r.path end
      assert.are.same({ "DELETE /a", "GET /b", "POST /b" }, seen)
    end)

    it("fills every default for a minimal config", function()
      local minimal = support.load(support.TODO)
      local cwd = require("ssot.core").getcwd()
      assert.are.equal(cwd:match("([^/]+)$"), minimal.name)
      assert.are.equal(cwd .. "/generated", minimal.output)
      assert.are.same({ secret_env = "SSOT_JWT_SECRET", algorithm = "HS256", id_claim = "sub", role_claim = "role",
        admin_role = "admin" }, minimal.auth)
      assert.are.same({ host = "localhost", port = 8080, database = cwd .. "/data/" .. minimal.name .. ".db",
        cors = { origins = { "*" }, credentials = false }, max_body = 1048576, default_take = 20, max_take = 100, workers = 1 },
        minimal.serve)
      assert.are.same({ enabled = false, path = "/ws", channels = {},
        reconnect = { max_attempts = 10, backoff = "exponential", base_delay = 1000 },
        batching = { enabled = false, flush_interval = 50, max_batch_size = 100 },
        limits = { subscriptions = 100, message_size = 65536, messages_per_second = 100, send_queue = 1048576 },
        history = 1000 }, minimal.websockets)
      assert.are.same({}, minimal.routes)
      local todo = minimal.model_by_name.Todo
      for _, action in ipairs { "list", "get", "create", "update", "delete" } do
        assert.are.same({ source = "true", ast = { op = "true" } }, todo.permissions[action])
      end
      assert.are.same({}, todo.hooks)
      assert.is_nil(todo.realtime)
      assert.is_nil(todo.owner)
    end)
  end)

  describe("models", function()
    it("derives names, the table and the REST path", function()
      local person, post, log = ir.model_by_name.Person, ir.model_by_name.BlogPost, ir.model_by_name.HTTPLog
      assert.are.same({ pascal = "Person", camel = "person", kebab = "person", snake = "person",
        plural_pascal = "People", plural_camel = "people", plural_kebab = "people", plural_snake = "people" }, person.names)
      assert.are.same({ pascal = "BlogPost", camel = "blogPost", kebab = "blog-post", snake = "blog_post",
        plural_pascal = "BlogPosts", plural_camel = "blogPosts", plural_kebab = "blog-posts",
        plural_snake = "blog_posts" }, post.names)
      assert.are.same({ pascal = "HTTPLog", camel = "httpLog", kebab = "http-log", snake = "http_log",
        plural_pascal = "HTTPLogs", plural_camel = "httpLogs", plural_kebab = "http-logs",
        plural_snake = "http_logs" }, log.names)
      assert.are.equal("people", person.table)
      assert.are.equal("people", person.path)
      assert.are.equal("categories", ir.model_by_name.Category.table)
      assert.are.equal("topics", ir.model_by_name.Category.path)
      assert.are.equal("blog-posts", post.path)
      assert.are.equal("http_logs", log.table)
    end)

    it("keeps the description and the owner", function()
      assert.are.equal("A post; its author owns it.", ir.model_by_name.BlogPost.description)
      assert.are.equal("authorId", ir.model_by_name.BlogPost.owner)
      assert.is_nil(ir.model_by_name.Tag.description)
      assert.is_nil(ir.model_by_name.Tag.owner)
    end)

    it("strips slashes at the ends of a configured path", function()
      local model = support.load('models = { Todo = { path = "/v1/todo-items/", fields = { { "id", "id" } } } }\n')
        .model_by_name.Todo
      assert.are.equal("v1/todo-items", model.path)
    end)
  end)

  describe("fields", function()
    it("keeps the declared order and indexes them by name", function()
      local post = ir.model_by_name.BlogPost
      assert.are.same({ "id", "authorId", "categoryId", "title", "slug", "body", "status", "key", "type", "rating",
        "views", "metadata", "publishedAt", "createdAt", "updatedAt" }, names_of(post.fields))
      for _, f in ipairs(post.fields) do assert.are.equal(f, post.field_by_name[f.name]) end
      assert.are.equal(post.fields[1], post.primary_key)
    end)

    it("describes every type with its SQL type", function()
      local person = ir.model_by_name.Person
      local got = {}
      for _, f in ipairs(person.fields) do got[#got + 1] = f.name .. ":" .. f.type .. ":" .. f.sql_type end
      assert.are.same({ "id:id:TEXT", "email:string:TEXT", "displayName:string:TEXT", "role:enum:TEXT", "age:int:INTEGER",
        "score:float:REAL", "isActive:bool:INTEGER", "bio:text:TEXT", "settings:json:TEXT", "lastSeenAt:datetime:TEXT",
        "createdAt:datetime:TEXT", "updatedAt:datetime:TEXT" }, got)
      assert.are.equal("INTEGER", ir.model_by_name.BlogPost.primary_key.sql_type)
    end)

    it("gives the id kind, and makes ids unique, required, server-filled and read-only", function()
      local uuid, integer = ir.model_by_name.Person.primary_key, ir.model_by_name.BlogPost.primary_key
      assert.are.equal("uuid", uuid.id_kind)
      assert.are.equal("integer", integer.id_kind)
      for _, id in ipairs { uuid, integer } do
        assert.is_true(id.unique)
        assert.is_false(id.optional)
        assert.is_true(id.server_filled)
        assert.is_true(id.read_only)
        assert.are.equal("id", id.column)
      end
      assert.is_nil(ir.model_by_name.BlogPost.field_by_name.title.id_kind)
    end)

    it("marks auto fields and the owner server-filled; only auto fields read-only", function()
      local post = ir.model_by_name.BlogPost.field_by_name
      assert.are.equal("create", post.createdAt.auto)
      assert.are.equal("update", post.updatedAt.auto)
      assert.is_true(post.createdAt.server_filled and post.createdAt.read_only)
      assert.is_true(post.authorId.server_filled)
      assert.is_false(post.authorId.read_only)
      assert.is_false(post.title.server_filled or post.title.read_only)
    end)

    it("keeps options and normalizes defaults", function()
      local person = ir.model_by_name.Person.field_by_name
      local post = ir.model_by_name.BlogPost.field_by_name
      assert.are.same({ "member", "moderator", "admin" }, person.role.values)
      assert.are.equal("member", person.role.default)
      assert.are.equal(200, person.email.max)
      assert.is_true(person.email.unique)
      assert.are.equal("Login e-mail, unique.", person.email.description)
      assert.is_true(person.age.optional)
      assert.is_false(person.displayName.optional)
      assert.are.equal(0.5, person.score.default)
      assert.is_true(person.isActive.default)
      assert.are.same({ theme = "dark", tags = { "new" } }, person.settings.default)
      assert.are.equal("2026-01-01T00:00:00.000Z", post.publishedAt.default)
      assert.are.equal(0, post.views.default)
      assert.are.equal("integer", math.type(post.views.default))
      assert.is_nil(post.body.default)
      assert.are.equal("float", math.type(support.load(
        'models = { T = { fields = { { "id", "id" }, { "x", "float", default = 2 } } } }\n').model_by_name.T
        .field_by_name.x.default))
    end)

    it("records references with the delete action", function()
      local post = ir.model_by_name.BlogPost.field_by_name
      assert.are.same({ model = "Person", field = "id", on_delete = "cascade" }, post.authorId.references)
      assert.are.same({ model = "Category", field = "id", on_delete = "set_null" }, post.categoryId.references)
      assert.are.same({ model = "Person", field = "id", on_delete = "restrict" },
        ir.model_by_name.Comment.field_by_name.authorId.references)
      assert.is_nil(post.title.references)
    end)
  end)

  describe("relations and indexes", function()
    it("lists belongsTo in declared order with derived or given names", function()
      assert.are.same({
        { name = "author", field = "authorId", model = "Person" },
        { name = "category", field = "categoryId", model = "Category" },
      }, ir.model_by_name.BlogPost.belongs_to)
      assert.are.same({ { name = "parent", field = "parentId", model = "Category" } },
        ir.model_by_name.Category.belongs_to)
    end)

    it("lists hasMany sorted by name with the foreign key found", function()
      assert.are.same({
        { name = "children", model = "Category", field = "parentId" },
        { name = "posts", model = "BlogPost", field = "categoryId" },
      }, ir.model_by_name.Category.has_many)
      assert.are.same({
        { name = "comments", model = "Comment", field = "authorId" },
        { name = "posts", model = "BlogPost", field = "authorId" },
      }, ir.model_by_name.Person.has_many)
    end)

    it("indexes foreign keys, index = true fields and configured indexes, sorted and named", function()
      assert.are.same({
        { name = "blog_posts_authorId_idx", fields = { "authorId" }, unique = false },
        { name = "blog_posts_authorId_slug_idx", fields = { "authorId", "slug" }, unique = true },
        { name = "blog_posts_categoryId_idx", fields = { "categoryId" }, unique = false },
        { name = "blog_posts_status_publishedAt_idx", fields = { "status", "publishedAt" }, unique = false },
      }, ir.model_by_name.BlogPost.indexes)
      assert.are.same({ "categories_parentId_idx", "categories_sort_order_idx" },
        names_of(ir.model_by_name.Category.indexes))
    end)

    it("merges an index declared twice, keeping unique", function()
      local model = support.load([[
models = {
  Room = { fields = { { "id", "id" } } },
  Msg = {
    fields = { { "id", "id" }, { "roomId", "int", belongsTo = "Room", index = true } },
    indexes = { { "roomId", unique = true } },
  },
}
]]).model_by_name.Msg
      assert.are.same({ { name = "msgs_roomId_idx", fields = { "roomId" }, unique = true } }, model.indexes)
    end)
  end)

  describe("permissions and hooks", function()
    it("parses every rule and keeps functions", function()
      local post, person = ir.model_by_name.BlogPost.permissions, ir.model_by_name.Person.permissions
      assert.are.same({ source = "true", ast = { op = "true" } }, post.list)
      assert.are.same({ source = "authenticated", ast = { op = "authenticated" } }, post.create)
      assert.are.same({ source = "isOwner || isAdmin",
        ast = { op = "or", left = { op = "isOwner" }, right = { op = "isAdmin" } } }, post.update)
      assert.are.same({ op = "or", left = { op = "isAdmin" }, right = { op = "and",
        left = { op = "and", left = { op = "authenticated" }, right = { op = "isOwner" } },
        right = { op = "not", expr = { op = "false" } } } }, post.delete.ast)
      assert.are.same({ source = "false", ast = { op = "false" } }, person.delete)
      local comment_delete = ir.model_by_name.Comment.permissions.delete
      assert.is_function(comment_delete.fn)
      assert.is_nil(comment_delete.ast)
      assert.matches("^function at .*tests/fixtures/configs/everything%.lua:%d+$", comment_delete.source)
      assert.is_true(comment_delete.fn({ id = "u1", role = "member" }, { authorId = "u1" }))
      assert.is_false(comment_delete.fn(nil, { authorId = "u1" }))
    end)
  end)

  describe("realtime", function()
    it("describes the models offered for subscription", function()
      assert.are.same({ subscribe = { list = true, item = true },
        broadcast = { created = true, updated = true, deleted = true },
        permissions = { subscribe = { source = "authenticated", ast = { op = "authenticated" } } } },
        ir.model_by_name.BlogPost.realtime)
      assert.are.same({ subscribe = { list = true, item = false },
        broadcast = { created = true, updated = false, deleted = true } }, ir.model_by_name.Comment.realtime)
      assert.are.same({ subscribe = { list = true, item = true },
        broadcast = { created = true, updated = true, deleted = true } }, ir.model_by_name.Tag.realtime)
      assert.is_nil(ir.model_by_name.Person.realtime)
    end)

    it("describes the socket, channels sorted by pattern, reconnect, batching, limits and history", function()
      local ws = ir.websockets
      assert.is_true(ws.enabled)
      assert.are.equal("/realtime", ws.path)
      assert.are.same({ "announcements", "post:{postId}:typing", "presence:{roomId}:{personId}" },
        { ws.channels[1].pattern, ws.channels[2].pattern, ws.channels[3].pattern })
      assert.are.same({ "roomId", "personId" }, ws.channels[3].params)
      assert.are.same({}, ws.channels[1].params)
      assert.are.same({ "typing", "stopTyping" }, ws.channels[2].events)
      assert.are.same({ subscribe = { source = "true", ast = { op = "true" } },
        publish = { source = "isAdmin", ast = { op = "isAdmin" } } }, ws.channels[1].permissions)
      assert.is_false(ws.channels[1].presence)
      assert.is_true(ws.channels[2].presence)
      assert.are.same({ max_attempts = 5, backoff = "linear", base_delay = 250 }, ws.reconnect)
      assert.are.same({ enabled = false, flush_interval = 20, max_batch_size = 50 }, ws.batching)
      assert.are.same({ subscriptions = 50, message_size = 16384, messages_per_second = 20, send_queue = 262144 },
        ws.limits)
      assert.are.equal(5000, ws.history)
    end)

    it("keeps the limits not given at their defaults", function()
      local ws = support.load(support.TODO .. "websockets = { limits = { messageSize = 4096 } }\n").websockets
      assert.are.same({ subscriptions = 100, message_size = 4096, messages_per_second = 100, send_queue = 1048576 },
        ws.limits)
      assert.are.equal(1000, ws.history)
    end)

    it("leaves realtime off when websockets are disabled", function()
      local off = support.load(support.TODO .. "websockets = { enabled = false, pubsub = { models = { Todo = true } } }\n")
      assert.is_false(off.websockets.enabled)
      assert.is_nil(off.model_by_name.Todo.realtime)
      local on = support.load(support.TODO .. "websockets = { pubsub = { models = { Todo = true } } }\n")
      assert.is_true(on.websockets.enabled)
      assert.is_table(on.model_by_name.Todo.realtime)
    end)
  end)

  describe("determinism and the schema hash", function()
    it("is the same for the same config", function()
      local again = config.load(EVERYTHING)
      assert.are.equal(plain(ir), plain(again))
      assert.are.equal(ir.hash, again.hash)
      assert.matches("^%x+$", ir.hash)
      assert.are.equal(16, #ir.hash)
    end)

    it("hashes the canonical JSON of the REST-visible schema", function()
      local ir_module = require "ssot.ir"
      local models = {}
      for i, model in ipairs(ir.models) do
        local fields = {}
        for j, f in ipairs(model.fields) do
          fields[j] = { name = f.name, type = f.type, id_kind = f.id_kind, optional = f.optional, max = f.max,
            values = f.values and json.array(f.values), read_only = f.read_only, server_filled = f.server_filled }
        end
        models[i] = { name = model.name, path = model.path, fields = json.array(fields) }
      end
      local canonical = json.encode({ version = 1, models = json.array(models) })
      assert.are.equal(canonical, ir_module.schema_json(ir.models))
      assert.are.equal(require("ssot.core").sha256(canonical):sub(1, 16), ir.hash)
      local odd = { { name = "Odd", path = "odd", fields = { { name = "e", type = "enum", optional = false,
        read_only = false, server_filled = false, values = { 'say "hi"', "tab\t", "é" } } } } }
      assert.are.equal(json.encode({ version = 1, models = json.array { { name = "Odd", path = "odd",
        fields = json.array { { name = "e", type = "enum", optional = false, read_only = false, server_filled = false,
        values = json.array { 'say "hi"', "tab\t", "é" } } } } } }), ir_module.schema_json(odd))
    end)

    local base = [[
models = {
  Todo = {
    description = "x",
    fields = { { "id", "id" }, { "title", "string", max = 10 }, { "state", "enum", values = { "a", "b" } } },
    permissions = { list = "true" },
  },
}
]]
    local function hash_of(source) return support.load(source).hash end

    it("changes with the REST-visible schema", function()
      local h = hash_of(base)
      assert.are_not.equal(h, hash_of(base:gsub('"title", "string"', '"title", "text"'):gsub(", max = 10", "")))
      assert.are_not.equal(h, hash_of(base:gsub("max = 10", "max = 11")))
      assert.are_not.equal(h, hash_of(base:gsub('{ "a", "b" }', '{ "a", "c" }')))
      assert.are_not.equal(h, hash_of(base:gsub('"title", "string"', '"title", "string", optional = true')))
      assert.are_not.equal(h, hash_of(base:gsub('description = "x",', 'path = "tasks",')))
      assert.are_not.equal(h, hash_of(base:gsub('{ "id", "id" }', '{ "id", "id", uuid = true }')))
    end)

    it("does not change with what clients cannot see", function()
      local h = hash_of(base)
      assert.are.equal(h, hash_of(base:gsub('description = "x"', 'description = "y"')))
      assert.are.equal(h, hash_of(base:gsub('list = "true"', 'list = "isAdmin"')))
      assert.are.equal(h, hash_of(base .. 'serve = { port = 9000 }\nname = "other"\n'))
    end)
  end)
end)
