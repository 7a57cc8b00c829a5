/* Tests of ir_load: the C app built from the real IR of examples/chat (fields, flags, owner,
 * indexes, rule ASTs, realtime, serve and auth options, custom routes and hooks as Lua
 * references), the websockets section (channels with their rules and presence, their events'
 * payload fields and the check of published data against them, batching, limits, history,
 * and their defaults), and clear errors naming the IR path for tables that do not follow
 * docs/ir.md. */
#include "test_store_support.h"

#include "runtime/realtime/channel.h"

#include <lauxlib.h>
#include <lualib.h>

static void test_chat(void) {
    const char *source = getenv("SSOT_SOURCE_DIR");
    char path[512];
    snprintf(path, sizeof path, "%s/examples/chat/config.lua", source ? source : ".");
    ssot_host *host = ssot_host_new(NULL);
    char message[1024];
    int status;
    ssot_app *app = ssot_ir_load_config(host, path, &status, message, sizeof message);
    CHECK(app != NULL);
    if (!app) {
        fprintf(stderr, "%s\n", message);
        ssot_host_free(host);
        return;
    }
    CHECK(strcmp(app->name, "chat") == 0 && strlen(app->hash) == 16);
    CHECK(app->nmodels == 4 && strcmp(app->models[0].name, "Message") == 0); /* sorted by name */
    CHECK(strcmp(app->models[2].name, "RoomMember") == 0 && strcmp(app->models[3].name, "User") == 0);
    const ssot_model *m = ssot_app_model(app, "Message");
    CHECK(m && strcmp(m->table, "messages") == 0 && strcmp(m->path, "messages") == 0);
    CHECK(ssot_app_model_by_path(app, "rooms", 5) == ssot_app_model(app, "Room"));
    CHECK(ssot_app_model_by_path(app, "room", 4) == NULL);
    CHECK(m->nfields == 9 && m->primary_key == &m->fields[0] && m->primary_key->id_kind == SSOT_ID_INTEGER);
    CHECK(m->owner && strcmp(m->owner->name, "authorId") == 0 && m->owner->is_owner && m->owner->server_filled);
    const ssot_field *room = ssot_model_field(m, "roomId", 6);
    CHECK(room && room->ref_model && strcmp(room->ref_model, "Room") == 0 && room->on_delete == SSOT_ON_DELETE_CASCADE);
    const ssot_field *text = ssot_model_field(m, "text", 4);
    CHECK(text && text->type == SSOT_TYPE_STRING && text->max == 2000 && !text->optional);
    const ssot_field *kind = ssot_model_field(m, "kind", 4);
    CHECK(kind && kind->nvalues == 3 && strcmp(kind->values[2], "system") == 0);
    CHECK(kind && json_is_string(kind->default_value) && strcmp(json_string_value(kind->default_value), "text") == 0);
    const ssot_field *updated = ssot_model_field(m, "updatedAt", 9);
    CHECK(updated && updated->auto_kind == SSOT_AUTO_UPDATE && updated->read_only && updated->server_filled);
    CHECK(ssot_model_field(m, "attachments", 11)->type == SSOT_TYPE_JSON);
    CHECK(m->nindexes == 3);
    /* "isOwner || isAdmin" */
    const ssot_rule *update = &m->permissions[SSOT_ACTION_UPDATE];
    CHECK(update->ast && update->ast->op == SSOT_RULE_OR && update->ast->left->op == SSOT_RULE_IS_OWNER &&
          update->ast->right->op == SSOT_RULE_IS_ADMIN && update->fn_ref == LUA_NOREF);
    CHECK(strcmp(update->source, "isOwner || isAdmin") == 0);
    /* list, get and create are Lua functions (a private room's messages: its members only) */
    for (int a = SSOT_ACTION_LIST; a <= SSOT_ACTION_CREATE; a++)
        CHECK(m->permissions[a].ast == NULL && m->permissions[a].fn_ref != LUA_NOREF &&
              strstr(m->permissions[a].source, "function at ") == m->permissions[a].source);
    const ssot_model *rooms = ssot_app_model(app, "Room");
    CHECK(rooms && rooms->owner && strcmp(rooms->owner->name, "createdBy") == 0 && rooms->owner->server_filled);
    CHECK(rooms->permissions[SSOT_ACTION_CREATE].ast->op == SSOT_RULE_AUTHENTICATED);
    const ssot_model *members = ssot_app_model(app, "RoomMember");
    CHECK(members && members->has_realtime && members->realtime.subscribe_list && !members->realtime.subscribe_item);
    bool unique_pair = false;
    for (size_t i = 0; members && i < members->nindexes; i++)
        if (members->indexes[i].unique && members->indexes[i].nfields == 2 &&
            strcmp(members->indexes[i].fields[0], "roomId") == 0 && strcmp(members->indexes[i].fields[1], "userId") == 0)
            unique_pair = true;
    CHECK(unique_pair);
    CHECK(m->has_realtime && m->realtime.subscribe_item && m->realtime.broadcast_deleted);
    CHECK(!ssot_app_model(app, "User")->has_realtime);
    CHECK(!m->realtime.has_subscribe_rule && m->realtime.subscribe.ast->op == SSOT_RULE_TRUE);
    for (int h = 0; h < SSOT_HOOK_COUNT; h++) CHECK(m->hooks[h] == LUA_NOREF);
    CHECK(app->serve.port == 8080 && app->serve.default_take == 20 && app->serve.max_take == 100);
    CHECK(app->serve.database && strstr(app->serve.database, "/examples/chat/data/chat.db"));
    CHECK(strcmp(app->auth.secret_env, "SSOT_JWT_SECRET") == 0 && strcmp(app->auth.admin_role, "admin") == 0);
    const ssot_websockets_config *ws = &app->websockets;
    CHECK(ws->enabled && strcmp(ws->path, "/ws") == 0);
    CHECK(ws->batching && ws->flush_interval_ms == 16 && ws->max_batch_size == 100);
    CHECK(ws->nchannels == 1 && strcmp(ws->channels[0].pattern, "chat:room:{roomId}") == 0);
    CHECK(ws->channels[0].nparams == 1 && strcmp(ws->channels[0].params[0], "roomId") == 0);
    CHECK(ws->channels[0].nevents == 2 && strcmp(ws->channels[0].events[0], "stopTyping") == 0 &&
          strcmp(ws->channels[0].events[1], "typing") == 0);
    const ssot_model *typing = ssot_channel_payload(&ws->channels[0], "typing");
    CHECK(ssot_channel_payload(&ws->channels[0], "stopTyping") == NULL);
    CHECK(typing && typing->nfields == 1 && strcmp(typing->fields[0].name, "name") == 0 && typing->fields[0].max == 80);
    CHECK(ws->channels[0].presence);
    CHECK(ws->channels[0].subscribe.ast == NULL && ws->channels[0].subscribe.fn_ref != LUA_NOREF);
    CHECK(ws->history == 1000 && ws->max_message == 65536 && ws->send_queue == 1048576);
    ssot_app_free(app);
    ssot_host_free(host);
}

