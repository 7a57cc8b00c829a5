-- The context a phase receives: the IR, the run options, and the functions that produce
-- output (emit, render), read what a phase needs besides the IR (read, getenv: recorded in
-- the run's fingerprint, ssot.inputs) and report (log). Emission goes through the C emitter
-- (ssot.core), which confines paths to the output root and writes atomically.
local core = require "ssot.core"
local errors = require "ssot.errors"
local inputs = require "ssot.inputs"

local M = {}

-- new{ ir, emitter, options } -> ctx. options: mode ("write", "dry-run", "check", "diff"),
-- verbose, quiet.
function M.new(args)
  local ctx = {
    ir = args.ir,
    models = args.ir.models,
    output = args.ir.output,
    options = args.options or {},
    text = require "ssot.text",
    emitted = {},       -- path -> name of the phase that emitted it
    stats = {},         -- phase name -> { created, updated, unchanged }
    current_phase = nil,
  }

  -- emit(path, content): writes content to path (relative to the output root).
  function ctx.emit(path, content)
    if type(path) ~= "string" then
      error("emit: path must be a string, got " .. type(path), 2)
    end
    if type(content) ~= "string" then
      error("emit: content of '" .. path .. "' must be a string, got " .. type(content), 2)
    end
    local phase = ctx.current_phase or "?"
    local previous = ctx.emitted[path]
    if previous then
      error(string.format("emit: '%s' was already emitted by phase '%s'; two phases cannot write the same file",
        path, previous), 2)
    end
    local ok, result = pcall(args.emitter.emit, args.emitter, path, content)
    if not ok then error(tostring(result), 2) end -- the emitter says "emit: ..." itself
    ctx.emitted[path] = phase
    local stats = ctx.stats[phase]
    if not stats then
      stats = { created = 0, updated = 0, unchanged = 0 }
      ctx.stats[phase] = stats
    end
    stats[result] = (stats[result] or 0) + 1
    return result
  end

  -- render(template_name, vars) -> string, from DIR/templates/<name> or the built-ins.
  function ctx.render(name, vars)
    return require("ssot.template").render(name, vars)
  end

  -- read(path) -> content | nil, message: a file the phase uses (path relative to the
  -- config's directory), recorded as an input of the run so that changing it reruns the
  -- phase.
  function ctx.read(path)
    if type(path) ~= "string" or path == "" then
      error("read: path must be a non-empty string, got " .. (path == "" and '""' or type(path)), 2)
    end
    if path:sub(1, 1) ~= "/" then path = (ctx.ir.config_dir or core.getcwd()) .. "/" .. path end
    local content, message = core.read_file(path)
    inputs.file(path, content)
    return content, message
  end

  -- getenv(name) -> value | nil: an environment variable the phase uses, recorded like read.
  function ctx.getenv(name)
    if type(name) ~= "string" then error("getenv: name must be a string, got " .. type(name), 2) end
    local value = os.getenv(name)
    inputs.env(name, value)
    return value
  end

  ctx.log = {
    error = function(msg) core.log("error", msg) end,
    warn = function(msg) core.log("warn", msg) end,
    info = function(msg) core.log("info", msg) end,
    debug = function(msg) core.log("debug", msg) end,
  }

  ctx.fail = function(message) errors.raise("phase", message) end

  return ctx
end

return M
