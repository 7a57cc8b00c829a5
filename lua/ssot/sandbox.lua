-- The environments config files and the Lua files they name (hooks) run in: the safe part
-- of the standard library, strict globals (an undefined name is an error that suggests the
-- closest known one), and a time limit. What they read from the environment, and calls that
-- make the output change from run to run, are reported to ssot.inputs (the fingerprint of a
-- run). Uses ssot.text for the suggestions.
local core = require "ssot.core"
local text = require "ssot.text"
local inputs = require "ssot.inputs"

local M = {}

-- Seconds a config (and each Lua file it names) may run, and validation may take, before it
-- is stopped as an endless loop (docs/config.md, "Limits").
M.time_limit = 10

-- The limit of running or validating the config, for ssot.errors.call_limited.
function M.config_limit(what)
  return { seconds = M.time_limit, what = what }
end

local function copy(t)
  local c = {}
  for k, v in pairs(t) do c[k] = v end
  return c
end

-- print(...) in a config writes to standard error, so it never mixes with generated output
-- that ssot writes to standard output (--diff).
local function stderr_print(...)
  local parts = table.pack(...)
  for i = 1, parts.n do parts[i] = tostring(parts[i]) end
  io.stderr:write(table.concat(parts, "\t", 1, parts.n), "\n")
end

-- os.getenv, reporting the variable and its value to ssot.inputs.
local function getenv(name)
  if type(name) ~= "string" then
    error("os.getenv: expected the name of an environment variable (a string), got " .. type(name), 2)
  end
  local value = os.getenv(name)
  inputs.env(name, value)
  return value
end

-- fn, reporting to ssot.inputs that the run used it: the time or a random number differs
-- from run to run, so such a config is never taken as unchanged.
local function volatile(name, fn)
  local reason = name .. " was called (its result changes from run to run)"
  return function(...)
    inputs.untracked(reason)
    return fn(...)
  end
end

local function math_library()
  local m = copy(math)
  m.random = volatile("math.random", math.random)
  m.randomseed = volatile("math.randomseed", math.randomseed)
  return m
end

-- Why the standard names a sandbox leaves out are missing, for the error that names them.
local WHY_MISSING = {
  io = "a config cannot read or write files (the same config must give the same output everywhere); "
    .. "os.getenv reads values that differ per machine",
  require = "a config cannot load other Lua files; a model's hooks can live in a file of their own "
    .. "(hooks = \"hooks/note.lua\")",
  debug = "a config cannot reach Lua's internals",
}
WHY_MISSING.load, WHY_MISSING.loadfile, WHY_MISSING.dofile = WHY_MISSING.require, WHY_MISSING.require,
  WHY_MISSING.require
WHY_MISSING.getmetatable, WHY_MISSING.collectgarbage = WHY_MISSING.debug, WHY_MISSING.debug

local OS_MISSING = { execute = true, exit = true, remove = true, rename = true, setlocale = true, tmpname = true }

-- The os library of a sandbox: getenv, time, date and clock; reading one of the left-out
-- functions is an error saying so (instead of "attempt to call a nil value").
local function os_library()
  return setmetatable({ getenv = getenv, time = volatile("os.time", os.time), date = volatile("os.date", os.date),
    clock = volatile("os.clock", os.clock) }, {
    __index = function(_, k)
      if OS_MISSING[k] then
        error(string.format("os.%s is not available in a config: a config cannot run programs or change "
          .. "files; it may use os.getenv, os.time, os.date and os.clock", k), 2)
      end
      return nil
    end,
  })
end

-- " (did you mean 'x'?)" for an unknown global k, or why a standard name is missing.
local function unknown_global_hint(k, names)
  if type(k) ~= "string" then return "" end
  if WHY_MISSING[k] then return ": " .. WHY_MISSING[k] end
  return text.did_you_mean(k, names)
end

-- ssot.publish(channel, event, data) in hooks and custom routes (docs/protocol.md "Events"):
-- while ssot serve runs, the runtime sets M.publisher, which checks and queues the event and
-- returns true, or nil and why; the error is raised at the caller's line.
M.publisher = nil

local function publish(channel, event, data)
  local publisher = M.publisher
  if not publisher then
    error("ssot.publish works in hooks and custom routes while ssot serve runs", 2)
  end
  local ok, why = publisher(channel, event, data)
  if not ok then error(why, 2) end
  return true
end

-- ssot.get(model, id) and ssot.list(model, params) in rule functions, hooks and custom routes
-- (docs/serve.md, "Reading models from Lua"): while ssot serve runs, the runtime sets
-- M.reader = { get, list }, whose functions answer true and the result, or false and why;
-- the error is raised at the caller's line.
M.reader = nil

