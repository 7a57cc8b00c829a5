-- `ssot new phase NAME`: adds a phase of the user's own to the project in the current
-- directory — phases/NAME.lua, its template lib/templates/NAME/models.md.tpl and its busted
-- spec spec/NAME_spec.lua, rendered from templates/new/phase/ — never over an existing file
-- without --force (ssot.scaffold). The layout is examples/custom-phase's.
local core = require "ssot.core"
local errors = require "ssot.errors"
local scaffold = require "ssot.scaffold"

local M = {}

M.USAGE = [[
Usage: ssot new phase NAME [--force]

Adds a phase of your own (docs/phases.md) to the project in the current directory:
  phases/NAME.lua                    the phase: renders its template into NAME.md
  lib/templates/NAME/models.md.tpl   its template (docs/templates.md)
  spec/NAME_spec.lua                 its busted spec, passing as written: run `busted`
then says how to list it in config.lua:
  phases = { "phases/NAME.lua" },
  lib = { "lib" },                   -- where ssot finds its template

NAME is the phase's name: letters, digits, '_', '.' and '-', starting with a letter or
digit, and not the name of a built-in phase (ssot phases lists them).

Options:
  -f, --force   overwrite the files that exist (without it nothing is written when any of
                them exists)
  -h, --help    show this help

Exit statuses: 0 written, 1 files exist or cannot be written (nothing was written), 2 usage.
]]

local OPTIONS = {
  ["-f"] = { key = "force" }, ["--force"] = { key = "force" },
  ["-h"] = { key = "help" }, ["--help"] = { key = "help" },
}

-- The names of the built-in phases, which a phase of the config may not take.
local function builtin_names()
  local names = {}
  for _, module in ipairs(require "ssot.phases") do
    names[#names + 1] = require(module).name
  end
  return names
end

-- check_name(name) -> nil | why the name cannot be a new phase's, and how to fix it.
local function check_name(name)
  if not name:match("^[%w][%w_.-]*$") then
    return string.format("'%s' cannot name a phase: use letters, digits, '_', '.' and '-', starting with a letter "
      .. "or digit (e.g. ssot new phase python-client)", name)
  end
  for _, builtin in ipairs(builtin_names()) do
    if builtin == name then
      return string.format("'%s' is a built-in phase; choose another name (to replace the built-in, see "
        .. "docs/phases.md: a module of the same name in a library directory)", name)
    end
  end
end

-- main(argv) -> status | nil, error (argv[1] is "new").
function M.main(argv)
  local opts, args = scaffold.parse(argv, 2, OPTIONS)
  if not opts then return nil, errors.new("usage", args) end
  if opts.help then core.write("stdout", M.USAGE) return errors.status.ok end
  local kind, name = args[1], args[2]
  if kind == nil then return nil, errors.new("usage", "what should ssot new make? ssot new phase NAME") end
  if kind ~= "phase" then
    return nil, errors.new("usage", string.format("ssot new makes a phase, not a '%s': ssot new phase NAME", kind))
  end
  if name == nil then return nil, errors.new("usage", "ssot new phase needs the phase's name: ssot new phase NAME") end
  if #args > 2 then return nil, errors.new("usage", string.format("unexpected argument '%s'", args[3])) end
  local why = check_name(name)
  if why then return nil, errors.new("usage", why) end

  local vars = { name = name }
  local files = {
    { path = "phases/" .. name .. ".lua", content = scaffold.render("new/phase/phase.lua.tpl", vars),
      what = "the phase" },
    { path = "lib/templates/" .. name .. "/models.md.tpl", content = scaffold.render("new/phase/models.md.tpl", vars),
      what = "its template" },
    { path = "spec/" .. name .. "_spec.lua", content = scaffold.render("new/phase/spec.lua.tpl", vars),
      what = "its spec: busted" },
  }
  local written, err = scaffold.write(core.getcwd(), files,
    { force = opts.force, shown = ".", instead = "give the phase another name" })
  if not written then return nil, err end

  local say = function(line) core.write("stdout", line .. "\n") end
  say(core.color("green", "created") .. " phase " .. name .. ":")
  say(scaffold.listing(files, "  "))
  say("")
  say("To run it with ssot run, add to config.lua (or to the lists there):")
  say(string.format('  phases = { "phases/%s.lua" },', name))
  say('  lib = { "lib" },   -- where its template is found')
  say(string.format("then `ssot phases` lists it and `ssot run` writes generated/%s.md.", name))
  return errors.status.ok
end

return M
