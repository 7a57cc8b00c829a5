-- Validation of the config's `models`: model names and keys, the id field, duplicate and
-- reserved names, owner, REST path, permissions, hooks, indexes and the relations between
-- models (belongsTo / hasMany). Produces model specs for ssot.ir.model. Uses
-- ssot.validate.check, ssot.validate.fields, ssot.validate.schema (the key lists),
-- ssot.reserved, ssot.sandbox, ssot.ir.
local check = require "ssot.validate.check"
local schema = require "ssot.validate.schema"
local fields = require "ssot.validate.fields"
local reserved = require "ssot.reserved"
local text = require "ssot.text"
local ir = require "ssot.ir"

local sub, show = check.sub, check.show

local M = {}

M.KEYS = schema.keys("models.<Model>")
local INDEX_KEYS = schema.keys("models.<Model>.indexes[i]")
local HAS_MANY_KEYS = schema.keys("models.<Model>.hasMany.<name>")
local PERMISSION_KEYS = schema.keys("models.<Model>.permissions")
local HOOK_NAMES = schema.keys("models.<Model>.hooks")
M.NAME_PATTERN = "^%u[A-Za-z0-9]*$"
M.MAX_FILE_NAME = 255

M.NAME_RULE = "model names are PascalCase: a capital letter followed by letters and digits (e.g. 'ChatRoom')"

local MODEL_HINTS = {
  table = "the SQL table name is the plural snake_case of the model name; rename the model to change it",
  timestamps = "declare them as fields: { \"createdAt\", \"datetime\", auto = \"create\" }",
  belongsTo = "belongsTo is written on the foreign-key field: { \"roomId\", \"int\", belongsTo = \"Room\" }",
  rules = "write permissions = { list = ..., get = ..., create = ..., update = ..., delete = ... }",
}
local PERMISSION_HINTS = {
  read = "write list and get", write = "write create, update and delete",
  all = "write each of list, get, create, update, delete",
}

-- A REST path: segments of letters, digits, -, _ and ., without slashes at the ends.
local function check_path(c, value, path)
  if not c:is(value, path, "string") then return nil end
  local trimmed = value:gsub("^/+", ""):gsub("/+$", "")
  if trimmed == "" then
    c:error(path, "the REST path is empty: write the segment under /api, e.g. path = \"chat-rooms\"")
    return nil
  end
  for segment in (trimmed .. "/"):gmatch("([^/]*)/") do
    if segment == "" or segment == "." or segment == ".." or not segment:match("^[%w%-_.~]+$") then
      c:error(path, string.format("the REST path %s has a bad segment %s: use letters, digits, '-', '_' and "
        .. "'.' between single slashes", show(value), show(segment)))
      return nil
    end
  end
  return trimmed
end

local function load_hooks_file(c, file, path, ctx)
  local full = ctx.resolve(file)
  local source, message = ctx.read_file(full)
  if not source then
    c:error(path, string.format("cannot read the hooks file %s: %s", show(file), message))
    return nil
  end
  local sandbox = require "ssot.sandbox"
  local results = table.pack(sandbox.run(source, ctx.display(full), sandbox.script_env(),
    "the hooks file " .. ctx.display(full)))
  if not results[1] then
    c:error(path, string.format("the hooks file %s failed: %s", show(file), results[2]))
    return nil
  end
  if type(results[2]) ~= "table" then
    c:error(path, string.format("the hooks file %s must return a table of hook functions "
      .. "({ beforeCreate = function(ctx) ... end }), but returned %s", show(file), show(results[2])))
    return nil
  end
  return results[2], " in " .. file
end

local function check_hooks(c, value, path, ctx)
  if value == nil then return {} end
  local where = ""
  if type(value) == "string" then
    value, where = load_hooks_file(c, value, path, ctx)
    if not value then return {} end
  elseif not c:is(value, path, "table") then
    return {}
  end
  local hooks = {}
  for _, k in ipairs(check.sorted_keys(value)) do
    local known = false
    for _, h in ipairs(HOOK_NAMES) do if h == k then known = true end end
    if not known then
      c:error(sub(path, k), string.format("unknown hook %s%s%s", show(k), where,
        type(k) == "string" and check.suggest(k, HOOK_NAMES, "the hooks are") or ""))
    elseif type(value[k]) ~= "function" then
      c:error(sub(path, k), string.format("the hook %s%s must be a function, got %s", k, where, show(value[k])))
    else
      hooks[k] = value[k]
    end
  end
  return hooks
end

