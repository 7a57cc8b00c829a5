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
    local list = pipeline.collect(fixtures.build { phases = { PHASES .. "/dictionary.lua", PHASES .. "/two_phases.lua" } })
    assert.are.equal(#builtin + 3, #list)
    for i, module in ipairs(builtin) do
      assert.are.equal(require(module).name, list[i].name)
      assert.are.equal("built-in", list[i].source)
    end
    assert.are.same({ "dictionary", "first", "second" }, { list[#builtin + 1].name, list[#builtin + 2].name, list[#builtin + 3].name })
    assert.are.equal(PHASES .. "/dictionary.lua", list[#builtin + 1].source)
    assert.are.equal(PHASES .. "/two_phases.lua", list[#builtin + 3].source)
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
    return failure(pipeline.collect, fixtures.build { phases = { PHASES .. "/" .. file } })
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
