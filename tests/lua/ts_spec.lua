-- Specs for ssot.ts: the TypeScript literals and names the sdk, react and openapi phases
-- generate from the IR (string escaping, unique derived names, per-field types).
local ts = require "ssot.ts"
local support = require "config_support"

describe("ssot.ts", function()
  describe("string", function()
    it("escapes quotes, backslashes, control characters and the line separators", function()
      assert.are.equal([["say \"hi\""]], ts.string('say "hi"'))
      assert.are.equal([["back\\slash"]], ts.string("back\\slash"))
      assert.are.equal([["a\nb\tc\u0001"]], ts.string("a\nb\tc\1"))
      assert.are.equal([["x\u2028y\u2029"]], ts.string("x\226\128\168y\226\128\169"))
      assert.are.equal([["é ok"]], ts.string("é ok"))
    end)
  end)

  describe("key and comment_text", function()
    it("quotes only keys that are not identifiers", function()
      assert.are.equal("createdAt", ts.key("createdAt"))
      assert.are.equal("sort_order", ts.key("sort_order"))
      assert.are.equal([["first-name"]], ts.key("first-name"))
    end)
    it("keeps a comment from ending early and on one line", function()
      assert.are.equal("ends *\\/ here and goes on", ts.comment_text("ends */ here\n  and goes on"))
    end)
  end)

  describe("allocator", function()
    it("gives the first free candidate, then numbers the second", function()
      local names = ts.allocator()
      names.reserve("DataClient")
      assert.are.equal("DataModelClient", names.take("DataClient", "DataModelClient"))
      assert.are.equal("DataModelClient2", names.take("DataClient", "DataModelClient"))
      assert.are.equal("DataModelClient3", names.take("DataModelClient"))
    end)
    it("compares case-insensitively when told to (file names)", function()
      local files = ts.allocator(string.lower)
      assert.are.equal("http-server", files.take("http-server", "http-server-model"))
      assert.are.equal("http-server-model", files.take("HTTP-Server", "http-server-model"))
    end)
  end)

  describe("SDK_EXPORTS", function()
    it("every one a model could be named (PascalCase) is a reserved model name", function()
      local reserved = require "ssot.reserved"
      local validate_models = require "ssot.validate.models"
      local checked = 0
      for _, name in ipairs(ts.SDK_EXPORTS) do
        if name:match(validate_models.NAME_PATTERN) then
          assert.is_truthy(reserved.type_names[name], name .. " is missing from reserved.type_names")
          checked = checked + 1
        end
      end
      assert.is_true(checked > 0)
    end)
  end)

  describe("plan", function()
    local ir = support.load([[
name = "t"
models = {
  Data = { fields = { { "id", "id" }, { "kind", "enum", values = { "a", "b" } } } },
  DataKind = { owner = "ownerId", fields = {
    { "id", "id", uuid = true },
    { "ownerId", "int" },
    { "note", "text", optional = true },
    { "at", "datetime", auto = "create" },
    { "meta", "json", optional = true },
    { "rank", "float", default = 1.5 },
  } },
}
]])
    local plan = ts.plan(ir)
    local data, kind = plan.by_name.Data, plan.by_name.DataKind

    it("moves derived names clear of model names and runtime exports", function()
      assert.are.equal("DataModelClient", data.client)            -- the runtime has DataClient
      assert.are.equal("DataKindValue", data.enums[1].type)       -- the model DataKind exists
      assert.are.equal("dataKindValues", data.enums[1].values_const)
      assert.are.equal("DataKindClient", kind.client)
    end)

    it("is the same plan for the same IR", function()
      assert.are.equal(plan, ts.plan(ir))
    end)

    it("types fields for rows, inputs and filters", function()
      local by = {}
      for _, f in ipairs(kind.fields) do by[f.name] = f end
      assert.are.equal("string", kind.id_type)
      assert.are.equal("string", by.id.row)
      assert.are.equal("rt.EqualityFilter<string>", by.id.where)
      assert.are.equal("string | null", by.note.row)
      assert.are.equal("rt.TextFilter<null>", by.note.where)
      assert.are.equal("rt.DateTimeInput", by.at.input)
      assert.are.equal("rt.JsonValue | null", by.meta.row)
      assert.are.equal("rt.NullFilter", by.meta.where)
      assert.are.equal("rt.ComparableFilter<number>", by.rank.where)
    end)

    it("leaves server-filled fields out of create and read-only ones out of update", function()
      local by = {}
      for _, f in ipairs(kind.fields) do by[f.name] = f end
      assert.is_false(by.id.in_create)
      assert.is_false(by.ownerId.in_create)     -- the owner comes from the token
      assert.is_true(by.ownerId.in_update)
      assert.is_false(by.at.in_create)
      assert.is_false(by.at.in_update)
      assert.is_true(by.rank.create_optional)   -- has a default
      assert.is_true(by.note.create_optional)   -- optional
    end)

    it("sorts by every field but json ones", function()
      local names = {}
      for i, f in ipairs(kind.sortable) do names[i] = f.name end
      assert.are.same({ "id", "ownerId", "note", "at", "rank" }, names)
    end)
  end)
end)
