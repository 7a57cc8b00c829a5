-- Helpers for the config, validation and IR specs: load a config from text or a fixture and
-- get back the IR or the list of error messages; make scratch directories.
local config = require "ssot.config"
local errors = require "ssot.errors"
local assert = require "luassert"

local M = {}

M.source_dir = os.getenv("SSOT_SOURCE_DIR") or "."

-- load(text, opts) -> ir, loading text as the file "config.lua" in the current directory.
function M.load(text, opts)
  return config.load_source(text, opts and opts.path or "config.lua", opts)
end

-- failure(fn, ...) -> the ssot error object fn raised (fails the test when it raised none).
function M.failure(fn, ...)
  local ok, err = errors.call("config", fn, ...)
  assert(not ok, "expected a config error, but loading succeeded")
  assert(errors.is(err), "expected an ssot error object, got " .. tostring(err))
  assert.are.equal(errors.status.config, err.status)
  return err
end

-- errors_of(text, opts) -> the list of messages loading text produces.
function M.errors_of(text, opts)
  local err = M.failure(M.load, text, opts)
  assert.is_table(err.errors, "a config error lists its messages in .errors")
  return err.errors
end

-- Asserts that messages contain expected exactly (a full "file:line: path: message").
function M.assert_has(messages, expected)
  for _, m in ipairs(messages) do
    if m == expected then return end
  end
  error(string.format("expected the message\n  %s\namong:\n  %s", expected, table.concat(messages, "\n  ")), 2)
end

-- scratch_dir() -> a new empty directory (removed by cleanup()).
local made = {}
function M.scratch_dir()
  local dir = os.tmpname()
  os.remove(dir)
  assert(os.execute("mkdir -p '" .. dir .. "'"))
  made[#made + 1] = dir
  return dir
end

function M.write(path, text)
  local dir = path:match("^(.*)/[^/]*$")
  if dir then assert(os.execute("mkdir -p '" .. dir .. "'")) end
  local f = assert(io.open(path, "w"))
  f:write(text)
  f:close()
end

function M.cleanup()
  for _, dir in ipairs(made) do os.execute("rm -rf '" .. dir .. "'") end
  made = {}
end

-- sorted_keys(t) -> the keys of t, sorted.
function M.sorted_keys(t)
  local keys = {}
  for k in pairs(t) do keys[#keys + 1] = k end
  table.sort(keys)
  return keys
end

-- A minimal valid model, for configs that test something else.
M.TODO = [[
models = {
  Todo = { fields = { { "id", "id" }, { "title", "string" } } },
}
]]

-- config_text(models, extra) -> the text of a config named "shop" writing to "generated": one
-- model per entry of `models` ({ Name = { "field type", ... } }), in sorted order, and the
-- given extra top-level lines.
function M.config_text(models, extra)
  local out = { 'name = "shop"', 'output = "generated"' }
  for _, line in ipairs(extra or {}) do out[#out + 1] = line end
  out[#out + 1] = "models = {"
  for _, name in ipairs(M.sorted_keys(models)) do
    out[#out + 1] = "  " .. name .. " = { fields = {"
    out[#out + 1] = '    { "id", "id" },'
    for _, f in ipairs(models[name]) do
      local field, ftype = f:match("^(%S+) (%S+)$")
      out[#out + 1] = string.format('    { "%s", "%s" },', field, ftype)
    end
    out[#out + 1] = "  } },"
  end
  out[#out + 1] = "}"
  return table.concat(out, "\n") .. "\n"
end

return M
