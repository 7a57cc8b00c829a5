%# The inventory preset's models: categories and products anyone may browse; with auth only
%# admins create them or change the stock.
models = {
  -- A group of products on the shelf.
  Category = {
    fields = {
      { "id", "id" },
      { "name", "string", max = 80, unique = true },
      { "createdAt", "datetime", auto = "create" },
    },
    hasMany = { products = "Product" },
    permissions = {
% if auth then
      list = "true", get = "true",   -- public: anyone may browse, signed in or not
      create = "isAdmin", update = "isAdmin", delete = "isAdmin",
% else
      list = "true", get = "true", create = "true", update = "true", delete = "true",
% end
    },
  },

% if auth then
  -- A product and how many are in stock. Anyone may browse; only an admin (a token with
  -- role admin: `ssot token --sub bob --role admin`) adds products or changes the stock.
% else
  -- A product and how many are in stock.
% end
  Product = {
    fields = {
      { "id", "id" },
      { "sku", "string", max = 40, unique = true },   -- a duplicate SKU is 409 conflict
      { "name", "string", max = 200 },
      { "description", "text", optional = true },
      { "categoryId", "int", belongsTo = "Category", optional = true, onDelete = "setNull" },
      { "price", "float" },
      { "stock", "int", default = 0 },
      { "createdAt", "datetime", auto = "create" },
      { "updatedAt", "datetime", auto = "update" },
    },
    permissions = {
% if auth then
      list = "true", get = "true",
      create = "isAdmin", update = "isAdmin", delete = "isAdmin",
% else
      list = "true", get = "true", create = "true", update = "true", delete = "true",
% end
    },
  },
}
