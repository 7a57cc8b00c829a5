/* ssot.core file primitives: reading files and directories, their identity (stat), replacing a
 * file ssot keeps for itself, creating directories, resolving paths, the embedded resources
 * and the library directory list. Failures return nil plus "path: reason", as Lua's io library does, so
 * callers decide how to report them. Atomic writes come from emit_file.c. */
#define _DEFAULT_SOURCE /* realpath, lstat */
#include "host/core.h"
#include "host/emit.h"
#include "host/host.h"
#include "host/resources.h"

#include <dirent.h>
#include <errno.h>
#include <lauxlib.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int push_failure(lua_State *L, const char *path) {
    lua_pushnil(L);
    lua_pushfstring(L, "%s: %s", path, strerror(errno));
    return 2;
}

/* read_file(path) -> content | nil, message */
int core_read_file(lua_State *L) {
    const char *path = luaL_checkstring(L, 1);
    size_t size;
    char *content = ssot_read_file(path, &size);
    if (!content) return push_failure(L, path);
    lua_pushlstring(L, content, size);
    free(content);
    return 1;
}

/* file_type(path) -> "file" | "directory" | "link" | "other" | nil (does not follow links) */
int core_file_type(lua_State *L) {
    struct stat st;
    if (lstat(luaL_checkstring(L, 1), &st) != 0) {
        lua_pushnil(L);
        return 1;
    }
    if (S_ISREG(st.st_mode)) lua_pushliteral(L, "file");
    else if (S_ISDIR(st.st_mode)) lua_pushliteral(L, "directory");
    else if (S_ISLNK(st.st_mode)) lua_pushliteral(L, "link");
    else lua_pushliteral(L, "other");
    return 1;
}

/* stat(path) -> size, mtime_ns, inode of the regular file at path (links not followed) |
 * nil, message. Equal triples mean the file was not written in between (short of a write
 * within one clock tick that keeps the size). */
int core_stat(lua_State *L) {
    const char *path = luaL_checkstring(L, 1);
    struct stat st;
    if (lstat(path, &st) != 0) return push_failure(L, path);
    if (!S_ISREG(st.st_mode)) {
        lua_pushnil(L);
        lua_pushfstring(L, "%s: not a regular file", path);
        return 2;
    }
    lua_pushinteger(L, (lua_Integer)st.st_size);
    lua_pushinteger(L, (lua_Integer)st.st_mtim.tv_sec * 1000000000 + (lua_Integer)st.st_mtim.tv_nsec);
    lua_pushinteger(L, (lua_Integer)st.st_ino);
    return 3;
}

/* replace_file(path, content) -> "written" | "unchanged" | nil, message. Writes a file ssot
 * keeps for itself (the run's fingerprint) atomically, unless it already holds content. */
int core_replace_file(lua_State *L) {
    size_t path_len, len;
    const char *path = luaL_checklstring(L, 1, &path_len);
    const char *content = luaL_checklstring(L, 2, &len);
    const char *slash = strrchr(path, '/');
    if (!slash || slash[1] == '\0' || path_len >= PATH_MAX)
        return luaL_error(L, "replace_file: '%s' is not the path of a file in a directory", path);
    if (ssot_file_kind(path) == SSOT_FILE_REGULAR && ssot_file_equals(path, content, len) == 1) {
        lua_pushliteral(L, "unchanged");
        return 1;
    }
    char dir[PATH_MAX], err[SSOT_EMIT_ERROR_SIZE];
    size_t dir_len = slash == path ? 1 : (size_t)(slash - path);
    memcpy(dir, path, dir_len);
    dir[dir_len] = '\0';
    if (ssot_write_atomic(dir, slash + 1, content, len, false, err) != 0) {
        lua_pushnil(L);
        lua_pushstring(L, err);
        return 2;
    }
    lua_pushliteral(L, "written");
    return 1;
}

/* mkdir(path) -> true | nil, message: creates the directory and its missing parents (mkdir -p);
 * true when it is already a directory. */
