-- The presets of `ssot init`: each one's summary, its models in the order its config declares
-- them, the model a first request would go to, and whether it has custom channels; and which
-- model names suggest real time. The config text itself is in templates/init/<preset>/.
local M = {}

-- The preset names in the order `ssot init` offers them; the first is the default.
M.names = { "chat", "todo", "inventory", "notifications", "blank" }

M.presets = {
  chat = {
    summary = "a chat: users, rooms and messages, live, with who is in a room and who is typing",
    models = { "User", "Room", "Message" }, main = "Message", channels = true,
  },
  todo = {
    summary = "per-user tasks: each user sees and changes only their own",
    models = { "Task" }, main = "Task",
  },
  inventory = {
    summary = "an inventory: products and categories anyone may browse, stock only admins change",
    models = { "Category", "Product" }, main = "Product",
  },
  notifications = {
    summary = "per-user notifications, pushed live to each user's open clients",
    models = { "Notification" }, main = "Notification",
  },
  blank = {
    summary = "one minimal model to start from",
    models = { "Item" }, main = "Item",
  },
}
for _, name in ipairs(M.names) do M.presets[name].name = name end

-- Words in a model's name that suggest its changes should reach clients as they happen.
M.REALTIME_WORDS = { "Message", "Chat", "Notification", "Event", "Activity", "Presence" }

-- realtime_default(models) -> the names among models (a list) that have one of
-- REALTIME_WORDS as a word of their PascalCase name, singular or plural (ChatMessage,
-- ActivityLog, Events), in the given order.
function M.realtime_default(models)
  local wanted = {}
  for _, word in ipairs(M.REALTIME_WORDS) do wanted[word] = true end
  local out = {}
  for _, model in ipairs(models) do
    for word in model:gmatch("%u[%l%d]*") do
      if wanted[word] or wanted[word:gsub("s$", "")] then
        out[#out + 1] = model
        break
      end
    end
  end
  return out
end

return M
