-- Deterministic JSON: encode() writes object keys sorted, integers without ".0", floats in the
-- shortest form that reads back exactly; decode() is lua-cjson. Used for openapi.json, the IR
-- hash and the templates' json() helper, where the same value must give the same bytes.
local cjson = require "cjson"
local core = require "ssot.core"

local M = {}

-- Markers for tables whose kind cannot be told from their content (an empty table).
local ARRAY = { __name = "ssot.json.array" }
local OBJECT = { __name = "ssot.json.object" }

-- null: encodes as JSON null (the same value cjson.decode gives for null).
M.null = cjson.null

-- array(t) -> t marked to encode as a JSON array, even when empty. object(t[, keys]) -> t
-- marked as an object; keys, when given, lists the keys written first in that order (the
-- rest follow sorted).
function M.array(t)
  return setmetatable(t or {}, ARRAY)
end

-- The metatable of the objects marked with one keys list, made once per list.
local keyed_objects = setmetatable({}, { __mode = "k" })

function M.object(t, keys)
  t = t or {}
  if keys then
    local mt = keyed_objects[keys]
    if not mt then
      mt = { __name = OBJECT.__name, json_keys = keys }
      keyed_objects[keys] = mt
    end
    return setmetatable(t, mt)
  end
  return setmetatable(t, OBJECT)
end

local ESCAPES = {
  ['"'] = '\\"', ["\\"] = "\\\\", ["\b"] = "\\b", ["\f"] = "\\f",
  ["\n"] = "\\n", ["\r"] = "\\r", ["\t"] = "\\t", ["\127"] = "\\u007f",
}
for byte = 0, 31 do
  local c = string.char(byte)
  ESCAPES[c] = ESCAPES[c] or string.format("\\u%04x", byte)
end

