-- The WebSocket benchmark's app (bench/ws/run.mjs serves it with `ssot serve`): the HTTP
-- benchmark's Message model (bench/http/config.lua, which the peers' model mirrors) on the
-- realtime stream, plus a custom channel per room and an afterCreate hook publishing every
-- created message to its room — what bench/peers/common/realtime.js does for the peers.

name = "bench"
output = "generated"

models = {
  Message = {
    fields = {
      { "id", "id" },
      { "roomId", "int" },
      { "author", "string", max = 80 },
      { "text", "string", max = 2000 },
      { "kind", "enum", values = { "text", "image", "system" }, default = "text" },
      { "createdAt", "datetime", auto = "create" },
    },
    indexes = { { "roomId" } },
    permissions = {
      list = "true",
      get = "true",
      create = "true",
      update = "true",
      delete = "true",
    },
    hooks = {
      -- docs/protocol.md "Events": the event leaves once the create has committed
      afterCreate = function(row)
        ssot.publish("room:" .. row.roomId, "message", row)
      end,
    },
  },
}

websockets = {
  enabled = true,
  path = "/ws",
  pubsub = {
    models = {
      Message = { subscribe = { "list", "item" }, broadcast = { "created", "updated", "deleted" } },
    },
    channels = {
      ["room:{roomId}"] = { events = { "message" } },
    },
  },
}

serve = {
  port = 8080,
  database = "data/bench.db",
}
