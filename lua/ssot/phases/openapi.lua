-- The built-in `openapi` phase: writes openapi.json, the OpenAPI 3.1 document of the REST API,
-- built by ssot.openapi and encoded by ssot.json (sorted, deterministic).
local json = require "ssot.json"
local openapi = require "ssot.openapi"

return {
  name = "openapi",
  description = "OpenAPI 3.1 document of the REST API (openapi.json)",
  should_run = function(ctx)
    return ctx.ir.targets.openapi == true, "targets.openapi = false"
  end,
  run = function(ctx)
    ctx.emit("openapi.json", json.encode(openapi.document(ctx.ir), { indent = 2 }) .. "\n")
  end,
}
