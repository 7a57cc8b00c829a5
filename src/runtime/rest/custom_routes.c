/* Custom routes (custom_routes.h): the request table, req.list / req.get over the store,
 * and turning the function's results into a response. */
#define _POSIX_C_SOURCE 200809L /* strndup */
#include "runtime/rest/custom_routes.h"

#include "runtime/model/body.h"
#include "runtime/http/http_response.h"
#include "runtime/base/json_write.h"
#include "runtime/lua/lua_bridge.h"
#include "runtime/model/query.h"
#include "runtime/rest/rest.h"

#include <lauxlib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static ssot_service *service_upvalue(lua_State *L) {
    return lua_touserdata(L, lua_upvalueindex(1));
}

static const ssot_model *check_model(lua_State *L, ssot_service *svc, const char *fn) {
    const char *name = luaL_checkstring(L, 1);
    const ssot_model *model = ssot_app_model(svc->app, name);
    if (!model) luaL_error(L, "%s: there is no model named '%s'", fn, name);
    return model;
}

/* One list parameter from params[name]: a table becomes its JSON text. Returns 0, or -1
 * with a message. Stack effect: none. */
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
        } else {
            const char *s = lua_tolstring(L, -1, &n);
            if (s) {
                text = strndup(s, n);
            } else {
                snprintf(message, message_size, "%s: expected a table, a string or a number", name);
                status = -1;
            }
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

/* req.list(model, { where =, orderBy =, skip =, take = }) -> the list response as a table:
 * { items = {...}, total =, skip =, take =, offset =, epoch = }. No permission rules apply:
 * this is the config's own code. */
static int route_list(lua_State *L) {
    ssot_service *svc = service_upvalue(L);
    const ssot_model *model = check_model(L, svc, "req.list");
    ssot_query query;
    ssot_query_init(&query, model, svc->app->serve.default_take, svc->app->serve.max_take);
    char message[512] = "";
    int failed = 0;
    if (!lua_isnoneornil(L, 2)) {
        luaL_checktype(L, 2, LUA_TTABLE);
        static const char *const names[] = {"where", "orderBy", "skip", "take"};
        for (size_t i = 0; i < 4 && !failed; i++) failed = add_list_param(L, 2, names[i], &query, message, sizeof message);
    }
    ssot_buf out = SSOT_BUF_INIT;
    ssot_store_error err;
    if (!failed && ssot_store_list(svc->store, &query, NULL, &out, NULL, &err) != SSOT_STORE_OK) {
        snprintf(message, sizeof message, "%.400s", err.message);
        failed = 1;
    }
    ssot_query_free(&query);
    if (!failed) ssot_lua_push_json_text(L, out.data ? out.data : "null", out.len ? out.len : 4);
    ssot_buf_free(&out);
    if (failed) return luaL_error(L, "req.list(\"%s\"): %s", model->name, message);
    return 1;
}

/* req.get(model, id) -> the row as a table, or nil when there is none. */
static int route_get(lua_State *L) {
    ssot_service *svc = service_upvalue(L);
    const ssot_model *model = check_model(L, svc, "req.get");
    size_t n;
    const char *id = luaL_checklstring(L, 2, &n); /* integers convert to their decimal text */
    ssot_buf out = SSOT_BUF_INIT;
    ssot_store_error err;
    ssot_store_status status = ssot_store_get(svc->store, model, id, n, NULL, &out, &err);
    if (status == SSOT_STORE_OK) ssot_lua_push_json_text(L, out.data, out.len);
    ssot_buf_free(&out);
    if (status == SSOT_STORE_OK) return 1;
    if (status == SSOT_STORE_NOT_FOUND) {
        lua_pushnil(L);
        return 1;
    }
    return luaL_error(L, "req.get(\"%s\", %s): %s", model->name, id, err.message);
}

static const luaL_Reg route_functions[] = {
    {"get", route_get},
    {"list", route_list},
    {NULL, NULL},
};

static void set_string(lua_State *L, const char *key, const char *value, size_t n) {
    lua_pushlstring(L, value, n);
    lua_setfield(L, -2, key);
}

/* Pushes the request table. Returns 0, or -1 after answering 400 for a bad JSON body.
 * Stack effect: +1 on success, 0 on failure. */
static int push_request(lua_State *L, ssot_service *svc, const ssot_route_match *match, const ssot_request *req,
                        ssot_response *resp) {
    json_t *body = NULL;
    if (req->body && req->body_len > 0 && ssot_request_is_json(req)) {
        json_error_t error;
        body = json_loadb(req->body, req->body_len, JSON_DECODE_ANY | JSON_REJECT_DUPLICATES, &error);
        if (!body) {
            ssot_http_error(resp, req, SSOT_E_INVALID_JSON, "invalid JSON at line %d, column %d: %s", error.line,
                            error.column, ssot_json_error_text(&error));
            return -1;
        }
    }
    lua_createtable(L, 0, 12);
    lua_pushstring(L, ssot_method_name(req->method));
    lua_setfield(L, -2, "method");
    set_string(L, "path", req->path, req->path_len);
    lua_pushstring(L, req->id);
    lua_setfield(L, -2, "requestId");
    ssot_lua_push_user(L, &req->user);
    lua_setfield(L, -2, "user");
    lua_createtable(L, 0, (int)match->nparams);
    for (size_t i = 0; i < match->nparams; i++)
        set_string(L, match->params[i].name, match->params[i].value, match->params[i].value_len);
    lua_setfield(L, -2, "params");
    lua_createtable(L, 0, (int)req->nparams);
    for (size_t i = 0; i < req->nparams; i++)
        if (strcmp(req->params[i].name, "token") != 0)
            set_string(L, req->params[i].name, req->params[i].value, req->params[i].value_len);
    lua_setfield(L, -2, "query");
    if (req->body) set_string(L, "rawBody", req->body, req->body_len);
    ssot_lua_push_json(L, body);
    lua_setfield(L, -2, "body");
    json_decref(body);
    lua_pushlightuserdata(L, svc);
    luaL_setfuncs(L, route_functions, 1);
    return 0;
}

/* Sends what the function returned: ([status,] value). */
static void send_result(lua_State *L, int first, const char *route_name, const ssot_request *req,
                        ssot_response *resp) {
    int value = first, status = 200;
    if (lua_isinteger(L, first)) {
        lua_Integer code = lua_tointeger(L, first);
        if (code < 200 || code > 599) {
            char detail[128];
            snprintf(detail, sizeof detail, "it returned the status %lld (use 200..599)", (long long)code);
            ssot_service_fail(resp, req, route_name, detail);
            return;
        }
        status = (int)code;
        value = first + 1;
    }
    resp->status = status;
    if (lua_isnil(L, value)) {
        if (status == 200) resp->status = 204;
        return;
    }
    if (lua_type(L, value) == LUA_TSTRING) {
        size_t n;
        const char *text = lua_tolstring(L, value, &n);
        resp->content_type = "text/plain; charset=utf-8";
        ssot_buf_append(resp->body, text, n);
        return;
    }
    char message[512];
    json_t *json = ssot_lua_to_json(L, value, "result", message, sizeof message);
    if (!json) {
        ssot_service_fail(resp, req, route_name, message);
        return;
    }
    ssot_json_write(resp->body, json, 1); /* a failed body is answered 500 by the server */
    json_decref(json);
}

void ssot_custom_route_handle(ssot_service *svc, const ssot_route_match *match, ssot_request *req,
                              ssot_response *resp) {
    if (ssot_rest_authenticate(svc, req, resp)) return;
    lua_State *L = svc->L;
    const ssot_route *route = match->route;
    char route_name[300];
    snprintf(route_name, sizeof route_name, "the route %s %s", route->method, route->path);
    int top = lua_gettop(L);
    if (!lua_checkstack(L, 8)) {
        ssot_service_fail(resp, req, route_name, "the Lua stack is full");
        return;
    }
    lua_rawgeti(L, LUA_REGISTRYINDEX, route->fn_ref);
    if (push_request(L, svc, match, req, resp)) {
        lua_settop(L, top);
        return;
    }
    char error[4096];
    if (ssot_lua_call(L, 1, 2, route_name, error, sizeof error) != LUA_OK) ssot_service_fail(resp, req, route_name, error);
    else send_result(L, top + 1, route_name, req, resp);
    lua_settop(L, top);
}
