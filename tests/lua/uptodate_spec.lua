-- Specs for the fingerprint of a run (ssot.uptodate, docs/output.md): through the real binary
-- (SSOT_BIN), a rerun with nothing changed stops early, and every kind of input or output
-- change (config, library template and module, phase file and its declared inputs, hooks
-- file, environment, --lib, --output, a generated file, the ssot build) runs everything
-- again with the right output.

local BIN = os.getenv("SSOT_BIN")

local fs = require "fs_helpers"
local q, sh, read, write = fs.quote, fs.sh, fs.read, fs.write

local UP_TO_DATE = "no input changed since the last run)"

local config_text = require("config_support").config_text

local MODELS = { Product = { "title string", "price float" }, Order = { "total float" } }

describe("ssot run: the fingerprint of a run", function()
  local tmp, out

  -- Runs `env ssot <args>` in the project; returns exit status, stdout, stderr.
  local function ssot(args, env) return fs.ssot(tmp, args, env) end

  -- Runs ssot and checks it took the fast path; returns stdout.
  local function skipped(args, env)
    local status, stdout, stderr = ssot(args or "run config.lua", env)
    assert.are.equal(0, status, stderr)
    assert.matches(UP_TO_DATE, stdout, 1, true)
    assert.not_matches("  sql ", stdout, 1, true)   -- no phase ran
    return stdout
  end

  -- Runs ssot and checks every phase ran; returns stdout.
  local function ran(args, env)
    local status, stdout, stderr = ssot(args or "run config.lua", env)
    assert.are.equal(0, status, stderr)
    assert.not_matches(UP_TO_DATE, stdout, 1, true)
    assert.matches("\n  sql ", stdout, 1, true)
    return stdout
  end

  -- Why `ssot run -v --dry-run` (which writes nothing) would not skip the run: its "running
  -- every phase: ..." line.
  local function reason(args, env)
    local _, stdout = ssot("run -v " .. (args or "--dry-run config.lua"), env)
    return stdout:match("running every phase: ([^\n]*)")
  end

  -- Why a writing `ssot run -v` kept no fingerprint.
  local function unkept()
    local _, stdout = ssot("run -v config.lua")
    return stdout:match("no fingerprint kept[^:]*: ([^\n]*)")
  end

  local function snapshot() return fs.snapshot(out) end

  before_each(function()
    assert(BIN, "SSOT_BIN must name the ssot binary (ctest sets it)")
    tmp = fs.tempdir()
    out = tmp .. "/generated"
    write(tmp .. "/config.lua", config_text(MODELS))
  end)

  after_each(function() fs.remove(tmp) end)

  it("stops early on a rerun with nothing changed, writing nothing, and says so", function()
    local first = ran()
    assert.matches("done: %d+ written", first)
    assert.is_not_nil(read(out .. "/.ssot-fingerprint"))
    local before = snapshot()
    local stdout = skipped()
    assert.matches("^ssot run config.lua %-> generated\ndone: nothing changed %(%d+ files%) in %d+ ms", stdout)
    local files = stdout:match("%((%d+) files%)")
    assert.are.equal(tostring(#fs.capture("cd " .. q(out) .. " && find . -type f ! -name '.ssot-*'"):gsub("[^\n]", "") + 1),
      files)
    assert.are.equal(before, snapshot())
  end)

  it("--force runs every phase, and still writes nothing when nothing changed", function()
    ran()
    local before = snapshot()
    local stdout = ran("run --force config.lua")
    assert.matches("done: nothing changed", stdout, 1, true)
    assert.are.equal(before, snapshot())
    skipped()
  end)

  it("runs in full after the config changed, with the new output", function()
    ran()
    write(tmp .. "/config.lua", config_text { Product = { "title string", "price float", "stock int" }, Order = MODELS.Order })
    assert.matches("config.lua changed since the last run", reason())
    ran()
    assert.matches('"stock" INTEGER NOT NULL', read(out .. "/schema.sql"), 1, true)
    skipped()
  end)

  describe("--check, --dry-run and --diff", function()
    before_each(function() ran() end)

    it("--check exits 0 on an up-to-date tree without running a phase", function()
      local stdout = skipped("run --check config.lua")
      assert.matches("check: all %d+ generated files up to date in %d+ ms %(no input changed since the last run%)", stdout)
    end)

    it("--check exits 5 on a stale tree, and a generated file edited by hand makes it stale", function()
      write(out .. "/schema.sql", "-- edited\n")
      local status, _, stderr = ssot("run --check config.lua")
      assert.are.equal(5, status)
      assert.matches("stale   schema.sql", stderr, 1, true)
      write(tmp .. "/config.lua", config_text { Product = MODELS.Product })
      ran()
      status, _, stderr = ssot("run --check config.lua")
      assert.are.equal(0, status, stderr)
    end)

    it("--dry-run and --diff say nothing would change", function()
      assert.matches("dry run: nothing would change %(%d+ files%) in %d+ ms %(no input changed", skipped("run --dry-run config.lua"))
      assert.matches("diff: nothing would change %(%d+ files%) in %d+ ms %(no input changed", skipped("run --diff config.lua"))
    end)
  end)

  describe("a generated file", function()
    before_each(function() ran() end)

    it("edited by hand is noticed and rewritten", function()
      local original = read(out .. "/schema.sql")
      write(out .. "/schema.sql", "-- edited\n")
      assert.are.equal("schema.sql changed since the last run", reason("--dry-run config.lua"))
      assert.matches("done: 1 written", ran())
      assert.are.equal(original, read(out .. "/schema.sql"))
      skipped()
    end)

    it("deleted is noticed and written again", function()
      local original = read(out .. "/schema.sql")
      os.remove(out .. "/schema.sql")
      assert.matches("done: 1 written", ran())
      assert.are.equal(original, read(out .. "/schema.sql"))
    end)

    it("edited in place with its size, time and inode kept is caught by its hash when not older than the fingerprint", function()
      local original = read(out .. "/schema.sql")
      local edited = original:gsub("CREATE", "create", 1)
      assert.are.equal(#original, #edited)
      local mtime = fs.capture("stat -c %y " .. q(out .. "/schema.sql"))
      local f = assert(io.open(out .. "/schema.sql", "r+b"))   -- same inode
      f:write(edited)
      f:close()
      sh("touch -d " .. q(mtime) .. " " .. q(out .. "/schema.sql"))
      sh("touch -d " .. q(mtime) .. " " .. q(out .. "/.ssot-fingerprint"))
      assert.are.equal("schema.sql changed since the last run", reason("--dry-run config.lua"))
      ran()
      assert.are.equal(original, read(out .. "/schema.sql"))
    end)

    it("only touched makes one full run that writes nothing but the fingerprint", function()
      sh("touch -d '2001-02-03 04:05:06' " .. q(out .. "/schema.sql"))
      local stdout = ran()
      assert.matches("done: nothing changed", stdout, 1, true)
      skipped()
    end)
  end)

  it("a copied output directory is not trusted (--output)", function()
    ran()
    sh("cp -a " .. q(out) .. " " .. q(tmp .. "/copy"))
    assert.matches("the last run wrote to another directory", reason("--dry-run -o copy config.lua"))
    ran("run -o copy config.lua")
    skipped("run -o copy config.lua")
    skipped()
  end)

  it("a different build of ssot runs everything", function()
    ran()
    local fingerprint = read(out .. "/.ssot-fingerprint")
    local build = fingerprint:match('"build": "([^"]+)"')
    assert.is_not_nil(build)
    write(out .. "/.ssot-fingerprint", (fingerprint:gsub('"build": "[^"]+"', '"build": "0.0.1 gnu-build-id:0123"')))
    assert.matches("another build of ssot made the last run", reason())
    ran()
    assert.matches('"build": "' .. build:gsub("%p", "%%%0") .. '"', read(out .. "/.ssot-fingerprint"))
  end)

  it("a fingerprint it cannot read only means a full run", function()
    ran()
    write(out .. "/.ssot-fingerprint", "{ not json")
    assert.matches("is not one this ssot reads", reason())
    ran()
    skipped()
  end)

  describe("library directories", function()
    before_each(function()
      sh("mkdir -p " .. q(tmp .. "/lib/templates/sql") .. " " .. q(tmp .. "/other"))
      write(tmp .. "/config.lua", config_text(MODELS, { 'lib = "lib"' }))
    end)

    it("a template added to, edited in or removed from the config's lib is used by a full run", function()
      ran()
      skipped()
      write(tmp .. "/lib/templates/sql/schema.sql.tpl", "-- override 1\n")
      assert.matches("lib/templates/sql/schema.sql.tpl appeared since the last run", reason())
      ran()
      assert.are.equal("-- override 1\n", read(out .. "/schema.sql"))
      skipped()
      write(tmp .. "/lib/templates/sql/schema.sql.tpl", "-- override 2\n")
      ran()
      assert.are.equal("-- override 2\n", read(out .. "/schema.sql"))
      os.remove(tmp .. "/lib/templates/sql/schema.sql.tpl")
      ran()
      assert.matches("CREATE TABLE", read(out .. "/schema.sql"), 1, true)
    end)

    it("another --lib runs everything, and its templates are tracked too", function()
      ran()
      assert.are.equal("the library directories changed", reason("--dry-run --lib other config.lua"))
      ran("run --lib other config.lua")
      skipped("run --lib other config.lua")
      sh("mkdir -p " .. q(tmp .. "/other/templates/sql"))
      write(tmp .. "/other/templates/sql/schema.sql.tpl", "-- from --lib\n")
      ran("run --lib other config.lua")
      assert.are.equal("-- from --lib\n", read(out .. "/schema.sql"))
      assert.are.equal("the library directories changed", reason())
    end)

    it("a Lua module loaded from a library directory is tracked by its content", function()
      sh("mkdir -p " .. q(tmp .. "/lib/lua") .. " " .. q(tmp .. "/phases"))
      write(tmp .. "/lib/lua/banner.lua", 'return "v1"\n')
      write(tmp .. "/phases/banner.lua", 'return { name = "banner", inputs = {}, run = function(ctx) '
        .. 'ctx.emit("banner.txt", require("banner") .. "\\n") end }\n')
      write(tmp .. "/config.lua", config_text(MODELS, { 'lib = "lib"', 'phases = { "phases/banner.lua" }' }))
      ran()
      skipped()
      write(tmp .. "/lib/lua/banner.lua", 'return "v2"\n')
      assert.matches("lib/lua/banner.lua changed since the last run", reason())
      ran()
      assert.are.equal("v2\n", read(out .. "/banner.txt"))
    end)
  end)

  describe("phase files", function()
    before_each(function() sh("mkdir -p " .. q(tmp .. "/phases") .. " " .. q(tmp .. "/data")) end)

    local function phase(inputs_line, body)
      return 'return { name = "units", ' .. inputs_line .. ' run = function(ctx) ' .. body .. ' end }\n'
    end

    it("editing a phase file that declares its inputs runs everything", function()
      write(tmp .. "/phases/units.lua", phase("inputs = {},", 'ctx.emit("units.txt", "one\\n")'))
      write(tmp .. "/config.lua", config_text(MODELS, { 'phases = { "phases/units.lua" }' }))
      ran()
      skipped()
      write(tmp .. "/phases/units.lua", phase("inputs = {},", 'ctx.emit("units.txt", "two\\n")'))
      assert.matches("phases/units.lua changed since the last run", reason())
      ran()
      assert.are.equal("two\n", read(out .. "/units.txt"))
    end)

    it("a declared input file and a file read through ctx.read are tracked", function()
      write(tmp .. "/data/units.csv", "kg\n")
      write(tmp .. "/data/extra.txt", "m\n")
      write(tmp .. "/phases/units.lua", phase('inputs = { "data/units.csv" },',
        'ctx.emit("units.txt", ctx.read("data/units.csv") .. (ctx.read("data/extra.txt") or ""))'))
      write(tmp .. "/config.lua", config_text(MODELS, { 'phases = { "phases/units.lua" }' }))
      ran()
      skipped()
      write(tmp .. "/data/units.csv", "g\n")
      assert.matches("data/units.csv changed since the last run", reason())
      ran()
      assert.are.equal("g\nm\n", read(out .. "/units.txt"))
      skipped()
      write(tmp .. "/data/extra.txt", "cm\n")
      ran()
      assert.are.equal("g\ncm\n", read(out .. "/units.txt"))
    end)

    it("a phase without inputs makes every run a full one, and says why", function()
      write(tmp .. "/phases/units.lua", phase("", 'ctx.emit("units.txt", "x\\n")'))
      write(tmp .. "/config.lua", config_text(MODELS, { 'phases = { "phases/units.lua" }' }))
      ran()
      assert.is_nil(read(out .. "/.ssot-fingerprint"))
      assert.matches("phase 'units' %(.-phases/units.lua%) does not declare its inputs", unkept())
      ran()
    end)

    it("inputs must be a list of paths", function()
      write(tmp .. "/phases/units.lua", phase('inputs = "data.csv",', 'ctx.emit("units.txt", "x\\n")'))
      write(tmp .. "/config.lua", config_text(MODELS, { 'phases = { "phases/units.lua" }' }))
      local status, _, stderr = ssot("run config.lua")
      assert.are.equal(3, status)
      assert.matches("phases/units.lua:1: phase 'units': inputs must be a list of the files the phase reads", stderr, 1, true)
    end)
  end)

  it("editing a hooks file the config names runs everything", function()
    write(tmp .. "/hooks.lua", "return { beforeCreate = function(ctx) end }\n")
    write(tmp .. "/config.lua", (config_text(MODELS):gsub('  Order = { fields = {', '  Order = { hooks = "hooks.lua", fields = {')))
    ran()
    skipped()
    write(tmp .. "/hooks.lua", "return { beforeCreate = function(ctx) return nil end }\n")
    assert.matches("hooks.lua changed since the last run", reason())
    ran()
    skipped()
  end)

  it("an environment variable the config reads is part of the fingerprint", function()
    write(tmp .. "/config.lua", (config_text(MODELS):gsub('name = "shop"', 'name = os.getenv("SHOP_NAME") or "shop"')))
    ran(nil, "SHOP_NAME=north")
    assert.matches("north", read(out .. "/openapi.json"), 1, true)
    skipped(nil, "SHOP_NAME=north")
    assert.are.equal("the environment variable SHOP_NAME changed", reason(nil, "SHOP_NAME=south"))
    ran(nil, "SHOP_NAME=south")
    assert.matches('"title": "south"', read(out .. "/openapi.json"), 1, true)
    local fingerprint = read(out .. "/.ssot-fingerprint")
    assert.matches('"SHOP_NAME": "' .. require("ssot.core").sha256("south") .. '"', fingerprint, 1, true)
    assert.not_matches("south", fingerprint, 1, true)   -- the value itself is not kept
    ran()   -- unset now
    skipped()
  end)

  it("a config that reads the clock or random numbers always runs in full", function()
    write(tmp .. "/config.lua", config_text(MODELS) .. "local started = os.time()\n")
    ran()
    assert.is_nil(read(out .. "/.ssot-fingerprint"))
    assert.matches("os.time was called", reason("--dry-run config.lua"))
    write(tmp .. "/config.lua", config_text(MODELS) .. "local pick = math.random(3)\n")
    ran()
    assert.matches("math.random was called", reason())
  end)

  it("a failed run forgets the fingerprint", function()
    sh("mkdir -p " .. q(tmp .. "/phases"))
    write(tmp .. "/phases/fail.lua", 'return { name = "fail", inputs = {}, run = function(ctx) '
      .. 'if ctx.getenv("FAIL") then error("asked to fail") end end }\n')
    write(tmp .. "/config.lua", config_text(MODELS, { 'phases = { "phases/fail.lua" }' }))
    ran()
    skipped()
    local status = ssot("run config.lua", "FAIL=1")
    assert.are.equal(4, status)
    assert.is_nil(read(out .. "/.ssot-fingerprint"))
    ran()
    skipped()
  end)
end)

describe("the primitives behind the fingerprint", function()
  local core = require "ssot.core"
  local tmp

  before_each(function() tmp = fs.tempdir() end)
  after_each(function() fs.remove(tmp) end)

  it("core.stat gives size, modification time in ns and inode of a regular file only", function()
    write(tmp .. "/a", "hello")
    sh("touch -d '2001-02-03 04:05:06.5 UTC' " .. q(tmp .. "/a"))
    local size, mtime, inode = core.stat(tmp .. "/a")
    assert.are.equal(5, size)
    assert.are.equal(981173106500000000, mtime)
    assert.are.equal(tonumber(fs.capture("stat -c %i " .. q(tmp .. "/a"))), inode)
    local none, message = core.stat(tmp .. "/missing")
    assert.is_nil(none)
    assert.matches("missing: No such file or directory", message, 1, true)
    none, message = core.stat(tmp)
    assert.is_nil(none)
    assert.matches("not a regular file", message, 1, true)
  end)

  it("core.replace_file writes a file atomically and leaves it alone when it holds the content", function()
    assert.are.equal("written", core.replace_file(tmp .. "/f", "one"))
    assert.are.equal("one", read(tmp .. "/f"))
    sh("touch -d '2001-02-03 04:05:06' " .. q(tmp .. "/f"))
    local before = fs.snapshot(tmp)
    assert.are.equal("unchanged", core.replace_file(tmp .. "/f", "one"))
    assert.are.equal(before, fs.snapshot(tmp))
    assert.are.equal("written", core.replace_file(tmp .. "/f", "two"))
    assert.are.equal("two", read(tmp .. "/f"))
    assert.are.equal(".\n./f", fs.capture("cd " .. q(tmp) .. " && find . | sort"))   -- no temp file left
    local ok, message = core.replace_file(tmp .. "/no/such/dir/f", "x")
    assert.is_nil(ok)
    assert.matches(tmp .. "/no/such/dir", message, 1, true)
  end)

  it("core.build_id names the version and this build", function()
    assert.matches("^" .. core.version:gsub("%p", "%%%0") .. " [%w-]+:%x+$", core.build_id)
  end)
end)
