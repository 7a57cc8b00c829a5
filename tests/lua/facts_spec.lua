-- Specs for ssot.facts, the one declaration of the field types, operators, the REST error
-- table and (through core.exit_status) the exit statuses: the documents that list them say
-- the same, and the tables derived from them (the IR's types, the SDK's error codes,
-- OpenAPI's error description) follow them.
local core = require "ssot.core"
local facts = require "ssot.facts"
local ir = require "ssot.ir"

local fs = require "fs_helpers"

local SOURCE = os.getenv("SSOT_SOURCE_DIR") or "."

local function doc(name) return assert(fs.read(SOURCE .. "/docs/" .. name), "docs/" .. name) end

-- The rows of the markdown table that follows `heading_pattern` in text, as lists of cells.
local function table_rows(text, after)
  local start = assert(text:find(after, 1, true), "no '" .. after .. "' in the document")
  local rows, in_table = {}, false
  for line in text:sub(start):gmatch("[^\n]*") do
    if line:match("^|") then
      in_table = true
      if not line:match("^| %-%-%-") then
        local cells = {}
        for cell in line:gmatch("|([^|]*)") do cells[#cells + 1] = cell:match("^%s*(.-)%s*$") end
        if cells[#cells] == "" then cells[#cells] = nil end
        rows[#rows + 1] = cells
      end
    elseif in_table then
      break
    end
  end
  table.remove(rows, 1) -- the header
  return rows
end

describe("ssot.facts", function()
  it("docs/rest.md's error table lists exactly the facts' statuses and codes, in order", function()
    local documented = {}
    for _, row in ipairs(table_rows(doc("rest.md"), "| status | code | when |")) do
      documented[#documented + 1] = row[1] .. " " .. row[2]:gsub("`", "")
    end
    local declared = {}
    for _, e in ipairs(facts.errors) do declared[#declared + 1] = e.status .. " " .. e.code end
    assert.are.same(declared, documented)
  end)

  it("docs/rest.md's operator table gives every field type the facts' operators, and the SDK's", function()
    local function words(text)
      local list = {}
      for op in text:gmatch("%S+") do list[#list + 1] = op end
      return list
    end
    local seen = {}
    for _, row in ipairs(table_rows(doc("rest.md"), "| field type | operators | SDK |")) do
      local server = words(row[2]:match("`([^`]*)`"))
      local sdk = row[3]:match("`([^`]*)`") and words(row[3]:match("`([^`]*)`")) or server -- "all": the same
      for entry in row[1]:gmatch("[^,]+") do
        local uuid = entry:find("uuid", 1, true) ~= nil
        local name = entry:match("`([^`]+)`")
        seen[name .. (uuid and " uuid" or "")] = true
        assert.are.same(facts.operator_list(name, { uuid = uuid }), server, entry)
        assert.are.same(facts.operator_list(name, { uuid = uuid, sdk = true }), sdk, entry .. " (SDK)")
      end
    end
    for _, t in ipairs(facts.field_types) do assert.is_true(seen[t.name] or false, t.name .. " is in the table") end
    assert.is_true(seen["id uuid"] or false, "uuid ids are in the table")
  end)

  it("docs/config.md documents every field type", function()
    local config = doc("config.md")
    for _, t in ipairs(facts.field_types) do
      assert.truthy(config:find("| `" .. t.name .. "` |", 1, true), t.name .. " in docs/config.md")
    end
  end)

  it("docs/config.md's types table gives every field type the facts' SQLite and PostgreSQL types", function()
    local function quoted(cell)
      local list = {}
      for word in cell:gmatch("`([^`]+)`") do list[#list + 1] = word end
      return list
    end
    local seen = {}
    for _, row in ipairs(table_rows(doc("config.md"), "| type | JSON value | SQLite | PostgreSQL |")) do
      local name = row[1]:match("`([^`]+)`")
      seen[name] = true
      for column, dialect in pairs({ [3] = "sqlite", [4] = "postgres" }) do
        local declared = { facts.sql_type(name, false, dialect) }
        if facts.field_type[name].uuid then declared[2] = facts.sql_type(name, true, dialect) end
        assert.are.same(declared, quoted(row[column]), name .. " (" .. dialect .. ")")
      end
    end
    for _, t in ipairs(facts.field_types) do assert.is_true(seen[t.name] or false, t.name .. " is in the table") end
  end)

  it("sql_type knows each dialect and refuses others", function()
    assert.are.equal("INTEGER", facts.sql_type("bool"))
    assert.are.equal("BOOLEAN", facts.sql_type("bool", false, "postgres"))
    assert.are.equal("TEXT", facts.sql_type("id", true, "postgres"))
    assert.has_error(function() facts.sql_type("int", false, "mysql") end, "facts: unknown SQL dialect mysql")
  end)

  it("the IR's types are the facts' types", function()
    local names = {}
    for i, t in ipairs(facts.field_types) do names[i] = t.name end
    assert.are.same(names, ir.TYPES)
  end)

  it("the exit statuses come from include/ssot.h, and docs/embedding.md lists the same", function()
    local header = assert(fs.read(SOURCE .. "/include/ssot.h"))
    local enum = {}
    for name, value in header:gmatch("SSOT_([A-Z_]+) = (%d+)") do enum[name] = tonumber(value) end
    local documented = {}
    for _, row in ipairs(table_rows(doc("embedding.md"), "| status | value | meaning |")) do
      documented[row[1]:gsub("`", "")] = tonumber(row[2])
    end
    for name, value in pairs(core.exit_status) do
      local c = name == "ok" and "OK" or "ERR_" .. name:upper()
      assert.are.equal(enum[c], value, name)
      assert.are.equal(documented["SSOT_" .. c], value, name .. " in docs/embedding.md")
    end
    local count = 0
    for _ in pairs(enum) do count = count + 1 end
    local exported = 0
    for _ in pairs(core.exit_status) do exported = exported + 1 end
    assert.are.equal(count, exported, "every status of ssot.h is in core.exit_status")
  end)
end)
