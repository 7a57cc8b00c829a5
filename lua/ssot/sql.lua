-- SQLite DDL from the model IR (docs/ir.md): the one place tables, columns, constraints and
-- indexes are derived, used by the `sql` phase (schema.sql) and by `ssot serve` at start-up.
-- Pure functions of the IR; uses ssot.json for literal numbers and JSON defaults.
local json = require "ssot.json"

local M = {}

-- Quoted forms already made: the same names and enum values recur across models, and
-- building them again dominated the time of a schema for 1,000 models.
local quoted_idents, quoted_strings = {}, {}

-- quote_ident(name) -> "name", with embedded double quotes doubled.
function M.quote_ident(name)
  local quoted = quoted_idents[name]
  if quoted then return quoted end
  if type(name) ~= "string" or name == "" then
    error("sql.quote_ident: expected a non-empty string, got " .. (type(name) == "string" and '""' or type(name)), 2)
  end
  quoted = '"' .. name:gsub('"', '""') .. '"'
  quoted_idents[name] = quoted
  return quoted
end

-- quote_string(s) -> 's', with embedded single quotes doubled.
function M.quote_string(s)
  local quoted = quoted_strings[s]
  if quoted then return quoted end
  quoted = "'" .. s:gsub("'", "''") .. "'"
  quoted_strings[s] = quoted
  return quoted
end

-- comment(text) -> the text as "-- " lines (one per line of text).
function M.comment(text)
  return "-- " .. tostring(text):gsub("\r?\n", "\n-- ")
end

local function where(model, field)
  return string.format("model '%s' field '%s'", model and model.name or "?", field.name)
end

-- The ISO 8601 UTC timestamp with milliseconds that docs/ir.md specifies for datetimes.
M.NOW = "(strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))"

-- literal(value, field, model) -> the SQL literal of a default value of the field's type.
local function literal(value, field, model)
  local t = field.type
  if t == "bool" then
    if type(value) ~= "boolean" then
      error(string.format("sql: %s: default must be a boolean, got %s", where(model, field), type(value)), 0)
    end
    return value and "1" or "0"
  elseif t == "int" or t == "float" then
    if type(value) ~= "number" or (t == "int" and math.type(value) ~= "integer") then
      error(string.format("sql: %s: default must be %s, got %s", where(model, field),
        t == "int" and "an integer" or "a number", tostring(value)), 0)
    end
    if math.type(value) == "integer" then return string.format("%d", value) end
    return json.encode(value)
  elseif t == "json" then
    return M.quote_string(json.encode(value))
  else
    if type(value) ~= "string" then
      error(string.format("sql: %s: default must be a string, got %s", where(model, field), type(value)), 0)
    end
    return M.quote_string(value)
  end
end

-- The CHECK a field's type or size asks for, or nil.
local function check_constraint(field, column, model)
  local t = field.type
  if t == "enum" then
    local values = {}
    for i, v in ipairs(field.values or {}) do values[i] = M.quote_string(v) end
    if #values == 0 then
      error(string.format("sql: %s: an enum needs values", where(model, field)), 3)
    end
    return "CHECK (" .. column .. " IN (" .. table.concat(values, ", ") .. "))"
  elseif t == "bool" then
    return "CHECK (" .. column .. " IN (0, 1))"
  elseif t == "json" then
    -- json_valid(NULL) is 0 in some SQLite versions: let NULL through explicitly.
    return "CHECK (" .. (field.optional and column .. " IS NULL OR " or "") .. "json_valid(" .. column .. "))"
  elseif t == "string" and field.max then
    return "CHECK (length(" .. column .. ") <= " .. string.format("%d", field.max) .. ")"
  end
  return nil
end

-- column_definition(field, model) -> '"name" TYPE ...constraints' (no trailing comma).
function M.column_definition(field, model)
  local sql_type = field.sql_type
  if type(sql_type) ~= "string" then
    error(string.format("sql: %s: the IR field has no sql_type (see docs/ir.md)", where(model, field)), 2)
  end
  local column = M.quote_ident(field.column or field.name)
  if field.type == "id" then
    return column .. " " .. sql_type
      .. (field.id_kind == "uuid" and " PRIMARY KEY NOT NULL" or " PRIMARY KEY AUTOINCREMENT")
  end
  local parts, n = { column, sql_type }, 2
  if not field.optional then n = n + 1; parts[n] = "NOT NULL" end
  if field.unique then n = n + 1; parts[n] = "UNIQUE" end
  if field.default ~= nil then
    n = n + 1; parts[n] = "DEFAULT " .. literal(field.default, field, model)
  elseif field.auto then
    n = n + 1; parts[n] = "DEFAULT " .. M.NOW
  end
  local check = check_constraint(field, column, model)
  if check then n = n + 1; parts[n] = check end
  return table.concat(parts, " ", 1, n)
