-- What one run reads, for its fingerprint (ssot.uptodate): each input file with the SHA-256 of
-- its content as read, the paths looked up and not found (a file added there later would be
-- read), the environment variables read with their values, and the reasons the run cannot be
-- trusted to give the same output again (a config calling os.time, a phase that does not
-- declare its inputs). The config sandbox, the template lookup, the pipeline and ctx.read
-- report here; modules from library directories are reported by the C searcher
-- (core.module_files). Uses ssot.core for hashing.
local core = require "ssot.core"

local M = {}

local record

-- begin() -> a new, empty record that the functions below fill until the next begin().
function M.begin()
  record = { files = {}, env = {}, untracked = {}, cwd = core.getcwd() }
  return record
end

-- current() -> the record being filled (a fresh one when none was begun).
function M.current()
  return record or M.begin()
end

-- The absolute form of path (relative paths are relative to the current directory).
local function absolute(path)
  if path:sub(1, 1) == "/" then return path end
  return M.current().cwd .. "/" .. path
end

-- file(path, content): path was read and held content; content nil: nothing readable was
-- there. A path read twice keeps its first content: the run used that.
function M.file(path, content)
  local files = M.current().files
  path = absolute(path)
  if files[path] == nil then files[path] = content and core.sha256(content) or false end
end

-- env(name, value): the environment variable name was read and had value (nil: unset).
function M.env(name, value)
  local env = M.current().env
  if env[name] == nil then env[name] = value or false end
end

-- untracked(reason): the run may give other output next time with none of the recorded inputs
-- changed (the time was read, a phase reads files it does not declare); reason says why, for
-- `ssot run --verbose`.
function M.untracked(reason)
  local list = M.current().untracked
  for _, r in ipairs(list) do if r == reason then return end end
  list[#list + 1] = reason
end

return M
