-- Specs for ssot.validate.schema, the one declaration of the config's keys: docs/config.md's
-- reference tables are what tools/config_reference.lua writes from it now, the validators
-- check every table's keys against exactly the schema's list and refuse any other key, and
-- each declared default and example fits its own type, range and choices.
local check = require "ssot.validate.check"
local schema = require "ssot.validate.schema"
local support = require "config_support"
local fs = require "fs_helpers"

local SOURCE = os.getenv("SSOT_SOURCE_DIR") or "."
local LUA = os.getenv("LUA") or "lua5.4"
local REGENERATE = "lua5.4 tools/config_reference.lua docs/config.md"

-- reference(args) -> whether the generator succeeded, and what it printed.
local function reference(args)
  local p = assert(io.popen(string.format("cd %s && %s tools/config_reference.lua %s 2>&1", fs.quote(SOURCE),
    fs.quote(LUA), args)))
  local out = p:read("a")
  return p:close() == true, out
end

-- A config with an unknown key, zzUnknown, in one instance of every table the schema declares;
-- INSTANCES says where each is (the path messages name).
local EVERY_TABLE = [[
return {
  zzUnknown = true,
  targets = { zzUnknown = true },
  auth = { zzUnknown = true },
  serve = { zzUnknown = true, cors = { zzUnknown = true } },
  limits = { zzUnknown = true },
  models = {
    Todo = {
      zzUnknown = true,
      fields = { { "id", "id" }, { "listId", "int", belongsTo = "List", zzUnknown = true } },
      indexes = { { "listId", zzUnknown = true } },
      permissions = { zzUnknown = true },
      hooks = { zzUnknown = true },
    },
    List = { fields = { { "id", "id" } }, hasMany = { todos = { model = "Todo", zzUnknown = true } } },
  },
  websockets = {
    zzUnknown = true,
    reconnect = { zzUnknown = true },
    batching = { zzUnknown = true },
    limits = { zzUnknown = true },
    pubsub = {
      zzUnknown = true,
      models = { Todo = { zzUnknown = true, permissions = { zzUnknown = true } } },
      channels = { ["room:{id}"] = { events = { "typing" }, zzUnknown = true, permissions = { zzUnknown = true } } },
    },
  },
}
]]
local INSTANCES = {
  [""] = "",
  targets = "targets",
  auth = "auth",
  serve = "serve",
  ["serve.cors"] = "serve.cors",
  limits = "limits",
  ["models.<Model>"] = "models.Todo",
  ["models.<Model>.fields[i]"] = "models.Todo.fields[2]",
  ["models.<Model>.indexes[i]"] = "models.Todo.indexes[1]",
  ["models.<Model>.permissions"] = "models.Todo.permissions",
  ["models.<Model>.hooks"] = "models.Todo.hooks",
  ["models.<Model>.hasMany.<name>"] = "models.List.hasMany.todos",
  websockets = "websockets",
  ["websockets.reconnect"] = "websockets.reconnect",
  ["websockets.batching"] = "websockets.batching",
  ["websockets.limits"] = "websockets.limits",
  ["websockets.pubsub"] = "websockets.pubsub",
  ["websockets.pubsub.models.<Model>"] = "websockets.pubsub.models.Todo",
  ["websockets.pubsub.models.<Model>.permissions"] = "websockets.pubsub.models.Todo.permissions",
  ['websockets.pubsub.channels["<pattern>"]'] = 'websockets.pubsub.channels["room:{id}"]',
  ['websockets.pubsub.channels["<pattern>"].permissions'] = 'websockets.pubsub.channels["room:{id}"].permissions',
}

-- fits(entry, value) -> nil when value has the entry's type and lies in its range and
-- choices, else why not.
local KINDS = { boolean = "boolean", string = "string", text = "string", integer = "number", number = "number",
  table = "table", ["function"] = "function", ["list of strings"] = "table", list = "table" }
