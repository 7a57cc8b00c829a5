/* Custom routes (custom_routes.h): the request table (req.list / req.get are ssot.list /
 * ssot.get, lua_reads.c), and turning the function's results into a response. */
#include "runtime/rest/custom_routes.h"
#include "runtime/rest/lua_reads.h"

#include "runtime/model/body.h"
#include "runtime/http/http_response.h"
#include "runtime/base/json_write.h"
#include "runtime/lua/lua_bridge.h"
#include "runtime/rest/rest.h"

#include <lauxlib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void set_string(lua_State *L, const char *key, const char *value, size_t n) {
    lua_pushlstring(L, value, n);
    lua_setfield(L, -2, key);
}

/* Pushes the request table. Returns 0, or -1 after answering 400 for a bad JSON body.
 * Stack effect: +1 on success, 0 on failure. */
static int push_request(lua_State *L, const ssot_route_match *match, const ssot_request *req, ssot_response *resp) {
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
    ssot_lua_reads_set(L, -1); /* req.get, req.list: ssot.get, ssot.list */
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
    if (push_request(L, match, req, resp)) {
        lua_settop(L, top);
        return;
    }
    char error[4096];
    if (ssot_lua_call(L, 1, 2, route_name, error, sizeof error) != LUA_OK) ssot_service_fail(resp, req, route_name, error);
    else send_result(L, top + 1, route_name, req, resp);
    lua_settop(L, top);
}
