-- Deterministic JSON: encode() writes object keys sorted, integers without ".0", floats in the
-- shortest form that reads back exactly; decode() is lua-cjson. Used for openapi.json, the IR
-- hash and the templates' json() helper, where the same value must give the same bytes.
local cjson = require "cjson"

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

function M.object(t, keys)
  t = t or {}
  if keys then
    return setmetatable(t, { __name = OBJECT.__name, json_keys = keys })
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

local function encode_string(s, path)
  local valid, bad = utf8.len(s)
  if not valid then
    fail(path, string.format("string is not valid UTF-8 (byte %d of %d)", bad, #s))
  end
  return '"' .. s:gsub('[%c"\\]', ESCAPES) .. '"'
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

local function sorted_keys(t, path)
  local keys, n = {}, 0
  for k in pairs(t) do
    if type(k) ~= "string" then
      fail(path, "object has a " .. type(k) .. " key (" .. tostring(k) .. "); JSON keys are strings")
    end
    n = n + 1
    keys[n] = k
  end
  table.sort(keys)
  return keys
end

-- Object keys in output order: the marker's json_keys first (those present), then the rest
-- sorted (or in table order when sort_keys is false).
local function object_keys(t, mt, path, sort)
  local first = mt and mt.json_keys
  local keys
  if sort then keys = sorted_keys(t, path) else
    keys = {}
    for k in pairs(t) do
      if type(k) ~= "string" then fail(path, "object has a " .. type(k) .. " key; JSON keys are strings") end
      keys[#keys + 1] = k
    end
  end
  if not first then return keys end
  local out, seen = {}, {}
  for _, k in ipairs(first) do
    if t[k] ~= nil and not seen[k] then out[#out + 1] = k; seen[k] = true end
  end
  for _, k in ipairs(keys) do
    if not seen[k] then out[#out + 1] = k end
  end
  return out
end

-- "array" when t is a sequence 1..n (n > 0) with no other keys, "object" when every key is a
-- string, nil (with an explanation) otherwise.
local function table_kind(t, path)
  local mt = getmetatable(t)
  if mt == ARRAY then return "array" end
  if mt and mt.__name == OBJECT.__name then return "object" end
  local n = #t
  local count, strings = 0, 0
  for k in pairs(t) do
    count = count + 1
    if type(k) == "string" then strings = strings + 1 end
  end
  if count == 0 then return "object" end
  if strings == count then return "object" end
  if strings == 0 and n == count then return "array" end
  if strings > 0 then fail(path, "table mixes string keys and other keys") end
  fail(path, "table is a sparse array (has holes or non-integer keys); JSON arrays are 1..n")
end

local encode_value

local function encode_table(t, buf, n, path, options, depth, active)
  if active[t] then fail(path, "table contains itself") end
  active[t] = true
  local kind = table_kind(t, path)
  local indent = options.indent
  local newline, inner, outer, colon = "", "", "", ":"
  if indent then
    newline = "\n"
    inner = string.rep(" ", indent * (depth + 1))
    outer = string.rep(" ", indent * depth)
    colon = ": "
  end
  local level = #path + 1
  local keys = kind == "object" and object_keys(t, getmetatable(t), path, options.sort_keys ~= false) or nil
  local len = keys and #keys or #t
  local open, close = "[", "]"
  if keys then open, close = "{", "}" end
  if len == 0 then
    n = n + 1; buf[n] = open .. close
  else
    n = n + 1; buf[n] = open .. newline
    for i = 1, len do
      local k = keys and keys[i] or i
      path[level] = k
      n = n + 1; buf[n] = keys and (inner .. encode_string(k, path) .. colon) or inner
      n = encode_value(t[k], buf, n, path, options, depth + 1, active)
      n = n + 1; buf[n] = i < len and "," .. newline or newline
    end
    path[level] = nil
    n = n + 1; buf[n] = outer .. close
  end
  active[t] = nil
  return n
end

-- Appends the encoding of value to buf (whose last index is n); returns the new last index.
encode_value = function(value, buf, n, path, options, depth, active)
  local tv = type(value)
  local s
  if tv == "string" then s = encode_string(value, path)
  elseif tv == "number" then
    if math.type(value) == "integer" then s = string.format("%d", value)
    else s = encode_float(value, path) end
  elseif tv == "boolean" then s = value and "true" or "false"
  elseif value == nil or value == M.null then s = "null"
  elseif tv == "table" then return encode_table(value, buf, n, path, options, depth, active)
  else fail(path, "cannot encode a " .. tv .. " value") end
  n = n + 1
  buf[n] = s
  return n
end

-- encode(value[, options]) -> JSON text. options: indent (spaces per level; compact when
-- absent), sort_keys (default true; false writes keys in table order, which is not
-- deterministic). Errors name the path of the bad value: "json.encode: ... at $.a[2]".
function M.encode(value, options)
  options = options or {}
  if options.indent ~= nil and (math.type(options.indent) ~= "integer" or options.indent < 0) then
    error("json.encode: options.indent must be a non-negative integer, got " .. tostring(options.indent), 2)
  end
  local buf = {}
  local n = encode_value(value, buf, 0, {}, options, 0, {})
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
