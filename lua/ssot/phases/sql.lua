-- The built-in `sql` phase: writes schema.sql, the SQLite DDL of the models, from the
-- template sql/schema.sql.tpl and the DDL functions of ssot.sql.
local sql = require "ssot.sql"

return {
  name = "sql",
  description = "SQLite schema of the models (schema.sql)",
  should_run = function(ctx)
    return ctx.ir.targets.sql == true, "targets.sql = false"
  end,
  run = function(ctx)
    ctx.emit("schema.sql", ctx.render("sql/schema.sql.tpl", { ir = ctx.ir, sql = sql }))
  end,
}
