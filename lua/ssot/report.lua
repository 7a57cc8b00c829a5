-- The end of a run: prints what the emitter's report (core.emitter ... :finish()) says in the
-- run's mode — the summary line, the file list (verbose, dry-run, check), unified diffs
-- (--diff), warnings for kept files — and turns it into the exit status. Uses ssot.core for
-- output and colour, ssot.diff for --diff, ssot.errors for the statuses.
local core = require "ssot.core"
local errors = require "ssot.errors"

local M = {}

local function count(n, word)
  return string.format("%d %s%s", n, word, n == 1 and "" or "s")
end

local function elapsed_ms(started)
  return string.format("%.0f ms", (core.clock() - started) * 1000)
end

-- What the summary adds when the run's fingerprint showed nothing to do (ssot.uptodate).
local function up_to_date(report, prefix)
  if not report.up_to_date then return "" end
  return " (" .. (prefix or "") .. "no input changed since the last run)"
end

-- Lines "  <label> <path>" for each path, the label padded to the width of the widest one.
local function list(say, entries)
  for _, e in ipairs(entries) do
    for _, path in ipairs(e.paths) do
      say(string.format("  %s %s", core.color(e.color, string.format("%-9s", e.label)), path))
    end
  end
end

local function warn_kept(report)
  local verb = report.mode == "write" and "kept" or "would keep"
  for _, path in ipairs(report.kept) do
    core.log("warn", string.format(
      "%s %s: no longer generated, but edited since ssot wrote it; ssot leaves it and stops "
        .. "tracking it (delete it if it is not needed)", verb, path))
  end
end

local function finish_write(report, opts, started, say)
  if opts.verbose then
    list(say, {
      { label = "created", color = "green", paths = report.created },
      { label = "updated", color = "yellow", paths = report.updated },
      { label = "unchanged", color = "dim", paths = report.unchanged },
      { label = "removed", color = "red", paths = report.removed },
    })
  end
  local written = #report.created + #report.updated
  if written + #report.removed == 0 then
    say(string.format("%s nothing changed (%s) in %s%s", core.color("green", "done:"),
      count(#report.unchanged, "file"), elapsed_ms(started), up_to_date(report, "up to date: ")))
  else
    say(string.format("%s %d written, %d unchanged, %d removed in %s", core.color("green", "done:"),
      written, #report.unchanged, #report.removed, elapsed_ms(started)))
  end
  return errors.status.ok
end

local function finish_dry_run(report, _, started, say)
  list(say, {
    { label = "create", color = "green", paths = report.created },
    { label = "update", color = "yellow", paths = report.updated },
    { label = "remove", color = "red", paths = report.removed },
  })
  local changes = #report.created + #report.updated + #report.removed
  if changes == 0 then
    say(string.format("dry run: nothing would change (%s) in %s%s", count(#report.unchanged, "file"),
      elapsed_ms(started), up_to_date(report)))
  else
    say(string.format("dry run: would write %d, remove %d, leave %d unchanged; nothing written (%s)",
      #report.created + #report.updated, #report.removed, #report.unchanged, elapsed_ms(started)))
  end
  return errors.status.ok
end

-- --check: the stale, missing and extra files go to stderr even with --quiet, so a failing CI
-- job always says why.
local function finish_check(report, opts, started, say)
  local problems = #report.created + #report.updated + #report.removed
  if problems == 0 then
    say(string.format("%s all %s up to date in %s%s", core.color("green", "check:"),
      count(#report.unchanged, "generated file"), elapsed_ms(started), up_to_date(report)))
    return errors.status.ok
  end
  local function err(line) core.write("stderr", line .. "\n") end
  local groups = {
    { label = "stale", paths = report.updated, why = "differs from what the config generates" },
    { label = "missing", paths = report.created, why = "would be generated" },
    { label = "extra", paths = report.removed, why = "no longer generated; a run removes it" },
  }
  for _, g in ipairs(groups) do
    for _, path in ipairs(g.paths) do
      err(string.format("  %s %s  %s", core.color("red", string.format("%-7s", g.label), "stderr"), path,
        core.color("dim", "(" .. g.why .. ")", "stderr")))
    end
  end
  err(string.format("%s %s out of date (%d stale, %d missing, %d extra) under %s; run 'ssot run %s' and commit the result",
    core.color("red", "check failed:", "stderr"), count(problems, "file"), #report.updated, #report.created,
    #report.removed, report.root, opts.config or "config.lua"))
  return errors.status.check
end

-- --diff: the diffs are the output asked for, so they print even with --quiet.
local function finish_diff(report, _, started, say)
  local diff = require "ssot.diff"
  for _, d in ipairs(report.diffs or {}) do
    local from = d.old and "a/" .. d.path or "/dev/null"
    local to = d.new and "b/" .. d.path or "/dev/null"
    local text = diff.unified(d.old or "", d.new or "", from, to)
    -- an empty file created or removed has no lines to show: the header alone says it
    if text == "" then text = "--- " .. from .. "\n+++ " .. to .. "\n" end
    core.write("stdout", text)
  end
  local changes = #report.created + #report.updated + #report.removed
  if changes == 0 then
    say(string.format("diff: nothing would change (%s) in %s%s", count(#report.unchanged, "file"),
      elapsed_ms(started), up_to_date(report)))
  else
    say(string.format("diff: %d to create, %d to update, %d to remove; nothing written (%s)",
      #report.created, #report.updated, #report.removed, elapsed_ms(started)))
  end
  return errors.status.ok
end

local by_mode = {
  write = finish_write,
  ["dry-run"] = finish_dry_run,
  check = finish_check,
  diff = finish_diff,
}

-- finish(report, opts, started, say) -> exit status. report: from emitter:finish(), or made by
-- the CLI with up_to_date = true when the run's fingerprint showed nothing to do; opts: the
-- run options (mode, verbose, config); started: core.clock() at the start of the run; say:
-- prints a line unless --quiet.
function M.finish(report, opts, started, say)
  local mode = report.mode or opts.mode or "write"
  local finish = by_mode[mode] or error("report: unknown mode '" .. tostring(mode) .. "'", 2)
  warn_kept(report)
  return finish(report, opts, started, say)
end

return M
