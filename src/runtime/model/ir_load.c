/* Building the C app (model.h) from the Lua IR table (docs/ir.md) with the Lua C API. The
 * whole walk runs in one protected call; a shape error raises with the IR path of the value
 * and the partly built app is freed. Uses model.h, Lua, jansson. */
#include "runtime/model/ir_load.h"

#include <lauxlib.h>
#include <lua.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_NESTING 100 /* rule ASTs and default values deeper than this are refused */

typedef struct loader {
    ssot_app *app;
    char path[256]; /* the IR path of the table being read, for messages */
} loader;

static void *alloc_or_raise(lua_State *L, loader *ld, size_t n) {
    void *p = ssot_app_alloc(ld->app, n);
    if (!p) luaL_error(L, "out of memory");
    return p;
}

static const char *copy_string(lua_State *L, loader *ld, int idx) {
    size_t n;
    const char *s = lua_tolstring(L, idx, &n);
    char *copy = ssot_app_strndup(ld->app, s, n);
    if (!copy) luaL_error(L, "out of memory");
    return copy;
}

/* Reads t[key] for t at idx as a string: required raises when absent. Stack effect: none. */
static const char *get_string(lua_State *L, loader *ld, int idx, const char *key, int required) {
    int type = lua_getfield(L, idx, key);
    const char *s = NULL;
    if (type == LUA_TSTRING)
        s = copy_string(L, ld, -1);
    else if (type != LUA_TNIL || required)
        luaL_error(L, "%s.%s: expected a string, got %s", ld->path, key, lua_typename(L, type));
    lua_pop(L, 1);
    return s;
}

static int get_bool(lua_State *L, loader *ld, int idx, const char *key, int fallback) {
    int type = lua_getfield(L, idx, key);
    int b = fallback;
    if (type == LUA_TBOOLEAN)
        b = lua_toboolean(L, -1);
    else if (type != LUA_TNIL)
        luaL_error(L, "%s.%s: expected a boolean, got %s", ld->path, key, lua_typename(L, type));
    lua_pop(L, 1);
    return b;
}

static int64_t get_integer(lua_State *L, loader *ld, int idx, const char *key, int64_t fallback) {
    int type = lua_getfield(L, idx, key);
    int64_t v = fallback;
    if (lua_isinteger(L, -1))
        v = (int64_t)lua_tointeger(L, -1);
    else if (type != LUA_TNIL)
        luaL_error(L, "%s.%s: expected an integer, got %s", ld->path, key, lua_typename(L, type));
    lua_pop(L, 1);
    return v;
}

/* Like get_integer, but raises unless the value is at least 1: counts and sizes the runtime
 * divides by or allocates from. */
static int64_t get_positive(lua_State *L, loader *ld, int idx, const char *key, int64_t fallback) {
    int64_t v = get_integer(L, ld, idx, key, fallback);
    if (v < 1) luaL_error(L, "%s.%s: expected a positive integer, got %I", ld->path, key, (lua_Integer)v);
    return v;
}

static double get_number(lua_State *L, loader *ld, int idx, const char *key, double fallback) {
    int type = lua_getfield(L, idx, key);
    double v = fallback;
    if (type == LUA_TNUMBER)
        v = (double)lua_tonumber(L, -1);
    else if (type != LUA_TNIL)
        luaL_error(L, "%s.%s: expected a number, got %s", ld->path, key, lua_typename(L, type));
    lua_pop(L, 1);
    return v;
}

/* Pushes t[key] when it is a table (returns 1), or nothing (returns 0; raises when it is
 * something else, or when required and absent). */
static int push_table(lua_State *L, loader *ld, int idx, const char *key, int required) {
    int type = lua_getfield(L, idx, key);
    if (type == LUA_TTABLE) return 1;
    if (type != LUA_TNIL || required)
        luaL_error(L, "%s.%s: expected a table, got %s", ld->path, key, lua_typename(L, type));
    lua_pop(L, 1);
    return 0;
}

/* A list of strings at t[key] (absent: empty, or an error when required). Stack effect: none. */
static const char *const *get_string_list(lua_State *L, loader *ld, int idx, const char *key, int required,
                                          size_t *count) {
    *count = 0;
    if (!push_table(L, ld, idx, key, required)) return NULL;
    size_t n = (size_t)lua_rawlen(L, -1);
    const char **list = alloc_or_raise(L, ld, (n + 1) * sizeof *list);
    for (size_t i = 0; i < n; i++) {
        if (lua_rawgeti(L, -1, (lua_Integer)i + 1) != LUA_TSTRING)
            luaL_error(L, "%s.%s[%d]: expected a string", ld->path, key, (int)i + 1);
        list[i] = copy_string(L, ld, -1);
        lua_pop(L, 1);
    }
    lua_pop(L, 1);
    *count = n;
    return list;
}

