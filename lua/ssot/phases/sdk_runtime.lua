-- The built-in `sdk-runtime` phase: writes sdk/runtime/*.ts, the transport-independent client
-- runtime (HTTP transport, errors, query encoding, DataClient), from templates/sdk/runtime;
-- the error codes come from ssot.facts.
local facts = require "ssot.facts"

local FILES = {
  "client.ts", "errors.ts", "http.ts", "index.ts", "json.ts", "query.ts", "retry.ts",
  "schema-check.ts", "transport.ts",
}

return {
  name = "sdk-runtime",
  description = "TypeScript SDK runtime (sdk/runtime/)",
  should_run = function(ctx)
    return ctx.ir.targets.sdk == true, "targets.sdk = false"
  end,
  run = function(ctx)
    local vars = { ir = ctx.ir, facts = facts }
    for _, file in ipairs(FILES) do
      ctx.emit("sdk/runtime/" .. file, ctx.render("sdk/runtime/" .. file .. ".tpl", vars))
    end
  end,
}
