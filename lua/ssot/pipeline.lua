-- The phase pipeline: collects the built-in phases (ssot.phases) and the config's phase
-- files, checks their shape, orders them by `after`, decides which run (should_run) and
-- describes the plan for `ssot phases`. Phase files and the files phases declare as their
-- inputs are reported to ssot.inputs. Errors are ssot.errors objects (docs/phases.md).
local core = require "ssot.core"
local errors = require "ssot.errors"
local inputs = require "ssot.inputs"
local did_you_mean = require("ssot.text").did_you_mean

local M = {}

local PHASE_KEYS = { "after", "description", "inputs", "name", "reason", "run", "should_run" }
local IS_PHASE_KEY = {}
for _, k in ipairs(PHASE_KEYS) do IS_PHASE_KEY[k] = true end

local SHAPE_HINT = "a phase is { name = \"...\", run = function(ctx) ... end } with optional "
  .. "after, should_run, reason, description, inputs"

-- The phase's source as users read it: "built-in", or the file path relative to the current
-- directory when it is below it.
local function source_display(source)
  if source == "built-in" then return source end
  local cwd = core.getcwd()
  if cwd and source:sub(1, #cwd + 1) == cwd .. "/" then return source:sub(#cwd + 2) end
  return source
end

-- Where a phase came from, for messages: "phase 'x' (phases/x.lua)".
local function phase_label(p)
  return string.format("phase '%s' (%s)", tostring(p.name), source_display(p.source or "built-in"))
end

-- "file:line: " for the first line of the file's text that assigns key, or for its last
-- `return`, or "file: " when there is no text (a built-in).
local function position(origin, key)
  if not origin.text then return origin.label .. ": " end
  local line_no, return_line = 0, nil
  key = key and key:gsub("%p", "%%%0")
  for line in (origin.text .. "\n"):gmatch("([^\n]*)\n") do
    line_no = line_no + 1
    if key and (line:match("^%s*" .. key .. "%s*=") or line:match("[^%w_.]" .. key .. "%s*=[^=]")) then
      return origin.label .. ":" .. line_no .. ": "
    end
    if line:match("^%s*return[%s{]") or line:match("^%s*return$") then return_line = line_no end
  end
  return origin.label .. ":" .. (return_line or 1) .. ": "
end

local function shape_error(origin, key, message)
  errors.raise("config", position(origin, key) .. message .. " (" .. SHAPE_HINT .. ")")
end

-- Checks that p[key] is a list of strings; what says in words what it lists: { list, example,
-- item }.
local function check_list(origin, p, key, label, what)
  local value = p[key]
  if type(value) ~= "table" then
    shape_error(origin, key, string.format("%s%s must be %s, %s, got %s%s", label, key, what.list, what.example,
      type(value), type(value) == "string" and (" '" .. value .. "'") or ""))
  end
  local n = #value
  for k, v in pairs(value) do
    if math.type(k) ~= "integer" or k < 1 or k > n then
      shape_error(origin, key, label .. key .. " must be " .. what.list .. ", found the key " .. tostring(k))
    end
    if type(v) ~= "string" then
      shape_error(origin, key, label .. key .. "[" .. k .. "] must be " .. what.item .. ", got " .. type(v))
    end
  end
end

-- Checks one phase table; records p.source. origin: { label, text?, source }.
local function check_phase(p, origin)
  if type(p) ~= "table" then
    shape_error(origin, nil, "expected a phase table, got " .. type(p))
  end
  for k in pairs(p) do
    if type(k) ~= "string" then
      shape_error(origin, nil, "a phase table has only named keys, found the " .. type(k) .. " key " .. tostring(k))
    end
    if not IS_PHASE_KEY[k] and k ~= "source" then
      shape_error(origin, k, "unknown phase key '" .. k .. "'" .. did_you_mean(k, PHASE_KEYS))
    end
  end
  if type(p.name) ~= "string" or p.name == "" then
    shape_error(origin, "name", "phase has no name (name must be a non-empty string, got " .. type(p.name) .. ")")
  end
  if not p.name:match("^[%w][%w_.%-]*$") then
    shape_error(origin, "name", "phase name '" .. p.name .. "' may only contain letters, digits, '_', '-' and '.'")
  end
  local label = "phase '" .. p.name .. "': "
  if type(p.run) ~= "function" then
    shape_error(origin, "run", label .. "run must be a function(ctx), got " .. type(p.run))
  end
  if p.should_run ~= nil and type(p.should_run) ~= "function" then
    shape_error(origin, "should_run", label .. "should_run must be a function(ctx) returning a boolean, got "
      .. type(p.should_run))
  end
  if p.reason ~= nil and type(p.reason) ~= "string" and type(p.reason) ~= "function" then
    shape_error(origin, "reason", label .. "reason must be a string or a function(ctx), got " .. type(p.reason))
  end
  if p.description ~= nil and type(p.description) ~= "string" then
    shape_error(origin, "description", label .. "description must be a string, got " .. type(p.description))
  end
  if p.inputs ~= nil then
    check_list(origin, p, "inputs", label, { list = "a list of the files the phase reads",
      example = "e.g. inputs = { \"data/units.csv\" } (or {} for none)", item = "a file path" })
  end
  if p.after ~= nil then
    check_list(origin, p, "after", label, { list = "a list of phase names", example = "e.g. after = { \"sql\" }",
      item = "a phase name" })
  end
  p.source = origin.source
  return p
end

-- Adds the phase (or list of phases) a module or file returned to list.
local function add_phases(list, value, origin)
  if type(value) ~= "table" then
    shape_error(origin, nil, "must return a phase table or a list of them, got " .. type(value))
  end
  if value.name == nil and value.run == nil and value[1] ~= nil then
    for _, p in ipairs(value) do list[#list + 1] = check_phase(p, origin) end
  else
    list[#list + 1] = check_phase(value, origin)
  end
end

-- The limit a phase's functions run under (the config's limits.phase).
function M.phase_limit(p, ir)
  return { seconds = ir and ir.limits and ir.limits.phase or 60, what = "phase '" .. tostring(p.name) .. "'",
    key = "limits.phase" }
end

-- A phase file's path as messages show it: relative to the config's directory when below it
-- (Lua cuts the front off long chunk names; docs/phases.md shows these).
local function shown(path, ir)
  local dir = ir and ir.config_dir
  if dir and path:sub(1, #dir + 1) == dir .. "/" then return path:sub(#dir + 2) end
  return path
end

-- Runs a config's phase file with the global `ssot`; returns what it returns.
local function load_phase_file(path, ir)
  local text, message = core.read_file(path)
  inputs.file(path, text)
  if not text then
    errors.raise("config", "cannot read phase file " .. message .. " (listed in the config's phases)")
  end
  local name = shown(path, ir)
  local env = setmetatable({ ssot = require "ssot" }, { __index = _G })
  local chunk, syntax = load(text, "@" .. name, "t", env)
  if not chunk then errors.raise("config", errors.full_position(syntax, name)) end
  local ok, result = errors.call_limited("config", require("ssot.sandbox").config_limit("the phase file " .. name),
    chunk)
  if not ok then
    result.message = errors.full_position(result.message, name) .. "\n  while loading phase file " .. name
    error(result, 0)
  end
  return result, text
end

-- Reports what a phase reads to ssot.inputs: the files it declares (paths relative to the
-- config's directory), or, for a config's phase without `inputs`, that it may read anything.
local function record_inputs(p, ir)
  if p.inputs then
    for _, path in ipairs(p.inputs) do
      if path:sub(1, 1) ~= "/" then path = (ir.config_dir or core.getcwd()) .. "/" .. path end
      inputs.file(path, (core.read_file(path)))
    end
  elseif p.source ~= "built-in" then
    inputs.untracked(string.format("%s does not declare its inputs (add inputs = { ... } listing the files "
      .. "it reads, or inputs = {})", phase_label(p)))
  end
end

-- collect(ir) -> list of phases: the built-ins, then the config's phase files in order.
function M.collect(ir)
  local list = {}
  for _, module in ipairs(require "ssot.phases") do
    local ok, value = errors.call("config", require, module)
    if not ok then
      value.message = "built-in phase module '" .. module .. "': " .. value.message
      error(value, 0)
    end
    add_phases(list, value, { label = "built-in phase module '" .. module .. "'", source = "built-in" })
  end
  for _, path in ipairs(ir.phases or {}) do
    local value, text = load_phase_file(path, ir)
    add_phases(list, value, { label = shown(path, ir), text = text, source = shown(path, ir) })
  end
  for _, p in ipairs(list) do record_inputs(p, ir) end
  return list
end

-- Finds a cycle among the phases not yet placed (each waits for one of the others) and
-- returns it as "a -> b -> a".
local function describe_cycle(waiting, by_name, placed)
  local start = waiting[1]
  local seen, path = {}, {}
  local p = start
  while not seen[p] do
    seen[p] = #path + 1
    path[#path + 1] = p
    for _, dep in ipairs(p.after or {}) do
      local q = by_name[dep]
      if not placed[q] then p = q break end
    end
  end
  local names = {}
  for i = seen[p], #path do names[#names + 1] = path[i].name end
  names[#names + 1] = p.name
  local where = {}
  for i = seen[p], #path do where[#where + 1] = phase_label(path[i]) end
  return table.concat(names, " -> "), table.concat(where, ", ")
end

-- order(list) -> a new list in which every phase comes after the phases its `after` names;
-- otherwise the collected order is kept. Errors: duplicate names, unknown names, cycles.
function M.order(list)
  local by_name, names = {}, {}
  for _, p in ipairs(list) do
    local other = by_name[p.name]
    if other then
      errors.raise("config", string.format("two phases are named '%s': %s and %s; phase names must be unique "
        .. "(rename one; to replace a built-in phase, put your version of its module under a --lib "
        .. "directory: DIR/lua/ssot/phases/<name>.lua)", p.name, source_display(other.source), source_display(p.source)))
    end
    by_name[p.name] = p
    names[#names + 1] = p.name
  end
  for _, p in ipairs(list) do
    for _, dep in ipairs(p.after or {}) do
      if not by_name[dep] then
        errors.raise("config", string.format("%s: after names unknown phase '%s'%s; the phases are: %s",
          phase_label(p), dep, did_you_mean(dep, names), table.concat(names, ", ")))
      end
    end
  end
  local ordered, placed = {}, {}
  while #ordered < #list do
    local ready
    for _, p in ipairs(list) do
      if not placed[p] then
        ready = p
        for _, dep in ipairs(p.after or {}) do
          if not placed[by_name[dep]] then ready = nil break end
        end
        if ready then break end
      end
    end
    if not ready then
      local waiting = {}
      for _, p in ipairs(list) do if not placed[p] then waiting[#waiting + 1] = p end end
      local cycle, where = describe_cycle(waiting, by_name, placed)
      errors.raise("config", "phases wait for each other in a cycle: " .. cycle
        .. " (x -> y: x runs after y) in " .. where .. "; remove one of these 'after' entries")
    end
    placed[ready] = true
    ordered[#ordered + 1] = ready
  end
  return ordered
end

-- plan(ordered, ctx) -> { { phase, run = bool, reason = string|nil }, ... }: asks each
-- phase's should_run(ctx) (protected); reason says why a phase would not run.
function M.plan(ordered, ctx)
  local plan = {}
  for i, p in ipairs(ordered) do
    local run, reason = true, nil
    if p.should_run then
      local ok, result, why = errors.call_limited("phase", M.phase_limit(p, ctx.ir), p.should_run, ctx)
      if not ok then
        result.message = phase_label(p) .. ": should_run failed: " .. result.message
        error(result, 0)
      end
      run = result and true or false
      if not run then
        reason = why
        if reason == nil and type(p.reason) == "function" then
          local reason_ok, value = errors.call_limited("phase", M.phase_limit(p, ctx.ir), p.reason, ctx)
          if not reason_ok then
            value.message = phase_label(p) .. ": reason failed: " .. value.message
            error(value, 0)
          end
          reason = value
        elseif reason == nil then
          reason = p.reason
        end
        reason = reason ~= nil and tostring(reason) or "should_run returned false"
      end
    end
    plan[i] = { phase = p, run = run, reason = reason }
  end
  return plan
end

-- describe(plan) -> the text `ssot phases` prints: one numbered line per phase in run order
-- (name, run/skip, source, after-dependencies), the reason under each skipped phase.
function M.describe(plan)
  local name_width, source_width, running = 4, 6, 0
  for _, step in ipairs(plan) do
    name_width = math.max(name_width, #step.phase.name)
    source_width = math.max(source_width, #source_display(step.phase.source or "built-in"))
    if step.run then running = running + 1 end
  end
  local number_width = #tostring(#plan)
  local out = { string.format("%d phases in run order, %d would run:", #plan, running) }
  for i, step in ipairs(plan) do
    local p = step.phase
    local after = p.after and #p.after > 0 and ("after " .. table.concat(p.after, ", ")) or ""
    local line = string.format("%" .. number_width .. "d. %-" .. name_width .. "s  %-4s  %-" .. source_width .. "s  %s",
      i, p.name, step.run and "run" or "skip", source_display(p.source or "built-in"), after)
    out[#out + 1] = line:gsub("%s+$", "")
    local indent = string.rep(" ", number_width + 2)
    if p.description then out[#out + 1] = indent .. p.description end
    if not step.run then out[#out + 1] = indent .. "not run: " .. step.reason end
  end
  return table.concat(out, "\n") .. "\n"
end

return M
