-- The OpenAPI 3.1 document of the REST API (docs/rest.md) as a Lua table: paths for every
-- model, row/create/update/list schemas, the error shape and bearer auth. Uses the names of
-- ssot.ts, the rule evaluator of ssot.rules and the markers of ssot.json (encoded by the
-- openapi phase), and the operators and error table of ssot.facts. The row schema is exported
-- (row_schema) for ssot.asyncapi. Parts that repeat (a field's value schema, a $ref and the
-- content wrapping it, security requirements) are one table used in every place: the encoder
-- only rejects cycles, and a document of 1,000 models is built in half the time. Copy a part
-- before changing it.
local facts = require "ssot.facts"
local json = require "ssot.json"
local rules = require "ssot.rules"
local ts = require "ssot.ts"

local M = {}

-- { $ref = "#/components/<kind>/<name>" }, made once per target: the encoder may meet the same
-- table many times (it only rejects cycles).
local refs = {}   -- kind -> name -> the $ref table
local function ref(kind, name)
  local by_name = refs[kind]
  if not by_name then
    by_name = setmetatable({}, { __mode = "v" })
    refs[kind] = by_name
  end
  local r = by_name[name]
  if not r then
    r = { ["$ref"] = "#/components/" .. kind .. "/" .. name }
    by_name[name] = r
  end
  return r
end

