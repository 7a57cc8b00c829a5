-- Unified diffs of two texts, for `ssot run --diff`: Myers' O(ND) algorithm in linear space
-- (the divide-and-conquer form GNU diff uses), with a cost limit so very different big files
-- still diff quickly. Pure Lua.
local M = {}

-- Lines with their "\n" (the last may lack it), and each line as a number: equal lines, equal
-- numbers, so the search compares integers.
local function split(text, ids, lines_out, codes_out)
  local n, pos, len = 0, 1, #text
  while pos <= len do
    local stop = text:find("\n", pos, true) or len
    local line = text:sub(pos, stop)
    n = n + 1
    lines_out[n] = line
    local id = ids[line]
    if not id then
      id = ids.n + 1
      ids.n = id
      ids[line] = id
    end
    codes_out[n] = id
    pos = stop + 1
  end
  return n
end

-- Differ: the two line-code arrays a and b, change flags ca/cb, the diagonal arrays fd/bd
-- (indexed by k = x - y, so negative keys occur) and the cost limit.
local function find_middle(s, xoff, xlim, yoff, ylim)
  local a, b, fd, bd = s.a, s.b, s.fd, s.bd
  local dmin, dmax = xoff - ylim, xlim - yoff
  local fmid, bmid = xoff - yoff, xlim - ylim
  local fmin, fmax, bmin, bmax = fmid, fmid, bmid, bmid
  local odd = (fmid - bmid) % 2 ~= 0
  local huge = math.maxinteger
  fd[fmid] = xoff
  bd[bmid] = xlim
  local c = 0
  while true do
    c = c + 1
    -- Extend the forward search by one edit on every diagonal it reaches.
    if fmin > dmin then fmin = fmin - 1; fd[fmin - 1] = -1 else fmin = fmin + 1 end
    if fmax < dmax then fmax = fmax + 1; fd[fmax + 1] = -1 else fmax = fmax - 1 end
    for d = fmax, fmin, -2 do
      local tlo, thi = fd[d - 1], fd[d + 1]
      local x = tlo < thi and thi or tlo + 1
      local y = x - d
      while x < xlim and y < ylim and a[x] == b[y] do x = x + 1; y = y + 1 end
      fd[d] = x
      if odd and bmin <= d and d <= bmax and bd[d] <= x then return x, y end
    end
    -- Extend the backward search likewise.
    if bmin > dmin then bmin = bmin - 1; bd[bmin - 1] = huge else bmin = bmin + 1 end
    if bmax < dmax then bmax = bmax + 1; bd[bmax + 1] = huge else bmax = bmax - 1 end
    for d = bmax, bmin, -2 do
      local tlo, thi = bd[d - 1], bd[d + 1]
      local x = tlo < thi and tlo or thi - 1
      local y = x - d
      while xoff < x and yoff < y and a[x - 1] == b[y - 1] do x = x - 1; y = y - 1 end
      bd[d] = x
      if not odd and fmin <= d and d <= fmax and x <= fd[d] then return x, y end
    end
    -- Too costly: split at the furthest point either search reached. The diff stays
    -- correct, only possibly longer than the shortest.
    if c >= s.limit then
      local fbest, fxbest = -1, nil
      for d = fmax, fmin, -2 do
        local x = math.min(fd[d], xlim)
        local y = x - d
        if ylim < y then x, y = ylim + d, ylim end
        if fbest < x + y then fbest, fxbest = x + y, x end
      end
      local bbest, bxbest = huge, nil
      for d = bmax, bmin, -2 do
        local x = math.max(xoff, bd[d])
        local y = x - d
        if y < yoff then x, y = yoff + d, yoff end
        if x + y < bbest then bbest, bxbest = x + y, x end
      end
      if (xlim + ylim) - bbest < fbest - (xoff + yoff) then
        return fxbest, fbest - fxbest
      end
      return bxbest, bbest - bxbest
    end
  end
end

-- Marks the changed lines of a[xoff, xlim) and b[yoff, ylim).
local function compare(s, xoff, xlim, yoff, ylim)
  local a, b = s.a, s.b
  while xoff < xlim and yoff < ylim and a[xoff] == b[yoff] do xoff = xoff + 1; yoff = yoff + 1 end
  while xlim > xoff and ylim > yoff and a[xlim - 1] == b[ylim - 1] do xlim = xlim - 1; ylim = ylim - 1 end
  if xoff == xlim then
    for y = yoff, ylim - 1 do s.cb[y] = true end
  elseif yoff == ylim then
    for x = xoff, xlim - 1 do s.ca[x] = true end
  else
    local xmid, ymid = find_middle(s, xoff, xlim, yoff, ylim)
    compare(s, xoff, xmid, yoff, ymid)
    compare(s, xmid, xlim, ymid, ylim)
  end
