%# The notifications preset's model: per-user notifications (owner + isOwner), meant to be
%# followed live (websockets.pubsub.models.Notification).
models = {
% if auth then
  -- A notification for one user. userId is the id in the token that created it: your backend
  -- creates a notification for a user with a token for that user (it holds the secret:
  -- `ssot token --sub <user id>`, or any JWT signed with it). The rules let each user see,
  -- mark read and delete only their own; live subscribers get only theirs too.
% else
  -- A notification for one user, named by userId. Auth is off, so anyone may read anyone's:
  -- clients ask for theirs with where: { userId }.
% end
  Notification = {
% if auth then
    owner = "userId",
% end
    fields = {
      { "id", "id" },
      { "userId", "string", max = 200, index = true },
      { "kind", "enum", values = { "info", "success", "warning", "error" }, default = "info" },
      { "title", "string", max = 200 },
      { "body", "text", optional = true },
      { "link", "string", max = 2000, optional = true },
      { "read", "bool", default = false },
      { "createdAt", "datetime", auto = "create" },
    },
    permissions = {
% if auth then
      list = "isOwner", get = "isOwner",
      create = "authenticated",   -- for the token's user
      update = "isOwner",         -- mark it read
      delete = "isOwner || isAdmin",
% else
      list = "true", get = "true", create = "true", update = "true", delete = "true",
% end
    },
  },
}
