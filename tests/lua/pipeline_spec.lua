-- Specs for ssot.pipeline: collecting built-in and user phases, their shape errors (file:line),
-- ordering by `after`, should_run plans and the `ssot phases` listing.
local errors = require "ssot.errors"
local pipeline = require "ssot.pipeline"

local SOURCE_DIR = os.getenv("SSOT_SOURCE_DIR") or "."
local PHASES = SOURCE_DIR .. "/tests/fixtures/phases"
local fixtures = dofile(PHASES .. "/ir.lua")

-- Runs fn expecting an ssot error; returns it.
local function failure(fn, ...)
  local ok, err = errors.call("failure", fn, ...)
  assert.is_false(ok, "expected an error")
  return err
end

local function names(list)
  local out = {}
  for i, p in ipairs(list) do out[i] = (p.phase or p).name end
  return out
end

local function phase(name, after, extra)
  local p = { name = name, after = after, source = "built-in", run = function() end }
  for k, v in pairs(extra or {}) do p[k] = v end
  return p
end

describe("pipeline.collect", function()
  it("lists the built-in phases first, in registry order, then the config's phase files", function()
    local builtin = require "ssot.phases"
    local list = pipeline.collect(fixtures.build { phases = { PHASES .. "/dictionary.lua", PHASES .. "/two_phases.lua" },
      config_dir = PHASES .. "/app" })
    assert.are.equal(#builtin + 3, #list)
    for i, module in ipairs(builtin) do
      assert.are.equal(require(module).name, list[i].name)
      assert.are.equal("built-in", list[i].source)
    end
    assert.are.same({ "dictionary", "first", "second" }, { list[#builtin + 1].name, list[#builtin + 2].name, list[#builtin + 3].name })
    -- named relative to the config when below its directory, else as given
    assert.are.equal(PHASES .. "/dictionary.lua", list[#builtin + 1].source)
    assert.are.equal(PHASES .. "/two_phases.lua", list[#builtin + 3].source)
    list = pipeline.collect(fixtures.build { phases = { PHASES .. "/dictionary.lua" }, config_dir = PHASES })
    assert.are.equal("dictionary.lua", list[#builtin + 1].source)
  end)

  it("includes the sql phase", function()
    assert.truthy(names(pipeline.collect(fixtures.build {}))[1] == "sql")
  end)

  it("runs phase files with the global ssot", function()
    local list = pipeline.collect(fixtures.build { phases = { PHASES .. "/dictionary.lua" } })
    local files = {}
    list[#list].run({ ir = { name = "chat_app" }, emit = function(path, content) files[path] = content end })
    assert.are.same({ ["dictionary.md"] = "# ChatApp\n" }, files)
  end)

  local function collect_error(file)
    return failure(pipeline.collect, fixtures.build { phases = { PHASES .. "/" .. file }, config_dir = PHASES .. "/app" })
  end

  it("names the file, line and key of an unknown phase key, with a suggestion", function()
    local err = collect_error("unknown_key.lua")
    assert.are.equal(errors.status.config, err.status)
    assert.matches("^" .. PHASES:gsub("%p", "%%%0") .. "/unknown_key.lua:3: unknown phase key 'runn' %(did you mean 'run'%?%)",
      err.message)
  end)

  it("explains a missing name at the return statement", function()
    local err = collect_error("no_name.lua")
    assert.matches("/no_name.lua:3: phase has no name %(name must be a non%-empty string, got nil%)", err.message)
  end)

  it("explains a run that is not a function", function()
    assert.matches("/run_not_function.lua:3: phase 'lazy': run must be a function%(ctx%), got string",
      collect_error("run_not_function.lua").message)
  end)

  it("explains an after that is not a list", function()
    assert.matches("/after_string.lua:3: phase 'late': after must be a list of phase names, e.g. after = { \"sql\" }, got string 'sql'",
      collect_error("after_string.lua").message)
  end)

  it("reports syntax errors and load errors at their line", function()
    local err = collect_error("syntax_error.lua")
    assert.are.equal(errors.status.config, err.status)
    assert.matches("/syntax_error.lua:4: ", err.message)
    err = collect_error("load_error.lua")
    assert.are.equal(errors.status.config, err.status)
    assert.matches("/load_error.lua:3: attempt to index a nil value", err.message)
    assert.matches("while loading phase file .*/load_error.lua", err.message)
  end)

  it("reports a file that returns nothing", function()
    assert.matches("/returns_nothing.lua:%d+: must return a phase table or a list of them, got nil",
      collect_error("returns_nothing.lua").message)
  end)

  it("reports a phase file that does not exist", function()
    local err = collect_error("missing.lua")
    assert.matches("cannot read phase file .*/missing.lua: No such file or directory %(listed in the config's phases%)",
      err.message)
  end)
end)

describe("pipeline.order", function()
  it("keeps the collected order when nothing says otherwise", function()
    assert.are.same({ "a", "b", "c" }, names(pipeline.order({ phase("a"), phase("b"), phase("c") })))
  end)

  it("moves a phase after the phases it names, keeping ties in collected order", function()
    local list = { phase("report", { "models", "hooks" }), phase("models"), phase("hooks", { "models" }), phase("extra") }
    assert.are.same({ "models", "hooks", "report", "extra" }, names(pipeline.order(list)))
  end)

  it("does not change the list it is given", function()
    local list = { phase("b", { "a" }), phase("a") }
    pipeline.order(list)
    assert.are.same({ "b", "a" }, names(list))
  end)

  it("names a cycle", function()
    local err = failure(pipeline.order, { phase("x"), phase("a", { "b" }), phase("b", { "c" }), phase("c", { "a" }) })
    assert.are.equal(errors.status.config, err.status)
    assert.are.equal("phases wait for each other in a cycle: a -> b -> c -> a (x -> y: x runs after y) in "
      .. "phase 'a' (built-in), phase 'b' (built-in), phase 'c' (built-in); remove one of these 'after' entries",
      err.message)
    err = failure(pipeline.order, { phase("self", { "self" }) })
    assert.matches("cycle: self %-> self ", err.message)
  end)

  it("rejects unknown names in after, suggesting the closest", function()
    local err = failure(pipeline.order, { phase("sql"), phase("docs", { "sqll" }, { source = "/p/docs.lua" }) })
    assert.are.equal(errors.status.config, err.status)
    assert.are.equal("phase 'docs' (/p/docs.lua): after names unknown phase 'sqll' (did you mean 'sql'?); "
      .. "the phases are: sql, docs", err.message)
  end)

  it("rejects two phases with the same name, naming both sources", function()
    local err = failure(pipeline.order, { phase("sql"), phase("sql", nil, { source = "/p/sql.lua" }) })
    assert.matches("^two phases are named 'sql': built%-in and /p/sql.lua; phase names must be unique", err.message)
  end)
end)

describe("pipeline.plan", function()
  local ctx = { ir = fixtures.build {} }

  it("asks should_run and keeps why a phase would not run", function()
    local plan = pipeline.plan({
      phase("always"),
      phase("yes", nil, { should_run = function() return true end }),
      phase("told", nil, { should_run = function() return false, "targets.sdk = false" end }),
      phase("field", nil, { should_run = function() return nil end, reason = "no models with realtime" }),
      phase("computed", nil, { should_run = function() return false end,
        reason = function(c) return "ir " .. c.ir.name end }),
      phase("plain", nil, { should_run = function() return false end }),
    }, ctx)
    local got = {}
    for i, step in ipairs(plan) do got[i] = { step.phase.name, step.run, step.reason } end
    assert.are.same({
      { "always", true, nil }, { "yes", true, nil }, { "told", false, "targets.sdk = false" },
      { "field", false, "no models with realtime" }, { "computed", false, "ir app" },
      { "plain", false, "should_run returned false" },
    }, got)
  end)

  it("passes the context to should_run", function()
    local seen
    pipeline.plan({ phase("p", nil, { should_run = function(c) seen = c return true end }) }, ctx)
    assert.are.equal(ctx, seen)
  end)

  it("turns a should_run error into a phase error naming the phase", function()
    local list = pipeline.collect(fixtures.build { phases = { PHASES .. "/should_run_error.lua" } })
    local err = failure(pipeline.plan, list, ctx)
    assert.are.equal(errors.status.phase, err.status)
    assert.matches("^phase 'fragile' %(.*should_run_error.lua%): should_run failed: .*should_run_error.lua:4: attempt to index a nil value",
      err.message)
  end)
end)

describe("pipeline.describe", function()
  it("lists phases in order with run/skip, source, after, description and the reason", function()
    local plan = {
      { phase = phase("sql", nil, { description = "SQLite schema" }), run = true },
      { phase = phase("sdk", { "sql" }), run = false, reason = "targets.sdk = false" },
      { phase = phase("dictionary", { "sql", "sdk" }, { source = "/elsewhere/dict.lua" }), run = true },
    }
    assert.are.equal(table.concat({
      "3 phases in run order, 2 would run:",
      "1. sql         run   built-in",
      "   SQLite schema",
      "2. sdk         skip  built-in             after sql",
      "   not run: targets.sdk = false",
      "3. dictionary  run   /elsewhere/dict.lua  after sql, sdk",
      "",
    }, "\n"), pipeline.describe(plan))
  end)

  it("shows files below the current directory relative to it", function()
    local cwd = require("ssot.core").getcwd()
    local text = pipeline.describe({ { phase = phase("p", nil, { source = cwd .. "/phases/p.lua" }), run = true } })
    assert.matches("1%. p     run   phases/p.lua\n", text)
  end)
end)

describe("user phases through the ssot binary", function()
  if not pcall(require, "ssot.config") then
    pending("needs ssot.config (the config loader)")
    return
  end
  local fs = require "fs_helpers"
  local BIN = os.getenv("SSOT_BIN")
  local APP = PHASES .. "/app"
  local tmp
  before_each(function() tmp = fs.tempdir() end)
  after_each(function() fs.remove(tmp) end)

  -- ssot(dir, args) -> exit status, stdout, stderr; run in dir.
  local function ssot(dir, args)
    local command = "cd " .. fs.quote(dir) .. " && NO_COLOR=1 " .. fs.quote(BIN) .. " " .. args
      .. " >" .. fs.quote(tmp .. "/stdout") .. " 2>" .. fs.quote(tmp .. "/stderr")
    local _, _, status = os.execute(command)
    return status, fs.read(tmp .. "/stdout"), fs.read(tmp .. "/stderr")
  end

  -- A config in tmp/app with the given phase files (name -> source) listed in order.
  local function app_with_phases(files, order, extra)
    fs.sh("mkdir -p " .. fs.quote(tmp .. "/app/phases"))
    local listed = {}
    for i, name in ipairs(order) do
      fs.write(tmp .. "/app/phases/" .. name, files[name])
      listed[i] = string.format("%q", "phases/" .. name)
    end
    fs.write(tmp .. "/app/config.lua", "phases = { " .. table.concat(listed, ", ") .. " }\n"
      .. "models = { Note = { fields = { { 'id', 'id' }, { 'body', 'text' } } } }\n" .. (extra or ""))
    return tmp .. "/app"
  end

  it("a file a phase emitted that cannot be written is that phase's failure, not the next one's", function()
    -- a 64 KiB file size limit: the built-in files fit, the phase's 1 MiB file does not
    local dir = app_with_phases({ ["big.lua"] = 'return {\n  name = "big",\n  after = { "sql" },\n  run = function(ctx)\n'
      .. '    ctx.emit("big.txt", string.rep("x", 1048576))\n  end,\n}\n' }, { "big.lua" })
    local status, _, err = fs.ssot(dir, "run config.lua", "prlimit --fsize=65536")
    assert.are.equal(4, status, err)
    assert.matches("big%.txt", err)
    assert.matches("File too large", err)
    assert.matches("in phase 'big' %(phases/big%.lua%)", err)
    -- a name no file system takes is refused when it is emitted
    dir = app_with_phases({ ["long.lua"] = 'return { name = "long", run = function(ctx) ctx.emit(string.rep("n", 300) '
      .. '.. ".txt", "x") end }\n' }, { "long.lua" })
    status, _, err = ssot(dir, "run config.lua")
    assert.are.equal(4, status)
    assert.matches("phases/long%.lua:1: emit: path 'n+%.txt' has a file or directory name longer than the 255 bytes", err)
  end)

  it("stops a phase that loops past limits.phase, even one that catches the error, naming the phase and its line", function()
    local dir = app_with_phases({ ["spin.lua"] = 'return {\n  name = "spin",\n  run = function()\n'
      .. '    while true do pcall(function() while true do end end) end\n  end,\n}\n' }, { "spin.lua" },
      "limits = { phase = 0.2 }\n")
    local started = os.time()
    local status, _, err = ssot(dir, "run config.lua")
    assert.are.equal(4, status)
    assert.is_true(os.time() - started < 10)
    assert.matches("^error: phases/spin%.lua:4: phase 'spin' ran for more than 0%.2 s %(limits%.phase in the config%): "
      .. "is there an endless loop%?\n  in phase 'spin' %(phases/spin%.lua%)", err)
  end)

  it("ssot phases lists the user phase after the built-ins it follows, and why phases are off", function()
    local status, out = ssot(APP, "phases config.lua")
    assert.are.equal(0, status)
    assert.matches("^%d+ phases in run order, 2 would run:\n1%. sql +run +built%-in\n", out)
    assert.matches("\n%d+%. dictionary +run +phases/dictionary%.lua +after sql\n   Markdown data dictionary %(dictionary%.md%)\n$", out)
    assert.matches("%d+%. sdk%-runtime +skip +built%-in\n   [^\n]*\n   not run: targets%.sdk = false\n", out)
  end)

  it("ssot run runs the user phase with its template and the template override from lib/", function()
    local status, out, err = ssot(APP, "run config.lua -o " .. fs.quote(tmp .. "/out"))
    assert.are.equal(0, status, err)
    assert.matches("dictionary +1 file written", out)
    local dictionary = fs.read(tmp .. "/out/dictionary.md")
    assert.matches("^# Shop data dictionary\n\n## Order %(`orders`%)\n", dictionary)
    assert.matches("\n## Product %(`products`%)\n\nSomething for sale%.\n", dictionary)
    assert.matches("| quantity | int | yes |\n", dictionary, 1, true)
    assert.matches("^%-%- shop: schema from the overriding template in lib/templates%.\nCREATE TABLE", fs.read(tmp .. "/out/schema.sql"))
  end)

  it("stops with status 3 before running anything when phases form a cycle", function()
    local dir = app_with_phases({
      ["a.lua"] = 'return { name = "a", after = { "b" }, run = function(ctx) ctx.emit("a.txt", "a") end }',
      ["b.lua"] = 'return { name = "b", after = { "a" }, run = function(ctx) ctx.emit("b.txt", "b") end }',
    }, { "a.lua", "b.lua" })
    local status, _, err = ssot(dir, "run config.lua -o " .. fs.quote(tmp .. "/out"))
    assert.are.equal(3, status)
    assert.matches("phases wait for each other in a cycle: a %-> b %-> a", err)
    assert.is_nil(fs.read(tmp .. "/out/schema.sql"))
  end)

  it("reports a phase's shape error with file:line and status 3", function()
    local dir = app_with_phases({ ["typo.lua"] = 'return {\n  name = "typo",\n  runn = function() end,\n}\n' }, { "typo.lua" })
    local status, _, err = ssot(dir, "phases config.lua")
    assert.are.equal(3, status)
    -- relative to the config, as docs/phases.md shows it
    assert.matches("^error: phases/typo%.lua:3: unknown phase key 'runn' %(did you mean 'run'%?%)", err)
  end)

  it("reports errors in should_run and in a phase's template as phase errors, status 4", function()
    local dir = app_with_phases({ ["bad.lua"] = 'return { name = "bad", should_run = function(ctx) return ctx.nope.x end, run = function() end }' },
      { "bad.lua" })
    local status, _, err = ssot(dir, "phases config.lua")
    assert.are.equal(4, status)
    assert.matches("phase 'bad' %(phases/bad%.lua%): should_run failed: .*bad%.lua:1: attempt to index a nil value", err)

    dir = app_with_phases({ ["tpl.lua"] = 'return { name = "tpl", run = function(ctx)\n'
      .. '  ctx.emit("x.txt", ssot.template.render_string("ok\\n<%= missing.name %>\\n", {}, "@x.txt.tpl"))\nend }' },
      { "tpl.lua" })
    status, _, err = ssot(dir, "run config.lua -o " .. fs.quote(tmp .. "/out"))
    assert.are.equal(4, status)
    assert.matches("x%.txt%.tpl:2: attempt to index a nil value", err)
    assert.matches("in phase 'tpl' %(.*phases/tpl%.lua%)", err)
  end)
end)
