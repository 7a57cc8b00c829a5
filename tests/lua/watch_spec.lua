-- Specs for core.watch (inotify, debounced) and the --watch loop (ssot.watch).
local core = require "ssot.core"
local watch = require "ssot.watch"

local fs = require "fs_helpers"
local capture, sh = fs.capture, fs.sh

-- Runs command in the background after `delay` seconds, so core.watch is already waiting.
local function later(delay, command)
  sh(string.format("sh -c 'sleep %s; %s' >/dev/null 2>&1 &", delay, command:gsub("'", "'\\''")))
end

-- core.watch's ready option: runs command once every path is watched (no race with arming).
local function when_ready(command)
  return function() sh(command) end
end

local function open_fds()
  return #core.list_dir("/proc/self/fd")
end

describe("core.watch", function()
  local tmp

  before_each(function()
    tmp = fs.tempdir()
    sh("echo old > '" .. tmp .. "/config.lua' && echo other > '" .. tmp .. "/other.lua'")
  end)

  after_each(function() fs.remove(tmp) end)

  it("sees a file being written", function()
    later(0.2, "echo x > " .. tmp .. "/config.lua")
    local changed = core.watch({ tmp .. "/config.lua", tmp .. "/other.lua" }, { timeout = 5000 })
    assert.are.same({ tmp .. "/config.lua" }, changed)
  end)

  it("calls ready once the paths are watched: a change made from then on is seen", function()
    local calls = 0
    local changed = core.watch({ tmp .. "/config.lua" }, { timeout = 5000, ready = function()
      calls = calls + 1
      sh("echo x > " .. tmp .. "/config.lua")
    end })
    assert.are.same({ tmp .. "/config.lua" }, changed)
    assert.are.equal(1, calls)
    assert.has_error(function() core.watch({ tmp .. "/config.lua" }, { ready = 1 }) end)
  end)

  it("sees a file replaced by rename, as editors save", function()
    local changed = core.watch({ tmp .. "/config.lua" }, { timeout = 5000, ready = when_ready(
      "echo new > " .. tmp .. "/.config.lua.swp && mv " .. tmp .. "/.config.lua.swp " .. tmp .. "/config.lua") })
    assert.are.same({ tmp .. "/config.lua" }, changed)
  end)

  it("sees a file that did not exist yet being created", function()
    assert.are.same({ tmp .. "/later.lua" }, core.watch({ tmp .. "/later.lua" },
      { timeout = 5000, ready = when_ready("echo hi > " .. tmp .. "/later.lua") }))
  end)

  it("ignores other files in the same directory", function()
    assert.is_nil(core.watch({ tmp .. "/config.lua" },
      { timeout = 600, ready = when_ready("echo x > " .. tmp .. "/unrelated.txt") }))
  end)

  it("reports any new file in a watched directory as dir/name", function()
    sh("mkdir '" .. tmp .. "/templates'")
    assert.are.same({ tmp .. "/templates/new.tpl" }, core.watch({ tmp .. "/templates" },
      { timeout = 5000, ready = when_ready("echo t > " .. tmp .. "/templates/new.tpl") }))
  end)

  it("collects a burst of changes into one answer (debounce)", function()
    later(0.2, "echo 1 > " .. tmp .. "/config.lua; sleep 0.05; echo 2 > " .. tmp .. "/other.lua")
    local changed = core.watch({ tmp .. "/config.lua", tmp .. "/other.lua" }, { timeout = 5000, debounce = 300 })
    assert.are.same({ tmp .. "/config.lua", tmp .. "/other.lua" }, changed)
  end)

  it("returns nil when nothing changes before the timeout", function()
    local started = core.clock()
    assert.is_nil(core.watch({ tmp .. "/config.lua" }, { timeout = 200 }))
    assert.is_true(core.clock() - started >= 0.19)
  end)

  it("leaves no file descriptor open, also after an error", function()
    local before = open_fds()
    core.watch({ tmp .. "/config.lua" }, { timeout = 10 })
    pcall(core.watch, { tmp .. "/config.lua", tmp .. "/missing/dir/x" }, { timeout = 10 })
    collectgarbage()
    collectgarbage()
    assert.are.equal(before, open_fds())
  end)

  it("says which directory it cannot watch", function()
    local ok, err = pcall(core.watch, { tmp .. "/missing/x.lua" }, { timeout = 10 })
    assert.is_false(ok)
    assert.matches("watch: cannot watch the directory " .. tmp .. "/missing (for " .. tmp .. "/missing/x.lua): "
      .. "No such file or directory; create it first or leave it out", err, 1, true)
  end)

  it("checks its arguments", function()
    assert.has_error(function() core.watch({}) end, "watch: no paths to watch")
    assert.has_error(function() core.watch({ 42 }) end, "watch: paths[1] must be a non-empty string")
    assert.has_error(function() core.watch({ tmp }, { timeout = -1 }) end)
  end)
end)

describe("ssot.watch", function()
  local tmp

  before_each(function()
    tmp = fs.tempdir()
    sh("mkdir -p " .. tmp .. "/lib/templates/sdk " .. tmp .. "/lib/lua/ssot " .. tmp .. "/lib/templates/.git")
    sh("echo c > " .. tmp .. "/config.lua && echo p > " .. tmp .. "/phase.lua")
  end)

  after_each(function()
    core.set_lib_dirs({})
    fs.remove(tmp)
  end)

  it("watches the config, its phase files and every directory under the libraries' templates/ and lua/", function()
    core.set_lib_dirs({ tmp .. "/lib" })
    local ir = { config_path = tmp .. "/config.lua", phases = { tmp .. "/phase.lua" }, output = tmp .. "/out" }
    assert.are.same({
      tmp .. "/config.lua",
      tmp .. "/lib/lua",
      tmp .. "/lib/lua/ssot",
      tmp .. "/lib/templates",
      tmp .. "/lib/templates/sdk",
      tmp .. "/phase.lua",
    }, watch.paths({ config = "config.lua" }, ir))
  end)

  it("watches the config file alone when the config never loaded", function()
    assert.are.same({ tmp .. "/config.lua" }, watch.paths({ config = tmp .. "/config.lua" }, nil))
  end)

  it("reruns after a change, keeps watching after a failed run or an error, and reports the last status", function()
    local runs = {}
    local opts = { config = tmp .. "/config.lua", quiet = true }
    local function run_once()
      runs[#runs + 1] = capture("cat " .. tmp .. "/config.lua")
      if #runs < 4 then later(0.3, "echo c" .. #runs + 1 .. " > " .. tmp .. "/config.lua") end
      if #runs == 2 then return 3, nil end -- a config error: no IR
      if #runs == 3 then error("a bug in a phase") end
      return 0, { config_path = tmp .. "/config.lua", phases = {} }
    end
    local status = watch.loop(opts, run_once, { runs = 3, debounce = 50 })
    assert.are.same({ "c", "c2", "c3", "c4" }, runs)
    assert.are.equal(0, status)
  end)
end)
