-- The config's keys, declared once: for every table of the config with fixed keys, each key's
-- type, default, allowed values or range, meaning and an example. The validators take their
-- key lists, defaults, ranges and choices from here, and tools/config_reference.lua writes
-- docs/config.md's reference tables from it, so what is accepted and what is documented
-- cannot drift apart. Uses ssot.ir (field types, permission actions, hook names), ssot.facts
-- (the most workers).
local ir = require "ssot.ir"
local facts = require "ssot.facts"

local M = {}

-- Each table: path (its config path; <Name> stands for a key the config chooses, [i] for a
-- list position, ["<pattern>"] for a channel pattern), doc (the reference table of
-- docs/config.md it is shown in: the table whose path starts that table's rows) and keys,
-- in the order messages list them ("known keys: ..."). Each key:
--   [1] name, [2] type: a kind the checks know (boolean, string, text, integer, number,
--   table, function) or words for the reference (rule, list of strings, ...)
--   default       the value when the key is absent; default_text when it is not one value
--   required      the key must be given
--   values        the allowed values; min, max (integers), above (numbers: exclusive)
--   unit          what the number counts, named in the out-of-range message
--   doc_unit      what the number counts, for the reference only (ms)
--   allowed       the allowed values in words, when no list or range says it
--   applies       which fields take the option (field options only)
--   meaning       one line for the reference; example: Lua source of a value
M.tables = {}

local function declare(t)
  M.tables[#M.tables + 1] = t
  return t
end

local METHOD_WORDS = "`GET`, `POST`, `PUT`, `PATCH`, `DELETE`"

declare {
  path = "", doc = "",
  keys = {
    { "name", "string", default_text = "the config directory's name",
      allowed = "letters, digits, `.`, `_`, `-`, starting with a letter or digit",
      meaning = "app name; used in file names (the database)", example = '"chat"' },
    { "output", "string", default = "generated", allowed = "a non-empty directory",
      meaning = "output directory, relative to the config; `ssot run -o DIR` overrides it (relative to the "
        .. "current directory)", example = '"generated"' },
    { "lib", "string or list of strings", allowed = "existing directories",
      meaning = "library directories (each with `lua/` and `templates/`) searched after `--lib` and `SSOT_PATH`, "
        .. "before the built-ins; relative to the config", example = '{ "lib" }' },
    { "phases", "string or list of strings", allowed = "existing files",
      meaning = "extra phase files (see [phases.md](phases.md)), relative to the config",
      example = '{ "phases/dictionary.lua" }' },
    { "targets", "table", default_text = "all on but `postgres`",
      meaning = "which built-in outputs to generate, see [targets](#targets)", example = "{ react = false }" },
    { "models", "table", required = true, allowed = "`Name = { ... }`, at least one",
      meaning = "the data models, see [models](#models)",
      example = '{ Todo = { fields = { { "id", "id" }, { "title", "string" } } } }' },
    { "auth", "table", default_text = "see [auth](#auth)", meaning = "JWT settings",
      example = '{ adminRole = "staff" }' },
    { "websockets", "table", default_text = "off", meaning = "realtime settings, see [websockets](#websockets)",
      example = '{ path = "/ws" }' },
    { "serve", "table", default_text = "see [serve](#serve)", meaning = "`ssot serve` settings",
      example = "{ port = 3000 }" },
    { "routes", "table", allowed = '`["METHOD /path"] = function(req) ... end`; methods ' .. METHOD_WORDS,
      meaning = "custom HTTP routes, see [routes](#routes)",
      example = '{ ["GET /api/stats"] = function(req) return { rooms = 3 } end }' },
    { "limits", "table", default_text = "see [limits](#limits)",
      meaning = "how long phases and the server's Lua calls may run", example = "{ request = 10 }" },
  },
}

declare {
  path = "targets", doc = "targets",
  keys = {
    { "sql", "boolean", default = true, meaning = "`schema.sql`, the SQLite schema", example = "false" },
    { "postgres", "boolean", default = false, meaning = "`schema.postgres.sql`, the same schema for PostgreSQL "
      .. "(10 or newer), for your own use: `ssot serve` on a PostgreSQL URL makes its tables itself", example = "true" },
    { "sdk", "boolean", default = true, meaning = "`sdk/`, the TypeScript SDK", example = "false" },
    { "react", "boolean", default = true, meaning = "`react/`, the React hooks; they build on the SDK, so they "
      .. "need `sdk = true`", example = "false" },
    { "openapi", "boolean", default = true, meaning = "`openapi.json`, the OpenAPI 3.1 document", example = "false" },
    { "asyncapi", "boolean", default = true, meaning = "`asyncapi.json`, the AsyncAPI 3.0 document of the WebSocket "
      .. "API ([protocol.md](protocol.md#the-asyncapi-document)); written only when `websockets.enabled` is true",
      example = "false" },
  },
}

declare {
  path = "models.<Model>", doc = "models.<Model>",
  keys = {
    { "description", "text", meaning = "documentation for generated code and OpenAPI",
      example = '"A task on the list."' },
    { "fields", "list", required = true, allowed = "field entries, see [fields](#fields); must include "
      .. '`{ "id", "id" }`', meaning = "the fields, in the order they appear everywhere",
      example = '{ { "id", "id" }, { "title", "string" } }' },
    { "hasMany", "table", allowed = '`name = "Model"` or `name = { model = "Model", field = "fk" }`',
      meaning = "reverse relations, see [relations](#relations)", example = '{ messages = "Message" }' },
    { "hooks", "table or string", allowed = "the hooks below, or the path of a Lua file returning them",
      meaning = "server-side Lua hooks, see [hooks](#hooks)", example = '"hooks/note.lua"' },
    { "indexes", "list", allowed = "index entries (below)", meaning = "extra indexes, see [indexes](#indexes)",
      example = '{ { "roomId", "createdAt" } }' },
    { "owner", "string", allowed = "an `int` or `string` field of the model",
      meaning = "the field holding the owning user's id; the server fills it from the token on create; enables "
        .. "`isOwner`", example = '"authorId"' },
    { "path", "string", default_text = "plural kebab-case of the name",
      allowed = "segments of letters, digits, `-`, `_`, `.`, `~`",
      meaning = 'REST path under `/api`, one or more segments (`"topics"`, `"v1/topics"`); slashes at the ends '
        .. "are ignored", example = '"topics"' },
    { "permissions", "table", default_text = "everything allowed",
      meaning = "rules for `list`, `get`, `create`, `update`, `delete`, see [permissions](#permissions)",
      example = '{ update = "isOwner || isAdmin" }' },
  },
}

declare {
  path = "models.<Model>.hasMany.<name>", doc = "models.<Model>",
  keys = {
    { "field", "string", default_text = "the one field of `model` that belongs to this model",
      meaning = "the foreign-key field, when `model` has several that belong to this model", example = '"authorId"' },
    { "model", "string", required = true, meaning = "the model on the other side", example = '"Comment"' },
  },
}

declare {
  path = "models.<Model>.indexes[i]", doc = "models.<Model>",
  keys = {
    { "fields", "list of strings", allowed = "field names of the model, at least one",
      meaning = 'the indexed fields; they may also be listed directly: `{ "roomId", "createdAt" }`',
      example = '{ "authorId", "slug" }' },
    { "unique", "boolean", default = false, meaning = "a unique index", example = "true" },
  },
}

-- One row per action and hook; their names are the IR's (ssot.ir).
local ACTION_MEANINGS = {
  list = { "who may list rows; the list holds only the rows they could `get`", '"true"' },
  get = { "who may read one row", '"authenticated"' },
  create = { "who may create a row", '"authenticated"' },
  update = { "who may change a row", '"isOwner || isAdmin"' },
  delete = { "who may delete a row", '"isAdmin"' },
}
local permission_keys = {}
for i, action in ipairs(ir.ACTIONS) do
  local about = ACTION_MEANINGS[action] or error("schema: no meaning for the action " .. action)
  permission_keys[i] = { action, "rule", default = "true",
    allowed = "an expression, a boolean or `function(user, row)`", meaning = about[1], example = about[2] }
end
declare { path = "models.<Model>.permissions", doc = "models.<Model>", keys = permission_keys }

local HOOK_MEANINGS = {
  beforeCreate = "runs before a row is written; may change the body or refuse",
  afterCreate = "runs after the created row is committed",
  beforeUpdate = "runs inside the write transaction before a change; may change the body or refuse",
  afterUpdate = "runs after the changed row is committed",
  beforeDelete = "runs inside the write transaction before a delete; may refuse",
  afterDelete = "runs after the delete is committed",
}
local hook_keys = {}
for i, hook in ipairs(ir.HOOKS) do
  hook_keys[i] = { hook, "function", meaning = HOOK_MEANINGS[hook] or error("schema: no meaning for the hook " .. hook),
    example = "function(row) end" }
end
declare { path = "models.<Model>.hooks", doc = "models.<Model>", keys = hook_keys }

local FIELD_NAME = "a lowercase letter, then letters, digits or `_`"

declare {
  path = "models.<Model>.fields[i]", doc = "models.<Model>.fields[i]",
  keys = {
    { "name", "string", required = true, applies = "all", allowed = FIELD_NAME,
      meaning = 'the field\'s name and SQL column; the shorthand gives it first: `{ "title", "string" }`',
      example = '"title"' },
    { "type", "string", required = true, applies = "all", values = ir.TYPES,
      meaning = "the field's type, see [Types](#types); the shorthand gives it second", example = '"string"' },
    { "optional", "boolean", default = false, applies = "all but `id`",
      meaning = "may be `null`/absent; fields are required unless optional", example = "true" },
    { "default", "the field's type", applies = "all but `id` and `auto` fields",
      meaning = "value used on create when the client sends none (see below)", example = "false" },
    { "unique", "boolean", default = false, applies = "all but `json`",
      meaning = "UNIQUE constraint; a duplicate is `409 conflict`", example = "true" },
    { "max", "integer", min = 1, applies = "`string`", meaning = "maximum length in characters", example = "200" },
    { "values", "list of strings", applies = "`enum` (required)",
      meaning = "the allowed values, in order; non-empty, distinct, no surrounding spaces",
      example = '{ "low", "high" }' },
    { "uuid", "boolean", default = false, applies = "`id`", meaning = "UUID ids instead of integers",
      example = "true" },
    { "auto", "string", values = { "create", "update" }, applies = "`datetime`",
      meaning = "set by the server when the row is created (`create`), or on create and every update (`update`)",
      example = '"create"' },
    { "belongsTo", "string", applies = "`int` or `string`", allowed = "a model name",
      meaning = "foreign key to that model's id, see [relations](#relations)", example = '"Room"' },
    { "onDelete", "string", values = { "restrict", "cascade", "setNull" }, default = "restrict",
      applies = "fields with `belongsTo`",
      meaning = "what deleting the referenced row does; `setNull` needs `optional = true`", example = '"cascade"' },
    { "as", "string", default_text = "the field name without `Id`", applies = "fields with `belongsTo`",
      allowed = FIELD_NAME, meaning = "the relation's name", example = '"parent"' },
    { "description", "text", applies = "all", meaning = "documentation for generated code and OpenAPI",
      example = '"Shown to users."' },
    { "index", "boolean", default = false, applies = "all", meaning = "create an index on this field",
      example = "true" },
  },
}

declare {
  path = "websockets", doc = "websockets",
  keys = {
    { "batching", "table", meaning = "send a connection's events in batches (below)",
      example = "{ enabled = true }" },
    { "enabled", "boolean", default_text = "`true` when the section exists",
      meaning = "the WebSocket endpoint of `ssot serve`, and `realtime` on the models of `pubsub.models` in the IR. "
        .. "With `false` the section is still checked, but there is no endpoint, and `ssot.publish` raises an error",
      example = "true" },
    { "history", "integer", default = 1000, min = 1, max = 1000000, unit = "change events kept per model",
      meaning = "change events kept per model, so a client that reconnects can catch up", example = "5000" },
    { "limits", "table", meaning = "what one connection may cost the server (below)",
      example = "{ subscriptions = 50 }" },
    { "path", "string", default = "/ws",
      allowed = "`/` then letters, digits, `-`, `_`, `.`, `~`, `/`; not `/api`, a path under it, or `/healthz`",
      meaning = "the endpoint's path on the server's port", example = '"/realtime"' },
    { "pubsub", "table", meaning = "what clients may subscribe to: `models` and custom `channels`",
      example = "{ models = { Message = true } }" },
    { "reconnect", "table", meaning = "the clients' reconnect settings; the server itself does not read them",
      example = "{ maxAttempts = 5 }" },
  },
}

declare {
  path = "websockets.batching", doc = "websockets",
  keys = {
    { "enabled", "boolean", default = false,
      meaning = "send a connection's events in batches: one frame holding a JSON array of them (an event that "
        .. "waited alone goes as itself); a reply to the client sends the waiting batch first", example = "true" },
    { "flushInterval", "integer", default = 50, min = 1, doc_unit = "ms",
      meaning = "how long events wait for their batch", example = "20" },
    { "maxBatchSize", "integer", default = 100, min = 1,
      meaning = "most events per batch; a full batch leaves at once", example = "50" },
  },
}

-- The upper bounds catch a typo that would let one client hold gigabytes; the lower ones keep
-- the protocol usable (a subscribe or a small request must fit in a message; a reply in the
-- queue).
declare {
  path = "websockets.limits", doc = "websockets",
  keys = {
    { "subscriptions", "integer", default = 100, min = 1, max = 100000, unit = "channels per connection",
      meaning = "channels one connection may subscribe to", example = "50" },
    { "messageSize", "integer", default = 65536, min = 1024, max = 16 * 1024 * 1024,
      unit = "bytes, 1 KiB to 16 MiB", meaning = "largest message a client may send", example = "16384" },
    { "messagesPerSecond", "integer", default = 100, min = 1, max = 100000,
      unit = "messages a client may send per second", meaning = "messages one connection may send per second",
      example = "20" },
    { "sendQueue", "integer", default = 1048576, min = 64 * 1024, max = 1024 * 1024 * 1024,
      unit = "bytes, 64 KiB to 1 GiB", allowed = "at least `messageSize`",
      meaning = "bytes that may wait unread for one connection before it is closed (`4008`)", example = "262144" },
  },
}

declare {
  path = "websockets.pubsub", doc = "websockets",
  keys = {
    { "channels", "table", allowed = '`["pattern"] = { events, permissions, presence }`',
      meaning = "custom channels; a pattern is written like `\"chat:room:{roomId}\"`, see below",
      example = '{ ["chat:room:{roomId}"] = { events = { "typing" } } }' },
    { "models", "table", allowed = "`Model = { ... }` or `Model = true` (both channels, every change)",
      meaning = "the models clients may subscribe to", example = "{ Message = true }" },
  },
}

declare {
  path = "websockets.pubsub.models.<Model>", doc = "websockets",
  keys = {
    { "broadcast", "list of strings", values = { "created", "updated", "deleted" }, default_text = "all three",
      meaning = "which changes are pushed (to live subscribers and in replays)", example = '{ "created" }' },
    { "permissions", "table", meaning = "an extra rule for subscribing (below)",
      example = '{ subscribe = "authenticated" }' },
    { "subscribe", "list of strings", values = { "list", "item" }, default_text = "both",
      meaning = "which model channels exist: `Model:list`, `Model:item:<id>`", example = '{ "list" }' },
  },
}

declare {
  path = "websockets.pubsub.models.<Model>.permissions", doc = "websockets",
  keys = {
    { "subscribe", "rule", allowed = "an expression, a boolean or `function(user, row)`",
      meaning = "an extra rule for subscribing and for every event, on top of the model's `list` (list channel) or "
        .. "`get` (item channel) rule; `isOwner` works when the model has an `owner`",
      example = '"authenticated"' },
  },
}

declare {
  path = 'websockets.pubsub.channels["<pattern>"]', doc = "websockets",
  keys = {
    { "events", "list of names, and `name = { fields }`", required = true,
      allowed = "names: a letter, then letters, digits, `_`, `-`, `.` or `:`; at least one",
      meaning = "the events that may be published on the channel, by clients and by `ssot.publish`. A listed name "
        .. "takes any JSON; an event given fields (written like a model's: `{ \"name\", \"string\", max = 80 }`, "
        .. "types `int float bool string text datetime json enum`, with `optional`, `max`, `values`, `description`) "
        .. "takes an object with exactly those fields, required unless `optional` — the server answers anything else "
        .. "with `validation_failed`, and the SDK types `publish` and the received events by them",
      example = '{ "stopTyping", typing = { { "name", "string", max = 80 } } }' },
    { "permissions", "table", meaning = "who may subscribe and publish (below)",
      example = '{ publish = "authenticated" }' },
    { "presence", "boolean", default = false,
      meaning = "track who is subscribed, per signed-in user: `join` and `leave` events, the `presence` request; "
        .. "those two event names are then the server's and cannot be in `events`", example = "true" },
  },
}

declare {
  path = 'websockets.pubsub.channels["<pattern>"].permissions', doc = "websockets",
  keys = {
    { "publish", "rule", default = "true", allowed = "an expression, a boolean or `function(user, params)`",
      meaning = "who may publish; `isOwner` has no row here and is rejected", example = '"authenticated"' },
    { "subscribe", "rule", default = "true", allowed = "an expression, a boolean or `function(user, params)`",
      meaning = "who may subscribe (and ask `presence`); a function gets the channel's parameters "
        .. '(`{ roomId = "3" }`)', example = '"authenticated"' },
  },
}

declare {
  path = "websockets.reconnect", doc = "websockets",
  keys = {
    { "maxAttempts", "integer", default = 10, min = 0, meaning = "client reconnect attempts", example = "5" },
    { "backoff", "string", default = "exponential", values = { "exponential", "linear", "fixed" },
      meaning = "delay growth between attempts", example = '"linear"' },
    { "baseDelay", "integer", default = 1000, min = 0, doc_unit = "ms", meaning = "first delay", example = "250" },
  },
}

declare {
  path = "auth", doc = "auth",
  keys = {
    { "adminRole", "string", default = "admin", allowed = "non-empty", meaning = "the role that makes `isAdmin` true",
      example = '"staff"' },
    { "algorithm", "string", default = "HS256", values = { "HS256" },
      meaning = "the only algorithm today; tokens signed otherwise (or `alg: none`) are rejected",
      example = '"HS256"' },
    { "idClaim", "string", default = "sub", allowed = "non-empty", meaning = "the claim giving `user.id`",
      example = '"uid"' },
    { "roleClaim", "string", default = "role", allowed = "non-empty", meaning = "the claim giving `user.role`",
      example = '"roles"' },
    { "secretEnv", "string", default = "SSOT_JWT_SECRET", allowed = "letters, digits and `_`",
      meaning = "the environment variable holding the HS256 secret (unset in development: the "
        .. "[development secret](auth.md#the-development-secret) beside the database)",
      example = '"APP_JWT_SECRET"' },
  },
}

declare {
  path = "serve", doc = "serve",
  keys = {
    { "cors", "table", meaning = "cross-origin requests (below)",
      example = '{ origins = { "https://app.example.com" } }' },
    { "database", "string", default_text = '`"data/<name>.db"`', allowed = 'a file name, `":memory:"`, or a `postgres://` (`postgresql://`) URL (the environment\'s `DATABASE_URL` wins over it, `--db` over both)',
      meaning = "SQLite file, relative to the config (`--db` overrides); `\":memory:\"` keeps nothing",
      example = '"data/app.db"' },
    { "defaultTake", "integer", default = 20, min = 1, allowed = "at most `maxTake`",
      meaning = "list page size when `take` is absent", example = "50" },
    { "host", "string", default = "localhost", allowed = "non-empty",
      meaning = 'address to listen on: `"localhost"` is the loopback (127.0.0.1 and ::1), `"0.0.0.0"` every IPv4 '
        .. 'interface, `"::"` every interface (`--host` overrides)', example = '"0.0.0.0"' },
    { "maxBody", "integer", default = 1048576, min = 1, doc_unit = "bytes", meaning = "larger bodies get `413`",
      example = "65536" },
    { "maxTake", "integer", default = 100, min = 1, meaning = "largest `take`; at least `defaultTake`",
      example = "500" },
    { "port", "integer", default = 8080, min = 0, max = 65535,
      meaning = "port to listen on (`--port` overrides; 0 picks a free one)", example = "3000" },
    { "static", "string", allowed = "a directory", meaning = "a directory (e.g. a built front end) served at `/`",
      example = '"web/dist"' },
    { "workers", "integer", default = 1, min = 1, max = facts.max_workers,
      meaning = "processes serving the port together, each with its own database connection: the node's pool "
        .. "(PostgreSQL only; `--workers` overrides)", example = "4" },
  },
}

declare {
  path = "serve.cors", doc = "serve",
  keys = {
    { "credentials", "boolean", default = false,
      meaning = 'allow credentials; browsers refuse this with `"*"`, so list the origins', example = "true" },
    { "origins", "string or list of strings", default = { "*" }, allowed = '`"*"` or `scheme://host[:port]`',
      meaning = "allowed origins", example = '{ "https://app.example.com" }' },
  },
}

declare {
  path = "limits", doc = "limits",
  keys = {
    { "phase", "number", default = 60, above = 0, max = 86400, doc_unit = "seconds",
      meaning = "how long each phase's run (and should_run, reason) may take in `ssot run`", example = "120" },
    { "request", "number", default = 5, above = 0, max = 86400, doc_unit = "seconds",
      meaning = "how long a hook, a rule function or a custom route may run per call in `ssot serve`",
      example = "10" },
  },
}

-- Lookups: by path, and each table's key names and entries by name.
M.by_path = {}
for _, t in ipairs(M.tables) do
  assert(not M.by_path[t.path], "schema: the table " .. t.path .. " is declared twice")
  M.by_path[t.path] = t
  t.names, t.entry = {}, {}
  for i, key in ipairs(t.keys) do
    assert(not t.entry[key[1]], "schema: " .. t.path .. "." .. key[1] .. " is declared twice")
    t.names[i], t.entry[key[1]] = key[1], key
  end
end

local function table_at(path)
  return M.by_path[path] or error("schema: no table " .. tostring(path), 3)
end

-- keys(path) -> the key names of the table at path, in the order messages list them. The
-- same list each time, so a check may cache what it derives from it.
function M.keys(path) return table_at(path).names end

-- entry(path, key) -> the declaration of one key.
function M.entry(path, key)
  return table_at(path).entry[key] or error("schema: no key " .. tostring(key) .. " in " .. path, 2)
end

-- default(path, key) -> the key's default value (a copy when it is a table).
function M.default(path, key)
  local value = M.entry(path, key).default
  if type(value) == "table" then return table.move(value, 1, #value, 1, {}) end
  return value
end

-- tokens(path) -> the path's parts: names, "[i]" and '["<pattern>"]' as they are written.
function M.tokens(path)
  local list = {}
  for part in path:gmatch("[^.]+") do
    local name, rest = part:match("^([^%[]*)(.*)$")
    if name ~= "" then list[#list + 1] = name end
    for index in rest:gmatch("%b[]") do list[#list + 1] = index end
  end
  return list
end

-- A token that stands for a key the config chooses.
function M.is_placeholder(token)
  return token:match("^<.*>$") ~= nil or token:sub(1, 1) == "["
end

-- find(segments) -> the declared table a concrete config path (a list of keys, as the checks
-- make them) is an instance of, or nil: { "models", "Todo", "fields", 2 } finds
-- models.<Model>.fields[i].
function M.find(segments)
  for _, t in ipairs(M.tables) do
    local tokens = M.tokens(t.path)
    if #tokens == #segments then
      local match = true
      for i, token in ipairs(tokens) do
        local key = segments[i]
        if token == "[i]" then match = math.type(key) == "integer"
        elseif M.is_placeholder(token) then match = type(key) == "string"
        else match = key == token end
        if not match then break end
      end
      if match then return t end
    end
  end
  return nil
end

return M
