-- Specs for ssot.rules: permission expressions parse into the documented AST, errors point
-- at the column, and the reference evaluator decides access as the docs say.
local rules = require "ssot.rules"

local function parse_error(source)
  local ast, message, column = rules.parse(source)
  assert.is_nil(ast, "expected '" .. source .. "' not to parse")
  return message, column
end

describe("ssot.rules", function()
  describe("parse", function()
    it("parses every rule name", function()
      for _, name in ipairs { "true", "false", "authenticated", "isOwner", "isAdmin" } do
        assert.are.same({ op = name }, rules.parse(name))
      end
    end)

    it("gives && precedence over ||", function()
      assert.are.same({
        op = "or",
        left = { op = "isAdmin" },
        right = { op = "and", left = { op = "authenticated" }, right = { op = "isOwner" } },
      }, rules.parse("isAdmin || authenticated && isOwner"))
    end)

    it("binds ! tighter than && and honours parentheses", function()
      assert.are.same({
        op = "and",
        left = { op = "not", expr = { op = "isAdmin" } },
        right = { op = "or", left = { op = "isOwner" }, right = { op = "false" } },
      }, rules.parse("!isAdmin && (isOwner || false)"))
    end)

    it("is left-associative", function()
      assert.are.same({
        op = "or",
        left = { op = "or", left = { op = "true" }, right = { op = "false" } },
        right = { op = "isAdmin" },
      }, rules.parse("true||false||isAdmin"))
    end)

    it("accepts double negation and surrounding space", function()
      assert.are.same({ op = "not", expr = { op = "not", expr = { op = "isOwner" } } },
        rules.parse("  !!isOwner  "))
    end)

    it("names an unknown word, its column and the closest name", function()
      local message, column = parse_error("isOwnr || isAdmin")
      assert.are.equal(1, column)
      assert.are.equal("unknown rule 'isOwnr' (did you mean 'isOwner'?)", message)
      message, column = parse_error("isAdmin || owner")
      assert.are.equal(12, column)
      assert.are.equal("unknown rule 'owner'; a rule uses true, false, authenticated, isOwner, isAdmin", message)
    end)

    it("explains word operators and single & or |", function()
      local message, column = parse_error("isOwner or isAdmin")
      assert.are.equal(9, column)
      assert.are.equal("'or' is not a rule operator: use '||'", message)
      message, column = parse_error("isOwner & isAdmin")
      assert.are.equal(9, column)
      assert.are.equal("'&' is not an operator: use '&&'", message)
    end)

    it("reports an unclosed parenthesis at the end with the opening column", function()
      local message, column = parse_error("(isOwner || isAdmin")
      assert.are.equal(20, column)
      assert.are.equal("missing ')' to close the '(' at column 1, found the end of the rule", message)
    end)

    it("reports a stray closing parenthesis", function()
      local message, column = parse_error("isOwner)")
      assert.are.equal(8, column)
      assert.matches("unexpected '%)' after a complete rule %(no '%(' opens it%)", message)
    end)

    it("reports a missing operand", function()
      local message, column = parse_error("isOwner &&")
      assert.are.equal(11, column)
      assert.are.equal("expected a rule name, '!' or '(' but found the end of the rule", message)
      message, column = parse_error("isOwner || && isAdmin")
      assert.are.equal(12, column)
      assert.matches("but found '&&'", message)
    end)

    it("reports two names without an operator", function()
      local message, column = parse_error("isOwner isAdmin")
      assert.are.equal(9, column)
      assert.matches("missing && or ||", message)
    end)

    it("rejects empty rules and stray characters", function()
      assert.matches("^empty rule", (parse_error("  ")))
      local message, column = parse_error("isOwner == true")
      assert.are.equal(9, column)
      assert.matches("unexpected character '='", message)
    end)
  end)

  describe("from_config", function()
    it("normalizes strings, booleans and functions", function()
      assert.are.same({ source = "isOwner", ast = { op = "isOwner" } }, rules.from_config("isOwner"))
      assert.are.same({ source = "false", ast = { op = "false" } }, rules.from_config(false))
      local fn = function() return true end
      local rule = rules.from_config(fn, "function at config.lua:3")
      assert.are.equal(fn, rule.fn)
      assert.are.equal("function at config.lua:3", rule.source)
      assert.matches("^function at .*rules_spec.lua:%d+$", rules.from_config(fn).source)
    end)

    it("rejects other types", function()
      local rule, message = rules.from_config(42)
      assert.is_nil(rule)
      assert.are.equal("a rule must be a string expression, a boolean or a function, got number", message)
    end)
  end)

  describe("evaluate", function()
    local anon = nil
    local alice = { id = "1", role = "member" }
    local admin = { id = "2", role = "admin" }
    local own_row = { id = 10, authorId = 1 }
    local other_row = { id = 11, authorId = 2 }

    local function allows(source, user, row, admin_role)
      return rules.evaluate(assert(rules.parse(source)), user, row, "authorId", admin_role)
    end

    it("decides the basic rules", function()
      assert.is_true(allows("true", anon))
      assert.is_false(allows("false", admin))
      assert.is_false(allows("authenticated", anon))
      assert.is_true(allows("authenticated", alice))
      assert.is_false(allows("isAdmin", alice))
      assert.is_true(allows("isAdmin", admin))
    end)

    it("compares the owner field with the user id as text", function()
      assert.is_true(allows("isOwner", alice, own_row))
      assert.is_false(allows("isOwner", alice, other_row))
      assert.is_true(allows("isOwner", { id = 1 }, { authorId = "1" }))
      assert.is_true(allows("isOwner", { id = "1" }, { authorId = 1.0 }))
      assert.is_false(allows("isOwner", anon, own_row))
      assert.is_false(allows("isOwner", alice, nil))
      assert.is_false(allows("isOwner", alice, { authorId = nil }))
    end)

    it("combines with the documented precedence", function()
      assert.is_true(allows("isOwner || isAdmin", admin, own_row))
      assert.is_true(allows("isOwner || isAdmin", alice, own_row))
      assert.is_false(allows("isOwner || isAdmin", alice, other_row))
      assert.is_false(allows("!authenticated", alice))
      assert.is_true(allows("!authenticated", anon))
      assert.is_true(allows("isAdmin || authenticated && isOwner", alice, own_row))
      assert.is_false(allows("(isAdmin || authenticated) && isOwner", admin, own_row))
    end)

    it("uses the configured admin role", function()
      assert.is_false(allows("isAdmin", admin, nil, "root"))
      assert.is_true(allows("isAdmin", { id = "3", role = "root" }, nil, "root"))
    end)

    it("calls function rules and accepts only true", function()
      local seen
      local rule = rules.from_config(function(user, row) seen = { user, row } return row.ok end)
      assert.is_true(rules.check(rule, alice, { ok = true }))
      assert.are.same({ alice, { ok = true } }, seen)
      assert.is_false(rules.check(rule, alice, { ok = 1 }))
    end)
  end)

  describe("uses and to_source", function()
    it("finds a name anywhere in the tree", function()
      assert.is_true(rules.uses(rules.parse("!(isAdmin || isOwner)"), "isOwner"))
      assert.is_false(rules.uses(rules.parse("isAdmin && authenticated"), "isOwner"))
    end)

    it("prints an equivalent expression with minimal parentheses", function()
      for _, source in ipairs { "isOwner || isAdmin", "!(isAdmin || isOwner)",
          "(isAdmin || authenticated) && isOwner", "isAdmin || authenticated && !isOwner" } do
        assert.are.equal(source, rules.to_source(rules.parse(source)))
      end
      assert.are.equal("isAdmin || isOwner", rules.to_source(rules.parse("((isAdmin) || (isOwner))")))
    end)
  end)
end)
