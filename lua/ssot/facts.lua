-- The facts ssot declares once and derives everything else from (docs/architecture.md, "One
-- declaration per fact"): the field types with their SQLite and PostgreSQL column types and
-- filter operators, and the error table of the REST contract. Lua modules require this table
-- (validation, the IR, ssot.sql, OpenAPI, the TypeScript SDK); the build turns it into the C
-- header ssot_facts.h (tools/facts_h.lua) that the runtime uses. Adding a field type means a
-- row here, its value conversion (src/runtime/model/value.c) and its line in docs/config.md;
-- tests fail until the C and Lua sides agree (tests/c/test_facts.c, tests/lua/facts_spec.lua).
-- Uses nothing.
local M = {}

-- The operators of a list query's `where`, in the order docs list them.
M.operators = { "eq", "ne", "lt", "lte", "gt", "gte", "in", "contains" }

local ORDERED = "eq ne lt lte gt gte in"

-- Field types in the order docs list them.
--   sql        the SQLite column type
--   postgres   the PostgreSQL column type (ssot.sql's postgres dialect, schema.postgres.sql)
--   operators  what `where` accepts on such a field (docs/rest.md)
--   sdk        what the generated SDK's filter types offer, when fewer (docs/sdk.md)
--   null_only  the operators compare with null only
--   uuid       what differs for an id declared with uuid = true
-- The PostgreSQL types hold exactly the values the SQLite store holds, so a store on either
-- gives the REST layer back what it wrote:
--   BIGINT     ids and ints: SQLite's INTEGER is 64-bit, and the REST layer takes any int64.
--   DOUBLE PRECISION  floats: SQLite's REAL is an 8-byte double; PostgreSQL's REAL is 4 bytes.
--   TEXT for uuid ids: a belongsTo field pointing at one is a `string` (TEXT), and PostgreSQL
--              refuses a foreign key from text to uuid; the store writes lowercase UUID text.
--   TEXT for datetimes: the REST layer stores the canonical "2026-03-04T05:06:07.000Z" and
--              returns it as stored; being fixed-width UTC, it sorts and compares as text in
--              time order, as in SQLite. TIMESTAMPTZ would not round-trip it: its text form
--              follows the session's DateStyle and TimeZone, it keeps microseconds (an auto
--              now() read back in milliseconds would not `eq` itself), and it has no year 0000,
--              which ISO 8601 and the REST layer accept.
--   JSON       json: checked on the way in, as SQLite's json_valid CHECK does, and kept as
--              written, so objects come back with their keys in the order they were given, as
--              from SQLite (JSONB would sort them; json fields are only compared with null).
M.field_types = {
  { name = "id", sql = "INTEGER", postgres = "BIGINT", operators = ORDERED,
    uuid = { sql = "TEXT", postgres = "TEXT", sdk = "eq ne in" } },
  { name = "int", sql = "INTEGER", postgres = "BIGINT", operators = ORDERED },
  { name = "float", sql = "REAL", postgres = "DOUBLE PRECISION", operators = ORDERED },
  { name = "bool", sql = "INTEGER", postgres = "BOOLEAN", operators = "eq ne in" },
  { name = "string", sql = "TEXT", postgres = "TEXT", operators = ORDERED .. " contains" },
  { name = "text", sql = "TEXT", postgres = "TEXT", operators = ORDERED .. " contains" },
  { name = "datetime", sql = "TEXT", postgres = "TEXT", operators = ORDERED },
  { name = "json", sql = "TEXT", postgres = "JSON", operators = "eq ne", null_only = true },
  { name = "enum", sql = "TEXT", postgres = "TEXT", operators = ORDERED, sdk = "eq ne in" },
}

-- The error table of docs/rest.md: every error response has one of these statuses and codes.
--   kind     the C name (SSOT_E_<KIND>) of the row
--   summary  what it means, in a few words (OpenAPI's description of the error response)
M.errors = {
  { kind = "bad_request", status = 400, code = "bad_request", summary = "a malformed request or parameter" },
  { kind = "invalid_json", status = 400, code = "invalid_json", summary = "the body is not valid JSON" },
  { kind = "validation_failed", status = 400, code = "validation_failed", summary = "see error.fields" },
  { kind = "rejected", status = 400, code = "rejected", summary = "a before-hook refused" },
  { kind = "unauthorized", status = 401, code = "unauthorized", summary = "a valid token is needed" },
  { kind = "forbidden", status = 403, code = "forbidden", summary = "a rule denies it" },
  { kind = "not_found", status = 404, code = "not_found", summary = "no such row or route" },
  { kind = "method_not_allowed", status = 405, code = "method_not_allowed", summary = "see the Allow header" },
  { kind = "request_timeout", status = 408, code = "bad_request", summary = "the request arrived too slowly" },
  { kind = "conflict", status = 409, code = "conflict", summary = "see error.fields" },
  { kind = "length_required", status = 411, code = "length_required", summary = "send a Content-Length" },
  { kind = "payload_too_large", status = 413, code = "payload_too_large", summary = "over serve.maxBody" },
  { kind = "uri_too_long", status = 414, code = "bad_request", summary = "URL too long" },
  { kind = "unsupported_media_type", status = 415, code = "unsupported_media_type", summary = "send JSON" },
  { kind = "expectation_failed", status = 417, code = "bad_request", summary = "unknown Expect" },
  { kind = "upgrade_required", status = 426, code = "bad_request", summary = "the WebSocket endpoint needs a WebSocket client" },
  { kind = "rate_limited", status = 429, code = "rate_limited", summary = "too many WebSocket messages a second" },
  { kind = "too_many_subscriptions", status = 429, code = "too_many_subscriptions", summary = "over websockets.limits.subscriptions" },
  { kind = "headers_too_large", status = 431, code = "bad_request", summary = "headers too large" },
  { kind = "internal", status = 500, code = "internal", summary = "error.requestId finds it in the server log" },
  { kind = "not_implemented", status = 501, code = "not_implemented", summary = "method or transfer coding" },
  { kind = "unavailable", status = 503, code = "unavailable", summary = "the database is locked or cannot be written now, try again" },
  { kind = "http_version", status = 505, code = "bad_request", summary = "HTTP version" },
  { kind = "insufficient_storage", status = 507, code = "insufficient_storage", summary = "the disk is full, try again later" },
}

-- Lookups derived from the tables above.
M.field_type = {}
for _, t in ipairs(M.field_types) do M.field_type[t.name] = t end

-- The error codes once each, in the table's order.
M.error_codes = {}
do
  local seen = {}
  for _, e in ipairs(M.errors) do
    if not seen[e.code] then
      seen[e.code] = true
      M.error_codes[#M.error_codes + 1] = e.code
    end
  end
end

-- operator_set(type, opts) -> { [op] = true } of the operators `where` accepts on a field of
-- that type (opts.uuid for a uuid id; opts.sdk for those the SDK offers).
function M.operator_set(type_name, opts)
  local t = M.field_type[type_name] or error("facts: unknown field type " .. tostring(type_name), 2)
  local row = (opts and opts.uuid and t.uuid) or {}
  local list = (opts and opts.sdk and (row.sdk or t.sdk)) or t.operators
  local set = {}
  for op in list:gmatch("%S+") do set[op] = true end
  return set
end

-- filter_family(type, opts) -> how the generated SDK and OpenAPI describe a filter on such a
-- field, from the operators it offers: "null" (null checks only), "text" (with contains),
-- "comparable" (with lt..gte) or "equality" (eq, ne, in). opts as for operator_set.
function M.filter_family(type_name, opts)
  if M.field_type[type_name] and M.field_type[type_name].null_only then return "null" end
  local ops = M.operator_set(type_name, { uuid = opts and opts.uuid, sdk = true })
  if ops.contains then return "text" end
  if ops.lt then return "comparable" end
  return "equality"
end

-- operator_list(type, opts) -> the operators of operator_set in the table's order.
function M.operator_list(type_name, opts)
  local set, list = M.operator_set(type_name, opts), {}
  for _, op in ipairs(M.operators) do
    if set[op] then list[#list + 1] = op end
  end
  return list
end

-- The SQL dialects whose column types the rows above declare: dialect name -> row key.
-- The most processes `ssot serve` runs on one port (serve.workers, --workers).
M.max_workers = 64

M.sql_dialects = { sqlite = "sql", postgres = "postgres" }

-- sql_type(type, uuid[, dialect]) -> the column type in dialect ("sqlite", the default, or
-- "postgres").
function M.sql_type(type_name, uuid, dialect)
  local t = M.field_type[type_name] or error("facts: unknown field type " .. tostring(type_name), 2)
  local key = M.sql_dialects[dialect or "sqlite"] or error("facts: unknown SQL dialect " .. tostring(dialect), 2)
  return uuid and t.uuid and t.uuid[key] or t[key]
end

return M
