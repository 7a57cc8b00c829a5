-- Specs for ssot.template: the syntax (docs/templates.md), errors at template file:line,
-- helpers, lookup in library directories before the built-ins, and the compile cache.
local core = require "ssot.core"
local template = require "ssot.template"

local SOURCE_DIR = os.getenv("SSOT_SOURCE_DIR") or "."
local FIXTURES = SOURCE_DIR .. "/tests/fixtures/templates"

local function render(source, vars) return template.render_string(source, vars, "@t.tpl") end

-- Returns the message of the error fn raises.
local function error_of(fn, ...)
  local ok, message = pcall(fn, ...)
  assert.is_false(ok, "expected an error")
  return tostring(message)
end

local fs = require "fs_helpers"
local write_file = fs.write

describe("ssot.template syntax", function()
  before_each(template.clear_cache)

  it("inserts <%= expr %> and leaves TypeScript and JSX syntax alone", function()
    local out = render([[
export const <%= name %>: Map<string, Array<T>> = new Map(); // {} ${x} {{ y }}
const el = <div className={`a ${b}`}>{items.map((i) => <Item key={i} />)}</div>;
]], { name = "byId" })
    assert.are.equal([[
export const byId: Map<string, Array<T>> = new Map(); // {} ${x} {{ y }}
const el = <div className={`a ${b}`}>{items.map((i) => <Item key={i} />)}</div>;
]], out)
  end)

  it("inserts numbers and booleans with tostring", function()
    assert.are.equal("3 2.5 true", render("<%= n %> <%= f %> <%= b %>", { n = 3, f = 2.5, b = true }))
    assert.are.equal("1e+20 -0.0 0.1 false", render("<%= a %> <%= b %> <%= c %> <%= d %>",
      { a = 1e20, b = -0.0, c = 0.1, d = false }))
  end)

  it("inserts a value with __tostring, also next to plain strings and after a rendering that failed", function()
    local point = setmetatable({}, { __tostring = function() return "(1, 2)" end })
    local fn = template.compile("at <%= p %>, <%= s %>\n", "@point.tpl")
    assert.are.equal("at (1, 2), ok\n", fn({ p = point, s = "ok" }))
    assert.are.equal("at here, ok\n", fn({ p = "here", s = "ok" }))
    assert.are.equal("point.tpl:1: expression 'p' is nil", error_of(fn, { s = "ok" }))
    assert.are.equal("at there, ok\n", fn({ p = "there", s = "ok" }))
  end)

  it("removes % statement lines together with their newline", function()
    local out = render([[
type Fields = {
% for _, f in ipairs(fields) do
  <%= f %>: string;
%   if f == "b" then
  // after b
%   end
% end
};
]], { fields = { "a", "b", "c" } })
    assert.are.equal("type Fields = {\n  a: string;\n  b: string;\n  // after b\n  c: string;\n};\n", out)
  end)

  it("treats a lone % as a statement line and keeps % that is not a statement", function()
    assert.are.equal("a\n50% done\n%d items\nb\n", render("a\n%\n50% done\n%d items\nb\n"))
  end)

  it("removes %# comment lines", function()
    assert.are.equal("a\nb\n", render("a\n%# a comment <%= nope %>\n  %# indented comment\nb\n"))
  end)

  it("writes <%% as a literal <% and a %% line as a literal % line", function()
    assert.are.equal("x <% y %> z\n% not code\n  %% twice\n",
      render("x <%% y %> z\n%% not code\n  %%% twice\n"))
  end)

  it("runs inline <% statements %>", function()
    assert.are.equal("1,2,3,", render("<% for i = 1, 3 do %><%= i %>,<% end %>"))
    assert.are.equal("[x]", render("<% local v = 'x' %>[<%= v %>]"))
  end)

  it("keeps a template without a final newline as it is", function()
    assert.are.equal("a\nb", render("a\n% -- nothing\nb"))
    assert.are.equal("a\n", render("a\n% local x = 1"))
  end)

  it("lets tags span lines without shifting later line numbers", function()
    local message = error_of(render, "<% local t = {\n  1,\n  2,\n} %>\nok\n<%= missing %>\n", {})
    assert.are.equal("t.tpl:6: expression 'missing' is nil", message)
  end)
end)

