-- Specs for ssot.json: the deterministic encoder generated files and the IR hash rely on.
local json = require "ssot.json"

describe("ssot.json.encode", function()
  it("sorts object keys so the same value always gives the same bytes", function()
    local a = json.encode({ zeta = 1, alpha = 2, mid = { b = true, a = false } })
    assert.are.equal('{"alpha":2,"mid":{"a":false,"b":true},"zeta":1}', a)
    -- Insert the keys in another order: same text.
    local t = {}
    t.mid = { a = false, b = true }; t.zeta = 1; t.alpha = 2
    assert.are.equal(a, json.encode(t))
  end)

  it("keeps array order", function()
    assert.are.equal('[3,1,2,"x"]', json.encode({ 3, 1, 2, "x" }))
  end)

  it("writes integers without a fraction and floats in their shortest exact form", function()
    assert.are.equal("[1,-7,0,9007199254740993]", json.encode({ 1, -7, 0, 9007199254740993 }))
    assert.are.equal("[0.1,2.5,3,-0.3333333333333333,1e+300]",
      json.encode({ 0.1, 2.5, 3.0, -1 / 3, 1e300 }))
    for _, x in ipairs({ 0.1, 1 / 3, 2 ^ -40, 123456.789, 5e-324, 1.7976931348623157e308 }) do
      assert.are.equal(x, tonumber(json.encode(x)), "round trip of " .. string.format("%.17g", x))
    end
  end)

  it("refuses NaN and infinities, naming where they are", function()
    assert.has_error(function() json.encode({ a = { 1, 0 / 0 } }) end,
      "json.encode: number NaN has no JSON form at $.a[2]")
    assert.has_error(function() json.encode({ x = math.huge }) end,
      "json.encode: number inf has no JSON form at $.x")
  end)

  it("escapes quotes, backslashes and every control character", function()
    assert.are.equal([["a\"b\\c\n\r\t\b\f\u0000\u001f\u007f/é"]],
      json.encode('a"b\\c\n\r\t\b\f\0\31\127/é'))
    for byte = 0, 31 do
      local encoded = json.encode(string.char(byte))
      assert.is_nil(encoded:find("%c"), "raw control byte " .. byte)
      assert.are.equal(string.char(byte), json.decode(encoded))
    end
  end)

  it("rejects strings that are not UTF-8", function()
    assert.has_error(function() json.encode({ name = "caf\233" }) end,
      'json.encode: string is not valid UTF-8 (byte 4 of 4) at $.name')
  end)

  it("tells an empty array from an empty object with json.array / json.object", function()
    assert.are.equal("{}", json.encode({}))
    assert.are.equal("[]", json.encode(json.array({})))
    assert.are.equal("{}", json.encode(json.object({})))
    assert.are.equal('{"items":[],"meta":{}}', json.encode({ items = json.array(), meta = json.object() }))
  end)

  it("writes the keys json.object lists first, in that order, then the rest sorted", function()
    local doc = json.object({ paths = {}, info = { title = "t" }, openapi = "3.1.0", components = {} },
      { "openapi", "info", "missing" })
    assert.are.equal('{"openapi":"3.1.0","info":{"title":"t"},"components":{},"paths":{}}', json.encode(doc))
  end)

  it("encodes null as json.null and nil", function()
    assert.are.equal("[1,null,2]", json.encode({ 1, json.null, 2 }))
    assert.are.equal("null", json.encode(nil))
  end)

  it("indents with the given number of spaces", function()
    local text = json.encode({ b = { 1, 2 }, a = { c = "x" }, e = json.array(), f = {} }, { indent = 2 })
    assert.are.equal(table.concat({
      "{",
      '  "a": {',
      '    "c": "x"',
      "  },",
      '  "b": [',
      "    1,",
      "    2",
      "  ],",
      '  "e": [],',
      '  "f": {}',
      "}",
    }, "\n"), text)
  end)

  it("rejects tables JSON cannot represent, with the path", function()
    assert.has_error(function() json.encode({ a = { [1] = 1, [3] = 3 } }) end,
      "json.encode: table is a sparse array (has holes or non-integer keys); JSON arrays are 1..n at $.a")
    assert.has_error(function() json.encode({ m = { 1, x = 2 } }) end,
      "json.encode: table mixes string keys and other keys at $.m")
    assert.has_error(function() json.encode({ models = { { hook = print } } }) end,
      "json.encode: cannot encode a function value at $.models[1].hook")
    local loop = {}
    loop.self = loop
    assert.has_error(function() json.encode(loop) end, "json.encode: table contains itself at $.self")
    assert.has_error(function() json.encode({}, { indent = -1 }) end)
  end)

  it("round-trips through decode", function()
    local value = { name = "chat", n = 3, ratio = 0.25, tags = { "a", "b" }, nested = { ok = true } }
    assert.are.same(value, json.decode(json.encode(value)))
    assert.are.same(value, json.decode(json.encode(value, { indent = 4 })))
  end)
end)

