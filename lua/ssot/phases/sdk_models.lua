-- The built-in `sdk-models` phase: writes sdk/models/<model>.ts (row, create/update inputs,
-- list parameters and client type of each model) from templates/sdk/model.ts.tpl and the
-- names and types of ssot.ts.
local ts = require "ssot.ts"

return {
  name = "sdk-models",
  description = "TypeScript types and clients of the models (sdk/models/)",
  after = { "sdk-runtime" },
  should_run = function(ctx)
    return ctx.ir.targets.sdk == true, "targets.sdk = false"
  end,
  run = function(ctx)
    local plan = ts.plan(ctx.ir)
    for _, m in ipairs(plan.models) do
      ctx.emit("sdk/models/" .. m.file .. ".ts",
        ctx.render("sdk/model.ts.tpl", { ir = ctx.ir, m = m, ts = ts }))
    end
  end,
}
