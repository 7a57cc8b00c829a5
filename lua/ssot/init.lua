-- The `ssot` table that configs' phase files, scripts and embedders see: the C primitives
-- (ssot.core) plus the Lua helpers phases need. Host embedders add their own functions to it
-- (ssot_host_register).
local core = require "ssot.core"

local ssot = {
  core = core,
  version = core.version,
}

-- Lazily loaded helper modules, so a script that needs none pays for none.
local lazy = {
  text = "ssot.text",
  template = "ssot.template",
  errors = "ssot.errors",
  config = "ssot.config",
  pipeline = "ssot.pipeline",
}

return setmetatable(ssot, {
  __index = function(t, key)
    local module = lazy[key]
    if not module then return nil end
    local value = require(module)
    rawset(t, key, value)
    return value
  end,
})