/* A registry reference to t[key] when it is a function, else LUA_NOREF. */
static int get_function_ref(lua_State *L, loader *ld, int idx, const char *key) {
    int type = lua_getfield(L, idx, key);
    if (type == LUA_TFUNCTION) return luaL_ref(L, LUA_REGISTRYINDEX);
    if (type != LUA_TNIL) luaL_error(L, "%s.%s: expected a function, got %s", ld->path, key, lua_typename(L, type));
    lua_pop(L, 1);
    return LUA_NOREF;
}

/* Raises unless the Lua value at idx can be a JSON default: booleans, numbers, strings and
 * tables of them with string keys (or only 1..n), nested at most MAX_NESTING deep. Checked
 * before converting, so the conversion never stops half way with JSON to free. */
static void check_default(lua_State *L, loader *ld, int idx, int depth) {
    idx = lua_absindex(L, idx);
    if (depth > MAX_NESTING) luaL_error(L, "%s.default: nested too deeply", ld->path);
    luaL_checkstack(L, 3, "IR default nested too deeply");
    switch (lua_type(L, idx)) {
    case LUA_TBOOLEAN:
    case LUA_TNUMBER:
    case LUA_TSTRING: return;
    case LUA_TTABLE: {
        size_t n = (size_t)lua_rawlen(L, idx), keys = 0;
        int strings = 1;
        lua_pushnil(L);
        while (lua_next(L, idx)) {
            keys++;
            if (lua_type(L, -2) != LUA_TSTRING) strings = 0;
            check_default(L, ld, -1, depth + 1);
            lua_pop(L, 1);
        }
        if (keys != n && !strings) luaL_error(L, "%s.default: object keys must be strings", ld->path);
        return;
    }
    default: luaL_error(L, "%s.default: a %s cannot be a default", ld->path, luaL_typename(L, idx));
    }
}

/* The Lua value at idx (checked by check_default) as JSON. Tables whose keys are exactly
 * 1..n are arrays (an empty table is an empty array). NULL only when memory runs out. */
static json_t *to_json(lua_State *L, int idx) {
    idx = lua_absindex(L, idx);
    if (!lua_checkstack(L, 3)) return NULL; /* check_default already bounded the depth */
    switch (lua_type(L, idx)) {
    case LUA_TBOOLEAN: return json_boolean(lua_toboolean(L, idx));
    case LUA_TNUMBER:
        return lua_isinteger(L, idx) ? json_integer((json_int_t)lua_tointeger(L, idx)) : json_real(lua_tonumber(L, idx));
    case LUA_TSTRING: {
        size_t n;
        const char *s = lua_tolstring(L, idx, &n);
        return json_stringn(s, n);
    }
    case LUA_TTABLE: {
        size_t n = (size_t)lua_rawlen(L, idx), keys = 0;
        lua_pushnil(L);
        while (lua_next(L, idx)) {
            keys++;
            lua_pop(L, 1);
        }
        json_t *out = keys == n ? json_array() : json_object();
        if (!out) return NULL;
        if (keys == n) {
            for (size_t i = 1; i <= n; i++) {
                lua_rawgeti(L, idx, (lua_Integer)i);
                json_array_append_new(out, to_json(L, -1));
                lua_pop(L, 1);
            }
            return out;
        }
        lua_pushnil(L);
        while (lua_next(L, idx)) {
            json_object_set_new(out, lua_tostring(L, -2), to_json(L, -1));
            lua_pop(L, 1);
        }
        return out;
    }
    default: return NULL;
    }
}

static const ssot_rule_node *load_rule_node(lua_State *L, loader *ld, int idx, int depth) {
    static const char *const ops[] = {"true", "false", "authenticated", "isOwner", "isAdmin", "not", "and", "or", NULL};
    idx = lua_absindex(L, idx);
    if (depth > MAX_NESTING) luaL_error(L, "%s: rule nested too deeply", ld->path);
    luaL_checkstack(L, 3, "IR rule nested too deeply");
    if (!lua_istable(L, idx)) luaL_error(L, "%s: expected a rule AST node (a table)", ld->path);
    lua_getfield(L, idx, "op");
    const char *name = lua_tostring(L, -1);
    int op = 0;
    while (ops[op] && !(name && strcmp(ops[op], name) == 0)) op++;
    if (!ops[op]) luaL_error(L, "%s: unknown rule op '%s'", ld->path, name ? name : "(none)");
    lua_pop(L, 1);
    ssot_rule_node *node = alloc_or_raise(L, ld, sizeof *node);
    node->op = (ssot_rule_op)op;
    if (node->op == SSOT_RULE_NOT) {
        lua_getfield(L, idx, "expr");
        node->left = load_rule_node(L, ld, -1, depth + 1);
        lua_pop(L, 1);
    } else if (node->op == SSOT_RULE_AND || node->op == SSOT_RULE_OR) {
        lua_getfield(L, idx, "left");
        node->left = load_rule_node(L, ld, -1, depth + 1);
        lua_getfield(L, idx, "right");
        node->right = load_rule_node(L, ld, -1, depth + 1);
        lua_pop(L, 2);
    }
    return node;
}

