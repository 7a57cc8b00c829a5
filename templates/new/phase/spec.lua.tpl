%# `ssot new phase`'s spec/NAME_spec.lua: a busted spec of the new phase that passes as it is
%# written (Lua 5.1 to 5.4, as busted may run on any). Vars: name.
-- spec/<%= name %>_spec.lua: tests of phases/<%= name %>.lua, made by `ssot new phase <%= name %>`.
-- Run `busted` in the project's directory. The first tests call the phase with a context
-- made here, so they need nothing else; the last runs the real `ssot run` ($SSOT_BIN, else
-- ssot on the PATH) on a small config listing the phase, and reads what it wrote.

local function capture(command)
  local p = assert(io.popen(command))
  local out = p:read("*a")
  p:close()
  return out
end

local function quote(s) return "'" .. s:gsub("'", "'\\''") .. "'" end

-- The project's directory, absolute: this file's, one level up.
local source = debug.getinfo(1, "S").source:gsub("^@", "")
local root = source:match("^(.*)/spec/[^/]*$") or "."
if root:sub(1, 1) ~= "/" then root = capture("cd " .. quote(root) .. " && pwd"):gsub("\n$", "") end

local phase = dofile(root .. "/phases/<%= name %>.lua")

-- A context with what the phase uses: the IR's models, and render and emit that record
-- their calls instead of rendering and writing.
local function context(models)
  local ctx = { ir = { name = "demo", source_name = "config.lua", models = models }, models = models,
    rendered = {}, emitted = {} }
  ctx.render = function(name) ctx.rendered[#ctx.rendered + 1] = name return "text of " .. name end
  ctx.emit = function(path, content) ctx.emitted[path] = content return "created" end
  return ctx
end

local NOTE = { name = "Note", path = "notes", fields = { { name = "id", type = "id" } } }

describe("phase <%= name %>", function()
  it("is named <%= name %>", function()
    assert.are.equal("<%= name %>", phase.name)
  end)

  it("runs only when the config has models", function()
    assert.is_true(phase.should_run(context({ NOTE })))
    local run, why = phase.should_run(context({}))
    assert.is_false(run)
    assert.are.equal("the config has no models", why)
  end)

  it("writes <%= name %>.md from its template", function()
    local ctx = context({ NOTE })
    phase.run(ctx)
    assert.are.same({ "<%= name %>/models.md.tpl" }, ctx.rendered)
    assert.are.equal("text of <%= name %>/models.md.tpl", ctx.emitted["<%= name %>.md"])
  end)

  it("writes the models' fields through ssot run", function()
    local ssot = os.getenv("SSOT_BIN") or "ssot"
    local dir = capture("mktemp -d"):gsub("\n$", "")
    local config = assert(io.open(dir .. "/config.lua", "w"))
    config:write(table.concat({
      'name = "demo"',
      "lib = { " .. string.format("%q", root .. "/lib") .. " }",
      "phases = { " .. string.format("%q", root .. "/phases/<%= name %>.lua") .. " }",
      "targets = { sql = false, sdk = false, react = false, openapi = false, asyncapi = false }",
      'models = { Note = { fields = { { "id", "id" }, { "title", "string", max = 200 } } } }',
    }, "\n") .. "\n")
    config:close()
    local out = capture("cd " .. quote(dir) .. " && " .. quote(ssot) .. " run --quiet 2>&1; echo \"exit status $?\"")
    local file = io.open(dir .. "/generated/<%= name %>.md")
    local written = file and file:read("*a")
    if file then file:close() end
    os.execute("rm -rf " .. quote(dir))
    assert(out:find("exit status 0", 1, true), "ssot run failed (is ssot on the PATH, or SSOT_BIN set?):\n" .. out)
    assert.is_string(written)
    assert.matches("## Note", written, 1, true)
    assert.matches("| `title` | string | yes |", written, 1, true)
  end)
end)