local function fits(entry, value)
  local kind = KINDS[entry[2]]
  if kind and type(value) ~= kind then return "is a " .. type(value) .. ", not " .. entry[2] end
  if entry[2] == "integer" and math.type(value) ~= "integer" then return "is not an integer" end
  if entry.min and value < entry.min then return "is below " .. entry.min end
  if entry.max and value > entry.max then return "is above " .. entry.max end
  if entry.above and value <= entry.above then return "is not above " .. entry.above end
  if entry.values then
    local items = type(value) == "table" and value or { value }
    for _, item in ipairs(items) do
      local found = false
      for _, v in ipairs(entry.values) do found = found or v == item end
      if not found then return tostring(item) .. " is not one of " .. table.concat(entry.values, ", ") end
    end
  end
  return nil
end

describe("the config schema", function()
  after_each(support.cleanup)

  it("is what docs/config.md's reference tables say (regenerate with " .. REGENERATE .. ")", function()
    local ok, out = reference("--check docs/config.md")
    assert(ok, "docs/config.md's config reference is stale: " .. out .. "\nregenerate it: " .. REGENERATE)
  end)

  it("makes the check fail, naming the command, when a generated row is edited by hand", function()
    local dir = support.scratch_dir()
    local doc = assert(fs.read(SOURCE .. "/docs/config.md"))
    local edited, n = doc:gsub("| `port` | integer | `8080` |", "| `port` | integer | `8081` |")
    assert.are.equal(1, n)
    fs.write(dir .. "/config.md", edited)
    local ok, out = reference("--check " .. fs.quote(dir .. "/config.md"))
    assert.is_false(ok)
    assert.truthy(out:find("regenerate it with: " .. REGENERATE, 1, true), out)
  end)

  it("every key list the validators check against is the schema's, and they refuse any other key", function()
    local Checker = getmetatable(check.new())
    local keys, seen, strays = Checker.keys, {}, {}
    Checker.keys = function(self, t, path, known, ...)
      local segments = check.segments(path)
      local declared = schema.find(segments)
      if declared and table.concat(declared.names, " ") == table.concat(known, " ") then
        seen[declared.path] = true
      else
        strays[#strays + 1] = table.concat(segments, ".") .. ": " .. table.concat(known, ", ")
      end
      return keys(self, t, path, known, ...)
    end
    local ok, messages = pcall(support.errors_of, EVERY_TABLE)
    Checker.keys = keys
    assert(ok, messages)
    assert.are.same({}, strays, "tables whose keys are checked against a list that is not the schema's")
    for _, t in ipairs(schema.tables) do
      local where = INSTANCES[t.path]
      assert(where, "the schema declares " .. t.path .. ": add an instance of it with zzUnknown = true to EVERY_TABLE "
        .. "and to INSTANCES in this spec")
      local prefix = (where == "" and "" or where .. ".") .. "zzUnknown: "
      local refused = false
      for _, m in ipairs(messages) do refused = refused or m:find(prefix, 1, true) ~= nil end
      assert(refused, t.path .. " accepts a key the schema does not declare:\n  " .. table.concat(messages, "\n  "))
      -- hooks are checked one by one against the schema's names ("unknown hook ...")
      assert(seen[t.path] or t.path == "models.<Model>.hooks",
        t.path .. ": its keys were never checked against the schema's list")
    end
  end)

  it("declares for every key a meaning, and an example and default that fit its type and range", function()
    for _, t in ipairs(schema.tables) do
      for _, entry in ipairs(t.keys) do
        local name = t.path .. (t.path == "" and "" or ".") .. entry[1]
        assert(type(entry.meaning) == "string" and entry.meaning ~= "", name .. " has no meaning")
        assert(not entry.meaning:find("\n"), name .. "'s meaning is one line")
        local chunk = assert(load("return " .. assert(entry.example, name .. " has no example"), name, "t", {}))
        local problem = fits(entry, chunk())
        assert(problem == nil, name .. "'s example " .. entry.example .. " " .. tostring(problem))
        if entry.default ~= nil then
          problem = fits(entry, entry.default)
          assert(problem == nil, name .. "'s default " .. tostring(problem))
        end
      end
    end
  end)
end)
