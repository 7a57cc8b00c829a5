-- End-to-end specs for `ssot run` through the real binary (SSOT_BIN) on a temporary copy of a
-- small config: writing, the no-op rerun, --check, --dry-run, --diff, emit errors, --watch.

local BIN = os.getenv("SSOT_BIN")

local fs = require "fs_helpers"
local q, capture, sh, read, write = fs.quote, fs.capture, fs.sh, fs.read, fs.write

-- The config: models given as { Name = { "field type", ... } }, with the catalog phase.
local function config_text(models)
  return require("config_support").config_text(models, { 'phases = { "phases/catalog.lua" }' })
end

-- A user phase writing one file per model, so removing a model leaves an extra file.
local CATALOG_PHASE = [[
return {
  name = "catalog",
  run = function(ctx)
    for _, model in ipairs(ctx.ir.models) do
      local lines = { "# " .. model.name }
      for _, field in ipairs(model.fields) do lines[#lines + 1] = "- " .. field.name .. ": " .. field.type end
      ctx.emit("catalog/" .. model.names.kebab .. ".md", table.concat(lines, "\n") .. "\n")
    end
  end,
}
]]

local MODELS = { Product = { "title string", "price float" }, Order = { "total float" } }

describe("ssot run (end to end)", function()
  local tmp, out

  -- Runs `ssot <args>` in the project; returns exit status, stdout, stderr.
  local function ssot(args) return fs.ssot(tmp, args) end

  local function snapshot() return fs.snapshot(out) end

  before_each(function()
    assert(BIN, "SSOT_BIN must name the ssot binary (ctest sets it)")
    tmp = fs.tempdir()
    out = tmp .. "/generated"
    sh("mkdir " .. q(tmp .. "/phases"))
    write(tmp .. "/config.lua", config_text(MODELS))
    write(tmp .. "/phases/catalog.lua", CATALOG_PHASE)
  end)

  after_each(function() fs.remove(tmp) end)

  it("writes the generated files and a manifest, and says how many", function()
    local status, stdout, stderr = ssot("run config.lua")
    assert.are.equal(0, status, stderr)
    assert.matches("# Product\n- id: id\n- title: string\n- price: float\n", read(out .. "/catalog/product.md"), 1, true)
    assert.matches("CREATE TABLE", read(out .. "/schema.sql"), 1, true)
    local manifest = read(out .. "/.ssot-manifest")
    assert.matches("  catalog/order.md\n", manifest, 1, true)
    assert.matches("  schema.sql\n", manifest, 1, true)
    local files = select(2, manifest:gsub("\n%x+  ", ""))
    assert.matches("done: " .. files .. " written, 0 unchanged, 0 removed in %d+ ms", stdout)
  end)

  it("prints one line per phase that ran with its files and time, then the summary", function()
    local status, stdout, stderr = ssot("run config.lua")
    assert.are.equal(0, status, stderr)
    local lines = {}
    for line in stdout:gmatch("[^\n]+") do lines[#lines + 1] = line end
    assert.are.equal("ssot run config.lua -> generated", lines[1])
    assert.matches("^done: %d+ written, 0 unchanged, 0 removed in %d+ ms$", lines[#lines])
    -- Between them, one line per phase, in the order `ssot phases` lists the ones that run.
    local _, listed = ssot("phases config.lua")
    local order = {}
    for line in listed:gmatch("[^\n]+") do order[#order + 1] = line:match("^%d+%. (%S+) +run ") end
    local ran = {}
    for i = 2, #lines - 1 do
      ran[#ran + 1] = assert(lines[i]:match("^  ([%w_-]+) +%d+ files? written, %d+ unchanged  %d+ ms$"), lines[i])
    end
    assert.are.same(order, ran)
    assert.matches("\n  sql +1 file written, 0 unchanged  %d+ ms\n", stdout)
    assert.matches("\n  catalog +2 files written, 0 unchanged  %d+ ms\n", stdout)
    status, stdout = ssot("run --force config.lua")
    assert.matches("\n  catalog +0 files written, 2 unchanged  %d+ ms\n", stdout)
  end)

  it("--verbose also lists every file and the phases that do not run, with why", function()
    write(tmp .. "/config.lua", config_text(MODELS) .. "targets = { openapi = false }\n")
    local status, stdout = ssot("run --verbose config.lua")
    assert.are.equal(0, status)
    assert.matches("\n  openapi +skipped: targets.openapi = false\n", stdout)
    assert.matches("\n  created   catalog/order.md\n", stdout, 1, true)
    assert.matches("\n  created   schema.sql\n", stdout, 1, true)
  end)

  it("--quiet prints nothing on success and only the error on failure", function()
    local status, stdout, stderr = ssot("run --quiet config.lua")
    assert.are.equal(0, status)
    assert.are.equal("", stdout)
    assert.are.equal("", stderr)
    assert.is_not_nil(read(out .. "/schema.sql"))
    write(tmp .. "/config.lua", config_text { Product = { "title strng" } })
    status, stdout, stderr = ssot("run --quiet config.lua")
    assert.are.equal(3, status)
    assert.are.equal("", stdout)
    assert.matches("^error: config.lua:%d+: models.Product.fields%[2%].type: unknown type 'strng'", stderr)
  end)

  it("exits 2 on a bad command line, saying what is wrong and where the usage is, writing nothing", function()
    for _, case in ipairs {
      { "run --bogus config.lua", "ssot: unknown option '--bogus'\nRun 'ssot help run' for usage.\n" },
      { "run config.lua other.lua", "ssot: unexpected argument 'other.lua' (the config is already 'config.lua')\n" },
      { "run --check --diff config.lua", "ssot: --dry-run, --check and --diff cannot be combined\n" },
      { "run --quiet --verbose config.lua", "ssot: --quiet and --verbose cannot be combined\n" },
      { "run --watch --check config.lua", "ssot: --watch only applies to writing runs\n" },
      { "run config.lua --output", "ssot: --output needs a value\n" },
      { "phases --check config.lua", "ssot: unknown option '--check'\nRun 'ssot help phases' for usage.\n" },
      { "frobnicate", "ssot: unknown command 'frobnicate'\nRun 'ssot help' for usage.\n" },
      { "", "Usage: ssot <command> [options]\n" },
    } do
      local status, stdout, stderr = ssot(case[1])
      assert.are.equal(2, status, case[1])
      assert.are.equal("", stdout, case[1])
      assert.are.equal(case[2], stderr:sub(1, #case[2]), case[1])
    end
    assert.is_nil(fs.snapshot(out):match("%S"))
  end)

  it("gives byte-identical files from separate processes", function()
    -- Each process hashes strings with its own seed, so anything that followed pairs() order
    -- would differ between the two trees.
    assert.are.equal(0, (ssot("run -o one config.lua")))
    assert.are.equal(0, (ssot("run -o two config.lua")))
    local listing = capture("cd " .. q(tmp .. "/one") .. " && find . -type f | sort")
    assert.matches("./schema.sql", listing, 1, true)
    assert.are.equal(0, select(3, os.execute("diff -r -x .ssot-fingerprint " .. q(tmp .. "/one") .. " "
      .. q(tmp .. "/two") .. " >&2")))
  end)

  it("writes nothing on a rerun with nothing changed", function()
    assert.are.equal(0, (ssot("run config.lua")))
    sh("find " .. q(out) .. " -exec touch -d '2001-02-03 04:05:06' {} +")
    local before = snapshot()
    local status, stdout = ssot("run config.lua")
    assert.are.equal(0, status)
    assert.matches("done: nothing changed %(%d+ files%) in %d+ ms", stdout)
    assert.are.equal(before, snapshot())
  end)

  describe("--check", function()
    before_each(function() assert.are.equal(0, (ssot("run config.lua"))) end)

    it("exits 0 when every generated file is fresh", function()
      local status, stdout = ssot("run --check config.lua")
      assert.are.equal(0, status)
      assert.matches("check: all %d+ generated files up to date", stdout)
    end)

    it("exits 5 naming a stale file, and writes nothing", function()
      write(out .. "/schema.sql", "-- edited by hand\n")
      local before = snapshot()
      local status, _, stderr = ssot("run --check config.lua")
      assert.are.equal(5, status)
      assert.matches("stale   schema.sql", stderr, 1, true)
      assert.matches("check failed: 1 file out of date (1 stale, 0 missing, 0 extra)", stderr, 1, true)
      assert.are.equal(before, snapshot())
    end)

    it("exits 5 naming a missing file, even with --quiet", function()
      os.remove(out .. "/catalog/order.md")
      local status, stdout, stderr = ssot("run --check --quiet config.lua")
      assert.are.equal(5, status)
      assert.are.equal("", stdout)
      assert.matches("missing catalog/order.md", stderr, 1, true)
    end)

    it("exits 5 naming an extra file a run would remove", function()
      write(tmp .. "/config.lua", config_text { Product = MODELS.Product })
      local status, _, stderr = ssot("run --check config.lua")
      assert.are.equal(5, status)
      assert.matches("extra   catalog/order.md", stderr, 1, true)
      assert.is_not_nil(read(out .. "/catalog/order.md"))
    end)
  end)

  describe("--dry-run and --diff", function()
    before_each(function()
      assert.are.equal(0, (ssot("run config.lua")))
      write(tmp .. "/config.lua", config_text {
        Product = { "title string", "price float", "stock int" },
        Customer = { "email string" },
      })
    end)

    it("--dry-run lists what would change and writes nothing", function()
      local before = snapshot()
      local status, stdout = ssot("run --dry-run config.lua")
      assert.are.equal(0, status)
      assert.matches("create    catalog/customer.md", stdout, 1, true)
      assert.matches("update    catalog/product.md", stdout, 1, true)
      assert.matches("remove    catalog/order.md", stdout, 1, true)
      assert.matches("nothing written", stdout, 1, true)
      assert.are.equal(before, snapshot())
    end)

    it("--diff prints unified diffs of every change and writes nothing", function()
      local before = snapshot()
      local status, stdout = ssot("run --diff config.lua")
      assert.are.equal(0, status)
      assert.matches("--- a/catalog/product.md\n+++ b/catalog/product.md\n", stdout, 1, true)
      assert.matches("\n+- stock: int\n", stdout, 1, true)
      assert.matches("--- /dev/null\n+++ b/catalog/customer.md\n", stdout, 1, true)
      assert.matches("--- a/catalog/order.md\n+++ /dev/null\n", stdout, 1, true)
      assert.matches("\n-# Order\n", stdout, 1, true)
      assert.are.equal(before, snapshot())
    end)

    it("a writing run then applies exactly that: created, updated and removed files", function()
      local status, stdout = ssot("run config.lua")
      assert.are.equal(0, status)
      assert.matches("done: %d+ written, %d+ unchanged, [1-9]%d* removed", stdout)
      assert.is_nil(read(out .. "/catalog/order.md"))
      assert.matches("- stock: int", read(out .. "/catalog/product.md"), 1, true)
      assert.is_not_nil(read(out .. "/catalog/customer.md"))
    end)
  end)

  it("stops with the phase's file and line when it emits outside the output directory", function()
    write(tmp .. "/phases/catalog.lua", 'return { name = "catalog", run = function(ctx)\n'
      .. '  ctx.emit("../escape.txt", "x")\nend }\n')
    local status, _, stderr = ssot("run config.lua")
    assert.are.equal(4, status)
    assert.matches("phases/catalog.lua:2: emit: path '../escape.txt' leaves the output directory; "
      .. "paths are relative to " .. out, stderr, 1, true)
    assert.is_nil(read(tmp .. "/escape.txt"))
  end)

  it("stops with status 1 and the manifest's file:line when the manifest is damaged", function()
    assert.are.equal(0, (ssot("run config.lua")))
    write(out .. "/.ssot-manifest", read(out .. "/.ssot-manifest") .. "not a manifest line\n")
    local before = snapshot()
    local status, _, stderr = ssot("run config.lua")
    assert.are.equal(1, status)
    assert.matches("^error: emitter: " .. out:gsub("%p", "%%%0") .. "/%.ssot%-manifest:%d+: line is not", stderr)
    assert.are.equal(before, snapshot())
  end)

  describe("--watch", function()
    local pid

    -- Waits up to 15 s until the watch log shows pattern `count` times; returns the log.
    local function wait_for(pattern, count)
      local log
      for _ = 1, 150 do
        log = read(tmp .. "/watch.log") or ""
        if select(2, log:gsub(pattern, "")) >= count then return log end
        sh("sleep 0.1")
      end
      error("timed out waiting for " .. count .. " x '" .. pattern .. "' in the watch output:\n" .. log)
    end

    after_each(function()
      if pid then os.execute("kill " .. pid .. " 2>/dev/null") end
      pid = nil
    end)

    it("reruns on a config change, keeps watching after a config error, and reruns on a phase file edit", function()
      pid = capture(string.format("cd %s && NO_COLOR=1 %s run --watch config.lua >watch.log 2>&1 & echo $!",
        q(tmp), q(BIN)))
      wait_for("watching %d+ paths", 1)
      write(tmp .. "/config.lua", config_text { Product = MODELS.Product, Order = MODELS.Order, Invoice = { "due datetime" } })
      local log = wait_for("done:", 2)
      assert.matches("change: config.lua", log, 1, true)
      assert.matches("done: [1-9]%d* written", log)
      assert.is_not_nil(read(out .. "/catalog/invoice.md"))

      wait_for("watching %d+ paths", 2)
      write(tmp .. "/config.lua", "models = {\n")
      wait_for("error: ", 1)
      wait_for("watching %d+ paths", 3)
      write(tmp .. "/config.lua", config_text { Product = MODELS.Product })
      wait_for("done:", 3)
      assert.is_nil(read(out .. "/catalog/invoice.md"))

      -- An edit to a phase file the config lists is a change too; the edited phase runs.
      wait_for("watching %d+ paths", 4)
      write(tmp .. "/phases/catalog.lua", (CATALOG_PHASE:gsub('"# " %.%. model%.name', '"# Model " .. model.name')))
      log = wait_for("done:", 4)
      assert.matches("change: phases/catalog.lua", log, 1, true)
      assert.matches("^# Model Product\n", read(out .. "/catalog/product.md"))
      assert.are.equal("0", capture("kill -0 " .. pid .. " 2>/dev/null; echo $?"))
    end)
  end)
end)
