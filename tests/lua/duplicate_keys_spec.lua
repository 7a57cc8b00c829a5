-- Specs for core.duplicate_keys, the scan behind "written twice in the same table": which keys
-- it compares, the lines and paths it reports, and what it must not mistake for a table.
local core = require "ssot.core"

-- The findings as "line first path-or-- key" strings, in order.
local function scan(source)
  local out = {}
  for i, d in ipairs(core.duplicate_keys(source)) do
    local path = {}
    for j, k in ipairs(d.path or {}) do path[j] = tostring(k) end
    out[i] = string.format("%d %d %s %s", d.line, d.first, d.path and table.concat(path, "/") or "-", tostring(d.key))
  end
  return out
end

describe("core.duplicate_keys", function()
  it("finds a key written twice, with both lines and the path from the config key", function()
    assert.are.same({ "3 2 models/Note Note" }, scan([[
models = {
  Note = { fields = {} },
  Note = { fields = {} },
}
]]))
  end)

  it("treats name = , [\"name\"] = and [1] = as keys, and compares each written again", function()
    assert.are.same({ "2 1 x/a a", "4 3 x/1 1", "5 1 x/a a" }, scan([[
x = { a = 1,
  ["a"] = 2,
  [1] = 3,
  [1] = 4,
  a = 5 }
]]))
  end)

  it("does not compare positional entries, computed keys or keys of different tables", function()
    assert.are.same({}, scan([[
models = {
  A = { fields = { { "id", "id" }, { "id", "id" } } },
  B = { fields = { { "id", "id" } } },
  [k] = 1, [k] = 2, [1.5] = 3, [1.5] = 4, ["a\tb"] = 5, ["a\tb"] = 6,
}
]]))
  end)

  it("names the path through positional entries and dotted assignments", function()
    assert.are.same({ "2 2 models/Item/fields/2/max max", "3 3 serve/cors/origins origins" }, scan([[
models.Item = { fields = { { "id", "id" },
  { "t", "string", max = 1, max = 2 } } }
serve["cors"] = { origins = {}, origins = {} }
]]))
  end)

  it("reports tables inside expressions and functions without a path", function()
    assert.are.same({ "1 1 - a", "3 3 - b", "5 5 - c" }, scan([[
local t = { a = 1, a = 2 }
models = { X = { hooks = { beforeCreate = function(req)
  return { b = 1, b = 2 }
end } } }
print(f({ c = 1, c = 2 }))
]]))
  end)

  it("starts the path at return {", function()
    assert.are.same({ "3 2 name name" }, scan('return {\n  name = "a",\n  name = "b",\n}\n'))
  end)

  it("ignores what is in comments and strings, and counts their lines", function()
    assert.are.same({ "9 9 x/k k" }, scan([==[
#!/usr/bin/env lua
-- { a = 1, a = 2 }
--[[ { a = 1,
       a = 2 } ]]
local s = "{ b = 1, b = 2 }" .. '{ c = 1,\
c = 2 }' .. [=[
{ d = 1, d = 2 } ]]
]=]
x = { k = 1, k = a == b }
]==]))
  end)

  it("tells = from == and other operators", function()
    assert.are.same({}, scan("x = { a == 1, a <= 2, a >= 3, a ~= 4 }\n"))
  end)

  it("stops quietly at source that is not valid Lua", function()
    assert.are.same({ "1 1 x/a a" }, scan('x = { a = 1, a = 2 }\ny = { "never closed\n b = 1, b = 2 }'))
    assert.are.same({}, scan("x = { a = 1 ) a = 2 }"))
    assert.are.same({}, scan(""))
  end)

  it("takes only a string", function()
    assert.has_error(function() core.duplicate_keys(nil) end)
  end)
end)
