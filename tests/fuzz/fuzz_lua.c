/* Fuzz targets over the Lua side: the config loader and validator (Lua source text), rule
 * expressions and the template engine, one executable each (FUZZ_LUA_TARGET names the
 * function of tests/fuzz/fuzz.lua that takes the input). The host's Lua allocator is capped,
 * so a config that asks for all the memory is refused like any other error. */
#include "ssot.h"

#include <lauxlib.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifndef FUZZ_LUA_TARGET
#error "define FUZZ_LUA_TARGET: config, rules or template"
#endif

#define MEMORY_CAP (256u << 20)

typedef struct capped {
    lua_Alloc alloc;
    void *ud;
    size_t used;
} capped;

static void *capped_alloc(void *ud, void *ptr, size_t old_size, size_t new_size) {
    capped *c = ud;
    size_t old = ptr ? old_size : 0;
    if (new_size > old && c->used + (new_size - old) > MEMORY_CAP) return NULL;
    void *p = c->alloc(c->ud, ptr, old_size, new_size);
    if (p || new_size == 0) c->used = c->used - old + new_size;
    return p;
}

static ssot_host *host;
static int target_ref;

static void setup(void) {
    ssot_host_options options = {.log_level = SSOT_LOG_ERROR};
    if (!(host = ssot_host_new(&options))) abort();
    lua_State *L = ssot_host_lua(host);
    static capped cap;
    cap.alloc = lua_getallocf(L, &cap.ud);
    cap.used = 0;
    lua_setallocf(L, capped_alloc, &cap);
    char path[4096];
    snprintf(path, sizeof path, "%s/tests/fuzz/fuzz.lua", SSOT_SOURCE_DIR);
    if (luaL_dofile(L, path) != LUA_OK) {
        fprintf(stderr, "%s\n", lua_tostring(L, -1));
        abort();
    }
    lua_getfield(L, -1, FUZZ_LUA_TARGET);
    target_ref = luaL_ref(L, LUA_REGISTRYINDEX);
    lua_pop(L, 1);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (!host) setup();
    lua_State *L = ssot_host_lua(host);
    lua_rawgeti(L, LUA_REGISTRYINDEX, target_ref);
    lua_pushlstring(L, (const char *)data, size);
    int status = lua_pcall(L, 1, 1, 0);
    if (status == LUA_ERRMEM) { /* the cap: out of memory is a refusal like any other */
        lua_pop(L, 1);
        lua_gc(L, LUA_GCCOLLECT);
        return 0;
    }
    if (status != LUA_OK || !lua_isnil(L, -1)) {
        fprintf(stderr, "fuzz %s: %s\n", FUZZ_LUA_TARGET, lua_tostring(L, -1) ? lua_tostring(L, -1) : "(error)");
        abort();
    }
    lua_pop(L, 1);
    lua_gc(L, LUA_GCCOLLECT);
    return 0;
}