/* permissions[action] into rule (absent: "true"), for the permissions table at stack index
 * permissions (0: none) of the model or channel whose IR path is ld->path. */
static void load_rule(lua_State *L, loader *ld, int permissions, const char *action, ssot_rule *rule) {
    static const ssot_rule_node always = {SSOT_RULE_TRUE, NULL, NULL};
    rule->fn_ref = LUA_NOREF;
    rule->source = "true";
    rule->ast = &always;
    if (!permissions || !push_table(L, ld, permissions, action, 0)) return;
    size_t base = strlen(ld->path);
    snprintf(ld->path + base, sizeof ld->path - base, ".permissions.%s", action);
    const char *source = get_string(L, ld, -1, "source", 0);
    if (source) rule->source = source;
    rule->fn_ref = get_function_ref(L, ld, -1, "fn");
    if (rule->fn_ref != LUA_NOREF) {
        rule->ast = NULL;
    } else if (lua_getfield(L, -1, "ast") != LUA_TNIL) {
        rule->ast = load_rule_node(L, ld, -1, 0);
        lua_pop(L, 1);
    } else {
        luaL_error(L, "%s: a rule needs an ast or a fn", ld->path);
    }
    ld->path[base] = '\0';
    lua_pop(L, 1);
}

static ssot_field_type parse_type(lua_State *L, loader *ld, const char *type) {
    for (int i = 0; i < SSOT_TYPE_COUNT; i++)
        if (strcmp(ssot_field_type_facts[i].name, type) == 0) return (ssot_field_type)i;
    luaL_error(L, "%s.type: unknown field type '%s'", ld->path, type);
    return SSOT_TYPE_JSON;
}

static const char *default_sql_type(ssot_field_type type, ssot_id_kind id_kind) {
    const ssot_field_type_fact *fact = &ssot_field_type_facts[type];
    return id_kind == SSOT_ID_UUID && fact->uuid_sql ? fact->uuid_sql : fact->sql;
}

/* The field table at the top of the stack into f. Stack effect: none. */
static void load_field(lua_State *L, loader *ld, ssot_field *f, size_t index) {
    int t = lua_gettop(L);
    f->index = index;
    f->name = get_string(L, ld, t, "name", 1);
    f->column = get_string(L, ld, t, "column", 0);
    if (!f->column) f->column = f->name;
    f->type_name = get_string(L, ld, t, "type", 1);
    f->type = parse_type(L, ld, f->type_name);
    const char *id_kind = get_string(L, ld, t, "id_kind", 0);
    if (f->type == SSOT_TYPE_ID)
        f->id_kind = id_kind && strcmp(id_kind, "uuid") == 0 ? SSOT_ID_UUID : SSOT_ID_INTEGER;
    if (id_kind && strcmp(id_kind, "uuid") != 0 && strcmp(id_kind, "integer") != 0)
        luaL_error(L, "%s.id_kind: expected \"integer\" or \"uuid\", got \"%s\"", ld->path, id_kind);
    f->optional = get_bool(L, ld, t, "optional", 0);
    f->unique = get_bool(L, ld, t, "unique", f->type == SSOT_TYPE_ID);
    f->max = get_integer(L, ld, t, "max", 0);
    f->values = get_string_list(L, ld, t, "values", 0, &f->nvalues);
    const char *auto_kind = get_string(L, ld, t, "auto", 0);
    if (auto_kind) {
        if (strcmp(auto_kind, "create") == 0)
            f->auto_kind = SSOT_AUTO_CREATE;
        else if (strcmp(auto_kind, "update") == 0)
            f->auto_kind = SSOT_AUTO_UPDATE;
        else
            luaL_error(L, "%s.auto: expected \"create\" or \"update\", got \"%s\"", ld->path, auto_kind);
    }
    lua_getfield(L, t, "default");
    if (!lua_isnil(L, -1)) {
        check_default(L, ld, -1, 0);
        f->default_value = to_json(L, -1);
        if (!f->default_value) luaL_error(L, "out of memory");
    }
    lua_pop(L, 1);
    if (push_table(L, ld, t, "references", 0)) {
        f->ref_model = get_string(L, ld, -1, "model", 1);
        f->ref_field = get_string(L, ld, -1, "field", 0);
        if (!f->ref_field) f->ref_field = "id";
        const char *on_delete = get_string(L, ld, -1, "on_delete", 0);
        if (!on_delete || strcmp(on_delete, "restrict") == 0)
            f->on_delete = SSOT_ON_DELETE_RESTRICT;
        else if (strcmp(on_delete, "cascade") == 0)
            f->on_delete = SSOT_ON_DELETE_CASCADE;
        else if (strcmp(on_delete, "set_null") == 0)
            f->on_delete = SSOT_ON_DELETE_SET_NULL;
        else
            luaL_error(L, "%s.references.on_delete: unknown action '%s'", ld->path, on_delete);
        lua_pop(L, 1);
    }
    f->description = get_string(L, ld, t, "description", 0);
    f->sql_type = get_string(L, ld, t, "sql_type", 0);
    if (!f->sql_type) f->sql_type = default_sql_type(f->type, f->id_kind);
    int fills = f->type == SSOT_TYPE_ID || f->auto_kind != SSOT_AUTO_NONE;
    f->read_only = get_bool(L, ld, t, "read_only", fills);
    f->server_filled = get_bool(L, ld, t, "server_filled", fills);
    lua_settop(L, t);
}

