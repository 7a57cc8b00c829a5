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

-- Runs the pipeline as `ssot run path args...` would, printing the same output. Returns
-- status 0, or raises the error the run reported (its status kept) so that the embedder's
-- ssot_host_last_error has it too.
function M.run_config(path, args)
  local cli = require "ssot.cli"
  local argv = { "run", path }
  for _, a in ipairs(args or {}) do argv[#argv + 1] = a end
  local status = cli.main(argv)
  if status == errors.status.ok then return status end
  local err = cli.last_error
  if status == errors.status.check then
    err = errors.new("check", "--check found stale, missing or extra files under the output directory "
      .. "(listed on standard error)")
  elseif not err then
    err = errors.new("failure", "ssot run " .. path .. " failed")
  end
  err.status = status
  error(err, 0)
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