-- The JSON Schema of a field's value (as read; `input` for what a client sends).
local function value_schema(field, input)
  local t, s = field.type, nil
  if t == "id" then
    s = field.id_kind == "uuid" and { type = "string", format = "uuid" } or { type = "integer" }
  elseif t == "int" then s = { type = "integer" }
  elseif t == "float" then s = { type = "number" }
  elseif t == "bool" then s = { type = "boolean" }
  elseif t == "string" then s = { type = "string", maxLength = field.max }
  elseif t == "text" then s = { type = "string" }
  elseif t == "datetime" then s = { type = "string", format = "date-time" }
  elseif t == "json" then s = {}                       -- any JSON value
  elseif t == "enum" then
    local values = {}
    for i, v in ipairs(field.values) do values[i] = v end
    s = { type = "string", enum = values }
  else
    error(string.format("openapi: field '%s' has type '%s', which the document does not know", field.name, tostring(t)))
  end
  if field.optional and t ~= "json" then
    s.type = json.array { s.type, "null" }
    if s.enum then s.enum[#s.enum + 1] = json.null end
  end
  s.description = field.description
  if field.default ~= nil and input then s.default = field.default end
  if not input and field.read_only then s.readOnly = true end
  return s
end

-- The value schema of a field as read (input false) or as sent (input true): one table for
-- both when they are the same (no default, not read-only), made once per document (cache).
local function field_schema(field, input, cache)
  local schemas = cache[field]
  if not schemas then
    local row = value_schema(field, false)
    schemas = { [false] = row, [true] = (field.read_only or field.default ~= nil) and value_schema(field, true) or row }
    cache[field] = schemas
  end
  return schemas[input]
end

local OBJECT_SCHEMA_KEYS = { "type", "description", "properties", "required", "additionalProperties" }

local function object_schema(fields, pick, required_of, input, description, cache)
  local properties, order, required = {}, {}, {}
  for _, f in ipairs(fields) do
    if pick(f) then
      properties[f.name] = field_schema(f.field, input, cache)
      order[#order + 1] = f.name
      if required_of(f) then required[#required + 1] = f.name end
    end
  end
  local schema = json.object({
    type = "object",
    description = description,
    properties = json.object(properties, order),
    required = #required > 0 and required or nil,
  }, OBJECT_SCHEMA_KEYS)
  -- The server rejects unknown fields in bodies; rows may gain fields in a later version.
  if input then schema.additionalProperties = false end
  return schema
end

-- payload_schema(fields, description) -> the object schema of IR fields a client sends
-- (a custom channel's event payload, asyncapi.lua): required unless optional, nothing else.
function M.payload_schema(fields, description)
  local properties, order, required = {}, {}, {}
  for _, field in ipairs(fields) do
    properties[field.name] = value_schema(field, true)
    order[#order + 1] = field.name
    if not field.optional then required[#required + 1] = field.name end
  end
  return json.object({
    type = "object",
    description = description,
    properties = json.object(properties, order),
    required = #required > 0 and required or nil,
    additionalProperties = false,
  }, OBJECT_SCHEMA_KEYS)
end

-- The filter schema (components/schemas) each field type's `where` entry refers to.
-- The filter schema of a field: its family of operators (ssot.facts) with the JSON literal
-- its values take.
local function filter_of(field)
  local family = facts.filter_family(field.type, { uuid = field.id_kind == "uuid" })
  if family == "null" then return "NullFilter" end
  if family == "text" then return "TextFilter" end
  if family == "comparable" then return field.type == "datetime" and "DateTimeFilter" or "NumberFilter" end
  return field.type == "bool" and "BooleanFilter" or "EqualityFilter"
end

local function operator_filter(literal, operators, description)
  local ops = {}
  for _, op in ipairs(operators) do
    if op == "in" then ops["in"] = { type = "array", items = literal, maxItems = 100 }
    elseif op == "eq" or op == "ne" then ops[op] = { anyOf = json.array { literal, { type = "null" } } }
    else ops[op] = literal end
  end
  return {
    description = description,
    anyOf = json.array {
      literal, { type = "null" },
      { type = "object", properties = ops, additionalProperties = false, minProperties = 1 },
    },
  }
end

local function filter_schemas()
  local sdk = { sdk = true }
  return {
    NumberFilter = operator_filter({ type = "number" }, facts.operator_list("float", sdk),
      "A number: equality, or operators."),
    TextFilter = operator_filter({ type = "string" }, facts.operator_list("string", sdk),
      "A string: equality, or operators (contains: substring)."),
    DateTimeFilter = operator_filter({ type = "string", format = "date-time" }, facts.operator_list("datetime", sdk),
      "An ISO 8601 datetime: equality, or operators."),
    BooleanFilter = operator_filter({ type = "boolean" }, facts.operator_list("bool", sdk),
      "A boolean: equality, or eq/ne/in."),
    EqualityFilter = operator_filter({ type = "string" }, facts.operator_list("enum", sdk),
      "An enum or uuid value: equality, or eq/ne/in."),
    NullFilter = {
      description = "A json field: only null checks.",
      anyOf = json.array { { type = "null" }, {
        type = "object", additionalProperties = false, minProperties = 1,
        properties = { eq = { type = "null" }, ne = { type = "null" } },
      } },
    },
  }
end

local WHERE_SCHEMA_KEYS = { "type", "properties", "additionalProperties" }

local function where_schema(m, shared)
  local properties, order = {}, {}
  for _, f in ipairs(m.fields) do
    if f.where then
      properties[f.name] = ref("schemas", shared[filter_of(f.field)])
      order[#order + 1] = f.name
    end
  end
  return json.object({ type = "object", properties = json.object(properties, order), additionalProperties = false },
    WHERE_SCHEMA_KEYS)
end

-- One sort key of the model: an object with exactly one sortable field, "asc" or "desc".
local function sort_key_schema(m, shared)
  local names = {}
  for i, f in ipairs(m.sortable) do names[i] = f.name end
  return {
    type = "object", minProperties = 1, maxProperties = 1,
    propertyNames = { enum = names },
    additionalProperties = ref("schemas", shared.SortDirection),
  }
end

-- True when the rule lets a caller without a token through: rules.evaluate with no user (a
-- Lua function decides at run time, so it may).
local function allows_anonymous(rule)
  if rule == nil or rule.fn then return true end
  return rules.evaluate(rule.ast, nil)
end

local ANONYMOUS_OR_BEARER = json.array { {}, { bearerAuth = json.array {} } }
local BEARER = json.array { { bearerAuth = json.array {} } }

local function security(rule)
  if allows_anonymous(rule) then return ANONYMOUS_OR_BEARER end
  return BEARER
end

-- Every error status shares one body shape: operations refer to one `default` response
-- (the statuses of ssot.facts' error table are listed in its description) rather than
-- repeating each per operation.
local function error_description()
  local by_status, statuses = {}, {}
  for _, e in ipairs(facts.errors) do
    if not by_status[e.status] then
      by_status[e.status] = {}
      statuses[#statuses + 1] = e.status
    end
    local codes = by_status[e.status]
    codes[#codes + 1] = e.code .. " (" .. e.summary .. ")"
  end
  local parts = {}
  for _, status in ipairs(statuses) do
    local codes = by_status[status]
    local last = table.remove(codes)
    parts[#parts + 1] = status .. " " .. (#codes > 0 and table.concat(codes, ", ") .. " or " .. last or last)
  end
  return "An error, in the one error shape of the REST contract: " .. table.concat(parts, "; ") .. "."
end
local ERROR_DESCRIPTION = error_description()

local function json_content(schema) return { ["application/json"] = { schema = schema } } end

-- json_content of ref(kind, name), made once per target like the ref itself.
local ref_contents = setmetatable({}, { __mode = "k" })
local function ref_content(kind, name)
  local r = ref(kind, name)
  local content = ref_contents[r]
  if not content then
    content = json_content(r)
    ref_contents[r] = content
  end
  return content
end

local function responses(status, description, schema_name, headers)
  return {
    [status] = { description = description, headers = headers,
      content = schema_name and ref_content("schemas", schema_name) or nil },
    default = ref("responses", "Error"),
  }
end

local SKIP_PARAMETER = { name = "skip", ["in"] = "query", schema = { type = "integer", minimum = 0, default = 0 } }
local TAKE_PARAMETER = { name = "take", ["in"] = "query", schema = { type = "integer", minimum = 1 } }
local LOCATION_HEADER = { Location = { description = "The row's URL", schema = { type = "string" } } }

local function model_paths(m, paths, operation_ids, cache)
  local model, T = m.model, m.type
  local perms = model.permissions or {}
  local tags = json.array { T }
  local id_param = {
    name = "id", ["in"] = "path", required = true, description = "The " .. T .. "'s " .. m.id_field .. ".",
    schema = field_schema(model.primary_key, true, cache),
  }
  local function op_id(verb, noun) return operation_ids.take(verb .. noun, verb .. T .. "Rows") end
  local collection = "/api/" .. model.path
  paths[collection] = {
    get = {
      operationId = op_id("list", model.names.plural_pascal),
      summary = "List " .. T .. " rows",
      tags = tags,
      security = security(perms.list),
      parameters = json.array {
        { name = "where", ["in"] = "query", description = "Filter: every condition must hold.",
          content = ref_content("schemas", m.where) },
        { name = "orderBy", ["in"] = "query", description = "Sort keys, applied in order; the id breaks ties.",
          content = json_content({ anyOf = json.array {
            ref("schemas", m.sort_key), { type = "array", items = ref("schemas", m.sort_key) },
          } }) },
        SKIP_PARAMETER,
        TAKE_PARAMETER,
      },
      responses = responses("200", "A page of rows.", m.list),
    },
    post = {
      operationId = op_id("create", T),
      summary = "Create a " .. T,
      tags = tags,
      security = security(perms.create),
      requestBody = { required = true, content = ref_content("schemas", m.create) },
      responses = responses("201", "The created row.", T, LOCATION_HEADER),
    },
  }
  local updated = responses("200", "The updated row.", T)
  paths[collection .. "/{id}"] = {
    parameters = json.array { id_param },
    get = {
      operationId = op_id("get", T), summary = "Get a " .. T, tags = tags, security = security(perms.get),
      responses = responses("200", "The row.", T),
    },
    patch = {
      operationId = op_id("update", T), summary = "Change fields of a " .. T, tags = tags,
      security = security(perms.update), requestBody = { required = true, content = ref_content("schemas", m.update) },
      responses = updated,
    },
    put = {
      operationId = op_id("replace", T), summary = "Replace a " .. T, tags = tags,
      security = security(perms.update), requestBody = { required = true, content = ref_content("schemas", m.create) },
      responses = updated,
    },
    delete = {
      operationId = op_id("delete", T), summary = "Delete a " .. T, tags = tags,
      security = security(perms.delete),
      responses = responses("204", "Deleted."),
    },
  }
end

-- The parts every model's list schema shares.
local LIST_FIELDS = json.array { "items", "total", "skip", "take", "offset", "epoch" }
local LIST_SCHEMA_KEYS = { "type", "properties", "required" }
local INTEGER = { type = "integer" }
local LIST_TOTAL = { type = "integer", description = "Matching rows the caller may see, ignoring skip and take." }
local LIST_OFFSET = { type = "integer", description = "The model's change-stream offset when the page was read." }
local LIST_EPOCH = { type = "string", description = "The model's change-stream epoch." }

local function every() return true end
local function none() return false end
local function in_create(f) return f.in_create end
local function required_in_create(f) return not f.create_optional end
local function in_update(f) return f.in_update end

-- row_schema(m, cache) -> the schema of a model's row as the server sends it (m a model of
-- ts.plan, cache a table kept for one document). Exported so that asyncapi.json describes the
-- rows its events carry with the same schema.
function M.row_schema(m, cache)
  return object_schema(m.fields, every, every, false,
    m.model.description or ("A " .. m.type .. " row: every field, optional ones null when unset."), cache)
end

local function model_schemas(m, schemas, shared, cache)
  local T = m.type
  schemas[T] = M.row_schema(m, cache)
  schemas[m.create] = object_schema(m.fields, in_create, required_in_create, true,
    "What creating (POST) or replacing (PUT) a " .. T .. " takes.", cache)
  schemas[m.update] = object_schema(m.fields, in_update, none, true,
    "What changing (PATCH) a " .. T .. " takes: any writable fields.", cache)
  schemas[m.where] = where_schema(m, shared)
  schemas[m.sort_key] = sort_key_schema(m, shared)
  schemas[m.list] = json.object({
    type = "object",
    properties = json.object({
      items = { type = "array", items = ref("schemas", T) },
      total = LIST_TOTAL, skip = INTEGER, take = INTEGER, offset = LIST_OFFSET, epoch = LIST_EPOCH,
    }, LIST_FIELDS),
    required = LIST_FIELDS,
  }, LIST_SCHEMA_KEYS)
end

-- The names the document adds to ssot.ts's plan: the list schema of each model and the
-- shared schemas, kept clear of the models' own names.
local function schema_names(plan)
  local names = ts.allocator()
  for _, m in ipairs(plan.models) do
    for _, n in ipairs { m.type, m.create, m.update, m.where } do names.reserve(n) end
  end
  local shared = {}
  for _, n in ipairs { "ErrorResponse", "NumberFilter", "TextFilter", "DateTimeFilter", "BooleanFilter",
    "EqualityFilter", "NullFilter", "SortDirection" } do
    shared[n] = names.take(n, "Ssot" .. n)
  end
  local lists, sort_keys = {}, {}
  for _, m in ipairs(plan.models) do
    lists[m.type] = names.take(m.type .. "List", m.type .. "Page")
    sort_keys[m.type] = names.take(m.type .. "SortKey", m.type .. "OrderKey")
  end
  return shared, lists, sort_keys
end

-- The path parameters of a custom route: one per `{name}` segment (the router's parameters),
-- which OpenAPI requires every template in a path to have; nil when there are none.
local function route_parameters(path)
  local parameters = {}
  for segment in path:gmatch("[^/]+") do
    local name = segment:match("^{(.+)}$")
    if name then
      parameters[#parameters + 1] = { name = name, ["in"] = "path", required = true, schema = { type = "string" } }
    end
  end
  return #parameters > 0 and parameters or nil
end

-- document(ir) -> the OpenAPI document as a table for ssot.json.encode.
function M.document(ir)
  local plan = ts.plan(ir)
  local shared, lists, sort_keys = schema_names(plan)
  local paths, schemas, operation_ids = {}, {}, ts.allocator()
  local cache = {}   -- IR field -> its value schemas
  for name, schema in pairs(filter_schemas()) do schemas[shared[name]] = schema end
  schemas[shared.SortDirection] = { enum = json.array { "asc", "desc" } }
  for _, m in ipairs(plan.models) do
    -- The plan is shared with other phases: the list name goes into a copy.
    local mm = setmetatable({ list = lists[m.type], sort_key = sort_keys[m.type] }, { __index = m })
    model_schemas(mm, schemas, shared, cache)
    model_paths(mm, paths, operation_ids, cache)
  end
  schemas[shared.ErrorResponse] = {
    type = "object",
    required = { "error" },
    properties = {
      error = {
        type = "object",
        required = { "code", "message" },
        properties = {
          code = { type = "string", description = table.concat(facts.error_codes, ", ") },
          message = { type = "string" },
          fields = { type = "object", additionalProperties = { type = "string" },
            description = "Field name -> what is wrong with it." },
          requestId = { type = "string" },
        },
      },
    },
  }
  paths["/healthz"] = {
    get = {
      operationId = operation_ids.take("healthz", "ssotHealthz"), summary = "Liveness", security = json.array { {} },
      responses = { ["200"] = { description = "The server is up.", content = json_content({
        type = "object", properties = { status = { type = "string", const = "ok" } }, required = { "status" },
      }) } },
    },
  }
  for _, route in ipairs(ir.routes or {}) do
    local method = route.method:lower()
    paths[route.path] = paths[route.path] or {}
    if paths[route.path][method] == nil then
      paths[route.path][method] = {
        summary = "Custom route (" .. ir.source_name .. ")",
        parameters = route_parameters(route.path),
        responses = { ["200"] = { description = "What the route's function returns, as JSON.",
          content = json_content({}) } },
      }
    end
  end
  local tags = {}
  for i, m in ipairs(plan.models) do
    tags[i] = { name = m.type, description = m.model.description or ("/api/" .. m.model.path) }
  end
  local port = ir.serve and ir.serve.port or 8080
  return json.object({
    openapi = "3.1.0",
    info = {
      title = ir.name,
      version = ir.hash,
      description = "The REST API of " .. ir.name .. ". Generated by ssot from " .. ir.source_name
        .. " — do not edit. Every response carries the headers X-SSOT-Schema (the server's schema hash, "
        .. ir.hash .. " for this document) and X-Request-Id.",
    },
    ["x-generated-by"] = "ssot from " .. ir.source_name .. " — do not edit",
    servers = { { url = "http://localhost:" .. port, description = "ssot serve (default port)" } },
    tags = #tags > 0 and tags or nil,
    paths = paths,
    components = {
      schemas = schemas,
      responses = {
        Error = { description = ERROR_DESCRIPTION, content = ref_content("schemas", shared.ErrorResponse) },
      },
      securitySchemes = {
        bearerAuth = { type = "http", scheme = "bearer", bearerFormat = "JWT",
          description = "A JWT (HS256) signed with the secret in $" .. ((ir.auth and ir.auth.secret_env) or "SSOT_JWT_SECRET") .. "." },
      },
    },
  }, { "openapi", "info", "x-generated-by", "servers", "tags", "paths", "components" })
end

return M