static void load_indexes(lua_State *L, loader *ld, int model, ssot_model *m) {
    if (!push_table(L, ld, model, "indexes", 0)) return;
    size_t n = (size_t)lua_rawlen(L, -1);
    ssot_index *indexes = alloc_or_raise(L, ld, (n + 1) * sizeof *indexes);
    size_t base = strlen(ld->path);
    for (size_t i = 0; i < n; i++) {
        snprintf(ld->path + base, sizeof ld->path - base, ".indexes[%d]", (int)i + 1);
        if (lua_rawgeti(L, -1, (lua_Integer)i + 1) != LUA_TTABLE) luaL_error(L, "%s: expected a table", ld->path);
        indexes[i].name = get_string(L, ld, -1, "name", 1);
        indexes[i].fields = get_string_list(L, ld, -1, "fields", 0, &indexes[i].nfields);
        indexes[i].unique = get_bool(L, ld, -1, "unique", 0);
        for (size_t k = 0; k < indexes[i].nfields; k++)
            if (!ssot_model_field(m, indexes[i].fields[k], strlen(indexes[i].fields[k])))
                luaL_error(L, "%s.fields: unknown field '%s'", ld->path, indexes[i].fields[k]);
        lua_pop(L, 1);
    }
    ld->path[base] = '\0';
    lua_pop(L, 1);
    m->indexes = indexes;
    m->nindexes = n;
}

static void load_realtime(lua_State *L, loader *ld, int model, ssot_model *m) {
    load_rule(L, ld, 0, "subscribe", &m->realtime.subscribe); /* "true" unless given below */
    if (!push_table(L, ld, model, "realtime", 0)) return;
    m->has_realtime = true;
    if (push_table(L, ld, -1, "permissions", 0)) {
        size_t base = strlen(ld->path);
        snprintf(ld->path + base, sizeof ld->path - base, ".realtime");
        lua_getfield(L, -1, "subscribe");
        m->realtime.has_subscribe_rule = !lua_isnil(L, -1);
        lua_pop(L, 1);
        load_rule(L, ld, lua_gettop(L), "subscribe", &m->realtime.subscribe);
        ld->path[base] = '\0';
        lua_pop(L, 1);
    }
    if (push_table(L, ld, -1, "subscribe", 0)) {
        m->realtime.subscribe_list = get_bool(L, ld, -1, "list", 0);
        m->realtime.subscribe_item = get_bool(L, ld, -1, "item", 0);
        lua_pop(L, 1);
    }
    if (push_table(L, ld, -1, "broadcast", 0)) {
        m->realtime.broadcast_created = get_bool(L, ld, -1, "created", 0);
        m->realtime.broadcast_updated = get_bool(L, ld, -1, "updated", 0);
        m->realtime.broadcast_deleted = get_bool(L, ld, -1, "deleted", 0);
        lua_pop(L, 1);
    }
    lua_pop(L, 1);
}