static void test_websockets(void) {
    /* every member of the section, a function rule among them, and the channels in pattern order */
    ssot_host *host;
    ssot_app *app = load_app(&host,
                             "name = 'ws'\n"
                             "models = { Note = { fields = { { 'id', 'id' } } } }\n"
                             "websockets = {\n"
                             "  path = '/live',\n"
                             "  pubsub = { channels = {\n"
                             "    ['room:{roomId}:{topic}'] = { events = { 'typing', 'stopTyping' }, presence = true,\n"
                             "      permissions = { subscribe = 'authenticated', publish = 'isAdmin || !authenticated' } },\n"
                             "    ['alerts'] = { events = { 'notice' },\n"
                             "      permissions = { subscribe = function(user, params) return user ~= nil end } },\n"
                             "  } },\n"
                             "  batching = { enabled = true, flushInterval = 20, maxBatchSize = 7 },\n"
                             "  limits = { subscriptions = 12, messageSize = 2048, messagesPerSecond = 3, sendQueue = 70000 },\n"
                             "  history = 250,\n"
                             "}\n");
    const ssot_websockets_config *ws = &app->websockets;
    CHECK(ws->enabled && strcmp(ws->path, "/live") == 0);
    CHECK(ws->batching && ws->flush_interval_ms == 20 && ws->max_batch_size == 7);
    CHECK(ws->max_subscriptions == 12 && ws->max_message == 2048 && ws->messages_per_second == 3 &&
          ws->send_queue == 70000);
    CHECK(ws->history == 250);
    CHECK(ws->nchannels == 2);
    if (ws->nchannels != 2) {
        ssot_app_free(app);
        ssot_host_free(host);
        return;
    }
    const ssot_channel_def *alerts = &ws->channels[0], *room = &ws->channels[1];
    CHECK(strcmp(alerts->pattern, "alerts") == 0 && alerts->nparams == 0 && !alerts->presence);
    CHECK(alerts->nevents == 1 && strcmp(alerts->events[0], "notice") == 0);
    CHECK(alerts->subscribe.ast == NULL && alerts->subscribe.fn_ref != LUA_NOREF &&
          strncmp(alerts->subscribe.source, "function at ", 12) == 0);
    CHECK(alerts->publish.fn_ref == LUA_NOREF && alerts->publish.ast->op == SSOT_RULE_TRUE &&
          strcmp(alerts->publish.source, "true") == 0); /* not given: anyone */
    CHECK(strcmp(room->pattern, "room:{roomId}:{topic}") == 0 && room->presence);
    CHECK(room->nparams == 2 && strcmp(room->params[0], "roomId") == 0 && strcmp(room->params[1], "topic") == 0);
    CHECK(room->nevents == 2 && strcmp(room->events[0], "typing") == 0 && strcmp(room->events[1], "stopTyping") == 0);
    CHECK(room->subscribe.ast && room->subscribe.ast->op == SSOT_RULE_AUTHENTICATED && room->subscribe.fn_ref == LUA_NOREF);
    const ssot_rule_node *publish = room->publish.ast;
    CHECK(publish && publish->op == SSOT_RULE_OR && publish->left->op == SSOT_RULE_IS_ADMIN &&
          publish->right->op == SSOT_RULE_NOT && publish->right->left->op == SSOT_RULE_AUTHENTICATED);
    CHECK(strcmp(room->publish.source, "isAdmin || !authenticated") == 0);
    /* the function rule is the config's function, called as fn(user, params) */
    lua_State *L = app->L;
    int top = lua_gettop(L);
    lua_rawgeti(L, LUA_REGISTRYINDEX, alerts->subscribe.fn_ref);
    lua_pushnil(L);
    lua_newtable(L);
    CHECK(lua_pcall(L, 2, 1, 0) == LUA_OK && lua_isboolean(L, -1) && !lua_toboolean(L, -1));
    lua_settop(L, top);
    /* ssot_app_free releases the channel rule's reference: the registry slot is free again */
    int ref = alerts->subscribe.fn_ref;
    ssot_app_free(app);
    CHECK(lua_rawgeti(L, LUA_REGISTRYINDEX, ref) != LUA_TFUNCTION);
    lua_settop(L, top);
    ssot_host_free(host);

    /* no websockets section: off, with the defaults of docs/config.md */
    app = load_app(&host, "name = 'plain'\nmodels = { Note = { fields = { { 'id', 'id' } } } }\n");
    ws = &app->websockets;
    CHECK(!ws->enabled && strcmp(ws->path, "/ws") == 0 && ws->nchannels == 0);
    CHECK(!ws->batching && ws->flush_interval_ms == 50 && ws->max_batch_size == 100);
    CHECK(ws->max_subscriptions == 100 && ws->max_message == 65536 && ws->messages_per_second == 100 &&
          ws->send_queue == 1048576 && ws->history == 1000);
    ssot_app_free(app);
    ssot_host_free(host);
}

