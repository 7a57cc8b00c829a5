-- The built-in `sdk-index` phase: writes sdk/index.ts (createClient, the model map, the
-- schema hash, every export) from templates/sdk/index.ts.tpl and the plan of ssot.ts.
local ts = require "ssot.ts"

return {
  name = "sdk-index",
  description = "TypeScript SDK entry point (sdk/index.ts)",
  after = { "sdk-models" },
  should_run = function(ctx)
    return ctx.ir.targets.sdk == true, "targets.sdk = false"
  end,
  run = function(ctx)
    ctx.emit("sdk/index.ts", ctx.render("sdk/index.ts.tpl", { ir = ctx.ir, plan = ts.plan(ctx.ir), ts = ts }))
  end,
}
