-- Specs for ssot.report: the summary and file lists of each mode and the exit statuses, run in
-- a child lua5.4 (same LUA_PATH/LUA_CPATH) so its stdout and stderr can be read.
local core = require "ssot.core"

local fs = require "fs_helpers"
local read = fs.read

describe("ssot.report", function()
  local tmp

  before_each(function() tmp = fs.tempdir() end)
  after_each(function() fs.remove(tmp) end)

  -- Emits `files` ({ {path, content}, ... }) into tmp/out in the given mode, prints the report
  -- with opts; returns exit status, stdout, stderr.
  local function finish(mode, files, opts)
    local script = string.format([[
      local core = require "ssot.core"
      local em = core.emitter { root = %q, mode = %q }
      for _, f in ipairs(%s) do em:emit(f[1], f[2]) end
      local opts = %s
      opts.mode = %q
      local say = function(line) if not opts.quiet then core.write("stdout", line .. "\n") end end
      os.exit(require("ssot.report").finish(em:finish(), opts, core.clock(), say))
    ]], tmp .. "/out", mode, files, opts or "{}", mode)
    fs.write(tmp .. "/script.lua", script)
    local ok, _, status = os.execute(string.format("cd '%s' && NO_COLOR=1 lua5.4 script.lua >stdout 2>stderr", tmp))
    return ok and 0 or status, read(tmp .. "/stdout"), read(tmp .. "/stderr")
  end

  local FILES = [[{ { "a.ts", "a\n" }, { "d/b.ts", "b\n" } }]]

  it("summarizes a writing run, and a rerun that changed nothing", function()
    local status, stdout = finish("write", FILES)
    assert.are.equal(0, status)
    assert.matches("^done: 2 written, 0 unchanged, 0 removed in %d+ ms\n$", stdout)
    status, stdout = finish("write", FILES)
    assert.are.equal(0, status)
    assert.matches("^done: nothing changed %(2 files%) in %d+ ms\n$", stdout)
  end)

  it("lists every file with its status when verbose", function()
    finish("write", FILES)
    local _, stdout = finish("write", [[{ { "a.ts", "a2\n" }, { "c.ts", "c\n" } }]], "{ verbose = true }")
    assert.matches("  created   c.ts\n  updated   a.ts\n  removed   d/b.ts\ndone: 2 written, 0 unchanged, 1 removed", stdout,
      1, true)
  end)

  it("warns about a kept file in every mode", function()
    finish("write", FILES)
    fs.write(tmp .. "/out/d/b.ts", "edited\n")
    local _, _, stderr = finish("dry-run", [[{ { "a.ts", "a\n" } }]])
    assert.matches("warning: would keep d/b.ts: no longer generated, but edited since ssot wrote it", stderr, 1, true)
    _, _, stderr = finish("write", [[{ { "a.ts", "a\n" } }]])
    assert.matches("warning: kept d/b.ts", stderr, 1, true)
  end)

  it("check exits 5 listing stale, missing and extra files on stderr, even when quiet", function()
    finish("write", FILES)
    local status, stdout, stderr = finish("check", [[{ { "a.ts", "changed\n" }, { "new.ts", "n\n" } }]],
      "{ quiet = true, config = 'app/config.lua' }")
    assert.are.equal(5, status)
    assert.are.equal("", stdout)
    assert.matches("  stale   a.ts", stderr, 1, true)
    assert.matches("  missing new.ts", stderr, 1, true)
    assert.matches("  extra   d/b.ts", stderr, 1, true)
    assert.matches("check failed: 3 files out of date (1 stale, 1 missing, 1 extra) under " .. tmp
      .. "/out; run 'ssot run app/config.lua' and commit the result", stderr, 1, true)
  end)

  it("check exits 0 when everything is up to date", function()
    finish("write", FILES)
    local status, stdout = finish("check", FILES)
    assert.are.equal(0, status)
    assert.matches("^check: all 2 generated files up to date in %d+ ms\n$", stdout)
  end)

  it("dry-run lists the would-be changes", function()
    finish("write", FILES)
    local status, stdout = finish("dry-run", [[{ { "a.ts", "a2\n" }, { "c.ts", "c\n" } }]])
    assert.are.equal(0, status)
    assert.matches("  create    c.ts\n  update    a.ts\n  remove    d/b.ts\n"
      .. "dry run: would write 2, remove 1, leave 0 unchanged; nothing written", stdout, 1, true)
  end)

  it("diff prints unified diffs that patch -p1 applies", function()
    finish("write", FILES)
    local status, stdout = finish("diff", [[{ { "a.ts", "a2\n" }, { "c.ts", "c\n" } }]], "{ quiet = true }")
    assert.are.equal(0, status)
    assert.are.equal("--- a/a.ts\n+++ b/a.ts\n@@ -1 +1 @@\n-a\n+a2\n"
      .. "--- /dev/null\n+++ b/c.ts\n@@ -0,0 +1 @@\n+c\n"
      .. "--- a/d/b.ts\n+++ /dev/null\n@@ -1 +0,0 @@\n-b\n", stdout)
    assert.is_true(os.execute(string.format("cd '%s/out' && patch -s -p1 <'%s/stdout'", tmp, tmp)))
    assert.are.equal("a2\n", read(tmp .. "/out/a.ts"))
    assert.are.equal("c\n", read(tmp .. "/out/c.ts"))
    assert.is_nil(core.file_type(tmp .. "/out/d/b.ts"))
  end)
end)