/* The check of data against a payload: 0, -1 or the number of invalid fields, errs as text. */
static int payload_check(const ssot_model *payload, const char *text, char *why, size_t size) {
    json_t *data = text ? parse(text) : NULL;
    ssot_body_errors errs;
    int invalid = ssot_channel_check_payload(payload, data, &errs);
    ssot_body_errors_text(&errs, why, size);
    json_decref(data);
    return invalid;
}

static void test_payloads(void) {
    /* events with payload fields: loaded by event index as models the body check uses */
    ssot_host *host;
    ssot_app *app = load_app(&host,
                             "name = 'pl'\n"
                             "models = { Note = { fields = { { 'id', 'id' } } } }\n"
                             "websockets = { pubsub = { channels = {\n"
                             "  ['chat:{roomId}'] = { events = { 'stopTyping', typing = {\n"
                             "      { 'name', 'string', max = 5 }, { 'at', 'datetime', optional = true },\n"
                             "      { 'mood', 'enum', values = { 'happy', 'sad' }, optional = true } },\n"
                             "    ping = {} } },\n"
                             "  ['plain'] = { events = { 'any' } },\n"
                             "} } }\n");
    const ssot_websockets_config *ws = &app->websockets;
    CHECK(ws->nchannels == 2);
    if (ws->nchannels != 2) {
        ssot_app_free(app);
        ssot_host_free(host);
        return;
    }
    const ssot_channel_def *chat = &ws->channels[0], *plain = &ws->channels[1];
    CHECK(plain->payloads == NULL && ssot_channel_payload(plain, "any") == NULL);
    CHECK(chat->nevents == 3 && strcmp(chat->events[0], "stopTyping") == 0 && strcmp(chat->events[1], "ping") == 0 &&
          strcmp(chat->events[2], "typing") == 0);
    CHECK(chat->payloads && chat->payloads[0] == NULL);
    const ssot_model *typing = ssot_channel_payload(chat, "typing");
    const ssot_model *ping = ssot_channel_payload(chat, "ping");
    CHECK(ssot_channel_payload(chat, "stopTyping") == NULL && ssot_channel_payload(chat, "nope") == NULL);
    CHECK(typing && typing == chat->payloads[2] && strcmp(typing->name, "the payload of typing") == 0);
    CHECK(ping && ping->nfields == 0 && strcmp(ping->name, "the payload of ping") == 0);
    if (!typing || !ping) {
        ssot_app_free(app);
        ssot_host_free(host);
        return;
    }
    CHECK(typing->nfields == 3 && typing->fields[0].type == SSOT_TYPE_STRING && typing->fields[0].max == 5 &&
          !typing->fields[0].optional && !typing->fields[0].server_filled && !typing->fields[0].read_only);
    CHECK(typing->fields[1].type == SSOT_TYPE_DATETIME && typing->fields[1].optional);
    CHECK(typing->fields[2].nvalues == 2 && strcmp(typing->fields[2].values[1], "sad") == 0);

    char why[512];
    CHECK(payload_check(typing, "{\"name\":\"ada\",\"at\":\"2026-01-02\"}", why, sizeof why) == 0);
    CHECK(payload_check(typing, "{\"name\":\"ada\",\"mood\":null}", why, sizeof why) == 0);
    CHECK(payload_check(typing, NULL, why, sizeof why) == 1 && strcmp(why, "name is required") == 0);
    CHECK(payload_check(typing, "null", why, sizeof why) == 1 && strcmp(why, "name is required") == 0);
    CHECK(payload_check(typing, "{\"name\":\"adalovelace\",\"mood\":\"meh\",\"at\":5,\"x\":1}", why, sizeof why) == 4);
    CHECK(strcmp(why, "name must be at most 5 characters; at must be an ISO 8601 date-time, e.g. "
                      "2026-11-25T19:23:46.123Z; mood must be one of: happy, sad; x is not a field of the payload of typing") == 0);
    CHECK(payload_check(typing, "{\"name\":7}", why, sizeof why) == 1 && strcmp(why, "name must be a string") == 0);
    CHECK(payload_check(typing, "[]", why, sizeof why) == -1 && why[0] == '\0');
    CHECK(payload_check(typing, "\"ada\"", why, sizeof why) == -1);
    CHECK(payload_check(ping, "{}", why, sizeof why) == 0 && payload_check(ping, NULL, why, sizeof why) == 0);
    CHECK(payload_check(ping, "{\"a\":1}", why, sizeof why) == 1);

    /* the data goes out as sent: a datetime is checked, not rewritten */
    json_t *data = parse("{\"name\":\"ada\",\"at\":\"2026-01-02\"}");
    ssot_body_errors errs;
    CHECK(ssot_channel_check_payload(typing, data, &errs) == 0);
    CHECK(strcmp(json_string_value(json_object_get(data, "at")), "2026-01-02") == 0 && data->refcount == 1);
    json_decref(data);

    data = parse("[1]");
    ssot_channel_payload_shape(typing, "typing", "chat:3", data, why, sizeof why);
    CHECK(strcmp(why, "the data of typing on chat:3 must be a JSON object with its fields (name, at, mood), got an array") == 0);
    ssot_channel_payload_shape(ping, "ping", "chat:3", NULL, why, sizeof why);
    CHECK(strcmp(why, "the data of ping on chat:3 must be a JSON object with no fields ({}), got null") == 0);
    json_decref(data);
    ssot_app_free(app);
    ssot_host_free(host);
}

