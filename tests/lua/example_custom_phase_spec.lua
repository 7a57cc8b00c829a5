-- examples/custom-phase through the real binary: the user phase runs after the built-in sql
-- phase and writes the data dictionary; the template override in lib/ replaces the built-in
-- schema template; nothing is recompiled.
local fs = require "fs_helpers"

local SSOT = assert(os.getenv("SSOT_BIN"), "SSOT_BIN must name the ssot binary")
local SOURCE = assert(os.getenv("SSOT_SOURCE_DIR"), "SSOT_SOURCE_DIR must name the source tree")

describe("examples/custom-phase", function()
  local dir

  before_each(function()
    dir = fs.tempdir()
    fs.sh("cp -r " .. fs.quote(SOURCE .. "/examples/custom-phase") .. " " .. fs.quote(dir .. "/app"))
  end)

  after_each(function() fs.remove(dir) end)

  -- Runs ssot without SSOT_PATH, as a user would: only the config's lib/ overrides.
  local function ssot(args)
    return fs.capture("env -u SSOT_PATH " .. fs.quote(SSOT) .. " " .. args .. " 2>&1; echo \"status=$?\"")
  end

  it("lists the user phase after the built-in sql phase", function()
    local out = ssot("phases " .. fs.quote(dir .. "/app/config.lua"))
    assert.matches("status=0", out)
    local sql_at = out:find("sql", 1, true)
    local dict_at = out:find("dictionary", 1, true)
    assert.is_truthy(sql_at and dict_at and sql_at < dict_at, out)
    assert.matches("phases/dictionary.lua", out, 1, true)
  end)

  it("writes the data dictionary from the user's template", function()
    local out = ssot("run " .. fs.quote(dir .. "/app/config.lua"))
    assert.matches("status=0", out)
    local md = assert(fs.read(dir .. "/app/generated/DATA_DICTIONARY.md"), out)
    assert.matches("# Library data dictionary", md, 1, true)
    assert.matches("## Book", md, 1, true)
    assert.matches("| `isbn` | string | no | unique; max 17 |", md, 1, true)
    assert.matches("| `authorId` | int | yes | -> Author | Who wrote it. |", md, 1, true)
    assert.matches("Has many: books (Book.authorId)", md, 1, true)
    assert.matches("update `isAdmin`", md, 1, true)
  end)

  it("uses the overriding schema template from lib/ instead of the built-in", function()
    ssot("run " .. fs.quote(dir .. "/app/config.lua"))
    local schema = assert(fs.read(dir .. "/app/generated/schema.sql"))
    assert.matches("(custom template)", schema, 1, true)
    assert.matches("PRAGMA foreign_keys = ON;", schema, 1, true)
    assert.matches('CREATE TABLE IF NOT EXISTS "books"', schema, 1, true)
  end)

  it("picks up an edited template on the next run without rebuilding anything", function()
    ssot("run " .. fs.quote(dir .. "/app/config.lua"))
    local template = dir .. "/app/lib/templates/dictionary/models.md.tpl"
    fs.write(template, fs.read(template):gsub("data dictionary", "field guide"))
    local out = ssot("run " .. fs.quote(dir .. "/app/config.lua"))
    assert.matches("status=0", out)
    assert.matches("# Library field guide", fs.read(dir .. "/app/generated/DATA_DICTIONARY.md"), 1, true)
  end)
end)