describe("ssot.template errors", function()
  before_each(template.clear_cache)

  it("names the template line and expression that is nil", function()
    local message = error_of(template.render_string, "a\nb <%= model.description %>\n",
      { model = {} }, "@template.ts.tpl")
    assert.are.equal("template.ts.tpl:2: expression 'model.description' is nil", message)
  end)

  it("refuses to insert a table, pointing at join and json", function()
    local message = error_of(render, "\n\n<%= list %>", { list = { 1 } })
    assert.are.equal("t.tpl:3: expression 'list' is a table; insert a string (use join(list, sep) or json(value))",
      message)
  end)

  it("points Lua runtime errors at the template file and line", function()
    core.set_lib_dirs({ FIXTURES .. "/lib" })
    local message = error_of(template.render, "greet/broken.txt.tpl", {})
    core.set_lib_dirs({})
    assert.matches("^" .. FIXTURES:gsub("%p", "%%%0") .. "/lib/templates/greet/broken.txt.tpl:3: attempt to index", message)
  end)

  it("points Lua syntax errors at the template line", function()
    local message = error_of(render, "one\ntwo\n% for i in do\n% end\n")
    assert.matches("^t.tpl:3: ", message)
  end)

  it("reports an unclosed tag with its line", function()
    assert.are.equal("t.tpl:2: '<%' is never closed (add '%>')", error_of(render, "ok\nbad <%= x\n"))
  end)

  it("reports an empty expression", function()
    assert.are.equal("t.tpl:1: empty '<%= %>' (put an expression between them)", error_of(render, "<%=  %>"))
  end)

  it("rejects a -- comment inside <% %> that would swallow the rest of the line", function()
    assert.matches("^t.tpl:1: a '%-%-' comment inside '<%% %%>' would hide the rest of the line",
      error_of(render, "<% local x = 1 -- note %>after"))
    -- A "--" inside a string is not a comment.
    assert.are.equal("--|", render("<% local sep = '--' %><%= sep %>|"))
  end)

  it("rejects vars that are not a table", function()
    assert.matches("template vars must be a table, got string", error_of(render, "x", "oops"))
  end)
end)

describe("ssot.template helpers", function()
  before_each(template.clear_cache)

  it("has the casing, plural and layout helpers of ssot.text", function()
    local out = render("<%= camel(n) %> <%= pascal(n) %> <%= kebab(n) %> <%= snake(n) %> "
      .. "<%= plural(pascal(n)) %> <%= singular('Categories') %> [<%= trim('  x ') %>]",
      { n = "chat_room" })
    assert.are.equal("chatRoom ChatRoom chat-room chat_room ChatRooms Category [x]", out)
    assert.are.equal("  a\n\n  b\n", render("<%= indent(s, 2) %>", { s = "a\n\nb\n" }))
  end)

  it("joins lists, optionally mapping items", function()
    local fields = { { name = "id" }, { name = "title" } }
    assert.are.equal("a, b", render("<%= join(xs, ', ') %>", { xs = { "a", "b" } }))
    assert.are.equal("id | title", render("<%= join(fs, ' | ', function(f) return f.name end) %>", { fs = fields }))
    assert.matches("join: item 1 is a table", error_of(render, "<%= join(fs, ',') %>", { fs = fields }))
  end)

  it("writes deterministic JSON", function()
    assert.are.equal('{"a":1,"b":[true]}', render("<%= json(v) %>", { v = { b = { true }, a = 1 } }))
    assert.are.equal('{\n  "a": 1\n}', render("<%= json(v, 2) %>", { v = { a = 1 } }))
  end)

  it("includes other templates, with given vars or the caller's", function()
    core.set_lib_dirs({ FIXTURES .. "/lib" })
    local out = template.render("greet/hello.txt.tpl", { names = { "ada", "grace_hopper" } })
    local parent = template.render("greet/uses_parent_vars.txt.tpl", { count = 7 })
    core.set_lib_dirs({})
    assert.are.equal("1. Hello, Ada!\n2. Hello, GraceHopper!\n-- 2 greeted --\n\n", out)
    assert.are.equal("-- 7 greeted --\n\n", parent)
  end)

  it("lets vars shadow helpers", function()
    assert.are.equal("mine", render("<%= camel %>", { camel = "mine" }))
  end)

  it("gives templates the standard library basics but not io or os", function()
    assert.are.equal("3 ab 2 table nil nil",
      render("<%= math.max(1, 3) %> <%= string.lower('AB') %> <%= #table.pack(1, 2) - 1 + 1 %> "
        .. "<%= type({}) %> <%= tostring(io) %> <%= tostring(os) %>"))
  end)
end)