static void test_functions(void) {
    /* Lua function rules, hooks and routes become registry references to those functions */
    ssot_host *host;
    ssot_app *app = load_app(&host,
                             "name = 'fns'\n"
                             "models = { Note = { fields = { { 'id', 'id' }, { 'body', 'text' } },\n"
                             "  permissions = { get = function(user, row) return row.body ~= 'secret' end },\n"
                             "  hooks = { beforeCreate = function(data) data.body = 'x' end } } }\n"
                             "routes = { ['GET /api/stats'] = function(req) return { ok = true } end }\n"
                             "websockets = { enabled = true, pubsub = { models = { Note = { subscribe = { 'list' },\n"
                             "  broadcast = { 'created' }, permissions = { subscribe = 'authenticated' } } } } }\n");
    const ssot_model *note = ssot_app_model(app, "Note");
    lua_State *L = app->L;
    CHECK(note->permissions[SSOT_ACTION_GET].ast == NULL && note->permissions[SSOT_ACTION_GET].fn_ref != LUA_NOREF);
    CHECK(note->hooks[SSOT_HOOK_BEFORE_CREATE] != LUA_NOREF && note->hooks[SSOT_HOOK_AFTER_CREATE] == LUA_NOREF);
    CHECK(note->has_realtime && note->realtime.subscribe_list && !note->realtime.subscribe_item);
    CHECK(note->realtime.broadcast_created && !note->realtime.broadcast_deleted);
    CHECK(note->realtime.has_subscribe_rule && note->realtime.subscribe.ast &&
          note->realtime.subscribe.ast->op == SSOT_RULE_AUTHENTICATED);
    CHECK(app->nroutes == 1 && strcmp(app->routes[0].method, "GET") == 0 &&
          strcmp(app->routes[0].path, "/api/stats") == 0);
    lua_rawgeti(L, LUA_REGISTRYINDEX, note->permissions[SSOT_ACTION_GET].fn_ref);
    lua_newtable(L);
    lua_newtable(L);
    lua_pushstring(L, "secret");
    lua_setfield(L, -2, "body");
    CHECK(lua_pcall(L, 2, 1, 0) == LUA_OK && lua_isboolean(L, -1) && !lua_toboolean(L, -1));
    lua_pop(L, 1);
    int top = lua_gettop(L);
    ssot_app_free(app); /* releases the references */
    CHECK(lua_gettop(L) == top);
    ssot_host_free(host);
}

