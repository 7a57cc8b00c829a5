-- `ssot init` and `ssot new phase` through the real binary (SSOT_BIN) without a terminal: every
-- preset's files with --yes, its config validated by ssot.config (what `ssot run` loads), the
-- answers given as options, refusing to overwrite and --force, usage errors, help; the new
-- phase's files, its own busted spec run as a user would, and the phase in a real run. Also
-- ssot.scaffold.presets' real-time guess and the core.isatty/core.mkdir primitives.
-- The interactive questions are driven through a pseudo-terminal in tests/e2e/init.test.mjs.
local config = require "ssot.config"
local core = require "ssot.core"
local cjson = require "cjson"
local fs = require "fs_helpers"
local presets = require "ssot.scaffold.presets"

local q, read, write = fs.quote, fs.read, fs.write
local SOURCE = assert(os.getenv("SSOT_SOURCE_DIR"), "SSOT_SOURCE_DIR must name the source tree")

local FILES = { "config.lua", "package.json", "tsconfig.json", ".gitignore" }

describe("ssot init", function()
  local tmp

  before_each(function() tmp = fs.tempdir() end)
  after_each(function() fs.remove(tmp) end)

  -- Runs `ssot <args>` in tmp with stdin from /dev/null (no terminal): status, stdout, stderr.
  local function ssot(args) return fs.ssot(tmp, args .. " </dev/null") end

  local function model(ir, name) return assert(ir.model_by_name[name], "no model " .. name) end
  local function rule(ir, name, action) return model(ir, name).permissions[action].source end

  for _, preset in ipairs(presets.names) do
    for _, auth in ipairs({ "--auth", "--no-auth" }) do
      it("writes the " .. preset .. " preset (" .. auth .. ") with a config that validates", function()
        local status, stdout, stderr = ssot("init app --yes --preset " .. preset .. " " .. auth)
        assert.are.equal(0, status, stderr)
        for _, file in ipairs(FILES) do assert.is_string(read(tmp .. "/app/" .. file), file) end
        local ir = config.load(tmp .. "/app/config.lua")
        assert.are.equal("app", ir.name)
        assert.are.equal(8080, ir.serve.port)
        assert.are.equal(tmp .. "/app/data/app.db", ir.serve.database)
        local names = {}
        for _, m in ipairs(ir.models) do names[#names + 1] = m.name end
        local expected = {}
        for i, m in ipairs(presets.presets[preset].models) do expected[i] = m end
        table.sort(expected)
        assert.are.same(expected, names)
        -- the commands to run next, in order
        assert.matches("cd app\n  ssot run .*\n  ssot serve .*http://localhost:8080/api/", stdout)
        if auth == "--no-auth" then
          for _, m in ipairs(ir.models) do
            assert.is_nil(m.owner, m.name)
            for _, action in ipairs({ "list", "get", "create", "update", "delete" }) do
              assert.are.equal("true", m.permissions[action].source, m.name .. " " .. action)
            end
          end
        end
      end)
    end
  end

  it("gives each preset permissions that fit it", function()
    for _, preset in ipairs(presets.names) do
      assert.are.equal(0, (ssot("init " .. preset .. " --yes --preset " .. preset)))
    end
    local todo = config.load(tmp .. "/todo/config.lua")
    assert.are.equal("ownerId", model(todo, "Task").owner)
    assert.are.equal("isOwner", rule(todo, "Task", "list"))
    assert.are.equal("isOwner", rule(todo, "Task", "update"))

    local inventory = config.load(tmp .. "/inventory/config.lua")
    assert.are.equal("true", rule(inventory, "Product", "list"))
    assert.are.equal("isAdmin", rule(inventory, "Product", "update"))
    assert.are.equal("isAdmin", rule(inventory, "Category", "create"))
    assert.is_nil(model(inventory, "Product").realtime)

    local notifications = config.load(tmp .. "/notifications/config.lua")
    assert.are.equal("userId", model(notifications, "Notification").owner)
    assert.are.equal("isOwner", rule(notifications, "Notification", "list"))
    assert.is_true(notifications.websockets.enabled)
    assert.is_table(model(notifications, "Notification").realtime)

    local chat = config.load(tmp .. "/chat/config.lua")
    assert.are.equal("authorId", model(chat, "Message").owner)
    assert.are.equal("isOwner || isAdmin", rule(chat, "Message", "update"))
    assert.is_table(model(chat, "Message").realtime)
    assert.is_nil(model(chat, "Room").realtime)
    local text = read(tmp .. "/chat/config.lua")
    assert.matches('["chat:room:{roomId}"]', text, 1, true)
    assert.matches("presence = true", text, 1, true)
    assert.matches('typing = { { "name", "string", max = 80 } }', text, 1, true)

    local blank = config.load(tmp .. "/blank/config.lua")
    assert.are.equal(1, #blank.models)
    assert.is_false(blank.websockets.enabled)
  end)

  it("pins package.json's versions to the repository's own", function()
    assert.are.equal(0, (ssot("init app --yes")))
    local ours = cjson.decode(read(SOURCE .. "/package.json")).devDependencies
    local package = cjson.decode(read(tmp .. "/app/package.json"))
    assert.are.equal("module", package.type)
    assert.is_true(package.private)
    assert.are.equal("app", package.name)
    for _, name in ipairs({ "typescript", "react", "react-dom", "@tanstack/react-query", "@types/react",
      "@types/react-dom" }) do
      assert.are.equal(ours[name], package.devDependencies[name], name)
    end
    local tsconfig = read(tmp .. "/app/tsconfig.json")
    assert.matches('"strict": true', tsconfig, 1, true)
    assert.matches('"moduleResolution": "NodeNext"', tsconfig, 1, true)
    assert.matches('"generated/**/*.ts"', tsconfig, 1, true)
    local gitignore = read(tmp .. "/app/.gitignore")
    for _, line in ipairs({ "generated/", "data/", "node_modules/" }) do
      assert.matches("\n" .. line:gsub("%p", "%%%0") .. "\n", gitignore)
    end
  end)

  it("takes the answers from the options", function()
    local status, stdout, stderr = ssot("init app --preset chat --name talk --port 9191 --no-auth --realtime room,Message")
    assert.are.equal(0, status, stderr)
    local ir = config.load(tmp .. "/app/config.lua")
    assert.are.equal("talk", ir.name)
    assert.are.equal(9191, ir.serve.port)
    assert.is_nil(model(ir, "Message").owner)
    assert.is_table(model(ir, "Room").realtime)
    assert.is_table(model(ir, "Message").realtime)
    assert.is_nil(model(ir, "User").realtime)
    assert.matches("created talk (chat preset, auth off, real time: Room, Message, port 9191) in app:", stdout, 1, true)
    assert.matches("ssot serve .*http://localhost:9191/api/messages", stdout)
  end)

  it("turns real time off with --realtime none", function()
    assert.are.equal(0, (ssot("init app --preset notifications --realtime=none")))
    local ir = config.load(tmp .. "/app/config.lua")
    assert.is_nil(model(ir, "Notification").realtime)
    assert.is_false(ir.websockets.enabled)
  end)

  it("asks nothing when stdin is not a terminal: the defaults, whatever the input holds", function()
    write(tmp .. "/answers", "other\ntodo\nnone\noff\n1\n")
    local status, stdout, stderr = fs.ssot(tmp, "init 'My App!' <answers")
    assert.are.equal(0, status, stderr)
    assert.not_matches("[brackets]", stdout, 1, true)
    local ir = config.load(tmp .. "/My App!/config.lua")
    assert.are.equal("My-App", ir.name)                     -- the directory's name, made valid
    assert.is_table(model(ir, "Message").realtime)          -- chat, Message live, auth on, 8080
    assert.are.equal("authorId", model(ir, "Message").owner)
    assert.are.equal(8080, ir.serve.port)
    assert.matches("cd 'My App!'", stdout, 1, true)
  end)

  it("writes into the current directory by default, named after it", function()
    fs.sh("mkdir " .. q(tmp .. "/shop"))
    local status, stdout = fs.ssot(tmp .. "/shop", "init --yes --preset inventory </dev/null")
    assert.are.equal(0, status)
    assert.are.equal("shop", config.load(tmp .. "/shop/config.lua").name)
    assert.not_matches("cd ", stdout, 1, true)
  end)

  it("refuses to overwrite a file, names it, and writes nothing at all", function()
    fs.sh("mkdir " .. q(tmp .. "/app"))
    write(tmp .. "/app/package.json", "{}\n")
    local before = fs.snapshot(tmp .. "/app")
    local status, _, stderr = ssot("init app --yes")
    assert.are.equal(1, status)
    assert.matches("these files already exist in app:\n  package.json\nnothing was written: run again with --force "
      .. "to overwrite them", stderr, 1, true)
    assert.are.equal(before, fs.snapshot(tmp .. "/app"))
    assert.are.equal("{}\n", read(tmp .. "/app/package.json"))
  end)

  it("overwrites with --force", function()
    fs.sh("mkdir " .. q(tmp .. "/app"))
    write(tmp .. "/app/config.lua", "-- mine\n")
    write(tmp .. "/app/notes.txt", "kept\n")
    local status, _, stderr = ssot("init app --yes --preset todo --force")
    assert.are.equal(0, status, stderr)
    assert.are.equal("ownerId", model(config.load(tmp .. "/app/config.lua"), "Task").owner)
    assert.are.equal("kept\n", read(tmp .. "/app/notes.txt"))
  end)

  it("writes nothing, even with --force, when a directory stands where a file goes", function()
    fs.sh("mkdir -p " .. q(tmp .. "/app/tsconfig.json"))
    local status, _, stderr = ssot("init app --yes --force")
    assert.are.equal(1, status)
    assert.matches("tsconfig.json is a directory", stderr, 1, true)
    assert.is_nil(core.file_type(tmp .. "/app/config.lua"))
  end)

  it("refuses a directory that is a file", function()
    write(tmp .. "/app", "")
    local status, _, stderr = ssot("init app --yes")
    assert.are.equal(1, status)
    assert.matches("cannot create the project in app: it is a file, not a directory", stderr, 1, true)
  end)

  it("reports wrong options as usage errors (exit 2) naming the option", function()
    local cases = {
      ["--preset shop"] = "--preset: no preset 'shop': choose chat, todo, inventory, notifications, blank",
      ["--port 70000"] = "--port: '70000' is not a port: give a number from 0 to 65535",
      ["--port"] = "--port needs a value",
      ["--name 'a b'"] = "--name: 'a b' cannot be the app's name",
      ["--preset todo --realtime Message"] = "--realtime: the todo preset has no model Message: choose among Task",
      ["--yes=1"] = "--yes takes no value",
      ["--colour"] = "unknown option '--colour'",
      ["a b"] = "one directory at most, got 'a' and 'b'",
    }
    for args, message in pairs(cases) do
      local status, _, stderr = ssot("init " .. args)
      assert.are.equal(2, status, args)
      assert.matches("ssot: " .. message, stderr, 1, true)
      assert.matches("Run 'ssot help init' for usage.", stderr, 1, true)
    end
    assert.are.same({ "stderr", "stdout" }, core.list_dir(tmp))   -- fs.ssot's, nothing of init's
  end)

  it("prints its usage for --help and ssot help init, and the main usage lists it", function()
    local status, stdout = ssot("init --help")
    assert.are.equal(0, status)
    assert.matches("^Usage: ssot init %[dir%] %[options%]", stdout)
    assert.matches("--no-auth", stdout, 1, true)
    assert.are.equal(stdout, select(2, ssot("help init")))
    local _, usage = ssot("--help")
    assert.matches("\n  init [dir] ", usage, 1, true)
    assert.matches("\n  new phase NAME ", usage, 1, true)
  end)
end)

describe("ssot new phase", function()
  local tmp

  before_each(function() tmp = fs.tempdir() end)
  after_each(function() fs.remove(tmp) end)

  local function ssot(args) return fs.ssot(tmp, args .. " </dev/null") end

  local PHASE_FILES = { "phases/catalog.lua", "lib/templates/catalog/models.md.tpl", "spec/catalog_spec.lua" }

  it("writes the phase, its template and its spec, and says how to list it in config.lua", function()
    local status, stdout, stderr = ssot("new phase catalog")
    assert.are.equal(0, status, stderr)
    for _, file in ipairs(PHASE_FILES) do
      assert.is_string(read(tmp .. "/" .. file), file)
      assert.matches(file, stdout, 1, true)
    end
    assert.matches('phases = { "phases/catalog.lua" },\n  lib = { "lib" },', stdout, 1, true)
    local phase = dofile(tmp .. "/phases/catalog.lua")
    assert.are.equal("catalog", phase.name)
  end)

  it("makes a spec that passes under busted as it is written", function()
    assert.are.equal(0, (ssot("new phase catalog")))
    local out = fs.capture("cd " .. q(tmp) .. " && busted --output=plainTerminal 2>&1; echo \"status=$?\"")
    assert.matches("4 successes / 0 failures / 0 errors / 0 pending", out, 1, true)
    assert.matches("status=0", out, 1, true)
  end)

  it("runs in ssot run once the config lists it", function()
    assert.are.equal(0, (ssot("init . --yes --preset todo")))
    assert.are.equal(0, (ssot("new phase catalog")))
    write(tmp .. "/config.lua", read(tmp .. "/config.lua") .. 'phases = { "phases/catalog.lua" }\nlib = { "lib" }\n')
    local status, _, stderr = ssot("run")
    assert.are.equal(0, status, stderr)
    local md = read(tmp .. "/generated/catalog.md")
    assert.matches("## Task\n\nREST: `/api/tasks`", md, 1, true)
    assert.matches("| `ownerId` | string | yes |", md, 1, true)
    assert.matches("| `due` | datetime | no |", md, 1, true)
  end)

  it("refuses to overwrite, writing nothing, and overwrites with --force", function()
    fs.sh("mkdir " .. q(tmp .. "/spec"))
    write(tmp .. "/spec/catalog_spec.lua", "-- mine\n")
    local status, _, stderr = ssot("new phase catalog")
    assert.are.equal(1, status)
    assert.matches("these files already exist here:\n  spec/catalog_spec.lua\nnothing was written", stderr, 1, true)
    assert.is_nil(core.file_type(tmp .. "/phases"))
    assert.are.equal("-- mine\n", read(tmp .. "/spec/catalog_spec.lua"))
    assert.are.equal(0, (ssot("new phase catalog --force")))
    assert.matches("describe", read(tmp .. "/spec/catalog_spec.lua"), 1, true)
  end)

  it("reports a wrong name or kind as a usage error", function()
    local cases = {
      ["new phase 'my phase'"] = "'my phase' cannot name a phase",
      ["new phase sql"] = "'sql' is a built-in phase; choose another name",
      ["new phase"] = "ssot new phase needs the phase's name",
      ["new"] = "what should ssot new make? ssot new phase NAME",
      ["new model Task"] = "ssot new makes a phase, not a 'model'",
      ["new phase a b"] = "unexpected argument 'b'",
    }
    for args, message in pairs(cases) do
      local status, _, stderr = ssot(args)
      assert.are.equal(2, status, args)
      assert.matches("ssot: " .. message, stderr, 1, true)
      assert.matches("Run 'ssot help new' for usage.", stderr, 1, true)
    end
  end)

  it("prints its usage for --help and ssot help new", function()
    local status, stdout = ssot("new --help")
    assert.are.equal(0, status)
    assert.matches("^Usage: ssot new phase NAME", stdout)
    assert.are.equal(stdout, select(2, ssot("help new")))
  end)
end)

describe("ssot.scaffold.presets.realtime_default", function()
  it("picks the models named like messages, chats, notifications, events, activity or presence", function()
    assert.are.same({ "ChatMessage", "ActivityLog", "Events", "Presence" }, presets.realtime_default {
      "ChatMessage", "User", "ActivityLog", "Events", "Eventually", "Presence", "Product" })
    assert.are.same({ "Message" }, presets.realtime_default(presets.presets.chat.models))
    assert.are.same({}, presets.realtime_default(presets.presets.todo.models))
  end)
end)

describe("core.isatty and core.mkdir", function()
  it("says a pipe is not a terminal", function()
    local out = fs.capture("echo | " .. q(arg[-1] or "lua5.4") .. " -e " .. q(
      'package.cpath = ' .. string.format("%q", package.cpath) .. ' print(require("ssot.core").isatty("stdin"))'))
    assert.are.equal("false", out)
  end)

  it("creates missing parents and says what stops it", function()
    local tmp = fs.tempdir()
    assert.is_true(core.mkdir(tmp .. "/a/b/c"))
    assert.are.equal("directory", core.file_type(tmp .. "/a/b/c"))
    assert.is_true(core.mkdir(tmp .. "/a/b"))
    write(tmp .. "/f", "")
    local ok, message = core.mkdir(tmp .. "/f/g")
    assert.is_nil(ok)
    assert.matches("is not a directory", message, 1, true)
    fs.remove(tmp)
  end)
end)
