-- The ssot command line for everything but `serve` and `token` (those are C, src/cli/):
-- argument parsing, `ssot run` (the pipeline, with progress and summary), `ssot phases`,
-- `ssot init` and `ssot new` (ssot.scaffold.*), help and version. Every failure ends as a
-- message on stderr and an exit status (ssot.h).
local core = require "ssot.core"
local errors = require "ssot.errors"

local M = {}

local USAGE = [[
Usage: ssot <command> [options]

Commands:
  init [dir]            start a project: config.lua from a preset, package.json, tsconfig.json
  new phase NAME        add your own phase: phases/NAME.lua, its template and its spec
  run [config.lua]      generate the SDK, docs and SQL from the models
  phases [config.lua]   list the pipeline phases in order, which would run and why
  serve [config.lua]    start the HTTP/WebSocket runtime
  token --sub ID        mint a development JWT
  help [command]        show a command's usage (the same as ssot <command> --help)
  version               print the version (also ssot --version, ssot -V)

Every command takes -h, --help. The config defaults to ./config.lua (or --config FILE).
Exit statuses: 0 ok, 1 failure, 2 usage error, 3 config error, 4 phase error, 5 --check
found stale files. ssot never colours output that is not a terminal; NO_COLOR=1 turns
colour off.
Docs: docs/getting-started.md
]]

local RUN_USAGE = [[
Usage: ssot run [config.lua] [options]

Runs the generation pipeline: loads and validates the config, runs every phase that applies,
writes the changed files under the output directory and removes files a previous run wrote
that this run did not.

A writing run leaves a fingerprint (<output>/.ssot-fingerprint) of what it read: the config,
its hooks and phase files, templates and modules from library directories, the environment
variables the config read. When all of them and every generated file are as the last run
left them, `ssot run` (and --check, --dry-run, --diff) stops early: "nothing changed (up to
date)". A config that reads the time or random numbers, or lists a phase that does not
declare its `inputs`, always runs in full (docs/output.md).

Options:
  --config FILE      the config (the same as the config.lua argument)
  -o, --output DIR   write under DIR instead of the config's `output`
  --lib DIR          search DIR/lua and DIR/templates before the built-ins (repeatable;
                     also SSOT_PATH=DIR:DIR and the config's `lib`)
  --dry-run          list what would change; write nothing
  --check            exit 5 listing stale, missing and extra files (for CI); write nothing
  --diff             print a unified diff of what would change; write nothing
  -f, --force        run every phase even when the fingerprint says nothing changed
  -w, --watch        rerun when the config, its phase files or templates change
  -q, --quiet        print only errors
  -v, --verbose      print every file, why a run is not skipped as up to date and, on
                     errors, the Lua traceback
  -h, --help         show this help

On a terminal, a progress line on stderr names the phase running (n/N); it is cleared
before anything else prints, and never shown with --quiet or when stderr is not a terminal.
]]

local PHASES_USAGE = [[
Usage: ssot phases [config.lua] [options]

Prints the pipeline phases in the order they run, whether each would run, and why not.

Options:
  --config FILE      the config (the same as the config.lua argument)
  --lib DIR          search DIR/lua and DIR/templates before the built-ins (repeatable)
  -h, --help         show this help
]]

local HELP_USAGE = [[
Usage: ssot help [command]

Prints the usage of a command (init, new, run, phases, serve, token, help, version), the
same text as ssot <command> --help; without a command, the list of commands.
]]

local VERSION_USAGE = [[
Usage: ssot version

Prints "ssot" and the version, e.g. "ssot 0.1.0". ssot --version and ssot -V do the same.
]]

-- The error the last failing command reported (an ssot.errors object), for embedders:
-- ssot_host_run_config hands it to ssot_host_last_error. Reset by main().
M.last_error = nil

local function usage_error(message, usage)
  M.last_error = errors.new("usage", message)
  core.write("stderr", "ssot: " .. message .. "\n")
  if usage then core.write("stderr", "Run 'ssot help" .. (usage ~= "" and " " .. usage or "") .. "' for usage.\n") end
  return errors.status.usage
