-- Validation of one field entry of a model: the shorthand `{ "name", "type", ... }` and long
-- `{ name = ..., type = ... }` forms, the field's options and its default value. Produces a
-- field spec for ssot.ir.field. Uses ssot.validate.check, ssot.validate.schema (the options,
-- their types and choices), ssot.reserved, ssot.json.
local check = require "ssot.validate.check"
local schema = require "ssot.validate.schema"
local reserved = require "ssot.reserved"
local text = require "ssot.text"
local ir = require "ssot.ir"

local sub, show = check.sub, check.show

local M = {}

local FIELD = "models.<Model>.fields[i]"
M.KEYS = schema.keys(FIELD)

local KNOWN = {}
for _, k in ipairs(M.KEYS) do KNOWN[k] = true end

M.NAME_PATTERN = "^[a-z][A-Za-z0-9_]*$"
M.NAME_RULE = "field names start with a lowercase letter followed by letters, digits or _ "
  .. "(camelCase like 'createdAt' or snake_case like 'created_at')"

-- Advice for keys people write by habit from other tools.
local KEY_HINTS = {
  required = "fields are required unless optional = true; remove 'required'",
  nullable = "write optional = true", null = "write optional = true",
  primary = "the primary key is the field { \"id\", \"id\" }",
  primaryKey = "the primary key is the field { \"id\", \"id\" }",
  references = "write belongsTo = \"Model\"", ref = "write belongsTo = \"Model\"",
  belongs_to = "write belongsTo = \"Model\"", on_delete = "write onDelete = \"cascade\"",
  enum = "write the allowed values as values = { \"a\", \"b\" } with type \"enum\"",
  maxLength = "write max = N", length = "write max = N",
  autoincrement = "integer ids are always autoincrement; write { \"id\", \"id\" }",
}

-- Type names from other tools, and the ssot type to suggest.
local TYPE_ALIASES = {
  integer = "int", number = "float", double = "float", real = "float", decimal = "float",
  boolean = "bool", str = "string", varchar = "string", char = "string", date = "datetime",
  timestamp = "datetime", time = "datetime", object = "json", array = "json", serial = "id",
}

local IS_TYPE = {}
for _, t in ipairs(ir.TYPES) do IS_TYPE[t] = true end

local BELONGS_TO_OPTIONS = { "onDelete", "as" }

local ON_DELETE = schema.entry(FIELD, "onDelete").values
local AUTO = schema.entry(FIELD, "auto").values
local ON_DELETE_IR = { restrict = "restrict", cascade = "cascade", setNull = "set_null" }
local DEFAULT_ON_DELETE = schema.default(FIELD, "onDelete")
local MAX = schema.entry(FIELD, "max")

-- place(path, key, position, long) -> the path an error about a field's name or type shows
-- (fields[2].type) and the path where that value is written (fields[2][2] in the shorthand).
local function place(path, key, position, long)
  local shown = sub(path, key)
  return shown, long and shown or sub(path, position)
end

function M.name_place(spec) return place(spec.path, "name", 1, spec.long_name) end
function M.type_place(spec) return place(spec.path, "type", 2, spec.long_type) end

local function check_type(c, value, path, at)
  if not c:is(value, path, "string", at) then return nil end
  local message
  if value == "uuid" then
    message = "unknown type 'uuid': a UUID primary key is { \"id\", \"id\", uuid = true }; "
      .. "a field referring to one is a 'string' with belongsTo"
  else
    local suggestion = TYPE_ALIASES[value] and " (did you mean '" .. TYPE_ALIASES[value] .. "'?)"
      or check.suggest(value, ir.TYPES, "the types are")
    message = string.format("unknown type %s%s", show(value), suggestion)
  end
  c:error(path, message, at)
  return nil
end