end

-- The cost limit: about the square root of the input size, at least 256 edit steps.
local function cost_limit(total)
  local limit = 1
  while total > 0 do total = total // 4; limit = limit * 2 end
  return math.max(256, limit)
end

-- changes(a_codes, n, b_codes, m) -> list of { a_start, a_stop, b_start, b_stop } (half-open,
-- 1-based): the blocks where the texts differ, in order.
-- Lines that occur in only one text can never match: they are marked changed up front and
-- left out of the search, which keeps it short when the texts have little in common.
local function reduce(codes, n, other, other_n, changed)
  local present = {}
  for j = 1, other_n do present[other[j]] = true end
  local kept, where = {}, {}
  for i = 1, n do
    if present[codes[i]] then
      kept[#kept + 1] = codes[i]
      where[#kept] = i
    else
      changed[i] = true
    end
  end
  return kept, where
end

local function changes(a, n, b, m)
  local ca, cb = {}, {}
  local ra, a_where = reduce(a, n, b, m, ca)
  local rb, b_where = reduce(b, m, a, n, cb)
  local s = { a = ra, b = rb, ca = {}, cb = {}, fd = {}, bd = {}, limit = cost_limit(#ra + #rb) }
  compare(s, 1, #ra + 1, 1, #rb + 1)
  for i in pairs(s.ca) do ca[a_where[i]] = true end
  for j in pairs(s.cb) do cb[b_where[j]] = true end
  s.ca, s.cb = ca, cb
  local blocks = {}
  local i, j = 1, 1
  while i <= n or j <= m do
    if i <= n and j <= m and not s.ca[i] and not s.cb[j] then
      i, j = i + 1, j + 1
    else
      local si, sj = i, j
      while i <= n and s.ca[i] do i = i + 1 end
      while j <= m and s.cb[j] do j = j + 1 end
      blocks[#blocks + 1] = { si, i, sj, j }
    end
  end
  return blocks
end

local function range(start, count)
  if count == 1 then return tostring(start) end
  if count == 0 then return (start - 1) .. ",0" end
  return start .. "," .. count
end

local NO_NEWLINE = "\n\\ No newline at end of file\n"

-- unified(old_text, new_text, old_label, new_label[, context]) -> the unified diff ("" when
-- the texts are equal). context: unchanged lines around each change, default 3.
function M.unified(old_text, new_text, old_label, new_label, context)
  if type(old_text) ~= "string" or type(new_text) ~= "string" then
    error("diff.unified: old and new text must be strings", 2)
  end
  if old_text == new_text then return "" end
  context = context or 3
  local ids = { n = 0 }
  local old_lines, old_codes, new_lines, new_codes = {}, {}, {}, {}
  local n = split(old_text, ids, old_lines, old_codes)
  local m = split(new_text, ids, new_lines, new_codes)
  local blocks = changes(old_codes, n, new_codes, m)

  local out = { "--- " .. (old_label or "a") .. "\n", "+++ " .. (new_label or "b") .. "\n" }
  local function line(prefix, text)
    out[#out + 1] = prefix
    out[#out + 1] = text
    if text:sub(-1) ~= "\n" then out[#out + 1] = NO_NEWLINE end
  end

  local k = 1
  while k <= #blocks do
    -- A hunk takes the blocks whose gaps are at most 2 * context unchanged lines.
    local first, last = k, k
    while last < #blocks and blocks[last + 1][1] - blocks[last][2] <= 2 * context do last = last + 1 end
    local a_start = math.max(1, blocks[first][1] - context)
    local b_start = blocks[first][3] - (blocks[first][1] - a_start)
    local a_stop = math.min(n + 1, blocks[last][2] + context)
    local b_stop = blocks[last][4] + (a_stop - blocks[last][2])
    out[#out + 1] = "@@ -" .. range(a_start, a_stop - a_start) .. " +" .. range(b_start, b_stop - b_start) .. " @@\n"
    local i = a_start
    for bi = first, last do
      local block = blocks[bi]
      for x = i, block[1] - 1 do line(" ", old_lines[x]) end
      for x = block[1], block[2] - 1 do line("-", old_lines[x]) end
      for y = block[3], block[4] - 1 do line("+", new_lines[y]) end
      i = block[2]
    end
    for x = i, a_stop - 1 do line(" ", old_lines[x]) end
    k = last + 1
  end
  return table.concat(out)
end

return M
