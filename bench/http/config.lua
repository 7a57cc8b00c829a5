-- The HTTP benchmark's app (bench/http/run.mjs serves it with `ssot serve`): one Message model
-- shaped like the peers' in bench/peers/common/model.js, open permissions, no auth, the model
-- on the realtime stream. Keep the two in step: the harness compares the resulting schemas.

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
  },
}

websockets = {
  enabled = true,
  pubsub = {
    models = {
      Message = { subscribe = { "list", "item" }, broadcast = { "created", "updated", "deleted" } },
    },
  },
}

serve = {
  port = 8080,
  database = "data/bench.db",
}
