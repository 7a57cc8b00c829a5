-- Permission rules: the parser of rule expressions ("isOwner || isAdmin") into the AST of
-- docs/ir.md, the normalization of a config's rule value (string, boolean or function) into
-- an IR rule, and the reference evaluator the C runtime must agree with. Uses ssot.text.
local text = require "ssot.text"

local M = {}

-- The names a rule may use, and the AST node each stands for.
M.NAMES = { "true", "false", "authenticated", "isOwner", "isAdmin" }
local IS_NAME = {}
for _, name in ipairs(M.NAMES) do IS_NAME[name] = true end

local OPERATOR_WORDS = { ["and"] = "&&", ["or"] = "||", ["not"] = "!" }

-- Splits source into tokens { kind = "name" | "!" | "&&" | "||" | "(" | ")" | "end", text,
-- column }. Returns tokens or nil, message, column.
local function tokenize(source)
  local tokens, pos, n = {}, 1, #source
  while pos <= n do
    local c = source:sub(pos, pos)
    if c:match("%s") then
      pos = pos + 1
    elseif c:match("[%a_]") then
      local word = source:match("^[%w_]+", pos)
      tokens[#tokens + 1] = { kind = "name", text = word, column = pos }
      pos = pos + #word
    elseif source:sub(pos, pos + 1) == "&&" or source:sub(pos, pos + 1) == "||" then
      tokens[#tokens + 1] = { kind = source:sub(pos, pos + 1), text = source:sub(pos, pos + 1), column = pos }
      pos = pos + 2
    elseif c == "&" or c == "|" then
      return nil, string.format("'%s' is not an operator: use '%s%s'", c, c, c), pos
    elseif c == "!" or c == "(" or c == ")" then
      tokens[#tokens + 1] = { kind = c, text = c, column = pos }
      pos = pos + 1
    else
      return nil, string.format("unexpected character '%s' (a rule uses %s, !, &&, || and parentheses)",
        c, table.concat(M.NAMES, ", ")), pos
    end
  end
  tokens[#tokens + 1] = { kind = "end", text = "the end of the rule", column = n + 1 }
  return tokens
end

local function describe(token)
  if token.kind == "end" then return token.text end
  return "'" .. token.text .. "'"
end

-- Recursive descent: or := and { "||" and }; and := unary { "&&" unary };
-- unary := "!" unary | name | "(" or ")". Errors are thrown as { message, column } and
-- caught by parse().
local function parser(tokens)
  local i = 1
  local function peek() return tokens[i] end
  local function fail(message, column) error({ message = message, column = column }, 0) end

  local parse_or   -- defined below; primary needs it for parentheses

  local function parse_primary()
    local t = peek()
    if t.kind == "name" then
      i = i + 1
      if IS_NAME[t.text] then return { op = t.text } end
      if OPERATOR_WORDS[t.text] then
        fail(string.format("'%s' is not a rule operator: use '%s'", t.text, OPERATOR_WORDS[t.text]), t.column)
      end
      local hint = text.did_you_mean(t.text, M.NAMES)
      if hint == "" then hint = "; a rule uses " .. table.concat(M.NAMES, ", ") end
      fail(string.format("unknown rule '%s'%s", t.text, hint), t.column)
    elseif t.kind == "(" then
      i = i + 1
      local expr = parse_or()
      local close = peek()
      if close.kind ~= ")" then
        fail(string.format("missing ')' to close the '(' at column %d, found %s", t.column, describe(close)),
          close.column)
      end
      i = i + 1
      return expr
    end
    fail("expected a rule name, '!' or '(' but found " .. describe(t), t.column)
  end

  local function parse_unary()
    if peek().kind == "!" then
      i = i + 1
      return { op = "not", expr = parse_unary() }
    end
    return parse_primary()
  end

  -- A left-associative level: operand { token operand }.
  local function binary(token, op, operand)
    return function()
      local left = operand()
      while peek().kind == token do
        i = i + 1
        left = { op = op, left = left, right = operand() }
      end
      return left
    end
  end

  parse_or = binary("||", "or", binary("&&", "and", parse_unary))

  return function()
    local ast = parse_or()
    local t = peek()
    if t.kind == "name" and OPERATOR_WORDS[t.text] then
      fail(string.format("'%s' is not a rule operator: use '%s'", t.text, OPERATOR_WORDS[t.text]), t.column)
    elseif t.kind ~= "end" then
      local hint = t.kind == ")" and " (no '(' opens it)" or " (missing && or || before it?)"
      fail("unexpected " .. describe(t) .. " after a complete rule" .. hint, t.column)
    end
    return ast
  end
end

-- parse(source) -> ast | nil, message, column (1-based, in source).
function M.parse(source)
  if type(source) ~= "string" then
    return nil, "a rule expression must be a string, got " .. type(source), 1
  end
  if source:match("^%s*$") then
    return nil, "empty rule: write one of " .. table.concat(M.NAMES, ", ") .. " or an expression of them", 1
  end
  local tokens, message, column = tokenize(source)
  if not tokens then return nil, message, column end
  local ok, result = pcall(parser(tokens))
  if ok then return result end
  if type(result) == "table" then return nil, result.message, result.column end
  error(result, 0)
end

-- uses(ast, name) -> true when the expression mentions the rule name (e.g. "isOwner").
function M.uses(ast, name)
  if ast == nil then return false end
  if ast.op == name then return true end
  return M.uses(ast.expr, name) or M.uses(ast.left, name) or M.uses(ast.right, name)
end

-- from_config(value, label) -> rule | nil, message, column. value is a rule expression
-- string, a boolean, or a function; label names the function's place for its source
-- ("function at config.lua:42") when the caller knows it better than debug info does.
function M.from_config(value, label)
  local kind = type(value)
  if kind == "boolean" then
    local source = tostring(value)
    return { source = source, ast = { op = source } }
  elseif kind == "string" then
    local ast, message, column = M.parse(value)
    if not ast then return nil, message, column end
    return { source = value, ast = ast }
  elseif kind == "function" then
    if not label then
      local info = debug.getinfo(value, "S")
      label = string.format("function at %s:%d", info.short_src, info.linedefined)
    end
    return { source = label, fn = value }
  end
  return nil, string.format("a rule must be a string expression, a boolean or a function, got %s", kind), nil
end

-- The default for an absent rule.
function M.default()
  return { source = "true", ast = { op = "true" } }
end

-- Compares an owner field value with a user id the way the runtime does: as text, with
-- integral numbers written without a fraction (42, 42.0 and "42" are the same id).
local function id_text(v)
  if math.type(v) == "float" and v == math.floor(v) and v >= -2^53 and v <= 2^53 then
    return string.format("%d", math.tointeger(v))
  end
  return tostring(v)
end

-- evaluate(ast, user, row, owner_field, admin_role) -> boolean. user is nil (anonymous) or
-- { id = ..., role = ... }; row is the row the action touches (nil for list/create checks
-- done before there is one); admin_role defaults to "admin".
function M.evaluate(ast, user, row, owner_field, admin_role)
  local op = ast.op
  if op == "true" then return true
  elseif op == "false" then return false
  elseif op == "authenticated" then return user ~= nil and user.id ~= nil
  elseif op == "isAdmin" then
    return user ~= nil and user.role ~= nil and user.role == (admin_role or "admin")
  elseif op == "isOwner" then
    if user == nil or user.id == nil or row == nil or owner_field == nil then return false end
    local owner = row[owner_field]
    return owner ~= nil and id_text(owner) == id_text(user.id)
  elseif op == "not" then return not M.evaluate(ast.expr, user, row, owner_field, admin_role)
  elseif op == "and" then
    return M.evaluate(ast.left, user, row, owner_field, admin_role)
      and M.evaluate(ast.right, user, row, owner_field, admin_role)
  elseif op == "or" then
    return M.evaluate(ast.left, user, row, owner_field, admin_role)
      or M.evaluate(ast.right, user, row, owner_field, admin_role)
  end
  error("rules.evaluate: unknown node op '" .. tostring(op) .. "'", 2)
end

-- check(rule, user, row, owner_field, admin_role) -> boolean: an IR rule, expression or
-- function (a function's result counts only when it is exactly true).
function M.check(rule, user, row, owner_field, admin_role)
  if rule.fn then return rule.fn(user, row) == true end
  return M.evaluate(rule.ast, user, row, owner_field, admin_role)
end

-- to_source(ast) -> the expression with minimal parentheses (for docs and messages).
function M.to_source(ast)
  local function prec(node)
    if node.op == "or" then return 1 elseif node.op == "and" then return 2 end
    return 3
  end
  local function wrap(node, min)
    local s = M.to_source(node)
    if prec(node) < min then return "(" .. s .. ")" end
    return s
  end
  if ast.op == "not" then return "!" .. wrap(ast.expr, 3) end
  if ast.op == "and" then return wrap(ast.left, 2) .. " && " .. wrap(ast.right, 3) end
  if ast.op == "or" then return wrap(ast.left, 1) .. " || " .. wrap(ast.right, 2) end
  return ast.op
end

return M
