-- The AsyncAPI 3.0.0 document of the WebSocket endpoint of `ssot serve` (docs/protocol.md) as
-- a Lua table: a `socket` channel carrying what clients send and the server's replies, one
-- channel per model channel and custom channel pattern carrying the events pushed on it, and
-- JWT auth. Rows use the row schema of ssot.openapi (one definition for both documents), error
-- codes and statuses the error table of ssot.facts, model names ssot.ts's plan; ssot.json's
-- markers keep arrays and key order. Encoded by the asyncapi phase.
local facts = require "ssot.facts"
local json = require "ssot.json"
local openapi = require "ssot.openapi"
local ts = require "ssot.ts"

local M = {}

-- The document describes the server, as AsyncAPI 3 documents describe their application:
-- what a client sends is a `receive` operation, what the server pushes a `send` operation.
local CLIENT_TYPES = { "auth", "subscribe", "unsubscribe", "publish", "request", "presence", "ping" }
local EVENT_KEYS = json.array { "type", "channel", "event", "data", "offset" }
local ACTIONS = json.array { "list", "get", "create", "update", "delete" }

local function ref(pointer) return { ["$ref"] = "#/" .. pointer } end

local function const(value) return { type = "string", const = value } end

-- An object schema whose properties are written in the order given (the payloads read like
-- the frames in docs/protocol.md); required lists the members always present.
local function object(properties, order, required, description)
  return json.object({
    type = "object", description = description,
    properties = json.object(properties, order),
    required = required and json.array(required) or nil,
  }, { "type", "description", "properties", "required" })
end

-- The `id` a client's message may carry and its reply echoes (client_message.c, read_id).
local MESSAGE_ID = {
  type = json.array { "string", "integer" }, maxLength = 64, pattern = "^[ -~]*$",
  description = "Echoed unchanged in the reply: a string of up to 64 printable ASCII characters, or an integer.",
}

local ANY = { description = "Any JSON value." }