-- ISO 8601 UTC time -> the canonical form with milliseconds, or nil.
local function iso_datetime(s)
  local y, mo, d, h, mi, sec, frac = s:match("^(%d%d%d%d)-(%d%d)-(%d%d)T(%d%d):(%d%d):(%d%d)(%.?%d*)Z$")
  if not y then return nil end
  if frac ~= "" and #frac < 2 then return nil end
  y, mo, d, h, mi, sec = tonumber(y), tonumber(mo), tonumber(d), tonumber(h), tonumber(mi), tonumber(sec)
  local days = { 31, (y % 4 == 0 and (y % 100 ~= 0 or y % 400 == 0)) and 29 or 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 }
  if mo < 1 or mo > 12 or d < 1 or d > days[mo] or h > 23 or mi > 59 or sec > 59 then return nil end
  local ms = (frac:sub(2) .. "000"):sub(1, 3)
  return string.format("%04d-%02d-%02dT%02d:%02d:%02d.%sZ", y, mo, d, h, mi, sec, ms)
end

-- The default value of spec's type, normalized, or nil after recording the problem.
local function check_default(c, spec, value, path)
  local t = spec.type
  if t == "int" then
    if c:is(value, path, "integer") then return value end
  elseif t == "float" then
    if not c:is(value, path, "number") then return nil end
    if value ~= value or value == math.huge or value == -math.huge then
      c:error(path, string.format("the default %s is not a finite number", tostring(value)))
      return nil
    end
    return value + 0.0
  elseif t == "bool" then
    if c:is(value, path, "boolean") then return value end
  elseif t == "string" or t == "text" then
    if not c:is(value, path, "string") then return nil end
    local length = utf8.len(value)
    if not length then
      c:error(path, "the default is not valid UTF-8 text")
    elseif spec.max and length > spec.max then
      c:error(path, string.format("the default is %d characters long, over max = %d", length, spec.max))
    else
      return value
    end
  elseif t == "enum" then
    if not c:is(value, path, "string") then return nil end
    if not spec.values then return nil end   -- the values themselves are wrong; said already
    for _, v in ipairs(spec.values) do if v == value then return value end end
    c:error(path, string.format("the default %s is not one of the values %s%s", show(value),
      table.concat(spec.values, ", "), text.did_you_mean(value, spec.values)))
  elseif t == "datetime" then
    local iso = type(value) == "string" and iso_datetime(value)
    if iso then return iso end
    local hint = value == "now" and "; for the time of creation write auto = \"create\" instead" or ""
    c:error(path, string.format("expected an ISO 8601 UTC time like '2026-01-31T12:00:00.000Z', got %s%s",
      show(value), hint))
  elseif t == "json" then
    local ok, message = pcall(require("ssot.json").encode, value)
    if ok then return value end
    c:error(path, "the default cannot be written as JSON: " .. tostring(message):gsub("^json%.encode: ", ""))
  end
  return nil
end

local function check_values(c, value, path)
  if value == nil then return nil end
  local values = c:string_list(value, path, function(item, item_path)
    if item == "" or item:match("^%s") or item:match("%s$") or item:match("%c") then
      return c:error(item_path, string.format("enum value %s must be non-empty, without surrounding spaces or control characters", show(item)))
    end
    if not utf8.len(item) then return c:error(item_path, "enum value is not valid UTF-8 text") end
  end)
  if values and #values == 0 then
    c:error(path, "an enum needs at least one value: values = { \"a\", \"b\" }")
    return nil
  end
  return values
end

-- The options that only some types take: key -> { types allowed, advice }.
local TYPE_ONLY = {
  { key = "max", string = true, advice = "max applies to 'string' fields only" },
  { key = "values", enum = true, advice = "values applies to 'enum' fields only (did you mean type 'enum'?)" },
  { key = "auto", datetime = true, advice = "auto applies to 'datetime' fields only" },
  { key = "uuid", id = true, advice = "uuid applies to the id field only" },
}

