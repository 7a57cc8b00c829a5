-- Loading a config file into the model IR: runs the file in its sandbox (ssot.sandbox),
-- validates what it set (ssot.validate) and turns every problem into a
-- `file:line: config.path: message` error (lines from ssot.locate). Raises ssot.errors
-- objects of status "config" whose `errors` field lists every message. The two steps are
-- separate (run, validate) so `ssot run` can find the last run's fingerprint in between. The
-- files read are reported to ssot.inputs. Uses ssot.core.
local core = require "ssot.core"
local errors = require "ssot.errors"
local inputs = require "ssot.inputs"
local locate = require "ssot.locate"
local sandbox = require "ssot.sandbox"
local validate = require "ssot.validate"
local check = require "ssot.validate.check"

local M = {}

-- The keys a config may set (globals or the fields of a returned table).
M.KEYS = validate.KEYS

-- Paths ------------------------------------------------------------------------------------

-- normalize("/a/./b/../c/") -> "/a/c" (lexically; links are not resolved).
local function normalize(path)
  local parts = {}
  for part in path:gmatch("[^/]+") do
    if part == ".." then
      if #parts > 0 then parts[#parts] = nil end
    elseif part ~= "." then
      parts[#parts + 1] = part
    end
  end
  return "/" .. table.concat(parts, "/")
end

local function absolute(path, base)
  if path:sub(1, 1) == "/" then return normalize(path) end
  return normalize(base .. "/" .. path)
end

local function dirname(path) return path:match("^(.*)/[^/]*$") or "/" end
local function basename(path) return path:match("([^/]*)/*$") end

-- How to show an absolute path to the user: relative to the current directory when inside it.
local function displayer(cwd)
  return function(full)
    if full == cwd then return "." end
    if full:sub(1, #cwd + 1) == cwd .. "/" then return full:sub(#cwd + 2) end
    return full
  end
end

-- Errors -----------------------------------------------------------------------------------

local function raise(messages)
  errors.raise("config", table.concat(messages, "\n"), { errors = messages })
end

-- Formats problems as `source:line: path: message`, sorted by line (then as found).
local function format_problems(problems, source_text, source)
  local lines = locate.map(source_text)
  local entries = {}
  for i, problem in ipairs(problems) do
    local path = check.segments(problem.path)
    local line = problem.line or problem.at and lines[locate.path(check.segments(problem.at))]
      or locate.line(lines, path)
    local where = #path > 0 and locate.path(path) .. ": " or ""
    local text = line and string.format("%s:%d: %s%s", source, line, where, problem.message)
      or string.format("%s: %s%s", source, where, problem.message)
    entries[#entries + 1] = { line = line or math.huge, order = i, text = text }
  end
  table.sort(entries, function(a, b)
    if a.line ~= b.line then return a.line < b.line end
    return a.order < b.order
  end)
  local messages = {}
  for i, e in ipairs(entries) do messages[i] = e.text end
  return messages
end

-- Loading ----------------------------------------------------------------------------------

-- core.read_file for the files the config names (hooks), recorded as inputs of the run.
local function read_input(path)
  local text, message = core.read_file(path)
  inputs.file(path, text)
  return text, message
end

-- Runs the config source; returns the table of config keys it set and problems found so far.
local function run_config(source_text, source)
  local env, values = sandbox.config_env(M.KEYS)
  local ok, result = sandbox.run(source_text, source, env, "the config")
  if not ok then raise { result } end
  local raw, problems = {}, {}
  for k, v in pairs(values) do raw[k] = v end
  if type(result) == "table" then
    for k, v in pairs(result) do
      if raw[k] ~= nil then
        problems[#problems + 1] = { path = { k }, message = "is both assigned as a global and in the returned table; keep one" }
      else
        raw[k] = v
      end
    end
  elseif result ~= nil then
    raise { string.format("%s: the config returned a %s; assign the config keys as globals "
      .. "(models = { ... }) or return a table of them", source, type(result)) }
  end
  return raw, problems
end

-- Keys written twice in one table constructor of the config (`models = { Note = {...},
-- Note = {...} }`): Lua keeps the last value without a word, so each repeat is a problem at
-- its line. The path is shown when it starts at a config key.
local function duplicate_keys(source_text, problems)
  local is_key = {}
  for _, k in ipairs(M.KEYS) do is_key[k] = true end
  for _, d in ipairs(core.duplicate_keys(source_text)) do
    local path = d.path and is_key[d.path[1]] and d.path or {}
    local key = math.type(d.key) == "integer" and "[" .. d.key .. "]" or check.show(d.key)
    problems[#problems + 1] = { path = path, line = d.line, message = string.format(
      "%s is written twice in the same table (first on line %d): Lua keeps only the last one and drops the "
      .. "first without a word; remove one, or rename it", key, d.first) }
  end
end

-- run_source(text, path) -> the config run in its sandbox but not validated yet: { raw (the
-- config keys it set), problems (found so far), text, path (as given), config_path,
-- config_dir, cwd }. Raises a "config" error when the file does not run.
function M.run_source(source_text, path)
  local cwd = core.getcwd()
  local config_path = absolute(path, cwd)
  local raw, problems = run_config(source_text, path)
  duplicate_keys(source_text, problems)
  return { raw = raw, problems = problems, text = source_text, path = path, config_path = config_path,
    config_dir = dirname(config_path), cwd = cwd }
end

-- run(path) -> what run_source returns, for the config file at path (recorded as an input of
-- the run, ssot.inputs).
function M.run(path)
  if type(path) ~= "string" or path == "" then
    raise { "no config file given: pass the path of a config.lua" }
  end
  local source_text, message = core.read_file(path)
  inputs.file(path, source_text)
  if not source_text then
    local hint = core.file_type(path) == nil and " (give the path of an existing config, or write one: "
      .. "docs/getting-started.md shows a first config.lua)" or ""
    raise { string.format("cannot read the config: %s%s", message, hint) }
  end
  return M.run_source(source_text, path)
end

-- places(loaded, opts) -> the output directory and the config's library directories (absolute)
-- the config asks for, and the output directory as messages show it; nil when the values are
-- not usable (validation says why). What ssot.uptodate needs to find the last run's
-- fingerprint before validating anything. opts.output as for validate().
function M.places(loaded, opts)
  local raw = loaded.raw
  local output = raw.output == nil and "generated" or raw.output
  if type(output) ~= "string" or output == "" then return nil end
  local output_dir = opts and opts.output and absolute(opts.output, loaded.cwd) or absolute(output, loaded.config_dir)
  local lib = raw.lib
  if type(lib) == "string" then lib = { lib } end
  if lib ~= nil and type(lib) ~= "table" then return nil end
  local lib_dirs = {}
  for i, dir in ipairs(lib or {}) do
    if type(dir) ~= "string" then return nil end
    lib_dirs[i] = absolute(dir, loaded.config_dir)
  end
  return output_dir, lib_dirs, opts and opts.output or displayer(loaded.cwd)(output_dir)
end

-- validate(loaded, opts) -> ir: validates what run/run_source returned. opts.output overrides
-- the config's output directory (relative to the current directory). Raises a "config" error
-- listing every problem.
function M.validate(loaded, opts)
  opts = opts or {}
  local path, config_dir = loaded.path, loaded.config_dir
  local resolve = function(p) return absolute(p, config_dir) end
  -- under the config's time limit: validation reads the config's tables, and with them any
  -- metamethod the config set on them
  local ok, ir, found = errors.call_limited("config", sandbox.config_limit("validating the config"), validate.run,
    loaded.raw, {
    source = path,
    source_name = basename(path),
    config_path = loaded.config_path,
    config_dir = config_dir,
    default_name = basename(config_dir),
    output_override = opts.output and absolute(opts.output, loaded.cwd),
    output_display = opts.output,
    problems = loaded.problems,
    resolve = resolve,
    read_file = read_input,
    file_type = core.file_type,
    display = displayer(loaded.cwd),
  })
  if not ok then
    -- the limit, or the config's own code (a metamethod) failing, is the config's problem; an
    -- error in ssot's code is not
    local file = tostring(ir.message):match("^([^:\n]+):%d+:")
    if ir.errors or not file or file:find("lua/ssot/", 1, true) then error(ir, 0) end
    raise { ir.message }
  end
  if not ir then raise(format_problems(found, loaded.text, path)) end
  return ir
end

-- load_source(text, path, opts) -> ir. Like load(), with the config's text given.
function M.load_source(source_text, path, opts)
  return M.validate(M.run_source(source_text, path), opts)
end

-- load(path, opts) -> ir (docs/ir.md). opts.output overrides the config's output directory
-- (relative to the current directory). Raises a "config" error listing every problem.
function M.load(path, opts)
  return M.validate(M.run(path), opts)
end

return M