int core_mkdir(lua_State *L) {
    char err[SSOT_EMIT_ERROR_SIZE];
    if (ssot_mkdir_all(luaL_checkstring(L, 1), err) != 0) {
        lua_pushnil(L);
        lua_pushstring(L, err);
        return 2;
    }
    lua_pushboolean(L, 1);
    return 1;
}

/* realpath(path) -> absolute path with links resolved | nil, message */
int core_realpath(lua_State *L) {
    const char *path = luaL_checkstring(L, 1);
    char resolved[PATH_MAX];
    if (!realpath(path, resolved)) return push_failure(L, path);
    lua_pushstring(L, resolved);
    return 1;
}

/* getcwd() -> the current directory */
int core_getcwd(lua_State *L) {
    char cwd[PATH_MAX];
    if (!getcwd(cwd, sizeof cwd)) return push_failure(L, ".");
    lua_pushstring(L, cwd);
    return 1;
}

static int compare_strings(const void *a, const void *b) {
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* list_dir(path) -> sorted array of entry names (no "." or "..") | nil, message. A listing
 * cut short (a read error, memory) is a failure, never a shorter list. */
int core_list_dir(lua_State *L) {
    const char *path = luaL_checkstring(L, 1);
    DIR *dir = opendir(path);
    if (!dir) return push_failure(L, path);
    size_t count = 0, cap = 16;
    char **names = malloc(cap * sizeof *names);
    int failure = names ? 0 : ENOMEM;
    while (!failure) {
        errno = 0;
        struct dirent *entry = readdir(dir);
        if (!entry) {
            failure = errno;
            break;
        }
        if (strcmp(entry->d_name, ".") == 0 || strcmp(entry->d_name, "..") == 0) continue;
        if (count == cap) {
            char **bigger = realloc(names, (cap *= 2) * sizeof *names);
            if (!bigger) failure = ENOMEM;
            else names = bigger;
        }
        if (!failure && !(names[count] = strdup(entry->d_name))) failure = ENOMEM;
        if (!failure) count++;
    }
    closedir(dir);
    if (failure) {
        for (size_t i = 0; i < count; i++) free(names[i]);
        free(names);
        errno = failure;
        return push_failure(L, path);
    }
    qsort(names, count, sizeof *names, compare_strings);
    lua_createtable(L, (int)count, 0);
    for (size_t i = 0; i < count; i++) {
        lua_pushstring(L, names[i]);
        lua_rawseti(L, -2, (lua_Integer)i + 1);
        free(names[i]);
    }
    free(names);
    return 1;
}

/* resource(name) -> the embedded file's content | nil */
int core_resource(lua_State *L) {
    const ssot_resource *r = ssot_resource_find(luaL_checkstring(L, 1));
    if (!r) {
        lua_pushnil(L);
        return 1;
    }
    lua_pushlstring(L, (const char *)r->data, r->size);
    return 1;
}

/* resource_names([prefix]) -> sorted array of embedded names starting with prefix */
int core_resource_names(lua_State *L) {
    size_t prefix_len;
    const char *prefix = luaL_optlstring(L, 1, "", &prefix_len);
    lua_newtable(L);
    lua_Integer n = 0;
    for (size_t i = 0; i < ssot_embedded_resource_count; i++) {
        const char *name = ssot_embedded_resources[i].name;
        if (strncmp(name, prefix, prefix_len) == 0) {
            lua_pushstring(L, name);
            lua_rawseti(L, -2, ++n);
        }
    }
    return 1;
}

/* lib_dirs() -> array of the library directories, searched in order before the built-ins */
int core_lib_dirs(lua_State *L) {
    ssot_lib_dirs_push(L);
    return 1;
}

/* module_files() -> { [path] = sha256 hex of what was loaded | false when absent }: the files
 * the module searcher tried in the library directories since the host started */
int core_module_files(lua_State *L) {
    ssot_module_files_push(L);
    return 1;
}

/* set_lib_dirs(array) replaces the library directories */
int core_set_lib_dirs(lua_State *L) {
    luaL_checktype(L, 1, LUA_TTABLE);
    ssot_lib_dirs_set(L, 1);
    return 0;
}
