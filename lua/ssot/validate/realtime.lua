-- Validation of the config's `websockets` section: the socket path, the models offered for
-- subscription and which changes they broadcast, custom channels with {param} patterns,
-- events (with the fields of their payloads), permissions and presence, reconnect, batching, the per-connection limits and the
-- change history kept for recovery (docs/protocol.md). Produces the IR's websockets table and
-- each model spec's realtime. Uses ssot.validate.check, and ssot.validate.schema for the key
-- lists, defaults, ranges and choices.
local check = require "ssot.validate.check"
local schema = require "ssot.validate.schema"
local fields = require "ssot.validate.fields"
local ir = require "ssot.ir"

local sub, show = check.sub, check.show

local M = {}

M.KEYS = schema.keys("websockets")
local PUBSUB_KEYS = schema.keys("websockets.pubsub")
local MODEL_KEYS = schema.keys("websockets.pubsub.models.<Model>")
local MODEL_PERMISSION_KEYS = schema.keys("websockets.pubsub.models.<Model>.permissions")
local CHANNEL_KEYS = schema.keys('websockets.pubsub.channels["<pattern>"]')
local CHANNEL_PERMISSION_KEYS = schema.keys('websockets.pubsub.channels["<pattern>"].permissions')
local SUBSCRIBE = schema.entry("websockets.pubsub.models.<Model>", "subscribe").values
local BROADCAST = schema.entry("websockets.pubsub.models.<Model>", "broadcast").values
local HISTORY = schema.entry("websockets", "history")

-- options(path) -> the specs Checker:options reads for the table at path: every key of the
-- schema with its IR name (snake_case), kind and range or choices.
local function options(path)
  local specs = {}
  for i, key in ipairs(schema.keys(path)) do
    local entry = schema.entry(path, key)
    local spec = { key, (key:gsub("%u", function(u) return "_" .. u:lower() end)), kind = entry[2],
      min = entry.min, max = entry.max, unit = entry.unit }
    if entry.values then spec.kind, spec.choices, spec.what = "one_of", entry.values, key end
    specs[i] = spec
  end
  return specs
end

local RECONNECT = options("websockets.reconnect")
local BATCHING = options("websockets.batching")
-- What one connection may cost the server (docs/protocol.md "Limits").
local LIMITS = options("websockets.limits")

-- defaults_of(path) -> { ir_key = default } for the options of the table at path.
local function defaults_of(path, specs)
  local out = {}
  for _, spec in ipairs(specs) do out[spec[2]] = schema.default(path, spec[1]) end
  return out
end
-- Events the server sends on presence channels; clients may not publish them there.
local PRESENCE_EVENTS = { join = true, leave = true }

local function defaults()
  return {
    enabled = false,
    path = schema.default("websockets", "path"),
    channels = {},
    reconnect = defaults_of("websockets.reconnect", RECONNECT),
    batching = defaults_of("websockets.batching", BATCHING),
    limits = defaults_of("websockets.limits", LIMITS),
    history = HISTORY.default,
  }
end

