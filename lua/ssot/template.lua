-- The template engine: `<%= expr %>`, `<% code %>` and `% code` lines (docs/templates.md),
-- compiled once to Lua functions that keep the template's line numbers. Finds templates in
-- the library directories, then the embedded ones (ssot.core), reporting the files found and
-- missed there to ssot.inputs; helpers from ssot.text/json.
local core = require "ssot.core"
local inputs = require "ssot.inputs"
local text = require "ssot.text"
local json = require "ssot.json"
local errors = require "ssot.errors"

local M = {}

-- A Lua string literal for s on one line (newlines escaped), so generated code keeps the
-- template's line structure.
local function literal(s)
  return (string.format("%q", s):gsub("\\\n", "\\n"))
end

local function count_newlines(s)
  local _, n = s:gsub("\n", "")
  return n
end

-- True when the last line of a code fragment has a `--` comment outside string quotes: it
-- would swallow the generated code that follows on the same line.
local function ends_in_comment(code)
  local last = code:match("([^\n]*)$")
  local quote, i = nil, 1
  while i <= #last do
    local c = last:sub(i, i)
    if quote then
      if c == "\\" then i = i + 1 elseif c == quote then quote = nil end
    elseif c == '"' or c == "'" then quote = c
    elseif c == "-" and last:sub(i + 1, i + 1) == "-" then return true end
    i = i + 1
  end
  return false
end

local function display_name(chunkname)
  return (chunkname:gsub("^[@=]", ""))
end

-- Translates template source to Lua source with the same number of lines: template line k
-- becomes code line k. The chunk receives (env, out, table.concat) and returns the text.
-- checked: each `<%= %>` value goes through out (which turns booleans and values with
-- __tostring into text and names the expression that gave nil or a table); otherwise the
-- values go to table.concat as they are, which takes strings and numbers and fails on the rest.
local function translate(source, chunkname, checked)
  local name = display_name(chunkname)
  local code, c = { "local _ENV, _out, _concat = ... local _b, _n = {}, 0 " }, 1
  local function emit(s) c = c + 1; code[c] = s end
  local function emit_text(s)
    if s ~= "" then emit("_n = _n + 1 _b[_n] = " .. literal(s) .. " ") end
  end
  local pos, len, line = 1, #source, 1

  -- Scans text from pos to the end of the current line, handling tags (which may span
  -- lines). Returns the position after the line's newline.
  local function text_line(from)
    pos = from
    while true do
      local eol = source:find("\n", pos, true)
      local tag = source:find("<%", pos, true)
      if not tag or (eol and tag > eol) then
        if eol then
          emit_text(source:sub(pos, eol))
          emit("\n")
          line = line + 1
          return eol + 1
        end
        emit_text(source:sub(pos))
        return len + 1
      end
      emit_text(source:sub(pos, tag - 1))
      if source:sub(tag + 2, tag + 2) == "%" then          -- <%% is a literal <%
        emit_text("<%")
        pos = tag + 3
      else
        local close = source:find("%>", tag + 2, true)
        if not close then
          error(string.format("%s:%d: '<%%' is never closed (add '%%>')", name, line), 0)
        end
        local body = source:sub(tag + 2, close - 1)
        if ends_in_comment(body) then
          error(string.format("%s:%d: a '--' comment inside '<%% %%>' would hide the rest of the line; "
            .. "put comments on a '%%#' line", name, line + count_newlines(body)), 0)
        end
        if body:sub(1, 1) == "=" then
          local expr = body:sub(2)
          local shown = expr:match("^%s*(.-)%s*$")
          if shown == "" then
            error(string.format("%s:%d: empty '<%%= %%>' (put an expression between them)", name, line), 0)
          end
          if checked then
            emit("_n = _n + 1 _b[_n] = _out((" .. expr .. "), " .. literal(shown) .. ", " .. line .. ") ")
          else
            emit("_n = _n + 1 _b[_n] = (" .. expr .. ") ")
          end
        else
          emit(body .. " ")
        end
        line = line + count_newlines(body)
        pos = close + 2
      end
    end
  end

  while pos <= len do
    local eol = source:find("\n", pos, true)
    local stop = eol and eol - 1 or len
    local lead_end = source:find("[^ \t]", pos)
    local first = lead_end and lead_end <= stop and source:sub(lead_end, lead_end + 1) or ""
    local second = first:sub(2, 2)
    if first == "%#" then                                   -- comment line
      if eol then emit("\n"); line = line + 1 end
      pos = eol and eol + 1 or len + 1
    elseif first == "%%" then                               -- a line starting with a literal %
      emit_text(source:sub(pos, lead_end))
      pos = text_line(lead_end + 2)
    elseif first:sub(1, 1) == "%" and (second == "" or second == " " or second == "\t" or second == "\r"
        or lead_end == stop) then                           -- a Lua statement line
      emit(source:sub(lead_end + 1, stop) .. (eol and "\n" or " "))
      if eol then line = line + 1 end
      pos = eol and eol + 1 or len + 1
    else
      pos = text_line(pos)
    end
  end
  emit("\nreturn _concat(_b, '', 1, _n)\n")
  return table.concat(code)
