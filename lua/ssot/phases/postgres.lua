-- The built-in `postgres` phase: writes schema.postgres.sql, the PostgreSQL DDL of the models,
-- from the template sql/schema.postgres.sql.tpl and ssot.sql's postgres dialect. Off unless
-- the config sets targets.postgres = true.
local sql = require "ssot.sql"

return {
  name = "postgres",
  description = "PostgreSQL schema of the models (schema.postgres.sql)",
  should_run = function(ctx)
    return ctx.ir.targets.postgres == true, "targets.postgres = false"
  end,
  run = function(ctx)
    ctx.emit("schema.postgres.sql", ctx.render("sql/schema.postgres.sql.tpl", { ir = ctx.ir, sql = sql }))
  end,
}
