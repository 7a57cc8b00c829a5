/* The config's Lua code at request time: per-model before/after hooks and custom routes
 * (docs/serve.md "Hooks" and "Custom routes"). A before-hook may change the data or reject
 * the request; an error in any of them is logged with its traceback and becomes a 500
 * naming the request id, and the server keeps running. Uses lua_bridge.h, model.h. */
#ifndef SSOT_RUNTIME_HOOKS_H
#define SSOT_RUNTIME_HOOKS_H

#include "runtime/model/user.h"
#include "runtime/model/model.h"
#include "runtime/model/query.h"

#include <jansson.h>
#include <lua.h>
#include <stdbool.h>

typedef enum ssot_hook_outcome {
    SSOT_HOOK_OK,       /* go on (with the data as the hook left it) */
    SSOT_HOOK_REJECTED, /* the hook said no: status 400 or 403 and its message */
    SSOT_HOOK_FAILED    /* the hook raised an error or returned something unusable */
} ssot_hook_outcome;

typedef struct ssot_hook_result {
    ssot_hook_outcome outcome;
    int status;         /* REJECTED: 400 or 403 */
    char message[4096]; /* REJECTED: the hook's message; FAILED: the error and traceback */
} ssot_hook_result;

/* What a hook is told about the request (its second argument, `ctx`). */
typedef struct ssot_hook_context {
    const ssot_model *model;
    const ssot_user *user;
    const char *request_id;
    const char *id;                /* update/delete: the row's id; create: NULL */
    const ssot_row_view *existing; /* update/delete: the row before the change; else NULL */
} ssot_hook_context;

/* Whether the model has this hook. */
static inline bool ssot_hooks_has(const ssot_model *model, ssot_hook hook) {
    return model->hooks[hook] != LUA_NOREF && model->hooks[hook] != LUA_REFNIL;
}

/* Runs beforeCreate / beforeUpdate with *data (an object): the hook gets a table it may
 * change, or returns a replacement table; *data is replaced by the result (the caller checks
 * it against the model again). beforeDelete gets the existing row and data may be NULL. */
ssot_hook_outcome ssot_hooks_run_before(lua_State *L, ssot_hook hook, const ssot_hook_context *ctx, json_t **data,
                                        ssot_hook_result *result);

/* Runs afterCreate / afterUpdate / afterDelete with the committed row (JSON text, n bytes). */
ssot_hook_outcome ssot_hooks_run_after(lua_State *L, ssot_hook hook, const ssot_hook_context *ctx, const char *row,
                                       size_t n, ssot_hook_result *result);

#endif