-- A channel name in a client's message: the addresses of this document's channels, with
-- the parameters filled in.
local function channel_name(addresses)
  return { type = "string", minLength = 1, maxLength = 200,
    description = "A channel name: " .. (#addresses > 0 and table.concat(addresses, ", ") or "none is offered") .. "." }
end

local function error_statuses()
  local seen, statuses = {}, json.array {}
  for _, e in ipairs(facts.errors) do
    if not seen[e.status] then
      seen[e.status] = true
      statuses[#statuses + 1] = e.status
    end
  end
  return statuses
end

-- The messages of the socket channel: what clients send and the replies, one per `type`.
-- facts.errors already holds the socket's own codes (bad_request, payload_too_large,
-- rate_limited, too_many_subscriptions), so its codes are the whole enum.
local function control_messages(ir, addresses, custom_addresses)
  local any_channel, custom_channel = channel_name(addresses), channel_name(custom_addresses)
  local model_names = json.array {}
  for i, model in ipairs(ir.models) do model_names[i] = model.name end
  local function message(type_name, summary, properties, order, required)
    properties.type, properties.id = const(type_name), MESSAGE_ID
    table.insert(order, 1, "id")
    table.insert(order, 1, "type")
    table.insert(required, 1, "type")
    return { name = type_name, title = type_name, summary = summary, payload = object(properties, order, required) }
  end
  return {
    auth = message("auth", "Signs the connection in, or refreshes the token of the same user.",
      { token = { type = "string", minLength = 1, maxLength = 8192, description = "A JWT." } }, { "token" }, { "token" }),
    subscribe = message("subscribe", "Subscribes to a channel; the reply is subscribed (then any replayed events) or an error.",
      {
        channel = any_channel,
        since = object({
          epoch = { type = "string", description = "The stream's epoch, from subscribed or a REST list." },
          offset = { type = "integer", minimum = 0, description = "The offset of the last event applied." },
        }, { "epoch", "offset" }, { "epoch", "offset" },
          "Model channels: the position of the last event seen, to replay what came after it (Recovery)."),
      }, { "channel", "since" }, { "channel" }),
    unsubscribe = message("unsubscribe", "Ends a subscription; the reply is a response with data {channel}.",
      { channel = any_channel }, { "channel" }, { "channel" }),
    publish = message("publish", "Publishes an event on a custom channel; the reply is a response with data null.",
      {
        channel = custom_channel,
        event = { type = "string", minLength = 1, maxLength = 64, description = "One of the channel's events." },
        data = { description = "Any JSON value (null when absent)." },
      }, { "channel", "event", "data" }, { "channel", "event" }),
    request = message("request", "The REST API over the socket; the reply is a response with what the REST call answers.",
      {
        model = { type = "string", enum = model_names, description = "The model's name." },
        action = { type = "string", enum = ACTIONS },
        params = json.object({
          type = json.array { "object", "null" },
          description = "list: where, orderBy (JSON values, not strings), skip, take; get and delete: id; "
            .. "create: data; update: id, data and replace (true for PUT semantics).",
          properties = {
            where = { type = "object" }, orderBy = ANY,
            skip = { type = "integer", minimum = 0 }, take = { type = "integer", minimum = 1 },
            id = { type = json.array { "string", "integer" } }, data = { type = "object" }, replace = { type = "boolean" },
          },
        }, { "type", "description", "properties" }),
      }, { "model", "action", "params" }, { "model", "action" }),
    presence = message("presence", "Asks who is on a presence channel; the reply is a response with data {channel, users}.",
      { channel = custom_channel }, { "channel" }, { "channel" }),
    ping = message("ping", "Asks for a pong.", {}, {}, {}),
    subscribed = message("subscribed", "The reply to subscribe.", {
      channel = { type = "string" },
      epoch = { type = "string", description = "Model channels: the stream's epoch." },
      offset = { type = "integer", description = "Model channels: the position the subscription starts at." },
      recovered = { type = "boolean", description = "Model channels: whether since was replayed." },
      replayed = { type = "integer", minimum = 0, description = "Model channels: how many replayed events follow." },
      presence = { type = "array", items = { type = "string" },
        description = "Presence channels: the ids of the users there." },
    }, { "channel", "epoch", "offset", "recovered", "replayed", "presence" }, { "channel" }),
    response = message("response", "The reply to auth, unsubscribe, publish, request and presence.",
      { data = { description = "What the message asked for (see each message); null for publish and delete." } },
      { "data" }, { "data" }),
    error = message("error", "A failure: the reply to the message it names by id, or, without an id, to a "
      .. "message dropped or not read far enough to find one, a refused frame or an expired token.", {
      code = { type = "string", enum = json.array(facts.error_codes) },
      status = { type = "integer", enum = error_statuses() },
      message = { type = "string", description = "What was wrong." },
      fields = { type = "object", additionalProperties = { type = "string" },
        description = "validation_failed and conflict: field name -> what is wrong with it." },
      requestId = { type = "string", description = "The REST error's request id, when the REST handler produced it." },
    }, { "code", "status", "message", "fields", "requestId" }, { "code", "status", "message" }),
    pong = message("pong", "The reply to ping.", {}, {}, {}),
  }
end

-- The event a model channel carries: the frame with its row and stream offset.
local function model_event(m, event, channels)
  return {
    name = event,
    title = m.type .. " " .. event,
    summary = event == "deleted" and "A " .. m.type .. " was deleted; data is the row as it was."
      or "A " .. m.type .. " was " .. event .. "; data is the row " .. (event == "created" and "created." or "after the change."),
    payload = object({
      type = const("event"),
      channel = { type = "string", description = table.concat(channels, " or ") },
      event = const(event),
      data = ref("components/schemas/" .. m.type),
      offset = { type = "integer", description = "The change's offset in the " .. m.type
        .. " stream: apply an event only when it is greater than the last applied." },
    }, EVENT_KEYS, EVENT_KEYS),
  }
end

-- The events of a custom channel: what was published, and who published it.
local function custom_event(channel, event)
  local keys = { "type", "channel", "event", "data", "from" }
  return {
    name = event,
    title = channel.pattern .. " " .. event,
    payload = object({
      type = const("event"),
      channel = { type = "string", description = "A channel matching " .. channel.pattern .. "." },
      event = const(event),
      data = channel.payloads and channel.payloads[event]
        and openapi.payload_schema(channel.payloads[event].fields, "What was published: the event's declared fields.")
        or { description = "What was published: any JSON value." },
      from = { type = json.array { "string", "null" },
        description = "The publisher's user id; null for the server or an anonymous client." },
    }, keys, keys),
  }
end

local function presence_event(event)
  local keys = { "type", "channel", "event", "data" }
  return {
    name = event,
    title = event,
    summary = event == "join" and "A user's first connection subscribed to the presence channel."
      or "A user's last connection left the presence channel.",
    payload = object({
      type = const("event"),
      channel = { type = "string" },
      event = const(event),
      data = object({ userId = { type = "string" } }, { "userId" }, { "userId" }),
    }, keys, keys),
  }
end

-- A channel id (a key of `channels` and part of $refs): the address with ':' as '.' and
-- without braces, so that the $refs need no escaping.
local function channel_id(address)
  return (address:gsub("[{}]", ""):gsub(":", "."))
end

-- The host clients connect to: the configured one, localhost when the server listens on every
-- interface (no client connects to 0.0.0.0).
local function server_host(serve)
  local host = serve.host or "localhost"
  if host == "0.0.0.0" or host == "::" then host = "localhost" end
  if host:find(":", 1, true) then host = "[" .. host .. "]" end
  return host .. ":" .. (serve.port or 8080)
end

-- document(ir) -> the AsyncAPI document as a table for ssot.json.encode, or nil when the
-- config does not enable websockets (there is no endpoint to describe).
function M.document(ir)
  local ws = ir.websockets
  if not (ws and ws.enabled) then return nil end
  local plan = ts.plan(ir)
  local ids = ts.allocator()
  ids.reserve("socket")
  local channels, operations, schemas, messages = {}, {}, {}, {}
  local addresses, custom_addresses = {}, {}
  local cache = {}   -- IR field -> its value schemas, as openapi keeps one per document

  local function event_channel(id, address, description, parameters, channel_messages)
    channels[id] = {
      address = address, title = address, description = description,
      parameters = parameters, messages = channel_messages,
    }
    local list = {}
    for name in pairs(channel_messages) do list[#list + 1] = name end
    table.sort(list)
    for i, name in ipairs(list) do list[i] = ref("channels/" .. id .. "/messages/" .. name) end
    operations[id .. ".events"] = {
      action = "send", channel = ref("channels/" .. id), messages = json.array(list),
      summary = "The events pushed to the subscribers of " .. address .. ".",
    }
  end

  for _, m in ipairs(plan.models) do
    local rt = m.model.realtime
    if rt then
      local list_address, item_address = m.type .. ":list", m.type .. ":item:{id}"
      local kinds = {}
      if rt.subscribe.list then kinds[#kinds + 1] = list_address end
      if rt.subscribe.item then kinds[#kinds + 1] = m.type .. ":item:<id>" end
      local events = {}
      for _, event in ipairs { "created", "updated", "deleted" } do
        if rt.broadcast[event] and #kinds > 0 then
          local name = m.type .. "." .. event
          messages[name] = model_event(m, event, kinds)
          events[event] = ref("components/messages/" .. name)
        end
      end
      if #kinds > 0 then schemas[m.type] = openapi.row_schema(m, cache) end
      if rt.subscribe.list then
        addresses[#addresses + 1] = list_address
        event_channel(ids.take(channel_id(list_address), m.type .. ".listChannel"), list_address,
          "Every change of the " .. m.type .. " rows the subscriber may see.", nil, events)
      end
      if rt.subscribe.item then
        addresses[#addresses + 1] = m.type .. ":item:<id>"
        local id_kind = m.model.primary_key.id_kind == "uuid" and "a UUID in lowercase"
          or "an integer in decimal, without sign or leading zeros"
        event_channel(ids.take(channel_id(item_address), m.type .. ".itemChannel"), item_address,
          "The changes of one " .. m.type .. " row.",
          { id = { description = "The row's " .. m.id_field .. ", written as the server writes it: " .. id_kind .. "." } },
          events)
      end
    end
  end

  local presence = false
  for _, channel in ipairs(ws.channels) do
    addresses[#addresses + 1] = channel.pattern
    custom_addresses[#custom_addresses + 1] = channel.pattern
    local parameters
    if #channel.params > 0 then
      parameters = json.object({}, channel.params)   -- in the pattern's order
      for _, param in ipairs(channel.params) do
        parameters[param] = { description = "One or more ASCII letters, digits or _-.~@+= (never ':')." }
      end
    end
    local channel_messages = {}
    for _, event in ipairs(channel.events) do channel_messages[event] = custom_event(channel, event) end
    if channel.presence then
      presence = true
      channel_messages.join, channel_messages.leave = ref("components/messages/join"), ref("components/messages/leave")
    end
    local id = ids.take(channel_id(channel.pattern), channel_id(channel.pattern) .. ".channel")
    event_channel(id, channel.pattern, "A custom channel: what clients (publish) and the server (ssot.publish) "
      .. "publish on it" .. (channel.presence and ", and join and leave as users come and go" or "") .. ".",
      parameters, channel_messages)
  end
  if presence then
    messages.join, messages.leave = presence_event("join"), presence_event("leave")
  end

  -- The socket channel: the endpoint itself, carrying every client message and reply.
  local socket_messages = {}
  for name, message in pairs(control_messages(ir, addresses, custom_addresses)) do
    messages[name] = message
    socket_messages[name] = ref("components/messages/" .. name)
  end
  channels.socket = {
    address = ws.path,
    title = "The WebSocket endpoint",
    description = "Every frame is JSON text: what clients send, and the replies to it. A reply carries the id of "
      .. "the message it answers.",
    messages = socket_messages,
    bindings = { ws = {
      method = "GET",
      query = object({ token = { type = "string", description = "A JWT (browsers); other clients may send "
        .. "Authorization: Bearer instead. Without one the connection is anonymous." } }, { "token" }),
      bindingVersion = "0.1.0",
    } },
  }
  local function socket_ref(name) return ref("channels/socket/messages/" .. name) end
  local REPLIES = {
    auth = "response", subscribe = "subscribed", unsubscribe = "response", publish = "response",
    request = "response", presence = "response", ping = "pong",
  }
  for _, name in ipairs(CLIENT_TYPES) do
    operations[name] = {
      action = "receive",
      channel = ref("channels/socket"),
      summary = messages[name].summary,
      messages = json.array { socket_ref(name) },
      reply = { channel = ref("channels/socket"), messages = json.array { socket_ref(REPLIES[name]), socket_ref("error") } },
    }
  end
  operations.error = {
    action = "send", channel = ref("channels/socket"), messages = json.array { socket_ref("error") },
    summary = "An error that answers no message by id: a dropped (rate_limited) or unreadable message, a refused "
      .. "frame (before the close) or an expired token (before the close with 4401).",
  }

  local batching = ws.batching and ws.batching.enabled
  local port = ir.serve and ir.serve.port or 8080
  local secret = (ir.auth and ir.auth.secret_env) or "SSOT_JWT_SECRET"
  return json.object({
    asyncapi = "3.0.0",
    info = {
      title = ir.name,
      version = ir.hash,
      description = "The WebSocket API of " .. ir.name .. " (the realtime protocol of ssot serve). Generated by "
        .. "ssot from " .. ir.source_name .. " — do not edit. The operations are the server's: it receives what "
        .. "clients send on the socket channel and replies there, and sends events on the channels a client "
        .. "subscribed to. Every channel travels over the one WebSocket; a channel's address is the channel "
        .. "member of its frames."
        .. (batching and " Events are batched: a frame may hold a JSON array of events instead of one." or ""),
    },
    servers = {
      serve = {
        host = server_host(ir.serve or {}), pathname = ws.path, protocol = "ws",
        description = "ssot serve, on the REST API's port (" .. port .. " in the config).",
        security = json.array { ref("components/securitySchemes/token"), ref("components/securitySchemes/bearer") },
      },
    },
    defaultContentType = "application/json",
    channels = channels,
    operations = operations,
    components = {
      schemas = next(schemas) and schemas or nil,
      messages = messages,
      securitySchemes = {
        token = { type = "httpApiKey", name = "token", ["in"] = "query",
          description = "A JWT (HS256) signed with the secret in $" .. secret .. ", in the query (browsers)." },
        bearer = { type = "http", scheme = "bearer", bearerFormat = "JWT",
          description = "The same JWT in the Authorization header (other clients)." },
      },
    },
  }, { "asyncapi", "info", "servers", "defaultContentType", "channels", "operations", "components" })
end

return M
