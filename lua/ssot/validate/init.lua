-- Validation of a loaded config as a whole: the top-level keys and the small sections (name,
-- output, lib, phases, targets, auth, serve, routes); models and websockets are delegated to
-- ssot.validate.models and ssot.validate.realtime. Collects every problem, then either
-- returns the IR (ssot.ir) or the problems. Uses ssot.validate.check, and the key lists,
-- defaults and ranges of ssot.validate.schema.
local check = require "ssot.validate.check"
local schema = require "ssot.validate.schema"
local models_check = require "ssot.validate.models"
local realtime_check = require "ssot.validate.realtime"
local ir = require "ssot.ir"

local sub, show = check.sub, check.show

local M = {}

-- The keys a config may set, in the order docs/config.md explains them.
M.KEYS = schema.keys("")

-- The time limits a config sets (docs/config.md, "limits"), in seconds, and their defaults.
local LIMIT_KEYS = schema.keys("limits")
M.LIMITS = {}
for _, key in ipairs(LIMIT_KEYS) do M.LIMITS[key] = schema.default("limits", key) end

local TARGETS = schema.keys("targets")
local AUTH_KEYS = schema.keys("auth")
local AUTH_HINTS = {
  secret = "the secret belongs in the environment: name its variable with secretEnv = \"SSOT_JWT_SECRET\"",
}
local SERVE_KEYS = schema.keys("serve")
local CORS_KEYS = schema.keys("serve.cors")
local METHODS = { "DELETE", "GET", "PATCH", "POST", "PUT" }

local function check_name(c, value, ctx)
  if value == nil then return ctx.default_name end
  if c:name(value, { "name" }, "^[%w][%w._-]*$",
      "the app name is used in file names: letters, digits, '.', '_' and '-', starting with a letter or digit") then
    return value
  end
  return nil
end

