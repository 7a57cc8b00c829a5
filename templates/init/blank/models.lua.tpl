%# The blank preset's model: the smallest useful one, to rename and grow.
models = {
  -- One model to start from: rename it, add fields (docs/config.md#fields) and models.
  Item = {
    fields = {
      { "id", "id" },
      { "name", "string", max = 200 },
      { "createdAt", "datetime", auto = "create" },
    },
    permissions = {
% if auth then
      list = "true", get = "true",   -- anyone may read
      create = "authenticated", update = "authenticated", delete = "authenticated",
% else
      list = "true", get = "true", create = "true", update = "true", delete = "true",
% end
    },
  },
}
