-- The chat example: rooms, messages with live updates, typing indicators.
-- `ssot run examples/chat/config.lua` generates the SDK, docs and SQL under generated/;
-- `ssot serve examples/chat/config.lua` serves it, and the front end of web/ once built (README.md).

name = "chat"
output = "generated"

auth = {
  secretEnv = "SSOT_JWT_SECRET",   -- HS256 secret, read from this environment variable
}

models = {
  User = {
    fields = {
      { "id", "id" },
      { "name", "string", max = 80 },
      { "email", "string", max = 200, unique = true },
      { "role", "enum", values = { "member", "admin" }, default = "member" },
      { "createdAt", "datetime", auto = "create" },
    },
    permissions = {
      list = "authenticated",
      get = "authenticated",
      create = "isAdmin",
      update = "isAdmin",
      delete = "isAdmin",
    },
  },

  Room = {
    fields = {
      { "id", "id" },
      { "title", "string", max = 120 },
      { "topic", "text", optional = true },
      { "isPrivate", "bool", default = false },
      { "createdAt", "datetime", auto = "create" },
    },
    hasMany = { messages = "Message" },
    permissions = {
      list = "true",
      get = "true",
      create = "authenticated",
      update = "isAdmin",
      delete = "isAdmin",
    },
  },

  Message = {
    owner = "authorId",
    fields = {
      { "id", "id" },
      { "roomId", "int", belongsTo = "Room", onDelete = "cascade" },
      { "authorId", "int", belongsTo = "User" },
      { "text", "string", max = 2000 },
      { "kind", "enum", values = { "text", "image", "system" }, default = "text" },
      { "attachments", "json", optional = true },
      { "editedAt", "datetime", optional = true },
      { "createdAt", "datetime", auto = "create" },
      { "updatedAt", "datetime", auto = "update" },
    },
    indexes = { { "roomId", "createdAt" } },
    permissions = {
      list = "true",
      get = "true",
      create = "authenticated",
      update = "isOwner || isAdmin",
      delete = "isOwner || isAdmin",
    },
  },
}

websockets = {
  enabled = true,
  path = "/ws",
  pubsub = {
    models = {
      Message = { subscribe = { "list", "item" }, broadcast = { "created", "updated", "deleted" } },
      Room = { subscribe = { "list" }, broadcast = { "created", "updated", "deleted" } },
    },
    channels = {
      ["chat:room:{roomId}"] = {
        -- typing carries who types (the server checks it); stopTyping any JSON, or none
        events = { "stopTyping", typing = { { "name", "string", max = 80 } } },
        permissions = { subscribe = "authenticated", publish = "authenticated" },
        presence = true,                            -- a room shows who is there
      },
    },
  },
  reconnect = { maxAttempts = 10, backoff = "exponential", baseDelay = 500 },
  batching = { enabled = true, flushInterval = 16, maxBatchSize = 100 },
}

serve = {
  port = 8080,
  database = "data/chat.db",
  static = "web/dist",   -- the front end (web/, README.md): `npx vite build examples/chat/web` fills it
}
