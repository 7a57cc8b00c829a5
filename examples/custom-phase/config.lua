-- examples/custom-phase: a user phase (phases/dictionary.lua, a Markdown data dictionary)
-- and an override of a built-in template (lib/templates/sql/schema.sql.tpl), both picked up
-- by the stock ssot binary: nothing is recompiled.
--   ssot run examples/custom-phase/config.lua
--   ssot phases examples/custom-phase/config.lua

name = "library"
output = "generated"
lib = { "lib" }                        -- searched before the built-in templates and modules
phases = { "phases/dictionary.lua" }   -- runs with the built-in phases, ordered by `after`
targets = { sdk = false, react = false, openapi = false }

models = {
  Author = {
    description = "A person who wrote at least one book.",
    fields = {
      { "id", "id" },
      { "name", "string", max = 120, description = "Full name as printed on the cover." },
      { "born", "int", optional = true, description = "Year of birth." },
    },
    hasMany = { books = "Book" },
  },
  Book = {
    description = "A title in the catalogue.",
    fields = {
      { "id", "id" },
      { "title", "string", max = 200 },
      { "authorId", "int", belongsTo = "Author", description = "Who wrote it." },
      { "isbn", "string", max = 17, unique = true, optional = true },
      { "status", "enum", values = { "available", "lent", "lost" }, default = "available" },
      { "addedAt", "datetime", auto = "create" },
    },
    permissions = { create = "authenticated", update = "isAdmin", delete = "isAdmin" },
  },
}