end

-- out(value, source, line) for one template: what `<%= %>` inserts.
local function make_out(name)
  return function(value, source, line)
    local tv = type(value)
    if tv == "string" then return value end
    if tv == "number" or tv == "boolean" then return tostring(value) end
    if value == nil then
      error(string.format("%s:%d: expression '%s' is nil", name, line, source), 0)
    end
    local mt = getmetatable(value)
    if mt and mt.__tostring then return tostring(value) end
    error(string.format("%s:%d: expression '%s' is a %s; insert a string (use join(list, sep) or json(value))",
      name, line, source, tv), 0)
  end
end

-- compile(source, chunkname) -> render function(vars) -> string. chunkname as for load():
-- "@path" makes errors read "path:line: ...". Compile errors are raised the same way.
local compiled = {}     -- chunkname -> { source = ..., render = fn }

local render_with       -- (entry, vars) -> string; defined below

-- The chunk of source as Lua code; raises the compile error at the template's file:line.
local function load_template(source, chunkname, checked)
  -- The chunk's upvalue _ENV is unused: the generated code declares its own _ENV local.
  local chunk, message = load(translate(source, chunkname, checked), chunkname, "t", {})
  if not chunk then error(errors.full_position(message, chunkname), 0) end
  return chunk
end

function M.compile(source, chunkname)
  if type(source) ~= "string" then error("template.compile: source must be a string, got " .. type(source), 2) end
  chunkname = chunkname or "=template"
  local entry = compiled[chunkname]
  if entry and entry.source == source then return entry.render end
  entry = { source = source, chunk = load_template(source, chunkname, false), chunkname = chunkname,
    out = make_out(display_name(chunkname)) }
  -- Level 2 is the caller of render and render_string too: they tail-call this function.
  entry.render = function(vars)
    if vars ~= nil and type(vars) ~= "table" then error("template vars must be a table, got " .. type(vars), 2) end
    return render_with(entry, vars)
  end
  compiled[chunkname] = entry
  return entry.render
end

-- Lookup -----------------------------------------------------------------------------------

local resolved = {}     -- name -> { source, chunkname, path? } until clear_cache()

