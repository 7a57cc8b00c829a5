-- The Lua side of the Lua fuzz targets (fuzz_lua.c): each function takes the input text and
-- runs the part of ssot that reads such text, returning nil when ssot behaved — produced a
-- result, or refused the input with one of its own errors — or a message when it failed in a
-- way no input may cause (an error from ssot's own code rather than a clear refusal).
local config = require("ssot.config")
local errors = require("ssot.errors")
local rules = require("ssot.rules")
local sandbox = require("ssot.sandbox")
local template = require("ssot.template")

sandbox.time_limit = 0.25 -- a config that loops is stopped (and refused) quickly

local targets = {}

-- The config loader and validator: a config either validates into the IR or is refused with
-- a config error listing what is wrong.
function targets.config(text)
  local ok, result = pcall(config.load_source, text, "/nonexistent/fuzz/config.lua")
  if ok then
    if type(result) ~= "table" or type(result.models) ~= "table" then return "load_source returned no IR" end
    return nil
  end
  if errors.is(result) and result.kind == "config" and type(result.message) == "string" then return nil end
  if tostring(result):find("not enough memory", 1, true) then return nil end -- the harness's cap
  return "config.load_source raised something else than a config error: " .. tostring(result)
end

-- Rule expressions ("isOwner || isAdmin"): parsed into an AST or refused with a message.
function targets.rules(text)
  local ok, ast, message = pcall(rules.parse, text)
  if not ok then return "rules.parse raised: " .. tostring(ast) end
  if ast == nil and type(message) ~= "string" then return "rules.parse refused without a message" end
  if ast ~= nil then rules.to_source(ast) end
  return nil
end

-- Templates: compiled (or refused at the template's line), then rendered within a budget of
-- instructions (a template is code, and may loop).
function targets.template(text)
  local ok, render = pcall(template.compile, text, "=fuzz.tpl")
  if not ok then
    template.clear_cache()
    if type(render) == "string" then return nil end
    return "template.compile raised a non-string: " .. tostring(render)
  end
  debug.sethook(function() error("fuzz: instruction budget spent", 0) end, "", 1000000)
  pcall(render, { ir = { models = {} }, name = "fuzz" })
  debug.sethook()
  template.clear_cache()
  return nil
end

return targets
