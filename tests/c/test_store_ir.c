/* Tests of ir_load: the C app built from the real IR of examples/chat (fields, flags, owner,
 * indexes, rule ASTs, realtime, serve and auth options, custom routes and hooks as Lua
 * references), and clear errors naming the IR path for tables that do not follow docs/ir.md. */
#include "test_store_support.h"

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
    CHECK(app->nmodels == 3 && strcmp(app->models[0].name, "Message") == 0); /* sorted by name */
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
    CHECK(m->permissions[SSOT_ACTION_LIST].ast->op == SSOT_RULE_TRUE);
    CHECK(m->permissions[SSOT_ACTION_CREATE].ast->op == SSOT_RULE_AUTHENTICATED);
    CHECK(m->has_realtime && m->realtime.subscribe_item && m->realtime.broadcast_deleted);
    CHECK(!ssot_app_model(app, "User")->has_realtime);
    CHECK(!m->realtime.has_subscribe_rule && m->realtime.subscribe.ast->op == SSOT_RULE_TRUE);
    for (int h = 0; h < SSOT_HOOK_COUNT; h++) CHECK(m->hooks[h] == LUA_NOREF);
    CHECK(app->serve.port == 8080 && app->serve.default_take == 20 && app->serve.max_take == 100);
    CHECK(app->serve.database && strstr(app->serve.database, "/examples/chat/data/chat.db"));
    CHECK(strcmp(app->auth.secret_env, "SSOT_JWT_SECRET") == 0 && strcmp(app->auth.admin_role, "admin") == 0);
    CHECK(app->websockets.enabled && strcmp(app->websockets.path, "/ws") == 0);
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
    CHECK(lua_gettop(L) == 0);
    lua_close(L);
}

int main(void) {
    make_test_dir("store-ir");
    test_chat();
    test_functions();
    test_malformed();
    return finish_tests();
}
