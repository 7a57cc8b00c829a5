-- Specs for ssot.asyncapi: the AsyncAPI document of the WebSocket endpoint built from the IR
-- (channels per model and subscribe kind, custom channels with their parameters and presence,
-- operations, the error codes of ssot.facts, the rows shared with ssot.openapi), and the
-- asyncapi phase's switches. The document's validity is checked by tests/node/asyncapi.test.mjs.
local asyncapi = require "ssot.asyncapi"
local config = require "ssot.config"
local facts = require "ssot.facts"
local json = require "ssot.json"
local openapi = require "ssot.openapi"
local phase = require "ssot.phases.asyncapi"
local support = require "config_support"

local CHAT = support.source_dir .. "/examples/chat/config.lua"
local EVERYTHING = support.source_dir .. "/tests/fixtures/configs/everything.lua"

local function sorted_keys(t)
  local keys = {}
  for k in pairs(t or {}) do keys[#keys + 1] = k end
  table.sort(keys)
  return keys
end

-- The documents as JSON would give them back (markers and shared tables gone).
local function plain(doc) return json.decode(json.encode(doc)) end

describe("ssot.asyncapi", function()
  local chat_ir, chat, every
  setup(function()
    chat_ir = config.load(CHAT)
    chat = asyncapi.document(chat_ir)
    every = asyncapi.document(config.load(EVERYTHING))
  end)

  it("is an AsyncAPI 3.0.0 document of the ws server at the configured host, port and path", function()
    assert.are.equal("3.0.0", chat.asyncapi)
    assert.are.equal("chat", chat.info.title)
    assert.are.equal(chat_ir.hash, chat.info.version)
    assert.are.equal("application/json", chat.defaultContentType)
    local server = chat.servers.serve
    assert.are.same({ "localhost:8080", "/ws", "ws" }, { server.host, server.pathname, server.protocol })
    assert.are.same({ "127.0.0.1:8099", "/realtime" }, { every.servers.serve.host, every.servers.serve.pathname })
    assert.are.same({ { ["$ref"] = "#/components/securitySchemes/token" }, { ["$ref"] = "#/components/securitySchemes/bearer" } },
      plain(server.security))
    assert.are.same({ "query", "token" }, { chat.components.securitySchemes.token["in"], chat.components.securitySchemes.token.name })
    assert.are.equal("bearer", chat.components.securitySchemes.bearer.scheme)
  end)

  it("has one channel per model and subscribe kind, with the events the model broadcasts", function()
    assert.are.same({ "Message.item.id", "Message.list", "Room.list", "RoomMember.list", "chat.room.roomId", "socket" },
      sorted_keys(chat.channels))
    assert.are.same({ "created", "deleted" }, sorted_keys(chat.channels["RoomMember.list"].messages))
    assert.are.equal("Message:list", chat.channels["Message.list"].address)
    assert.are.equal("Message:item:{id}", chat.channels["Message.item.id"].address)
    assert.are.same({ "id" }, sorted_keys(chat.channels["Message.item.id"].parameters))
    assert.is_nil(chat.channels["Message.list"].parameters)
    assert.are.same({ "created", "deleted", "updated" }, sorted_keys(chat.channels["Message.list"].messages))
    -- everything: Comment offers its list only and broadcasts created and deleted; User of chat offers nothing
    assert.is_nil(every.channels["Comment.item.id"])
    assert.are.same({ "created", "deleted" }, sorted_keys(every.channels["Comment.list"].messages))
    for id in pairs(chat.channels) do assert.is_nil(id:match("^User")) end
  end)

  it("gives an event the frame of docs/protocol.md with data the model's row", function()
    local created = chat.components.messages["Message.created"]
    assert.are.same({ ["$ref"] = "#/components/messages/Message.created" }, chat.channels["Message.item.id"].messages.created)
    local payload = plain(created.payload)
    assert.are.same({ "type", "channel", "event", "data", "offset" }, payload.required)
    assert.are.same({ type = "string", const = "created" }, payload.properties.event)
    assert.are.same({ ["$ref"] = "#/components/schemas/Message" }, payload.properties.data)
  end)

  it("describes custom channels: the pattern, its parameters in order, its events, join and leave with presence", function()
    local room = chat.channels["chat.room.roomId"]
    assert.are.equal("chat:room:{roomId}", room.address)
    assert.are.same({ "roomId" }, sorted_keys(room.parameters))
    assert.are.same({ "join", "leave", "stopTyping", "typing" }, sorted_keys(room.messages))
    assert.are.same({ ["$ref"] = "#/components/messages/join" }, room.messages.join)
    local typing = plain(room.messages.typing.payload)
    assert.are.same({ "string", "null" }, typing.properties.from.type)
    assert.are.same({ "userId" }, plain(chat.components.messages.join.payload).properties.data.required)

    local two = every.channels["presence.roomId.personId"]
    assert.are.equal("presence:{roomId}:{personId}", two.address)
    assert.are.equal('{"roomId":{},"personId":{}}', json.encode(two.parameters):gsub('"description":"[^"]*"', ""),
      "the parameters in the pattern's order")
    -- no presence: its own events named join and leave are what clients publish, not presence events
    assert.are.equal("join", two.messages.join.name)
    assert.is_nil(two.messages.join["$ref"])
    assert.is_nil(every.channels.announcements.parameters)
    assert.are.same({ "join", "leave", "stopTyping", "typing" }, sorted_keys(every.channels["post.postId.typing"].messages))
  end)

  it("has a receive operation per client message with its reply, and a send operation per event channel", function()
    local ops = chat.operations
    assert.are.same({ "Message.item.id.events", "Message.list.events", "Room.list.events", "RoomMember.list.events", "auth",
      "chat.room.roomId.events", "error", "ping", "presence", "publish", "request", "subscribe", "unsubscribe" },
      sorted_keys(ops))
    local subscribe = plain(ops.subscribe)
    assert.are.equal("receive", subscribe.action)
    assert.are.same({ ["$ref"] = "#/channels/socket" }, subscribe.channel)
    assert.are.same({ { ["$ref"] = "#/channels/socket/messages/subscribe" } }, subscribe.messages)
    assert.are.same({ { ["$ref"] = "#/channels/socket/messages/subscribed" }, { ["$ref"] = "#/channels/socket/messages/error" } },
      subscribe.reply.messages)
    assert.are.same({ { ["$ref"] = "#/channels/socket/messages/pong" }, { ["$ref"] = "#/channels/socket/messages/error" } },
      plain(ops.ping).reply.messages)
    local events = plain(ops["chat.room.roomId.events"])
    assert.are.equal("send", events.action)
    assert.are.same({ ["$ref"] = "#/channels/chat.room.roomId" }, events.channel)
    assert.are.equal(4, #events.messages)
    assert.are.equal("send", ops.error.action)
  end)

  it("enumerates every error code and status of the error table, the socket's own codes included", function()
    local error_payload = plain(chat.components.messages.error.payload)
    assert.are.same(facts.error_codes, error_payload.properties.code.enum)
    for _, code in ipairs { "bad_request", "payload_too_large", "rate_limited", "too_many_subscriptions" } do
      assert.is_truthy(table.concat(error_payload.properties.code.enum, " "):find(code, 1, true), code)
    end
    local statuses = {}
    for _, status in ipairs(error_payload.properties.status.enum) do statuses[status] = true end
    for _, e in ipairs(facts.errors) do assert.is_true(statuses[e.status], e.kind) end
    assert.are.same({ "type", "code", "status", "message" }, error_payload.required)
  end)

  it("shares the row schemas with openapi.json", function()
    local rest = plain(openapi.document(chat_ir))
    local doc = plain(chat)
    assert.are.same({ "Message", "Room", "RoomMember" }, sorted_keys(doc.components.schemas))
    for name, schema in pairs(doc.components.schemas) do
      assert.are.same(rest.components.schemas[name], schema, name)
    end
  end)

  it("is the same bytes every time", function()
    assert.are.equal(json.encode(chat, { indent = 2 }), json.encode(asyncapi.document(config.load(CHAT)), { indent = 2 }))
  end)

  it("has no document, and the phase does not run, without websockets", function()
    local ir = support.load('models = { Note = { fields = { { "id", "id" } } } }\n')
    assert.is_false(ir.websockets.enabled)
    assert.is_nil(asyncapi.document(ir))
    assert.are.same({ false, "websockets.enabled = false" }, { phase.should_run({ ir = ir }) })
    assert.is_true((phase.should_run({ ir = chat_ir })))
    local off = support.load('targets = { asyncapi = false }\nwebsockets = { enabled = true }\n'
      .. 'models = { Note = { fields = { { "id", "id" } } } }\n')
    assert.are.same({ false, "targets.asyncapi = false" }, { phase.should_run({ ir = off }) })
  end)
end)