/* The model table at the top of the stack into m (whose refs are already LUA_NOREF). */
static void load_model(lua_State *L, loader *ld, ssot_model *m) {
    int t = lua_gettop(L);
    m->name = get_string(L, ld, t, "name", 1);
    snprintf(ld->path, sizeof ld->path, "ir.models.%s", m->name);
    m->table = get_string(L, ld, t, "table", 1);
    m->path = get_string(L, ld, t, "path", 1);
    m->description = get_string(L, ld, t, "description", 0);

    push_table(L, ld, t, "fields", 1);
    size_t n = (size_t)lua_rawlen(L, -1);
    if (n == 0) luaL_error(L, "%s.fields: a model needs fields", ld->path);
    ssot_field *fields = alloc_or_raise(L, ld, n * sizeof *fields);
    m->fields = fields;
    m->nfields = n; /* before loading, so ssot_app_free finds defaults made so far */
    size_t base = strlen(ld->path);
    for (size_t i = 0; i < n; i++) {
        snprintf(ld->path + base, sizeof ld->path - base, ".fields[%d]", (int)i + 1);
        if (lua_rawgeti(L, -1, (lua_Integer)i + 1) != LUA_TTABLE) luaL_error(L, "%s: expected a table", ld->path);
        load_field(L, ld, &fields[i], i);
        lua_pop(L, 1);
    }
    ld->path[base] = '\0';
    lua_pop(L, 1);

    for (size_t i = 0; i < n; i++)
        if (fields[i].type == SSOT_TYPE_ID) {
            if (m->primary_key) luaL_error(L, "%s: more than one id field", ld->path);
            m->primary_key = &fields[i];
        }
    if (!m->primary_key) luaL_error(L, "%s: no id field", ld->path);
    const char *owner = get_string(L, ld, t, "owner", 0);
    if (owner) {
        m->owner = ssot_model_field(m, owner, strlen(owner));
        if (!m->owner) luaL_error(L, "%s.owner: no field named '%s'", ld->path, owner);
        fields[m->owner->index].is_owner = true;
        fields[m->owner->index].server_filled = true;
    }
    load_indexes(L, ld, t, m);

    int permissions = push_table(L, ld, t, "permissions", 0) ? lua_gettop(L) : 0;
    for (int a = 0; a < SSOT_ACTION_COUNT; a++) load_rule(L, ld, permissions, ssot_action_name((ssot_action)a), &m->permissions[a]);
    if (permissions) lua_pop(L, 1);

    if (push_table(L, ld, t, "hooks", 0)) {
        for (int h = 0; h < SSOT_HOOK_COUNT; h++) m->hooks[h] = get_function_ref(L, ld, -1, ssot_hook_name((ssot_hook)h));
        lua_pop(L, 1);
    }
    load_realtime(L, ld, t, m);
    lua_pushvalue(L, t);
    m->lua_ref = luaL_ref(L, LUA_REGISTRYINDEX);
    lua_settop(L, t);
}

static void load_serve(lua_State *L, loader *ld, int ir, ssot_app *app) {
    ssot_serve_config *s = &app->serve;
    s->host = "localhost";
    s->port = 8080;
    s->workers = 1;
    s->max_body = 1048576;
    s->default_take = 20;
    s->max_take = 100;
    static const char *const any_origin[] = {"*"};
    s->cors_origins = any_origin;
    s->ncors_origins = 1;
    if (!push_table(L, ld, ir, "serve", 0)) return;
    snprintf(ld->path, sizeof ld->path, "ir.serve");
    const char *host = get_string(L, ld, -1, "host", 0);
    if (host) s->host = host;
    s->port = (int)get_integer(L, ld, -1, "port", s->port);
    s->workers = (int)get_integer(L, ld, -1, "workers", 1);
    s->database = get_string(L, ld, -1, "database", 0);
    s->static_dir = get_string(L, ld, -1, "static", 0);
    if (push_table(L, ld, -1, "cors", 0)) {
        snprintf(ld->path, sizeof ld->path, "ir.serve.cors");
        s->cors_origins = get_string_list(L, ld, -1, "origins", 0, &s->ncors_origins);
        s->cors_credentials = get_bool(L, ld, -1, "credentials", 0);
        snprintf(ld->path, sizeof ld->path, "ir.serve");
        lua_pop(L, 1);
    }
    s->max_body = get_integer(L, ld, -1, "max_body", s->max_body);
    s->default_take = get_integer(L, ld, -1, "default_take", s->default_take);
    s->max_take = get_integer(L, ld, -1, "max_take", s->max_take);
    lua_pop(L, 1);
}

static void load_limits(lua_State *L, loader *ld, int ir, ssot_app *app) {
    app->limits.request = 5;
    if (!push_table(L, ld, ir, "limits", 0)) return;
    snprintf(ld->path, sizeof ld->path, "ir.limits");
    app->limits.request = get_number(L, ld, -1, "request", app->limits.request);
    lua_pop(L, 1);
}

static void load_auth(lua_State *L, loader *ld, int ir, ssot_app *app) {
    ssot_auth_options *a = &app->auth;
    a->secret_env = "SSOT_JWT_SECRET";
    a->algorithm = "HS256";
    a->id_claim = "sub";
    a->role_claim = "role";
    a->admin_role = "admin";
    if (!push_table(L, ld, ir, "auth", 0)) return;
    snprintf(ld->path, sizeof ld->path, "ir.auth");
    const char *s;
    if ((s = get_string(L, ld, -1, "secret_env", 0))) a->secret_env = s;
    if ((s = get_string(L, ld, -1, "algorithm", 0))) a->algorithm = s;
    if ((s = get_string(L, ld, -1, "id_claim", 0))) a->id_claim = s;
    if ((s = get_string(L, ld, -1, "role_claim", 0))) a->role_claim = s;
    if ((s = get_string(L, ld, -1, "admin_role", 0))) a->admin_role = s;
    lua_pop(L, 1);
}

