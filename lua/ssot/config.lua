-- Loading a config file into the model IR: runs the file in its sandbox (ssot.sandbox),
-- validates what it set (ssot.validate) and turns every problem into a
-- `file:line: config.path: message` error (lines from ssot.locate). Raises ssot.errors
-- objects of status "config" whose `errors` field lists every message. Uses ssot.core.
local core = require "ssot.core"
local errors = require "ssot.errors"
local locate = require "ssot.locate"
local sandbox = require "ssot.sandbox"
local validate = require "ssot.validate"
local check = require "ssot.validate_check"

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
    local line = problem.at and lines[locate.path(check.segments(problem.at))] or locate.line(lines, path)
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

-- Runs the config source; returns the table of config keys it set and problems found so far.
local function run_config(source_text, source)
  local env, values = sandbox.config_env(M.KEYS)
  local ok, result = sandbox.run(source_text, source, env)
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

-- load_source(text, path, opts) -> ir. Like load(), with the config's text given.
function M.load_source(source_text, path, opts)
  opts = opts or {}
  local cwd = core.getcwd()
  local config_path = absolute(path, cwd)
  local config_dir = dirname(config_path)
  local display = displayer(cwd)
  local raw, problems = run_config(source_text, path)
  local resolve = function(p) return absolute(p, config_dir) end
  local ir, found = validate.run(raw, {
    source = path,
    source_name = basename(path),
    config_path = config_path,
    config_dir = config_dir,
    default_name = basename(config_dir),
    output_override = opts.output and absolute(opts.output, cwd),
    output_display = opts.output,
    problems = problems,
    resolve = resolve,
    read_file = core.read_file,
    file_type = core.file_type,
    display = display,
  })
  if not ir then raise(format_problems(found, source_text, path)) end
  return ir
end

-- load(path, opts) -> ir (docs/ir.md). opts.output overrides the config's output directory
-- (relative to the current directory). Raises a "config" error listing every problem.
function M.load(path, opts)
  if type(path) ~= "string" or path == "" then
    raise { "no config file given: pass the path of a config.lua" }
  end
  local source_text, message = core.read_file(path)
  if not source_text then
    local hint = core.file_type(path) == nil and " (create one with 'ssot init', or give the path of an existing config)" or ""
    raise { string.format("cannot read the config: %s%s", message, hint) }
  end
  return M.load_source(source_text, path, opts)
end

return M
