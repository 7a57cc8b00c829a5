-- What `ssot init` and `ssot new` share: reading answers on a terminal, rendering the
-- scaffold templates (templates/init, templates/new, through ssot.template), and writing a
-- set of files all or nothing — never over an existing file without --force. Uses ssot.core.
local core = require "ssot.core"
local errors = require "ssot.errors"
local template = require "ssot.template"

local M = {}

-- interactive() -> true when a person can answer: stdin and stdout are terminals. Anything
-- else (a pipe, a file, CI) gets the defaults, so a script never hangs on a question.
function M.interactive()
  return core.isatty("stdin") and core.isatty("stdout")
end

local function trim(s) return (s:gsub("^%s+", ""):gsub("%s+$", "")) end

-- ask(question, default, check) -> the answer. Prints "question [default]: " and reads a
-- line; an empty line, or the end of the input, takes the default. check(answer) returns the
-- value to use, or nil and why not: then it says why and asks again.
function M.ask(question, default, check)
  while true do
    core.write("stdout", string.format("%s [%s]: ", question, default))
    local line = io.read("l")
    if line == nil then core.write("stdout", "\n") end
    local answer = line and trim(line) or ""
    if answer == "" then answer = default end
    local value, why = check(answer)
    if value ~= nil then return value end
    core.write("stdout", "  " .. why .. "\n")
    -- at the end of the input a wrong default would be asked again forever
    if line == nil then errors.raise("usage", why) end
  end
end

-- render(name, vars) -> the text of the scaffold template name, with vars and
-- vars.partial(name): another template rendered with the same vars, without its final
-- newline (so it can sit on a line of its own in the including template).
function M.render(name, vars)
  vars.partial = vars.partial or function(partial_name)
    return (template.render(partial_name, vars):gsub("\n$", ""))
  end
  return template.render(name, vars)
end

-- quote(path) -> path as one shell word, for commands printed to be copied.
function M.quote(path)
  if path:match("^[%w._/+,:@%%-]+$") then return path end
  return "'" .. path:gsub("'", "'\\''") .. "'"
end

-- write(root, files, options) -> the files written, or nil and an error. files is a list of
-- { path = (relative to root), content = }; root and the folders the files need are created.
-- Nothing at all is written when any file exists and options.force is not set, nor when any
-- path is taken by something that is not a file. options.shown is root as the user gave it,
-- options.instead what else the user could do ("choose another directory").
function M.write(root, files, options)
  local existing, blocked = {}, {}
  for _, file in ipairs(files) do
    local kind = core.file_type(root .. "/" .. file.path)
    if kind == "file" or kind == "link" then existing[#existing + 1] = file.path
    elseif kind then blocked[#blocked + 1] = string.format("%s is a %s", file.path, kind) end
  end
  local where = options.shown == "." and "here" or "in " .. options.shown
  if #blocked > 0 then
    return nil, errors.new("failure", string.format("cannot write %s: %s, where a file would go; move it away "
      .. "(nothing was written)", where, table.concat(blocked, ", ")))
  end
  if #existing > 0 and not options.force then
    return nil, errors.new("failure", string.format(
      "these files already exist %s:\n  %s\nnothing was written: run again with --force to overwrite them, or %s",
      where, table.concat(existing, "\n  "), options.instead))
  end
  for _, file in ipairs(files) do
    local path = root .. "/" .. file.path
    local ok, message = core.mkdir(path:match("^(.*)/[^/]*$"))
    if ok then ok, message = core.replace_file(path, file.content) end
    if not ok then
      return nil, errors.new("failure", string.format("cannot write %s: %s", file.path, message))
    end
  end
  return files
end

-- listing(files, prefix) -> one line per file: its path, then what it is for (file.what), aligned.
function M.listing(files, prefix)
  local width = 0
  for _, file in ipairs(files) do width = math.max(width, #file.path) end
  local lines = {}
  for i, file in ipairs(files) do
    lines[i] = string.format("%s%-" .. width .. "s  %s", prefix, file.path, core.color("dim", file.what))
  end
  return table.concat(lines, "\n")
end

-- absolute(path) -> path made absolute against the current directory, without "." segments
-- and trailing slashes.
function M.absolute(path)
  if path:sub(1, 1) ~= "/" then path = core.getcwd() .. "/" .. path end
  local parts = {}
  for segment in path:gmatch("[^/]+") do
    if segment == ".." then parts[#parts] = nil
    elseif segment ~= "." then parts[#parts + 1] = segment end
  end
  return "/" .. table.concat(parts, "/")
end

-- parse(argv, first, spec) -> options, positional arguments | nil, message. spec maps each
-- option ("--name", "-y") to { key =, value = true when it takes a value }; "--x=v" works for
-- options taking a value.
function M.parse(argv, first, spec)
  local opts, args, i = {}, {}, first
  while i <= #argv do
    local a = argv[i]
    local flag, inline = a:match("^(%-%-[%w-]+)=(.*)$")
    if flag then a = flag end
    local option = spec[a]
    if option then
      if option.value then
        local v = inline
        if v == nil then
          i = i + 1
          v = argv[i]
          if v == nil then return nil, a .. " needs a value" end
        end
        opts[option.key] = v
      elseif inline then
        return nil, a .. " takes no value"
      else
        opts[option.key] = option.set == nil and true or option.set
      end
    elseif a:sub(1, 1) == "-" and a ~= "-" then
      return nil, "unknown option '" .. a .. "'"
    else
      args[#args + 1] = a
    end
    i = i + 1
  end
  return opts, args
end

return M