end

-- Parses argv for run/phases. Returns options or nil, message.
local function parse_options(argv, first, allowed)
  local opts = { lib_dirs = {}, mode = "write" }
  local i = first
  local function value(flag)
    i = i + 1
    if argv[i] == nil then return nil, flag .. " needs a value" end
    return argv[i]
  end
  while i <= #argv do
    local a = argv[i]
    local flag, inline = a:match("^(%-%-[%w-]+)=(.*)$")
    if flag then a = flag end
    local function take(name)
      if inline then return inline end
      return value(name)
    end
    if not allowed[a] and a:sub(1, 1) == "-" then
      return nil, "unknown option '" .. a .. "'"
    end
    if a == "--lib" then
      local v, err = take(a); if not v then return nil, err end
      opts.lib_dirs[#opts.lib_dirs + 1] = v
    elseif a == "--config" then
      local v, err = take(a); if not v then return nil, err end
      if opts.config ~= nil then
        return nil, "unexpected argument '--config " .. v .. "' (the config is already '" .. opts.config .. "')"
      end
      opts.config = v
    elseif a == "-o" or a == "--output" then
      local v, err = take(a); if not v then return nil, err end
      opts.output = v
    elseif a == "--dry-run" or a == "--check" or a == "--diff" then
      if opts.mode ~= "write" then
        return nil, "--dry-run, --check and --diff cannot be combined"
      end
      opts.mode = a:sub(3)
    elseif a == "-f" or a == "--force" then opts.force = true
    elseif a == "-w" or a == "--watch" then opts.watch = true
    elseif a == "-q" or a == "--quiet" then opts.quiet = true
    elseif a == "-v" or a == "--verbose" then opts.verbose = true
    elseif a == "-h" or a == "--help" then opts.help = true
    elseif opts.config == nil then opts.config = a
    else
      return nil, "unexpected argument '" .. a .. "' (the config is already '" .. opts.config .. "')"
    end
    i = i + 1
  end
  if opts.quiet and opts.verbose then return nil, "--quiet and --verbose cannot be combined" end
  if opts.watch and opts.mode ~= "write" then return nil, "--watch only applies to writing runs" end
  opts.config = opts.config or "config.lua"
  return opts
end

-- Prints an error object the way users read it: the message (every config error on its own
-- line), the traceback only when verbose.
local function report_error(err, opts)
  M.last_error = err
  if err.errors and #err.errors > 0 then
    for _, e in ipairs(err.errors) do core.write("stderr", core.color("red", "error: ", "stderr") .. e .. "\n") end
    if #err.errors > 1 then
      core.write("stderr", string.format("%d errors in %s\n", #err.errors, err.file or "the config"))
    end
  else
    core.write("stderr", core.color("red", "error: ", "stderr") .. tostring(err.message) .. "\n")
  end
  if opts and opts.verbose and err.traceback and err.traceback ~= "" then
    core.write("stderr", err.traceback .. "\n")
  end
  return err.status or errors.status.failure
end

-- The library directories a command starts from: the host's (the ssot binary's --lib, read by
-- src/main.c before any module loaded; an embedder's options; SSOT_PATH), then the --lib
-- options the host does not have yet (an embedder's ssot_host_run_config arguments).
local function base_lib_dirs(opts)
  local dirs, seen = core.lib_dirs(), {}
  for _, d in ipairs(dirs) do seen[d] = true end
  for _, d in ipairs(opts.lib_dirs) do
    if not seen[d] then dirs[#dirs + 1] = d; seen[d] = true end
  end
  return dirs
end

-- The library directories of a run: --lib and SSOT_PATH (made absolute), then the config's.
local function run_lib_dirs(opts, config_lib)
  local dirs, cwd = {}, core.getcwd()
  for _, d in ipairs(opts.base_lib_dirs) do dirs[#dirs + 1] = d:sub(1, 1) == "/" and d or cwd .. "/" .. d end
  for _, d in ipairs(config_lib or {}) do dirs[#dirs + 1] = d end
  return dirs
end

-- Runs the config file (not validated yet: ssot.config.run). Returns it or nil, error.
local function run_config(opts)
  core.set_lib_dirs(opts.base_lib_dirs)
  local ok, loaded = errors.call("config", require("ssot.config").run, opts.config)
  if not ok then return nil, loaded end
  return loaded
end

-- Validates the config that ran; the library directories become --lib, SSOT_PATH and the
-- config's. Returns the IR or nil, error.
local function validate(loaded, opts)
  local ok, ir = errors.call("config", require("ssot.config").validate, loaded, { output = opts.output })
  if not ok then return nil, ir end
  local dirs = {}
  for _, d in ipairs(opts.base_lib_dirs) do dirs[#dirs + 1] = d end
  for _, d in ipairs(ir.lib or {}) do dirs[#dirs + 1] = d end
  core.set_lib_dirs(dirs)
  return ir
end

local function load_ir(opts)
  local loaded, err = run_config(opts)
  if not loaded then return nil, err end
  return validate(loaded, opts)
end

local function plural(n, word)
  return string.format("%d %s%s", n, word, n == 1 and "" or "s")
end

-- Shows text as the progress line (core.progress: on stderr, rewritten in place, only when
-- stderr is a terminal), unless --quiet. The next line printed clears it.
local function progress(opts, text)
  if not opts.quiet then core.progress(text) end
end

local function printer(opts)
  return function(line) if not opts.quiet then core.write("stdout", line .. "\n") end end
end

-- The fast path: when the last writing run's fingerprint (ssot.uptodate) still holds for the
-- config that just ran, prints the summary of a run that changed nothing and returns the
-- status; otherwise returns nil (with --verbose, saying why).
local function up_to_date(loaded, opts, started)
  if opts.force or opts.watch then return nil end
  local config = require "ssot.config"
  local say = printer(opts)
  local output, config_lib, output_display = config.places(loaded, opts)
  if not output then return nil end
  local outputs, why = require("ssot.uptodate").check {
    output = output, config_path = loaded.config_path, lib_dirs = run_lib_dirs(opts, config_lib),
  }
  if not outputs then
    if opts.verbose then say(core.color("dim", "  running every phase: " .. why)) end
    return nil
  end
  say(string.format("%s %s -> %s", core.color("bold", "ssot run"), loaded.path, output_display))
  local report = { mode = opts.mode, root = output, created = {}, updated = {}, unchanged = outputs,
    removed = {}, kept = {}, diffs = {}, up_to_date = true }
  return require("ssot.report").finish(report, opts, started, say)
end

-- After a writing run: records its fingerprint when it succeeded, forgets the last one when
-- it failed (the output directory may now hold a mix).
local function record_run(ir, opts, status, report)
  if opts.mode ~= "write" then return end
  local uptodate = require "ssot.uptodate"
  if status ~= errors.status.ok then return uptodate.forget(ir.output) end
  local saved, why = uptodate.save {
    output = ir.output, config_path = ir.config_path, lib_dirs = run_lib_dirs(opts, ir.lib), report = report,
  }
  if not saved and opts.verbose then
    printer(opts)(core.color("dim", "  no fingerprint kept, the next run runs every phase: " .. why))
  end
end

-- One run of the pipeline. Returns status, and the IR (for --watch) when the config loaded.
local function run_once(opts)
  local started = core.clock()
  local pipeline = require "ssot.pipeline"
  require("ssot.inputs").begin()
  progress(opts, "ssot run: reading " .. opts.config .. " ...")
  local loaded, err = run_config(opts)
  if not loaded then return report_error(err, opts) end
  local status = up_to_date(loaded, opts, started)
  if status then return status end
  local ir
  ir, err = validate(loaded, opts)
  if not ir then return report_error(err, opts) end

  require("ssot.template").clear_cache()   -- a rerun (--watch) sees edited templates
  -- The emitter's errors (output directory, manifest) are the user's to fix: pcall straight
  -- into C so the message carries no cli.lua position.
  local made, emitter = pcall(core.emitter, { root = ir.output, mode = opts.mode })
  if not made then return report_error(errors.new("failure", emitter), opts), ir end
  local ctx = require("ssot.context").new { ir = ir, emitter = emitter, options = opts }
  local ok, plan = errors.call("config", function()
    return pipeline.plan(pipeline.order(pipeline.collect(ir)), ctx)
  end)
  if not ok then
    emitter:abort()
    return report_error(plan, opts), ir
  end
  local say = printer(opts)
  say(string.format("%s %s -> %s", core.color("bold", "ssot run"), ir.source, ir.output_display or ir.output))

  local running, done = 0, 0
  for _, step in ipairs(plan) do
    if step.run then running = running + 1 end
  end
  for _, step in ipairs(plan) do
    local name = step.phase.name
    if step.run then
      done = done + 1
      progress(opts, string.format("  %s (%d/%d) ...", name, done, running))
      local t0 = core.clock()
      ctx.current_phase = name
      -- the phase's files are written before the next phase runs, so a failed write is its own
      local phase_ok, phase_err = errors.call_limited("phase", pipeline.phase_limit(step.phase, ir), function()
        step.phase.run(ctx)
        emitter:wait()
      end)
      ctx.current_phase = nil
      if not phase_ok then
        emitter:abort()
        record_run(ir, opts, errors.status.phase)
        phase_err.message = string.format("%s\n  in phase '%s' (%s)", phase_err.message, name, step.phase.source or "built-in")
        return report_error(phase_err, opts), ir
      end
      local s = ctx.stats[name] or { created = 0, updated = 0, unchanged = 0 }
      say(string.format("  %-16s %s, %d unchanged  %s", name,
        plural(s.created + s.updated, "file") .. " written", s.unchanged,
        core.color("dim", string.format("%.0f ms", (core.clock() - t0) * 1000))))
    elseif opts.verbose then
      say(string.format("  %-16s %s", name, core.color("dim", "skipped: " .. step.reason)))
    end
  end

  progress(opts, "ssot run: finishing ...")
  local finished, report = pcall(emitter.finish, emitter)
  if not finished then
    record_run(ir, opts, errors.status.failure)
    return report_error(errors.new("failure", report), opts), ir
  end
  status = require("ssot.report").finish(report, opts, started, say)
  record_run(ir, opts, status, report)
  return status, ir
end

-- run_once, then clears the progress line whatever path the run ended on.
local function run_and_clear(opts)
  local status, ir = run_once(opts)
  core.progress()
  return status, ir
end

-- Calls fn(...) with the garbage collector starting a cycle only when the heap has grown
-- tenfold since the last one (Lua's default is twofold): a run keeps most of what it
-- allocates until it ends, so the default spends about a quarter of a large run marking the
-- same live tables again and again; this costs about 15% more memory. The previous setting
-- is restored for embedders. Returns fn's first result.
local function with_lazy_gc(fn, ...)
  local pause = collectgarbage("setpause", 1000)
  local result = fn(...)
  collectgarbage("setpause", pause)
  return result
end

local function cmd_run(argv)
  local opts, message = parse_options(argv, 2, {
    ["--lib"] = true, ["--config"] = true, ["-o"] = true, ["--output"] = true, ["--dry-run"] = true,
    ["--check"] = true, ["--diff"] = true, ["-f"] = true, ["--force"] = true, ["-w"] = true, ["--watch"] = true,
    ["-q"] = true, ["--quiet"] = true,
    ["-v"] = true, ["--verbose"] = true, ["-h"] = true, ["--help"] = true,
  })
  if not opts then return usage_error(message, "run") end
  if opts.help then core.write("stdout", RUN_USAGE) return errors.status.ok end
  opts.base_lib_dirs = base_lib_dirs(opts)
  if opts.quiet then core.set_log_level("error") elseif opts.verbose then core.set_log_level("debug") end
  if opts.watch then return require("ssot.watch").loop(opts, run_and_clear) end
  return with_lazy_gc(run_and_clear, opts)
end

local function cmd_phases(argv)
  local opts, message = parse_options(argv, 2, {
    ["--lib"] = true, ["--config"] = true, ["-h"] = true, ["--help"] = true,
  })
  if not opts then return usage_error(message, "phases") end
  if opts.help then core.write("stdout", PHASES_USAGE) return errors.status.ok end
  opts.base_lib_dirs = base_lib_dirs(opts)
  local ir, err = load_ir(opts)
  if not ir then return report_error(err, opts) end
  local pipeline = require "ssot.pipeline"
  local ctx = require("ssot.context").new { ir = ir, options = opts }
  local ok, plan = errors.call("config", function()
    return pipeline.plan(pipeline.order(pipeline.collect(ir)), ctx)
  end)
  if not ok then return report_error(plan, opts) end
  core.write("stdout", pipeline.describe(plan))
  return errors.status.ok
end

-- `ssot init` and `ssot new` (ssot.scaffold.project, ssot.scaffold.phase): main(argv) returns
-- a status, or nil and an error, printed here like every other command's.
local function scaffold_command(module, topic)
  return function(argv)
    local ok, status, err = errors.call("failure", function() return require(module).main(argv) end)
    if not ok then return report_error(status) end
    if status then return status end
    if err.kind == "usage" then return usage_error(err.message, topic) end
    return report_error(err)
  end
end

-- The usage of each command, by name. serve and token are C (src/cli/): src/main.c prints
-- theirs for `ssot help serve` and `ssot help token`; an embedder's host, which has no such
-- commands, points at the ssot binary.
local function usage_text(topic)
  if topic == "run" then return RUN_USAGE
  elseif topic == "phases" then return PHASES_USAGE
  elseif topic == "init" then return require("ssot.scaffold.project").USAGE
  elseif topic == "new" then return require("ssot.scaffold.phase").USAGE
  elseif topic == "help" or topic == "-h" or topic == "--help" then return HELP_USAGE
  elseif topic == "version" then return VERSION_USAGE
  elseif topic == "serve" or topic == "token" then return "Run 'ssot " .. topic .. " --help'.\n"
  end
end

local function cmd_help(argv)
  local topic = argv[2]
  if topic == nil then core.write("stdout", USAGE) return errors.status.ok end
  local text = usage_text(topic)
  if not text then return usage_error("no help for '" .. topic .. "'", "") end
  core.write("stdout", text)
  return errors.status.ok
end

local function cmd_version(argv)
  local a = argv[2]
  if a == "-h" or a == "--help" then core.write("stdout", VERSION_USAGE) return errors.status.ok end
  if a ~= nil then return usage_error("version takes no arguments (got '" .. a .. "')", "version") end
  core.write("stdout", "ssot " .. core.version .. "\n")
  return errors.status.ok
end

local commands = {
  init = scaffold_command("ssot.scaffold.project", "init"),
  new = scaffold_command("ssot.scaffold.phase", "new"),
  run = cmd_run,
  phases = cmd_phases,
  help = cmd_help,
  version = cmd_version,
}

-- main(argv) -> exit status. argv excludes the program name.
function M.main(argv)
  M.last_error = nil
  local command = argv[1]
  if command == nil or command == "-h" or command == "--help" then
    core.write(command and "stdout" or "stderr", USAGE)
    return command and errors.status.ok or errors.status.usage
  end
  if command == "--version" or command == "-V" then command = "version" end
  local handler = commands[command]
  if not handler then
    return usage_error("unknown command '" .. command .. "'", "")
  end
  -- A run sets the library directories to its --lib and its config's `lib`; the host gets its
  -- own back, so an embedder's next command does not search those.
  local host_lib_dirs = core.lib_dirs()
  local status = handler(argv)
  core.set_lib_dirs(host_lib_dirs)
  return status
end

return M
