%# The chat preset's custom channel, inside websockets.pubsub: one per room, with presence and
%# a typing indicator. Rendered by init/config.lua.tpl.
    -- One channel per room (chat:room:3): clients publish who is typing, and the server
    -- tracks who is in the room (presence: join and leave events, the presence request).
    channels = {
      ["chat:room:{roomId}"] = {
        -- typing carries the typist's name (the server checks it); stopTyping anything
        events = { "stopTyping", typing = { { "name", "string", max = 80 } } },
% if auth then
        permissions = { subscribe = "authenticated", publish = "authenticated" },
        presence = true,   -- who is in the room, per signed-in user
% else
        permissions = { subscribe = "true", publish = "true" },
        presence = true,   -- who is in the room; it counts signed-in users only, so none while auth is off
% end
      },
    },
