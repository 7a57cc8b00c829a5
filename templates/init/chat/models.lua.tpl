%# The chat preset's models: profiles, rooms and messages. With auth, a profile and a message
%# belong to the token's user (owner); without, everything is open and a message names its author.
models = {
% if auth then
  -- A person's profile. accountId is the id in their token, filled in by the server on
  -- create, so each signed-in user makes (and changes) only their own profile.
% else
  -- A person's profile.
% end
  User = {
% if auth then
    owner = "accountId",
% end
    fields = {
      { "id", "id" },
% if auth then
      { "accountId", "string", max = 200, unique = true },
% end
      { "name", "string", max = 80 },
      { "createdAt", "datetime", auto = "create" },
    },
    permissions = {
% if auth then
      list = "authenticated", get = "authenticated",
      create = "authenticated",
      update = "isOwner || isAdmin", delete = "isOwner || isAdmin",
% else
      list = "true", get = "true", create = "true", update = "true", delete = "true",
% end
    },
  },

  -- A room people talk in; deleting it deletes its messages (onDelete below).
  Room = {
    fields = {
      { "id", "id" },
      { "title", "string", max = 120 },
      { "topic", "text", optional = true },
      { "createdAt", "datetime", auto = "create" },
    },
    hasMany = { messages = "Message" },
    permissions = {
% if auth then
      list = "authenticated", get = "authenticated",
      create = "authenticated",
      update = "isAdmin", delete = "isAdmin",
% else
      list = "true", get = "true", create = "true", update = "true", delete = "true",
% end
    },
  },

% if auth then
  -- A message in a room. The server fills authorId from the sender's token; only the
  -- author (or an admin) may edit or delete it.
% else
  -- A message in a room, signed with the name its author typed.
% end
  Message = {
% if auth then
    owner = "authorId",
% end
    fields = {
      { "id", "id" },
      { "roomId", "int", belongsTo = "Room", onDelete = "cascade" },
% if auth then
      { "authorId", "string", max = 200 },
% else
      { "authorName", "string", max = 80 },
% end
      { "text", "string", max = 2000 },
      { "createdAt", "datetime", auto = "create" },
      { "updatedAt", "datetime", auto = "update" },
    },
    indexes = { { "roomId", "createdAt" } },   -- a room's messages in order, fast
    permissions = {
% if auth then
      list = "authenticated", get = "authenticated",
      create = "authenticated",
      update = "isOwner || isAdmin", delete = "isOwner || isAdmin",
% else
      list = "true", get = "true", create = "true", update = "true", delete = "true",
% end
    },
  },
}