/* Runs Lua source returning a table and loads it as an IR; returns the error ("" if none). */
static const char *load_error(lua_State *L, const char *source) {
    static char message[512];
    message[0] = '\0';
    if (luaL_dostring(L, source) != LUA_OK) {
        snprintf(message, sizeof message, "lua: %s", lua_tostring(L, -1));
        lua_pop(L, 1);
        return message;
    }
    ssot_app *app = ssot_ir_load(L, -1, message, sizeof message);
    lua_pop(L, 1);
    if (app) {
        ssot_app_free(app);
        message[0] = '\0';
    }
    return message;
}

#define EXPECT_ERROR(source, expected)                                                             \
    do {                                                                                           \
        const char *got_ = load_error(L, (source));                                                \
        if (!strstr(got_, (expected)) || !*(expected) != !*got_) {                                 \
            fprintf(stderr, "%s:%d: expected \"%s\", got \"%s\"\n", __FILE__, __LINE__, (expected), \
                    got_);                                                                         \
            failures++;                                                                            \
        }                                                                                          \
    } while (0)

static void test_malformed(void) {
    lua_State *L = luaL_newstate();
    luaL_openlibs(L);
    const char *model = "{ name = 'A', table = 'as', path = 'as', fields = { { name = 'id', type = 'id' } } }";
    char ok[512];
    snprintf(ok, sizeof ok, "return { name = 'x', models = { %s } }", model);
    EXPECT_ERROR(ok, "");
    EXPECT_ERROR("return 42", "ir: expected the IR table, got number");
    EXPECT_ERROR("return { name = 'x' }", "ir.models: expected a table, got nil");
    EXPECT_ERROR("return { models = {} }", "ir.name: expected a string, got nil");
    EXPECT_ERROR("return { name = 'x', models = { 5 } }", "ir.models[1]: expected a table");
    EXPECT_ERROR("return { name = 'x', models = { { name = 'A', table = 'as', path = 'as', fields = {} } } }",
                 "ir.models.A.fields: a model needs fields");
    EXPECT_ERROR("return { name = 'x', models = { { name = 'A', table = 'as', path = 'as', "
                 "fields = { { name = 'id', type = 'bogus' } } } } }",
                 "ir.models.A.fields[1].type: unknown field type 'bogus'");
    EXPECT_ERROR("return { name = 'x', models = { { name = 'A', table = 'as', path = 'as', "
                 "fields = { { name = 'n', type = 'int' } } } } }",
                 "ir.models.A: no id field");
    EXPECT_ERROR("return { name = 'x', models = { { name = 'A', table = 'as', path = 'as', owner = 'who', "
                 "fields = { { name = 'id', type = 'id' } } } } }",
                 "ir.models.A.owner: no field named 'who'");
    EXPECT_ERROR("return { name = 'x', models = { { name = 'A', table = 'as', path = 'as', "
                 "fields = { { name = 'id', type = 'id' }, { name = 'b', type = 'int', references = { model = 'B' } } } "
                 "} } }",
                 "ir.models.A.fields.b.references: no field B.id");
    EXPECT_ERROR("return { name = 'x', models = { { name = 'A', table = 'as', path = 'as', "
                 "fields = { { name = 'id', type = 'id' } }, permissions = { get = { ast = { op = 'maybe' } } } } } }",
                 "ir.models.A.permissions.get: unknown rule op 'maybe'");
    EXPECT_ERROR("return { name = 'x', models = { { name = 'A', table = 'as', path = 'as', "
                 "fields = { { name = 'id', type = 'id' }, { name = 'j', type = 'json', default = { 1, x = 2 } } } } } }",
                 "ir.models.A.fields[2].default: object keys must be strings");
    EXPECT_ERROR("local t = {} local d = t for i = 1, 200 do d[1] = {} d = d[1] end "
                 "return { name = 'x', models = { { name = 'A', table = 'as', path = 'as', "
                 "fields = { { name = 'id', type = 'id' }, { name = 'j', type = 'json', default = t } } } } }",
                 "ir.models.A.fields[2].default: nested too deeply");
    EXPECT_ERROR("return { name = 'x', models = { { name = 'A', table = 'as', path = 'as', "
                 "fields = { { name = 'id', type = 'id' }, { name = 'j', type = 'json', default = print } } } } }",
                 "ir.models.A.fields[2].default: a function cannot be a default");
    EXPECT_ERROR("local r = { op = 'true' } for i = 1, 300 do r = { op = 'not', expr = r } end "
                 "return { name = 'x', models = { { name = 'A', table = 'as', path = 'as', "
                 "fields = { { name = 'id', type = 'id' } }, permissions = { list = { ast = r } } } } }",
                 "ir.models.A.permissions.list: rule nested too deeply");
    EXPECT_ERROR("return { name = 'x', models = {}, routes = { { method = 'GET', path = '/x' } } }",
                 "ir.routes[1].fn: expected a function");
    /* an IR without a websockets table (not one ssot.ir builds) gets the defaults too */
    char message[512];
    CHECK(luaL_dostring(L, "return { name = 'x', models = {} }") == LUA_OK);
    ssot_app *bare = ssot_ir_load(L, -1, message, sizeof message);
    lua_pop(L, 1);
    CHECK(bare && !bare->websockets.enabled && strcmp(bare->websockets.path, "/ws") == 0 &&
          bare->websockets.nchannels == 0 && bare->websockets.history == 1000 &&
          bare->websockets.max_subscriptions == 100 && bare->websockets.messages_per_second == 100 &&
          bare->websockets.flush_interval_ms == 50 && bare->websockets.max_batch_size == 100);
    ssot_app_free(bare);
    EXPECT_ERROR("return { name = 'x', models = {}, websockets = { channels = { { pattern = 'a', events = { 'e' } }, "
                 "{ pattern = 'b' } } } }",
                 "ir.websockets.channels[2].events: expected a table, got nil");
    EXPECT_ERROR("return { name = 'x', models = {}, websockets = { channels = { { events = { 'e' } } } } }",
                 "ir.websockets.channels[1].pattern: expected a string, got nil");
    EXPECT_ERROR("return { name = 'x', models = {}, websockets = { channels = { { pattern = 'a', events = { 'e' }, "
                 "permissions = { publish = { source = 'x' } } } } } }",
                 "ir.websockets.channels[1].permissions.publish: a rule needs an ast or a fn");
    EXPECT_ERROR("return { name = 'x', models = {}, websockets = { channels = { { pattern = 'a', events = { 'e' }, "
                 "permissions = { subscribe = { ast = { op = 'sometimes' } } } } } } }",
                 "ir.websockets.channels[1].permissions.subscribe: unknown rule op 'sometimes'");
    EXPECT_ERROR("return { name = 'x', models = {}, websockets = { channels = { { pattern = 'a', events = { 'e' }, "
                 "presence = 'yes' } } } }",
                 "ir.websockets.channels[1].presence: expected a boolean, got string");
    EXPECT_ERROR("return { name = 'x', models = {}, websockets = { channels = { { pattern = 'a', events = { 'e' } }, "
                 "{ pattern = 'a', events = { 'f' } } } } }",
                 "ir.websockets.channels: the pattern 'a' appears twice");
    EXPECT_ERROR("return { name = 'x', models = {}, websockets = { limits = { send_queue = 0 } } }",
                 "ir.websockets.limits.send_queue: expected a positive integer, got 0");
    EXPECT_ERROR("return { name = 'x', models = {}, websockets = { history = 1.5 } }",
                 "ir.websockets.history: expected an integer, got number");
    EXPECT_ERROR("return { name = 'x', models = {}, websockets = { batching = { max_batch_size = -1 } } }",
                 "ir.websockets.batching.max_batch_size: expected a positive integer, got -1");
    EXPECT_ERROR("return { name = 'x', models = {}, websockets = { channels = { { pattern = 'a', events = { 'e' }, "
                 "permissions = { subscribe = { source = 'f', fn = print } } }, { pattern = 'b', events = 7 } } } }",
                 "ir.websockets.channels[2].events: expected a table, got number");
    const char *channel = "return { name = 'x', models = {}, websockets = { channels = { { pattern = 'a', "
                          "events = { 'e', 'f' }, payloads = { %s } } } } }";
    char source[1024];
    snprintf(source, sizeof source, channel, "e = { fields = { { name = 'n', type = 'string' } } }");
    EXPECT_ERROR(source, "");
    snprintf(source, sizeof source, channel, "g = { fields = {} }");
    EXPECT_ERROR(source, "ir.websockets.channels[1].payloads.g: 'g' is not one of the channel's events");
    snprintf(source, sizeof source, channel, "'e'");
    EXPECT_ERROR(source, "ir.websockets.channels[1].payloads: keys are event names, got a number");
    snprintf(source, sizeof source, channel, "e = true");
    EXPECT_ERROR(source, "ir.websockets.channels[1].payloads.e: expected a table, got boolean");
    snprintf(source, sizeof source, channel, "e = {}");
    EXPECT_ERROR(source, "ir.websockets.channels[1].payloads.e.fields: expected a table, got nil");
    snprintf(source, sizeof source, channel, "f = { fields = { { name = 'n', type = 'blob' } } }");
    EXPECT_ERROR(source, "ir.websockets.channels[1].payloads.f.fields[1].type: unknown field type 'blob'");
    snprintf(source, sizeof source, channel, "f = { fields = { { name = 'n', type = 'id' } } }");
    EXPECT_ERROR(source, "ir.websockets.channels[1].payloads.f.fields[1]: a payload field is a plain value");
    /* refused after load_field made the default: ssot_app_free releases it (the ASan build checks) */
    snprintf(source, sizeof source, channel, "f = { fields = { { name = 'n', type = 'json', default = { a = 1 } } } }");
    EXPECT_ERROR(source, "ir.websockets.channels[1].payloads.f.fields[1]: a payload field is a plain value");
    snprintf(source, sizeof source, channel,
             "f = { fields = { { name = 'n', type = 'int', references = { model = 'A' } } } }");
    EXPECT_ERROR(source, "a payload field is a plain value");
    snprintf(source, sizeof source, channel,
             "f = { fields = { { name = 'n', type = 'int' }, { name = 'n', type = 'int' } } }");
    EXPECT_ERROR(source, "ir.websockets.channels[1].payloads.f.fields[2]: the field 'n' appears twice");
    CHECK(lua_gettop(L) == 0);
    lua_close(L);
}

int main(void) {
    make_test_dir("store-ir");
    test_chat();
    test_websockets();
    test_payloads();
    test_functions();
    test_malformed();
    return finish_tests();
}
