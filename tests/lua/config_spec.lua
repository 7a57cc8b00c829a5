-- Specs for loading a config: the sandbox it runs in, errors while running it, the two
-- forms (globals, `return { ... }`), paths resolved against its directory, hooks files, and
-- the source locator that gives validation errors their line.
local config = require "ssot.config"
local core = require "ssot.core"
local locate = require "ssot.locate"
local sandbox = require "ssot.sandbox"
local support = require "config_support"

local errors_of, TODO = support.errors_of, support.TODO
local source_dir = support.source_dir

describe("config loading", function()
  after_each(support.cleanup)

  describe("files", function()
    it("loads the chat example and records where it came from", function()
      local ir = config.load(source_dir .. "/examples/chat/config.lua")
      assert.are.equal("chat", ir.name)
      assert.are.equal(source_dir .. "/examples/chat/config.lua", ir.source)
      assert.are.equal("config.lua", ir.source_name)
      assert.are.equal(source_dir .. "/examples/chat/config.lua", ir.config_path)
      assert.are.equal(source_dir .. "/examples/chat", ir.config_dir)
      assert.are.equal(source_dir .. "/examples/chat/generated", ir.output)
    end)

    it("lets opts.output override the output directory, relative to the current directory", function()
      local ir = config.load(source_dir .. "/examples/chat/config.lua", { output = "out/sdk" })
      assert.are.equal(core.getcwd() .. "/out/sdk", ir.output)
      assert.are.equal("out/sdk", ir.output_display)
    end)

    it("explains a missing config file", function()
      local err = support.failure(config.load, "no/such/config.lua")
      assert.are.same({ "cannot read the config: no/such/config.lua: No such file or directory (give the path of an "
        .. "existing config, or write one: docs/getting-started.md shows a first config.lua)" }, err.errors)
    end)

    it("resolves relative paths against the config's directory and names the app after it", function()
      local dir = support.scratch_dir() .. "/my-app"
      support.write(dir .. "/phases/docs.lua", "return {}\n")
      support.write(dir .. "/lib/templates/x.tpl", "x\n")
      support.write(dir .. "/config.lua", TODO .. table.concat({
        'output = "../out"',
        'lib = { "lib" }',
        'phases = { "phases/docs.lua" }',
        'serve = { static = "web/dist" }',
        "" }, "\n"))
      local ir = config.load(dir .. "/config.lua")
      local parent = dir:match("^(.*)/[^/]+$")
      assert.are.equal("my-app", ir.name)
      assert.are.equal(parent .. "/out", ir.output)
      assert.are.same({ dir .. "/lib" }, ir.lib)
      assert.are.same({ dir .. "/phases/docs.lua" }, ir.phases)
      assert.are.equal(dir .. "/data/my-app.db", ir.serve.database)
      assert.are.equal(dir .. "/web/dist", ir.serve.static)
    end)
  end)

  describe("errors while running the config", function()
    it("reports a syntax error with file and line", function()
      local messages = errors_of('models = {\n  Todo = { fields = { } \n}}\nx = = 1\n')
      assert.are.equal(1, #messages)
      assert.matches("^config%.lua:4: unexpected symbol near '='$", messages[1])
    end)

    it("reports a runtime error with file and line", function()
      assert.are.same({ "config.lua:2: boom" }, errors_of('local x = 1\nerror("boom")\n'))
      assert.are.same({ "config.lua:1: attempt to perform arithmetic on a nil value (field 'nope')" },
        errors_of("local n = string.nope + 1\n"))
    end)

    it("reports error values that are not strings", function()
      assert.are.same({ 'config.lua: error object is a table value (use error("message"))' }, errors_of("error({})\n"))
      assert.are.same({ "config.lua: plain" }, errors_of('error("plain", 0)\n'))
    end)

    it("stops a config that runs too long", function()
      local limit = sandbox.time_limit
      sandbox.time_limit = 0.1
      local ok, messages = pcall(errors_of, "local i = 0\nwhile true do\n  i = i + 1\nend\n")
      sandbox.time_limit = limit
      assert.is_true(ok, messages)
      assert.are.equal(1, #messages)
      assert.matches("^config%.lua:%d: the config ran for more than 0%.1 s: is there an endless loop%?$", messages[1])
    end)

    it("stops a config that catches the limit's error and loops on, at the config's own line", function()
      local limit = sandbox.time_limit
      sandbox.time_limit = 0.1
      local started = os.clock()
      local ok, messages = pcall(errors_of, "local n = 0\nwhile true do\n  pcall(function() while true do n = n + 1 end end)\n"
        .. "  xpcall(function() while true do end end, function() while true do end end)\nend\n")
      sandbox.time_limit = limit
      assert.is_true(ok, messages)
      assert.is_true(os.clock() - started < 5, "stopped soon after the limit")
      assert.are.equal(1, #messages)
      assert.matches("^config%.lua:[2-4]: the config ran for more than 0%.1 s: is there an endless loop%?$", messages[1])
    end)

    it("stops validation when the config's own metamethods never return", function()
      local limit = sandbox.time_limit
      sandbox.time_limit = 0.1
      local ok, messages = pcall(errors_of, "models = setmetatable({}, { __index = function() while true do end end,\n"
        .. "  __pairs = function() while true do end end })\n")
      sandbox.time_limit = limit
      assert.is_true(ok, messages)
      assert.are.equal(1, #messages)
      assert.matches("^config%.lua:[12]: validating the config ran for more than 0%.1 s", messages[1])
    end)
  end)

  describe("sandbox", function()
    it("offers the safe standard library and os.getenv/time/date/clock", function()
      local ir = support.load([[
local fields = { { "id", "id" } }
for i, word in ipairs { "alpha", "beta" } do
  table.insert(fields, { word .. i, "string", max = math.max(10, #word), optional = select("#", 1) == 1 })
end
assert(utf8.len("héllo") == 5 and type(os.time()) == "number" and os.date("!%Y", 0) == "1970")
assert(type(os.clock()) == "number" and tostring(tonumber("7")) == "7")
assert(os.getenv("PATH") ~= nil and pcall(error, "x") == false)
name = ("Demo"):lower()
models = { Todo = { fields = fields } }
]])
      assert.are.equal("demo", ir.name)
      local fields = ir.model_by_name.Todo.fields
      assert.are.same({ "id", "alpha1", "beta2" }, { fields[1].name, fields[2].name, fields[3].name })
      assert.are.equal(10, fields[2].max)
      assert.is_true(fields[3].optional)
    end)

    it("has no io, require, load, dofile, debug or os.execute, and says why", function()
      for _, name in ipairs { "io", "require", "load", "loadfile", "dofile", "debug", "getmetatable",
          "collectgarbage" } do
        local messages = errors_of("local x = " .. name .. "\n" .. TODO)
        assert.are.equal(1, #messages)
        assert.matches("^config%.lua:1: unknown global '" .. name .. "': a config cannot ", messages[1])
      end
      assert.are.same({ "config.lua:1: unknown global 'io': a config cannot read or write files (the same config "
        .. "must give the same output everywhere); os.getenv reads values that differ per machine" },
        errors_of("local f = io.open('x')\n" .. TODO))
      for _, name in ipairs { "execute", "remove", "rename", "exit", "tmpname" } do
        assert.are.same({ "config.lua:1: os." .. name .. " is not available in a config: a config cannot run "
          .. "programs or change files; it may use os.getenv, os.time, os.date and os.clock" },
          errors_of("os." .. name .. '("x")\n' .. TODO))
      end
      assert.has_no.errors(function() support.load("assert(os.nothing == nil)\n" .. TODO) end)
    end)

    it("cannot change the host's libraries", function()
      support.load("string.upper = nil\ntable.concat = nil\nmath.pi = 3\n" .. TODO)
      assert.are.equal("A", string.upper("a"))
      assert.are.equal("ab", table.concat { "a", "b" })
      assert.are_not.equal(3, math.pi)
    end)

    it("does not let the config assign to library names", function()
      assert.are.same({ "config.lua:1: cannot assign to 'string': it is part of the standard library the config uses" },
        errors_of('string = "x"\n' .. TODO))
    end)

    it("reads config keys before and after they are set, and through _G", function()
      local ir = support.load([[
assert(models == nil)
models = {}
models.Todo = { fields = { { "id", "id" } } }
_G.name = "via-g"
]])
      assert.are.equal("via-g", ir.name)
      assert.is_table(ir.model_by_name.Todo)
    end)
  end)

  describe("return form", function()
    it("accepts a returned table of config keys", function()
      local ir = support.load('return {\n  name = "ret",\n  models = { Todo = { fields = { { "id", "id" } } } },\n}\n')
      assert.are.equal("ret", ir.name)
      assert.is_table(ir.model_by_name.Todo)
    end)

    it("merges returned keys with assigned globals but rejects a key set both ways", function()
      assert.are.equal("both", support.load('name = "both"\nreturn { models = { T = { fields = { { "id", "id" } } } } }\n').name)
      assert.are.same({ "config.lua:3: name: is both assigned as a global and in the returned table; keep one" },
        errors_of('name = "a"\nreturn {\n  name = "b",\n  models = { T = { fields = { { "id", "id" } } } },\n}\n'))
    end)

    it("rejects returning something other than a table", function()
      assert.are.same({ "config.lua: the config returned a string; assign the config keys as globals (models = { ... }) "
        .. "or return a table of them" }, errors_of(TODO .. 'return "x"\n'))
    end)
  end)

  describe("hooks", function()
    it("keeps inline hooks and loads a hooks file next to the config", function()
      local ir = config.load(source_dir .. "/tests/fixtures/configs/hooks/config.lua")
      local note, tally = ir.model_by_name.Note, ir.model_by_name.Tally
      assert.are.same({ "beforeCreate", "beforeUpdate" }, support.sorted_keys(note.hooks))
      assert.are.same({ text = "hi" }, note.hooks.beforeCreate({ text = "  hi " }))
      assert.are.same({ count = 1 }, tally.hooks.beforeCreate({}))
      assert.is_nil(tally.hooks.afterCreate)
    end)

    it("reports a hooks file that is missing, broken or returns no table", function()
      local dir = support.scratch_dir()
      support.write(dir .. "/broken.lua", "return {\n  beforeCreate = function( end,\n}\n")
      support.write(dir .. "/strict.lua", "local x = undefinedThing\nreturn {}\n")
      support.write(dir .. "/nothing.lua", "local x = 1\n")
      support.write(dir .. "/config.lua", table.concat({
        "models = {",
        '  Alpha = { fields = { { "id", "id" } }, hooks = "missing.lua" },',
        '  Beta = { fields = { { "id", "id" } }, hooks = "broken.lua" },',
        '  Gamma = { fields = { { "id", "id" } }, hooks = "strict.lua" },',
        '  Delta = { fields = { { "id", "id" } }, hooks = "nothing.lua" },',
        "}", "" }, "\n"))
      local messages = support.failure(config.load, dir .. "/config.lua").errors
      local file = dir .. "/config.lua"
      local shown = function(name) return (dir .. "/" .. name):gsub("^" .. core.getcwd():gsub("%p", "%%%0") .. "/", "") end
      support.assert_has(messages, file .. ":2: models.Alpha.hooks: cannot read the hooks file 'missing.lua': " .. dir
        .. "/missing.lua: No such file or directory")
      assert.matches("^" .. file:gsub("%p", "%%%0") .. ":3: models%.Beta%.hooks: the hooks file 'broken%.lua' failed: .*broken%.lua:2: ",
        messages[2])
      support.assert_has(messages, file .. ":4: models.Gamma.hooks: the hooks file 'strict.lua' failed: " .. shown("strict.lua")
        .. ":1: unknown global 'undefinedThing'")
      support.assert_has(messages, file .. ":5: models.Delta.hooks: the hooks file 'nothing.lua' must return a table of hook "
        .. "functions ({ beforeCreate = function(ctx) ... end }), but returned nil")
    end)
  end)

  describe("through the ssot binary", function()
    local bin = os.getenv("SSOT_BIN")

    -- run(args) -> exit status, combined output
    local function run(args)
      local out = os.tmpname()
      local ok, _, status = os.execute(string.format("NO_COLOR=1 '%s' %s >'%s' 2>&1", bin, args, out))
      local f = assert(io.open(out))
      local text = f:read("a")
      f:close()
      os.remove(out)
      return ok and 0 or status, text
    end

    it("prints every problem and exits with the config status", function()
      assert.is_string(bin, "SSOT_BIN must name the ssot binary (ctest sets it)")
      local dir = support.scratch_dir()
      support.write(dir .. "/config.lua", table.concat({
        "models = {",
        '  Item = { fields = { { "id", "id" }, { "title", "strng" } } },',
        "}",
        'serve = { port = "x" }',
        "" }, "\n"))
      local status, output = run("run '" .. dir .. "/config.lua'")
      assert.are.equal(3, status)
      assert.are.equal(table.concat({
        "error: " .. dir .. "/config.lua:2: models.Item.fields[2].type: unknown type 'strng' (did you mean 'string'?)",
        "error: " .. dir .. "/config.lua:4: serve.port: expected an integer, got 'x'",
        "2 errors in " .. dir .. "/config.lua",
        "" }, "\n"), output)
    end)

    it("reports an unknown config global from the binary too", function()
      local dir = support.scratch_dir()
      support.write(dir .. "/config.lua", "modles = {}\n")
      local status, output = run("phases '" .. dir .. "/config.lua'")
      assert.are.equal(3, status)
      assert.are.equal("error: " .. dir .. "/config.lua:1: unknown config key 'modles' (did you mean 'models'?)\n", output)
    end)
  end)

  describe("locate", function()
    it("maps config paths to the lines their values are written on", function()
      local lines = locate.map([==[
-- a comment with { braces } and "quotes"
--[[ a long
comment ]]
name = "x" -- trailing
local helper = { notMapped = 1 }
models = {
  Message = {
    fields = {
      { "id", "id" },
      { "text", [[long
string]], max = 10 },
      { name = "kind",
        type = "enum" },
    },
    permissions = { update = function(user, row) local t = { a = 1 } return t.a == 1 end, delete = "isAdmin" },
  },
}
websockets = { pubsub = { channels = {
  ["chat:room:{roomId}"] = { events = { 'ty\'ping' } },
} } }
models.Extra = { fields = { { "id", "id" } } }
]==])
      assert.are.equal(4, lines["name"])
      assert.is_nil(lines["helper"])
      assert.is_nil(lines["notMapped"])
      assert.are.equal(6, lines["models"])
      assert.are.equal(7, lines["models.Message"])
      assert.are.equal(9, lines["models.Message.fields[1]"])
      assert.are.equal(9, lines["models.Message.fields[1][2]"])
      assert.are.equal(10, lines["models.Message.fields[2]"])
      assert.are.equal(10, lines["models.Message.fields[2][2]"])
      assert.are.equal(11, lines["models.Message.fields[2].max"])
      assert.are.equal(12, lines["models.Message.fields[3].name"])
      assert.are.equal(13, lines["models.Message.fields[3].type"])
      assert.are.equal(15, lines["models.Message.permissions.update"])
      assert.are.equal(15, lines["models.Message.permissions.delete"])
      assert.is_nil(lines["models.Message.permissions.update.a"])
      assert.are.equal(19, lines['websockets.pubsub.channels["chat:room:{roomId}"]'])
      assert.are.equal(19, lines['websockets.pubsub.channels["chat:room:{roomId}"].events[1]'])
      assert.are.equal(21, lines["models.Extra"])
      assert.are.equal(21, lines["models.Extra.fields[1]"])
    end)

    it("maps a returned table and finds the closest enclosing line", function()
      local lines = locate.map('return {\n  models = {\n    A = {\n      fields = f,\n    },\n  },\n}\n')
      assert.are.equal(2, lines["models"])
      assert.are.same({ 4, { "models", "A", "fields" } },
        { locate.line(lines, { "models", "A", "fields", 2, "type" }) })
      assert.is_nil(locate.line(lines, { "serve", "port" }))
    end)

    it("formats paths the way errors show them", function()
      assert.are.equal('models.Message.fields[2].type', locate.path { "models", "Message", "fields", 2, "type" })
      assert.are.equal('routes["GET /api/stats"]', locate.path { "routes", "GET /api/stats" })
    end)

    it("never fails on source it does not understand", function()
      for _, source in ipairs { "", "x = {", "}}}", "models = { a = [[unterminated", "return", "x = 'open",
          "goto x ::x:: a.b.c = { [f()] = 1, [2] = { 3 } }", "#!/usr/bin/lua\nname = 'x'" } do
        assert.is_table(locate.map(source))
      end
      assert.are.equal(2, locate.map("#!/usr/bin/lua\nname = 'x'")["name"])
    end)
  end)
end)
