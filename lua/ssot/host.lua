-- The Lua side of the embedding API (include/ssot.h): what ssot_host_load_config,
-- ssot_host_run_config and ssot_host_run_script do. Errors propagate as ssot error objects
-- (ssot.errors), which the C host turns into an ssot_error.
local errors = require "ssot.errors"

local M = {}

-- Loads and validates a config; the IR becomes ssot.ir. Returns status 0.
function M.load_config(path)
  local ssot = require "ssot"
  ssot.ir = require("ssot.config").load(path)
  return errors.status.ok
end

-- Runs the pipeline as `ssot run path args...` would. Returns the exit status.
function M.run_config(path, args)
  local argv = { "run", path }
  for _, a in ipairs(args or {}) do argv[#argv + 1] = a end
  return require("ssot.cli").main(argv)
end

-- Runs a Lua script with the globals `ssot` and `arg`. Returns status 0.
function M.run_script(path, args)
  local chunk, message = loadfile(path, "t")
  if not chunk then errors.raise("failure", message) end
  local script_args = { [0] = path }
  for i, a in ipairs(args or {}) do script_args[i] = a end
  _G.ssot = require "ssot"
  _G.arg = script_args
  local ok, err = errors.call("phase", chunk, table.unpack(script_args))
  if not ok then error(err, 0) end
  return errors.status.ok
end

return M