describe("ssot.json.encode in C and in Lua", function()
  -- The C encoder (ssot.core.json_encode) is the fast path; the Lua one is the reference.
  local function random_value(depth)
    local kind = math.random(depth > 3 and 5 or 8)
    if kind == 1 then return math.random(-1000000, 1000000)
    elseif kind == 2 then return (math.random() - 0.5) * 10 ^ math.random(-20, 20)
    elseif kind == 3 then
      local chars = { "a", "Z", "é", "\n", '"', "\\", "\1", "\127", " ", "€", "x.y" }
      local out = {}
      for i = 1, math.random(0, 8) do out[i] = chars[math.random(#chars)] end
      return table.concat(out)
    elseif kind == 4 then return math.random(2) == 1
    elseif kind == 5 then return json.null
    elseif kind == 6 then
      local t = {}
      for i = 1, math.random(0, 5) do t[i] = random_value(depth + 1) end
      return math.random(3) == 1 and json.array(t) or t
    else
      local t = {}
      for _ = 1, math.random(0, 6) do t["k" .. math.random(20)] = random_value(depth + 1) end
      return kind == 7 and t or json.object(t, { "k3", "k1" })
    end
  end

  it("agree byte for byte on random values, compact and indented", function()
    math.randomseed(42)
    for _ = 1, 500 do
      local v = random_value(0)
      assert.are.equal(json.encode(v, { reference = true }), json.encode(v))
      assert.are.equal(json.encode(v, { indent = 2, reference = true }), json.encode(v, { indent = 2 }))
    end
  end)

  it("agree on errors, with the same path", function()
    local bad = { { a = { 1, { ["x y"] = 0 / 0 } } }, { s = "\255" }, { 1, nil, 3 }, { 1, x = 2 }, { f = print } }
    for _, v in ipairs(bad) do
      local ok_lua, err_lua = pcall(json.encode, v, { reference = true })
      local ok_c, err_c = pcall(json.encode, v)
      assert.is_false(ok_lua)
      assert.is_false(ok_c)
      assert.are.equal(err_lua, err_c)
    end
  end)

  it("agree on values that use one table in several places, at the same and other depths", function()
    math.randomseed(7)
    for _ = 1, 200 do
      local parts = {}
      for i = 1, 4 do parts[i] = random_value(1) end
      local function pick() return parts[math.random(#parts)] end
      local v = { a = pick(), b = { pick(), pick(), { c = pick() } }, d = json.object({ x = pick(), y = pick() }, { "y" }) }
      assert.are.equal(json.encode(v, { reference = true }), json.encode(v))
      assert.are.equal(json.encode(v, { indent = 2, reference = true }), json.encode(v, { indent = 2 }))
    end
    local shared = { type = "string", enum = { "a", "b" } }
    assert.are.equal('{"p":{"x":{"enum":["a","b"],"type":"string"},"y":{"enum":["a","b"],"type":"string"}},'
      .. '"q":[{"enum":["a","b"],"type":"string"}]}', json.encode({ p = { x = shared, y = shared }, q = { shared } }))
  end)

  it("still finds a table that contains itself after meeting it elsewhere", function()
    local inner = { n = 1 }
    local outer = { a = inner, b = { inner } }
    inner.back = outer
    assert.has_error(function() json.encode(outer) end, "json.encode: table contains itself at $.a.back")
  end)

  it("refuses nesting deeper than 512 levels instead of overflowing the C stack", function()
    local deep = {}
    local t = deep
    for _ = 1, 600 do t[1] = {}; t = t[1] end
    local ok, err = pcall(json.encode, deep)
    assert.is_false(ok)
    assert.matches("nesting is too deep", err)
  end)
end)

describe("ssot.json.decode", function()
  it("parses JSON and reports bad input", function()
    assert.are.same({ a = { 1, 2 } }, json.decode('{"a":[1,2]}'))
    assert.are.equal(json.null, json.decode('[null]')[1])
    assert.has_error(function() json.decode("{bad") end)
    assert.has_error(function() json.decode(42) end, "json.decode: expected a string, got number")
  end)
end)
