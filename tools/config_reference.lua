-- Writes the reference tables of docs/config.md from lua/ssot/validate/schema.lua, the
-- declaration the validators take their keys, defaults, ranges and choices from, so every
-- key the config accepts is documented. Each table goes between its marker comments,
--   <!-- generated: config reference "serve" begins --> ... <!-- ... "serve" ends -->
-- and the prose around them is kept. Run from the repository (the spec and ctest run --check):
--   lua5.4 tools/config_reference.lua docs/config.md           rewrite the tables
--   lua5.4 tools/config_reference.lua --check docs/config.md   exit 1 when they are stale
-- Uses the repository's Lua modules (ssot.validate.schema) and the standard library.
local COMMAND = "lua5.4 tools/config_reference.lua docs/config.md"

local check_only = arg[1] == "--check"
local doc_path = arg[check_only and 2 or 1]
if not doc_path then
  io.stderr:write("usage: lua5.4 tools/config_reference.lua [--check] docs/config.md\n")
  os.exit(2)
end
local root = (arg[0]:match("^(.*)/tools/[^/]*$") or ".")
package.path = root .. "/lua/?.lua;" .. root .. "/lua/?/init.lua;" .. package.path
local schema = require "ssot.validate.schema"

-- Lua source of a default value: "x" -> "x" quoted, { "*" } -> { "*" }.
local function lua_value(value)
  if type(value) == "string" then return string.format("%q", value) end
  if type(value) == "table" then
    local items = {}
    for i, v in ipairs(value) do items[i] = lua_value(v) end
    return "{ " .. table.concat(items, ", ") .. " }"
  end
  return tostring(value)
end

local function code(s) return "`" .. s .. "`" end

local TYPE_WORDS = { text = "string" }

local function default_cell(entry)
  if entry.required then return "— (required)" end
  if entry.default_text then return entry.default_text end
  if entry.default ~= nil then return code(lua_value(entry.default)) end
  return "none"
end

local function allowed_cell(entry)
  local parts = {}
  if entry.values then
    local quoted = {}
    for i, v in ipairs(entry.values) do quoted[i] = code(lua_value(v)) end
    parts[#parts + 1] = table.concat(quoted, ", ")
  end
  local range
  if entry.above and entry.max then range = string.format("above %d, at most %d", entry.above, entry.max)
  elseif entry.min and entry.max then range = string.format("%d–%d", entry.min, entry.max)
  elseif entry.min then range = string.format("≥ %d", entry.min) end
  if range then
    local unit = entry.doc_unit or entry.unit
    parts[#parts + 1] = range .. (unit and " (" .. unit .. ")" or "")
  end
  if entry.allowed then parts[#parts + 1] = entry.allowed end
  if #parts == 0 then
    if entry[2] == "boolean" then return "`true`, `false`" end
    if entry[2] == "string" or entry[2] == "text" then return "any" end
    return "—"
  end
  return table.concat(parts, "; ")
end

-- A cell's text with the table's separator escaped.
local function cell(s) return (s:gsub("|", "\\|")) end

-- How a key is named in the table rooted at root_tokens: the path below the root.
local function display_key(tokens, from, key)
  local out = ""
  for i = from, #tokens do
    local token = tokens[i]
    if token:sub(1, 1) == "[" then out = out .. token
    else out = out .. (out == "" and "" or ".") .. token end
  end
  return out .. (out == "" and "" or ".") .. key
end

-- The tables below table t in the same reference table, reached through its key.
local function children(t, key)
  local parent = schema.tokens(t.path)
  local found = {}
  for _, other in ipairs(schema.tables) do
    if other.doc == t.doc and other ~= t then
      local tokens = schema.tokens(other.path)
      local extra = #tokens - #parent
      local same = extra == 1 or (extra == 2 and schema.is_placeholder(tokens[#tokens]))
      for i = 1, #parent do same = same and tokens[i] == parent[i] end
      if same and tokens[#parent + 1] == key then found[#found + 1] = other end
    end
  end
  return found
end

-- render(id) -> the markdown of the reference table whose root is the table at path id.
local function render(id)
  local top = schema.by_path[id]
  local root_length = #schema.tokens(top.path)
  local with_applies = top.keys[1].applies ~= nil
  local lines = {}
  local head = with_applies and "| key | applies to | type | default | allowed values | meaning | example |"
    or "| key | type | default | allowed values | meaning | example |"
  lines[1] = head
  lines[2] = head:gsub("[^|]+", " --- ")
  local shown = {}
  local function rows(t)
    shown[t] = true
    local tokens = schema.tokens(t.path)
    for _, entry in ipairs(t.keys) do
      local cells = { code(display_key(tokens, root_length + 1, entry[1])) }
      if with_applies then cells[#cells + 1] = entry.applies end
      cells[#cells + 1] = TYPE_WORDS[entry[2]] or entry[2]
      cells[#cells + 1] = default_cell(entry)
      cells[#cells + 1] = allowed_cell(entry)
      cells[#cells + 1] = entry.meaning
      cells[#cells + 1] = code(entry[1] .. " = " .. entry.example)
      for i, text in ipairs(cells) do cells[i] = cell(text) end
      lines[#lines + 1] = "| " .. table.concat(cells, " | ") .. " |"
      for _, child in ipairs(children(t, entry[1])) do rows(child) end
    end
  end
  rows(top)
  for _, t in ipairs(schema.tables) do
    if t.doc == id and not shown[t] then
      error(string.format("schema: the table %s is in the reference table %q but under none of its keys", t.path, id))
    end
  end
  return table.concat(lines, "\n")
end

local function marker_name(id) return id == "" and "config" or id end

local function marker(id, which)
  return string.format('<!-- generated: config reference "%s" %s -->', marker_name(id), which)
end

local f = assert(io.open(doc_path, "rb"))
local old = f:read("a")
f:close()

local problems = {}
local new = old
local ids, seen = {}, {}
for _, t in ipairs(schema.tables) do
  if not seen[t.doc] then seen[t.doc] = true; ids[#ids + 1] = t.doc end
end
local known = {}
for _, id in ipairs(ids) do
  known[marker_name(id)] = true
  local begins, ends = marker(id, "begins"), marker(id, "ends")
  local first, after_begin = new:find(begins, 1, true)
  local before_end, last = new:find(ends, 1, true)
  if not first or not before_end or before_end < after_begin then
    problems[#problems + 1] = string.format("%s has no place for the reference table of %s: add the lines\n  %s\n  %s",
      doc_path, marker_name(id), begins, ends)
  else
    new = new:sub(1, after_begin) .. "\n" .. render(id) .. "\n" .. new:sub(before_end)
  end
end
for name in old:gmatch('<!%-%- generated: config reference "([^"]*)" begins %-%->') do
  if not known[name] then
    problems[#problems + 1] = string.format("%s marks a reference table %q that lua/ssot/validate/schema.lua does "
      .. "not declare; remove its markers", doc_path, name)
  end
end
if #problems > 0 then
  io.stderr:write(table.concat(problems, "\n"), "\n")
  os.exit(1)
end

if check_only then
  if new ~= old then
    io.stderr:write(string.format("%s: the generated config reference differs from lua/ssot/validate/schema.lua; "
      .. "regenerate it with: %s\n", doc_path, COMMAND))
    os.exit(1)
  end
elseif new ~= old then
  f = assert(io.open(doc_path, "wb"))
  f:write(new)
  f:close()
  print("wrote " .. doc_path)
end
