/* ssot.get / ssot.list over the service's store (lua_reads.h). The C functions answer
 * (true, result) or (false, message); lua/ssot/sandbox.lua raises the message at the caller's
 * line, so an error names the config's file and line, not this file. */
#define _POSIX_C_SOURCE 200809L /* strndup */
#include "runtime/rest/lua_reads.h"

#include "runtime/base/json_write.h"
#include "runtime/lua/lua_bridge.h"
#include "runtime/model/query.h"

#include <lauxlib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The list parameters a read takes, as in docs/rest.md. */
static const char *const LIST_PARAMS[] = {"where", "orderBy", "skip", "take"};

/* Pushes false and the message "fn(args): why". Returns 2 (the C function's results). */
static int refuse(lua_State *L, const char *why) {
    lua_pushboolean(L, 0);
    lua_pushstring(L, why);
    return 2;
}

static ssot_service *service_of(lua_State *L) { return lua_touserdata(L, lua_upvalueindex(1)); }

/* The model named by argument 1, or NULL after writing why into message. */
static const ssot_model *model_arg(lua_State *L, const ssot_service *svc, const char *fn, char *message,
                                   size_t message_size) {
    if (lua_type(L, 1) != LUA_TSTRING) {
        snprintf(message, message_size, "%s(model, ...): model is a model's name, e.g. %s(\"%s\", ...)", fn, fn,
                 svc->app->nmodels ? svc->app->models[0].name : "Message");
        return NULL;
    }
    const char *name = lua_tostring(L, 1);
    const ssot_model *model = ssot_app_model(svc->app, name);
    if (!model) {
        int n = snprintf(message, message_size, "%s(\"%.80s\"): there is no model named '%.80s'; the models are", fn,
                         name, name);
        for (size_t i = 0; i < svc->app->nmodels && n > 0 && (size_t)n < message_size; i++)
            n += snprintf(message + n, message_size - (size_t)n, "%s %s", i ? "," : "", svc->app->models[i].name);
    }
    return model;
}

/* One list parameter from params[name]: a table becomes its JSON text, a string is taken as
 * JSON text, a number as its decimal text. Returns 0, or -1 with a message. Stack effect: none. */
static int add_list_param(lua_State *L, int params, const char *name, ssot_query *query, char *message,
                          size_t message_size) {
    int type = lua_getfield(L, params, name);
    int status = 0;
    if (type != LUA_TNIL) {
        char *text = NULL;
        size_t n = 0;
        if (type == LUA_TTABLE) {
            json_t *value = ssot_lua_to_json(L, -1, name, message, message_size);
            ssot_buf json = SSOT_BUF_INIT;
            if (value && ssot_json_write(&json, value, 0) == 0) text = ssot_buf_detach(&json, &n);
            else if (value) snprintf(message, message_size, "out of memory");
            ssot_buf_free(&json);
            json_decref(value);
            if (!text) status = -1;
        } else if (type == LUA_TSTRING || type == LUA_TNUMBER) {
            const char *s = lua_tolstring(L, -1, &n);
            text = strndup(s, n);
        } else {
            snprintf(message, message_size, "%s: expected a table, a string or a number, got a %s", name,
                     lua_typename(L, type));
            status = -1;
        }
        ssot_query_error qerr;
        if (text && ssot_query_add_param(query, name, text, n, &qerr)) {
            snprintf(message, message_size, "%s", qerr.message);
            status = -1;
        }
        free(text);
    }
    lua_pop(L, 1);
    return status;
}

/* list(model, { where =, orderBy =, skip =, take = }) -> true, the list response as a table:
 * { items = {...}, total =, skip =, take =, offset =, epoch = }; or false, why. */
static int read_list(lua_State *L) {
    ssot_service *svc = service_of(L);
    char message[640], why[768];
    const ssot_model *model = model_arg(L, svc, "ssot.list", why, sizeof why);
    if (!model) return refuse(L, why);
    int has_params = !lua_isnoneornil(L, 2);
    if (has_params && !lua_istable(L, 2)) {
        snprintf(why, sizeof why, "ssot.list(\"%s\", params): params is a table such as { where = { ... }, take = 10 }",
                 model->name);
        return refuse(L, why);
    }
    ssot_query query;
    ssot_query_init(&query, model, svc->app->serve.default_take, svc->app->serve.max_take);
    int failed = 0;
    for (size_t i = 0; has_params && i < sizeof LIST_PARAMS / sizeof *LIST_PARAMS && !failed; i++)
        failed = add_list_param(L, 2, LIST_PARAMS[i], &query, message, sizeof message);
    if (has_params && !failed) { /* a misspelt key would otherwise be a silent "no condition" */
        lua_pushnil(L);
        while (!failed && lua_next(L, 2)) {
            lua_pop(L, 1);
            const char *key = lua_type(L, -1) == LUA_TSTRING ? lua_tostring(L, -1) : NULL;
            int known = 0;
            for (size_t i = 0; key && i < sizeof LIST_PARAMS / sizeof *LIST_PARAMS; i++)
                known |= strcmp(key, LIST_PARAMS[i]) == 0;
            if (!known) {
                snprintf(message, sizeof message, "unknown parameter %s%.60s%s: the parameters are where, orderBy, "
                         "skip and take", key ? "'" : "", key ? key : "(not a name)", key ? "'" : "");
                failed = 1;
                lua_pop(L, 1);
            }
        }
    }
    ssot_buf out = SSOT_BUF_INIT;
    ssot_store_error err;
    if (!failed && ssot_store_list(svc->store, &query, NULL, &out, NULL, &err) != SSOT_STORE_OK) {
        snprintf(message, sizeof message, "%.600s", err.message);
        failed = 1;
    }
    ssot_query_free(&query);
    if (failed) {
        ssot_buf_free(&out);
        snprintf(why, sizeof why, "ssot.list(\"%s\"): %s", model->name, message);
        return refuse(L, why);
    }
    lua_pushboolean(L, 1);
    ssot_lua_push_json_text(L, out.data, out.len);
    ssot_buf_free(&out);
    return 2;
}

