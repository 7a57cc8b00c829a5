-- `ssot init [dir]`: a new project from a preset — config.lua (validated before anything is
-- written, by the same ssot.config that `ssot run` uses), package.json, tsconfig.json and
-- .gitignore, rendered from templates/init/ — then the commands to run next. Asks its
-- questions only on a terminal (ssot.scaffold); presets are in ssot.scaffold.presets.
local core = require "ssot.core"
local errors = require "ssot.errors"
local presets = require "ssot.scaffold.presets"
local scaffold = require "ssot.scaffold"

local M = {}

M.USAGE = [[
Usage: ssot init [dir] [options]

Creates a project in dir (default: the current directory; created when missing): a commented
config.lua with the models of a preset, package.json and tsconfig.json for the generated
TypeScript, and .gitignore. Then prints what to run next: cd dir, ssot run, ssot serve.

On a terminal it asks for each answer, showing the default in brackets (Enter keeps it).
With --yes, with any answer given as an option, or when stdin or stdout is not a terminal,
it asks nothing: the options answer, the defaults fill in the rest.

Options:
  --preset NAME     chat (default): users, rooms, live messages, typing and presence
                    todo: per-user tasks; inventory: public products, admins edit stock
                    notifications: per-user, live; blank: one minimal model
  --name NAME       the app's name (default: the directory's name): letters, digits, '.',
                    '_' and '-', starting with a letter or digit
  --realtime LIST   the models whose changes ssot serve pushes over WebSocket, comma-separated,
                    or none (default: the preset's models named like Message, Chat,
                    Notification, Event, Activity or Presence)
  --auth, --no-auth JWT sign-in with permission rules per preset (default), or none: every
                    rule lets anyone read and write
  --port N          the port ssot serve listens on (default 8080)
  -y, --yes         ask nothing
  -f, --force       overwrite the files that exist (without it nothing is written when any
                    of them exists)
  -h, --help        show this help

Exit statuses: 0 written, 1 files exist or cannot be written (nothing was written), 2 usage.
]]

local OPTIONS = {
  ["--preset"] = { key = "preset", value = true },
  ["--name"] = { key = "name", value = true },
  ["--realtime"] = { key = "realtime", value = true },
  ["--port"] = { key = "port", value = true },
  ["--auth"] = { key = "auth", set = true },
  ["--no-auth"] = { key = "auth", set = false },
  ["-y"] = { key = "yes" }, ["--yes"] = { key = "yes" },
  ["-f"] = { key = "force" }, ["--force"] = { key = "force" },
  ["-h"] = { key = "help" }, ["--help"] = { key = "help" },
}

-- The checks of each answer: the value, or nil and what is wrong with how to fix it. The same
-- for an option's value and a typed answer.

local function check_name(answer)
  if answer:match("^[%w][%w._-]*$") then return answer end
  return nil, string.format("'%s' cannot be the app's name: it names files (the database), so use letters, "
    .. "digits, '.', '_' and '-', starting with a letter or digit", answer)
end

local function check_preset(answer)
  if presets.presets[answer] then return presets.presets[answer] end
  return nil, string.format("no preset '%s': choose %s", answer, table.concat(presets.names, ", "))
end

local function check_port(answer)
  local port = answer:match("^%d+$") and tonumber(answer)
  if port and port <= 65535 then return math.tointeger(port) end
  return nil, string.format("'%s' is not a port: give a number from 0 to 65535", answer)
end

local function check_auth(answer)
  local a = answer:lower()
  if a == "on" or a == "yes" or a == "y" or a == "true" then return true end
  if a == "off" or a == "no" or a == "n" or a == "false" then return false end
  return nil, string.format("'%s': answer on or off", answer)
end

