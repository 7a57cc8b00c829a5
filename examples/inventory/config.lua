-- The inventory example: a shop's products and categories that anyone may browse, their stock
-- followed live, and admins who change it. `ssot run examples/inventory/config.lua` generates
-- the SDK and hooks under generated/; `ssot serve examples/inventory/config.lua` serves them and
-- the front end of web/ once built (README.md). Its models are those of `ssot init --preset inventory`.

name = "inventory"
output = "generated"

-- A request may carry a JWT signed with $SSOT_JWT_SECRET (without it, `ssot serve` makes a
-- development secret in data/): `ssot token --sub 1 --role admin` is an admin (isAdmin below).
-- Visitors without a token browse; every write takes an admin.
auth = {
  secretEnv = "SSOT_JWT_SECRET",
}

-- Stock and prices are counts and amounts: the field types cannot say "not negative", so the
-- server's before-hooks do. A PATCH carries only the fields it changes, hence the nil checks.
local function stockAndPrice(data)
  if data.stock ~= nil and data.stock < 0 then return false, "stock cannot be negative" end
  if data.price ~= nil and data.price < 0 then return false, "price cannot be negative" end
  return true
end

models = {
  -- A shelf of the shop. Products keep their category's name out of their own row.
  Category = {
    fields = {
      { "id", "id" },
      { "name", "string", max = 80, unique = true },
      { "createdAt", "datetime", auto = "create" },
    },
    hasMany = { products = "Product" },
    permissions = {
      list = "true", get = "true",   -- public: anyone may browse, signed in or not
      create = "isAdmin", update = "isAdmin", delete = "isAdmin",
    },
  },

  -- A product and how many are in stock: the public product page shows it as it changes.
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
      list = "true", get = "true",
      create = "isAdmin", update = "isAdmin", delete = "isAdmin",
    },
    hooks = { beforeCreate = stockAndPrice, beforeUpdate = stockAndPrice },
  },
}

-- Real time on /ws of the same port. A product page subscribes to its row (Product:item:<id>)
-- through useGet, the catalogue to the list (Product:list) through useList; both get every
-- change the `get`/`list` rules let them see, here everyone's.
websockets = {
  enabled = true,
  path = "/ws",
  pubsub = {
    models = {
      Product = { subscribe = { "list", "item" }, broadcast = { "created", "updated", "deleted" } },
      Category = { subscribe = { "list" }, broadcast = { "created", "updated", "deleted" } },
    },
  },
  reconnect = { maxAttempts = 10, backoff = "exponential", baseDelay = 500 },
}

serve = {
  port = 8080,
  database = "data/inventory.db",
  static = "web/dist",   -- the front end (web/, README.md): `npx vite build examples/inventory/web` fills it
}
