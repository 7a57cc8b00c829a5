-- Specs for ssot.diff: unified diffs that `patch` applies, minimal on small inputs, the same
-- hunks GNU diff prints where the shortest diff is unique, and sane on big inputs.
local diff = require "ssot.diff"

local fs = require "fs_helpers"
local shell_quote, write_file, read_file = fs.quote, fs.write, fs.read

local tmp
setup(function() tmp = fs.tempdir() end)
teardown(function() fs.remove(tmp) end)

-- Applies the diff to old with GNU patch and returns the result.
local function patched(old, unified)
  write_file(tmp .. "/file", old)
  write_file(tmp .. "/change.diff", unified)
  local p = io.popen("patch -s -o " .. shell_quote(tmp .. "/result") .. " " .. shell_quote(tmp .. "/file")
    .. " < " .. shell_quote(tmp .. "/change.diff") .. " 2>&1")
  local output = p:read("a")
  assert.is_true(p:close() == true, "patch failed: " .. output .. "\n" .. unified)
  return read_file(tmp .. "/result")
end

-- GNU diff -u of the two texts, without its two header lines.
local function gnu_hunks(old, new)
  write_file(tmp .. "/old", old)
  write_file(tmp .. "/new", new)
  local p = io.popen("diff -u " .. shell_quote(tmp .. "/old") .. " " .. shell_quote(tmp .. "/new"))
  local output = p:read("a")
  p:close()
  return (output:gsub("^[^\n]*\n[^\n]*\n", ""))
end

local function hunks(unified) return (unified:gsub("^[^\n]*\n[^\n]*\n", "")) end

local function lines(...) return table.concat({ ... }, "\n") .. "\n" end

-- Changed lines in a diff (lines starting with - or +, headers excluded).
local function edit_count(unified)
  local count = 0
  for l in hunks(unified):gmatch("[^\n]*") do
    if l:match("^[-+]") then count = count + 1 end
  end
  return count
end

-- The length of the longest common subsequence of two line lists (dynamic programming).
local function lcs_length(a, b)
  local prev = {}
  for j = 0, #b do prev[j] = 0 end
  for i = 1, #a do
    local cur = { [0] = 0 }
    for j = 1, #b do
      cur[j] = a[i] == b[j] and prev[j - 1] + 1 or math.max(prev[j], cur[j - 1])
    end
    prev = cur
  end
  return prev[#b]
end

describe("ssot.diff.unified", function()
  it("returns an empty string for equal texts", function()
    assert.are.equal("", diff.unified("a\nb\n", "a\nb\n", "x", "y"))
    assert.are.equal("", diff.unified("", "", "x", "y"))
  end)

  it("writes the labels and one hunk with three lines of context", function()
    local old = lines("1", "2", "3", "4", "5", "6", "7", "8", "9")
    local new = lines("1", "2", "3", "4", "five", "6", "7", "8", "9")
    assert.are.equal(table.concat({
      "--- a/schema.sql",
      "+++ b/schema.sql",
      "@@ -2,7 +2,7 @@",
      " 2", " 3", " 4", "-5", "+five", " 6", " 7", " 8", "",
    }, "\n"), diff.unified(old, new, "a/schema.sql", "b/schema.sql"))
  end)

  it("prints the hunks GNU diff prints when the shortest diff is unique", function()
    local cases = {
      { lines("a", "b", "c"), lines("a", "c") },
      { "", lines("new", "file") },
      { lines("old", "file"), "" },
      { lines("1", "2", "3", "4", "5", "6", "7", "8", "9", "10", "11", "12", "13", "14", "15", "16", "17", "18"),
        lines("0", "1", "2", "3", "4", "5", "6", "7", "8", "9", "10", "11", "12", "13", "14", "15", "16", "17") },
      { lines("x", "y"), "x\ny" },
      { "x\ny", "x\nz" },
      { lines("h", "1", "2", "3", "4", "5", "6", "7", "8", "t"), lines("H", "1", "2", "3", "4", "5", "6", "7", "8", "T") },
    }
    for i, case in ipairs(cases) do
      assert.are.equal(gnu_hunks(case[1], case[2]), hunks(diff.unified(case[1], case[2], "a", "b")), "case " .. i)
    end
  end)

  it("marks a missing newline at the end of either file", function()
    assert.are.equal("--- a\n+++ b\n@@ -1 +1 @@\n-x\n\\ No newline at end of file\n+x\n",
      diff.unified("x", "x\n", "a", "b"))
  end)

  it("honours the context size", function()
    local old = lines("1", "2", "3", "4", "5")
    assert.are.equal("--- a\n+++ b\n@@ -3 +3 @@\n-3\n+three\n",
      diff.unified(old, lines("1", "2", "three", "4", "5"), "a", "b", 0))
  end)

  it("produces minimal diffs that patch applies, on many random inputs", function()
    math.randomseed(20261125)
    local alphabet = { "a", "b", "c", "d", "" }
    for round = 1, 150 do
      local function random_lines()
        local out = {}
        for i = 1, math.random(0, 25) do out[i] = alphabet[math.random(#alphabet)] end
        return out
      end
      local a, b = random_lines(), random_lines()
      local old = #a > 0 and table.concat(a, "\n") .. "\n" or ""
      local new = #b > 0 and table.concat(b, "\n") .. "\n" or ""
      local unified = diff.unified(old, new, "a", "b", round % 4)
      if old == new then
        assert.are.equal("", unified)
      else
        assert.are.equal(new, patched(old, unified), "round " .. round)
        assert.are.equal(#a + #b - 2 * lcs_length(a, b), edit_count(unified), "minimal, round " .. round)
      end
    end
  end)

  it("handles big files with scattered changes and big files that share nothing", function()
    local a, b = {}, {}
    for i = 1, 20000 do
      a[i] = "line " .. i
      b[i] = i % 997 == 0 and "changed " .. i or "line " .. i
    end
    table.insert(b, 5000, "inserted")
    table.remove(b, 15000)
    local old, new = table.concat(a, "\n") .. "\n", table.concat(b, "\n") .. "\n"
    local unified = diff.unified(old, new, "a", "b")
    assert.are.equal(new, patched(old, unified))
    assert.are.equal(2 * 20 + 2, edit_count(unified))

    local c, d = {}, {}
    for i = 1, 4000 do
      c[i] = "old " .. (i * 7919) % 4001
      d[i] = "new " .. i
    end
    old, new = table.concat(c, "\n") .. "\n", table.concat(d, "\n") .. "\n"
    assert.are.equal(new, patched(old, diff.unified(old, new, "a", "b")))
  end)

  it("finishes on large, interleaved rewrites by bounding the search", function()
    math.randomseed(7)
    local a, b = {}, {}
    for i = 1, 6000 do
      a[i] = tostring(math.random(1, 40))
      b[i] = tostring(math.random(1, 40))
    end
    local old, new = table.concat(a, "\n") .. "\n", table.concat(b, "\n") .. "\n"
    assert.are.equal(new, patched(old, diff.unified(old, new, "a", "b")))
  end)
end)