static int compare_channels(const void *a, const void *b) {
    return strcmp(((const ssot_channel_def *)a)->pattern, ((const ssot_channel_def *)b)->pattern);
}

/* One event's payload (the table at the top of the stack, { fields = { <field>... } }) into p:
 * a model named "the payload of <event>" holding only the fields, so the body check of REST
 * validates published data. Stack effect: none. */
static void load_payload(lua_State *L, loader *ld, ssot_model *p, const char *event) {
    int t = lua_gettop(L);
    size_t name_size = strlen(event) + sizeof "the payload of ";
    char *name = alloc_or_raise(L, ld, name_size);
    snprintf(name, name_size, "the payload of %s", event);
    p->name = name;
    p->lua_ref = LUA_NOREF; /* no table, rules, hooks or realtime: say so for any reader */
    for (int a = 0; a < SSOT_ACTION_COUNT; a++) p->permissions[a].fn_ref = LUA_NOREF;
    for (int h = 0; h < SSOT_HOOK_COUNT; h++) p->hooks[h] = LUA_NOREF;
    p->realtime.subscribe.fn_ref = LUA_NOREF;
    push_table(L, ld, t, "fields", 1);
    size_t n = (size_t)lua_rawlen(L, -1);
    ssot_field *fields = alloc_or_raise(L, ld, (n + 1) * sizeof *fields);
    p->fields = fields;
    p->nfields = n; /* before loading, so ssot_app_free finds what a refused field holds */
    size_t base = strlen(ld->path);
    for (size_t i = 0; i < n; i++) {
        snprintf(ld->path + base, sizeof ld->path - base, ".fields[%d]", (int)i + 1);
        if (lua_rawgeti(L, -1, (lua_Integer)i + 1) != LUA_TTABLE) luaL_error(L, "%s: expected a table", ld->path);
        ssot_field *f = &fields[i];
        load_field(L, ld, f, i);
        /* what only a table's column means would make the body check refuse or skip the field */
        if (f->type == SSOT_TYPE_ID || f->auto_kind != SSOT_AUTO_NONE || f->default_value || f->ref_model ||
            f->server_filled || f->read_only)
            luaL_error(L, "%s: a payload field is a plain value: no id type, auto, default, references, "
                          "server_filled or read_only", ld->path);
        if (ssot_model_field(p, f->name, strlen(f->name)) != f)
            luaL_error(L, "%s: the field '%s' appears twice", ld->path, f->name);
        lua_pop(L, 1);
    }
    ld->path[base] = '\0';
    lua_settop(L, t);
}

/* The channel's payloads table (at stack index payloads, { [event] = { fields } }) into
 * c->payloads, by the index of each event in c->events. */
static void load_payloads(lua_State *L, loader *ld, int payloads, ssot_channel_def *c) {
    size_t base = strlen(ld->path);
    ssot_model **models = NULL;
    lua_pushnil(L);
    while (lua_next(L, payloads)) {
        if (lua_type(L, -2) != LUA_TSTRING)
            luaL_error(L, "%s.payloads: keys are event names, got a %s", ld->path, luaL_typename(L, -2));
        const char *event = lua_tostring(L, -2);
        snprintf(ld->path + base, sizeof ld->path - base, ".payloads.%s", event);
        size_t i = 0;
        while (i < c->nevents && strcmp(c->events[i], event) != 0) i++;
        if (i == c->nevents) luaL_error(L, "%s: '%s' is not one of the channel's events", ld->path, event);
        if (!lua_istable(L, -1)) luaL_error(L, "%s: expected a table, got %s", ld->path, luaL_typename(L, -1));
        if (!models) {
            models = alloc_or_raise(L, ld, c->nevents * sizeof *models);
            c->payloads = (const ssot_model *const *)models;
        }
        models[i] = alloc_or_raise(L, ld, sizeof *models[i]);
        load_payload(L, ld, models[i], c->events[i]);
        lua_pop(L, 1);
    }
    ld->path[base] = '\0';
}

/* ir.websockets.channels (the websockets table at ws) into app->websockets, sorted by
 * pattern whatever order the IR gives them in. */
