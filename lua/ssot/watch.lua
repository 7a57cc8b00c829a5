-- `ssot run --watch`: runs the pipeline, then waits for a change to what the run reads (the
-- config, its phase files, the library directories' templates/ and lua/ trees) and runs it
-- again, forever; Ctrl-C ends it. A failing run prints its error and the loop keeps watching.
-- Uses core.watch (inotify, debounced) and core.list_dir/file_type to collect the paths.
local core = require "ssot.core"
local errors = require "ssot.errors"

local M = {}

-- Whether path is dir or lies under it.
local function is_under(path, dir)
  return dir ~= nil and (path == dir or path:sub(1, #dir + 1) == dir .. "/")
end

-- Appends dir and every directory below it (hidden ones and `skip` excepted) to out.
local function add_tree(out, dir, skip)
  if core.file_type(dir) ~= "directory" or is_under(dir, skip) then return end
  out[#out + 1] = dir
  for _, name in ipairs(core.list_dir(dir) or {}) do
    if name:sub(1, 1) ~= "." then add_tree(out, dir .. "/" .. name, skip) end
  end
end

-- paths(opts, ir) -> sorted list of what to watch: the config file, the config's phase files,
-- and every directory under each library directory's templates/ and lua/ (a watched directory
-- reports any file in it, so new overrides count too). ir may be nil (the config never loaded).
function M.paths(opts, ir)
  local out, seen = {}, {}
  local function add(path)
    if not seen[path] then
      seen[path] = true
      out[#out + 1] = path
    end
  end
  add(ir and ir.config_path or opts.config)
  for _, phase in ipairs(ir and ir.phases or {}) do add(phase) end
  local skip = ir and ir.output
  for _, lib in ipairs(core.lib_dirs()) do
    local dirs = {}
    add_tree(dirs, lib .. "/templates", skip)
    add_tree(dirs, lib .. "/lua", skip)
    for _, d in ipairs(dirs) do add(d) end
  end
  table.sort(out)
  return out
end

-- The path as the user would type it: relative to the current directory when below it.
local function display(path)
  local cwd = core.getcwd()
  if path:sub(1, #cwd + 1) == cwd .. "/" then return path:sub(#cwd + 2) end
  return path
end

-- Drops the modules a run loaded (phases, library overrides, the template engine with its
-- cache of compiled templates), so the next run reads them from disk again.
local function forget_modules(baseline)
  for name in pairs(package.loaded) do
    if not baseline[name] then package.loaded[name] = nil end
  end
end

-- Runs run_once(opts) so that even an unexpected error (a bug, not a user's mistake, which
-- run_once reports itself) is printed and the loop goes on. Returns status, ir.
local function guarded(run_once, opts)
  local ok, status, ir = errors.call("failure", run_once, opts)
  if ok then return status, ir end
  core.write("stderr", core.color("red", "error: ", "stderr") .. tostring(status.message) .. "\n")
  if opts.verbose and status.traceback then core.write("stderr", status.traceback .. "\n") end
  return status.status, nil
end

-- loop(opts, run_once [, limits]) -> status of the last run. run_once(opts) returns status,
-- ir (ir nil when the config did not load). Runs forever unless limits = { runs = n } stops it
-- after n reruns (for tests and embedders); limits.debounce sets the quiet time in ms.
function M.loop(opts, run_once, limits)
  limits = limits or {}
  local say = function(line) if not opts.quiet then core.write("stdout", line .. "\n") end end
  local baseline = {}
  for name in pairs(package.loaded) do baseline[name] = true end
  local status, ir = guarded(run_once, opts)
  local last_ir = ir
  local reruns = 0
  while not (limits.runs and reruns >= limits.runs) do
    local paths = M.paths(opts, last_ir)
    local changed = core.watch(paths, { debounce = limits.debounce or 100, ready = function()
      say(core.color("dim", string.format("watching %d %s for changes (Ctrl-C to stop)", #paths,
        #paths == 1 and "path" or "paths")))
    end })
    for _, path in ipairs(changed) do say(core.color("cyan", "change: ") .. display(path)) end
    forget_modules(baseline)
    status, ir = guarded(run_once, opts)
    if ir then last_ir = ir end
    reruns = reruns + 1
  end
  return status
end

return M