-- The field names a model's index lists, or nil after recording problems.
local function check_index(c, entry, path, model)
  if not c:is(entry, path, "table") then return nil end
  local list, unique = table.move(entry, 1, #entry, 1, {}), entry.unique
  if entry.fields ~= nil then
    list = entry.fields
    if entry[1] ~= nil then c:error(path, "give the fields either as the list or as fields = { ... }, not both") end
  end
  local extra = {}
  for k, v in pairs(entry) do
    if math.type(k) ~= "integer" then extra[k] = v end
  end
  c:keys(extra, path, INDEX_KEYS, "an index")
  if unique ~= nil and not c:is(unique, sub(path, "unique"), "boolean") then unique = nil end
  local names = c:string_list(list, entry.fields ~= nil and sub(path, "fields") or path, function(name, item_path)
    if not model.field_by_name[name] then
      return c:error(item_path, string.format("no field named %s in %s%s", show(name), model.name,
        text.did_you_mean(name, model.field_names)))
    end
  end)
  if names and #names == 0 then
    c:error(path, "an index needs at least one field: { \"roomId\", \"createdAt\" }")
    return nil
  end
  if not names then return nil end
  return { fields = names, unique = unique == true }
end

-- Reads one model: its own keys and everything that needs no other model.
local function read_model(c, name, raw, path, ctx)
  if not c:name(name, path, M.NAME_PATTERN, M.NAME_RULE) then return nil end
  if not c:is(raw, path, "table") then return nil end
  c:keys(raw, path, M.KEYS, "a model", MODEL_HINTS)
  local model = { name = name, path_segments = path, fields = {}, field_by_name = {}, field_names = {} }
  model.names = ir.names(name)
  local why = reserved.model_reason(name, model.names)
  if why then c:error(path, string.format("the model name '%s' cannot be used: %s; rename the model", name, why)) end
  -- files are named after the model (sdk/models/<kebab-name>.ts, or <kebab-name>-model.ts),
  -- and a file name may be at most 255 bytes on the file systems ssot writes to
  if #model.names.kebab + #"-model.ts" > M.MAX_FILE_NAME then
    c:error(path, string.format("the model name is %d characters long: the files generated for it (%s) would be "
      .. "longer than the %d bytes a file name may have; shorten it to at most %d characters",
      #name, "sdk/models/" .. model.names.kebab:sub(1, 24) .. "....ts", M.MAX_FILE_NAME,
      M.MAX_FILE_NAME - #"-model.ts" - (#model.names.kebab - #name)))
  end

  local fields_path = sub(path, "fields")
  if raw.fields == nil then
    c:error(path, string.format("the model %s has no fields: fields = { { \"id\", \"id\" }, { \"title\", \"string\" } }", name))
  elseif c:list(raw.fields, fields_path) then
    local by_lower, id_written = {}, false
    for i, entry in ipairs(raw.fields) do
      local spec = fields.read(c, entry, sub(fields_path, i))
      if type(entry) == "table" and (entry[1] == "id" or entry.name == "id"
          or entry[2] == "id" or entry.type == "id") then id_written = true end
      if spec then
        local lower = spec.name:lower()
        local first = by_lower[lower]
        if first then
          local name_path, name_at = fields.name_place(spec)
          c:error(name_path, string.format("duplicate field '%s': fields[%d] is already '%s'%s", spec.name, first.index,
            first.name, first.name ~= spec.name and " (SQL column names ignore case)" or ""), name_at)
        else
          spec.index_in_model = i
          by_lower[lower] = { index = i, name = spec.name }
          model.fields[#model.fields + 1] = spec
          model.field_by_name[spec.name] = spec
          model.field_names[#model.field_names + 1] = spec.name
        end
      end
    end
    if not id_written then
      c:error(fields_path, string.format("the model %s has no id field: add { \"id\", \"id\" } as the first field", name))
    end
  end
  local id = model.field_by_name.id
  model.id_kind = id and id.type == "id" and (id.id_kind or "integer") or nil

  if raw.owner ~= nil and c:is(raw.owner, sub(path, "owner"), "string") then
    local owner = model.field_by_name[raw.owner]
    if not owner then
      c:error(sub(path, "owner"), string.format("no field named %s in %s%s; owner names the field holding the owning user's id",
        show(raw.owner), name, text.did_you_mean(raw.owner, model.field_names)))
    elseif owner.type ~= "int" and owner.type ~= "string" then
      c:error(sub(path, "owner"), string.format("the owner field '%s' is %s, but user ids are 'int' or 'string'",
        raw.owner, owner.type))
    else
      model.owner = raw.owner
    end
  end
  if raw.path ~= nil then model.path = check_path(c, raw.path, sub(path, "path")) end
  if c:optional(raw.description, sub(path, "description"), "text") then model.description = raw.description end

  model.permissions = {}
  local permissions_path = sub(path, "permissions")
  local permissions = raw.permissions or {}
  if c:is(permissions, permissions_path, "table") then
    c:keys(permissions, permissions_path, PERMISSION_KEYS, "permissions", PERMISSION_HINTS)
    for _, action in ipairs(PERMISSION_KEYS) do
      local value = permissions[action]
      model.permissions[action] = value == nil and require("ssot.rules").default()
        or c:rule(value, sub(permissions_path, action), { owner = model.owner or raw.owner })
    end
  end
  model.hooks = check_hooks(c, raw.hooks, sub(path, "hooks"), ctx)

  model.indexes = {}
  if raw.indexes ~= nil and c:list(raw.indexes, sub(path, "indexes")) then
    for i, entry in ipairs(raw.indexes) do
      model.indexes[#model.indexes + 1] = check_index(c, entry, sub(path, "indexes", i), model)
    end
  end
  model.field_indexes = {}
  for _, f in ipairs(model.fields) do
    if f.index then model.field_indexes[#model.field_indexes + 1] = f.name end
  end
  model.raw_has_many = raw.hasMany
  return model
end

-- The relation name of a belongsTo field: `as`, or the field name without its Id suffix.
local function relation_name(spec)
  if spec.as then return spec.as end
  return spec.name:match("^(.+)Id$") or spec.name:match("^(.+)_id$")
end

-- Resolves belongsTo fields: the target exists and the field's type fits its id.
local function resolve_belongs_to(c, model, models, names)
  model.belongs_to, model.relation_names = {}, {}
  for _, f in ipairs(model.fields) do
    if f.belongs_to_model then
      local target = models[f.belongs_to_model]
      local target_path = sub(f.path, "belongsTo")
      if not target then
        c:error(target_path, string.format("no model named %s%s", show(f.belongs_to_model),
          check.suggest(f.belongs_to_model, names, "the models are")))
      elseif target.id_kind then
        local want = target.id_kind == "uuid" and "string" or "int"
        if f.type ~= want then
          local type_path, type_at = fields.type_place(f)
          c:error(type_path, string.format("'%s' belongs to %s, whose id is %s, so its type must be '%s': "
            .. "{ \"%s\", \"%s\", belongsTo = \"%s\" }", f.name, target.name,
            target.id_kind == "uuid" and "a uuid" or "an integer", want, f.name, want, target.name), type_at)
        else
          f.references = { model = target.name, field = "id", on_delete = f.on_delete }
        end
      end
      local rel = relation_name(f)
      -- where a problem with the relation name is written: `as`, or else the field's name
      local rel_path, rel_at
      if f.as then rel_path = sub(f.path, "as") else rel_path, rel_at = fields.name_place(f) end
      if not rel then
        c:error(rel_path, string.format("cannot name the relation of '%s' to %s: the field name does not end in 'Id'; "
          .. "rename it (e.g. '%sId') or add as = \"<relation name>\"", f.name, f.belongs_to_model, f.name), rel_at)
      elseif model.field_by_name[rel] then
        c:error(rel_path, string.format("the relation name '%s' of '%s' is also a field "
          .. "of %s; add as = \"<another name>\"", rel, f.name, model.name), rel_at)
      elseif model.relation_names[rel] then
        c:error(rel_path, string.format("the relation name '%s' is used twice in %s; "
          .. "add as = \"<another name>\" to one of them", rel, model.name), rel_at)
      else
        model.relation_names[rel] = true
        model.belongs_to[#model.belongs_to + 1] = { name = rel, field = f.name, model = f.belongs_to_model }
      end
    end
  end
end

-- Resolves hasMany = { name = "Model" | { model = "Model", field = "fk" } }.
local function resolve_has_many(c, model, models, names)
  model.has_many = {}
  local raw = model.raw_has_many
  local path = sub(model.path_segments, "hasMany")
  if raw == nil or not c:is(raw, path, "table") then return end
  for _, rel in ipairs(check.sorted_keys(raw)) do
    local value, rel_path = raw[rel], sub(path, rel)
    local target_name, field_name
    if type(value) == "table" then
      c:keys(value, rel_path, HAS_MANY_KEYS, "a hasMany relation")
      target_name, field_name = value.model, value.field
      if c:is(target_name, sub(rel_path, "model"), "string") and field_name ~= nil then
        c:is(field_name, sub(rel_path, "field"), "string")
      end
    elseif c:is(value, rel_path, "string") then
      target_name = value
    end
    local target = type(target_name) == "string" and models[target_name]
    if type(rel) ~= "string" or not c:name(rel, rel_path, fields.NAME_PATTERN,
        "relation names start with a lowercase letter followed by letters, digits or _") then
      target = nil
    elseif type(target_name) == "string" and not target then
      c:error(rel_path, string.format("no model named %s%s", show(target_name), check.suggest(target_name, names, "the models are")))
    end
    if target then
      local candidates = {}
      for _, f in ipairs(target.fields) do
        if f.belongs_to_model == model.name and (field_name == nil or f.name == field_name) then
          candidates[#candidates + 1] = f.name
        end
      end
      if type(field_name) == "string" and #candidates == 0 then
        c:error(sub(rel_path, "field"), string.format("%s has no field %s with belongsTo = \"%s\"", target.name,
          show(field_name), model.name))
      elseif #candidates == 0 then
        c:error(rel_path, string.format("%s has no field with belongsTo = \"%s\": add one, e.g. { \"%sId\", \"%s\", "
          .. "belongsTo = \"%s\" }", target.name, model.name, model.names.camel, model.id_kind == "uuid" and "string" or "int",
          model.name))
      elseif #candidates > 1 then
        c:error(rel_path, string.format("%s has several fields that belong to %s (%s): say which with "
          .. "{ model = \"%s\", field = \"%s\" }", target.name, model.name, table.concat(candidates, ", "),
          target.name, candidates[1]))
      elseif model.field_by_name[rel] or model.relation_names[rel] then
        c:error(rel_path, string.format("the relation name '%s' is already a field or relation of %s; rename it",
          rel, model.name))
      else
        model.relation_names[rel] = true
        model.has_many[#model.has_many + 1] = { name = rel, model = target.name, field = candidates[1] }
      end
    end
  end
end

-- Models whose table, REST path or variable name would be the same.
local function check_collisions(c, list)
  local seen = { table = {}, path = {}, camel = {} }
  for _, model in ipairs(list) do
    local keys = {
      table = model.names.plural_snake:lower(),
      path = (model.path or model.names.plural_kebab):lower(),
      camel = model.names.camel,
    }
    local what = { table = "SQL table", path = "REST path", camel = "variable name" }
    for _, kind in ipairs { "table", "path", "camel" } do
      local other = seen[kind][keys[kind]]
      if other then
        c:error(model.path_segments, string.format("the models %s and %s would share the %s '%s'; rename one%s",
          other, model.name, what[kind], keys[kind], kind == "path" and " or set path" or ""))
        break   -- one clash per model is enough to act on
      end
      seen[kind][keys[kind]] = model.name
    end
  end
end

-- check(c, raw, ctx) -> list of model specs (sorted by name), a name -> spec table and the
-- sorted list of names.
-- ctx: resolve(path) -> absolute path, read_file(path), display(path).
function M.check(c, raw, ctx)
  local path = { "models" }
  local list, by_name, names = {}, {}, {}
  if raw == nil then
    c:error(path, "no models: declare at least one, e.g. models = { Todo = { fields = { { \"id\", \"id\" }, "
      .. "{ \"title\", \"string\" } } } }")
    return list, by_name, names
  end
  if not c:is(raw, path, "table") then return list, by_name, names end
  for _, name in ipairs(check.sorted_keys(raw)) do
    local model_path = sub(path, name)
    if type(name) ~= "string" then
      c:error(model_path, "models are written as Name = { fields = { ... } }; found an entry without a name")
    else
      local model = read_model(c, name, raw[name], model_path, ctx)
      if model then
        list[#list + 1] = model
        by_name[name] = model
        names[#names + 1] = name
      end
    end
  end
  if #list == 0 and next(raw) == nil then
    c:error(path, "no models: declare at least one, e.g. models = { Todo = { fields = { { \"id\", \"id\" }, "
      .. "{ \"title\", \"string\" } } } }")
  end
  for _, model in ipairs(list) do resolve_belongs_to(c, model, by_name, names) end
  for _, model in ipairs(list) do resolve_has_many(c, model, by_name, names) end
  check_collisions(c, list)
  return list, by_name, names
end

-- to_ir(spec) -> IR model (after validation succeeded).
function M.to_ir(spec)
  local ir_fields = {}
  for i, f in ipairs(spec.fields) do ir_fields[i] = ir.field(f) end
  return ir.model {
    name = spec.name, names = spec.names, description = spec.description, path = spec.path, fields = ir_fields,
    owner = spec.owner, belongs_to = spec.belongs_to, has_many = spec.has_many,
    field_indexes = spec.field_indexes, indexes = spec.indexes, permissions = spec.permissions,
    hooks = spec.hooks, realtime = spec.realtime,
  }
end

return M
