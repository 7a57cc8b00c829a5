-- The chat example: rooms (public, or private to their members), messages with live updates,
-- typing indicators and presence.
-- `ssot run examples/chat/config.lua` generates the SDK, docs and SQL under generated/;
-- `ssot serve examples/chat/config.lua` serves it, and the front end of web/ once built (README.md).

name = "chat"
output = "generated"

-- Who sees a room, and so its messages, members, typing and presence: a public room everyone,
-- a private one its creator, its members and admins. Rules call these with the row they
-- decide on; ssot.get / ssot.list read through the same store (docs/auth.md, "Rules that look
-- at other rows").
local function canSeeRoom(user, room)
  if not room.isPrivate then return true end
  if user == nil then return false end
  if user.isAdmin or room.createdBy == user.id then return true end
  return ssot.list("RoomMember", { where = { roomId = room.id, userId = user.id }, take = 1 }).total > 0
end

local function canSeeRoomId(user, roomId)
  local room = ssot.get("Room", roomId)
  return room ~= nil and canSeeRoom(user, room)
end

-- A room's creator (or an admin) decides who is in it.
local function managesRoom(user, roomId)
  if user == nil then return false end
  if user.isAdmin then return true end
  local room = ssot.get("Room", roomId)
  return room ~= nil and room.createdBy == user.id
end

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
    owner = "createdBy",            -- filled from the token on create
    fields = {
      { "id", "id" },
      { "title", "string", max = 120 },
      { "topic", "text", optional = true },
      { "isPrivate", "bool", default = false },
      { "createdBy", "int", belongsTo = "User", as = "creator" },
      { "createdAt", "datetime", auto = "create" },
    },
    hasMany = { messages = "Message", members = "RoomMember" },
    permissions = {
      list = canSeeRoom,
      get = canSeeRoom,
      create = "authenticated",
      update = "isOwner || isAdmin",
      delete = "isOwner || isAdmin",
    },
  },

  -- Who is in a private room besides its creator.
  RoomMember = {
    fields = {
      { "id", "id" },
      { "roomId", "int", belongsTo = "Room", onDelete = "cascade" },
      { "userId", "int", belongsTo = "User", onDelete = "cascade" },
      { "createdAt", "datetime", auto = "create" },
    },
    indexes = { { "roomId", "userId", unique = true } },
    permissions = {
      -- one's own memberships always: so the event of being taken out reaches the one taken out
      list = function(user, row) return (user ~= nil and row.userId == user.id) or canSeeRoomId(user, row.roomId) end,
      get = function(user, row) return (user ~= nil and row.userId == user.id) or canSeeRoomId(user, row.roomId) end,
      create = function(user, row) return managesRoom(user, row.roomId) end,
      update = "false",
      -- a member leaves, or the room's creator takes them out
      delete = function(user, row)
        return user ~= nil and (row.userId == user.id or managesRoom(user, row.roomId))
      end,
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
      list = function(user, row) return canSeeRoomId(user, row.roomId) end,
      get = function(user, row) return canSeeRoomId(user, row.roomId) end,
      create = function(user, row) return user ~= nil and canSeeRoomId(user, row.roomId) end,
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
      -- a user added to a private room learns of it here (the room itself did not change)
      RoomMember = { subscribe = { "list" }, broadcast = { "created", "deleted" } },
    },
    channels = {
      ["chat:room:{roomId}"] = {
        -- typing carries who types (the server checks it); stopTyping any JSON, or none
        events = { "stopTyping", typing = { { "name", "string", max = 80 } } },
        permissions = {
          subscribe = function(user, params) return user ~= nil and canSeeRoomId(user, params.roomId) end,
          publish = function(user, params) return user ~= nil and canSeeRoomId(user, params.roomId) end,
        },
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
