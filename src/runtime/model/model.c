/* The app model of model.h: lookups, the arena its pieces live in, and freeing (which
 * releases the jansson defaults and the Lua registry references). Uses jansson, Lua. */
#include "runtime/model/model.h"

#include <lauxlib.h>
#include <lua.h>
#include <stdlib.h>
#include <string.h>

/* The arena is a list of blocks; big requests get a block of their own. */
typedef struct arena_block {
    struct arena_block *next;
    size_t used, size;
    max_align_t data[];
} arena_block;

#define ARENA_BLOCK_SIZE 16384

void *ssot_app_alloc(ssot_app *app, size_t n) {
    arena_block *head = app->arena;
    size_t align = sizeof(max_align_t);
    n = (n + align - 1) / align * align;
    if (n == 0) n = align;
    if (!head || head->size - head->used < n) {
        size_t size = n > ARENA_BLOCK_SIZE / 4 ? n : ARENA_BLOCK_SIZE;
        arena_block *block = malloc(sizeof *block + size);
        if (!block) return NULL;
        block->used = 0;
        block->size = size;
        if (head && size == n) { /* a big one-off: keep the current block at the head */
            block->next = head->next;
            head->next = block;
        } else {
            block->next = head;
            app->arena = block;
        }
        head = block;
    }
    void *p = (char *)head->data + head->used;
    head->used += n;
    memset(p, 0, n);
    return p;
}

char *ssot_app_strndup(ssot_app *app, const char *s, size_t n) {
    char *copy = ssot_app_alloc(app, n + 1);
    if (!copy) return NULL;
    memcpy(copy, s, n);
    copy[n] = '\0';
    return copy;
}

char *ssot_app_strdup(ssot_app *app, const char *s) { return ssot_app_strndup(app, s, strlen(s)); }

ssot_app *ssot_app_new(void) {
    ssot_app *app = calloc(1, sizeof *app);
    if (!app) return NULL;
    app->lua_ref = LUA_NOREF;
    return app;
}

static void unref(lua_State *L, int ref) {
    if (L && ref != LUA_NOREF && ref != LUA_REFNIL) luaL_unref(L, LUA_REGISTRYINDEX, ref);
}

void ssot_app_free(ssot_app *app) {
    if (!app) return;
    for (size_t i = 0; i < app->nmodels; i++) {
        const ssot_model *m = &app->models[i];
        for (size_t f = 0; f < m->nfields; f++)
            if (m->fields[f].default_value) json_decref(m->fields[f].default_value);
        for (int a = 0; a < SSOT_ACTION_COUNT; a++) unref(app->L, m->permissions[a].fn_ref);
        unref(app->L, m->realtime.subscribe.fn_ref);
        for (int h = 0; h < SSOT_HOOK_COUNT; h++) unref(app->L, m->hooks[h]);
        unref(app->L, m->lua_ref);
    }
    for (size_t i = 0; i < app->websockets.nchannels; i++) {
        const ssot_channel_def *c = &app->websockets.channels[i];
        unref(app->L, c->subscribe.fn_ref);
        unref(app->L, c->publish.fn_ref);
        /* payload fields have no defaults, but one the loader refused may hold one */
        for (size_t e = 0; c->payloads && e < c->nevents; e++)
            for (size_t f = 0; c->payloads[e] && f < c->payloads[e]->nfields; f++)
                if (c->payloads[e]->fields[f].default_value) json_decref(c->payloads[e]->fields[f].default_value);
    }
    for (size_t i = 0; i < app->nroutes; i++) unref(app->L, app->routes[i].fn_ref);
    unref(app->L, app->lua_ref);
    arena_block *block = app->arena;
    while (block) {
        arena_block *next = block->next;
        free(block);
        block = next;
    }
    free(app);
}

const ssot_model *ssot_app_model(const ssot_app *app, const char *name) {
    for (size_t i = 0; i < app->nmodels; i++)
        if (strcmp(app->models[i].name, name) == 0) return &app->models[i];
    return NULL;
}

const ssot_model *ssot_app_model_by_path(const ssot_app *app, const char *path, size_t n) {
    for (size_t i = 0; i < app->nmodels; i++) {
        const char *p = app->models[i].path;
        if (strncmp(p, path, n) == 0 && p[n] == '\0') return &app->models[i];
    }
    return NULL;
}

const ssot_field *ssot_model_field(const ssot_model *model, const char *name, size_t n) {
    for (size_t i = 0; i < model->nfields; i++) {
        const char *f = model->fields[i].name;
        if (strncmp(f, name, n) == 0 && f[n] == '\0') return &model->fields[i];
    }
    return NULL;
}

const char *ssot_field_type_name(ssot_field_type type) {
    return (unsigned)type < SSOT_TYPE_COUNT ? ssot_field_type_facts[type].name : "?";
}

const char *ssot_action_name(ssot_action action) {
    static const char *const names[] = {"list", "get", "create", "update", "delete"};
    return (unsigned)action < SSOT_ACTION_COUNT ? names[action] : "?";
}

const char *ssot_hook_name(ssot_hook hook) {
    static const char *const names[] = {"beforeCreate", "afterCreate", "beforeUpdate",
                                        "afterUpdate", "beforeDelete", "afterDelete"};
    return (unsigned)hook < SSOT_HOOK_COUNT ? names[hook] : "?";
}
