-- Checks the layering of src/runtime (src/runtime/README.md): each folder's README names the
-- folders it may use ("Uses: a, b" or "Uses: none"); every #include "runtime/<folder>/..."
-- in a folder's files must name the folder itself or one it may use; the folders must form
-- no cycle; and src/host (below the runtime) must include nothing of it.
--   lua5.4 tools/check_layers.lua [SOURCE_DIR]
-- Prints each violation as file:line and exits 1 when there is one. Uses only the standard
-- library and `ls` (through io.popen).
local root = (arg[1] or ".") .. "/src"

local function lines_of(path)
  local f = io.open(path, "r")
  if not f then return nil end
  local text = f:read("a")
  f:close()
  return text
end

local function list(dir)
  local names = {}
  local p = io.popen("ls -1 '" .. dir .. "' 2>/dev/null")
  for name in p:lines() do names[#names + 1] = name end
  p:close()
  table.sort(names)
  return names
end

local problems = {}
local function problem(fmt, ...) problems[#problems + 1] = string.format(fmt, ...) end

-- the folders and what each may use
local uses, folders = {}, {}
for _, name in ipairs(list(root .. "/runtime")) do
  local readme = lines_of(root .. "/runtime/" .. name .. "/README.md")
  if readme then
    local line = readme:match("\nUses: ([^\n]*)")
    if not line then
      problem("src/runtime/%s/README.md: no 'Uses:' line (list the folders it may use, or 'none')", name)
    else
      folders[#folders + 1] = name
      uses[name] = {}
      if line ~= "none" then
        for used in line:gmatch("[^,%s]+") do uses[name][used] = true end
      end
    end
  elseif not name:match("%.md$") then
    problem("src/runtime/%s: a folder without a README.md saying what it owns and uses", name)
  end
end

for _, name in ipairs(folders) do
  for used in pairs(uses[name]) do
    if not uses[used] then problem("src/runtime/%s/README.md: uses '%s', which is not a folder", name, used) end
  end
end

-- no cycles: a depth-first walk over the Uses graph
local state = {}
local function visit(name, path)
  if state[name] == "done" then return end
  if state[name] == "open" then
    problem("src/runtime: the folders use each other in a cycle: %s", table.concat(path, " -> ") .. " -> " .. name)
    return
  end
  state[name] = "open"
  path[#path + 1] = name
  local next_names = {}
  for used in pairs(uses[name] or {}) do next_names[#next_names + 1] = used end
  table.sort(next_names)
  for _, used in ipairs(next_names) do visit(used, path) end
  path[#path] = nil
  state[name] = "done"
end
for _, name in ipairs(folders) do visit(name, {}) end

-- every include against the folder's Uses
local function check_file(path, display, allowed)
  local text = lines_of(path)
  local n = 0
  for line in (text .. "\n"):gmatch("([^\n]*)\n") do
    n = n + 1
    local included = line:match('^%s*#%s*include%s+"runtime/([^"]+)"')
    if included then
      local folder = included:match("^([^/]+)/")
      if not folder then
        problem("%s:%d: #include \"runtime/%s\": runtime headers live in a folder (runtime/<folder>/...)", display, n,
          included)
      elseif not allowed(folder) then
        problem("%s:%d: includes runtime/%s, which this folder may not use (see its README's Uses line)", display, n,
          included)
      end
    end
  end
end

for _, name in ipairs(folders) do
  for _, file in ipairs(list(root .. "/runtime/" .. name)) do
    if file:match("%.[ch]$") then
      check_file(root .. "/runtime/" .. name .. "/" .. file, "src/runtime/" .. name .. "/" .. file,
        function(folder) return folder == name or uses[name][folder] end)
    end
  end
end
for _, file in ipairs(list(root .. "/host")) do
  if file:match("%.[ch]$") then
    check_file(root .. "/host/" .. file, "src/host/" .. file, function() return false end)
  end
end

if #problems > 0 then
  io.stderr:write(table.concat(problems, "\n"), "\n")
  os.exit(1)
end
print(string.format("check_layers: %d runtime folders, no cycle, every include allowed", #folders))