-- Parses a channel pattern "chat:room:{roomId}" -> list of parameter names, or nil after
-- recording what is wrong and where.
local function channel_params(c, pattern, path)
  if pattern == "" then
    c:error(path, "a channel pattern cannot be empty: write e.g. \"chat:room:{roomId}\"")
    return nil
  end
  local params, seen, i, n = {}, {}, 1, #pattern
  while i <= n do
    local ch = pattern:sub(i, i)
    if ch == "{" then
      local close = pattern:find("}", i + 1, true)
      local name = close and pattern:sub(i + 1, close - 1)
      if not close then
        c:error(path, string.format("the '{' at character %d of %s is never closed: a parameter is {name}", i, show(pattern)))
        return nil
      elseif not name:match("^[%a_][%w_]*$") then
        c:error(path, string.format("bad parameter '{%s}' at character %d of %s: a parameter is {name}, "
          .. "a letter or _ followed by letters, digits or _", name, i, show(pattern)))
        return nil
      elseif seen[name] then
        c:error(path, string.format("the parameter {%s} appears twice in %s; give each parameter its own name", name, show(pattern)))
        return nil
      end
      seen[name] = true
      params[#params + 1] = name
      i = close + 1
    elseif ch == "}" then
      c:error(path, string.format("unexpected '}' at character %d of %s: a parameter is {name}", i, show(pattern)))
      return nil
    elseif ch:match("[%w_.:%-]") then
      i = i + 1
    else
      c:error(path, string.format("unexpected character %s at character %d of %s: channel patterns use letters, "
        .. "digits, '_', '-', '.', ':' and {parameters}", show(ch), i, show(pattern)))
      return nil
    end
  end
  return params
end

local function check_event_name(c, event, event_path, presence)
  if not event:match("^[%a][%w_.:%-]*$") then
    return c:error(event_path, string.format("%s is not a valid event name: a letter followed by letters, "
      .. "digits, '_', '-', '.' or ':'", show(event)))
  elseif presence and PRESENCE_EVENTS[event] then
    return c:error(event_path, string.format("%s is the event the server sends when a user %s a presence "
      .. "channel, so clients cannot publish it here; rename the event (e.g. \"%sRoom\") or drop presence = true",
      show(event), event == "join" and "joins" or "leaves", event))
  end
end

-- Options of a model field that mean nothing in a published payload, by spec key.
local PAYLOAD_REFUSED = {
  { "unique", "unique" }, { "index", "index" }, { "auto", "auto" }, { "default", "default" },
  { "belongs_to_model", "belongsTo" },
}

-- The fields of one event's payload, written like a model's: { { "name", "string", max = 80 } }
-- -> { fields = { IR field... } }, or nil after recording what is wrong.
local function check_payload(c, event, raw, path)
  if not c:is(raw, path, "table") then return nil end
  local seen, out = {}, {}
  for key in pairs(raw) do
    if math.type(key) ~= "integer" then
      c:error(sub(path, key), string.format("the payload of %s is a list of fields like { { \"name\", \"string\" } }, "
        .. "not a table with keys", show(event)))
      return nil
    end
  end
  for i, entry in ipairs(raw) do
    local field_path = sub(path, i)
    local spec = fields.read(c, entry, field_path)
    if spec then
      local ok = true
      if spec.type == "id" then
        c:error(fields.type_place(spec), string.format("a payload field cannot be an id ('%s'): ids belong to models; "
          .. "use \"int\" or \"string\" to carry one", spec.name))
        ok = false
      end
      for _, refused in ipairs(PAYLOAD_REFUSED) do
        local value = spec[refused[1]]
        if value ~= nil and value ~= false then
          c:error(sub(field_path, refused[2]), string.format("%s applies to model fields, not to the payload of %s; "
            .. "remove it", refused[2], show(event)))
          ok = false
        end
      end
      if seen[spec.name] then
        c:error(fields.name_place(spec), string.format("the field '%s' appears twice in the payload of %s (also [%d])",
          spec.name, show(event), seen[spec.name]))
        ok = false
      end
      seen[spec.name] = seen[spec.name] or i
      if ok then out[#out + 1] = ir.field(spec) end
    end
  end
  return { fields = out }
end

-- events = { "stopTyping", typing = { { "name", "string" } } }: names whose payload is any
-- JSON, and names with the fields their payload must have. -> the event names (listed ones
-- in order, then the others sorted) and { [event] = payload } for those with fields.
local function check_events(c, raw, path, presence)
  local keyed = false
  if type(raw) == "table" then
    for key in pairs(raw) do
      if math.type(key) ~= "integer" then keyed = true; break end
    end
  end
  if not keyed then
    local events = c:string_list(raw, path, function(event, event_path)
      return check_event_name(c, event, event_path, presence)
    end)
    return events, {}
  end
  if not c:is(raw, path, "table") then return nil, {} end
  local events, payloads, listed, ok = {}, {}, {}, true
  for i, event in ipairs(raw) do
    local event_path = sub(path, i)
    if not c:is(event, event_path, "string") or check_event_name(c, event, event_path, presence) == false then
      ok = false
    elseif listed[event] then
      ok = c:error(event_path, string.format("%s is listed twice", show(event)))
    else
      listed[event] = true
      events[#events + 1] = event
    end
  end
  local names = {}
  for key in pairs(raw) do
    if math.type(key) ~= "integer" then
      if type(key) ~= "string" then
        ok = c:error(path, string.format("%s is not an event name: events are names, or name = { payload fields }", show(key)))
      else
        names[#names + 1] = key
      end
    end
  end
  table.sort(names)
  for _, event in ipairs(names) do
    local event_path = sub(path, event)
    if check_event_name(c, event, event_path, presence) == false then
      ok = false
    elseif listed[event] then
      ok = c:error(event_path, string.format("%s is listed and also given payload fields; keep one", show(event)))
    else
      events[#events + 1] = event
      payloads[event] = check_payload(c, event, raw[event], event_path)
      if not payloads[event] then ok = false end
    end
  end
  return ok and events or nil, payloads
end

local function check_channel(c, pattern, raw, path, model_names)
  local params = channel_params(c, pattern, path)
  local first = pattern:match("^([^:]*)")
  for _, name in ipairs(model_names) do
    if first == name then
      c:error(path, string.format("the channel %s starts with the model name %s, whose channels are %s:list and "
        .. "%s:item:<id>; use another prefix", show(pattern), name, name, name))
      params = nil
    end
  end
  if not c:is(raw, path, "table") then return nil end
  c:keys(raw, path, CHANNEL_KEYS, "a channel")
  local channel = { pattern = pattern, params = params, permissions = {},
    presence = schema.default('websockets.pubsub.channels["<pattern>"]', "presence") }
  if raw.presence ~= nil and c:is(raw.presence, sub(path, "presence"), "boolean") then channel.presence = raw.presence end
  if raw.events == nil then
    c:error(path, "a channel needs the events clients may publish on it: events = { \"typing\" }")
  else
    channel.events, channel.payloads = check_events(c, raw.events, sub(path, "events"), channel.presence)
    if channel.events and #channel.events == 0 then
      c:error(sub(path, "events"), "a channel needs at least one event: events = { \"typing\" }")
    end
  end
  local permissions_path = sub(path, "permissions")
  local permissions = raw.permissions or {}
  if c:is(permissions, permissions_path, "table") then
    c:keys(permissions, permissions_path, CHANNEL_PERMISSION_KEYS, "channel permissions")
    for _, action in ipairs { "subscribe", "publish" } do
      local value = permissions[action]
      channel.permissions[action] = value == nil and require("ssot.rules").default()
        or c:rule(value, sub(permissions_path, action), { no_row = "a channel" })
    end
  end
  return channel
end

local function check_model_entry(c, name, raw, path, models, model_names)
  local model = models[name]
  if type(name) ~= "string" or not model then
    c:error(path, string.format("no model named %s%s", show(name),
      type(name) == "string" and check.suggest(name, model_names, "the models are") or ""))
    return nil
  end
  if raw == true then raw = {} end
  if not c:is(raw, path, "table") then return nil end
  c:keys(raw, path, MODEL_KEYS, "a realtime model")
  local realtime = {
    subscribe = {},   -- by default every channel and every change
    broadcast = {},
  }
  for _, v in ipairs(SUBSCRIBE) do realtime.subscribe[v] = true end
  for _, v in ipairs(BROADCAST) do realtime.broadcast[v] = true end
  if raw.subscribe ~= nil then
    realtime.subscribe = c:set_of(raw.subscribe, sub(path, "subscribe"), SUBSCRIBE, "subscribe value")
  end
  if raw.broadcast ~= nil then
    realtime.broadcast = c:set_of(raw.broadcast, sub(path, "broadcast"), BROADCAST, "broadcast value")
  end
  if raw.permissions ~= nil and c:is(raw.permissions, sub(path, "permissions"), "table") then
    c:keys(raw.permissions, sub(path, "permissions"), MODEL_PERMISSION_KEYS, "realtime permissions")
    if raw.permissions.subscribe ~= nil then
      realtime.permissions = {
        subscribe = c:rule(raw.permissions.subscribe, sub(path, "permissions", "subscribe"), { owner = model.owner }),
      }
    end
  end
  return realtime
end

local function check_path(c, value, path)
  if not c:is(value, path, "string") then return nil end
  if not value:match("^/[%w%-_./~]*$") then
    c:error(path, string.format("the WebSocket path %s must start with '/' and use letters, digits, '-', '_', '.' "
      .. "and '/'", show(value)))
  elseif value == "/api" or value:match("^/api/") or value == "/healthz" then
    c:error(path, string.format("the WebSocket path %s would clash with the REST API; use e.g. \"/ws\"", show(value)))
  else
    return value
  end
  return nil
end

-- check(c, raw, models, model_names) -> the IR websockets table; sets model.realtime on the
-- model specs the config names (only when websockets are enabled).
function M.check(c, raw, models, model_names)
  local ws = defaults()
  local path = { "websockets" }
  if raw == nil then return ws end
  if not c:is(raw, path, "table") then return ws end
  c:keys(raw, path, M.KEYS, "websockets")
  ws.enabled = true   -- a websockets section turns them on unless it says enabled = false
  if c:optional(raw.enabled, sub(path, "enabled"), "boolean") and raw.enabled ~= nil then ws.enabled = raw.enabled end
  if raw.path ~= nil then ws.path = check_path(c, raw.path, sub(path, "path")) or ws.path end

  local pubsub, pubsub_path = raw.pubsub, sub(path, "pubsub")
  if pubsub ~= nil and c:is(pubsub, pubsub_path, "table") then
    c:keys(pubsub, pubsub_path, PUBSUB_KEYS, "pubsub")
    local models_path = sub(pubsub_path, "models")
    if pubsub.models ~= nil and c:is(pubsub.models, models_path, "table") then
      for _, name in ipairs(check.sorted_keys(pubsub.models)) do
        local realtime = check_model_entry(c, name, pubsub.models[name], sub(models_path, name), models, model_names)
        if realtime and ws.enabled then models[name].realtime = realtime end
      end
    end
    local channels_path = sub(pubsub_path, "channels")
    if pubsub.channels ~= nil and c:is(pubsub.channels, channels_path, "table") then
      for _, pattern in ipairs(check.sorted_keys(pubsub.channels)) do
        local channel_path = sub(channels_path, pattern)
        if type(pattern) ~= "string" then
          c:error(channel_path, "channels are written as [\"pattern:{param}\"] = { events = { ... } }")
        else
          ws.channels[#ws.channels + 1] = check_channel(c, pattern, pubsub.channels[pattern], channel_path, model_names)
        end
      end
    end
  end

  c:options(raw.reconnect, sub(path, "reconnect"), "reconnect", RECONNECT, ws.reconnect)
  c:options(raw.batching, sub(path, "batching"), "batching", BATCHING, ws.batching)
  local limits_path = sub(path, "limits")
  c:options(raw.limits, limits_path, "websockets.limits", LIMITS, ws.limits)
  if ws.limits.send_queue < ws.limits.message_size then
    -- A message published at the size limit goes to every subscriber's queue: a smaller
    -- queue would disconnect them all (4008) for one legitimate message.
    c:error(sub(limits_path, raw.limits.sendQueue ~= nil and "sendQueue" or "messageSize"), string.format(
      "sendQueue (%d bytes) is smaller than messageSize (%d bytes): a message published at the size limit would not "
      .. "fit in its subscribers' send queues and would disconnect them; raise sendQueue to at least messageSize "
      .. "or lower messageSize", ws.limits.send_queue, ws.limits.message_size))
  end
  if raw.history ~= nil and c:integer(raw.history, sub(path, "history"), HISTORY.min, HISTORY.max, HISTORY.unit) then
    ws.history = raw.history
  end
  return ws
end

return M