-- The path of the value being encoded, for error messages: $.models[2].name
local function path_text(path)
  local out = { "$" }
  for i = 1, #path do
    local k = path[i]
    if type(k) == "number" then out[#out + 1] = "[" .. k .. "]"
    elseif k:match("^[%a_][%w_]*$") then out[#out + 1] = "." .. k
    else out[#out + 1] = "[" .. string.format("%q", k) .. "]" end
  end
  return table.concat(out)
end

local function fail(path, message)
  error("json.encode: " .. message .. " at " .. path_text(path), 0)
end

-- The shortest of %.14g..%.17g that reads back as the same float.
local function encode_float(x, path)
  if x ~= x then fail(path, "number NaN has no JSON form") end
  if x == math.huge or x == -math.huge then
    fail(path, "number " .. tostring(x) .. " has no JSON form")
  end
  if x == math.floor(x) and x >= -2^53 and x <= 2^53 then
    return string.format("%d", x)
  end
  for precision = 14, 17 do
    local s = string.format("%." .. precision .. "g", x)
    if tonumber(s) == x then return s end
  end
  return string.format("%.17g", x)
end

-- Object keys in output order: the marker's json_keys first (those present), then the rest.
local function put_first(t, keys, first)
  local out, seen = {}, {}
  for _, k in ipairs(first) do
    if t[k] ~= nil and not seen[k] then out[#out + 1] = k; seen[k] = true end
  end
  for _, k in ipairs(keys) do
    if not seen[k] then out[#out + 1] = k end
  end
  return out
end

-- The separators of one nesting depth: before the first item, between items, before the
-- closing bracket; and the "separator + key + colon" strings made at that depth.
local function separators(indent, depth)
  local sep = { first = "", next = ",", close = "", colon = ":", first_keys = {}, next_keys = {} }
  if indent then
    local inner = "\n" .. string.rep(" ", indent * (depth + 1))
    sep.first, sep.next, sep.close, sep.colon = inner, "," .. inner, "\n" .. string.rep(" ", indent * depth), ": "
  end
  return sep
end

-- encode(value[, options]) -> JSON text. options: indent (spaces per level; compact when
-- absent), sort_keys (default true; false writes keys in table order, which is not
-- deterministic), reference (use the Lua encoder, for specs). Errors name the path of the bad value: "json.encode: ... at $.a[2]".
function M.encode(value, options)
  options = options or {}
  local indent = options.indent
  if indent ~= nil and (math.type(indent) ~= "integer" or indent < 0) then
    error("json.encode: options.indent must be a non-negative integer, got " .. tostring(indent), 2)
  end
  local sort = options.sort_keys ~= false
  -- The C encoder (core_json.c) does exactly what the code below does, about 20x faster; the
  -- Lua version remains for sort_keys = false and as the reference the specs compare it to.
  if sort and not options.reference then return core.json_encode(value, indent) end
  local buf, n = {}, 0
  local path, active = {}, {}
  local encoded = {}        -- string -> its JSON form: keys and values repeat a lot
  local by_depth = {}       -- depth -> separators

  local function string_json(s)
    local e = encoded[s]
    if e then return e end
    local valid, bad = utf8.len(s)
    if not valid then fail(path, string.format("string is not valid UTF-8 (byte %d of %d)", bad, #s)) end
    if s:find('[%c"\\]') then e = '"' .. s:gsub('[%c"\\]', ESCAPES) .. '"' else e = '"' .. s .. '"' end
    encoded[s] = e
    return e
  end

  -- Separator, key and colon as one string, made once per depth and key.
  local function key_prefix(sep, first, k)
    local prefixes = first and sep.first_keys or sep.next_keys
    local prefix = prefixes[k]
    if not prefix then
      prefix = (first and sep.first or sep.next) .. string_json(k) .. sep.colon
      prefixes[k] = prefix
    end
    return prefix
  end

  local value_json

  -- The keys of t when it is an object (sorted), or nil when it is an array.
  local function object_keys(t)
    local mt = getmetatable(t)
    if mt == ARRAY then return nil end
    local keys, count, nkeys = {}, 0, 0
    for k in pairs(t) do
      count = count + 1
      if type(k) == "string" then nkeys = nkeys + 1; keys[nkeys] = k end
    end
    local marked = mt and mt.__name == OBJECT.__name
    if not marked and count > 0 and nkeys < count then
      if nkeys > 0 then fail(path, "table mixes string keys and other keys") end
      if #t == count then return nil end
      fail(path, "table is a sparse array (has holes or non-integer keys); JSON arrays are 1..n")
    end
    if marked and nkeys < count then
      for k in pairs(t) do
        if type(k) ~= "string" then
          fail(path, "object has a " .. type(k) .. " key (" .. tostring(k) .. "); JSON keys are strings")
        end
      end
    end
    if sort then table.sort(keys) end
    if marked and mt.json_keys then keys = put_first(t, keys, mt.json_keys) end
    return keys
  end

  local function table_json(t, depth)
    if active[t] then fail(path, "table contains itself") end
    active[t] = true
    local sep = by_depth[depth]
    if not sep then sep = separators(indent, depth); by_depth[depth] = sep end
    local keys = object_keys(t)
    local level = #path + 1
    local len = keys and #keys or #t
    if len == 0 then
      n = n + 1; buf[n] = keys and "{}" or "[]"
    else
      n = n + 1; buf[n] = keys and "{" or "["
      for i = 1, len do
        local k = keys and keys[i] or i
        path[level] = k
        n = n + 1
        if keys then buf[n] = key_prefix(sep, i == 1, k) else buf[n] = i == 1 and sep.first or sep.next end
        value_json(t[k], depth + 1)
      end
      path[level] = nil
      buf[n + 1] = sep.close
      buf[n + 2] = keys and "}" or "]"
      n = n + 2
    end
    active[t] = nil
  end

  value_json = function(v, depth)
    local tv = type(v)
    if tv == "string" then n = n + 1; buf[n] = string_json(v)
    elseif tv == "table" then table_json(v, depth)
    elseif tv == "number" then
      n = n + 1
      if math.type(v) == "integer" then buf[n] = string.format("%d", v) else buf[n] = encode_float(v, path) end
    elseif tv == "boolean" then n = n + 1; buf[n] = v and "true" or "false"
    elseif v == nil or v == M.null then n = n + 1; buf[n] = "null"
    else fail(path, "cannot encode a " .. tv .. " value") end
  end

  value_json(value, 0)
  return table.concat(buf, "", 1, n)
end

-- decode(text) -> value (JSON null becomes json.null). Errors say what is wrong and where.
local decoder = cjson.new()
function M.decode(text)
  if type(text) ~= "string" then
    error("json.decode: expected a string, got " .. type(text), 2)
  end
  local ok, value = pcall(decoder.decode, text)
  if not ok then error("json.decode: " .. tostring(value), 2) end
  return value
end

return M
