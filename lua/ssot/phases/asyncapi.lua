-- The built-in `asyncapi` phase: writes asyncapi.json, the AsyncAPI 3.0 document of the
-- WebSocket API, built by ssot.asyncapi and encoded by ssot.json (sorted, deterministic).
local asyncapi = require "ssot.asyncapi"
local json = require "ssot.json"

return {
  name = "asyncapi",
  description = "AsyncAPI 3.0 document of the WebSocket API (asyncapi.json)",
  should_run = function(ctx)
    if ctx.ir.targets.asyncapi ~= true then return false, "targets.asyncapi = false" end
    -- Without websockets there is no endpoint to describe.
    return ctx.ir.websockets.enabled == true, "websockets.enabled = false"
  end,
  run = function(ctx)
    ctx.emit("asyncapi.json", json.encode(asyncapi.document(ctx.ir), { indent = 2 }) .. "\n")
  end,
}
