-- wrk script for the three measured operations; the harness (run.mjs) picks one per run:
--   wrk ... -s requests.lua URL -- get ROWS     GET /api/messages/<id>, ids 1..ROWS at random
--   wrk ... -s requests.lua URL -- list ROOMS   GET /api/messages?where={"roomId":R}&take=20
--   wrk ... -s requests.lua URL -- create ROOMS POST /api/messages, a chat-sized JSON body
-- 4096 requests are formatted once per thread in init() and sent in turn, so wrk spends no
-- time building requests; the fixed seeds give every server the same sequence.
local requests = {}
local next_request = 0

local build = {
  get = function(rows)
    return wrk.format("GET", "/api/messages/" .. math.random(rows))
  end,
  list = function(rooms)
    -- where={"roomId":R}, URL-encoded; every seeded room holds more than 20 rows
    return wrk.format("GET", "/api/messages?where=%7B%22roomId%22%3A" .. math.random(rooms) .. "%7D&take=20")
  end,
  create = function(rooms, i)
    local body = string.format(
      '{"roomId":%d,"author":"bench-%d","text":"Benchmark message %d: the quick brown fox jumps over the lazy dog.","kind":"text"}',
      math.random(rooms), i % 50, i)
    return wrk.format("POST", "/api/messages", { ["Content-Type"] = "application/json" }, body)
  end,
}

function init(args)
  local op, count = args[1], tonumber(args[2])
  if not build[op] or not count or count < 1 then
    error("requests.lua: pass the operation and its count after --, e.g. -- get 2000 (operations: get, list, create)")
  end
  math.randomseed(42)
  for i = 1, 4096 do
    requests[i] = build[op](count, i)
  end
end

function request()
  next_request = next_request % #requests + 1
  return requests[next_request]
end