static void load_channels(lua_State *L, loader *ld, int ws, ssot_app *app) {
    if (!push_table(L, ld, ws, "channels", 0)) return;
    size_t n = (size_t)lua_rawlen(L, -1);
    ssot_channel_def *channels = alloc_or_raise(L, ld, (n + 1) * sizeof *channels);
    for (size_t i = 0; i < n; i++) channels[i].subscribe.fn_ref = channels[i].publish.fn_ref = LUA_NOREF;
    app->websockets.channels = channels; /* before loading, so ssot_app_free finds the references made so far */
    app->websockets.nchannels = n;
    for (size_t i = 0; i < n; i++) {
        snprintf(ld->path, sizeof ld->path, "ir.websockets.channels[%d]", (int)i + 1);
        if (lua_rawgeti(L, -1, (lua_Integer)i + 1) != LUA_TTABLE) luaL_error(L, "%s: expected a table", ld->path);
        int t = lua_gettop(L);
        ssot_channel_def *c = &channels[i];
        c->pattern = get_string(L, ld, t, "pattern", 1);
        c->params = get_string_list(L, ld, t, "params", 0, &c->nparams);
        c->events = get_string_list(L, ld, t, "events", 1, &c->nevents);
        c->presence = get_bool(L, ld, t, "presence", 0);
        if (push_table(L, ld, t, "payloads", 0)) load_payloads(L, ld, lua_gettop(L), c);
        int permissions = push_table(L, ld, t, "permissions", 0) ? lua_gettop(L) : 0;
        load_rule(L, ld, permissions, "subscribe", &c->subscribe);
        load_rule(L, ld, permissions, "publish", &c->publish);
        lua_settop(L, t - 1);
    }
    lua_pop(L, 1);
    qsort(channels, n, sizeof *channels, compare_channels);
    for (size_t i = 1; i < n; i++)
        if (strcmp(channels[i - 1].pattern, channels[i].pattern) == 0)
            luaL_error(L, "ir.websockets.channels: the pattern '%s' appears twice", channels[i].pattern);
}

/* ir.websockets into app->websockets; the defaults of docs/config.md when it or any of its
 * members is absent, so the gateway never sees a zero limit. */
static void load_websockets(lua_State *L, loader *ld, int ir, ssot_app *app) {
    ssot_websockets_config *w = &app->websockets;
    w->enabled = false;
    w->path = "/ws";
    w->batching = false;
    w->flush_interval_ms = 50;
    w->max_batch_size = 100;
    w->max_subscriptions = 100;
    w->max_message = 65536;
    w->messages_per_second = 100;
    w->send_queue = 1048576;
    w->history = 1000;
    if (!push_table(L, ld, ir, "websockets", 0)) return;
    int ws = lua_gettop(L);
    snprintf(ld->path, sizeof ld->path, "ir.websockets");
    w->enabled = get_bool(L, ld, ws, "enabled", 0);
    const char *path = get_string(L, ld, ws, "path", 0);
    if (path) w->path = path;
    w->history = get_positive(L, ld, ws, "history", w->history);
    if (push_table(L, ld, ws, "batching", 0)) {
        snprintf(ld->path, sizeof ld->path, "ir.websockets.batching");
        w->batching = get_bool(L, ld, -1, "enabled", 0);
        w->flush_interval_ms = get_positive(L, ld, -1, "flush_interval", w->flush_interval_ms);
        w->max_batch_size = get_positive(L, ld, -1, "max_batch_size", w->max_batch_size);
        lua_pop(L, 1);
    }
    if (push_table(L, ld, ws, "limits", 0)) {
        snprintf(ld->path, sizeof ld->path, "ir.websockets.limits");
        w->max_subscriptions = get_positive(L, ld, -1, "subscriptions", w->max_subscriptions);
        w->max_message = get_positive(L, ld, -1, "message_size", w->max_message);
        w->messages_per_second = get_positive(L, ld, -1, "messages_per_second", w->messages_per_second);
        w->send_queue = get_positive(L, ld, -1, "send_queue", w->send_queue);
        lua_pop(L, 1);
    }
    snprintf(ld->path, sizeof ld->path, "ir.websockets");
    load_channels(L, ld, ws, app);
    lua_settop(L, ws - 1);
}

static void load_routes(lua_State *L, loader *ld, int ir, ssot_app *app) {
    if (!push_table(L, ld, ir, "routes", 0)) return;
    size_t n = (size_t)lua_rawlen(L, -1);
    ssot_route *routes = alloc_or_raise(L, ld, (n + 1) * sizeof *routes);
    for (size_t i = 0; i < n; i++) routes[i].fn_ref = LUA_NOREF;
    app->routes = routes;
    app->nroutes = n;
    for (size_t i = 0; i < n; i++) {
        snprintf(ld->path, sizeof ld->path, "ir.routes[%d]", (int)i + 1);
        if (lua_rawgeti(L, -1, (lua_Integer)i + 1) != LUA_TTABLE) luaL_error(L, "%s: expected a table", ld->path);
        routes[i].method = get_string(L, ld, -1, "method", 1);
        routes[i].path = get_string(L, ld, -1, "path", 1);
        routes[i].fn_ref = get_function_ref(L, ld, -1, "fn");
        if (routes[i].fn_ref == LUA_NOREF) luaL_error(L, "%s.fn: expected a function", ld->path);
        lua_pop(L, 1);
    }
    lua_pop(L, 1);
}

