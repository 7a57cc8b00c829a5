/* Module lookup for the host: the library directories (DIR/lua/a/b.lua, DIR/lua/a/b/init.lua)
 * first, then the modules embedded at build time (resources.h). Also keeps the list of
 * library directories, in the registry, for template lookup (core.lib_dirs), and which files
 * the lookup found or missed there, for the fingerprint of a run (core.module_files). */
#include "host/host.h"
#include "host/resources.h"

#include <errno.h>
#include <lauxlib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define LIB_DIRS_KEY "ssot.lib_dirs"
#define MODULE_FILES_KEY "ssot.module_files"

char *ssot_read_file(const char *path, size_t *size) {
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    size_t cap = 4096, len = 0;
    char *buf = malloc(cap);
    while (buf) {
        size_t n = fread(buf + len, 1, cap - len - 1, f);
        len += n;
        if (len + 1 < cap) break;
        char *bigger = realloc(buf, cap * 2);
        if (!bigger) {
            free(buf);
            buf = NULL;
            errno = ENOMEM;
            break;
        }
        buf = bigger;
        cap *= 2;
    }
    int failed = ferror(f);
    int read_errno = errno; /* fread's reason, e.g. EISDIR for a directory */
    fclose(f);
    if (!buf) return NULL;
    if (failed) {
        free(buf);
        errno = read_errno ? read_errno : EIO;
        return NULL;
    }
    buf[len] = '\0';
    if (size) *size = len;
    return buf;
}

/* Pushes the registry array of directories, creating it. Stack effect: +1. */
static void push_dirs_table(lua_State *L) {
    if (lua_getfield(L, LUA_REGISTRYINDEX, LIB_DIRS_KEY) != LUA_TTABLE) {
        lua_pop(L, 1);
        lua_newtable(L);
        lua_pushvalue(L, -1);
        lua_setfield(L, LUA_REGISTRYINDEX, LIB_DIRS_KEY);
    }
}

void ssot_lib_dirs_append(lua_State *L, const char *dir) {
    push_dirs_table(L);
    lua_Integer n = luaL_len(L, -1);
    for (lua_Integer i = 1; i <= n; i++) {
        lua_rawgeti(L, -1, i);
        int same = strcmp(lua_tostring(L, -1), dir) == 0;
        lua_pop(L, 1);
        if (same) {
            lua_pop(L, 1);
            return;
        }
    }
    lua_pushstring(L, dir);
    lua_rawseti(L, -2, n + 1);
    lua_pop(L, 1);
}

void ssot_lib_dirs_set(lua_State *L, int idx) {
    idx = lua_absindex(L, idx);
    lua_newtable(L);
    lua_setfield(L, LUA_REGISTRYINDEX, LIB_DIRS_KEY);
    lua_Integer n = luaL_len(L, idx);
    for (lua_Integer i = 1; i <= n; i++) {
        lua_rawgeti(L, idx, i);
        const char *dir = lua_tostring(L, -1);
        if (dir) ssot_lib_dirs_append(L, dir);
        lua_pop(L, 1);
    }
}

void ssot_lib_dirs_push(lua_State *L) {
    push_dirs_table(L);
    lua_Integer n = luaL_len(L, -1);
    lua_createtable(L, (int)n, 0);
    for (lua_Integer i = 1; i <= n; i++) {
        lua_rawgeti(L, -2, i);
        lua_rawseti(L, -2, i);
    }
    lua_remove(L, -2);
}

/* Records that the searcher tried path: the SHA-256 of code, or false when code is NULL (no
 * file there). Stack effect: none. */
static void record_module_file(lua_State *L, const char *path, const char *code, size_t size) {
    if (lua_getfield(L, LUA_REGISTRYINDEX, MODULE_FILES_KEY) != LUA_TTABLE) {
        lua_pop(L, 1);
        lua_newtable(L);
        lua_pushvalue(L, -1);
        lua_setfield(L, LUA_REGISTRYINDEX, MODULE_FILES_KEY);
    }
    if (code) {
        char hex[65];
        ssot_sha256_hex(code, size, hex);
        lua_pushstring(L, hex);
    } else {
        lua_pushboolean(L, 0);
    }
    lua_setfield(L, -2, path);
    lua_pop(L, 1);
}

