-- The built-in `react` phase: writes react/ (provider, query keys, cache updates, query and
-- mutation options, generic hooks and the per-model hooks of models.ts, on TanStack Query v5;
-- with websockets, live lists and rows and the channel, presence and connection hooks) from
-- templates/react.
local ts = require "ssot.ts"

local FILES = { "cache.ts", "context.ts", "hooks.ts", "index.ts", "keys.ts", "models.ts", "options.ts" }
-- Only with websockets.enabled: live lists and rows, channel, presence and connection hooks.
local REALTIME_FILES = { "live.ts", "realtime.ts" }

return {
  name = "react",
  description = "React hooks on TanStack Query (react/)",
  after = { "sdk-index" },
  should_run = function(ctx)
    -- The hooks are built on the SDK; validation rejects react = true with sdk = false.
    return ctx.ir.targets.react == true, "targets.react = false"
  end,
  run = function(ctx)
    local plan = ts.plan(ctx.ir)
    local vars = { ir = ctx.ir, plan = plan, ts = ts }
    local function emit(file)
      ctx.emit("react/" .. file, ctx.render("react/" .. file .. ".tpl", vars))
    end
    for _, file in ipairs(FILES) do emit(file) end
    if ctx.ir.websockets.enabled then
      for _, file in ipairs(REALTIME_FILES) do emit(file) end
    end
  end,
}