-- without(options, entry, key) -> options without key; the first time, a copy of the
-- entry (the config's own table is never changed).
local function without(options, entry, key)
  if options == entry then
    options = {}
    for k, v in pairs(entry) do options[k] = v end
  end
  options[key] = nil
  return options
end

-- Field names that are identifiers -> false, or why the name is reserved. The same names
-- recur in every model, so each is checked once.
local checked_names = {}

-- Options that any field may have, with the type of their value.
local SIMPLE_OPTIONS = {}
for i, key in ipairs { "optional", "unique", "index", "description" } do
  SIMPLE_OPTIONS[i] = { key, schema.entry(FIELD, key)[2] }
end

-- The keys of SIMPLE_OPTIONS, and those of the options only some fields take (TYPE_ONLY,
-- BELONGS_TO_OPTIONS): an entry with none of a group skips that group's checks.
local SIMPLE, RESTRICTED = {}, {}
for _, option in ipairs(SIMPLE_OPTIONS) do SIMPLE[option[1]] = true end
for _, allowed in ipairs(TYPE_ONLY) do RESTRICTED[allowed.key] = true end
for _, key in ipairs(BELONGS_TO_OPTIONS) do RESTRICTED[key] = true end

-- read(c, entry, path) -> field spec (with .belongs_to_model, .as, .on_delete, .index,
-- .path for the model validator to resolve) or nil when its name or type is unusable.
function M.read(c, entry, path)
  if type(entry) ~= "table" then
    c:error(path, string.format("expected a field entry like { \"title\", \"string\" }, got %s", show(entry)))
    return nil
  end
  local name, type_ = entry[1], entry[2]
  local long_name, long_type = entry.name ~= nil, entry.type ~= nil
  if long_name then
    if name ~= nil then c:error(sub(path, "name"), "the name is given twice (first value and name =); keep one") end
    name = entry.name
  end
  if long_type then
    if type_ ~= nil then c:error(sub(path, "type"), "the type is given twice (second value and type =); keep one") end
    type_ = entry.type
  end
  -- One pass over the entry for unknown keys and extra positional values. The options are
  -- read from the entry itself; an option found unusable is dropped from a copy.
  local options, unknown, extra = entry, nil, nil
  local has_simple, has_restricted = false, false   -- which checks below have anything to do
  for k, v in pairs(entry) do
    if not KNOWN[k] then
      if math.type(k) ~= "integer" then
        unknown = unknown or {}
        unknown[k] = v
      elseif k ~= 1 and k ~= 2 then
        extra = extra or {}
        extra[#extra + 1] = k
      end
    elseif SIMPLE[k] then
      has_simple = true
    elseif RESTRICTED[k] then
      has_restricted = true
    end
  end
  if extra then
    table.sort(extra)
    for _, k in ipairs(extra) do
      c:error(sub(path, k), string.format("unexpected value %s: a field is { \"name\", \"type\", option = value, ... }, "
        .. "so options are written as key = value (e.g. optional = true)", show(entry[k])))
    end
  end
  if unknown then c:keys(unknown, path, M.KEYS, "a field", KEY_HINTS) end

  if name == nil then
    c:error(path, "the field has no name: write { \"name\", \"type\", ... }")
    return nil
  end
  local why = checked_names[name]
  if why == nil then
    if not (type(name) == "string" and name:match(M.NAME_PATTERN)) then
      local name_path, name_at = place(path, "name", 1, long_name)
      c:name(name, name_path, M.NAME_PATTERN, M.NAME_RULE, name_at)
      return nil
    end
    why = reserved.field_reason(name) or false
    checked_names[name] = why
  end
  if why then
    local name_path, name_at = place(path, "name", 1, long_name)
    c:error(name_path, string.format("'%s' is %s, which the generated code cannot use as a field name; rename the field",
      name, why), name_at)
  end
  if type_ == nil then
    c:error(path, string.format("the field '%s' has no type: write { \"%s\", \"string\" } (types: %s)",
      name, name, table.concat(ir.TYPES, ", ")))
    return nil
  end
  if not IS_TYPE[type_] then
    local type_path, type_at = place(path, "type", 2, long_type)
    check_type(c, type_, type_path, type_at)
    return nil
  end

  -- The keys every spec has are made at once: added one by one they would grow the table twice.
  local spec = { name = name, type = type_, path = path, long_name = long_name, long_type = long_type,
    optional = false, unique = false, index = false, on_delete = ON_DELETE_IR[DEFAULT_ON_DELETE] }

  if type_ == "id" then
    if name ~= "id" then
      local name_path, name_at = M.name_place(spec)
      c:error(name_path, string.format("the id field must be named 'id', not '%s': write { \"id\", \"id\" }", name), name_at)
    end
    for _, k in ipairs(check.sorted_keys(options)) do
      if KNOWN[k] and k ~= "uuid" and k ~= "description" and k ~= "name" and k ~= "type" then
        c:error(sub(path, k), string.format("the id field takes only uuid and description; remove %s", k))
      end
    end
  elseif name == "id" then
    local type_path, type_at = M.type_place(spec)
    c:error(type_path, string.format("the field 'id' is the primary key, so its type must be 'id', not '%s' "
      .. "(add uuid = true for UUIDs)", type_), type_at)
  end

  for i = 1, has_restricted and #TYPE_ONLY or 0 do
    local allowed = TYPE_ONLY[i]
    local key = allowed.key
    if options[key] ~= nil and not allowed[type_] then
      local extra = key == "max" and type_ == "text" and "; 'text' has no limit, use type 'string' for a limited length" or ""
      c:error(sub(path, key), string.format("%s, and '%s' is %s%s", allowed.advice, name, type_, extra))
      options = without(options, entry, key)
    end
  end

  for i = 1, has_simple and #SIMPLE_OPTIONS or 0 do
    local key, kind = SIMPLE_OPTIONS[i][1], SIMPLE_OPTIONS[i][2]
    if options[key] ~= nil and c:is(options[key], sub(path, key), kind) then spec[key] = options[key] end
  end
  spec.optional, spec.unique, spec.index = spec.optional == true, spec.unique == true, spec.index == true
  if spec.unique and type_ == "json" then
    c:error(sub(path, "unique"), "unique is not supported on json fields")
  end
  if options.uuid ~= nil and c:is(options.uuid, sub(path, "uuid"), "boolean") then
    spec.id_kind = options.uuid and "uuid" or "integer"
  end
  if options.max ~= nil and c:integer(options.max, sub(path, "max"), MAX.min, MAX.max, MAX.unit) then
    spec.max = options.max
  end
  if type_ == "enum" then
    if options.values == nil then
      c:error(path, string.format("the enum '%s' needs its values: { \"%s\", \"enum\", values = { \"a\", \"b\" } }", name, name))
    else
      spec.values = check_values(c, options.values, sub(path, "values"))
    end
  end
  if options.auto ~= nil then
    if options.auto == true then
      c:error(sub(path, "auto"), "write auto = \"create\" (set when the row is created) or auto = \"update\" (set on every change)")
    elseif c:one_of(options.auto, sub(path, "auto"), AUTO, "auto kind") then
      spec.auto = options.auto
    end
  end
  if options.default ~= nil then
    if options.auto ~= nil then
      c:error(sub(path, "default"), "the server sets auto fields; remove default")
    elseif type_ ~= "id" then
      spec.default = check_default(c, spec, options.default, sub(path, "default"))
    end
  end

  if options.belongsTo ~= nil then
    if c:is(options.belongsTo, sub(path, "belongsTo"), "string") then spec.belongs_to_model = options.belongsTo end
  end
  if options.belongsTo == nil and has_restricted then
    for _, key in ipairs(BELONGS_TO_OPTIONS) do
      if options[key] ~= nil then
        c:error(sub(path, key), key .. " applies only to fields with belongsTo = \"Model\"")
        options = without(options, entry, key)
      end
    end
  end
  if options.onDelete ~= nil and c:one_of(options.onDelete, sub(path, "onDelete"), ON_DELETE, "onDelete action") then
    spec.on_delete = ON_DELETE_IR[options.onDelete]
    if options.onDelete == "setNull" and not spec.optional then
      c:error(sub(path, "onDelete"), "setNull needs an optional field: add optional = true")
    end
  end
  if options.as ~= nil and c:name(options.as, sub(path, "as"), M.NAME_PATTERN,
      "relation names start with a lowercase letter followed by letters, digits or _") then
    spec.as = options.as
  end
  return spec
end

return M
