-- TypeScript naming and type mapping for the sdk, react and openapi phases: turns the IR into
-- a plan of unique exported names, file names and per-field TS types. Uses ssot.text and the
-- operators of ssot.facts.
local facts = require "ssot.facts"
local text = require "ssot.text"

local M = {}

-- The names sdk/runtime/index.ts exports (templates/sdk/runtime). sdk/index.ts re-exports
-- them after the models' names, so a model's own type wins over a runtime name; derived
-- names (MessageClient...) steer clear of them. tests/node checks this list against the
-- generated runtime.
M.RUNTIME_EXPORTS = {
  "Action", "ApiError", "ApiErrorInit", "ChangeEvent", "ChangeType", "ChannelMessage",
  "ComparableFilter", "ConnectionState", "DataClient", "DateTimeInput", "EqualityFilter", "ErrorCode",
  "FetchLike", "FieldKind", "HttpRequestContext", "HttpResponseContext", "HttpTransport",
  "HttpTransportOptions", "Id", "ItemSubscription", "JsonObject", "JsonValue", "ListParams",
  "ListQuery", "ListResult", "ListSubscription", "ModelRef", "NetworkError",
  "NullFilter", "OrderBy", "OrderByParam", "RealtimeTransport", "RequestOptions", "RetryOptions",
  "RetryPolicy", "SchemaMismatch", "SchemaMismatchHandler", "SortDirection", "SsotError",
  "StreamPosition", "SubscribeOptions", "SubscribedInfo", "TextFilter", "TimeoutError", "TokenProvider", "Transport",
  "TransportRequest", "Unsubscribe", "apiErrorFromResponse", "backoffDelay", "createModelClient",
  "encodeListQuery", "isApiError", "isConflict", "isForbidden", "isIdempotent", "isNetworkError",
  "isNotFound", "isRetryableStatus", "isTimeout", "isUnauthorized", "isValidation", "retryAfterMs",
  "retryPolicy", "schemaCheck", "sleep", "warnSchemaMismatch",
}

-- What sdk/runtime adds with websockets.enabled (reserved whatever the config, like the above).
M.REALTIME_RUNTIME_EXPORTS = {
  "ChannelClient", "ChannelEvent", "ChannelEventMap", "HybridTransport", "HybridTransportOptions", "PageChange",
  "PublishData", "ReconnectOptions", "WebSocketConstructor", "WebSocketLike", "WebSocketTransport",
  "WebSocketTransportOptions", "applyChange", "channelName", "createChannelClient", "matchesWhere",
  "noRealtime", "websocketUrl",
}

-- The names sdk/index.ts declares itself. A model may not take them: reserved.lua rejects
-- the PascalCase ones (tests/lua/ts_spec.lua checks it lists them all); model names are
-- PascalCase, so the others cannot clash.
M.SDK_EXPORTS = {
  "SsotChannels", "SsotClient", "SsotClientOptions", "SsotModelClient", "SsotModelName", "SsotModels",
  "SsotRealtimeOptions", "createClient", "modelNames", "modelRefs", "schemaHash",
}

-- The names react/index.ts exports besides the per-model hooks.
M.REACT_EXPORTS = {
  "SsotGetKey", "SsotListKey", "SsotProvider", "SsotProviderProps", "ListHookOptions", "GetHookOptions", "MutationHookOptions",
  "UpdateVariables", "createMutationOptions", "deleteMutationOptions", "getQueryOptions",
  "listQueryOptions", "replaceMutationOptions", "ssotCache", "ssotKeys", "updateMutationOptions",
  "useCreate", "useDelete", "useGet", "useList", "useReplace", "useSsotClient", "useUpdate",
  -- with websockets.enabled (react/live.ts, react/realtime.ts)
  "SsotChannelClient", "SsotChannelEvent", "SsotPresenceChannel", "UseChannelResult", "followLive", "liveChannels", "liveReady",
  "useChannel", "useConnectionState", "usePresence",
}

