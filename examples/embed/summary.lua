-- Run by model-summary: walks the model IR (docs/ir.md) and reports one line per model
-- through the C function the tool registered as ssot.report.
for _, model in ipairs(ssot.ir.models) do
  local required = 0
  for _, field in ipairs(model.fields) do
    if not field.optional then required = required + 1 end
  end
  local owner = model.owner and (", owned by " .. model.owner) or ""
  ssot.report(string.format("%s /api/%s: %d fields (%d required)%s",
    model.name, model.path, #model.fields, required, owner))
end
