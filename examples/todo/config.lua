-- The todo example: per-user tasks (the model of `ssot init --preset todo`), live across a
-- user's open windows. `ssot run examples/todo/config.lua` generates the SDK and hooks under
-- generated/; `ssot serve examples/todo/config.lua` serves them and the front end of web/ (README.md).

name = "todo"
output = "generated"

-- Who is asking: a JWT (Authorization: Bearer, or the WebSocket's token) signed with the HS256
-- secret in $SSOT_JWT_SECRET; without it, in development, `ssot serve` makes one beside the
-- database and `ssot token --config examples/todo/config.lua` signs with the same.
auth = {
  secretEnv = "SSOT_JWT_SECRET",
}

models = {
  -- A task of one user. The server fills ownerId from the caller's token (its sub) on create
  -- and refuses it in a body, so nobody can make a task for someone else.
  Task = {
    owner = "ownerId",
    fields = {
      { "id", "id" },
      { "title", "string", max = 200 },
      { "notes", "text", optional = true },
      { "done", "bool", default = false },
      { "due", "datetime", optional = true },
      { "ownerId", "string", max = 200, index = true },   -- every list filters on it
      { "createdAt", "datetime", auto = "create" },
      { "updatedAt", "datetime", auto = "update" },
    },
    permissions = {
      -- A list rule also filters: GET /api/tasks, and the Task:list channel, hold only the
      -- caller's own tasks, admins included (as in the preset), so no one's page shows another's.
      list = "isOwner",
      get = "isOwner",
      create = "authenticated",   -- any signed-in user; the new task is theirs
      update = "isOwner",
      delete = "isOwner || isAdmin",   -- an admin may clear out anyone's task by its id
    },
  },
}

-- Real time: the page subscribes to Task:list over one WebSocket on /ws, and every committed
-- change the list rule lets a user see reaches each of their windows; the hooks apply it to the
-- cached list, so a task added, ticked or deleted in one window shows in the others without a
-- reload. Another user's changes never reach them (the rule is checked per event).
websockets = {
  enabled = true,
  path = "/ws",
  pubsub = {
    models = {
      Task = true,   -- its list and its rows: every create, update and delete
    },
  },
  reconnect = { maxAttempts = 10, backoff = "exponential", baseDelay = 500 },
}

serve = {
  port = 8080,
  database = "data/todo.db",   -- SQLite, made on the first start; data/ is in .gitignore
  static = "web/dist",         -- the front end (web/, README.md): `npx vite build examples/todo/web` fills it
}
