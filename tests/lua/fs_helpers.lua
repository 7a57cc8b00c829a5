-- Shell and file helpers shared by the specs that work on real directories (emit, watch,
-- report, run, uptodate): run a command or the ssot binary, read its output, read and write
-- files, make a temp dir.
local M = {}

-- quote(s) -> s as one single-quoted shell word.
function M.quote(s) return "'" .. s:gsub("'", "'\\''") .. "'" end

-- capture(command) -> its stdout without the final newline.
function M.capture(command)
  local p = assert(io.popen(command))
  local out = p:read("a")
  p:close()
  return (out:gsub("\n$", ""))
end

-- sh(command): runs it; an error when it fails.
function M.sh(command)
  assert(os.execute(command), "command failed: " .. command)
end

-- read(path) -> the file's content, or nil when it cannot be read.
function M.read(path)
  local f = io.open(path, "rb")
  if not f then return nil end
  local s = f:read("a")
  f:close()
  return s
end

-- write(path, content)
function M.write(path, content)
  local f = assert(io.open(path, "wb"))
  f:write(content)
  f:close()
end

-- snapshot(dir) -> one line per entry under dir with its size, mtime and inode: two equal
-- snapshots mean nothing was written, created or removed in between.
function M.snapshot(dir)
  return M.capture("cd " .. M.quote(dir) .. " 2>/dev/null && find . -printf '%p %s %T@ %i\\n' | sort")
end

-- ssot(dir, args[, env]) -> exit status, stdout, stderr of `[env] $SSOT_BIN <args>` run in dir
-- with NO_COLOR (its output goes through dir/stdout and dir/stderr).
function M.ssot(dir, args, env)
  local ok, _, status = os.execute(string.format("cd %s && NO_COLOR=1 %s %s %s >%s/stdout 2>%s/stderr",
    M.quote(dir), env or "", M.quote(assert(os.getenv("SSOT_BIN"), "SSOT_BIN must name the ssot binary")), args,
    M.quote(dir), M.quote(dir)))
  return ok and 0 or status, M.read(dir .. "/stdout"), M.read(dir .. "/stderr")
end

-- tempdir() -> the path of a new empty directory; remove(path) deletes it again.
function M.tempdir() return M.capture("mktemp -d") end
function M.remove(path) os.execute("chmod -R u+w " .. M.quote(path) .. " 2>/dev/null; rm -rf " .. M.quote(path)) end

return M