-- check_realtime(preset) -> a check of a comma-separated list of the preset's models, or
-- none; the value is the list in the preset's order.
local function check_realtime(preset)
  return function(answer)
    local chosen, unknown = {}, {}
    if answer:lower() ~= "none" and answer ~= "" then
      for item in answer:gmatch("[^,%s]+") do
        local found
        for _, model in ipairs(preset.models) do
          if model:lower() == item:lower() then found = model end
        end
        if found then chosen[found] = true else unknown[#unknown + 1] = item end
      end
    end
    if #unknown > 0 then
      return nil, string.format("the %s preset has no model %s: choose among %s, comma-separated, or none",
        preset.name, table.concat(unknown, ", "), table.concat(preset.models, ", "))
    end
    local out = {}
    for _, model in ipairs(preset.models) do
      if chosen[model] then out[#out + 1] = model end
    end
    return out
  end
end

local function list_or_none(list)
  return #list > 0 and table.concat(list, ",") or "none"
end

-- default_name(dir) -> the directory's name made a valid app name ("My App" -> "My-App").
local function default_name(dir)
  local base = dir:match("([^/]+)$") or "app"
  base = base:gsub("[^%w._-]+", "-"):gsub("^[^%w]+", ""):gsub("%-+$", "")
  return base ~= "" and base or "app"
end

-- The answers from the options, defaults filling in, and on a terminal from the questions.
-- Returns the answers or raises a usage error naming the option.
local function answers(opts, root)
  local function from_option(option, value, check)
    if value == nil then return nil end
    local v, why = check(value)
    if v == nil then errors.raise("usage", "--" .. option .. ": " .. why) end
    return v
  end
  local a = {
    name = from_option("name", opts.name, check_name),
    preset = from_option("preset", opts.preset, check_preset),
    port = from_option("port", opts.port, check_port),
    auth = opts.auth,
  }
  local given = opts.name or opts.preset or opts.port or opts.auth ~= nil or opts.realtime
  local defaults = { name = default_name(root), preset = presets.presets[presets.names[1]], port = 8080, auth = true }

  if not opts.yes and not given and scaffold.interactive() then
    core.write("stdout", "ssot init: a new project. Enter keeps the answer in [brackets].\n")
    a.name = scaffold.ask("App name", defaults.name, check_name)
    for _, name in ipairs(presets.names) do
      core.write("stdout", string.format("  %-14s %s\n", name, presets.presets[name].summary))
    end
    a.preset = scaffold.ask("Preset (" .. table.concat(presets.names, ", ") .. ")", defaults.preset.name, check_preset)
    a.realtime = scaffold.ask(string.format("Models with real time, comma-separated or none (%s)",
      table.concat(a.preset.models, ", ")), list_or_none(presets.realtime_default(a.preset.models)),
      check_realtime(a.preset))
    a.auth = scaffold.ask("Auth: sign-in with JWTs and permission rules (on/off)", "on", check_auth)
    a.port = scaffold.ask("Port", tostring(defaults.port), check_port)
    core.write("stdout", "\n")
    return a
  end

  for k, v in pairs(defaults) do
    if a[k] == nil then a[k] = v end
  end
  if opts.realtime then
    a.realtime = from_option("realtime", opts.realtime, check_realtime(a.preset))
  else
    a.realtime = presets.realtime_default(a.preset.models)
  end
  return a
end

-- The package name npm accepts for an app name: lower case, not starting with '.' or '_'.
local function package_name(name)
  local n = name:lower():gsub("^[._]+", "")
  return n ~= "" and n or "app"
end

-- render_files(a, config_path) -> the files to write, and the IR of the config (validated as
-- `ssot run` would).
local function render_files(a, config_path)
  local vars = {
    name = a.name, preset = a.preset, auth = a.auth, port = a.port, realtime = a.realtime,
    websockets = #a.realtime > 0 or a.preset.channels == true, package_name = package_name(a.name),
  }
  local config_text = scaffold.render("init/config.lua.tpl", vars)
  -- What init writes must run as it is: a config that fails here is ssot's bug (or that of a
  -- template overriding init/ in a library directory of SSOT_PATH), not the user's answers.
  local ok, ir = errors.call("failure", require("ssot.config").load_source, config_text, config_path)
  if not ok then
    return nil, errors.new("failure", "the config ssot init made does not validate, so nothing was written "
      .. "(a bug in ssot, or in an init/ template of SSOT_PATH: please report it with the command you ran):\n"
      .. (ir.errors and table.concat(ir.errors, "\n") or ir.message))
  end
  return {
    { path = "config.lua", content = config_text, what = "the models, rules and settings: edit it, then ssot run" },
    { path = "package.json", content = scaffold.render("init/package.json.tpl", vars),
      what = "TypeScript and React for the generated code: npm install" },
    { path = "tsconfig.json", content = scaffold.render("init/tsconfig.json.tpl", vars),
      what = "type-checks generated/ strictly: npm run typecheck" },
    { path = ".gitignore", content = scaffold.render("init/gitignore.tpl", vars),
      what = "keeps generated/, data/ and node_modules/ out of git" },
  }, ir
end

-- main(argv) -> status | nil, error (argv[1] is "init").
function M.main(argv)
  local opts, args = scaffold.parse(argv, 2, OPTIONS)
  if not opts then return nil, errors.new("usage", args) end
  if opts.help then core.write("stdout", M.USAGE) return errors.status.ok end
  if #args > 1 then
    return nil, errors.new("usage", string.format("one directory at most, got '%s' and '%s'", args[1], args[2]))
  end
  local shown = args[1] or "."
  local root = scaffold.absolute(shown)
  local kind = core.file_type(root)
  if kind and core.file_type(root .. "/.") ~= "directory" then   -- "/." follows a link to a directory
    return nil, errors.new("failure", string.format("cannot create the project in %s: it is a %s, not a directory; "
      .. "give the path of a directory (it is created when missing)", shown, kind))
  end

  local ok, a = errors.call("failure", answers, opts, root)
  if not ok then return nil, a end
  local files, ir = render_files(a, root .. "/config.lua")
  if not files then return nil, ir end
  local written, err = scaffold.write(root, files,
    { force = opts.force, shown = shown, instead = "give another directory: ssot init DIR" })
  if not written then return nil, err end

  local say = function(line) core.write("stdout", line .. "\n") end
  say(string.format("%s %s (%s preset, auth %s, real time: %s, port %d) in %s:", core.color("green", "created"),
    a.name, a.preset.name, a.auth and "on" or "off", #a.realtime > 0 and table.concat(a.realtime, ", ") or "none",
    a.port, shown == "." and "the current directory" or shown))
  say(scaffold.listing(files, "  "))
  local main_path
  for _, model in ipairs(ir.models) do
    if model.name == a.preset.main then main_path = "/api/" .. model.path end
  end
  say("")
  say("Next:")
  if shown ~= "." then say("  cd " .. scaffold.quote(shown)) end
  say("  ssot run      " .. core.color("dim", "# writes generated/: the SDK, React hooks, OpenAPI, SQL"))
  say("  ssot serve    " .. core.color("dim", string.format("# serves http://localhost:%d%s", a.port, main_path or "")))
  if a.auth then
    say(core.color("dim", "Auth is on: `ssot token --sub alice` mints a development token (docs/auth.md)."))
  end
  return errors.status.ok
end

return M