/* get(model, id) -> true, the row as a table (nil when there is none); or false, why. */
static int read_get(lua_State *L) {
    ssot_service *svc = service_of(L);
    char why[768];
    const ssot_model *model = model_arg(L, svc, "ssot.get", why, sizeof why);
    if (!model) return refuse(L, why);
    int type = lua_type(L, 2);
    if (type != LUA_TSTRING && type != LUA_TNUMBER) {
        snprintf(why, sizeof why, "ssot.get(\"%s\", id): id is the row's id (a number or a string), got %s",
                 model->name, type == LUA_TNONE ? "nothing" : lua_typename(L, type));
        return refuse(L, why);
    }
    size_t n;
    const char *id = lua_tolstring(L, 2, &n); /* integers convert to their decimal text */
    ssot_buf out = SSOT_BUF_INIT;
    ssot_store_error err;
    ssot_store_status status = ssot_store_get(svc->store, model, id, n, NULL, &out, &err);
    if (status == SSOT_STORE_OK || status == SSOT_STORE_NOT_FOUND) {
        lua_pushboolean(L, 1);
        if (status == SSOT_STORE_OK) ssot_lua_push_json_text(L, out.data, out.len);
        else lua_pushnil(L);
        ssot_buf_free(&out);
        return 2;
    }
    ssot_buf_free(&out);
    snprintf(why, sizeof why, "ssot.get(\"%s\", %.64s): %.600s", model->name, id, err.message);
    return refuse(L, why);
}

/* Pushes require("ssot.sandbox"), or returns -1 with nothing pushed. */
static int push_sandbox(lua_State *L) {
    lua_getglobal(L, "require");
    lua_pushstring(L, "ssot.sandbox");
    if (lua_pcall(L, 1, 1, 0) != LUA_OK || !lua_istable(L, -1)) {
        lua_pop(L, 1);
        return -1;
    }
    return 0;
}

/* The registry key of { get = ssot.get, list = ssot.list }, kept at install for req.get/list. */
static const char WRAPPERS_KEY = 0;

int ssot_lua_reads_install(lua_State *L, ssot_service *svc, char *err, size_t err_size) {
    if (push_sandbox(L) != 0) {
        snprintf(err, err_size, "cannot set up ssot.get and ssot.list: the Lua module ssot.sandbox did not load");
        return -1;
    }
    static const luaL_Reg readers[] = {{"get", read_get}, {"list", read_list}, {NULL, NULL}};
    lua_createtable(L, 0, 2);
    lua_pushlightuserdata(L, svc);
    luaL_setfuncs(L, readers, 1);
    lua_setfield(L, -2, "reader");
    lua_createtable(L, 0, 2);
    lua_getfield(L, -2, "get");
    lua_setfield(L, -2, "get");
    lua_getfield(L, -2, "list");
    lua_setfield(L, -2, "list");
    lua_rawsetp(L, LUA_REGISTRYINDEX, &WRAPPERS_KEY);
    lua_pop(L, 1);
    return 0;
}

void ssot_lua_reads_uninstall(lua_State *L) {
    if (push_sandbox(L) != 0) return;
    lua_pushnil(L);
    lua_setfield(L, -2, "reader");
    lua_pop(L, 1);
}

void ssot_lua_reads_set(lua_State *L, int idx) {
    idx = lua_absindex(L, idx);
    if (lua_rawgetp(L, LUA_REGISTRYINDEX, &WRAPPERS_KEY) != LUA_TTABLE) {
        lua_pop(L, 1);
        return;
    }
    lua_getfield(L, -1, "get");
    lua_setfield(L, idx, "get");
    lua_getfield(L, -1, "list");
    lua_setfield(L, idx, "list");
    lua_pop(L, 1);
}
