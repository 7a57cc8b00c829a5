%# The todo preset's model: per-user tasks (owner + isOwner). Without auth, tasks belong to
%# nobody and the rules are open.
models = {
% if auth then
  -- A task of one user. The server fills ownerId from the caller's token on create, and the
  -- rules let each user list, read and change exactly their own tasks.
% else
  -- A task. Auth is off, so tasks belong to nobody: everyone sees and changes all of them.
% end
  Task = {
% if auth then
    owner = "ownerId",
% end
    fields = {
      { "id", "id" },
      { "title", "string", max = 200 },
      { "notes", "text", optional = true },
      { "done", "bool", default = false },
      { "due", "datetime", optional = true },
% if auth then
      { "ownerId", "string", max = 200, index = true },
% end
      { "createdAt", "datetime", auto = "create" },
      { "updatedAt", "datetime", auto = "update" },
    },
    permissions = {
% if auth then
      list = "isOwner",           -- a list holds only the caller's own tasks
      get = "isOwner",
      create = "authenticated",   -- any signed-in user; the new task is theirs
      update = "isOwner",
      delete = "isOwner || isAdmin",
% else
      list = "true", get = "true", create = "true", update = "true", delete = "true",
% end
    },
  },
}
