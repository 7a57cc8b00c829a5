-- Finds where in a config's source each value is written, so validation errors can say
-- `config.lua:12:`. A small Lua lexer plus a parser of just what configs are made of: table
-- constructors, assignments to (dotted) global names and `return { ... }`. Everything else
-- in valid Lua is skipped; what it cannot map has no line. Pure Lua.
local M = {}

-- Paths ------------------------------------------------------------------------------------

local function is_identifier(k)
  return type(k) == "string" and k:match("^[%a_][%w_]*$") ~= nil
end

-- path(segments) -> "models.Message.fields[2].type"; non-identifier keys are written as
-- ["chat:room:{roomId}"], integers as [n].
function M.path(segments)
  local out = {}
  for i, k in ipairs(segments) do
    if is_identifier(k) then
      out[#out + 1] = (i > 1 and "." or "") .. k
    elseif math.type(k) == "integer" then
      out[#out + 1] = "[" .. k .. "]"
    elseif type(k) == "string" then
      out[#out + 1] = "[" .. string.format("%q", k):gsub("\\\n", "\\n") .. "]"
    else
      out[#out + 1] = "[" .. tostring(k) .. "]"
    end
  end
  return table.concat(out)
end

-- Lexer ------------------------------------------------------------------------------------

local KEYWORDS = {}
for w in ([[and break do else elseif end false for function goto if in local nil not or
  repeat return then true until while]]):gmatch("%a+") do KEYWORDS[w] = true end

local OPERATORS3 = { ["..."] = true }
local OPERATORS2 = {
  ["=="] = true, ["~="] = true, ["<="] = true, [">="] = true, ["//"] = true, ["::"] = true,
  ["<<"] = true, [">>"] = true, [".."] = true,
}

local function count_newlines(s)
  local _, n = s:gsub("\n", "")
  return n
end

-- Decodes a short string literal (escapes included) without running any config code.
local function string_value(literal)
  local chunk = load("return " .. literal, "=literal", "t", {})
  if not chunk then return nil end
  local ok, value = pcall(chunk)
  return ok and value or nil
end

-- lex(source) -> list of { k = kind, v = value, line }. kind is "name", "string",
-- "number", a keyword, or the operator text. Stops quietly at anything malformed.
local function lex(src)
  local tokens, i, n, line = {}, 1, #src, 1
  if src:sub(1, 1) == "#" then i = (src:find("\n", 1, true) or n + 1) end
  local function push(k, v, at_line) tokens[#tokens + 1] = { k = k, v = v, line = at_line } end
  while i <= n do
    local c = src:sub(i, i)
    if c == "\n" then
      line, i = line + 1, i + 1
    elseif c:match("%s") then
      i = i + 1
    elseif src:sub(i, i + 1) == "--" then
      local eq = src:match("^%[(=*)%[", i + 2)
      if eq then
        local close = src:find("]" .. eq .. "]", i + 2, true)
        local stop = close and close + #eq + 1 or n
        line = line + count_newlines(src:sub(i, stop))
        i = stop + 1
      else
        i = (src:find("\n", i, true) or n + 1)
      end
    elseif c:match("[%a_]") then
      local word = src:match("^[%w_]+", i)
      push(KEYWORDS[word] and word or "name", word, line)
      i = i + #word
    elseif c:match("%d") or (c == "." and src:sub(i + 1, i + 1):match("%d")) then
      local text = src:match("^0[xX][%x%.]*[pP][%+%-]?%d+", i) or src:match("^0[xX][%x%.]*", i)
        or src:match("^[%d%.]*[eE][%+%-]?%d+", i) or src:match("^[%d%.]+", i)
      push("number", tonumber(text), line)
      i = i + #text
    elseif c == '"' or c == "'" then
      local j, start_line = i + 1, line
      while j <= n do
        local d = src:sub(j, j)
        if d == "\\" then
          local e = src:sub(j + 1, j + 1)
          if e == "\n" then line = line + 1
          elseif e == "z" then
            local ws = src:match("^%s*", j + 2)
            line = line + count_newlines(ws)
            j = j + #ws
          end
          j = j + 2
        elseif d == c then break
        elseif d == "\n" then return tokens   -- unterminated: not valid Lua, stop here
        else j = j + 1 end
      end
      push("string", string_value(src:sub(i, j)), start_line)
      i = j + 1
    elseif c == "[" and src:match("^%[=*%[", i) then
      local eq = src:match("^%[(=*)%[", i)
      local body_start = i + #eq + 2
      local close = src:find("]" .. eq .. "]", body_start, true)
      if not close then return tokens end
      local body = src:sub(body_start, close - 1)
      push("string", (body:gsub("^\r?\n", "")), line)
      line = line + count_newlines(body)
      i = close + #eq + 2
    else
      local op = OPERATORS3[src:sub(i, i + 2)] and src:sub(i, i + 2)
        or OPERATORS2[src:sub(i, i + 1)] and src:sub(i, i + 1) or c
      push(op, op, line)
      i = i + #op
    end
  end
  return tokens
end

-- Parser -----------------------------------------------------------------------------------

local OPENERS = { ["("] = true, ["["] = true, ["{"] = true }
local CLOSERS = { [")"] = true, ["]"] = true, ["}"] = true }
-- Keywords that open a block closed by `end` (while/for open theirs with `do`), or by until.
local BLOCK_OPENERS = { ["function"] = true, ["if"] = true, ["do"] = true, ["repeat"] = true }
local BLOCK_CLOSERS = { ["end"] = true, ["until"] = true }

local function append(path, key)
  local p = {}
  for i = 1, #path do p[i] = path[i] end
  p[#p + 1] = key
  return p
end

local function new_parser(tokens, lines)
  local pos = 1
  local function peek(offset) return tokens[pos + (offset or 0)] or { k = "eof" } end

  -- Skips one expression: stops before a `,` `;` or a closer at nesting depth 0.
  local function skip_expression()
    local depth = 0
    while true do
      local k = peek().k
      if k == "eof" then return end
      if depth == 0 and (k == "," or k == ";" or CLOSERS[k]) then return end
      if OPENERS[k] or BLOCK_OPENERS[k] then depth = depth + 1
      elseif CLOSERS[k] or BLOCK_CLOSERS[k] then depth = depth - 1 end
      pos = pos + 1
    end
  end

  local parse_table

  -- A value: a table constructor is mapped (when path is known); anything else skipped.
  local function parse_value(path)
    if peek().k == "{" then
      parse_table(path)
      local k = peek().k
      if k ~= "," and k ~= ";" and not CLOSERS[k] then skip_expression() end
    else
      skip_expression()
    end
  end

  -- At a `{`: records the line of every entry of the constructor under path.
  function parse_table(path)
    pos = pos + 1
    local index = 0
    while true do
      local t = peek()
      if t.k == "eof" then return end
      if t.k == "}" then pos = pos + 1 return end
      local key
      if t.k == "[" then
        local inner, close, eq = peek(1), peek(2), peek(3)
        if (inner.k == "string" or inner.k == "number") and close.k == "]" and eq.k == "=" then
          key = inner.v
          pos = pos + 4
        else
          pos = pos + 1
          skip_expression()   -- a computed key: its value cannot be placed
          if peek().k == "]" then pos = pos + 1 end
          if peek().k == "=" then pos = pos + 1 end
        end
      elseif t.k == "name" and peek(1).k == "=" then
        key = t.v
        pos = pos + 2
      else
        index = index + 1
        key = index
      end
      local sub = path and key ~= nil and append(path, key) or nil
      if sub then lines[M.path(sub)] = t.line end
      parse_value(sub)
      local sep = peek().k
      if sep == "," or sep == ";" then pos = pos + 1
      elseif sep ~= "}" then
        if sep == "eof" or CLOSERS[sep] then return end
        pos = pos + 1   -- not valid Lua; move on so the loop always advances
      end
    end
  end

  -- A name chain at the start of an assignment: `a`, `a.b`, `a["x"]`. Returns the
  -- segments and the index of the token after the chain.
  local function name_chain()
    local segments, j = { peek().v }, pos + 1
    while true do
      local t = tokens[j]
      if t and t.k == "." and tokens[j + 1] and tokens[j + 1].k == "name" then
        segments[#segments + 1] = tokens[j + 1].v
        j = j + 2
      elseif t and t.k == "[" and tokens[j + 1] and (tokens[j + 1].k == "string" or tokens[j + 1].k == "number")
          and tokens[j + 2] and tokens[j + 2].k == "]" then
        segments[#segments + 1] = tokens[j + 1].v
        j = j + 3
      else
        return segments, j
      end
    end
  end

  -- The top level: assignments and `return {` outside functions and brackets.
  return function()
    local brackets, functions, blocks = 0, 0, {}
    while pos <= #tokens do
      local t, previous = peek(), tokens[pos - 1]
      local k = t.k
      local at_statement = brackets == 0 and functions == 0
      if OPENERS[k] then brackets = brackets + 1
      elseif CLOSERS[k] then brackets = brackets - 1
      elseif BLOCK_OPENERS[k] then
        blocks[#blocks + 1] = k
        if k == "function" then functions = functions + 1 end
      elseif BLOCK_CLOSERS[k] then
        if table.remove(blocks) == "function" then functions = functions - 1 end
      end
      if at_statement and k == "return" and peek(1).k == "{" then
        pos = pos + 1
        parse_table({})
      elseif at_statement and k == "name" and not (previous and (previous.k == "." or previous.k == ":"
          or previous.k == "local" or previous.k == "function" or previous.k == "goto" or previous.k == "::")) then
        local segments, after = name_chain()
        if tokens[after] and tokens[after].k == "=" then
          lines[M.path(segments)] = t.line
          pos = after + 1
          if peek().k == "{" then parse_table(segments) end
        else
          pos = pos + 1
        end
      else
        pos = pos + 1
      end
    end
  end
end

-- map(source) -> { [path string] = line }. Never fails: on anything unexpected it returns
-- what it mapped so far.
function M.map(source)
  local lines = {}
  pcall(function() new_parser(lex(source), lines)() end)
  return lines
end

-- line(lines, segments) -> line, segments_used: the line of the path, or of the closest
-- enclosing path that has one (nil when none does).
function M.line(lines, segments)
  for n = #segments, 1, -1 do
    local prefix = table.move(segments, 1, n, 1, {})
    local line = lines[M.path(prefix)]
    if line then return line, prefix end
  end
  return nil
end

return M
