-- The names a model or field must not take because the generated TypeScript or SQL could not
-- use them: TypeScript reserved and strict-mode words, the SQLite keywords that cannot be
-- identifiers, JS/TS global types and the SDK's own exports. Pure data plus lookups.
local M = {}

local function set(words)
  local s = {}
  for w in words:gmatch("%S+") do s[w] = true end
  return s
end

-- TypeScript/JavaScript reserved words, strict-mode reserved words, and names strict code
-- cannot bind (arguments, eval). Compared exactly (the languages are case-sensitive).
M.typescript = set [[
  break case catch class const continue debugger default delete do else enum export extends
  false finally for function if import in instanceof new null return super switch this throw
  true try typeof var void while with
  implements interface let package private protected public static yield await
  arguments eval
]]

-- Property names that misbehave on plain JavaScript objects (prototype members).
M.javascript_properties = set [[
  constructor prototype hasOwnProperty isPrototypeOf propertyIsEnumerable toString
  toLocaleString valueOf
]]

-- SQLite keywords that cannot be used as an unquoted table or column name in every
-- statement the generator and runtime write (CREATE TABLE/INDEX, SELECT, INSERT, UPDATE,
-- WHERE, ORDER BY). Measured against SQLite 3.40: the other keywords (key, action, first,
-- match, left, ...) fall back to identifiers and are fine. Compared case-insensitively.
M.sql = set [[
  add all alter and as autoincrement between case cast check collate commit constraint create
  current_date current_time current_timestamp default deferrable delete distinct drop else
  escape except exists foreign from group having if in index insert intersect into is isnull
  join limit not nothing notnull null on or order primary raise references returning select
  set table then to transaction union unique update using values when where
]]

-- Global types and values of TypeScript/JavaScript that a model's type name would shadow,
-- and the names the generated SDK exports (templates/sdk). Keep in step with the SDK.
M.type_names = set [[
  Array ArrayBuffer Awaited BigInt Blob Boolean Date Error Event Exclude Extract Function
  Headers Infinity Iterator JSON Map Math NaN NonNullable Number Object Omit Partial Pick
  Promise Proxy Readonly Record Reflect RegExp Request Required Response ReturnType Set String
  Symbol URL URLSearchParams WeakMap WeakSet WebSocket
  ApiError Client DataClient HttpTransport createClient
  SsotChannels SsotClient SsotClientOptions SsotModelClient SsotModelName SsotModels SsotRealtimeOptions
]]

-- Why a field (or other identifier) name is reserved, or nil: "a TypeScript reserved word",
-- "an SQL keyword", "a JavaScript object property".
function M.field_reason(name)
  if M.typescript[name] then return "a TypeScript reserved word" end
  if M.sql[name:lower()] then return "an SQL keyword" end
  if M.javascript_properties[name] then return "a JavaScript object property" end
  return nil
end

-- Why a model name is reserved, or nil. names is the model's names table (ir.lua): the type
-- name, its camelCase variable and its SQL table name must all be usable.
function M.model_reason(name, names)
  if M.type_names[name] then return "a TypeScript global type or an SDK export" end
  if M.typescript[names.camel] then
    return string.format("its variable name '%s' is a TypeScript reserved word", names.camel)
  end
  if M.typescript[names.plural_camel] then
    return string.format("its plural '%s' is a TypeScript reserved word", names.plural_camel)
  end
  if M.sql[names.plural_snake] then
    return string.format("its table name '%s' is an SQL keyword", names.plural_snake)
  end
  if names.plural_snake:match("^sqlite_") then
    return "its table name starts with 'sqlite_', which SQLite reserves"
  end
  return nil
end

return M
