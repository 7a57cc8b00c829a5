-- The model IR of docs/ir.md: constructors that turn validated config pieces into IR
-- models and fields (derived names, SQL types, indexes, sorted lists) and the final IR with
-- its schema hash. Validation (ssot.validate and its parts) decides what is valid; this file decides the
-- shape. Uses ssot.facts (types), ssot.text, ssot.json and ssot.core (sha256).
local facts = require "ssot.facts"
local text = require "ssot.text"

local M = {}

M.VERSION = 1

-- Field types in the order docs list them (ssot.facts declares them).
M.TYPES = {}
for i, t in ipairs(facts.field_types) do M.TYPES[i] = t.name end

M.ACTIONS = { "list", "get", "create", "update", "delete" }
M.HOOKS = { "beforeCreate", "afterCreate", "beforeUpdate", "afterUpdate", "beforeDelete", "afterDelete" }

-- names(name) -> the casings of a model name (docs/ir.md, Model.names). The Pascal forms
-- keep the name as written ("HTTPLog", "HTTPLogs"); the others are built from its words.
local names_cache, names_cached = {}, 0

function M.names(name)
  local cached = names_cache[name]
  if cached then
    local copy = {}
    for k, v in pairs(cached) do copy[k] = v end
    return copy
  end
  local plural = text.plural(name)
  local names = {
    pascal = name, camel = text.camel(name), kebab = text.kebab(name),
    snake = text.snake(name), plural_pascal = plural, plural_camel = text.camel(plural),
    plural_kebab = text.kebab(plural), plural_snake = text.snake(plural),
  }
  if names_cached < 10000 then
    names_cache[name], names_cached = names, names_cached + 1
    return M.names(name)    -- a copy: callers may change theirs
  end
  return names
end

-- field(spec) -> IR field. spec: name, type, id_kind?, optional, default?, unique, max?,
-- values?, auto?, references?, description?. The owner flag is set by model().
function M.field(spec)
  local is_id = spec.type == "id"
  return {
    name = spec.name,
    column = spec.name,
    type = spec.type,
    id_kind = is_id and (spec.id_kind or "integer") or nil,
    optional = spec.optional == true and not is_id,
    default = spec.default,
    unique = is_id or spec.unique == true,
    max = spec.max,
    values = spec.values,
    auto = spec.auto,
    references = spec.references,
    description = spec.description,
    server_filled = is_id or spec.auto ~= nil,
    read_only = is_id or spec.auto ~= nil,
    sql_type = facts.sql_type(spec.type, is_id and spec.id_kind == "uuid"),
  }
end

-- index_name(table, fields) -> "<table>_<field>_<field>_idx"
function M.index_name(table_name, fields)
  return table_name .. "_" .. table.concat(fields, "_") .. "_idx"
end

local function by_name(a, b) return a.name < b.name end