-- A set of taken names; take(first, second) returns the first free candidate (then second
-- numbered 2, 3...) and marks it taken. `fold` maps a name to its comparison key (file names
-- compare case-insensitively).
local function allocator(fold)
  fold = fold or function(s) return s end
  local taken = {}
  local self = {}
  function self.reserve(name) taken[fold(name)] = true end
  function self.taken(name) return taken[fold(name)] == true end
  function self.take(first, second)
    second = second or first
    local key = fold(first)
    if not taken[key] then taken[key] = true; return first end
    key = fold(second)
    if not taken[key] then taken[key] = true; return second end
    local n = 2
    while taken[fold(second .. n)] do n = n + 1 end
    taken[fold(second .. n)] = true
    return second .. n
  end
  return self
end
M.allocator = allocator

-- memoize(fn) -> fn keeping its result for each string it was given (up to 10,000 of them):
-- the same names, paths and notes recur in every model, and each costs a few pattern matches.
local function memoize(fn)
  local results, count = {}, 0
  return function(s)
    local result = results[s]
    if result == nil then
      result = fn(s)
      if count < 10000 then results[s], count = result, count + 1 end
    end
    return result
  end
end

-- A TypeScript string literal (JSON's escapes are valid TS; the two line separators escaped
-- so the source stays one line).
M.string = memoize(function(s)
  local out = s:gsub('[%c"\\]', function(c)
    local named = { ['"'] = '\\"', ["\\"] = "\\\\", ["\n"] = "\\n", ["\r"] = "\\r", ["\t"] = "\\t" }
    return named[c] or string.format("\\u%04x", c:byte())
  end)
  out = out:gsub("\226\128\168", "\\u2028"):gsub("\226\128\169", "\\u2029")
  return '"' .. out .. '"'
end)

-- A property key: the name itself when it is an identifier, else a string literal.
M.key = memoize(function(name)
  if name:match("^[%a_$][%w_$]*$") then return name end
  return M.string(name)
end)

-- Text safe inside a /** */ comment on one line.
M.comment_text = memoize(function(s)
  return (s:gsub("%*/", "*\\/"):gsub("%s*\n%s*", " "))
end)

-- A TS literal for a default value (for docs): strings quoted, the rest as Lua prints them.
local function literal(value)
  if type(value) == "string" then return M.string(value) end
  if type(value) == "table" then return "{…}" end
  return tostring(value)
end

