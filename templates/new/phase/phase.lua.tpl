%# `ssot new phase`'s phases/NAME.lua: a phase in the format of docs/phases.md that renders
%# its own template. Vars: name.
-- phases/<%= name %>.lua: a phase of `ssot run` (docs/phases.md). It writes <%= name %>.md, the
-- models and their fields in Markdown, from the template <%= name %>/models.md.tpl, found in
-- lib/templates/. Made by `ssot new phase <%= name %>`: change it to write what you need
-- (a client in another language, docs, fixtures...).
--   run it:   list it in config.lua: phases = { "phases/<%= name %>.lua" }, lib = { "lib" }
--   test it:  busted (spec/<%= name %>_spec.lua)
return {
  name = "<%= name %>",
  description = "Markdown list of the models (<%= name %>.md)",   -- shown by `ssot phases`
  after = {},    -- names of phases this one runs after, e.g. { "sql" }
  inputs = {},   -- files it reads besides the IR and its templates; {} lets an unchanged rerun stop early
  -- Skipping says why in `ssot phases` and `ssot run --verbose`.
  should_run = function(ctx)
    return #ctx.models > 0, "the config has no models"
  end,
  run = function(ctx)
    -- ctx.render finds the template in the lib directories; ctx.emit writes under the
    -- output directory (only when the content changed) and removes what a run stops writing.
    ctx.emit("<%= name %>.md", ctx.render("<%= name %>/models.md.tpl", { ir = ctx.ir }))
  end,
}