-- Indexes of a model: one per belongsTo field, one per field with index = true, and the
-- config's; the same field list twice becomes one index (unique if either is).
local function model_indexes(table_name, belongs_to, field_indexes, config_indexes)
  local by_fields, list = {}, {}
  local function add(fields, unique)
    local key = table.concat(fields, "\0")
    local existing = by_fields[key]
    if existing then
      existing.unique = existing.unique or unique
      return
    end
    local index = { name = M.index_name(table_name, fields), fields = fields, unique = unique }
    by_fields[key] = index
    list[#list + 1] = index
  end
  for _, rel in ipairs(belongs_to) do add({ rel.field }, false) end
  for _, name in ipairs(field_indexes or {}) do add({ name }, false) end
  for _, idx in ipairs(config_indexes or {}) do add(idx.fields, idx.unique == true) end
  table.sort(list, by_name)
  return list
end

-- model(spec) -> IR model. spec: name, names? (from names()), description?, path?, fields (IR fields, declared
-- order), owner?, belongs_to, has_many, field_indexes (names), indexes ({ fields, unique }),
-- permissions (action -> rule), hooks, realtime?.
function M.model(spec)
  local names = spec.names or M.names(spec.name)
  local model = {
    name = spec.name,
    names = names,
    table = names.plural_snake,
    path = spec.path or names.plural_kebab,
    description = spec.description,
    fields = spec.fields,
    field_by_name = {},
    owner = spec.owner,
    belongs_to = spec.belongs_to or {},
    has_many = spec.has_many or {},
    permissions = spec.permissions,
    hooks = spec.hooks or {},
    realtime = spec.realtime,
  }
  for _, field in ipairs(model.fields) do
    model.field_by_name[field.name] = field
    if field.type == "id" then model.primary_key = field end
    if field.name == spec.owner then field.server_filled = true end
  end
  table.sort(model.has_many, by_name)
  model.indexes = model_indexes(model.table, model.belongs_to, spec.field_indexes, spec.indexes)
  return model
end

-- A JSON string; names and enum values rarely need escaping, so the encoder is the fallback.
-- The same names recur in every model: each is quoted once (up to 10,000 of them).
local quoted, quoted_count = {}, 0
local function quote(s)
  local q = quoted[s]
  if q then return q end
  if s:find('[%c"\\\128-\255]') then q = require("ssot.json").encode(s) else q = '"' .. s .. '"' end
  if quoted_count < 10000 then quoted[s], quoted_count = q, quoted_count + 1 end
  return q
end

-- The canonical JSON (keys sorted, no spaces) of the REST-visible schema the hash covers:
-- for each model its name, path and fields, for each field what a client's requests and
-- responses depend on. Written directly rather than through ssot.json because it runs on
-- every load; ir_spec checks it is byte-identical to json.encode of the same value.
function M.schema_json(models)
  local out, n = {}, 0
  local format = string.format
  for i, model in ipairs(models) do
    local fields = {}
    for j, f in ipairs(model.fields) do
      local values = ""
      if f.values then
        local quoted = {}
        for k, v in ipairs(f.values) do quoted[k] = quote(v) end
        values = ',"values":[' .. table.concat(quoted, ",") .. "]"
      end
      fields[j] = format('{%s%s"name":%s,"optional":%s,"read_only":%s,"server_filled":%s,"type":"%s"%s}',
        f.id_kind and format('"id_kind":"%s",', f.id_kind) or "", f.max and format('"max":%d,', f.max) or "",
        quote(f.name), f.optional, f.read_only, f.server_filled, f.type, values)
    end
    n = n + 1
    out[n] = format('%s{"fields":[%s],"name":%s,"path":%s}', i > 1 and "," or "", table.concat(fields, ","),
      quote(model.name), quote(model.path))
  end
  return format('{"models":[%s],"version":%d}', table.concat(out, "", 1, n), M.VERSION)
end

-- hash(models) -> 16 hex digits of the SHA-256 of the canonical schema JSON.
function M.hash(models)
  return require("ssot.core").sha256(M.schema_json(models)):sub(1, 16)
end

-- ir.hash is made when first read: encoding and hashing the schema is a tenth of loading a
-- large config, and a run that writes only schema.sql never reads it.
local LAZY_HASH = { __index = function(ir, key)
  if key ~= "hash" then return nil end
  local hash = M.hash(ir.models)
  rawset(ir, "hash", hash)
  return hash
end }

-- build(parts) -> the IR. parts: the top-level values (docs/ir.md) with models as a list of
-- IR models in any order and routes unsorted.
function M.build(parts)
  local ir = {}
  for k, v in pairs(parts) do ir[k] = v end
  ir.version = M.VERSION
  table.sort(ir.models, by_name)
  ir.model_by_name = {}
  for _, model in ipairs(ir.models) do ir.model_by_name[model.name] = model end
  table.sort(ir.routes, function(a, b)
    if a.path ~= b.path then return a.path < b.path end
    return a.method < b.method
  end)
  table.sort(ir.websockets.channels, function(a, b) return a.pattern < b.pattern end)
  return setmetatable(ir, LAZY_HASH)
end

return M
