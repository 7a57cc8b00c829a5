-- Structured errors and the one protected-call path every config, phase and script runs
-- through. An error carries an exit status (ssot.h, as core.exit_status), a "file:line:
-- message" text, the place as fields, and the traceback. Uses ssot.core.
local core = require "ssot.core"

local M = {}

-- ok, failure, usage, config, phase, check -> their numbers (declared in include/ssot.h)
M.status = core.exit_status

local Error = {}
Error.__index = Error
Error.__tostring = function(e) return e.message end

-- new(status_name, message, fields?) -> error object. fields may give file, line, errors
-- (a list of individual messages, for config validation), traceback.
function M.new(status_name, message, fields)
  local status = M.status[status_name] or error("unknown error status " .. tostring(status_name), 2)
  local e = setmetatable({ status = status, kind = status_name, message = message }, Error)
  for k, v in pairs(fields or {}) do e[k] = v end
  if not e.file then
    local file, line = tostring(message):match("^([^:\n]+):(%d+):")
    if file then e.file, e.line = file, tonumber(line) end
  end
  return e
end

-- full_position(message, path) -> message with Lua's shortened chunk name ("...tail:12: x",
-- for paths over 60 characters) replaced by the whole path, when the tail is path's end.
function M.full_position(message, path)
  if type(message) ~= "string" or message:sub(1, 3) ~= "..." then return message end
  path = path:gsub("^[@=]", "")
  local tail, rest = message:match("^%.%.%.([^\n:]*)(:%d+:.*)$")
  if tail and path:sub(-#tail) == tail then return path .. rest end
  return message
end

-- raise(status_name, message, fields?): throws an error object (no position is added; put
-- the place in the message or in fields).
function M.raise(status_name, message, fields)
  error(M.new(status_name, message, fields), 0)
end

function M.is(value) return getmetatable(value) == Error end

-- Turns any error value into an error object with the given default status and the
-- traceback core.call kept.
local function normalize(value, default_status, traceback)
  if M.is(value) then
    if not value.traceback then value.traceback = traceback end
    return value
  end
  local message
  if type(value) == "string" then message = value
  elseif type(value) == "table" and type(value.message) == "string" then message = value.message
  else message = "(error object is a " .. type(value) .. " value)" end
  return M.new(default_status, message, { traceback = traceback })
end

-- call_limited(status_name, limit, fn, ...) -> true, results... | false, error object.
-- The protected-call path (core.call, the one every piece of Lua runs through): errors that
-- are not already ssot errors get status_name. limit = { seconds, what, key } stops fn after
-- that long ("<what> ran for more than N s (<key> in the config)", at the user's line), even
-- if it catches the error itself; nil runs it under the limits of the calls it is in.
function M.call_limited(status_name, limit, fn, ...)
  local results = table.pack(core.call(limit and limit.seconds or 0, limit and limit.what or "the code",
    limit and limit.key, fn, ...))
  if results[1] then return table.unpack(results, 1, results.n) end
  return false, normalize(results[2], status_name, results[3])
end

-- call(status_name, fn, ...): call_limited without a limit of its own.
function M.call(status_name, fn, ...)
  return M.call_limited(status_name, nil, fn, ...)
end

return M