void ssot_module_files_push(lua_State *L) {
    lua_newtable(L);
    if (lua_getfield(L, LUA_REGISTRYINDEX, MODULE_FILES_KEY) == LUA_TTABLE) {
        lua_pushnil(L); /* copy, files, key */
        while (lua_next(L, -2)) {
            lua_pushvalue(L, -2);
            lua_insert(L, -2);
            lua_rawset(L, -5); /* copy[key] = value; leaves copy, files, key */
        }
    }
    lua_pop(L, 1);
}

/* Loads a chunk and pushes the loader and its "file name" as require expects.
 * Stack effect: +2 on success; raises the load error (with file:line) otherwise. */
static int push_loaded_chunk(lua_State *L, const char *code, size_t size, const char *chunkname,
                             const char *origin) {
    if (luaL_loadbufferx(L, code, size, chunkname, "t") != LUA_OK)
        return luaL_error(L, "error loading module '%s' from %s:\n\t%s", lua_tostring(L, 1), origin,
                          lua_tostring(L, -1));
    lua_pushstring(L, origin);
    return 2;
}

/* package.searchers entry. Stack: name -> loader, origin | message. */
static int search_module(lua_State *L) {
    const char *name = luaL_checkstring(L, 1);
    const char *relative = luaL_gsub(L, name, ".", "/"); /* stack: name, relative */
    static const char *const patterns[] = {"%s/lua/%s.lua", "%s/lua/%s/init.lua"};

    ssot_lib_dirs_push(L);
    lua_Integer ndirs = luaL_len(L, -1);
    for (lua_Integer i = 1; i <= ndirs; i++) {
        lua_rawgeti(L, -1, i);
        const char *dir = lua_tostring(L, -1);
        for (size_t p = 0; p < sizeof patterns / sizeof patterns[0]; p++) {
            const char *path = lua_pushfstring(L, patterns[p], dir, relative);
            size_t size;
            errno = 0;
            char *code = ssot_read_file(path, &size);
            /* A file that is there but cannot be read is an error, not a reason to fall back
             * to the built-in: the user meant their override to be used. */
            if (!code && errno != ENOENT && errno != ENOTDIR)
                return luaL_error(L, "cannot read module '%s' from %s: %s", name, path, strerror(errno));
            record_module_file(L, path, code, size);
            if (code) {
                const char *chunkname = lua_pushfstring(L, "@%s", path);
                int status = luaL_loadbufferx(L, code, size, chunkname, "t");
                free(code);
                if (status != LUA_OK)
                    return luaL_error(L, "error loading module '%s' from %s:\n\t%s", name, path,
                                      lua_tostring(L, -1));
                lua_pushstring(L, path);
                return 2;
            }
            lua_pop(L, 1);
        }
        lua_pop(L, 1);
    }
    lua_pop(L, 1);

    static const char *const embedded[] = {"lua/%s.lua", "lua/%s/init.lua"};
    for (size_t p = 0; p < sizeof embedded / sizeof embedded[0]; p++) {
        const char *resource_name = lua_pushfstring(L, embedded[p], relative);
        const ssot_resource *r = ssot_resource_find(resource_name);
        if (r) {
            const char *chunkname = lua_pushfstring(L, "@%s", resource_name);
            const char *origin = lua_pushfstring(L, "built-in %s", resource_name);
            return push_loaded_chunk(L, (const char *)r->data, r->size, chunkname, origin);
        }
        lua_pop(L, 1);
    }
    lua_pushfstring(L, "no ssot module '%s' in the library directories or built-ins", name);
    return 1;
}

void ssot_loader_install(lua_State *L) {
    lua_getglobal(L, "package");
    lua_getfield(L, -1, "searchers");
    /* Insert at position 2: after package.preload, before Lua's path searchers. */
    lua_Integer n = luaL_len(L, -1);
    for (lua_Integer i = n; i >= 2; i--) {
        lua_rawgeti(L, -1, i);
        lua_rawseti(L, -2, i + 1);
    }
    lua_pushcfunction(L, search_module);
    lua_rawseti(L, -2, 2);
    lua_pop(L, 2);
}
