/* ssot_push_sorted_keys: the string keys of a Lua table as a sorted array, for results that
 * must not depend on hash order (the emitter's diffs, the watcher's changed paths). */
#include "host/host.h"

#include <lauxlib.h>
#include <stdlib.h>
#include <string.h>

static int compare_strings(const void *a, const void *b) {
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

void ssot_push_sorted_keys(lua_State *L, int idx) {
    idx = lua_absindex(L, idx);
    size_t count = 0;
    for (lua_pushnil(L); lua_next(L, idx); lua_pop(L, 1))
        if (lua_type(L, -2) == LUA_TSTRING) count++;
    /* The keys stay anchored in the table, so pointers to them stay valid while sorting; the
     * pointer array is a userdata so an error cannot leak it. */
    const char **keys = lua_newuserdatauv(L, (count ? count : 1) * sizeof *keys, 0);
    size_t n = 0;
    for (lua_pushnil(L); lua_next(L, idx); lua_pop(L, 1))
        if (lua_type(L, -2) == LUA_TSTRING) keys[n++] = lua_tostring(L, -2);
    qsort(keys, count, sizeof *keys, compare_strings);
    lua_createtable(L, (int)count, 0);
    for (size_t i = 0; i < count; i++) {
        lua_pushstring(L, keys[i]);
        lua_rawseti(L, -2, (lua_Integer)i + 1);
    }
    lua_remove(L, -2); /* the pointer array */
}
