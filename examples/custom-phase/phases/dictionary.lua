-- A user phase: writes DATA_DICTIONARY.md, a Markdown data dictionary of the models, from the
-- template dictionary/models.md.tpl (found in the config's lib/templates). Runs after the
-- built-in sql phase so the dictionary can link to schema.sql.
local function constraints(field)
  local parts = {}
  if field.unique and field.type ~= "id" then parts[#parts + 1] = "unique" end
  if field.max then parts[#parts + 1] = "max " .. field.max end
  if field.values then parts[#parts + 1] = "one of " .. table.concat(field.values, ", ") end
  if field.default ~= nil then parts[#parts + 1] = "default " .. tostring(field.default) end
  if field.auto then parts[#parts + 1] = "set on " .. field.auto end
  if field.references then parts[#parts + 1] = "-> " .. field.references.model end
  return table.concat(parts, "; ")
end

return {
  name = "dictionary",
  description = "Markdown data dictionary (DATA_DICTIONARY.md)",
  after = { "sql" },
  -- It reads nothing but the IR and its template (which ssot tracks itself), so an unchanged
  -- rerun can stop early (docs/output.md, "Up to date").
  inputs = {},
  should_run = function(ctx)
    return #ctx.models > 0, "the config has no models"
  end,
  run = function(ctx)
    ctx.emit("DATA_DICTIONARY.md", ctx.render("dictionary/models.md.tpl", {
      ir = ctx.ir,
      constraints = constraints,
    }))
  end,
}
