-- Specs for config validation: one case per kind of mistake, each asserting the whole
-- message a user reads — file, line, config path, what is wrong and how to fix it — and that
-- every problem is reported, not just the first.
local support = require "config_support"

local errors_of, assert_has = support.errors_of, support.assert_has

-- A config with one model whose fields are given; lines: the model starts at line 2, the
-- fields at line 4 (fields[1] is on line 4, fields[2] on line 5, ...).
local function with_fields(fields_text, model_extra)
  return "models = {\n  Item = {\n    fields = {\n" .. fields_text .. "    },\n" .. (model_extra or "") .. "  },\n}\n"
end

describe("config validation", function()
  describe("unknown names", function()
    it("rejects an unknown config global with a suggestion", function()
      local messages = errors_of('name = "x"\nmodles = {}\n')
      assert.are.same({ "config.lua:2: unknown config key 'modles' (did you mean 'models'?)" }, messages)
    end)

    it("lists the config keys when nothing is close", function()
      local messages = errors_of('frobnicate = 1\n')
      assert.are.same({ "config.lua:1: unknown config key 'frobnicate'; the config keys are name, output, lib, "
        .. "phases, targets, models, auth, websockets, serve, routes, limits" }, messages)
    end)

    it("refuses an unknown target, listing the targets (asyncapi among them)", function()
      assert.are.same({ "config.lua:1: targets.graphql: unknown key 'graphql' in targets; known keys: sql, postgres, "
        .. "sdk, react, openapi, asyncapi" }, errors_of("targets = { graphql = true, asyncapi = false }\n" .. support.TODO))
    end)

    it("checks limits: known keys, seconds above 0", function()
      local messages = errors_of("limits = { phase = 0, request = 'fast', phaze = 1 }\n" .. support.TODO)
      assert_has(messages, "config.lua:1: limits.phase: must be a number of seconds above 0 and at most 86400, got 0")
      assert_has(messages, "config.lua:1: limits.request: expected a number, got 'fast'")
      assert_has(messages, "config.lua:1: limits.phaze: unknown key 'phaze' in limits (did you mean 'phase'?)")
    end)

    it("refuses a model name its files could not be named after", function()
      local long = "A" .. string.rep("b", 250)
      local messages = errors_of("models = {\n  " .. long .. " = { fields = { { 'id', 'id' } } },\n}\n")
      assert.are.equal(1, #messages)
      assert.matches("^config%.lua:2: models%." .. long .. ": the model name is 251 characters long: the files generated "
        .. "for it %(sdk/models/abbbbbbbbbbbbbbbbbbbbbbb%.%.%.%.ts%) would be longer than the 255 bytes a file name may "
        .. "have; shorten it to at most 246 characters$", messages[1])
    end)

    it("rejects reading an undefined global with a suggestion", function()
      local messages = errors_of('local n = strng.format("%d", 1)\n' .. support.TODO)
      assert.are.same({ "config.lua:1: unknown global 'strng' (did you mean 'string'?)" }, messages)
    end)

    it("rejects an unknown key in a returned table at its line", function()
      local messages = errors_of('return {\n  name = "x",\n  modles = {},\n}\n')
      assert_has(messages, "config.lua:3: modles: unknown key 'modles' in the config (did you mean 'models'?)")
    end)

    it("rejects unknown model, field and section keys with suggestions", function()
      local messages = errors_of([[
models = {
  Item = {
    feilds = {},
    fields = { { "id", "id" }, { "title", "string", optinal = true } },
  },
}
serve = { prot = 80 }
auth = { secret = "abc" }
]])
      assert_has(messages, "config.lua:3: models.Item.feilds: unknown key 'feilds' in a model (did you mean 'fields'?)")
      assert_has(messages, "config.lua:4: models.Item.fields[2].optinal: unknown key 'optinal' in a field "
        .. "(did you mean 'optional'?)")
      assert_has(messages, "config.lua:7: serve.prot: unknown key 'prot' in serve (did you mean 'port'?)")
      assert_has(messages, "config.lua:8: auth.secret: unknown key 'secret' in auth: the secret belongs in the "
        .. "environment: name its variable with secretEnv = \"SSOT_JWT_SECRET\"")
    end)

    it("gives advice for keys other tools use", function()
      local messages = errors_of(with_fields('      { "id", "id" },\n      { "title", "string", required = true },\n'))
      assert.are.same({ "config.lua:5: models.Item.fields[2].required: unknown key 'required' in a field: "
        .. "fields are required unless optional = true; remove 'required'" }, messages)
    end)
  end)

  describe("types", function()
    it("reports values of the wrong type with the value", function()
      local messages = errors_of(support.TODO .. [[
serve = {
  port = "8080",
  cors = { credentials = "yes" },
}
targets = { sdk = 1 }
]])
      assert_has(messages, "config.lua:5: serve.port: expected an integer, got '8080'")
      assert_has(messages, "config.lua:6: serve.cors.credentials: expected a boolean (true or false), got 'yes'")
      assert_has(messages, "config.lua:8: targets.sdk: expected a boolean (true or false), got 1")
    end)

    it("reports integers out of range", function()
      local messages = errors_of(support.TODO .. "serve = { port = 70000, maxTake = 10, defaultTake = 50 }\n")
      assert_has(messages, "config.lua:4: serve.port: 70000 is out of range: expected an integer from 0 to 65535")
      assert_has(messages, "config.lua:4: serve.defaultTake: defaultTake (50) is larger than maxTake (10)")
    end)

    it("refuses a database URL, naming its scheme but never the rest (it may hold a password)", function()
      local messages = errors_of(support.TODO .. 'serve = { database = "mysql://app:s3cret@db.internal/app" }\n')
      assert_has(messages, 'config.lua:4: serve.database: the database is a mysql:// URL, but ssot serve stores in '
        .. 'SQLite or PostgreSQL only: write a file path, e.g. "data/app.db", or a postgres:// URL')
      local pg = support.load(support.TODO .. 'serve = { database = "postgresql://app:s3cret@db.internal/app" }\n')
      assert.equals("postgresql://app:s3cret@db.internal/app", pg.serve.database, "a PostgreSQL URL is kept as written")
      for _, m in ipairs(messages) do assert.is_nil(m:find("s3cret", 1, true), m) end
      local ir = support.load(support.TODO .. 'serve = { database = "data/a:b.db" }\n')
      assert.matches("/data/a:b%.db$", ir.serve.database, "a colon alone is not a scheme")
    end)

    it("reports a model that is not a table and fields that are not a list", function()
      local messages = errors_of('models = {\n  A = "x",\n  B = { fields = { a = 1 } },\n}\n')
      assert_has(messages, "config.lua:2: models.A: expected a table, got 'x'")
      assert_has(messages, "config.lua:3: models.B.fields.a: expected a list ({ a, b, ... }), but found the key 'a'")
    end)

    it("requires models", function()
      assert.are.same({ 'config.lua: models: no models: declare at least one, e.g. models = { Todo = { fields = '
        .. '{ { "id", "id" }, { "title", "string" } } } }' }, errors_of('name = "x"\n'))
    end)
  end)

  describe("fields", function()
    it("rejects an unknown field type with a suggestion", function()
      local messages = errors_of(with_fields('      { "id", "id" },\n      { "title", "strng" },\n'))
      assert.are.same({ "config.lua:5: models.Item.fields[2].type: unknown type 'strng' (did you mean 'string'?)" },
        messages)
    end)

    it("suggests ssot's name for types of other tools and explains uuid", function()
      local messages = errors_of(with_fields('      { "id", "id" },\n      { "n", "integer" },\n      { "u", "uuid" },\n'))
      assert_has(messages, "config.lua:5: models.Item.fields[2].type: unknown type 'integer' (did you mean 'int'?)")
      assert_has(messages, "config.lua:6: models.Item.fields[3].type: unknown type 'uuid': a UUID primary key is "
        .. '{ "id", "id", uuid = true }; a field referring to one is a \'string\' with belongsTo')
    end)

    it("checks the long form too, at the line of the key", function()
      local messages = errors_of(with_fields('      { name = "id", type = "id" },\n      {\n        name = "title",\n'
        .. '        type = "strin",\n      },\n'))
      assert.are.same({ "config.lua:7: models.Item.fields[2].type: unknown type 'strin' (did you mean 'string'?)" },
        messages)
    end)

    it("rejects duplicate field names, ignoring case", function()
      local messages = errors_of(with_fields('      { "id", "id" },\n      { "roomId", "int" },\n      { "roomid", "int" },\n'))
      assert.are.same({ "config.lua:6: models.Item.fields[3].name: duplicate field 'roomid': fields[2] is already "
        .. "'roomId' (SQL column names ignore case)" }, messages)
    end)

    it("requires exactly one id field, named id", function()
      assert.are.same({ 'config.lua:3: models.Item.fields: the model Item has no id field: add { "id", "id" } as '
        .. "the first field" }, errors_of(with_fields('      { "title", "string" },\n')))
      assert.are.same({ "config.lua:4: models.Item.fields[1].type: the field 'id' is the primary key, so its type "
        .. "must be 'id', not 'int' (add uuid = true for UUIDs)" }, errors_of(with_fields('      { "id", "int" },\n')))
      assert.are.same({ "config.lua:4: models.Item.fields[1].name: the id field must be named 'id', not 'key': "
        .. 'write { "id", "id" }' }, errors_of(with_fields('      { "key", "id" },\n')))
      assert.are.same({ "config.lua:5: models.Item.fields[2].name: duplicate field 'id': fields[1] is already 'id'" },
        errors_of(with_fields('      { "id", "id" },\n      { "id", "id", uuid = true },\n')))
    end)

    it("takes only uuid and description on the id field", function()
      assert.are.same({ "config.lua:4: models.Item.fields[1].optional: the id field takes only uuid and description; "
        .. "remove optional" }, errors_of(with_fields('      { "id", "id", optional = true },\n')))
    end)

    it("rejects bad field names", function()
      local messages = errors_of(with_fields('      { "id", "id" },\n      { "Title", "string" },\n      { 42, "int" },\n'))
      assert_has(messages, "config.lua:5: models.Item.fields[2].name: 'Title' is not a valid name: field names start "
        .. "with a lowercase letter followed by letters, digits or _ (camelCase like 'createdAt' or snake_case like "
        .. "'created_at')")
      assert_has(messages, "config.lua:6: models.Item.fields[3].name: expected a string, got 42")
    end)

    it("rejects extra positional values and entries that are not tables", function()
      local messages = errors_of(with_fields('      { "id", "id" },\n      { "title", "string", true },\n      "body",\n'))
      assert_has(messages, "config.lua:5: models.Item.fields[2][3]: unexpected value true: a field is { \"name\", "
        .. "\"type\", option = value, ... }, so options are written as key = value (e.g. optional = true)")
      assert_has(messages, "config.lua:6: models.Item.fields[3]: expected a field entry like { \"title\", \"string\" }, "
        .. "got 'body'")
    end)

    it("requires values for an enum, non-empty and distinct", function()
      local messages = errors_of(with_fields('      { "id", "id" },\n      { "kind", "enum" },\n'
        .. '      { "size", "enum", values = {} },\n      { "mood", "enum", values = { "ok", "ok" } },\n'))
      assert_has(messages, 'config.lua:5: models.Item.fields[2]: the enum \'kind\' needs its values: { "kind", "enum", '
        .. 'values = { "a", "b" } }')
      assert_has(messages, 'config.lua:6: models.Item.fields[3].values: an enum needs at least one value: '
        .. 'values = { "a", "b" }')
      assert_has(messages, "config.lua:7: models.Item.fields[4].values[2]: 'ok' is listed twice (also [1])")
    end)

    it("allows max on strings only", function()
      local messages = errors_of(with_fields('      { "id", "id" },\n      { "body", "text", max = 10 },\n'
        .. '      { "n", "int", max = 10 },\n      { "title", "string", max = 0 },\n'))
      assert_has(messages, "config.lua:5: models.Item.fields[2].max: max applies to 'string' fields only, and 'body' "
        .. "is text; 'text' has no limit, use type 'string' for a limited length")
      assert_has(messages, "config.lua:6: models.Item.fields[3].max: max applies to 'string' fields only, and 'n' is int")
      assert_has(messages, "config.lua:7: models.Item.fields[4].max: 0 is out of range: expected an integer at least 1")
    end)

    it("allows auto on datetimes only, with create or update", function()
      local messages = errors_of(with_fields('      { "id", "id" },\n      { "n", "int", auto = "create" },\n'
        .. '      { "at", "datetime", auto = true },\n      { "on", "datetime", auto = "change" },\n'))
      assert_has(messages, "config.lua:5: models.Item.fields[2].auto: auto applies to 'datetime' fields only, and 'n' is int")
      assert_has(messages, 'config.lua:6: models.Item.fields[3].auto: write auto = "create" (set when the row is '
        .. 'created) or auto = "update" (set on every change)')
      assert_has(messages, "config.lua:7: models.Item.fields[4].auto: unknown auto kind 'change'; expected one of: "
        .. "create, update")
    end)

    it("checks defaults against the field's type", function()
      local messages = errors_of(with_fields(table.concat({
        '      { "id", "id" },',
        '      { "n", "int", default = 1.5 },',
        '      { "ok", "bool", default = "yes" },',
        '      { "kind", "enum", values = { "text", "image" }, default = "txt" },',
        '      { "title", "string", max = 3, default = "long" },',
        '      { "at", "datetime", default = "now" },',
        '      { "due", "datetime", default = "2026-02-30T00:00:00Z" },',
        '      { "meta", "json", default = { f = print } },',
        '      { "made", "datetime", auto = "create", default = "2026-01-01T00:00:00Z" },',
        '      { "ratio", "float", default = 0/0 },',
        '      { "note", "string", description = "caf\\233" },',
        "" }, "\n")))
      assert_has(messages, "config.lua:5: models.Item.fields[2].default: expected an integer, got 1.5")
      assert_has(messages, "config.lua:6: models.Item.fields[3].default: expected a boolean (true or false), got 'yes'")
      assert_has(messages, "config.lua:7: models.Item.fields[4].default: the default 'txt' is not one of the values "
        .. "text, image (did you mean 'text'?)")
      assert_has(messages, "config.lua:8: models.Item.fields[5].default: the default is 4 characters long, over max = 3")
      assert_has(messages, "config.lua:9: models.Item.fields[6].default: expected an ISO 8601 UTC time like "
        .. "'2026-01-31T12:00:00.000Z', got 'now'; for the time of creation write auto = \"create\" instead")
      assert_has(messages, "config.lua:10: models.Item.fields[7].default: expected an ISO 8601 UTC time like "
        .. "'2026-01-31T12:00:00.000Z', got '2026-02-30T00:00:00Z'")
      assert_has(messages, "config.lua:11: models.Item.fields[8].default: the default cannot be written as JSON: "
        .. "cannot encode a function value at $.f")
      assert_has(messages, "config.lua:12: models.Item.fields[9].default: the server sets auto fields; remove default")
      assert_has(messages, "config.lua:13: models.Item.fields[10].default: the default " .. tostring(0/0)
        .. " is not a finite number")
      assert_has(messages, "config.lua:14: models.Item.fields[11].description: the text is not valid UTF-8; save the "
        .. "config as UTF-8")
      assert.are.equal(10, #messages)
    end)

    it("rejects options that need belongsTo, and setNull on a required field", function()
      local messages = errors_of([[
models = {
  Room = { fields = { { "id", "id" } } },
  Item = {
    fields = {
      { "id", "id" },
      { "roomId", "int", onDelete = "cascade" },
      { "otherId", "int", belongsTo = "Room", onDelete = "setNull" },
      { "thirdId", "int", belongsTo = "Room", onDelete = "delete" },
    },
  },
}
]])
      assert_has(messages, 'config.lua:6: models.Item.fields[2].onDelete: onDelete applies only to fields with '
        .. 'belongsTo = "Model"')
      assert_has(messages, "config.lua:7: models.Item.fields[3].onDelete: setNull needs an optional field: add optional = true")
      assert_has(messages, "config.lua:8: models.Item.fields[4].onDelete: unknown onDelete action 'delete'; expected "
        .. "one of: restrict, cascade, setNull")
    end)
  end)

  describe("reserved names", function()
    it("rejects field names that are SQL keywords or TypeScript reserved words", function()
      local messages = errors_of(with_fields('      { "id", "id" },\n      { "select", "string" },\n'
        .. '      { "class", "string" },\n      { "constructor", "string" },\n      { "key", "string" },\n'))
      assert_has(messages, "config.lua:5: models.Item.fields[2].name: 'select' is an SQL keyword, which the generated "
        .. "code cannot use as a field name; rename the field")
      assert_has(messages, "config.lua:6: models.Item.fields[3].name: 'class' is a TypeScript reserved word, which the "
        .. "generated code cannot use as a field name; rename the field")
      assert_has(messages, "config.lua:7: models.Item.fields[4].name: 'constructor' is a JavaScript object property, "
        .. "which the generated code cannot use as a field name; rename the field")
      assert.are.equal(3, #messages)   -- 'key' is an SQLite keyword that works as a name
    end)

    it("rejects model names that are TypeScript globals, SDK exports or give reserved names", function()
      local messages = errors_of([[
models = {
  Date = { fields = { { "id", "id" } } },
  ApiError = { fields = { { "id", "id" } } },
  Default = { fields = { { "id", "id" } } },
  Action = { fields = { { "id", "id" } } },
  Value = { fields = { { "id", "id" } } },
}
]])
      assert_has(messages, "config.lua:2: models.Date: the model name 'Date' cannot be used: a TypeScript global type "
        .. "or an SDK export; rename the model")
      assert_has(messages, "config.lua:3: models.ApiError: the model name 'ApiError' cannot be used: a TypeScript "
        .. "global type or an SDK export; rename the model")
      assert_has(messages, "config.lua:4: models.Default: the model name 'Default' cannot be used: its variable name "
        .. "'default' is a TypeScript reserved word; rename the model")
      assert_has(messages, "config.lua:6: models.Value: the model name 'Value' cannot be used: its table name "
        .. "'values' is an SQL keyword; rename the model")
      assert.are.equal(4, #messages)   -- 'actions' is a fine table name
    end)

    it("rejects model names that are not PascalCase", function()
      assert.are.same({ "config.lua:2: models.chat_room: 'chat_room' is not a valid name: model names are PascalCase: "
        .. "a capital letter followed by letters and digits (e.g. 'ChatRoom')" },
        errors_of('models = {\n  chat_room = { fields = { { "id", "id" } } },\n}\n'))
    end)

    it("rejects models that would share a table, path or variable", function()
      local messages = errors_of([[
models = {
  Person = { fields = { { "id", "id" } } },
  People = { fields = { { "id", "id" } } },
  Room = { fields = { { "id", "id" } }, path = "things" },
  Thing = { fields = { { "id", "id" } } },
}
]])
      assert_has(messages, "config.lua:2: models.Person: the models People and Person would share the SQL table "
        .. "'people'; rename one")
      assert_has(messages, "config.lua:5: models.Thing: the models Room and Thing would share the REST path 'things'; "
        .. "rename one or set path")
    end)
  end)

  describe("keys written twice", function()
    it("rejects a model, a field option and a channel written twice in one table, at the repeat", function()
      local messages = errors_of([[
models = {
  Note = { fields = { { "id", "id" }, { "body", "string" } } },
  Note = { fields = { { "id", "id" }, { "title", "string", max = 10, max = 20 } } },
}
websockets = {
  pubsub = { channels = { ["room:{id}"] = { events = { "a" } }, ["room:{id}"] = { events = { "b" } } } },
}
]])
      assert.are.same({
        "config.lua:3: models.Note: 'Note' is written twice in the same table (first on line 2): Lua keeps only the "
          .. "last one and drops the first without a word; remove one, or rename it",
        "config.lua:3: models.Note.fields[2].max: 'max' is written twice in the same table (first on line 3): Lua "
          .. "keeps only the last one and drops the first without a word; remove one, or rename it",
        "config.lua:6: websockets.pubsub.channels[\"room:{id}\"]: 'room:{id}' is written twice in the same table "
          .. "(first on line 6): Lua keeps only the last one and drops the first without a word; remove one, or "
          .. "rename it",
      }, messages)
    end)

    it("rejects a key written twice in a returned table", function()
      assert.are.same({ "config.lua:3: name: 'name' is written twice in the same table (first on line 2): Lua keeps "
        .. "only the last one and drops the first without a word; remove one, or rename it" },
        errors_of('return {\n  name = "a",\n  name = "b",\n' .. support.TODO:gsub("^models =", "  models =") .. ",\n}\n"))
    end)
  end)

  describe("relations", function()
    it("rejects belongsTo to a missing model with a suggestion", function()
      local messages = errors_of([[
models = {
  Room = { fields = { { "id", "id" } } },
  Message = {
    fields = {
      { "id", "id" },
      { "roomId", "int", belongsTo = "Rom" },
    },
  },
}
]])
      assert.are.same({ "config.lua:6: models.Message.fields[2].belongsTo: no model named 'Rom' (did you mean 'Room'?)" },
        messages)
    end)

    it("requires the foreign key's type to match the target's id kind", function()
      local messages = errors_of([[
models = {
  Room = { fields = { { "id", "id", uuid = true } } },
  User = { fields = { { "id", "id" } } },
  Message = {
    fields = {
      { "id", "id" },
      { "roomId", "int", belongsTo = "Room" },
      { "userId", "string", belongsTo = "User" },
    },
  },
}
]])
      assert_has(messages, "config.lua:7: models.Message.fields[2].type: 'roomId' belongs to Room, whose id is a uuid, "
        .. "so its type must be 'string': { \"roomId\", \"string\", belongsTo = \"Room\" }")
      assert_has(messages, "config.lua:8: models.Message.fields[3].type: 'userId' belongs to User, whose id is an "
        .. "integer, so its type must be 'int': { \"userId\", \"int\", belongsTo = \"User\" }")
    end)

    it("needs a relation name it can derive or one given with as", function()
      local messages = errors_of([[
models = {
  User = { fields = { { "id", "id" } } },
  Post = {
    fields = {
      { "id", "id" },
      { "author", "int", belongsTo = "User" },
      { "editorId", "int", belongsTo = "User", as = "title" },
      { "title", "string" },
    },
  },
}
]])
      assert_has(messages, "config.lua:6: models.Post.fields[2].name: cannot name the relation of 'author' to User: the "
        .. "field name does not end in 'Id'; rename it (e.g. 'authorId') or add as = \"<relation name>\"")
      assert_has(messages, "config.lua:7: models.Post.fields[3].as: the relation name 'title' of 'editorId' is also a "
        .. "field of Post; add as = \"<another name>\"")
    end)

    it("resolves hasMany or says what is missing", function()
      local messages = errors_of([[
models = {
  User = {
    fields = { { "id", "id" } },
    hasMany = {
      posts = "Post",
      comments = "Coment",
      edits = { model = "Post", field = "userId" },
      likes = "Like",
    },
  },
  Post = {
    fields = { { "id", "id" }, { "authorId", "int", belongsTo = "User" }, { "editorId", "int", belongsTo = "User" } },
  },
  Like = { fields = { { "id", "id" } } },
}
]])
      assert_has(messages, "config.lua:5: models.User.hasMany.posts: Post has several fields that belong to User "
        .. "(authorId, editorId): say which with { model = \"Post\", field = \"authorId\" }")
      assert_has(messages, "config.lua:6: models.User.hasMany.comments: no model named 'Coment'; the models are: "
        .. "Like, Post, User")
      assert_has(messages, "config.lua:7: models.User.hasMany.edits.field: Post has no field 'userId' with "
        .. "belongsTo = \"User\"")
      assert_has(messages, "config.lua:8: models.User.hasMany.likes: Like has no field with belongsTo = \"User\": add "
        .. "one, e.g. { \"userId\", \"int\", belongsTo = \"User\" }")
    end)
  end)

  describe("owner and permissions", function()
    it("rejects an owner naming a missing field", function()
      local messages = errors_of(with_fields('      { "id", "id" },\n      { "authorId", "int" },\n',
        '    owner = "author",\n'))
      assert.are.same({ "config.lua:7: models.Item.owner: no field named 'author' in Item (did you mean 'authorId'?); "
        .. "owner names the field holding the owning user's id" }, messages)
    end)

    it("rejects an owner field that cannot hold a user id", function()
      local messages = errors_of(with_fields('      { "id", "id" },\n      { "at", "datetime" },\n', '    owner = "at",\n'))
      assert.are.same({ "config.lua:7: models.Item.owner: the owner field 'at' is datetime, but user ids are 'int' "
        .. "or 'string'" }, messages)
    end)

    it("rejects isOwner on a model without an owner", function()
      local messages = errors_of(with_fields('      { "id", "id" },\n',
        '    permissions = {\n      update = "isAdmin || isOwner",\n    },\n'))
      assert.are.same({ "config.lua:7: models.Item.permissions.update: isOwner needs an owner field: add owner = "
        .. "\"<field>\" to the model, naming the field that holds the user id" }, messages)
    end)

    it("reports permission expressions that do not parse, with the column", function()
      local messages = errors_of(with_fields('      { "id", "id" },\n',
        '    permissions = {\n      list = "authenticated &&",\n      get = "isAdmin or true",\n'
        .. '      create = 42,\n      read = "true",\n    },\n'))
      assert_has(messages, "config.lua:7: models.Item.permissions.list: cannot parse the rule 'authenticated &&' at "
        .. "column 17: expected a rule name, '!' or '(' but found the end of the rule")
      assert_has(messages, "config.lua:8: models.Item.permissions.get: cannot parse the rule 'isAdmin or true' at "
        .. "column 9: 'or' is not a rule operator: use '||'")
      assert_has(messages, "config.lua:9: models.Item.permissions.create: a rule must be a string expression, a "
        .. "boolean or a function, got number")
      assert_has(messages, "config.lua:10: models.Item.permissions.read: unknown key 'read' in permissions: write "
        .. "list and get")
    end)
  end)

  describe("hooks and indexes", function()
    it("rejects unknown hooks and hooks that are not functions", function()
      local messages = errors_of(with_fields('      { "id", "id" },\n',
        '    hooks = {\n      beforeCreat = function() end,\n      afterDelete = "log",\n    },\n'))
      assert_has(messages, "config.lua:7: models.Item.hooks.beforeCreat: unknown hook 'beforeCreat' (did you mean "
        .. "'beforeCreate'?)")
      assert_has(messages, "config.lua:8: models.Item.hooks.afterDelete: the hook afterDelete must be a function, got 'log'")
    end)

    it("rejects indexes on missing fields", function()
      local messages = errors_of(with_fields('      { "id", "id" },\n      { "title", "string" },\n',
        '    indexes = {\n      { "titel" },\n      {},\n    },\n'))
      assert_has(messages, "config.lua:8: models.Item.indexes[1][1]: no field named 'titel' in Item (did you mean 'title'?)")
      assert_has(messages, "config.lua:9: models.Item.indexes[2]: an index needs at least one field: "
        .. "{ \"roomId\", \"createdAt\" }")
    end)
  end)

  describe("realtime", function()
    local function ws(pubsub)
      return "models = {\n  Message = { fields = { { \"id\", \"id\" } } },\n}\nwebsockets = {\n  pubsub = {\n"
        .. pubsub .. "  },\n}\n"
    end

    it("rejects realtime entries for models that do not exist", function()
      assert.are.same({ "config.lua:7: websockets.pubsub.models.Mesage: no model named 'Mesage' (did you mean "
        .. "'Message'?)" }, errors_of(ws('    models = {\n      Mesage = { subscribe = { "list" } },\n    },\n')))
    end)

    it("rejects subscribe and broadcast values outside their sets", function()
      local messages = errors_of(ws('    models = {\n      Message = {\n        subscribe = { "list", "items" },\n'
        .. '        broadcast = { "create", "deleted" },\n      },\n    },\n'))
      assert_has(messages, "config.lua:8: websockets.pubsub.models.Message.subscribe[2]: unknown subscribe value "
        .. "'items' (did you mean 'item'?)")
      assert_has(messages, "config.lua:9: websockets.pubsub.models.Message.broadcast[1]: unknown broadcast value "
        .. "'create' (did you mean 'created'?)")
    end)

    it("rejects channel patterns with bad parameters", function()
      local messages = errors_of(ws(table.concat({
        '    channels = {',
        '      ["room:{room id}"] = { events = { "typing" } },',
        '      ["room:{roomId"] = { events = { "typing" } },',
        '      ["a:{x}:{x}"] = { events = { "typing" } },',
        '      ["b:}"] = { events = { "typing" } },',
        '      ["Message:typing"] = { events = { "typing" } },',
        '      ["c:{id}"] = { events = {} },',
        '    },',
        "" }, "\n")))
      assert_has(messages, "config.lua:7: websockets.pubsub.channels[\"room:{room id}\"]: bad parameter '{room id}' at "
        .. "character 6 of 'room:{room id}': a parameter is {name}, a letter or _ followed by letters, digits or _")
      assert_has(messages, "config.lua:8: websockets.pubsub.channels[\"room:{roomId\"]: the '{' at character 6 of "
        .. "'room:{roomId' is never closed: a parameter is {name}")
      assert_has(messages, "config.lua:9: websockets.pubsub.channels[\"a:{x}:{x}\"]: the parameter {x} appears twice in "
        .. "'a:{x}:{x}'; give each parameter its own name")
      assert_has(messages, "config.lua:10: websockets.pubsub.channels[\"b:}\"]: unexpected '}' at character 3 of 'b:}': "
        .. "a parameter is {name}")
      assert_has(messages, "config.lua:11: websockets.pubsub.channels[\"Message:typing\"]: the channel 'Message:typing' "
        .. "starts with the model name Message, whose channels are Message:list and Message:item:<id>; use another prefix")
      assert_has(messages, "config.lua:12: websockets.pubsub.channels[\"c:{id}\"].events: a channel needs at least one "
        .. "event: events = { \"typing\" }")
    end)

    it("rejects isOwner on channels and bad channel rules", function()
      local messages = errors_of(ws('    channels = {\n      ["c:{id}"] = {\n        events = { "x" },\n'
        .. '        permissions = { subscribe = "isOwner", publish = "authenticated ||" },\n      },\n    },\n'))
      assert_has(messages, "config.lua:9: websockets.pubsub.channels[\"c:{id}\"].permissions.subscribe: isOwner needs "
        .. "a row to compare with, and a channel has none")
      assert_has(messages, "config.lua:9: websockets.pubsub.channels[\"c:{id}\"].permissions.publish: cannot parse the "
        .. "rule 'authenticated ||' at column 17: expected a rule name, '!' or '(' but found the end of the rule")
    end)

    it("checks reconnect, batching and the socket path", function()
      local messages = errors_of(support.TODO .. [[
websockets = {
  path = "/api/ws",
  reconnect = { backoff = "exponental", maxAttempts = -1 },
  batching = { flushInterval = 0 },
}
]])
      assert_has(messages, "config.lua:5: websockets.path: the WebSocket path '/api/ws' would clash with the REST API; "
        .. "use e.g. \"/ws\"")
      assert_has(messages, "config.lua:6: websockets.reconnect.backoff: unknown backoff 'exponental' (did you mean "
        .. "'exponential'?)")
      assert_has(messages, "config.lua:6: websockets.reconnect.maxAttempts: -1 is out of range: expected an integer at least 0")
      assert_has(messages, "config.lua:7: websockets.batching.flushInterval: 0 is out of range: expected an integer at least 1")
    end)

    it("checks presence: a boolean, and join/leave are not for clients to publish on a presence channel", function()
      local messages = errors_of(ws(table.concat({
        '    channels = {',
        '      ["a:{id}"] = { events = { "x" }, presence = "yes" },',
        '      ["b:{id}"] = { events = { "typing", "join" }, presence = true },',
        '      ["c:{id}"] = { events = { "leave" }, presence = true },',
        '      ["d:{id}"] = { events = { "x" }, presense = true },',
        '    },',
        "" }, "\n")))
      assert_has(messages, "config.lua:7: websockets.pubsub.channels[\"a:{id}\"].presence: expected a boolean (true or "
        .. "false), got 'yes'")
      assert_has(messages, "config.lua:8: websockets.pubsub.channels[\"b:{id}\"].events[2]: 'join' is the event the "
        .. "server sends when a user joins a presence channel, so clients cannot publish it here; rename the event "
        .. "(e.g. \"joinRoom\") or drop presence = true")
      assert_has(messages, "config.lua:9: websockets.pubsub.channels[\"c:{id}\"].events[1]: 'leave' is the event the "
        .. "server sends when a user leaves a presence channel, so clients cannot publish it here; rename the event "
        .. "(e.g. \"leaveRoom\") or drop presence = true")
      assert_has(messages, "config.lua:10: websockets.pubsub.channels[\"d:{id}\"].presense: unknown key 'presense' in a "
        .. "channel (did you mean 'presence'?)")
      assert.are.equal(4, #messages)
    end)

    it("takes event payload fields written like a model's, into ir payloads", function()
      local ir = support.load(ws(table.concat({
        '    channels = {',
        '      ["room:{id}"] = {',
        '        events = { "stop", typing = { { "name", "string", max = 80 }, { "at", "datetime", optional = true } },',
        '          mood = { { "level", "enum", values = { "low", "high" } } } },',
        '      },',
        '    },',
        "" }, "\n")))
      local channel = ir.websockets.channels[1]
      assert.are.same({ "stop", "mood", "typing" }, channel.events)
      assert.is_nil(channel.payloads.stop)
      local typing = channel.payloads.typing.fields
      assert.are.same({ "name", "at" }, { typing[1].name, typing[2].name })
      assert.are.same({ "string", 80, false }, { typing[1].type, typing[1].max, typing[1].optional })
      assert.is_true(typing[2].optional)
      assert.are.same({ "low", "high" }, channel.payloads.mood.fields[1].values)
    end)

    it("rejects payload fields that only models have, and malformed payloads", function()
      local messages = errors_of(ws(table.concat({
        '    channels = {',
        '      ["room:{id}"] = {',
        '        events = { "typing", typing = { { "name", "string" } },',
        '          a = { { "n", "int", unique = true, default = 1 } },',
        '          b = { { "sentAt", "datetime", auto = "create" }, { "room", "int", belongsTo = "Message" } },',
        '          c = { { "x", "int" }, { "x", "text" } },',
        '          d = { name = "string" },',
        '          e = { { "v", "strin" } } },',
        '      },',
        '    },',
        "" }, "\n")))
      local at = 'config.lua:%d: websockets.pubsub.channels["room:{id}"].events.'
      assert_has(messages, string.format(at, 8) .. "typing: 'typing' is listed and also given payload fields; keep one")
      assert_has(messages, string.format(at, 9) .. "a[1].unique: unique applies to model fields, not to the payload "
        .. "of 'a'; remove it")
      assert_has(messages, string.format(at, 9) .. "a[1].default: default applies to model fields, not to the payload "
        .. "of 'a'; remove it")
      assert_has(messages, string.format(at, 10) .. "b[1].auto: auto applies to model fields, not to the payload of "
        .. "'b'; remove it")
      assert_has(messages, string.format(at, 10) .. "b[2].belongsTo: belongsTo applies to model fields, not to the "
        .. "payload of 'b'; remove it")
      assert_has(messages, string.format(at, 11) .. "c[2].name: the field 'x' appears twice in the payload of 'c' (also [1])")
      assert_has(messages, string.format(at, 12) .. "d.name: the payload of 'd' is a list of fields like "
        .. "{ { \"name\", \"string\" } }, not a table with keys")
      assert_has(messages, string.format(at, 13) .. "e[1].type: unknown type 'strin' (did you mean 'string'?)")
      assert.are.equal(8, #messages, table.concat(messages, "\n"))
    end)

    it("lets a channel without presence have events named join and leave", function()
      local ir = support.load(ws('    channels = {\n      ["lobby"] = { events = { "join", "leave" } },\n    },\n'))
      assert.is_false(ir.websockets.channels[1].presence)
      assert.are.same({ "join", "leave" }, ir.websockets.channels[1].events)
    end)

    it("checks the limits: integers within their bounds, each bound in the message", function()
      local messages = errors_of(support.TODO .. [[
websockets = {
  limits = {
    subscriptions = 0,
    messageSize = 512,
    messagesPerSecond = 2.5,
    sendQueue = "1MB",
  },
}
]])
      assert.are.same({
        "config.lua:6: websockets.limits.subscriptions: 0 is out of range: expected an integer from 1 to 100000 "
          .. "(channels per connection)",
        "config.lua:7: websockets.limits.messageSize: 512 is out of range: expected an integer from 1024 to 16777216 "
          .. "(bytes, 1 KiB to 16 MiB)",
        "config.lua:8: websockets.limits.messagesPerSecond: expected an integer, got 2.5",
        "config.lua:9: websockets.limits.sendQueue: expected an integer, got '1MB'",
      }, messages)
      messages = errors_of(support.TODO .. [[
websockets = {
  limits = { subscriptions = 100001, messageSize = 16777217, messagesPerSecond = 0, sendQueue = 65535 },
}
]])
      assert_has(messages, "config.lua:5: websockets.limits.subscriptions: 100001 is out of range: expected an integer "
        .. "from 1 to 100000 (channels per connection)")
      assert_has(messages, "config.lua:5: websockets.limits.messageSize: 16777217 is out of range: expected an integer "
        .. "from 1024 to 16777216 (bytes, 1 KiB to 16 MiB)")
      assert_has(messages, "config.lua:5: websockets.limits.messagesPerSecond: 0 is out of range: expected an integer "
        .. "from 1 to 100000 (messages a client may send per second)")
      assert_has(messages, "config.lua:5: websockets.limits.sendQueue: 65535 is out of range: expected an integer "
        .. "from 65536 to 1073741824 (bytes, 64 KiB to 1 GiB)")
      assert.are.same({ "config.lua:4: websockets.limits: expected a table, got 100" },
        errors_of(support.TODO .. "websockets = { limits = 100 }\n"))
    end)

    it("refuses unknown limits with a suggestion", function()
      local messages = errors_of(support.TODO .. "websockets = {\n  limits = { messageSise = 2048, burst = 5 },\n}\n")
      assert.are.same({
        "config.lua:5: websockets.limits.burst: unknown key 'burst' in websockets.limits; known keys: subscriptions, "
          .. "messageSize, messagesPerSecond, sendQueue",
        "config.lua:5: websockets.limits.messageSise: unknown key 'messageSise' in websockets.limits (did you mean "
          .. "'messageSize'?)",
      }, messages)
    end)

    it("refuses a send queue smaller than the largest message, at the key the config gives", function()
      assert.are.same({ "config.lua:5: websockets.limits.messageSize: sendQueue (1048576 bytes) is smaller than "
        .. "messageSize (2097152 bytes): a message published at the size limit would not fit in its subscribers' send "
        .. "queues and would disconnect them; raise sendQueue to at least messageSize or lower messageSize" },
        errors_of(support.TODO .. "websockets = {\n  limits = { messageSize = 2097152 },\n}\n"))
      assert.are.same({ "config.lua:5: websockets.limits.sendQueue: sendQueue (65536 bytes) is smaller than "
        .. "messageSize (131072 bytes): a message published at the size limit would not fit in its subscribers' send "
        .. "queues and would disconnect them; raise sendQueue to at least messageSize or lower messageSize" },
        errors_of(support.TODO .. "websockets = {\n  limits = { messageSize = 131072, sendQueue = 65536 },\n}\n"))
    end)

    it("checks history: an integer from 1 to 1,000,000", function()
      assert.are.same({ "config.lua:4: websockets.history: 0 is out of range: expected an integer from 1 to 1000000 "
        .. "(change events kept per model)" }, errors_of(support.TODO .. "websockets = { history = 0 }\n"))
      assert.are.same({ "config.lua:4: websockets.history: 1000001 is out of range: expected an integer from 1 to "
        .. "1000000 (change events kept per model)" }, errors_of(support.TODO .. "websockets = { history = 1000001 }\n"))
      assert.are.same({ "config.lua:4: websockets.history: expected an integer, got 'all'" },
        errors_of(support.TODO .. "websockets = { history = 'all' }\n"))
      assert.are.same({ "config.lua:4: websockets.histroy: unknown key 'histroy' in websockets (did you mean "
        .. "'history'?)" }, errors_of(support.TODO .. "websockets = { histroy = 10 }\n"))
    end)
  end)

  describe("other sections", function()
    it("checks auth", function()
      local messages = errors_of(support.TODO .. 'auth = { algorithm = "RS256", secretEnv = "my secret" }\n')
      assert_has(messages, "config.lua:4: auth.algorithm: unknown algorithm 'RS256' (did you mean 'HS256'?)")
      assert_has(messages, "config.lua:4: auth.secretEnv: 'my secret' is not a valid name: an environment variable name "
        .. "is letters, digits and _ (e.g. \"SSOT_JWT_SECRET\"); the secret itself belongs in the environment, not in the config")
    end)

    it("checks routes", function()
      local messages = errors_of(support.TODO .. table.concat({
        "routes = {",
        '  ["GET /api/todos"] = function() end,',
        '  ["FETCH /x"] = function() end,',
        '  ["/stats"] = function() end,',
        '  ["GET /api/stats"] = "stats",',
        '  ["GET /api/todos/42"] = function() end,',
        "}", "" }, "\n"))
      assert_has(messages, "config.lua:5: routes[\"GET /api/todos\"]: GET /api/todos would shadow the Todo list "
        .. "endpoint; choose another path")
      assert_has(messages, "config.lua:6: routes[\"FETCH /x\"]: unknown method 'FETCH'; use one of DELETE, GET, PATCH, POST, PUT")
      assert_has(messages, "config.lua:7: routes[\"/stats\"]: a route is written [\"METHOD /path\"] = function(req) ... "
        .. "end; got the key '/stats'")
      assert_has(messages, "config.lua:8: routes[\"GET /api/stats\"]: expected a function, got 'stats'")
      assert_has(messages, "config.lua:9: routes[\"GET /api/todos/42\"]: GET /api/todos/42 would shadow the Todo item "
        .. "endpoint (GET /api/todos/<id>); choose another path")
    end)

    it("refuses a route at the WebSocket endpoint's path, which would never run", function()
      local config = support.TODO .. table.concat({
        'websockets = { path = "/live" }',
        "routes = {",
        '  ["GET /live"] = function() end,',
        '  ["GET /ws"] = function() end,',
        "}", "" }, "\n")
      assert.are.same({ "config.lua:6: routes[\"GET /live\"]: GET /live would never run: /live is the WebSocket "
        .. "endpoint (websockets.path); choose another path for the route or set websockets.path" }, errors_of(config))
      local ir = support.load((config:gsub('path = "/live"', 'path = "/live", enabled = false')))
      assert.are.equal(2, #ir.routes, "without the endpoint, both routes serve")
    end)

    it("checks that paths of one shape name their parameters alike (OpenAPI allows one template)", function()
      local messages = errors_of(support.TODO .. table.concat({
        "routes = {",
        '  ["POST /api/todos/{todoId}"] = function() end,',
        '  ["GET /api/boards/{board}/stats"] = function() end,',
        '  ["PUT /api/boards/{id}/stats"] = function() end,',
        '  ["POST /api/todos/{id}/done"] = function() end,',
        '  ["POST /api/todos/{id}"] = function() end,',
        "}", "" }, "\n"))
      assert_has(messages, "config.lua:5: routes[\"POST /api/todos/{todoId}\"]: /api/todos/{todoId} names its parameters "
        .. "differently from the Todo item endpoint (/api/todos/{id}); write /api/todos/{id}: one path, one set of names")
      assert_has(messages, "config.lua:7: routes[\"PUT /api/boards/{id}/stats\"]: /api/boards/{id}/stats names its "
        .. "parameters differently from the route GET /api/boards/{board}/stats (/api/boards/{board}/stats); write "
        .. "/api/boards/{board}/stats: one path, one set of names")
      assert.are.equal(2, #messages, table.concat(messages, "\n"))
    end)

    it("checks cors origins and credentials", function()
      local messages = errors_of(support.TODO .. 'serve = {\n  cors = { origins = { "*", "example.com" }, credentials = true },\n}\n')
      assert_has(messages, "config.lua:5: serve.cors.origins[2]: 'example.com' is not an origin: write \"*\" or a "
        .. "scheme and host without a path, e.g. \"https://app.example.com\"")
      assert_has(messages, "config.lua:5: serve.cors.credentials: browsers refuse credentials with the origin \"*\": "
        .. "list the allowed origins")
    end)

    it("checks that lib directories and phase files exist", function()
      local messages = errors_of(support.TODO .. 'lib = "no-such-lib"\nphases = {\n  "phases/missing.lua",\n}\n')
      local cwd = require("ssot.core").getcwd()
      assert_has(messages, "config.lua:4: lib: the directory 'no-such-lib' does not exist (looked for " .. cwd
        .. "/no-such-lib)")
      assert_has(messages, "config.lua:6: phases[1]: the phase file 'phases/missing.lua' does not exist (looked for "
        .. cwd .. "/phases/missing.lua)")
    end)

    it("rejects React hooks without the SDK", function()
      assert.are.same({ "config.lua:4: targets.react: the React hooks are built on the SDK: set sdk = true or react = false" },
        errors_of(support.TODO .. "targets = { sdk = false }\n"))
    end)
  end)

  describe("reporting", function()
    it("reports every problem, sorted by line, as one config error", function()
      local err = support.failure(support.load, [[
websockets = { pubsub = { models = { Nope = true } } }
models = {
  Item = {
    fields = { { "id", "id" }, { "a", "strng" }, { "b", "nt" } },
  },
}
serve = { port = "x" }
]])
      assert.are.same({
        "config.lua:1: websockets.pubsub.models.Nope: no model named 'Nope'; the models are: Item",
        "config.lua:4: models.Item.fields[2].type: unknown type 'strng' (did you mean 'string'?)",
        "config.lua:4: models.Item.fields[3].type: unknown type 'nt' (did you mean 'int'?)",
        "config.lua:7: serve.port: expected an integer, got 'x'",
      }, err.errors)
      assert.are.equal(table.concat(err.errors, "\n"), err.message)
      assert.are.equal("config.lua", err.file)
      assert.are.equal(1, err.line)
    end)

    it("points at the closest enclosing line it knows when a value has none", function()
      local messages = errors_of([[
local fields = { { "id", "id" }, { "title", "strng" } }
models = {
  Item = { fields = fields },
}
]])
      assert.are.same({ "config.lua:3: models.Item.fields[2].type: unknown type 'strng' (did you mean 'string'?)" }, messages)
    end)

    it("names the config as given on the command line", function()
      local messages = errors_of('models = { Item = { fields = { { "id", "int" } } } }\n',
        { path = "examples/x/config.lua" })
      assert.matches("^examples/x/config.lua:1: models.Item.fields%[1%].type: ", messages[1])
    end)
  end)
end)