-- existing(c, value, path, ctx, kind, what) -> absolute paths of a string or list of
-- strings naming files or directories (kind) that must exist; what names them in messages.
local function existing(c, value, path, ctx, kind, what)
  local found = {}
  local list = c:string_list(value, path)
  for i, name in ipairs(list or {}) do
    local full = ctx.resolve(name)
    local actual = ctx.file_type(full)
    if actual ~= kind and actual ~= "link" then
      c:error(type(value) == "string" and path or sub(path, i),
        string.format("the %s %s does not exist (looked for %s)", what, show(name), full))
    else
      found[#found + 1] = full
    end
  end
  return found
end

local function check_targets(c, value)
  local targets = {}
  for _, t in ipairs(TARGETS) do targets[t] = schema.default("targets", t) end
  local path = { "targets" }
  if value == nil or not c:is(value, path, "table") then return targets end
  c:keys(value, path, TARGETS, "targets")
  for _, t in ipairs(TARGETS) do
    if value[t] ~= nil and c:is(value[t], sub(path, t), "boolean") then targets[t] = value[t] end
  end
  if targets.react and not targets.sdk then
    c:error(sub(path, "react"), "the React hooks are built on the SDK: set sdk = true or react = false")
  end
  return targets
end

local function check_auth(c, value)
  local function default(key) return schema.default("auth", key) end
  local auth = { secret_env = default("secretEnv"), algorithm = default("algorithm"), id_claim = default("idClaim"),
    role_claim = default("roleClaim"), admin_role = default("adminRole") }
  local path = { "auth" }
  if value == nil or not c:is(value, path, "table") then return auth end
  c:keys(value, path, AUTH_KEYS, "auth", AUTH_HINTS)
  if value.secretEnv ~= nil and c:name(value.secretEnv, sub(path, "secretEnv"), "^[%a_][%w_]*$",
      "an environment variable name is letters, digits and _ (e.g. \"SSOT_JWT_SECRET\"); the secret itself "
      .. "belongs in the environment, not in the config") then
    auth.secret_env = value.secretEnv
  end
  if value.algorithm ~= nil and c:one_of(value.algorithm, sub(path, "algorithm"),
      schema.entry("auth", "algorithm").values, "algorithm") then
    auth.algorithm = value.algorithm
  end
  for _, keys in ipairs { { "idClaim", "id_claim" }, { "roleClaim", "role_claim" }, { "adminRole", "admin_role" } } do
    local key, ir_key = keys[1], keys[2]
    local v = value[key]
    if v ~= nil and c:is(v, sub(path, key), "string") then
      if v == "" then c:error(sub(path, key), key .. " cannot be empty") else auth[ir_key] = v end
    end
  end
  return auth
end

local function check_cors(c, value, path)
  local cors = { origins = schema.default("serve.cors", "origins"),
    credentials = schema.default("serve.cors", "credentials") }
  if value == nil or not c:is(value, path, "table") then return cors end
  c:keys(value, path, CORS_KEYS, "cors")
  if value.origins ~= nil then
    cors.origins = c:string_list(value.origins, sub(path, "origins"), function(origin, origin_path)
      if origin ~= "*" and not origin:match("^https?://[^/%s]+$") then
        return c:error(origin_path, string.format("%s is not an origin: write \"*\" or a scheme and host without a path, "
          .. "e.g. \"https://app.example.com\"", show(origin)))
      end
    end) or cors.origins
  end
  if value.credentials ~= nil and c:is(value.credentials, sub(path, "credentials"), "boolean") then
    cors.credentials = value.credentials
  end
  if cors.credentials then
    for _, origin in ipairs(cors.origins) do
      if origin == "*" then
        c:error(sub(path, "credentials"), "browsers refuse credentials with the origin \"*\": list the allowed origins")
      end
    end
  end
  return cors
end

local function check_serve(c, value, ctx, name)
  local function default(key) return schema.default("serve", key) end
  local serve = { host = default("host"), port = default("port"), static = nil, max_body = default("maxBody"),
    default_take = default("defaultTake"), max_take = default("maxTake"), workers = default("workers") }
  serve.database = ctx.resolve("data/" .. (name or "app") .. ".db")
  local path = { "serve" }
  if value == nil or not c:is(value, path, "table") then
    serve.cors = check_cors(c, nil, sub(path, "cors"))
    return serve
  end
  c:keys(value, path, SERVE_KEYS, "serve")
  -- integer(key) -> whether serve[key] is an integer in its declared range
  local function integer(key)
    local entry = schema.entry("serve", key)
    return value[key] ~= nil and c:integer(value[key], sub(path, key), entry.min, entry.max, entry.unit)
  end
  if integer("port") then serve.port = value.port end
  if value.host ~= nil and c:is(value.host, sub(path, "host"), "string") then
    if value.host == "" then c:error(sub(path, "host"), "host cannot be empty: write e.g. \"127.0.0.1\"")
    else serve.host = value.host end
  end
  if value.database ~= nil and c:is(value.database, sub(path, "database"), "string") then
    local scheme = value.database:match("^(%a[%w+.-]*)://")
    if value.database == "" then c:error(sub(path, "database"), "database cannot be empty: write a file name")
    elseif scheme == "postgres" or scheme == "postgresql" then
      serve.database = value.database -- a PostgreSQL URL, kept as written (never resolved as a path)
    elseif scheme then
      -- only the scheme is repeated: the rest of a URL may hold a password
      c:error(sub(path, "database"), "the database is a " .. scheme .. ":// URL, but ssot serve stores in SQLite "
        .. "or PostgreSQL only: write a file path, e.g. \"data/app.db\", or a postgres:// URL")
    elseif value.database == ":memory:" then serve.database = value.database
    else serve.database = ctx.resolve(value.database) end
  end
  if value.static ~= nil and c:is(value.static, sub(path, "static"), "string") then
    serve.static = ctx.resolve(value.static)
  end
  serve.cors = check_cors(c, value.cors, sub(path, "cors"))
  if integer("maxBody") then serve.max_body = value.maxBody end
  if integer("maxTake") then serve.max_take = value.maxTake end
  if integer("defaultTake") then serve.default_take = value.defaultTake end
  if integer("workers") then serve.workers = value.workers end
  if serve.default_take > serve.max_take then
    c:error(sub(path, value.defaultTake ~= nil and "defaultTake" or "maxTake"),
      string.format("defaultTake (%d) is larger than maxTake (%d)", serve.default_take, serve.max_take))
  end
  return serve
end

local function check_limits(c, value)
  local limits = { phase = M.LIMITS.phase, request = M.LIMITS.request }
  local path = { "limits" }
  if value == nil or not c:is(value, path, "table") then return limits end
  c:keys(value, path, LIMIT_KEYS, "limits")
  for _, key in ipairs(LIMIT_KEYS) do
    local v, entry = value[key], schema.entry("limits", key)
    if v ~= nil and c:is(v, sub(path, key), entry[2]) then
      if v ~= v or v <= entry.above or v > entry.max then
        c:error(sub(path, key), string.format("must be a number of %s above %d and at most %d, got %s", entry.doc_unit,
          entry.above, entry.max, show(v)))
      else
        limits[key] = v
      end
    end
  end
  return limits
end

-- Whether a custom route would shadow a model's REST endpoint or /healthz.
local function shadowed(method, route_path, models)
  if route_path == "/healthz" then return "the health check" end
  for _, model in ipairs(models) do
    local base = "/api/" .. (model.path or model.names.plural_kebab)
    if route_path == base and (method == "GET" or method == "POST") then
      return string.format("the %s %s endpoint", model.name, method == "GET" and "list" or "create")
    end
    local rest = route_path:sub(#base + 2)
    if route_path:sub(1, #base + 1) == base .. "/" and rest ~= "" and not rest:find("/", 1, true)
        and method ~= "POST" then
      return string.format("the %s item endpoint (%s %s/<id>)", model.name, method, base)
    end
  end
  return nil
end

-- A path's shape ({name} segments as {}) and its parameter names in order.
local function path_shape(url)
  local names = {}
  local shape = url:gsub("{([^}]*)}", function(name) names[#names + 1] = name; return "{}" end)
  return shape, names
end

-- Paths of one shape must name their parameters alike: OpenAPI allows one template per
-- shape, so /api/messages/{messageId} next to the model's /api/messages/{id} is refused.
local function check_parameter_names(c, routes, keys, models)
  local first = {} -- shape -> { url =, names =, what = }
  for _, model in ipairs(models) do
    local url = "/api/" .. (model.path or model.names.plural_kebab) .. "/{id}"
    local shape, names = path_shape(url)
    first[shape] = first[shape] or { url = url, names = names, what = "the " .. model.name .. " item endpoint" }
  end
  for i, route in ipairs(routes) do
    local shape, names = path_shape(route.path)
    local earlier = first[shape]
    if not earlier then
      first[shape] = { url = route.path, names = names, what = "the route " .. route.method .. " " .. route.path }
    elseif table.concat(earlier.names, "/") ~= table.concat(names, "/") then
      c:error({ "routes", keys[i] }, string.format(
        "%s names its parameters differently from %s (%s); write %s: one path, one set of names",
        route.path, earlier.what, earlier.url, earlier.url))
    end
  end
end

local function check_routes(c, value, models)
  local routes = {}
  local path = { "routes" }
  if value == nil or not c:is(value, path, "table") then return routes end
  local seen, route_keys = {}, {}
  for _, key in ipairs(check.sorted_keys(value)) do
    local route_path = sub(path, key)
    local method, url
    if type(key) == "string" then method, url = key:match("^(%a+)%s+(%S+)$") end
    if not method then
      c:error(route_path, string.format("a route is written [\"METHOD /path\"] = function(req) ... end; got the key %s",
        show(key)))
    else
      local upper = method:upper()
      local known = false
      for _, m in ipairs(METHODS) do known = known or m == upper end
      if not known then
        c:error(route_path, string.format("unknown method %s; use one of %s", show(method), table.concat(METHODS, ", ")))
      elseif not url:match("^/[%w%-_./~:{}]*$") then
        c:error(route_path, string.format("the route path %s must start with '/' and use letters, digits and - _ . / ~ : { }",
          show(url)))
      else
        local id = upper .. " " .. url
        local clash = shadowed(upper, url, models)
        if clash then
          c:error(route_path, string.format("%s would shadow %s; choose another path", id, clash))
        elseif seen[id] then
          c:error(route_path, string.format("the route %s is declared twice (also as %s)", id, show(seen[id])))
        elseif c:is(value[key], route_path, "function") then
          seen[id] = key
          routes[#routes + 1] = { method = upper, path = url, fn = value[key] }
          route_keys[#routes] = key
        end
      end
    end
  end
  check_parameter_names(c, routes, route_keys, models)
  return routes, route_keys
end

-- The WebSocket endpoint answers its path before any route (docs/serve.md "WebSockets"): a
-- route there would never run.
local function check_websocket_path(c, websockets, routes, keys)
  if not websockets or not websockets.enabled then return end
  for i, route in ipairs(routes) do
    if route.path == websockets.path then
      c:error({ "routes", keys[i] }, string.format(
        "%s %s would never run: %s is the WebSocket endpoint (websockets.path); choose another path for the route "
        .. "or set websockets.path", route.method, route.path, route.path))
    end
  end
end

-- run(raw, ctx) -> ir | nil, problems. raw is the table of config keys the config set. ctx
-- gives the places: source, source_name, config_path, config_dir, output_override,
-- default_name, problems already found (loading), and the functions resolve(path), read_file(path), file_type(path),
-- display(path).
function M.run(raw, ctx)
  local c = check.new()
  for _, problem in ipairs(ctx.problems or {}) do c.problems[#c.problems + 1] = problem end
  c:keys(raw, {}, M.KEYS, "the config")
  local name = check_name(c, raw.name, ctx)
  local output = "generated"
  if raw.output ~= nil and c:is(raw.output, { "output" }, "string") then
    if raw.output == "" then c:error({ "output" }, "output cannot be empty: write a directory, e.g. \"generated\"")
    else output = raw.output end
  end
  local lib = raw.lib ~= nil and existing(c, raw.lib, { "lib" }, ctx, "directory", "directory") or {}
  local phases = raw.phases ~= nil and existing(c, raw.phases, { "phases" }, ctx, "file", "phase file") or {}
  local targets = check_targets(c, raw.targets)
  local auth = check_auth(c, raw.auth)
  local model_specs, by_name, model_names = models_check.check(c, raw.models, ctx)
  local websockets = realtime_check.check(c, raw.websockets, by_name, model_names)
  local serve = check_serve(c, raw.serve, ctx, name)
  local routes, route_keys = check_routes(c, raw.routes, model_specs)
  check_websocket_path(c, websockets, routes, route_keys)
  local limits = check_limits(c, raw.limits)
  if not c:ok() then return nil, c.problems end

  local models = {}
  for i, spec in ipairs(model_specs) do models[i] = models_check.to_ir(spec) end
  local output_dir = ctx.output_override or ctx.resolve(output)
  return ir.build {
    name = name,
    source = ctx.source,
    source_name = ctx.source_name,
    config_path = ctx.config_path,
    config_dir = ctx.config_dir,
    output = output_dir,
    output_display = ctx.output_display or ctx.display(output_dir),
    lib = lib,
    phases = phases,
    targets = targets,
    models = models,
    auth = auth,
    websockets = websockets,
    serve = serve,
    routes = routes,
    limits = limits,
  }
end

return M