-- "/** a; b */\n" indented by `indent`, or "" when there is nothing to say.
function M.doc(parts, indent)
  local kept = {}
  for _, p in ipairs(parts) do
    if p and p ~= "" then kept[#kept + 1] = M.comment_text(p) end
  end
  if #kept == 0 then return "" end
  return string.format("%s/** %s */\n", indent or "", table.concat(kept, "; "))
end

-- The notes a field's doc comment carries.
local function field_notes(field, model)
  local notes = { field.description }
  if field.type == "id" then
    notes[#notes + 1] = field.id_kind == "uuid" and "UUID set by the server" or "set by the server"
  end
  if field.auto == "create" then notes[#notes + 1] = "set by the server when the row is created" end
  if field.auto == "update" then notes[#notes + 1] = "set by the server on every change" end
  if model.owner == field.name then notes[#notes + 1] = "owner: set by the server from the caller's token on create" end
  if field.max then notes[#notes + 1] = "at most " .. field.max .. " characters" end
  if field.type == "datetime" then notes[#notes + 1] = "ISO 8601 UTC" end
  if field.references then
    notes[#notes + 1] = string.format("references %s.%s", field.references.model, field.references.field)
  end
  if field.default ~= nil then notes[#notes + 1] = "default " .. literal(field.default) end
  return notes
end

-- The TS filter type of a field whose values have TS type `value`: the family of operators
-- ssot.facts gives its type (TextFilter, ComparableFilter, EqualityFilter or NullFilter).
local function filter_type(field, value)
  local family = facts.filter_family(field.type, { uuid = field.id_kind == "uuid" })
  local null = field.optional and ", null" or ""
  if family == "null" then return field.optional and "rt.NullFilter" or nil end
  if family == "text" then return "rt.TextFilter" .. (field.optional and "<null>" or "") end
  if family == "comparable" then return "rt.ComparableFilter<" .. value .. null .. ">" end
  return "rt.EqualityFilter<" .. value .. null .. ">"
end

-- The TS value types of each field type: as read and as sent.
local VALUE_TYPES = {
  int = { "number" }, float = { "number" }, bool = { "boolean" }, string = { "string" }, text = { "string" },
  -- filters and inputs take a Date too
  datetime = { "string", "rt.DateTimeInput", where = "rt.DateTimeInput" },
  -- Rows hold JSON (JsonValue); inputs take whatever JSON.stringify encodes: JsonValue would
  -- refuse interfaces (no index signature), readonly arrays and nested Dates.
  json = { "rt.JsonValue", "unknown" },
}

-- The TS types of one field: row (as read), input (as sent), where (filter), or nil for
-- where when the field cannot be filtered.
local function field_types(field, enum_type)
  local t = field.type
  if t == "id" then
    local row = field.id_kind == "uuid" and "string" or "number"
    return row, row, filter_type({ type = "id", id_kind = field.id_kind }, row)
  end
  local types = t == "enum" and { enum_type } or VALUE_TYPES[t]
  if not types then
    error(string.format("ts: field '%s' has type '%s', which the SDK does not know", field.name, tostring(t)))
  end
  local row, input = types[1], types[2] or types[1]
  local where = filter_type(field, types.where or row)
  if field.optional then
    row = row .. " | null"
    if input ~= "unknown" then input = input .. " | null" end
  end
  return row, input, where
end

-- channel_events(channel) -> the TypeScript of a custom channel's ChannelEventMap: each event's
-- payload as received (data) and as published (input). Declared fields give an object type
-- (optional fields may be absent or null); other events take any JSON, data optional.
function M.channel_events(channel)
  local entries = {}
  for _, event in ipairs(channel.events) do
    local payload = channel.payloads and channel.payloads[event]
    local data, input = "rt.JsonValue", "rt.JsonValue | undefined"
    if payload then
      local rows, inputs = {}, {}
      for _, field in ipairs(payload.fields) do
        local enum_type
        if field.type == "enum" then
          local quoted = {}
          for i, v in ipairs(field.values) do quoted[i] = M.string(v) end
          enum_type = table.concat(quoted, " | ")
        end
        local row, field_input = field_types(field, enum_type)
        local key = M.key(field.name) .. (field.optional and "?" or "")
        rows[#rows + 1] = key .. ": " .. row
        inputs[#inputs + 1] = key .. ": " .. field_input
      end
      data = #rows == 0 and "Record<string, never>" or "{ " .. table.concat(rows, "; ") .. " }"
      input = #inputs == 0 and "Record<string, never>" or "{ " .. table.concat(inputs, "; ") .. " }"
    end
    entries[#entries + 1] = string.format("%s: { data: %s; input: %s }", M.key(event), data, input)
  end
  return entries
end

-- The per-model plan. Names are allocated in a fixed order (model names, then each model's
-- derived names in model order), so the same IR always gives the same names.
local function plan_model(model, types, values, files, keys, hooks)
  local type_name = model.name
  local function derived(suffix, fallback)
    return types.take(type_name .. suffix, type_name .. (fallback or "Model") .. suffix)
  end
  local m = {
    model = model,
    type = type_name,
    create = derived("Create"),
    update = derived("Update"),
    where = derived("Where"),
    sort_field = derived("SortField"),
    list_params = derived("ListParams"),
    client = derived("Client"),
    ref = values.take(model.names.camel .. "Model", model.names.camel .. "ModelRef"),
    file = files.take(model.names.kebab, model.names.kebab .. "-model"),
    key = keys.take(model.names.plural_camel, model.names.camel .. "Rows"),
    id_field = model.primary_key.name,
    id_type = model.primary_key.id_kind == "uuid" and "string" or "number",
    enums = {},
    fields = {},
    sortable = {},
  }
  local plural = model.names.plural_pascal
  if plural == type_name then plural = type_name .. "List" end
  m.hooks = {
    list = hooks.take("use" .. plural, "use" .. type_name .. "List"),
    get = hooks.take("use" .. type_name, "use" .. type_name .. "ById"),
    create = hooks.take("useCreate" .. type_name, "useCreate" .. type_name .. "Row"),
    update = hooks.take("useUpdate" .. type_name, "useUpdate" .. type_name .. "Row"),
    replace = hooks.take("useReplace" .. type_name, "useReplace" .. type_name .. "Row"),
    delete = hooks.take("useDelete" .. type_name, "useDelete" .. type_name .. "Row"),
  }
  for _, field in ipairs(model.fields) do
    local enum_type
    if field.type == "enum" then
      local pascal_field = text.pascal(field.name)
      enum_type = types.take(type_name .. pascal_field, type_name .. pascal_field .. "Value")
      local quoted = {}
      for i, v in ipairs(field.values) do quoted[i] = M.string(v) end
      m.enums[#m.enums + 1] = {
        field = field,
        type = enum_type,
        values_const = values.take(model.names.camel .. pascal_field .. "Values",
          model.names.camel .. pascal_field .. "EnumValues"),
        list = table.concat(quoted, ", "),
      }
    end
    local row, input, where = field_types(field, enum_type)
    local server_filled = field.server_filled == true
    m.fields[#m.fields + 1] = {
      field = field,
      name = field.name,
      prop = M.key(field.name),
      row = row,
      input = input,
      where = where,
      doc = field_notes(field, model),
      -- Create (and replace): server-filled fields (id, auto datetimes, the owner, which the
      -- server takes from the token) are left out; the server rejects them.
      in_create = not server_filled,
      create_optional = field.optional or field.default ~= nil,
      in_update = not field.read_only,
    }
    if field.type ~= "json" then m.sortable[#m.sortable + 1] = m.fields[#m.fields] end
  end
  -- Realtime (websockets enabled and the model in pubsub.models): which channels it offers
  -- and the change types a list subscriber receives. An update that takes a row out of a
  -- subscriber's view arrives as "deleted" (docs/protocol.md), so updated brings deleted.
  local realtime = model.realtime
  if realtime then
    local events = {}
    for _, kind in ipairs { "created", "updated", "deleted" } do
      if realtime.broadcast[kind] or (kind == "deleted" and realtime.broadcast.updated) then
        events[#events + 1] = M.string(kind)
      end
    end
    m.realtime = {
      list = realtime.subscribe.list == true,
      item = realtime.subscribe.item == true,
      events = #events > 0 and table.concat(events, " | ") or "never",
    }
  end
  -- What the model's file exports: values first, then types, each in declaration order.
  m.exports = { m.ref }
  for _, e in ipairs(m.enums) do m.exports[#m.exports + 1] = e.values_const end
  for _, e in ipairs(m.enums) do m.exports[#m.exports + 1] = "type " .. e.type end
  for _, name in ipairs { m.type, m.create, m.update, m.where, m.sort_field, m.list_params, m.client } do
    m.exports[#m.exports + 1] = "type " .. name
  end
  return m
end

-- plan(ir) -> { models = { plan... } (IR order), by_name = { name -> plan } }. Cached per IR
-- table: every phase of one run shares one plan.
local plans = setmetatable({}, { __mode = "k" })
function M.plan(ir)
  if plans[ir] then return plans[ir] end
  local types, values = allocator(), allocator()
  local files = allocator(string.lower)
  local keys, hooks = allocator(), allocator()
  for _, name in ipairs(M.SDK_EXPORTS) do types.reserve(name); values.reserve(name) end
  for _, name in ipairs(M.RUNTIME_EXPORTS) do types.reserve(name); values.reserve(name) end
  for _, name in ipairs(M.REALTIME_RUNTIME_EXPORTS) do types.reserve(name); values.reserve(name) end
  for _, name in ipairs(M.REACT_EXPORTS) do hooks.reserve(name) end
  values.reserve("rt")
  for _, model in ipairs(ir.models) do types.reserve(model.name); values.reserve(model.name) end
  local plan = { models = {}, by_name = {} }
  for _, model in ipairs(ir.models) do
    -- A model named like a runtime export keeps its name (it shadows that export in
    -- sdk/index.ts); only derived names move.
    local m = plan_model(model, types, values, files, keys, hooks)
    plan.models[#plan.models + 1] = m
    plan.by_name[model.name] = m
  end
  plans[ir] = plan
  return plan
end

-- The doc comment of a field, indented for an interface member.
function M.field_doc(f)
  return M.doc(f.doc, "  ")
end

return M
