/* Before/after hooks of a model (hooks.h). A hook is called as hook(data, ctx):
 *   before: returns nothing (keep the possibly changed table), a table (use it instead), or
 *           false, "message"[, 403] (reject: 400 rejected, or 403 forbidden);
 *   after:  its return value is ignored.
 * Uses lua_bridge.c for the protected call and the JSON <-> Lua conversion. */
#include "runtime/lua/hooks.h"

#include "runtime/lua/lua_bridge.h"

#include <lauxlib.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static const char *action_of(ssot_hook hook) {
    switch (hook) {
    case SSOT_HOOK_BEFORE_CREATE:
    case SSOT_HOOK_AFTER_CREATE: return "create";
    case SSOT_HOOK_BEFORE_UPDATE:
    case SSOT_HOOK_AFTER_UPDATE: return "update";
    default: return "delete";
    }
}

/* Pushes ctx = { model, action, user, id, existing, requestId }. Stack effect: +1. */
static void push_context(lua_State *L, ssot_hook hook, const ssot_hook_context *ctx) {
    lua_createtable(L, 0, 6);
    lua_pushstring(L, ctx->model->name);
    lua_setfield(L, -2, "model");
    lua_pushstring(L, action_of(hook));
    lua_setfield(L, -2, "action");
    ssot_lua_push_user(L, ctx->user);
    lua_setfield(L, -2, "user");
    if (ctx->request_id) {
        lua_pushstring(L, ctx->request_id);
        lua_setfield(L, -2, "requestId");
    }
    if (ctx->existing) {
        ssot_lua_push_json_text(L, ctx->existing->json, ctx->existing->json_len);
        lua_setfield(L, -2, "existing");
        lua_getfield(L, -1, "existing"); /* the row's own id value (an integer or a uuid) */
        lua_getfield(L, -1, ctx->model->primary_key->name);
        lua_setfield(L, -3, "id");
        lua_pop(L, 1);
    } else if (ctx->id) {
        lua_pushstring(L, ctx->id);
        lua_setfield(L, -2, "id");
    }
}

static void fail(ssot_hook_result *result, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void fail(ssot_hook_result *result, const char *fmt, ...) {
    result->outcome = SSOT_HOOK_FAILED;
    result->status = 500;
    va_list args;
    va_start(args, fmt);
    vsnprintf(result->message, sizeof result->message, fmt, args);
    va_end(args);
}

/* Pushes the hook function. Stack effect: +1. */
static void push_hook(lua_State *L, const ssot_model *model, ssot_hook hook) {
    lua_rawgeti(L, LUA_REGISTRYINDEX, model->hooks[hook]);
}

/* Calls the hook below nargs arguments; on an error records it as FAILED. Returns 0 on
 * success (nresults values pushed), -1 on failure (nothing pushed). */
static int call_hook(lua_State *L, ssot_hook hook, const ssot_hook_context *ctx, int nargs, int nresults,
                     ssot_hook_result *result) {
    char what[160];
    snprintf(what, sizeof what, "the %s hook of %s", ssot_hook_name(hook), ctx->model->name);
    if (ssot_lua_call(L, nargs, nresults, what, result->message, sizeof result->message) == LUA_OK) return 0;
    result->outcome = SSOT_HOOK_FAILED;
    result->status = 500;
    return -1;
}

/* Reads a before-hook's results at returned.. (false, message, status / table / nothing),
 * the table it was given at argument, into result and *data. */
static ssot_hook_outcome read_before_result(lua_State *L, ssot_hook hook, const ssot_hook_context *ctx, int argument,
                                            int returned, json_t **data, ssot_hook_result *result) {
    const char *name = ssot_hook_name(hook);
    if (lua_type(L, returned) == LUA_TBOOLEAN && !lua_toboolean(L, returned)) {
        result->outcome = SSOT_HOOK_REJECTED;
        result->status = lua_tointeger(L, returned + 2) == 403 ? 403 : 400;
        const char *message = lua_tostring(L, returned + 1);
        if (message) snprintf(result->message, sizeof result->message, "%s", message);
        else snprintf(result->message, sizeof result->message, "the %s hook of %s rejected the request", name,
                      ctx->model->name);
        return result->outcome;
    }
    int source = argument;
    if (lua_istable(L, returned)) {
        source = returned;
    } else if (!lua_isnil(L, returned) && lua_type(L, returned) != LUA_TBOOLEAN) {
        fail(result, "the %s hook of %s returned a %s: return nothing, a table of fields, or false and a message",
             name, ctx->model->name, luaL_typename(L, returned));
        return result->outcome;
    }
    if (data && *data) {
        char message[512];
        json_t *changed = ssot_lua_to_json(L, source, "data", message, sizeof message);
        if (!json_is_object(changed)) {
            if (changed) snprintf(message, sizeof message, "data: the fields must be a table with string keys");
            json_decref(changed);
            fail(result, "the %s hook of %s: %s", name, ctx->model->name, message);
            return result->outcome;
        }
        json_decref(*data);
        *data = changed;
    }
    result->outcome = SSOT_HOOK_OK;
    return result->outcome;
}

ssot_hook_outcome ssot_hooks_run_before(lua_State *L, ssot_hook hook, const ssot_hook_context *ctx, json_t **data,
                                        ssot_hook_result *result) {
    memset(result, 0, sizeof *result);
    int top = lua_gettop(L);
    if (!lua_checkstack(L, 8)) {
        fail(result, "the Lua stack is full");
        return result->outcome;
    }
    /* the argument: the data (create/update) or the row being deleted */
    if (data && *data) ssot_lua_push_json(L, *data);
    else if (ctx->existing) ssot_lua_push_json_text(L, ctx->existing->json, ctx->existing->json_len);
    else lua_pushnil(L);
    int argument = lua_gettop(L);
    push_hook(L, ctx->model, hook);
    lua_pushvalue(L, argument);
    push_context(L, hook, ctx);
    if (call_hook(L, hook, ctx, 2, 3, result) == 0) read_before_result(L, hook, ctx, argument, argument + 1, data, result);
    lua_settop(L, top);
    return result->outcome;
}

ssot_hook_outcome ssot_hooks_run_after(lua_State *L, ssot_hook hook, const ssot_hook_context *ctx, const char *row,
                                       size_t n, ssot_hook_result *result) {
    memset(result, 0, sizeof *result);
    int top = lua_gettop(L);
    if (!lua_checkstack(L, 8)) {
        fail(result, "the Lua stack is full");
        return result->outcome;
    }
    push_hook(L, ctx->model, hook);
    ssot_lua_push_json_text(L, row, n);
    push_context(L, hook, ctx);
    if (call_hook(L, hook, ctx, 2, 0, result) == 0) result->outcome = SSOT_HOOK_OK;
    lua_settop(L, top);
    return result->outcome;
}
