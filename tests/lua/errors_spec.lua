-- Specs for ssot.errors: structured errors and the protected-call path.
local errors = require "ssot.errors"

describe("ssot.errors", function()
  it("takes the place from a file:line: message", function()
    local e = errors.new("config", "config.lua:12: models.Message: bad")
    assert.are.equal(3, e.status)
    assert.are.equal("config.lua", e.file)
    assert.are.equal(12, e.line)
    assert.are.equal("config.lua:12: models.Message: bad", tostring(e))
  end)

  it("call() returns results on success", function()
    local ok, a, b = errors.call("phase", function(x) return x, x * 2 end, 21)
    assert.is_true(ok)
    assert.are.same({ 21, 42 }, { a, b })
  end)

  it("call() wraps string errors with the given status and a traceback", function()
    local ok, err = errors.call("phase", function() error("boom") end)
    assert.is_false(ok)
    assert.is_true(errors.is(err))
    assert.are.equal(errors.status.phase, err.status)
    assert.matches("errors_spec.lua:%d+: boom", err.message)
    assert.matches("traceback", err.traceback)
  end)

  it("call() keeps ssot errors as raised", function()
    local ok, err = errors.call("phase", function() errors.raise("config", "c.lua:3: nope") end)
    assert.is_false(ok)
    assert.are.equal(errors.status.config, err.status)
    assert.are.equal(3, err.line)
  end)
end)
