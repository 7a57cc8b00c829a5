%# ssot init's config.lua: the frame every preset shares (the header, name, auth, real time,
%# serve); the preset's models come from init/<preset>/models.lua.tpl and chat's channel from
%# init/chat/channels.lua.tpl. Vars (lua/ssot/scaffold/project.lua): name, preset (an entry of
%# ssot.scaffold.presets), auth (boolean), port, realtime (model names), websockets (boolean),
%# partial(name): a template rendered with these vars, without its final newline.
-- <%= name %>: <%= preset.summary %>.
-- Written by `ssot init --preset <%= preset.name %>`; it is yours to change.
--   ssot run     writes generated/: the TypeScript SDK (sdk/), React hooks (react/),
--                openapi.json<% if websockets then %>, asyncapi.json<% end %> and schema.sql
--   ssot serve   serves the REST API<% if websockets then %> and the WebSocket endpoint<% end %> on port <%= port %>
-- Every key is explained in ssot's config reference (docs/config.md).

name = "<%= name %>"
output = "generated"   -- where `ssot run` writes; in .gitignore, as `ssot run` remakes it

% if auth then
-- Auth: a request may carry a JWT (Authorization: Bearer <token>) signed with the HS256 secret
-- in $SSOT_JWT_SECRET; the permission rules below decide what each user may do. For
-- development, `ssot token --sub alice` mints a token, `ssot token --sub bob --role admin`
-- an admin's (isAdmin in the rules).
auth = {
  secretEnv = "SSOT_JWT_SECRET",
}
% else
-- Auth is off: every rule below lets anyone read and write. To sign users in, set
-- $SSOT_JWT_SECRET, mint tokens with `ssot token --sub alice`, and write rules such as
-- create = "authenticated" and update = "isOwner || isAdmin" (docs/auth.md).
% end

-- The models: each becomes a SQL table, REST endpoints under /api, TypeScript types and a
-- client in the SDK, and React hooks. Fields keep the order written here.
<%= partial("init/" .. preset.name .. "/models.lua.tpl") %>

% if websockets then
-- Real time: `ssot serve` also answers WebSocket connections on /ws. Clients subscribe to a
-- model below (its list, or one row) and receive every change their rules let them see; the
-- generated SDK and React hooks (useList, useGet) follow them live (docs/protocol.md).
websockets = {
  path = "/ws",
  pubsub = {
%   if #realtime > 0 then
    models = {
%     for _, model in ipairs(realtime) do
      <%= model %> = true,   -- its list and its rows: every create, update and delete
%     end
    },
%   end
%   if preset.channels then
<%= partial("init/" .. preset.name .. "/channels.lua.tpl") %>
%   end
  },
}
% else
-- Real time is off. To push every change of a model to its clients over WebSocket, add
--   websockets = { pubsub = { models = { <%= preset.main %> = true } } }
-- (docs/config.md#websockets); the SDK and the React hooks then follow it live.
% end

-- `ssot serve` (its --port, --host and --db override these).
serve = {
  port = <%= port %>,
  database = "data/<%= name %>.db",   -- SQLite, created on the first start; data/ is in .gitignore
}
