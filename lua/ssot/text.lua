-- Text helpers for names and generated code: splitting identifiers into words, the casings
-- (camel, Pascal, kebab, snake, CONSTANT), English plural/singular, indent and trim.
-- Pure Lua, standard library only; used by the config/IR, templates and phases.
local M = {}

local function check_string(fname, s)
  if type(s) ~= "string" then
    error(string.format("text.%s: expected a string, got %s", fname, type(s)), 3)
  end
end

-- Byte classes: upper-case letter, lower-case letter, digit.
local function is_upper(b) return b ~= nil and b >= 65 and b <= 90 end
local function is_lower(b) return b ~= nil and b >= 97 and b <= 122 end
local function is_digit(b) return b ~= nil and b >= 48 and b <= 57 end

-- Splits one run of letters/digits at case changes: "userId" -> user|Id,
-- "HTTPServer" -> HTTP|Server, "userIDs" -> user|IDs, "sha256Hash" -> sha256|Hash.
-- Digits stay with the word before them.
local function split_run(run, out)
  local start, n = 1, #run
  local byte = string.byte
  for i = 2, n do
    local prev, c, nxt = byte(run, i - 1, i + 1)
    local boundary = false
    if is_upper(c) then
      if is_lower(prev) or is_digit(prev) then
        boundary = true
      elseif is_upper(prev) and is_lower(nxt) then
        -- "HTTPServer": the last capital of an acronym starts the next word, except a
        -- plural "s" closing the acronym ("IDs", "URLs").
        local after = byte(run, i + 2)
        boundary = not (nxt == 115 and (after == nil or is_upper(after) or is_digit(after)))
      end
    end
    if boundary then
      out[#out + 1] = run:sub(start, i - 1):lower()
      start = i
    end
  end
  if start <= n then out[#out + 1] = run:sub(start):lower() end
end

-- Identifiers are split again and again (every casing of every model name): the words of
-- each string are kept (up to a bound). Callers get copies or only read them.
local split_cache, cache_size = {}, 0

local function split(s)
  local words = split_cache[s]
  if words then return words end
  words = {}
  for run in s:gmatch("[%w\128-\255]+") do split_run(run, words) end
  if cache_size < 10000 then
    split_cache[s] = words
    cache_size = cache_size + 1
  end
  return words
end

-- words(s) -> list of lowercase words. Separators are anything but letters and digits
-- (bytes >= 128 count as letters); case changes start a new word.
function M.words(s)
  check_string("words", s)
  local words = split(s)
  return table.move(words, 1, #words, 1, {})
end

local function capitalize(w) return (w:gsub("^%l", string.upper)) end

function M.pascal(s)
  check_string("pascal", s)
  local words, out = split(s), {}
  for i = 1, #words do out[i] = capitalize(words[i]) end
  return table.concat(out)
end

function M.camel(s)
  check_string("camel", s)
  local words = split(s)
  local out = { words[1] }
  for i = 2, #words do out[i] = capitalize(words[i]) end
  return table.concat(out)
end

function M.kebab(s)
  check_string("kebab", s)
  return table.concat(split(s), "-")
end

function M.snake(s)
  check_string("snake", s)
  return table.concat(split(s), "_")
end

-- constant("chatRoom") -> "CHAT_ROOM"
function M.constant(s)
  check_string("constant", s)
  return M.snake(s):upper()
end

-- Plurals --------------------------------------------------------------------------------

-- Words whose plural is the same word.
local UNCOUNTABLE = {}
for w in ([[data metadata media equipment information news series species sheep fish
  deer feedback software hardware staff audio music]]):gmatch("%a+") do UNCOUNTABLE[w] = true end

local IRREGULAR = {          -- singular -> plural
  person = "people", child = "children", man = "men", woman = "women", mouse = "mice",
  goose = "geese", foot = "feet", tooth = "teeth", ox = "oxen", quiz = "quizzes",
  leaf = "leaves", life = "lives", knife = "knives", wife = "wives", half = "halves",
  shelf = "shelves", wolf = "wolves", thief = "thieves", hero = "heroes", potato = "potatoes",
  tomato = "tomatoes", echo = "echoes", criterion = "criteria", phenomenon = "phenomena",
  analysis = "analyses", crisis = "crises", thesis = "theses", axis = "axes",
  cache = "caches", movie = "movies", cookie = "cookies", alias = "aliases",
  canvas = "canvases", gas = "gases", bus = "buses",
}
local IRREGULAR_PLURAL = {}  -- plural -> singular
for singular, plural in pairs(IRREGULAR) do IRREGULAR_PLURAL[plural] = singular end

local function plural_word(w)
  if w == "" or UNCOUNTABLE[w] then return w end
  if IRREGULAR[w] then return IRREGULAR[w] end
  if IRREGULAR_PLURAL[w] then return w end
  if w:match("[^aeiou]y$") then return w:sub(1, -2) .. "ies" end
  if w:match("[sc]h$") or w:match("[xz]$") or w:match("[siau]s$") then return w .. "es" end
  if w:match("s$") then return w end      -- already plural-looking: "settings", "photos"
  return w .. "s"
end

local function singular_word(w)
  if w == "" or UNCOUNTABLE[w] then return w end
  if IRREGULAR_PLURAL[w] then return IRREGULAR_PLURAL[w] end
  if IRREGULAR[w] then return w end
  if w:match("[^aeiou]ies$") then return w:sub(1, -4) .. "y" end
  if w:match("[sc]hes$") or w:match("sses$") or w:match("xes$") or w:match("zzes$") then
    return w:sub(1, -3)                   -- "classes", "batches", "boxes", "buzzes"
  end
  if w:match("[^aeiou]uses$") then return w:sub(1, -3) end  -- "statuses"; not "houses"
  if w:match("[siu]s$") then return w end                    -- "class", "status", "basis"
  if w:match("s$") then return w:sub(1, -2) end
  return w
end

-- Applies a word transformation to the last word of s, keeping the case of the letters
-- the two forms share: "ChatRoom" -> "ChatRooms", "Person" -> "People", "API" -> "APIs".
local function on_last_word(s, transform)
  local words = M.words(s)
  local last = words[#words]
  if not last then return s end
  -- The last word is the last #last alphanumeric characters of s.
  local stop = #s
  while stop > 0 and not s:sub(stop, stop):match("[%w\128-\255]") do stop = stop - 1 end
  local first = stop - #last + 1
  local original = s:sub(first, stop)
  local changed = transform(last)
  local common = 0
  while common < #last and common < #changed
      and last:sub(common + 1, common + 1) == changed:sub(common + 1, common + 1) do
    common = common + 1
  end
  local rest = changed:sub(common + 1)
  if original:match("^%u") and common == 0 then rest = capitalize(rest) end
  return s:sub(1, first - 1) .. original:sub(1, common) .. rest .. s:sub(stop + 1)
end

-- plural("Category") -> "Categories"; acts on the last word of a compound name.
function M.plural(s)
  check_string("plural", s)
  return on_last_word(s, plural_word)
end

-- singular("ChatRooms") -> "ChatRoom"; the inverse of plural for the words it knows.
function M.singular(s)
  check_string("singular", s)
  if s:match("%u%us$") then return s:sub(1, -2) end   -- a plural acronym: "APIs", "IDs"
  return on_last_word(s, singular_word)
end

-- Suggestions --------------------------------------------------------------------------

-- Edit distance (insertions, deletions, substitutions, adjacent swaps), case-insensitive.
local function distance(a, b)
  a, b = a:lower(), b:lower()
  local prev2, prev, cur = {}, {}, {}
  for j = 0, #b do prev[j] = j end
  for i = 1, #a do
    cur = { [0] = i }
    for j = 1, #b do
      local cost = a:byte(i) == b:byte(j) and 0 or 1
      cur[j] = math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost)
      if i > 1 and j > 1 and a:byte(i) == b:byte(j - 1) and a:byte(i - 1) == b:byte(j) then
        cur[j] = math.min(cur[j], prev2[j - 2] + 1)
      end
    end
    prev2, prev = prev, cur
  end
  return prev[#b]
end

-- closest(name, candidates) -> the candidate most like name, or nil when none is close
-- enough to be a plausible typo. candidates is a list or a set (string keys).
function M.closest(name, candidates)
  check_string("closest", name)
  local list = {}
  for k, v in pairs(candidates) do list[#list + 1] = type(k) == "string" and k or v end
  table.sort(list)
  local best, best_distance = nil, math.max(1, #name // 3)
  if #name <= 2 then best_distance = 1 end
  for _, candidate in ipairs(list) do
    local d = distance(name, candidate)
    if d < best_distance or d == best_distance and best == nil then
      best, best_distance = candidate, d
    end
  end
  return best
end

-- did_you_mean(name, candidates) -> " (did you mean 'x'?)" or "" when nothing is close.
function M.did_you_mean(name, candidates)
  local best = M.closest(name, candidates)
  if best == nil or best == name then return "" end
  return " (did you mean '" .. best .. "'?)"
end

-- Layout ---------------------------------------------------------------------------------

-- indent(str, n_or_prefix) -> str with n spaces (or the prefix) before every line that has
-- a non-blank character; blank lines stay as they are so no trailing whitespace appears.
function M.indent(str, by)
  check_string("indent", str)
  local prefix
  if type(by) == "number" then prefix = string.rep(" ", by)
  elseif type(by) == "string" then prefix = by
  else error("text.indent: expected a number of spaces or a prefix string, got " .. type(by), 2) end
  return (str:gsub("[^\n]+", function(line)
    if line:match("^%s*$") then return line end
    return prefix .. line
  end))
end

-- trim(s) -> s without leading and trailing whitespace.
function M.trim(s)
  check_string("trim", s)
  return (s:gsub("^%s+", ""):gsub("%s+$", ""))
end

return M