-- Looks name up as M.find does. Errors are raised at `level` (as for error(): 3 is the caller
-- of find's caller), so they name the phase or template line that asked for the template.
local function find(name, level)
  if type(name) ~= "string" or name == "" then
    error("template name must be a non-empty string, got " .. (type(name) == "string" and '""' or type(name)), level)
  end
  local hit = resolved[name]
  if hit then return hit.source, hit.chunkname, hit.path end
  local looked = {}
  if name:sub(1, 1) == "/" then
    local source = core.read_file(name)
    inputs.file(name, source)
    if source then
      hit = { source = source, chunkname = "@" .. name, path = name }
    else
      looked[1] = name
    end
  else
    for segment in name:gmatch("[^/]+") do
      if segment == ".." then
        error("template name '" .. name .. "' must not contain '..' (names are relative to a templates/ directory)", level)
      end
    end
    for _, dir in ipairs(core.lib_dirs()) do
      local path = dir .. "/templates/" .. name
      local kind = core.file_type(path)
      if kind == "file" or kind == "link" then
        local source, message = core.read_file(path)
        if not source then error("template '" .. name .. "': " .. message, level) end
        inputs.file(path, source)
        hit = { source = source, chunkname = "@" .. path, path = path }
        break
      elseif kind then
        -- Something is there but it is not a template: falling back to the built-in would
        -- silently ignore what the user put in place.
        error("template '" .. name .. "': " .. path .. " is a " .. kind .. ", not a file", level)
      end
      inputs.file(path, nil)
      looked[#looked + 1] = path
    end
    if not hit then
      local source = core.resource("templates/" .. name)
      if source then
        hit = { source = source, chunkname = "@templates/" .. name }
      else
        looked[#looked + 1] = "templates/" .. name .. " (built-in)"
      end
    end
  end
  if not hit then
    error("template '" .. name .. "' not found; looked in:\n  " .. table.concat(looked, "\n  ")
      .. "\n(add it under a library directory's templates/, see --lib and the config's 'lib')", level)
  end
  resolved[name] = hit
  return hit.source, hit.chunkname, hit.path
end

-- find(name) -> source, chunkname, path (nil for a built-in). name is "dir/file.tpl" relative
-- to a templates/ directory, or an absolute path.
function M.find(name)
  local source, chunkname, path = find(name, 3)
  return source, chunkname, path
end

-- files() -> sorted list of the on-disk template paths found since clear_cache() (what
-- --watch should watch; built-ins have no file).
function M.files()
  local out = {}
  for _, hit in pairs(resolved) do
    if hit.path then out[#out + 1] = hit.path end
  end
  table.sort(out)
  return out
end

-- clear_cache(): forget looked-up and compiled templates (a new run sees edited files).
function M.clear_cache()
  resolved = {}
  compiled = {}
end

-- Rendering ---------------------------------------------------------------------------------

-- join(list, sep[, fn]) -> the items (mapped through fn when given) joined by sep.
local function join(list, sep, fn)
  if type(list) ~= "table" then error("join: expected a list, got " .. type(list), 2) end
  local parts = {}
  for i, item in ipairs(list) do
    if fn then item = fn(item, i) end
    if type(item) ~= "string" and type(item) ~= "number" then
      error("join: item " .. i .. " is a " .. type(item) .. "; pass a function mapping items to strings", 2)
    end
    parts[i] = item
  end
  return table.concat(parts, sep or "")
end

local helpers = {
  camel = text.camel, pascal = text.pascal, kebab = text.kebab, snake = text.snake,
  constant = text.constant, plural = text.plural, singular = text.singular,
  indent = text.indent, trim = text.trim, text = text,
  join = join,
  json = function(value, indent) return json.encode(value, { indent = indent }) end,
  ipairs = ipairs, pairs = pairs, next = next, select = select, type = type,
  tostring = tostring, tonumber = tonumber, error = error, assert = assert, pcall = pcall,
  string = string, table = table, math = math, utf8 = utf8,
}
M.helpers = helpers

-- A new environment for one rendering: the vars, then include, then the helpers. A name
-- found is kept in the environment, so a template reads it from there the next time.
local function environment(vars)
  local function include(name, include_vars)
    return M.render(name, include_vars or vars)
  end
  return setmetatable({}, { __index = function(env, key)
    local value = vars[key]
    if value == nil then value = key == "include" and include or helpers[key] end
    if value ~= nil then rawset(env, key, value) end
    return value
  end })
end

-- Runs the template's plain chunk; only when that fails (a value that is not a string or a
-- number, or any error) runs it again with every value checked, which either gives the text
-- (booleans and __tostring values converted) or the error naming the expression and line.
render_with = function(entry, vars)
  vars = vars or {}
  local ok, result = pcall(entry.chunk, environment(vars), entry.out, table.concat)
  if ok then return result end
  entry.checked = entry.checked or load_template(entry.source, entry.chunkname, true)
  ok, result = pcall(entry.checked, environment(vars), entry.out, table.concat)
  if not ok then error(errors.full_position(result, entry.chunkname), 0) end
  return result
end

-- render(name, vars) -> string: finds, compiles (once) and runs the template.
function M.render(name, vars)
  local source, chunkname = find(name, 3)
  return M.compile(source, chunkname)(vars)
end

-- render_string(source, vars[, chunkname]) -> string.
function M.render_string(source, vars, chunkname)
  return M.compile(source, chunkname or "=template")(vars)
end

return M
