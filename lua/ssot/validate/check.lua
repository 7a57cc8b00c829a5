-- The problem collector the validators share and the checks they are built from: known keys
-- with "did you mean", value types, integer ranges, sets of words, lists. A check records a
-- problem (config path + message) and returns false; validation goes on to find the rest.
-- Uses ssot.text for suggestions.
local rules = require "ssot.rules"
local text = require "ssot.text"

local M = {}

local Checker = {}
Checker.__index = Checker

-- new() -> checker. checker.problems lists { path = segments, message, at = segments? };
-- `at` is where the value is written when that differs from the path shown (shorthand
-- field entries).
function M.new()
  return setmetatable({ problems = {} }, Checker)
end

-- A config path is a list of keys ({ "models", "Message" }) or a node { up = path, key = k }
-- made by sub(): validation makes a path for nearly every value it looks at, and a node
-- costs one small table where a copied list would cost the whole path.

-- sub(path, key[, key2]) -> the path of path[key] (or path[key][key2]).
function M.sub(path, key, key2)
  local node = { up = path, key = key }
  if key2 ~= nil then node = { up = node, key = key2 } end
  return node
end

-- segments(path) -> the path as a plain list of keys.
function M.segments(path)
  if path.up == nil and path.key == nil then return table.move(path, 1, #path, 1, {}) end
  local list = M.segments(path.up)
  list[#list + 1] = path.key
  return list
end

-- show(value) -> a short description of a value for messages: 'text', 42, a table.
function M.show(value)
  local kind = type(value)
  if kind == "string" then
    if #value > 40 then value = value:sub(1, 37) .. "..." end
    return "'" .. value .. "'"
  elseif kind == "number" or kind == "boolean" or kind == "nil" then
    return tostring(value)
  end
  return "a " .. kind
end

-- suggest(name, choices, label) -> " (did you mean 'x'?)" when one is close, otherwise
-- "; <label>: a, b, c" listing them all.
function M.suggest(name, choices, label)
  local hint = text.did_you_mean(name, choices)
  if hint ~= "" then return hint end
  return "; " .. label .. ": " .. table.concat(choices, ", ")
end

function Checker:error(path, message, at)
  self.problems[#self.problems + 1] = { path = path, message = message, at = at }
  return false
end

function Checker:ok() return #self.problems == 0 end

-- sorted_keys(t) -> the keys of t in a stable order (numbers, then strings, then others);
-- sorted_keys(list, true) sorts the list's values instead.
local function sorted_keys(t, values)
  local keys = {}
  if values then keys = t else
    for k in pairs(t) do keys[#keys + 1] = k end
  end
  local all_strings = true
  for i = 1, #keys do
    if type(keys[i]) ~= "string" then all_strings = false break end
  end
  if all_strings then table.sort(keys) return keys end
  table.sort(keys, function(a, b)
    local ta, tb = type(a), type(b)
    if ta ~= tb then return ta < tb end
    if ta == "string" or ta == "number" then return a < b end
    return tostring(a) < tostring(b)
  end)
  return keys
end
M.sorted_keys = sorted_keys

local known_sets = setmetatable({}, { __mode = "k" })   -- known list -> set of its keys

-- keys(t, path, known, what, hints?) -> true when every key of t is in known (a list).
-- what names the table in messages ("a field", "serve"); hints maps a likely mistake to
-- advice ({ required = "fields are required unless optional = true" }).
function Checker:keys(t, path, known, what, hints)
  local set = known_sets[known]
  if not set then
    set = {}
    for _, k in ipairs(known) do set[k] = true end
    known_sets[known] = set
  end
  local unknown
  for k in pairs(t) do
    if not set[k] then
      unknown = unknown or {}
      unknown[#unknown + 1] = k
    end
  end
  if not unknown then return true end
  for _, k in ipairs(sorted_keys(unknown, true)) do
    if type(k) ~= "string" then
      self:error(M.sub(path, k), string.format("unexpected entry %s in %s: write its entries as key = value",
        M.show(t[k]), what))
    else
      local hint = hints and hints[k]
      self:error(M.sub(path, k), string.format("unknown key '%s' in %s%s", k, what,
        hint and ": " .. hint or M.suggest(k, known, "known keys")))
    end
  end
  return false
end

local KIND_NAMES = {
  string = "a string", boolean = "a boolean (true or false)", table = "a table",
  ["function"] = "a function", number = "a number", integer = "an integer", text = "a string",
}

-- is(value, path, kind) -> true when value has the kind ("string", "boolean", "table",
-- "function", "number", "integer", or "text": a string of valid UTF-8); otherwise records
-- "expected ..., got ...".
function Checker:is(value, path, kind, at)
  local ok
  if kind == "integer" then ok = math.type(value) == "integer"
  elseif kind == "text" then
    ok = type(value) == "string"
    if ok and not utf8.len(value) then
      return self:error(path, "the text is not valid UTF-8; save the config as UTF-8", at)
    end
  else ok = type(value) == kind end
  if ok then return true end
  return self:error(path, string.format("expected %s, got %s", KIND_NAMES[kind], M.show(value)), at)
end

-- optional(value, path, kind) -> true when value is nil or has the kind.
function Checker:optional(value, path, kind)
  if value == nil then return true end
  return self:is(value, path, kind)
end

-- name(value, path, pattern, rule) -> true when value is a string matching pattern; rule
-- says in words what the pattern allows.
function Checker:name(value, path, pattern, rule, at)
  if not self:is(value, path, "string", at) then return false end
  if value:match(pattern) then return true end
  return self:error(path, string.format("%s is not a valid name: %s", M.show(value), rule), at)
end

-- integer(value, path, min, max?, unit?) -> true when value is an integer in [min, max].
-- unit says what the number counts, for the message when it is out of range ("bytes").
function Checker:integer(value, path, min, max, unit)
  if not self:is(value, path, "integer") then return false end
  if value < min or (max and value > max) then
    local range = max and string.format("from %d to %d", min, max) or string.format("at least %d", min)
    return self:error(path, string.format("%d is out of range: expected an integer %s%s", value, range,
      unit and " (" .. unit .. ")" or ""))
  end
  return true
end

-- one_of(value, path, choices, what) -> true when value is one of the choices (a list).
function Checker:one_of(value, path, choices, what)
  if not self:is(value, path, "string") then return false end
  for _, c in ipairs(choices) do if c == value then return true end end
  return self:error(path, string.format("unknown %s %s%s", what, M.show(value), M.suggest(value, choices, "expected one of")))
end

-- list(value, path) -> true when value is a table whose keys are exactly 1..n.
function Checker:list(value, path)
  if not self:is(value, path, "table") then return false end
  local n, bad = #value, nil
  for k in pairs(value) do
    if math.type(k) ~= "integer" or k < 1 or k > n then
      bad = bad or {}
      bad[#bad + 1] = k
    end
  end
  if not bad then return true end
  local k = sorted_keys(bad, true)[1]
  return self:error(M.sub(path, k), string.format("expected a list ({ a, b, ... }), but found the key %s", M.show(k)))
end

-- string_list(value, path, item_check?) -> list of strings, or nil after recording
-- problems. A single string stands for a list of one. item_check(item, path) may record more.
function Checker:string_list(value, path, item_check)
  local single = type(value) == "string"
  if single then value = { value } end
  if not self:list(value, path) then return nil end
  local ok, seen = true, {}
  for i, item in ipairs(value) do
    local item_path = single and path or M.sub(path, i)
    if not self:is(item, item_path, "string") then ok = false
    elseif seen[item] then
      ok = self:error(item_path, string.format("%s is listed twice (also [%d])", M.show(item), seen[item]))
    else
      seen[item] = i
      if item_check and item_check(item, item_path) == false then ok = false end
    end
  end
  return ok and value or nil
end

-- set_of(value, path, choices, what) -> { [choice] = bool } for a list drawn from choices,
-- or nil after recording problems.
function Checker:set_of(value, path, choices, what)
  local items = self:string_list(value, path, function(item, item_path)
    return self:one_of(item, item_path, choices, what)
  end)
  if not items then return nil end
  local set = {}
  for _, c in ipairs(choices) do set[c] = false end
  for _, item in ipairs(items) do set[item] = true end
  return set
end

-- options(t, path, what, specs, out) -> out, with each valid value of t copied to its IR
-- key. specs lists { config_key, ir_key, kind = "boolean" | "string" | "integer" | "one_of",
-- min =, max =, unit = (integer), choices =, what = (one_of) }; t may be nil (out keeps its
-- defaults).
function Checker:options(t, path, what, specs, out)
  if t == nil or not self:is(t, path, "table") then return out end
  if not specs.keys then
    specs.keys = {}
    for i, spec in ipairs(specs) do specs.keys[i] = spec[1] end
  end
  self:keys(t, path, specs.keys, what)
  for _, spec in ipairs(specs) do
    local value = t[spec[1]]
    if value ~= nil then
      local value_path, ok = M.sub(path, spec[1]), nil
      if spec.kind == "integer" then ok = self:integer(value, value_path, spec.min, spec.max, spec.unit)
      elseif spec.kind == "one_of" then ok = self:one_of(value, value_path, spec.choices, spec.what)
      else ok = self:is(value, value_path, spec.kind) end
      if ok then out[spec[2]] = value end
    end
  end
  return out
end

-- rule(value, path, opts?) -> IR rule | nil after recording the problem. opts.owner: the
-- model's owner field (isOwner is an error without one); opts.no_row: the rule guards
-- something without a row (channels), where isOwner can never hold.
function Checker:rule(value, path, opts)
  opts = opts or {}
  local rule, message, column = rules.from_config(value)
  if not rule then
    if column then
      message = string.format("cannot parse the rule %s at column %d: %s", M.show(value), column, message)
    end
    self:error(path, message)
    return nil
  end
  if rule.ast and rules.uses(rule.ast, "isOwner") then
    if opts.no_row then
      self:error(path, "isOwner needs a row to compare with, and " .. opts.no_row .. " has none")
      return nil
    elseif not opts.owner then
      self:error(path, "isOwner needs an owner field: add owner = \"<field>\" to the model, naming the field that holds the user id")
      return nil
    end
  end
  return rule
end

return M