local function read(name, ...)
  local reader = M.reader
  if not reader then
    error("ssot." .. name .. " works in rule functions, hooks and custom routes while ssot serve runs", 3)
  end
  local ok, result = reader[name](...)
  if not ok then error(result, 3) end
  return result
end

-- ssot.get(model, id) -> the row as a table, or nil when there is none. (Not a tail call:
-- read's level 3 must be the caller.)
function M.get(model, id)
  local row = read("get", model, id)
  return row
end

-- ssot.list(model, { where =, orderBy =, skip =, take = }) -> { items, total, skip, take, offset, epoch }.
function M.list(model, params)
  local page = read("list", model, params)
  return page
end

-- The names every sandboxed file can read. Libraries are copies, so a config cannot change
-- the host's; ssot holds what ssot offers them (ssot.publish, ssot.get, ssot.list). Absent on purpose: io, os.execute/remove/rename/exit/tmpname, load, loadfile,
-- dofile, require, debug, getmetatable, collectgarbage.
local function base_globals()
  return {
    _VERSION = _VERSION,
    assert = assert, error = error, ipairs = ipairs, next = next, pairs = pairs, pcall = pcall,
    print = stderr_print, rawequal = rawequal, rawget = rawget, rawlen = rawlen, rawset = rawset,
    select = select, setmetatable = setmetatable, tonumber = tonumber, tostring = tostring,
    type = type, xpcall = xpcall,
    string = copy(string), table = copy(table), math = math_library(), utf8 = copy(utf8),
    os = os_library(),
    ssot = { publish = publish, get = M.get, list = M.list },
  }
end

-- The names available in a sandbox, sorted (for docs and suggestions).
function M.global_names()
  local names = {}
  for k in pairs(base_globals()) do names[#names + 1] = k end
  names[#names + 1] = "_G"
  table.sort(names)
  return names
end

-- config_env(keys) -> env, values. keys is the list of config keys a config may assign.
-- Assignments to them land in values; reading them gives the value so far (nil before the
-- assignment); any other global read or written is an error naming it.
function M.config_env(keys)
  local known, values, base = {}, {}, base_globals()
  for _, k in ipairs(keys) do known[k] = true end
  local env = {}
  base._G = env
  local readable = copy(known)
  for k in pairs(base) do readable[k] = true end
  setmetatable(env, {
    __index = function(_, k)
      if values[k] ~= nil then return values[k] end
      if known[k] then return nil end
      if base[k] ~= nil then return base[k] end
      error(string.format("unknown global '%s'%s", tostring(k), unknown_global_hint(k, readable)), 2)
    end,
    __newindex = function(_, k, v)
      if known[k] then values[k] = v return end
      if base[k] ~= nil then
        error(string.format("cannot assign to '%s': it is part of the standard library the config uses", k), 2)
      end
      local suggestion = type(k) == "string" and text.did_you_mean(k, known) or ""
      if suggestion == "" then suggestion = "; the config keys are " .. table.concat(keys, ", ") end
      error(string.format("unknown config key '%s'%s", tostring(k), suggestion), 2)
    end,
  })
  return env, values
end

-- script_env() -> env for a Lua file a config names (hooks): the same library; its own
-- globals may be assigned; reading an undefined one is an error.
function M.script_env()
  local base = base_globals()
  local env = {}
  base._G = env
  return setmetatable(env, {
    __index = function(t, k)
      if base[k] ~= nil then return base[k] end
      local names = copy(base)
      for name in pairs(t) do names[name] = true end
      error(string.format("unknown global '%s'%s", tostring(k), unknown_global_hint(k, names)), 2)
    end,
  })
end

-- Turns any error value into "file:line: message" text.
local function message_of(e, chunkname)
  if type(e) == "string" then
    if e:match("^[^\n:]+:%d+:") then return e end
    return chunkname .. ": " .. e
  end
  if type(e) == "table" and type(e.message) == "string" then return chunkname .. ": " .. e.message end
  return chunkname .. ": error object is a " .. type(e) .. " value (use error(\"message\"))"
end

-- run(source, chunkname, env, what) -> true, results... | false, "file:line: message".
-- Compiles and runs text source in env through the one protected call (core.call), stopping it
-- after M.time_limit seconds whatever it does (a pcall of its own cannot keep it going); what
-- names it in that error ("the config"; by default the chunk's name).
function M.run(source, chunkname, env, what)
  local chunk, message = load(source, "@" .. chunkname, "t", env)
  if not chunk then return false, message end
  local results = table.pack(core.call(M.time_limit, what or chunkname, nil, chunk))
  if results[1] then return table.unpack(results, 1, results.n) end
  return false, message_of(results[2], chunkname)
end

return M