end

local ON_DELETE = { restrict = "RESTRICT", cascade = "CASCADE", set_null = "SET NULL" }

-- The table a foreign key points at: references.table when the IR gives it, else the target
-- model's table from ir.model_by_name.
local function referenced_table(field, model, ir)
  local ref = field.references
  if ref.table then return ref.table end
  local target = ir and ir.model_by_name and ir.model_by_name[ref.model]
  if not target then
    if not ir then
      error(string.format("sql: %s references model '%s': pass the IR to find its table "
        .. "(sql.create_table(model, ir))", where(model, field), tostring(ref.model)), 0)
    end
    error(string.format("sql: %s references unknown model '%s'", where(model, field), tostring(ref.model)), 0)
  end
  return target.table
end

-- foreign_key(field, model[, ir]) -> 'FOREIGN KEY ("f") REFERENCES "t" ("id") ON DELETE ...'
function M.foreign_key(field, model, ir)
  local ref = field.references
  local on_delete = ""
  if ref.on_delete ~= nil then
    local action = ON_DELETE[ref.on_delete]
    if not action then
      error(string.format("sql: %s: on_delete must be restrict, cascade or set_null, got '%s'",
        where(model, field), tostring(ref.on_delete)), 0)
    end
    if action == "SET NULL" and not field.optional then
      error(string.format("sql: %s: on_delete set_null needs an optional field", where(model, field)), 0)
    end
    on_delete = " ON DELETE " .. action
  end
  return string.format("FOREIGN KEY (%s) REFERENCES %s (%s)%s",
    M.quote_ident(field.column or field.name), M.quote_ident(referenced_table(field, model, ir)),
    M.quote_ident(ref.field or "id"), on_delete)
end

-- create_table(model[, ir]) -> 'CREATE TABLE IF NOT EXISTS "table" (...);' with the columns
-- in declared order, then the foreign keys. ir is needed only when a foreign key's target
-- table is not in field.references.table.
function M.create_table(model, ir)
  local lines = {}
  for _, field in ipairs(model.fields) do
    lines[#lines + 1] = "  " .. M.column_definition(field, model)
  end
  for _, field in ipairs(model.fields) do
    if field.references then
      lines[#lines + 1] = "  " .. M.foreign_key(field, model, ir)
    end
  end
  return "CREATE TABLE IF NOT EXISTS " .. M.quote_ident(model.table) .. " (\n"
    .. table.concat(lines, ",\n") .. "\n);"
end

-- create_index(index, model) -> 'CREATE [UNIQUE] INDEX IF NOT EXISTS "name" ON "table" (...);'
function M.create_index(index, model)
  local columns = {}
  for i, name in ipairs(index.fields) do
    local field = model.field_by_name and model.field_by_name[name]
    if not field then
      error(string.format("sql: model '%s' index '%s': unknown field '%s'", model.name, index.name, name), 2)
    end
    columns[i] = M.quote_ident(field.column or field.name)
  end
  return string.format("CREATE %sINDEX IF NOT EXISTS %s ON %s (%s);", index.unique and "UNIQUE " or "",
    M.quote_ident(index.name), M.quote_ident(model.table), table.concat(columns, ", "))
end

-- model_schema(model[, ir]) -> the table and its indexes, one statement per paragraph.
function M.model_schema(model, ir)
  local out = { M.create_table(model, ir) }
  for _, index in ipairs(model.indexes or {}) do
    out[#out + 1] = M.create_index(index, model)
  end
  return table.concat(out, "\n")
end

-- schema(ir) -> the DDL of every model (in IR order), tables then their indexes.
function M.schema(ir)
  local out = {}
  for i, model in ipairs(ir.models) do
    out[i] = M.model_schema(model, ir)
  end
  return table.concat(out, "\n\n") .. "\n"
end

return M
