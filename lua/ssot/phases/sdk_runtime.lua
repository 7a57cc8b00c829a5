-- The built-in `sdk-runtime` phase: writes sdk/runtime/*.ts, the client runtime (HTTP
-- transport, errors, query encoding, DataClient and, with websockets enabled, the WebSocket
-- transport, the hybrid client, custom channels and live lists), from templates/sdk/runtime;
-- the error codes come from ssot.facts.
local facts = require "ssot.facts"

local FILES = {
  "client.ts", "errors.ts", "http.ts", "index.ts", "json.ts", "query.ts", "retry.ts",
  "schema-check.ts", "transport.ts",
}
-- Only with websockets.enabled: without them the SDK has no realtime code at all.
local REALTIME_FILES = { "channels.ts", "hybrid-client.ts", "live-list.ts", "websocket-transport.ts" }

return {
  name = "sdk-runtime",
  description = "TypeScript SDK runtime (sdk/runtime/)",
  should_run = function(ctx)
    return ctx.ir.targets.sdk == true, "targets.sdk = false"
  end,
  run = function(ctx)
    local vars = { ir = ctx.ir, facts = facts }
    local function emit(file)
      ctx.emit("sdk/runtime/" .. file, ctx.render("sdk/runtime/" .. file .. ".tpl", vars))
    end
    for _, file in ipairs(FILES) do emit(file) end
    if ctx.ir.websockets.enabled then
      for _, file in ipairs(REALTIME_FILES) do emit(file) end
    end
  end,
}