/* The protected body of ssot_ir_load: (ir table, loader lightuserdata) -> (). */
static int load_app(lua_State *L) {
    loader *ld = lua_touserdata(L, 2);
    ssot_app *app = ld->app;
    snprintf(ld->path, sizeof ld->path, "ir");
    if (!lua_istable(L, 1)) luaL_error(L, "ir: expected the IR table, got %s", luaL_typename(L, 1));
    app->name = get_string(L, ld, 1, "name", 1);
    app->hash = get_string(L, ld, 1, "hash", 0);
    if (!app->hash) app->hash = "";
    app->config_path = get_string(L, ld, 1, "config_path", 0);

    push_table(L, ld, 1, "models", 1);
    size_t n = (size_t)lua_rawlen(L, -1);
    ssot_model *models = alloc_or_raise(L, ld, (n + 1) * sizeof *models);
    for (size_t i = 0; i < n; i++) {
        models[i].lua_ref = LUA_NOREF;
        for (int a = 0; a < SSOT_ACTION_COUNT; a++) models[i].permissions[a].fn_ref = LUA_NOREF;
        models[i].realtime.subscribe.fn_ref = LUA_NOREF;
        for (int h = 0; h < SSOT_HOOK_COUNT; h++) models[i].hooks[h] = LUA_NOREF;
    }
    app->models = models;
    for (size_t i = 0; i < n; i++) {
        snprintf(ld->path, sizeof ld->path, "ir.models[%d]", (int)i + 1);
        if (lua_rawgeti(L, -1, (lua_Integer)i + 1) != LUA_TTABLE) luaL_error(L, "%s: expected a table", ld->path);
        app->nmodels = i + 1;
        models[i].index = i;
        load_model(L, ld, &models[i]);
        lua_pop(L, 1);
    }
    lua_pop(L, 1);
    for (size_t i = 0; i < n; i++) /* references must name models and fields that exist */
        for (size_t k = 0; k < models[i].nfields; k++) {
            const ssot_field *f = &models[i].fields[k];
            if (!f->ref_model) continue;
            const ssot_model *target = ssot_app_model(app, f->ref_model);
            if (!target || !ssot_model_field(target, f->ref_field, strlen(f->ref_field)))
                luaL_error(L, "ir.models.%s.fields.%s.references: no field %s.%s", models[i].name, f->name,
                           f->ref_model, f->ref_field);
        }

    load_serve(L, ld, 1, app);
    load_limits(L, ld, 1, app);
    load_auth(L, ld, 1, app);
    load_websockets(L, ld, 1, app);
    load_routes(L, ld, 1, app);
    lua_pushvalue(L, 1);
    app->lua_ref = luaL_ref(L, LUA_REGISTRYINDEX);
    return 0;
}

ssot_app *ssot_ir_load(lua_State *L, int idx, char *err, size_t err_size) {
    idx = lua_absindex(L, idx);
    loader ld;
    ld.app = ssot_app_new();
    if (!ld.app) {
        snprintf(err, err_size, "out of memory");
        return NULL;
    }
    ld.app->L = L;
    lua_pushcfunction(L, load_app);
    lua_pushvalue(L, idx);
    lua_pushlightuserdata(L, &ld);
    if (lua_pcall(L, 2, 0, 0) != LUA_OK) {
        snprintf(err, err_size, "%s", lua_isstring(L, -1) ? lua_tostring(L, -1) : "error loading the IR");
        lua_pop(L, 1);
        ssot_app_free(ld.app);
        return NULL;
    }
    return ld.app;
}

ssot_app *ssot_ir_load_config(ssot_host *host, const char *config_path, int *status, char *err, size_t err_size) {
    *status = ssot_host_load_config(host, config_path);
    if (*status != SSOT_OK) {
        const ssot_error *e = ssot_host_last_error(host);
        snprintf(err, err_size, "%s", e->message ? e->message : "the config did not load");
        return NULL;
    }
    lua_State *L = ssot_host_lua(host);
    int top = lua_gettop(L);
    lua_getglobal(L, "require");
    lua_pushstring(L, "ssot");
    if (lua_pcall(L, 1, 1, 0) != LUA_OK || !lua_istable(L, -1) || lua_getfield(L, -1, "ir") != LUA_TTABLE) {
        snprintf(err, err_size, "the config loaded but require(\"ssot\").ir is not a table");
        lua_settop(L, top);
        *status = SSOT_ERR_FAILURE;
        return NULL;
    }
    ssot_app *app = ssot_ir_load(L, -1, err, err_size);
    lua_settop(L, top);
    if (!app) *status = SSOT_ERR_CONFIG;
    return app;
}
