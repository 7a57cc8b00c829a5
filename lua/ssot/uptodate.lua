-- The fingerprint of a run, <output>/.ssot-fingerprint: after a successful writing run, what
-- the run read (ssot.inputs: files with their SHA-256, paths looked up and not found,
-- environment variables with the SHA-256 of their values), the build of ssot, its places (config, output and library
-- directories), and the size, modification time, inode and SHA-256 of every file it left in
-- the output directory. A later run whose inputs all still match and whose output files are
-- all as they were left has nothing to do: check() tells it without validating the config or
-- running a phase. docs/output.md gives the rules. Uses ssot.core (hashing, stat, atomic
-- replace) and ssot.json.
local core = require "ssot.core"
local json = require "ssot.json"
local inputs = require "ssot.inputs"

local M = {}

M.FILE = ".ssot-fingerprint"
M.FORMAT = 1

local MANIFEST = ".ssot-manifest"

local function fingerprint_path(output) return output .. "/" .. M.FILE end

-- "<size> <mtime_ns> <inode>" of the regular file at path, or nil.
local function stamp(path)
  local size, mtime, inode = core.stat(path)
  if not size then return nil end
  return string.format("%d %d %d", size, mtime, inode), mtime
end

-- path -> SHA-256 of every file the manifest in output lists.
local function manifest_hashes(output)
  local hashes = {}
  for hash, path in (core.read_file(output .. "/" .. MANIFEST) or ""):gmatch("(%x+)  ([^\n]+)") do
    hashes[path] = hash
  end
  return hashes
end

local function absolute(path, cwd)
  if path:sub(1, 1) == "/" then return path end
  return cwd .. "/" .. path
end

-- An environment variable's value as the fingerprint keeps it: its SHA-256 (a config may read
-- a secret), or false when the variable is unset.
local function env_hash(value)
  return value and core.sha256(value) or false
end

local function env_hashes(env)
  local hashes = {}
  for name, value in pairs(env) do hashes[name] = env_hash(value) end
  return hashes
end

-- forget(output): removes the fingerprint (after a failed run, or one that cannot be
-- trusted to give the same output again), so the next run runs in full.
function M.forget(output)
  os.remove(fingerprint_path(output))
end

-- save{ output, config_path, lib_dirs, report } -> true | false, why not. Writes the
-- fingerprint of the writing run that just finished (report: emitter:finish()), from the
-- current ssot.inputs record, unless the run read something it cannot track.
function M.save(args)
  local record = inputs.current()
  local why_not = record.untracked[1]
  local files = {}
  for path, hash in pairs(record.files) do files[path] = hash end
  for path, hash in pairs(core.module_files()) do
    path = absolute(path, record.cwd)
    if files[path] == nil then files[path] = hash end
  end
  local outputs, hashes = {}, manifest_hashes(args.output)
  local function add_output(relpath, hash)
    local stat = stamp(args.output .. "/" .. relpath)
    if not (stat and hash) then
      why_not = why_not or relpath .. " changed while ssot was writing"
    else
      outputs[relpath] = stat .. " " .. hash
    end
  end
  for _, list in ipairs { args.report.created, args.report.updated, args.report.unchanged } do
    for _, relpath in ipairs(list) do add_output(relpath, hashes[relpath]) end
  end
  local manifest = core.read_file(args.output .. "/" .. MANIFEST)
  if manifest then add_output(MANIFEST, core.sha256(manifest)) end
  if why_not then
    M.forget(args.output)
    return false, why_not
  end
  local encoded, text = pcall(json.encode, {
    format = M.FORMAT,
    ssot = core.version,
    build = core.build_id,
    config = args.config_path,
    output = args.output,
    lib_dirs = json.array(args.lib_dirs),
    files = json.object(files),
    env = json.object(env_hashes(record.env)),
    outputs = json.object(outputs),
  }, { indent = 1 })
  if not encoded then   -- a path or variable that is not UTF-8 text
    M.forget(args.output)
    return false, text
  end
  local written, message = core.replace_file(fingerprint_path(args.output), text .. "\n")
  if not written then return false, message end
  return true
end

-- The reason the recorded inputs no longer match, or nil. current: this run's record (the
-- config file has been read and hashed already).
local function changed_input(fp, args, current)
  if fp.ssot ~= core.version or fp.build ~= core.build_id then
    return "another build of ssot made the last run (" .. tostring(fp.build) .. ")"
  end
  if fp.config ~= args.config_path then return "the last run was of another config (" .. tostring(fp.config) .. ")" end
  if fp.output ~= args.output then return "the last run wrote to another directory (" .. tostring(fp.output) .. ")" end
  local dirs = type(fp.lib_dirs) == "table" and fp.lib_dirs or {}
  if #dirs ~= #args.lib_dirs then return "the library directories changed" end
  for i, dir in ipairs(args.lib_dirs) do
    if dirs[i] ~= dir then return "the library directories changed" end
  end
  for name, hash in pairs(type(fp.env) == "table" and fp.env or {}) do
    if env_hash(os.getenv(name)) ~= hash then return "the environment variable " .. name .. " changed" end
  end
  for path, hash in pairs(type(fp.files) == "table" and fp.files or {}) do
    local now = current.files[path]
    if now == nil then
      local content = core.file_type(path) and core.read_file(path)
      now = content and core.sha256(content) or false
    end
    if now ~= hash then
      return path .. (hash == false and " appeared" or now == false and " is gone" or " changed") .. " since the last run"
    end
  end
  return nil
end

-- The reason an output file is not as the last run left it, or nil; sorted paths of the
-- generated files (the manifest left out) go to list. A file modified in the clock tick the
-- fingerprint was written in could keep its recorded stat, so such a file is hashed instead.
local function changed_output(fp, args, list)
  local own_stat, own_mtime = stamp(fingerprint_path(args.output))
  if not own_stat or type(fp.outputs) ~= "table" then return "the fingerprint cannot be read" end
  for relpath, entry in pairs(fp.outputs) do
    local recorded, mtime, hash = tostring(entry):match("^(%d+ (%-?%d+) %d+) (%x+)$")
    local path = args.output .. "/" .. relpath
    local now = stamp(path)
    if not recorded or now ~= recorded then return relpath .. " changed since the last run" end
    if math.tointeger(tonumber(mtime)) >= own_mtime and core.sha256(core.read_file(path) or "") ~= hash then
      return relpath .. " changed since the last run"
    end
    if relpath ~= MANIFEST then list[#list + 1] = relpath end
  end
  table.sort(list)
  return nil
end

-- check{ output, config_path, lib_dirs } -> outputs | nil, why not. outputs: the sorted
-- paths of the generated files, when the last writing run's fingerprint still holds: the
-- same build of ssot, config, output and library directories, every recorded input file and
-- environment variable as it was, nothing untracked read by this run so far (the config),
-- and every output file as the run left it.
function M.check(args)
  local current = inputs.current()
  if current.untracked[1] then return nil, current.untracked[1] end
  local text = core.read_file(fingerprint_path(args.output))
  if not text then return nil, "no fingerprint of an earlier run in " .. args.output end
  local ok, fp = pcall(json.decode, text)
  if not ok or type(fp) ~= "table" or fp.format ~= M.FORMAT then
    return nil, "the fingerprint " .. fingerprint_path(args.output) .. " is not one this ssot reads"
  end
  local why = changed_input(fp, args, current)
  if why then return nil, why end
  local outputs = {}
  why = changed_output(fp, args, outputs)
  if why then return nil, why end
  return outputs
end

return M