describe("ssot.template lookup", function()
  local tmp

  before_each(function()
    template.clear_cache()
    tmp = fs.tempdir()
    fs.sh("mkdir -p " .. fs.quote(tmp .. "/templates/sql"))
  end)

  after_each(function()
    core.set_lib_dirs({})
    fs.remove(tmp)
  end)

  it("finds the built-in templates embedded in the binary", function()
    local source, chunkname, path = template.find("sql/schema.sql.tpl")
    assert.are.equal(core.resource("templates/sql/schema.sql.tpl"), source)
    assert.are.equal("@templates/sql/schema.sql.tpl", chunkname)
    assert.is_nil(path)
  end)

  it("prefers a library directory's templates/ over the built-in, in lib_dirs order", function()
    write_file(tmp .. "/templates/sql/schema.sql.tpl", "mine <%= x %>\n")
    core.set_lib_dirs({ FIXTURES .. "/lib", tmp, FIXTURES .. "/override" })
    assert.are.equal("mine 1\n", template.render("sql/schema.sql.tpl", { x = 1 }))
    assert.are.same({ tmp .. "/templates/sql/schema.sql.tpl" }, template.files())
  end)

  it("lists every place it looked for an unknown template", function()
    core.set_lib_dirs({ tmp })
    local message = error_of(template.render, "sql/nope.tpl", {})
    assert.matches("template 'sql/nope.tpl' not found; looked in:\n  " .. tmp:gsub("%p", "%%%0")
      .. "/templates/sql/nope.tpl\n  templates/sql/nope.tpl %(built%-in%)", message)
  end)

  it("rejects names that climb out of templates/", function()
    assert.matches("must not contain '..'", error_of(template.render, "../secret.tpl", {}))
  end)

  it("reports lookup and vars errors at the line that rendered, through ctx.render too", function()
    core.set_lib_dirs({ tmp })
    local ctx = require("ssot.context").new { ir = { models = {} } }
    local calls = {
      { function() local s = template.render("sql/nope.tpl", {}) return s end, "template 'sql/nope.tpl' not found" },
      { function() local s = template.find("../secret.tpl") return s end, "template name '../secret.tpl' must not" },
      { function() local s = template.render("sql/schema.sql.tpl", 5) return s end, "template vars must be a table" },
      { function() local s = ctx.render("sql/nope.tpl", {}) return s end, "template 'sql/nope.tpl' not found" },
      { function() local s = ctx.render("sql/schema.sql.tpl", "x") return s end, "template vars must be a table" },
    }
    for _, call in ipairs(calls) do
      local line = debug.getinfo(call[1], "S").linedefined
      local message = error_of(call[1])
      local expected = "template_spec.lua:" .. line .. ": " .. call[2]
      assert.is_truthy(message:find(expected, 1, true), "expected '" .. expected .. "' in: " .. message)
    end
  end)

  it("renders an absolute path as is", function()
    write_file(tmp .. "/abs.tpl", "abs <%= v %>")
    assert.are.equal("abs ok", template.render(tmp .. "/abs.tpl", { v = "ok" }))
  end)

  it("caches lookups until clear_cache(), then sees edited files", function()
    local file = tmp .. "/templates/sql/schema.sql.tpl"
    write_file(file, "v1")
    core.set_lib_dirs({ tmp })
    assert.are.equal("v1", template.render("sql/schema.sql.tpl", {}))
    write_file(file, "v2")
    assert.are.equal("v1", template.render("sql/schema.sql.tpl", {}))
    template.clear_cache()
    assert.are.equal("v2", template.render("sql/schema.sql.tpl", {}))
  end)
end)

describe("ssot.template.compile", function()
  before_each(template.clear_cache)

  it("compiles a source once per chunkname and recompiles when the source changes", function()
    local a = template.compile("x <%= v %>", "@same.tpl")
    assert.are.equal(a, template.compile("x <%= v %>", "@same.tpl"))
    local b = template.compile("y <%= v %>", "@same.tpl")
    assert.are_not.equal(a, b)
    assert.are.equal("y 1", b({ v = 1 }))
    assert.are.equal("x 2", a({ v = 2 }))
  end)

  it("gives each render its own variables", function()
    local fn = template.compile("<% seen = (seen or 0) + 1 %><%= seen %>", "@g.tpl")
    assert.are.equal("1", fn({}))
    assert.are.equal("1", fn({}))
  end)
end)
